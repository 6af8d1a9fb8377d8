package domain_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

var collective = domain.Nominee{Kind: domain.NomineeCollective}

// nominationIn builds a collective nomination in the given state with real decisions.
func nominationIn(t *testing.T, state domain.State) *domain.Nomination {
	t.Helper()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	n := draft(t, s, def, "n1", u, collective)
	if state == domain.StateDraft {
		complete(t, s, def, n) // a draft ready to submit
		return n
	}
	if state == domain.StateWithdrawn {
		s.apply(n, must(t)(n.Withdraw("rút hồ sơ"))...)
		return n
	}
	complete(t, s, def, n)
	s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
	switch state {
	case domain.StateSubmitted:
	case domain.StateUnderReview:
		s.apply(n, must(t)(n.Rule(def, "C01", domain.ResultMet, "", nil))...)
	case domain.StateReturned:
		s.apply(n, must(t)(n.Return("thiếu số liệu"))...)
	case domain.StateOnHold:
		s.apply(n, must(t)(n.Hold("đang giải quyết khiếu nại"))...)
	case domain.StateVerified, domain.StateAwarded, domain.StateRevoked:
		ruleAll(t, s, def, n)
		if state == domain.StateAwarded || state == domain.StateRevoked {
			s.apply(n, must(t)(n.Award("A1", "QĐ 1", nil))...)
		}
		if state == domain.StateRevoked {
			s.apply(n, must(t)(n.RevokeAward("A1", domain.GroundFalseDeclaration, ""))...)
		}
	}
	if n.State() != state {
		t.Fatalf("built state %s, want %s", n.State(), state)
	}
	return n
}

func TestNominationTransitions(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	all := []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned,
		domain.StateVerified, domain.StateOnHold, domain.StateWithdrawn, domain.StateAwarded, domain.StateRevoked}
	actions := []struct {
		name    string
		allowed []domain.State
		do      func(n *domain.Nomination) ([]domain.Event, error)
		next    domain.State // the state after the first event, "" to skip the check
		event   string       // the type of the event the action is about
	}{
		{"attach", []domain.State{domain.StateDraft, domain.StateReturned},
			func(n *domain.Nomination) ([]domain.Event, error) {
				return n.AttachDocument(domain.DocSupporting, doc("s"))
			}, "", domain.DocumentAttached},
		{"vote", []domain.State{domain.StateDraft, domain.StateReturned},
			func(n *domain.Nomination) ([]domain.Event, error) {
				return n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-06-01", Members: 5, Present: 5, Approve: 5}, def, inWindow)
			}, "", domain.CouncilVoteRecorded},
		{"submit", []domain.State{domain.StateDraft, domain.StateReturned},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Submit(def, nil, inWindow) }, domain.StateSubmitted, domain.NominationSubmitted},
		{"rule", []domain.State{domain.StateSubmitted, domain.StateUnderReview, domain.StateVerified},
			func(n *domain.Nomination) ([]domain.Event, error) {
				return n.Rule(def, "C02", domain.ResultMet, "", nil)
			}, "", domain.CriterionRuled},
		{"return", []domain.State{domain.StateSubmitted, domain.StateUnderReview, domain.StateVerified},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Return("bổ sung") }, domain.StateReturned, domain.NominationReturned},
		{"withdraw", []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Withdraw("rút") }, domain.StateWithdrawn, domain.NominationWithdrawn},
		{"hold", []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Hold("khiếu nại") }, domain.StateOnHold, domain.NominationHeld},
		{"release", []domain.State{domain.StateOnHold},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Release("xong") }, domain.StateSubmitted, domain.NominationReleased},
		{"award", []domain.State{domain.StateVerified},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Award("A2", "QĐ 2", nil) }, domain.StateAwarded, domain.NominationAwarded},
		{"revoke", []domain.State{domain.StateAwarded},
			func(n *domain.Nomination) ([]domain.Event, error) {
				return n.RevokeAward("A1", domain.GroundCriteriaUnmet, "")
			}, domain.StateRevoked, domain.NominationAwardRevoked},
		{"transfer", []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified, domain.StateOnHold},
			func(n *domain.Nomination) ([]domain.Event, error) { return n.Transfer("so-c", "r1", "2025-07-01") }, "", domain.NominationTransferred},
	}
	for _, a := range actions {
		for _, st := range all {
			allowed := false
			for _, s := range a.allowed {
				allowed = allowed || s == st
			}
			t.Run(a.name+"/"+string(st), func(t *testing.T) {
				t.Parallel()
				n := nominationIn(t, st)
				evs, err := a.do(n)
				if a.name == "withdraw" && st == domain.StateOnHold {
					// A hold is on the nominee: the refusal says so (TestHoldCannotBeShed).
					var re *domain.RuleError
					if !errors.As(err, &re) || re.Code != "on_hold" || !re.Conflict {
						t.Fatalf("withdraw on hold: want on_hold, a conflict with the state (409), got %v", err)
					}
					return
				}
				if !allowed {
					var te *domain.TransitionError
					if !errors.As(err, &te) || !errors.Is(err, domain.ErrInvalidTransition) || te.From != st {
						t.Fatalf("want a TransitionError from %s, got %v", st, err)
					}
					// An award of a dossier under review or submitted is admitted: it is
					// made when the review is complete under the definition, which Refuses
					// checks (TestAwardOfACompleteReview).
					complete := a.name == "award" && (st == domain.StateSubmitted || st == domain.StateUnderReview)
					if n.Admits(a.event) && !complete {
						t.Fatalf("an audit would admit %s in %s, which no command makes", a.event, st)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s in %s refused: %v", a.name, st, err)
				}
				s := newStream()
				s.seq = 1000
				for _, e := range evs { // each event, in the state the ones before it left
					if !n.Admits(e.Type) {
						t.Fatalf("%s in %s made %s, which an audit does not admit in %s", a.name, st, e.Type, n.State())
					}
					s.apply(n, e)
				}
				if a.next != "" && n.State() != a.next {
					t.Fatalf("%s from %s led to %s, want %s", a.name, st, n.State(), a.next)
				}
			})
		}
	}
}

func TestHoldRemembersPreviousState(t *testing.T) {
	t.Parallel()
	for _, st := range []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified} {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			n := nominationIn(t, st)
			s := newStream()
			s.seq = 1000
			s.apply(n, must(t)(n.Hold("điều tra"))...)
			if n.State() != domain.StateOnHold || n.HeldFrom() != st || n.HoldEvent() == "" {
				t.Fatalf("state %s held from %s", n.State(), n.HeldFrom())
			}
			def := domain.BuiltinCampaign()
			if _, err := n.Award("A9", "", &def); !errors.Is(err, domain.ErrInvalidTransition) {
				t.Fatalf("a nomination on hold must never be awarded, got %v", err)
			}
			s.apply(n, must(t)(n.Release("đã xong"))...)
			if n.State() != st || n.HeldFrom() != "" {
				t.Fatalf("released to %s, want %s", n.State(), st)
			}
		})
	}
}

func TestReasonRequired(t *testing.T) {
	t.Parallel()
	long := make([]byte, 2001)
	for i := range long {
		long[i] = 'x'
	}
	for _, reason := range []string{"", "   ", string(long)} {
		n := nominationIn(t, domain.StateSubmitted)
		for name, do := range map[string]func(string) ([]domain.Event, error){"return": n.Return, "withdraw": n.Withdraw, "hold": n.Hold} {
			_, err := do(reason)
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Code != "reason_required" {
				t.Fatalf("%s with reason of %d bytes: %v", name, len(reason), err)
			}
		}
	}
}

func TestSubmitDossierIncomplete(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	tests := []struct {
		name    string
		attach  []domain.DocKind
		vote    bool
		missing []string
	}{
		{"nothing", nil, false, []string{"letter", "council_minutes", "achievement_report", "council_vote"}},
		{"letter only", []domain.DocKind{domain.DocLetter}, true, []string{"council_minutes", "achievement_report"}},
		{"supporting is not a part", []domain.DocKind{domain.DocSupporting, domain.DocLetter, domain.DocCouncilMinutes}, true, []string{"achievement_report"}},
		{"no vote", []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport}, false, []string{"council_vote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStream()
			n := draft(t, s, def, "n1", activeUnit(t, s, "so-a", domain.UnitDepartment), collective)
			for _, k := range tt.attach {
				s.apply(n, must(t)(n.AttachDocument(k, doc(string(k))))...)
			}
			if tt.vote {
				s.apply(n, must(t)(n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-05-01", Members: 3, Present: 3, Approve: 3}, def, inWindow))...)
			}
			_, err := n.Submit(def, nil, inWindow)
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Code != "dossier_incomplete" {
				t.Fatalf("want dossier_incomplete, got %v", err)
			}
			if !reflect.DeepEqual(re.Missing, tt.missing) {
				t.Fatalf("missing %v, want %v", re.Missing, tt.missing)
			}
			if re.MessageVI == "" || re.Message == "" {
				t.Fatal("messages required")
			}
		})
	}
}

func TestCouncilVote(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	tests := []struct {
		name                      string
		members, present, approve int
		invalid                   bool
		quorum, approval          bool
	}{
		{"quorum met, approval 6 of 9 fails", 9, 6, 6, false, true, false},
		{"quorum edge: 6 of 9 present", 9, 6, 6, false, true, false},
		{"no quorum: 5 of 9 present", 9, 5, 5, false, false, false},
		{"approve 7 of 9 = 77.8% passes", 9, 9, 7, false, true, true},
		{"approve 6 of 9 = 66.7% fails", 9, 9, 6, false, true, false},
		{"approve counts members, not present", 10, 7, 7, false, true, true},
		{"approve 70% exactly passes", 10, 10, 7, false, true, true},
		{"approve above present", 9, 5, 6, true, false, false},
		{"present above members", 9, 10, 6, true, false, false},
		{"no members", 0, 0, 0, true, false, false},
		{"negative", 9, -1, 0, true, false, false},
		{"a council of 1,000", 1000, 1000, 1000, false, true, true},
		{"a typing error", 99999999999, 99999999999, 99999999999, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := domain.CouncilVoteData{MeetingDate: "2025-05-20", Members: tt.members, Present: tt.present, Approve: tt.approve}
			s := newStream()
			n := draft(t, s, def, "n1", activeUnit(t, s, "so-a", domain.UnitDepartment), collective)
			for _, k := range def.DossierParts {
				s.apply(n, must(t)(n.AttachDocument(k, doc(string(k))))...)
			}
			evs, err := n.RecordVote(v, def, inWindow)
			if tt.invalid {
				var re *domain.RuleError
				if !errors.As(err, &re) || re.Code != "invalid_vote" {
					t.Fatalf("want invalid_vote, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("a failing vote must still be recorded: %v", err)
			}
			s.apply(n, evs...)
			q, a := domain.VoteResult(def, v)
			if q != tt.quorum || a != tt.approval {
				t.Fatalf("quorum %v approval %v, want %v %v", q, a, tt.quorum, tt.approval)
			}
			_, err = n.Submit(def, nil, inWindow)
			if tt.quorum && tt.approval {
				if err != nil {
					t.Fatalf("submit: %v", err)
				}
				return
			}
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Code != "council_vote_failed" {
				t.Fatalf("want council_vote_failed, got %v", err)
			}
		})
	}
	if _, err := nominationIn(t, domain.StateDraft).RecordVote(domain.CouncilVoteData{MeetingDate: "20/05/2025", Members: 3, Present: 3, Approve: 3}, def, inWindow); err == nil {
		t.Fatal("a meeting date that does not parse must be refused")
	}
	// A meeting not held yet, by the campaign's calendar: 2025-06-02 17:30 UTC is already
	// 2025-06-03 in Vietnam, the day after 2025-06-02 is not.
	late := time.Date(2025, 6, 2, 17, 30, 0, 0, time.UTC)
	for date, code := range map[string]string{"2025-06-03": "", "2025-06-04": "meeting_in_future", "2026-01-01": "meeting_in_future", "2025-03-01": "", "2025-02-28": "meeting_before_campaign", "2024-01-01": "meeting_before_campaign"} {
		_, err := nominationIn(t, domain.StateDraft).RecordVote(domain.CouncilVoteData{MeetingDate: date, Members: 3, Present: 3, Approve: 3}, def, late)
		if got := ruleCode(err); got != code {
			t.Errorf("meeting on %s: code %q, want %q", date, got, code)
		}
	}
}

// TestNotMetNeedsGrounds: a not_met ruling states why, and so does a not_applicable one
// (it counts as met; before the twenty-fourth session it could be bare); met may be bare.
func TestNotMetNeedsGrounds(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	for _, tt := range []struct{ result, note, code string }{
		{domain.ResultNotMet, "", "note_required"},
		{domain.ResultNotMet, "   ", "note_required"},
		{domain.ResultNotMet, "Chưa hoàn thành 2 nhiệm vụ được giao", ""},
		{domain.ResultMet, "", ""},
		{domain.ResultNotApplicable, "", "note_required"},
		{domain.ResultNotApplicable, " \t", "note_required"},
		{domain.ResultNotApplicable, "Đơn vị không có nhiệm vụ này theo Quyết định 12/QĐ-UBND", ""},
	} {
		_, err := nominationIn(t, domain.StateSubmitted).Rule(def, "C01", tt.result, tt.note, nil)
		if got := ruleCode(err); got != tt.code {
			t.Errorf("%s with note %q: code %q, want %q", tt.result, tt.note, got, tt.code)
		}
	}
}

func TestSubmitDeadline(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	ict := time.FixedZone("ICT", 7*3600)
	deadline := time.Date(2025, 11, 30, 17, 0, 0, 0, ict)
	tests := []struct {
		name     string
		deadline *time.Time
		now      time.Time
		code     string
	}{
		{"inside the campaign", nil, inWindow, ""},
		{"last second of the campaign in Vietnam", nil, time.Date(2025, 12, 31, 23, 59, 59, 0, ict), ""},
		{"after the emulation period, no deadline set (nominations follow the year)", nil, time.Date(2026, 3, 1, 9, 0, 0, 0, ict), ""},
		{"before the campaign starts", nil, time.Date(2025, 2, 28, 16, 59, 0, 0, time.UTC), "campaign_not_started"},
		{"first minute of the campaign", nil, time.Date(2025, 3, 1, 0, 0, 0, 0, ict), ""},
		{"before the deadline", &deadline, deadline.Add(-time.Second), ""},
		{"at the deadline", &deadline, deadline, ""},
		{"after the deadline", &deadline, deadline.Add(time.Second), "deadline_passed"},
		{"a returned dossier, after the deadline", &deadline, deadline.Add(time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := nominationIn(t, domain.StateDraft)
			if strings.HasPrefix(tt.name, "a returned dossier") {
				// Submitted in time, returned for amendment: it may come back.
				n = nominationIn(t, domain.StateReturned)
			}
			_, err := n.Submit(def, tt.deadline, tt.now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Code != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
			if tt.code == "deadline_passed" && !strings.Contains(re.MessageVI, "17:00 30/11/2025") {
				t.Errorf("the deadline in Vietnam's time, as users read it: %q", re.MessageVI)
			}
		})
	}
}

func TestOpenNomination(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	active := activeUnit(t, s, "so-a", domain.UnitDepartment)
	merged := activeUnit(t, s, "so-b", domain.UnitDepartment)
	s.apply(merged, domain.Event{Type: domain.UnitMergedEvent, Data: domain.UnitMergedData{Reorganisation: "r", Successor: "so-a", Effective: "2025-07-01", Decision: "QĐ"}})
	narrow := def
	narrow.EligibleUnitKinds = []domain.UnitKind{domain.UnitCommune}
	tests := []struct {
		name    string
		id      string
		def     domain.Definition
		unit    *domain.Unit
		nominee domain.Nominee
		code    string
	}{
		{"collective", "n1", def, active, collective, ""},
		{"individual head", "n2", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị B", Position: "Giám đốc", Gender: "female", Head: true}, ""},
		{"individual without position", "n3", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị B"}, "invalid_nominee"},
		{"collective head", "n4", def, active, domain.Nominee{Kind: domain.NomineeCollective, Head: true}, "invalid_nominee"},
		{"bad kind", "n5", def, active, domain.Nominee{Kind: "team"}, "invalid_nominee"},
		{"bad gender", "n6", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "A", Position: "B", Gender: "x"}, "invalid_nominee"},
		// A stray mark at either end made another person of the same one (a review finding).
		{"name ending in a full stop", "n6a", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Em.", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name beginning with a dash", "n6b", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "- Trần Thị Em", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name with a year in parentheses", "n6c", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Em (1980)", Position: "Chuyên viên"}, ""},
		{"name ending in an unopened parenthesis", "n6d", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Em)", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name in parentheses", "n6e", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "(Trần Thị Em)", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name with a full stop inside", "n6f", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần. Thị Em", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name with an apostrophe", "n6g", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "K'Brơi Ka Dương", Position: "Chuyên viên"}, ""},
		{"name with empty parentheses", "n6h", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Em ( )", Position: "Chuyên viên"}, "invalid_nominee"},
		{"name with a no-break space", "n6i", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn\u00a0An", Position: "Chuyên viên"}, ""},
		{"name with a year after no space", "n6j", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn An(1975)", Position: "Chuyên viên"}, ""},
		{"name with a curled apostrophe", "n6k", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "H’Hen Niê", Position: "Chuyên viên"}, ""},
		{"name with an apostrophe then a space", "n6l", def, active, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Hʼ Hen Niê", Position: "Chuyên viên"}, "invalid_nominee"},
		{"merged unit", "n7", def, merged, collective, "unit_not_active"},
		{"missing unit", "n8", def, nil, collective, "unknown_unit"},
		{"kind not eligible", "n9", narrow, active, collective, "unit_kind_not_eligible"},
		// A collective's nominee is its unit: a name given must be the unit's (case and
		// spaces aside), and the unit's is recorded (a review finding: any name typed was
		// recorded, shown in the ranking and its exports, and could not be corrected).
		{"collective named as its unit", "n10", def, active, domain.Nominee{Kind: domain.NomineeCollective, Name: "  sở   SO-A "}, ""},
		{"collective named otherwise", "n11", def, active, domain.Nominee{Kind: domain.NomineeCollective, Name: "Sở Xây dựng"}, "invalid_nominee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs, err := domain.OpenNomination(tt.id, tt.def, tt.unit, nil, tt.nominee, inWindow)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				d := evs[0].Data.(domain.NominationOpenedData)
				if d.ID != tt.id || d.Unit != "so-a" || d.Campaign != def.ID || d.Nominee.Name == "" {
					t.Fatalf("opened %+v", d)
				}
				if d.Nominee.Kind == domain.NomineeCollective && d.Nominee.Name != active.Name() {
					t.Fatalf("a collective recorded as %q, not as its unit %q", d.Nominee.Name, active.Name())
				}
				return
			}
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Code != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
		})
	}
	if _, err := domain.OpenNomination("a.b", def, active, nil, collective, inWindow); !errors.Is(err, domain.ErrInvalidID) {
		t.Fatalf("an id with a dot must be refused, got %v", err)
	}
}

func TestRuleAdvancesReview(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	n := submitted(t, s, def, "n1", u, collective)

	evs := must(t)(n.Rule(def, "C01", domain.ResultMet, "tốt", nil))
	if len(evs) != 2 || evs[0].Type != domain.ReviewStarted || evs[1].Type != domain.CriterionRuled {
		t.Fatalf("first ruling: %v", evs)
	}
	s.apply(n, evs...)
	if n.State() != domain.StateUnderReview {
		t.Fatalf("state %s", n.State())
	}
	refusals := []struct {
		criterion, result, code string
	}{
		{"C99", "met", "unknown_criterion"},
		{"I01", "met", "criterion_not_applicable"},
		{"H01", "met", "criterion_not_applicable"},
		{"C04", "met", "criterion_judged_by_facts"},
		{"C02", "maybe", "invalid_result"},
	}
	for _, r := range refusals {
		_, err := n.Rule(def, r.criterion, r.result, "", nil)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Code != r.code {
			t.Fatalf("rule %s %s: want %s, got %v", r.criterion, r.result, r.code, err)
		}
	}
	// C05 not applicable still counts toward verification; the last ruling verifies.
	ruling := []string{"C02", "C03", "C05", "C06", "C07", "C09"}
	for _, c := range ruling {
		result := domain.ResultMet
		if c == "C05" {
			result = domain.ResultNotApplicable
		}
		note := ""
		if result == domain.ResultNotApplicable {
			note = "Không có nhiệm vụ này"
		}
		evs := must(t)(n.Rule(def, c, result, note, nil))
		if len(evs) != 1 {
			t.Fatalf("ruling %s emitted %d events", c, len(evs))
		}
		s.apply(n, evs...)
	}
	evs = must(t)(n.Rule(def, "C10", domain.ResultMet, "", nil))
	if len(evs) != 2 || evs[1].Type != domain.NominationVerified {
		t.Fatalf("last ruling should verify: %v", evs)
	}
	s.apply(n, evs...)
	if n.State() != domain.StateVerified {
		t.Fatalf("state %s", n.State())
	}
	// A not_met ruling on a verified nomination reopens the review.
	evs = must(t)(n.Rule(def, "C02", domain.ResultNotMet, "sai", nil))
	if len(evs) != 2 || evs[1].Type != domain.ReviewReopened || evs[1].Data.(domain.ReviewReopenedData).Criterion != "C02" {
		t.Fatalf("not_met on verified: %v", evs)
	}
	s.apply(n, evs...)
	if n.State() != domain.StateUnderReview || n.Rulings()["C02"].Result != domain.ResultNotMet {
		t.Fatalf("state %s rulings %v", n.State(), n.Rulings())
	}
	if _, err := n.Award("A1", "", &def); !errors.Is(err, domain.ErrInvalidTransition) {
		t.Fatal("only a verified nomination can be awarded, or one whose review is complete")
	}
}

func TestRevokeAwardAndTransfer(t *testing.T) {
	t.Parallel()
	n := nominationIn(t, domain.StateAwarded)
	var re *domain.RuleError
	if _, err := n.RevokeAward("A1", "bad luck", ""); !errors.As(err, &re) || re.Code != "invalid_ground" {
		t.Fatalf("want invalid_ground, got %v", err)
	}
	if _, err := n.RevokeAward("A7", domain.GroundForgedDocuments, ""); !errors.As(err, &re) || re.Code != "award_mismatch" {
		t.Fatalf("want award_mismatch, got %v", err)
	}
	if n.AwardID() != "A1" {
		t.Fatalf("award id %q", n.AwardID())
	}

	m := nominationIn(t, domain.StateUnderReview)
	s := newStream()
	s.seq = 500
	s.apply(m, must(t)(m.Transfer("so-c", "r1", "2025-07-01"))...)
	if m.Unit() != "so-c" || !reflect.DeepEqual(m.UnitHistory(), []string{"so-a"}) || m.State() != domain.StateUnderReview {
		t.Fatalf("after transfer: unit %s history %v state %s", m.Unit(), m.UnitHistory(), m.State())
	}
	if _, err := m.Transfer("so-c", "r2", "2025-08-01"); !errors.As(err, &re) || re.Code != "transfer_same_unit" {
		t.Fatalf("want transfer_same_unit, got %v", err)
	}
}

// TestEligibleAgreesWithEvaluate: in every state, StateRulesOut and Eligible agree with
// Evaluate (the eligibility scenarios check Eligible too, through scenario.eval).
func TestEligibleAgreesWithEvaluate(t *testing.T) {
	t.Parallel()
	sc := newScenario(t, collective) // good facts and a plan for the unit so-a
	ruledOut := map[domain.State]bool{
		domain.StateDraft: true, domain.StateReturned: true, domain.StateOnHold: true,
		domain.StateWithdrawn: true, domain.StateRevoked: true,
		domain.StateSubmitted: false, domain.StateUnderReview: false, domain.StateVerified: false, domain.StateAwarded: false,
	}
	for state, want := range ruledOut {
		n := nominationIn(t, state)
		if got := domain.StateRulesOut(n); got != want {
			t.Errorf("StateRulesOut(%s) = %v, want %v", state, got, want)
		}
		el := domain.Evaluate(sc.def, n, sc.fs, sc.plan)
		if quick := domain.Eligible(sc.def, n, sc.fs, sc.plan); quick != el.Eligible {
			t.Errorf("%s: Eligible says %v, Evaluate says %v", state, quick, el.Eligible)
		}
		if want && el.Eligible {
			t.Errorf("%s: ruled out by its state, yet Evaluate finds it eligible", state)
		}
		if (state == domain.StateVerified || state == domain.StateAwarded) && !el.Eligible {
			t.Errorf("%s with good evidence: not eligible: %v", state, reasonCodes(el))
		}
	}
	if !domain.StateRulesOut(nil) {
		t.Error("a missing nomination is not ruled out")
	}
}

// TestResetFoldsAfreshAndKeepsSnapshots: a nomination reset and folded again is the
// nomination a fresh fold makes, and a Snapshot taken before the reset is unchanged by
// what follows it.
func TestResetFoldsAfreshAndKeepsSnapshots(t *testing.T) {
	t.Parallel()
	doc := func(id string) domain.DocumentRef {
		return domain.DocumentRef{ID: id, SHA256: id + "-sha", Name: id + ".pdf"}
	}
	s := newStream()
	rec := func(typ string, d any) domain.Recorded { return s.record(domain.Event{Type: typ, Data: d}) }
	a := []domain.Recorded{
		rec(domain.NominationOpened, domain.NominationOpenedData{ID: "n-a", Campaign: "c1", Unit: "so-a", Nominee: collective}),
		rec(domain.DocumentAttached, domain.DocumentAttachedData{Kind: domain.DocLetter, Document: doc("a1")}),
		rec(domain.DocumentAttached, domain.DocumentAttachedData{Kind: domain.DocCouncilMinutes, Document: doc("a2")}),
		rec(domain.DocumentAttached, domain.DocumentAttachedData{Kind: domain.DocLetter, Document: doc("a3")}),
		rec(domain.CouncilVoteRecorded, domain.CouncilVoteData{MeetingDate: "2025-05-02", Members: 9, Present: 9, Approve: 8}),
		rec(domain.NominationSubmitted, domain.SubmittedData{}),
		rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C01", Result: domain.ResultMet}),
		rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C02", Result: domain.ResultNotMet, Note: "thiếu"}),
		rec(domain.NominationTransferred, domain.TransferredData{From: "so-a", To: "so-c", Reorganisation: "r1", Effective: "2025-07-01"}),
	}
	b := []domain.Recorded{
		rec(domain.NominationOpened, domain.NominationOpenedData{ID: "n-b", Campaign: "c1", Unit: "so-b", Nominee: collective}),
		rec(domain.DocumentAttached, domain.DocumentAttachedData{Kind: domain.DocCouncilMinutes, Document: doc("b1")}),
		rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C03", Result: domain.ResultMet}),
	}
	fold := func(n *domain.Nomination, rs []domain.Recorded) *domain.Nomination {
		for _, r := range rs {
			n.Apply(r)
		}
		return n
	}
	// A reset nomination keeps empty lists where a fresh one has none: the same state.
	norm := func(s domain.NominationState) domain.NominationState {
		if len(s.Documents) == 0 {
			s.Documents = nil
		}
		if len(s.Rulings) == 0 {
			s.Rulings = nil
		}
		if len(s.UnitHistory) == 0 {
			s.UnitHistory = nil
		}
		return s
	}
	n := fold(domain.NewNomination(), a)
	snapA := n.Snapshot()
	n.Reset()
	if got := norm(n.Snapshot()); !reflect.DeepEqual(got, domain.NewNomination().Snapshot()) {
		t.Fatalf("after Reset: %+v, want a nomination that does not exist yet", got)
	}
	if n.ID() != "" || n.EventCount() != 0 || len(n.Documents()) != 0 || len(n.Rulings()) != 0 {
		t.Fatalf("after Reset: id %q, %d events, documents %v, rulings %v", n.ID(), n.EventCount(), n.Documents(), n.Rulings())
	}
	fold(n, b)
	if got, want := norm(n.Snapshot()), norm(fold(domain.NewNomination(), b).Snapshot()); !reflect.DeepEqual(got, want) {
		t.Fatalf("refolded after Reset:\n%+v\nwant\n%+v", got, want)
	}
	if want := fold(domain.NewNomination(), a).Snapshot(); !reflect.DeepEqual(snapA, want) {
		t.Fatalf("the snapshot taken before Reset changed:\n%+v\nwant\n%+v", snapA, want)
	}
}

// TestTransitionMessages: a refused transition is told in Vietnamese too, naming the
// action and the state in Vietnamese.
func TestTransitionMessages(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	n := nominationIn(t, domain.StateAwarded)
	for _, try := range []func() error{
		func() error { _, err := n.Submit(def, nil, inWindow); return err },
		func() error { _, err := n.Withdraw("rút"); return err },
		func() error { _, err := n.Rule(def, "C01", domain.ResultMet, "", nil); return err },
	} {
		var te *domain.TransitionError
		if err := try(); !errors.As(err, &te) {
			t.Fatalf("want a TransitionError, got %v", err)
		}
		vi := te.MessageVI()
		if !strings.HasPrefix(vi, "Không thể ") || !strings.Contains(vi, "«đã khen thưởng»") || strings.Contains(vi, te.Action) {
			t.Errorf("message_vi %q", vi)
		}
	}
}

// TestLengthsInCharacters: a reason is measured in characters, as the Vietnamese message
// says: 2,000 Vietnamese characters (three bytes each here) pass, one more does not.
func TestLengthsInCharacters(t *testing.T) {
	t.Parallel()
	full := strings.Repeat("ữ", domain.MaxReasonLength)
	if _, err := nominationIn(t, domain.StateSubmitted).Return(full); err != nil {
		t.Fatalf("2,000 characters (%d bytes): %v", len(full), err)
	}
	if _, err := nominationIn(t, domain.StateSubmitted).Return(full + "ữ"); ruleCode(err) != "reason_required" {
		t.Fatalf("2,001 characters: %v", err)
	}
}

// A returned dossier, amended and submitted again, is reviewed afresh: the rulings on the
// dossier it replaces no longer stand, so it is not eligible (criterion_pending) and
// cannot be granted until every ruling-judged criterion is ruled on again; one ruling
// does not verify it.
func TestResubmittedDossierIsReviewedAfresh(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	n := submitted(t, s, def, "n1", u, collective)
	ruleAll(t, s, def, n)
	if n.State() != domain.StateVerified {
		t.Fatalf("state %s", n.State())
	}
	s.apply(n, must(t)(n.Return("Báo cáo thành tích chưa nêu kết quả C05"))...)
	if len(n.Rulings()) == 0 {
		t.Fatal("a return keeps the rulings on record until the dossier is submitted again")
	}
	s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
	if n.State() != domain.StateSubmitted || len(n.Rulings()) != 0 {
		t.Fatalf("resubmitted: state %s, rulings %v", n.State(), n.Rulings())
	}
	el := domain.Evaluate(def, n, domain.NewFactSet(), &domain.PlanRef{})
	if el.Eligible || !slices.Contains(reasonCodes(el), "C01:"+domain.ReasonCriterionPending) {
		t.Fatalf("resubmitted dossier: eligible %v, reasons %v", el.Eligible, reasonCodes(el))
	}
	evs := must(t)(n.Rule(def, "C01", domain.ResultMet, "", nil))
	if slices.ContainsFunc(evs, func(e domain.Event) bool { return e.Type == domain.NominationVerified }) {
		t.Fatal("one ruling verified a resubmitted dossier")
	}
	s.apply(n, evs...)
	ruleAll(t, s, def, n)
	if n.State() != domain.StateVerified {
		t.Fatalf("every criterion ruled again: state %s", n.State())
	}
}

// SamePerson finds one person behind spellings of one name: letter case and spacing,
// decomposed marks, invisible format characters, the old and new placements of a tone
// mark, and a name written without any diacritic; names whose diacritics differ are
// different people.
func TestSamePerson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Trần Văn Hưng", "  trần  VĂN hưng ", true},
		{"Trần Văn Hưng", "Trần Văn Hu\u031bng", true},
		{"Nguyễn Văn An", "Nguyễn Văn An\u200b", true},
		{"Nguyễn Văn An", "Nguy\u00adễn Văn An\ufeff", true},
		{"Nguyễn Văn An", "Nguyễn\u2060 Văn An", true},
		{"Nguyễn Văn An", "Nguyễn\u00a0Văn An", true},
		{"Lê Hoàng Phúc", "Lê Hoàng Phúc\u034f", true},         // combining grapheme joiner
		{"Đỗ Thị Hồng Nhung", "Đỗ Thị\u3164 Hồng Nhung", true}, // Hangul filler
		{"Đỗ Thị Hồng Nhung", "\u115fĐỗ Thị Hồng Nhung", true},
		{"Đỗ Thị Hồng Nhung", "Đỗ Thị Hồng Nhung\ufe0f", true}, // variation selector
		{"Đỗ Thị Hồng Nhung", "Ðỗ Thị Hồng Nhung", true},       // Icelandic Eth, from old encodings
		{"Đỗ Thị Hồng Nhung", "Ɖỗ Thị Hồng Nhung", true},
		{"đỗ thị hồng nhung", "ðỗ thị hồng nhung", true},
		{"Lê Thị Hòa", "Lê Thị Hoà", true},
		{"Phạm Thị Thủy", "Phạm Thị Thuỷ", true},
		{"Nguyễn Văn An", "Nguyen Van An", true},
		{"Đặng Văn Lâm", "Dang Van Lam", true},
		{"Lê Văn Tâm", "Lê Văn Tám", false},
		{"Lê Văn Tâm", "Lê Văn Tâm Anh", false},
		{"Nguyễn Văn An", "", false},
	} {
		if got := domain.SamePerson(tc.a, tc.b); got != tc.same {
			t.Errorf("SamePerson(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
		if got := domain.SamePerson(tc.b, tc.a); got != tc.same {
			t.Errorf("SamePerson(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.same)
		}
	}
}

// TestInvisibleCharactersRefused: a name shown to people (a nominee's, a position, a
// unit's, a user's) with an invisible or control character is refused, naming the
// character: "Lê Hoàng Phúc" with a combining grapheme joiner was a second person and got
// a second award, and a name of zero-width spaces alone looked empty. A reason or a note
// of invisible characters alone is no reason.
func TestInvisibleCharactersRefused(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	person := func(name, position string) domain.Nominee {
		return domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: position}
	}
	for _, tc := range []struct {
		name string
		err  func() error
		code string
		says string
	}{
		{"nominee, CGJ", func() error {
			_, err := domain.OpenNomination("n1", def, u, nil, person("Lê Hoàng Phúc\u034f", "Chuyên viên"), inWindow)
			return err
		}, "invalid_nominee", "U+034F"},
		{"nominee, zero-width spaces alone", func() error {
			_, err := domain.OpenNomination("n1", def, u, nil, person("\u200b\u200b", "Chuyên viên"), inWindow)
			return err
		}, "invalid_nominee", "U+200B"},
		{"nominee, Hangul filler", func() error {
			_, err := domain.OpenNomination("n1", def, u, nil, person("\u3164", "Chuyên viên"), inWindow)
			return err
		}, "invalid_nominee", "U+3164"},
		{"position, bidi control", func() error {
			_, err := domain.OpenNomination("n1", def, u, nil, person("Lê Văn An", "Chuyên\u202e viên"), inWindow)
			return err
		}, "invalid_nominee", "U+202E"},
		{"collective, named with a soft hyphen", func() error {
			_, err := domain.OpenNomination("n1", def, u, nil, domain.Nominee{Kind: domain.NomineeCollective, Name: "Sở\u00ad A"}, inWindow)
			return err
		}, "invalid_nominee", "U+00AD"},
		{"unit name", func() error {
			_, err := domain.RegisterUnit("so-b", "Kho bạc\u200b Nhà nước tỉnh", domain.UnitVertical, "")
			return err
		}, "invalid_name", "U+200B"},
		{"user name", func() error {
			var g domain.Registry
			_, err := g.RegisterUser("u1", "Clerk\u200b ZW", domain.RoleAuditor, "", "hash")
			return err
		}, "invalid_name", "U+200B"},
		{"withdrawal reason of invisible characters", func() error {
			n := draft(t, s, def, "n2", u, person("Lê Văn Bình", "Chuyên viên"))
			_, err := n.Withdraw("   \u200b \u2060 ")
			return err
		}, "reason_required", ""},
	} {
		err := tc.err()
		var re *domain.RuleError
		if !assert.True(t, errors.As(err, &re), "%s: %v", tc.name, err) {
			continue
		}
		assert.Equal(t, tc.code, re.Code, tc.name)
		assert.Contains(t, re.Message, tc.says, tc.name)
		assert.NotEmpty(t, re.MessageVI, tc.name)
	}
	// The same names without them are taken.
	_, err := domain.OpenNomination("n1", def, u, nil, person("Lê Hoàng Phúc", "Chuyên viên"), inWindow)
	assert.NoError(t, err)
	_, err = domain.RegisterUnit("so-b", "Kho bạc Nhà nước tỉnh", domain.UnitVertical, "")
	assert.NoError(t, err)
}

// TestDecomposedTextIsComposed: text sent decomposed (combining marks, as some keyboards
// and converted files write Vietnamese) is the same text: a rating "Tốt" so written is
// accepted and kept composed, as are names. Before, the rating was refused as not one of
// "Tốt, Khá, …", which it looked exactly like.
func TestDecomposedTextIsComposed(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	nfd := "To\u0302\u0301t" // "Tốt", decomposed
	evs, err := u.RecordFact(def, domain.FactRecordedData{Fact: "par_rating", Text: nfd})
	if assert.NoError(t, err) {
		assert.Equal(t, "Tốt", evs[0].Data.(domain.FactRecordedData).Text)
	}
	evs, err = domain.OpenNomination("n1", def, u, nil, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Le\u0302 Va\u0306n An", Position: "Chuye\u0302n vie\u0302n"}, inWindow)
	if assert.NoError(t, err) {
		n := evs[0].Data.(domain.NominationOpenedData).Nominee
		assert.Equal(t, "Lê Văn An", n.Name)
		assert.Equal(t, "Chuyên viên", n.Position)
	}
	evs, err = domain.RegisterUnit("so-b", "So\u031b\u0309 Tu\u031b pha\u0301p", domain.UnitDepartment, "")
	if assert.NoError(t, err) {
		assert.Equal(t, "Sở Tư pháp", evs[0].Data.(domain.UnitRegisteredData).Name)
	}
}

// TestLooksLikeHead: a position that reads as a unit's head, for the hint on a dossier
// that does not declare one; deputies and other chairmen are not heads.
func TestLooksLikeHead(t *testing.T) {
	t.Parallel()
	for pos, want := range map[string]bool{
		"Giám đốc Sở Nội vụ": true, "giám  đốc": true, "Chủ tịch UBND huyện Ninh Phước": true,
		"Chủ tịch Ủy ban nhân dân xã Phước Dân": true, "Cục trưởng Cục Thống kê": true,
		"Chánh Thanh tra tỉnh": true, "Trưởng ban Quản lý các khu công nghiệp": true, "Giam doc Kho bac": true,
		"Phó Giám đốc Sở Nội vụ": false, "Chủ tịch Công đoàn cơ sở": false, "Chuyên viên": false,
		"Trưởng phòng Tổ chức": false, "": false,
		// Several offices in one position: each is read; an acting head is a head.
		"Phó Bí thư Huyện ủy, Chủ tịch UBND huyện Ninh Hải": true, "Bí thư Đảng ủy, Chủ tịch UBND xã Phước Dinh": true,
		"Tỉnh ủy viên, Giám đốc Sở Tài chính": true, "Quyền Giám đốc Sở Xây dựng": true, "Trưởng Thuế tỉnh Ninh Thuận": true,
		"Bí thư Chi bộ kiêm Chánh Văn phòng Sở": true, "Bí thư Huyện ủy - Chủ tịch UBND huyện": true,
		"Bí thư Đảng ủy, Phó Chủ tịch UBND xã": false, "Phó Bí thư Chi bộ, Trưởng phòng Kế toán": false,
		"Quyền Trưởng phòng Hành chính":           false,
		"Phó Bí thư Huyện ủy-Chủ tịch UBND huyện": true, "Phó Bí thư Huyện ủy — Chủ tịch UBND huyện": true,
		"Phó Bí thư Huyện ủy. Chủ tịch UBND huyện": true, "Q. Giám đốc Sở": true, "Q.Giám đốc Sở": true,
		"Chuyên viên, Trưởng ban Nữ công Công đoàn cơ sở": false,
		"Phó Bí thư Đảng ủy–Q. Giám đốc Sở":               true, "Phó Bí thư Đảng ủy—Q.Giám đốc Sở": true, "Bí thư Đảng ủy—P. Giám đốc Sở": false,
		"P. Giám đốc": false, "P.Giám đốc Sở Y tế": false, "P. Chánh Văn phòng": false, "Bí thư Chi bộ, P. Trưởng ban Tổ chức": false, "Chủ tịch UBND TP. Phan Rang - Tháp Chàm": true,
		// A rank before the title, and "Chủ tịch" with the administrative unit after it
		// (a review finding: these heads were never asked to declare).
		"Đại tá Giám đốc Công an tỉnh": true, "Thượng tá, Phó Giám đốc Công an tỉnh": false, "Đại tá": false,
		"Bí thư Đảng ủy kiêm Chủ tịch xã Một": true, "Chủ tịch phường Mỹ Hải": true, "Chủ tịch xã Phước Nam": true,
		"Chủ tịch HĐND xã Phước Nam": false, "Phó Chủ tịch xã Phước Nam": false, "Chủ tịch Hội Nông dân xã": false,
	} {
		assert.Equal(t, want, domain.LooksLikeHead(pos), "%q", pos)
	}
}

// TestUserNameComposed: a user's name sent decomposed is the same name, taken.
func TestUserNameComposed(t *testing.T) {
	t.Parallel()
	var g domain.Registry
	evs, err := g.RegisterUser("u1", "Trần Thị Hà", domain.RoleAuditor, "", "h1")
	require.NoError(t, err)
	g.Apply(domain.Recorded{ID: "e1", Seq: 1, Type: evs[0].Type, Data: evs[0].Data})
	_, err = g.RegisterUser("u2", "Tra\u0302\u0300n Thi\u0323 Ha\u0300", domain.RoleAuditor, "", "h2")
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "user_name_taken", re.Code)
	// The refusal says how to tell two people of one name apart.
	assert.Contains(t, re.Message, "such as the unit (Trần Thị Hà, Sở Tư pháp)")
	assert.Contains(t, re.MessageVI, "hãy thêm điều phân biệt hai người")
}

// TestCorrectNominee: an individual nominee's details are corrected in draft or returned
// (the whole nominee, normalised and checked as at opening, with a reason); every other
// state, a collective, a change of kind, no change and a missing reason are refused with
// their own errors and decide nothing.
func TestCorrectNominee(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	// The unit said, wrongly, that its director does not head it.
	person := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn Ann", Position: "Giám đốc Sở", Gender: "male", NotHead: true}
	fixed := domain.Nominee{Name: "  Nguyễn Văn An ", Position: "Giám đốc Sở", Gender: "male", Head: true}
	want := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn An", Position: "Giám đốc Sở", Gender: "male", Head: true}

	t.Run("draft and returned", func(t *testing.T) {
		t.Parallel()
		for _, returned := range []bool{false, true} {
			s := newStream()
			u := activeUnit(t, s, "so-a", domain.UnitDepartment)
			n := draft(t, s, def, "n1", u, person)
			if returned {
				complete(t, s, def, n)
				s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
				s.apply(n, must(t)(n.Return("là người đứng đầu, chưa đánh dấu"))...)
			}
			evs := must(t)(n.CorrectNominee(fixed, " đánh dấu người đứng đầu, sửa họ tên "))
			require.Len(t, evs, 1)
			assert.Equal(t, domain.NomineeCorrected, evs[0].Type)
			assert.Equal(t, domain.NomineeCorrectedData{Nominee: want, Reason: "đánh dấu người đứng đầu, sửa họ tên"}, evs[0].Data)
			before := n.State()
			require.True(t, n.Admits(domain.NomineeCorrected), "an audit admits the correction in %s", before)
			s.apply(n, evs...)
			assert.Equal(t, want, n.Nominee())
			assert.Equal(t, before, n.State(), "a correction moves no state")
			// The same details again change nothing and are refused.
			_, err := n.CorrectNominee(want, "lần nữa")
			assert.Equal(t, "nothing_to_correct", ruleCode(err))
		}
	})

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		s := newStream()
		u := activeUnit(t, s, "so-a", domain.UnitDepartment)
		n := draft(t, s, def, "n1", u, person)
		for name, c := range map[string]struct {
			nominee domain.Nominee
			reason  string
			code    string
		}{
			"no reason":            {fixed, "  ", "reason_required"},
			"kind changes":         {domain.Nominee{Kind: domain.NomineeCollective}, "tập thể", "invalid_nominee"},
			"no position":          {domain.Nominee{Name: "Nguyễn Văn An"}, "sửa", "invalid_nominee"},
			"invisible in name":    {domain.Nominee{Name: "Nguyễn\u200bVăn An", Position: "Giám đốc"}, "sửa", "invalid_nominee"},
			"gender":               {domain.Nominee{Name: "Nguyễn Văn An", Position: "Giám đốc", Gender: "x"}, "sửa", "invalid_nominee"},
			"name over 300":        {domain.Nominee{Name: strings.Repeat("ă", 301), Position: "Giám đốc"}, "sửa", "invalid_nominee"},
			"nothing changes":      {person, "sửa", "nothing_to_correct"},
			"only spaces differ":   {domain.Nominee{Name: " Nguyễn Văn Ann", Position: "Giám đốc Sở ", Gender: "male", NotHead: true}, "sửa", "nothing_to_correct"},
			"head left undeclared": {domain.Nominee{Name: "Nguyễn Văn An", Position: "Giám đốc Sở", Gender: "male"}, "sửa", "head_undeclared"},
			"head and not head":    {domain.Nominee{Name: "Nguyễn Văn An", Position: "Giám đốc Sở", Head: true, NotHead: true}, "sửa", "invalid_nominee"},
		} {
			evs, err := n.CorrectNominee(c.nominee, c.reason)
			assert.Nil(t, evs, name)
			assert.Equal(t, c.code, ruleCode(err), name)
		}
		assert.Equal(t, person, n.Nominee())

		coll := draft(t, s, def, "n2", u, collective)
		_, err := coll.CorrectNominee(fixed, "sửa")
		assert.Equal(t, "invalid_nominee", ruleCode(err))
	})

	t.Run("other states", func(t *testing.T) {
		t.Parallel()
		for _, st := range []domain.State{domain.StateSubmitted, domain.StateUnderReview, domain.StateVerified,
			domain.StateOnHold, domain.StateWithdrawn, domain.StateAwarded, domain.StateRevoked} {
			n := nominationIn(t, st)
			assert.False(t, n.Admits(domain.NomineeCorrected), st)
			_, err := n.CorrectNominee(fixed, "sửa")
			var te *domain.TransitionError
			require.ErrorAs(t, err, &te, st)
			assert.Contains(t, te.MessageVI(), "Không thể sửa thông tin cá nhân được đề nghị trong hồ sơ")
		}
	})
}

// TestRefusesWhatItsRulesForbid checks what an audit names beyond an event's type: a
// well-typed event that breaks a rule its decision checks against the nomination's state
// (an incomplete dossier submitted, a verification with criteria pending), and that the
// same events made by the decisions pass.
func TestRefusesWhatItsRulesForbid(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	rec := func(typ string, data any) domain.Recorded {
		return domain.Recorded{ID: "forged", Type: typ, Seq: 999, At: inWindow, Data: data}
	}
	// A draft with only the letter attached and no vote.
	bare := func(t *testing.T) *domain.Nomination {
		s := newStream()
		n := draft(t, s, def, "n1", activeUnit(t, s, "so-a", domain.UnitDepartment), collective)
		s.apply(n, must(t)(n.AttachDocument(domain.DocLetter, doc("letter")))...)
		return n
	}
	// A draft complete but for a vote that failed (3 of 9 approving).
	failedVote := func(t *testing.T) *domain.Nomination {
		s := newStream()
		n := draft(t, s, def, "n1", activeUnit(t, s, "so-a", domain.UnitDepartment), collective)
		for _, k := range def.DossierParts {
			s.apply(n, must(t)(n.AttachDocument(k, doc(string(k))))...)
		}
		s.apply(n, must(t)(n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-05-20", Members: 9, Present: 9, Approve: 3}, def, inWindow))...)
		return n
	}
	underReview := func(t *testing.T) *domain.Nomination { return nominationIn(t, domain.StateUnderReview) }
	verified := func(t *testing.T) *domain.Nomination { return nominationIn(t, domain.StateVerified) }
	tests := []struct {
		name  string
		build func(t *testing.T) *domain.Nomination
		rec   domain.Recorded
		want  string // "" when the event passes
	}{
		{"submission of an incomplete dossier", bare, rec(domain.NominationSubmitted, domain.SubmittedData{}),
			"a submission of a dossier missing council_minutes, achievement_report, council_vote"},
		{"submission after a failed vote", failedVote, rec(domain.NominationSubmitted, domain.SubmittedData{}),
			"a submission after the council vote failed"},
		{"submission of a complete dossier", func(t *testing.T) *domain.Nomination { return nominationIn(t, domain.StateDraft) },
			rec(domain.NominationSubmitted, domain.SubmittedData{}), ""},
		{"ruling on an unknown criterion", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C99", Result: domain.ResultMet}), `criterion "C99", which campaign`},
		{"ruling on a criterion judged by facts", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C04", Result: domain.ResultMet}), "judged from the unit's recorded facts"},
		{"ruling on an individual's criterion for a collective", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "I01", Result: domain.ResultMet}), "does not apply to the nominee"},
		{"ruling with an unknown result", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C02", Result: "maybe"}), `result "maybe"`},
		{"not_met without grounds (earlier versions took it)", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C02", Result: domain.ResultNotMet, Note: " \u200b "}), ""},
		{"verification after a return (earlier versions kept the old rulings)", func(t *testing.T) *domain.Nomination {
			s := newStream()
			n := submitted(t, s, def, "n1", activeUnit(t, s, "so-a", domain.UnitDepartment), collective)
			ruleAll(t, s, def, n) // verified on the first dossier
			s.apply(n, must(t)(n.Return("bổ sung"))...)
			s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
			s.apply(n, must(t)(n.Rule(def, "C01", domain.ResultMet, "", nil))...)
			return n
		}, rec(domain.NominationVerified, domain.VerifiedData{}), ""},
		{"not_met with grounds", underReview,
			rec(domain.CriterionRuled, domain.CriterionRuledData{Criterion: "C02", Result: domain.ResultNotMet, Note: "thiếu báo cáo"}), ""},
		{"verification with criteria pending", underReview, rec(domain.NominationVerified, domain.VerifiedData{}),
			"not all ruled met or not_applicable: C02, C03, C05, C06, C07, C09, C10"},
		{"reopening without a not_met ruling", verified,
			rec(domain.ReviewReopened, domain.ReviewReopenedData{Criterion: "C02"}), `reopening on criterion "C02"`},
		{"a type its state refuses", verified, rec(domain.NominationSubmitted, domain.SubmittedData{}),
			"recorded while the nomination is verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := tt.build(t)
			got := n.Refuses(tt.rec, &def)
			if tt.want == "" {
				assert.Empty(t, got)
			} else {
				assert.Contains(t, got, tt.want)
			}
			// Without the campaign's definition only the type is checked.
			if tt.rec.Type != domain.NominationSubmitted || n.State() != domain.StateVerified {
				assert.Empty(t, n.Refuses(tt.rec, nil), "without a definition only Admits applies")
			}
		})
	}
}

// TestInvalidRulingNamedInAnyState: a ruling on a criterion the campaign does not have,
// or with a result that does not exist, is refused naming it, on a draft too (before, a
// draft answered invalid_transition, which hid the typing error).
func TestInvalidRulingNamedInAnyState(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	for _, st := range []domain.State{domain.StateDraft, domain.StateUnderReview} {
		n := nominationIn(t, st)
		_, err := n.Rule(def, "C99", domain.ResultMet, "", nil)
		assert.Equal(t, "unknown_criterion", ruleCode(err), st)
		_, err = n.Rule(def, "C02", "maybe", "", nil)
		assert.Equal(t, "invalid_result", ruleCode(err), st)
	}
	_, err := nominationIn(t, domain.StateDraft).Rule(def, "C02", domain.ResultMet, "", nil)
	var te *domain.TransitionError
	assert.ErrorAs(t, err, &te, "a valid ruling on a draft: the state refuses it")
}

// TestHeadDeclared: an individual whose position reads as a head's is declared the head
// (H01–H05 apply too) or stated not to be (not_head); left undeclared, the opening is
// refused (head_undeclared), and a dossier opened undeclared before the rule is refused
// at its submission until the unit corrects it. A deputy's title needs neither; the two
// flags together are refused.
func TestHeadDeclared(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	open := func(n domain.Nominee) error {
		_, err := domain.OpenNomination("n9", def, u, nil, n, inWindow)
		return err
	}
	director := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lưu Văn Sơn", Position: "Giám đốc Sở Nông nghiệp và Môi trường"}
	assert.Equal(t, "head_undeclared", ruleCode(open(director)))
	for _, ok := range []domain.Nominee{
		{Kind: domain.NomineeIndividual, Name: "Lưu Văn Sơn", Position: director.Position, Head: true},
		{Kind: domain.NomineeIndividual, Name: "Trần Thị Ngọc Hân", Position: "Giám đốc Trung tâm Phục vụ hành chính công tỉnh", NotHead: true},
		{Kind: domain.NomineeIndividual, Name: "Hồ Văn Khánh", Position: "Phó Giám đốc Sở Y tế"},
	} {
		assert.NoError(t, open(ok), ok.Position)
	}
	assert.Equal(t, "invalid_nominee", ruleCode(open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "X", Position: "Giám đốc", Head: true, NotHead: true})))
	assert.Equal(t, "invalid_nominee", ruleCode(open(domain.Nominee{Kind: domain.NomineeCollective, NotHead: true})))

	// A dossier opened undeclared before the rule (its event as the stream holds it).
	n := domain.NewNomination()
	s.apply(n, domain.Event{Type: domain.NominationOpened, Data: domain.NominationOpenedData{ID: "n1", Campaign: def.ID, Unit: "so-a", Nominee: director}})
	complete(t, s, def, n)
	_, err := n.Submit(def, nil, inWindow)
	assert.Equal(t, "head_undeclared", ruleCode(err))
	fixed := director
	fixed.Head = true
	s.apply(n, must(t)(n.CorrectNominee(fixed, "là người đứng đầu Sở"))...)
	s.apply(n, must(t)(n.Submit(def, nil, inWindow))...)
	assert.Equal(t, domain.StateSubmitted, n.State())
}

// TestCorrectedSpelling: a name is a corrected spelling of another when it is the same
// name (SamePerson) or at most two letters away, diacritics aside; a further name is
// another person (the vote and the deadline rules of a correction rest on it).
func TestCorrectedSpelling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		same bool
	}{
		{"Nguyễn Văn An", "NGUYEN VAN AN", true},
		{"Nguyễn Văn Anh", "Nguyễn Văn An", true},
		{"Nguyễn Văn An", "Nguyễn Văn Ân", true},
		{"Nguyen Van Ann", "Nguyễn Văn An", true},
		{"Trần Thị Bình", "Trần Thị Bính", true},
		{"Nguyễn Văn An", "Nguyễn Văn Bảo", false},
		{"Nguyễn Văn An", "Lê Thị Cúc", false},
		{"Trần Văn Bảo", "Trần Thị Bảo Ngọc", false},
		{"", "An", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.same, domain.CorrectedSpelling(tt.a, tt.b), "%q / %q", tt.a, tt.b)
		assert.Equal(t, tt.same, domain.CorrectedSpelling(tt.b, tt.a), "%q / %q", tt.b, tt.a)
	}
	assert.NoError(t, domain.CheckVoteNominee(domain.Nominee{Kind: domain.NomineeCollective}, domain.Nominee{Kind: domain.NomineeCollective}))
	err := domain.CheckVoteNominee(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Bảo"}, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Cúc"})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "vote_for_another_name", re.Code)
	assert.Equal(t, "council_vote", re.Field)
}

// TestRefusesUnderTheDefinitionsItsCommandCouldRead: a nomination event is checked
// against every definition its command could have decided on — the one in force at the
// nomination's last sequence before it, and each revision since, up to its own — and not
// against a revision recorded after it, nor against one recorded before the nomination's
// last change, which its command saw replaced.
func TestRefusesUnderTheDefinitionsItsCommandCouldRead(t *testing.T) {
	t.Parallel()
	n := nominationIn(t, domain.StateUnderReview)
	v1 := domain.BuiltinCampaign()
	v2 := v1
	v2.Version++
	v2.Criteria = slices.DeleteFunc(slices.Clone(v1.Criteria), func(c domain.Criterion) bool { return c.ID == "C05" })
	c, s := launched(t, v1)
	last := n.Version()
	s.seq = last // the revision lands right after the nomination's last event
	s.apply(c, must(t)(c.Revise(v2))...)
	rule := func(seq uint64, criterion string) domain.Recorded {
		return domain.Recorded{ID: "ev-rule", Type: domain.CriterionRuled, Seq: seq, Actor: domain.Actor{User: "u", Role: domain.RoleReviewer},
			Data: domain.CriterionRuledData{Criterion: criterion, Result: domain.ResultMet, Note: "đạt"}}
	}
	assert.Empty(t, n.RefusesUnder(rule(last+2, "C05"), c, last), "decided on v1, appended after v2: honest")
	assert.Contains(t, n.RefusesUnder(rule(last+2, "C05"), c, last+1), "C05", "the nomination changed after v2: its command read v2")
	assert.Contains(t, n.RefusesUnder(rule(last+2, "C99"), c, last), "C99", "no definition has it")
	assert.Empty(t, n.RefusesUnder(rule(last, "C05"), c, last-1), "v2 came after it: v1 alone")
	assert.Equal(t, n.Refuses(rule(last+2, "C05"), nil), n.RefusesUnder(rule(last+2, "C05"), nil, last), "no campaign: no definition")
}

// TestAwardOfACompleteReview: a dossier under review (or submitted) whose review is complete
// under the definition in force is awarded by the grant, one event; one with a criterion
// still pending is refused, and an award recorded on it anyway (behind the engine's back)
// is named by an audit (Refuses), as is one under a definition not known.
func TestAwardOfACompleteReview(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	n := nominationIn(t, domain.StateUnderReview)
	var pending []string
	for _, c := range domain.ApplicableCriteria(def, n.Nominee()) {
		if _, ok := n.Rulings()[c.ID]; c.JudgedBy == domain.JudgedByRuling && !ok {
			pending = append(pending, c.ID)
		}
	}
	require.NotEmpty(t, pending, "the fixture's review waits on a criterion")
	_, err := n.Award("A1", "QĐ 1", &def)
	require.ErrorIs(t, err, domain.ErrInvalidTransition, "a criterion still pending")
	forged := domain.Recorded{Type: domain.NominationAwarded, Seq: 2000, Data: domain.NominationAwardedData{Award: "A1"}}
	assert.Contains(t, n.Refuses(forged, &def), "not all ruled met")

	// A revision drops the pending criteria: the review is complete, the grant awards.
	revised := def
	revised.Criteria = slices.DeleteFunc(slices.Clone(def.Criteria), func(c domain.Criterion) bool { return slices.Contains(pending, c.ID) })
	require.True(t, n.ReviewComplete(revised))
	evs, err := n.Award("A1", "QĐ 1", &revised)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, domain.NominationAwarded, evs[0].Type)
	assert.Empty(t, n.Refuses(forged, &revised))

	// Under the campaign's history: a revision dropped the pending criteria, another put
	// them back. An award recorded after both is judged by the definition in force at
	// its sequence alone, which the grant read (a review finding: it passed, admitted
	// by the version in between).
	c, cs := launched(t, def)
	revised.Version = 2
	cs.apply(c, must(t)(c.Revise(revised))...)
	back := def
	back.Version = 3
	cs.apply(c, must(t)(c.Revise(back))...)
	late := forged
	late.Seq = cs.seq + 100
	assert.Contains(t, n.RefusesUnder(late, c, 0), "not all ruled met")
	early := forged
	early.Seq = cs.seq - 1 // recorded while version 2 stood
	assert.Empty(t, n.RefusesUnder(early, c, 0))

	s := newStream()
	s.seq = 2000
	n.Apply(s.record(evs[0])) // not s.apply, which audits under the built-in definition
	assert.Equal(t, domain.StateAwarded, n.State())
}

// TestPersonNameRecordedPlain: an individual's name is recorded with its apostrophes
// straight and its spaces plain, so that "H’Hen Niê" (a word processor's apostrophe) and
// "H'Hen Niê" are one person (before, two, and one person could be nominated twice).
func TestPersonNameRecordedPlain(t *testing.T) {
	t.Parallel()
	s := newStream()
	unit := activeUnit(t, s, "so-h", domain.UnitDepartment)
	evs, err := domain.OpenNomination("nh", domain.BuiltinCampaign(), unit, nil,
		domain.Nominee{Kind: domain.NomineeIndividual, Name: "H’Hen\u00a0 Niê", Position: "Chuyên viên"}, inWindow)
	require.NoError(t, err)
	name := evs[0].Data.(domain.NominationOpenedData).Nominee.Name
	assert.Equal(t, "H'Hen Niê", name)
	assert.True(t, domain.SamePerson(name, "H'Hen Niê"))
	// One space before a final group in parentheses, as written (a review finding:
	// "An(1975)" and "An (1975)" were two people).
	evs, err = domain.OpenNomination("nh2", domain.BuiltinCampaign(), unit, nil,
		domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn An(1975)", Position: "Chuyên viên"}, inWindow)
	require.NoError(t, err)
	assert.Equal(t, "Nguyễn Văn An (1975)", evs[0].Data.(domain.NominationOpenedData).Nominee.Name)
}

// TestOnlyTheNamedVerticalAgenciesTakePart: the built-in campaign takes the plan's five
// vertical agencies (II.1.b), by id, and a unit that absorbed one of them by a merger; a
// unit registered as another vertical agency is refused unit_not_eligible, in both
// languages (a review finding: a customs office was nominated, found eligible and
// ranked). Other kinds take every unit.
func TestOnlyTheNamedVerticalAgenciesTakePart(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	assert.Equal(t, []string{"CA", "BHXH", "KBNN", "CT", "CTK"}, def.EligibleUnits[domain.UnitVertical])
	s := newStream()
	named := activeUnit(t, s, "KBNN", domain.UnitVertical)
	other := activeUnit(t, s, "CHQ", domain.UnitVertical)
	successor := activeUnit(t, s, "THUE-KV", domain.UnitVertical)
	dept := activeUnit(t, s, "SO-MOI", domain.UnitDepartment)
	collective := domain.Nominee{Kind: domain.NomineeCollective}
	_, err := domain.OpenNomination("v1", def, named, nil, collective, inWindow)
	require.NoError(t, err)
	_, err = domain.OpenNomination("v2", def, other, nil, collective, inWindow)
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "unit_not_eligible", re.Code)
	assert.Contains(t, re.Message, "CA, BHXH, KBNN, CT, CTK")
	assert.Contains(t, re.MessageVI, "không thuộc các cơ quan ngành dọc là đối tượng thi đua")
	_, err = domain.OpenNomination("v3", def, successor, []string{"THUE-KV", "CT", "X"}, collective, inWindow)
	require.NoError(t, err, "a successor of a named agency")
	_, err = domain.OpenNomination("v4", def, dept, nil, collective, inWindow)
	require.NoError(t, err, "a kind the list does not name takes every unit")

	for name, tc := range map[string]struct {
		units map[domain.UnitKind][]string
		field string
	}{
		"a kind not taking part": {map[domain.UnitKind][]string{"vertical": {"CA"}, "ministry": {"X"}}, "eligible_units.ministry"},
		"an empty list":          {map[domain.UnitKind][]string{"vertical": {}}, "eligible_units.vertical"},
		"an id that is no id":    {map[domain.UnitKind][]string{"vertical": {"C.A"}}, "eligible_units.vertical[0]"},
		"an id named twice":      {map[domain.UnitKind][]string{"vertical": {"CA", "CA"}}, "eligible_units.vertical[1]"},
	} {
		d := domain.BuiltinCampaign()
		d.EligibleUnits = tc.units
		err := d.Validate()
		require.ErrorIs(t, err, domain.ErrInvalidDefinition, name)
		var de *domain.DefinitionError
		if errors.As(err, &de) {
			assert.Equal(t, tc.field, de.Field, name)
		}
	}
}
