package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAuthLimiterIsBounded: a flood of failures from more addresses than the limiter
// remembers keeps its map at the bound; buckets refill with time and full ones are
// forgotten.
func TestAuthLimiterIsBounded(t *testing.T) {
	t.Parallel()
	l := newAuthLimiter(10, time.Minute)
	now := time.Date(2025, 9, 15, 10, 0, 0, 0, time.UTC)
	for i := range 5 * maxAuthClients {
		l.failed(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
	}
	if n := l.size(); n > maxAuthClients {
		t.Fatalf("%d clients remembered, at most %d", n, maxAuthClients)
	}

	const c = "192.0.2.1"
	for range 10 {
		if _, limited := l.blocked(c, now); limited {
			t.Fatal("limited before ten failures")
		}
		l.failed(c, now)
	}
	wait, limited := l.blocked(c, now)
	if !limited || wait != 6*time.Second {
		t.Fatalf("after ten failures: limited %v, wait %s (want 6s: ten a minute)", limited, wait)
	}
	if _, limited := l.blocked(c, now.Add(6*time.Second)); limited {
		t.Fatal("still limited after one failure's worth of time")
	}
	// A minute later every bucket is full again: the next sweep forgets them all.
	later := now.Add(time.Minute)
	l.sweep(later)
	if n := l.size(); n != 0 {
		t.Fatalf("%d full buckets kept after a sweep", n)
	}
}

// TestGate: a gate of two slots admits two, makes the third wait and refuses it after the
// wait, and admits it when a slot frees up in time.
func TestGate(t *testing.T) {
	g := newGate(2, 30*time.Millisecond, newMetrics(prometheus.NewRegistry(), nil, nil, nil))
	ctx := context.Background()
	r1, err := g.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := g.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := g.acquire(ctx); err == nil {
		t.Fatal("a third request got a slot")
	} else if st, body := classify(err); st != 503 || body.Code != "overloaded" {
		t.Fatalf("refusal %d %s", st, body.Code)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("refused after %s, before the wait", d)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		r1()
	}()
	r3, err := g.acquire(ctx)
	if err != nil {
		t.Fatalf("a slot freed within the wait: %v", err)
	}
	r2()
	r3()
	if newGate(-1, 0, nil) != nil {
		t.Fatal("a negative limit must disable the gate")
	}
}

// TestClientKey: a client is its address (IPv6: its /64); behind a trusted proxy, the
// nearest address in X-Forwarded-For that is not a trusted proxy; a client's own
// X-Forwarded-For counts for nothing.
func TestClientKey(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name, remote, xff, want string
	}{
		{"direct", "203.0.113.5:4000", "", "203.0.113.5"},
		{"a client's own header is ignored", "203.0.113.5:4000", "198.51.100.1", "203.0.113.5"},
		{"through a trusted proxy", "10.0.0.2:4000", "198.51.100.1", "198.51.100.1"},
		{"a spoofed hop before the proxy's", "10.0.0.2:4000", "1.1.1.1, 198.51.100.1", "198.51.100.1"},
		{"two trusted proxies", "10.0.0.2:4000", "198.51.100.1, 10.0.0.9", "198.51.100.1"},
		{"IPv6 by its /64", "[2001:db8:1:2::1]:4000", "", "2001:db8:1:2::/64"},
		{"a proxy with no header", "10.0.0.2:4000", "", "10.0.0.2"},
		{"a garbled hop", "10.0.0.2:4000", "nonsense", "10.0.0.2"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := ClientKey(r, trusted); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
