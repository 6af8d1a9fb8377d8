package domain_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

func TestRankCollectives(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	base := time.Date(2025, 10, 1, 8, 0, 0, 0, time.UTC)
	cand := func(id, name string, score *float64, improved int, ratio float64, women *float64, minute int, seq uint64) domain.Candidate {
		return domain.Candidate{Nomination: id, Unit: "u-" + id, Name: name, ParIndexScore: score, ImprovedComponents: improved,
			ApprovalRatio: ratio, WomenPct: women, SubmittedAt: base.Add(time.Duration(minute) * time.Minute), SubmittedSeq: seq}
	}
	cands := []domain.Candidate{
		cand("n01", "Sở Y tế", f64(80), 2, 1, nil, 0, 1),
		cand("n02", "Sở Tư pháp", f64(92), 0, 0.8, nil, 0, 2),
		cand("n03", "Sở Nội vụ", f64(85), 3, 1, nil, 0, 3),
		cand("n04", "Sở Công Thương", f64(85), 3, 0.9, nil, 0, 4),
		cand("n05", "Sở Xây dựng", f64(85), 1, 1, nil, 0, 5),
		// n06..n09 tie on score, components and ratio: priority (≥70% women), then time, then name.
		cand("n06", "UBND xã Dương", f64(70), 1, 1, f64(40), 5, 6),
		cand("n07", "UBND xã Đông", f64(70), 1, 1, f64(40), 5, 6),
		cand("n08", "UBND xã Em", f64(70), 1, 1, f64(40), 5, 6),
		cand("n09", "UBND xã Zô", f64(70), 1, 1, f64(72), 9, 9),
		cand("n10", "Sở Tài chính", f64(60), 5, 1, nil, 0, 10),
		cand("n11", "Kho bạc Nhà nước tỉnh", nil, 9, 1, nil, 0, 11),
		cand("n12", "Sở Giáo dục", f64(70), 1, 1, f64(70), 10, 12),
	}
	given := slices.Clone(cands)
	got := domain.Rank(def, domain.NomineeCollective, cands, 0)
	if !reflect.DeepEqual(cands, given) {
		t.Fatal("Rank changed the candidates it was given")
	}
	wantOrder := []string{"n02", "n03", "n04", "n05", "n01", "n09", "n12", "n06", "n07", "n08", "n10", "n11"}
	wantDecided := []string{"", "par_index_score", "approval_ratio", "improved_components", "par_index_score", "par_index_score",
		"submitted_at", "priority", "name", "name", "par_index_score", "par_index_score"}
	if len(got) != 12 {
		t.Fatalf("%d entries", len(got))
	}
	for i, e := range got {
		if e.Nomination != wantOrder[i] {
			var order []string
			for _, e := range got {
				order = append(order, e.Nomination+" "+e.Name)
			}
			t.Fatalf("position %d is %s, want %s; order %v", i+1, e.Nomination, wantOrder[i], order)
		}
		if e.Rank != i+1 || e.Recommended != (i < 9) {
			t.Fatalf("%s rank %d recommended %v", e.Nomination, e.Rank, e.Recommended)
		}
		if e.DecidedBy != wantDecided[i] {
			t.Fatalf("%s decided by %q, want %q", e.Nomination, e.DecidedBy, wantDecided[i])
		}
		if len(e.Keys) != len(def.RankingKeys) {
			t.Fatalf("%s keys %v", e.Nomination, e.Keys)
		}
	}
	if got[11].Keys["par_index_score"] != nil || got[0].Keys["par_index_score"] != 92.0 || got[6].Keys["priority"] != true || got[7].Keys["priority"] != false {
		t.Fatalf("keys: %v / %v / %v", got[11].Keys, got[0].Keys, got[5].Keys)
	}
	// The input order does not matter.
	rev := slices.Clone(cands)
	slices.Reverse(rev)
	if again := domain.Rank(def, domain.NomineeCollective, rev, 0); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatal("ranking depends on the input order")
	}
}

func TestRankIndividualsPriorityAndCollation(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	at := time.Date(2025, 10, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		cands []domain.Candidate
		want  []string
	}{
		{"a woman first on a tie", []domain.Candidate{
			{Nomination: "m", Name: "An", SubmittedAt: at},
			{Nomination: "w", Name: "Bình", Woman: true, SubmittedAt: at},
		}, []string{"w", "m"}},
		{"Đ sorts after D and before E", []domain.Candidate{
			{Nomination: "e", Name: "Em", SubmittedAt: at},
			{Nomination: "dd", Name: "Đào", SubmittedAt: at},
			{Nomination: "d", Name: "Dung", SubmittedAt: at},
			{Nomination: "z", Name: "Zô", SubmittedAt: at},
			{Nomination: "a", Name: "Ánh", SubmittedAt: at},
		}, []string{"a", "d", "dd", "e", "z"}},
		{"earlier submission before name", []domain.Candidate{
			{Nomination: "a", Name: "An", SubmittedAt: at.Add(time.Hour)},
			{Nomination: "b", Name: "Yến", SubmittedAt: at},
		}, []string{"b", "a"}},
		{"same time: stream order", []domain.Candidate{
			{Nomination: "a", Name: "An", SubmittedAt: at, SubmittedSeq: 9},
			{Nomination: "b", Name: "Yến", SubmittedAt: at, SubmittedSeq: 3},
		}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, e := range domain.Rank(def, domain.NomineeIndividual, tt.cands, 0) {
				got = append(got, e.Nomination)
				if !e.Recommended {
					t.Fatalf("%s: within the quota of 15", e.Nomination)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCountImproved(t *testing.T) {
	t.Parallel()
	fs := domain.NewFactSet()
	for i, d := range []domain.FactRecordedData{
		{Campaign: "c", Fact: "index_component", Index: "PCI", Component: "a", Number: f64(7), Previous: f64(6)},
		{Campaign: "c", Fact: "index_component", Index: "PCI", Component: "b", Number: f64(6), Previous: f64(6)},
		{Campaign: "c", Fact: "index_component", Index: "PAPI", Component: "a", Number: f64(9), Previous: f64(1)},
		{Campaign: "c", Fact: "index_component", Index: "SIPAS", Component: "a", Status: "not_published"},
		{Campaign: "d", Fact: "index_component", Index: "PCI", Component: "z", Number: f64(9), Previous: f64(1)},
	} {
		fs.Apply("", domain.Recorded{ID: fmt.Sprint(i), Seq: uint64(i + 1), Data: d})
	}
	if n := domain.CountImproved(fs, "c"); n != 2 {
		t.Fatalf("CountImproved = %d, want 2", n)
	}
}

// Awards take their places first, wherever the awarded nominations rank (the council may
// grant any eligible nomination): the places left go to the best-ranked others, so no more
// entries are recommended or awarded than the quota has places. An award that is not a
// candidate (no longer eligible) holds its place too.
func TestRankAwardsHoldTheirPlaces(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign() // 9 collectives
	var cands []domain.Candidate
	for i := 1; i <= 14; i++ {
		cands = append(cands, domain.Candidate{Nomination: fmt.Sprintf("n%02d", i), Unit: fmt.Sprintf("u%02d", i),
			Name: fmt.Sprintf("Đơn vị %02d", i), ParIndexScore: f64(float64(100 - i))})
	}
	for _, i := range []int{9, 10, 11} { // ranks 10 to 12
		cands[i].Awarded = true
	}
	recommended := func(held int) []string {
		var out []string
		for _, e := range domain.Rank(def, domain.NomineeCollective, cands, held) {
			if e.Recommended {
				out = append(out, e.Nomination)
			}
		}
		return out
	}
	if got, want := recommended(3), []string{"n01", "n02", "n03", "n04", "n05", "n06", "n10", "n11", "n12"}; !slices.Equal(got, want) {
		t.Errorf("three awards at ranks 10 to 12: recommended %v, want %v", got, want)
	}
	// A fourth award, of a nomination no longer a candidate, takes one more place.
	if got, want := recommended(4), []string{"n01", "n02", "n03", "n04", "n05", "n10", "n11", "n12"}; !slices.Equal(got, want) {
		t.Errorf("four awards: recommended %v, want %v", got, want)
	}
	// A full quota of awards leaves no place: only the awarded are marked.
	if got, want := recommended(9), []string{"n10", "n11", "n12"}; !slices.Equal(got, want) {
		t.Errorf("quota full: recommended %v, want %v", got, want)
	}
}

// TestRankOnePersonOncePerUnit: of one person's nominations in one unit (a merger joined
// them), only the first is recommended under OneAwardPerPerson, its place going to the
// next; the same name in another unit is another person's; a definition without the flag
// ranks as it always did.
func TestRankOnePersonOncePerUnit(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Quota.Individual = 3
	cands := []domain.Candidate{
		{Nomination: "n1", Unit: "u1", Name: "Lê Văn Tám", ParIndexScore: f64(90)},
		{Nomination: "n2", Unit: "u1", Name: "LE VAN TAM", ParIndexScore: f64(89)},
		{Nomination: "n3", Unit: "u2", Name: "Lê Văn Tám", ParIndexScore: f64(88)},
		{Nomination: "n4", Unit: "u3", Name: "Phạm Thị Lan", ParIndexScore: f64(87)},
	}
	tests := []struct {
		name        string
		flag        bool
		recommended []string
		withheld    map[string]string
	}{
		{"with the flag", true, []string{"n1", "n3", "n4"}, map[string]string{"n2": domain.WithheldPerson}},
		{"without it (a campaign launched before)", false, []string{"n1", "n2", "n3"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := def
			d.OneAwardPerPerson = tt.flag
			var rec []string
			withheld := map[string]string{}
			for _, e := range domain.Rank(d, domain.NomineeIndividual, cands, 0) {
				if e.Recommended {
					rec = append(rec, e.Nomination)
				}
				if e.Withheld != "" {
					withheld[e.Nomination] = e.Withheld
				}
			}
			assert.Equal(t, tt.recommended, rec)
			assert.Equal(t, tt.withheld, withheld)
		})
	}
	require.True(t, domain.BuiltinCampaign().OneAwardPerPerson, "the built-in definition applies the rule")
}

// TestRankWithholdsAPersonOnHold: an entry whose person has another nomination on hold in
// its unit is not recommended, whatever its rank, and takes no place: the next one does.
func TestRankWithholdsAPersonOnHold(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Quota.Individual = 2
	cands := []domain.Candidate{
		{Nomination: "n1", Unit: "u1", Name: "Lê Văn Tâm", ParIndexScore: f64(90), PersonOnHold: true},
		{Nomination: "n2", Unit: "u2", Name: "Phạm Thị Lan", ParIndexScore: f64(89)},
		{Nomination: "n3", Unit: "u3", Name: "Trần Văn Ba", ParIndexScore: f64(88)},
	}
	var rec []string
	withheld := map[string]string{}
	for _, e := range domain.Rank(def, domain.NomineeIndividual, cands, 0) {
		if e.Recommended {
			rec = append(rec, e.Nomination)
		}
		if e.Withheld != "" {
			withheld[e.Nomination] = e.Withheld
		}
	}
	assert.Equal(t, []string{"n2", "n3"}, rec)
	assert.Equal(t, map[string]string{"n1": domain.WithheldPersonOnHold}, withheld)
}

// TestRankWithholdsAUnitOnHold: a collective entry whose unit has another collective
// nomination on hold takes no place (WithheldUnitOnHold); the next unit's does.
func TestRankWithholdsAUnitOnHold(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Quota.Collective = 2
	cands := []domain.Candidate{
		{Nomination: "n1", Unit: "u1", Name: "UBND huyện A", ParIndexScore: f64(90), UnitOnHold: true},
		{Nomination: "n2", Unit: "u2", Name: "UBND huyện B", ParIndexScore: f64(89)},
		{Nomination: "n3", Unit: "u3", Name: "UBND huyện C", ParIndexScore: f64(88)},
		{Nomination: "n4", Unit: "u4", Name: "UBND huyện D", ParIndexScore: f64(87)},
	}
	var rec []string
	withheld := map[string]string{}
	for _, e := range domain.Rank(def, domain.NomineeCollective, cands, 0) {
		if e.Recommended {
			rec = append(rec, e.Nomination)
		}
		if e.Withheld != "" {
			withheld[e.Nomination] = e.Withheld
		}
	}
	assert.Equal(t, []string{"n2", "n3"}, rec)
	assert.Equal(t, map[string]string{"n1": domain.WithheldUnitOnHold}, withheld)
}
