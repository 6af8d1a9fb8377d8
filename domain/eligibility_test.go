package domain_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

// goodFacts records facts under which every collective fact criterion is met.
func goodFacts(t *testing.T, s *stream, def domain.Definition, u *domain.Unit, fs *domain.FactSet) {
	t.Helper()
	for _, d := range []domain.FactRecordedData{
		{Fact: "par_rating", Text: "Tốt"},
		{Fact: "disbursement_pct", Number: f64(100)},
		{Fact: "late_dossiers", Number: f64(0)},
		{Fact: "backlog_dossiers", Number: f64(0)},
		{Fact: "late_directives", Number: f64(0)},
		{Fact: "staff_hours_violation_pct", Number: f64(2)},
		{Fact: "online_service_pct", Number: f64(100)},
		{Fact: "index_component", Index: "PAR_INDEX", Component: "Cải cách TTHC", Number: f64(9.1), Previous: f64(8.7)},
	} {
		fact(t, s, def, u, fs, d)
	}
}

// scenario is a submitted collective nomination with every ruling met, good facts and a plan.
type scenario struct {
	def  domain.Definition
	s    *stream
	u    *domain.Unit
	n    *domain.Nomination
	fs   *domain.FactSet
	plan *domain.PlanRef
	t    *testing.T
}

func newScenario(t *testing.T, nominee domain.Nominee) *scenario {
	t.Helper()
	sc := &scenario{def: domain.BuiltinCampaign(), s: newStream(), fs: domain.NewFactSet(), t: t}
	sc.u = activeUnit(t, sc.s, "so-a", domain.UnitDepartment)
	sc.s.apply(sc.u, must(t)(sc.u.SubmitPlan(sc.def.ID, doc("plan")))...)
	p, _ := sc.u.Plan(sc.def.ID)
	sc.plan = &p
	goodFacts(t, sc.s, sc.def, sc.u, sc.fs)
	sc.n = submitted(t, sc.s, sc.def, "n1", sc.u, nominee)
	ruleAll(t, sc.s, sc.def, sc.n)
	return sc
}

// eval evaluates the scenario, and checks that domain.Eligible agrees with Evaluate
// (TestEligibleAgreesWithEvaluate is every test that calls it).
func (sc *scenario) eval() domain.Eligibility {
	el := domain.Evaluate(sc.def, sc.n, sc.fs, sc.plan)
	if got := domain.Eligible(sc.def, sc.n, sc.fs, sc.plan); got != el.Eligible {
		sc.t.Errorf("Eligible says %v, Evaluate says %v (reasons %v)", got, el.Eligible, reasonCodes(el))
	}
	return el
}

func TestEvaluateEligible(t *testing.T) {
	t.Parallel()
	heads := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn C", Position: "Giám đốc", Head: true}
	tests := []struct {
		name     string
		nominee  domain.Nominee
		criteria int
	}{
		{"collective", collective, 13},
		{"individual", domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị D", Position: "Chuyên viên"}, 7},
		{"head", heads, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, tt.nominee)
			if sc.n.State() != domain.StateVerified {
				t.Fatalf("state %s", sc.n.State())
			}
			el := sc.eval()
			if !el.Eligible || len(el.Reasons) != 0 {
				t.Fatalf("not eligible: %v", reasonCodes(el))
			}
			if len(el.Criteria) != tt.criteria {
				t.Fatalf("%d criteria judged, want %d", len(el.Criteria), tt.criteria)
			}
			for id, c := range el.Criteria {
				if c.Result != domain.ResultMet || len(c.Events) == 0 {
					t.Fatalf("%s: %+v", id, c)
				}
			}
			if !reflect.DeepEqual(el, sc.eval()) {
				t.Fatal("Evaluate is not deterministic")
			}
		})
	}
}

func TestEvaluateC08Disbursement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fact   *domain.FactRecordedData
		result string
		codes  []string
	}{
		{"97 subjective excludes", &domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(97), Cause: "subjective"},
			domain.ResultExcluded, []string{"C08:excluded_disbursement_subjective"}},
		{"97 objective is met", &domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(97), Cause: "objective"}, domain.ResultMet, nil},
		{"100 is met", &domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(100)}, domain.ResultMet, nil},
		{"112 is met", &domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(112)}, domain.ResultMet, nil},
		{"missing is pending", nil, domain.ResultPending, []string{"C08:criterion_pending"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, collective)
			sc.fs = domain.NewFactSet() // start again without disbursement
			goodFacts(t, sc.s, sc.def, sc.u, sc.fs)
			fs := domain.NewFactSet()
			for _, e := range sc.fs.All() {
				if e.Data.Fact != "disbursement_pct" {
					fs.Apply(sc.def.ID, domain.Recorded{ID: e.EventID, Seq: e.Seq, At: e.At, Type: domain.FactRecorded, Data: e.Data})
				}
			}
			sc.fs = fs
			var id string
			if tt.fact != nil {
				id = fact(t, sc.s, sc.def, sc.u, sc.fs, *tt.fact)
			}
			el := sc.eval()
			c := el.Criteria["C08"]
			if c.Result != tt.result {
				t.Fatalf("C08 %s (%s), want %s", c.Result, c.Note, tt.result)
			}
			if got := reasonCodes(el); !slices.Equal(got, tt.codes) {
				t.Fatalf("reasons %v, want %v", got, tt.codes)
			}
			if el.Eligible != (len(tt.codes) == 0) {
				t.Fatalf("eligible %v", el.Eligible)
			}
			if tt.fact != nil && !slices.Contains(c.Events, id) {
				t.Fatalf("C08 events %v do not cite %s", c.Events, id)
			}
			if tt.result == domain.ResultExcluded {
				r := el.Reasons[0]
				if !slices.Equal(r.Events, []string{id}) || r.MessageVI == "" || r.MessageEN == "" || r.Criterion != "C08" {
					t.Fatalf("reason %+v", r)
				}
			}
		})
	}
}

func TestEvaluateC08WithoutCauseIsNotMet(t *testing.T) {
	t.Parallel()
	// Facts recorded before causes were required (or by an old schema) carry no cause.
	sc := newScenario(t, collective)
	r := sc.s.record(domain.Event{Type: domain.FactRecorded, Data: domain.FactRecordedData{Campaign: sc.def.ID, Fact: "disbursement_pct", Number: f64(90)}})
	sc.fs.Apply(sc.def.ID, r)
	el := sc.eval()
	if el.Criteria["C08"].Result != domain.ResultNotMet || !slices.Equal(reasonCodes(el), []string{"C08:criterion_not_met"}) {
		t.Fatalf("C08 %+v reasons %v", el.Criteria["C08"], reasonCodes(el))
	}
}

func TestEvaluateC13Discipline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		facts []domain.FactRecordedData
		codes []string
	}{
		{"10% does not exclude", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(10)}}, nil},
		{"10.5% excludes", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(10.5)}}, []string{"C13:excluded_discipline_staff_hours"}},
		{"subordinates 10.5% excludes", []domain.FactRecordedData{{Fact: "subordinate_violation_pct", Number: f64(10.5)}}, []string{"C13:excluded_discipline_subordinates"}},
		{"subordinates 10% does not", []domain.FactRecordedData{{Fact: "subordinate_violation_pct", Number: f64(10)}}, nil},
		{"one late directive excludes", []domain.FactRecordedData{{Fact: "late_directives", Number: f64(1)}},
			[]string{"C13:excluded_late_directives"}},
		{"several exclusions", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(30)}, {Fact: "late_directives", Number: f64(2)}},
			[]string{"C13:excluded_discipline_staff_hours", "C13:excluded_late_directives"}},
		{"a correction lifts the exclusion", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(12)}, {Fact: "staff_hours_violation_pct", Number: f64(8)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, collective)
			for _, f := range tt.facts {
				fact(t, sc.s, sc.def, sc.u, sc.fs, f)
			}
			el := sc.eval()
			if got := reasonCodes(el); !slices.Equal(got, tt.codes) {
				t.Fatalf("reasons %v, want %v (C13 %+v)", got, tt.codes, el.Criteria["C13"])
			}
		})
	}
	t.Run("pending without any discipline fact", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, collective)
		sc.fs = domain.NewFactSet()
		el := sc.eval()
		if el.Criteria["C13"].Result != domain.ResultPending {
			t.Fatalf("C13 %+v", el.Criteria["C13"])
		}
	})
}

func TestEvaluateC12Index(t *testing.T) {
	t.Parallel()
	comp := func(c string, v, p float64) domain.FactRecordedData {
		return domain.FactRecordedData{Fact: "index_component", Index: "PCI", Component: c, Number: f64(v), Previous: f64(p)}
	}
	tests := []struct {
		name   string
		facts  []domain.FactRecordedData
		result string
	}{
		{"improved", []domain.FactRecordedData{comp("a", 7, 6)}, domain.ResultMet},
		{"one equal is not improved", []domain.FactRecordedData{comp("a", 7, 6), comp("b", 5, 5)}, domain.ResultNotMet},
		{"not published keeps it pending", []domain.FactRecordedData{comp("a", 7, 6), {Fact: "index_component", Index: "SIPAS", Component: "s", Status: "not_published"}}, domain.ResultPending},
		{"published later supersedes", []domain.FactRecordedData{{Fact: "index_component", Index: "SIPAS", Component: "s", Status: "not_published"}, {Fact: "index_component", Index: "SIPAS", Component: "s", Number: f64(80), Previous: f64(75)}}, domain.ResultMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, collective)
			for _, f := range tt.facts {
				fact(t, sc.s, sc.def, sc.u, sc.fs, f)
			}
			if got := sc.eval().Criteria["C12"].Result; got != tt.result {
				t.Fatalf("C12 %s, want %s", got, tt.result)
			}
		})
	}
	t.Run("none recorded is pending", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, collective)
		sc.fs = domain.NewFactSet()
		if got := sc.eval().Criteria["C12"].Result; got != domain.ResultPending {
			t.Fatalf("C12 %s", got)
		}
	})
}

func TestHeadCriteriaFollowUnitFacts(t *testing.T) {
	t.Parallel()
	head := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn C", Position: "Giám đốc", Head: true}
	plain := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị D", Position: "Chuyên viên"}
	sc := newScenario(t, head)
	// The collective of the same unit is judged from the same facts.
	coll := submitted(t, sc.s, sc.def, "n2", sc.u, collective)
	ruleAll(t, sc.s, sc.def, coll)
	staff := submitted(t, sc.s, sc.def, "n3", sc.u, plain)
	ruleAll(t, sc.s, sc.def, staff)

	rating := fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "par_rating", Text: "Khá"})
	for _, tc := range []struct {
		n         *domain.Nomination
		criterion string
	}{{sc.n, "H01"}, {coll, "C04"}} {
		el := domain.Evaluate(sc.def, tc.n, sc.fs, sc.plan)
		c := el.Criteria[tc.criterion]
		if c.Result != domain.ResultNotMet || !slices.Equal(c.Events, []string{rating}) || el.Eligible {
			t.Fatalf("%s after Khá: %+v eligible %v", tc.criterion, c, el.Eligible)
		}
	}
	if el := domain.Evaluate(sc.def, staff, sc.fs, sc.plan); !el.Eligible {
		t.Fatalf("a non-head individual does not depend on the unit's rating: %v", reasonCodes(el))
	}
	fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "late_directives", Number: f64(2)})
	el := domain.Evaluate(sc.def, sc.n, sc.fs, sc.plan)
	if got := reasonCodes(el); !slices.Equal(got, []string{"H01:criterion_not_met", "H03:criterion_not_met"}) {
		t.Fatalf("head reasons %v", got)
	}
	// One corrected fact re-judges both the collective and its head.
	fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "par_rating", Text: "Tốt"})
	fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "late_directives", Number: f64(0)})
	if el := sc.eval(); !el.Eligible {
		t.Fatalf("head after correction: %v", reasonCodes(el))
	}
	if el := domain.Evaluate(sc.def, coll, sc.fs, sc.plan); !el.Eligible {
		t.Fatalf("collective after correction: %v", reasonCodes(el))
	}
	// H02 reads the plan literally: an objective shortfall is not 100%.
	fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(95), Cause: "objective"})
	if got := reasonCodes(sc.eval()); !slices.Equal(got, []string{"H02:criterion_not_met"}) {
		t.Fatalf("head with objective shortfall: %v", got)
	}
	if el := domain.Evaluate(sc.def, coll, sc.fs, sc.plan); !el.Eligible {
		t.Fatalf("collective with objective shortfall: %v", reasonCodes(el))
	}
}

func TestEvaluateWorkflowReasons(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	t.Run("draft lists what is missing", func(t *testing.T) {
		t.Parallel()
		s := newStream()
		u := activeUnit(t, s, "so-a", domain.UnitDepartment)
		n := draft(t, s, def, "n1", u, collective)
		fs := domain.NewFactSet()
		goodFacts(t, s, def, u, fs)
		el := domain.Evaluate(def, n, fs, nil)
		want := []string{"dossier_incomplete", "not_submitted", "plan_missing"}
		for _, c := range []string{"C01", "C02", "C03", "C05", "C06", "C07", "C09", "C10"} {
			want = append(want, c+":criterion_pending")
		}
		if got := reasonCodes(el); !slices.Equal(got, want) {
			t.Fatalf("reasons %v, want %v", got, want)
		}
		if !slices.Equal(el.Reasons[1].Events, []string{n.OpenedEvent()}) || !slices.Equal(el.Reasons[0].Events, []string{n.OpenedEvent()}) {
			t.Fatalf("the opened event is cited: %+v", el.Reasons[:2])
		}
	})
	states := []struct {
		name  string
		do    func(n *domain.Nomination) ([]domain.Event, error)
		codes []string
		event func(n *domain.Nomination) string
	}{
		{"on hold", func(n *domain.Nomination) ([]domain.Event, error) { return n.Hold("thanh tra") }, []string{"on_hold"}, (*domain.Nomination).HoldEvent},
		{"returned", func(n *domain.Nomination) ([]domain.Event, error) { return n.Return("bổ sung") }, []string{"returned"}, (*domain.Nomination).LastReturn},
		{"withdrawn", func(n *domain.Nomination) ([]domain.Event, error) { return n.Withdraw("rút") }, []string{"withdrawn"}, (*domain.Nomination).WithdrawEvent},
	}
	for _, tt := range states {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(tt.do(sc.n))...)
			el := sc.eval()
			if got := reasonCodes(el); !slices.Equal(got, tt.codes) || el.Eligible {
				t.Fatalf("reasons %v, want %v", got, tt.codes)
			}
			if !slices.Equal(el.Reasons[0].Events, []string{tt.event(sc.n)}) {
				t.Fatalf("events %v", el.Reasons[0].Events)
			}
		})
	}
	t.Run("failed vote cites the vote", func(t *testing.T) {
		t.Parallel()
		s := newStream()
		u := activeUnit(t, s, "so-a", domain.UnitDepartment)
		n := draft(t, s, def, "n1", u, collective)
		ids := s.apply(n, must(t)(n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-05-02", Members: 9, Present: 9, Approve: 6}, def, inWindow))...)
		el := domain.Evaluate(def, n, domain.NewFactSet(), nil)
		for _, r := range el.Reasons {
			if r.Code == "council_vote_failed" {
				if !slices.Equal(r.Events, ids) {
					t.Fatalf("events %v, want %v", r.Events, ids)
				}
				return
			}
		}
		t.Fatalf("no council_vote_failed in %v", reasonCodes(el))
	})
	t.Run("a not met ruling cites the ruling", func(t *testing.T) {
		t.Parallel()
		sc := newScenario(t, collective)
		ids := sc.s.apply(sc.n, must(t)(sc.n.Rule(sc.def, "C06", domain.ResultNotMet, "chưa đạt Đề án 06", nil))...)
		el := sc.eval()
		if got := reasonCodes(el); !slices.Equal(got, []string{"C06:criterion_not_met"}) {
			t.Fatalf("reasons %v", got)
		}
		if !slices.Equal(el.Reasons[0].Events, ids[:1]) || el.Criteria["C06"].Note != "chưa đạt Đề án 06" {
			t.Fatalf("reason %+v, criterion %+v", el.Reasons[0], el.Criteria["C06"])
		}
	})
}

// TestCombineAbsorbed: the facts of the units a unit absorbed stand where they agree and
// are conflicts where they differ, whichever was recorded last; the unit's own fact
// settles a conflict. Before, the one recorded last won, so recording an unchanged fact
// again turned a merged unit's nomination from eligible to excluded.
func TestCombineAbsorbed(t *testing.T) {
	t.Parallel()
	const c = "camp"
	rec := func(id string, seq uint64, fact string, v float64) domain.Recorded {
		return domain.Recorded{ID: id, Seq: seq, Type: domain.FactRecorded, Data: domain.FactRecordedData{Campaign: c, Fact: fact, Number: f64(v)}}
	}
	a, b, d := domain.NewFactSet(), domain.NewFactSet(), domain.NewFactSet()
	a.Apply(c, rec("a1", 1, "women_pct", 60))
	a.Apply(c, rec("a2", 5, "late_dossiers", 3))
	b.Apply(c, rec("b1", 3, "women_pct", 75))
	b.Apply(c, rec("b2", 2, "late_dossiers", 0))
	b.Apply(c, rec("b3", 4, "par_index_score", 80))
	b.Apply("other", domain.Recorded{ID: "x", Seq: 9, Data: domain.FactRecordedData{Campaign: "other2", Fact: "women_pct", Number: f64(1)}})
	a.Apply(c, rec("old", 0, "women_pct", 10)) // applied out of order: lower seq is ignored
	d.Apply(c, rec("d1", 6, "par_index_score", 80))
	d.Apply(c, rec("d2", 7, "late_dossiers", 0))

	all := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(a, b, d, nil)...)
	v, ok := all.Number(c, "par_index_score")
	require.True(t, ok, "recorded alike: it stands")
	assert.Equal(t, 80.0, v)
	e, _ := all.Get(c, "par_index_score")
	assert.Equal(t, "d1", e.EventID, "the later of two alike")
	_, ok = all.Number(c, "women_pct")
	assert.False(t, ok, "recorded differently: held for none")
	_, ok = all.Number(c, "late_dossiers")
	assert.False(t, ok)
	assert.Equal(t, 1, all.Len())
	late := all.Conflicts(c, "late_dossiers")
	require.Len(t, late, 1)
	var got []string
	for _, e := range late[0].Records {
		got = append(got, e.EventID)
	}
	assert.Equal(t, []string{"b2", "a2", "d2"}, got, "every record of the conflict, in the order recorded")
	assert.Len(t, all.Conflicts(c, "women_pct"), 1)
	assert.Empty(t, all.Conflicts(c, "par_index_score"))
	assert.Empty(t, all.Conflicts("other2", "women_pct"))

	own := domain.NewFactSet()
	own.Apply(c, rec("o1", 8, "women_pct", 70))
	all.Override(own)
	v, ok = all.Number(c, "women_pct")
	require.True(t, ok, "the unit's own fact settles the conflict")
	assert.Equal(t, 70.0, v)
	assert.Empty(t, all.Conflicts(c, "women_pct"))
	assert.Len(t, all.Conflicts(c, "late_dossiers"), 1, "the others stay")

	// Nested: a set that already holds a conflict passes it on.
	again := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(all, domain.NewFactSet())...)
	assert.Len(t, again.Conflicts(c, "late_dossiers"), 1)
}

// TestCombineAbsorbedGaps: under the rules' revision 3 (gaps), a fact some absorbed units
// recorded and others not at all is a conflict naming those others, whatever the sets'
// order, through a unit that had absorbed others itself, until the merged unit's own fact
// settles it; index components are not. Without gaps, the one record stands, as before.
func TestCombineAbsorbedGaps(t *testing.T) {
	t.Parallel()
	const c = "camp"
	rec := func(id string, seq uint64, fact string, v float64) domain.Recorded {
		return domain.Recorded{ID: id, Seq: seq, Type: domain.FactRecorded, Data: domain.FactRecordedData{Campaign: c, Fact: fact, Number: f64(v)}}
	}
	set := func(rs ...domain.Recorded) *domain.FactSet {
		fs := domain.NewFactSet()
		for _, r := range rs {
			fs.Apply(c, r)
		}
		return fs
	}
	comp := domain.Recorded{ID: "comp", Seq: 3, Type: domain.FactRecorded, Data: domain.FactRecordedData{Campaign: c, Fact: "index_component", Index: "PCI", Component: "x", Number: f64(7), Previous: f64(6)}}
	a := set(rec("a1", 1, "late_directives", 0), rec("a2", 2, "women_pct", 40), comp)
	b := set(rec("b1", 4, "women_pct", 40))
	for _, order := range [][]domain.Absorbed{{{Unit: "MA", Facts: a}, {Unit: "MB", Facts: b}}, {{Unit: "MB", Facts: b}, {Unit: "MA", Facts: a}}} {
		all := domain.CombineAbsorbed(domain.AbsorbedReading{Gaps: true}, order...)
		_, held := all.Get(c, "late_directives")
		assert.False(t, held, "recorded by MA alone: held for none")
		cs := all.Conflicts(c, "late_directives")
		require.Len(t, cs, 1)
		assert.Equal(t, []string{"MB"}, cs[0].Unrecorded)
		require.Len(t, cs[0].Records, 1)
		assert.Equal(t, "a1", cs[0].Records[0].EventID)
		v, ok := all.Number(c, "women_pct")
		assert.True(t, ok, "recorded alike by both: it stands")
		assert.Equal(t, 40.0, v)
		assert.Len(t, all.Components(c), 1, "an index component is no gap")
		assert.Empty(t, all.Conflicts(c, "index_component"))

		// Passed on through a unit that absorbed these and recorded nothing itself.
		outer := domain.CombineAbsorbed(domain.AbsorbedReading{Gaps: true}, domain.Absorbed{Unit: "MAB", Facts: all}, domain.Absorbed{Unit: "MD", Facts: set(rec("d1", 5, "late_directives", 0))})
		cs = outer.Conflicts(c, "late_directives")
		require.Len(t, cs, 1)
		assert.Equal(t, []string{"MB"}, cs[0].Unrecorded, "MB's gap is passed on")
		assert.Len(t, cs[0].Records, 2)
		cs = outer.Conflicts(c, "women_pct")
		require.Len(t, cs, 1)
		assert.Equal(t, []string{"MD"}, cs[0].Unrecorded)

		// The merged unit's own fact settles it.
		outer.Override(set(rec("o1", 9, "late_directives", 1)))
		assert.Empty(t, outer.Conflicts(c, "late_directives"))
		v, ok = outer.Number(c, "late_directives")
		assert.True(t, ok)
		assert.Equal(t, 1.0, v)
		assert.Len(t, outer.Conflicts(c, "women_pct"), 1, "the other stays")

		// Without gaps, MA's record stands, as before the rules' revision 3.
		old := domain.CombineAbsorbed(domain.AbsorbedReading{}, order...)
		v, ok = old.Number(c, "late_directives")
		assert.True(t, ok)
		assert.Equal(t, 0.0, v)
		assert.Empty(t, old.Conflicts(c, "late_directives"))
	}
}

// TestConflictWaits: the unit page lists a merged unit's conflict when a criterion reads
// its fact or a ranking key does: shares of women below 70% wait for nothing unless a
// criterion reads them; index components wait for the improved_components key; a fact
// nothing reads waits for nothing (review findings on the first filter).
func TestConflictWaits(t *testing.T) {
	t.Parallel()
	const c = "ninh-thuan-cchc-2025"
	rec := func(id string, seq uint64, d domain.FactRecordedData) domain.Recorded {
		d.Campaign = c
		return domain.Recorded{ID: id, Seq: seq, Type: domain.FactRecorded, Data: d}
	}
	set := func(rs ...domain.Recorded) *domain.FactSet {
		fs := domain.NewFactSet()
		for _, r := range rs {
			fs.Apply(c, r)
		}
		return fs
	}
	comp := func(id string, seq uint64, v float64) domain.Recorded {
		return rec(id, seq, domain.FactRecordedData{Fact: "index_component", Index: "PAR_INDEX", Component: "CCHC", Number: f64(v), Previous: f64(8)})
	}
	all := domain.CombineAbsorbed(domain.AbsorbedReading{Gaps: true},
		domain.Absorbed{Unit: "WA", Facts: set(rec("a1", 1, domain.FactRecordedData{Fact: "women_pct", Number: f64(40)}), comp("a2", 2, 9), rec("a3", 3, domain.FactRecordedData{Fact: "backlog_dossiers", Number: f64(1)}))},
		domain.Absorbed{Unit: "WB", Facts: set(rec("b1", 4, domain.FactRecordedData{Fact: "women_pct", Number: f64(55)}), comp("b2", 5, 7), rec("b3", 6, domain.FactRecordedData{Fact: "backlog_dossiers", Number: f64(2)}))},
	)
	waits := func(def domain.Definition) map[string]bool {
		out := map[string]bool{}
		for _, cf := range all.AllConflicts() {
			out[cf.Records[0].Data.Fact] = domain.ConflictWaits(def, all, cf)
		}
		return out
	}
	def := domain.BuiltinCampaign()
	got := waits(def)
	assert.False(t, got["women_pct"], "both below 70%%: no priority either way")
	assert.True(t, got["index_component"], "C12 and the improved_components key read it")
	assert.True(t, got["backlog_dossiers"], "C11 reads it")

	// A campaign whose criterion reads the share of women waits for it; one that ranks by
	// no index component and judges none waits for none.
	def.Criteria = append(def.Criteria, domain.Criterion{ID: "C99", Rule: domain.Rule{Kind: domain.RuleFactNumber, Fact: "women_pct", Op: "gte", Number: f64(30)}})
	def.RankingKeys = slices.DeleteFunc(slices.Clone(def.RankingKeys), func(k string) bool { return k == domain.KeyImprovedComponents })
	def.Criteria = slices.DeleteFunc(def.Criteria, func(cr domain.Criterion) bool { return cr.Rule.Kind == domain.RuleIndexImproved })
	got = waits(def)
	assert.True(t, got["women_pct"], "a criterion reads it")
	assert.False(t, got["index_component"], "nothing reads it")
}

// absorbed names each set a unit of its own (u0, u1, …), for domain.CombineAbsorbed.
func absorbed(sets ...*domain.FactSet) []domain.Absorbed {
	out := make([]domain.Absorbed, len(sets))
	for i, s := range sets {
		out[i] = domain.Absorbed{Unit: fmt.Sprintf("u%d", i), Facts: s}
	}
	return out
}

// TestFactSetApplySharedAndApply: ApplyShared keeps a reference to the event, Apply a copy;
// both ignore other campaigns, other events and a lower sequence, and Get builds the same
// entry either way.
func TestFactSetApplySharedAndApply(t *testing.T) {
	t.Parallel()
	const c = "camp"
	at := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	events := []domain.Recorded{
		{ID: "e1", Seq: 4, At: at, Data: domain.FactRecordedData{Campaign: c, Fact: "women_pct", Number: f64(60)}},
		{ID: "e2", Seq: 2, At: at, Data: domain.FactRecordedData{Campaign: c, Fact: "women_pct", Number: f64(10)}},   // lower seq
		{ID: "e3", Seq: 5, At: at, Data: domain.FactRecordedData{Campaign: "x", Fact: "women_pct", Number: f64(99)}}, // other campaign
		{ID: "e4", Seq: 6, At: at, Data: domain.PlanSubmittedData{Campaign: c}},                                      // not a fact
	}
	shared, copied := domain.NewFactSetSize(4), domain.NewFactSet()
	for i := range events {
		shared.ApplyShared(c, &events[i])
		copied.Apply(c, events[i])
	}
	for _, fs := range []*domain.FactSet{shared, copied} {
		e, ok := fs.Get(c, "women_pct")
		if !ok || e.EventID != "e1" || e.Seq != 4 || !e.At.Equal(at) || *e.Data.Number != 60 || fs.Len() != 1 {
			t.Fatalf("got %+v %v, len %d; want e1 = 60 alone", e, ok, fs.Len())
		}
	}
	// The shared set reads the event itself; the copy does not see it change.
	events[0].ID = "changed"
	if e, _ := shared.Get(c, "women_pct"); e.EventID != "changed" {
		t.Fatalf("shared set holds a copy: %s", e.EventID)
	}
	if e, _ := copied.Get(c, "women_pct"); e.EventID != "e1" {
		t.Fatalf("copied set follows the caller's event: %s", e.EventID)
	}
}

// TestFactSetKeysAndOrder: a fact is held per (campaign, fact, index, component): a
// component never answers for the plain fact of its name, a correction replaces only its
// own key (a tie on the sequence goes to the one applied last), and Components and All
// come out in key order whatever the order applied.
func TestFactSetKeysAndOrder(t *testing.T) {
	t.Parallel()
	const c = "camp"
	seq := uint64(0)
	comp := func(index, component string, v float64) domain.Recorded {
		seq++
		return domain.Recorded{ID: fmt.Sprintf("e%d", seq), Seq: seq, Data: domain.FactRecordedData{
			Campaign: c, Fact: domain.FactIndexComponent, Index: index, Component: component, Number: f64(v)}}
	}
	fs := domain.NewFactSetSize(2) // grows past its hint
	for _, r := range []domain.Recorded{
		comp("sipas", "b", 2), comp("par", "z", 1), comp("par", "a", 3), comp("sipas", "a", 4),
		{ID: "plain", Seq: 90, Data: domain.FactRecordedData{Campaign: c, Fact: domain.FactIndexComponent, Number: f64(7)}},
		comp("par", "a", 5), // a correction of par/a
	} {
		fs.Apply(c, r)
	}
	tie := domain.Recorded{ID: "tie", Seq: seq, Data: domain.FactRecordedData{Campaign: c, Fact: domain.FactIndexComponent, Index: "par", Component: "a", Number: f64(6)}}
	fs.Apply(c, tie)
	if fs.Len() != 5 {
		t.Fatalf("len %d, want 4 components and the plain fact", fs.Len())
	}
	if e, ok := fs.Get(c, domain.FactIndexComponent); !ok || e.EventID != "plain" {
		t.Fatalf("plain fact: %+v %v", e, ok)
	}
	var got []string
	for _, e := range fs.Components(c) {
		got = append(got, fmt.Sprintf("%s/%s=%v", e.Data.Index, e.Data.Component, *e.Data.Number))
	}
	want := []string{"/=7", "par/a=6", "par/z=1", "sipas/a=4", "sipas/b=2"}
	if !slices.Equal(got, want) {
		t.Fatalf("components %v, want %v", got, want)
	}
	got = got[:0]
	for _, e := range fs.All() {
		got = append(got, e.EventID)
	}
	if want := []string{"plain", "tie", "e2", "e4", "e1"}; !slices.Equal(got, want) {
		t.Fatalf("all %v, want %v", got, want)
	}
}

// TestDisciplineNeedsEachFact: C13 (administrative discipline) is met once the facts of
// its exclusions are recorded and none applies; the subordinates' share concerns parent
// units only: it may be absent for a unit with no unit registered under it, and a parent
// unit waits for it (before the twenty-fourth session it passed without it, so the plan's
// exclusion of a parent unit with over 10 % of its subordinates in breach went unchecked).
// Before, any one of the three facts met it, so a unit whose staff hours and late
// directives were never recorded passed on subordinate_violation_pct = 0 alone, while
// its head's H03 waited for late_directives.
func TestDisciplineNeedsEachFact(t *testing.T) {
	t.Parallel()
	both := []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(2)}, {Fact: "late_directives", Number: f64(0)}}
	tests := []struct {
		name   string
		facts  []domain.FactRecordedData
		result string
		note   string
		subs   []string // registrations of units under it
		events []string // the last events the criterion names, when set
	}{
		{"a parent unit without its subordinates' share", both, domain.ResultPending,
			"subordinate_violation_pct not recorded (a parent unit: 2 unit(s) registered under it)",
			[]string{"reg-commune-1", "reg-commune-2"}, []string{"reg-commune-1", "reg-commune-2"}},
		{"a parent unit with it", append(slices.Clone(both), domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: f64(10)}),
			domain.ResultMet, "staff_hours_violation_pct = 2, subordinate_violation_pct = 10, late_directives = 0", []string{"reg-commune-1"}, nil},
		{"a parent unit over the share", append(slices.Clone(both), domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: f64(10.5)}),
			domain.ResultExcluded, "", []string{"reg-commune-1"}, nil},
		{"a parent unit missing more", []domain.FactRecordedData{{Fact: "late_directives", Number: f64(0)}}, domain.ResultPending,
			"staff_hours_violation_pct, subordinate_violation_pct not recorded (a parent unit: 1 unit(s) registered under it)",
			[]string{"reg-commune-1"}, []string{"reg-commune-1"}},
		{"subordinates only", []domain.FactRecordedData{{Fact: "subordinate_violation_pct", Number: f64(0)}}, domain.ResultPending, "staff_hours_violation_pct, late_directives not recorded", nil, nil},
		{"staff hours only", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(2)}}, domain.ResultPending, "late_directives not recorded", nil, nil},
		{"none", nil, domain.ResultPending, "staff_hours_violation_pct, late_directives not recorded", nil, nil},
		{"both, no subordinates", []domain.FactRecordedData{{Fact: "staff_hours_violation_pct", Number: f64(2)}, {Fact: "late_directives", Number: f64(0)}}, domain.ResultMet, "staff_hours_violation_pct = 2, late_directives = 0", nil, nil},
		{"an exclusion applies whatever is missing", []domain.FactRecordedData{{Fact: "late_directives", Number: f64(1)}}, domain.ResultExcluded, "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, domain.Nominee{Kind: domain.NomineeCollective})
			sc.fs = domain.NewFactSet()
			for _, d := range []domain.FactRecordedData{
				{Fact: "par_rating", Text: "Tốt"}, {Fact: "disbursement_pct", Number: f64(100)},
				{Fact: "late_dossiers", Number: f64(0)}, {Fact: "backlog_dossiers", Number: f64(0)},
				{Fact: "index_component", Index: "PAR_INDEX", Component: "Cải cách TTHC", Number: f64(9.1), Previous: f64(8.7)},
			} {
				fact(t, sc.s, sc.def, sc.u, sc.fs, d)
			}
			for _, d := range tc.facts {
				fact(t, sc.s, sc.def, sc.u, sc.fs, d)
			}
			sc.fs.NoteSubordinates(tc.subs...)
			assert.Equal(t, tc.subs, sc.fs.Subordinates())
			el := sc.eval()
			c := el.Criteria["C13"]
			assert.Equal(t, tc.result, c.Result, "%+v", c)
			if tc.note != "" {
				assert.Equal(t, tc.note, c.Note)
			}
			if tc.events != nil {
				require.GreaterOrEqual(t, len(c.Events), len(tc.events))
				assert.Equal(t, tc.events, c.Events[len(c.Events)-len(tc.events):], "the registrations that make it a parent unit")
				assert.Contains(t, c.NoteVI, "đơn vị chủ quản của", c.NoteVI)
			}
			assert.Equal(t, tc.result == domain.ResultMet, el.Eligible, "%+v", el.Reasons)
		})
	}
	// A campaign launched with a definition whose parent_only exclusion is not
	// parent_required (every campaign launched before the flag existed) reads the share as
	// it did then: never needed, so that its past moments replay as they were decided.
	t.Run("a parent unit under a definition without parent_required", func(t *testing.T) {
		t.Parallel()
		raw := string(domain.BuiltinCampaignJSON())
		require.Contains(t, raw, `"parent_required": true`)
		old, err := domain.ParseDefinition([]byte(strings.Replace(raw, `"parent_required": true`, `"parent_required": false`, 1)))
		require.NoError(t, err)
		assert.False(t, old.NeedsParentUnits(), "so an evaluation does not look for the units under it")
		assert.True(t, domain.BuiltinCampaign().NeedsParentUnits())
		sc := newScenario(t, domain.Nominee{Kind: domain.NomineeCollective})
		sc.def = old
		sc.fs.NoteSubordinates("reg-commune-1")
		el := sc.eval()
		assert.Equal(t, domain.ResultMet, el.Criteria["C13"].Result, "%+v", el.Criteria["C13"])
		assert.True(t, el.Eligible, "%+v", el.Reasons)
	})
}

// TestNotAssigned: what a unit was not assigned (no public investment capital, no online
// public-service targets, no index component), recorded with its grounds, makes the
// criteria that speak of what was assigned not applicable, where before they stayed
// pending for good (the demo recorded a made-up 100 % for agencies without capital); a
// later figure supersedes it. Only those facts may be not assigned, without a value and
// with a note.
func TestNotAssigned(t *testing.T) {
	t.Parallel()
	na := func(fact string) domain.FactRecordedData {
		return domain.FactRecordedData{Fact: fact, Status: domain.StatusNotAssigned, Note: "Không được giao theo Quyết định 12/QĐ-UBND"}
	}
	head := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Trưởng", Position: "Giám đốc", Head: true}
	tests := []struct {
		name    string
		nominee domain.Nominee
		facts   []domain.FactRecordedData
		want    map[string]string
	}{
		{"no capital", collective, []domain.FactRecordedData{na("disbursement_pct")}, map[string]string{"C08": domain.ResultNotApplicable}},
		{"no capital, head", head, []domain.FactRecordedData{na("disbursement_pct"), na("online_service_pct")},
			map[string]string{"H02": domain.ResultNotApplicable, "H04": domain.ResultNotApplicable}},
		{"a figure later supersedes it", collective, []domain.FactRecordedData{na("disbursement_pct"), {Fact: "disbursement_pct", Number: f64(90), Cause: "subjective"}},
			map[string]string{"C08": domain.ResultExcluded}},
		{"no index component", collective, []domain.FactRecordedData{na("index_component")}, map[string]string{"C12": domain.ResultNotApplicable}},
		{"components recorded after it judge", collective, []domain.FactRecordedData{na("index_component"),
			{Fact: "index_component", Index: "PCI", Component: "Chi phí thời gian", Number: f64(6), Previous: f64(7)}},
			map[string]string{"C12": domain.ResultNotMet}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := newScenario(t, tc.nominee)
			// The good facts but the index component: only what the case records judges C12.
			sc.fs = domain.NewFactSet()
			for _, d := range []domain.FactRecordedData{
				{Fact: "par_rating", Text: "Tốt"}, {Fact: "disbursement_pct", Number: f64(100)},
				{Fact: "late_dossiers", Number: f64(0)}, {Fact: "backlog_dossiers", Number: f64(0)},
				{Fact: "late_directives", Number: f64(0)}, {Fact: "staff_hours_violation_pct", Number: f64(2)},
				{Fact: "online_service_pct", Number: f64(100)},
			} {
				fact(t, sc.s, sc.def, sc.u, sc.fs, d)
			}
			if tc.want["C12"] == "" {
				fact(t, sc.s, sc.def, sc.u, sc.fs, domain.FactRecordedData{Fact: "index_component", Index: "PAR_INDEX", Component: "Cải cách TTHC", Number: f64(9.1), Previous: f64(8.7)})
			}
			for _, d := range tc.facts {
				fact(t, sc.s, sc.def, sc.u, sc.fs, d)
			}
			el := sc.eval()
			for c, want := range tc.want {
				assert.Equal(t, want, el.Criteria[c].Result, "%s: %+v", c, el.Criteria[c])
			}
			allNA := true
			for _, want := range tc.want {
				allNA = allNA && want == domain.ResultNotApplicable
			}
			assert.Equal(t, allNA, el.Eligible, "%+v", el.Reasons)
		})
	}

	s := newStream()
	u := activeUnit(t, s, "so-x", domain.UnitVertical)
	def := domain.BuiltinCampaign()
	for _, bad := range []domain.FactRecordedData{
		{Fact: "par_rating", Status: domain.StatusNotAssigned, Note: "x"},
		{Fact: "late_dossiers", Status: domain.StatusNotAssigned, Note: "x"},
		{Fact: "disbursement_pct", Status: domain.StatusNotAssigned, Number: f64(0), Note: "x"},
		{Fact: "disbursement_pct", Status: domain.StatusNotAssigned, Cause: "objective", Note: "x"},
		{Fact: "disbursement_pct", Status: domain.StatusNotAssigned, Note: " \u200b "},
		{Fact: "index_component", Index: "PCI", Component: "x", Status: domain.StatusNotAssigned, Note: "x"},
	} {
		_, err := u.RecordFact(def, bad)
		var re *domain.RuleError
		if assert.True(t, errors.As(err, &re), "%+v: %v", bad, err) {
			assert.Equal(t, "invalid_fact", re.Code)
		}
	}
}

// TestCombineAbsorbedWhateverTheOrder: the facts of absorbed units combine to the same
// answer whatever the order the merger names them in, a unit's inherited conflict
// included; a unit assigned no index component beside one holding components is a
// conflict, whichever recorded last; and the merged unit's own statement settles it.
// Before, a conflict one source held yielded to another source's plain fact named
// earlier (80 % for a subjective cause excluded in one order, pending in the other), and
// "none assigned" set aside the other unit's components when recorded after them.
func TestCombineAbsorbedWhateverTheOrder(t *testing.T) {
	t.Parallel()
	const c = "camp"
	set := func(rs ...domain.Recorded) *domain.FactSet {
		fs := domain.NewFactSet()
		for _, r := range rs {
			fs.Apply(c, r)
		}
		return fs
	}
	rec := func(id string, seq uint64, d domain.FactRecordedData) domain.Recorded {
		d.Campaign = c
		return domain.Recorded{ID: id, Seq: seq, Type: domain.FactRecorded, Data: d}
	}
	disb := func(id string, seq uint64, v float64, cause string) domain.Recorded {
		return rec(id, seq, domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(v), Cause: cause})
	}
	oa := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(set(disb("a1", 1, 100, "")), set(disb("a2", 2, 95, "objective")))...)
	ob := set(disb("b", 3, 80, "subjective"))
	for _, order := range [][]*domain.FactSet{{oa, ob}, {ob, oa}} {
		all := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(order...)...)
		_, held := all.Get(c, "disbursement_pct")
		assert.False(t, held, "a conflict in one source stays one")
		cs := all.Conflicts(c, "disbursement_pct")
		require.Len(t, cs, 1)
		assert.Len(t, cs[0].Records, 3, "every record of it")
	}

	none := rec("n", 5, domain.FactRecordedData{Fact: "index_component", Status: domain.StatusNotAssigned, Note: "không được giao"})
	comp := rec("p", 4, domain.FactRecordedData{Fact: "index_component", Index: "PCI", Component: "x", Number: f64(6), Previous: f64(7)})
	laterComp := rec("q", 6, domain.FactRecordedData{Fact: "index_component", Index: "PCI", Component: "x", Number: f64(6), Previous: f64(7)})
	for _, tc := range []struct {
		name string
		a, b domain.Recorded
	}{{"statement after the component", none, comp}, {"statement before the component", none, laterComp}} {
		for _, order := range [][]*domain.FactSet{{set(tc.a), set(tc.b)}, {set(tc.b), set(tc.a)}} {
			all := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(order...)...)
			assert.Len(t, all.Conflicts(c, "index_component"), 1, tc.name)
		}
	}
	// One unit's own statement sets aside its earlier components, not the other's.
	own := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(set(comp, none))...)
	assert.Empty(t, own.Conflicts(c, "index_component"))
	assert.Empty(t, own.Components(c)[1:], "the statement alone is left")

	// The merged unit's own statement that none was assigned settles it; its own
	// components set aside an inherited statement.
	all := domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(set(none), set(laterComp))...)
	all.Override(set(rec("o", 9, domain.FactRecordedData{Fact: "index_component", Status: domain.StatusNotAssigned, Note: "x"})))
	assert.Empty(t, all.Conflicts(c, "index_component"))
	require.Len(t, all.Components(c), 1)
	assert.Equal(t, domain.StatusNotAssigned, all.Components(c)[0].Data.Status)
	all = domain.CombineAbsorbed(domain.AbsorbedReading{}, absorbed(set(none), set(laterComp))...)
	all.Override(set(rec("o2", 9, domain.FactRecordedData{Fact: "index_component", Index: "PAPI", Component: "y", Number: f64(7), Previous: f64(6)})))
	assert.Empty(t, all.Conflicts(c, "index_component"))
	for _, e := range all.Components(c) {
		assert.NotEqual(t, domain.StatusNotAssigned, e.Data.Status, "the inherited statement is set aside")
	}
}
