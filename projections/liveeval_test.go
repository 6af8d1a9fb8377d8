package projections_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// TestLiveRankingCacheFollowsWrites takes a live ranking after every kind of write — a
// fact on a unit, a hold and its release, a ruling, an award, a merger, a fact on the
// merged unit — and checks each against a full rebuild of the stream at that point: the
// live evaluation cache drops what each write changes, and nothing else matters.
func TestLiveRankingCacheFollowsWrites(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	noms := eligibleDistricts(env, reviewer, 80, "D1", "D2", "D3", "D4")
	var lastTag uint64
	check := func(step string) {
		t.Helper()
		require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
		live, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err, step)
		rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
		require.NoError(t, err, step)
		want, err := rebuilt.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err, step)
		require.Equal(t, jsonOf(t, want), jsonOf(t, live), "after %s", step)
		// LiveRanking's number: the same ranking with it, the same number on a model that
		// applied the same stream, and a new one after every write.
		tagged, tag, err := env.Model.LiveRanking(wftest.Campaign)
		require.NoError(t, err, step)
		assert.Equal(t, jsonOf(t, live), jsonOf(t, tagged), "after %s", step)
		_, rebuiltTag, err := rebuilt.LiveRanking(wftest.Campaign)
		require.NoError(t, err, step)
		assert.Equal(t, rebuiltTag, tag, "after %s", step)
		assert.Greater(t, tag, lastTag, "after %s", step)
		lastTag = tag
	}
	eligible := func() int {
		rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		return len(rk.Collective.Entries)
	}
	check("setup")
	require.Equal(t, 4, eligible())

	// A fact that excludes D2 drops it; its correction brings it back.
	env.Fact(reviewer, "D2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
	check("an excluding fact")
	require.Equal(t, 3, eligible())
	env.Fact(reviewer, "D2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100), Note: "đính chính"})
	check("its correction")
	require.Equal(t, 4, eligible())

	env.OK(env.Svc.Hold(env.Ctx, reviewer, noms[0], "khiếu nại", workflows.Options{}))
	check("a hold")
	require.Equal(t, 3, eligible())
	env.OK(env.Svc.Release(env.Ctx, reviewer, noms[0], "đã giải quyết", workflows.Options{}))
	check("its release")

	env.OK(env.Svc.Rule(env.Ctx, reviewer, noms[1], "C01", workflows.RuleInput{Result: "not_met", Note: "chưa đạt"}, workflows.Options{}))
	check("a negative ruling")
	first := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[2], Decision: "QĐ 1"}, workflows.Options{}))
	check("an award")

	env.Advance(time.Hour)
	env.OK(env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{
		Kind: "merge", Sources: []string{"D3", "D4"}, Successor: "D34", SuccessorName: "UBND D34",
		SuccessorKind: domain.UnitDistrict, Effective: "2025-09-16", Decision: "Nghị quyết 1/2025",
	}, workflows.Options{}))
	check("a merger")
	// A fact on the successor reaches the nominations it inherited.
	env.Fact(reviewer, "D34", domain.FactRecordedData{Fact: "late_dossiers", Number: wftest.Num(3)})
	check("a fact on the merged unit")

	// Awards and their revocations drop only the evaluations of their lineage: D3's award
	// bars D4's nomination, inherited with it by D34; revoked as unlawful, the bar goes;
	// D4's own award, revoked for forged documents, bars D3's for good.
	ranked := func(id string) bool {
		rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		return slices.ContainsFunc(rk.Collective.Entries, func(e projections.RankEntryView) bool { return e.Nomination == id })
	}
	env.Fact(reviewer, "D34", domain.FactRecordedData{Fact: "late_dossiers", Number: wftest.Num(0), Note: "đính chính"})
	check("the fact's correction")
	el, err := env.Model.Eligibility(noms[3], projections.Bound{})
	require.NoError(t, err)
	require.Equal(t, []string{"lineage_already_awarded"}, reasonCodes(el.Reasons))
	require.False(t, ranked(noms[3]), "D3's award bars D4's nomination once D34 holds both")
	env.OK(env.Svc.RevokeAward(env.Ctx, council, first.ID, workflows.RevokeInput{Ground: "unlawful_approval", Note: "sai thẩm quyền"}, workflows.Options{}))
	check("a revocation that lifts the bar")
	require.True(t, ranked(noms[3]), "the revocation lifts the bar on D4's nomination")
	second := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[3], Decision: "QĐ 2"}, workflows.Options{}))
	check("an award in the merged lineage")
	require.True(t, ranked(noms[3]), "an awarded nomination keeps its place")
	env.OK(env.Svc.RevokeAward(env.Ctx, council, second.ID, workflows.RevokeInput{Ground: "forged_documents", Note: "giả mạo hồ sơ"}, workflows.Options{}))
	check("a revocation for fraud")
	require.False(t, ranked(noms[2]), "D4's award, revoked for fraud, bars D3's nomination, in its lineage")
	el, err = env.Model.Eligibility(noms[2], projections.Bound{})
	require.NoError(t, err)
	require.Contains(t, reasonCodes(el.Reasons), "barred_by_revocation")
}

// TestLiveRankingIsOfOneState: a live ranking evaluates what the live cache lacks a chunk
// per hold of the read lock, so commits apply beside it; the ranking is still that of one
// state, the one its tag names. Commits land between the filling of the cache and the
// taking of the inputs: one evaluation dropped is made again within the taking's hold; more
// than the taking may make (here none) sends the ranking back to fill the cache, and after
// three tries the taking makes them all.
func TestLiveRankingIsOfOneState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		inline int
		writes int // commits landing, one per try
		tries  int
	}{
		{"a dropped evaluation made again in the hold", 256, 1, 1},
		{"filled again", 0, 1, 2},
		{"made in the hold after three tries", 0, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := wftest.New(t, srv)
			reviewer := env.User(domain.RoleReviewer, "")
			noms := eligibleDistricts(env, reviewer, 80, "K1", "K2", "K3")
			env.Fact(reviewer, "K2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
			require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
			projections.SetRankInline(env.Model, tc.inline)
			tries := 0
			projections.SetRankHook(env.Model, func() {
				tries++
				if tries <= tc.writes {
					// K2, excluded, in again, then out, and so on: the last write decides.
					f := domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)}
					if tries%2 == 0 {
						f.Number, f.Cause = wftest.Num(90), "subjective" // a cause goes with a shortfall only
					}
					env.Fact(reviewer, "K2", f)
				}
			})
			live, tag, err := env.Model.LiveRanking(wftest.Campaign)
			require.NoError(t, err)
			projections.SetRankHook(env.Model, nil)
			assert.Equal(t, tc.tries, tries)
			ranked := map[string]bool{}
			for _, e := range live.Collective.Entries {
				ranked[e.Nomination] = true
			}
			assert.Equal(t, map[string]bool{noms[0]: true, noms[1]: tc.writes%2 == 1, noms[2]: true}, map[string]bool{noms[0]: ranked[noms[0]], noms[1]: ranked[noms[1]], noms[2]: ranked[noms[2]]})
			require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
			rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
			require.NoError(t, err)
			want, wantTag, err := rebuilt.LiveRanking(wftest.Campaign)
			require.NoError(t, err)
			assert.Equal(t, jsonOf(t, want), jsonOf(t, live), "the ranking of the state after the last write")
			assert.Equal(t, wantTag, tag)
		})
	}
}

// TestAwardWithAnIntegrityProblemDropsEveryEvaluation: a grant appended behind the
// engine's back that the model flags (by nobody registered; a second grant to a
// nomination that holds one) makes every nomination of the campaign integrity_broken, not
// only the award's lineage: the live ranking drops every cached evaluation, as a rebuild
// shows. A grant found only an award's change kept R2's and R3's cached as eligible.
func TestAwardWithAnIntegrityProblemDropsEveryEvaluation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		meta func(workflows.Principal) eventstore.Meta
	}{
		{"by nobody registered", func(workflows.Principal) eventstore.Meta { return eventstore.Meta{} }},
		{"a grant the campaign refuses", func(c workflows.Principal) eventstore.Meta {
			return eventstore.Meta{Actor: eventstore.Actor{User: c.UserID, Role: string(c.Role)}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := wftest.New(t, srv)
			reviewer := env.User(domain.RoleReviewer, "")
			council := env.User(domain.RoleCouncil, "")
			noms := eligibleDistricts(env, reviewer, 80, "R1", "R2", "R3")
			env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[0], Decision: "QĐ 1"}, workflows.Options{}))
			require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
			warm, _, err := env.Model.LiveRanking(wftest.Campaign)
			require.NoError(t, err)
			require.Len(t, warm.Collective.Entries, 3)

			camp := eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign}
			_, err = env.Store.Append(env.Ctx, camp, env.Model.Version(camp), []eventstore.Pending{{Type: domain.AwardGranted, Data: domain.AwardGrantedData{
				Award: "01M00000000000000000000009", Nomination: noms[0], Unit: "R1", Lineage: []string{"R1"}, Kind: domain.NomineeCollective, Decision: "QĐ giả"}}}, tc.meta(council))
			require.NoError(t, err)
			require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
			el, err := env.Model.Eligibility(noms[2], projections.Bound{})
			require.NoError(t, err)
			require.Contains(t, reasonCodes(el.Reasons), "integrity_broken")
			live, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
			require.NoError(t, err)
			want, err := rebuild(t, env, eventstore.ReadOptions{}).Ranking(wftest.Campaign, projections.Bound{})
			require.NoError(t, err)
			assert.Empty(t, live.Collective.Entries)
			require.Equal(t, jsonOf(t, want), jsonOf(t, live), "the live ranking against a rebuild")
		})
	}
}

// TestLiveRankingBesideOpeningsOutOfOrder polls the live ranking while openings are
// applied out of the stream's order, each inserted in its place in the campaign's list of
// nominations (inOpeningOrder moves the ones after it): the ranking reads that list under
// the read lock only, which the race detector checks (make race). The commits are applied
// last first, so the model is not the stream's; only the reads are under test.
func TestLiveRankingBesideOpeningsOutOfOrder(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	eligibleDistricts(env, reviewer, 80, "O1", "O2")
	env.Unit("O3", domain.UnitDistrict)
	clerk := env.User(domain.RoleClerk, "O3")
	env.Plan(clerk)
	below, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	for i := range 60 {
		env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "O3",
			Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: fmt.Sprintf("Nguyễn Văn %c%c", 'A'+i/26, 'A'+i%26), Position: "Chuyên viên", NotHead: true}}, workflows.Options{}))
	}
	cs := commitsFrom(t, env, below+1)
	for range 10 {
		m := rebuild(t, env, eventstore.ReadOptions{Until: below})
		stop, done := make(chan struct{}), make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				if _, _, err := m.LiveRanking(wftest.Campaign); err == nil {
					n++
				}
			}
		}()
		for i := len(cs) - 1; i >= 0; i-- {
			m.ApplyCommitted(cs[i])
			time.Sleep(50 * time.Microsecond) // room for the rankings between commits
		}
		close(stop)
		assert.Positive(t, <-done, "rankings computed beside the commits")
		rk, _, err := m.LiveRanking(wftest.Campaign)
		require.NoError(t, err)
		assert.NotEmpty(t, rk.Collective.Entries)
	}
}

// reasonCodes lists the reasons' codes.
func reasonCodes(rs []projections.ReasonView) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// TestConcurrentLiveRankingsAgree asks for the live ranking from many readers at once,
// while writes go on: readers at the same point share one computation, and each sees at
// least every write made before it asked.
func TestConcurrentLiveRankingsAgree(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	eligibleDistricts(env, reviewer, 70, "C1", "C2", "C3")
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	const readers = 16
	// readAtOnce asks for the live ranking from every reader at the same moment.
	readAtOnce := func() []projections.RankingView {
		views := make([]projections.RankingView, readers)
		var wg sync.WaitGroup
		for i := 0; i < readers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
				assert.NoError(t, err)
				views[i] = v
			}()
		}
		wg.Wait()
		return views
	}
	views := readAtOnce()
	for i := 1; i < readers; i++ {
		require.Equal(t, jsonOf(t, views[0]), jsonOf(t, views[i]), "reader %d", i)
	}
	require.Len(t, views[0].Collective.Entries, 3)

	// A write, then readers at once again: every one of them sees it.
	id, _ := env.EligibleCollective("C4", domain.UnitDistrict, reviewer, 99)
	views = readAtOnce()
	for i := 0; i < readers; i++ {
		require.Len(t, views[i].Collective.Entries, 4, "reader %d", i)
		require.Equal(t, id, views[i].Collective.Entries[0].Nomination, "reader %d: the new nomination ranks first", i)
	}
}

// TestAsOfRankingDuringWrites computes an as-of ranking again and again while commands
// append (the ranking takes the read lock per chunk of nominations, not throughout):
// every result equals the one computed before the writes began.
func TestAsOfRankingDuringWrites(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	eligibleDistricts(env, reviewer, 60, "W1", "W2", "W3", "W4", "W5")
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	bound := projections.Bound{Seq: last}
	want, err := env.Model.Ranking(wftest.Campaign, bound)
	require.NoError(t, err)
	require.Len(t, want.Collective.Entries, 5)

	// The rankings run in the background, the writes here (the test's helpers must run on
	// its goroutine); every ranking is compared once both are over.
	wantJSON := jsonOf(t, want)
	stop := make(chan struct{})
	type result struct {
		json string
		err  error
	}
	results := make(chan []result, 1)
	go func() {
		var out []result
		for {
			select {
			case <-stop:
				results <- out
				return
			default:
			}
			got, err := env.Model.Ranking(wftest.Campaign, bound)
			r := result{err: err}
			if err == nil {
				b, _ := json.Marshal(got)
				r.json = string(b)
			}
			out = append(out, r)
		}
	}()
	eligibleDistricts(env, reviewer, 90, "W6", "W7", "W8")
	env.Fact(reviewer, "W1", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
	close(stop)
	got := <-results
	require.NotEmpty(t, got)
	for i, r := range got {
		require.NoError(t, r.err, "ranking %d", i)
		require.JSONEq(t, wantJSON, r.json, "ranking %d of %d, during the writes", i, len(got))
	}
	now, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Len(t, now.Collective.Entries, 7, "live: the three new ones in, W1 out")
}

// TestAnswersAtAMomentNeverSpanAGap: a commit applied ahead of the feed above an earlier one that
// has not arrived (another server's, or a concurrent command's) makes a state the stream
// never had. The live ranking a dashboard polls shows it, and so does a live eligibility
// (the clerk sees the command just made); Ranking, whose AsOfSeq the exports seal with
// the stream's digest, answers as of the sequence below the gap, live or bounded, and so
// does every other answer at a past moment, until the gap closes.
func TestAnswersAtAMomentNeverSpanAGap(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	noms := eligibleDistricts(env, reviewer, 80, "D1", "D2", "D3")
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	below, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	m := rebuild(t, env, eventstore.ReadOptions{})
	// Two facts: D1 excluded (the gap), then D3 excluded (applied ahead of it).
	env.Fact(reviewer, "D1", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
	env.Fact(reviewer, "D3", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
	cs := commitsFrom(t, env, below+1)
	require.Len(t, cs, 2)
	want := func(until uint64) string {
		t.Helper()
		r, err := rebuild(t, env, eventstore.ReadOptions{Until: until}).Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		return jsonOf(t, r)
	}

	_, tagBefore, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.NotZero(t, tagBefore)
	m.ApplyCommitted(cs[1])
	live, tag, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.Len(t, live.Collective.Entries, 2, "the live state holds the commit ahead")
	assert.Zero(t, tag, "no entity tag for a state with a gap: another server's same count may be other commits")
	for _, b := range []projections.Bound{{}, {Seq: cs[1].Seq}, {Time: cs[1].Events[0].RecordedAt.Add(time.Hour)}} {
		rk, err := m.Ranking(wftest.Campaign, b)
		require.NoError(t, err)
		assert.LessOrEqual(t, rk.AsOfSeq, below, "bound %+v", b)
		assert.Len(t, rk.Collective.Entries, 3, "bound %+v: D1 and D3 both still in", b)
		if b.Live() {
			assert.Equal(t, want(below), jsonOf(t, rk), "the ranking of the stream up to the gap")
			continue
		}
		el, err := m.Eligibility(noms[2], b)
		require.NoError(t, err)
		assert.True(t, el.Eligible, "bound %+v: D3 as the stream stood below the gap", b)
		assert.LessOrEqual(t, el.AsOfSeq, below, "bound %+v", b)
		trail, err := m.UnitEvents("D3", false, b, 0)
		require.NoError(t, err)
		assert.LessOrEqual(t, trail[len(trail)-1].Seq, below, "bound %+v: the unit's trail stops below the gap", b)
	}
	el, err := m.Eligibility(noms[2], projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible, "live: the commit ahead counts")

	m.ApplyCommitted(cs[0])
	rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	_, tag, err = m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.Equal(t, tagBefore+2, tag, "the gap closed: tagged again")
	assert.Equal(t, cs[1].Seq, rk.AsOfSeq, "the gap closed")
	assert.Equal(t, want(cs[1].Seq), jsonOf(t, rk))
}

// TestGapClosedByAMessageThatIsNoCommit: the message below a commit applied ahead is one
// the model cannot decode. The feed passes it without a commit to count, so the live
// ranking's commits stay the same; the gap has closed all the same, and the ranking is
// tagged again without waiting for another write.
func TestGapClosedByAMessageThatIsNoCommit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.EligibleCollective("D1", domain.UnitDistrict, reviewer, 85)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	m := rebuild(t, env, eventstore.ReadOptions{})
	subject, _ := env.Store.Subject(eventstore.Ref{Kind: domain.KindUnit, ID: "D9"})
	_, err := env.Store.JetStream().Publish(env.Ctx, subject, []byte("{broken"))
	require.NoError(t, err)
	c, err := env.Store.Append(env.Ctx, eventstore.Ref{Kind: domain.KindUnit, ID: "D8"}, eventstore.Version{},
		[]eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"x": 1}}}, eventstore.Meta{})
	require.NoError(t, err)
	m.ApplyCommitted(c)
	_, tag, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.Zero(t, tag, "a gap: the broken message below the commit ahead")

	feed, err := projections.StartFeed(env.Ctx, env.Store, m, nil)
	require.NoError(t, err)
	defer feed.Stop()
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, m, 5*time.Second))
	_, tag, err = m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.NotZero(t, tag, "the feed passed the broken message: no gap, though no commit was counted")
	rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Len(t, rk.Collective.Entries, 1)
}

// TestNominationAndCampaignAtAMoment: a nomination's and a campaign's views as of every
// sequence of their history are what a model rebuilt from the stream up to it shows now.
func TestNominationAndCampaignAtAMoment(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	first, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	id, _ := env.EligibleCollective("D1", domain.UnitDistrict, reviewer, 88)
	env.OK(env.Svc.Hold(env.Ctx, reviewer, id, "khiếu nại", workflows.Options{}))
	env.OK(env.Svc.Release(env.Ctx, reviewer, id, "đã giải quyết", workflows.Options{}))
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 7"}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)

	opened := false
	for seq := first; seq <= last; seq++ {
		rebuilt := rebuild(t, env, eventstore.ReadOptions{Until: seq})
		want, werr := rebuilt.Nomination(id)
		got, gerr := env.Model.NominationAt(id, projections.Bound{Seq: seq})
		if werr != nil {
			require.ErrorIs(t, gerr, projections.ErrNotFound, "#%d: not opened yet", seq)
			require.False(t, opened, "#%d", seq)
			continue
		}
		opened = true
		require.NoError(t, gerr, "#%d", seq)
		assert.Equal(t, jsonOf(t, want), jsonOf(t, got), "the nomination as of #%d", seq)
		wc, err := rebuilt.Campaign(wftest.Campaign)
		require.NoError(t, err)
		gc, err := env.Model.CampaignAt(wftest.Campaign, projections.Bound{Seq: seq})
		require.NoError(t, err)
		assert.Equal(t, jsonOf(t, wc), jsonOf(t, gc), "the campaign as of #%d", seq)
		wa, err := rebuilt.CampaignAwards(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		ga, err := env.Model.CampaignAwards(wftest.Campaign, projections.Bound{Seq: seq})
		require.NoError(t, err)
		assert.Equal(t, wa, ga, "the campaign's awards as of #%d", seq)
		if seq == last {
			require.Len(t, ga, 1, "the grant, at the end")
		}
	}
	require.True(t, opened)
	live, err := env.Model.Nomination(id)
	require.NoError(t, err)
	assert.Equal(t, string(domain.StateAwarded), live.State)
	_, err = env.Model.CampaignAt(wftest.Campaign, projections.Bound{Seq: 1})
	assert.ErrorIs(t, err, projections.ErrNotFound, "before its launch")
}

// TestGrantRecordsTheSequenceOfItsRanking: a grant records the ranking it relied on and
// the sequence it was computed as of; a replay of the stream up to that sequence ranks
// exactly as recorded (for two grants, the second relying on a ranking that the first
// changed).
func TestGrantRecordsTheSequenceOfItsRanking(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	noms := eligibleDistricts(env, reviewer, 80, "G1", "G2", "G3")
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[2], Decision: "QĐ 1"}, workflows.Options{}))
	env.Fact(reviewer, "G1", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(95)})
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[0], Decision: "QĐ 2"}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	evs, err := env.Model.CampaignEvents(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	grants := 0
	for _, e := range evs {
		if e.Type != domain.AwardGranted {
			continue
		}
		grants++
		var g domain.AwardGrantedData
		require.NoError(t, json.Unmarshal(e.Data, &g))
		require.NotZero(t, g.RankingSeq, "%s: the sequence of its ranking", g.Decision)
		assert.Less(t, g.RankingSeq, e.Seq, "%s: a ranking from before the grant", g.Decision)
		assert.Contains(t, e.SummaryVI, fmt.Sprintf("căn cứ bảng xếp hạng tính đến sự kiện #%d", g.RankingSeq), "the audit trail says it")
		rk, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{Until: g.RankingSeq}, nil)
		require.NoError(t, err)
		replayed, err := rk.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		var want []domain.RankingRef
		for _, re := range replayed.Collective.Entries {
			want = append(want, domain.RankingRef{Nomination: re.Nomination, Rank: re.Rank, Recommended: re.Recommended})
		}
		assert.Equal(t, want, g.Ranking, "%s: the replay up to #%d ranks as recorded", g.Decision, g.RankingSeq)
		assert.Equal(t, g.RankingSeq, replayed.AsOfSeq)
	}
	assert.Equal(t, 2, grants)
}

// eligibleDistricts makes each unit an eligible district with a PAR INDEX score of base,
// base+1, … in turn, and returns their collective nominations in that order.
func eligibleDistricts(env *wftest.Env, reviewer workflows.Principal, base float64, units ...string) []string {
	noms := make([]string, len(units))
	for i, u := range units {
		noms[i], _ = env.EligibleCollective(u, domain.UnitDistrict, reviewer, base+float64(i))
	}
	return noms
}

// oneGrantOfTwo makes two eligible collectives, F1 (PAR INDEX 80) and F2 (81), and grants
// the second (noms[1]) through the engine.
func oneGrantOfTwo(t *testing.T) (*wftest.Env, []string) {
	t.Helper()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	noms := eligibleDistricts(env, reviewer, 80, "F1", "F2")
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[1], Decision: "QĐ 1"}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	return env, noms
}

// TestGrantProblemsFindARankingThatIsNotTheStreams: grants made by the engine verify; a
// grant appended behind its back whose recorded ranking is not the stream's as of the
// sequence it names, or names a sequence after itself, is found.
func TestGrantProblemsFindARankingThatIsNotTheStreams(t *testing.T) {
	t.Parallel()
	env, noms := oneGrantOfTwo(t)
	assert.Empty(t, rebuild(t, env, eventstore.ReadOptions{}).GrantProblems(), "the engine's grants verify")

	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	camp := eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign}
	forge := func(award string, seq uint64, ranking []domain.RankingRef) {
		t.Helper()
		_, err := env.Store.Append(env.Ctx, camp, env.Model.Version(camp), []eventstore.Pending{{Type: domain.AwardGranted, Data: domain.AwardGrantedData{
			Award: award, Nomination: noms[0], Unit: "F1", Lineage: []string{"F1"}, Kind: domain.NomineeCollective,
			Decision: "QĐ giả", Ranking: ranking, RankingSeq: seq,
		}}}, eventstore.Meta{})
		require.NoError(t, err)
		require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	}
	// F1 first, recommended: the stream ranked F2 (81) above F1 (80) at that point.
	forge("01M00000000000000000000001", last, []domain.RankingRef{{Nomination: noms[0], Rank: 1, Recommended: true}, {Nomination: noms[1], Rank: 2, Recommended: true}})
	forge("01M00000000000000000000002", last+100, nil)
	ps := rebuild(t, env, eventstore.ReadOptions{}).GrantProblems()
	require.Len(t, ps, 2)
	for _, p := range ps {
		assert.Equal(t, projections.ProblemGrantRanking, p.Problem)
		assert.Equal(t, camp, p.Aggregate)
	}
	assert.Contains(t, ps[0].Detail, fmt.Sprintf("is not the stream's as of sequence %d", last))
	assert.Contains(t, ps[0].Detail, "first differ at place 1")
	assert.Contains(t, ps[1].Detail, "not before the grant")
}

// TestGrantProblemAfterALossSaysSo: a grant whose ranking no longer replays because a
// message under it was lost on disk since says that the events that ranking rests on do
// not verify, and how: the auditor is not left to take the loss for a forged grant.
func TestGrantProblemAfterALossSaysSo(t *testing.T) {
	t.Parallel()
	env, noms := oneGrantOfTwo(t)
	env.Feed.Stop()
	require.Empty(t, rebuild(t, env, eventstore.ReadOptions{}).GrantProblems())

	// F2's PAR INDEX score, which ranked it first, is lost on disk.
	rewriteKeepingSeqs(t, env, func(_ uint64, d []byte) []byte { return d }, seqOfPayload(t, env, `"number":81`))
	ps := rebuild(t, env, eventstore.ReadOptions{}).GrantProblems()
	require.Len(t, ps, 1)
	assert.Contains(t, ps[0].Detail, " to "+noms[1]+": ", "the grant's problem")
	assert.Contains(t, ps[0].Detail, "is not the stream's as of sequence")
	assert.Contains(t, ps[0].Detail, "the events that ranking rests on do not verify as of then: messages_lost")
}

// TestKeyRecordInStreamOrder: a command's commits applied out of the stream's order (an
// atomic append's messages, some applied ahead as this server's own, the rest as another
// server's feed delivered them) leave its key record in stream order, as a rebuild has it:
// a replay of the key answers alike on every server. Before, the record listed them in the
// order applied.
func TestKeyRecordInStreamOrder(t *testing.T) {
	t.Parallel()
	env, noms := oneGrantOfTwo(t)
	council := env.User(domain.RoleCouncil, "")
	below, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[0], Decision: "QĐ 2"}, workflows.Options{Key: "grant-2"}))
	cs := commitsFrom(t, env, below+1)
	var key string
	var keyed []eventstore.Commit
	for _, c := range cs {
		if strings.Contains(c.Key, "|grant-2|") {
			key, keyed = c.Key, append(keyed, c)
		}
	}
	require.GreaterOrEqual(t, len(keyed), 2, "the grant is one atomic append of several aggregates' commits")
	want, ok := rebuild(t, env, eventstore.ReadOptions{}).Key(key)
	require.True(t, ok)

	m := rebuild(t, env, eventstore.ReadOptions{Until: keyed[0].Seq - 1})
	for i := len(keyed) - 1; i >= 0; i-- {
		m.ApplyCommitted(keyed[i])
	}
	got, ok := m.Key(key)
	require.True(t, ok)
	assert.Equal(t, want.Seqs, got.Seqs)
	assert.Equal(t, want.Aggregates, got.Aggregates)
	assert.Equal(t, want.Events, got.Events)
}

// TestLiveRankingFromItsBase: a live ranking starts from the inputs of the one before it
// (its base) and takes again only the evaluations the cache dropped since and those of
// nominations opened since. It is the ranking a rebuild gives after writes of each kind,
// after more drops than the drop log holds (a new epoch: every evaluation taken again),
// and after an opening applied out of the stream's order, which moves the places of the
// nominations after it (the base is set aside: otherwise the nomination it moved would
// be ranked twice and the one opened not at all).
func TestLiveRankingFromItsBase(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	eligibleDistricts(env, reviewer, 80, "B1", "B2", "B3")
	// same checks the live ranking of m against a rebuild of the stream up to until.
	same := func(m *projections.Model, until uint64, step string) projections.RankingView {
		t.Helper()
		live, _, err := m.LiveRanking(wftest.Campaign)
		require.NoError(t, err, step)
		want, err := rebuild(t, env, eventstore.ReadOptions{Until: until}).Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err, step)
		require.Equal(t, jsonOf(t, want), jsonOf(t, live), "after %s", step)
		require.True(t, projections.LiveBased(m, wftest.Campaign), "after %s: the next ranking starts from this one", step)
		return live
	}
	waited := func(step string) projections.RankingView {
		t.Helper()
		require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
		return same(env.Model, env.Model.Applied(), step)
	}
	require.Len(t, waited("setup").Collective.Entries, 3)

	// A nomination opened and taken to eligibility, a fact that excludes another.
	eligibleDistricts(env, reviewer, 90, "B4")
	require.Len(t, waited("a nomination opened since").Collective.Entries, 4)
	env.Fact(reviewer, "B2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"})
	require.Len(t, waited("a fact dropping its unit's nominations").Collective.Entries, 3)

	// More drops between two rankings than the log holds: a new epoch.
	projections.SetLiveLogLimit(env.Model, 2)
	env.Fact(reviewer, "B2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100), Note: "đính chính"})
	env.Fact(reviewer, "B1", domain.FactRecordedData{Fact: "late_dossiers", Number: wftest.Num(3)})
	env.Fact(reviewer, "B3", domain.FactRecordedData{Fact: "late_dossiers", Number: wftest.Num(0)})
	env.Fact(reviewer, "B4", domain.FactRecordedData{Fact: "late_dossiers", Number: wftest.Num(0)})
	require.Len(t, waited("more drops than the log holds").Collective.Entries, 3)

	// An opening applied after a later nomination's commits: B6's nomination is ranked
	// from a base whose places put it where B5's opening now stands.
	below, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	env.Unit("B5", domain.UnitDistrict)
	clerk := env.User(domain.RoleClerk, "B5")
	env.Plan(clerk)
	opened := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "B5",
		Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Bình", Position: "Chuyên viên", NotHead: true}}, workflows.Options{}))
	b6 := eligibleDistricts(env, reviewer, 95, "B6")[0]
	m := rebuild(t, env, eventstore.ReadOptions{Until: below})
	same(m, below, "the rebuild below the openings")
	var late eventstore.Commit
	for _, c := range commitsFrom(t, env, below+1) {
		if strings.HasSuffix(c.Subject, ".nomination."+opened.ID) {
			late = c
			continue
		}
		m.ApplyCommitted(c)
	}
	require.NotZero(t, late.Seq)
	rk, _, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.Len(t, rk.Collective.Entries, 4, "B6's nomination ranked, from the base")
	m.ApplyCommitted(late)
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	rk = same(m, last, "an opening applied out of the stream's order")
	n := 0
	for _, e := range rk.Collective.Entries {
		if e.Nomination == b6 {
			n++
		}
	}
	require.Equal(t, 1, n, "B6's nomination ranked once")
}

// TestNominationListedTwiceKeepsNoBase: a second opening of a nomination, forged on the
// stream with its chain intact, lists the nomination twice in its campaign; a base keeps
// one place per nomination, so the campaign keeps none, and its live ranking is still a
// rebuild's.
func TestNominationListedTwiceKeepsNoBase(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	noms := eligibleDistricts(env, reviewer, 80, "T1", "T2")
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	_, _, err := env.Model.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.True(t, projections.LiveBased(env.Model, wftest.Campaign))

	ref := eventstore.Ref{Kind: domain.KindNomination, ID: noms[0]}
	forge(t, env, ref, domain.NominationOpened, 1, domain.NominationOpenedData{ID: noms[0], Campaign: wftest.Campaign, Unit: "T1",
		Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, env.Model.Version(ref).Hash, false)
	live, _, err := env.Model.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.False(t, projections.LiveBased(env.Model, wftest.Campaign), "no base for a list that holds a nomination twice")
	want, err := rebuild(t, env, eventstore.ReadOptions{}).Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, jsonOf(t, want), jsonOf(t, live))
}

// TestLiveBasesOfTheCampaignsRankedLast: only the campaigns ranked last keep a base (here
// one); the one ranked longest ago loses its own, and its next live ranking, made without
// it, is still a rebuild's.
func TestLiveBasesOfTheCampaignsRankedLast(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	eligibleDistricts(env, reviewer, 80, "L1")
	def := domain.BuiltinCampaign()
	def.ID = "second-2025"
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	projections.SetLiveBaseLimit(env.Model, 1)
	rank := func(campaign string) projections.RankingView {
		t.Helper()
		v, _, err := env.Model.LiveRanking(campaign)
		require.NoError(t, err)
		return v
	}
	rank(wftest.Campaign)
	require.True(t, projections.LiveBased(env.Model, wftest.Campaign))
	rank(def.ID)
	assert.True(t, projections.LiveBased(env.Model, def.ID))
	assert.False(t, projections.LiveBased(env.Model, wftest.Campaign), "the campaign ranked longest ago loses its base")

	env.Fact(reviewer, "L1", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(91)})
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	live := rank(wftest.Campaign)
	want, err := rebuild(t, env, eventstore.ReadOptions{}).Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, jsonOf(t, want), jsonOf(t, live))
	assert.True(t, projections.LiveBased(env.Model, wftest.Campaign))
	assert.False(t, projections.LiveBased(env.Model, def.ID))
}
