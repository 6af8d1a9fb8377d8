package projections_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/domain"
	"thidua/projections"
)

// TestSummariesInOneLanguage: the Vietnamese summary of an event names roles, nominee
// kinds, dossier parts, results, grounds, facts and causes in Vietnamese, the English
// one keeps the codes.
func TestSummariesInOneLanguage(t *testing.T) {
	t.Parallel()
	one := 1.0
	for _, tt := range []struct {
		role  domain.Role
		data  any
		codes []string
	}{
		{domain.RoleClerk, domain.NominationOpenedData{Unit: "U1", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, []string{"clerk", "collective"}},
		{domain.RoleClerk, domain.DocumentAttachedData{Kind: domain.DocCouncilMinutes, Document: domain.DocumentRef{SHA256: strings.Repeat("a", 64)}}, []string{"council_minutes"}},
		{domain.RoleReviewer, domain.CriterionRuledData{Criterion: "C01", Result: domain.ResultNotMet, Note: "x"}, []string{"reviewer", "not_met"}},
		{domain.RoleReviewer, domain.FactRecordedData{Fact: domain.FactDisbursementPct, Number: &one, Cause: domain.CauseSubjective}, []string{"disbursement_pct", "subjective"}},
		{domain.RoleCouncil, domain.AwardRevokedData{Award: "A1", Ground: domain.GroundForgedDocuments}, []string{"council", "forged_documents"}},
		{domain.RoleAdmin, domain.UserRegisteredData{ID: "u1", Name: "Lê Văn A", Role: domain.RoleAuditor}, []string{"admin", "auditor"}},
	} {
		e := &projections.Entry{Known: true, Rec: domain.Recorded{Data: tt.data, Actor: domain.Actor{User: "u9", Role: tt.role}}}
		vi, en := projections.Summary(e)
		for _, c := range tt.codes {
			assert.NotContains(t, vi, c, "Vietnamese: %s", vi)
			assert.Contains(t, en, c, "English: %s", en)
		}
	}
}
