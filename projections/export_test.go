package projections

import (
	"context"
	"io"

	"thidua/eventstore"
)

// RebuildViaRead rebuilds through Read (the path with the envelopes decoded on the
// reading goroutine), to compare with Rebuild's raw pipeline.
func RebuildViaRead(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions) (*Model, error) {
	return rebuildRead(ctx, st, ro, nil)
}

// WriteSnapshotV1 writes the v1 (gob) snapshot format.
func (m *Model) WriteSnapshotV1(w io.Writer) (uint64, error) { return m.writeSnapshotV1(w) }

// Comparable clears what differs between equal models (the wake-up channel, the caches)
// so that reflect.DeepEqual compares their state. The model is then unusable.
func Comparable(m *Model) *Model {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changed, m.rankCache, m.ahead = nil, nil, nil
	m.live.evals, m.live.readers = nil, nil
	return m
}
