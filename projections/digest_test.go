package projections_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows/wftest"
)

// TestModelKeepsTheStreamDigest: the digest a model keeps is the README's definition
// (estest.ReferenceDigests), whichever way the model came by the stream: the live feed
// (commits the engine applied ahead of it, a message that is not a commit), a rebuild, a
// snapshot and the tail after it; one loaded without it (a rebuild bounded by time, a
// loss recorded after a snapshot) reads it from the stream; and DigestAt answers for any
// past sequence, across its marks.
func TestModelKeepsTheStreamDigest(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("U1", domain.UnitDepartment)
	// More than two marks' worth of commits, appended behind the engine's back.
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U9"}
	v := eventstore.Version{}
	for range 2100 {
		c, err := env.Store.Append(env.Ctx, ref, v, []eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"x": 1}}}, eventstore.Meta{})
		require.NoError(t, err)
		v = c.Version()
	}
	subject, _ := env.Store.Subject(eventstore.Ref{Kind: domain.KindUnit, ID: "U2"})
	_, err := env.Store.JetStream().Publish(env.Ctx, subject, []byte("{broken"))
	require.NoError(t, err)
	env.Unit("U3", domain.UnitDepartment)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	want := estest.ReferenceDigests(t, env.Store, last)

	current := func(name string, m *projections.Model, at uint64) {
		t.Helper()
		d, ok := m.Digest()
		require.True(t, ok, "%s: the digest is current", name)
		require.Equal(t, at, d.Seq, name)
		require.Equal(t, want[at], d.Hex(), name)
	}
	past := func(name string, m *projections.Model) {
		t.Helper()
		for _, seq := range []uint64{0, 1, 1023, 1024, 1025, 2047, 2048, 2049, last - 1, last} {
			d, err := m.DigestAt(env.Ctx, env.Store, seq)
			require.NoError(t, err)
			assert.Equal(t, want[seq], d.Hex(), "%s: at %d", name, seq)
		}
		_, err := m.DigestAt(env.Ctx, env.Store, last+1)
		require.ErrorIs(t, err, eventstore.ErrPastEnd, name)
	}
	current("live", env.Model, last)
	past("live", env.Model)
	rebuilt := rebuild(t, env, eventstore.ReadOptions{})
	current("rebuilt", rebuilt, last)
	past("rebuilt", rebuilt)

	// A snapshot carries it; the feed goes on from there.
	path := filepath.Join(t.TempDir(), "snap")
	_, err = rebuilt.SaveSnapshotFile(path)
	require.NoError(t, err)
	snap, err := projections.ReadSnapshotFile(path)
	require.NoError(t, err)
	loaded, err := snap.Check(env.Ctx, env.Store)
	require.NoError(t, err)
	current("loaded", loaded, last)
	past("loaded", loaded)
	env.Unit("U4", domain.UnitDepartment)
	feed, err := projections.StartFeed(env.Ctx, env.Store, loaded, nil)
	require.NoError(t, err)
	defer feed.Stop()
	last, err = env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	want = estest.ReferenceDigests(t, env.Store, last)
	current("fed after the load", loaded, last)

	// A model that was not given it reads it from the stream.
	bounded, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{UntilTime: time.Now().Add(time.Hour)}, nil)
	require.NoError(t, err)
	_, ok := bounded.Digest()
	require.False(t, ok, "a rebuild bounded by time reads decoded commits: no digest")
	d, err := bounded.DigestAt(env.Ctx, env.Store, 2049)
	require.NoError(t, err)
	assert.Equal(t, want[2049], d.Hex(), "a past digest, from the stream alone")
	require.NoError(t, bounded.FillDigest(env.Ctx, env.Store))
	current("filled", bounded, last)
	past("filled", bounded)

	// Messages the snapshot held but the stream lost: the digest from there is read again.
	rebuilt.RecordLost(1500, 1500)
	_, ok = rebuilt.Digest()
	require.False(t, ok, "a loss recorded after the fact drops the digest from there")
	d, err = rebuilt.DigestAt(env.Ctx, env.Store, 2049)
	require.NoError(t, err)
	assert.Equal(t, want[2049], d.Hex())
	require.NoError(t, rebuilt.FillDigest(env.Ctx, env.Store))
	d, ok = rebuilt.Digest()
	require.True(t, ok)
	assert.Equal(t, rebuilt.Applied(), d.Seq, "the rebuilt model had not seen the last unit")
	assert.Equal(t, want[d.Seq], d.Hex())
}
