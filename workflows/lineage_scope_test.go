package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// ruleCode returns the code of err's *domain.RuleError ("" for another error).
func ruleCode(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

// TestSiblingReviewerConflict: after A and B merged into C, a reviewer of B may neither
// rule on the nomination A passed to C nor record A's facts, which decide it: B and A are
// one unit now. Before, the facts went through, and a fact of 90 % disbursement
// "subjective" made the nomination ineligible. A reviewer of an unrelated unit may.
func TestSiblingReviewerConflict(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	neutral := env.User(domain.RoleReviewer, "")
	nom, _ := env.EligibleCollective("RA", domain.UnitDistrict, neutral, 80)
	env.Unit("RB", domain.UnitDistrict)
	env.Unit("RX", domain.UnitDistrict)
	ofB, ofX := env.User(domain.RoleReviewer, "RB"), env.User(domain.RoleReviewer, "RX")
	_, err := merge(env, []string{"RA", "RB"}, "RC", "2025-09-01")
	require.NoError(t, err)
	fact := domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "disbursement_pct", Number: wftest.Num(90), Cause: "subjective"}

	_, err = env.Svc.Return(env.Ctx, ofB, nom, "x", workflows.Options{})
	assert.ErrorIs(t, err, workflows.ErrForbidden)
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err = env.Svc.RecordFact(env.Ctx, ofB, "RA", fact, workflows.Options{})
	assert.ErrorIs(t, err, workflows.ErrForbidden, "a sibling's reviewer records a deciding fact")
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "nothing appended")
	fact.Cause = "objective"
	env.OK(env.Svc.RecordFact(env.Ctx, ofX, "RA", fact, workflows.Options{}))
}

// TestCitationGivesTheCurrentUnit: a ruling that cites a document gives it to the unit
// the nomination belongs to when the ruling is made, and so to that unit's successors;
// not to every unit of the nomination's history. Before, a ruling on the nomination A
// passed to C, citing B's plan, let A's clerk (still enabled until the merger's effective
// date) read B's plan.
func TestCitationGivesTheCurrentUnit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	neutral := env.User(domain.RoleReviewer, "")
	env.Unit("LA", domain.UnitDistrict)
	env.Unit("LB", domain.UnitDistrict)
	clerkA, clerkB := env.User(domain.RoleClerk, "LA"), env.User(domain.RoleClerk, "LB")
	nomA := env.Dossier(clerkA, domain.Nominee{Kind: domain.NomineeCollective})
	_, plan, err := env.Svc.SubmitPlan(env.Ctx, clerkB, "LB", wftest.Campaign, workflows.Upload{Name: "ke-hoach-LB.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 B's plan")}, workflows.Options{})
	require.NoError(t, err)
	_, err = merge(env, []string{"LA", "LB"}, "LC", "2025-09-20") // in force, A's clerk enabled until then
	require.NoError(t, err)
	env.OK(env.Svc.Rule(env.Ctx, neutral, nomA, "C03", workflows.RuleInput{Result: "met", Note: "kế hoạch", Document: plan.SHA256}, workflows.Options{}))

	_, err = env.Svc.DocumentInfo(env.Ctx, clerkA, plan.SHA256)
	assert.ErrorIs(t, err, workflows.ErrForbidden, "A's clerk reads B's plan")
	_, err = env.Svc.DocumentInfo(env.Ctx, clerkB, plan.SHA256)
	assert.NoError(t, err, "B's clerk reads B's own plan")
	clerkC := env.User(domain.RoleClerk, "LC")
	_, err = env.Svc.DocumentInfo(env.Ctx, clerkC, plan.SHA256)
	assert.NoError(t, err, "the successor's clerk reads what its units filed")
}

// TestVoteIsForTheNomineeNamed: a council vote recorded for one person does not carry
// to another the nominee is corrected to: the submission is refused
// (vote_for_another_name) until the vote is recorded again; a corrected spelling of the
// same name (its diacritics, a letter or two) needs nothing.
func TestVoteIsForTheNomineeNamed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("VP", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "VP")
	id := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyen Van An", Position: "Chuyên viên"})
	env.OK(env.Svc.Return(env.Ctx, env.User(domain.RoleReviewer, ""), id, "bổ sung", workflows.Options{}))

	// The same name, its diacritics restored and a letter added: the vote stands.
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerk, id, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn Anh", Position: "Chuyên viên"}, "dấu", workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))
	env.OK(env.Svc.Withdraw(env.Ctx, clerk, id, "thử lại", workflows.Options{}))

	id = env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Bảo", Position: "Chuyên viên"})
	env.OK(env.Svc.Return(env.Ctx, env.User(domain.RoleReviewer, ""), id, "bổ sung", workflows.Options{}))
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerk, id, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Cúc", Position: "Trưởng phòng", Gender: "female"}, "đổi", workflows.Options{}))
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err := env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{})
	assert.Equal(t, "vote_for_another_name", ruleCode(err), "%v", err)
	assert.ErrorContains(t, err, "Trần Văn Bảo")
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "nothing appended")
	env.OK(env.Svc.RecordVote(env.Ctx, clerk, id, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))
}

// TestNoNewPersonAfterTheDeadline: once the deadline has passed, a returned dossier's
// nominee may be corrected to the right spelling of the same name (a letter or two, or
// the diacritics), not to another person, whom only a new nomination, closed by the
// deadline, could name (person_change_after_deadline).
func TestNoNewPersonAfterTheDeadline(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	id, clerk := returnedDossier(env, "SW", "Nguyễn Văn Anh")
	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, env.Now.Load().Add(time.Hour), workflows.Options{}))
	env.Advance(48 * time.Hour)
	bình := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Bình", Position: "Phó Giám đốc", Gender: "female"}
	_, err := env.Svc.CorrectNominee(env.Ctx, clerk, id, bình, "sửa", workflows.Options{})
	assert.Equal(t, "person_change_after_deadline", ruleCode(err), "%v", err)
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerk, id, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Văn An", Position: "Chuyên viên"}, "sai chính tả", workflows.Options{}))
	nv, err := env.Model.Nomination(id)
	require.NoError(t, err)
	assert.Equal(t, "Nguyễn Văn An", nv.Nominee.Name)
}
