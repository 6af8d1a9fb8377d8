// Package api is thidua's HTTP API, version 1 (DESIGN.md section 6): JSON in and out under
// /api/v1, bearer tokens, one error shape, Idempotency-Key and If-Match on every mutating
// call, ETag on resources, and /healthz, /readyz and /metrics at the root.
//
// The handlers are thin: they validate and decode the request strictly, authenticate the
// caller, call one method of workflows.Service (commands) or projections.Model (queries),
// and render the result. Commands apply their commit to the read model before they return,
// so the resource rendered after a command already shows it (read-your-writes).
//
// Hostile input is refused before it costs anything: ids that could change a NATS subject
// (400), text that is not valid Unicode or carries control characters (400), dates outside
// 2000–2099 (400), deep or oversized bodies (400, 413), bodies that drip in too slowly
// (408). A client that keeps failing authentication is refused with 429 and Retry-After
// (WithAuthFailureLimit), and mutating calls beyond a bound in flight wait briefly and are
// then refused with 503 "overloaded" and Retry-After (WithMaxInFlight), so a burst cannot
// grow memory without limit. NewServer adds the connection-level timeouts.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// DefaultMaxBody is the largest JSON request body accepted: 1 MiB.
const DefaultMaxBody = 1 << 20

// MaxJSONDepth is the deepest nesting of arrays and objects a JSON body may have.
const MaxJSONDepth = 32

// Prefix is the path prefix of every versioned call.
const Prefix = "/api/v1"

// Option configures the handler returned by New.
type Option func(*config)

type config struct {
	log         *slog.Logger
	maxBody     int64
	maxUpload   int64
	ready       func(context.Context) error
	registry    *prometheus.Registry
	maxInFlight int
	// uploadsPerUser and uploads bound the uploads in flight (WithUploadLimit).
	uploadsPerUser, uploads int
	// replays bounds the replays in flight (WithReplayPlaces); nil: the API's own.
	replays *Places
	// archives bounds the archive downloads in flight (WithArchivePlaces); nil: the API's own.
	archives     *Places
	inFlightWait time.Duration
	authFailures int
	// failures is the limiter shared with the web UI's sign-in (WithFailureLimiter).
	failures    *FailureLimiter
	authWindow  time.Duration
	bodyTimeout time.Duration
	now         func() time.Time
	trusted     []netip.Prefix
	// rankGzipMin is the smallest live ranking answered compressed from the kept
	// bytes (CompressMinSize; tests lower it).
	rankGzipMin int
}

// WithLogger sets the logger of requests and server errors.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithMaxBody sets the largest JSON request body, in bytes (default DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithMaxUpload sets the largest uploaded file, in bytes (default: the store's document
// limit, 32 MiB unless configured otherwise). Larger uploads are refused with 413.
func WithMaxUpload(n int64) Option { return func(c *config) { c.maxUpload = n } }

// WithReadiness sets the check behind /readyz (typically: the projections have caught up
// with the stream). The store's own health is always checked first.
func WithReadiness(f func(context.Context) error) Option { return func(c *config) { c.ready = f } }

// WithRegistry registers the API's metrics in reg and serves reg on /metrics. Without it
// the handler has a registry of its own, with the Go runtime and process collectors.
func WithRegistry(reg *prometheus.Registry) Option { return func(c *config) { c.registry = reg } }

// handler is the API.
type handler struct {
	svc     *workflows.Service
	cfg     config
	mux     *http.ServeMux
	metrics *Metrics
	// gate bounds the mutating requests in flight; authLimit the failed authentications per client.
	gate      *gate
	authLimit *authLimiter
	// uploads bounds the uploads in flight, per user and in all; replays the rankings
	// of a past moment and the exports.
	uploads, replays, archives *Places
	// rankings keeps each campaign's live ranking encoded until the next write.
	rankings encodedRankings
}

// New returns the HTTP handler of the API, serving svc's commands and its model's queries.
func New(svc *workflows.Service, opts ...Option) http.Handler {
	cfg := config{log: slog.Default(), maxBody: DefaultMaxBody, bodyTimeout: DefaultBodyTimeout, now: time.Now, rankGzipMin: CompressMinSize}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxUpload <= 0 {
		cfg.maxUpload = eventstore.DefaultMaxDocumentSize
		if st := svc.Store(); st != nil && st.MaxDocumentSize() > 0 {
			cfg.maxUpload = st.MaxDocumentSize()
		}
	}
	if cfg.maxBody <= 0 {
		cfg.maxBody = DefaultMaxBody
	}
	h := &handler{svc: svc, cfg: cfg, mux: http.NewServeMux()}
	h.metrics = newMetrics(cfg.registry, svc.Store(), svc.Model(), svc)
	h.gate = newGate(cfg.maxInFlight, cfg.inFlightWait, h.metrics)
	if cfg.failures != nil {
		h.authLimit = cfg.failures.l
	} else {
		h.authLimit = newAuthLimiter(cfg.authFailures, cfg.authWindow)
	}
	h.uploads = NewUploadPlaces(cfg.uploadsPerUser, cfg.uploads)
	h.replays = cfg.replays
	if h.replays == nil {
		h.replays = NewReplayPlaces(0, 0, 0)
	}
	h.archives = cfg.archives
	if h.archives == nil {
		h.archives = NewArchivePlaces(0, 0)
	}
	for _, rt := range h.table() {
		h.handle(rt)
	}
	return h
}

// Routes lists the patterns the handler serves ("METHOD /path/{wildcard}"), sorted. The
// OpenAPI document served at /api/v1/openapi.json describes exactly these.
func Routes() []string {
	h := &handler{}
	out := make([]string, 0, 40)
	for _, rt := range h.table() {
		out = append(out, rt.method+" "+rt.path)
	}
	sort.Strings(out)
	return out
}

// access says who may call a route.
type access int

const (
	// public routes need no token (health, readiness, metrics).
	public access = iota
	// reader routes need a token; every role may call them.
	reader
	// writer routes need a token and one of the route's roles; auditors never write.
	writer
	// restricted routes read, and need a token and one of the route's roles (an auditor's
	// among them, when listed).
	restricted
)

// route is one entry of the routing table.
type route struct {
	method, path string
	access       access
	roles        []domain.Role
	// docID names the wildcard that is a document's SHA-256 rather than an aggregate id.
	docID string
	// bounded marks a read that answers as of ?at= or ?seq= (handler.bound); any other
	// read refuses them (bound_not_supported) rather than answer as of now unasked.
	bounded bool
	// query names the query parameters the route reads, beside at and seq for a bounded
	// one; any other is refused (unknown_query).
	query []string
	fn    func(w http.ResponseWriter, r *http.Request, p workflows.Principal) error
}

func (h *handler) table() []route {
	admin := []domain.Role{domain.RoleAdmin}
	clerk := []domain.Role{domain.RoleClerk}
	clerkOrAdmin := []domain.Role{domain.RoleClerk, domain.RoleAdmin}
	reviewer := []domain.Role{domain.RoleReviewer}
	council := []domain.Role{domain.RoleCouncil}
	adminOrAuditor := []domain.Role{domain.RoleAdmin, domain.RoleAuditor}
	get := func(path string, fn func(http.ResponseWriter, *http.Request, workflows.Principal) error) route {
		return route{method: http.MethodGet, path: Prefix + path, access: reader, fn: fn}
	}
	asOf := func(path string, fn func(http.ResponseWriter, *http.Request, workflows.Principal) error) route {
		rt := get(path, fn)
		rt.bounded = true
		return rt
	}
	post := func(path string, roles []domain.Role, fn func(http.ResponseWriter, *http.Request, workflows.Principal) error) route {
		return route{method: http.MethodPost, path: Prefix + path, access: writer, roles: roles, fn: fn}
	}
	taking := func(rt route, query ...string) route {
		rt.query = query
		return rt
	}
	return []route{
		{method: http.MethodGet, path: "/healthz", access: public, fn: h.healthz},
		{method: http.MethodGet, path: "/readyz", access: public, fn: h.readyz},
		{method: http.MethodGet, path: "/metrics", access: public, fn: h.serveMetrics},

		get("/openapi.json", h.openAPI),
		get("/me", h.me),

		post("/users", admin, h.createUser),
		{method: http.MethodGet, path: Prefix + "/users", access: restricted, roles: adminOrAuditor, fn: h.listUsers},
		{method: http.MethodGet, path: Prefix + "/users/{id}", access: restricted, roles: adminOrAuditor, fn: h.getUser},
		taking(route{method: http.MethodGet, path: Prefix + "/integrity", access: restricted, roles: adminOrAuditor, fn: h.integrity},
			"limit", "from", "docs_from", "grants_from"),
		asOf("/digest", h.digest),
		{method: http.MethodGet, path: Prefix + "/archive", access: restricted, roles: adminOrAuditor, bounded: true, fn: h.archive},
		post("/users/{id}/disable", admin, h.disableUser),
		post("/users/{id}/token", admin, h.reissueToken),

		post("/units", admin, h.registerUnit),
		post("/units/import", admin, h.importUnits),
		taking(get("/units", h.listUnits), "kind", "status", "limit", "cursor"),
		asOf("/units/{id}", h.getUnit),
		taking(asOf("/units/{id}/events", h.unitEvents), "inherited", "limit"),
		post("/units/{id}/plans", clerk, h.submitPlan),
		post("/units/{id}/facts", reviewer, h.recordFact),
		post("/reorganisations", admin, h.reorganise),

		get("/campaigns", h.listCampaigns),
		post("/campaigns", admin, h.launchCampaign),
		asOf("/campaigns/{id}", h.getCampaign),
		post("/campaigns/{id}/deadline", admin, h.setDeadline),
		post("/campaigns/{id}/nominations", clerkOrAdmin, h.openNomination),
		taking(get("/campaigns/{id}/nominations", h.listNominations), "state", "unit", "kind", "limit", "cursor"),
		taking(asOf("/campaigns/{id}/ranking", h.ranking), "format", "lang"),
		asOf("/campaigns/{id}/events", h.campaignEvents),
		post("/campaigns/{id}/awards", council, h.grantAward),

		get("/awards/{id}", h.getAward),
		post("/awards/{id}/revoke", council, h.revokeAward),

		asOf("/nominations/{id}", h.getNomination),
		asOf("/nominations/{id}/events", h.nominationEvents),
		asOf("/nominations/{id}/eligibility", h.eligibility),
		post("/nominations/{id}/documents", clerk, h.attachDocument),
		post("/nominations/{id}/council-vote", clerk, h.recordVote),
		post("/nominations/{id}/submit", clerk, h.submit),
		post("/nominations/{id}/criteria/{criterion}", reviewer, h.rule),
		post("/nominations/{id}/return", reviewer, h.reason(h.svcReturn)),
		post("/nominations/{id}/withdraw", clerk, h.reason(h.svcWithdraw)),
		post("/nominations/{id}/nominee", clerk, h.correctNominee),
		post("/nominations/{id}/hold", reviewer, h.reason(h.svcHold)),
		post("/nominations/{id}/release", reviewer, h.reason(h.svcRelease)),

		{method: http.MethodGet, path: Prefix + "/documents/{id}", access: reader, docID: "id", fn: h.getDocument},
		post("/documents", clerkOrAdmin, h.restoreDocument),
	}
}

// handle registers one route with its checks: path ids first (400), then the client's
// authentication failures (429), the token (401) and the role (403), then, for a mutating
// call, a slot among the commands in flight (503 overloaded), then the handler.
func (h *handler) handle(rt route) {
	wildcards := wildcardNames(rt.path)
	mutating := rt.method != http.MethodGet && rt.method != http.MethodHead
	h.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
		for _, name := range wildcards {
			v := r.PathValue(name)
			var err error
			if name == rt.docID {
				err = validSHA(name, v)
			} else {
				err = validID(name, v)
			}
			if err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if err := queryOnce(r); err != nil {
			h.fail(w, r, err)
			return
		}
		if !mutating && !rt.bounded && strings.HasPrefix(rt.path, Prefix) {
			if q := r.URL.Query(); q.Has("at") || q.Has("seq") {
				h.fail(w, r, badRequest("bound_not_supported", "%s answers as of now only; as of a past moment, ask a unit, a nomination or a campaign (/units/{id}, /nominations/{id}, /campaigns/{id}), an audit trail (.../events), an eligibility or a ranking with at or seq", rt.path))
				return
			}
		}
		if err := knownQuery(r, rt); err != nil {
			h.fail(w, r, err)
			return
		}
		var p workflows.Principal
		if rt.access != public {
			client := ClientKey(r, h.cfg.trusted)
			if wait, limited := h.authLimit.blocked(client, h.cfg.now()); limited {
				h.fail(w, r, errTooManyFailures(wait))
				return
			}
			var err error
			if p, err = h.authenticate(r); err != nil {
				if r.Header.Get("Authorization") != "" {
					// Only presented credentials count: a missing token is no guess.
					if h.authLimit.failed(client, h.cfg.now()) {
						logLockout(h.cfg.log, "api", client)
					}
					h.metrics.AuthFailed()
				}
				h.fail(w, r, err)
				return
			}
			if (rt.access == writer && !allowed(p.Role, rt.roles)) || (rt.access == restricted && !slices.Contains(rt.roles, p.Role)) {
				h.fail(w, r, forbiddenf("role %q may not call %s %s", p.Role, rt.method, rt.path))
				return
			}
		}
		if mutating && IsMultipart(r) {
			// An upload's body may take minutes: a user holds few of them at once.
			release, err := h.uploads.Acquire(r.Context(), p.UserID)
			if err != nil {
				h.fail(w, r, placeRefused(err))
				return
			}
			defer release()
		}
		if mutating {
			release, err := h.gate.acquire(r.Context())
			if err != nil {
				h.fail(w, r, err)
				return
			}
			defer release()
		}
		if err := rt.fn(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	})
}

// queryOnce refuses a query parameter given more than once (400 invalid_query): the
// handlers read the first, so ?unit=A&unit=B answered for A alone as if B had not been
// asked. A moment, a format and a language given twice are refused by their handlers,
// with their own codes.
func queryOnce(r *http.Request) error {
	for name, vs := range r.URL.Query() {
		switch name {
		case "at", "seq", "format", "lang":
			continue
		}
		if len(vs) > 1 {
			return badRequest("invalid_query", "%s is given %d times: give it once", name, len(vs))
		}
	}
	return nil
}

// knownQuery refuses a query parameter the route does not read (400 unknown_query):
// ?status=verified on a nomination list, whose filter is state, answered with every
// nomination as if it had been filtered.
func knownQuery(r *http.Request, rt route) error {
	if !strings.HasPrefix(rt.path, Prefix) {
		return nil
	}
	for name := range r.URL.Query() {
		if slices.Contains(rt.query, name) || (rt.bounded && (name == "at" || name == "seq")) {
			continue
		}
		takes := rt.query
		if rt.bounded {
			takes = append([]string{"at", "seq"}, takes...)
		}
		if len(takes) == 0 {
			return badRequest("unknown_query", "%s %s takes no query parameter %q", rt.method, rt.path, name)
		}
		return badRequest("unknown_query", "%s %s takes no query parameter %q (it takes: %s)", rt.method, rt.path, name, strings.Join(takes, ", "))
	}
	return nil
}

// allowed reports whether role may call a writer route open to roles. Auditors never may.
func allowed(role domain.Role, roles []domain.Role) bool {
	if role == domain.RoleAuditor {
		return false
	}
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// wildcardNames returns the names of a pattern's {wildcards}, in order.
func wildcardNames(pattern string) []string {
	var out []string
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(pattern) && pattern[j] != '}' {
			j++
		}
		out = append(out, pattern[i+1:j])
		i = j
	}
	return out
}

// ServeHTTP serves a request: routing, panics, unknown routes as JSON errors, metrics and
// the access log.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := h.mux.Handler(r)
	h.metrics.Track(w, r, pattern, h.cfg.log, func(w http.ResponseWriter, r *http.Request) {
		sw := w.(*statusWriter) // Track's
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.cfg.log.Error("panic serving request", "id", w.Header().Get(RequestIDHeader), "method", r.Method, "path", r.URL.Path, "panic", v)
				if !sw.wrote {
					writeError(sw, http.StatusInternalServerError, errorBody{Code: "internal", Message: "internal server error"})
				}
			}
		}()
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		if pattern == "" {
			// The mux answers unknown paths (404), wrong methods (405) and unclean paths
			// (redirects) itself: keep its status and headers, but answer errors as JSON.
			h.mux.ServeHTTP(&muxErrorWriter{statusWriter: sw}, r)
			return
		}
		h.mux.ServeHTTP(sw, r)
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	n, err := s.ResponseWriter.Write(b)
	s.n += int64(n)
	return n, err
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// muxErrorWriter turns the mux's own plain-text 404 and 405 answers into the API's error shape.
type muxErrorWriter struct {
	*statusWriter
	swallow bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		m.swallow = true
		writeError(m.statusWriter, code, errorBody{Code: "route_not_found", Message: "no such route"})
	case http.StatusMethodNotAllowed:
		m.swallow = true
		writeError(m.statusWriter, code, errorBody{Code: "method_not_allowed", Message: "method not allowed on this route; see the Allow header"})
	default:
		m.statusWriter.WriteHeader(code)
	}
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if m.swallow {
		return len(b), nil
	}
	return m.statusWriter.Write(b)
}

// model returns the read model.
func (h *handler) model() *projections.Model { return h.svc.Model() }
