package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// ErrEventTooLarge is returned (wrapped) for events that encode to more than one message
// of the store takes.
var ErrEventTooLarge = errors.New("events too large for one message of the store")

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
	return s.PutDocumentBytes(ctx, name, contentType, data)
}

// PutDocumentBytes is PutDocument of bytes already in memory, which it neither copies nor
// keeps: an upload the API has read is stored without a second copy of it (a review
// finding: eight uploads of 32 MiB at once took 590 MB, about 2.3 times their size).
func (s *Store) PutDocumentBytes(ctx context.Context, name, contentType string, data []byte) (Document, error) {
	if err := s.Failed(); err != nil {
		return Document{}, err
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
	// Uploads of the same new bytes at once store them once: the client library's Put
	// deletes the chunks of the description it found when it began, so a second Put took
	// the first's chunks away from a reader holding its description, who read the document
	// as damaged (a review finding). Another process's upload of the same bytes may still
	// race this one; README, "Durability and reliability".
	mu := &s.docWrites[int(sum[0])%docWriteStripes]
	mu.Lock()
	defer mu.Unlock()
	if _, err := s.docs.GetInfo(ctx, d.SHA256); err == nil {
		// Stored already: kept as it is only if its bytes still are these. A document
		// damaged on disk or replaced behind the store's back is written again from the
		// original the user brought, which is how an operator repairs it; otherwise the
		// upload would succeed and cite bytes nobody can read.
		_, gerr := s.GetDocument(ctx, d.SHA256)
		switch {
		case gerr == nil:
			if s.touchDocument(ctx, d.SHA256) {
				return d, nil
			}
			// Removed by a sweep meanwhile: stored again below, from the upload.
		case errors.Is(gerr, ErrDocumentNotFound):
			// Removed by a sweep between the two looks: stored again below.
		case errors.Is(gerr, ErrDocumentCorrupt):
			s.log.Warn("stored document damaged: writing it again from the upload", "sha256", d.SHA256, "err", gerr)
		default:
			return Document{}, gerr
		}
	}
	// A document larger than the budget takes all of it, alone.
	weight := min(max(int64(len(data)), 1), s.opts.docWriteBytes)
	if err := s.docPuts.Acquire(ctx, weight); err != nil {
		return Document{}, fmt.Errorf("store document: waiting for the writes before it: %w", err)
	}
	defer s.docPuts.Release(weight)
	// The write stops waiting for its answer when the server stops writing, and says so
	// (a review finding: the first upload after the disk filled waited out the client's
	// 10 s and was told to try again).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.down:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err := s.docs.Put(ctx, jetstream.ObjectMeta{
		Name:    d.SHA256,
		Headers: nil,
		Metadata: map[string]string{
			"name":         name,
			"content-type": contentType,
		},
	}, bytes.NewReader(data))
	if err != nil {
		if ferr := s.Failed(); ferr != nil {
			return Document{}, ferr
		}
		return Document{}, markFull(fmt.Errorf("store document: %w", err))
	}
	return d, nil
}

// GetDocument returns a document's bytes after checking them against their SHA-256.
func (s *Store) GetDocument(ctx context.Context, sha string) ([]byte, error) {
	if !shaPattern.MatchString(sha) {
		return nil, fmt.Errorf("%w: %q is not a SHA-256", ErrDocumentNotFound, sha)
	}
	info, err := s.documentInfo(ctx, sha)
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
	// needs at a slow pace instead, and then named for what it is, once the store is seen
	// to answer and a second read fails alike: a read started while a cluster elects a
	// leader times out too, and an intact document was named damaged, its grant refused
	// with an order to restore it (a review finding).
	data, err := s.readDocument(ctx, sha, info)
	for pause := 50 * time.Millisecond; errors.Is(err, ErrDocumentNotFound) && pause <= 400*time.Millisecond; pause *= 2 {
		// The read looks the description up again, by a direct get a replica may answer
		// before it has stored a document just put: found a moment ago, through the
		// leader if need be, it is read again unless the leader says it is gone (a review
		// finding: a download right after the upload through another server answered 404).
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, fmt.Errorf("get document %s: %w", sha, ctx.Err())
		}
		if _, ierr := s.documentInfo(ctx, sha); ierr != nil {
			if errors.Is(ierr, jetstream.ErrObjectNotFound) {
				return nil, fmt.Errorf("%w: %s", ErrDocumentNotFound, sha)
			}
			return nil, fmt.Errorf("get document %s: %w", sha, ierr)
		}
		data, err = s.readDocument(ctx, sha, info)
	}
	if errors.Is(err, ErrDocumentNotFound) {
		return nil, fmt.Errorf("get document %s: the bucket's leader holds it, and the replica that answered does not yet: %w", sha, context.DeadlineExceeded)
	}
	if err != nil && ctx.Err() == nil && timedOut(ctx, err) && !errors.Is(err, ErrDocumentCorrupt) {
		if aerr := s.documentStoreAnswers(ctx); aerr != nil {
			return nil, fmt.Errorf("get document %s: no chunk came, and the document store does not answer (a leader being elected?): %w", sha, aerr)
		}
		data, err = s.readDocument(ctx, sha, info)
		if err != nil && ctx.Err() == nil && timedOut(ctx, err) && !errors.Is(err, ErrDocumentCorrupt) {
			return nil, fmt.Errorf("%w: %s: the store did not deliver its %d chunks (%d bytes) in %s, twice: a chunk damaged or lost on disk", ErrDocumentCorrupt, sha, info.Chunks, info.Size, documentReadTime(info.Size))
		}
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("%w: %s: stored bytes hash to %x", ErrDocumentCorrupt, sha, sum)
	}
	return data, nil
}

// readDocument reads a document's bytes once, giving the read the time its size needs
// (documentReadTime). A timeout is returned as the read's error, for GetDocument to judge.
func (s *Store) readDocument(ctx context.Context, sha string, info *jetstream.ObjectInfo) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, documentReadTime(info.Size))
	defer cancel()
	data, err := s.docs.GetBytes(rctx, sha)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return nil, fmt.Errorf("%w: %s", ErrDocumentNotFound, sha)
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return nil, fmt.Errorf("%w: %s: %v", ErrDocumentCorrupt, sha, err)
	case ctx.Err() == nil && timedOut(rctx, err):
		return nil, fmt.Errorf("get document %s: no chunk came in %s: %w", sha, documentReadTime(info.Size), context.DeadlineExceeded)
	}
	return nil, fmt.Errorf("get document %s: %w", sha, err)
}

// documentStoreAnswers asks the JetStream meta leader (which creates the consumer a
// document's read needs) and the document bucket's stream leader whether they answer,
// waiting at most accountLookTimeout each: nil when both do.
func (s *Store) documentStoreAnswers(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, min(accountLookTimeout, s.opts.clientTimeout))
	defer cancel()
	if _, err := s.js.AccountInfo(actx); err != nil {
		return fmt.Errorf("account info: %w", err)
	}
	if _, err := s.js.Stream(actx, "OBJ_"+s.opts.bucket); err != nil {
		return fmt.Errorf("document bucket: %w", err)
	}
	return nil
}

// documentInfo reads a document's description as the object store's GetInfo does, made
// to hold through a failover: each request is bounded and sent again through transient
// errors (retried), and a "not found" is asked again of the bucket's stream leader,
// since the direct get GetInfo makes may be answered by a replica that has not yet
// stored a document just put (a review finding: a download through another server right
// after the upload was answered 500, "cited by the events but missing"). The error of a
// document not stored wraps jetstream.ErrObjectNotFound.
func (s *Store) documentInfo(ctx context.Context, sha string) (*jetstream.ObjectInfo, error) {
	info, err := retried(ctx, s, "document info", func(ctx context.Context) (*jetstream.ObjectInfo, error) {
		return s.docs.GetInfo(ctx, sha)
	})
	if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return info, err
	}
	subject := "$O." + s.opts.bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(sha))
	m, lerr := retried(ctx, s, "document info from the leader", func(ctx context.Context) (storedMsg, error) {
		return s.leaderGetIn(ctx, "OBJ_"+s.opts.bucket, apiMsgGet{LastFor: subject})
	})
	if lerr != nil {
		return nil, fmt.Errorf("document %s: not found on a replica, and the bucket's leader did not answer: %w", sha, lerr)
	}
	var li jetstream.ObjectInfo
	if m.seq == 0 || json.Unmarshal(m.data, &li) != nil || li.Deleted {
		return nil, err
	}
	return &li, nil
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
		_, err := s.GetDocument(ctx, info.Name)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, 0, fmt.Errorf("verify documents: %w", ctx.Err())
		case errors.Is(err, ErrDocumentNotFound) || errors.Is(err, ErrDocumentCorrupt):
			problems = append(problems, DocumentProblem{SHA256: info.Name, Problem: err.Error()})
		default:
			// The store did not answer (stopping, a failover): no fact about the document,
			// and no check. Before, every document read after a stop's cancellation was
			// listed as a problem, at error level (a review finding).
			return nil, 0, fmt.Errorf("verify documents: read %s: %w", info.Name, err)
		}
	}
	for _, sha := range cited {
		if !stored[sha] {
			problems = append(problems, DocumentProblem{SHA256: sha, Problem: "cited by the events (a dossier, a plan or evidence) but missing from the document store: removed behind the engine's back, or lost"})
		}
	}
	return problems, len(list), nil
}

// StoredDocuments returns the names (SHA-256s) of the documents stored, in the store's
// order, from one listing of the bucket: whether a document is stored, asked of many,
// without a request each.
func (s *Store) StoredDocuments(ctx context.Context) ([]string, error) {
	list, err := s.docs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out := make([]string, len(list))
	for i, info := range list {
		out[i] = info.Name
	}
	return out, nil
}

// DocumentInfo returns a stored document's description without reading its bytes.
func (s *Store) DocumentInfo(ctx context.Context, sha string) (Document, error) {
	if !shaPattern.MatchString(sha) {
		return Document{}, fmt.Errorf("%w: %q is not a SHA-256", ErrDocumentNotFound, sha)
	}
	info, err := s.documentInfo(ctx, sha)
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

// touchDocument marks a stored document as uploaded now, keeping its description: its
// description is written again, which renews the time SweepUncitedDocuments goes by, so that
// the sweep leaves alone the file an upload of the same bytes is about to cite. The write
// is conditional on the description read (the sweep's removal is too): it reports false
// when the document was removed meanwhile, and the upload then stores its bytes again. A
// failure to write is only logged: the sweep looks at the citations again after each
// removal, and puts back what an event cites by then.
func (s *Store) touchDocument(ctx context.Context, sha string) bool {
	for range 3 {
		m, info, err := s.documentMeta(ctx, sha)
		if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && info.Deleted) {
			return false
		}
		if err == nil {
			err = s.publishDocumentMeta(ctx, info, m.Sequence)
			if err == nil {
				return true
			}
			if isWrongLastSeq(err) {
				continue // renewed or removed meanwhile: look again
			}
		}
		s.log.Warn("could not mark a stored document as uploaded again", "sha256", sha, "err", err)
		return true
	}
	return true
}

// documentMeta returns the last message of document sha's description and the
// description it holds (deleted ones too).
func (s *Store) documentMeta(ctx context.Context, sha string) (*jetstream.RawStreamMsg, jetstream.ObjectInfo, error) {
	st, err := s.js.Stream(ctx, "OBJ_"+s.opts.bucket)
	if err != nil {
		return nil, jetstream.ObjectInfo{}, fmt.Errorf("document stream: %w", err)
	}
	m, err := st.GetLastMsgForSubject(ctx, s.documentMetaSubject(sha))
	if err != nil {
		return nil, jetstream.ObjectInfo{}, err
	}
	var info jetstream.ObjectInfo
	if err := json.Unmarshal(m.Data, &info); err != nil {
		return nil, jetstream.ObjectInfo{}, fmt.Errorf("document %s: its description: %w", sha, err)
	}
	info.ModTime = m.Time
	return m, info, nil
}

// documentMetaSubject is the subject of document sha's description in the object store.
func (s *Store) documentMetaSubject(sha string) string {
	return "$O." + s.opts.bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(sha))
}

// publishDocumentMeta writes info as its document's description, replacing the one at
// sequence expect, and fails (isWrongLastSeq) when another was written since: the object
// store's own writes of a description are not conditional.
func (s *Store) publishDocumentMeta(ctx context.Context, info jetstream.ObjectInfo, expect uint64) error {
	info.ModTime = time.Time{}
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(s.documentMetaSubject(info.Name))
	msg.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	msg.Data = data
	_, err = s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(expect))
	return err
}

// UncitedGrace is how long a stored document no event cites is kept before
// SweepUncitedDocuments removes it. Every upload is stored just before the command that
// cites it is appended, within the request, so a document uncited for an hour belongs to
// an upload whose command was refused after its file was stored (the dossier submitted or
// withdrawn meanwhile, the deadline passed, the user disabled).
const UncitedGrace = time.Hour

// DocumentCitations tells SweepUncitedDocuments which documents the events cite.
type DocumentCitations interface {
	// WaitFor blocks until the citations include every event up to sequence seq, or ctx
	// ends.
	WaitFor(ctx context.Context, seq uint64) error
	// DocumentCited reports whether an event cites the document whose SHA-256 is sha.
	DocumentCited(sha string) bool
	// UnreadEvents counts the events and messages the citations could not read: any of
	// them may cite a document, and while there are some the sweep removes nothing.
	UnreadEvents() int
}

// ErrUnreadCitations is returned (wrapped) by SweepUncitedDocuments when the citations
// could not read every event: it removes nothing then.
var ErrUnreadCitations = errors.New("the stream holds events the engine could not read, or lost, which may cite documents: none is swept until the store is restored")

// UncitedDocuments lists the stored documents no event cites (cited reports whether one
// does), in the store's order: the files of uploads refused after they were stored, which
// serve removes once UncitedGrace old (SweepUncitedDocuments).
func (s *Store) UncitedDocuments(ctx context.Context, cited func(sha string) bool) ([]Document, error) {
	list, err := s.docs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out := []Document{}
	for _, info := range list {
		if !cited(info.Name) {
			out = append(out, Document{SHA256: info.Name, Size: int64(info.Size), Name: info.Metadata["name"], ContentType: info.Metadata["content-type"]})
		}
	}
	return out, nil
}

// UncitedSweep says what SweepUncitedDocuments did.
type UncitedSweep struct {
	// Removed is the number of documents removed.
	Removed int `json:"removed"`
	// Bytes is their total size.
	Bytes int64 `json:"bytes"`
	// Restored is the number of documents removed and then put back, because an event
	// cited them by the time the sweep looked again.
	Restored int `json:"restored"`
	// Kept is the number of uncited documents left because they could not be read back
	// whole (a damaged one: thidua verify names it).
	Kept int `json:"kept"`
}

// SweepUncitedDocuments removes the stored documents that no event cites and that were
// stored, or last uploaded again, more than olderThan ago (UncitedGrace in serve): the
// files of uploads whose command was refused after the file was stored. Nobody can cite
// such a document any more (only an upload's own command cites a new one), and until now
// reviewers and auditors could read it by its SHA-256.
//
// It is safe beside uploads of the same bytes, in this process or another. An upload of
// stored bytes marks the document as uploaded again, and the sweep reads each document's
// time once more just before removing it. The sweep also keeps the removed bytes until
// the citations have caught up with the stream's end again: a document an event cites by
// then is put back.
func (s *Store) SweepUncitedDocuments(ctx context.Context, olderThan time.Duration, cites DocumentCitations) (UncitedSweep, error) {
	var sw UncitedSweep
	if err := s.Failed(); err != nil {
		return sw, err
	}
	if err := s.citationsCaughtUp(ctx, cites); err != nil {
		return sw, err
	}
	if n := cites.UnreadEvents(); n > 0 {
		// An event of a later version, or one damaged or forged, may cite a document:
		// removing it would remove evidence (a review finding).
		return sw, fmt.Errorf("%w (%d; thidua verify names them)", ErrUnreadCitations, n)
	}
	list, err := s.docs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return sw, nil
	}
	if err != nil {
		return sw, fmt.Errorf("list documents: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	for _, info := range list {
		if !info.ModTime.Before(cutoff) || cites.DocumentCited(info.Name) {
			continue
		}
		removed, restored, err := s.removeUncited(ctx, info.Name, cutoff, cites)
		switch {
		case errors.Is(err, errKeep):
			sw.Kept++
		case err != nil:
			return sw, err
		case restored:
			sw.Restored++
		case removed != nil:
			sw.Removed++
			sw.Bytes += removed.Size
		}
	}
	return sw, nil
}

// errKeep says that an uncited document could not be read back whole, and stays.
var errKeep = errors.New("uncited document kept")

// removeUncited removes the uncited document sha unless it was uploaded again since cutoff,
// then puts it back if an event cites it once the citations have caught up with the
// stream's end. It returns the document removed (nil when it was not), and whether it was
// put back. The removal is conditional on the description read before the document's bytes
// were: an upload of the same bytes that renewed it meanwhile keeps it, and one that comes
// after finds it removed and stores it again (touchDocument).
func (s *Store) removeUncited(ctx context.Context, sha string, cutoff time.Time, cites DocumentCitations) (*Document, bool, error) {
	m, info, err := s.documentMeta(ctx, sha)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && info.Deleted) {
		return nil, false, nil // removed meanwhile, by another process's sweep
	}
	if err != nil {
		return nil, false, fmt.Errorf("document %s: %w", sha, err)
	}
	if !info.ModTime.Before(cutoff) {
		return nil, false, nil // uploaded again since the listing
	}
	data, err := s.GetDocument(ctx, sha)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, err
		}
		s.log.Warn("an uncited document could not be read back, and stays", "sha256", sha, "err", err)
		return nil, false, errKeep
	}
	gone := info
	gone.Deleted = true
	gone.Size, gone.Chunks, gone.Digest = 0, 0, ""
	if err := s.publishDocumentMeta(ctx, gone, m.Sequence); isWrongLastSeq(err) {
		return nil, false, nil // uploaded again (or removed) while its bytes were read
	} else if err != nil {
		return nil, false, fmt.Errorf("remove uncited document %s: %w", sha, err)
	}
	st, err := s.js.Stream(ctx, "OBJ_"+s.opts.bucket)
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject("$O."+s.opts.bucket+".C."+info.NUID))
	}
	if err != nil {
		// The description says removed; the chunks left are an unfinished upload's to
		// the other sweep (DocumentLeftovers).
		s.log.Warn("removed an uncited document, not yet its chunks", "sha256", sha, "err", err)
	}
	d := &Document{SHA256: sha, Size: int64(len(data)), Name: info.Metadata["name"], ContentType: info.Metadata["content-type"]}
	// From here the bytes exist only in memory: the look again is not cut short by the
	// caller's end, and any doubt puts them back.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.citationsCaughtUp(rctx, cites); err == nil && !cites.DocumentCited(sha) {
		return d, false, nil
	}
	if _, err := s.docs.Put(rctx, info.ObjectMeta, bytes.NewReader(data)); err != nil {
		return nil, false, markFull(fmt.Errorf("put back document %s, cited since the sweep began: %w", sha, err))
	}
	s.log.Info("put back a document cited while the sweep removed it", "sha256", sha)
	return nil, true, nil
}

// citationsCaughtUp waits until cites include every event the stream holds now.
func (s *Store) citationsCaughtUp(ctx context.Context, cites DocumentCitations) error {
	last, err := s.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("the stream's end: %w", err)
	}
	if err := cites.WaitFor(ctx, last); err != nil {
		return fmt.Errorf("the citations up to sequence %d: %w", last, err)
	}
	return nil
}
