package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"thidua/workflows"
)

// NewRegistry returns a Prometheus registry with the Go runtime's and the process's
// collectors: the one registry the API (WithRegistry) and the web UI share, so that
// /metrics counts the requests of both.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves reg's metrics in the Prometheus exposition format: /metrics
// before the API's handler is built (the process's figures while the server starts).
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// NewMetrics registers the server's collectors in reg (NewRegistry's when nil), or finds
// those registered already by another surface on it, for the service's store, model and
// background checks (the request metrics alone when svc is nil).
func NewMetrics(reg *prometheus.Registry, svc *workflows.Service) *Metrics {
	if svc == nil {
		return newMetrics(reg, nil, nil, nil) // the request metrics alone, before the engine
	}
	return newMetrics(reg, svc.Store(), svc.Model(), svc)
}

// RequestIDHeader is the header that carries a request's id: the one a client or a proxy
// sent, when it is a plain token of at most 64 characters, else one made up; the answer
// carries it back, and the request's log line names it, so that a user can quote it to
// the operator.
const RequestIDHeader = "X-Request-Id"

// requestNote is what a request's handlers add to its one log line.
type requestNote struct {
	id    string
	attrs []any
	// tracked says Track served the request (Outermost then leaves it to Track).
	tracked bool
}

type noteKey struct{}

// NoteError adds err, and the cause the answer does not tell (workflows.Error's), with
// attrs (slog's key-value pairs), to the log line of the request Track is serving, and
// reports whether it did: false outside Track, where the caller logs the error itself.
func NoteError(ctx context.Context, err error, attrs ...any) bool {
	n, _ := ctx.Value(noteKey{}).(*requestNote)
	if n == nil {
		return false
	}
	n.attrs = append(append(n.attrs, attrs...), "err", err)
	if we := (*workflows.Error)(nil); errors.As(err, &we) && we.Err != nil {
		n.attrs = append(n.attrs, "cause", we.Err)
	}
	return true
}

// requestID returns the id the request came with, when it is a token of 1 to 64
// letters, digits, '-', '_' or '.', or a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); len(id) > 0 && len(id) <= 64 {
		ok := true
		for i := 0; i < len(id) && ok; i++ {
			c := id[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		}
		if ok {
			return id
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Track serves one request through serve under route (its pattern; "unmatched" for
// none): it gives the request its id (RequestIDHeader, on the answer too), counts it in
// the request metrics, and writes its one log line when it ends, at debug level, or at
// error level for a 5xx with the errors its handlers noted (NoteError). A probe's 503
// (/healthz, /readyz) stays at debug: its cause is logged where it happens. The writer
// serve gets records the status.
func (m *Metrics) Track(w http.ResponseWriter, r *http.Request, route string, log *slog.Logger, serve func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	if route == "" {
		route = "unmatched"
	}
	route = RouteLabel(route)
	note, _ := r.Context().Value(noteKey{}).(*requestNote)
	if note == nil {
		note = &requestNote{id: requestID(r)}
		w.Header().Set(RequestIDHeader, note.id)
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, note))
	}
	note.tracked = true
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		d := time.Since(start)
		if m != nil {
			m.observe(route, sw.code(), d)
		}
		lvl := slog.LevelDebug
		if sw.code() >= 500 && route != "GET /readyz" && route != "GET /healthz" {
			lvl = slog.LevelError
		}
		if !log.Enabled(r.Context(), lvl) {
			return
		}
		attrs := append([]any{"id", note.id, "method", r.Method, "path", r.URL.Path, "route", route,
			"status", sw.code(), "bytes", sw.n, "took", d.Round(time.Microsecond)}, note.attrs...)
		log.Log(r.Context(), lvl, "http", attrs...)
	}()
	serve(sw, r)
}

// AuthFailed counts a failed authentication on a surface that keeps its own limiter (the
// web UI's sign-in).
func (m *Metrics) AuthFailed() {
	if m != nil {
		m.authFailures.Inc()
	}
}

// Outermost wraps the server's whole handler: every answer gets its request id there,
// including those no surface serves (the router's redirects to a clean path, the 503s
// while the server starts), and such a request is counted and logged by Track under the
// route "unrouted" (a review finding: they had no id, no count and no log line). A
// request a surface serves is tracked there, under its route, with the same id.
func (m *Metrics) Outermost(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := &requestNote{id: requestID(r)}
		w.Header().Set(RequestIDHeader, note.id)
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, note))
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if note.tracked {
			return
		}
		d := time.Since(start)
		if m != nil {
			m.observe("unrouted", sw.code(), d)
		}
		if log.Enabled(r.Context(), slog.LevelDebug) {
			log.Debug("http", "id", note.id, "method", r.Method, "path", r.URL.Path, "route", "unrouted",
				"status", sw.code(), "bytes", sw.n, "took", d.Round(time.Microsecond))
		}
	})
}

// RouteLabel is the label a route pattern is counted under on /metrics, which answers
// without a token: the commands on a nomination (".../nominations/{id}/hold", "/release",
// "/return", ".../criteria/{criterion}"...) count as one, ".../nominations/{id}/{action}",
// its documents' uploads apart, so that the public
// counters do not tell when a nomination was put on hold, which its unit's trail hides from
// other units (a review finding: a hold's counter moved as an entry left another unit's
// ranking).
func RouteLabel(pattern string) string {
	const marker = "/nominations/{id}/"
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == http.MethodGet || method == http.MethodHead {
		return pattern
	}
	// Its documents keep their route: an upload's size and time are no state change, and
	// an operator tells them from the small commands (a review finding).
	if i := strings.Index(path, marker); i >= 0 && path[i+len(marker):] != "documents" {
		return method + " " + path[:i+len(marker)] + "{action}"
	}
	return pattern
}
