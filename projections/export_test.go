package projections

import (
	"context"
	"crypto/sha256"
	"io"
	"slices"
	"sync"
	"time"

	"thidua/eventstore"
)

// RebuildViaRead rebuilds through Read (the path with the envelopes decoded on the
// reading goroutine), to compare with Rebuild's raw pipeline.
func RebuildViaRead(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions) (*Model, error) {
	return rebuildRead(ctx, st, ro, nil)
}

// WriteSnapshotV1 writes the v1 (gob) snapshot format.
func (m *Model) WriteSnapshotV1(w io.Writer) (uint64, error) { return m.writeSnapshotV1(w) }

// WriteSnapshotV2 writes the v2 snapshot format (commits only).
func (m *Model) WriteSnapshotV2(w io.Writer) (uint64, error) { return m.writeSnapshotV2(w) }

// Comparable clears what differs between equal models (the wake-up channel, the caches)
// so that reflect.DeepEqual compares their state. The model is then unusable.
func Comparable(m *Model) *Model {
	m.awaitPayloads()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changed, m.rankCache, m.ahead, m.payloads, m.decodeHistory = nil, nil, nil, nil, nil
	// Where entries and packed strings were allocated differs with the path that built
	// the model; the entries themselves are compared through the aggregates.
	m.slab, m.arena, m.packBuf = nil, eventstore.Arena{}, nil
	m.keyQueue, m.keyHead = append([]keyStamp{}, m.keyQueue[m.keyHead:]...), 0
	m.live.evals, m.live.readers, m.live.epoch, m.live.dropped = nil, nil, 0, nil
	// The live rankings' bases, and the count of openings applied out of order, which
	// a snapshot's load does not apply one by one.
	m.liveBases, m.reorders, m.baseStamp, m.baseLimit = nil, 0, 0, 0
	// The order documents were first seen in depends on the order commits were applied
	// in (a command's own commit comes before the feed's earlier ones).
	m.docList, m.aggList = nil, nil
	m.capHold.Store(0)
	m.integrity.added = 0
	m.rankBufs = sync.Pool{}
	// The paths that read decoded commits (Read, snapshots before v5) have no digest until
	// FillDigest: TestModelKeepsTheStreamDigest compares it.
	m.digest, m.digestMarks, m.snapDigest = eventstore.Digest{}, nil, eventstore.Digest{}
	// Settings, not state.
	m.keyWindow, m.keyKeep, m.snapWait, m.capChunk, m.capHook, m.writeHook = 0, 0, 0, 0, nil, nil
	for _, d := range m.docs {
		d.pos = 0
	}
	// Where a key's lists are kept (inline or not) differs with the path too.
	for _, ke := range m.keys {
		ke.rec.Seqs, ke.rec.Aggregates, ke.rec.Events = slices.Clone(ke.rec.Seqs), slices.Clone(ke.rec.Aggregates), slices.Clone(ke.rec.Events)
		ke.seq1, ke.agg1, ke.ev1 = [1]uint64{}, [1]eventstore.Ref{}, [1]string{}
	}
	return m
}

// SetSnapshotWait sets how long a snapshot waits for the feed to catch up with commits
// applied ahead of it.
func SetSnapshotWait(m *Model, d time.Duration) { m.snapWait = d }

// SetCaptureChunks makes a v3 snapshot take n aggregates per hold of the read lock and
// call hook after each chunk.
func SetCaptureChunks(m *Model, n int, between func()) { m.capChunk, m.capHook = n, between }

// SetWriteHook makes a v3 snapshot call hook before it takes the states of each chunk it
// encodes, after the moment it holds the model at.
func SetWriteHook(m *Model, hook func()) { m.writeHook = hook }

// SetRankHook makes each live ranking run hook between filling the live cache and taking
// its inputs.
func SetRankHook(m *Model, hook func()) { m.rankHook = hook }

// SetRankInline sets how many evaluations a live ranking makes while it takes its inputs
// under one hold of the read lock, before it fills the cache again.
func SetRankInline(m *Model, n int) { m.rankInline = n }

// SetLiveLogLimit sets how many drops the live cache logs before it begins a new epoch
// (liveLogLimit unless set).
func SetLiveLogLimit(m *Model, n int) {
	m.live.mu.Lock()
	m.live.logLimit = n
	m.live.mu.Unlock()
}

// SetLiveBaseLimit sets how many campaigns keep a live ranking's base (liveBaseLimit
// unless set).
func SetLiveBaseLimit(m *Model, n int) {
	m.mu.Lock()
	m.baseLimit = n
	m.mu.Unlock()
}

// LiveBased reports whether the campaign's next live ranking starts from a base (the
// inputs of the one before it).
func LiveBased(m *Model, campaign string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.liveBases[campaign] != nil
}

// SetKeyRetention sets how long and how many idempotency keys the model keeps at least.
func SetKeyRetention(m *Model, window time.Duration, keep int) { m.keyWindow, m.keyKeep = window, keep }

// KeyCount returns how many idempotency keys the model remembers.
func KeyCount(m *Model) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.keys)
}

// States returns the number of current states m holds (units, nominations, campaigns), as
// StageResult.States counts them.
func States(m *Model) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.units) + len(m.noms) + len(m.camps)
}

// RecordLost records a loss as CheckStream does at its end.
func (m *Model) RecordLost(from, to uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recordLost(from, to)
}

// FeedDeliver returns what the live feed calls with each message it gets (feedBatcher).
func FeedDeliver(m *Model, st *eventstore.Store) func(eventstore.RawCommit) {
	b := &feedBatcher{m: m, st: st, onMalformed: func(me *eventstore.MalformedError, body *[sha256.Size]byte) { m.noteMalformed(me, body) }}
	return b.deliver
}
