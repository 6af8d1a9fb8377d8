package domain_test

import (
	"errors"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"thidua/domain"

	"github.com/stretchr/testify/assert"
)

// englishWords are words the English messages and notes of the evaluation use; none may
// appear in a Vietnamese one (checked as whole words, so "PAR INDEX" or a fact's value in
// Vietnamese passes).
var englishWords = regexp.MustCompile(`(?i)\b(not|no|yet|ruling|required|recorded|published|improved|cause|excused|excluded|subjective|objective|missing|pending|met|criterion|fact|facts|the|is|of|for|and|unknown|council|vote|dossier|nomination|discipline|component|rule|kind|submitted|withdrawn|returned|hold|award|revoked|previous|above|below|invalid)\b`)

// vietnameseWords are words of the Vietnamese messages; none may appear in an English one.
var vietnameseWords = regexp.MustCompile(`(?i)(Tiêu chí|chưa|không|Hồ sơ|số liệu|yêu cầu|lý do|Khen thưởng|ghi nhận)`)

// TestMessagesInOneLanguage evaluates nominations into every reason the evaluation gives
// (each workflow reason, each exclusion of the built-in campaign, criteria pending, not
// met and excused for each kind of rule) and checks that every message_vi and note_vi is
// Vietnamese only and every message_en and note English only.
func TestMessagesInOneLanguage(t *testing.T) {
	t.Parallel()
	withFacts := func(facts ...domain.FactRecordedData) func(t *testing.T) domain.Eligibility {
		return func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			for _, f := range facts {
				fact(t, sc.s, sc.def, sc.u, sc.fs, f)
			}
			return sc.eval()
		}
	}
	head := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn C", Position: "Giám đốc", Head: true}
	comp := func(c string, v, p float64) domain.FactRecordedData {
		return domain.FactRecordedData{Fact: "index_component", Index: "PCI", Component: c, Number: f64(v), Previous: f64(p)}
	}
	tests := []struct {
		name  string
		eval  func(t *testing.T) domain.Eligibility
		codes []string // codes the case must give (among others)
	}{
		{"a draft with nothing recorded", func(t *testing.T) domain.Eligibility {
			def, s := domain.BuiltinCampaign(), newStream()
			u := activeUnit(t, s, "so-a", domain.UnitDepartment)
			return domain.Evaluate(def, draft(t, s, def, "n1", u, collective), domain.NewFactSet(), nil)
		}, []string{"not_submitted", "dossier_incomplete", "plan_missing", "criterion_pending"}},
		{"a head with nothing recorded", func(t *testing.T) domain.Eligibility {
			def, s := domain.BuiltinCampaign(), newStream()
			u := activeUnit(t, s, "so-a", domain.UnitDepartment)
			return domain.Evaluate(def, draft(t, s, def, "n1", u, head), domain.NewFactSet(), nil)
		}, []string{"not_submitted", "criterion_pending"}},
		{"a failed vote", func(t *testing.T) domain.Eligibility {
			def, s := domain.BuiltinCampaign(), newStream()
			u := activeUnit(t, s, "so-a", domain.UnitDepartment)
			n := draft(t, s, def, "n1", u, collective)
			s.apply(n, must(t)(n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-05-02", Members: 9, Present: 5, Approve: 4}, def, inWindow))...)
			return domain.Evaluate(def, n, domain.NewFactSet(), nil)
		}, []string{"council_vote_failed"}},
		{"on hold", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(sc.n.Hold("đang giải quyết khiếu nại"))...)
			return sc.eval()
		}, []string{"on_hold"}},
		{"returned", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(sc.n.Return("bổ sung báo cáo"))...)
			return sc.eval()
		}, []string{"returned"}},
		{"withdrawn", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(sc.n.Withdraw("rút hồ sơ"))...)
			return sc.eval()
		}, []string{"withdrawn"}},
		{"revoked", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(sc.n.Award("a1", "QĐ 1", nil))...)
			sc.s.apply(sc.n, must(t)(sc.n.RevokeAward("a1", "forged_documents", "giả mạo"))...)
			return sc.eval()
		}, []string{"award_revoked"}},
		{"a ruling not met", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, collective)
			sc.s.apply(sc.n, must(t)(sc.n.Rule(sc.def, "C06", domain.ResultNotMet, "Đề án 06 triển khai chậm", nil))...)
			return sc.eval()
		}, []string{"criterion_not_met"}},
		{"rating Khá", withFacts(domain.FactRecordedData{Fact: "par_rating", Text: "Khá"}), []string{"criterion_not_met"}},
		{"disbursement subjective", withFacts(domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(94.6), Cause: "subjective"}), []string{"excluded_disbursement_subjective"}},
		{"late and backlogged dossiers", withFacts(domain.FactRecordedData{Fact: "late_dossiers", Number: f64(3)}, domain.FactRecordedData{Fact: "backlog_dossiers", Number: f64(1)}), []string{"criterion_not_met"}},
		{"index not improved", withFacts(comp("Công khai minh bạch", 5.25, 5.5)), []string{"criterion_not_met"}},
		{"index not published", withFacts(domain.FactRecordedData{Fact: "index_component", Index: "SIPAS", Component: "Sự hài lòng", Status: "not_published"}), []string{"criterion_pending"}},
		{"discipline", withFacts(domain.FactRecordedData{Fact: "staff_hours_violation_pct", Number: f64(12.5)}, domain.FactRecordedData{Fact: "subordinate_violation_pct", Number: f64(15)},
			domain.FactRecordedData{Fact: "late_directives", Number: f64(2)}), []string{"excluded_discipline_staff_hours", "excluded_discipline_subordinates", "excluded_late_directives"}},
		{"a head's unit below targets", func(t *testing.T) domain.Eligibility {
			sc := newScenario(t, head)
			for _, f := range []domain.FactRecordedData{
				{Fact: "par_rating", Text: "Trung bình"}, {Fact: "disbursement_pct", Number: f64(95), Cause: "objective"},
				{Fact: "late_directives", Number: f64(1)}, {Fact: "online_service_pct", Number: f64(90)},
			} {
				fact(t, sc.s, sc.def, sc.u, sc.fs, f)
			}
			return sc.eval()
		}, []string{"criterion_not_met"}},
		{"an objective shortfall is excused", withFacts(domain.FactRecordedData{Fact: "disbursement_pct", Number: f64(95), Cause: "objective"}), nil},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := tt.eval(t)
			var codes []string
			for _, r := range el.Reasons {
				codes = append(codes, r.Code)
				seen[r.Code] = true
				checkLanguages(t, r.Code+" "+r.Criterion, r.MessageVI, r.MessageEN)
			}
			for _, c := range tt.codes {
				if !slices.Contains(codes, c) {
					t.Errorf("no %s among %v", c, codes)
				}
			}
			for id, c := range el.Criteria {
				if c.Note != "" && c.NoteVI == "" {
					t.Errorf("%s: note %q has no Vietnamese", id, c.Note)
				}
				checkLanguages(t, id+" note", c.NoteVI, c.Note)
			}
		})
	}
	// Every reason code of the evaluation and every exclusion of the built-in campaign.
	want := []string{domain.ReasonNotSubmitted, domain.ReasonReturned, domain.ReasonWithdrawn, domain.ReasonOnHold, domain.ReasonAwardRevoked,
		domain.ReasonDossierIncomplete, domain.ReasonCouncilVoteFailed, domain.ReasonPlanMissing, domain.ReasonCriterionNotMet, domain.ReasonCriterionPending}
	for _, c := range domain.BuiltinCampaign().Criteria {
		for _, x := range c.Rule.Exclusions {
			want = append(want, x.Code)
		}
	}
	var missed []string
	for _, c := range want {
		if !seen[c] {
			missed = append(missed, c)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("no case gives %v", missed)
	}
}

// checkLanguages fails when vi has an English word or en a Vietnamese one.
func checkLanguages(t *testing.T, what, vi, en string) {
	t.Helper()
	if w := englishWords.FindString(vi); w != "" {
		t.Errorf("%s: message_vi %q has the English word %q", what, vi, w)
	}
	if w := vietnameseWords.FindString(en); w != "" {
		t.Errorf("%s: message_en %q has the Vietnamese %q", what, en, w)
	}
	if strings.TrimSpace(vi) == "" && strings.TrimSpace(en) != "" {
		t.Errorf("%s: English %q without Vietnamese", what, en)
	}
	// Numbers as each language writes them: 94,6 in Vietnamese, 94.6 in English.
	if n := decimalPoint.FindString(vi); n != "" {
		t.Errorf("%s: message_vi %q writes %s with a decimal point", what, vi, n)
	}
	if n := decimalComma.FindString(en); n != "" {
		t.Errorf("%s: message_en %q writes %s with a decimal comma", what, en, n)
	}
}

var (
	decimalPoint = regexp.MustCompile(`\d\.\d`)
	decimalComma = regexp.MustCompile(`\d,\d`)
)

// TestFormatNumber: numbers as each language writes them, never in exponent form.
func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f      float64
		vi, en string
	}{
		{94.6, "94,6", "94.6"}, {100, "100", "100"}, {1234567, "1234567", "1234567"},
		{1.5e-07, "0,00000015", "0.00000015"}, {-3.25, "-3,25", "-3.25"}, {0, "0", "0"},
	} {
		assert.Equal(t, c.vi, domain.FormatNumber(c.f, true))
		assert.Equal(t, c.en, domain.FormatNumber(c.f, false))
	}
}

// TestCheckText: text that cannot be shown or stored faithfully is refused, naming what
// is wrong in both languages; Vietnamese text, tabs and line breaks pass.
func TestCheckText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
	}{
		{"Hồ sơ đề nghị\tkhen thưởng\r\nnăm 2025", ""},
		{"\x1b[2J", "control character U+001B"},
		{"ok\u0085", "control character U+0085"},
		{"to-trinh\u202efdp.exe", "bidirectional control U+202E"},
		{"a\u2066b", "bidirectional control U+2066"},
		{"x\ufffd", "U+FFFD"},
		{"\xff\xfe", "not valid UTF-8"},
	} {
		err := domain.CheckText(tt.in)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.in, err)
			}
			continue
		}
		var te *domain.TextError
		if !errors.As(err, &te) || !strings.Contains(te.Problem, tt.want) || te.ProblemVI == "" {
			t.Errorf("%q: %v, want %q", tt.in, err, tt.want)
		}
	}
}
