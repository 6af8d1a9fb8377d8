package projections

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"

	"thidua/eventstore"
)

// The model keeps the stream's digest (eventstore.Digest) as the feed delivers each
// message, in stream order, and a mark every digestEvery sequences, so that the digest
// at any past sequence is a short read of the stream away (DigestAt). A snapshot carries
// both. The digest is current when it covers every sequence the feed has applied; it
// falls behind when the model was loaded without it (a snapshot of format v4 or earlier,
// a rebuild bounded by a recorded time), and FillDigest then reads the stream to catch it
// up: until it has, the feed does not take messages into it.
//
// A snapshot's digest is what the stream held when the snapshot was written: the stream
// may have been rewritten since, its length and checkpoint kept, or have lost messages on
// disk. It is not stated (Digest, DigestAt) until CheckStream has compared it with the
// stream, and what the comparison does not confirm is dropped and read again.

// digestEvery is the distance, in stream sequences, between the digests the model marks.
const digestEvery = 1024

// chain takes the message at seq, with its subject and the SHA-256 of its body, into the
// digest when the digest covers everything the feed applied before it. The caller holds
// the write lock and calls it before advance(seq).
func (m *Model) chain(seq uint64, subject string, body [sha256.Size]byte) {
	if seq <= m.applied || m.digest.Seq != m.applied {
		return
	}
	m.digest = m.digest.Next(seq, subject, body)
	m.digestMarks = addMark(m.digestMarks, m.digest)
}

// skipDigest moves a current digest over sequences the stream does not hold (lost on
// disk), up to seq; the caller holds the write lock and calls it before moving applied.
func (m *Model) skipDigest(seq uint64) {
	if m.digest.Seq == m.applied && seq > m.digest.Seq {
		m.digest.Seq = seq
	}
}

// dropDigestFrom forgets what the digest and its marks covered from seq on (the stream no
// longer holds what the model applied there); the caller holds the write lock.
func (m *Model) dropDigestFrom(seq uint64) {
	i := sort.Search(len(m.digestMarks), func(i int) bool { return m.digestMarks[i].Seq >= seq })
	m.digestMarks = m.digestMarks[:i:i]
	if m.digest.Seq >= seq {
		m.digest = eventstore.Digest{}
		if i > 0 {
			m.digest = m.digestMarks[i-1]
		}
	}
}

// addMark appends d to marks when it lies digestEvery sequences or more past the last.
func addMark(marks []eventstore.Digest, d eventstore.Digest) []eventstore.Digest {
	last := uint64(0)
	if len(marks) > 0 {
		last = marks[len(marks)-1].Seq
	}
	if d.Seq >= last+digestEvery {
		marks = append(marks, d)
	}
	return marks
}

// Digest returns the stream's digest up to the feed's checkpoint, and whether the model
// has it: false until FillDigest has caught it up (a model loaded without it), and for a
// snapshot's until CheckStream has compared it with the stream.
func (m *Model) Digest() (eventstore.Digest, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.digestLocked()
}

// Seal returns the stream's digest when the model's state is exactly the stream up to
// the digest's sequence: as Digest, but false too while a commit is applied ahead of the
// feed (a command's own, ApplyCommitted), since the state then holds more than the
// digest seals. A page gathered from several reads is sealed by the digest when Seal
// gives the same sequence before and after the reads: nothing was applied between.
func (m *Model) Seal() (eventstore.Digest, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.digestLocked()
	return d, ok && m.lastSeq <= m.applied
}

// Settled returns the last sequence up to which the model holds every commit of the
// stream: the feed's checkpoint and the commits applied ahead of it without a gap. A
// page gathered from several reads as of it (Bound{Seq: Settled()}) shows the stream as
// it was up to it, whatever is applied meanwhile.
func (m *Model) Settled() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.prefixSeq()
}

// digestLocked is Digest under the caller's lock.
func (m *Model) digestLocked() (eventstore.Digest, bool) {
	return m.digest, m.snapDigest.Seq == 0 && m.digest.Seq == m.applied
}

// FillDigest catches the digest up with the feed's checkpoint, reading the stream from
// where the digest stands (nothing when it is current): a model loaded from a snapshot
// of format v4 or earlier reads the whole stream once. It reads outside the model's
// lock, and again for what the feed applied meanwhile, until it has caught up.
func (m *Model) FillDigest(ctx context.Context, st *eventstore.Store) error {
	for {
		m.mu.RLock()
		if m.snapDigest.Seq != 0 {
			m.mu.RUnlock()
			return ErrDigestUnchecked
		}
		d, target := m.digest, m.applied
		// The new marks, after the model's last, which spaces them (addMark).
		marks := m.digestMarks[max(len(m.digestMarks)-1, 0):]
		seeded := len(marks)
		m.mu.RUnlock()
		if d.Seq >= target {
			return nil
		}
		marks = slices.Clip(marks) // appends go to a copy, not into the model's list
		nd, err := st.DigestFrom(ctx, d, target, func(x eventstore.Digest) { marks = addMark(marks, x) })
		if err != nil {
			return fmt.Errorf("stream digest: %w", err)
		}
		m.mu.Lock()
		if m.digest == d {
			// Still where the read began (nothing dropped it meanwhile): a correct digest
			// up to target, current if the feed has applied nothing since.
			m.digest = nd
			m.digestMarks = append(m.digestMarks, marks[seeded:]...)
		}
		m.mu.Unlock()
	}
}

// ErrDigestUnchecked is returned by FillDigest for a model whose snapshot's digest
// CheckStream has not compared with the stream yet.
var ErrDigestUnchecked = errors.New("the snapshot's stream digest is not checked against the stream yet")

// DigestAt returns the stream's digest up to seq (0: the empty stream's): from the
// model's nearest digest at or before seq, reading the stream after it (from the start,
// while a snapshot's digest is not checked). A sequence past the stream's last is
// eventstore.ErrPastEnd.
func (m *Model) DigestAt(ctx context.Context, st *eventstore.Store, seq uint64) (eventstore.Digest, error) {
	m.mu.RLock()
	start := eventstore.Digest{}
	if m.snapDigest.Seq == 0 {
		if i := sort.Search(len(m.digestMarks), func(i int) bool { return m.digestMarks[i].Seq > seq }); i > 0 {
			start = m.digestMarks[i-1]
		}
		if m.digest.Seq <= seq && m.digest.Seq > start.Seq {
			start = m.digest
		}
	}
	m.mu.RUnlock()
	return st.DigestFrom(ctx, start, seq, nil)
}

// StreamCheck is what CheckStream found.
type StreamCheck struct {
	// Lost counts the runs of sequences the stream no longer holds (recorded as lost).
	Lost int
	// DiffersFrom and DiffersTo bound the first stretch where the stream holds other
	// messages than the snapshot recorded (0, 0: none), to within the digest's marks.
	DiffersFrom, DiffersTo uint64
	// Digest tells whether the snapshot carried the stream's digest, so that the messages
	// were compared, not only counted.
	Digest bool
}

// stretchDiffers compares the messages the stream holds from from to to, one by one, with
// what the model's history holds at their sequences (commitDiffers, with their contents),
// and returns the sequence of the first that differs (0: none). CheckStream asks it for a
// stretch between two of the digest's marks where a loss explains the digest's difference:
// the digest cannot tell whether the stretch's other messages were rewritten as well.
func (m *Model) stretchDiffers(ctx context.Context, st *eventstore.Store, from, to uint64) (uint64, error) {
	m.awaitPayloads()
	first := uint64(0)
	found := func(seq uint64) {
		if first == 0 || seq < first {
			first = seq
		}
	}
	// The aggregate whose events the model holds at each sequence of the stretch (no
	// index has them by sequence: a walk of every aggregate, done only here).
	held := map[uint64]eventstore.Ref{}
	m.mu.RLock()
	for _, a := range m.aggList {
		i := sort.Search(len(a.Entries), func(i int) bool { return a.Entries[i].Rec.Seq >= from })
		for ; i < len(a.Entries) && a.Entries[i].Rec.Seq <= to; i++ {
			held[a.Entries[i].Rec.Seq] = a.Ref
		}
	}
	m.mu.RUnlock()
	_, err := st.Read(ctx, eventstore.ReadOptions{From: from, Until: to, Raw: true,
		OnRaw: func(rc eventstore.RawCommit) {
			// A message now on another aggregate's subject than the events the model holds
			// there (its events are then compared as the other aggregate's, below).
			if h, ok := held[rc.Seq]; ok {
				if ref, _ := refOfSubject(rc.Subject); ref != h {
					found(rc.Seq)
				}
			}
		},
		OnMalformed: func(me *eventstore.MalformedError) {
			// Not a commit now, where the model holds one.
			if _, ok := held[me.Seq]; ok {
				found(me.Seq)
			}
		}},
		func(c eventstore.Commit) error {
			m.mu.RLock()
			defer m.mu.RUnlock()
			m.commitDiffers(c, true, func(string, eventstore.Ref, string) { found(c.Seq) })
			return nil
		})
	return first, err
}

// CheckStream reads the stream up to until, the sequence a snapshot brought the model to,
// and checks it against what the model holds of it without having read it. Each run of
// sequences the stream no longer holds that the model had not recorded as lost is told
// to lost (if given) as the read finds it, and recorded (ProblemMessagesLost, replacing
// the pieces of it recorded before) when the read ends. When the snapshot
// carried the stream's digest (format v5), the read computes the digest and compares it
// with each of the snapshot's marks and with its digest. A difference that a loss found
// since the last matching mark explains (one the snapshot had not recorded: its digest
// held the message) drops the digest from there, and the comparison goes on from the
// snapshot's own mark, while the stretch's other messages are compared with the model's
// history event by event (stretchDiffers); the first one no such loss explains is the
// stream holding other messages than the snapshot recorded (rewritten since, its length
// and checkpoint kept), recorded as ProblemHistoryDiffers on the stream. The digest dropped is FillDigest's to
// read again; the rest is stated from then on. Without a digest the check reads the
// messages' headers only.
func (m *Model) CheckStream(ctx context.Context, st *eventstore.Store, until uint64, lost func(from, to uint64)) (StreamCheck, error) {
	var res StreamCheck
	lossTo := uint64(0) // the end of the last loss not in the snapshot's record
	type run struct{ from, to uint64 }
	var runs []run  // recorded with the digest's drop, under one hold of the lock
	var known []run // the losses the model had recorded: its digest never held them
	m.mu.RLock()
	for _, p := range m.integrity.broken[streamRef()] {
		if p.Problem == ProblemMessagesLost {
			from, to := p.lostRun()
			known = append(known, run{from, to})
		}
	}
	m.mu.RUnlock()
	// knownRun reports whether every sequence from from to to is in a known loss (one
	// run may have been recorded in pieces: the end of a rebuild, then the feed).
	knownRun := func(from, to uint64) bool {
		for s := from; s <= to; {
			i := slices.IndexFunc(known, func(r run) bool { return r.from <= s && s <= r.to })
			if i < 0 {
				return false
			}
			s = known[i].to + 1
		}
		return true
	}
	record := func(from, to uint64) {
		res.Lost++
		runs = append(runs, run{from, to})
		if knownRun(from, to) {
			return
		}
		lossTo = to // the snapshot's digest may hold those messages
		if lost != nil {
			lost(from, to)
		}
	}
	m.mu.RLock()
	want := m.snapDigest
	i := sort.Search(len(m.digestMarks), func(i int) bool { return m.digestMarks[i].Seq >= want.Seq })
	marks := m.digestMarks[:i:i]
	m.mu.RUnlock()
	if want.Seq == 0 {
		if until == 0 {
			return res, nil
		}
		err := st.Gaps(ctx, until, record)
		m.mu.Lock()
		for _, r := range runs {
			m.recordLost(r.from, r.to)
		}
		m.mu.Unlock()
		return res, err
	}
	res.Digest = true
	if want.Seq > until {
		return res, fmt.Errorf("stream check: the snapshot's digest covers sequence %d, past its checkpoint %d", want.Seq, until)
	}
	marks = append(marks, want) // the last to compare
	var d eventstore.Digest
	next, k, prev := uint64(1), 0, uint64(0)
	dropFrom := uint64(0)
	var explained []run // stretches whose difference a loss explains, compared event by event below
	differs := func(at uint64, markLost bool) {
		if dropFrom == 0 {
			dropFrom = prev + 1
		}
		if lossTo <= prev && !markLost {
			res.DiffersFrom, res.DiffersTo = prev+1, at
			return
		}
		// Explained by a loss found since the last mark that matched: go on from the
		// snapshot's own mark, so that a rewrite further on is still found. The loss
		// explains the digest's difference, not the stretch's other messages: they are
		// compared with the model's history once the read is done.
		if n := len(explained); n > 0 && explained[n-1].to == prev {
			explained[n-1].to = at // one read for a loss over several marks
		} else {
			explained = append(explained, run{prev + 1, at})
		}
		d, prev = marks[k], at
	}
	compare := func(seq uint64) {
		for k < len(marks) && marks[k].Seq <= seq && res.DiffersFrom == 0 {
			at := marks[k].Seq
			if at == seq && marks[k].Sum != d.Sum || at < seq {
				differs(at, at < seq)
			} else {
				prev = at
			}
			k++
		}
	}
	_, err := st.ReadRaw(ctx, eventstore.ReadOptions{Until: until}, func(rc eventstore.RawCommit) error {
		if rc.Seq > next {
			record(next, rc.Seq-1)
		}
		next = rc.Seq + 1
		compare(rc.Seq - 1)
		d = d.Next(rc.Seq, rc.Subject, eventstore.BodySum(rc.Data))
		compare(rc.Seq)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("stream check: %w", err)
	}
	if next <= until {
		record(next, until)
	}
	compare(until)
	for _, r := range explained {
		if res.DiffersFrom != 0 && res.DiffersFrom < r.from {
			break
		}
		at, err := m.stretchDiffers(ctx, st, r.from, r.to)
		if err != nil {
			return res, fmt.Errorf("stream check: %w", err)
		}
		if at != 0 {
			res.DiffersFrom, res.DiffersTo = at, r.to
			break
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range runs {
		m.recordLost(r.from, r.to)
	}
	if dropFrom != 0 {
		if res.DiffersTo != 0 {
			m.integrity.add(streamRef(), IntegrityProblem{Seq: res.DiffersFrom, Aggregate: streamRef(), Problem: ProblemHistoryDiffers,
				Detail: fmt.Sprintf("the stream holds other messages between sequences %d and %d than the snapshot recorded of it: rewritten since, its length kept; thidua verify names each event rewritten (a commit's other fields, its idempotency key or its answer, belong to no event)", res.DiffersFrom, res.DiffersTo)})
			m.lateProblems++
			m.live.clear()
			clear(m.rankCache)
		}
		m.dropDigestFrom(dropFrom)
	}
	m.snapDigest = eventstore.Digest{}
	return res, nil
}
