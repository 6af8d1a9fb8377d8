package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file come from a review of the API against its contract: each
// failed on the code before its fix.

// TestUploadKeyCoversTheFileName: an upload sent again under its idempotency key with
// the same bytes under another name is another request (422 idempotency_key_reused,
// nothing stored); the replay answered with the second name, the event held the first.
func TestUploadKeyCoversTheFileName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	data := pdf("letter")
	path := "/api/v1/nominations/" + nom + "/documents"
	first := clerk.upload(path, map[string]string{"kind": "letter"}, "to-trinh-so-12.pdf", data, "Idempotency-Key", "up-1").want(t, http.StatusCreated)
	before := e.lastSeq()
	again := clerk.upload(path, map[string]string{"kind": "letter"}, "to-trinh-so-12.pdf", data, "Idempotency-Key", "up-1").want(t, http.StatusCreated)
	if again.header.Get("Idempotent-Replayed") != "true" || again.str(t, "name") != first.str(t, "name") {
		t.Fatalf("the same upload again: %s", again)
	}
	r := clerk.upload(path, map[string]string{"kind": "letter"}, "ho-so-nguoi-khac.pdf", data, "Idempotency-Key", "up-1").want(t, http.StatusUnprocessableEntity)
	if r.errCode(t) != "idempotency_key_reused" {
		t.Fatalf("another name under the key: %s", r)
	}
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
}

// TestNominationAnswerFollowsItsEvidence: a nomination's answer holds criteria that the
// unit's facts decide; a fact recorded since the client's copy is not answered 304.
func TestNominationAnswerFollowsItsEvidence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	e.unit("U1", "department")
	reviewer := e.user("reviewer", "SNV")
	clerk := e.user("clerk", "U1")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	type view struct {
		Criteria map[string]struct {
			Result string `json:"result"`
		} `json:"criteria"`
	}
	first := clerk.get("/api/v1/nominations/"+nom).want(t, http.StatusOK)
	var before view
	first.decode(t, &before)
	tag := first.header.Get("ETag")
	reviewer.post("/api/v1/units/U1/facts", map[string]any{"campaign": campaign, "fact": "par_rating", "value": "Tốt", "note": "Kết quả 2025"}).want(t, http.StatusCreated)
	var now view
	r := clerk.get("/api/v1/nominations/"+nom, "If-None-Match", tag).want(t, http.StatusOK)
	r.decode(t, &now)
	if before.Criteria["C04"].Result == now.Criteria["C04"].Result {
		t.Fatalf("C04 did not change: %q", now.Criteria["C04"].Result)
	}
	if r.header.Get("ETag") != tag {
		t.Fatalf("the ETag (the nomination's version, what If-Match names) went from %s to %s", tag, r.header.Get("ETag"))
	}
}

// TestStaleIfMatchIs412: a command sent with a version that has become stale is refused
// 412 before the domain is asked, even when the state reached since would refuse it
// otherwise (409 invalid_transition before); an upload too.
func TestStaleIfMatchIs412(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	e.unit("U1", "department")
	reviewer := e.user("reviewer", "SNV")
	clerk := e.user("clerk", "U1")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	e.dossier(clerk, nom)
	tag := reviewer.get("/api/v1/nominations/"+nom).want(t, http.StatusOK).header.Get("ETag")
	clerk.post("/api/v1/nominations/"+nom+"/withdraw", map[string]any{"reason": "rút"}).want(t, http.StatusOK)
	before := e.lastSeq()
	if c := reviewer.post("/api/v1/nominations/"+nom+"/hold", map[string]any{"reason": "khiếu nại"}, "If-Match", tag).want(t, http.StatusPreconditionFailed).errCode(t); c != "version_mismatch" {
		t.Fatalf("code %s", c)
	}
	// Without If-Match the state's refusal stands.
	reviewer.post("/api/v1/nominations/"+nom+"/hold", map[string]any{"reason": "khiếu nại"}).want(t, http.StatusConflict)
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
	nom2 := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	tag2 := clerk.get("/api/v1/nominations/" + nom2).header.Get("ETag")
	e.dossier(clerk, nom2)
	before = e.lastSeq()
	clerk.upload("/api/v1/nominations/"+nom2+"/documents", map[string]string{"kind": "supporting"}, "s.pdf", pdf("s"), "If-Match", tag2).want(t, http.StatusPreconditionFailed)
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
}

// TestDocumentIfNoneMatch: a document's If-None-Match is compared as every resource's
// is (a list, a weak tag, *); only the exact tag was.
func TestDocumentIfNoneMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	sha := clerk.upload("/api/v1/units/U1/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf("plan")).want(t, http.StatusCreated).str(t, "sha256")
	doc := clerk.get("/api/v1/documents/"+sha).want(t, http.StatusOK)
	tag := doc.header.Get("ETag")
	// Not cached by the client: a dossier's file may hold a person's data (a review
	// finding: cacheable for a year); the ETag still answers 304.
	assert.Equal(t, "private, no-store", doc.header.Get("Cache-Control"))
	for _, inm := range []string{tag, `"other", ` + tag, "W/" + tag, "*"} {
		clerk.get("/api/v1/documents/"+sha, "If-None-Match", inm).want(t, http.StatusNotModified)
	}
	clerk.get("/api/v1/documents/"+sha, "If-None-Match", `"other"`).want(t, http.StatusOK)
}

// TestUnitListUnknownCursor: a cursor that is no unit is 400 invalid_cursor, as on the
// nomination list; an empty page read as the list's end.
func TestUnitListUnknownCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("A1", "commune")
	e.unit("B1", "commune")
	if c := e.admin.get("/api/v1/units?limit=1&cursor=ZZZ").want(t, http.StatusBadRequest).errCode(t); c != "invalid_cursor" {
		t.Fatalf("code %s", c)
	}
	var page struct {
		Units []struct {
			ID string `json:"id"`
		} `json:"units"`
		Next string `json:"next_cursor"`
	}
	e.admin.get("/api/v1/units?limit=1&cursor=A1").want(t, http.StatusOK).decode(t, &page)
	if len(page.Units) != 1 || page.Units[0].ID != "B1" {
		t.Fatalf("the page after A1: %+v", page)
	}
}

// TestFactEnumerationsAre400: a fact's name, rating, index, status or cause outside its
// enumeration is malformed input, 400 invalid_fact, as a role or a result outside theirs
// is (422 before); a value out of its range stays a 422.
func TestFactEnumerationsAre400(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	e.unit("U1", "department")
	reviewer := e.user("reviewer", "SNV")
	before := e.lastSeq()
	for name, tc := range map[string]struct {
		fact   map[string]any
		status int
	}{
		"fact":   {map[string]any{"fact": "nope", "value": 1}, http.StatusBadRequest},
		"rating": {map[string]any{"fact": "par_rating", "value": "Xuất sắc"}, http.StatusBadRequest},
		"cause":  {map[string]any{"fact": "disbursement_pct", "value": 80, "cause": "weather"}, http.StatusBadRequest},
		"index":  {map[string]any{"fact": "index_component", "index": "FOO", "component": "x", "value": 1, "previous": 0}, http.StatusBadRequest},
		"status": {map[string]any{"fact": "index_component", "index": "PCI", "component": "x", "status": "foo"}, http.StatusBadRequest},
		"range":  {map[string]any{"fact": "disbursement_pct", "value": -5, "cause": "objective"}, http.StatusUnprocessableEntity},
	} {
		tc.fact["campaign"] = campaign
		r := reviewer.post("/api/v1/units/U1/facts", tc.fact)
		if r.status != tc.status || r.errCode(t) != "invalid_fact" {
			t.Errorf("%s: %s, want %d invalid_fact", name, r, tc.status)
		}
	}
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
}

// TestRankingLangChecked: lang is checked on the JSON ranking as on its files.
func TestRankingLangChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, q := range []string{"?lang=fr", "?format=json&lang=fr", "?format=csv&lang=fr"} {
		if c := e.admin.get("/api/v1/campaigns/"+campaign+"/ranking"+q).want(t, http.StatusBadRequest).errCode(t); c != "invalid_lang" {
			t.Errorf("%s: %s", q, c)
		}
	}
	e.admin.get("/api/v1/campaigns/"+campaign+"/ranking?lang=en").want(t, http.StatusOK)
}

// TestNominationListDefaultPage: without a limit, a campaign's nomination list gives its
// first 50 and the cursor of the rest, as openapi.json now says.
func TestNominationListDefaultPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	for i := range 51 {
		clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "individual", "name": fmt.Sprintf("Nguyễn Văn %03d", i), "position": "Chuyên viên"}}).want(t, http.StatusCreated)
	}
	var list struct {
		Nominations []json.RawMessage `json:"nominations"`
		Next        string            `json:"next_cursor"`
	}
	e.admin.get("/api/v1/campaigns/"+campaign+"/nominations").want(t, http.StatusOK).decode(t, &list)
	if len(list.Nominations) != 50 || list.Next == "" {
		t.Fatalf("%d nominations, next_cursor %q", len(list.Nominations), list.Next)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string         `json:"name"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	e.admin.get("/api/v1/openapi.json").want(t, http.StatusOK).decode(t, &doc)
	for _, p := range doc.Paths["/api/v1/campaigns/{id}/nominations"]["get"].Parameters {
		if p.Name == "limit" && p.Schema["default"] != float64(50) {
			t.Fatalf("openapi.json's limit: %v", p.Schema)
		}
	}
}

// TestUserVersionForIfMatch: a user's read and each command's answer give the version an
// If-Match on the user's commands names (the registry's, which holds every user); no
// answer gave one.
func TestUserVersionForIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.admin.post("/api/v1/users", map[string]any{"name": "Kiểm toán A", "role": "auditor"}).want(t, http.StatusCreated)
	id := created.str(t, "id")
	if created.header.Get("ETag") == "" {
		t.Fatalf("no ETag on the created user: %s", created)
	}
	tag := e.admin.get("/api/v1/users/"+id).want(t, http.StatusOK).header.Get("ETag")
	if tag != created.header.Get("ETag") {
		t.Fatalf("read %s, created %s", tag, created.header.Get("ETag"))
	}
	reissued := e.admin.post("/api/v1/users/"+id+"/token", map[string]any{}, "If-Match", tag).want(t, http.StatusOK)
	before := e.lastSeq()
	e.admin.post("/api/v1/users/"+id+"/disable", map[string]any{"reason": "nghỉ hưu"}, "If-Match", tag).want(t, http.StatusPreconditionFailed)
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
	e.admin.post("/api/v1/users/"+id+"/disable", map[string]any{"reason": "nghỉ hưu"}, "If-Match", reissued.header.Get("ETag")).want(t, http.StatusOK)
}

// TestAtWithAPlusTypedAsItIs: ?at= with its offset's + typed as it is (which a query
// string reads as a space) is the moment it names, as with %2B; other spaces are refused.
func TestAtWithAPlusTypedAsItIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/campaigns/" + campaign + "/ranking"
	want := e.admin.get(path+"?at=2025-09-15T17:00:00%2B07:00").want(t, http.StatusOK)
	got := e.admin.get(path+"?at=2025-09-15T17:00:00+07:00").want(t, http.StatusOK)
	if want.str(t, "as_of") != got.str(t, "as_of") || want.str(t, "as_of") == "" {
		t.Fatalf("as_of %q with %%2B, %q with +", want.str(t, "as_of"), got.str(t, "as_of"))
	}
	for _, bad := range []string{"2025-09-15T17:00:00+07", "2025-09-15%2017:00:00%2B07:00", "2025-09-15%2017:00:00+07:00", "2025-09-15T17:00:00%2007:00%2000:00"} {
		if c := e.admin.get(path+"?at="+bad).want(t, http.StatusBadRequest).errCode(t); c != "invalid_time" {
			t.Errorf("%s: %s", bad, c)
		}
	}
}

// TestDeadlineWithoutCloses: a deadline without its time is 400 missing_field (it was
// invalid_time, as if a time had been given), and changes nothing.
func TestDeadlineWithoutCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.lastSeq()
	for _, body := range []map[string]any{{}, {"closes": ""}} {
		if c := e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", body).want(t, http.StatusBadRequest).errCode(t); c != "missing_field" {
			t.Errorf("%v: %s", body, c)
		}
	}
	if c := e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", map[string]any{"closes": "mai"}).want(t, http.StatusBadRequest).errCode(t); c != "invalid_time" {
		t.Errorf("a bad time: %s", c)
	}
	if after := e.lastSeq(); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
}

// TestSameDeadlineAgainChangesNothing: setting the deadline already set is refused (422
// deadline_unchanged), appends nothing and keeps the campaign's ETag. Before, each repeat
// appended a campaign.deadline_set, and every If-Match the council held on the campaign
// went stale. It is a refusal, not a silent 200: a 200 recorded nothing a retry under its
// Idempotency-Key could find, so a retry after another deadline set this one again.
func TestSameDeadlineAgainChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", map[string]any{"closes": "2025-12-31T17:00:00+07:00"}).want(t, http.StatusOK)
	tag := first.header.Get("ETag")
	require.NotEmpty(t, tag)
	before := e.lastSeq()
	again := e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", map[string]any{"closes": "2025-12-31T10:00:00Z"}, "Idempotency-Key", "same-1").want(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "deadline_unchanged", again.errCode(t))
	assert.Equal(t, before, e.lastSeq(), "nothing appended")
	e.admin.get("/api/v1/campaigns/"+campaign, "If-None-Match", tag).want(t, http.StatusNotModified)
	// Another deadline is set as before.
	e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", map[string]any{"closes": "2026-01-15T17:00:00+07:00"}).want(t, http.StatusOK)
	assert.Equal(t, "2026-01-15T10:00:00Z", e.admin.get("/api/v1/campaigns/"+campaign).want(t, http.StatusOK).str(t, "deadline"))
}

// TestCouncilStaleIfMatchIs412: a second council member's grant or revocation on a tag the
// first one's has overtaken is 412 (the version to read named), before the domain's own
// refusal, as for every dossier command; it was already_awarded or award_already_revoked,
// or 412, by timing alone (a review finding). A weak tag names the same version (a proxy
// that compresses answers weakens them): it was refused as malformed.
func TestCouncilStaleIfMatchIs412(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	nom := e.eligibleCollective(reviewer, "CSI")
	tag := council.get("/api/v1/campaigns/"+campaign).want(t, http.StatusOK).header.Get("ETag")
	award := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "QĐ 1"}, "If-Match", "W/"+tag).
		want(t, http.StatusCreated).str(t, "id")
	before := e.lastSeq()
	r := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "QĐ 1"}, "If-Match", tag).want(t, http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", r.errCode(t))
	assert.Contains(t, string(r.body), "the current version is")

	tag = council.get("/api/v1/campaigns/"+campaign).want(t, http.StatusOK).header.Get("ETag")
	council.post("/api/v1/awards/"+award+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "Kết luận thanh tra"}, "If-Match", tag).want(t, http.StatusOK)
	r = council.post("/api/v1/awards/"+award+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "Kết luận thanh tra"}, "If-Match", tag).want(t, http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", r.errCode(t))
	assert.Equal(t, before+2, e.lastSeq(), "the revocation's append only") // one commit: campaign and nomination
	for _, bad := range []string{`W/42`, `W/"abc"`, `"42`, `W/"42`} {
		assert.Equal(t, "invalid_if_match", council.post("/api/v1/awards/"+award+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "x"}, "If-Match", bad).want(t, http.StatusBadRequest).errCode(t), bad)
	}
}

// TestRetriedUploadAfterTheScopeEnded: an upload retried under its idempotency key is
// answered as it was (201, replayed) after a merger ended the clerk's scope, as every other
// retried command is; it was refused 403 before its body was read (a review finding). A
// new upload under another key is refused.
func TestRetriedUploadAfterTheScopeEnded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("RUA", "commune")
	e.unit("RUB", "commune")
	clerk := e.user("clerk", "RUA")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "RUA", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	letter, planFile := pdf("letter"), pdf("plan")
	upload := func(key string) reply {
		return clerk.upload("/api/v1/nominations/"+nom+"/documents", map[string]string{"kind": "letter"}, "to-trinh.pdf", letter, "Idempotency-Key", key)
	}
	first := upload("up-1").want(t, http.StatusCreated)
	clerk.upload("/api/v1/units/RUA/plans", map[string]string{"campaign": campaign}, "plan.pdf", planFile, "Idempotency-Key", "plan-1").want(t, http.StatusCreated)
	e.admin.post("/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"RUA"}, "successor": "RUB", "effective": "2025-09-01", "decision": "NQ 1"}).want(t, http.StatusCreated)

	again := upload("up-1").want(t, http.StatusCreated)
	assert.Equal(t, first.str(t, "sha256"), again.str(t, "sha256"))
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	clerk.upload("/api/v1/units/RUA/plans", map[string]string{"campaign": campaign}, "plan.pdf", planFile, "Idempotency-Key", "plan-1").want(t, http.StatusCreated)
	upload("up-2").want(t, http.StatusForbidden)
}

// TestIfMatchOnACreation: an If-Match on a command that creates what it acts on (opening a
// nomination) is refused with a message that says so, where it said the tag was stale and
// the current version 0 (a review finding); without one, or with "0", it creates.
func TestIfMatchOnACreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("IMC", "commune")
	clerk := e.user("clerk", "IMC")
	tag := clerk.get("/api/v1/campaigns/"+campaign).want(t, http.StatusOK).header.Get("ETag")
	body := map[string]any{"unit": "IMC", "nominee": map[string]any{"kind": "collective"}}
	r := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", body, "If-Match", tag).want(t, http.StatusPreconditionFailed)
	assert.Contains(t, string(r.body), "which this command creates")
	clerk.post("/api/v1/campaigns/"+campaign+"/nominations", body, "If-Match", `"0"`).want(t, http.StatusCreated)
}

// TestAdminStaleIfMatchIs412: an administrator's deadline set again, or a user disabled
// again, on a stale If-Match is 412 before the domain's refusal (deadline_unchanged,
// user_disabled), as the dossier and council commands are (a review finding).
func TestAdminStaleIfMatchIs412(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.admin.get("/api/v1/campaigns/"+campaign).want(t, http.StatusOK).header.Get("ETag")
	closes := map[string]any{"closes": "2025-12-31T17:00:00+07:00"}
	e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", closes, "If-Match", tag).want(t, http.StatusOK)
	assert.Equal(t, "version_mismatch", e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", closes, "If-Match", tag).want(t, http.StatusPreconditionFailed).errCode(t))
	assert.Equal(t, "deadline_unchanged", e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", closes).want(t, http.StatusUnprocessableEntity).errCode(t))
}
