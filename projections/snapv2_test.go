package projections_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows/wftest"
)

// TestV2SnapshotIsRebuilt: a snapshot of format v2 (commits only, no integrity findings)
// of a stream holding a forward-dated event is outdated: a server rebuilds rather than
// answer from it. Before, it loaded, every answer said ok where a rebuild says broken, and
// the next snapshot saved the loss for good.
func TestV2SnapshotIsRebuilt(t *testing.T) {
	t.Parallel()
	env, _, m := forwardDated(t, "V2A", "V2B")
	path := filepath.Join(t.TempDir(), "projections.snapshot")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = m.WriteSnapshotV2(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s, err := projections.ReadSnapshotFile(path)
	require.NoError(t, err, "it still reads, for verify's comparison")
	assert.ErrorIs(t, s.Outdated(), projections.ErrSnapshotOutdated)
	s.Discard()
	_, err = projections.LoadSnapshotFile(env.Ctx, path, env.Store)
	assert.ErrorIs(t, err, projections.ErrSnapshotOutdated)
}

// forwardDated registers unit ahead through a process whose clock ran two hours ahead (an
// event recorded hours after JetStream stored it: forward_dated), then unit after with the
// clock back, and returns the env, ahead's ref and a rebuild, which flags it.
func forwardDated(t *testing.T, ahead, after string) (*wftest.Env, eventstore.Ref, *projections.Model) {
	t.Helper()
	env := wftest.New(t, srv)
	early := time.Now().Add(2 * time.Hour)
	env.Now.Store(&early)
	env.Unit(ahead, domain.UnitDepartment)
	back := time.Now()
	env.Now.Store(&back)
	env.Unit(after, domain.UnitDepartment)
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: ahead}
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	require.Equal(t, projections.IntegrityBroken, m.Integrity(ref, projections.Bound{}).Status, "the rebuild flags it")
	return env, ref, m
}
