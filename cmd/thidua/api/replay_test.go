package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// restarted builds a second engine on the same store — a model rebuilt from the stream,
// a service and the API — as a server restarted after a crash would have.
func (e *env) restarted(t *testing.T) *env {
	t.Helper()
	m, err := projections.Rebuild(e.ctx, e.store, eventstore.ReadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := projections.StartFeed(e.ctx, e.store, m, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feed.Stop)
	t0 := time.Now()
	clock := func() time.Time { return clockStart.Add(time.Since(t0)) }
	svc := workflows.New(e.store, m, workflows.WithClock(clock), workflows.WithLogger(slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(api.New(svc, api.WithLogger(slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	r := &env{t: t, ctx: e.ctx, store: e.store, model: m, svc: svc, http: srv, url: srv.URL}
	r.admin = &client{e: r, token: adminToken, name: "admin"}
	return r
}

// on returns the same user's client on another env.
func (c *client) on(e *env) *client { return &client{e: e, token: c.token, name: c.name, id: c.id} }

// TestReplayAfterRestartReportsTheCommandsIDs: commands that create something under a
// server-chosen id (a user, a nomination, a merger, an award, a document), retried with
// their Idempotency-Key after a restart (a model rebuilt from the stream), answer with the
// id and the events of the first answer, from the commit, and append nothing.
func TestReplayAfterRestartReportsTheCommandsIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	nom := e.eligibleCollective(reviewer, "U1")
	e.unit("X1", "commune")
	e.unit("X2", "commune")
	clerk := e.user("clerk", "U1")
	indiv := map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "individual", "name": "Lê Văn C", "position": "Phó Giám đốc"}}

	type call struct {
		name   string
		as     *client
		path   string
		body   any
		upload bool
	}
	calls := []call{
		{"create user", e.admin, "/api/v1/users", map[string]any{"name": "Kiểm tra viên", "role": "auditor"}, false},
		{"open nomination", clerk, "/api/v1/campaigns/" + campaign + "/nominations", indiv, false},
		{"merger", e.admin, "/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"X1", "X2"}, "successor": "X3", "successor_name": "Xã mới", "successor_kind": "commune", "effective": "2025-07-01", "decision": "NQ 1"}, false},
		{"grant", council, "/api/v1/campaigns/" + campaign + "/awards", map[string]any{"nomination": nom, "decision": "QĐ 9"}, false},
		{"plan", clerk, "/api/v1/units/U1/plans", nil, true},
	}
	plan := pdf("replayed plan")
	send := func(c *client, cl call) reply {
		if cl.upload {
			return c.upload(cl.path, map[string]string{"campaign": campaign}, "plan.pdf", plan, "Idempotency-Key", "replay-"+strings.ReplaceAll(cl.name, " ", "-"))
		}
		return c.post(cl.path, cl.body, "Idempotency-Key", "replay-"+strings.ReplaceAll(cl.name, " ", "-"))
	}
	first := map[string]reply{}
	for _, cl := range calls {
		first[cl.name] = send(cl.as, cl).want(t, http.StatusCreated)
	}
	before := e.lastSeq()
	r := e.restarted(t)
	for _, cl := range calls {
		again := send(cl.as.on(r), cl).want(t, http.StatusCreated)
		f := first[cl.name]
		if again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: not marked as a replay: %s", cl.name, again)
		}
		if f.str(t, "id") == "" || f.str(t, "id") != again.str(t, "id") {
			t.Errorf("%s: id %q first, %q after the restart", cl.name, f.str(t, "id"), again.str(t, "id"))
		}
		if !slices.Equal(f.events(t), again.events(t)) {
			t.Errorf("%s: events %v first, %v after the restart", cl.name, f.events(t), again.events(t))
		}
	}
	if after := e.lastSeq(); after != before {
		t.Errorf("replays appended: the stream moved from %d to %d", before, after)
	}
	// The created user's token is shown once only.
	if tok := first["create user"].str(t, "token"); tok == "" {
		t.Error("the first answer has no token")
	}
}

// TestReplayAnswersAsTheCommandLeftIt: a command retried under its Idempotency-Key after
// later commands changed what it acted on answers as the first answer did: the state it
// left, with that state's version as the ETag, in the whole answer and the minimal one.
func TestReplayAnswersAsTheCommandLeftIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	nom := e.eligibleCollective(reviewer, "U1")
	hold := func(headers ...string) reply {
		return reviewer.post("/api/v1/nominations/"+nom+"/hold", map[string]any{"reason": "đang xem xét khiếu nại"}, append([]string{"Idempotency-Key", "hold-once"}, headers...)...)
	}
	first := hold().want(t, http.StatusOK)
	if first.str(t, "state") != "on_hold" {
		t.Fatalf("hold: %s", first)
	}
	// Released since: the nomination is no longer on hold.
	reviewer.post("/api/v1/nominations/"+nom+"/release", map[string]any{"reason": "đã giải quyết"}).want(t, http.StatusOK)
	before := e.lastSeq()

	again := hold().want(t, http.StatusOK)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("not a replay: %s", again)
	}
	if again.str(t, "state") != "on_hold" || again.header.Get("ETag") != first.header.Get("ETag") {
		t.Errorf("replayed: state %q, ETag %s; first: on_hold, ETag %s", again.str(t, "state"), again.header.Get("ETag"), first.header.Get("ETag"))
	}
	minimal := hold("Prefer", "return=minimal").want(t, http.StatusOK)
	if minimal.str(t, "state") != "on_hold" || minimal.header.Get("ETag") != first.header.Get("ETag") {
		t.Errorf("replayed minimal: state %q, ETag %s; first: on_hold, ETag %s", minimal.str(t, "state"), minimal.header.Get("ETag"), first.header.Get("ETag"))
	}
	if after := e.lastSeq(); after != before {
		t.Errorf("replays appended: the stream moved from %d to %d", before, after)
	}
	// What the nomination is now is what a read says.
	if now := reviewer.get("/api/v1/nominations/"+nom).want(t, http.StatusOK); now.str(t, "state") == "on_hold" {
		t.Errorf("read after the release: %s", now)
	}

	// A grant replayed after its award was revoked answers with the award it granted.
	council := e.user("council", "")
	other := e.eligibleCollective(reviewer, "U2")
	grant := func() reply {
		return council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": other, "decision": "QĐ 1"}, "Idempotency-Key", "grant-once")
	}
	granted := grant().want(t, http.StatusCreated)
	council.post("/api/v1/awards/"+granted.str(t, "id")+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "tiêu chí C08 không đạt"}).want(t, http.StatusOK)
	again = grant().want(t, http.StatusCreated)
	var g struct {
		Revoked bool `json:"revoked"`
	}
	again.decode(t, &g)
	if g.Revoked || again.header.Get("ETag") != granted.header.Get("ETag") {
		t.Errorf("replayed grant: revoked %v, ETag %s; first: not revoked, ETag %s", g.Revoked, again.header.Get("ETag"), granted.header.Get("ETag"))
	}

	// A user's creation replayed after the user was disabled answers with the user it
	// created.
	create := func() reply {
		return e.admin.post("/api/v1/users", map[string]any{"name": "Kiểm tra viên", "role": "auditor"}, "Idempotency-Key", "user-once")
	}
	created := create().want(t, http.StatusCreated)
	e.admin.post("/api/v1/users/"+created.str(t, "id")+"/disable", map[string]any{"reason": "nghỉ hưu"}).want(t, http.StatusOK)
	var u struct {
		Disabled bool `json:"disabled"`
	}
	create().want(t, http.StatusCreated).decode(t, &u)
	if u.Disabled {
		t.Error("the replayed creation says the user is disabled")
	}
}

// TestSuccessorClerkListsPredecessorsNominations: a successor's clerk lists, and reads,
// the nominations a merger left on the units it absorbed (an awarded one here), as it
// reads their documents; another unit's clerk does not.
func TestSuccessorClerkListsPredecessorsNominations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	nom := e.eligibleCollective(reviewer, "PA")
	council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "QĐ 1"}).want(t, http.StatusCreated)
	e.admin.post("/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"PA"}, "successor": "PC",
		"successor_name": "Huyện C", "successor_kind": "district", "effective": "2025-09-20", "decision": "NQ 1"}).want(t, http.StatusCreated)
	e.unit("PX", "district")
	for _, tt := range []struct {
		unit  string
		reads bool
	}{{"PC", true}, {"PX", false}} {
		clerk := e.user("clerk", tt.unit)
		list := clerk.get("/api/v1/campaigns/"+campaign+"/nominations").want(t, http.StatusOK)
		if got := strings.Contains(string(list.body), nom); got != tt.reads {
			t.Errorf("clerk of %s lists the predecessor's nomination: %v, want %v", tt.unit, got, tt.reads)
		}
		want := http.StatusForbidden
		if tt.reads {
			want = http.StatusOK
		}
		clerk.get("/api/v1/nominations/"+nom).want(t, want)
	}
}
