package projections_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/projections"
)

func TestReadStageGoesAsFarAsAsked(t *testing.T) {
	t.Parallel()
	env, _ := province(t)
	// A broken message: read, counted as a commit, not decoded.
	subject, _ := env.Store.Subject(eventstore.Ref{Kind: "unit", ID: "D9"})
	_, err := env.Store.JetStream().Publish(env.Ctx, subject, []byte("{broken"))
	require.NoError(t, err)
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	full, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	stats := full.Stats()
	require.Len(t, stats.Malformed, 1)

	for _, tc := range []struct {
		stage  projections.Stage
		states int
	}{
		{projections.StageDecode, 0},
		{projections.StageFold, projections.States(full)},
	} {
		t.Run(string(tc.stage), func(t *testing.T) {
			t.Parallel()
			res, err := projections.ReadStage(env.Ctx, env.Store, eventstore.ReadOptions{}, tc.stage)
			require.NoError(t, err)
			assert.Equal(t, int(last), res.Commits, "every message is read")
			assert.Equal(t, stats.Events, res.Events, "the same events as the rebuild")
			assert.Equal(t, tc.states, res.States)
			assert.Positive(t, res.Events)
		})
	}
	// Part of the stream: up to a sequence.
	res, err := projections.ReadStage(env.Ctx, env.Store, eventstore.ReadOptions{Until: 5}, projections.StageFold)
	require.NoError(t, err)
	assert.Equal(t, 5, res.Commits)
	assert.Less(t, res.States, projections.States(full))
}

func TestReadStageRefusesWhatItCannotDo(t *testing.T) {
	t.Parallel()
	env, _ := province(t)
	_, err := projections.ReadStage(env.Ctx, env.Store, eventstore.ReadOptions{}, "everything")
	require.ErrorIs(t, err, projections.ErrUnknownStage)
	assert.ErrorContains(t, err, `"everything"`)
	_, err = projections.ReadStage(env.Ctx, env.Store, eventstore.ReadOptions{UntilTime: time.Now()}, projections.StageDecode)
	require.ErrorIs(t, err, eventstore.ErrRawUntilTime)
}
