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
// snapshot (stated only once CheckStream has compared it with the stream) and the tail
// after it; one loaded without it (a rebuild bounded by time) reads it from the stream;
// and DigestAt answers for any past sequence, across its marks.
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
	_, ok := loaded.Digest()
	require.False(t, ok, "a snapshot's digest is not stated before it is checked")
	past("loaded, not checked yet: read from the stream", loaded)
	require.ErrorIs(t, loaded.FillDigest(env.Ctx, env.Store), projections.ErrDigestUnchecked)
	res, err := loaded.CheckStream(env.Ctx, env.Store, loaded.Applied(), nil)
	require.NoError(t, err)
	require.Equal(t, projections.StreamCheck{Digest: true}, res, "the stream holds what the snapshot recorded")
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
	_, ok = bounded.Digest()
	require.False(t, ok, "a rebuild bounded by time reads decoded commits: no digest")
	d, err := bounded.DigestAt(env.Ctx, env.Store, 2049)
	require.NoError(t, err)
	assert.Equal(t, want[2049], d.Hex(), "a past digest, from the stream alone")
	require.NoError(t, bounded.FillDigest(env.Ctx, env.Store))
	current("filled", bounded, last)
	past("filled", bounded)

	// A loss recorded after the fact is a problem; the digest, which the check compared
	// with the stream, stays.
	rebuilt.RecordLost(1500, 1500)
	rebuilt.RecordLost(1500, 1501)
	var lost []string
	for _, p := range rebuilt.IntegrityProblems() {
		if p.Problem == projections.ProblemMessagesLost {
			lost = append(lost, p.Detail)
		}
	}
	require.Len(t, lost, 1, "a loss that grew from the same sequence is one problem")
	assert.Contains(t, lost[0], "1500 to 1501", "and names all of it")
}

// TestFillDigestBesideTheFeed: FillDigest reads the stream while the feed applies
// thousands of commits and a malformed message: the digest ends current and the
// reference's, and DigestAt agrees at marks and around them (a review's test).
func TestFillDigestBesideTheFeed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("U1", domain.UnitDepartment)
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U9"}
	v := eventstore.Version{}
	app := func(n int) {
		for range n {
			c, err := env.Store.Append(env.Ctx, ref, v, []eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"x": 1}}}, eventstore.Meta{})
			require.NoError(t, err)
			v = c.Version()
		}
	}
	app(3000)
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{UntilTime: time.Now().Add(time.Hour)}, nil)
	require.NoError(t, err)
	feed, err := projections.StartFeed(env.Ctx, env.Store, m, nil)
	require.NoError(t, err)
	defer feed.Stop()
	done := make(chan error, 1)
	go func() { done <- m.FillDigest(env.Ctx, env.Store) }()
	app(1500)
	subject, _ := env.Store.Subject(eventstore.Ref{Kind: domain.KindUnit, ID: "U2"})
	_, err = env.Store.JetStream().Publish(env.Ctx, subject, []byte("{broken"))
	require.NoError(t, err)
	app(1500)
	require.NoError(t, <-done)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, m, 10*time.Second))
	require.NoError(t, m.FillDigest(env.Ctx, env.Store), "what the feed applied after the first fill ended")
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	want := estest.ReferenceDigests(t, env.Store, last)
	d, ok := m.Digest()
	require.True(t, ok)
	assert.Equal(t, last, d.Seq)
	assert.Equal(t, want[d.Seq], d.Hex())
	for _, seq := range []uint64{1, 1023, 1024, 1025, 3000, 3072, 4096, 4097, last - 1, last} {
		got, err := m.DigestAt(env.Ctx, env.Store, seq)
		require.NoError(t, err)
		assert.Equal(t, want[seq], got.Hex(), "at %d", seq)
	}
}

// TestSealWaitsForTheFeed: a command's own commit, applied ahead of the feed, puts into
// the state more than the digest seals; Seal says so until the feed has delivered it and
// the digest has taken it in, while Digest and IntegrityReport go on naming the stream up
// to the feed's checkpoint.
func TestSealWaitsForTheFeed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("U1", domain.UnitDepartment)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	m := rebuild(t, env, eventstore.ReadOptions{})
	before, ok := m.Seal()
	require.True(t, ok, "a rebuilt model is the stream up to its checkpoint")

	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U9"}
	c, err := env.Store.Append(env.Ctx, ref, eventstore.Version{}, []eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"x": 1}}}, eventstore.Meta{})
	require.NoError(t, err)
	m.ApplyCommitted(c)
	_, ok = m.Seal()
	assert.False(t, ok, "a commit ahead of the feed is not sealed")
	d, ok := m.Digest()
	assert.True(t, ok)
	assert.Equal(t, before, d, "the digest still names the feed's checkpoint")
	r := m.IntegrityReport()
	assert.Equal(t, before.Seq, r.Applied)
	require.NotNil(t, r.Digest)
	assert.Equal(t, before, *r.Digest, "one report: the digest seals what it calls applied")

	m.ApplyFeed(c)
	_, ok = m.Seal()
	assert.False(t, ok, "the feed delivered it, the digest has not taken it in")
	require.NoError(t, m.FillDigest(env.Ctx, env.Store))
	after, ok := m.Seal()
	require.True(t, ok)
	assert.Equal(t, c.Seq, after.Seq)
	assert.Equal(t, estest.ReferenceDigests(t, env.Store, c.Seq)[c.Seq], after.Hex())
}
