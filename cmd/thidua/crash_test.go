//go:build crash

package main

// The crash test (make crash-test): "nothing acknowledged is ever lost". It builds the
// thidua binary, serves a fresh data directory on loopback, and sends a stream of commands
// from several clients at once — units, plans, nominations, uploads, votes, submissions,
// facts, rulings, mergers, awards — each with an Idempotency-Key, while the server is
// killed with SIGKILL at random moments and restarted. A command whose answer was lost
// is sent again with its key until it is answered. Then it checks that every command
// answered 2xx is in the stream exactly once (its events, under its key, once), that the
// projections the server answered equal a full rebuild (in process and through `thidua
// replay`, `ranking --format json` and `explain --json`), and that `thidua verify` exits 0.
//
// THIDUA_CRASH_SEED=N replays one run's kill schedule; THIDUA_CRASH_KILLS sets how many
// kills happen during the command stream (default 6).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

const (
	crashAdminToken = "crash-admin-token-0123456789"
	crashCampaign   = "ninh-thuan-cchc-2025"
	crashWorkers    = 8
)

// server is the thidua process under test.
type server struct {
	t    *testing.T
	bin  string
	data string
	addr string
	log  *os.File
	// args are more arguments of serve.
	args []string

	mu    sync.Mutex
	cmd   *exec.Cmd
	kills int
	start []time.Duration
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// run starts the server and waits until /readyz answers 200.
func (s *server) run() {
	s.t.Helper()
	t0 := time.Now()
	cmd := exec.Command(s.bin, append([]string{"serve", "--data", s.data, "--addr", s.addr, "--log-level", "warn"}, s.args...)...)
	cmd.Env = append(os.Environ(), "THIDUA_ADMIN_TOKEN="+crashAdminToken)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		fatal(s.t, "start thidua: %v", err)
	}
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := client.Get(s.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			fatal(s.t, "thidua did not become ready in 30 s; log:\n%s", s.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.start = append(s.start, time.Since(t0).Round(time.Millisecond))
	s.mu.Unlock()
}

// killCount returns how many times the server was killed.
func (s *server) killCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kills
}

// fatal fails the test and ends the calling goroutine (the test's own, a client's or the
// killer's: deferred calls run, so the server is killed and waiters are released).
func fatal(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Errorf(format, args...)
	runtime.Goexit()
}

// kill sends SIGKILL and waits for the process to end.
func (s *server) kill() {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.kills++
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		fatal(s.t, "kill: %v", err)
	}
	_ = cmd.Wait()
}

// tail returns the end of the server's log.
func (s *server) tail() string {
	b, _ := os.ReadFile(s.log.Name())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// ack is one command the server answered 2xx.
type ack struct {
	name     string
	key      string
	status   int
	events   []string
	replayed bool
	attempts int // 1: answered the first time
}

// driver sends commands, retrying each with its key until it is answered.
type driver struct {
	t        *testing.T
	srv      *server
	http     *http.Client
	deadline time.Time

	mu   sync.Mutex
	acks []ack
	seq  atomic.Int64
	// think is the most a client pauses before a command, so that the scripts span
	// several kills.
	think time.Duration
}

// request is one command.
type request struct {
	name, token, method, path string
	json                      any               // a JSON body, or
	fields                    map[string]string // multipart fields with
	file                      []byte            // one file
}

// do sends a command with a new Idempotency-Key until it is answered (the server may be
// killed at any moment: a request without an answer is sent again, with the same key and
// the same body) and returns the decoded answer.
func (d *driver) do(r request) map[string]any {
	d.t.Helper()
	key := fmt.Sprintf("crash-%d-%s", d.seq.Add(1), strings.ReplaceAll(r.name, " ", "-"))
	if d.think > 0 {
		time.Sleep(rand.N(d.think))
	}
	var body []byte
	ctype := "application/json"
	if r.fields != nil {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		names := make([]string, 0, len(r.fields))
		for k := range r.fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			_ = mw.WriteField(k, r.fields[k])
		}
		fw, _ := mw.CreateFormFile("file", "tai-lieu.pdf")
		_, _ = fw.Write(r.file)
		_ = mw.Close()
		body, ctype = buf.Bytes(), mw.FormDataContentType()
	} else if r.json != nil {
		body, _ = json.Marshal(r.json)
	}
	for attempt := 1; ; attempt++ {
		if d.t.Failed() {
			runtime.Goexit() // another goroutine failed: stop sending
		}
		if time.Now().After(d.deadline) {
			fatal(d.t, "%s: no answer before the deadline", r.name)
		}
		req, _ := http.NewRequest(r.method, d.srv.url(r.path), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+r.token)
		req.Header.Set("Idempotency-Key", key)
		if body != nil {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := d.http.Do(req)
		if err != nil {
			time.Sleep(30 * time.Millisecond) // killed, or not back yet
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			time.Sleep(30 * time.Millisecond) // killed while answering
			continue
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if resp.StatusCode/100 != 2 {
			fatal(d.t, "%s (%s %s, attempt %d): %d %s", r.name, r.method, r.path, attempt, resp.StatusCode, b)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			fatal(d.t, "%s: %v: %s", r.name, err, b)
		}
		a := ack{name: r.name, key: key, status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true", attempts: attempt}
		evs, _ := out["events"].([]any)
		for _, e := range evs {
			if id, ok := e.(string); ok {
				a.events = append(a.events, id)
			}
		}
		if len(a.events) == 0 {
			fatal(d.t, "%s answered %d without events: %s", r.name, resp.StatusCode, b)
		}
		d.mu.Lock()
		d.acks = append(d.acks, a)
		d.mu.Unlock()
		return out
	}
}

// get reads the API (retrying while the server restarts).
func (d *driver) get(token, path string) []byte {
	d.t.Helper()
	for {
		if time.Now().After(d.deadline) {
			fatal(d.t, "GET %s: no answer before the deadline", path)
		}
		req, _ := http.NewRequest(http.MethodGet, d.srv.url(path), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := d.http.Do(req)
		if err != nil {
			time.Sleep(30 * time.Millisecond)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode == http.StatusServiceUnavailable {
			time.Sleep(30 * time.Millisecond)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			fatal(d.t, "GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
}

// thidua runs a command of the binary on the data directory and returns its output and
// exit status.
func (s *server) thidua(args ...string) ([]byte, int) {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(args, "--data", s.data, "--log-level", "error")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return append(out.Bytes(), errb.Bytes()...), ee.ExitCode()
	case err != nil:
		s.t.Fatalf("thidua %v: %v", args, err)
	}
	return out.Bytes(), 0
}

func TestCrashRecovery(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("THIDUA_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	minKills := 6
	if s := os.Getenv("THIDUA_CRASH_KILLS"); s != "" {
		minKills, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(seed, 2025))
	t.Logf("seed %d (THIDUA_CRASH_SEED to replay), at least %d kills during the command stream", seed, minKills)
	began := time.Now()

	dir := t.TempDir()
	bin := buildThidua(t, dir)
	t.Logf("built the binary in %s", time.Since(began).Round(time.Millisecond))
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	srv := &server{t: t, bin: bin, data: filepath.Join(dir, "data"), addr: freeLoopbackAddr(t), log: logFile}
	srv.run()
	defer func() {
		srv.kill()
		if t.Failed() {
			t.Logf("server log:\n%s", srv.tail())
		}
	}()
	d := &driver{t: t, srv: srv, deadline: time.Now().Add(90 * time.Second),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4 * crashWorkers}}}
	admin := crashAdminToken

	// Setup, before the first kill: the units with their clerks, and the reviewer and the
	// council secretary (a token is shown once, so users are made while nothing is killed).
	d.do(request{name: "register SNV", token: admin, method: "POST", path: "/api/v1/units", json: map[string]any{"id": "SNV", "name": "Sở Nội vụ", "kind": "department"}})
	reviewer := d.do(request{name: "create reviewer", token: admin, method: "POST", path: "/api/v1/users", json: map[string]any{"name": "Chuyên viên thẩm định", "role": "reviewer", "unit": "SNV"}})["token"].(string)
	council := d.do(request{name: "create council", token: admin, method: "POST", path: "/api/v1/users", json: map[string]any{"name": "Thư ký Hội đồng", "role": "council"}})["token"].(string)
	clerks := make([]string, crashWorkers)
	for w := range crashWorkers {
		u := fmt.Sprintf("U%d", w)
		d.do(request{name: "register " + u, token: admin, method: "POST", path: "/api/v1/units", json: map[string]any{"id": u, "name": fmt.Sprintf("Sở số %d", w), "kind": "department"}})
		clerks[w] = d.do(request{name: "create clerk " + u, token: admin, method: "POST", path: "/api/v1/users", json: map[string]any{"name": "Văn thư " + u, "role": "clerk", "unit": u}})["token"].(string)
	}
	var camp struct {
		Criteria []struct {
			ID        string `json:"id"`
			AppliesTo string `json:"applies_to"`
			JudgedBy  string `json:"judged_by"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal(d.get(admin, "/api/v1/campaigns/"+crashCampaign), &camp); err != nil {
		t.Fatal(err)
	}
	ruled := func(kinds ...string) []string {
		var out []string
		for _, c := range camp.Criteria {
			for _, k := range kinds {
				if c.AppliesTo == k && c.JudgedBy == "ruling" {
					out = append(out, c.ID)
				}
			}
		}
		return out
	}

	// Each script is over 40 commands, so with up to 100 ms of thought before each the
	// slowest of them runs for well over 2 s whatever the machine's speed, while the third
	// kill comes at most 3 × 500 ms (plus two restarts) after the first command: at least 3
	// kills always fall within the scripts. (At 50 ms the scripts could end after 1.3 s.)
	d.think = 100 * time.Millisecond
	// The killer: SIGKILL after a random 120–500 ms of service, restart, again; at least
	// minKills times, and until the command stream is done.
	var streamDone, scriptsDone atomic.Bool
	var killedAt []int // commands answered when each kill happened
	duringScripts := 0
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for srv.killCount() < minKills || !streamDone.Load() {
			time.Sleep(time.Duration(120+rng.IntN(380)) * time.Millisecond)
			if (srv.killCount() >= minKills && streamDone.Load()) || t.Failed() {
				return
			}
			d.mu.Lock()
			killedAt = append(killedAt, len(d.acks))
			d.mu.Unlock()
			if !scriptsDone.Load() {
				duringScripts++
			}
			srv.kill()
			srv.run()
		}
	}()

	// The stream: one client per unit, each a script of commands, all at once.
	noms := make([][2]string, crashWorkers)
	var wg, scripts sync.WaitGroup
	scripts.Add(crashWorkers)
	go func() {
		scripts.Wait()
		scriptsDone.Store(true)
	}()
	for w := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, clerk := fmt.Sprintf("U%d", w), clerks[w]
			pdf := func(tag string) []byte { return []byte(fmt.Sprintf("%%PDF-1.4 %s %s %d", u, tag, seed)) }
			d.do(request{name: "plan " + u, token: clerk, method: "POST", path: "/api/v1/units/" + u + "/plans", fields: map[string]string{"campaign": crashCampaign}, file: pdf("plan")})
			for i := 1; i <= 3; i++ {
				d.do(request{name: fmt.Sprintf("register %s-X%d", u, i), token: admin, method: "POST", path: "/api/v1/units",
					json: map[string]any{"id": fmt.Sprintf("%s-X%d", u, i), "name": fmt.Sprintf("Xã %d của %s", i, u), "kind": "commune", "parent": u}})
			}
			coll := d.do(request{name: "open collective " + u, token: clerk, method: "POST", path: "/api/v1/campaigns/" + crashCampaign + "/nominations",
				json: map[string]any{"unit": u, "nominee": map[string]any{"kind": "collective"}}})["id"].(string)
			indiv := d.do(request{name: "open individual " + u, token: clerk, method: "POST", path: "/api/v1/campaigns/" + crashCampaign + "/nominations",
				json: map[string]any{"unit": u, "nominee": map[string]any{"kind": "individual", "name": "Nguyễn Thị " + u, "position": "Giám đốc", "gender": "female", "head": true}}})["id"].(string)
			noms[w] = [2]string{coll, indiv}
			for _, n := range []string{coll, indiv} {
				for _, kind := range []string{"letter", "council_minutes", "achievement_report"} {
					d.do(request{name: "attach " + kind + " " + n, token: clerk, method: "POST", path: "/api/v1/nominations/" + n + "/documents", fields: map[string]string{"kind": kind}, file: pdf(kind + n)})
				}
				d.do(request{name: "vote " + n, token: clerk, method: "POST", path: "/api/v1/nominations/" + n + "/council-vote", json: map[string]any{"meeting_date": "2025-09-10", "members": 9, "present": 9, "approve": 7 + w%3}})
				d.do(request{name: "submit " + n, token: clerk, method: "POST", path: "/api/v1/nominations/" + n + "/submit"})
			}
			for i, f := range goodFacts(80 + float64(w)) {
				f["campaign"] = crashCampaign
				if w == 3 && f["fact"] == "disbursement_pct" {
					f["value"], f["cause"] = 96, "subjective" // U3 is excluded (C08)
				}
				d.do(request{name: fmt.Sprintf("fact %d %s", i, u), token: reviewer, method: "POST", path: "/api/v1/units/" + u + "/facts", json: f})
			}
			for _, c := range ruled("collective") {
				d.do(request{name: "rule " + c + " " + coll, token: reviewer, method: "POST", path: "/api/v1/nominations/" + coll + "/criteria/" + c, json: map[string]any{"result": "met", "note": "đạt"}})
			}
			for _, c := range ruled("individual", "head") {
				d.do(request{name: "rule " + c + " " + indiv, token: reviewer, method: "POST", path: "/api/v1/nominations/" + indiv + "/criteria/" + c, json: map[string]any{"result": "met", "note": "đạt"}})
			}
			d.do(request{name: "hold " + indiv, token: reviewer, method: "POST", path: "/api/v1/nominations/" + indiv + "/hold", json: map[string]any{"reason": "xác minh đơn thư"}})
			if w%2 == 0 {
				d.do(request{name: "release " + indiv, token: reviewer, method: "POST", path: "/api/v1/nominations/" + indiv + "/release", json: map[string]any{"reason": "đã xác minh"}})
			}
			// A merger: one atomic append across three units.
			d.do(request{name: "merge " + u, token: admin, method: "POST", path: "/api/v1/reorganisations", json: map[string]any{
				"kind": "merge", "sources": []string{u + "-X1", u + "-X2"}, "successor": u + "-M", "successor_name": "Xã hợp nhất " + u,
				"successor_kind": "commune", "effective": "2025-07-01", "decision": "Nghị quyết sắp xếp " + u}})
			scripts.Done()
			// Filler until enough kills have happened: facts about the communes.
			for i := 0; srv.killCount() < minKills; i++ {
				d.do(request{name: fmt.Sprintf("filler %d %s", i, u), token: reviewer, method: "POST", path: "/api/v1/units/" + u + "-X3/facts",
					json: map[string]any{"campaign": crashCampaign, "fact": "late_dossiers", "value": i % 3}})
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// The council grants the recommended collectives: atomic appends on the campaign and a nomination.
	var rk struct {
		Collective struct {
			Entries []struct {
				Nomination  string `json:"nomination"`
				Recommended bool   `json:"recommended"`
			} `json:"entries"`
		} `json:"collective"`
	}
	if err := json.Unmarshal(d.get(admin, "/api/v1/campaigns/"+crashCampaign+"/ranking"), &rk); err != nil {
		t.Fatal(err)
	}
	granted := 0
	for _, e := range rk.Collective.Entries {
		if e.Recommended && granted < 3 {
			d.do(request{name: "grant " + e.Nomination, token: council, method: "POST", path: "/api/v1/campaigns/" + crashCampaign + "/awards", json: map[string]any{"nomination": e.Nomination, "decision": "QĐ khen thưởng"}})
			granted++
		}
	}
	streamDone.Store(true)
	<-killerDone
	if t.Failed() {
		return
	}
	kills := srv.killCount()
	if kills < minKills {
		t.Errorf("%d kills, want at least %d", kills, minKills)
	}
	if granted == 0 {
		t.Errorf("no collective was recommended: %+v", rk)
	}

	retried, replayed := 0, 0
	for _, a := range d.acks {
		if a.attempts > 1 {
			retried++
		}
		if a.replayed {
			replayed++
		}
	}
	t.Logf("%d commands answered 2xx through %d kills, %d of them while the clients' scripts ran (commands answered at each kill: %v; start and restarts took %v); %d commands needed a retry after a kill, %d of them answered as replays of a command already stored",
		len(d.acks), kills, duringScripts, killedAt, srv.start, retried, replayed)
	if duringScripts < 3 {
		t.Errorf("only %d kills happened while the scripts ran", duringScripts)
	}

	// What the server answers now, after its last restart and the commands since.
	var nomIDs []string
	for _, n := range noms {
		nomIDs = append(nomIDs, n[0], n[1])
	}
	liveRanking := d.get(admin, "/api/v1/campaigns/"+crashCampaign+"/ranking")
	liveEl := map[string][]byte{}
	for _, n := range nomIDs {
		liveEl[n] = d.get(admin, "/api/v1/nominations/"+n+"/eligibility")
	}
	// Every acknowledged command's events, through the API's audit trails.
	seen := map[string]bool{}
	collect := func(b []byte) {
		var v struct {
			Events []struct {
				ID string `json:"id"`
			} `json:"events"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range v.Events {
			if seen[e.ID] {
				t.Errorf("event %s appears twice in the audit trails", e.ID)
			}
			seen[e.ID] = true
		}
	}
	for _, n := range nomIDs {
		collect(d.get(admin, "/api/v1/nominations/"+n+"/events"))
	}
	var units struct {
		Units []struct {
			ID string `json:"id"`
		} `json:"units"`
	}
	if err := json.Unmarshal(d.get(admin, "/api/v1/units"), &units); err != nil {
		t.Fatal(err)
	}
	for _, u := range units.Units {
		collect(d.get(admin, "/api/v1/units/"+u.ID+"/events"))
	}
	collect(d.get(admin, "/api/v1/campaigns/"+crashCampaign+"/events"))
	missing := 0
	for _, a := range d.acks {
		if strings.HasPrefix(a.name, "create ") {
			continue // the user registry's events have no audit trail route
		}
		for _, id := range a.events {
			if !seen[id] {
				missing++
				t.Errorf("%s was answered %d with event %s, which the API does not show", a.name, a.status, id)
			}
		}
	}

	// A last crash, then the offline checks on the stopped data directory.
	srv.kill()
	checkStream(t, srv.data, d.acks)

	out, code := srv.thidua("verify")
	t.Logf("thidua verify: exit %d: %s", code, firstLines(out, 3))
	if code != 0 {
		t.Errorf("thidua verify exited %d:\n%s", code, out)
	}
	out, code = srv.thidua("replay")
	if code != 0 {
		t.Fatalf("thidua replay exited %d:\n%s", code, out)
	}
	t.Logf("thidua replay: %s", firstLines(out, 1))
	out, code = srv.thidua("ranking", crashCampaign, "--format", "json")
	if code != 0 {
		t.Fatalf("thidua ranking exited %d:\n%s", code, out)
	}
	sameJSON(t, "ranking: the server's answer and `thidua ranking --format json` after replay", liveRanking, out)
	for _, n := range []string{noms[0][0], noms[3][0], noms[1][1]} {
		out, code = srv.thidua("explain", n, "--json")
		if code != 0 {
			t.Fatalf("thidua explain exited %d:\n%s", code, out)
		}
		sameJSON(t, "eligibility of "+n+": the server's answer and `thidua explain --json` after replay", liveEl[n], out)
	}

	// A full rebuild in process: every nomination's eligibility and the ranking, byte for byte.
	ctx := context.Background()
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(srv.data), eventstore.WithRegistry(workflows.EventRegistry()),
		eventstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ps := m.IntegrityProblems(); len(ps) > 0 {
		t.Errorf("the rebuild finds broken hash chains: %+v", ps)
	}
	eligible := 0
	for _, n := range nomIDs {
		el, err := m.Eligibility(n, projections.Bound{})
		if err != nil {
			t.Fatal(err)
		}
		if el.Eligible {
			eligible++
		}
		b, _ := json.Marshal(el)
		if string(b) != strings.TrimSpace(string(liveEl[n])) {
			t.Errorf("eligibility of %s: the server answered\n%s\nthe rebuild says\n%s", n, liveEl[n], b)
		}
	}
	rebuilt, err := m.Ranking(crashCampaign, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(rebuilt); string(b) != strings.TrimSpace(string(liveRanking)) {
		t.Errorf("ranking: the server answered\n%s\nthe rebuild says\n%s", liveRanking, b)
	}

	// And once more as a server, from the snapshot `thidua replay` saved.
	srv.run()
	sameJSON(t, "ranking after a restart from the snapshot", liveRanking, d.get(admin, "/api/v1/campaigns/"+crashCampaign+"/ranking"))
	t.Logf("%d nominations (%d eligible), %d awards, %d commands checked; the whole test took %s",
		len(nomIDs), eligible, granted, len(d.acks), time.Since(began).Round(time.Millisecond))
}

// checkStream reads the stopped store as stored and checks every acknowledged command:
// its events are in the stream once, and the commits under its key are exactly the ones
// that carry them (the command was carried out once, however often it was sent).
func checkStream(t *testing.T, data string, acks []ack) {
	t.Helper()
	ctx := context.Background()
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(data), eventstore.WithRegistry(workflows.EventRegistry()),
		eventstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := map[string]int{}
	byKey := map[string][]string{}       // client key -> event ids stored under it
	keySubjects := map[string][]string{} // client key -> subjects of its commits
	commits := 0
	_, err = st.Read(ctx, eventstore.ReadOptions{Raw: true}, func(c eventstore.Commit) error {
		commits++
		key := ""
		if parts := strings.Split(c.Key, "|"); len(parts) == 3 {
			key = parts[1]
		}
		for _, e := range c.Events {
			count[e.ID]++
			if key != "" {
				byKey[key] = append(byKey[key], e.ID)
			}
		}
		if key != "" {
			keySubjects[key] = append(keySubjects[key], c.Subject)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("event %s is stored %d times", id, n)
		}
	}
	for key, subjects := range keySubjects {
		sorted := append([]string(nil), subjects...)
		sort.Strings(sorted)
		for i := 1; i < len(sorted); i++ {
			if sorted[i] == sorted[i-1] {
				t.Errorf("command %s was appended twice to %s", key, sorted[i])
			}
		}
	}
	for _, a := range acks {
		for _, id := range a.events {
			if count[id] != 1 {
				t.Errorf("%s was answered %d with event %s, stored %d times", a.name, a.status, id, count[id])
			}
		}
		got := append([]string(nil), byKey[a.key]...)
		want := append([]string(nil), a.events...)
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the answer named events %v, the stream holds %v under its key", a.name, want, got)
		}
	}
	t.Logf("stream: %d commits, %d events, %d commands with a key; every acknowledged command's events stored exactly once", commits, len(count), len(keySubjects))
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("%s: %v: %s", what, err, got)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s differ:\n%s\n%s", what, want, got)
	}
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// TestStopCutsSlowRequestsShort: a stop (SIGTERM) that finds a request still under way
// after --shutdown-grace (a body arriving slowly) cuts it short, says so in the log, and
// exits with status 2, an error, not as a clean stop.
func TestStopCutsSlowRequestsShort(t *testing.T) {
	dir := t.TempDir()
	bin := buildThidua(t, dir)
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	srv := &server{t: t, bin: bin, data: filepath.Join(dir, "data"), addr: freeLoopbackAddr(t), log: logFile, args: []string{"--shutdown-grace", "300ms"}}
	srv.run()
	defer srv.kill()

	// A command whose body never ends.
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/units HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\": \"SLOW\",", crashAdminToken)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(srv.url("/metrics"))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "thidua_api_inflight_commands 1\n") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow command never came in flight")
		}
	}

	srv.mu.Lock()
	cmd := srv.cmd
	srv.cmd = nil
	srv.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("no stop within 20 s of SIGTERM; log:\n%s", srv.tail())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("exit: %v, want status 2; log:\n%s", err, srv.tail())
	}
	if !strings.Contains(srv.tail(), "were cut short") {
		t.Errorf("the log does not say requests were cut short:\n%s", srv.tail())
	}
}
