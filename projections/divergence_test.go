package projections_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// The tests of this file come from a differential test of the answers the engine gives
// by its several paths (live, rebuilt, from a snapshot, as of a past moment, thidua
// verify's): each is a case where two of them differed.

// withoutC05 is the campaign's next version, without criterion C05.
func withoutC05(t *testing.T, m *projections.Model) domain.Definition {
	t.Helper()
	cv, err := m.Campaign(wftest.Campaign)
	require.NoError(t, err)
	def := cv.Definition
	def.Version++
	def.Criteria = slices.DeleteFunc(slices.Clone(def.Criteria), func(c domain.Criterion) bool { return c.ID == "C05" })
	return def
}

// sameVerdicts asserts that every model says the same of nomination id: eligible or not,
// its integrity findings, and the number of integrity problems; and that thidua verify's
// check finds the same transitions wrong.
func sameVerdicts(t *testing.T, id string, want bool, models map[string]*projections.Model) {
	t.Helper()
	for name, m := range models {
		el, err := m.Eligibility(id, projections.Bound{})
		require.NoError(t, err, name)
		assert.Equal(t, want, el.Eligible, "%s: %+v", name, el.Reasons)
		assert.Zero(t, m.IntegrityCount(), "%s: %+v", name, m.IntegrityProblems())
		assert.Empty(t, m.TransitionProblems(), name)
	}
}

// TestRulingBeforeARevisionAppliedAfterIt: a ruling on C05 another server recorded just
// before this server's revision dropped C05, which this server applied first (its own
// commit, ahead of its feed). The live model judged the ruling by the later definition and
// called it forged (integrity_broken, the nomination out of the ranking, in its snapshot
// too), where a rebuild and verify judge it by the definition in force at it.
func TestRulingBeforeARevisionAppliedAfterIt(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	id, _ := env.EligibleCollective("D1", domain.UnitDistrict, reviewer, 90)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	a, b := env.Lagging(), env.Lagging()

	env.Advance(time.Minute)
	env.OK(b.Svc.Rule(env.Ctx, reviewer, id, "C05", workflows.RuleInput{Result: "met", Note: "đạt (xác nhận lại)"}, workflows.Options{}))
	env.Advance(time.Minute)
	env.OK(a.Svc.LaunchCampaign(env.Ctx, env.Admin, withoutC05(t, a.Model), workflows.Options{}))
	a.Feed(0) // the ruling, below the revision A applied first

	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "snap")
	_, err = a.Model.SaveSnapshotFile(path)
	require.NoError(t, err)
	loaded, err := projections.LoadSnapshotFile(env.Ctx, path, env.Store)
	require.NoError(t, err)
	sameVerdicts(t, id, true, map[string]*projections.Model{"live": a.Model, "rebuilt": rebuilt, "from the snapshot": loaded})
}

// rulingAfterARevision sets two servers on one stream: B, with its feed, drops C05 from
// the campaign; then A, whose feed lags, rules on C05 of an eligible nomination, as the
// definition it holds allows. It returns B's environment (the stream, its model, its
// service), the nomination, the reviewer, and server A.
func rulingAfterARevision(t *testing.T) (*wftest.Env, string, workflows.Principal, *wftest.Lagging) {
	t.Helper()
	env := wftest.New(t, srv) // server B, with its feed
	reviewer := env.User(domain.RoleReviewer, "")
	id, _ := env.EligibleCollective("D1", domain.UnitDistrict, reviewer, 90)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	a := env.Lagging()

	env.Advance(time.Minute)
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, withoutC05(t, env.Model), workflows.Options{}))
	env.Advance(time.Minute)
	env.OK(a.Svc.Rule(env.Ctx, reviewer, id, "C05", workflows.RuleInput{Result: "met", Note: "đạt (xác nhận lại)"}, workflows.Options{}))
	return env, id, reviewer, a
}

// TestRulingDecidedOnTheDefinitionBeforeARevision: server B drops C05; server A, whose
// feed has not brought the revision yet, rules on C05 as the definition it holds allows.
// The ruling is honest: a rebuild and verify called it forged, and disagreed with A's live
// model, which had checked it against the definition it decided on.
func TestRulingDecidedOnTheDefinitionBeforeARevision(t *testing.T) {
	t.Parallel()
	env, id, reviewer, a := rulingAfterARevision(t)
	a.Feed(0)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	sameVerdicts(t, id, true, map[string]*projections.Model{"server A": a.Model, "server B": env.Model, "rebuilt": rebuilt})

	// Now that A holds the revision, its command refuses another ruling on C05.
	env.Advance(time.Minute)
	_, err = a.Svc.Rule(env.Ctx, reviewer, id, "C05", workflows.RuleInput{Result: "met", Note: "lần nữa"}, workflows.Options{})
	require.Error(t, err, "the command itself refuses it now")
}

// TestConcurrentOpeningsListInStreamOrder: nominations opened at once, each applied by
// its command ahead of the feed, were listed in the order they were applied, not that of
// the stream: the live model, another server and a rebuild paged through them otherwise.
func TestConcurrentOpeningsListInStreamOrder(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	const units = 12
	clerks := make([]workflows.Principal, units)
	for i := range units {
		u := fmt.Sprintf("U%d", i)
		env.Unit(u, domain.UnitDistrict)
		clerks[i] = env.User(domain.RoleClerk, u)
	}
	done := make(chan error, units)
	for i := range units {
		go func() {
			var err error
			for j := 0; j < 4 && err == nil; j++ {
				n := domain.Nominee{Kind: domain.NomineeIndividual, Name: fmt.Sprintf("Người %d %d", i, j), Position: "Chuyên viên"}
				_, err = env.Svc.OpenNomination(env.Ctx, clerks[i], wftest.Campaign, workflows.OpenNominationInput{Unit: clerks[i].Unit, Nominee: n}, workflows.Options{})
			}
			done <- err
		}()
	}
	for range units {
		require.NoError(t, <-done)
	}
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	ids := func(m *projections.Model) []string {
		l, _, err := m.Nominations(wftest.Campaign, projections.NominationFilter{Limit: 500})
		require.NoError(t, err)
		out := make([]string, 0, len(l))
		for _, v := range l {
			out = append(out, v.ID)
		}
		return out
	}
	live := ids(env.Model)
	require.Len(t, live, units*4)
	assert.Equal(t, ids(rebuilt), live)
}

// TestCampaignTrailKeepsTheZoneOfItsTime: the campaign's trail as of a moment before a
// revision of its time zone showed the deadline in the later zone, where a rebuild of the
// stream up to that moment shows it in the zone of then.
func TestCampaignTrailKeepsTheZoneOfItsTime(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	closes := time.Date(2025, 10, 1, 17, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	k := env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, closes, workflows.Options{})).Seq
	cv, err := env.Model.Campaign(wftest.Campaign)
	require.NoError(t, err)
	def := cv.Definition
	def.Version++
	def.Timezone = "UTC"
	env.Advance(time.Hour)
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	prefix, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{Until: k}, nil)
	require.NoError(t, err)
	want, err := prefix.CampaignEvents(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	for _, b := range []projections.Bound{{Seq: k}, {}} {
		got, err := env.Model.CampaignEvents(wftest.Campaign, b)
		require.NoError(t, err)
		for i := range want {
			assert.Equal(t, want[i].SummaryEN, got[i].SummaryEN, "bound %+v, %s", b, want[i].Type)
			assert.Equal(t, want[i].SummaryVI, got[i].SummaryVI, "bound %+v, %s", b, want[i].Type)
		}
	}
	assert.Contains(t, want[len(want)-1].SummaryEN, "17:00 +07:00")
}

// TestLossMetByTheFeedDropsTheLiveEvaluations: the feed goes past a sequence the stream
// no longer holds (a message lost on disk) and records the loss, on which every answer
// relies; the live evaluations cached before it were kept, so the live ranking went on
// listing as eligible what every fresh evaluation called integrity_broken.
func TestLossMetByTheFeedDropsTheLiveEvaluations(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.EligibleCollective("L1", domain.UnitDistrict, reviewer, 80)
	env.EligibleCollective("L2", domain.UnitDistrict, reviewer, 70)
	env.Unit("L3", domain.UnitDistrict)
	env.Unit("L4", domain.UnitDistrict)
	lost := env.Fact(reviewer, "L3", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(50)}).Seq
	env.Fact(reviewer, "L4", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(51)}) // another aggregate's: its chain is whole
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	cs := commitsFrom(t, env, 0)

	m := projections.NewModel()
	for _, c := range cs[:lost-1] {
		m.ApplyFeed(c)
	}
	before, _, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.Len(t, before.Collective.Entries, 2, "cached: both eligible")
	for _, c := range cs[lost:] {
		m.ApplyFeed(c) // past the lost sequence
	}
	after, _, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	asOf, err := m.Ranking(wftest.Campaign, projections.Bound{Seq: cs[len(cs)-1].Seq})
	require.NoError(t, err)
	assert.Equal(t, len(asOf.Collective.Entries), len(after.Collective.Entries), "the live ranking is a fresh evaluation's")
	assert.Empty(t, after.Collective.Entries, "every answer relies on the stream being whole")
	assert.Equal(t, projections.IntegrityBroken, after.Integrity.Status)
}

// TestSecondRulingWaitsForTheRevisionBelowIt: server B drops C05; server A, whose feed
// lags, rules on C05 (honest: it holds the definition before the revision), then rules
// on it again. The second command relies on the nomination's version above the revision
// A has not applied: it decided on the old definition, appended, and every path but A's
// live model called the ruling forged. It now waits for the feed to bring the revision,
// decides again, and is refused, as it should be.
func TestSecondRulingWaitsForTheRevisionBelowIt(t *testing.T) {
	t.Parallel()
	env, id, reviewer, a := rulingAfterARevision(t)

	done := make(chan error, 1)
	go func() {
		_, err := a.Svc.Rule(env.Ctx, reviewer, id, "C05", workflows.RuleInput{Result: "met", Note: "đạt, lần nữa"}, workflows.Options{})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("decided without the revision below the nomination's version: %v", err)
	case <-time.After(100 * time.Millisecond): // waiting for the feed, as it should
	}
	a.Feed(0)
	err := <-done
	require.Error(t, err, "refused once the revision is applied: C05 is no criterion now")
	assert.Contains(t, err.Error(), "C05")

	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	sameVerdicts(t, id, true, map[string]*projections.Model{"server A": a.Model, "server B": env.Model, "rebuilt": rebuilt})
}
