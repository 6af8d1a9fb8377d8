//go:build cluster

package main

// Two `thidua serve` processes on one three-node JetStream cluster, as two instances
// behind a load balancer would run: both are started at once on an empty cluster with
// `--nats <the three client URLs> --replicas 3` and the same THIDUA_ADMIN_TOKEN. Setup goes
// through both; then the same conflicting command is sent through both at the same moment
// (holds without a key, grants with different keys): exactly one wins, the other is
// refused, and the stream holds the winner's event only. The same command with the same
// Idempotency-Key through both at once appends once. Afterwards both serve byte-identical
// rankings, nominations and audit trails; and while both record facts, every ranking
// export from one is the ranking of the stream up to the sequence it states, sealed by
// the stream's digest there; and an answer as of now from one counts a fact just recorded
// through the other.
//
// It builds the binary and takes 5–20 s, hence the build tag:
//
//	go test -tags cluster -count=1 -run '^TestTwoServeProcessesOnOneCluster$' -v ./cmd/thidua/

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"thidua/cmd/thidua/rankexport"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
)

const (
	twoAdminToken = "two-serve-admin-token-0123456789"
	twoCampaign   = "ninh-thuan-cchc-2025"
	// twoRounds is how many hold races (each followed by a keyed release race) run.
	twoRounds = 5
	// twoCatchUp bounds how long a server may take to show what the other one wrote.
	twoCatchUp = 15 * time.Second
)

// serveProc is one `thidua serve` child process.
type serveProc struct {
	name   string
	addr   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error // cmd.Wait's result, once exited is closed
	http   *http.Client
}

// answer is one HTTP answer.
type answer struct {
	srv, method, path string
	status            int
	header            http.Header
	body              []byte
}

func (a answer) String() string {
	b := bytes.TrimSpace(a.body)
	if len(b) > 600 {
		b = append(b[:600:600], "…"...)
	}
	return fmt.Sprintf("%s: %s %s → %d %s", a.srv, a.method, a.path, a.status, b)
}

func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("want %d: %s", status, a)
	}
	return a
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
}

func (a answer) str(t *testing.T, key string) string {
	t.Helper()
	var m map[string]any
	a.decode(t, &m)
	s, _ := m[key].(string)
	if s == "" {
		t.Fatalf("%s: no %q", a, key)
	}
	return s
}

func (a answer) events(t *testing.T) []string {
	t.Helper()
	var v struct {
		Events []string `json:"events"`
	}
	a.decode(t, &v)
	return v.Events
}

func (a answer) errCode(t *testing.T) string {
	t.Helper()
	var v struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	a.decode(t, &v)
	if v.Error.Code == "" {
		t.Fatalf("%s: not an error answer", a)
	}
	return v.Error.Code
}

// startServe starts `thidua serve` on the cluster and stops it when the test ends
// (SIGTERM, then SIGKILL after 10 s). It does not wait for readiness.
func startServe(t *testing.T, bin, name, nats, dir string) *serveProc {
	t.Helper()
	data := filepath.Join(dir, name+"-data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{name: name, addr: freeLoopbackAddr(t), log: filepath.Join(dir, name+".log"), exited: make(chan struct{}),
		http: &http.Client{Timeout: 20 * time.Second}}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "serve", "--nats", nats, "--replicas", "3", "--addr", s.addr, "--data", data, "--log-level", "info")
	s.cmd.Env = append(os.Environ(), "THIDUA_ADMIN_TOKEN="+twoAdminToken, "THIDUA_WEB_SECRET=two-servers-web-secret")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	dieWithTest(s.cmd)
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
			t.Errorf("%s exited before the end of the test: %v\n%s", s.name, s.err, s.tail())
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
			if s.err != nil {
				t.Errorf("%s: after SIGTERM: %v\n%s", s.name, s.err, s.tail())
			}
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("%s did not stop within 10 s of SIGTERM; killed\n%s", s.name, s.tail())
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", s.name, s.tail())
		}
	})
	return s
}

func (s *serveProc) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitReady polls /readyz until it answers 200 (the projections have caught up with the
// stream), failing early if the process ends.
func (s *serveProc) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.exited:
			t.Fatalf("%s exited while starting: %v\n%s", s.name, s.err, s.tail())
		default:
		}
		resp, err := s.http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s (last: %v)\n%s", s.name, timeout, err, s.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readySteps returns store_open_in, projections_in and ready_in from the server's
// "thidua serving" log line, waiting a little for the line (the listener starts just
// before it is written).
func (s *serveProc) readySteps(t *testing.T) [3]time.Duration {
	t.Helper()
	re := regexp.MustCompile(`msg="thidua serving".* ready_in=(\S+) store_open_in=(\S+) projections_in=(\S+)`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(s.log)
		if m := re.FindSubmatch(b); m != nil {
			var d [3]time.Duration
			for i, field := range [][]byte{m[2], m[3], m[1]} {
				v, err := time.ParseDuration(string(field))
				if err != nil {
					t.Fatalf("%s: %q in the start-up's log line: %v", s.name, field, err)
				}
				d[i] = v
			}
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no \"thidua serving\" line with the start-up's steps\n%s", s.name, s.tail())
		}
	}
}

// request builds a request to the server: body nil, or a value sent as JSON.
func (s *serveProc) request(t *testing.T, method, path, token string, body any, headers ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func (s *serveProc) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	a, err := s.try(req)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", s.name, req.Method, req.URL.Path, err)
	}
	return a
}

func (s *serveProc) try(req *http.Request) (answer, error) {
	resp, err := s.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{srv: s.name, method: req.Method, path: req.URL.RequestURI(), status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (s *serveProc) get(t *testing.T, path, token string) answer {
	t.Helper()
	return s.send(t, s.request(t, http.MethodGet, path, token, nil))
}

func (s *serveProc) post(t *testing.T, path, token string, body any, headers ...string) answer {
	t.Helper()
	return s.send(t, s.request(t, http.MethodPost, path, token, body, headers...))
}

// upload posts a multipart form with fields and one small PDF.
func (s *serveProc) upload(t *testing.T, path, token string, fields map[string]string, file string) answer {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		_ = mw.WriteField(k, fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "tai-lieu.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4 " + file))
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return s.send(t, req)
}

// race sends the requests at the same moment, each to its server, and returns the answers
// in order.
func race(t *testing.T, srvs []*serveProc, reqs []*http.Request) []answer {
	t.Helper()
	out := make([]answer, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = srvs[i].try(reqs[i])
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameOnBoth polls GET path on both servers until both answer 200 with byte-identical
// bodies and the same ETag, and returns the body.
func sameOnBoth(t *testing.T, a, b *serveProc, path, token string) []byte {
	t.Helper()
	start := time.Now()
	deadline := start.Add(twoCatchUp)
	for {
		ra, rb := a.get(t, path, token), b.get(t, path, token)
		if ra.status == http.StatusOK && rb.status == http.StatusOK && bytes.Equal(ra.body, rb.body) &&
			ra.header.Get("ETag") == rb.header.Get("ETag") {
			if d := time.Since(start); d > time.Second {
				t.Logf("GET %s: the servers agreed after %s", path, d.Round(time.Millisecond))
			}
			return ra.body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: the servers still differ after %s:\n%s (ETag %s)\n%s (ETag %s)", path, twoCatchUp,
				ra, ra.header.Get("ETag"), rb, rb.header.Get("ETag"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eligibleCollectiveVia drives a collective nomination of an existing unit, whose clerk is
// given, to eligible through s (plan, nomination, dossier, council vote, submission, facts,
// rulings), and returns its id.
func eligibleCollectiveVia(t *testing.T, s *serveProc, clerk, reviewer, unit string, parIndex float64, criteria []string) string {
	t.Helper()
	s.upload(t, "/api/v1/units/"+unit+"/plans", clerk, map[string]string{"campaign": twoCampaign}, "plan "+unit).want(t, http.StatusCreated)
	nom := s.post(t, "/api/v1/campaigns/"+twoCampaign+"/nominations", clerk,
		map[string]any{"unit": unit, "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	for _, kind := range []string{"letter", "council_minutes", "achievement_report"} {
		s.upload(t, "/api/v1/nominations/"+nom+"/documents", clerk, map[string]string{"kind": kind}, kind+" "+nom).want(t, http.StatusCreated)
	}
	s.post(t, "/api/v1/nominations/"+nom+"/council-vote", clerk,
		map[string]any{"meeting_date": "2025-09-10", "members": 9, "present": 9, "approve": 8}).want(t, http.StatusCreated)
	s.post(t, "/api/v1/nominations/"+nom+"/submit", clerk, nil).want(t, http.StatusOK)
	for _, f := range goodFacts(parIndex) {
		f["campaign"] = twoCampaign
		s.post(t, "/api/v1/units/"+unit+"/facts", reviewer, f).want(t, http.StatusCreated)
	}
	for _, c := range criteria {
		s.post(t, "/api/v1/nominations/"+nom+"/criteria/"+c, reviewer, map[string]any{"result": "met", "note": "đạt"}).want(t, http.StatusCreated)
	}
	var el struct {
		Eligible bool `json:"eligible"`
	}
	r := s.get(t, "/api/v1/nominations/"+nom+"/eligibility", reviewer).want(t, http.StatusOK)
	r.decode(t, &el)
	if !el.Eligible {
		t.Fatalf("nomination %s of %s is not eligible: %s", nom, unit, r)
	}
	return nom
}

// oneWinner checks that exactly one answer has status win and the other is refused with
// one of the codes; it returns the winner's index.
func oneWinner(t *testing.T, what string, rs []answer, win int, refused map[int][]string) int {
	t.Helper()
	winner := -1
	for i, r := range rs {
		if r.status == win {
			if winner >= 0 {
				t.Fatalf("%s: both won:\n%s\n%s", what, rs[0], rs[1])
			}
			winner = i
			continue
		}
		codes, ok := refused[r.status]
		if !ok || !slices.Contains(codes, r.errCode(t)) {
			t.Fatalf("%s: want one %d and one refusal %v:\n%s\n%s", what, win, refused, rs[0], rs[1])
		}
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won:\n%s\n%s", what, rs[0], rs[1])
	}
	return winner
}

// streamTally is what the stream holds, read directly from the cluster.
type streamTally struct {
	commits int
	byType  map[string]int            // event type -> count, all aggregates
	onAgg   map[string]map[string]int // aggregate id -> event type -> count
	ids     map[string]int            // event id -> count
	keys    map[string]int            // idempotency key (client part) -> commits
}

func readStream(t *testing.T, st *eventstore.Store) streamTally {
	t.Helper()
	tl := streamTally{byType: map[string]int{}, onAgg: map[string]map[string]int{}, ids: map[string]int{}, keys: map[string]int{}}
	_, err := st.Read(context.Background(), eventstore.ReadOptions{Raw: true}, func(c eventstore.Commit) error {
		tl.commits++
		if parts := strings.Split(c.Key, "|"); len(parts) == 3 {
			tl.keys[parts[1]]++
		}
		for _, e := range c.Events {
			tl.byType[e.Type]++
			if tl.onAgg[e.Aggregate.ID] == nil {
				tl.onAgg[e.Aggregate.ID] = map[string]int{}
			}
			tl.onAgg[e.Aggregate.ID][e.Type]++
			tl.ids[e.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the stream: %v", err)
	}
	return tl
}

func TestTwoServeProcessesOnOneCluster(t *testing.T) {
	began := time.Now()
	c, err := estest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown) // runs after the processes are stopped (cleanups run last first)
	t.Logf("3-node cluster formed in %s: %s", time.Since(began).Round(time.Millisecond), c.URLs())

	dir := t.TempDir()
	t0 := time.Now()
	bin := buildThidua(t, dir)
	t.Logf("built the binary in %s", time.Since(t0).Round(time.Millisecond))

	// Both at once on the empty cluster: each creates or finds the stream and the bucket,
	// and bootstraps the first admin and the built-in campaign (once between them).
	t0 = time.Now()
	a := startServe(t, bin, "A", c.URLs(), dir)
	b := startServe(t, bin, "B", c.URLs(), dir)
	a.waitReady(t, 60*time.Second)
	b.waitReady(t, 60*time.Second)
	t.Logf("both servers ready in %s (A %s, B %s)", time.Since(t0).Round(time.Millisecond), a.addr, b.addr)
	for _, s := range []*serveProc{a, b} {
		// The start-up's log line breaks ready_in down into its steps, in order.
		steps := s.readySteps(t)
		if !(0 < steps[0] && steps[0] <= steps[1] && steps[1] <= steps[2]) {
			t.Errorf("%s: start-up steps store_open_in, projections_in, ready_in = %v, want increasing", s.name, steps)
		}
	}
	if d := time.Since(t0); d > 8*time.Second {
		// The store looks before it creates the document bucket, so that two processes
		// starting together do not stall each other (eventstore.TestReplicasOnlyGrow).
		t.Errorf("a concurrent start on an empty cluster took %s", d.Round(time.Millisecond))
	}
	both := []*serveProc{a, b}

	// The stream and the document bucket have three replicas.
	ctx := context.Background()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		t.Fatalf("stream %s: %v", eventstore.DefaultStream, err)
	}
	if info := stream.CachedInfo(); info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream %s: replicas %d, cluster %+v", eventstore.DefaultStream, info.Config.Replicas, info.Cluster)
	}
	docs, err := js.ObjectStore(ctx, eventstore.DefaultDocumentBucket)
	if err != nil {
		t.Fatalf("document bucket: %v", err)
	}
	if ds, err := docs.Status(ctx); err != nil || ds.Replicas() != 3 {
		t.Fatalf("document bucket status: %v, %v", ds, err)
	}
	store, err := eventstore.Open(ctx, eventstore.WithURL(c.URLs()), eventstore.WithReplicas(3),
		eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("open the stream from the test: %v", err)
	}
	t.Cleanup(store.Close)

	// Setup. Units and users through A; the first nomination through A, the second through
	// B (once B knows the users A created).
	admin := twoAdminToken
	for _, u := range []string{"SNV", "U1", "U2"} {
		a.post(t, "/api/v1/units", admin, map[string]any{"id": u, "name": "Đơn vị " + u, "kind": "department"}).want(t, http.StatusCreated)
	}
	newUser := func(name, role, unit string) string {
		body := map[string]any{"name": name, "role": role}
		if unit != "" {
			body["unit"] = unit
		}
		return a.post(t, "/api/v1/users", admin, body).want(t, http.StatusCreated).str(t, "token")
	}
	reviewer := newUser("Chuyên viên thẩm định", "reviewer", "SNV")
	council := newUser("Thư ký Hội đồng", "council", "")
	clerk1 := newUser("Văn thư U1", "clerk", "U1")
	clerk2 := newUser("Văn thư U2", "clerk", "U2")
	var camp struct {
		Criteria []struct {
			ID        string `json:"id"`
			AppliesTo string `json:"applies_to"`
			JudgedBy  string `json:"judged_by"`
		} `json:"criteria"`
	}
	a.get(t, "/api/v1/campaigns/"+twoCampaign, admin).want(t, http.StatusOK).decode(t, &camp)
	var ruled []string
	for _, cr := range camp.Criteria {
		if cr.AppliesTo == "collective" && cr.JudgedBy == "ruling" {
			ruled = append(ruled, cr.ID)
		}
	}
	nom1 := eligibleCollectiveVia(t, a, clerk1, reviewer, "U1", 91, ruled)
	// B knows the users once its projections have caught up with the stream (its /readyz;
	// polling with a token B does not know yet would count as failed authentications).
	b.waitReady(t, twoCatchUp)
	for _, tok := range []string{reviewer, council, clerk2} {
		b.get(t, "/api/v1/me", tok).want(t, http.StatusOK)
	}
	nom2 := eligibleCollectiveVia(t, b, clerk2, reviewer, "U2", 84, ruled)
	nomPath := "/api/v1/nominations/" + nom1
	sameOnBoth(t, a, b, nomPath, admin)
	t.Logf("setup done at %s: %s (through A) and %s (through B) eligible", time.Since(began).Round(time.Millisecond), nom1, nom2)

	// Holds without a key through A and B at once: one wins, the other is refused (409).
	// Then the release with one key through both at once: one append, the same answer.
	wins := [2]int{}
	refusals := map[string]int{}
	var lastKey string
	var lastRelease []string
	for round := range twoRounds {
		rs := race(t, both, []*http.Request{
			a.request(t, http.MethodPost, nomPath+"/hold", reviewer, map[string]any{"reason": fmt.Sprintf("khiếu nại %d qua A", round)}),
			b.request(t, http.MethodPost, nomPath+"/hold", reviewer, map[string]any{"reason": fmt.Sprintf("khiếu nại %d qua B", round)}),
		})
		w := oneWinner(t, fmt.Sprintf("round %d: two holds", round), rs, http.StatusOK,
			map[int][]string{http.StatusConflict: {"invalid_transition", "conflict"}})
		wins[w]++
		refusals[rs[1-w].errCode(t)]++
		// The hold, and its note on the unit (unit.hold_noted: it stops the grant of the
		// unit's other collective nomination).
		if n := len(rs[w].events(t)); n != 2 {
			t.Fatalf("round %d: the hold appended %d events: %s", round, n, rs[w])
		}
		sameOnBoth(t, a, b, nomPath, admin)

		lastKey = fmt.Sprintf("release-%d", round)
		release := map[string]any{"reason": "đã xác minh"}
		rs = race(t, both, []*http.Request{
			a.request(t, http.MethodPost, nomPath+"/release", reviewer, release, "Idempotency-Key", lastKey),
			b.request(t, http.MethodPost, nomPath+"/release", reviewer, release, "Idempotency-Key", lastKey),
		})
		rs[0].want(t, http.StatusOK)
		rs[1].want(t, http.StatusOK)
		ea, eb := rs[0].events(t), rs[1].events(t)
		if len(ea) != 1 || !slices.Equal(ea, eb) {
			t.Fatalf("round %d: one key through both servers answered different events:\n%s\n%s", round, rs[0], rs[1])
		}
		replayed := 0
		for _, r := range rs {
			if r.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != 1 {
			t.Fatalf("round %d: %d of the two answers say Idempotent-Replayed, want 1:\n%s\n%s", round, replayed, rs[0], rs[1])
		}
		lastRelease = ea
		sameOnBoth(t, a, b, nomPath, admin)
	}
	t.Logf("%d hold races: A won %d, B won %d, the loser was answered %v; every keyed release appended once", twoRounds, wins[0], wins[1], refusals)

	// A late retry of the last release, with its key, through either server: replayed.
	for _, s := range both {
		r := s.post(t, nomPath+"/release", reviewer, map[string]any{"reason": "đã xác minh"}, "Idempotency-Key", lastKey).want(t, http.StatusOK)
		if !slices.Equal(r.events(t), lastRelease) || r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry of %s: %s (want events %v, replayed)", lastKey, r, lastRelease)
		}
	}

	// The council grants the same nomination through A and B at once, with different keys.
	grants := "/api/v1/campaigns/" + twoCampaign + "/awards"
	rs := race(t, both, []*http.Request{
		a.request(t, http.MethodPost, grants, council, map[string]any{"nomination": nom1, "decision": "QĐ 1/QĐ-UBND"}, "Idempotency-Key", "grant-via-a"),
		b.request(t, http.MethodPost, grants, council, map[string]any{"nomination": nom1, "decision": "QĐ 1/QĐ-UBND"}, "Idempotency-Key", "grant-via-b"),
	})
	w := oneWinner(t, "two grants", rs, http.StatusCreated, map[int][]string{
		http.StatusConflict: {"invalid_transition", "conflict", "already_awarded"},
	})
	award := rs[w].str(t, "id")
	t.Logf("two grants: %s won (%s), the other: %s", rs[w].srv, award, rs[1-w])

	// Both serve the same thing.
	ranking := sameOnBoth(t, a, b, "/api/v1/campaigns/"+twoCampaign+"/ranking", admin)
	var rk struct {
		Collective struct {
			Awarded int `json:"awarded"`
			Entries []struct {
				Nomination string `json:"nomination"`
			} `json:"entries"`
		} `json:"collective"`
	}
	if err := json.Unmarshal(ranking, &rk); err != nil {
		t.Fatal(err)
	}
	var ranked []string
	for _, e := range rk.Collective.Entries {
		ranked = append(ranked, e.Nomination)
	}
	if rk.Collective.Awarded != 1 || !slices.Equal(ranked, []string{nom1, nom2}) {
		t.Fatalf("ranking: awarded %d, entries %v; want 1 and [%s %s]:\n%s", rk.Collective.Awarded, ranked, nom1, nom2, ranking)
	}
	var nv struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(sameOnBoth(t, a, b, nomPath, admin), &nv); err != nil || nv.State != string(domain.StateAwarded) {
		t.Fatalf("nomination %s: state %q (%v), want awarded", nom1, nv.State, err)
	}
	for _, p := range []string{
		"/api/v1/nominations/" + nom2,
		nomPath + "/eligibility",
		nomPath + "/events",
		"/api/v1/awards/" + award,
		"/api/v1/campaigns/" + twoCampaign,
		"/api/v1/units",
	} {
		sameOnBoth(t, a, b, p, admin)
	}

	// Exports while both servers write: each is the ranking of the stream up to the
	// sequence it states, sealed by the stream's digest there.
	sealedExportsWhileBothWrite(ctx, t, store, a, b, admin, reviewer)

	// The web UI behind a load balancer without sticky sessions: a form rendered by A is
	// accepted by B (both sign CSRF tokens with THIDUA_WEB_SECRET), and the session it
	// opens works on A.
	webSignInAcross(t, a, b)

	// The stream, read directly from the cluster: the winners' events only, each once.
	tRead := time.Now()
	tl := readStream(t, store)
	t.Logf("read the stream in %s", time.Since(tRead).Round(time.Millisecond))
	for id, n := range tl.ids {
		if n != 1 {
			t.Errorf("event %s is stored %d times", id, n)
		}
	}
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d in the stream, want %d", what, got, want)
		}
	}
	check("nomination.held on "+nom1, tl.onAgg[nom1][domain.NominationHeld], twoRounds)
	check("nomination.released on "+nom1, tl.onAgg[nom1][domain.NominationReleased], twoRounds)
	check("nomination.awarded on "+nom1, tl.onAgg[nom1][domain.NominationAwarded], 1)
	check("campaign.award_granted", tl.byType[domain.AwardGranted], 1)
	check("campaign.launched (bootstrapped by two servers at once)", tl.byType[domain.CampaignLaunched], 1)
	check("registry.user_registered (the admin, bootstrapped by two servers at once, and four users)", tl.byType[domain.UserRegistered], 5)
	for round := range twoRounds {
		check("commits under key release-"+fmt.Sprint(round), tl.keys[fmt.Sprintf("release-%d", round)], 1)
	}
	// A grant is one atomic append on the campaign, the nomination and the unit whose
	// facts its eligibility read (unit.award_noted): three commits under the winner's
	// key, none under the loser's.
	winKey, loseKey := "grant-via-a", "grant-via-b"
	if w == 1 {
		winKey, loseKey = loseKey, winKey
	}
	check("commits under the winning grant's key "+winKey, tl.keys[winKey], 3)
	check("commits under the losing grant's key "+loseKey, tl.keys[loseKey], 0)
	rep, err := store.VerifyChains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("hash chains: %+v", rep.Problems)
	}
	t.Logf("stream: %d commits, %d events, each once; both servers serve the same ranking (%d bytes); the test took %s",
		tl.commits, len(tl.ids), len(ranking), time.Since(began).Round(time.Millisecond))
}

// webSignInAcross loads the sign-in form from one server, posts it to the other, and
// opens the signed-in home page on the first.
func webSignInAcross(t *testing.T, from, to *serveProc) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + from.addr + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /signin on %s: %d, no CSRF token in the form", from.name, resp.StatusCode)
	}
	resp, err = client.PostForm("http://"+to.addr+"/signin", url.Values{"csrf": {string(m[1])}, "token": {twoAdminToken}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in form from %s posted to %s: %d, want 303\n%s", from.name, to.name, resp.StatusCode, body)
	}
	resp, err = client.Get("http://" + from.addr + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin on %s with the session opened on %s: %d, want 200", from.name, to.name, resp.StatusCode)
	}
}

// sealedExportsWhileBothWrite downloads the ranking's CSV export from a while a and b
// record facts that move U2 and U1 above and below each other. A server applies its own commits
// before its feed delivers the other's, so it can hold a commit above one it has not
// seen yet; an export must still be the ranking of the stream up to the sequence it
// states, sealed by the stream's digest up to it: each one's table is compared with the
// one a replay of the stream up to that sequence writes, and its digest with the
// stream's.
func sealedExportsWhileBothWrite(ctx context.Context, t *testing.T, store *eventstore.Store, a, b *serveProc, admin, reviewer string) {
	t.Helper()
	const seqLabel = "Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)"
	const digestLabel = "Mã niêm phong dữ liệu"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes sync.Map
	for i, s := range []*serveProc{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				// A scores U2, B scores U1: a commit of one missing under the other's
				// shows in the table.
				score := 78 + float64((2*n+i)%17) // 78–94
				body := map[string]any{"campaign": twoCampaign, "fact": "par_index_score", "value": score}
				r, err := s.try(s.request(t, http.MethodPost, "/api/v1/units/"+[]string{"U2", "U1"}[i]+"/facts", reviewer, body))
				if err != nil || r.status != http.StatusCreated {
					t.Errorf("%s: a fact while exporting: %v %s", s.name, err, r)
					return
				}
				writes.Store(s.name+fmt.Sprint(n), true)
			}
		}()
	}
	split := func(body []byte) (seq uint64, digest string, table string) {
		text := strings.TrimPrefix(string(body), rankexport.BOM)
		head, table, ok := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n")
		if !ok {
			t.Fatalf("an export without its table:\n%s", text)
		}
		for line := range strings.SplitSeq(head, "\n") {
			label, value, _ := strings.Cut(line, ",")
			label = strings.Trim(label, `"`)
			switch {
			case label == seqLabel:
				fmt.Sscan(strings.Trim(value, `"`), &seq)
			case strings.HasPrefix(label, digestLabel):
				digest = strings.Trim(value, `"`)
			}
		}
		return seq, digest, table
	}
	exports := 0
	for range 30 {
		r := a.get(t, "/api/v1/campaigns/"+twoCampaign+"/ranking?format=csv", admin).want(t, http.StatusOK)
		exports++
		seq, digest, table := split(r.body)
		if seq == 0 || len(digest) != 64 {
			t.Fatalf("an export states sequence %d and digest %q:\n%s", seq, digest, r.body)
		}
		m, err := projections.Rebuild(ctx, store, eventstore.ReadOptions{Until: seq}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.DigestAt(ctx, store, seq)
		if err != nil {
			t.Fatal(err)
		}
		if d.Hex() != digest {
			t.Errorf("the export at #%d states digest %s, the stream's is %s", seq, digest, d.Hex())
		}
		rk, err := m.Ranking(twoCampaign, projections.Bound{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rankexport.WriteCSV(ctx, &buf, rk, rankexport.Meta{Lang: rankexport.Vietnamese}); err != nil {
			t.Fatal(err)
		}
		if _, _, want := split(buf.Bytes()); table != want {
			t.Errorf("the export at #%d is not the ranking of the stream up to it:\n%s\nreplayed:\n%s", seq, table, want)
		}
	}
	close(stop)
	wg.Wait()
	n := 0
	writes.Range(func(any, any) bool { n++; return true })
	t.Logf("%d exports from A, each the replay of the stream up to its sequence, while A and B recorded %d facts", exports, n)

	// A fact recorded through B, then A asked at once for the ranking as of now: the
	// answer counts it (A waits for what the stream held when asked).
	for round := range 10 {
		score := 60.5 + float64(round)
		b.post(t, "/api/v1/units/U1/facts", reviewer, map[string]any{"campaign": twoCampaign, "fact": "par_index_score", "value": score}).want(t, http.StatusCreated)
		at := url.QueryEscape(time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano))
		var rk struct {
			Collective struct {
				Entries []struct {
					Unit string         `json:"unit"`
					Keys map[string]any `json:"keys"`
				} `json:"entries"`
			} `json:"collective"`
		}
		a.get(t, "/api/v1/campaigns/"+twoCampaign+"/ranking?at="+at, admin).want(t, http.StatusOK).decode(t, &rk)
		found := false
		for _, e := range rk.Collective.Entries {
			if e.Unit == "U1" {
				found = true
				if e.Keys["par_index_score"] != score {
					t.Errorf("round %d: A's ranking as of now has U1 at %v, B just recorded %v", round, e.Keys["par_index_score"], score)
				}
			}
		}
		if !found {
			t.Errorf("round %d: U1 is not in A's ranking as of now", round)
		}
	}
}
