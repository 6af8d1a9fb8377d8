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
// history's users, the bulk load) into a real embedded store, rebuilds the projections
// from it, and finds every event's actor a registered user in its role, so that thidua
// verify passes on a bench store.
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

	m, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Empty(t, m.ActorProblems(), "every actor of the history is a registered user in its role")
	rep, err := st.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Greater(t, rep.Commits, commits+len(ls.companions))
	assert.GreaterOrEqual(t, len(rep.Problems), len(ls.companions), "the companions' fixed hash does not verify")
	for _, p := range rep.Problems {
		assert.Contains(t, p.Subject, ".rawbench.", "only the raw baseline's messages (%+v)", p)
	}
	assert.Empty(t, m.Stats().Malformed)
	assert.Len(t, m.Users(), len(w.Units)+historyReviewers+1, "the history's clerks and reviewers, and the administrator")
}
