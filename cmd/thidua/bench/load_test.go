package bench

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// TestLoadedHistoryVerifies loads a small workload as the bench does (bootstrap, the
// history's users, the bulk load with the raw baseline's companions, raw appends to them
// and to new subjects) into a real embedded store, rebuilds the projections from it, and
// finds every event's actor a registered user in its role and every chain whole: thidua
// verify passes on a bench store's events (it names the documents the synthetic dossiers
// cite, which the bench does not store).
func TestLoadedHistoryVerifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := Generate(Seed, 0.005, 5)
	clock := &simClock{start: w.Start, step: w.Step}
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(t.TempDir()), eventstore.WithSyncAlways(false),
		eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(clock.Now))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	b := &runner{wl: w, clock: clock, log: slog.New(slog.DiscardHandler)}
	require.NoError(t, b.bootstrap(ctx, st))
	ls, err := load(ctx, st, w, clock, 4, nil)
	require.NoError(t, err)
	commits, _ := w.Counts()
	require.Equal(t, commits, ls.commits)

	// The raw baseline's appends, to the companions and to new subjects, as the bench
	// measures them.
	pool := newRawPool(st, ls.companions, 700)
	_, err = rawAppends(ctx, st, "t1", 2, 2*ls.companions[0].steps, 700, pool, 0)
	require.NoError(t, err)
	_, err = rawAppends(ctx, st, "t2", 2, 20, 700, nil, 0)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(pool.subjects[0].bodies[0].data), 700)

	m, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Empty(t, m.ActorProblems(), "every actor of the history is a registered user in its role")
	assert.Empty(t, m.TransitionProblems(), "the generated histories are ones the commands make")
	assert.Empty(t, m.IntegrityProblems())
	assert.Empty(t, m.Stats().Malformed)
	assert.Len(t, m.Users(), len(w.Units)+historyReviewers+1, "the history's clerks and reviewers, and the administrator")
	rep, err := st.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems, "the raw baseline's messages are well-formed commits too")
	assert.Equal(t, rep.Commits, int(m.Stats().Commits), "the verify and the rebuild read the same messages")
}
