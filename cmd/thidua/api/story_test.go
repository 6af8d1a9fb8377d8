package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventRow is what the story checks of each event.
type eventRow struct {
	ID    string `json:"id"`
	Seq   uint64 `json:"seq"`
	Type  string `json:"type"`
	At    string `json:"at"`
	Actor struct {
		User string `json:"user"`
		Role string `json:"role"`
	} `json:"actor"`
}

// step is an expected event: its type and the role that caused it.
type step struct{ typ, role string }

// nominationEvents reads a nomination's audit trail.
func nominationEvents(t *testing.T, c *client, nom string) []eventRow {
	t.Helper()
	var v struct {
		Events []eventRow `json:"events"`
	}
	c.get("/api/v1/nominations/"+nom+"/events").want(t, http.StatusOK).decode(t, &v)
	return v.Events
}

// checkTrail compares a trail with the expected steps, and the actors with the users.
func checkTrail(t *testing.T, what string, got []eventRow, want []step, users map[string]string) {
	t.Helper()
	var g, w []string
	for _, e := range got {
		g = append(g, e.Type+"/"+e.Actor.Role)
	}
	for _, s := range want {
		w = append(w, s.typ+"/"+s.role)
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("%s: events\n got:\n  %s\nwant:\n  %s", what, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
	var prev uint64
	for _, e := range got {
		if e.Actor.User != users[e.Actor.Role] {
			t.Errorf("%s: %s by user %q, want %q", what, e.Type, e.Actor.User, users[e.Actor.Role])
		}
		if e.Seq < prev {
			t.Errorf("%s: events out of stream order at %s", what, e.ID)
		}
		prev = e.Seq
	}
}

func repeat(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestStory drives a collective and a head-of-unit nomination from the unit's plan to the
// council's awards over real HTTP, with a return for amendment and a resubmission, and
// checks the audit trail recorded at each step.
func TestStory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("STP", "department")
	e.unit("SNV", "department")
	clerk := e.user("clerk", "STP")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	auditor := e.user("auditor", "")
	users := map[string]string{"clerk": clerk.id, "reviewer": reviewer.id, "council": council.id}

	var me map[string]any
	clerk.get("/api/v1/me").want(t, http.StatusOK).decode(t, &me)
	if me["role"] != "clerk" || me["unit"] != "STP" || me["id"] != clerk.id {
		t.Fatalf("/me of the clerk: %v", me)
	}

	// The unit's own emulation plan.
	plan := clerk.upload("/api/v1/units/STP/plans", map[string]string{"campaign": campaign}, "ke-hoach.pdf", pdf("plan")).want(t, http.StatusCreated)
	if len(plan.events(t)) != 1 || len(plan.str(t, "sha256")) != 64 {
		t.Fatalf("plan: %s", plan)
	}

	// A collective nomination and the head of unit's.
	col := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "STP", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated)
	colID := col.str(t, "id")
	// Two events: nomination.opened, and unit.nominated on the unit (the guard of one
	// nomination per unit and nominee).
	if col.str(t, "state") != "draft" || col.header.Get("ETag") == "" || len(col.events(t)) != 2 {
		t.Fatalf("open collective: %s", col)
	}
	head := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "STP", "nominee": map[string]any{
		"kind": "individual", "name": "Nguyễn Thị Hoa", "position": "Giám đốc Sở", "gender": "female", "head": true,
	}}).want(t, http.StatusCreated)
	headID := head.str(t, "id")

	for _, nom := range []string{colID, headID} {
		for _, kind := range []string{"letter", "council_minutes", "achievement_report"} {
			d := clerk.upload("/api/v1/nominations/"+nom+"/documents", map[string]string{"kind": kind}, kind+".pdf", pdf(kind+nom)).want(t, http.StatusCreated)
			if d.str(t, "kind") != kind || len(d.events(t)) != 1 {
				t.Fatalf("document: %s", d)
			}
		}
		v := clerk.post("/api/v1/nominations/"+nom+"/council-vote", map[string]any{"meeting_date": "2025-09-10", "members": 9, "present": 8, "approve": 7}).want(t, http.StatusCreated)
		var vote struct {
			CouncilVote struct {
				Passes bool `json:"passes"`
			} `json:"council_vote"`
		}
		v.decode(t, &vote)
		if !vote.CouncilVote.Passes {
			t.Fatalf("7 of 9 approving, 8 present should pass: %s", v)
		}
		s := clerk.post("/api/v1/nominations/"+nom+"/submit", nil).want(t, http.StatusOK)
		if s.str(t, "state") != "submitted" {
			t.Fatalf("submit: %s", s)
		}
	}
	beforeFacts := e.svc.Now().UTC()
	e.offset.Add(int64(time.Second))

	// The reviewer returns the collective dossier; the clerk amends and resubmits it.
	clerk.post("/api/v1/nominations/"+colID+"/submit", nil).want(t, http.StatusConflict)
	ret := reviewer.post("/api/v1/nominations/"+colID+"/return", map[string]any{"reason": "Bổ sung số liệu giải ngân vào báo cáo thành tích"}).want(t, http.StatusOK)
	if ret.str(t, "state") != "returned" {
		t.Fatalf("return: %s", ret)
	}
	clerk.upload("/api/v1/nominations/"+colID+"/documents", map[string]string{"kind": "supporting"}, "bo-sung.pdf", pdf("amendment")).want(t, http.StatusCreated)
	clerk.post("/api/v1/nominations/"+colID+"/submit", map[string]any{}).want(t, http.StatusOK)

	// Facts about the unit, then a ruling on every ruling-judged criterion.
	e.recordFacts(reviewer, "STP", goodFacts())
	colCriteria := e.criteria("collective", false)
	headCriteria := e.criteria("individual", true)
	for _, c := range colCriteria {
		reviewer.post("/api/v1/nominations/"+colID+"/criteria/"+c, map[string]any{"result": "met", "note": "Đạt theo báo cáo"}).want(t, http.StatusCreated)
	}
	for _, c := range headCriteria {
		reviewer.post("/api/v1/nominations/"+headID+"/criteria/"+c, map[string]any{"result": "met", "note": "Đạt"}).want(t, http.StatusCreated)
	}
	for _, nom := range []string{colID, headID} {
		var el struct {
			Eligible bool             `json:"eligible"`
			Reasons  []map[string]any `json:"reasons"`
		}
		auditor.get("/api/v1/nominations/"+nom+"/eligibility").want(t, http.StatusOK).decode(t, &el)
		if !el.Eligible {
			t.Fatalf("nomination %s not eligible: %v", nom, el.Reasons)
		}
		// As the state stood before the facts, it was not.
		auditor.get("/api/v1/nominations/"+nom+"/eligibility?at="+url.QueryEscape(beforeFacts.Format(time.RFC3339Nano))).want(t, http.StatusOK).decode(t, &el)
		if el.Eligible || len(el.Reasons) == 0 {
			t.Fatalf("nomination %s eligible before the facts were recorded", nom)
		}
	}
	var rk struct {
		Collective struct {
			Entries []struct {
				Nomination  string `json:"nomination"`
				Recommended bool   `json:"recommended"`
			} `json:"entries"`
		} `json:"collective"`
	}
	auditor.get("/api/v1/campaigns/"+campaign+"/ranking").want(t, http.StatusOK).decode(t, &rk)
	if len(rk.Collective.Entries) != 1 || rk.Collective.Entries[0].Nomination != colID || !rk.Collective.Entries[0].Recommended {
		t.Fatalf("ranking: %+v", rk)
	}

	// The council grants both awards.
	for _, nom := range []string{colID, headID} {
		a := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "Quyết định số 12/QĐ-UBND"}).want(t, http.StatusCreated)
		// award.granted, nomination.awarded and unit.award_noted on the unit whose facts
		// the eligibility read.
		if a.str(t, "nomination") != nom || len(a.events(t)) != 3 {
			t.Fatalf("grant: %s", a)
		}
		auditor.get("/api/v1/awards/"+a.str(t, "id")).want(t, http.StatusOK)
		if s := auditor.get("/api/v1/nominations/"+nom).want(t, http.StatusOK).str(t, "state"); s != "awarded" {
			t.Fatalf("nomination %s is %s after the grant", nom, s)
		}
	}

	// The audit trails, in order, with their actors.
	dossier := []step{
		{"nomination.opened", "clerk"},
		{"nomination.document_attached", "clerk"}, {"nomination.document_attached", "clerk"}, {"nomination.document_attached", "clerk"},
		{"nomination.council_vote_recorded", "clerk"},
		{"nomination.submitted", "clerk"},
	}
	wantCol := append(append([]step{}, dossier...),
		step{"nomination.returned", "reviewer"},
		step{"nomination.document_attached", "clerk"},
		step{"nomination.submitted", "clerk"},
		step{"nomination.review_started", "reviewer"})
	wantCol = append(wantCol, repeat(step{"nomination.criterion_ruled", "reviewer"}, len(colCriteria))...)
	wantCol = append(wantCol, step{"nomination.verified", "reviewer"}, step{"nomination.awarded", "council"})
	checkTrail(t, "collective", nominationEvents(t, auditor, colID), wantCol, users)

	wantHead := append(append([]step{}, dossier...), step{"nomination.review_started", "reviewer"})
	wantHead = append(wantHead, repeat(step{"nomination.criterion_ruled", "reviewer"}, len(headCriteria))...)
	wantHead = append(wantHead, step{"nomination.verified", "reviewer"}, step{"nomination.awarded", "council"})
	checkTrail(t, "head of unit", nominationEvents(t, clerk, headID), wantHead, users)

	// The unit's own trail: registration and the claim of its id, plan, the two
	// nominations it opened, facts, and the two awards that relied on them.
	var ue struct {
		Events []eventRow `json:"events"`
	}
	auditor.get("/api/v1/units/STP/events").want(t, http.StatusOK).decode(t, &ue)
	wantUnit := []step{{"unit.registered", "admin"}, {"claim.id_claimed", "admin"}, {"unit.plan_submitted", "clerk"}, {"unit.nominated", "clerk"}, {"unit.nominated", "clerk"}}
	wantUnit = append(wantUnit, repeat(step{"unit.fact_recorded", "reviewer"}, len(goodFacts()))...)
	wantUnit = append(wantUnit, step{"unit.award_noted", "council"}, step{"unit.award_noted", "council"})
	users["admin"] = "admin"
	checkTrail(t, "unit", ue.Events, wantUnit, users)

	// The documents come back byte for byte, hash-checked.
	var nv struct {
		Documents []struct {
			SHA256 string `json:"sha256"`
			Kind   string `json:"kind"`
		} `json:"documents"`
	}
	clerk.get("/api/v1/nominations/"+colID).want(t, http.StatusOK).decode(t, &nv)
	if len(nv.Documents) != 4 {
		t.Fatalf("documents: %+v", nv.Documents)
	}
	d := clerk.get("/api/v1/documents/"+nv.Documents[0].SHA256).want(t, http.StatusOK)
	if d.header.Get("X-Content-SHA256") != nv.Documents[0].SHA256 || !strings.HasPrefix(string(d.body), "%PDF") || d.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("document: %v %q", d.header, d.body)
	}
}

// TestEligibilityReasonsNameTheirEvents: a reason names the events behind it with what
// each is, when it was recorded and by whom (story 1: "the exact events (ids, actors,
// times)"), as of a past moment too; before, the ids alone.
func TestEligibilityReasonsNameTheirEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewer, auditor := e.user("reviewer", ""), e.user("auditor", "")
	nom := e.eligibleCollective(reviewer, "EVD")
	excluding := reviewer.post("/api/v1/units/EVD/facts", map[string]any{"campaign": campaign, "fact": "disbursement_pct", "value": 90, "cause": "subjective"}).want(t, http.StatusCreated)
	factEvent := excluding.events(t)[0]
	type reason struct {
		Code         string   `json:"code"`
		Events       []string `json:"events"`
		EventDetails []struct {
			ID    string    `json:"id"`
			Seq   uint64    `json:"seq"`
			Type  string    `json:"type"`
			At    time.Time `json:"at"`
			Actor struct {
				User string `json:"user"`
				Role string `json:"role"`
				Name string `json:"name"`
			} `json:"actor"`
			Aggregate struct {
				Kind string `json:"kind"`
				ID   string `json:"id"`
			} `json:"aggregate"`
		} `json:"event_details"`
	}
	var el struct {
		Eligible bool     `json:"eligible"`
		Reasons  []reason `json:"reasons"`
	}
	var factAt time.Time
	check := func(path string) {
		t.Helper()
		auditor.get(path).want(t, http.StatusOK).decode(t, &el)
		require.False(t, el.Eligible)
		var found bool
		for _, r := range el.Reasons {
			require.Len(t, r.EventDetails, len(r.Events), "every event of %s described", r.Code)
			for i, d := range r.EventDetails {
				assert.Equal(t, r.Events[i], d.ID, "in the order of events")
				assert.NotZero(t, d.Seq)
				assert.False(t, d.At.IsZero())
				assert.NotEmpty(t, d.Actor.User)
			}
			if i := slices.Index(r.Events, factEvent); i >= 0 {
				found = true
				d := r.EventDetails[i]
				assert.Equal(t, "unit.fact_recorded", d.Type)
				assert.Equal(t, reviewer.id, d.Actor.User)
				assert.Equal(t, "reviewer", d.Actor.Role)
				assert.NotEmpty(t, d.Actor.Name)
				assert.Equal(t, "unit", d.Aggregate.Kind)
				assert.Equal(t, "EVD", d.Aggregate.ID)
				factAt = d.At
			}
		}
		require.True(t, found, "a reason rests on the excluding fact: %+v", el.Reasons)
	}
	check("/api/v1/nominations/" + nom + "/eligibility")
	at := factAt.Format(time.RFC3339Nano)
	reviewer.post("/api/v1/units/EVD/facts", map[string]any{"campaign": campaign, "fact": "disbursement_pct", "value": 100, "note": "đính chính"}).want(t, http.StatusCreated)
	check("/api/v1/nominations/" + nom + "/eligibility?at=" + url.QueryEscape(at))
}
