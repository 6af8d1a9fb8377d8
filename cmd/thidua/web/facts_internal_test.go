package web

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
)

// TestCriterionFactsOfAParentUnit: the facts a pending criterion lists include the share
// of subordinate units in breach (C13) for a parent unit alone, as the eligibility needs
// it.
func TestCriterionFactsOfAParentUnit(t *testing.T) {
	t.Parallel()
	c13, ok := domain.BuiltinCampaign().Criterion("C13")
	require.True(t, ok)
	tests := []struct {
		name   string
		parent bool
		want   []string
	}{
		{"a unit with none under it", false, []string{domain.FactStaffHoursViolationPct, domain.FactLateDirectives}},
		{"a parent unit", true, []string{domain.FactStaffHoursViolationPct, domain.FactSubordinateViolationPct, domain.FactLateDirectives}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.ElementsMatch(t, tc.want, criterionFacts(c13, tc.parent))
		})
	}
}

// TestUnitsToChooseFromByName: the units a form lists are in Vietnamese alphabetical
// order of their names (before, in the order of their ids).
func TestUnitsToChooseFromByName(t *testing.T) {
	t.Parallel()
	got := byName([]projections.UnitView{
		{ID: "BA", Name: "Huyện Bác Ái"}, {ID: "BHXH", Name: "Bảo hiểm xã hội tỉnh"},
		{ID: "BQL", Name: "Ban Quản lý các khu công nghiệp"}, {ID: "SO-DT", Name: "Sở Đào tạo"}, {ID: "SO-DL", Name: "Sở Du lịch"},
		{ID: "SO-GD", Name: "Sở Giáo dục"}, {ID: "SO-EX", Name: "Sở Empty"},
	})
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	// By bytes, "Sở Đào tạo" would come after "Sở Empty" and "Sở Giáo dục" (Đ is above
	// ASCII); in Vietnamese it comes right after d.
	assert.Equal(t, []string{"BQL", "BHXH", "BA", "SO-DL", "SO-DT", "SO-EX", "SO-GD"}, ids, "d before đ before e")
}
