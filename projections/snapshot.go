package projections

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"thidua/eventstore"
)

// snapshotMagicPrefix begins the magic line of the formats from v2 on.
const snapshotMagicPrefix = "thidua-projections-snapshot-v"

// snapshotMagic starts every snapshot file; a different version is ignored.
const snapshotMagic = "thidua-projections-snapshot-v1"

// snapHeader opens a snapshot.
type snapHeader struct {
	Magic    string
	Applied  uint64
	LastSeq  uint64
	Commits  int
	LastHash string
	Written  time.Time
	// findings is true for a snapshot that carries the model's integrity findings instead
	// of folding its events again (v3 and v4), checks the ChecksVersion it was written
	// under (0: v3, which did not record it).
	findings bool
	checks   uint64
	// digest is true for a snapshot that carries the stream's digest (v5).
	digest bool
}

// snapCommit is one commit as the snapshot stores it: the envelopes as read from the stream.
type snapCommit struct {
	Seq     uint64
	Subject string
	Key     string
	Time    time.Time
	Events  []eventstore.Event
}

// ErrSnapshotMismatch is returned (wrapped) when a snapshot does not belong to the stream.
var ErrSnapshotMismatch = errors.New("snapshot does not match the stream")

// ErrStreamDiverged is returned (wrapped, with ErrSnapshotMismatch) when the stream no
// longer holds the history a snapshot of it recorded: it ends before the snapshot's
// checkpoint, or holds another commit there. The stream denies deletion, so it was
// replaced (rewritten, or restored from an older copy) or lost its end on disk: either
// way, history the engine had seen is gone, which an inspection must know of.
var ErrStreamDiverged = errors.New("the stream no longer holds the history the snapshot recorded")

// ErrSnapshotBusy is returned by WriteSnapshot when the model held commits ahead of the
// feed throughout the wait for a moment without them: nothing is written, and the
// snapshot already saved stays (a start catches up from it through the stream).
var ErrSnapshotBusy = errors.New("no moment without commits ahead of the feed to take the snapshot at")

// WriteSnapshot writes every commit the feed has applied (up to the checkpoint) to w,
// with the folded state (the v5 format, snapv3.go). When the model cannot be taken at a
// moment without commits ahead of the feed, it writes nothing and returns
// ErrSnapshotBusy. It used to write the commits alone (v2), which a load folds again
// but which keep no findings a fold cannot make again (an event recorded long after
// JetStream stored it, a history that differs, the stream's digest): a restart from one
// answered otherwise than a rebuild (a review finding). Reading v2 stays.
func (m *Model) WriteSnapshot(w io.Writer) (uint64, error) {
	applied, ok, err := m.writeSnapshotV3(w)
	if !ok {
		return 0, ErrSnapshotBusy
	}
	return applied, err
}

// writeSnapshotV1 writes the v1 (gob) format, which ReadSnapshot still reads.
func (m *Model) writeSnapshotV1(w io.Writer) (uint64, error) {
	m.awaitHistory()
	m.mu.RLock()
	defer m.mu.RUnlock()
	commits := m.commitsUpTo(m.applied)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := gob.NewEncoder(bw)
	h := snapHeader{Magic: snapshotMagic, Applied: m.applied, Commits: len(commits), Written: time.Now().UTC()}
	if n := len(commits); n > 0 {
		last := commits[n-1].Events
		h.LastHash, h.LastSeq = last[len(last)-1].Hash, commits[n-1].Seq // an eventstore.Event
	}
	if err := enc.Encode(h); err != nil {
		return 0, fmt.Errorf("snapshot header: %w", err)
	}
	for i := range commits {
		if err := enc.Encode(&commits[i]); err != nil {
			return 0, fmt.Errorf("snapshot commit %d: %w", commits[i].Seq, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	return m.applied, nil
}

// commitsUpTo regroups the model's entries into commits in stream order; caller holds the lock.
func (m *Model) commitsUpTo(applied uint64) []snapCommit {
	bySeq := map[uint64]*snapCommit{}
	keys := m.commitKeys()
	for _, a := range m.aggs {
		prev := ""
		for _, e := range a.Entries {
			if e.Rec.Seq > applied {
				break
			}
			k := e.unpack()
			if k.chained {
				k.prevHash = prev
			}
			prev = k.hash
			c := bySeq[e.Rec.Seq]
			if c == nil {
				c = &snapCommit{Seq: e.Rec.Seq, Key: keys[e.Rec.Seq]}
				bySeq[e.Rec.Seq] = c
			}
			c.Events = append(c.Events, eventstore.Event{
				ID: e.Rec.ID, Type: e.Rec.Type, Schema: int(e.schema), Aggregate: e.Aggregate,
				Actor:      eventstore.Actor{User: e.Rec.Actor.User, Role: string(e.Rec.Actor.Role)},
				OccurredAt: k.occurred, RecordedAt: e.Rec.At, PrevHash: k.prevHash, Hash: k.hash, Data: json.RawMessage(k.raw),
				CausationID: k.causation, CorrelationID: k.correlation,
			})
		}
	}
	out := make([]snapCommit, 0, len(bySeq))
	for _, c := range bySeq {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// ReadSnapshot builds a model from a snapshot, decoding payloads on all cores.
func ReadSnapshot(r io.Reader) (*Model, snapHeader, error) {
	m, h, _, err := readSnapshot(r, nil)
	return m, h, err
}

// readSnapshot is ReadSnapshot. With a history source, a v3 snapshot's history is read
// from it after the rest (readSnapshotV3); deferred says so, and that the source's
// release will be called once it is read.
func readSnapshot(r io.Reader, hist *historySource) (m *Model, h snapHeader, deferred bool, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, err := br.Peek(len(snapshotMagicV2)); err == nil {
		switch string(magic) {
		case snapshotMagicV5, snapshotMagicV4, snapshotMagicV3:
			magic := string(magic) // before the reads that follow reuse the buffer
			_, _ = br.Discard(len(magic))
			m, h, err := readSnapshotV3(br, hist, magic)
			return m, h, err == nil && hist != nil, err
		case snapshotMagicV2:
			_, _ = br.Discard(len(snapshotMagicV2))
			m, h, err := readSnapshotV2(br)
			return m, h, false, err
		}
		head, _ := br.Peek(64) // a later version's magic line may be longer (v10)
		if line, _, ok := strings.Cut(string(head), "\n"); ok && strings.HasPrefix(line, snapshotMagicPrefix) {
			// A later version's format: named as such, not as a damaged v1 file.
			return nil, h, false, fmt.Errorf("%w: format %s, which this version does not read (it reads v1 to v5): written by a later version",
				ErrSnapshotMismatch, strings.TrimPrefix(line, snapshotMagicPrefix[:len(snapshotMagicPrefix)-1]))
		}
	}
	m, h, err = readSnapshotV1(br)
	return m, h, false, err
}

// readSnapshotV1 builds a model from a v1 snapshot (gob).
func readSnapshotV1(br *bufio.Reader) (*Model, snapHeader, error) {
	dec := gob.NewDecoder(br)
	var h snapHeader
	if err := dec.Decode(&h); err != nil {
		return nil, h, fmt.Errorf("snapshot header: %w", err)
	}
	if h.Magic != snapshotMagic {
		return nil, h, fmt.Errorf("%w: unknown snapshot format %q", ErrSnapshotMismatch, h.Magic)
	}
	m := NewModel()
	commits := make(chan eventstore.Commit, 4096)
	var readErr error
	go func() {
		defer close(commits)
		for i := 0; i < h.Commits; i++ {
			var c snapCommit
			if err := dec.Decode(&c); err != nil {
				readErr = fmt.Errorf("snapshot commit %d of %d: %w", i+1, h.Commits, err)
				return
			}
			ec := eventstore.Commit{Seq: c.Seq, Subject: c.Subject, Key: c.Key, Time: c.Time, Events: c.Events}
			for i := range ec.Events {
				ec.Events[i].Seq, ec.Events[i].Index, ec.Events[i].Key = c.Seq, i, c.Key
			}
			commits <- ec
		}
	}()
	pipelineApply(m, commits)
	if readErr != nil {
		return nil, h, readErr
	}
	m.mu.Lock()
	m.applied = h.Applied
	m.mu.Unlock()
	return m, h, nil
}

// pipelineApply decodes commits' payloads on several goroutines and applies them in order.
func pipelineApply(m *Model, in <-chan eventstore.Commit) {
	p := newPipeline(m, func(it *pipeItem, _ *eventstore.Arena) { it.pre = predecode(it.c) }, nil)
	for c := range in {
		p.add(pipeItem{c: c})
	}
	p.close()
}

// SnapshotPath is where a data directory keeps its projections snapshot.
func SnapshotPath(dataDir string) string { return filepath.Join(dataDir, "projections.snapshot") }

// snapshotTempPattern names a snapshot being written (SaveSnapshotFile), beside the file.
const snapshotTempPattern = ".snapshot-*"

// StaleSnapshotTemp is the age past which a temporary snapshot file is taken as left by a
// process that ended while it was writing it (a save takes seconds, and a file being
// written is modified all along); SaveSnapshotFile removes such files.
const StaleSnapshotTemp = 15 * time.Minute

// SaveSnapshotFile writes the snapshot atomically (temporary file, fsync, rename). It
// first removes, as far as it can, the temporary files of saves that never finished (a
// process killed or out of memory while saving; half a gigabyte each at a million
// events), those not modified for StaleSnapshotTemp.
func (m *Model) SaveSnapshotFile(path string) (uint64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, err
	}
	// Best effort: a file that cannot be removed must not stop the save.
	_, _ = RemoveStaleSnapshotTemps(filepath.Dir(path), time.Now().Add(-StaleSnapshotTemp))
	tmp, err := os.CreateTemp(filepath.Dir(path), snapshotTempPattern)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	seq, err := m.WriteSnapshot(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return seq, os.Rename(tmp.Name(), path)
}

// RemoveStaleSnapshotTemps removes the temporary snapshot files in dir (SaveSnapshotFile's)
// last modified before cutoff, and returns their names. The snapshot itself and every
// other file are left alone.
func RemoveStaleSnapshotTemps(dir string, cutoff time.Time) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, snapshotTempPattern))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, name := range names {
		fi, err := os.Lstat(name)
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) {
			continue // gone meanwhile, not a file of ours, or still being written
		}
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("remove a stale snapshot file: %w", err)
		}
		removed = append(removed, filepath.Base(name))
	}
	return removed, nil
}

// Snapshot is a snapshot file read into a model that is not yet checked against the
// stream (ReadSnapshotFile, then Check).
type Snapshot struct {
	m *Model
	h snapHeader
	// file is the snapshot's file while the model's history is still to be read from it.
	file *os.File
}

// ReadSnapshotFile reads the snapshot at path into a model. It needs no store, so that a
// start-up can read it while the store opens; Check it against the stream before use.
// The history of a v3 snapshot is read from the file again later (readSnapshotV3), so the
// file stays open until then: a new snapshot saved meanwhile replaces the file's name,
// not what is open.
func ReadSnapshotFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	m, h, deferred, err := readSnapshot(f, &historySource{at: f, release: func() { f.Close() }})
	if !deferred {
		f.Close()
	}
	if err != nil {
		return nil, err
	}
	s := &Snapshot{m: m, h: h}
	if deferred {
		s.file = f
	}
	return s, nil
}

// Discard closes the file of a snapshot whose model is not used (it did not pass Check,
// or is Outdated); the model must not be used afterwards.
func (s *Snapshot) Discard() {
	if s.file != nil {
		s.file.Close()
	}
	s.m = nil
}

// Check returns the snapshot's model once the stream agrees with it: the commit at the
// snapshot's checkpoint must be in the stream with the same last hash. Any mismatch (a
// snapshot of another store, or of a store since replaced) is an error wrapping
// ErrSnapshotMismatch; the caller then rebuilds. Messages lost on disk before the
// checkpoint since the snapshot was written, and a rewrite that kept the checkpoint's
// commit, are not seen here: Model.CheckStream finds and records them.
func (s *Snapshot) Check(ctx context.Context, st *eventstore.Store) (*Model, error) {
	if s.h.LastSeq == 0 {
		return s.m, nil
	}
	if err := checkCheckpoint(ctx, st, s.h); err != nil {
		if !errors.Is(err, errCheckpointLost) || !s.agreesBefore(ctx, st, s.h.LastSeq) {
			return nil, err
		}
		// The checkpoint's message alone is lost (a write torn by a power cut): the
		// snapshot is the stream's up to it, and what the message held is in its history,
		// which verify shows beside the loss (Model.CheckStream records it).
	}
	if err := s.checkApplied(ctx, st); err != nil {
		return nil, err
	}
	return s.m, nil
}

// Unchecked returns the snapshot's model without checking it against a stream: what the
// snapshot recorded of the stream, for a comparison with it (thidua verify reading a
// snapshot kept aside as diverged, to name where the stream begins to differ and what it
// recorded past the stream's end). It must answer no query for users: its findings are the
// snapshot's, and its history may be another stream's.
func (s *Snapshot) Unchecked() *Model { return s.m }

// errCheckpointLost is wrapped (with ErrSnapshotMismatch) by checkCheckpoint when the
// stream holds no message at the snapshot's checkpoint but goes on to it or past it: the
// message was lost on disk, or deleted.
var errCheckpointLost = errors.New("the message at the snapshot's checkpoint is lost")

// agreesBefore reports whether the stream's last commit before seq is one the snapshot's
// history holds, event for event: then a snapshot whose checkpoint's message is lost
// still belongs to the stream. It reads the snapshot's whole history.
func (s *Snapshot) agreesBefore(ctx context.Context, st *eventstore.Store, seq uint64) bool {
	prev, err := st.StoredUpTo(ctx, seq-1)
	if err != nil || prev == 0 {
		return false
	}
	c, err := st.CommitAt(ctx, prev)
	if err != nil {
		return false
	}
	s.m.awaitPayloads()
	s.m.mu.RLock()
	defer s.m.mu.RUnlock()
	agree := true
	s.m.commitDiffers(c, false, func(string, eventstore.Ref, string) { agree = false })
	return agree
}

// Outdated returns an error wrapping ErrSnapshotOutdated when the snapshot carries the
// integrity findings of other checks than this version's (ChecksVersion): a model that
// answers with its findings (a server's, a command's) is rebuilt instead, so that this
// version's checks see every event. What it recorded of the stream still serves a
// comparison with the stream (thidua verify, which makes its checks itself). A snapshot of
// formats v1 and v2, which carry no findings at all, is outdated too: a model loaded from
// it answered without the findings only the stream's stored times show (forward-dated
// events) and saved them lost for good in its next snapshot (a review finding).
func (s *Snapshot) Outdated() error {
	switch {
	case !s.h.findings:
		return fmt.Errorf("%w: format v1 or v2, which records no integrity findings", ErrSnapshotOutdated)
	case s.h.checks == ChecksVersion:
		return nil
	case s.h.checks == 0:
		return fmt.Errorf("%w: format v3, written before the checks were versioned (this version's are %d)", ErrSnapshotOutdated, ChecksVersion)
	}
	return fmt.Errorf("%w: written under checks version %d, this version's are %d", ErrSnapshotOutdated, s.h.checks, ChecksVersion)
}

// checkCheckpoint checks that the stream holds, at the snapshot's checkpoint, the commit
// the snapshot recorded (Check).
func checkCheckpoint(ctx context.Context, st *eventstore.Store, h snapHeader) error {
	c, err := st.CommitAt(ctx, h.LastSeq)
	if err != nil {
		if !streamAnswered(err) {
			return fmt.Errorf("check the snapshot against the stream: commit %d: %w", h.LastSeq, err)
		}
		last, lerr := st.LastSeq(ctx)
		if lerr != nil {
			return fmt.Errorf("check the snapshot against the stream: %w", lerr)
		}
		if last < h.LastSeq {
			return fmt.Errorf("%w: %w: the stream ends at sequence %d, before the snapshot's checkpoint %d (last hash %s)",
				ErrSnapshotMismatch, ErrStreamDiverged, last, h.LastSeq, h.LastHash)
		}
		if errors.Is(err, eventstore.ErrNoMessage) {
			return fmt.Errorf("%w: %w: commit %d: %w", ErrSnapshotMismatch, errCheckpointLost, h.LastSeq, err)
		}
		return fmt.Errorf("%w: commit %d: %w", ErrSnapshotMismatch, h.LastSeq, err)
	}
	if c.Events[len(c.Events)-1].Hash != h.LastHash {
		return fmt.Errorf("%w: %w: the commit at sequence %d is not the one the snapshot recorded (last hash %s, now %s)",
			ErrSnapshotMismatch, ErrStreamDiverged, h.LastSeq, h.LastHash, c.Events[len(c.Events)-1].Hash)
	}
	return nil
}

// streamAnswered reports whether err, from reading the stream at a sequence, is the
// stream's own answer (no message there, or not a commit) rather than a store that did
// not answer: only the first tells anything about a snapshot.
func streamAnswered(err error) bool {
	return errors.Is(err, eventstore.ErrNoMessage) || errors.Is(err, eventstore.ErrMalformed) || errors.Is(err, eventstore.ErrUpcast)
}

// CheckSnapshotHeader reads only the header of the snapshot at path (formats v2 to v5)
// and checks its checkpoint against the stream as Check does, without loading the model,
// returning the checkpoint: an error wrapping ErrStreamDiverged when the stream no longer
// holds the history the snapshot recorded, one wrapping os.ErrNotExist when there is no
// snapshot, another when the file cannot be read (a v1 snapshot among them). thidua
// replay runs it before it replaces the snapshot, so that a rewritten stream's evidence is
// kept, as a server's start keeps it.
func CheckSnapshotHeader(ctx context.Context, path string, st *eventstore.Store) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(len(snapshotMagicV2))
	if err != nil {
		return 0, fmt.Errorf("%w: snapshot header: %v", ErrSnapshotMismatch, err)
	}
	m := string(magic)
	if m != snapshotMagicV5 && m != snapshotMagicV4 && m != snapshotMagicV3 && m != snapshotMagicV2 {
		return 0, fmt.Errorf("%w: not a v2, v3, v4 or v5 snapshot", ErrSnapshotMismatch)
	}
	_, _ = br.Discard(len(m))
	h, err := readSnapHeader(br, m)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSnapshotMismatch, err)
	}
	if h.LastSeq == 0 {
		return 0, nil
	}
	err = checkCheckpoint(ctx, st, h)
	if errors.Is(err, ErrStreamDiverged) {
		// The header has no checksum: before the stream is called rewritten, the header
		// must agree with the snapshot's own checksummed body (checkHeaderAgainstBody).
		s, rerr := ReadSnapshotFile(path)
		if rerr != nil {
			return 0, fmt.Errorf("%w: %v", ErrSnapshotMismatch, rerr)
		}
		s.Discard()
	}
	return h.LastSeq, err
}

// checkApplied checks the header's applied sequence, where the feed goes on from, which
// the header's checksum-less fields leave to the stream to confirm: it is the last
// commit's sequence, or past it only over messages that are no commits (malformed ones,
// or ones lost on disk). One damaged byte there would otherwise make the model skip, for
// good, the commits between.
func (s *Snapshot) checkApplied(ctx context.Context, st *eventstore.Store) error {
	switch {
	case s.h.Applied == s.h.LastSeq:
		return nil
	case s.h.Applied < s.h.LastSeq:
		return fmt.Errorf("%w: the header's applied sequence %d is before its last commit %d (a damaged header)", ErrSnapshotMismatch, s.h.Applied, s.h.LastSeq)
	}
	last, err := st.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("check the snapshot against the stream: %w", err)
	}
	if s.h.Applied > last {
		return fmt.Errorf("%w: the header's applied sequence %d is past the stream's last %d (a damaged header)", ErrSnapshotMismatch, s.h.Applied, last)
	}
	for seq := s.h.LastSeq + 1; seq <= s.h.Applied; seq++ {
		_, err := st.CommitAt(ctx, seq)
		if err == nil {
			return fmt.Errorf("%w: the header says sequence %d was applied, but the snapshot's last commit is %d and the stream holds a commit at %d (a damaged header)",
				ErrSnapshotMismatch, s.h.Applied, s.h.LastSeq, seq)
		}
		if !streamAnswered(err) {
			return fmt.Errorf("check the snapshot against the stream: commit %d: %w", seq, err)
		}
	}
	return nil
}

// Checkpoint returns the sequence of the last commit the snapshot holds.
func (s *Snapshot) Checkpoint() uint64 { return s.h.LastSeq }

// DivergedPrefix begins the name of the files a server keeps, beside the data
// directory's snapshot, of snapshots whose stream diverged from them (ErrStreamDiverged):
// the evidence of history gone, until an operator who has looked into it removes them.
// thidua verify names each.
const DivergedPrefix = "projections.snapshot.diverged-"

// LoadSnapshotFile reads a snapshot and checks it against the stream (ReadSnapshotFile,
// then Check and Outdated). Any mismatch (a snapshot of another store, a truncated file,
// one of other checks) is an error; the caller then rebuilds.
func LoadSnapshotFile(ctx context.Context, path string, st *eventstore.Store) (*Model, error) {
	s, err := ReadSnapshotFile(path)
	if err != nil {
		return nil, err
	}
	m, err := s.Check(ctx, st)
	if err == nil {
		err = s.Outdated()
	}
	if err != nil {
		s.Discard()
		return nil, err
	}
	return m, nil
}
