package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrRestoreTarget is returned by RestoreArchive for a data directory that already holds
// something: an archive is restored into a new store only, never over one.
var ErrRestoreTarget = errors.New("an archive is restored into an empty data directory")

// ErrRestoredDiffers is returned by RestoreArchive when the stream it wrote does not read
// back with the archive's digest (it is then removed).
var ErrRestoredDiffers = errors.New("the restored stream differs from the archive")

// restoreLostSubject is the token under the subject prefix of the messages RestoreArchive
// writes in place of the sequences an archive lacks, then deletes.
const restoreLostSubject = "restore.lost"

// RestoreArchive makes a new embedded store in dir (which must not exist, or be empty)
// holding what an archive holds: every message at its sequence, with its subject and
// body as archived, so that the stream's digest at every sequence is the archive's, and
// the runs of sequences the archive lacks (lost on disk before it was written) missing
// again, as JetStream leaves a loss. The archive is checked line by line as it is read
// (ReadArchive); anything wrong with it, or a stream that does not read back with its
// digest, leaves dir as it was. opts are Open's (a logger, a storage limit); the data
// directory is dir.
//
// What a restore cannot bring back: the documents (an archive holds none: the events cite
// each by its SHA-256), JetStream's own time of each message (the restored ones are
// stamped as they are written, so that no event reads as recorded after its storage), and
// the marks of an atomic append's messages (each is restored as appended alone: a moment
// inside such an append, between its first and last message, shows it in part).
func RestoreArchive(ctx context.Context, dir string, archive io.Reader, opts ...Option) (ArchiveHeader, ArchiveEnd, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	switch entries, err := os.ReadDir(abs); {
	case err == nil && len(entries) > 0:
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("%w: %s holds %s", ErrRestoreTarget, abs, entries[0].Name())
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".restoring-*")
	if err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	h, end, err := restoreInto(ctx, tmp, archive, opts)
	if err != nil {
		return h, end, err
	}
	// An empty directory is replaced; one that something filled meanwhile is not.
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return h, end, fmt.Errorf("%w: %v", ErrRestoreTarget, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return h, end, fmt.Errorf("data dir: %w", err)
	}
	return h, end, nil
}

// restoreInto writes the archive into a new store in dir and closes it.
func restoreInto(ctx context.Context, dir string, archive io.Reader, opts []Option) (ArchiveHeader, ArchiveEnd, error) {
	opts = append(opts[:len(opts):len(opts)], WithDataDir(dir), WithSyncAlways(false), func(o *options) { o.restoring = true })
	s, err := Open(ctx, opts...)
	if err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, err
	}
	defer s.Close()
	var lost []uint64
	next := uint64(1)
	publish := func(subject string, body []byte, seq uint64) error {
		msg := nats.NewMsg(subject)
		msg.Data = body
		msg.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(seq-1, 10))
		ack, err := s.js.PublishMsg(ctx, msg)
		switch {
		case err != nil:
			return fmt.Errorf("restore: sequence %d on %q: %w", seq, subject, err)
		case ack.Sequence != seq:
			return fmt.Errorf("%w: sequence %d stored at %d", ErrRestoredDiffers, seq, ack.Sequence)
		}
		next = seq + 1
		return nil
	}
	fill := func(to uint64) error {
		for next <= to {
			lost = append(lost, next)
			if err := publish(s.opts.prefix+"."+restoreLostSubject, nil, next); err != nil {
				return err
			}
		}
		return nil
	}
	var failed error
	h, end, err := ReadArchive(archive, func(m ArchiveMessage) {
		if failed != nil || ctx.Err() != nil {
			return
		}
		if failed = fill(m.Seq - 1); failed == nil {
			body, _ := m.body()
			failed = publish(m.subject(), body, m.Seq)
		}
	})
	switch {
	case err != nil:
		return h, end, err
	case failed != nil:
		return h, end, failed
	case ctx.Err() != nil:
		return h, end, ctx.Err()
	}
	if err := fill(h.Until); err != nil {
		return h, end, err
	}
	for _, seq := range lost {
		if err := s.stream.DeleteMsg(ctx, seq); err != nil {
			return h, end, fmt.Errorf("restore: the lost sequence %d: %w", seq, err)
		}
	}
	if _, err := s.js.UpdateStream(ctx, s.streamConfig()); err != nil {
		return h, end, fmt.Errorf("restore: denying deletion again: %w", err)
	}
	if h.Until > 0 {
		d, err := s.DigestFrom(ctx, Digest{}, h.Until, nil)
		if err != nil {
			return h, end, fmt.Errorf("restore: reading the stream back: %w", err)
		}
		if d != end.StreamDigest {
			return h, end, fmt.Errorf("%w: its digest at %d is %s, the archive's %s", ErrRestoredDiffers, d.Seq, d.Hex(), end.StreamDigest.Hex())
		}
	}
	return h, end, nil
}
