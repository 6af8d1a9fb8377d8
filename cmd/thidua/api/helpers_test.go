package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
)

// campaign is the built-in campaign's id.
const campaign = "ninh-thuan-cchc-2025"

// adminToken is the first administrator's token in every env.
const adminToken = "admin-token"

// natsServer is the embedded JetStream server every test's store lives on.
var natsServer *estest.Server

func TestMain(m *testing.M) {
	s, err := estest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start test server:", err)
		os.Exit(1)
	}
	natsServer = s
	code := m.Run()
	s.Shutdown()
	os.Exit(code)
}

// env is one engine behind one HTTP server, for one test.
type env struct {
	t     testing.TB
	ctx   context.Context
	store *eventstore.Store
	model *projections.Model
	svc   *workflows.Service
	http  *httptest.Server
	url   string
	admin *client
	users atomic.Int64
	// offset moves the business clock (which also stamps recorded times).
	offset atomic.Int64
}

// clockStart is the business clock's start: 2025-09-15 10:00 in Asia/Ho_Chi_Minh, inside
// the built-in campaign. The clock runs with real time from there.
var clockStart = time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)

// newEnv builds a store, a model with its feed, a service (bootstrapped with adminToken)
// and the API on an httptest server.
func newEnv(t testing.TB, opts ...api.Option) *env {
	t.Helper()
	return newEnvOn(t, func(more ...eventstore.Option) *eventstore.Store { return natsServer.Open(t, more...) }, opts...)
}

// newEnvOn is newEnv with the store open gives (passed the registry and clock options).
func newEnvOn(t testing.TB, open func(...eventstore.Option) *eventstore.Store, opts ...api.Option) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background()}
	t0 := time.Now()
	clock := func() time.Time { return clockStart.Add(time.Since(t0) + time.Duration(e.offset.Load())) }
	e.store = open(eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(clock))
	e.model = projections.NewModel()
	feed, err := projections.StartFeed(e.ctx, e.store, e.model, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	t.Cleanup(feed.Stop)
	e.svc = workflows.New(e.store, e.model, workflows.WithClock(clock), workflows.WithLogger(slog.New(slog.DiscardHandler)))
	if _, err := e.svc.Bootstrap(e.ctx, adminToken); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	// The feed brings the bootstrap's commits back a moment later; until then /readyz
	// rightly says the projections are behind.
	if err := projections.WaitCaughtUp(e.ctx, e.store, e.model, 10*time.Second); err != nil {
		t.Fatalf("feed: %v", err)
	}
	base := []api.Option{
		api.WithLogger(slog.New(slog.DiscardHandler)),
		api.WithReadiness(func(ctx context.Context) error {
			ok, last, err := feed.CaughtUp(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("projections behind: %d of %d", e.model.Applied(), last)
			}
			return nil
		}),
	}
	e.http = httptest.NewServer(api.New(e.svc, append(base, opts...)...))
	t.Cleanup(e.http.Close)
	e.url = e.http.URL
	e.admin = &client{e: e, token: adminToken, name: "admin"}
	return e
}

// lastSeq returns the stream's last sequence.
func (e *env) lastSeq() uint64 {
	e.t.Helper()
	n, err := e.store.LastSeq(e.ctx)
	if err != nil {
		e.t.Fatalf("last seq: %v", err)
	}
	return n
}

// client calls the API with one token.
type client struct {
	e     *env
	token string
	name  string
	id    string
}

// anon is a client without a token.
func (e *env) anon() *client { return &client{e: e, name: "anonymous"} }

// reply is an HTTP answer.
type reply struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.body))
}

// obj decodes the answer as a JSON object.
func (r reply) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: not a JSON object: %v", r, err)
	}
	return m
}

// decode decodes the answer into v.
func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
}

// str returns a string field of the answer.
func (r reply) str(t testing.TB, key string) string {
	t.Helper()
	s, _ := r.obj(t)[key].(string)
	return s
}

// events returns the answer's "events" list.
func (r reply) events(t testing.TB) []string {
	t.Helper()
	var v struct {
		Events []string `json:"events"`
	}
	r.decode(t, &v)
	return v.Events
}

// errCode checks the error shape and returns its code.
func (r reply) errCode(t testing.TB) string {
	t.Helper()
	var v struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || v.Error == nil || v.Error.Code == "" || v.Error.Message == "" {
		t.Fatalf("%s: not an error object {\"error\": {\"code\", \"message\"}}", r)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: error Content-Type %q", r, ct)
	}
	return v.Error.Code
}

// want fails the test unless the answer has status.
func (r reply) want(t testing.TB, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("want %d: %s", status, r)
	}
	return r
}

// do sends a request. body is nil (none), []byte or string (raw) or any value (JSON);
// headers are name, value pairs.
func (c *client) do(method, path string, body any, headers ...string) reply {
	c.e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatalf("marshal: %v", err)
		}
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, c.e.url+path, rd)
	if err != nil {
		c.e.t.Fatalf("request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) reply {
	c.e.t.Helper()
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.e.http.Client().Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatalf("read: %v", err)
	}
	return reply{method: req.Method, path: req.URL.RequestURI(), status: resp.StatusCode, header: resp.Header, body: b}
}

// get, post are shorthands.
func (c *client) get(path string, headers ...string) reply {
	return c.do(http.MethodGet, path, nil, headers...)
}
func (c *client) post(path string, body any, headers ...string) reply {
	return c.do(http.MethodPost, path, body, headers...)
}

// upload posts a multipart form with fields and one file.
func (c *client) upload(path string, fields map[string]string, name string, data []byte, headers ...string) reply {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			c.e.t.Fatal(err)
		}
	}
	if data != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
		h.Set("Content-Type", "application/pdf")
		w, err := mw.CreatePart(h)
		if err != nil {
			c.e.t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := mw.Close(); err != nil {
		c.e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.e.url+path, &buf)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.send(req)
}

// pdf returns distinct small file contents.
func pdf(tag string) []byte {
	return []byte("%PDF-1.4 " + tag + " " + fmt.Sprint(time.Now().UnixNano()))
}

// unit registers a unit.
func (e *env) unit(id, kind string) {
	e.t.Helper()
	e.admin.post("/api/v1/units", map[string]any{"id": id, "name": "Đơn vị " + id, "kind": kind}).want(e.t, http.StatusCreated)
}

// user registers a user and returns a client with their token.
func (e *env) user(role, unit string) *client {
	e.t.Helper()
	n := e.users.Add(1)
	body := map[string]any{"name": fmt.Sprintf("%s %d %s", role, n, unit), "role": role}
	if unit != "" {
		body["unit"] = unit
	}
	r := e.admin.post("/api/v1/users", body).want(e.t, http.StatusCreated)
	m := r.obj(e.t)
	tok, _ := m["token"].(string)
	id, _ := m["id"].(string)
	if tok == "" || id == "" {
		e.t.Fatalf("user without id or token: %s", r)
	}
	return &client{e: e, token: tok, name: role + "@" + unit, id: id}
}

// criteria returns the ids of the ruling-judged criteria that apply to a nominee kind
// ("collective", or "individual"; head adds the head criteria).
func (e *env) criteria(kind string, head bool) []string {
	e.t.Helper()
	var c struct {
		Criteria []struct {
			ID        string `json:"id"`
			AppliesTo string `json:"applies_to"`
			JudgedBy  string `json:"judged_by"`
		} `json:"criteria"`
	}
	e.admin.get("/api/v1/campaigns/"+campaign).want(e.t, http.StatusOK).decode(e.t, &c)
	var out []string
	for _, cr := range c.Criteria {
		applies := cr.AppliesTo == kind || (head && cr.AppliesTo == "head")
		if applies && cr.JudgedBy == "ruling" {
			out = append(out, cr.ID)
		}
	}
	if len(out) == 0 {
		e.t.Fatalf("no ruling-judged criteria for %s", kind)
	}
	return out
}

// goodFacts are facts under which every fact-judged criterion is met.
func goodFacts() []map[string]any {
	return []map[string]any{
		{"fact": "par_rating", "value": "Tốt", "note": "Kết quả chấm điểm CCHC 2025"},
		{"fact": "disbursement_pct", "value": 100},
		{"fact": "late_dossiers", "value": 0},
		{"fact": "backlog_dossiers", "value": 0},
		{"fact": "index_component", "index": "PAR_INDEX", "component": "Cải cách thủ tục hành chính", "value": 9.1, "previous": 8.4},
		{"fact": "staff_hours_violation_pct", "value": 5},
		{"fact": "subordinate_violation_pct", "value": 0},
		{"fact": "late_directives", "value": 0},
		{"fact": "online_service_pct", "value": 100},
		{"fact": "par_index_score", "value": 88.5},
	}
}

// recordFacts records facts about a unit as reviewer.
func (e *env) recordFacts(reviewer *client, unit string, facts []map[string]any) {
	e.t.Helper()
	for _, f := range facts {
		f["campaign"] = campaign
		reviewer.post("/api/v1/units/"+unit+"/facts", f).want(e.t, http.StatusCreated)
	}
}

// dossier uploads the three parts, records a passing vote and submits.
func (e *env) dossier(clerk *client, nom string) {
	e.t.Helper()
	for _, kind := range []string{"letter", "council_minutes", "achievement_report"} {
		clerk.upload("/api/v1/nominations/"+nom+"/documents", map[string]string{"kind": kind}, kind+".pdf", pdf(kind+nom)).want(e.t, http.StatusCreated)
	}
	clerk.post("/api/v1/nominations/"+nom+"/council-vote", map[string]any{"meeting_date": "2025-09-10", "members": 9, "present": 9, "approve": 8}).want(e.t, http.StatusCreated)
	clerk.post("/api/v1/nominations/"+nom+"/submit", nil).want(e.t, http.StatusOK)
}

// eligibleCollective prepares an eligible collective nomination of a new unit, with its
// own clerk, and returns its id.
func (e *env) eligibleCollective(reviewer *client, unit string) string {
	e.t.Helper()
	e.unit(unit, "department")
	clerk := e.user("clerk", unit)
	clerk.upload("/api/v1/units/"+unit+"/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf("plan"+unit)).want(e.t, http.StatusCreated)
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": unit, "nominee": map[string]any{"kind": "collective"}}).
		want(e.t, http.StatusCreated).str(e.t, "id")
	e.dossier(clerk, nom)
	e.recordFacts(reviewer, unit, goodFacts())
	for _, c := range e.criteria("collective", false) {
		reviewer.post("/api/v1/nominations/"+nom+"/criteria/"+c, map[string]any{"result": "met", "note": "đạt"}).want(e.t, http.StatusCreated)
	}
	var el struct {
		Eligible bool `json:"eligible"`
	}
	e.admin.get("/api/v1/nominations/"+nom+"/eligibility").want(e.t, http.StatusOK).decode(e.t, &el)
	if !el.Eligible {
		e.t.Fatalf("nomination %s of %s is not eligible: %s", nom, unit, e.admin.get("/api/v1/nominations/"+nom+"/eligibility").body)
	}
	return nom
}
