package projections

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"

	"thidua/eventstore"
)

// The model keeps the stream's digest (eventstore.Digest) as the feed delivers each
// message, in stream order, and a mark every digestEvery sequences, so that the digest
// at any past sequence is a short read of the stream away (DigestAt). A snapshot carries
// both. The digest is current when it covers every sequence the feed has applied; it
// falls behind when the model was loaded without it (a snapshot of format v4 or earlier,
// a rebuild bounded by a recorded time) or lost part of what it covered (RecordLost),
// and FillDigest then reads the stream to catch it up: until it has, the feed does not
// take messages into it.

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
// has it: false until FillDigest has caught it up (a model loaded without it).
func (m *Model) Digest() (eventstore.Digest, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.digest, m.digest.Seq == m.applied
}

// FillDigest catches the digest up with the feed's checkpoint, reading the stream from
// where the digest stands (nothing when it is current): a model loaded from a snapshot
// of format v4 or earlier reads the whole stream once. It reads outside the model's
// lock, and again for what the feed applied meanwhile, until it has caught up.
func (m *Model) FillDigest(ctx context.Context, st *eventstore.Store) error {
	for {
		m.mu.RLock()
		d, target, last := m.digest, m.applied, uint64(0)
		if n := len(m.digestMarks); n > 0 {
			last = m.digestMarks[n-1].Seq
		}
		m.mu.RUnlock()
		if d.Seq >= target {
			return nil
		}
		var marks []eventstore.Digest
		nd, err := st.DigestFrom(ctx, d, target, func(x eventstore.Digest) {
			if x.Seq >= last+digestEvery {
				marks, last = append(marks, x), x.Seq
			}
		})
		if err != nil {
			return fmt.Errorf("stream digest: %w", err)
		}
		m.mu.Lock()
		if m.digest == d {
			// Still where the read began (nothing dropped it meanwhile): a correct digest
			// up to target, current if the feed has applied nothing since.
			m.digest = nd
			m.digestMarks = append(m.digestMarks, marks...)
		}
		m.mu.Unlock()
	}
}

// DigestAt returns the stream's digest up to seq (0: the empty stream's): from the
// model's nearest digest at or before seq, reading the stream after it. A sequence past
// the stream's last is eventstore.ErrPastEnd.
func (m *Model) DigestAt(ctx context.Context, st *eventstore.Store, seq uint64) (eventstore.Digest, error) {
	m.mu.RLock()
	start := eventstore.Digest{}
	if i := sort.Search(len(m.digestMarks), func(i int) bool { return m.digestMarks[i].Seq > seq }); i > 0 {
		start = m.digestMarks[i-1]
	}
	if m.digest.Seq <= seq && m.digest.Seq > start.Seq {
		start = m.digest
	}
	m.mu.RUnlock()
	return st.DigestFrom(ctx, start, seq, nil)
}
