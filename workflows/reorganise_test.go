package workflows_test

import (
	"errors"
	"fmt"
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

func unitStream(t *testing.T, env *wftest.Env, id string) []eventstore.Event {
	t.Helper()
	evs, _, err := env.Store.Load(env.Ctx, eventstore.Ref{Kind: domain.KindUnit, ID: id})
	require.NoError(t, err)
	return evs
}

func merge(env *wftest.Env, sources []string, successor string, effective string) (workflows.Result, error) {
	in := workflows.ReorganiseInput{Kind: "merge", Sources: sources, Successor: successor, Effective: effective, Decision: "Nghị quyết 1/2025"}
	var exists bool
	env.Model.Read(func(st *projections.State) { u, _ := st.Unit(successor); exists = u != nil })
	if !exists {
		in.SuccessorName, in.SuccessorKind = "UBND "+successor, domain.UnitDistrict
	}
	return env.Svc.Reorganise(env.Ctx, env.Admin, in, workflows.Options{})
}

// reviseRules revises the test campaign to the rules' revision rev (a higher version of its
// definition), as an administrator opts in to a reading or out of it.
func reviseRules(env *wftest.Env, rev int) {
	var def domain.Definition
	env.Model.Read(func(st *projections.State) { c, _ := st.Campaign(wftest.Campaign); def = c.Definition() })
	def.Version++
	def.RulesRevision = rev
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
}

// rulesRevision is the test campaign's rules' revision in force.
func rulesRevision(env *wftest.Env) int {
	var rev int
	env.Model.Read(func(st *projections.State) { c, _ := st.Campaign(wftest.Campaign); rev = c.Definition().RulesRevision })
	return rev
}

// Story 3: three districts with open nominations merge into one successor on 2025-07-01.
func TestMergerInheritsHistoryAndOpenNominations(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	noms := map[string]string{}
	clerks := map[string]workflows.Principal{}
	for _, d := range []string{"D1", "D2", "D3"} {
		noms[d], clerks[d] = env.EligibleCollective(d, domain.UnitDistrict, reviewer, 80)
	}
	// A predecessor's fact that excludes: it must follow the nomination to the successor.
	bad := env.Fact(reviewer, "D2", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(96), Cause: "subjective"})
	before := map[string][]eventstore.Event{}
	for _, d := range []string{"D1", "D2", "D3"} {
		before[d] = unitStream(t, env, d)
	}
	env.Advance(time.Hour)
	beforeMerger := *env.Now.Load()
	env.Advance(time.Hour)

	r, err := merge(env, []string{"D1", "D2", "D3"}, "NEW", "2025-07-01")
	require.NoError(t, err)
	assert.NotEmpty(t, r.Events)

	// Sources: their history is untouched (same sequences and hashes), then one merged event.
	for _, d := range []string{"D1", "D2", "D3"} {
		after := unitStream(t, env, d)
		require.Len(t, after, len(before[d])+1)
		for i := range before[d] {
			assert.Equal(t, before[d][i].Seq, after[i].Seq)
			assert.Equal(t, before[d][i].Hash, after[i].Hash)
		}
		assert.Equal(t, domain.UnitMergedEvent, after[len(after)-1].Type)
		u, err := env.Model.Unit(d, projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, "merged", u.Status)
		assert.Equal(t, "NEW", u.Successor)
	}
	succ, err := env.Model.Unit("NEW", projections.Bound{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"D1", "D2", "D3"}, succ.Predecessors)

	// The successor's history carries theirs, marked inherited, in stream order.
	evs, err := env.Model.UnitEvents("NEW", true, projections.Bound{}, 0)
	require.NoError(t, err)
	inherited := map[string]int{}
	for i, e := range evs {
		if i > 0 {
			assert.LessOrEqual(t, evs[i-1].Seq, e.Seq)
		}
		if e.InheritedFrom != "" {
			inherited[e.InheritedFrom]++
			assert.Equal(t, []string{"NEW"}, e.Via)
		}
	}
	for _, d := range []string{"D1", "D2", "D3"} {
		// Its own events, the merger's, and the claim of its id (domain.ClaimID) that its
		// registration appended beside them.
		assert.Equal(t, len(before[d])+2, inherited[d], "all of %s's events are inherited", d)
	}

	// Open nominations continue under the successor, with their history.
	for d, id := range noms {
		nv, err := env.Model.Nomination(id)
		require.NoError(t, err)
		assert.Equal(t, "NEW", nv.Unit)
		assert.Equal(t, []string{d}, nv.UnitHistory)
	}
	// The successor's eligibility relies on the predecessor's fact, citing its event.
	el, err := env.Model.Eligibility(noms["D2"], projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	assert.True(t, hasReason(el, "excluded_disbursement_subjective", "C08", bad.Events[0]), "%+v", el.Reasons)

	// As of before the merger: three separate, active units with their own nominations.
	for d, id := range noms {
		u, err := env.Model.Unit(d, projections.Bound{Time: beforeMerger})
		require.NoError(t, err)
		assert.Equal(t, "active", u.Status)
		elb, err := env.Model.Eligibility(id, projections.Bound{Time: beforeMerger})
		require.NoError(t, err)
		assert.Equal(t, d, elb.Unit)
	}
	_, err = env.Model.Unit("NEW", projections.Bound{Time: beforeMerger})
	assert.ErrorIs(t, err, projections.ErrNotFound)

	// Clerks of a source lose write access; the successor's clerk gains the nominations.
	_, err = env.Svc.Withdraw(env.Ctx, clerks["D1"], noms["D1"], "thử", workflows.Options{})
	assert.ErrorIs(t, err, workflows.ErrForbidden)
	newClerk := env.User(domain.RoleClerk, "NEW")
	_, err = env.Svc.Withdraw(env.Ctx, newClerk, noms["D1"], "đơn vị mới rút", workflows.Options{})
	require.NoError(t, err)
}

func TestMergerChainsResolveTransitively(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	for _, u := range []string{"A", "D"} {
		env.Unit(u, domain.UnitDistrict)
	}
	_, err := merge(env, []string{"A"}, "C", "2025-06-01")
	require.NoError(t, err)
	_, err = merge(env, []string{"C", "D"}, "E", "2025-07-01")
	require.NoError(t, err)
	e, err := env.Model.Unit("E", projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, []string{"E", "C", "D", "A"}, e.Lineage)
	evs, err := env.Model.UnitEvents("E", true, projections.Bound{}, 0)
	require.NoError(t, err)
	found := false
	for _, ev := range evs {
		if ev.InheritedFrom == "A" {
			found = true
			assert.Equal(t, []string{"C", "E"}, ev.Via)
		}
	}
	assert.True(t, found, "A's events reach E through C")
}

func TestSecondCollectiveAwardAcrossLineageRefused(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nomA, _ := env.EligibleCollective("A", domain.UnitDistrict, reviewer, 80)
	_, err := env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomA, Decision: "QĐ 1"}, workflows.Options{})
	require.NoError(t, err)
	// C's own nomination, opened before C absorbs the awarded A.
	nomC, _ := env.EligibleCollective("C", domain.UnitDistrict, reviewer, 85)
	env.Unit("B", domain.UnitDistrict)
	_, err = merge(env, []string{"A", "B"}, "C", "2025-07-01")
	require.NoError(t, err)
	clerk := env.User(domain.RoleClerk, "C")
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomC, Decision: "QĐ 2"}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "lineage_already_awarded", re.Code)
	// Nor does C open another: A's award stayed on A, and A is C's now.
	_, err = env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "C", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "nomination_exists", re.Code)
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after)
}

// One achievement is not rewarded twice across a merger either. Two units that had both
// nominated one person merge: the ranking recommends the person once (the other entry is
// withheld, its place going to the next), and once the person is awarded the other
// nomination is not eligible. An awarded person is not nominated again by the successor.
func TestOnePersonOneAwardAcrossMergers(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	person := func(name string) domain.Nominee {
		return domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: "Chuyên viên"}
	}
	noms := map[string]string{}
	for u, name := range map[string]string{"QA": "Lê Văn Tám", "QB": "LE VAN TAM", "QX": "Phạm Thị Lan"} {
		env.Unit(u, domain.UnitDistrict)
		clerk := env.User(domain.RoleClerk, u)
		noms[u] = env.Dossier(clerk, person(name))
		env.GoodFacts(reviewer, u, 80)
		env.RuleAll(reviewer, noms[u])
	}
	_, err := merge(env, []string{"QA", "QB"}, "QAB", "2025-09-15")
	require.NoError(t, err)
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	entries := map[string]projections.RankEntryView{}
	for _, e := range rk.Individual.Entries {
		entries[e.Nomination] = e
	}
	require.Len(t, entries, 3, "all three are eligible")
	first, second := noms["QA"], noms["QB"]
	if entries[second].Rank < entries[first].Rank {
		first, second = second, first
	}
	assert.True(t, entries[first].Recommended)
	assert.False(t, entries[second].Recommended)
	assert.Equal(t, domain.WithheldPerson, entries[second].Withheld)
	assert.True(t, entries[noms["QX"]].Recommended, "another person keeps a place")

	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: first, Decision: "QĐ 1"}, workflows.Options{})
	require.NoError(t, err)
	el, err := env.Model.Eligibility(second, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	codes := []string{}
	for _, r := range el.Reasons {
		codes = append(codes, r.Code)
	}
	assert.Contains(t, codes, "person_already_awarded")

	// A person awarded in SA, which then merges into SC: SC's clerk cannot nominate them
	// again (the award stayed on SA, SC's predecessor), and nothing is appended.
	env.Unit("SA", domain.UnitDistrict)
	hoa := env.Dossier(env.User(domain.RoleClerk, "SA"), person("Trần Thị Hoa"))
	env.GoodFacts(reviewer, "SA", 80)
	env.RuleAll(reviewer, hoa)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: hoa, Decision: "QĐ 2"}, workflows.Options{})
	require.NoError(t, err)
	_, err = merge(env, []string{"SA"}, "SC", "2025-09-20")
	require.NoError(t, err)
	clerkSC := env.User(domain.RoleClerk, "SC")
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err = env.Svc.OpenNomination(env.Ctx, clerkSC, wftest.Campaign, workflows.OpenNominationInput{Unit: "SC", Nominee: person("Tran Thi Hoa")}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "nominee_already_nominated", re.Code)
	assert.Contains(t, re.Message, "merged into this unit")
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after)

	// SC's clerk reads the awarded nomination that stayed on SA (the refusal names it), as
	// it reads SA's documents; another unit's clerk does not.
	n, err := env.Model.Nomination(hoa)
	require.NoError(t, err)
	require.Equal(t, "SA", n.Unit)
	assert.True(t, env.Svc.CanReadNomination(clerkSC, n.Unit, n.UnitHistory))
	assert.False(t, env.Svc.CanReadNomination(env.User(domain.RoleClerk, "QX"), n.Unit, n.UnitHistory))
}

// Story 3's last clause: no successor ends up with two collective awards in one campaign.
// Awards granted to two units while they were apart were lawful: a merger that takes
// effect after them is recorded (the council is not made to revoke a lawful award on an
// untrue ground to record the province's decision), both stay in force as the
// successor's history, and the successor takes no other. A merger recorded late, taking
// effect before the awards, is refused (and appends nothing) until the council revokes
// the one granted to a unit already merged. Every campaign notes the merger, so that a
// grant racing it loses the campaign's sequence check and is decided again on the merged
// lineage.
func TestMergerOfTwoAwardedUnits(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	awards := map[string]string{}
	for _, u := range []string{"WA", "WB", "VA", "VB"} {
		nom, _ := env.EligibleCollective(u, domain.UnitDistrict, reviewer, 80)
		r, err := env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + u}, workflows.Options{})
		require.NoError(t, err)
		awards[u] = r.ID
	}
	// The awards are granted on 2025-09-15. A merger recorded late, in force from 1 July:
	// WB's award went to a unit already merged.
	mergerRefused(t, env, []string{"WA", "WB"}, "WAB", "2025-07-01", awards["WA"], awards["WB"])
	_, err := env.Svc.RevokeAward(env.Ctx, council, awards["WB"], workflows.RevokeInput{Ground: domain.GroundUnlawfulApproval, Note: "trao cho WB sau khi WB đã hợp nhất vào WAB từ 01/7/2025"}, workflows.Options{})
	require.NoError(t, err)
	_, err = merge(env, []string{"WA", "WB"}, "WAB", "2025-07-01")
	require.NoError(t, err, "with one award left")
	camp, _, err := env.Store.Load(env.Ctx, eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign})
	require.NoError(t, err)
	last := camp[len(camp)-1]
	assert.Equal(t, domain.UnitsMergedNoted, last.Type)
	u, err := env.Model.Unit("WAB", projections.Bound{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"WAB", "WA", "WB"}, u.Lineage)

	// The awards decided, then the reorganisation (after the campaign's period): recorded,
	// and both awards stay in force.
	env.Advance(time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC).Sub(*env.Now.Load()))
	_, err = merge(env, []string{"VA", "VB"}, "VAB", "2026-03-01")
	require.NoError(t, err)
	for _, u := range []string{"VA", "VB"} {
		a, err := env.Model.Award(awards[u])
		require.NoError(t, err)
		assert.False(t, a.Revoked, u)
	}
	// The successor takes no other collective award.
	clerk := env.User(domain.RoleClerk, "VAB")
	_, err = env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "VAB", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "nomination_exists", re.Code)
}

func TestRefusedReorganisationsAppendNothing(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	for _, u := range []string{"A", "B", "X"} {
		env.Unit(u, domain.UnitDistrict)
	}
	_, err := merge(env, []string{"X"}, "Y", "2025-07-01")
	require.NoError(t, err)
	cases := []struct {
		name      string
		sources   []string
		successor string
		effective string
		kind      string
		code      string
		sentinel  error
	}{
		{"into itself", []string{"A"}, "A", "2025-07-01", "merge", "merge_into_self", domain.ErrRule},
		{"cycle", []string{"Y"}, "X", "2025-07-01", "merge", "", nil},
		{"source already merged", []string{"X"}, "B", "2025-07-01", "merge", "unit_already_merged", domain.ErrRule},
		{"unknown unit", []string{"NOPE"}, "B", "2025-07-01", "merge", "", workflows.ErrNotFound},
		{"bad date", []string{"A"}, "B", "1 July", "merge", "", nil},
		{"too far ahead", []string{"A"}, "B", "2027-01-01", "merge", "effective_too_far", domain.ErrRule},
		{"invalid id", []string{"A.B"}, "B", "2025-07-01", "merge", "", workflows.ErrInvalidInput},
		{"unknown kind", []string{"A"}, "B", "2025-07-01", "split", "", workflows.ErrInvalidInput},
	}
	for _, c := range cases {
		before, _ := env.Store.LastSeq(env.Ctx)
		_, err := env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{Kind: c.kind, Sources: c.sources, Successor: c.successor, Effective: c.effective, Decision: "x"}, workflows.Options{})
		require.Error(t, err, c.name)
		if c.sentinel != nil {
			assert.ErrorIs(t, err, c.sentinel, c.name)
		}
		var re *domain.RuleError
		if c.code != "" && assert.True(t, errors.As(err, &re), "%s: %v", c.name, err) {
			assert.Equal(t, c.code, re.Code, c.name)
		}
		after, _ := env.Store.LastSeq(env.Ctx)
		assert.Equal(t, before, after, "%s appended nothing", c.name)
	}
	// A name or a kind that is not the existing successor's: refused, where before the
	// merger went ahead with them set aside.
	for _, in := range []workflows.ReorganiseInput{
		{Kind: "merge", Sources: []string{"A"}, Successor: "B", SuccessorName: "Tên khác", Effective: "2025-07-01", Decision: "x"},
		{Kind: "merge", Sources: []string{"A"}, Successor: "B", SuccessorKind: domain.UnitCommune, Effective: "2025-07-01", Decision: "x"},
	} {
		before, _ := env.Store.LastSeq(env.Ctx)
		_, err := env.Svc.Reorganise(env.Ctx, env.Admin, in, workflows.Options{})
		var re *domain.RuleError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "successor_differs", re.Code)
		assert.Contains(t, re.Error(), `"Đơn vị B" (district)`)
		after, _ := env.Store.LastSeq(env.Ctx)
		assert.Equal(t, before, after, "a refused merger appends nothing")
	}
}

func hasReason(el projections.EligibilityView, code, criterion, event string) bool {
	for _, r := range el.Reasons {
		if r.Code == code && r.Criterion == criterion {
			for _, e := range r.Events {
				if e == event {
					return true
				}
			}
		}
	}
	return false
}

// A merger recorded ahead of its effective date is in force from its recording, as the
// live answers had it then (its nominations passed, grants checked on the merged
// lineage): a moment between the recording and the effective date, given by time, is
// answered as by sequence and as live. Before, a time bound left the merger out until
// its effective date, so a grant checked live on a merged lineage showed, replayed by
// time, as an award to a nomination that was not eligible.
func TestMergerRecordedAheadIsInForceFromItsRecording(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("P", domain.UnitCommune)
	env.Advance(time.Minute)
	beforeIt := *env.Now.Load()
	env.Advance(time.Minute)
	res, err := merge(env, []string{"P"}, "Q", "2025-10-01") // the clock says 2025-09-15
	require.NoError(t, err)
	live, err := env.Model.Unit("Q", projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Q", "P"}, live.Lineage)
	ict := time.FixedZone("ICT", 7*3600)
	for _, b := range []projections.Bound{
		{Seq: res.Seq},
		{Time: *env.Now.Load()},
		{Time: time.Date(2025, 9, 30, 23, 0, 0, 0, ict)},
		{Time: time.Date(2025, 10, 1, 0, 0, 0, 0, ict)},
	} {
		at, err := env.Model.Unit("Q", b)
		require.NoError(t, err, "%+v", b)
		assert.Equal(t, live.Lineage, at.Lineage, "as of %+v", b)
	}
	_, err = env.Model.Unit("Q", projections.Bound{Time: beforeIt})
	assert.ErrorIs(t, err, projections.ErrNotFound, "before its recording the successor did not exist")
}

// A trail asked for at a moment before its aggregate existed is not found, as the
// aggregate's other answers at that moment are not; before, it was an empty trail.
func TestTrailsBeforeTheirAggregateExisted(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("TR", domain.UnitCommune)
	env.Advance(time.Minute)
	before := *env.Now.Load()
	env.Advance(time.Minute)
	env.Unit("TS", domain.UnitCommune)
	clerk := env.User(domain.RoleClerk, "TS")
	id := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective})
	at := projections.Bound{Time: before}
	_, err := env.Model.UnitEvents("TS", true, at, 0)
	assert.ErrorIs(t, err, projections.ErrNotFound)
	assert.ErrorContains(t, err, "as of that moment")
	_, err = env.Model.NominationEvents(id, at)
	assert.ErrorIs(t, err, projections.ErrNotFound)
	_, err = env.Model.Eligibility(id, at)
	assert.ErrorIs(t, err, projections.ErrNotFound, "as the eligibility")
	evs, err := env.Model.UnitEvents("TR", false, at, 0)
	require.NoError(t, err, "a unit that existed then")
	assert.NotEmpty(t, evs)
	evs, err = env.Model.NominationEvents(id, projections.Bound{})
	require.NoError(t, err)
	assert.NotEmpty(t, evs)
}

// A nomination that a merger passes to a successor is judged on its own unit's facts and
// the successor's, never on those of another unit merged alongside: a later 100 % there
// does not lift its exclusion, nor does the other unit's PAR INDEX score become its key.
func TestMergedUnitsKeepTheirOwnEvidence(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nomA, _ := env.EligibleCollective("EA", domain.UnitDistrict, reviewer, 70)
	nomB, _ := env.EligibleCollective("EB", domain.UnitDistrict, reviewer, 90)
	bad := env.Fact(reviewer, "EA", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(96), Cause: "subjective"})
	env.Advance(time.Minute)
	env.Fact(reviewer, "EB", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)}) // later, of the other unit
	env.Advance(time.Hour)
	_, err := merge(env, []string{"EA", "EB"}, "EAB", "2025-07-01")
	require.NoError(t, err)
	env.Advance(time.Hour)
	afterMerger := *env.Now.Load()

	keyOf := func(b projections.Bound, id string) map[string]any {
		rk, err := env.Model.Ranking(wftest.Campaign, b)
		require.NoError(t, err)
		for _, e := range rk.Collective.Entries {
			if e.Nomination == id {
				return e.Keys
			}
		}
		return nil
	}
	elA, err := env.Model.Eligibility(nomA, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, "EAB", elA.Unit)
	assert.False(t, elA.Eligible)
	assert.True(t, hasReason(elA, "excluded_disbursement_subjective", "C08", bad.Events[0]), "%+v", elA.Reasons)
	assert.Nil(t, keyOf(projections.Bound{}, nomA), "excluded: not ranked")
	elB, err := env.Model.Eligibility(nomB, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, elB.Eligible, "%+v", elB.Reasons)
	assert.EqualValues(t, 90, keyOf(projections.Bound{}, nomB)["par_index_score"])

	// The successor's own fact, recorded after the merger, is the merged unit's and
	// supersedes its predecessors' for both nominations.
	env.Advance(time.Hour)
	own := env.Fact(reviewer, "EAB", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)})
	elA, err = env.Model.Eligibility(nomA, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, elA.Eligible, "%+v", elA.Reasons)
	assert.Equal(t, own.Events[0], elA.Criteria["C08"].Events[0])
	assert.EqualValues(t, 70, keyOf(projections.Bound{}, nomA)["par_index_score"])
	// As of before it, the same answer as before.
	elA, err = env.Model.Eligibility(nomA, projections.Bound{Time: afterMerger})
	require.NoError(t, err)
	assert.False(t, elA.Eligible)
	assert.Nil(t, keyOf(projections.Bound{Time: afterMerger}, nomA))
}

// A merger into a unit that already existed: the absorbed unit's nomination keeps its own
// facts (the successor's, recorded about itself before the merger, are another
// collective's), the successor's own nomination keeps its own facts before the absorbed
// unit's later ones, and the merged unit's facts can still be corrected.
func TestMergerIntoAnExistingUnitKeepsEachUnitsFacts(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nomK, _ := env.EligibleCollective("EK", domain.UnitDistrict, reviewer, 90)
	nomX, _ := env.EligibleCollective("EX", domain.UnitDistrict, reviewer, 86.8)
	bad := env.Fact(reviewer, "EX", domain.FactRecordedData{Fact: "staff_hours_violation_pct", Number: wftest.Num(12)})
	env.Advance(time.Minute)
	env.Fact(reviewer, "EK", domain.FactRecordedData{Fact: "staff_hours_violation_pct", Number: wftest.Num(0.8)}) // later, EK's own
	env.Advance(time.Hour)
	_, err := merge(env, []string{"EX"}, "EK", "2025-07-01")
	require.NoError(t, err)

	keys := func(id string) map[string]any {
		rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		for _, e := range rk.Collective.Entries {
			if e.Nomination == id {
				return e.Keys
			}
		}
		return nil
	}
	elX, err := env.Model.Eligibility(nomX, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, "EK", elX.Unit)
	assert.False(t, elX.Eligible, "EK's own 0.8 %% does not lift EX's exclusion")
	assert.True(t, hasReason(elX, "excluded_discipline_staff_hours", "C13", bad.Events[0]), "%+v", elX.Reasons)
	assert.EqualValues(t, 90, keys(nomK)["par_index_score"], "EK's own score, not EX's later one")

	// A correction of EX's fact, recorded on the merged unit, judges EX's nomination.
	env.Advance(time.Hour)
	fix := env.Fact(reviewer, "EX", domain.FactRecordedData{Fact: "staff_hours_violation_pct", Number: wftest.Num(4)})
	elX, err = env.Model.Eligibility(nomX, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, elX.Eligible, "%+v", elX.Reasons)
	assert.Equal(t, fix.Events[0], elX.Criteria["C13"].Events[0])
	assert.EqualValues(t, 86.8, keys(nomX)["par_index_score"])
	// EK's own nomination is still judged on EK's facts.
	elK, err := env.Model.Eligibility(nomK, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, elK.Eligible, "%+v", elK.Reasons)
}

// A reviewer's conflict of interest follows the line of mergers: after V1 merges into W1,
// W1's reviewer may neither rule on the nomination V1 passed to W1 nor record V1's facts,
// which judge it; V1's reviewer may not record W1's. Before, facts were refused only on the
// reviewer's own unit, so W1's reviewer could record the merged V1's facts and make W1's
// inherited nomination eligible. A reviewer of another unit may do both.
func TestConflictOfInterestFollowsTheLine(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("W1", domain.UnitDistrict)
	env.Unit("V1", domain.UnitDistrict)
	nom := env.Dossier(env.User(domain.RoleClerk, "V1"), domain.Nominee{Kind: domain.NomineeCollective})
	ofW1, ofV1, other := env.User(domain.RoleReviewer, "W1"), env.User(domain.RoleReviewer, "V1"), env.User(domain.RoleReviewer, "")
	_, err := merge(env, []string{"V1"}, "W1", "2025-07-01")
	require.NoError(t, err)

	fact := domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactLateDossiers, Number: wftest.Num(0)}
	for _, c := range []struct {
		name     string
		reviewer workflows.Principal
		run      func(p workflows.Principal) (workflows.Result, error)
	}{
		{"W1's reviewer, V1's facts", ofW1, func(p workflows.Principal) (workflows.Result, error) {
			return env.Svc.RecordFact(env.Ctx, p, "V1", fact, workflows.Options{})
		}},
		{"W1's reviewer, W1's facts", ofW1, func(p workflows.Principal) (workflows.Result, error) {
			return env.Svc.RecordFact(env.Ctx, p, "W1", fact, workflows.Options{})
		}},
		{"V1's reviewer, W1's facts", ofV1, func(p workflows.Principal) (workflows.Result, error) {
			return env.Svc.RecordFact(env.Ctx, p, "W1", fact, workflows.Options{})
		}},
		{"W1's reviewer, the inherited nomination", ofW1, func(p workflows.Principal) (workflows.Result, error) {
			return env.Svc.Rule(env.Ctx, p, nom, "C01", workflows.RuleInput{Result: "met"}, workflows.Options{})
		}},
	} {
		before, _ := env.Store.LastSeq(env.Ctx)
		_, err := c.run(c.reviewer)
		var we *workflows.Error
		if assert.True(t, errors.As(err, &we), "%s: %v", c.name, err) {
			assert.Equal(t, "conflict_of_interest", we.Code, c.name)
			assert.ErrorIs(t, err, workflows.ErrForbidden, c.name)
		}
		after, _ := env.Store.LastSeq(env.Ctx)
		assert.Equal(t, before, after, "%s appended nothing", c.name)
	}
	env.Fact(other, "V1", fact)
	env.OK(env.Svc.Rule(env.Ctx, other, nom, "C01", workflows.RuleInput{Result: "met"}, workflows.Options{}))
	env.Model.Read(func(st *projections.State) {
		assert.True(t, workflows.ConflictOfInterest(st, ofW1, "V1"))
		assert.False(t, workflows.ConflictOfInterest(st, other, "V1"))
	})
}

// A unit made by merging two units is judged on their facts only where they agree: where
// they recorded a fact differently, what reads it waits for the merged unit's own fact
// (criterion_pending, or facts_conflict for a ranking key), citing both records. Before,
// the one recorded last won, so recording the first unit's unchanged fact again turned
// the merged unit's eligible nomination into an excluded one.
func TestMergedUnitsFactsThatDisagree(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("GA", domain.UnitDistrict)
	env.Unit("GB", domain.UnitDistrict)
	env.GoodFacts(reviewer, "GA", 80)
	env.GoodFacts(reviewer, "GB", 90)
	subj := domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(80), Cause: "subjective"}
	a := env.Fact(reviewer, "GA", subj)
	env.Advance(time.Minute)
	b := env.Fact(reviewer, "GB", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)})
	env.Advance(time.Hour)
	_, err := merge(env, []string{"GA", "GB"}, "GAB", "2025-07-01")
	require.NoError(t, err)
	env.Advance(time.Hour)
	id := env.RuledCollective(reviewer, "GAB")

	// pending checks the answer, citing the latest record of each unit's fact.
	pending := func(why, ofA, ofB string) {
		t.Helper()
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		assert.False(t, el.Eligible, why)
		c08 := el.Criteria["C08"]
		assert.Equal(t, domain.ResultPending, c08.Result, "%s: %+v", why, c08)
		assert.Contains(t, c08.Note, "different values", why)
		assert.ElementsMatch(t, c08.Events, []string{ofA, ofB}, why)
		assert.True(t, hasReason(el, "criterion_pending", "C08", ofA), "%s: %+v", why, el.Reasons)
		codes := map[string][]string{}
		for _, r := range el.Reasons {
			codes[r.Code] = r.Events
		}
		assert.Len(t, codes["facts_conflict"], 2, "%s: the PAR INDEX score, a ranking key, cites both records: %+v", why, el.Reasons)
		assert.NotContains(t, codes, "excluded_disbursement_subjective", why)
		assert.Equal(t, domain.ResultMet, el.Criteria["C11"].Result, "%s: facts recorded alike stand", why)
	}
	pending("the two units disagree", a.Events[0], b.Events[0])
	before := *env.Now.Load()

	// Recording either unit's fact again, unchanged, changes nothing but the records cited.
	env.Advance(time.Minute)
	b2 := env.Fact(reviewer, "GB", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)})
	pending("GB's again", a.Events[0], b2.Events[0])
	env.Advance(time.Minute)
	a2 := env.Fact(reviewer, "GA", subj)
	pending("GA's again", a2.Events[0], b2.Events[0])

	// The merged unit's own facts settle both.
	env.Advance(time.Minute)
	own := env.Fact(reviewer, "GAB", domain.FactRecordedData{Fact: "disbursement_pct", Number: wftest.Num(100)})
	env.Fact(reviewer, "GAB", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(85)})
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "%+v", el.Reasons)
	assert.Equal(t, []string{own.Events[0]}, el.Criteria["C08"].Events)
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	require.Len(t, rk.Collective.Entries, 1)
	assert.EqualValues(t, 85, rk.Collective.Entries[0].Keys["par_index_score"])
	// As of before them, the same answer as then.
	el, err = env.Model.Eligibility(id, projections.Bound{Time: before})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	assert.Equal(t, domain.ResultPending, el.Criteria["C08"].Result)
}

// TestMergedUnitJudgedOnEveryAbsorbedUnit: of two districts merged into a new one, only
// one had its facts recorded. Under the rules' revision 3 the merged unit is not judged on
// that one's figures alone: what reads a fact the other did not record waits (pending,
// "not recorded by MB") until the merged unit's own is recorded (a review finding: the
// successor was eligible and ranked first on MA's facts). A campaign under revision 2
// judges as it did.
func TestMergedUnitJudgedOnEveryAbsorbedUnit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("MA", domain.UnitDistrict)
	env.Unit("MB", domain.UnitDistrict)
	env.GoodFacts(reviewer, "MA", 95)
	_, err := merge(env, []string{"MA", "MB"}, "MC", "2025-07-01")
	require.NoError(t, err)
	id := env.RuledCollective(reviewer, "MC")

	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	c13 := el.Criteria["C13"]
	assert.Equal(t, domain.ResultPending, c13.Result, "%+v", c13)
	assert.Contains(t, c13.Note, "not recorded by MB")
	assert.Contains(t, c13.NoteVI, "chưa ghi nhận tại MB")
	assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool { return r.Code == "facts_conflict" }), "the PAR INDEX score, a ranking key: %+v", el.Reasons)
	conflicts := env.Model.UnitFactConflicts("MC")
	require.NotEmpty(t, conflicts)
	assert.Equal(t, []string{"MB"}, conflicts[0].Unrecorded)

	reviseRules(env, 2)
	el, err = env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "revision 2 judges as it did: %+v", el.Reasons)
	reviseRules(env, 3)

	// The merged unit's own figures settle it.
	env.GoodFacts(reviewer, "MC", 91)
	el, err = env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "%+v", el.Reasons)
	assert.Empty(t, env.Model.UnitFactConflicts("MC"))
}

// TestExistingUnitNotJudgedOnWhatItAbsorbedAlone: a department with no figures of its own
// absorbs one with all of them. Under the rules' revision 3 it is not judged on the
// absorbed department's figures alone: each fact it has not recorded waits ("not recorded
// by SO-NN") until its own is (a review finding: it was eligible and ranked first on the
// other's PAR INDEX score). What it recorded itself stands over what it absorbed, as
// before; under revision 2 it is judged as it was.
func TestExistingUnitNotJudgedOnWhatItAbsorbedAlone(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("SO-NN", domain.UnitDepartment)
	env.Unit("SO-TNMT", domain.UnitDepartment)
	id := env.RuledCollective(reviewer, "SO-NN")
	env.GoodFacts(reviewer, "SO-TNMT", 95)
	env.Fact(reviewer, "SO-NN", domain.FactRecordedData{Fact: "late_directives", Number: wftest.Num(0)})
	_, err := merge(env, []string{"SO-TNMT"}, "SO-NN", "2025-07-01")
	require.NoError(t, err)

	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	c13 := el.Criteria["C13"]
	assert.Equal(t, domain.ResultPending, c13.Result, "%+v", c13)
	assert.Contains(t, c13.Note, "staff_hours_violation_pct: 2 / not recorded by SO-NN")
	assert.NotContains(t, c13.Note, "late_directives", "its own late directives stand")
	assert.Equal(t, domain.ResultPending, el.Criteria["C08"].Result)

	reviseRules(env, 2)
	el, err = env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, domain.ResultMet, el.Criteria["C08"].Result, "revision 2: the absorbed unit's figure, as before")
	reviseRules(env, 3)

	env.GoodFacts(reviewer, "SO-NN", 90)
	el, err = env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "its own figures recorded: %+v", el.Reasons)
}

// TestMergedCommuneNeedsNoParentShare: a district (a parent unit, its share of
// subordinates in breach recorded) and its commune (none: it has no subordinates) merge
// into a new commune, a parent of no unit. Under the rules' revision 3 the share the
// commune did not record is no gap that keeps the new commune's C13 waiting, nor a row of
// its unit page (a review finding: the reviewer was told to record a figure the unit
// cannot have). Every other fact the commune did not record still is.
func TestMergedCommuneNeedsNoParentShare(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("PD", domain.UnitDistrict)
	env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "PX", Name: "Xã PX", Kind: domain.UnitCommune, Parent: "PD"}, workflows.Options{}))
	env.GoodFacts(reviewer, "PD", 80)
	env.GoodFactsExcept(reviewer, "PX", 80, "subordinate_violation_pct", "late_directives")
	_, err := env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"PD", "PX"}, Successor: "PS", SuccessorName: "Xã PS", SuccessorKind: domain.UnitCommune, Effective: "2025-07-01", Decision: "NQ 1"}, workflows.Options{})
	require.NoError(t, err)
	require.False(t, env.Model.ParentUnit("PS", projections.Bound{}))
	id := env.RuledCollective(reviewer, "PS")

	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	c13 := el.Criteria["C13"]
	assert.Contains(t, c13.Note, "late_directives", "the commune's late directives, not recorded, still wait: %+v", c13)
	assert.NotContains(t, c13.Note, "subordinate_violation_pct", "%+v", c13)
	var facts []string
	for _, c := range env.Model.UnitFactConflicts("PS") {
		facts = append(facts, c.Records[0].Data.Fact)
	}
	assert.Contains(t, facts, "late_directives")
	assert.NotContains(t, facts, "subordinate_violation_pct")

	// The commune's own late directives recorded, the new commune is eligible.
	env.Fact(reviewer, "PS", domain.FactRecordedData{Fact: "late_directives", Number: wftest.Num(0)})
	el, err = env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "%+v", el.Reasons)
}

// TestMergedUnitsInBreachStayExcluded: under the rules' revision 3 a parent unit's share of
// subordinates in breach that merged units recorded differently is moot for a merged unit
// that is no parent unit only when no value recorded would exclude: 15% beside 20% or 0%
// keeps C13 waiting, as before (a review of the first version found both passing C13
// once the values differed, where one department's 15% alone is excluded).
func TestMergedUnitsInBreachStayExcluded(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	for i, tc := range []struct {
		a, b   float64
		result string
	}{
		{15, 20, domain.ResultPending},
		{15, 0, domain.ResultPending},
		{15, 15, domain.ResultExcluded},
		{0, 5, domain.ResultMet},
	} {
		ua, ub, um := fmt.Sprintf("BA%d", i), fmt.Sprintf("BB%d", i), fmt.Sprintf("BM%d", i)
		for u, v := range map[string]float64{ua: tc.a, ub: tc.b} {
			env.Unit(u, domain.UnitDepartment)
			env.GoodFactsExcept(reviewer, u, 80, "subordinate_violation_pct")
			env.Fact(reviewer, u, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(v)})
		}
		_, err := merge(env, []string{ua, ub}, um, "2025-07-01")
		require.NoError(t, err)
		// The merged unit's own facts, but its share: what the merged units recorded stands.
		id := env.Dossier(env.User(domain.RoleClerk, um), domain.Nominee{Kind: domain.NomineeCollective})
		env.GoodFactsExcept(reviewer, um, 80, "subordinate_violation_pct")
		env.RuleAll(reviewer, id)
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, tc.result, el.Criteria["C13"].Result, "%v / %v: %+v", tc.a, tc.b, el.Criteria["C13"])
	}
}

// TestRegisteredSuccessorWaitsForItsOwn: a successor registered before the merger is a
// unit that existed, whatever its stream held: a fact it never recorded, and the units it
// absorbed did, waits for its own (the safe side), where a successor the merger registers
// is judged on what they recorded alike. A review found a heuristic that told the two
// apart by the successor's stream judging an existing commune with no plan yet on the
// absorbed district's figures.
func TestRegisteredSuccessorWaitsForItsOwn(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	for _, pre := range []bool{false, true} {
		x, y, succ := "RX", "RY", "RS1"
		if pre {
			x, y, succ = "RX2", "RY2", "RS2"
		}
		env.Unit(x, domain.UnitDistrict)
		env.Unit(y, domain.UnitDistrict)
		env.GoodFacts(reviewer, x, 80)
		env.GoodFacts(reviewer, y, 80)
		if pre {
			env.Unit(succ, domain.UnitDistrict)
		}
		_, err := merge(env, []string{x, y}, succ, "2025-07-01")
		require.NoError(t, err)
		id := env.RuledCollective(reviewer, succ)
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, !pre, el.Eligible, "registered beforehand %v: %+v", pre, el.Reasons)
		if pre {
			assert.Contains(t, el.Criteria["C08"].Note, "not recorded by RS2")
			env.GoodFacts(reviewer, succ, 80)
			el, err = env.Model.Eligibility(id, projections.Bound{})
			require.NoError(t, err)
			assert.True(t, el.Eligible, "its own figures recorded: %+v", el.Reasons)
		}
	}
}

// TestParentShareOfAParentOnly: a department with a unit registered under it (its share
// of subordinates in breach 0%) and one with none merge into a new department, a parent
// unit: the share the second department could never record is no gap, and 0% is the merged
// department's (a review finding: C13 waited for it, "not recorded by" the department
// that had no subordinates).
func TestParentShareOfAParentOnly(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("SNN", domain.UnitDepartment)
	env.Unit("STN", domain.UnitDepartment)
	env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "CCTL", Name: "Chi cục Thủy lợi", Kind: domain.UnitVertical, Parent: "SNN"}, workflows.Options{}))
	env.GoodFacts(reviewer, "SNN", 80)
	env.GoodFactsExcept(reviewer, "STN", 80, "subordinate_violation_pct")
	_, err := merge(env, []string{"SNN", "STN"}, "SNNMT", "2025-03-01")
	require.NoError(t, err)
	require.True(t, env.Model.ParentUnit("SNNMT", projections.Bound{}))
	id := env.RuledCollective(reviewer, "SNNMT")
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, domain.ResultMet, el.Criteria["C13"].Result, "%+v", el.Criteria["C13"])
	assert.True(t, el.Eligible, "%+v", el.Reasons)
	assert.Empty(t, env.Model.UnitFactConflicts("SNNMT"))
}

// TestParentShareThroughMergers: a parent unit's share of subordinates in breach after
// mergers is the share of the units that had subordinates, and waits when the merged unit
// becomes a parent unit through a unit that recorded none (review findings on the first
// two versions of the rule):
//   - two districts with no subordinates, one recording 0%, merge into a new district
//     that then takes a commune: the 0% says nothing of it, C13 waits;
//   - a nomination of a district that absorbed one with 0% and no subordinates, passed
//     on to a new district that then takes a commune: C13 waits;
//   - an existing department with no subordinates absorbs one with a subordinate: its 0%
//     stands (as it does for a new successor), its 20% excludes;
//   - the same through a chain, the department then merged into a new one: 0% stands.
func TestParentShareThroughMergers(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	sub := func(id, parent string) {
		env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: id, Name: "Đơn vị " + id, Kind: domain.UnitCommune, Parent: parent}, workflows.Options{}))
	}
	c13 := func(id string) string {
		t.Helper()
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		return el.Criteria["C13"].Result
	}
	share := func(unit string, v float64) {
		env.GoodFactsExcept(reviewer, unit, 80, "subordinate_violation_pct")
		env.Fact(reviewer, unit, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(v)})
	}

	env.Unit("Q1", domain.UnitDistrict)
	env.Unit("Q2", domain.UnitDistrict)
	share("Q1", 0)
	env.GoodFactsExcept(reviewer, "Q2", 80, "subordinate_violation_pct")
	_, err := merge(env, []string{"Q1", "Q2"}, "QS", "2025-07-01")
	require.NoError(t, err)
	qs := env.RuledCollective(reviewer, "QS")
	assert.Equal(t, domain.ResultMet, c13(qs), "no subordinates: the share is not needed")
	sub("QK", "QS")
	assert.Equal(t, domain.ResultPending, c13(qs), "a commune under it: Q1's 0% says nothing of it")

	env.Unit("VX", domain.UnitDistrict)
	env.Unit("VQ", domain.UnitDistrict)
	env.Unit("VZ", domain.UnitDistrict)
	share("VQ", 0)
	env.GoodFactsExcept(reviewer, "VX", 80, "subordinate_violation_pct")
	env.GoodFactsExcept(reviewer, "VZ", 80, "subordinate_violation_pct")
	_, err = merge(env, []string{"VQ"}, "VX", "2025-03-01")
	require.NoError(t, err)
	vx := env.RuledCollective(reviewer, "VX")
	_, err = merge(env, []string{"VX", "VZ"}, "VS", "2025-04-01")
	require.NoError(t, err)
	sub("VSK", "VS")
	assert.Equal(t, domain.ResultPending, c13(vx), "passed on to a parent unit: VQ's 0% says nothing of its commune")

	for _, tc := range []struct {
		v    float64
		want string
	}{{0, domain.ResultMet}, {20, domain.ResultExcluded}} {
		p, e := fmt.Sprintf("SP%v", tc.v), fmt.Sprintf("SE%v", tc.v)
		env.Unit(p, domain.UnitDepartment)
		env.Unit(e, domain.UnitDepartment)
		sub(p+"K", p)
		share(p, tc.v)
		env.GoodFactsExcept(reviewer, e, 80, "subordinate_violation_pct")
		_, err := merge(env, []string{p}, e, "2025-03-01")
		require.NoError(t, err)
		assert.Equal(t, tc.want, c13(env.RuledCollective(reviewer, e)), "an existing unit with no subordinates absorbing a parent at %v%%", tc.v)
	}

	env.Unit("XA", domain.UnitDepartment)
	env.Unit("XB", domain.UnitDepartment)
	env.Unit("XD", domain.UnitDepartment)
	sub("XAK", "XA")
	share("XA", 0)
	env.GoodFactsExcept(reviewer, "XB", 80, "subordinate_violation_pct")
	env.GoodFactsExcept(reviewer, "XD", 80, "subordinate_violation_pct")
	_, err = merge(env, []string{"XA"}, "XB", "2025-03-01")
	require.NoError(t, err)
	_, err = merge(env, []string{"XB", "XD"}, "XC", "2025-04-01")
	require.NoError(t, err)
	assert.Equal(t, domain.ResultMet, c13(env.RuledCollective(reviewer, "XC")), "through a chain: XA's 0% is the share")
}

// TestPassedOnToAParentThroughTheUnitMergedAlongside: A (no subordinates) and B (a commune
// under it, 30% in breach) merge into a new C. Under the rules' revision 3 A's nomination,
// now C's, is of a parent unit, as C's page says, and waits for C's share; the timeline
// lists the registration C13 cites. Before, it was judged as of a unit with none (a
// review finding), as revision 2 still judges it.
func TestPassedOnToAParentThroughTheUnitMergedAlongside(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	run := func(a, b, c string) (string, projections.CriterionView) {
		env.Unit(a, domain.UnitDistrict)
		env.Unit(b, domain.UnitDistrict)
		env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: b + "K", Name: "Xã " + b + "K", Kind: domain.UnitCommune, Parent: b}, workflows.Options{}))
		env.GoodFactsExcept(reviewer, a, 80, "subordinate_violation_pct")
		env.GoodFactsExcept(reviewer, b, 80, "subordinate_violation_pct")
		env.Fact(reviewer, b, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(30)})
		id := env.RuledCollective(reviewer, a)
		_, err := merge(env, []string{a, b}, c, "2025-07-01")
		require.NoError(t, err)
		require.True(t, env.Model.ParentUnit(c, projections.Bound{}))
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		return id, el.Criteria["C13"]
	}
	_, c13 := run("A5", "B5", "C5")
	assert.Equal(t, domain.ResultPending, c13.Result, "%+v", c13)
	var reg string
	for _, e := range env.Model.SubordinateEvents([]string{"A5", "C5"}, projections.Bound{}) {
		reg = e.ID
	}
	require.NotEmpty(t, reg, "the timeline lists B5K's registration")
	assert.Contains(t, c13.Events, reg, "C13 cites it")

	// The first unit had absorbed a unit with no subordinates that recorded 0%: that share
	// says nothing of the commune the successor took with B, C13 still waits (a review
	// finding: it was met, and granted).
	env.Unit("ZA", domain.UnitDistrict)
	env.Unit("ZQ", domain.UnitDistrict)
	env.Unit("ZB", domain.UnitDistrict)
	env.GoodFactsExcept(reviewer, "ZA", 80, "subordinate_violation_pct")
	env.GoodFacts(reviewer, "ZQ", 80)
	env.GoodFactsExcept(reviewer, "ZB", 80, "subordinate_violation_pct")
	env.Fact(reviewer, "ZB", domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(30)})
	env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "ZBK", Name: "Xã ZBK", Kind: domain.UnitCommune, Parent: "ZB"}, workflows.Options{}))
	_, err := merge(env, []string{"ZQ"}, "ZA", "2025-06-01")
	require.NoError(t, err)
	za := env.RuledCollective(reviewer, "ZA")
	_, err = merge(env, []string{"ZA", "ZB"}, "ZC", "2025-07-01")
	require.NoError(t, err)
	el, err := env.Model.Eligibility(za, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, domain.ResultPending, el.Criteria["C13"].Result, "%+v", el.Criteria["C13"])

	reviseRules(env, 2)
	_, c13 = run("A6", "B6", "C6")
	assert.Equal(t, domain.ResultMet, c13.Result, "revision 2 judges as it did: %+v", c13)
}

// TestNoComponentStatementOfOneUnitAlone: under the rules' revision 3 one district's
// statement that no index component was assigned is not the merged unit's when the other
// district recorded nothing of its components: C12 waits, as it does when the other
// recorded a component (a review finding: the merged unit was eligible, C12 not
// applicable).
func TestNoComponentStatementOfOneUnitAlone(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	for _, u := range []string{"IA", "IB", "JA", "JB"} {
		env.Unit(u, domain.UnitDistrict)
		env.GoodFactsExcept(reviewer, u, 90, "index_component")
	}
	none := domain.FactRecordedData{Fact: "index_component", Status: domain.StatusNotAssigned, Note: "không được giao"}
	env.Fact(reviewer, "IA", none)
	env.Fact(reviewer, "JA", none)
	env.Fact(reviewer, "JB", domain.FactRecordedData{Fact: "index_component", Index: "PAR_INDEX", Component: "CCHC", Number: wftest.Num(7), Previous: wftest.Num(8)})
	_, err := merge(env, []string{"IA", "IB"}, "IC", "2025-07-01")
	require.NoError(t, err)
	_, err = merge(env, []string{"JA", "JB"}, "JC", "2025-07-01")
	require.NoError(t, err)
	for _, u := range []string{"IC", "JC"} {
		el, err := env.Model.Eligibility(env.RuledCollective(reviewer, u), projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, domain.ResultPending, el.Criteria["C12"].Result, "%s: %+v", u, el.Criteria["C12"])
		assert.False(t, el.Eligible, u)
	}
}

// TestLawfulAwardStaysRankedAfterAbsorbing: a district and an individual of another are
// awarded; each unit then absorbs a unit whose figures it never recorded itself (a share
// of women, a PAR INDEX score). Under the rules' revision 3 the awards stay eligible and
// ranked: an award in force is judged on its evidence as before revision 3, which only
// adds waits (a review finding: both turned facts_conflict, awarded but no longer ranked).
func TestLawfulAwardStaysRankedAfterAbsorbing(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nomLC, _ := env.EligibleCollective("LC", domain.UnitDistrict, reviewer, 80)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomLC, Decision: "QĐ LC"}, workflows.Options{}))
	env.Unit("LX", domain.UnitDistrict)
	env.GoodFacts(reviewer, "LX", 80)
	env.Fact(reviewer, "LX", domain.FactRecordedData{Fact: "women_pct", Number: wftest.Num(80)})

	env.Unit("LQ", domain.UnitDistrict)
	env.Unit("LP", domain.UnitDistrict)
	nomLQ := env.Dossier(env.User(domain.RoleClerk, "LQ"), domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tám", Position: "Chuyên viên"})
	env.GoodFactsExcept(reviewer, "LQ", 80, "par_index_score")
	env.RuleAll(reviewer, nomLQ)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomLQ, Decision: "QĐ LQ"}, workflows.Options{}))
	env.GoodFacts(reviewer, "LP", 85)

	_, err := merge(env, []string{"LX"}, "LC", "2025-09-16")
	require.NoError(t, err)
	_, err = merge(env, []string{"LP"}, "LQ", "2025-09-16")
	require.NoError(t, err)
	for _, id := range []string{nomLC, nomLQ} {
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%s: %+v", id, el.Reasons)
	}
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Empty(t, rk.Collective.AwardedUnranked)
	assert.Empty(t, rk.Individual.AwardedUnranked)
	assert.Empty(t, env.Model.GrantProblems(), "verify's grant audit")

	// A merged unit that is no parent unit, eligible on two shares of subordinates in
	// breach that differ but none of which excludes (moot under revision 3), stays eligible
	// once awarded, now and as of its grant (a review of the first version of this rule
	// found it ineligible and unranked at its own grant).
	for u, v := range map[string]float64{"RVA": 0, "RVB": 5} {
		env.Unit(u, domain.UnitDepartment)
		env.GoodFactsExcept(reviewer, u, 80, "subordinate_violation_pct")
		env.Fact(reviewer, u, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(v)})
	}
	_, err = merge(env, []string{"RVA", "RVB"}, "RVM", "2025-07-01")
	require.NoError(t, err)
	id := env.Dossier(env.User(domain.RoleClerk, "RVM"), domain.Nominee{Kind: domain.NomineeCollective})
	env.GoodFactsExcept(reviewer, "RVM", 80, "subordinate_violation_pct")
	env.RuleAll(reviewer, id)
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	require.True(t, el.Eligible, "%+v", el.Reasons)
	r := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ RVM"}, workflows.Options{}))
	for _, b := range []projections.Bound{{}, {Seq: r.Seq}} {
		el, err = env.Model.Eligibility(id, b)
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%+v: %+v", b, el.Reasons)
	}
	rk, err = env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Empty(t, rk.Collective.AwardedUnranked)
}

// TestMergedUnitsWomenShareBelowPriority: two merged units' shares of women that are both
// below the collectives' priority (70%) rank the merged unit alike, as no share does: under
// the rules' revision 3 they are no facts_conflict keeping its nomination from
// eligibility (a review finding: 40% and 55% did). Shares on both sides of 70% still are,
// and a campaign under revision 2 judges as it did.
func TestMergedUnitsWomenShareBelowPriority(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("WA", domain.UnitDistrict)
	env.Unit("WB", domain.UnitDistrict)
	env.Fact(reviewer, "WA", domain.FactRecordedData{Fact: "women_pct", Number: wftest.Num(40)})
	env.Fact(reviewer, "WB", domain.FactRecordedData{Fact: "women_pct", Number: wftest.Num(55)})
	_, err := merge(env, []string{"WA", "WB"}, "WAB", "2025-07-01")
	require.NoError(t, err)
	id, _ := env.MakeEligible("WAB", reviewer, 90)
	conflicts := func() []string {
		t.Helper()
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		var codes []string
		for _, r := range el.Reasons {
			codes = append(codes, r.Code)
		}
		assert.Equal(t, len(codes) == 0, el.Eligible)
		return codes
	}
	assert.Empty(t, conflicts(), "both below 70%: eligible")
	assert.Empty(t, env.Model.UnitFactConflicts("WAB"), "nor listed as waiting on the unit page")
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	require.Len(t, rk.Collective.Entries, 1)
	assert.Equal(t, false, rk.Collective.Entries[0].Keys[domain.KeyPriority], "no priority")
	assert.True(t, rk.Collective.Entries[0].Recommended)

	reviseRules(env, 2)
	assert.Equal(t, []string{"facts_conflict"}, conflicts(), "revision 2 judges as it did")
	reviseRules(env, 3)

	env.Fact(reviewer, "WB", domain.FactRecordedData{Fact: "women_pct", Number: wftest.Num(75)})
	assert.Equal(t, []string{"facts_conflict"}, conflicts(), "one share gives priority, the other not")

	// Shares all at or above 70% give the priority whichever is taken (a review of the
	// first fix); one share below 70% beside a unit that recorded none gives none, as no
	// share does; one at or above 70% beside a unit that recorded none is not known.
	for i, tc := range []struct {
		a, b     *float64
		eligible bool
		priority bool
	}{
		{wftest.Num(75), wftest.Num(80), true, true},
		{wftest.Num(40), nil, true, false},
		{wftest.Num(75), nil, false, false},
	} {
		ua, ub, um := fmt.Sprintf("WX%d", i), fmt.Sprintf("WY%d", i), fmt.Sprintf("WZ%d", i)
		env.Unit(ua, domain.UnitDistrict)
		env.Unit(ub, domain.UnitDistrict)
		env.Fact(reviewer, ua, domain.FactRecordedData{Fact: "women_pct", Number: tc.a})
		if tc.b != nil {
			env.Fact(reviewer, ub, domain.FactRecordedData{Fact: "women_pct", Number: tc.b})
		}
		env.GoodFacts(reviewer, ua, 80)
		env.GoodFacts(reviewer, ub, 80)
		_, err := merge(env, []string{ua, ub}, um, "2025-07-01")
		require.NoError(t, err)
		n, _ := env.MakeEligible(um, reviewer, 70)
		el, err := env.Model.Eligibility(n, projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, tc.eligible, el.Eligible, "%v / %v: %+v", *tc.a, tc.b, el.Reasons)
		if !tc.eligible {
			continue
		}
		rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		for _, e := range rk.Collective.Entries {
			if e.Nomination == n {
				assert.Equal(t, tc.priority, e.Keys[domain.KeyPriority], "%v / %v", *tc.a, tc.b)
			}
		}
	}
}

// A merger that would put two awards in force to one person, the second granted after
// the merger took effect, into one lineage is refused as two collective awards are,
// naming both; a grant after the merger was already refused (person_already_awarded).
func TestMergerOfOnePersonsTwoAwardsRefused(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	awards := map[string]string{}
	for u, name := range map[string]string{"PA": "Lê Văn Tám", "PB": "LE VAN TAM"} {
		env.Unit(u, domain.UnitDistrict)
		clerk := env.User(domain.RoleClerk, u)
		nom := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: "Chuyên viên"})
		env.GoodFacts(reviewer, u, 80)
		env.RuleAll(reviewer, nom)
		r, err := env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + u}, workflows.Options{})
		require.NoError(t, err, u)
		awards[u] = r.ID
	}
	mergerRefused(t, env, []string{"PA", "PB"}, "PAB", "2025-07-01", awards["PA"], awards["PB"])
}

// mergerRefused checks that merging sources into successor is refused as
// merger_double_award naming the awards, and appends nothing.
func mergerRefused(t *testing.T, env *wftest.Env, sources []string, successor, effective string, awards ...string) {
	t.Helper()
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err := merge(env, sources, successor, effective)
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "merger_double_award", re.Code)
	for _, a := range awards {
		assert.Contains(t, re.Message, a)
	}
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "a refused merger appends nothing")
}

// An award revoked for forged documents bars its holder from the campaign: the unit's
// clerk cannot open another collective nomination (nothing appended), and a nomination
// whose lineage takes the unit in by a merger is no longer eligible, nor granted, nor
// recommended. An award revoked for criteria found unmet makes room.
func TestRevocationForFraudBarsTheLineage(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nomFA, clerkFA := env.EligibleCollective("FA", domain.UnitDistrict, reviewer, 80)
	nomFB, _ := env.EligibleCollective("FB", domain.UnitDistrict, reviewer, 82)
	nomFD, clerkFD := env.EligibleCollective("FD", domain.UnitDistrict, reviewer, 81)
	grant := func(nom string) string {
		r, err := env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + nom}, workflows.Options{})
		require.NoError(t, err)
		return r.ID
	}
	awFA, awFD := grant(nomFA), grant(nomFD)
	_, err := env.Svc.RevokeAward(env.Ctx, council, awFA, workflows.RevokeInput{Ground: domain.GroundForgedDocuments, Note: "biên bản họp giả mạo"}, workflows.Options{})
	require.NoError(t, err)
	_, err = env.Svc.RevokeAward(env.Ctx, council, awFD, workflows.RevokeInput{Ground: domain.GroundCriteriaUnmet, Note: "chỉ số công bố lại"}, workflows.Options{})
	require.NoError(t, err)

	// FA's clerk opens a new collective nomination: refused, nothing appended.
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err = env.Svc.OpenNomination(env.Ctx, clerkFA, wftest.Campaign, workflows.OpenNominationInput{Unit: "FA", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "barred_by_revocation", re.Code)
	assert.Contains(t, re.MessageVI, "giả mạo hồ sơ")
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "a refusal appends nothing")
	// FD's award was revoked for criteria found unmet: FD is nominated again.
	_, err = env.Svc.OpenNomination(env.Ctx, clerkFD, wftest.Campaign, workflows.OpenNominationInput{Unit: "FD", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	require.NoError(t, err)

	// FA and FB merge into FC: FB's eligible nomination passes to FC, whose lineage takes
	// FA in. It is barred, cites the revocation, and is neither recommended nor granted.
	_, err = merge(env, []string{"FA", "FB"}, "FC", "2025-10-01")
	require.NoError(t, err)
	// FC's whole trail shows FA's award and its revocation, inherited from FA (a review
	// finding: it showed the award in force for good); FA's own events alone do not.
	trail, err := env.Model.UnitEvents("FC", true, projections.Bound{}, 0)
	require.NoError(t, err)
	var revoked []projections.EventView
	for _, e := range trail {
		if e.Type == domain.AwardRevoked {
			revoked = append(revoked, e)
		}
	}
	require.Len(t, revoked, 1, "FA's revocation, not FD's")
	assert.Equal(t, "FA", revoked[0].InheritedFrom)
	own, err := env.Model.UnitEvents("FA", false, projections.Bound{}, 0)
	require.NoError(t, err)
	assert.False(t, slices.ContainsFunc(own, func(e projections.EventView) bool { return e.Type == domain.AwardRevoked }))
	el, err := env.Model.Eligibility(nomFB, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	var barred *projections.ReasonView
	for i := range el.Reasons {
		if el.Reasons[i].Code == "barred_by_revocation" {
			barred = &el.Reasons[i]
		}
	}
	require.NotNil(t, barred, "%+v", el.Reasons)
	// It cites the revocation and the two mergers that joined FA's award to FB's
	// nomination, each with its details (before, the revocation alone).
	require.Len(t, barred.Events, 3, "%+v", barred)
	require.Len(t, barred.EventDetails, 3)
	assert.Equal(t, domain.AwardRevoked, barred.EventDetails[0].Type)
	assert.Equal(t, []string{domain.UnitMergedEvent, domain.UnitMergedEvent}, []string{barred.EventDetails[1].Type, barred.EventDetails[2].Type})
	assert.ElementsMatch(t, []string{"FA", "FB"}, []string{barred.EventDetails[1].Aggregate.ID, barred.EventDetails[2].Aggregate.ID})
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	for _, e := range rk.Collective.Entries {
		assert.NotEqual(t, nomFB, e.Nomination, "a barred nomination is not ranked")
	}
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomFB, Decision: "QĐ 3"}, workflows.Options{})
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "barred_by_revocation", re.Code)
	// Before the merger it was eligible: an answer as of then says so.
	past, err := env.Model.Eligibility(nomFB, projections.Bound{Seq: after})
	require.NoError(t, err)
	assert.True(t, past.Eligible, "%+v", past.Reasons)
}

// TestMergerOfAnUnawardedUnitIntoATwiceAwardedLineage: a successor holding two lawful
// collective awards (its own and an absorbed unit's, granted while they were apart and
// joined by a merger the campaign accepted) takes in a unit with none, by a decision in
// force from before the awards: this merger joins no award to another, and is recorded
// (a review finding: it was refused merger_double_award, and the council asked to
// revoke a lawful award).
func TestMergerOfAnUnawardedUnitIntoATwiceAwardedLineage(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	for _, u := range []string{"RA", "RC"} {
		nom, _ := env.EligibleCollective(u, domain.UnitDistrict, reviewer, 80)
		env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + u}, workflows.Options{}))
	}
	_, err := merge(env, []string{"RA"}, "RC", "2025-09-16") // after both grants: lawful
	require.NoError(t, err)
	env.Unit("RD", domain.UnitDistrict)
	env.Advance(10 * 24 * time.Hour)
	_, err = merge(env, []string{"RD"}, "RC", "2025-09-10")
	require.NoError(t, err)
	// Two awarded units joined by a merger in force before the later grant stay refused.
	for _, u := range []string{"RE", "RF"} {
		nom, _ := env.EligibleCollective(u, domain.UnitDistrict, reviewer, 80)
		env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + u}, workflows.Options{}))
	}
	mergerRefused(t, env, []string{"RE"}, "RF", "2025-09-10")
}

// TestLawfulAwardsOfAnExistingSuccessorStayEligible: an awarded unit merged into an
// existing awarded unit, both awards granted while they were apart: both awarded
// nominations stay eligible, as when they merge into a new unit, and the ranking lists
// neither as excluded (a review finding: the existing successor's own award turned
// lineage_already_awarded); the same for one person's two individual awards.
func TestLawfulAwardsOfAnExistingSuccessorStayEligible(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	noms := map[string]string{}
	for _, u := range []string{"LA", "LB", "LX", "LC"} {
		noms[u], _ = env.EligibleCollective(u, domain.UnitDistrict, reviewer, 80)
		env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[u], Decision: "QĐ " + u}, workflows.Options{}))
	}
	for _, u := range []string{"LQ", "LP"} {
		env.Unit(u, domain.UnitDistrict)
		noms[u] = env.Dossier(env.User(domain.RoleClerk, u), domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tám", Position: "Chuyên viên"})
		env.GoodFacts(reviewer, u, 80)
		env.RuleAll(reviewer, noms[u])
		env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[u], Decision: "QĐ " + u}, workflows.Options{}))
	}
	_, err := merge(env, []string{"LA", "LB"}, "LAB", "2025-09-16") // into a new unit
	require.NoError(t, err)
	_, err = merge(env, []string{"LX"}, "LC", "2025-09-16") // into an existing one
	require.NoError(t, err)
	_, err = merge(env, []string{"LP"}, "LQ", "2025-09-16")
	require.NoError(t, err)
	for _, u := range []string{"LA", "LB", "LX", "LC", "LP", "LQ"} {
		el, err := env.Model.Eligibility(noms[u], projections.Bound{})
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%s: %+v", u, el.Reasons)
	}
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Empty(t, rk.Collective.AwardedUnranked)
	assert.Empty(t, rk.Individual.AwardedUnranked)
	// A nomination of the merged lineage opened now is still barred.
	mustNotOpen := env.User(domain.RoleClerk, "LC")
	_, err = env.Svc.OpenNomination(env.Ctx, mustNotOpen, wftest.Campaign, workflows.OpenNominationInput{Unit: "LC", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	require.Error(t, err)
}

// TestHoldFollowsThePersonAcrossAMerger: two districts nominated one person; one dossier is
// on hold (a discipline review of that person) when the districts merge. The other dossier,
// eligible on its own, is not recommended (withheld person_on_hold) and its grant is
// refused (person_on_hold) while the hold stands; released, the person's two dossiers rank
// as any two of one person. Before, it was recommended first and granted: the hold stayed
// on one dossier.
func TestHoldFollowsThePersonAcrossAMerger(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer, council, na, nb := env.OnePersonInTwoDistricts("HA", "HB")
	env.OK(env.Svc.Hold(env.Ctx, reviewer, na, "đang xem xét kỷ luật ông Lê Văn Tâm", workflows.Options{}))
	env.OK(merge(env, []string{"HA", "HB"}, "HAB", "2025-09-15"))

	entry := func(m *projections.Model) projections.RankEntryView {
		t.Helper()
		rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		for _, e := range rk.Individual.Entries {
			if e.Nomination == nb {
				return e
			}
		}
		t.Fatalf("%s not ranked: %+v", nb, rk.Individual.Entries)
		return projections.RankEntryView{}
	}
	e := entry(env.Model)
	assert.False(t, e.Recommended)
	assert.Equal(t, domain.WithheldPersonOnHold, e.Withheld)
	// A clerk of another unit does not read it at all: withheld for a hold, it is left out
	// for them, and the places below it move up, as for a nomination not eligible (a
	// review finding: an "undisclosed" with no entry of the person above it could only be
	// the hold).
	env.Unit("HSO", domain.UnitDepartment)
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	otherClerk := env.User(domain.RoleClerk, "HSO")
	theirs, changed := env.Svc.RankingFor(otherClerk, rk)
	assert.True(t, changed)
	assert.Len(t, theirs.Individual.Entries, len(rk.Individual.Entries)-1)
	for i, x := range theirs.Individual.Entries {
		assert.NotEqual(t, nb, x.Nomination)
		assert.Equal(t, i+1, x.Rank, "the places renumbered")
	}
	_, changed = env.Svc.RankingFor(reviewer, rk)
	assert.False(t, changed, "a reviewer reads the reason")
	assert.Equal(t, domain.WithheldPersonOnHold, entry(env.Model).Withheld, "the model's ranking is not changed")
	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, e, entry(rebuilt), "a rebuild ranks it alike")
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nb, Decision: "QĐ 1/2025"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "person_on_hold", re.Code)
	assert.Contains(t, re.MessageVI, "đang tạm dừng xét")

	// A campaign under the rules' revision 1 (launched before this reading) ranks as its
	// grants recorded: the entry is recommended. The grant is refused all the same.
	reviseRules(env, 1)
	e = entry(env.Model)
	assert.True(t, e.Recommended)
	assert.Empty(t, e.Withheld)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nb, Decision: "QĐ 1/2025"}, workflows.Options{})
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "person_on_hold", re.Code)
	reviseRules(env, 2)

	// Released, the held dossier (ranked above) is the person's one recommended.
	env.OK(env.Svc.Release(env.Ctx, reviewer, na, "đã xem xét xong, không kỷ luật", workflows.Options{}))
	e = entry(env.Model)
	assert.False(t, e.Recommended)
	assert.Equal(t, domain.WithheldPerson, e.Withheld)
	// The other clerk reads this withholding as undisclosed too: "undisclosed" names no hold.
	rk, err = env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	theirs, _ = env.Svc.RankingFor(otherClerk, rk)
	for _, x := range theirs.Individual.Entries {
		if x.Nomination == nb {
			assert.Equal(t, domain.WithheldUndisclosed, x.Withheld)
		}
	}
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: na, Decision: "QĐ 1/2025"}, workflows.Options{}))
}

// TestHoldRacesTheGrantOfThePersonsOtherDossier: a hold on one of a person's dossiers and
// a grant of the same person's other dossier in the unit (a merger joined them), decided at
// the same moment on two servers, do not both stand: the hold is noted on the unit, which
// the grant appends to as well, so the grant decides again and is refused person_on_hold.
// Before, both stood, and the award went to a person under discipline review.
func TestHoldRacesTheGrantOfThePersonsOtherDossier(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer, council, na, nb := env.OnePersonInTwoDistricts("ZA", "ZB")
	env.OK(merge(env, []string{"ZA", "ZB"}, "ZAB", "2025-09-15"))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 10*time.Second))
	b := env.Lagging()
	env.OK(env.Svc.Hold(env.Ctx, reviewer, na, "đang xem xét kỷ luật", workflows.Options{}))
	feedSoon(t, b)
	_, err := b.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nb, Decision: "QĐ 1/2025"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re, "the grant stood beside the hold")
	assert.Equal(t, "person_on_hold", re.Code)
}

// TestPassedOnHeadIsNotTheSuccessorsHead: a head nomination a merger passed on from a
// predecessor is the predecessor's head, not the successor's: the successor still
// nominates its own head, and either head's details can be corrected beside the other. A
// second head of the same unit line is still refused. Before, the passed-on head refused
// the successor's own (head_already_nominated), and each head's correction named the other.
func TestPassedOnHeadIsNotTheSuccessorsHead(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("HA", domain.UnitDistrict)
	env.Unit("HC", domain.UnitDistrict)
	clerkA := env.User(domain.RoleClerk, "HA")
	env.Plan(clerkA)
	clerkC := env.User(domain.RoleClerk, "HC")
	env.Plan(clerkC)
	headA := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn Anh", Position: "Chủ tịch UBND huyện A", Head: true}
	a := env.OK(env.Svc.OpenNomination(env.Ctx, clerkA, wftest.Campaign, workflows.OpenNominationInput{Unit: "HA", Nominee: headA}, workflows.Options{}))
	_, err := merge(env, []string{"HA"}, "HC", "2025-09-15")
	require.NoError(t, err)

	headC := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Bình", Position: "Chủ tịch UBND huyện C", Head: true}
	c := env.OK(env.Svc.OpenNomination(env.Ctx, clerkC, wftest.Campaign, workflows.OpenNominationInput{Unit: "HC", Nominee: headC}, workflows.Options{}))
	fixed := headA
	fixed.Name = "Nguyễn Văn Ánh"
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerkC, a.ID, fixed, "sai chính tả", workflows.Options{}))
	headC.Position = "Chủ tịch UBND huyện C (mới)"
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerkC, c.ID, headC, "ghi rõ chức vụ", workflows.Options{}))

	// The successor's second head is still one too many.
	re := refused(t, env, "head_already_nominated", func() (workflows.Result, error) {
		return env.Svc.OpenNomination(env.Ctx, clerkC, wftest.Campaign, workflows.OpenNominationInput{Unit: "HC",
			Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Cường", Position: "Chủ tịch UBND huyện C", Head: true}}, workflows.Options{})
	})
	assert.Contains(t, re.Message, "Trần Thị Bình")
}

// TestFraudOfAMergedUnitLeavesTheSuccessorsAwardInForce: a unit whose award was revoked for
// forged documents merges into a unit holding a lawful award of the campaign: that award
// stays eligible and ranked, as it does when the successor is new; only what the merged
// lineage opens from then on is barred. Before, the existing successor's award turned
// barred_by_revocation and dropped to the awards no longer ranked, a new successor's not.
func TestFraudOfAMergedUnitLeavesTheSuccessorsAwardInForce(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	noms, awards := map[string]string{}, map[string]string{}
	for _, u := range []string{"BA", "BC", "BX", "BY"} {
		noms[u], _ = env.EligibleCollective(u, domain.UnitDistrict, reviewer, 80)
		awards[u] = env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: noms[u], Decision: "QĐ " + u}, workflows.Options{})).ID
	}
	for _, u := range []string{"BA", "BX"} {
		_, err := env.Svc.RevokeAward(env.Ctx, council, awards[u], workflows.RevokeInput{Ground: domain.GroundForgedDocuments, Note: "giả mạo biên bản"}, workflows.Options{})
		require.NoError(t, err)
	}
	_, err := merge(env, []string{"BA"}, "BC", "2025-10-01") // into an existing unit
	require.NoError(t, err)
	_, err = merge(env, []string{"BX", "BY"}, "BZ", "2025-10-01") // into a new one
	require.NoError(t, err)
	for _, u := range []string{"BC", "BY"} {
		el, err := env.Model.Eligibility(noms[u], projections.Bound{})
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%s: %+v", u, el.Reasons)
	}
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Empty(t, rk.Collective.AwardedUnranked)
	// What the merged lineage opens now is barred.
	_, err = env.Svc.OpenNomination(env.Ctx, env.User(domain.RoleClerk, "BC"), wftest.Campaign,
		workflows.OpenNominationInput{Unit: "BC", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, []string{"barred_by_revocation", "nomination_exists"}, re.Code)
}

// TestCollectiveHoldStopsTheUnitsOtherGrant: a district under inspection (its collective
// nomination on hold) absorbs a district whose eligible collective nomination passes to it:
// its grant is refused (unit_on_hold) while the hold stands, and granted once released; the
// hold is noted on the unit, so that a grant deciding before it meets the unit's sequence.
// Before, the grant made the inspected district's collective award.
func TestCollectiveHoldStopsTheUnitsOtherGrant(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	na, clerkA := env.EligibleCollective("CHA", domain.UnitDistrict, reviewer, 90)
	nc, clerkC := env.EligibleCollective("CHC", domain.UnitDistrict, reviewer, 85)
	held := env.OK(env.Svc.Hold(env.Ctx, reviewer, nc, "Thanh tra tỉnh đang thanh tra UBND huyện", workflows.Options{}))
	evs, _, err := env.Store.Load(env.Ctx, eventstore.Ref{Kind: domain.KindUnit, ID: "CHC"})
	require.NoError(t, err)
	assert.Equal(t, domain.UnitHoldNoted, evs[len(evs)-1].Type, "the hold noted on the unit")
	assert.Contains(t, held.Events, evs[len(evs)-1].ID)
	_, err = merge(env, []string{"CHA"}, "CHC", "2025-10-01")
	require.NoError(t, err)

	re := refused(t, env, "unit_on_hold", func() (workflows.Result, error) {
		return env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: na, Decision: "QĐ 1"}, workflows.Options{})
	})
	assert.Contains(t, re.MessageVI, "tạm dừng xét")

	// The ranking withholds it too (rules' revision 3), where it recommended the nomination
	// its grant refused; a campaign under revision 2 ranks as its grants recorded.
	entry := func() projections.RankEntryView {
		t.Helper()
		rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		require.NoError(t, err)
		for _, e := range rk.Collective.Entries {
			if e.Nomination == na {
				return e
			}
		}
		t.Fatalf("%s not ranked: %+v", na, rk.Collective.Entries)
		return projections.RankEntryView{}
	}
	e := entry()
	assert.False(t, e.Recommended)
	assert.Equal(t, domain.WithheldUnitOnHold, e.Withheld)
	// CHA's clerk reads CHA's nomination, not CHC's held one: they read "undisclosed", as
	// the unit's trail leaves the hold out for them (a review finding: they read
	// unit_on_hold); CHC's clerk reads the reason.
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	for clerk, want := range map[workflows.Principal]string{clerkA: domain.WithheldUndisclosed, clerkC: domain.WithheldUnitOnHold} {
		theirs, _ := env.Svc.RankingFor(clerk, rk)
		for _, x := range theirs.Collective.Entries {
			if x.Nomination == na {
				assert.Equal(t, want, x.Withheld, clerk.Unit)
			}
		}
	}
	require.Equal(t, domain.CurrentRulesRevision, rulesRevision(env))
	reviseRules(env, 2)
	e = entry()
	assert.True(t, e.Recommended)
	assert.Empty(t, e.Withheld)
	reviseRules(env, 3)

	env.OK(env.Svc.Release(env.Ctx, reviewer, nc, "Kết thúc thanh tra, không có vi phạm", workflows.Options{}))
	e = entry()
	assert.True(t, e.Recommended, "released, the unit's nomination takes its place again")
	assert.Empty(t, e.Withheld)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: na, Decision: "QĐ 2"}, workflows.Options{}))
}
