package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/eventstore"
	"thidua/projections"
)

// TestBadInput sends malformed, oversized and invalid requests: each is a clear 4xx in the
// error shape, with a stable code, and appends nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	const maxUpload = 1024
	e := newEnv(t, api.WithMaxUpload(maxUpload))
	e.unit("U1", "department")
	e.unit("SNV", "department")
	clerk := e.user("clerk", "U1")
	reviewer := e.user("reviewer", "SNV")
	open := func(nominee map[string]any) string {
		return clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": nominee}).want(t, http.StatusCreated).str(t, "id")
	}
	// A unit has one collective nomination at a time (a withdrawn one does not count).
	withdrawn := open(map[string]any{"kind": "collective"})
	clerk.post("/api/v1/nominations/"+withdrawn+"/withdraw", map[string]any{"reason": "rút"}).want(t, http.StatusOK)
	submitted := open(map[string]any{"kind": "collective"})
	e.dossier(clerk, submitted)
	draft := open(map[string]any{"kind": "individual", "name": "Nguyễn Văn An", "position": "Chuyên viên"})

	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	big := `{"id": "BIG", "name": "` + strings.Repeat("x", 1<<20) + `", "kind": "commune"}`
	unit := func(extra string) string { return `{"id": "NEW", "name": "Xã", "kind": "commune"` + extra + `}` }

	type tc struct {
		name    string
		as      *client
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
	}
	cases := []tc{
		{"malformed JSON", e.admin, "POST", "/api/v1/units", `{"id": "A",`, nil, 400, "invalid_json"},
		{"not an object", e.admin, "POST", "/api/v1/units", `[1, 2]`, nil, 400, "invalid_json"},
		{"two values", e.admin, "POST", "/api/v1/units", unit("") + ` {}`, nil, 400, "invalid_json"},
		{"trailing garbage", e.admin, "POST", "/api/v1/units", unit("") + ` x`, nil, 400, "invalid_json"},
		{"duplicate key", e.admin, "POST", "/api/v1/units", `{"id": "A", "id": "B", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_json"},
		// encoding/json takes a key in any letter case: a log of the body read name "A".
		{"duplicate key in another letter case", e.admin, "POST", "/api/v1/units", `{"name": "A", "id": "DK", "Name": "B", "kind": "commune"}`, nil, 400, "invalid_json"},
		{"duplicate key, folded", e.admin, "POST", "/api/v1/units", `{"kind": "commune", "id": "DK", "name": "A", "\u212aind": "district"}`, nil, 400, "invalid_json"},
		{"unknown field", e.admin, "POST", "/api/v1/units", unit(`, "colour": "red"`), nil, 400, "unknown_field"},
		{"wrong type", e.admin, "POST", "/api/v1/units", `{"id": 7, "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_json"},
		{"too deep", e.admin, "POST", "/api/v1/units", `{"id": ` + deep + `}`, nil, 400, "too_deep"},
		{"oversized body", e.admin, "POST", "/api/v1/units", big, nil, 413, "too_large"},
		{"invalid UTF-8", e.admin, "POST", "/api/v1/units", []byte("{\"id\": \"A\xff\", \"name\": \"n\", \"kind\": \"commune\"}"), nil, 400, "invalid_json"},
		{"empty body", e.admin, "POST", "/api/v1/units", "", nil, 400, "body_required"},
		{"null body", e.admin, "POST", "/api/v1/units", "null", nil, 400, "invalid_json"},
		{"wrong content type", e.admin, "POST", "/api/v1/units", unit(""), []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"id with a dot", e.admin, "POST", "/api/v1/units", `{"id": "bad.id", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"id with a star", e.admin, "POST", "/api/v1/units", `{"id": "bad*", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"id with a chevron", e.admin, "POST", "/api/v1/units", `{"id": "a>b", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"id with a space", e.admin, "POST", "/api/v1/units", `{"id": "a b", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"id with a tab", e.admin, "POST", "/api/v1/units", `{"id": "a\tb", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"empty id", e.admin, "POST", "/api/v1/units", `{"id": "", "name": "Xã", "kind": "commune"}`, nil, 400, "invalid_id"},
		{"path id with a dot", e.admin, "GET", "/api/v1/units/a.b", nil, nil, 400, "invalid_id"},
		{"unit list limit 0", e.admin, "GET", "/api/v1/units?limit=0", nil, nil, 400, "invalid_limit"},
		// The handlers read the first: the second would be ignored without a word.
		{"unit list limit twice", e.admin, "GET", "/api/v1/units?limit=1&limit=abc", nil, nil, 400, "invalid_query"},
		{"nomination list unit twice", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?unit=A&unit=B", nil, nil, 400, "invalid_query"},
		{"unit events inherited twice", e.admin, "GET", "/api/v1/units/A/events?inherited=true&inherited=false", nil, nil, 400, "invalid_query"},
		{"nomination list filtered by a parameter it does not read", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?status=verified", nil, nil, 400, "unknown_query"},
		{"unit list with a typo", e.admin, "GET", "/api/v1/units?knd=commune", nil, nil, 400, "unknown_query"},
		{"a nomination with a query", e.admin, "GET", "/api/v1/campaigns/" + campaign + "?verbose=1", nil, nil, 400, "unknown_query"},
		{"a command with a query", e.admin, "POST", "/api/v1/units?dry_run=1", `{"id": "QX", "name": "Xã QX", "kind": "commune"}`, nil, 400, "unknown_query"},
		{"unit list limit 501", e.admin, "GET", "/api/v1/units?limit=501", nil, nil, 400, "invalid_limit"},
		{"unit list limit not a number", e.admin, "GET", "/api/v1/units?limit=ten", nil, nil, 400, "invalid_limit"},
		// An unknown unit kind is malformed input, whether a unit's or a merger's successor's.
		{"unit of an unknown kind", e.admin, "POST", "/api/v1/units", `{"id": "QK", "name": "Bộ QK", "kind": "ministry"}`, nil, 400, "invalid_kind"},
		{"unit without a kind", e.admin, "POST", "/api/v1/units", `{"id": "QK", "name": "Bộ QK"}`, nil, 400, "invalid_kind"},
		{"successor of an unknown kind", e.admin, "POST", "/api/v1/reorganisations", `{"kind": "merge", "sources": ["A"], "successor": "QK2", "successor_name": "Bộ QK", "successor_kind": "ministry", "effective": "2025-07-01", "decision": "NQ"}`, nil, 400, "invalid_kind"},
		{"unit list cursor with a chevron", e.admin, "GET", "/api/v1/units?limit=2&cursor=a%3Eb", nil, nil, 400, "invalid_id"},
		// An empty page would read as the list's end (before, 200 with no nomination).
		{"nomination list cursor naming no nomination", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?limit=2&cursor=garbage", nil, nil, 400, "invalid_cursor"},
		{"nomination list cursor naming a unit", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?cursor=A", nil, nil, 400, "invalid_cursor"},
		{"path id with a star", e.admin, "GET", "/api/v1/units/a*b", nil, nil, 400, "invalid_id"},
		{"path id with a chevron", e.admin, "GET", "/api/v1/units/a%3Eb/events", nil, nil, 400, "invalid_id"},
		{"path id with a space", e.admin, "GET", "/api/v1/nominations/a%20b", nil, nil, 400, "invalid_id"},
		{"path id with a dot on a command", clerk, "POST", "/api/v1/nominations/x.y/submit", `{}`, nil, 400, "invalid_id"},
		{"path id checked before the token", e.anon(), "POST", "/api/v1/nominations/x*y/submit", `{}`, nil, 400, "invalid_id"},
		{"criterion with a dot", reviewer, "POST", "/api/v1/nominations/" + submitted + "/criteria/C.1", `{"result": "met"}`, nil, 400, "invalid_id"},
		{"document id not a SHA-256", e.admin, "GET", "/api/v1/documents/abc", nil, nil, 400, "invalid_id"},
		{"unknown document", e.admin, "GET", "/api/v1/documents/" + strings.Repeat("ab", 32), nil, nil, 404, "not_found"},
		{"unknown nomination", e.admin, "GET", "/api/v1/nominations/NOPE", nil, nil, 404, "not_found"},
		{"unknown unit", e.admin, "GET", "/api/v1/units/NOPE", nil, nil, 404, "not_found"},
		{"unknown campaign", e.admin, "GET", "/api/v1/campaigns/NOPE/ranking", nil, nil, 404, "not_found"},
		{"unknown criterion", reviewer, "POST", "/api/v1/nominations/" + submitted + "/criteria/C99", `{"result": "met", "note": "x"}`, nil, 404, "unknown_criterion"},
		{"fact-judged criterion", reviewer, "POST", "/api/v1/nominations/" + submitted + "/criteria/C08", `{"result": "met", "note": "x"}`, nil, 422, "criterion_judged_by_facts"},
		{"invalid result", reviewer, "POST", "/api/v1/nominations/" + submitted + "/criteria/C01", `{"result": "maybe", "note": "x"}`, nil, 400, "invalid_result"},
		{"ruling on a withdrawn nomination", reviewer, "POST", "/api/v1/nominations/" + withdrawn + "/criteria/C01", `{"result": "met", "note": "x"}`, nil, 409, "invalid_transition"},
		{"ruling on a draft", reviewer, "POST", "/api/v1/nominations/" + draft + "/criteria/I01", `{"result": "met", "note": "x"}`, nil, 409, "invalid_transition"},
		{"submit incomplete", clerk, "POST", "/api/v1/nominations/" + draft + "/submit", `{}`, nil, 422, "dossier_incomplete"},
		{"cited document not a SHA-256", reviewer, "POST", "/api/v1/nominations/" + submitted + "/criteria/C01", `{"result": "met", "document": "xyz"}`, nil, 400, "invalid_id"},
		{"meeting date not padded", clerk, "POST", "/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-9-1", "members": 9, "present": 9, "approve": 9}`, nil, 400, "invalid_date"},
		{"meeting date out of range", clerk, "POST", "/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-02-30", "members": 9, "present": 9, "approve": 9}`, nil, 400, "invalid_date"},
		{"vote missing a field", clerk, "POST", "/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-09-01", "members": 9, "present": 9}`, nil, 400, "missing_field"},
		{"vote with a fraction", clerk, "POST", "/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-09-01", "members": 9.5, "present": 9, "approve": 9}`, nil, 400, "invalid_json"},
		{"vote inconsistent", clerk, "POST", "/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-09-01", "members": 9, "present": 10, "approve": 9}`, nil, 422, ""},
		{"deadline not RFC 3339", e.admin, "POST", "/api/v1/campaigns/" + campaign + "/deadline", `{"closes": "2025-12-31"}`, nil, 400, "invalid_time"},
		{"effective not a date", e.admin, "POST", "/api/v1/reorganisations", `{"kind": "merge", "sources": ["U1"], "successor": "U2", "effective": "01/07/2025", "decision": "x"}`, nil, 400, "invalid_date"},
		{"merge source with a dot", e.admin, "POST", "/api/v1/reorganisations", `{"kind": "merge", "sources": ["U.1"], "successor": "U2", "effective": "2025-07-01", "decision": "x"}`, nil, 400, "invalid_id"},
		{"at not RFC 3339", e.admin, "GET", "/api/v1/nominations/" + submitted + "/eligibility?at=yesterday", nil, nil, 400, "invalid_time"},
		{"seq not a number", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/ranking?seq=abc", nil, nil, 400, "invalid_seq"},
		{"limit zero", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?limit=0", nil, nil, 400, "invalid_limit"},
		{"unknown state filter", e.admin, "GET", "/api/v1/campaigns/" + campaign + "/nominations?state=lost", nil, nil, 400, "invalid_state"},
		{"fact value a boolean", reviewer, "POST", "/api/v1/units/U1/facts", `{"campaign": "` + campaign + `", "fact": "late_dossiers", "value": true}`, nil, 400, "invalid_value"},
		{"fact unknown", reviewer, "POST", "/api/v1/units/U1/facts", `{"campaign": "` + campaign + `", "fact": "mood", "value": 1}`, nil, 400, "invalid_fact"},
		{"disbursement below 100 without a cause", reviewer, "POST", "/api/v1/units/U1/facts", `{"campaign": "` + campaign + `", "fact": "disbursement_pct", "value": 97}`, nil, 422, "invalid_fact"},
		{"fact on an unknown unit", reviewer, "POST", "/api/v1/units/NOPE/facts", `{"campaign": "` + campaign + `", "fact": "late_dossiers", "value": 0}`, nil, 404, "not_found"},
		{"If-Match malformed", reviewer, "POST", "/api/v1/nominations/" + submitted + "/hold", `{"reason": "x"}`, []string{"If-Match", `"abc"`}, 400, "invalid_if_match"},
		{"Idempotency-Key with a space", reviewer, "POST", "/api/v1/nominations/" + submitted + "/hold", `{"reason": "x"}`, []string{"Idempotency-Key", "a b"}, 400, "invalid_idempotency_key"},
		{"Idempotency-Key too long", reviewer, "POST", "/api/v1/nominations/" + submitted + "/hold", `{"reason": "x"}`, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, "invalid_idempotency_key"},
		{"reason missing", reviewer, "POST", "/api/v1/nominations/" + submitted + "/hold", `{}`, nil, 422, "reason_required"},
		{"unknown route", e.admin, "GET", "/api/v1/nope", nil, nil, 404, "route_not_found"},
		{"wrong method", e.admin, "DELETE", "/api/v1/units", nil, nil, 405, "method_not_allowed"},
		{"unknown role", e.admin, "POST", "/api/v1/users", `{"name": "X", "role": "king"}`, nil, 400, "invalid_role"},
		{"the engine's role", e.admin, "POST", "/api/v1/users", `{"name": "X", "role": "system"}`, nil, 422, "invalid_role"},
	}
	for _, c := range cases {
		before := e.lastSeq()
		var r reply
		switch b := c.body.(type) {
		case nil:
			r = c.as.do(c.method, c.path, nil, c.headers...)
		case string:
			r = c.as.do(c.method, c.path, b, c.headers...)
		case []byte:
			r = c.as.do(c.method, c.path, b, c.headers...)
		}
		if r.status != c.status {
			t.Errorf("%s: want %d: %s", c.name, c.status, r)
			continue
		}
		if code := r.errCode(t); c.code != "" && code != c.code {
			t.Errorf("%s: code %q, want %q: %s", c.name, code, c.code, r)
		}
		if after := e.lastSeq(); after != before {
			t.Errorf("%s: refused, but the stream moved from %d to %d", c.name, before, after)
		}
	}

	// A rule's refusal carries the Vietnamese message, and dossier_incomplete what is missing.
	var inc struct {
		Error struct {
			Code      string   `json:"code"`
			MessageVI string   `json:"message_vi"`
			Missing   []string `json:"missing"`
		} `json:"error"`
	}
	clerk.post("/api/v1/nominations/"+draft+"/submit", nil).want(t, http.StatusUnprocessableEntity).decode(t, &inc)
	if inc.Error.Code != "dossier_incomplete" || inc.Error.MessageVI == "" || len(inc.Error.Missing) != 4 {
		t.Errorf("dossier_incomplete: %+v", inc.Error)
	}
	// A refusal caused by one member of the body names it; one of the request as a whole
	// (dossier_incomplete) names none.
	fields := []struct{ path, body, code, field string }{
		{"/api/v1/nominations/" + draft + "/council-vote", `{"meeting_date": "2025-09-01", "members": 9, "present": 10, "approve": 1}`, "invalid_vote", "present"},
		{"/api/v1/nominations/" + submitted + "/hold", `{"reason": " "}`, "reason_required", "reason"},
	}
	for _, f := range fields {
		var got struct {
			Error struct {
				Code  string `json:"code"`
				Field string `json:"field"`
			} `json:"error"`
		}
		who := clerk
		if strings.HasSuffix(f.path, "/hold") {
			who = reviewer
		}
		who.post(f.path, f.body).want(t, http.StatusUnprocessableEntity).decode(t, &got)
		if got.Error.Code != f.code || got.Error.Field != f.field {
			t.Errorf("%s: %+v, want %s on %s", f.path, got.Error, f.code, f.field)
		}
	}
	if strings.Contains(clerk.post("/api/v1/nominations/"+draft+"/submit", nil).String(), `"field"`) {
		t.Error("dossier_incomplete names a field")
	}

	// Uploads: above the configured limit, unknown fields, no file, not multipart.
	uploads := []struct {
		name   string
		fields map[string]string
		data   []byte
		status int
		code   string
	}{
		{"oversized upload", map[string]string{"campaign": campaign}, bytes.Repeat([]byte("x"), maxUpload+1), 413, "too_large"},
		{"upload with an unknown field", map[string]string{"campaign": campaign, "extra": "1"}, pdf("a"), 400, "unknown_field"},
		{"upload without a file", map[string]string{"campaign": campaign}, nil, 400, "file_required"},
		{"upload of an empty file", map[string]string{"campaign": campaign}, []byte{}, 400, "empty_file"},
		{"upload with a bad campaign id", map[string]string{"campaign": "a.b"}, pdf("a"), 400, "invalid_id"},
	}
	for _, u := range uploads {
		before := e.lastSeq()
		r := clerk.upload("/api/v1/units/U1/plans", u.fields, "p.pdf", u.data)
		if r.status != u.status {
			t.Errorf("%s: want %d: %s", u.name, u.status, r)
			continue
		}
		if code := r.errCode(t); code != u.code {
			t.Errorf("%s: code %q, want %q", u.name, code, u.code)
		}
		if after := e.lastSeq(); after != before {
			t.Errorf("%s: refused, but the stream moved", u.name)
		}
	}
	r := clerk.upload("/api/v1/nominations/"+draft+"/documents", map[string]string{"kind": "letter"}, "big.pdf", bytes.Repeat([]byte("y"), 10*maxUpload))
	if r.status != http.StatusRequestEntityTooLarge || r.errCode(t) != "too_large" {
		t.Errorf("oversized document: %s", r)
	}
	r = clerk.post("/api/v1/units/U1/plans", `{"campaign": "x"}`)
	if r.status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON to an upload route: %s", r)
	}
	// Exactly at the limit is fine.
	clerk.upload("/api/v1/units/U1/plans", map[string]string{"campaign": campaign}, "p.pdf", bytes.Repeat([]byte("z"), maxUpload)).want(t, http.StatusCreated)
}

// TestMomentsStillToCome: a past moment's answer never changes, and a moment still to
// come has none yet. A time after now is answered as of now (as_of says so); a sequence
// past the stream's last is refused, as are a moment named twice or empty, and a moment
// asked of a read that answers as of now only.
func TestMomentsStillToCome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	last := e.lastSeq()
	var el struct {
		AsOf time.Time `json:"as_of"`
	}
	e.admin.get("/api/v1/nominations/"+nom+"/eligibility?at=2030-01-01T00:00:00Z").want(t, http.StatusOK).decode(t, &el)
	if !el.AsOf.Before(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || el.AsOf.After(time.Now()) {
		t.Errorf("as of 2030 answered as of %s, want now", el.AsOf)
	}
	var rk struct {
		AsOf time.Time `json:"as_of"`
	}
	e.admin.get("/api/v1/campaigns/"+campaign+"/ranking?at=2099-12-31T00:00:00Z").want(t, http.StatusOK).decode(t, &rk)
	if rk.AsOf.After(time.Now()) {
		t.Errorf("ranking as of 2099 answered as of %s, want now", rk.AsOf)
	}
	want400(t, "eligibility past the stream's end", e.admin.get(fmt.Sprintf("/api/v1/nominations/%s/eligibility?seq=%d", nom, last+1000)), "future_seq")
	want400(t, "ranking past the stream's end", e.admin.get(fmt.Sprintf("/api/v1/campaigns/%s/ranking?seq=%d", campaign, last+1)), "future_seq")
	e.admin.get(fmt.Sprintf("/api/v1/nominations/%s/eligibility?seq=%d", nom, last)).want(t, http.StatusOK)
	want400(t, "both at and seq", e.admin.get(fmt.Sprintf("/api/v1/campaigns/%s/ranking?seq=%d&at=2025-09-01T00:00:00Z", campaign, last)), "invalid_bound")
	want400(t, "seq twice", e.admin.get(fmt.Sprintf("/api/v1/campaigns/%s/ranking?seq=%d&seq=1", campaign, last)), "invalid_bound")
	want400(t, "an empty at", e.admin.get("/api/v1/nominations/"+nom+"/eligibility?at="), "invalid_bound")
	// A read that answers as of now only refuses a moment rather than ignore it.
	for _, path := range []string{"/api/v1/units?seq=1&status=merged",
		"/api/v1/campaigns/" + campaign + "/nominations?at=2025-09-01T00:00:00Z", "/api/v1/users/x?seq=1"} {
		want400(t, path, e.admin.get(path), "bound_not_supported")
	}
	e.admin.get("/api/v1/units/U1?seq="+fmt.Sprint(last)).want(t, http.StatusOK)
	// A nomination and a campaign as they stood at a moment: no ETag, the version of then;
	// before they existed, 404; a bad moment, 400.
	for _, path := range []string{"/api/v1/nominations/" + nom, "/api/v1/campaigns/" + campaign} {
		live := e.admin.get(path).want(t, http.StatusOK)
		then := e.admin.get(fmt.Sprintf("%s?seq=%d", path, last)).want(t, http.StatusOK)
		if then.header.Get("ETag") != "" || live.header.Get("ETag") == "" {
			t.Errorf("%s: ETag now %q, then %q; want one now only", path, live.header.Get("ETag"), then.header.Get("ETag"))
		}
		e.admin.get(path+"?seq=1").want(t, http.StatusNotFound)
		want400(t, path+" past the end", e.admin.get(fmt.Sprintf("%s?seq=%d", path, last+1000)), "future_seq")
		want400(t, path+" both", e.admin.get(fmt.Sprintf("%s?seq=%d&at=2025-09-01T00:00:00Z", path, last)), "invalid_bound")
	}
}

// TestInvalidNominee: every fault of a nominee (its kind, name, position, gender) is one
// refusal, invalid_nominee with a Vietnamese message, and changes nothing: 400 for a kind
// or gender outside its enumeration (malformed input), 422 for a rule (a collective's
// nominee is its unit: another name is refused).
func TestInvalidNominee(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	before := e.lastSeq()
	for name, tc := range map[string]struct {
		nominee map[string]any
		status  int
	}{
		"unknown kind":          {map[string]any{"kind": "team"}, http.StatusBadRequest},
		"no kind":               {map[string]any{"name": "Nguyễn Văn A"}, http.StatusBadRequest},
		"unknown gender":        {map[string]any{"kind": "individual", "name": "Nguyễn Văn A", "position": "Chuyên viên", "gender": "x"}, http.StatusBadRequest},
		"individual, no name":   {map[string]any{"kind": "individual", "position": "Chuyên viên", "gender": "male"}, http.StatusUnprocessableEntity},
		"collective's position": {map[string]any{"kind": "collective", "position": "Chuyên viên"}, http.StatusUnprocessableEntity},
		"collective named otherwise than its unit": {map[string]any{"kind": "collective", "name": "Sở Xây dựng"}, http.StatusUnprocessableEntity},
	} {
		nominee := tc.nominee
		r := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": nominee})
		var body struct {
			Error struct {
				Code      string `json:"code"`
				MessageVI string `json:"message_vi"`
			} `json:"error"`
		}
		r.want(t, tc.status).decode(t, &body)
		if body.Error.Code != "invalid_nominee" || body.Error.MessageVI == "" {
			t.Errorf("%s: %s", name, r)
		}
	}
	if after := e.lastSeq(); after != before {
		t.Errorf("refused nominees moved the stream from %d to %d", before, after)
	}
}

// TestAsOfSeqKeepsACommandWhole: a merger is one atomic append of several aggregates' events
// (the units', the campaign's note). A sequence inside it is answered as of its end, so no
// answer shows the unit merged without the campaign's note of it, or the other way round.
func TestAsOfSeqKeepsACommandWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("MA", "district")
	before := e.lastSeq()
	e.admin.post("/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"MA"}, "successor": "MB",
		"successor_name": "Huyện MB", "successor_kind": "district", "effective": "2025-07-01", "decision": "NQ 1/2025"}).want(t, http.StatusCreated)
	end := e.lastSeq()
	if end-before < 3 {
		t.Fatalf("the merger appended %d messages, want one per aggregate (at least 3)", end-before)
	}
	auditor := e.user("auditor", "")
	type trail struct {
		Events []struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
		} `json:"events"`
	}
	has := func(tr trail, typ string) bool {
		for _, ev := range tr.Events {
			if ev.Type == typ {
				return true
			}
		}
		return false
	}
	for seq := before; seq <= end; seq++ {
		var c, u trail
		auditor.get(fmt.Sprintf("/api/v1/campaigns/%s/events?seq=%d", campaign, seq)).want(t, http.StatusOK).decode(t, &c)
		auditor.get(fmt.Sprintf("/api/v1/units/MA/events?seq=%d", seq)).want(t, http.StatusOK).decode(t, &u)
		noted, merged := has(c, "campaign.units_merged"), has(u, "unit.merged")
		if noted != merged || merged != (seq > before) {
			t.Errorf("as of seq %d: campaign noted the merger %v, unit merged %v; want both %v", seq, noted, merged, seq > before)
		}
	}
	var rk struct {
		AsOfSeq uint64 `json:"as_of_seq"`
	}
	auditor.get(fmt.Sprintf("/api/v1/campaigns/%s/ranking?seq=%d", campaign, before+1)).want(t, http.StatusOK).decode(t, &rk)
	if rk.AsOfSeq > end {
		t.Errorf("ranking as of seq %d answered as of %d, past the merger's end %d", before+1, rk.AsOfSeq, end)
	}
}

// TestCampaignAuditTrail: GET /campaigns/{id}/events shows what the campaign's own stream
// holds (its launch, the deadline, grants, mergers noted), with actors named, as of any
// sequence; an unknown campaign is 404.
func TestCampaignAuditTrail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.admin.post("/api/v1/campaigns/"+campaign+"/deadline", map[string]any{"closes": "2025-12-31T17:00:00+07:00"}).want(t, http.StatusOK)
	before := e.lastSeq()
	e.unit("MA", "district")
	e.admin.post("/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"MA"}, "successor": "MB",
		"successor_name": "Huyện MB", "successor_kind": "district", "effective": "2025-07-01", "decision": "NQ 1/2025"}).want(t, http.StatusCreated)
	auditor := e.user("auditor", "")
	var trail struct {
		Events []struct {
			Type  string `json:"type"`
			Actor struct {
				Name string `json:"name"`
			} `json:"actor"`
		} `json:"events"`
	}
	auditor.get("/api/v1/campaigns/"+campaign+"/events").want(t, http.StatusOK).decode(t, &trail)
	var types []string
	for _, ev := range trail.Events {
		types = append(types, ev.Type)
		if ev.Actor.Name == "" {
			t.Errorf("%s names no actor", ev.Type)
		}
	}
	// The launch's claim of the campaign's id (domain.ClaimID) comes with it.
	want := []string{"campaign.launched", "claim.id_claimed", "campaign.deadline_set", "campaign.units_merged"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("campaign trail %v, want %v", types, want)
	}
	auditor.get(fmt.Sprintf("/api/v1/campaigns/%s/events?seq=%d", campaign, before)).want(t, http.StatusOK).decode(t, &trail)
	if len(trail.Events) != 3 {
		t.Errorf("as of seq %d: %d events, want 3", before, len(trail.Events))
	}
	auditor.get("/api/v1/campaigns/nope/events").want(t, http.StatusNotFound)
}

// TestIntegrityOnARunningServer: an event appended behind the engine's back shows on a
// running server: GET /integrity lists it (admin and auditor), /metrics counts it.
func TestIntegrityOnARunningServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	auditor := e.user("auditor", "")
	var v struct {
		OK       bool `json:"ok"`
		Problems []struct {
			EventID string `json:"event_id"`
			Problem string `json:"problem"`
		} `json:"problems"`
	}
	auditor.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &v)
	if !v.OK || len(v.Problems) != 0 {
		t.Fatalf("a fresh store: %+v", v)
	}
	subject, err := e.store.Subject(eventstore.Ref{Kind: "unit", ID: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	forged := `{"events":[{"id":"01FORGED0000000000000000000","type":"unit.fact_recorded","schema":2,"aggregate":{"kind":"unit","id":"U1"},"actor":{"user":"x","role":"reviewer"},"prev_hash":"","hash":"00","data":{"fact":"late_dossiers","number":0}}]}`
	if _, err := e.store.JetStream().Publish(context.Background(), subject, []byte(forged)); err != nil {
		t.Fatal(err)
	}
	if err := projections.WaitCaughtUp(context.Background(), e.store, e.model, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	auditor.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &v)
	if v.OK || len(v.Problems) == 0 || v.Problems[0].EventID != "01FORGED0000000000000000000" {
		t.Errorf("after a forgery: %+v", v)
	}
	e.user("clerk", "U1").get("/api/v1/integrity").want(t, http.StatusForbidden)
	m := e.anon().get("/metrics").want(t, http.StatusOK)
	if !strings.Contains(string(m.body), "thidua_integrity_problems ") || strings.Contains(string(m.body), "thidua_integrity_problems 0\n") {
		t.Errorf("metrics: %s", m.body)
	}
	// The background checks' problems too, 0 before their first run (a review finding:
	// an alert on the projections' count missed a differing grant).
	for _, g := range []string{"thidua_integrity_document_problems 0\n", "thidua_integrity_grant_problems 0\n"} {
		if !strings.Contains(string(m.body), g) {
			t.Errorf("metrics lack %q", g)
		}
	}
}
