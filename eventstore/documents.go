package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrTooLarge is returned (wrapped) for a document above the size limit.
var ErrTooLarge = errors.New("document too large")

// ErrDocumentNotFound is returned (wrapped) for an unknown document hash.
var ErrDocumentNotFound = errors.New("document not found")

// ErrDocumentCorrupt is returned (wrapped) when a document's bytes no longer match its SHA-256.
var ErrDocumentCorrupt = errors.New("document corrupt")

var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Document describes a stored file.
type Document struct {
	// SHA256 is the hex SHA-256 of the bytes, and the object's name.
	SHA256 string `json:"sha256"`
	// Size is the length in bytes.
	Size int64 `json:"size"`
	// Name is the file name given at upload.
	Name string `json:"name"`
	// ContentType is the media type given at upload.
	ContentType string `json:"content_type"`
}

// MaxDocumentSize returns the largest document PutDocument accepts.
func (s *Store) MaxDocumentSize() int64 { return s.opts.maxDoc }

// PutDocument stores r's bytes under their SHA-256, refusing more than the size limit
// (ErrTooLarge). Storing the same bytes twice stores them once. A write over the storage
// limit fails with ErrStoreFull. No bytes at all are not stored: the Document returned
// says Size 0.
func (s *Store) PutDocument(ctx context.Context, name, contentType string, r io.Reader) (Document, error) {
	if err := s.Failed(); err != nil {
		return Document{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, s.opts.maxDoc+1))
	if err != nil {
		return Document{}, fmt.Errorf("read document: %w", err)
	}
	if int64(len(data)) > s.opts.maxDoc {
		return Document{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.opts.maxDoc)
	}
	sum := sha256.Sum256(data)
	d := Document{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Name: name, ContentType: contentType}
	if len(data) == 0 {
		// Not stored: no command takes an empty file (empty_file), and a refused one
		// leaves nothing behind (a review finding: the web's empty file was stored, then
		// refused).
		return d, nil
	}
	if _, err := s.docs.GetInfo(ctx, d.SHA256); err == nil {
		// Stored already: kept as it is only if its bytes still are these. A document
		// damaged on disk or replaced behind the store's back is written again from the
		// original the user brought, which is how an operator repairs it; otherwise the
		// upload would succeed and cite bytes nobody can read.
		_, gerr := s.GetDocument(ctx, d.SHA256)
		if gerr == nil {
			return d, nil
		}
		if !errors.Is(gerr, ErrDocumentCorrupt) {
			return Document{}, gerr
		}
		s.log.Warn("stored document damaged: writing it again from the upload", "sha256", d.SHA256, "err", gerr)
	}
	_, err = s.docs.Put(ctx, jetstream.ObjectMeta{
		Name:    d.SHA256,
		Headers: nil,
		Metadata: map[string]string{
			"name":         name,
			"content-type": contentType,
		},
	}, bytes.NewReader(data))
	if err != nil {
		return Document{}, markFull(fmt.Errorf("store document: %w", err))
	}
	return d, nil
}

// GetDocument returns a document's bytes after checking them against their SHA-256.
func (s *Store) GetDocument(ctx context.Context, sha string) ([]byte, error) {
	if !shaPattern.MatchString(sha) {
		return nil, fmt.Errorf("%w: %q is not a SHA-256", ErrDocumentNotFound, sha)
	}
	info, err := s.docs.GetInfo(ctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrDocumentNotFound, sha)
	}
	if err != nil {
		return nil, fmt.Errorf("get document %s: %w", sha, err)
	}
	// A few at a time, each given its own time once it starts: reads sharing the disk
	// with many others must not be taken for damaged ones.
	select {
	case s.docReads <- struct{}{}:
		defer func() { <-s.docReads }()
	case <-ctx.Done():
		return nil, fmt.Errorf("get document %s: waiting for the reads before it: %w", sha, ctx.Err())
	}
	// A chunk damaged or lost on disk never comes: the read would wait for it until the
	// client library's timeout, and fail as a timeout. It is given the time its size
	// needs at a slow pace instead, and then named for what it is.
	rctx, cancel := context.WithTimeout(ctx, documentReadTime(info.Size))
	defer cancel()
	data, err := s.docs.GetBytes(rctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrDocumentNotFound, sha)
	}
	if err != nil {
		switch {
		case errors.Is(err, jetstream.ErrDigestMismatch):
			return nil, fmt.Errorf("%w: %s: %v", ErrDocumentCorrupt, sha, err)
		case ctx.Err() == nil && timedOut(rctx, err):
			return nil, fmt.Errorf("%w: %s: the store did not deliver its %d chunks (%d bytes) in %s: a chunk damaged or lost on disk", ErrDocumentCorrupt, sha, info.Chunks, info.Size, documentReadTime(info.Size))
		}
		return nil, fmt.Errorf("get document %s: %w", sha, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("%w: %s: stored bytes hash to %x", ErrDocumentCorrupt, sha, sum)
	}
	return data, nil
}

// timedOut reports whether err is a read's timeout: its context's, the client's, or a
// deadline of the pipe the chunks come through.
func timedOut(ctx context.Context, err error) bool {
	var te interface{ Timeout() bool }
	return ctx.Err() != nil || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

// documentReadTime is how long reading a document of size bytes may take: 2 s, plus its
// size at 8 MiB/s (6 s for the largest, 32 MiB).
func documentReadTime(size uint64) time.Duration {
	return 2*time.Second + time.Duration(size)*time.Second/(8<<20)
}

// DocumentProblem names a document that failed verification.
type DocumentProblem struct {
	// SHA256 is the document's name.
	SHA256 string `json:"sha256"`
	// Problem says what is wrong.
	Problem string `json:"problem"`
}

// VerifyDocuments checks every stored document against its SHA-256, and that each of
// cited (the documents the events refer to: dossiers, plans, evidence) is stored: one
// removed from the store (an object store allows deletion, where the stream denies it)
// is a problem too. It returns the problems and the number of documents stored.
func (s *Store) VerifyDocuments(ctx context.Context, cited ...string) ([]DocumentProblem, int, error) {
	list, err := s.docs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, 0, fmt.Errorf("list documents: %w", err)
	}
	var problems []DocumentProblem
	stored := make(map[string]bool, len(list))
	for _, info := range list {
		stored[info.Name] = true
		if _, err := s.GetDocument(ctx, info.Name); err != nil {
			problems = append(problems, DocumentProblem{SHA256: info.Name, Problem: err.Error()})
		}
	}
	for _, sha := range cited {
		if !stored[sha] {
			problems = append(problems, DocumentProblem{SHA256: sha, Problem: "cited by the events (a dossier, a plan or evidence) but missing from the document store: removed behind the engine's back, or lost"})
		}
	}
	return problems, len(list), nil
}

// DocumentInfo returns a stored document's description without reading its bytes.
func (s *Store) DocumentInfo(ctx context.Context, sha string) (Document, error) {
	if !shaPattern.MatchString(sha) {
		return Document{}, fmt.Errorf("%w: %q is not a SHA-256", ErrDocumentNotFound, sha)
	}
	info, err := s.docs.GetInfo(ctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return Document{}, fmt.Errorf("%w: %s", ErrDocumentNotFound, sha)
	}
	if err != nil {
		return Document{}, fmt.Errorf("document %s: %w", sha, err)
	}
	return Document{SHA256: sha, Size: int64(info.Size), Name: info.Metadata["name"], ContentType: info.Metadata["content-type"]}, nil
}

// Leftovers are the chunks of document uploads that never finished (the process was
// killed between a document's chunks and its description): stored, referred to by no
// document, and not an integrity problem (no event refers to them either).
type Leftovers struct {
	// Uploads is the number of unfinished uploads.
	Uploads int `json:"uploads"`
	// Chunks is the number of their chunk messages (at most 128 KiB each).
	Chunks uint64 `json:"chunks"`
}

// StaleUpload is how long the last chunk of an unfinished upload must have been stored
// before RemoveDocumentLeftovers removes its chunks. An upload stores its chunks one after
// another within seconds (the document is read whole first, at most MaxDocumentSize), so
// an upload whose newest chunk is an hour old can no longer finish, in any process.
const StaleUpload = time.Hour

// DocumentLeftovers counts the chunks in the document bucket that no stored document
// refers to. Read only: an upload in flight in another process counts too, until it ends.
func (s *Store) DocumentLeftovers(ctx context.Context) (Leftovers, error) {
	_, left, err := s.documentLeftovers(ctx)
	if err != nil {
		return Leftovers{}, err
	}
	var l Leftovers
	for _, n := range left {
		l.Uploads++
		l.Chunks += n
	}
	return l, nil
}

// RemoveDocumentLeftovers removes the chunks of unfinished uploads (DocumentLeftovers)
// whose newest chunk was stored before olderThan ago, and returns what it removed. An
// upload stored since, or still in flight, is left alone; so is a stored document, even
// one whose description comes after the listing (its chunks would be too new). Removing
// is safe from several processes at once: a subject purged twice loses nothing more.
func (s *Store) RemoveDocumentLeftovers(ctx context.Context, olderThan time.Duration) (Leftovers, error) {
	if err := s.Failed(); err != nil {
		return Leftovers{}, err
	}
	st, left, err := s.documentLeftovers(ctx)
	if err != nil {
		return Leftovers{}, err
	}
	cutoff := time.Now().Add(-olderThan)
	var l Leftovers
	for subject, n := range left {
		last, err := st.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return l, fmt.Errorf("unfinished upload %s: %w", subject, err)
		}
		if !last.Time.Before(cutoff) {
			continue
		}
		if err := st.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
			return l, fmt.Errorf("remove unfinished upload %s: %w", subject, err)
		}
		l.Uploads++
		l.Chunks += n
	}
	return l, nil
}

// documentLeftovers returns the document stream and the chunk subjects, with their
// message counts, that no stored document refers to.
func (s *Store) documentLeftovers(ctx context.Context) (jetstream.Stream, map[string]uint64, error) {
	st, err := s.js.Stream(ctx, "OBJ_"+s.opts.bucket)
	if err != nil {
		return nil, nil, fmt.Errorf("document stream: %w", err)
	}
	prefix := "$O." + s.opts.bucket + ".C."
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return nil, nil, fmt.Errorf("document chunks: %w", err)
	}
	used := map[string]bool{}
	list, err := s.docs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil, fmt.Errorf("list documents: %w", err)
	}
	for _, o := range list {
		used[o.NUID] = true
	}
	left := map[string]uint64{}
	for subject, n := range info.State.Subjects {
		if !used[strings.TrimPrefix(subject, prefix)] {
			left[subject] = n
		}
	}
	return st, left, nil
}
