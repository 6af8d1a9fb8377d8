package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// ---- sign-in ----

type signInData struct{ Next string }

// safeNext returns s when it is a path of this site to go on to after signing in, else
// "/": one "/" first, no scheme or host, and no backslash or control character anywhere
// (browsers drop tabs and newlines from a URL and read a backslash as "/", so "/\t/evil.example"
// would leave the site).
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "/signin") {
		return "/"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(s, "//") {
		return "/"
	}
	return s
}

func (h *handler) signInPage(q *req) error {
	if q.signedIn {
		return redirect(q, safeNext(q.r.URL.Query().Get("next")), "")
	}
	h.ensurePre(q)
	pg := h.newPage(q, q.T("signin.title"))
	pg.Nav = "signin"
	q.w.Header().Set("Cache-Control", "no-store")
	h.pages.render(q, http.StatusOK, "signin", pg, signInData{Next: safeNext(q.r.URL.Query().Get("next"))})
	return nil
}

func (h *handler) signIn(q *req) error {
	token := strings.TrimSpace(q.r.PostFormValue("token"))
	next := safeNext(q.r.PostFormValue("next"))
	// Failed sign-ins are limited per client, as failed tokens on the API are: a token
	// guessed here would work there.
	client := api.ClientKey(q.r, h.cfg.trusted)
	if wait, blocked := h.signIns.Blocked(client, time.Now()); blocked {
		pg := h.newPage(q, q.T("signin.title"))
		pg.canonical("/signin")
		secs := int(wait/time.Second) + 1
		q.w.Header().Set("Retry-After", strconv.Itoa(secs))
		pg.Err = &uiError{Status: http.StatusTooManyRequests, Form: "signin", Code: "too_many_failures", Message: q.T("err.toomany", secs)}
		h.pages.render(q, http.StatusTooManyRequests, "signin", pg, signInData{Next: next})
		return nil
	}
	if _, err := h.svc.Authenticate(q.r.Context(), token); err != nil {
		if h.signIns.Failed(client, time.Now()) {
			api.LogLockout(h.cfg.log, client)
		}
		h.cfg.metrics.AuthFailed()
		pg := h.newPage(q, q.T("signin.title"))
		pg.canonical("/signin")
		pg.Err = &uiError{Status: http.StatusUnauthorized, Form: "signin", Code: "unauthenticated", Message: q.T("err.badtoken")}
		h.pages.render(q, http.StatusUnauthorized, "signin", pg, signInData{Next: next})
		return nil
	}
	h.setSession(q, token)
	return redirect(q, next, "signedin")
}

// signOut ends the session: the browser's cookie, and, for every process on the store,
// every session of the same token opened until now, so that a copy of the cookie signs
// no one in (the token itself stays valid).
func (h *handler) signOut(q *req) error {
	flash := "signedout"
	if q.signedIn {
		if err := h.svc.EndSessions(q.r.Context(), q.token, time.Now()); err != nil {
			h.cfg.log.Error("web: the sign-out could not be recorded; the browser's cookie is cleared", "user", q.p.UserID, "err", err)
			// Said, not hidden: a copy of the cookie still signs in (a review finding).
			flash = "signedout_here"
		}
	}
	h.setSession(q, "")
	return redirect(q, "/signin", flash)
}

func (h *handler) notFound(q *req) error { return errNotFound }

// ---- home ----

type homeData struct {
	Campaigns []projections.CampaignView
}

func (h *handler) home(q *req) error {
	cs := h.model().Campaigns()
	if len(cs) == 1 {
		http.Redirect(q.w, q.r, "/campaigns/"+cs[0].ID+keepDone(q), http.StatusSeeOther)
		return nil
	}
	pg := h.newPage(q, q.T("home.title"))
	pg.Nav = "home"
	h.pages.render(q, http.StatusOK, "home", pg, homeData{Campaigns: cs})
	return nil
}

func keepDone(q *req) string {
	if d, ok := q.flashShown(); ok {
		if signedFlash(d) {
			return "?done=" + d + "&f=" + url.QueryEscape(q.r.URL.Query().Get("f"))
		}
		return "?done=" + d
	}
	return ""
}

// ---- campaign dashboard ----

type countRow struct {
	State                         string
	Collective, Individual, Total int
}

type dashboardData struct {
	C          projections.CampaignView
	Scoped     bool
	Counts     []countRow
	Totals     countRow
	Ranking    []rankKind
	AsOf       time.Time
	Awards     []awardRow
	AwardTally []awardTally
	// Watch lets the page say when the ranking it shows has changed.
	Watch rankWatch
}

type awardRow struct {
	awardInfo
	Link     bool
	UnitName string
}

type awardTally struct {
	Kind           string
	Granted, Quota int
}

func (h *handler) dashboard(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	// Counted from the current states: a view of every nomination (its eligibility
	// evaluated) took seconds per dashboard at 100,000 nominations.
	counts, err := h.model().NominationCounts(c.ID, h.scopeFilter(q.p, projections.NominationFilter{}).Units)
	if err != nil {
		return err
	}
	d := dashboardData{C: c, Scoped: q.p.Role == domain.RoleClerk}
	for _, s := range nominationStates {
		kc := counts[string(s)]
		d.Counts = append(d.Counts, countRow{State: string(s), Collective: kc.Collective, Individual: kc.Individual, Total: kc.Collective + kc.Individual})
	}
	for _, kc := range counts {
		d.Totals.Collective += kc.Collective
		d.Totals.Individual += kc.Individual
		d.Totals.Total += kc.Collective + kc.Individual
	}
	rk, err := h.pageRanking(c.ID, projections.Bound{})
	if err != nil {
		return err
	}
	d.Ranking = h.rankKinds(q, rk, "", h.cfg.rankRows, rankingURL(c.ID, q, false))
	d.AsOf = rk.AsOf
	d.Watch = h.watch(q, c.ID, rk, d.Ranking, false)
	units := h.unitNames()
	granted := map[string]int{}
	for _, a := range h.campaignAwards(q.p, c.ID, projections.Bound{}) {
		if !a.Revoked {
			granted[a.Kind]++
		}
		h.model().Read(func(st *projections.State) {
			if n, _ := st.Nomination(a.Nomination); n != nil {
				a.Name = n.Nominee().Name
			}
		})
		d.Awards = append(d.Awards, awardRow{awardInfo: a, Link: workflows.CanRead(q.p, a.Unit), UnitName: nameOr(units, a.Unit)})
	}
	d.AwardTally = []awardTally{
		{Kind: string(domain.NomineeCollective), Granted: granted[string(domain.NomineeCollective)], Quota: c.Quota.Collective},
		{Kind: string(domain.NomineeIndividual), Granted: granted[string(domain.NomineeIndividual)], Quota: c.Quota.Individual},
	}
	pg := h.newPage(q, q.T("dash.title"))
	pg.Campaign, pg.Nav = c.ID, "dashboard"
	h.pages.render(q, http.StatusOK, "dashboard", pg, d)
	return nil
}

// ---- documents ----

// document streams a stored file after the store checked it against its SHA-256; a
// clerk gets only the documents of their unit (workflows.Service.Document).
func (h *handler) document(q *req) error {
	info, data, err := h.svc.Document(q.r.Context(), q.p, q.r.PathValue("sha"))
	if err != nil {
		return err
	}
	api.WriteDocument(q.w, q.r, info, data, "private, no-store")
	return nil
}
