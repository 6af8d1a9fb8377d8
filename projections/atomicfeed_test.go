package projections_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// TestFeedAppliesAnAtomicAppendWhole: the live feed holds the messages of an atomic
// append (here a merger: the successor, the merged districts, the campaign's note of
// it, the transfers of their nominations) until its last one, then applies them under
// one hold of the lock. A second server's model never shows part of it (a review
// finding: applied one message at a time, a grant made between the campaign's note and
// the transfers recorded a ranking, and a ranking_seq inside the append, that no replay
// gives: both districts' nominations recommended, where the replay withholds one).
func TestFeedAppliesAnAtomicAppendWhole(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	ctx := env.Ctx
	reviewer := env.User(domain.RoleReviewer, "")
	mg := mergeTwoDistricts(t, env)
	deliver := projections.FeedDeliver(mg.other.Model, env.Store)
	other, before, end := mg.other, mg.before, mg.end

	stream, err := env.Store.JetStream().Stream(ctx, env.Store.StreamName())
	require.NoError(t, err)
	// raw is the message as TailRaw delivers it, with the stream's last sequence then.
	raw := func(seq uint64) eventstore.RawCommit {
		m, err := stream.GetMsg(ctx, seq)
		require.NoError(t, err)
		last, err := env.Store.LastSeq(ctx)
		require.NoError(t, err)
		return eventstore.RawCommit{Seq: seq, Subject: m.Subject, Time: m.Time, Data: m.Data,
			Batch: m.Header.Get(jetstreamext.BatchIDHeader), BatchEnd: m.Header.Get(jetstreamext.BatchCommitHeader) != "",
			Pending: last - seq}
	}
	ranked := func(m *projections.Model, b projections.Bound) []domain.RankingRef {
		r, err := m.Ranking(wftest.Campaign, b)
		require.NoError(t, err)
		return r.Relied(domain.NomineeCollective)
	}
	atBefore := ranked(env.Model, projections.Bound{Seq: before})
	atEnd := ranked(env.Model, projections.Bound{Seq: end})
	require.NotEqual(t, atBefore, atEnd, "the merger withholds one of the districts' nominations")

	for seq := before + 1; seq < end; seq++ {
		deliver(raw(seq))
		require.Equal(t, before, other.Model.Applied(), "after message %d of %d..%d", seq, before+1, end)
		require.Equal(t, atBefore, ranked(other.Model, projections.Bound{}), "the live ranking after message %d", seq)
	}
	deliver(raw(end))
	require.Equal(t, end, other.Model.Applied())
	require.Equal(t, atEnd, ranked(other.Model, projections.Bound{}))

	// An append whose last message never comes (lost on disk): the next message of no
	// append brings what came of it, then itself; the lost one is reported lost.
	third, err := projections.Rebuild(ctx, env.Store, eventstore.ReadOptions{Until: before}, nil)
	require.NoError(t, err)
	deliverThird := projections.FeedDeliver(third, env.Store)
	env.Fact(reviewer, "D3", domain.FactRecordedData{Fact: domain.FactLateDossiers, Number: wftest.Num(0)})
	next, err := env.Store.LastSeq(ctx)
	require.NoError(t, err)
	require.Equal(t, end+1, next)
	require.Empty(t, raw(next).Batch, "a fact is a message of no append")
	for seq := before + 1; seq < end; seq++ {
		deliverThird(raw(seq))
	}
	require.Equal(t, before, third.Applied())
	deliverThird(raw(next))
	require.Equal(t, next, third.Applied())
	// An append's message with nothing stored after it (nats-server, its store full,
	// kept the first message of an append) is applied at once: the rest will not come.
	fourth, err := projections.Rebuild(ctx, env.Store, eventstore.ReadOptions{Until: before}, nil)
	require.NoError(t, err)
	first := raw(before + 1)
	require.NotEmpty(t, first.Batch)
	first.Pending = 0
	projections.FeedDeliver(fourth, env.Store)(first)
	require.Equal(t, before+1, fourth.Applied())
	lost := false
	for _, p := range third.IntegrityProblems() {
		lost = lost || p.Problem == projections.ProblemMessagesLost
	}
	require.True(t, lost, "message %d reported lost: %+v", end, third.IntegrityProblems())
}

// TestVerifySettlesAGrantsRankingSeq: a grant recorded on a server whose model held part
// of a merger's append (as the feed could before it applied appends whole) names a
// ranking_seq inside the append, and a ranking no replay gives. GrantProblems, replaying
// the sequence as it is, sees the same half-applied state and passes it;
// GrantProblemsSettled, which `thidua verify` runs, takes the sequence to the append's
// end, as `--at seq:N` does, and reports it.
func TestVerifySettlesAGrantsRankingSeq(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	ctx := env.Ctx
	council := env.User(domain.RoleCouncil, "")
	mg := mergeTwoDistricts(t, env)
	other, before, end, n3 := mg.other, mg.before, mg.end, mg.d3
	var note uint64 // the campaign's note of the merger, before the transfers
	for s := before + 1; s <= end; s++ {
		c, err := env.Store.CommitAt(ctx, s)
		require.NoError(t, err)
		if c.Events[0].Aggregate.Kind == domain.KindCampaign {
			note = s
		}
	}
	require.True(t, note > before && note < end)
	other.Feed(note) // part of the append, one commit at a time
	g, err := other.Svc.GrantAward(ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: n3, Decision: "QĐ 5"}, workflows.Options{})
	require.NoError(t, err)
	require.NoError(t, projections.WaitCaughtUp(ctx, env.Store, env.Model, 5*time.Second))
	aw, err := env.Model.Award(g.ID)
	require.NoError(t, err)
	require.Equal(t, note, aw.RankingSeq, "the grant names a sequence inside the append")

	m := rebuild(t, env, eventstore.ReadOptions{})
	require.Empty(t, m.GrantProblems(), "replayed as it is, the half-applied state agrees with itself")
	ps := m.GrantProblemsSettled(func(seq uint64) (uint64, error) { return env.Store.SettledSeq(ctx, seq) })
	require.Len(t, ps, 1)
	require.Equal(t, projections.ProblemGrantRanking, ps[0].Problem)
	require.Contains(t, ps[0].Detail, "inside an atomic append")
}

// mergedDistricts is what mergeTwoDistricts made.
type mergedDistricts struct {
	// other is a second server of a cluster, its model fed by hand up to before.
	other *wftest.Lagging
	// before is the stream's last sequence before the merger's append, end after it.
	before, end uint64
	// d3 is the eligible collective nomination of a third unit, D3, not merged.
	d3 string
}

// mergeTwoDistricts makes three eligible collective nominations (of districts D1 and D2,
// and of department D3), a second server fed up to them, and then the merger of D1 and D2
// into a new district M, one atomic append of several messages.
func mergeTwoDistricts(t *testing.T, env *wftest.Env) mergedDistricts {
	t.Helper()
	reviewer := env.User(domain.RoleReviewer, "")
	env.EligibleCollective("D1", domain.UnitDistrict, reviewer, 81)
	env.EligibleCollective("D2", domain.UnitDistrict, reviewer, 85)
	d3, _ := env.EligibleCollective("D3", domain.UnitDepartment, reviewer, 90)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	mg := mergedDistricts{other: env.Lagging(), d3: d3}
	var err error
	mg.before, err = env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	env.Advance(time.Hour)
	env.OK(env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{
		Kind: "merge", Sources: []string{"D1", "D2"}, Successor: "M", SuccessorName: "UBND M",
		SuccessorKind: domain.UnitDistrict, Effective: "2025-09-20", Decision: "NQ 1/2025",
	}, workflows.Options{}))
	mg.end, err = env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	require.Greater(t, mg.end, mg.before+2, "the merger is one atomic append of several messages")
	return mg
}
