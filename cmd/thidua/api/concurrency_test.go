package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// race sends the requests at once and returns the answers (status, body) in order.
func race(t *testing.T, e *env, reqs ...func() *http.Request) []reply {
	t.Helper()
	out := make([]reply, len(reqs))
	errs := make([]error, len(reqs))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, mk := range reqs {
		req := mk()
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			resp, err := e.http.Client().Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out[i], errs[i] = reply{method: req.Method, path: req.URL.Path, status: resp.StatusCode, header: resp.Header, body: b}, err
		}()
	}
	start.Done()
	done.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// request builds a JSON POST as c.
func (c *client) request(path string, body any, headers ...string) func() *http.Request {
	return func() *http.Request {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, c.e.url+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.token)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req
	}
}

func statuses(rs []reply) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.status
	}
	slices.Sort(out)
	return out
}

// TestConcurrency: two reviewers ruling on one nomination with the same If-Match — one
// wins, the other gets 412; the same Idempotency-Key twice (one after the other, or at
// once) appends once and answers the same.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	e.unit("SNV", "department")
	clerk := e.user("clerk", "U1")
	r1, r2 := e.user("reviewer", "SNV"), e.user("reviewer", "SNV")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	e.dossier(clerk, nom)
	path := "/api/v1/nominations/" + nom

	// If-Match: exactly one of two rulings on the version both read.
	tag := r1.get(path).want(t, http.StatusOK).header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag on the nomination")
	}
	before := e.lastSeq()
	rs := race(t, e,
		r1.request(path+"/criteria/C01", map[string]any{"result": "met", "note": "r1"}, "If-Match", tag),
		r2.request(path+"/criteria/C02", map[string]any{"result": "met", "note": "r2"}, "If-Match", tag))
	got := statuses(rs)
	if got[0] != http.StatusCreated || (got[1] != http.StatusPreconditionFailed && got[1] != http.StatusConflict) {
		t.Fatalf("two rulings on one version: %v\n%s\n%s", got, rs[0], rs[1])
	}
	for _, r := range rs {
		if r.status != http.StatusCreated {
			r.errCode(t)
		}
	}
	if after := e.lastSeq(); after != before+1 {
		t.Fatalf("one commit expected, the stream moved from %d to %d", before, after)
	}
	// The stale version keeps failing; the new one works and is the winner's ETag.
	winner := rs[0]
	if winner.status != http.StatusCreated {
		winner = rs[1]
	}
	r2.post(path+"/criteria/C02", map[string]any{"result": "met", "note": "r2"}, "If-Match", tag).want(t, http.StatusPreconditionFailed).errCode(t)
	fresh := r2.get(path).want(t, http.StatusOK).header.Get("ETag")
	if fresh != winner.header.Get("ETag") || fresh == tag {
		t.Fatalf("ETag after the ruling %q, the winner's answer %q, before %q", fresh, winner.header.Get("ETag"), tag)
	}
	r2.post(path+"/criteria/C02", map[string]any{"result": "met", "note": "r2"}, "If-Match", fresh).want(t, http.StatusCreated)
	// A nomination's answer also holds what other aggregates decide (its criteria follow
	// the unit's facts): an If-None-Match is answered whole, with the same ETag.
	cur := r2.get(path).header.Get("ETag")
	if got := r2.get(path, "If-None-Match", cur).want(t, http.StatusOK).header.Get("ETag"); got != cur {
		t.Fatalf("ETag %q, then %q", cur, got)
	}

	// The same Idempotency-Key twice, one after the other.
	before = e.lastSeq()
	body := map[string]any{"result": "met", "note": "idempotent"}
	first := r1.post(path+"/criteria/C03", body, "Idempotency-Key", "rule-c03").want(t, http.StatusCreated)
	again := r1.post(path+"/criteria/C03", body, "Idempotency-Key", "rule-c03").want(t, http.StatusCreated)
	if after := e.lastSeq(); after != before+1 {
		t.Fatalf("a retried command appended again: %d → %d", before, after)
	}
	if !slices.Equal(first.events(t), again.events(t)) || len(first.events(t)) == 0 {
		t.Fatalf("retry answered other events: %v vs %v", first.events(t), again.events(t))
	}
	if again.header.Get("Idempotent-Replayed") != "true" || first.str(t, "id") != again.str(t, "id") {
		t.Fatalf("retry: %s", again)
	}
	// The same key for another request is refused.
	r1.post(path+"/criteria/C03", map[string]any{"result": "not_met", "note": "x"}, "Idempotency-Key", "rule-c03").want(t, http.StatusUnprocessableEntity).errCode(t)
	if after := e.lastSeq(); after != before+1 {
		t.Fatalf("a reused key appended: %d → %d", before, after)
	}

	// The same key twice at once: one append, the same events.
	before = e.lastSeq()
	fact := map[string]any{"campaign": campaign, "fact": "late_dossiers", "value": 0}
	rs = race(t, e,
		r1.request("/api/v1/units/U1/facts", fact, "Idempotency-Key", "fact-1"),
		r1.request("/api/v1/units/U1/facts", fact, "Idempotency-Key", "fact-1"))
	if rs[0].status != http.StatusCreated || rs[1].status != http.StatusCreated {
		t.Fatalf("same key at once: %s / %s", rs[0], rs[1])
	}
	if !slices.Equal(rs[0].events(t), rs[1].events(t)) {
		t.Fatalf("same key at once answered different events: %v vs %v", rs[0].events(t), rs[1].events(t))
	}
	if after := e.lastSeq(); after != before+1 {
		t.Fatalf("same key at once appended %d commits", after-before)
	}

	// Multipart uploads are idempotent too (fingerprint: fields and the file's hash).
	before = e.lastSeq()
	data := pdf("supporting")
	u1 := clerk.upload("/api/v1/units/U1/plans", map[string]string{"campaign": campaign}, "plan.pdf", data, "Idempotency-Key", "plan-1").want(t, http.StatusCreated)
	u2 := clerk.upload("/api/v1/units/U1/plans", map[string]string{"campaign": campaign}, "plan.pdf", data, "Idempotency-Key", "plan-1").want(t, http.StatusCreated)
	if !slices.Equal(u1.events(t), u2.events(t)) || u1.str(t, "sha256") != u2.str(t, "sha256") || e.lastSeq() != before+1 {
		t.Fatalf("upload retried: %s / %s", u1, u2)
	}
	clerk.upload("/api/v1/units/U1/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf("other"), "Idempotency-Key", "plan-1").want(t, http.StatusUnprocessableEntity)

	// A retried user creation answers the same user, without minting a second token.
	before = e.lastSeq()
	user := map[string]any{"name": "Lê Văn C", "role": "council"}
	c1 := e.admin.post("/api/v1/users", user, "Idempotency-Key", "user-1").want(t, http.StatusCreated)
	c2 := e.admin.post("/api/v1/users", user, "Idempotency-Key", "user-1").want(t, http.StatusCreated)
	if c1.str(t, "id") != c2.str(t, "id") || c1.str(t, "token") == "" || c2.str(t, "token") != "" || e.lastSeq() != before+1 {
		t.Fatalf("user creation retried: %s / %s", c1, c2)
	}
	// A retried merger answers the same reorganisation.
	merge := map[string]any{"kind": "merge", "sources": []string{"U1"}, "successor": "U3", "successor_name": "Sở mới", "successor_kind": "department", "effective": "2025-07-01", "decision": "NQ 1"}
	m1 := e.admin.post("/api/v1/reorganisations", merge, "Idempotency-Key", "merge-1").want(t, http.StatusCreated)
	m2 := e.admin.post("/api/v1/reorganisations", merge, "Idempotency-Key", "merge-1").want(t, http.StatusCreated)
	if m1.str(t, "id") != m2.str(t, "id") || m1.str(t, "id") == "U3" || !slices.Equal(m1.events(t), m2.events(t)) {
		t.Fatalf("merger retried: %s / %s", m1, m2)
	}
}

// TestLiveRankingETag: the live ranking carries an ETag; asked again with it, the answer
// is 304 without a body until the ranking changes, then 200 with another tag; a ranking
// as of a past moment carries none.
func TestLiveRankingETag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewer := e.user("reviewer", "")
	nom := e.eligibleCollective(reviewer, "SO-ETAG")
	path := "/api/v1/campaigns/" + campaign + "/ranking"
	first := e.admin.get(path).want(t, http.StatusOK)
	tag := first.header.Get("ETag")
	if tag == "" || !bytes.Contains(first.body, []byte(nom)) {
		t.Fatalf("live ranking without an ETag or without %s: %s", nom, first)
	}
	if r := e.admin.get(path, "If-None-Match", tag).want(t, http.StatusNotModified); len(r.body) != 0 || r.header.Get("ETag") != tag {
		t.Fatalf("304 with a body or another tag: %s (ETag %q)", r, r.header.Get("ETag"))
	}
	e.unit("SO-ETAG-2", "department") // a write that leaves the ranking as it was
	e.admin.get(path, "If-None-Match", tag).want(t, http.StatusNotModified)
	fresh := e.admin.get(path).want(t, http.StatusOK)
	next := fresh.header.Get("ETag")
	if next != tag || !bytes.Equal(fresh.body, first.body) {
		t.Fatalf("after a write that changes no ranking: ETag %q (before %q), same ranking %v", next, tag, bytes.Equal(fresh.body, first.body))
	}
	if past := e.admin.get(path+"?seq="+strconv.FormatUint(e.lastSeq(), 10), "If-None-Match", next).want(t, http.StatusOK); past.header.Get("ETag") != "" {
		t.Fatalf("a past ranking with an ETag: %q", past.header.Get("ETag"))
	}

	// The encoded answer is kept until a write: the same bytes to every reader, then a new
	// ranking with the new nomination in it, the same as a past ranking at the same point.
	if again := reviewer.get(path).want(t, http.StatusOK); !bytes.Equal(again.body, fresh.body) || again.header.Get("ETag") != next {
		t.Fatalf("a second reader got another ranking (ETag %q, want %q)", again.header.Get("ETag"), next)
	}
	other := e.eligibleCollective(reviewer, "SO-ETAG-3")
	after := e.admin.get(path).want(t, http.StatusOK)
	if after.header.Get("ETag") == next || !bytes.Contains(after.body, []byte(other)) || !bytes.Contains(after.body, []byte(nom)) {
		t.Fatalf("after a new eligible nomination: ETag %q (before %q), %s in it: %v", after.header.Get("ETag"), next, other, bytes.Contains(after.body, []byte(other)))
	}
	asOf := e.admin.get(path+"?seq="+strconv.FormatUint(e.lastSeq(), 10)).want(t, http.StatusOK)
	var live, past struct {
		Collective json.RawMessage `json:"collective"`
	}
	after.decode(t, &live)
	asOf.decode(t, &past)
	if len(live.Collective) == 0 || !bytes.Equal(live.Collective, past.Collective) {
		t.Fatalf("the live collective ranking differs from the one as of the last sequence:\n%s\n%s", live.Collective, past.Collective)
	}
}

// TestPreferReturnMinimal: a nomination command sent with Prefer: return=minimal (RFC
// 7240, alone or among other preferences) answers the nomination's id, state and version
// (also its ETag) and the events appended, with Preference-Applied; without it, or with
// return=representation, the whole nomination as before.
func TestPreferReturnMinimal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewer := e.user("reviewer", "")
	nom := e.eligibleCollective(reviewer, "SO-MIN")
	path := "/api/v1/nominations/" + nom + "/criteria/" + e.criteria("collective", false)[0]
	body := map[string]any{"result": "met", "note": "ghi lại"}
	for _, prefer := range []string{"return=minimal", `respond-async, RETURN="minimal"`, "return = minimal; q=1"} {
		r := reviewer.post(path, body, "Prefer", prefer).want(t, http.StatusCreated)
		got := r.obj(t)
		keys := slices.Sorted(maps.Keys(got))
		if !slices.Equal(keys, []string{"events", "id", "state", "version"}) || got["id"] != nom || len(r.events(t)) != 1 {
			t.Fatalf("Prefer %q: %s", prefer, r)
		}
		if r.header.Get("Preference-Applied") != "return=minimal" {
			t.Fatalf("Prefer %q: Preference-Applied %q", prefer, r.header.Get("Preference-Applied"))
		}
		full := e.admin.get("/api/v1/nominations/"+nom).want(t, http.StatusOK)
		if r.header.Get("ETag") != full.header.Get("ETag") || got["state"] != full.str(t, "state") ||
			fmt.Sprint(got["version"]) != strings.Trim(full.header.Get("ETag"), `"`) {
			t.Fatalf("Prefer %q: minimal %s (ETag %s), the nomination's state %q and ETag %s", prefer, r, r.header.Get("ETag"), full.str(t, "state"), full.header.Get("ETag"))
		}
	}
	for _, headers := range [][]string{nil, {"Prefer", "return=representation"}} {
		r := reviewer.post(path, body, headers...).want(t, http.StatusCreated)
		if got := r.obj(t); got["criteria"] == nil || got["eligible"] == nil || len(r.events(t)) != 1 || r.header.Get("Preference-Applied") != "" {
			t.Fatalf("headers %v: not the whole nomination: %s", headers, r)
		}
	}
}
