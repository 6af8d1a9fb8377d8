package projections_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
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

// TestDeadlineSummaryInTheCampaignsZone: the campaign's trail states a deadline as its
// users read it, in the campaign's zone (before, in UTC: "10:00 UTC" for 17:00 in Vietnam).
func TestDeadlineSummaryInTheCampaignsZone(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	closes := time.Date(2025, 11, 28, 17, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, closes, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	evs, err := env.Model.CampaignEvents(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	e := eventOfType(t, evs, domain.DeadlineSet)
	assert.Contains(t, e.SummaryVI, "đặt hạn nộp hồ sơ: 17:00 28/11/2025")
	assert.Contains(t, e.SummaryEN, "2025-11-28 17:00 +07:00")
}

// TestSummariesInVietnameseForms: the Vietnamese summaries of the audit trail write
// numbers with a decimal comma and dates as dd/mm/yyyy, as the pages' tables do (before,
// "93.5" and "2025-09-10" beside a table's "93,5" and "10/09/2025"); the English ones
// keep the decimal point.
func TestSummariesInVietnameseForms(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("SV", domain.UnitDistrict)
	clerk := env.User(domain.RoleClerk, "SV")
	nom := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective}) // vote of 2025-09-10
	env.Fact(reviewer, "SV", domain.FactRecordedData{Fact: "index_component", Index: "PAR_INDEX", Component: "CCHC", Number: wftest.Num(9.41), Previous: wftest.Num(8.77)})
	env.Fact(reviewer, "SV", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(93.5)})
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	uevs, err := env.Model.UnitEvents("SV", false, projections.Bound{}, 0)
	require.NoError(t, err)
	var vi, en []string
	for _, e := range uevs {
		vi, en = append(vi, e.SummaryVI), append(en, e.SummaryEN)
	}
	assert.Contains(t, strings.Join(vi, "\n"), "= 93,5")
	assert.Contains(t, strings.Join(vi, "\n"), "PAR_INDEX/CCHC 9,41 (năm trước 8,77)")
	assert.Contains(t, strings.Join(en, "\n"), "= 93.5")
	nevs, err := env.Model.NominationEvents(nom, projections.Bound{})
	require.NoError(t, err)
	vote := eventOfType(t, nevs, domain.CouncilVoteRecorded)
	assert.Contains(t, vote.SummaryVI, "ngày 10/09/2025")
	assert.Contains(t, vote.SummaryEN, "2025-09-10")
}

// eventOfType returns the first event of that type among evs.
func eventOfType(t *testing.T, evs []projections.EventView, typ string) projections.EventView {
	t.Helper()
	i := slices.IndexFunc(evs, func(e projections.EventView) bool { return e.Type == typ })
	require.GreaterOrEqual(t, i, 0, "no %s event", typ)
	return evs[i]
}

// TestAwardSummariesNameWhom: the campaign's trail says whom a grant awarded (the unit,
// or the person and their unit) beside the nomination's id, and which nomination a
// revocation's award was for; before, only ids, so that an auditor could not tell from
// the trail who was granted or revoked.
func TestAwardSummariesNameWhom(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nom, _ := env.EligibleCollective("AW", domain.UnitDistrict, reviewer, 80)
	council := env.User(domain.RoleCouncil, "")
	res := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ 7"}, workflows.Options{}))
	env.OK(env.Svc.RevokeAward(env.Ctx, env.User(domain.RoleCouncil, ""), res.ID, workflows.RevokeInput{Ground: "false_declaration", Note: "kê khai sai"}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	evs, err := env.Model.CampaignEvents(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	granted := eventOfType(t, evs, domain.AwardGranted)
	assert.Contains(t, granted.SummaryVI, "quyết định khen thưởng tập thể AW, hồ sơ "+nom)
	assert.Contains(t, granted.SummaryEN, "granted an award to the collective AW, nomination "+nom)
	revoked := eventOfType(t, evs, domain.AwardRevoked)
	assert.Contains(t, revoked.SummaryVI, "của hồ sơ "+nom)
	assert.Contains(t, revoked.SummaryEN, "of nomination "+nom)
}

// TestRevisionSummaryStatesTheQuota: a revision's line in the campaign's trail states the
// quota it sets, which decides how many awards are granted. Before, it read "sửa đổi tiêu
// chí (phiên bản 2)" whatever the revision changed.
func TestRevisionSummaryStatesTheQuota(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	def.Version, def.Quota = 2, domain.Quota{Collective: 8, Individual: 15}
	e := &projections.Entry{Known: true, Rec: domain.Recorded{Data: domain.CampaignRevisedData{Definition: def}, Actor: domain.Actor{User: "u1", Role: domain.RoleAdmin}}}
	vi, en := projections.Summary(e)
	assert.Contains(t, vi, "sửa đổi đợt thi đua (phiên bản 2; chỉ tiêu 8 tập thể, 15 cá nhân)")
	assert.Contains(t, en, "quota 8 collectives, 15 individuals")
}

// TestFactSummaryNamesItsCampaign: a fact's summary names its campaign, as a plan's and a
// nomination's do: a unit's figures of two campaigns read alike in its trail otherwise.
func TestFactSummaryNamesItsCampaign(t *testing.T) {
	t.Parallel()
	score := 88.5
	e := &projections.Entry{Known: true, Rec: domain.Recorded{
		Data:  domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2026", Fact: domain.FactParIndexScore, Number: &score},
		Actor: domain.Actor{User: "u9", Role: domain.RoleReviewer},
	}}
	vi, en := projections.Summary(e)
	assert.True(t, strings.HasSuffix(vi, " cho ninh-thuan-cchc-2026"), vi)
	assert.True(t, strings.HasSuffix(en, " for ninh-thuan-cchc-2026"), en)
}
