package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// The tests of this file come from a review of the web for each role: each failed on the
// code before its fix.

// TestRuleFormOffersTheUnitsPlan: a reviewer's ruling on C03 (the unit's plan for the
// movement) may cite the plan the nomination relies on, as the API's may; the form
// offered only the dossier's documents.
func TestRuleFormOffersTheUnitsPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.UnitNamed("RP", "Sở Tư pháp", domain.UnitDepartment)
	clerk := e.User(domain.RoleClerk, "RP")
	id := e.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective})
	plan, err := e.Model.NominationPlan(id, projections.Bound{})
	if err != nil || plan == nil {
		t.Fatalf("plan: %v %v", plan, err)
	}
	reviewer := e.user("Chuyên viên", domain.RoleReviewer, "")
	if _, err := e.Svc.Rule(e.Ctx, e.principal(reviewer), id, "C01", workflows.RuleInput{Result: "met"}, workflows.Options{}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.signIn(reviewer)
	r := c.get("/nominations/" + id)
	i := strings.Index(r.body, `id="form-rule-C03"`)
	if i < 0 {
		t.Fatal("no ruling form for C03")
	}
	form := r.body[i : i+strings.Index(r.body[i:], "</form>")]
	mustContain(t, form, `value="`+plan.Document.SHA256+`"`, "Kế hoạch thi đua của đơn vị — ")
	// Sent, it is recorded as C03's evidence.
	r = c.post("/nominations/"+id+"/rule", c.form("_form", "rule-C03", "criterion", "C03", "result", "met", "document", plan.Document.SHA256))
	if r.status != http.StatusSeeOther {
		t.Fatalf("rule C03 citing the plan: %d\n%s", r.status, r.body)
	}
	var cited *domain.DocumentRef
	_, err = e.Store.Read(e.Ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			if ev.Type != domain.CriterionRuled {
				continue
			}
			v, err := domain.Decode(ev.Type, ev.Data)
			if err != nil {
				return err
			}
			if d := v.(domain.CriterionRuledData); d.Criterion == "C03" {
				cited = d.Document
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == nil || cited.SHA256 != plan.Document.SHA256 {
		t.Fatalf("C03's ruling cites %+v, not the plan %s", cited, plan.Document.SHA256)
	}
}

// TestNotFoundInVietnamese: an id that names nothing (a clerk's account for a unit that
// does not exist) is named in a Vietnamese sentence on the Vietnamese page, and in an
// English one on the English page; the service's English was shown on both.
func TestNotFoundInVietnamese(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.client()
	ad.signIn(wftest.AdminToken)
	ad.get("/admin")
	r := ad.post("/admin/users", ad.form("_form", "user", "name", "Người Thử", "role", "clerk", "unit", "KHONG-CO"))
	if r.status != http.StatusNotFound {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, r.body, "Không tìm thấy đơn vị «KHONG-CO».", `value="Người Thử"`)
	mustNotContain(t, r.body, "not found")
	ad.get("/admin?lang=en")
	r = ad.post("/admin/users?lang=en", ad.form("_form", "user", "name", "Người Thử", "role", "clerk", "unit", "KHONG-CO"))
	mustContain(t, r.body, "No unit “KHONG-CO” was found.")
}

// TestDefinitionErrorNamesItsField: a refused campaign definition is explained on the
// Vietnamese page in Vietnamese, naming the field, with the parser's technical detail
// marked as English; the English error was quoted whole.
func TestDefinitionErrorNamesItsField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.client()
	ad.signIn(wftest.AdminToken)
	r := ad.get("/campaigns/" + wftest.Campaign + "/definition.json")
	def := strings.Replace(r.body, `"id": "`+wftest.Campaign+`"`, `"id": "dot-thu"`, 1)
	def = strings.Replace(def, `"ends": "2025-12-31"`, `"ends": "2125-12-31"`, 1)
	ad.get("/admin")
	r = ad.upload("/admin/campaigns", map[string]string{"_form": "campaign"}, "dot-thu.json", def)
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	mustContain(t, r.body, "Tệp định nghĩa đợt thi đua không hợp lệ ở trường «starts». Chi tiết kỹ thuật (tiếng Anh): ")
	mustNotContain(t, r.body, "campaign definition:")
	if _, err := e.Model.Campaign("dot-thu"); err == nil {
		t.Fatal("the refused definition launched a campaign")
	}
}

// TestQueueOffersFactsOnlyToReviewers: the review queue links "record the unit's facts"
// only for a reviewer, who alone may; an auditor or a council member saw the link, to a
// unit page without the form.
func TestQueueOffersFactsOnlyToReviewers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.UnitNamed("QF", "Sở Tư pháp", domain.UnitDepartment)
	clerk := e.User(domain.RoleClerk, "QF")
	e.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective})
	for _, tc := range []struct {
		token string
		link  bool
	}{
		{e.user("Thanh tra", domain.RoleAuditor, ""), false},
		{e.user("Thư ký", domain.RoleCouncil, ""), false},
		{e.user("Chuyên viên", domain.RoleReviewer, ""), true},
	} {
		c := e.client()
		c.signIn(tc.token)
		r := c.get("/campaigns/" + wftest.Campaign + "/queue")
		if r.status != http.StatusOK {
			t.Fatalf("queue: %d", r.status)
		}
		mustContain(t, r.body, "Số liệu còn thiếu")
		if got := strings.Contains(r.body, "Ghi nhận số liệu của đơn vị"); got != tc.link {
			t.Errorf("the link to record facts shown: %v, want %v", got, tc.link)
		}
		if got := strings.Contains(c.get("/units/QF").body, `id="form-fact"`); got != tc.link {
			t.Errorf("the unit's fact form shown: %v, want %v", got, tc.link)
		}
	}
}

// TestPlanFormAfterTheDeadline: past the campaign's nomination deadline, when a plan is
// refused (deadline_passed), the unit page offers no plan form, as it offers no opening.
func TestPlanFormAfterTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.UnitNamed("PD", "Sở Tư pháp", domain.UnitDepartment)
	tok := e.user("Cán bộ PD", domain.RoleClerk, "PD")
	c := e.client()
	c.signIn(tok)
	mustContain(t, c.get("/units/PD").body, `id="form-plan"`, `id="form-open"`)
	e.Advance(time.Hour)
	e.OK(e.Svc.SetDeadline(e.Ctx, e.Admin, wftest.Campaign, e.Now.Load().Add(-time.Minute), workflows.Options{}))
	mustNotContain(t, c.get("/units/PD").body, `id="form-plan"`, `id="form-open"`)
}
