package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"thidua/cmd/thidua/api"
)

// TestBackpressure fires a burst of 2,000 concurrent commands — far above the rate the
// engine sustains — at a server that serves at most 4 at once and lets a command wait
// 20 ms for a slot. Some are refused with 503 "overloaded" and Retry-After, every other
// one succeeds, nothing else fails, the heap stays bounded, and retrying the refused ones
// with their Idempotency-Key completes the burst with each command appended exactly once.
// It does not run in parallel, so that the heap figures are its own.
func TestBackpressure(t *testing.T) {
	const (
		limit = 4
		burst = 2000
	)
	e := newEnv(t, api.WithMaxInFlight(limit, 20*time.Millisecond))

	// The sustainable rate: commands one after the other.
	t0 := time.Now()
	const warm = 200
	for i := range warm {
		e.admin.post("/api/v1/units", map[string]any{"id": fmt.Sprintf("W%04d", i), "name": "Xã", "kind": "commune"}).want(t, http.StatusCreated)
	}
	sustained := float64(warm) / time.Since(t0).Seconds()

	transport := &http.Transport{MaxIdleConnsPerHost: burst, MaxConnsPerHost: 0, IdleConnTimeout: 5 * time.Second}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	send := func(i int) (int, http.Header, []byte, error) {
		body := fmt.Sprintf(`{"id": "B%04d", "name": "Xã %d", "kind": "commune"}`, i, i)
		req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/units", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("burst-%d", i))
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b, err
	}

	before := e.lastSeq()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	goroutinesBefore := runtime.NumGoroutine()

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			if s.HeapAlloc > peak.Load() {
				peak.Store(s.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	statuses := make([]int, burst)
	var wg, ready sync.WaitGroup
	gate := make(chan struct{})
	var clientErrs atomic.Int64
	var badOverload atomic.Int64
	ready.Add(burst)
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-gate
			code, h, b, err := send(i)
			if err != nil {
				clientErrs.Add(1)
				return
			}
			statuses[i] = code
			if code == http.StatusServiceUnavailable {
				var v struct {
					Error struct{ Code string } `json:"error"`
				}
				if json.Unmarshal(b, &v) != nil || v.Error.Code != "overloaded" || h.Get("Retry-After") != "1" {
					badOverload.Add(1)
				}
			}
		}()
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	took := time.Since(start)
	close(stop)
	<-sampled

	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	t.Logf("sustained rate %.0f commands/s (one at a time); burst of %d concurrent commands answered in %s: %d × 201, %d × 503 overloaded, other %v, client errors %d",
		sustained, burst, took.Round(time.Millisecond), count[201], count[503], otherStatuses(count), clientErrs.Load())
	if n := clientErrs.Load(); n > 0 {
		t.Errorf("%d requests failed on the client side (connection refused or reset)", n)
	}
	if count[503] == 0 {
		t.Errorf("no request was refused: the limit of %d in flight did not apply", limit)
	}
	if count[201]+count[503] != burst {
		t.Errorf("statuses other than 201 and 503: %v", count)
	}
	if n := badOverload.Load(); n > 0 {
		t.Errorf("%d answers 503 lack the code overloaded or Retry-After: 1", n)
	}

	// Let the burst's connections go (both ends live in this process) before measuring.
	transport.CloseIdleConnections()
	for deadline := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > goroutinesBefore+50 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	runtime.GC()
	runtime.GC() // twice: sync.Pools keep their objects over one collection
	runtime.ReadMemStats(&ms)
	heapAfter := ms.HeapAlloc
	const mib = 1 << 20
	t.Logf("live heap (HeapAlloc): %.1f MiB before, peak %.1f MiB during the burst (+%.1f MiB, the %d client and server connections of this process included), %.1f MiB after (+%.1f MiB, %d new units kept in the model); goroutines %d before, %d after",
		float64(heapBefore)/mib, float64(peak.Load())/mib, float64(peak.Load()-min(peak.Load(), heapBefore))/mib, burst,
		float64(heapAfter)/mib, (float64(heapAfter)-float64(heapBefore))/mib, count[201], goroutinesBefore, runtime.NumGoroutine())
	if grow := peak.Load() - min(peak.Load(), heapBefore); grow > 256*mib {
		t.Errorf("the heap grew by %d MiB during the burst", grow/mib)
	}

	// The refused commands retried with their keys: each command appended exactly once.
	for i, s := range statuses {
		if s == http.StatusCreated {
			continue
		}
		for attempt := 0; ; attempt++ {
			code, _, b, err := send(i)
			if err == nil && code == http.StatusCreated {
				break
			}
			if attempt > 20 {
				t.Fatalf("retry of %d: %d %s %v", i, code, b, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A registration is two messages: the unit's and its id's claim (domain.ClaimID).
	if got := e.lastSeq() - before; got != 2*burst {
		t.Errorf("%d messages for %d registrations, want two each", got, burst)
	}
	var units struct {
		Units []json.RawMessage `json:"units"`
	}
	e.admin.get("/api/v1/units?kind=commune").want(t, http.StatusOK).decode(t, &units)
	if len(units.Units) != warm+burst {
		t.Errorf("%d units, want %d", len(units.Units), warm+burst)
	}
	m := e.anon().get("/metrics").want(t, http.StatusOK)
	if want := fmt.Sprintf("thidua_api_overloaded_total %d", count[503]); !bytes.Contains(m.body, []byte(want)) {
		t.Errorf("metrics lack %q", want)
	}
	e.healthy(t)
}

func otherStatuses(count map[int]int) map[int]int {
	out := map[int]int{}
	for s, n := range count {
		if s != http.StatusCreated && s != http.StatusServiceUnavailable {
			out[s] = n
		}
	}
	return out
}

// TestUploadLimit: an upload whose body arrives slowly holds one of its user's upload
// places and one of the server's, not the command slots the others need: the same user's
// next upload is refused (429 too_many_uploads), another user's is served until the
// server's places are taken (503 overloaded), and commands without a file go on.
func TestUploadLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.WithUploadLimit(1, 2))
	for _, u := range []string{"U1", "U2", "U3"} {
		e.unit(u, "department")
	}
	clerks := []*client{e.user("clerk", "U1"), e.user("clerk", "U2"), e.user("clerk", "U3")}

	// slow starts an upload of c's whose file never ends, until the returned stop: the
	// request written by hand on a connection of its own, its body cut short.
	slow := func(c *client, unit string) (stop func()) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		part := fmt.Sprintf("--x\r\nContent-Disposition: form-data; name=\"campaign\"\r\n\r\n%s\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%%PDF", campaign)
		_, err = fmt.Fprintf(conn, "POST /api/v1/units/%s/plans HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n%s", unit, c.token, part)
		if err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		stop = func() { once.Do(func() { conn.Close() }) }
		t.Cleanup(stop) // before the server's Close, which waits for its requests
		return stop
	}
	// holding waits until the server holds n commands in flight (its metric), the slow
	// uploads among them.
	holding := func(n int) {
		t.Helper()
		want := fmt.Sprintf("thidua_api_inflight_commands %d\n", n)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if strings.Contains(string(e.anon().get("/metrics").body), want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server never held %d commands", n)
			}
		}
	}
	refused := func(r reply, status int, code string) {
		t.Helper()
		if r.status != status || r.errCode(t) != code || r.header.Get("Retry-After") == "" {
			t.Errorf("want %d %s with a Retry-After: %s", status, code, r)
		}
	}
	upload := func(c *client, unit, tag string) reply {
		return c.upload("/api/v1/units/"+unit+"/plans", map[string]string{"campaign": campaign}, "p.pdf", pdf(tag))
	}

	stop1 := slow(clerks[0], "U1")
	holding(1)
	refused(upload(clerks[0], "U1", "second"), http.StatusTooManyRequests, "too_many_uploads")
	// The media type's letter case does not matter to the limit, as it does not to the
	// upload's reading.
	body := fmt.Sprintf("--x\r\nContent-Disposition: form-data; name=\"campaign\"\r\n\r\n%s\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%%PDF-1.4 case\r\n--x--\r\n", campaign)
	req, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/units/U1/plans", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "Multipart/Form-Data; boundary=x")
	refused(clerks[0].send(req), http.StatusTooManyRequests, "too_many_uploads")
	// A command without a file, of the same user, goes on; so does another user's upload.
	clerks[0].post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated)
	upload(clerks[2], "U3", "beside").want(t, http.StatusCreated)
	stop2 := slow(clerks[1], "U2")
	holding(2)
	refused(upload(clerks[2], "U3", "third"), http.StatusServiceUnavailable, "overloaded")

	// Once the slow uploads end, their places are free again.
	stop1()
	stop2()
	holding(0)
	upload(clerks[0], "U1", "after").want(t, http.StatusCreated)
	upload(clerks[2], "U3", "after").want(t, http.StatusCreated)
}

// countingBody is a request body of left bytes that counts what the server read of it.
type countingBody struct {
	left int64
	read *int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	b.left -= n
	*b.read += n
	return int(n), nil
}

// TestUploadOutOfScopeReadsNoBody: a clerk's upload for another unit's nomination or
// plan is refused (403) before its file is read: a clerk cannot make the server take in
// 32 MiB it will refuse.
func TestUploadOutOfScopeReadsNoBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	e.unit("U2", "department")
	owner := e.user("clerk", "U2")
	nom := owner.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U2", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	other := e.user("clerk", "U1")
	for _, path := range []string{"/api/v1/nominations/" + nom + "/documents", "/api/v1/units/U2/plans"} {
		var read int64
		r := httptest.NewRequest(http.MethodPost, path, &countingBody{left: 30 << 20, read: &read})
		r.Header.Set("Authorization", "Bearer "+other.token)
		r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		w := httptest.NewRecorder()
		e.http.Config.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || read != 0 {
			t.Errorf("%s: %d, %d bytes of the body read; want 403 and none", path, w.Code, read)
		}
	}
}

// TestReplayPlaces: a ranking of a past moment and a ranking's export fold the whole
// campaign on every core, so a user has few in flight (beyond: 429 too_many_replays) and
// the server as many as its places (beyond: a short wait, then 503 overloaded), each with
// Retry-After. Live rankings and other users' replays are not held back by one user's,
// input is checked before a place is taken, and the places come back once given.
func TestReplayPlaces(t *testing.T) {
	t.Parallel()
	places := api.NewReplayPlaces(1, 2, 300*time.Millisecond)
	e := newEnv(t, api.WithReplayPlaces(places))
	e.unit("U1", "department")
	council, auditor := e.user("council", ""), e.user("auditor", "")
	last := e.model.Applied()
	past := fmt.Sprintf("/api/v1/campaigns/%s/ranking?seq=%d", campaign, last)
	export := "/api/v1/campaigns/" + campaign + "/ranking?format=csv"
	live := "/api/v1/campaigns/" + campaign + "/ranking"
	refused := func(r reply, status int, code string) {
		t.Helper()
		if r.status != status || r.errCode(t) != code || r.header.Get("Retry-After") != "5" {
			t.Errorf("want %d %s with Retry-After: 5 (about as long as a replay takes): %s", status, code, r)
		}
	}

	// The council member has a replay in flight (held here, as a slow one would hold it).
	give, err := places.Acquire(t.Context(), council.id)
	if err != nil {
		t.Fatal(err)
	}
	refused(council.get(past), http.StatusTooManyRequests, "too_many_replays")
	refused(council.get(export), http.StatusTooManyRequests, "too_many_replays")
	council.get(live).want(t, http.StatusOK)
	want400(t, "a bad format, places or not", council.get(live+"?format=pdf"), "invalid_format")
	want400(t, "a bad sequence, places or not", council.get(live+"?seq=abc"), "invalid_seq")
	auditor.get(past).want(t, http.StatusOK)
	auditor.get(export).want(t, http.StatusOK)

	// Someone else holds the server's last place: the auditor waits, then is refused.
	other, err := places.Acquire(t.Context(), "someone")
	if err != nil {
		t.Fatal(err)
	}
	refused(auditor.get(past), http.StatusServiceUnavailable, "overloaded")
	auditor.get(live).want(t, http.StatusOK)

	// A place given back is free again, for a waiter too.
	go func() { time.Sleep(20 * time.Millisecond); other() }()
	auditor.get(past).want(t, http.StatusOK)
	give()
	give() // a second give changes nothing
	var rk struct {
		AsOfSeq uint64 `json:"as_of_seq"`
	}
	council.get(past).want(t, http.StatusOK).decode(t, &rk)
	if rk.AsOfSeq == 0 || rk.AsOfSeq > last {
		t.Errorf("the ranking as of %d is as of %d", last, rk.AsOfSeq)
	}
	council.get(export).want(t, http.StatusOK)
}
