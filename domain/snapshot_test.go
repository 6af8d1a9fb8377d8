package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"thidua/domain"
)

func TestNominationSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-tu-phap", domain.UnitDepartment)
	n := submitted(t, s, def, "nom-1", u, domain.Nominee{Kind: domain.NomineeCollective})
	ruleAll(t, s, def, n)
	s.apply(n, must(t)(n.Hold("kiểm tra đơn thư"))...)
	s.apply(n, must(t)(n.Transfer("huyen-ab", "r1", "2025-07-01"))...)

	st := n.Snapshot()
	r, err := domain.RestoreNomination(st)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Snapshot(), st) {
		t.Fatalf("restored state differs:\n%+v\n%+v", r.Snapshot(), st)
	}
	if r.State() != domain.StateOnHold || r.Unit() != "huyen-ab" || len(r.UnitHistory()) != 1 || len(r.Rulings()) == 0 {
		t.Fatalf("restored %s %s %v %d rulings", r.State(), r.Unit(), r.UnitHistory(), len(r.Rulings()))
	}

	// The restored nomination decides and evolves as the original does.
	for _, e := range must(t)(n.Release("đã xác minh")) {
		rec := s.record(e)
		n.Apply(rec)
		r.Apply(rec)
	}
	if r.State() != n.State() || r.Version() != n.Version() || r.EventCount() != n.EventCount() {
		t.Fatalf("after release: restored %s v%d (%d events), original %s v%d (%d events)",
			r.State(), r.Version(), r.EventCount(), n.State(), n.Version(), n.EventCount())
	}

	// The state taken before does not see later events of the original.
	if st.State != domain.StateOnHold || st.Events == n.EventCount() {
		t.Fatalf("snapshot moved with the nomination: %s, %d events", st.State, st.Events)
	}
}

func TestRestoreNominationRefusesImpossibleStates(t *testing.T) {
	t.Parallel()
	for _, st := range []domain.NominationState{
		{ID: "nom-1", State: "approved", Events: 3},
		{ID: "", State: domain.StateDraft, Events: 1, OpenedEvent: "e1"},
		{ID: "nom-1", State: "", Events: 2},
	} {
		if _, err := domain.RestoreNomination(st); !errors.Is(err, domain.ErrInvalidState) {
			t.Errorf("%+v: err %v, want ErrInvalidState", st, err)
		}
	}
	n, err := domain.RestoreNomination(domain.NominationState{})
	if err != nil || n.ID() != "" || n.EventCount() != 0 {
		t.Fatalf("empty state: %v %+v", err, n.Snapshot())
	}
	// What a stream that lost a nomination's opening folds: its later events, no id, a
	// state or none yet.
	for _, st := range []domain.NominationState{{State: domain.StateReturned, Events: 4}, {Events: 1}} {
		if _, err := domain.RestoreNomination(st); err != nil {
			t.Errorf("%+v: %v, want it restored", st, err)
		}
	}
}

func TestUnitSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	a := activeUnit(t, s, "huyen-a", domain.UnitDistrict)
	b := activeUnit(t, s, "huyen-b", domain.UnitDistrict)
	s.apply(a, must(t)(a.SubmitPlan(def.ID, doc("ke-hoach")))...)
	per, err := domain.PlanMerge([]*domain.Unit{a, b}, nil, "huyen-ab", "Huyện AB", domain.UnitDistrict, "2025-07-01", "NQ 1", "r1", inWindow)
	if err != nil {
		t.Fatal(err)
	}
	succ := domain.NewUnit()
	s.apply(succ, per["huyen-ab"]...)
	s.apply(a, per["huyen-a"]...)

	for _, u := range []*domain.Unit{a, succ, domain.NewUnit()} {
		st := u.Snapshot()
		r := domain.RestoreUnit(st)
		if !reflect.DeepEqual(r.Snapshot(), st) {
			t.Fatalf("restored unit differs:\n%+v\n%+v", r.Snapshot(), st)
		}
		if r.Status() != u.Status() || r.Successor() != u.Successor() || r.Version() != u.Version() {
			t.Fatalf("restored %s → %s v%d, want %s → %s v%d", r.Status(), r.Successor(), r.Version(), u.Status(), u.Successor(), u.Version())
		}
	}
	if _, ok := domain.RestoreUnit(a.Snapshot()).Plan(def.ID); !ok {
		t.Fatal("the restored unit lost its plan")
	}
	// A restored unit without plans still takes one.
	r := domain.RestoreUnit(domain.UnitState{ID: "huyen-c", Status: domain.UnitActive})
	r.Apply(domain.Recorded{ID: "ev1", Seq: 9, Data: domain.PlanSubmittedData{Campaign: def.ID, Document: doc("kh")}})
	if _, ok := r.Plan(def.ID); !ok || r.Version() != 9 {
		t.Fatal("a restored unit did not take its plan")
	}
}
