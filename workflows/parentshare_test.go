package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// The tests of this file are a review's (round 6) of the rules' revision 3 for a parent
// unit's share of subordinates in breach (C13) across mergers: a share recorded by a unit
// that had no subordinates then is a share of nothing, and the subordinates of every unit
// of a nomination's path count (see the README's thirty-third session's changes).

// subUnder registers a commune under parent.
func subUnder(env *wftest.Env, id, parent string) workflows.Result {
	return env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: id, Name: "Đơn vị " + id, Kind: domain.UnitCommune, Parent: parent}, workflows.Options{}))
}

// c13Of is C13's result on nomination id, now.
func c13Of(t *testing.T, env *wftest.Env, id string) projections.CriterionView {
	t.Helper()
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	return el.Criteria["C13"]
}

// collectiveDossier opens a collective dossier of unit, complete and ruled on in full.
func collectiveDossier(env *wftest.Env, reviewer workflows.Principal, unit string) string {
	id := env.Dossier(env.User(domain.RoleClerk, unit), domain.Nominee{Kind: domain.NomineeCollective})
	env.RuleAll(reviewer, id)
	return id
}

// goodWithShare records good figures for unit, with v as its share of subordinates in breach.
func goodWithShare(env *wftest.Env, reviewer workflows.Principal, unit string, v float64) {
	env.GoodFactsExcept(reviewer, unit, 80, "subordinate_violation_pct")
	env.Fact(reviewer, unit, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: wftest.Num(v)})
}

// TestExistingUnitsShareOfNothingHidesNoParentsShare: an existing department with no
// subordinates, whose figures (a 0% share among them) were recorded before the merger,
// absorbs a parent department: its 0% is a share of nothing and the parent's 20% excludes
// (before, the 0% stood and C13 was met); the parent's share not recorded, C13 waits.
func TestExistingUnitsShareOfNothingHidesNoParentsShare(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	for _, tc := range []struct {
		p, e  string
		share *float64 // the absorbed parent's share (nil: not recorded)
		want  string
	}{
		{"P1", "E1", wftest.Num(20), domain.ResultExcluded}, // as when E1 recorded none (TestParentShareThroughMergers)
		{"P2", "E2", nil, domain.ResultPending},
	} {
		env.Unit(tc.p, domain.UnitDepartment)
		subUnder(env, tc.p+"K", tc.p)
		if tc.share != nil {
			goodWithShare(env, reviewer, tc.p, *tc.share)
		} else {
			env.GoodFactsExcept(reviewer, tc.p, 80, "subordinate_violation_pct")
		}
		env.Unit(tc.e, domain.UnitDepartment)
		env.GoodFacts(reviewer, tc.e, 80) // subordinate_violation_pct 0 among them; it has no subordinates
		_, err := merge(env, []string{tc.p}, tc.e, "2025-03-01")
		require.NoError(t, err)
		require.True(t, env.Model.ParentUnit(tc.e, projections.Bound{}))
		id := collectiveDossier(env, reviewer, tc.e)
		c := c13Of(t, env, id)
		assert.Equal(t, tc.want, c.Result, "%s absorbing %s: %+v", tc.e, tc.p, c)
		el, _ := env.Model.Eligibility(id, projections.Bound{})
		assert.False(t, el.Eligible, "%s", tc.e)
	}
	// Through a chain: E4 (0%, no subordinates) absorbs P4 (20%), then E4 and F4 make new G4.
	env.Unit("P4", domain.UnitDepartment)
	subUnder(env, "P4K", "P4")
	goodWithShare(env, reviewer, "P4", 20)
	env.Unit("E4", domain.UnitDepartment)
	env.GoodFacts(reviewer, "E4", 80)
	env.Unit("F4", domain.UnitDepartment)
	env.GoodFactsExcept(reviewer, "F4", 80, "subordinate_violation_pct")
	_, err := merge(env, []string{"P4"}, "E4", "2025-03-01")
	require.NoError(t, err)
	_, err = merge(env, []string{"E4", "F4"}, "G4", "2025-04-01")
	require.NoError(t, err)
	env.GoodFactsExcept(reviewer, "G4", 80, "subordinate_violation_pct")
	c := c13Of(t, env, collectiveDossier(env, reviewer, "G4"))
	assert.NotEqual(t, domain.ResultMet, c.Result, "G4: %+v", c)
	// A new successor of a parent at 20% and a department with no subordinates at 0%: the
	// 0% is a share of nothing, the 20% excludes.
	env.Unit("P3", domain.UnitDepartment)
	subUnder(env, "P3K", "P3")
	goodWithShare(env, reviewer, "P3", 20)
	env.Unit("B3", domain.UnitDepartment)
	env.GoodFacts(reviewer, "B3", 80)
	_, err = merge(env, []string{"P3", "B3"}, "N3", "2025-03-01")
	require.NoError(t, err)
	env.GoodFactsExcept(reviewer, "N3", 80, "subordinate_violation_pct")
	assert.Equal(t, domain.ResultExcluded, c13Of(t, env, collectiveDossier(env, reviewer, "N3")).Result)
}

// TestPassedOnToAParentThroughTheUnitMergedAlongside: A (no subordinates) and B (a commune
// under it, 30% in breach) merge into a new C: A's nomination, now C's, is of a parent
// unit and waits for C's share (before, it was judged as of a unit with none).
func TestPassedOnToAParentThroughTheUnitMergedAlongside(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("A5", domain.UnitDistrict)
	env.Unit("B5", domain.UnitDistrict)
	subUnder(env, "B5K", "B5")
	env.GoodFactsExcept(reviewer, "A5", 80, "subordinate_violation_pct")
	goodWithShare(env, reviewer, "B5", 30)
	a := collectiveDossier(env, reviewer, "A5")
	_, err := merge(env, []string{"A5", "B5"}, "C5", "2025-07-01")
	require.NoError(t, err)
	require.True(t, env.Model.ParentUnit("C5", projections.Bound{}))
	el, err := env.Model.Eligibility(a, projections.Bound{})
	require.NoError(t, err)
	require.Equal(t, "C5", el.Unit)
	assert.Equal(t, domain.ResultPending, el.Criteria["C13"].Result, "C5 is a parent unit; its share is not recorded: %+v", el.Criteria["C13"])
	assert.False(t, el.Eligible)
	// For comparison: once a commune is registered directly under C5 it waits.
	subUnder(env, "C5K", "C5")
	assert.Equal(t, domain.ResultPending, c13Of(t, env, a).Result)
}

// TestPassedOnShareOfNothingStandsForNoParent: A (no subordinates; its figures, a 0% share
// among them) passes its nomination to an existing district E with a commune (25% in
// breach before the merger): A's 0% is a share of nothing, and C13 waits for E's own
// after the merger (before, A's 0% met it).
func TestPassedOnShareOfNothingStandsForNoParent(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("A6", domain.UnitDistrict)
	env.Unit("E6", domain.UnitDistrict)
	subUnder(env, "E6K", "E6")
	env.GoodFacts(reviewer, "A6", 80)
	goodWithShare(env, reviewer, "E6", 25)
	a := collectiveDossier(env, reviewer, "A6")
	_, err := merge(env, []string{"A6"}, "E6", "2025-07-01")
	require.NoError(t, err)
	el, err := env.Model.Eligibility(a, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, domain.ResultPending, el.Criteria["C13"].Result, "%+v", el.Criteria["C13"])
	assert.False(t, el.Eligible)
}

// TestSharesOfNothingSayNothingOfALaterCommune: two districts with no subordinates, both
// with a 0% share recorded, merge into a new district that then takes a commune: C13 then
// waits (before, their 0% met it).
func TestSharesOfNothingSayNothingOfALaterCommune(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("Z1", domain.UnitDistrict)
	env.Unit("Z2", domain.UnitDistrict)
	env.GoodFacts(reviewer, "Z1", 80)
	env.GoodFacts(reviewer, "Z2", 80)
	_, err := merge(env, []string{"Z1", "Z2"}, "ZS", "2025-07-01")
	require.NoError(t, err)
	id := collectiveDossier(env, reviewer, "ZS")
	require.Equal(t, domain.ResultMet, c13Of(t, env, id).Result)
	subUnder(env, "ZK", "ZS")
	assert.Equal(t, domain.ResultPending, c13Of(t, env, id).Result, "%+v", c13Of(t, env, id))
}

// TestShareOfNothingBesideAParentsShare: a parent district at 5% and a district with no
// subordinates whose figures include a 0% share merge into a new district: the 5% is the
// share (before, "5 / 0" waited).
func TestShareOfNothingBesideAParentsShare(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("Y1", domain.UnitDistrict)
	subUnder(env, "Y1K", "Y1")
	goodWithShare(env, reviewer, "Y1", 5)
	env.Unit("Y2", domain.UnitDistrict)
	env.GoodFacts(reviewer, "Y2", 80)
	_, err := merge(env, []string{"Y1", "Y2"}, "YS", "2025-07-01")
	require.NoError(t, err)
	env.GoodFactsExcept(reviewer, "YS", 80, "subordinate_violation_pct")
	c := c13Of(t, env, collectiveDossier(env, reviewer, "YS"))
	assert.Equal(t, domain.ResultMet, c.Result, "%+v", c)
}

// TestNestedShareOfNothingBesideAParent: a new C of A (0%, no subordinates) and B (none),
// then C and a parent D (0%) make a new G: D's 0% is the share (before, the nested gap
// "not recorded by B8" waited).
func TestNestedShareOfNothingBesideAParent(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("A8", domain.UnitDistrict)
	env.Unit("B8", domain.UnitDistrict)
	env.Unit("D8", domain.UnitDistrict)
	subUnder(env, "D8K", "D8")
	env.GoodFacts(reviewer, "A8", 80)
	env.GoodFactsExcept(reviewer, "B8", 80, "subordinate_violation_pct")
	goodWithShare(env, reviewer, "D8", 0)
	_, err := merge(env, []string{"A8", "B8"}, "C8", "2025-07-01")
	require.NoError(t, err)
	_, err = merge(env, []string{"C8", "D8"}, "G8", "2025-08-01")
	require.NoError(t, err)
	env.GoodFactsExcept(reviewer, "G8", 80, "subordinate_violation_pct")
	c := c13Of(t, env, collectiveDossier(env, reviewer, "G8"))
	assert.Equal(t, domain.ResultMet, c.Result, "%+v", c)
}

// TestParentShareUnderRevision2: a campaign under the rules' revision 2 judges the cases
// above as stop 40's binary did.
func TestParentShareUnderRevision2(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	reviseRules(env, 2)
	env.Unit("A5", domain.UnitDistrict)
	env.Unit("B5", domain.UnitDistrict)
	subUnder(env, "B5K", "B5")
	env.GoodFactsExcept(reviewer, "A5", 80, "subordinate_violation_pct")
	goodWithShare(env, reviewer, "B5", 30)
	a := collectiveDossier(env, reviewer, "A5")
	_, err := merge(env, []string{"A5", "B5"}, "C5", "2025-07-01")
	require.NoError(t, err)
	assert.Equal(t, domain.ResultMet, c13Of(t, env, a).Result, "revision 2, as stop 40 judged it")
	env.Unit("P1", domain.UnitDepartment)
	subUnder(env, "P1K", "P1")
	goodWithShare(env, reviewer, "P1", 20)
	env.Unit("E1", domain.UnitDepartment)
	env.GoodFacts(reviewer, "E1", 80)
	_, err = merge(env, []string{"P1"}, "E1", "2025-03-01")
	require.NoError(t, err)
	assert.Equal(t, domain.ResultMet, c13Of(t, env, collectiveDossier(env, reviewer, "E1")).Result, "revision 2, as stop 40 judged it")
}
