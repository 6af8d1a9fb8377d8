package web

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
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
