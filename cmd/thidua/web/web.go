// Package web serves thidua's web interface: server-rendered pages for the unit clerks,
// the Sở Nội vụ reviewers, the council secretary, the administrator and the auditors.
//
// Every page is rendered on the server with html/template; the CSS, the few lines of
// JavaScript and the templates are embedded in the binary, and no page loads anything
// from another host. Pages are in Vietnamese unless English is chosen (?lang=en, kept in
// a cookie). A user signs in with their API token, which the browser keeps in an
// HttpOnly, SameSite=Strict cookie; every form that changes something carries a CSRF
// token bound to that session. Each page shows only what the user's role may see and
// offers only the actions it may take; the command service checks every action again.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/workflows"
)

// Option configures the web handler.
type Option func(*config)

type config struct {
	secret         []byte
	secure         bool
	log            *slog.Logger
	rankRows       int
	pageRows       int
	trusted        []netip.Prefix
	signInFailures int
	signInWindow   time.Duration
	// failures is the limiter shared with the API (WithFailureLimiter).
	failures *api.FailureLimiter
	replays  *api.Places
	archives *api.Places
	rankPoll time.Duration
	metrics  *api.Metrics
}

// DefaultPageRows is how many nominations a page of the nomination list or of the review
// queue shows.
const DefaultPageRows = 100

// WithPageRows sets how many nominations a page of the nomination list or of the review
// queue shows (1 to 500).
func WithPageRows(n int) Option { return func(c *config) { c.pageRows = min(max(n, 1), 500) } }

// DefaultRankingRows is how many places a ranking table shows before it is cut (the
// ranking page shows every place on request): the quota and far beyond it, without
// rendering tens of thousands of rows on every dashboard.
const DefaultRankingRows = 100

// WithRankingRows sets how many places a ranking table shows before it is cut (at least
// the quota; 0 or less: every place).
func WithRankingRows(n int) Option { return func(c *config) { c.rankRows = max(n, 0) } }

// DefaultRankingPoll is how often the live ranking page asks whether the ranking has
// changed: a ranking changes with a council's or a reviewer's decision, not by the second,
// and a dashboard left open all day asks 2,880 times.
const DefaultRankingPoll = 30 * time.Second

// WithRankingPoll sets how often the live ranking page asks whether the ranking has
// changed (0 or less: never; the page then says nothing of a change).
func WithRankingPoll(d time.Duration) Option { return func(c *config) { c.rankPoll = d } }

// WithSecret sets the key that signs the sessions' cookies and the forms' CSRF tokens.
// Servers behind one load balancer need the same key; by default each handler draws a
// random one, so that a restart signs every user out (serve keeps one in its data
// directory instead).
func WithSecret(key []byte) Option {
	return func(c *config) {
		if len(key) > 0 {
			c.secret = append([]byte(nil), key...)
		}
	}
}

// WithSecureCookies marks the session cookies Secure, for a server reached over HTTPS
// only (cookies are also marked Secure on any request that arrived over TLS).
func WithSecureCookies(on bool) Option { return func(c *config) { c.secure = on } }

// WithTrustedProxies names the proxies whose X-Forwarded-For names the client, for the
// limit on failed sign-ins (api.ClientKey), and whose X-Forwarded-Proto: https marks the
// cookies Secure (a TLS terminator in front: api.ViaTLS).
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(c *config) { c.trusted = append(c.trusted, prefixes...) }
}

// WithSignInFailureLimit sets how many failed sign-ins a client may make per window before
// it is refused with 429 (defaults: api.DefaultAuthFailures per api.DefaultAuthWindow).
func WithSignInFailureLimit(n int, per time.Duration) Option {
	return func(c *config) { c.signInFailures, c.signInWindow = n, per }
}

// WithFailureLimiter sets the limiter of failed sign-ins per client: give the API's
// (api.WithFailureLimiter), so that a client has one budget of guesses on both surfaces;
// without it the web has its own (WithSignInFailureLimit).
func WithFailureLimiter(f *api.FailureLimiter) Option { return func(c *config) { c.failures = f } }

// WithReplayPlaces sets the places of the replays in flight (api.NewReplayPlaces): the
// pages that fold a whole campaign as of a past moment, and the ranking's exports. Give
// the API's set (api.WithReplayPlaces), so that the bound is the server's; without it
// the web has its own default set.
func WithReplayPlaces(p *api.Places) Option { return func(c *config) { c.replays = p } }

// WithArchivePlaces sets the places of the archive downloads in flight
// (api.NewArchivePlaces): give the API's set (api.WithArchivePlaces), so that the bound
// is the server's; without it the web has its own default set.
func WithArchivePlaces(p *api.Places) Option { return func(c *config) { c.archives = p } }

// WithMetrics counts the pages' requests, and the failed sign-ins, in m (api.NewMetrics,
// on the registry the API serves at /metrics); without it they are logged only.
func WithMetrics(m *api.Metrics) Option { return func(c *config) { c.metrics = m } }

// WithLogger sets the logger for failures the user cannot act on.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// Cookie names.
const (
	sessionCookie = "thidua_session"
	preCookie     = "thidua_pre"
	langCookie    = "thidua_lang"
)

// handler is the web UI.
type handler struct {
	svc   *workflows.Service
	cfg   config
	mux   *http.ServeMux
	pages *renderer
	// signIns limits failed sign-ins per client, as the API limits failed tokens.
	signIns *api.FailureLimiter
	// uploads bounds the forms with a file in flight, per user and in all, as the API
	// bounds its uploads; replays the pages of a past moment and the exports.
	uploads, replays, archives *api.Places
	// states keeps each campaign's live ranking state (rankState) with the live
	// ranking's tag it was taken at: the pages that poll it ask far more often than the
	// ranking changes, and a state takes tens of milliseconds at 100,000 nominations.
	states rankStates
}

// New returns the web UI handler, mounted at "/" next to the JSON API under /api/.
func New(svc *workflows.Service, opts ...Option) http.Handler {
	cfg := config{log: slog.Default(), rankRows: DefaultRankingRows, pageRows: DefaultPageRows, rankPoll: DefaultRankingPoll}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.secret) == 0 {
		cfg.secret = make([]byte, 32)
		if _, err := rand.Read(cfg.secret); err != nil {
			panic("web: no randomness for the CSRF key: " + err.Error())
		}
	}
	h := &handler{svc: svc, cfg: cfg, mux: http.NewServeMux(), pages: newRenderer(),
		signIns: api.NewFailureLimiter(cfg.signInFailures, cfg.signInWindow), uploads: api.NewUploadPlaces(0, 0), replays: cfg.replays}
	if cfg.failures != nil {
		h.signIns = cfg.failures
	}
	if h.replays == nil {
		h.replays = api.NewReplayPlaces(0, 0, 0)
	}
	h.archives = cfg.archives
	if h.archives == nil {
		h.archives = api.NewArchivePlaces(0, 0)
	}
	h.routes()
	return h
}

func (h *handler) routes() {
	m := h.mux
	m.HandleFunc("GET /assets/{file}", h.asset)
	m.HandleFunc("GET /favicon.ico", h.asset)
	m.Handle("GET /signin", h.public(h.signInPage))
	m.Handle("POST /signin", h.publicForm(h.signIn))
	m.Handle("POST /signout", h.action(h.signOut))

	m.Handle("GET /{$}", h.page(nowOnly(h.home)))
	m.Handle("GET /campaigns/{id}", h.page(nowOnly(h.dashboard)))
	m.Handle("GET /campaigns/{id}/ranking", h.page(h.replay(h.rankingPage, false)))
	m.Handle("GET /campaigns/{id}/ranking/export", h.page(h.replay(h.rankingExport, true)))
	m.Handle("GET /campaigns/{id}/ranking/state", h.page(nowOnly(h.rankingState)))
	m.Handle("GET /campaigns/{id}/queue", h.page(nowOnly(h.queue)))
	m.Handle("GET /campaigns/{id}/timeline", h.page(h.replay(h.campaignTimeline, false)))
	m.Handle("GET /campaigns/{id}/definition.json", h.page(nowOnly(h.campaignDefinition)))
	m.Handle("GET /campaigns/{id}/nominations", h.page(nowOnly(h.nominationList)))
	m.Handle("POST /campaigns/{id}/nominations", h.action(h.openNomination))
	m.Handle("POST /campaigns/{id}/awards", h.action(h.grant))
	m.Handle("POST /campaigns/{id}/deadline", h.action(h.setDeadline))

	m.Handle("GET /nominations/{id}", h.page(nowOnly(h.nominationPage)))
	m.Handle("GET /nominations/{id}/print", h.page(h.replay(h.nominationPrint, false)))
	m.Handle("GET /nominations/{id}/timeline", h.page(h.replay(h.nominationTimeline, false)))
	m.Handle("POST /nominations/{id}/documents", h.action(h.attachDocument))
	m.Handle("POST /nominations/{id}/vote", h.action(h.recordVote))
	m.Handle("POST /nominations/{id}/submit", h.action(h.submit))
	m.Handle("POST /nominations/{id}/withdraw", h.action(h.withdraw))
	m.Handle("POST /nominations/{id}/nominee", h.action(h.correctNominee))
	m.Handle("POST /nominations/{id}/rule", h.action(h.rule))
	m.Handle("POST /nominations/{id}/return", h.action(h.returnNomination))
	m.Handle("POST /nominations/{id}/hold", h.action(h.hold))
	m.Handle("POST /nominations/{id}/release", h.action(h.release))
	m.Handle("POST /awards/{id}/revoke", h.action(h.revoke))
	m.Handle("GET /documents/{sha}", h.page(h.document))

	m.Handle("GET /units", h.page(nowOnly(h.unitList)))
	m.Handle("GET /units/{id}", h.page(nowOnly(h.unitPage)))
	m.Handle("GET /units/{id}/timeline", h.page(h.replay(h.unitTimeline, false)))
	m.Handle("POST /units/{id}/plan", h.action(h.submitPlan))
	m.Handle("POST /units/{id}/facts", h.action(h.recordFact))
	m.Handle("POST /units/{id}/nominations", h.action(h.openNominationOfUnit))

	m.Handle("GET /admin", h.page(nowOnly(h.adminPage)))
	m.Handle("GET /integrity", h.page(nowOnly(h.integrityPage)))
	m.Handle("GET /integrity/archive", h.page(h.archive))
	m.Handle("POST /integrity/restore", h.action(h.restoreDocument))
	m.Handle("POST /admin/units", h.action(h.registerUnit))
	m.Handle("POST /admin/units/import", h.action(h.importUnits))
	m.Handle("POST /admin/campaigns", h.action(h.launchCampaign))
	m.Handle("POST /admin/users", h.action(h.createUser))
	m.Handle("POST /admin/users/{id}/token", h.action(h.reissueToken))
	m.Handle("POST /admin/users/{id}/disable", h.action(h.disableUser))
	m.Handle("POST /admin/mergers", h.action(h.merge))
	m.Handle("/", h.public(h.notFound))
}

// ServeHTTP sets the security headers every answer carries and dispatches.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	// Each request is counted and logged as the API's are (a review finding: the pages,
	// where clerks, reviewers and the council work, were neither).
	_, pattern := h.mux.Handler(r)
	h.cfg.metrics.Track(w, r, pattern, h.cfg.log, func(w http.ResponseWriter, r *http.Request) {
		sw := &wroteWriter{ResponseWriter: w}
		defer func() {
			// A page's bug answers the error page, as the API answers 500, instead of a
			// connection dropped without a word (and a stack trace in the log per request).
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.cfg.log.Error("panic serving page", "id", w.Header().Get(api.RequestIDHeader), "method", r.Method, "path", r.URL.Path, "panic", v)
				if !sw.wrote {
					http.Error(sw, "500 — Lỗi máy chủ / internal server error", http.StatusInternalServerError)
				}
			}
		}()
		h.mux.ServeHTTP(sw, r)
	})
}

// wroteWriter records whether a response was begun.
type wroteWriter struct {
	http.ResponseWriter
	wrote bool
}

// WriteHeader records the answer's start.
func (w *wroteWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

// Write records the answer's start.
func (w *wroteWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath (flushes, deadlines).
func (w *wroteWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// req is what every page handler knows of its request.
type req struct {
	r        *http.Request
	w        http.ResponseWriter
	lang     string
	p        workflows.Principal
	signedIn bool
	token    string
	// issued is when the session was opened (signed in).
	issued time.Time
	pre    string
	// placed is true while the request holds a replay place (replay).
	placed bool
	// secret is the web secret, which signs a flash for its session (flashMAC).
	secret []byte
}

// signedFlash reports whether a flash shows only with its session's signature (flashMAC):
// every one but signing in and out, which change the session it would be bound to and say
// nothing of a record.
func signedFlash(flash string) bool {
	return flash != "signedin" && flash != "signedout" && flash != "signedout_here"
}

// flashMAC binds a flash and its counts to the session that did what it says, so that a
// link made by someone else shows none (a review finding: "?done=submitted" told a clerk
// their dossier was submitted, and "?done=units&n=300" an administrator that 300 units
// were registered, when nothing was). It is "" when signed out.
//
// It binds the page too (path, unescaped): a flash taken from one page's address showed on
// any other of the session's, a nomination's "submitted" on another nomination's page (a
// review finding).
func (q *req) flashMAC(path, flash, n, m string) string {
	if !q.signedIn || len(q.secret) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, q.secret)
	mac.Write([]byte("flash|" + q.sessionBinding() + "|" + path + "|" + flash + "|" + n + "|" + m))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// sessionBinding names the signed-in session, this sign-in of this token, for what is
// bound to it (a form's CSRF token, a flash's signature).
func (q *req) sessionBinding() string {
	sum := sha256.Sum256([]byte(q.token))
	return base64.RawURLEncoding.EncodeToString(sum[:]) + "|" + strconv.FormatInt(q.issued.UnixMilli(), 10)
}

// flashShown reports whether the request's flash (done=) may be shown: a known one,
// signed for this session when it must be.
func (q *req) flashShown() (string, bool) {
	v := q.r.URL.Query()
	f := v.Get("done")
	if f == "" || !hasKey("flash."+f) {
		return "", false
	}
	if !signedFlash(f) {
		return f, true
	}
	want := q.flashMAC(q.r.URL.Path, f, v.Get("n"), v.Get("m"))
	return f, want != "" && hmac.Equal([]byte(v.Get("f")), []byte(want))
}

// T translates a message key in the request's language.
func (q *req) T(key string, args ...any) string { return translate(q.lang, key, args...) }

// newReq resolves the language and the session of a request.
func (h *handler) newReq(w http.ResponseWriter, r *http.Request) *req {
	q := &req{r: r, w: w, lang: "vi", secret: h.cfg.secret}
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		q.lang = l
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	} else if c, err := r.Cookie(langCookie); err == nil && (c.Value == "vi" || c.Value == "en") {
		q.lang = c.Value
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if hash, issued, ok := h.openSession(c.Value, time.Now()); ok && h.sessionLive(r.Context(), hash, issued) {
			if p, err := h.svc.AuthenticateHash(r.Context(), hash); err == nil {
				q.p, q.signedIn, q.token, q.issued = p, true, hash, issued
			}
		}
	}
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 16 {
		q.pre = c.Value
	}
	return q
}

// secure reports whether cookies go Secure: --secure-cookies, a TLS connection, or a
// trusted proxy's X-Forwarded-Proto: https (a TLS terminator in front).
func (h *handler) secure(r *http.Request) bool {
	return h.cfg.secure || api.ViaTLS(r, h.cfg.trusted)
}

// handlerFunc renders one page or carries out one action.
type handlerFunc func(q *req) error

// public serves a handler that needs no session, reading no body: whatever was sent,
// to any path, costs the server nothing to refuse.
func (h *handler) public(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := h.newReq(w, r)
		if err := fn(q); err != nil {
			h.fail(q, err)
		}
	})
}

// publicForm serves a form that needs no session (signing in): a small form without a
// file, with its CSRF token. Anyone can send one, so a file is refused unread, not
// parsed into memory and temporary files before the token is checked.
func (h *handler) publicForm(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := h.newReq(w, r)
		defer cleanup(r)
		if err := h.checkForm(q, false); err != nil {
			h.fail(q, err)
			return
		}
		if err := fn(q); err != nil {
			h.fail(q, err)
		}
	})
}

// page serves a page that needs a session: without one, the browser goes to sign-in.
func (h *handler) page(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := h.newReq(w, r)
		if !q.signedIn {
			http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := fn(q); err != nil {
			h.fail(q, err)
		}
	})
}

// action serves a form submission: it needs a session and the form's CSRF token.
func (h *handler) action(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := h.newReq(w, r)
		w.Header().Set("Cache-Control", "no-store")
		defer cleanup(r)
		if !q.signedIn {
			h.fail(q, errSignedOut)
			return
		}
		if api.IsMultipart(r) {
			// Taken before the body is read: a file may take minutes to arrive.
			release, err := h.uploads.Acquire(r.Context(), q.p.UserID)
			if err != nil {
				h.fail(q, err)
				return
			}
			defer release()
		}
		if err := h.checkForm(q, true); err != nil {
			var tfe *textFieldError
			if _, page := h.formHome(q); page != nil && errors.As(err, &tfe) {
				// The form again, with what was typed and the error beside the field, as
				// the actions' own refusals show it: a character pasted from a PDF cost
				// the user everything they had typed.
				if err := h.again(q, strings.TrimSpace(q.r.PostForm.Get("_form")), err, page); err != nil {
					h.fail(q, err)
				}
				return
			}
			h.fail(q, err)
			return
		}
		if err := fn(q); err != nil {
			h.fail(q, err)
		}
	})
}

// replay serves a page that folds a whole campaign as of a past moment (a ranking, or a
// timeline with the ranking of its moment) when it is asked for one (?at=, ?seq=), or
// always: it takes one of the user's replay places first, as the API does for its
// rankings of a past moment and its exports.
func (h *handler) replay(fn handlerFunc, always bool) handlerFunc {
	return func(q *req) error {
		v := q.r.URL.Query()
		if !always && strings.TrimSpace(v.Get("at")) == "" && strings.TrimSpace(v.Get("seq")) == "" {
			return fn(q)
		}
		release, err := h.replays.Acquire(q.r.Context(), q.p.UserID)
		if err != nil {
			return err
		}
		defer release()
		q.placed = true
		return fn(q)
	}
}

// nowOnly serves a page that shows the present only: asked for a moment (?at=, ?seq=), it
// refuses, as the API refuses such reads (bound_not_supported), rather than show the
// present to someone who asked for the past; the timelines replay moments.
func nowOnly(fn handlerFunc) handlerFunc {
	return func(q *req) error {
		v := q.r.URL.Query()
		if v.Has("at") || v.Has("seq") {
			return invalid("err.bound.nowonly")
		}
		return fn(q)
	}
}

// cleanup removes the temporary files of a multipart form.
func cleanup(r *http.Request) {
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
}

// maxFormBytes bounds a form without a file.
const maxFormBytes = 1 << 20

// checkForm parses the form (multipart, when files, bounded by the store's document
// limit; otherwise errNoFiles, unread) and checks its CSRF token: errCSRF when it is missing or wrong, the parse
// error (413 for a body too large) when the form cannot be read.
func (h *handler) checkForm(q *req, files bool) error {
	r := q.r
	multipart := api.IsMultipart(r)
	if multipart && !files {
		return errNoFiles
	}
	if multipart {
		r.Body = http.MaxBytesReader(q.w, r.Body, h.svc.Store().MaxDocumentSize()+maxFormBytes)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return errCSRF
		}
	} else {
		r.Body = http.MaxBytesReader(q.w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return errCSRF
		}
	}
	got := r.PostFormValue("csrf")
	want := h.csrfToken(q)
	if got == "" || want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return errCSRF
	}
	return checkFormText(r)
}

// textFieldErr is CheckText's refusal of a form field's text, tied to the field.
func textFieldErr(field string, err error) error {
	var te *domain.TextError
	if errors.As(err, &te) {
		return &textFieldError{field: field, err: te}
	}
	return err
}

// checkFormText refuses a form holding a value or a file name that cannot be shown or
// stored faithfully (domain.CheckText: control characters, bidirectional overrides,
// invalid UTF-8), as the API refuses such a body (400 invalid_text), before any action
// reads it.
func checkFormText(r *http.Request) error {
	names := make([]string, 0, len(r.PostForm))
	for name := range r.PostForm {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "next" || name == "csrf" || name == "idem" || name == "token" {
			continue // never stored nor shown: each is checked for what it is
		}
		for _, v := range r.PostForm[name] {
			if err := domain.CheckText(v); err != nil {
				return textFieldErr(name, err)
			}
		}
	}
	if r.MultipartForm != nil {
		for _, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				if err := domain.CheckText(fh.Filename); err != nil {
					return textFieldErr("file", err)
				}
			}
		}
	}
	return nil
}

// csrfToken is the token the request's forms carry: an HMAC of the session (or, before
// sign-in, of the pre-session cookie), so that another site can neither read nor forge it.
func (h *handler) csrfToken(q *req) string {
	var msg string
	switch {
	case q.signedIn:
		// Bound to this sign-in, not to the token alone: a page kept from an earlier
		// session (saved, printed, left in a shared browser's cache) carries a token that
		// no later session takes.
		msg = "session|" + q.sessionBinding()
	case q.pre != "":
		msg = "pre|" + q.pre
	default:
		return ""
	}
	mac := hmac.New(sha256.New, h.cfg.secret)
	mac.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ensurePre gives a signed-out browser the cookie its sign-in form's CSRF token is bound to.
func (h *handler) ensurePre(q *req) {
	if q.pre != "" {
		return
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return
	}
	q.pre = base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(q.w, &http.Cookie{Name: preCookie, Value: q.pre, Path: "/", MaxAge: 12 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(q.r)})
}

// sessionLife is how long a sign-in lasts.
const sessionLife = 12 * time.Hour

// setSession stores a session for the token in the session cookie (or clears it). The
// cookie holds the token's hash, as the registry stores it, with its expiry, signed with
// the web secret: a stolen cookie is no API token, and it expires.
func (h *handler) setSession(q *req, token string) {
	c := &http.Cookie{Name: sessionCookie, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(q.r)}
	if token == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	} else {
		c.Value = h.sealSession(workflows.HashToken(token), time.Now())
		c.MaxAge = int(sessionLife / time.Second)
	}
	http.SetCookie(q.w, c)
}

// sealSession writes a session opened at issued: its expiry (Unix milliseconds, issued
// plus sessionLife) and the token's hash, then their HMAC under the web secret.
func (h *handler) sealSession(hash string, issued time.Time) string {
	body := strconv.FormatInt(issued.Add(sessionLife).UnixMilli(), 10) + "." + hash
	return body + "." + h.sessionMAC(body)
}

// openSession checks a session cookie's signature and expiry and returns its token hash
// and when it was opened. (A cookie of before sign-outs were recorded holds its expiry in
// Unix seconds, a number that, read as milliseconds, lies in 1970: it has expired.)
func (h *handler) openSession(v string, now time.Time) (hash string, issued time.Time, ok bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(h.sessionMAC(v[:i]))) {
		return "", time.Time{}, false
	}
	exp, hash, ok := strings.Cut(v[:i], ".")
	if !ok {
		return "", time.Time{}, false
	}
	ms, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.UnixMilli(ms)) {
		return "", time.Time{}, false
	}
	return hash, time.UnixMilli(ms).Add(-sessionLife), true
}

// sessionLive reports whether a session opened at issued with the token whose hash is
// hash has not been ended since by a sign-out (in any process on the store). When the
// sign-outs cannot be read, the session is taken as ended: the page asks to sign in
// again rather than let an ended session through.
func (h *handler) sessionLive(ctx context.Context, hash string, issued time.Time) bool {
	ended, err := h.svc.SessionsEnded(ctx, hash)
	if err != nil {
		h.cfg.log.Warn("web: sign-outs unreadable; the session is refused", "err", err)
		return false
	}
	return issued.After(ended)
}

// sessionMAC is the HMAC of a session's body under the web secret.
func (h *handler) sessionMAC(body string) string {
	mac := hmac.New(sha256.New, h.cfg.secret)
	mac.Write([]byte("session-cookie|" + body))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// redirect sends the browser on after a successful action (post/redirect/get), with a
// flash message key the next page shows.
func redirect(q *req, path, flash string) error {
	frag := ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path, frag = path[:i], path[i:]
	}
	if flash != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + flash
		if signedFlash(flash) {
			var v url.Values
			page := path
			if u, err := url.Parse(path); err == nil {
				v, page = u.Query(), u.Path
			}
			path += "&f=" + q.flashMAC(page, flash, v.Get("n"), v.Get("m"))
		}
	}
	http.Redirect(q.w, q.r, path+frag, http.StatusSeeOther)
	return nil
}
