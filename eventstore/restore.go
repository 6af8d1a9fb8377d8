package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// RestoreHooks lets a caller take part in RestoreArchive's one read of the archive.
type RestoreHooks struct {
	// Each, when set, hears every message line once checked, in the read that restores it.
	Each func(ArchiveMessage)
	// Accept, when set, is asked once the archive is read whole and its stream written and
	// read back with its digest, before the store is put in place: an error leaves nothing
	// made. A digest recorded elsewhere is checked here, against the read that restored,
	// not another read of a file that may have changed between the two.
	Accept func(ArchiveHeader, ArchiveEnd) error
}

// restoringPrefix names the directory inside the data directory that a restore writes
// into before it moves what it made into place.
const restoringPrefix = ".restoring-"

// RestoreArchive makes a new embedded store in dir (which must not exist, or be an empty
// directory, or a link to one) holding what an archive holds: every message at its
// sequence, with its subject and body as archived, so that the stream's digest at every
// sequence is the archive's, and the runs of sequences the archive lacks (lost on disk
// before it was written) missing again, as JetStream leaves a loss. The archive is read
// once and checked line by line as it is read (ReadArchive); anything wrong with it, a
// hook's refusal or a stream that does not read back with its digest leaves dir as it
// was. The store is written in a directory inside dir, on its file system, and moved into
// place once whole. opts are Open's (a logger, a storage limit); the data directory is
// dir.
//
// What a restore cannot bring back: the documents (an archive holds none: the events cite
// each by its SHA-256), JetStream's own time of each message (the restored ones are
// stamped as they are written, so that no event reads as recorded after its storage), and
// the marks of an atomic append's messages (each is restored as appended alone: a moment
// inside such an append, between its first and last message, shows it in part).
func RestoreArchive(ctx context.Context, dir string, archive io.Reader, hooks RestoreHooks, opts ...Option) (ArchiveHeader, ArchiveEnd, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	// A link is followed: the directory it names is the one restored into, and the link
	// stays (a review finding: it was replaced by a directory).
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	created := false
	switch entries, err := os.ReadDir(abs); {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
		}
		created = true
	case err != nil:
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("%w: %v", ErrRestoreTarget, err)
	case len(entries) > 0:
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), restoringPrefix) {
				return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("%w: %s holds %s, left by a restore that was interrupted, or one still running: remove it once none runs",
					ErrRestoreTarget, abs, e.Name())
			}
		}
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("%w: %s holds %s", ErrRestoreTarget, abs, entries[0].Name())
	}
	// Inside dir, so that a mount point or a link's target is written on its own file
	// system and nothing replaces dir itself (a review finding: an empty mounted disk
	// was refused once the whole store had been written on its parent's).
	tmp, err := os.MkdirTemp(abs, restoringPrefix+"*")
	if err != nil {
		return ArchiveHeader{}, ArchiveEnd{}, fmt.Errorf("data dir: %w", err)
	}
	h, end, err := restoreInto(ctx, tmp, archive, hooks, opts)
	if err == nil {
		err = moveEntries(tmp, abs)
	}
	os.RemoveAll(tmp)
	if err != nil && created {
		os.Remove(abs) // empty again
	}
	return h, end, err
}

// moveEntries moves what a restore made in tmp into dir, all but the lock of tmp.
func moveEntries(tmp, dir string) error {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	for _, e := range entries {
		if e.Name() == LockFileName {
			continue
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("%w: %v", ErrRestoreTarget, err)
		}
	}
	return nil
}

// restoreInto writes the archive into a new store in dir and closes it.
func restoreInto(ctx context.Context, dir string, archive io.Reader, hooks RestoreHooks, opts []Option) (ArchiveHeader, ArchiveEnd, error) {
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
		if hooks.Each != nil {
			hooks.Each(m)
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
	if hooks.Accept != nil {
		if err := hooks.Accept(h, end); err != nil {
			return h, end, err
		}
	}
	return h, end, nil
}
