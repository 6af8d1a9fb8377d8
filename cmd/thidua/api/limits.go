package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the limits New applies.
const (
	// DefaultMaxInFlight is the most mutating requests served at once.
	DefaultMaxInFlight = 64
	// DefaultInFlightWait is how long a mutating request waits for a free slot before it
	// is refused with 503 overloaded.
	DefaultInFlightWait = 100 * time.Millisecond
	// DefaultAuthFailures is how many failed authentications a client may make per
	// DefaultAuthWindow before it is refused with 429.
	DefaultAuthFailures = 10
	// DefaultAuthWindow is the window of DefaultAuthFailures.
	DefaultAuthWindow = time.Minute
	// DefaultBodyTimeout bounds reading a JSON request body (a slow drip holds a command
	// slot no longer than this).
	DefaultBodyTimeout = 30 * time.Second
	// maxAuthClients bounds the number of clients whose failures are remembered.
	maxAuthClients = 10000
)

// WithMaxInFlight bounds the mutating requests served at once: a request that finds no
// free slot waits up to wait for one, and is then refused with 503 "overloaded" and
// Retry-After, instead of queueing without bound. n < 0 removes the bound; n == 0 keeps
// the default (DefaultMaxInFlight, DefaultInFlightWait).
func WithMaxInFlight(n int, wait time.Duration) Option {
	return func(c *config) { c.maxInFlight, c.inFlightWait = n, wait }
}

// WithUploadLimit bounds the uploads (multipart requests) in flight: perUser of one user
// (beyond: 429 too_many_uploads) and total of all (beyond: 503 overloaded), each with
// Retry-After; ≤ 0 keeps a default (DefaultUploadsPerUser, DefaultUploads).
func WithUploadLimit(perUser, total int) Option {
	return func(c *config) { c.uploadsPerUser, c.uploads = perUser, total }
}

// WithReplayPlaces sets the places of the replays (rankings of a past moment, ranking
// exports) in flight: one set, NewReplayPlaces, shared with the web UI, so that a user
// has as many in flight on both surfaces together. Without it the API has its own
// default set.
func WithReplayPlaces(p *Places) Option { return func(c *config) { c.replays = p } }

// WithFailureLimiter sets the limiter of failed authentications per client: one,
// NewFailureLimiter, shared with the web UI's sign-in, so that a client has one budget of
// guesses on both surfaces (a review finding: each counted its own, and a guesser had
// twice the limit). Without it the API has its own (WithAuthFailureLimit).
func WithFailureLimiter(f *FailureLimiter) Option { return func(c *config) { c.failures = f } }

// WithArchivePlaces sets the places of the archive downloads in flight: one set,
// NewArchivePlaces, shared with the web UI. Without it the API has its own default set.
func WithArchivePlaces(p *Places) Option { return func(c *config) { c.archives = p } }

// placeRefused is the API's answer to a request refused a place (Places).
func placeRefused(err error) error {
	var pr *PlaceRefusal
	if !errors.As(err, &pr) {
		return err
	}
	body := errorBody{Code: pr.Code}
	switch {
	case pr.Kind == KindUploads && pr.Status == http.StatusTooManyRequests:
		body.Message = fmt.Sprintf("you have %d uploads in flight: send the next once one is done", pr.Limit)
		body.MessageVI = fmt.Sprintf("Bạn đang gửi %d tệp: gửi tệp tiếp theo khi một tệp đã xong", pr.Limit)
	case pr.Kind == KindUploads:
		body.Message = fmt.Sprintf("the server is receiving %d uploads; retry after a second (with the same Idempotency-Key)", pr.Limit)
		body.MessageVI = "Máy chủ đang nhận nhiều tệp; vui lòng thử lại sau một giây"
	case pr.Kind == KindArchives && pr.Status == http.StatusTooManyRequests:
		body.Message = fmt.Sprintf("you are downloading %d archive(s) already: download the next once it is done", pr.Limit)
		body.MessageVI = fmt.Sprintf("Bạn đang tải %d bản lưu trữ: tải bản tiếp theo khi bản đó xong", pr.Limit)
	case pr.Kind == KindArchives:
		body.Message = fmt.Sprintf("the server is sending %d archives; retry once one is done", pr.Limit)
		body.MessageVI = "Máy chủ đang gửi bản lưu trữ khác; vui lòng thử lại sau"
	case pr.Status == http.StatusTooManyRequests:
		body.Message = fmt.Sprintf("you have %d rankings of a past moment or exports in flight: ask for the next once one is done", pr.Limit)
		body.MessageVI = fmt.Sprintf("Bạn đang yêu cầu %d bảng xếp hạng tại thời điểm trước hoặc tệp xuất: yêu cầu tiếp khi một yêu cầu đã xong", pr.Limit)
	default:
		body.Message = fmt.Sprintf("the server is computing %d rankings of a past moment or exports; retry in a few seconds (Retry-After)", pr.Limit)
		body.MessageVI = "Máy chủ đang tính nhiều bảng xếp hạng; vui lòng thử lại sau ít giây"
	}
	return &apiError{status: pr.Status, retryAfter: pr.RetryAfter(), body: body}
}

// WithAuthFailureLimit lets each client (remote IP address; an IPv6 client's /64) fail
// authentication at most n times per window, as a token bucket: beyond that every request
// of that client that needs a token is refused with 429 and Retry-After until the bucket
// refills. n < 0 removes the limit; n == 0 keeps the default (10 a minute).
func WithAuthFailureLimit(n int, per time.Duration) Option {
	return func(c *config) { c.authFailures, c.authWindow = n, per }
}

// WithBodyTimeout bounds reading a JSON request body (default DefaultBodyTimeout); a body
// that does not arrive in time is refused with 408. Uploads are bounded by the server's
// ReadTimeout instead.
func WithBodyTimeout(d time.Duration) Option { return func(c *config) { c.bodyTimeout = d } }

// gate bounds the mutating requests in flight.
type gate struct {
	slots chan struct{}
	wait  time.Duration
	m     *Metrics
}

// newGate returns a gate of n slots (nil: no bound).
func newGate(n int, wait time.Duration, m *Metrics) *gate {
	if n < 0 {
		return nil
	}
	if n == 0 {
		n = DefaultMaxInFlight
	}
	if wait <= 0 {
		wait = DefaultInFlightWait
	}
	return &gate{slots: make(chan struct{}, n), wait: wait, m: m}
}

// errOverloaded is the answer to a request that found no slot in time.
func errOverloaded(limit int) error {
	return &apiError{status: http.StatusServiceUnavailable, retryAfter: 1, body: errorBody{
		Code:      "overloaded",
		Message:   fmt.Sprintf("the server is busy with %d commands; retry after a second (with the same Idempotency-Key)", limit),
		MessageVI: "Máy chủ đang quá tải; vui lòng thử lại sau một giây",
	}}
}

// acquire takes a slot, waiting up to the gate's wait; it returns the function that gives
// the slot back.
func (g *gate) acquire(ctx context.Context) (func(), error) {
	if g == nil {
		return func() {}, nil
	}
	release := func() {
		<-g.slots
		g.m.inflight.Dec()
	}
	select {
	case g.slots <- struct{}{}:
		g.m.inflight.Inc()
		return release, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		g.m.inflight.Inc()
		return release, nil
	case <-t.C:
		g.m.overloaded.Inc()
		return nil, errOverloaded(cap(g.slots))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// authLimiter remembers, per client, a token bucket of allowed authentication failures.
// It holds at most maxAuthClients clients: full buckets are forgotten, and when it is
// still full an arbitrary client is dropped (a client that spreads over more addresses
// than that gets through more often, but memory stays bounded).
type authLimiter struct {
	mu      sync.Mutex
	burst   float64
	rate    float64 // tokens per second
	clients map[string]*bucket
	max     int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newAuthLimiter returns a limiter of n failures per window (nil: no limit).
func newAuthLimiter(n int, window time.Duration) *authLimiter {
	if n < 0 {
		return nil
	}
	if n == 0 {
		n = DefaultAuthFailures
	}
	if window <= 0 {
		window = DefaultAuthWindow
	}
	return &authLimiter{burst: float64(n), rate: float64(n) / window.Seconds(), clients: map[string]*bucket{}, max: maxAuthClients}
}

// refill brings a bucket up to now; the caller holds the lock.
func (l *authLimiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
}

// blocked reports whether the client has no failure left, and how long until it has one.
func (l *authLimiter) blocked(client string, now time.Time) (time.Duration, bool) {
	if l == nil {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[client]
	if b == nil {
		return 0, false
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		if b.tokens >= l.burst {
			delete(l.clients, client)
		}
		return 0, false
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), true
}

// failed takes one failure from the client's bucket, and reports whether it was the one
// that emptied it: the client is locked out from now on, which the caller logs once.
func (l *authLimiter) failed(client string, now time.Time) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[client]
	if b == nil {
		if len(l.clients) >= l.max {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.clients[client] = b
	}
	l.refill(b, now)
	had := b.tokens >= 1
	b.tokens = math.Max(0, b.tokens-1)
	return had && b.tokens < 1
}

// sweep forgets the clients whose bucket is full again and, when that frees less than a
// tenth of the room, arbitrary others down to nine tenths of the bound, so that a flood
// from many addresses costs one sweep per max/10 new clients; the caller holds the lock.
func (l *authLimiter) sweep(now time.Time) {
	for k, b := range l.clients {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.clients, k)
		}
	}
	keep := l.max - l.max/10
	for k := range l.clients {
		if len(l.clients) <= keep {
			break
		}
		delete(l.clients, k)
	}
}

// size returns the number of clients remembered.
func (l *authLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// errTooManyFailures is the answer to a client that failed authentication too often.
func errTooManyFailures(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &apiError{status: http.StatusTooManyRequests, retryAfter: secs, body: errorBody{
		Code:      "too_many_auth_failures",
		Message:   fmt.Sprintf("too many failed authentications from this address; retry after %d s", secs),
		MessageVI: fmt.Sprintf("Xác thực sai quá nhiều lần từ địa chỉ này; thử lại sau %d giây", secs),
	}}
}

// ClientKey names the client a request comes from, for a limit on failed
// authentications: its address, an IPv6 client by its /64. A request from a trusted proxy
// (a load balancer, a TLS terminator) is named by the address that proxy reports in
// X-Forwarded-For: the nearest, from the right, that is not itself a trusted proxy. A
// client's own X-Forwarded-For is ignored unless it comes through a trusted proxy, which
// appends the address it saw.
func ClientKey(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a hop that is no address: keep the last one known
			}
			addr = hop.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// ViaTLS reports whether the client reached the server over TLS: the connection is TLS,
// or a trusted proxy (a TLS terminator) says so in X-Forwarded-Proto. Anyone else's
// header is not believed.
func ViaTLS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(addr.Unmap(), trusted) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// isTrusted reports whether addr is in one of the trusted prefixes.
func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// WithTrustedProxies names the proxies whose X-Forwarded-For names the client, for the
// failed-authentication limit (ClientKey). Without it, behind a proxy, every client is the
// proxy, and one client's failures would hold back everyone's.
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(c *config) { c.trusted = append(c.trusted, prefixes...) }
}

// FailureLimiter limits failed authentications per client (ClientKey): a token bucket of
// n failures per window. The API and the web UI's sign-in share one (WithFailureLimiter).
type FailureLimiter struct{ l *authLimiter }

// NewFailureLimiter returns a limiter of n failures per window per client (defaults when
// 0: DefaultAuthFailures per DefaultAuthWindow).
func NewFailureLimiter(n int, window time.Duration) *FailureLimiter {
	return &FailureLimiter{l: newAuthLimiter(n, window)}
}

// Blocked reports whether the client has no failure left, and how long until it has one.
func (f *FailureLimiter) Blocked(client string, now time.Time) (time.Duration, bool) {
	return f.l.blocked(client, now)
}

// Failed counts one failure of the client, and reports whether it locked the client
// out (the caller logs it once).
func (f *FailureLimiter) Failed(client string, now time.Time) bool { return f.l.failed(client, now) }

// logLockout logs, once per lockout, that a client ran out of failed authentications: an
// operator sees who was guessing, where and when (a review finding: only a counter moved).
func logLockout(log *slog.Logger, surface, client string) {
	log.Warn("authentication failures: client locked out for a while", "surface", surface, "client", client)
}

// LogLockout is logLockout for the web UI's sign-in.
func LogLockout(log *slog.Logger, client string) { logLockout(log, "web", client) }

// setRetryAfter sets Retry-After in seconds.
func setRetryAfter(w http.ResponseWriter, secs int) {
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}
