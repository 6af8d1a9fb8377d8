package domain_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"thidua/domain"
)

func ruleCode(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) && errors.Is(err, domain.ErrRule) {
		return re.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestUnitDecisions(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	merged := activeUnit(t, s, "so-m", domain.UnitDepartment)
	s.apply(merged, domain.Event{Type: domain.UnitMergedEvent, Data: domain.UnitMergedData{Reorganisation: "r0", Successor: "so-a", Effective: "2025-04-01", Decision: "QĐ 0"}})
	tests := []struct {
		name string
		do   func() ([]domain.Event, error)
		code string
	}{
		{"a merged unit's fact (a correction)", func() ([]domain.Event, error) {
			return merged.RecordFact(def, domain.FactRecordedData{Fact: "women_pct", Number: f64(55)})
		}, ""},
		{"a merged unit's plan", func() ([]domain.Event, error) { return merged.SubmitPlan(def.ID, doc("plan")) }, "unit_not_active"},
		{"an unknown unit's fact", func() ([]domain.Event, error) {
			return domain.NewUnit().RecordFact(def, domain.FactRecordedData{Fact: "women_pct", Number: f64(55)})
		}, "unknown_unit"},
		{"register again", func() ([]domain.Event, error) { return u.Register("so-a", "Sở A", domain.UnitDepartment, "") }, "unit_exists"},
		{"bad kind", func() ([]domain.Event, error) { return domain.RegisterUnit("x", "X", "ward", "") }, "invalid_kind"},
		{"no name", func() ([]domain.Event, error) { return domain.RegisterUnit("x", "  ", domain.UnitCommune, "") }, "invalid_name"},
		{"own parent", func() ([]domain.Event, error) { return domain.RegisterUnit("x", "X", domain.UnitCommune, "x") }, "invalid_parent"},
		{"plan", func() ([]domain.Event, error) { return u.SubmitPlan(def.ID, doc("plan")) }, ""},
		{"plan without hash", func() ([]domain.Event, error) { return u.SubmitPlan(def.ID, domain.DocumentRef{}) }, "invalid_document"},
		{"fact", func() ([]domain.Event, error) {
			return u.RecordFact(def, domain.FactRecordedData{Fact: "women_pct", Number: f64(55)})
		}, ""},
		{"fact of another campaign", func() ([]domain.Event, error) {
			return u.RecordFact(def, domain.FactRecordedData{Campaign: "other", Fact: "women_pct", Number: f64(55)})
		}, "invalid_fact"},
		{"invalid fact", func() ([]domain.Event, error) {
			return u.RecordFact(def, domain.FactRecordedData{Fact: "par_rating", Text: "Giỏi"})
		}, "invalid_fact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs, err := tt.do()
			if got := ruleCode(err); got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
			if tt.code == "" && len(evs) != 1 {
				t.Fatalf("events %v", evs)
			}
		})
	}
	if _, err := domain.RegisterUnit("a.b", "X", domain.UnitCommune, ""); !errors.Is(err, domain.ErrInvalidID) {
		t.Fatalf("want ErrInvalidID, got %v", err)
	}
}

func TestPlanMerge(t *testing.T) {
	t.Parallel()
	s := newStream()
	a := activeUnit(t, s, "huyen-a", domain.UnitDistrict)
	b := activeUnit(t, s, "huyen-b", domain.UnitDistrict)
	c := activeUnit(t, s, "huyen-c", domain.UnitDistrict)
	gone := activeUnit(t, s, "huyen-x", domain.UnitDistrict)
	s.apply(gone, domain.Event{Type: domain.UnitMergedEvent, Data: domain.UnitMergedData{Reorganisation: "r0", Successor: "huyen-c", Effective: "2025-04-01", Decision: "QĐ 0"}})

	t.Run("into a new successor", func(t *testing.T) {
		t.Parallel()
		per, err := domain.PlanMerge([]*domain.Unit{a, b}, nil, "huyen-ab", "Huyện AB", domain.UnitDistrict, "2025-07-01", "NQ 1", "r1", inWindow)
		if err != nil {
			t.Fatal(err)
		}
		if len(per) != 3 || len(per["huyen-ab"]) != 2 || per["huyen-ab"][0].Type != domain.UnitRegistered || per["huyen-ab"][1].Type != domain.UnitAbsorbed {
			t.Fatalf("events %v", per)
		}
		abs := per["huyen-ab"][1].Data.(domain.UnitAbsorbedData)
		if !slices.Equal(abs.Sources, []string{"huyen-a", "huyen-b"}) || abs.Effective != "2025-07-01" {
			t.Fatalf("absorbed %+v", abs)
		}
		for _, src := range []string{"huyen-a", "huyen-b"} {
			m := per[src][0].Data.(domain.UnitMergedData)
			if per[src][0].Type != domain.UnitMergedEvent || m.Successor != "huyen-ab" || m.Reorganisation != "r1" {
				t.Fatalf("%s: %+v", src, per[src])
			}
		}
		// Applying the events evolves every unit.
		succ := domain.NewUnit()
		s2 := newStream()
		s2.apply(succ, per["huyen-ab"]...)
		src := domain.NewUnit()
		s2.apply(src, must(t)(domain.RegisterUnit("huyen-a", "Huyện A", domain.UnitDistrict, ""))...)
		s2.apply(src, per["huyen-a"]...)
		if succ.Status() != domain.UnitActive || !slices.Equal(succ.Predecessors(), []string{"huyen-a", "huyen-b"}) {
			t.Fatalf("successor %s %v", succ.Status(), succ.Predecessors())
		}
		if src.Status() != domain.UnitMerged || src.Successor() != "huyen-ab" || src.MergedEffective() != "2025-07-01" {
			t.Fatalf("source %s → %s", src.Status(), src.Successor())
		}
	})
	tests := []struct {
		name      string
		sources   []*domain.Unit
		succ      *domain.Unit
		succID    string
		effective string
		decision  string
		code      string
	}{
		{"into an existing successor", []*domain.Unit{a, b}, c, "huyen-c", "2025-07-01", "NQ", ""},
		{"already merged", []*domain.Unit{a, gone}, c, "huyen-c", "2025-07-01", "NQ", "unit_already_merged"},
		{"into itself", []*domain.Unit{a, c}, c, "huyen-c", "2025-07-01", "NQ", "merge_into_self"},
		{"twice the same source", []*domain.Unit{a, a}, c, "huyen-c", "2025-07-01", "NQ", "duplicate_source"},
		{"too far ahead", []*domain.Unit{a}, c, "huyen-c", "2026-03-01", "NQ", "effective_too_far"},
		{"a month ahead", []*domain.Unit{a}, c, "huyen-c", "2025-07-01", "NQ", ""},
		{"bad date", []*domain.Unit{a}, c, "huyen-c", "1/7/2025", "NQ", "invalid_effective"},
		{"before 2000", []*domain.Unit{a}, c, "huyen-c", "1999-12-31", "NQ", "invalid_effective"},
		{"no such day", []*domain.Unit{a}, c, "huyen-c", "2025-02-30", "NQ", "invalid_effective"},
		{"no decision", []*domain.Unit{a}, c, "huyen-c", "2025-07-01", " ", "decision_required"},
		{"no sources", nil, c, "huyen-c", "2025-07-01", "NQ", "sources_required"},
		{"into a merged successor", []*domain.Unit{a}, gone, "huyen-x", "2025-07-01", "NQ", "unit_already_merged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.PlanMerge(tt.sources, tt.succ, tt.succID, "", "", tt.effective, tt.decision, "r1", inWindow)
			if got := ruleCode(err); got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
		})
	}
	// The lead is counted in the province's days: a date 31 days ahead is taken all day,
	// the 32nd day never (a review finding: before 07:00 the 31st day was refused).
	vn := time.FixedZone("ICT", 7*3600)
	for _, hour := range []int{0, 3, 10, 23} {
		now := time.Date(2025, 9, 15, hour, 30, 0, 0, vn)
		if _, err := domain.PlanMerge([]*domain.Unit{a}, c, "huyen-c", "", "", "2025-10-16", "NQ", "r1", now); err != nil {
			t.Errorf("31 days ahead at %02d:30: %v", hour, err)
		}
		if _, err := domain.PlanMerge([]*domain.Unit{a}, c, "huyen-c", "", "", "2025-10-17", "NQ", "r1", now); ruleCode(err) != "effective_too_far" {
			t.Errorf("32 days ahead at %02d:30: %v", hour, err)
		}
	}
	// A name or a kind given for an existing successor must be its own (before, they were
	// set aside without a word); spacing, case and Unicode form aside.
	named := []struct {
		name, succName string
		kind           domain.UnitKind
		code           string
	}{
		{"its own name and kind", "Sở huyen-c", domain.UnitDistrict, ""},
		{"its name spaced and cased otherwise", "  sở   HUYEN-C ", "", ""},
		{"its name decomposed", norm.NFD.String("Sở huyen-c"), "", ""},
		{"another name", "Huyện khác", "", "successor_differs"},
		{"another kind", "", domain.UnitCommune, "successor_differs"},
	}
	for _, tt := range named {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.PlanMerge([]*domain.Unit{a}, c, "huyen-c", tt.succName, tt.kind, "2025-07-01", "NQ", "r1", inWindow)
			if got := ruleCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
		})
	}
}

// launched returns a campaign launched with def.
func launched(t *testing.T, def domain.Definition) (*domain.Campaign, *stream) {
	t.Helper()
	c := domain.NewCampaign()
	s := newStream()
	s.apply(c, must(t)(c.Launch(def))...)
	return c, s
}

func TestCampaignGrant(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Quota = domain.Quota{Collective: 2, Individual: 1}
	coll := func(id string, lineage ...string) domain.NominationSummary {
		return domain.NominationSummary{ID: id, Unit: lineage[0], Kind: domain.NomineeCollective, Lineage: lineage}
	}
	c, s := launched(t, def)
	if _, err := c.Launch(def); ruleCode(err) != "campaign_exists" {
		t.Fatalf("relaunch: %v", err)
	}
	granted := must(t)(c.Grant("A1", coll("n1", "huyen-c", "huyen-a"), true, "QĐ 1", domain.RankingRelied{Seq: 41, Entries: []domain.RankingRef{{Nomination: "n1", Rank: 1, Recommended: true}}}))
	if gd := granted[0].Data.(domain.AwardGrantedData); gd.RankingSeq != 41 || len(gd.Ranking) != 1 || gd.Ranking[0].Nomination != "n1" {
		t.Fatalf("the grant records the ranking relied on and its sequence: %+v", gd)
	}
	s.apply(c, granted...)
	steps := []struct {
		name     string
		award    string
		nom      domain.NominationSummary
		eligible bool
		code     string
	}{
		{"not eligible", "A2", coll("n2", "so-b"), false, "not_eligible"},
		{"no decision", "A2", coll("n2", "so-b"), true, "decision_required"},
		{"same nomination", "A2", coll("n1", "huyen-c", "huyen-a"), true, "already_awarded"},
		{"lineage overlaps (a predecessor)", "A2", coll("n3", "huyen-a"), true, "lineage_already_awarded"},
		{"lineage overlaps (the successor)", "A2", coll("n4", "huyen-d", "huyen-c"), true, "lineage_already_awarded"},
		{"another unit", "A2", coll("n5", "so-b"), true, ""},
		{"quota reached", "A3", coll("n6", "so-e"), true, "quota_exceeded"},
		{"individual of an awarded unit", "A3", domain.NominationSummary{ID: "n7", Unit: "huyen-c", Kind: domain.NomineeIndividual, Name: "Nguyễn Văn A"}, true, ""},
		{"the same person again", "A4", domain.NominationSummary{ID: "n10", Unit: "huyen-c", Kind: domain.NomineeIndividual, Name: " nguyễn  văn a"}, true, "person_already_awarded"},
		{"individual quota reached", "A4", domain.NominationSummary{ID: "n8", Unit: "so-e", Kind: domain.NomineeIndividual}, true, "quota_exceeded"},
		{"duplicate award id", "A1", coll("n9", "so-f"), true, "award_exists"},
	}
	for _, st := range steps {
		decision := "QĐ"
		if st.code == "decision_required" {
			decision = "  "
		}
		evs, err := c.Grant(st.award, st.nom, st.eligible, decision, domain.RankingRelied{})
		if got := ruleCode(err); got != st.code {
			t.Fatalf("%s: code %q, want %q", st.name, got, st.code)
		}
		s.apply(c, evs...)
	}
	if c.ActiveAwards(domain.NomineeCollective) != 2 || len(c.Awards()) != 3 {
		t.Fatalf("awards %+v", c.Awards())
	}
	// Revocation frees the place and the lineage.
	if _, err := c.Revoke("A1", "typo", ""); ruleCode(err) != "invalid_ground" {
		t.Fatalf("bad ground: %v", err)
	}
	s.apply(c, must(t)(c.Revoke("A1", domain.GroundUnlawfulApproval, "sai quy trình"))...)
	if _, err := c.Revoke("A1", domain.GroundUnlawfulApproval, ""); ruleCode(err) != "award_already_revoked" {
		t.Fatalf("second revoke: %v", err)
	}
	a, ok := c.Award("A1")
	if !ok || !a.Revoked || a.Ground != domain.GroundUnlawfulApproval {
		t.Fatalf("award %+v", a)
	}
	s.apply(c, must(t)(c.Grant("A5", coll("n3", "huyen-a"), true, "QĐ 5", domain.RankingRelied{}))...)
	if c.ActiveAwards(domain.NomineeCollective) != 2 {
		t.Fatal("the freed place was not reused")
	}
}

// TestCampaignNoteMerger: a merger that would join two of the campaign's active collective
// awards in one lineage, the later granted on or after the day it takes effect, is
// refused, naming both; awards granted before that day (to units apart then), one award,
// individual awards, revoked awards and awards of other units do not stand in its way.
func TestCampaignNoteMerger(t *testing.T) {
	t.Parallel()
	c, s := launched(t, domain.BuiltinCampaign())
	grant := func(award, nom, unit string, kind domain.NomineeKind) {
		s.apply(c, must(t)(c.Grant(award, domain.NominationSummary{ID: nom, Unit: unit, Kind: kind, Lineage: []string{unit}}, true, "QĐ "+award, domain.RankingRelied{}))...)
	}
	grant("A1", "n1", "so-a", domain.NomineeCollective)
	grant("A2", "n2", "so-b", domain.NomineeCollective)
	grant("I1", "n3", "so-c", domain.NomineeIndividual)
	grant("A3", "n4", "so-d", domain.NomineeCollective)
	if _, err := c.Revoke("A3", domain.GroundUnlawfulApproval, "  "); ruleCode(err) != "note_required" {
		t.Fatalf("a revocation without its grounds: %v", err)
	}
	s.apply(c, must(t)(c.Revoke("A3", domain.GroundUnlawfulApproval, "trùng lặp sau sáp nhập"))...)
	// The awards are granted on 2025-05-01 (the stream's clock).
	for _, tt := range []struct {
		name      string
		groups    [][]string // the successor's lineage (when it exists), then each source's
		effective string
		code      string
	}{
		{"two awarded units, merged as of the grants' day", [][]string{{"so-a"}, {"so-b"}}, "2025-05-01", "merger_double_award"},
		{"two awarded units, merged before the grants", [][]string{{"so-a"}, {"so-b"}}, "2025-04-01", "merger_double_award"},
		{"an awarded unit and a predecessor of another", [][]string{{"so-x", "so-a"}, {"so-y", "so-b"}}, "2025-05-01", "merger_double_award"},
		{"two awarded units, merged after the grants", [][]string{{"so-a"}, {"so-b"}}, "2025-07-01", ""},
		{"one awarded unit", [][]string{{"so-a"}, {"so-c"}}, "2025-04-01", ""},
		{"a revoked award", [][]string{{"so-a"}, {"so-d"}}, "2025-04-01", ""},
		{"no award", [][]string{{"so-e"}, {"so-f"}}, "2025-04-01", ""},
		// A lineage that holds two lawful awards already (an earlier merger joined them)
		// joined by one that holds none: this merger joins no award to another.
		{"two awards of one lineage, and a unit with none", [][]string{{"so-ab", "so-a", "so-b"}, {"so-g"}}, "2025-04-01", ""},
	} {
		var sources []string
		for _, g := range tt.groups {
			sources = append(sources, g[0])
		}
		evs, err := c.NoteMerger("r1", "so-new", sources, tt.groups, tt.effective)
		if got := ruleCode(err); got != tt.code {
			t.Fatalf("%s: code %q, want %q", tt.name, got, tt.code)
		}
		if tt.code != "" {
			if !strings.Contains(err.Error(), "A1") || !strings.Contains(err.Error(), "A2") {
				t.Fatalf("%s: the refusal names both awards: %v", tt.name, err)
			}
			continue
		}
		if len(evs) != 1 || evs[0].Type != domain.UnitsMergedNoted {
			t.Fatalf("%s: events %+v", tt.name, evs)
		}
	}
	v := c.Version()
	s.apply(c, must(t)(c.NoteMerger("r1", "so-ef", []string{"so-e", "so-f"}, [][]string{{"so-e"}, {"so-f"}}, "2025-07-01"))...)
	if c.Version() <= v || c.ActiveAwards(domain.NomineeCollective) != 2 {
		t.Fatalf("a noted merger moves the version (%d after %d) and changes no award", c.Version(), v)
	}
	if _, err := domain.NewCampaign().NoteMerger("r1", "x", []string{"y"}, [][]string{{"x"}, {"y"}}, "2025-07-01"); ruleCode(err) != "unknown_campaign" {
		t.Fatalf("unknown campaign: %v", err)
	}
}

func TestCampaignVersionsAndDeadline(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	c, s := launched(t, def)
	v1seq := s.seq
	if _, err := c.Revise(def); ruleCode(err) != "version_not_increased" {
		t.Fatalf("same version: %v", err)
	}
	bad := def
	bad.Version = 2
	bad.Criteria = nil
	if _, err := c.Revise(bad); !errors.Is(err, domain.ErrInvalidDefinition) {
		t.Fatalf("invalid revision: %v", err)
	}
	v2 := domain.BuiltinCampaign()
	v2.Version, v2.Quota.Collective = 2, 10
	s.apply(c, must(t)(c.Revise(v2))...)
	if c.Definition().Version != 2 || c.Definition().Quota.Collective != 10 {
		t.Fatalf("current %+v", c.Definition().Quota)
	}
	if d, ok := c.DefinitionAt(v1seq); !ok || d.Version != 1 {
		t.Fatalf("at v1: %v %v", d.Version, ok)
	}
	if _, ok := c.DefinitionAt(0); ok {
		t.Fatal("nothing before launch")
	}
	if _, ok := c.Deadline(); ok {
		t.Fatal("no deadline until one is set")
	}
	if _, err := c.SetDeadline(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); ruleCode(err) != "invalid_deadline" {
		t.Fatalf("a deadline before the campaign starts: %v", err)
	}
	for _, far := range []time.Time{time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 16, 59, 0, 0, time.UTC)} {
		if _, err := c.SetDeadline(far); ruleCode(err) != "invalid_deadline" {
			t.Fatalf("a deadline in %d (the web form took it): %v", far.Year(), err)
		}
	}
	closes := time.Date(2025, 11, 30, 17, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	s.apply(c, must(t)(c.SetDeadline(closes))...)
	if d, ok := c.Deadline(); !ok || !d.Equal(closes) {
		t.Fatalf("deadline %v", d)
	}
	// The same deadline again, in another zone, is refused: nothing would change.
	evs, err := c.SetDeadline(closes.UTC())
	if ruleCode(err) != "deadline_unchanged" || len(evs) != 0 {
		t.Fatalf("the deadline already set: %v, %v", evs, err)
	}
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Field != "closes" {
		t.Fatalf("the refusal marks the deadline's field: %v", err)
	}
	// A revision cannot move the start past the deadline set (the rule SetDeadline keeps,
	// whichever command comes second).
	late := domain.BuiltinCampaign()
	late.Version, late.Starts = 3, "2025-12-01"
	if _, err := c.Revise(late); ruleCode(err) != "starts_after_deadline" {
		t.Fatalf("a start after the deadline: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	g := domain.NewRegistry()
	s := newStream()
	s.apply(g, must(t)(g.RegisterUser("u1", "Nguyễn Văn A", domain.RoleAdmin, "", "h1"))...)
	steps := []struct {
		name, id, uname string
		role            domain.Role
		unit, hash      string
		code            string
	}{
		{"name taken (case and spaces folded)", "u2", " nguyễn  văn a ", domain.RoleAuditor, "", "h2", "user_name_taken"},
		{"id taken", "u1", "B", domain.RoleAuditor, "", "h2", "user_exists"},
		{"bad role", "u2", "B", "boss", "", "h2", "invalid_role"},
		{"system is not registered", "u2", "B", domain.RoleSystem, "", "h2", "invalid_role"},
		{"clerk without unit", "u2", "B", domain.RoleClerk, "", "h2", "unit_required"},
		{"council with unit", "u2", "B", domain.RoleCouncil, "so-a", "h2", "unit_not_allowed"},
		{"token reused", "u2", "B", domain.RoleAuditor, "", "h1", "token_taken"},
		{"clerk", "u2", "B", domain.RoleClerk, "so-a", "h2", ""},
		{"reviewer with own unit", "u3", "C", domain.RoleReviewer, "so-b", "h3", ""},
		{"reviewer without unit", "u4", "D", domain.RoleReviewer, "", "h4", ""},
	}
	for _, st := range steps {
		evs, err := g.RegisterUser(st.id, st.uname, st.role, st.unit, st.hash)
		if got := ruleCode(err); got != st.code {
			t.Fatalf("%s: code %q, want %q", st.name, got, st.code)
		}
		s.apply(g, evs...)
	}
	u, ok := g.UserByTokenHash("h2")
	if !ok || u.ID != "u2" || u.Unit != "so-a" || u.Role != domain.RoleClerk {
		t.Fatalf("by token: %+v", u)
	}
	if !g.HasRole(domain.RoleAdmin) || g.HasRole(domain.RoleCouncil) || len(g.Users()) != 4 {
		t.Fatalf("roles / users wrong: %d users", len(g.Users()))
	}
	// A new token in place of the old: the same user, the old token gone.
	for _, c := range []struct{ id, hash, code string }{
		{"u2", "h3", "token_taken"}, {"u2", "", "token_required"}, {"u9", "h9", "unknown_user"},
	} {
		if _, err := g.ReissueToken(c.id, c.hash); ruleCode(err) != c.code {
			t.Fatalf("reissue %s %q: %v, want %s", c.id, c.hash, err, c.code)
		}
	}
	s.apply(g, must(t)(g.ReissueToken("u2", "h2b"))...)
	if _, ok := g.UserByTokenHash("h2"); ok {
		t.Fatal("the old token still resolves")
	}
	if u, ok := g.UserByTokenHash("h2b"); !ok || u.ID != "u2" || u.Role != domain.RoleClerk || u.Unit != "so-a" || u.TokenHash != "h2b" {
		t.Fatalf("the new token: %+v %v", u, ok)
	}
	if _, err := g.RegisterUser("u5", "E", domain.RoleAuditor, "", "h2"); err != nil {
		t.Fatalf("a token given up may be taken again: %v", err)
	}
	if _, err := g.DisableUser("u1", ""); ruleCode(err) != "reason_required" {
		t.Fatalf("disable without reason: %v", err)
	}
	if _, err := g.DisableUser("u1", "chuyển công tác"); ruleCode(err) != "last_admin" {
		t.Fatalf("the last admin was disabled: %v", err)
	}
	s.apply(g, must(t)(g.RegisterUser("u6", "F", domain.RoleAdmin, "", "h6"))...)
	s.apply(g, must(t)(g.DisableUser("u1", "chuyển công tác"))...)
	if !g.HasRole(domain.RoleAdmin) {
		t.Fatal("u6 is an enabled admin")
	}
	if _, err := g.DisableUser("u6", "nghỉ"); ruleCode(err) != "last_admin" {
		t.Fatalf("a disabled admin still counted: %v", err)
	}
	if id, name := g.FreeUserIDAndName("u1", "nguyễn văn a"); id != "u1-2" || name != "nguyễn văn a (2)" {
		t.Fatalf("free id and name: %s %q", id, name)
	}
	if id, name := g.FreeUserIDAndName("u7", "G"); id != "u7" || name != "G" {
		t.Fatalf("free id and name: %s %q", id, name)
	}
	if u, _ := g.UserByTokenHash("h1"); !u.Disabled {
		t.Fatal("disabled flag not visible")
	}
	if _, err := g.DisableUser("u1", "again"); ruleCode(err) != "user_disabled" {
		t.Fatalf("disable twice: %v", err)
	}
	if _, err := g.DisableUser("u9", "x"); ruleCode(err) != "unknown_user" {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := g.ReissueToken("u1", "h1b"); ruleCode(err) != "user_disabled" {
		t.Fatalf("a disabled user gets no new token: %v", err)
	}
}

// TestCampaignRefuses: the events no decision of the campaign's makes where it stands —
// each of them refused by a decision of its own — are refused by an audit, with why; the
// events the decisions make are not (every test's stream checks that as it applies them).
func TestCampaignRefuses(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Quota = domain.Quota{Collective: 1, Individual: 1}
	rec := func(data any) domain.Recorded { return domain.Recorded{ID: "ev", Seq: 99, Data: data} }
	grant := func(award, nom string) domain.Recorded {
		return rec(domain.AwardGrantedData{Award: award, Nomination: nom, Unit: "so-" + nom, Kind: domain.NomineeCollective, Decision: "QĐ"})
	}
	fresh := domain.NewCampaign()
	assert.Equal(t, "", fresh.Refuses(rec(domain.CampaignLaunchedData{Definition: def})))
	assert.Contains(t, fresh.Refuses(grant("A1", "n1")), "not launched")

	c, s := launched(t, def)
	s.apply(c, must(t)(c.Grant("A1", domain.NominationSummary{ID: "n1", Unit: "so-a", Kind: domain.NomineeCollective}, true, "QĐ 1", domain.RankingRelied{}))...)
	v1 := def
	v2 := def
	v2.Version = def.Version + 1
	other := v2
	other.ID = "KHAC"
	for name, c2 := range map[string]struct {
		r    domain.Recorded
		want string
	}{
		"a second launch":            {rec(domain.CampaignLaunchedData{Definition: def}), "second launch"},
		"a revision not above":       {rec(domain.CampaignRevisedData{Definition: v1}), "not above the current version"},
		"a revision of another id":   {rec(domain.CampaignRevisedData{Definition: other}), "changes the campaign's id"},
		"an award id used again":     {grant("A1", "n2"), "already used"},
		"a nomination awarded again": {grant("A2", "n1"), "holds award A1 in force"},
		"past the quota":             {grant("A2", "n2"), "past the quota of 1 collective awards"},
		"revoking an unknown award":  {rec(domain.AwardRevokedData{Award: "A9"}), "does not exist"},
		"not a campaign's event":     {rec(domain.ReasonData{Reason: "x"}), "not an event of a campaign"},
	} {
		assert.Contains(t, c.Refuses(c2.r), c2.want, name)
	}
	assert.Equal(t, "", c.Refuses(rec(domain.CampaignRevisedData{Definition: v2})))
	s.apply(c, must(t)(c.Revoke("A1", domain.GroundUnlawfulApproval, "sai quy trình"))...)
	assert.Contains(t, c.Refuses(rec(domain.AwardRevokedData{Award: "A1"})), "already revoked")
	assert.Equal(t, "", c.Refuses(grant("A2", "n2")), "the revoked award's place is free again")
}

// TestRevocationForFraudBars: an award revoked for a false declaration or forged
// documents bars its holder (the unit's lineage for a collective, the same person for an
// individual) from the campaign's awards; one revoked for an unlawful approval or criteria
// found unmet makes room.
func TestRevocationForFraudBars(t *testing.T) {
	t.Parallel()
	c, s := launched(t, domain.BuiltinCampaign())
	grant := func(award, nom, unit string, kind domain.NomineeKind, name string) {
		s.apply(c, must(t)(c.Grant(award, domain.NominationSummary{ID: nom, Unit: unit, Kind: kind, Lineage: []string{unit}, Name: name}, true, "QĐ "+award, domain.RankingRelied{}))...)
	}
	grant("A1", "n1", "so-a", domain.NomineeCollective, "")
	grant("A2", "n2", "so-b", domain.NomineeCollective, "")
	grant("I1", "n3", "so-c", domain.NomineeIndividual, "Trần Thị Hoà")
	assert.False(t, c.HasBarringRevocation())
	s.apply(c, must(t)(c.Revoke("A1", domain.GroundForgedDocuments, "biên bản giả"))...)
	s.apply(c, must(t)(c.Revoke("A2", domain.GroundCriteriaUnmet, "PAR INDEX công bố lại"))...)
	s.apply(c, must(t)(c.Revoke("I1", domain.GroundFalseDeclaration, "khai man số liệu"))...)
	assert.True(t, c.HasBarringRevocation())

	tests := []struct {
		name    string
		nom     string
		kind    domain.NomineeKind
		person  string
		lineage []string
		barred  string // the award that bars, "" when none
	}{
		{"the unit whose award was revoked for forged documents", "n9", domain.NomineeCollective, "", []string{"so-a"}, "A1"},
		{"its successor by a merger", "n9", domain.NomineeCollective, "", []string{"so-x", "so-a"}, "A1"},
		{"the revoked nomination itself (already revoked)", "n1", domain.NomineeCollective, "", []string{"so-a"}, ""},
		{"a unit whose award was revoked for criteria found unmet", "n9", domain.NomineeCollective, "", []string{"so-b"}, ""},
		{"an individual of the barred unit", "n9", domain.NomineeIndividual, "Lê Văn Bình", []string{"so-a"}, ""},
		{"the same person, written otherwise", "n9", domain.NomineeIndividual, "tran thi hoa", []string{"so-c"}, "I1"},
		{"the same name in another unit", "n9", domain.NomineeIndividual, "Trần Thị Hoà", []string{"so-d"}, ""},
		{"the unit of the barred person, as a collective", "n9", domain.NomineeCollective, "", []string{"so-c"}, ""},
	}
	for _, tt := range tests {
		a, barred := c.BarringRevocation(tt.nom, tt.kind, tt.person, tt.lineage)
		err := c.CheckNotBarred(tt.nom, tt.kind, tt.person, tt.lineage)
		if tt.barred == "" {
			assert.False(t, barred, tt.name)
			assert.NoError(t, err, tt.name)
			continue
		}
		require.True(t, barred, tt.name)
		assert.Equal(t, tt.barred, a.ID, tt.name)
		assert.Equal(t, "barred_by_revocation", ruleCode(err), tt.name)
		r := domain.BarredReason(a)
		assert.Equal(t, []string{a.RevokedBy}, r.Events, "the reason cites the revocation")
		assert.Contains(t, r.MessageVI, "không xét khen thưởng lại trong đợt này")
	}
	// A grant to a barred holder is refused. One recorded by an earlier version, which had
	// no bar, is no forgery: an audit does not name it (the eligibility of its nomination
	// says it is barred).
	_, err := c.Grant("A9", domain.NominationSummary{ID: "n9", Unit: "so-a", Kind: domain.NomineeCollective, Lineage: []string{"so-a"}}, true, "QĐ 9", domain.RankingRelied{})
	assert.Equal(t, "barred_by_revocation", ruleCode(err))
	legacy := domain.Recorded{ID: "legacy", Type: domain.AwardGranted, Seq: 999, Data: domain.AwardGrantedData{Award: "A9", Nomination: "n9",
		Unit: "so-a", Lineage: []string{"so-a"}, Kind: domain.NomineeCollective, Decision: "QĐ 9"}}
	assert.Empty(t, c.Refuses(legacy))
	// Criteria found unmet made room: the unit is granted again.
	s.apply(c, must(t)(c.Grant("A3", domain.NominationSummary{ID: "n8", Unit: "so-b", Kind: domain.NomineeCollective, Lineage: []string{"so-b"}}, true, "QĐ 3", domain.RankingRelied{}))...)
}

// TestRevisionKeepsTheAwardsInForce: a revision cannot set a kind's quota below the
// awards of that kind in force (only a revocation takes an award back); one recorded by an
// earlier version is not named by an audit.
func TestRevisionKeepsTheAwardsInForce(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	c, s := launched(t, def)
	for _, a := range []string{"A1", "A2", "A3"} {
		s.apply(c, must(t)(c.Grant(a, domain.NominationSummary{ID: "n" + a, Unit: "so-" + a, Kind: domain.NomineeCollective, Lineage: []string{"so-" + a}}, true, "QĐ", domain.RankingRelied{}))...)
	}
	low := def
	low.Version = def.Version + 1
	low.Quota = domain.Quota{Collective: 2, Individual: def.Quota.Individual}
	_, err := c.Revise(low)
	assert.Equal(t, "quota_below_awards", ruleCode(err))
	assert.Empty(t, c.Refuses(domain.Recorded{Type: domain.CampaignRevised, Seq: 999, Data: domain.CampaignRevisedData{Definition: low}}),
		"an earlier version's revision is no forgery")
	low.Quota.Collective = 3
	s.apply(c, must(t)(c.Revise(low))...)
	assert.Equal(t, 3, c.Definition().Quota.Collective, "down to the awards held is allowed")
}

// TestOmittedRulesRevision: a definition that does not state its rules_revision launches
// a campaign under the current reading, and revises one keeping the campaign's, where it
// read as 0, the oldest reading (a review finding: a revision of an older file dropped a
// campaign back to revision 0, and a district no longer admitted stayed eligible). A
// revision that states one is taken as stated.
func TestOmittedRulesRevision(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(domain.BuiltinCampaign())
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(raw, &fields))
	delete(fields, "rules_revision")
	without, err := json.Marshal(fields)
	require.NoError(t, err)
	def, err := domain.ParseDefinition(without)
	require.NoError(t, err)
	assert.Equal(t, domain.CurrentRulesRevision, def.RulesRevision, "a new campaign takes the current reading")

	old := domain.BuiltinCampaign()
	old.RulesRevision = 2
	c, _ := launched(t, old)
	def.Version = old.Version + 1
	evs, err := c.Revise(def)
	require.NoError(t, err)
	assert.Equal(t, 2, evs[0].Data.(domain.CampaignRevisedData).Definition.RulesRevision, "a revision keeps the campaign's")

	// Stated in another letter case, as encoding/json matches it, it is stated.
	fields["Rules_Revision"] = 0
	cased, err := json.Marshal(fields)
	require.NoError(t, err)
	def, err = domain.ParseDefinition(cased)
	require.NoError(t, err)
	assert.Equal(t, 0, def.RulesRevision, "stated as Rules_Revision")
	delete(fields, "Rules_Revision")
	// A null states nothing: left out.
	fields["rules_revision"] = nil
	null, err := json.Marshal(fields)
	require.NoError(t, err)
	def, err = domain.ParseDefinition(null)
	require.NoError(t, err)
	assert.Equal(t, domain.CurrentRulesRevision, def.RulesRevision, "null is left out")

	fields["rules_revision"] = 3
	with, err := json.Marshal(fields)
	require.NoError(t, err)
	def, err = domain.ParseDefinition(with)
	require.NoError(t, err)
	def.Version = old.Version + 1
	evs, err = c.Revise(def)
	require.NoError(t, err)
	assert.Equal(t, 3, evs[0].Data.(domain.CampaignRevisedData).Definition.RulesRevision, "stated, taken")
}

// TestRegistryRefusesWhatNoCommandRecords: a second registration of an id, a token another
// user has, and events of users never registered are named; a second registration changes
// nothing (the first stands: role, unit, token, disabled).
func TestRegistryRefusesWhatNoCommandRecords(t *testing.T) {
	t.Parallel()
	g := domain.NewRegistry()
	rec := func(seq uint64, data any) domain.Recorded { return domain.Recorded{Seq: seq, Data: data} }
	first := rec(1, domain.UserRegisteredData{ID: "u1", Name: "Văn thư", Role: domain.RoleClerk, Unit: "SO-TC", TokenHash: "h1"})
	require.Empty(t, g.Refuses(first))
	g.Apply(first)
	g.Apply(rec(2, domain.UserDisabledData{ID: "u1", Reason: "nghỉ việc"}))
	for _, c := range []struct {
		r    domain.Recorded
		want string
	}{
		{rec(3, domain.UserRegisteredData{ID: "u1", Name: "Văn thư", Role: domain.RoleReviewer, TokenHash: "h9"}), "a second registration of user u1 (registered as clerk, which stands)"},
		{rec(3, domain.UserRegisteredData{ID: "u2", Name: "Khác", Role: domain.RoleReviewer, TokenHash: "h1"}), "a registration with user u1's token"},
		{rec(3, domain.UserDisabledData{ID: "nobody", Reason: "x"}), "the disabling of user nobody, who is not registered"},
		{rec(3, domain.UserTokenReissuedData{ID: "nobody", TokenHash: "h5"}), "a token reissued to user nobody, who is not registered"},
		{rec(3, domain.UserTokenReissuedData{ID: "u1", TokenHash: "h1"}), "a token reissued to user u1 that is user u1's"},
		{rec(3, domain.UserRegisteredData{ID: "u3", Name: "Mới", Role: domain.RoleReviewer, TokenHash: "h3"}), ""},
	} {
		assert.Equal(t, c.want, g.Refuses(c.r), "%+v", c.r.Data)
	}
	g.Apply(rec(3, domain.UserRegisteredData{ID: "u1", Name: "Văn thư", Role: domain.RoleReviewer, TokenHash: "h9"}))
	u, ok := g.User("u1")
	require.True(t, ok)
	assert.Equal(t, domain.RoleClerk, u.Role)
	assert.Equal(t, "SO-TC", u.Unit)
	assert.True(t, u.Disabled)
	_, ok = g.UserByTokenHash("h9")
	assert.False(t, ok, "the second registration's token signs nobody in")
	assert.Equal(t, uint64(3), g.Version())
}

// TestDefinitionRecordedComposed: a definition written in decomposed Vietnamese (NFD) is
// recorded with its names, award and criteria's labels in NFC, at launch and at revision,
// as unit and nominee names are. Before, the exports carried the decomposed text.
func TestDefinitionRecordedComposed(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.NameVI = norm.NFD.String("Thi đua Ninh Thuận năm 2025")
	def.Criteria = slices.Clone(def.Criteria)
	def.Criteria[0].LabelVI = norm.NFD.String(def.Criteria[0].LabelVI)
	c := domain.NewCampaign()
	evs := must(t)(c.Launch(def))
	got := evs[0].Data.(domain.CampaignLaunchedData).Definition
	assert.Equal(t, "Thi đua Ninh Thuận năm 2025", got.NameVI)
	assert.True(t, norm.NFC.IsNormalString(got.Criteria[0].LabelVI))
	assert.False(t, norm.NFC.IsNormalString(def.Criteria[0].LabelVI), "the caller's definition is not changed")
	s := newStream()
	s.apply(c, evs...)
	def.Version, def.AwardVI = 2, norm.NFD.String("Bằng khen của Chủ tịch UBND tỉnh")
	evs = must(t)(c.Revise(def))
	assert.Equal(t, "Bằng khen của Chủ tịch UBND tỉnh", evs[0].Data.(domain.CampaignRevisedData).Definition.AwardVI)

	// A definition file saved whole in NFD parses: the text a rule expects of a fact
	// ("Tốt") is composed too, and matches the fact's values (before, it was refused as
	// no value of the fact).
	raw, err := json.Marshal(domain.BuiltinCampaign())
	require.NoError(t, err)
	parsed, err := domain.ParseDefinition(norm.NFD.Bytes(raw))
	require.NoError(t, err)
	assert.Equal(t, domain.BuiltinCampaign().NameVI, parsed.NameVI)
	assert.Equal(t, domain.BuiltinCampaign().Criteria, parsed.Criteria)
}
