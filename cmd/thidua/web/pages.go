package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/cmd/thidua/rankexport"
	"thidua/domain"
	"thidua/eventstore"
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
		h.signIns.Failed(client, time.Now())
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
	if q.signedIn {
		if err := h.svc.EndSessions(q.r.Context(), q.token, time.Now()); err != nil {
			h.cfg.log.Error("web: the sign-out could not be recorded; the browser's cookie is cleared", "user", q.p.UserID, "err", err)
		}
	}
	h.setSession(q, "")
	return redirect(q, "/signin", "signedout")
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
	if d := q.r.URL.Query().Get("done"); d != "" && hasKey("flash."+d) {
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
	units := h.unitNames()
	granted := map[string]int{}
	for _, a := range h.campaignAwards(c.ID, projections.Bound{}) {
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

// ---- ranking (printable) ----

type rankingData struct {
	C       projections.CampaignView
	Kinds   []rankKind
	AsOf    time.Time
	AsOfSeq uint64
	AtValue string
	Live    bool
	Keys    []string
	PickErr *uiError
	NotYet  bool
	// Broken says the campaign's events or the stream do not verify up to the moment.
	Broken   bool
	Awards   []awardTally
	Printed  time.Time
	Viewer   string
	Decision string
	// ExportCSV and ExportXLSX download the ranking shown ("" when there is none).
	ExportCSV, ExportXLSX string
	// Digest is the stream's digest up to AsOfSeq, which the printed page states as the
	// exports do ("" when there is none to state).
	Digest string
}

// rankingURL is the address of a campaign's ranking page at the moment the request asks
// for (its at or seq), with every place when all.
func rankingURL(campaign string, q *req, all bool) string {
	v := url.Values{}
	for _, k := range []string{"at", "seq"} {
		if s := strings.TrimSpace(q.r.URL.Query().Get(k)); s != "" {
			v.Set(k, s)
		}
	}
	if all {
		v.Set("all", "1")
	}
	u := "/campaigns/" + url.PathEscape(campaign) + "/ranking"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

func (h *handler) rankingPage(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	d := rankingData{C: c, Keys: c.Definition.RankingKeys, Printed: h.svc.Now(), Viewer: q.p.Name}
	b, berr := h.parseBound(q)
	if berr != nil {
		d.PickErr = h.localise(q, berr)
		b = projections.Bound{}
	}
	rk, err := h.sealedRanking(q, c.ID, b)
	switch {
	case err == nil:
		limit := h.cfg.rankRows
		if q.r.URL.Query().Get("all") == "1" {
			limit = 0
		}
		d.Kinds = h.rankKinds(q, rk, "", limit, rankingURL(c.ID, q, true))
	case errors.Is(err, projections.ErrNotFound) && !b.Live():
		d.NotYet = true
		rk.AsOf = b.Time
	default:
		return err
	}
	d.AsOf, d.AsOfSeq, d.Live = rk.AsOf, rk.AsOfSeq, b.Live()
	if !d.NotYet && rk.AsOfSeq > 0 {
		dg, err := h.svc.DigestAt(q.r.Context(), rk.AsOfSeq)
		if err != nil {
			return err
		}
		d.Digest = dg.Hex()
	}
	d.Broken = rk.Integrity.Status == projections.IntegrityBroken
	d.AtValue = atValue(q, b)
	if !d.NotYet {
		d.ExportCSV = rankingExportURL(c.ID, q, berr == nil, rankexport.CSV)
		d.ExportXLSX = rankingExportURL(c.ID, q, berr == nil, rankexport.XLSX)
	}
	for _, k := range d.Kinds {
		d.Awards = append(d.Awards, awardTally{Kind: k.Kind, Granted: k.Awarded, Quota: k.Quota})
	}
	pg := h.newPage(q, q.T("rank.title"))
	pg.Campaign, pg.Nav, pg.Print = c.ID, "ranking", true
	h.pages.render(q, http.StatusOK, "ranking", pg, d)
	return nil
}

// rankingExportURL is the address of the download of a campaign's ranking in format, at
// the moment the request asks for when withBound (its at or seq, as the page shows it),
// else now.
func rankingExportURL(campaign string, q *req, withBound bool, format rankexport.Format) string {
	v := url.Values{"format": {string(format)}}
	if withBound {
		for _, k := range []string{"at", "seq"} {
			if s := strings.TrimSpace(q.r.URL.Query().Get(k)); s != "" {
				v.Set(k, s)
			}
		}
	}
	return "/campaigns/" + url.PathEscape(campaign) + "/ranking/export?" + v.Encode()
}

// rankingExport: GET /campaigns/{id}/ranking/export?format=csv|xlsx[&at=|seq=] downloads
// the ranking the ranking page shows (at its moment, every place) as a CSV or XLSX file
// in the page's language, written by the same code as the API's and the CLI's exports.
func (h *handler) rankingExport(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	f := q.r.URL.Query().Get("format")
	format, err := rankexport.ParseFormat(f)
	if err != nil {
		return invalid("err.form.format", f)
	}
	b, err := h.parseBound(q)
	if err != nil {
		return err
	}
	rk, err := h.model().Ranking(c.ID, b)
	if err != nil {
		return err
	}
	meta := rankexport.Meta{CampaignName: c.NameVI, Requested: b, GeneratedAt: h.svc.Now(), Lang: rankexport.Vietnamese}
	meta.AskedSeq, _ = strconv.ParseUint(q.r.URL.Query().Get("seq"), 10, 64)
	meta.AskedAt = q.r.URL.Query().Get("at")
	if err := meta.Seal(q.r.Context(), rk, h.svc.DigestAt); err != nil {
		return err
	}
	if q.lang == "en" {
		meta.Lang = rankexport.English
		if c.NameEN != "" {
			meta.CampaignName = c.NameEN
		}
	}
	var buf bytes.Buffer
	if err := rankexport.Write(q.r.Context(), &buf, format, rk, meta); err != nil {
		return fmt.Errorf("export the ranking of %s: %w", c.ID, err)
	}
	hd := q.w.Header()
	hd.Set("Content-Type", format.ContentType())
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": rankexport.FileName(rk, format)}); cd != "" {
		hd.Set("Content-Disposition", cd)
	} else {
		hd.Set("Content-Disposition", "attachment")
	}
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(buf.Bytes())
	}
	return nil
}

// ---- reviewer queue ----

type queueRow struct {
	N          projections.NominationView
	UnitName   string
	Waiting    int
	Unruled    []string
	Pending    []pendingFact
	Conflict   bool
	Complete   bool
	Violations int
}

type pendingFact struct {
	Criterion string
	Facts     []string
}

type queueData struct {
	C    projections.CampaignView
	Rows []queueRow
	offsetPage
}

func (h *handler) queue(q *req) error {
	if q.p.Role == domain.RoleClerk {
		return errForbidden
	}
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	// One page, the longest waiting first: the queue of a national campaign holds tens of
	// thousands of dossiers, and only the page's are evaluated.
	offset, _ := strconv.Atoi(q.r.URL.Query().Get("from"))
	offset = max(offset, 0)
	noms, total, err := h.model().Queue(c.ID, offset, h.cfg.pageRows)
	if err != nil {
		return err
	}
	defs := map[string]domain.Criterion{}
	for _, cr := range c.Definition.Criteria {
		defs[cr.ID] = cr
	}
	units := h.unitNames()
	parents := map[string]bool{} // by unit, as the eligibility finds it now
	now := h.svc.Now()
	conflicts := map[string]bool{}
	d := queueData{C: c, offsetPage: pageAt("/campaigns/"+url.PathEscape(c.ID)+"/queue", nil, offset, len(noms), total, h.cfg.pageRows)}
	for _, n := range noms {
		row := queueRow{N: n, UnitName: nameOr(units, n.Unit)}
		if n.SubmittedAt != nil {
			row.Waiting = int(now.Sub(*n.SubmittedAt).Hours() / 24)
		}
		ids := make([]string, 0, len(n.Criteria))
		for id := range n.Criteria {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			cv := n.Criteria[id]
			if cv.Result != domain.ResultPending {
				continue
			}
			if cv.JudgedBy == domain.JudgedByRuling {
				row.Unruled = append(row.Unruled, id)
			} else {
				parent, ok := parents[n.Unit]
				if !ok {
					parent = h.model().ParentUnit(n.Unit, projections.Bound{})
					parents[n.Unit] = parent
				}
				row.Pending = append(row.Pending, pendingFact{Criterion: id, Facts: criterionFacts(defs[id], parent)})
			}
		}
		if q.p.Role == domain.RoleReviewer && q.p.Unit != "" {
			c, ok := conflicts[n.Unit]
			if !ok {
				c = h.conflict(q.p, n.Unit)
				conflicts[n.Unit] = c
			}
			row.Conflict = c
		}
		d.Rows = append(d.Rows, row)
	}
	pg := h.newPage(q, q.T("queue.title"))
	pg.Campaign, pg.Nav = c.ID, "queue"
	h.pages.render(q, http.StatusOK, "queue", pg, d)
	return nil
}

// offsetPage is one page of a listing paged by offset (the review queue, the units):
// which rows it shows (From and To, from 1) of Total, and the addresses of the pages
// before and after it ("" for none).
type offsetPage struct {
	From, To, Total int
	Prev, Next      string
}

// pageAt describes the page of shown rows from offset, of total, of pages of size at
// base; keep holds the query the pages share (a search).
func pageAt(base string, keep url.Values, offset, shown, total, size int) offsetPage {
	at := func(from int) string {
		v := url.Values{}
		for k, vs := range keep {
			v[k] = vs
		}
		if from > 0 {
			v.Set("from", strconv.Itoa(from))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	p := offsetPage{Total: total}
	if shown > 0 {
		p.From, p.To = offset+1, offset+shown
	}
	if offset > 0 {
		p.Prev = at(offset - size)
	}
	if offset+shown < total {
		p.Next = at(offset + shown)
	}
	return p
}

// ---- nominations list ----

// maxUnitChoices is the most units a filter offers as a list to choose from.
const maxUnitChoices = 500

type listData struct {
	C projections.CampaignView
	// CanOpen offers a clerk the form to open a nomination in the campaign.
	CanOpen bool
	Rows    []listRow
	// First and Next are the addresses of the first and the next page ("" for none).
	First, Next       string
	State, Kind, Unit string
	States            []string
	Units             []projections.UnitView
	Scoped            bool
	OwnUnit           string
	// TypeUnit is true when the unit filter is typed (too many units to list).
	TypeUnit bool
}

type listRow struct {
	N        projections.NominationView
	UnitName string
}

func (h *handler) nominationList(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := q.r.URL.Query()
	f := projections.NominationFilter{State: v.Get("state"), Kind: v.Get("kind"), Unit: v.Get("unit")}
	// One page, newest first: a national campaign lists 100,000 nominations, each
	// evaluated for its verdict.
	page := h.scopeFilter(q.p, f)
	page.Limit, page.Cursor = h.cfg.pageRows, v.Get("after")
	noms, next, err := h.model().Nominations(c.ID, page)
	if err != nil {
		return err
	}
	units := h.unitNames()
	d := listData{C: c, State: f.State, Kind: f.Kind, Unit: f.Unit, Scoped: q.p.Role == domain.RoleClerk, OwnUnit: q.p.Unit}
	if d.Scoped {
		// Offered only where the unit page has the form (unitPage's CanOpen): a unit a
		// merger dissolved, or a campaign past its deadline, opens no nomination.
		if u, err := h.model().Unit(q.p.Unit, projections.Bound{}); err == nil && u.Status == domain.UnitActive {
			d.CanOpen = takesNominations(c, h.svc.Now())
		}
	}
	keep := url.Values{}
	for _, k := range []string{"state", "kind", "unit"} {
		if s := v.Get(k); s != "" {
			keep.Set(k, s)
		}
	}
	base := "/campaigns/" + url.PathEscape(c.ID) + "/nominations"
	if page.Cursor != "" {
		d.First = base
		if len(keep) > 0 {
			d.First += "?" + keep.Encode()
		}
	}
	if next != "" {
		keep.Set("after", next)
		d.Next = base + "?" + keep.Encode()
	}
	for _, s := range nominationStates {
		d.States = append(d.States, string(s))
	}
	if !d.Scoped {
		// A list to choose from for a province's few hundred units; beyond maxUnitChoices
		// (a national deployment's tens of thousands) the unit is typed by its id.
		if h.model().UnitCount("") <= maxUnitChoices {
			d.Units = byName(h.model().Units("", ""))
		} else {
			d.TypeUnit = true
		}
	}
	for _, n := range noms {
		d.Rows = append(d.Rows, listRow{N: n, UnitName: nameOr(units, n.Unit)})
	}
	pg := h.newPage(q, q.T("list.title"))
	pg.Campaign, pg.Nav = c.ID, "nominations"
	h.pages.render(q, http.StatusOK, "nominations", pg, d)
	return nil
}

// ---- nomination ----

type critRow struct {
	ID, Label, AppliesTo, JudgedBy, Result, Note string
	Details                                      []string
	Events                                       []string
	CanRule                                      bool
	Current                                      string
}

type docRow struct {
	projections.DocumentView
	Actor string
	// Later is set when a document of the same kind was attached after this one: the
	// dossier keeps both, and the reviewer reads the latest first.
	Later bool
}

type actions struct {
	Attach, Vote, Submit, Withdraw bool
	// Correct offers the correction of an individual nominee's details (draft, returned).
	Correct                     bool
	Rule, Return, Hold, Release bool
	Grant, Revoke               bool
	Any                         bool
	// QuotaFull is set when the nomination could be granted but every place of its kind
	// is taken.
	QuotaFull                       bool
	Conflict, Merged, GrantConflict bool
	// DeadlinePassed marks a draft after the nomination deadline (Deadline).
	DeadlinePassed bool
	Deadline       time.Time
}

type nominationData struct {
	N        projections.NominationView
	C        projections.CampaignView
	El       projections.EligibilityView
	Reasons  []reasonRow
	Criteria []critRow
	Docs     []docRow
	Missing  []string
	Plan     *domain.PlanRef
	PlanAt   time.Time
	Award    *awardInfo
	// StateReason is why the nomination is returned or on hold, as the reviewer wrote
	// it ("" otherwise): the clerk needs it to know what to amend.
	StateReason string
	// HeadHint is set when an individual's position reads as the unit's head but the
	// dossier does not declare one (domain.LooksLikeHead): H01–H05 are then not judged.
	HeadHint  bool
	Can       actions
	DocKinds  []string
	Grounds   []string
	Results   []string
	Rank      *rankRow
	RankQuota int
	UnitName  string
	History   []string
	Printed   time.Time
	Viewer    string
	OpenedBy  string
	SubmitBy  string
	// Digest is the stream's digest which the printed summary states (nil when it could
	// not be read): up to the last sequence applied when the page was gathered from the
	// live state, or up to AsOfSeq (see nominationPrint).
	Digest *eventstore.Digest
	// AsOfSeq is the last event a summary gathered as of a bound took into account, and
	// rankSeq the ranking's. Asked says the user asked for a past moment (?at= or ?seq=),
	// AsOfTime is its time when given as one.
	AsOfSeq  uint64
	rankSeq  uint64
	Asked    bool
	AsOfTime time.Time
}

// nominationData gathers everything the nomination page and its print view show, as of
// the bound (the zero Bound: now; the print view only takes another). Who may read it is
// decided on the nomination as it is now, wherever a merger has taken it since.
func (h *handler) nominationData(q *req, pg *frame, id string, b projections.Bound) (*nominationData, error) {
	n, err := h.model().Nomination(id)
	if err != nil {
		return nil, err
	}
	if !h.svc.CanReadNomination(q.p, n.Unit, n.UnitHistory) {
		return nil, errForbidden
	}
	if !b.Live() {
		if n, err = h.model().NominationAt(id, b); err != nil {
			return nil, err
		}
	}
	c, err := h.model().CampaignAt(n.Campaign, b)
	if err != nil {
		return nil, err
	}
	el, err := h.model().Eligibility(id, b)
	if err != nil {
		return nil, err
	}
	names := h.userNames()
	units := h.unitNames()
	d := &nominationData{N: n, C: c, El: el, Reasons: reasonRows(pg, el), UnitName: nameOr(units, n.Unit),
		Printed: h.svc.Now(), Viewer: q.p.Name, OpenedBy: nameOr(names, n.OpenedBy), SubmitBy: nameOr(names, n.SubmittedBy)}
	// The units it was of before a merger, by name (before, by id alone: "TB").
	for _, u := range n.UnitHistory {
		d.History = append(d.History, unitLabel(units, u))
	}
	// The events behind rulings and facts, to show what each criterion rests on.
	nevs, err := h.model().NominationEvents(id, b)
	if err != nil {
		return nil, err
	}
	uevs, _ := h.model().UnitEvents(n.Unit, true, b, 0)
	byID := map[string]projections.EventView{}
	for _, e := range mergeEvents(nevs, uevs) {
		byID[e.ID] = e
	}
	last := map[string]int{}
	for i, doc := range n.Documents {
		last[doc.Kind] = i
	}
	for i, doc := range n.Documents {
		actor := ""
		if e, ok := byID[doc.Event]; ok {
			actor = nameOr(names, e.Actor.User)
		}
		d.Docs = append(d.Docs, docRow{DocumentView: doc, Actor: actor, Later: last[doc.Kind] != i})
	}
	have := map[string]bool{}
	for _, doc := range n.Documents {
		have[doc.Kind] = true
	}
	for _, part := range c.Definition.DossierParts {
		if !have[string(part)] {
			d.Missing = append(d.Missing, string(part))
		}
	}
	if n.CouncilVote == nil {
		d.Missing = append(d.Missing, "council_vote")
	}
	// The plan the eligibility relies on: its own line's, not the last of the lineage's
	// (a unit merged alongside has its own).
	if plan, err := h.model().NominationPlan(n.ID, b); err == nil && plan != nil {
		d.Plan = plan
		if e, ok := byID[plan.EventID]; ok {
			d.PlanAt = e.At
		}
	}
	parent := h.model().ParentUnit(n.Unit, b) // at the moment shown, as the eligibility reads it
	for _, cr := range domain.ApplicableCriteria(c.Definition, n.Nominee) {
		cv, ok := n.Criteria[cr.ID]
		if !ok {
			continue
		}
		row := critRow{ID: cr.ID, Label: pg.Pick(cr.LabelVI, cr.LabelEN), AppliesTo: cr.AppliesTo, JudgedBy: cr.JudgedBy,
			Result: cv.Result, Note: cv.Note, Events: cv.Events}
		for _, evID := range cv.Events {
			e, ok := byID[evID]
			if !ok {
				continue
			}
			switch e.Type {
			case domain.FactRecorded:
				var fd domain.FactRecordedData
				if json.Unmarshal(e.Data, &fd) == nil {
					s := pg.L("fact", fd.Fact) + " = " + factValue(pg, fd)
					if fd.Cause != "" {
						s += " (" + pg.L("cause", fd.Cause) + ")"
					}
					s += " — " + nameOr(names, e.Actor.User) + ", " + pg.Time(e.At)
					row.Details = append(row.Details, s)
				}
			case domain.CriterionRuled:
				var rd domain.CriterionRuledData
				if json.Unmarshal(e.Data, &rd) == nil {
					s := pg.T("crit.ruledby", pg.L("result", rd.Result), nameOr(names, e.Actor.User), pg.Time(e.At))
					if rd.Note != "" {
						s += ": " + rd.Note
					}
					row.Details = append(row.Details, s)
					row.Current = rd.Result
				}
			}
		}
		if cr.JudgedBy == domain.JudgedByFacts && cv.Result == domain.ResultPending {
			var fs []string
			for _, f := range criterionFacts(cr, parent) {
				fs = append(fs, pg.L("fact", f))
			}
			row.Details = append(row.Details, pg.T("crit.needs", strings.Join(fs, ", ")))
		}
		d.Criteria = append(d.Criteria, row)
	}
	if n.Award != "" {
		for _, a := range h.campaignAwards(n.Campaign, b) {
			if a.ID == n.Award {
				a := a
				d.Award = &a
			}
		}
	}
	quotaFull := false
	if rk, err := h.pageRanking(n.Campaign, b); err == nil {
		d.rankSeq = rk.AsOfSeq
		for _, k := range h.rankKinds(q, rk, id, 0, "") {
			for _, r := range k.Rows {
				if r.Nomination == id {
					r := r
					d.Rank, d.RankQuota = &r, k.Quota
				}
			}
		}
		kind := rk.Collective
		if n.Nominee.Kind == domain.NomineeIndividual {
			kind = rk.Individual
		}
		quotaFull = kind.Awarded >= kind.Quota
	}
	d.StateReason = h.stateReason(n, b)
	d.HeadHint = n.Nominee.Kind == domain.NomineeIndividual && !n.Nominee.Head && domain.LooksLikeHead(n.Nominee.Position)
	d.Can = h.allowed(q, n, c)
	if quotaFull && d.Can.Grant {
		// Every place is taken: a grant would be refused (quota_exceeded) until a
		// revocation frees one; the page says so instead of offering it.
		d.Can.Grant, d.Can.QuotaFull = false, true
		d.Can.Any = d.Can.Attach || d.Can.Vote || d.Can.Submit || d.Can.Withdraw || d.Can.Correct || d.Can.Rule || d.Can.Return || d.Can.Hold || d.Can.Release || d.Can.Revoke
	}
	for i := range d.Criteria {
		d.Criteria[i].CanRule = d.Can.Rule && d.Criteria[i].JudgedBy == domain.JudgedByRuling
	}
	d.DocKinds = []string{string(domain.DocLetter), string(domain.DocCouncilMinutes), string(domain.DocAchievementReport), string(domain.DocSupporting)}
	d.Grounds = []string{domain.GroundFalseDeclaration, domain.GroundForgedDocuments, domain.GroundUnlawfulApproval, domain.GroundCriteriaUnmet}
	d.Results = []string{domain.ResultMet, domain.ResultNotMet, domain.ResultNotApplicable}
	return d, nil
}

// stateReason returns the reason of the return or hold that put the nomination in its
// state ("" when it is neither returned nor on hold).
func (h *handler) stateReason(n projections.NominationView, b projections.Bound) string {
	var typ string
	switch domain.State(n.State) {
	case domain.StateReturned:
		typ = domain.NominationReturned
	case domain.StateOnHold:
		typ = domain.NominationHeld
	default:
		return ""
	}
	evs, err := h.model().NominationEvents(n.ID, b)
	if err != nil {
		return ""
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			var d domain.ReasonData
			if json.Unmarshal(evs[i].Data, &d) == nil {
				return d.Reason
			}
			return ""
		}
	}
	return ""
}

// allowed decides which action forms the nomination page offers the user. The command
// service checks each action again; this only spares users forms they cannot use.
func (h *handler) allowed(q *req, n projections.NominationView, c projections.CampaignView) actions {
	var a actions
	p := q.p
	switch p.Role {
	case domain.RoleClerk:
		if p.Unit != n.Unit {
			return a
		}
		if u, err := h.model().Unit(p.Unit, projections.Bound{}); err == nil && u.Status == domain.UnitMerged {
			a.Merged = true
			return a
		}
		editable := inStates(n.State, domain.StateDraft, domain.StateReturned)
		if n.State == string(domain.StateDraft) && c.Deadline != nil && h.svc.Now().After(*c.Deadline) {
			// A draft can no longer be submitted: its forms would all be refused.
			editable, a.DeadlinePassed, a.Deadline = false, true, *c.Deadline
		}
		a.Attach, a.Vote, a.Submit = editable, editable, editable
		a.Correct = editable && n.Nominee.Kind == domain.NomineeIndividual
		a.Withdraw = inStates(n.State, domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified)
	case domain.RoleReviewer:
		// The workflows' own rule, both ways along the unit's line of history.
		if h.conflict(p, n.Unit) {
			a.Conflict = true
			return a
		}
		a.Rule = inStates(n.State, domain.StateSubmitted, domain.StateUnderReview, domain.StateVerified)
		a.Return = a.Rule
		a.Hold = inStates(n.State, domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateVerified, domain.StateReturned)
		a.Release = n.State == string(domain.StateOnHold)
	case domain.RoleCouncil:
		if n.OpenedBy == p.UserID || n.SubmittedBy == p.UserID {
			a.GrantConflict = true
			return a
		}
		a.Grant = n.State == string(domain.StateVerified)
		a.Revoke = n.State == string(domain.StateAwarded) && n.Award != ""
	}
	a.Any = a.Attach || a.Vote || a.Submit || a.Withdraw || a.Correct || a.Rule || a.Return || a.Hold || a.Release || a.Grant || a.Revoke
	return a
}

func (h *handler) nominationPage(q *req) error {
	return h.renderNomination(q, q.r.PathValue("id"), nil)
}

// renderNomination renders the nomination page, with the error of a failed form.
func (h *handler) renderNomination(q *req, id string, e *uiError) error {
	pg := h.newPage(q, "")
	d, err := h.nominationData(q, pg, id, projections.Bound{})
	if err != nil {
		return err
	}
	pg.Title = d.N.Nominee.Name
	pg.Campaign, pg.Nav = d.N.Campaign, "nominations"
	pg.canonical("/nominations/" + id)
	status := http.StatusOK
	if e != nil {
		pg.Err, pg.Form, status = e, q.r.PostForm, e.Status
	}
	h.pages.render(q, status, "nomination", pg, d)
	return nil
}

// printTries bounds how often a nomination's printed summary is gathered from the live
// state again when a commit lands while it is gathered.
const printTries = 3

// nominationPrint renders a nomination's printed summary, sealed by the stream's digest:
// now, or as it stood at ?at= or ?seq= (taken as the ranking page takes them).
//
// The summary is gathered from several reads of the model. Now, it is read from the live
// state, and sealed by the digest when the model's state was the stream up to the
// digest's sequence before the reads and still is after them (Model.Seal); when commits
// keep landing between, or the server is still reading the digest, every read is bound
// to the last sequence the model holds whole (Model.Settled) instead. At a past moment
// every read is bound to it. A bound summary is sealed by the digest up to the last event
// it took into account. One that cannot be sealed (the stream unreadable) says so.
func (h *handler) nominationPrint(q *req) error {
	id := q.r.PathValue("id")
	b, err := h.parseBound(q)
	if err != nil {
		return err
	}
	render := func(pg *frame, d *nominationData) error {
		pg.Title = q.T("print.title") + " — " + d.N.Nominee.Name
		pg.Campaign, pg.Nav, pg.Print = d.N.Campaign, "nominations", true
		h.pages.render(q, http.StatusOK, "print", pg, d)
		return nil
	}
	asked := !b.Live()
	if !asked {
		for range printTries {
			before, sealed := h.model().Seal()
			if !sealed {
				break
			}
			pg := h.newPage(q, "")
			d, err := h.nominationData(q, pg, id, b)
			if err != nil {
				return err
			}
			if after, still := h.model().Seal(); still && after.Seq == before.Seq {
				d.Digest = &after
				return render(pg, d)
			}
		}
		if b.Seq = h.model().Settled(); b.Seq == 0 {
			b.Seq = 1 // an empty model: nothing to show, as of anything
		}
		// Now a page of a past moment after all (its ranking folded as of then, while the
		// digest is still being read after a start): it takes a replay place as one asked
		// for would (replay).
		release, err := h.replays.Acquire(q.r.Context(), q.p.UserID)
		if err != nil {
			return err
		}
		defer release()
	}
	pg := h.newPage(q, "")
	d, err := h.nominationData(q, pg, id, b)
	if err != nil {
		return err
	}
	d.AsOfSeq = max(d.N.Version, d.C.Seq, d.El.AsOfSeq, d.rankSeq)
	if asked {
		d.AsOfTime, d.Asked = b.Time, true
	}
	if dg, err := h.svc.DigestAt(q.r.Context(), d.AsOfSeq); err == nil {
		d.Digest = &dg
	} else {
		h.cfg.log.Warn("print: the stream's digest", "nomination", id, "seq", d.AsOfSeq, "err", err)
	}
	return render(pg, d)
}

// atValue is what the date-time picker shows: what the user picked, or the moment of
// the bound (a "replay to here" link bounds by sequence, shown as the event's time).
func atValue(q *req, b projections.Bound) string {
	raw := strings.TrimSpace(q.r.URL.Query().Get("at"))
	if raw != "" && !strings.ContainsAny(raw, "Zz+") && strings.Count(raw, "-") == 2 {
		return raw
	}
	if !b.Time.IsZero() {
		return pickerValue(b.Time)
	}
	return ""
}

// ---- audit timeline with replay ----

type verdictRow struct {
	// Unit is the nomination's unit at the moment; EventBase the page that shows the
	// events its reasons cite ("" for this one).
	Nomination, Name, State, Unit, EventBase string
	// Href is where the nomination's link goes (nominationHref).
	Href string
	// Campaign is the nomination's campaign (a unit's timeline lists every campaign's).
	Campaign          string
	Existed, Eligible bool
	Reasons           []reasonRow
	Link              bool
}

type timelineData struct {
	Subject, ID, Name, Back string
	AtValue                 string
	Live                    bool
	AsOf                    time.Time
	AsOfSeq                 uint64
	PickErr                 *uiError
	Verdicts                []verdictRow
	Ranking                 []rankKind
	Events                  []eventRow
	Unit                    *projections.UnitView
	// Campaign is the campaign whose ranking the page shows; Campaigns, on a unit's
	// timeline, those to choose from (when more than one); ReplayCampaign the campaign the
	// "Replay to here" links keep.
	Campaign       string
	Campaigns      []projections.CampaignView
	ReplayCampaign string
	Count, Shown   int
	// Moment is the past moment the page shows, as a query (at= or seq=); "" for now.
	Moment string
}

func (h *handler) timelineBound(q *req, d *timelineData) projections.Bound {
	b, err := h.parseBound(q)
	if err != nil {
		// The moment could not be read: the page shows now, and says so.
		d.PickErr, d.Live = h.localise(q, err), true
		return projections.Bound{}
	}
	d.Live = b.Live()
	d.AtValue = atValue(q, b)
	if !d.Live {
		// The moment as asked, for the links that show it elsewhere (a nomination's
		// printed summary).
		v := url.Values{}
		for _, k := range []string{"at", "seq"} {
			if s := strings.TrimSpace(q.r.URL.Query().Get(k)); s != "" {
				v.Set(k, s)
			}
		}
		d.Moment = v.Encode()
	}
	return b
}

// verdictAt is nomination n's verdict at b, linked when the viewer may read it (a merged
// unit's clerk reads what the unit opened: workflows.CanReadNomination), naming the
// nominee as they were named then (a correction since is not theirs yet).
func (h *handler) verdictAt(pg *frame, q *req, n projections.NominationView, b projections.Bound) verdictRow {
	v := verdictRow{Nomination: n.ID, Href: nominationHref(q, n.ID), Name: n.Nominee.Name}
	el, err := h.model().Eligibility(n.ID, b)
	if err != nil {
		return v
	}
	if !b.Live() {
		if then, err := h.model().NominationAt(n.ID, b); err == nil {
			v.Name = then.Nominee.Name
		}
	}
	v.Existed, v.Eligible, v.State, v.Reasons, v.Unit = true, el.Eligible, el.State, reasonRows(pg, el), el.Unit
	v.Link = h.svc.CanReadNomination(q.p, el.Unit, n.UnitHistory)
	return v
}

func (h *handler) nominationTimeline(q *req) error {
	id := q.r.PathValue("id")
	n, err := h.model().Nomination(id)
	if err != nil {
		return err
	}
	if !h.svc.CanReadNomination(q.p, n.Unit, n.UnitHistory) {
		return errForbidden
	}
	pg := h.newPage(q, q.T("tl.title.nomination", n.Nominee.Name))
	pg.Campaign, pg.Nav = n.Campaign, "nominations"
	d := timelineData{Subject: "nomination", ID: id, Name: n.Nominee.Name, Back: "/nominations/" + id, Campaign: n.Campaign}
	b := h.timelineBound(q, &d)
	if !b.Live() {
		// The heading names the nominee as of the moment shown, as its verdict does: a
		// correction since does not rename the past.
		if then, err := h.model().NominationAt(id, b); err == nil {
			d.Name, pg.Title = then.Nominee.Name, q.T("tl.title.nomination", then.Nominee.Name)
		}
	}
	nevs, err := h.model().NominationEvents(id, projections.Bound{})
	if err != nil {
		return err
	}
	d.Events = toEventRows(pg, h.userNames(), h.svc.Visible(q.p, mergeEvents(nevs, h.evidenceEvents(n, nevs))), b)
	d.Count, d.Shown = len(d.Events), len(d.Events)
	d.Verdicts = []verdictRow{h.verdictAt(pg, q, n, b)}
	if rk, err := h.pageRanking(n.Campaign, b); err == nil {
		d.Ranking = h.rankKinds(q, rk, id, h.cfg.rankRows, rankingURL(n.Campaign, q, false))
		d.AsOf, d.AsOfSeq = rk.AsOf, rk.AsOfSeq
	}
	if el, err := h.model().Eligibility(id, b); err == nil && el.AsOfSeq > d.AsOfSeq {
		d.AsOfSeq = el.AsOfSeq
	}
	// The moment asked for, as the unit's and the campaign's timelines show it (before,
	// at a sequence before the nomination existed, the ranking's last event's: the
	// headline and the date picker named another moment).
	h.askedMoment(q, &d, b)
	if d.AtValue == "" && b.Seq != 0 {
		d.AtValue = pickerValue(d.AsOf)
	}
	h.pages.render(q, http.StatusOK, "timeline", pg, d)
	return nil
}

// nominationsOfUnitAt returns the nominations a unit's timeline judges: those of the unit
// now and, for a merged unit, those a merger passed on to its successors (successor: the
// unit's), which were the unit's before; the caller keeps those that were the unit's at
// the moment it shows. A clerk's scope applies.
func (h *handler) nominationsOfUnitAt(q *req, campaign, unit, successor string) []projections.NominationView {
	noms, err := h.allNominations(campaign, h.scopeFilter(q.p, projections.NominationFilter{Unit: unit}))
	if err != nil {
		return nil
	}
	seen := map[string]bool{unit: true}
	for s := successor; s != "" && !seen[s]; {
		seen[s] = true
		later, err := h.allNominations(campaign, h.scopeFilter(q.p, projections.NominationFilter{Unit: s}))
		if err != nil {
			break
		}
		for _, n := range later {
			if slices.Contains(n.UnitHistory, unit) {
				noms = append(noms, n)
			}
		}
		next, err := h.model().Unit(s, projections.Bound{})
		if err != nil {
			break
		}
		s = next.Successor
	}
	return noms
}

// evidenceEvents returns the unit events a nomination's timeline shows beside its own:
// the trail of the unit it was opened for, with what that unit had inherited, then that of
// each successor a merger passed it to, from the transfer on. Not the other lines of a
// successor: a unit merged alongside is not the nomination's evidence (README, "Mergers").
func (h *handler) evidenceEvents(n projections.NominationView, nevs []projections.EventView) []projections.EventView {
	first := n.Unit
	if len(n.UnitHistory) > 0 {
		first = n.UnitHistory[0]
	}
	out, _ := h.model().UnitEvents(first, true, projections.Bound{}, 0)
	path := []string{first}
	for _, e := range nevs {
		if e.Type != domain.NominationTransferred {
			continue
		}
		var t domain.TransferredData
		if json.Unmarshal(e.Data, &t) != nil {
			continue
		}
		path = append(path, t.To)
		evs, _ := h.model().UnitEvents(t.To, false, projections.Bound{}, 0)
		for _, ue := range evs {
			if ue.Seq >= e.Seq {
				out = append(out, ue)
			}
		}
	}
	// The registrations under the units, which a parent unit's C13 cites.
	return append(out, h.model().SubordinateEvents(path, projections.Bound{})...)
}

// campaignTimeline is the campaign's own audit trail (its launch and revisions, the
// deadline, every grant with the ranking it relied on, revocations, the mergers it noted),
// as GET /api/v1/campaigns/{id}/events gives it to any role, with the ranking at the moment
// replayed.
func (h *handler) campaignTimeline(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	name := c.NameVI
	if q.lang == "en" && c.NameEN != "" {
		name = c.NameEN // the English page names it in English, as the dashboard does
	}
	pg := h.newPage(q, q.T("tl.title.campaign", name))
	pg.Campaign, pg.Nav = c.ID, "dashboard"
	d := timelineData{Subject: "campaign", ID: c.ID, Name: name, Back: "/campaigns/" + c.ID, Campaign: c.ID}
	b := h.timelineBound(q, &d)
	evs, err := h.model().CampaignEvents(c.ID, projections.Bound{})
	if err != nil {
		return err
	}
	d.Events = toEventRows(pg, h.userNames(), evs, b)
	d.Count, d.Shown = len(d.Events), len(d.Events)
	if rk, err := h.pageRanking(c.ID, b); err == nil {
		d.Ranking = h.rankKinds(q, rk, "", h.cfg.rankRows, rankingURL(c.ID, q, false))
		d.AsOf, d.AsOfSeq = rk.AsOf, rk.AsOfSeq
	}
	h.askedMoment(q, &d, b)
	if d.AtValue == "" && b.Seq != 0 {
		d.AtValue = pickerValue(d.AsOf)
	}
	h.pages.render(q, http.StatusOK, "timeline", pg, d)
	return nil
}

func (h *handler) unitTimeline(q *req) error {
	id := q.r.PathValue("id")
	u, err := h.model().Unit(id, projections.Bound{})
	if err != nil {
		return err
	}
	// Every role may read a unit's audit trail, as GET /api/v1/units/{id}/events answers
	// any role; the verdicts below list only the nominations the viewer may read.
	pg := h.newPage(q, q.T("tl.title.unit", u.Name))
	pg.Nav = "units"
	d := timelineData{Subject: "unit", ID: id, Name: u.Name, Back: "/units/" + id}
	b := h.timelineBound(q, &d)
	if ub, err := h.model().Unit(id, b); err == nil {
		d.Unit = &ub
	}
	evs, err := h.model().UnitEvents(id, true, projections.Bound{}, 0)
	if err != nil {
		return err
	}
	d.Events = toEventRows(pg, h.userNames(), h.svc.Visible(q.p, evs), b)
	if !b.Live() {
		// An event inherited through a merger recorded after the moment was not yet in
		// this unit's trail then, however early it happened: the lineage is the moment's.
		within := map[string]bool{}
		if then, err := h.model().UnitEvents(id, true, b, 0); err == nil {
			for _, e := range then {
				within[e.ID] = true
			}
		}
		for i := range d.Events {
			d.Events[i].After = d.Events[i].After || !within[d.Events[i].ID]
		}
	}
	d.Count, d.Shown = len(d.Events), len(d.Events)
	// The verdicts of every campaign's nominations; the ranking of the campaign chosen
	// (?campaign=), else of the first with a nomination of the unit, else the first.
	camps := h.model().Campaigns()
	if len(camps) > 1 {
		d.Campaigns = camps
	}
	for _, c := range camps {
		for _, n := range h.nominationsOfUnitAt(q, c.ID, id, u.Successor) {
			v := h.verdictAt(pg, q, n, b)
			if v.Existed && v.Unit != id {
				continue // the nomination was another unit's at that moment (now too, live)
			}
			if !v.Link {
				continue // another unit's clerk reads its facts and events, not its nominations
			}
			v.Campaign = c.ID
			if v.Link {
				// The events a reason cites are on the nomination's timeline, not this one.
				v.EventBase = "/nominations/" + n.ID + "/timeline"
			}
			d.Verdicts = append(d.Verdicts, v)
		}
	}
	d.Campaign = q.r.URL.Query().Get("campaign")
	if !slices.ContainsFunc(camps, func(c projections.CampaignView) bool { return c.ID == d.Campaign }) {
		d.Campaign = h.defaultCampaign(camps, d.Verdicts, b)
	}
	if d.Campaign != "" {
		if rk, err := h.pageRanking(d.Campaign, b); err == nil {
			d.Ranking = h.rankKinds(q, rk, "", h.cfg.rankRows, rankingURL(d.Campaign, q, false))
			d.AsOf, d.AsOfSeq = rk.AsOf, rk.AsOfSeq
		}
		if len(camps) > 1 {
			d.ReplayCampaign = d.Campaign // "Replay to here" keeps the campaign chosen
		}
	}
	h.askedMoment(q, &d, b)
	if d.AtValue == "" && b.Seq != 0 {
		d.AtValue = pickerValue(d.AsOf)
	}
	h.pages.render(q, http.StatusOK, "timeline", pg, d)
	return nil
}

// defaultCampaign is the campaign a unit's timeline ranks in when none is chosen: the first
// with a nomination of the unit that existed at the moment, else the first that existed
// then, else the first.
func (h *handler) defaultCampaign(camps []projections.CampaignView, verdicts []verdictRow, b projections.Bound) string {
	for _, v := range verdicts {
		if v.Existed {
			return v.Campaign
		}
	}
	for _, c := range camps {
		if evs, err := h.model().CampaignEvents(c.ID, b); err == nil && len(evs) > 0 {
			return c.ID
		}
	}
	if len(camps) > 0 {
		return camps[0].ID
	}
	return ""
}

// askedMoment makes a timeline's headline and date picker the moment asked for: with
// ?seq=, that sequence and the time it was recorded, not the time of the ranking's last
// event before it (which the picker would then have replayed instead).
func (h *handler) askedMoment(q *req, d *timelineData, b projections.Bound) {
	if b.Seq == 0 {
		return
	}
	d.AsOfSeq = b.Seq
	if t, err := h.svc.RecordedAt(q.r.Context(), b.Seq); err == nil {
		d.AsOf = t
	}
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

// ---- units ----

type unitsData struct {
	Units []unitListRow
	// Search is what the ids and names were searched for.
	Search string
	offsetPage
}

type unitListRow struct {
	projections.UnitView
	SuccessorName string
	Readable      bool
}

func (h *handler) unitList(q *req) error {
	names := h.unitNames()
	v := q.r.URL.Query()
	d := unitsData{Search: strings.TrimSpace(v.Get("q"))}
	// One page: a national deployment registers tens of thousands of units.
	offset, _ := strconv.Atoi(v.Get("from"))
	offset = max(offset, 0)
	units, total, err := h.model().UnitPage(d.Search, offset, h.cfg.pageRows)
	if err != nil {
		return err
	}
	for _, u := range units {
		d.Units = append(d.Units, unitListRow{UnitView: u, SuccessorName: nameOr(names, u.Successor), Readable: h.mayReadUnit(q.p, u.ID)})
	}
	keep := url.Values{}
	if d.Search != "" {
		keep.Set("q", d.Search)
	}
	d.offsetPage = pageAt("/units", keep, offset, len(units), total, h.cfg.pageRows)
	pg := h.newPage(q, q.T("units.title"))
	pg.Nav = "units"
	h.pages.render(q, http.StatusOK, "units", pg, d)
	return nil
}

type unitRef struct{ ID, Name string }

type planRow struct {
	Campaign string
	Document domain.DocumentRef
	Event    string
	At       time.Time
	Inherit  string
}

// docChoice is a document offered in a form's list: its hash and how it is labelled.
type docChoice struct {
	SHA256, Label string
}

type unitNom struct {
	N         projections.NominationView
	Inherited bool
	// From names the unit an inherited nomination is of (unitLabel).
	From string
	// PassedTo names, on a merged unit's page, the successor a merger passed the
	// nomination to (unitLabel).
	PassedTo string
	Link     bool
}

// unitLabel names a unit as the pages show one beside another's: its name and its id
// ("Huyện Thuận Bắc (TB)"), or its id alone when it has no name.
func unitLabel(names map[string]string, id string) string {
	if n := names[id]; n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

// boolRank orders false before true.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// conflictRow is a fact the units merged into a unit recorded differently: each value
// with the unit that recorded it.
type conflictRow struct {
	Campaign, Fact, Index, Component string
	Values                           []string
}

// factConflicts turns the model's conflicts into rows, each value naming the unit it was
// recorded on (from the fact rows of the unit's trail), and marks the fact rows they
// concern: the latest of such a fact across the lineage is not the unit's.
func factConflicts(pg *frame, unit string, cs []projections.FactConflict, facts, superseded []factRow) []conflictRow {
	from := map[string]string{}
	for _, f := range slices.Concat(facts, superseded) {
		from[f.Event] = cmp.Or(f.InheritedFrom, unit)
	}
	var out []conflictRow
	for _, c := range cs {
		d := c.Records[0].Data
		row := conflictRow{Campaign: c.Campaign, Fact: d.Fact, Index: d.Index, Component: d.Component}
		for _, r := range c.Records {
			row.Values = append(row.Values, factValue(pg, r.Data)+" ("+cmp.Or(from[r.EventID], "?")+")")
		}
		for i := range facts {
			if f := &facts[i]; f.Campaign == c.Campaign && f.Fact == d.Fact && (d.Index == "" || f.Index == d.Index && f.Component == d.Component) {
				f.Conflict = true
			}
		}
		out = append(out, row)
	}
	return out
}

type unitData struct {
	U                 projections.UnitView
	Parent, Successor *unitRef
	Predecessors      []unitRef
	Lineage           []unitRef
	// Own is whether the viewer may read the unit's nominations and documents: every
	// role but a clerk, and a clerk of the unit or of a successor that carries it.
	Own               bool
	Facts, Superseded []factRow
	// FactsInherited says some facts shown come from units this one absorbed: the page
	// shows the latest of each across the lineage, while each nomination is judged on its
	// own line (README, "Mergers").
	FactsInherited bool
	// Conflicts are the facts the units merged into this one recorded differently and it
	// has not recorded itself: its own nominations wait for them (domain.CombineAbsorbed).
	Conflicts    []conflictRow
	Plans        []planRow
	Noms         []unitNom
	History      []eventRow
	HistoryTotal int
	Campaigns    []projections.CampaignView
	// OpenCampaigns are the campaigns still taking nominations (before their deadline).
	OpenCampaigns    []projections.CampaignView
	CanPlan, CanOpen bool
	CanFact          bool
	// FactDocs are the documents a fact may cite: the unit's and its lineage's plans, facts
	// and dossier documents (a fact citing another unit's is refused, document_not_of_unit).
	FactDocs         []docChoice
	FactNames        []string
	Indexes, Ratings []string
	Causes           []string
	Inherited        int
}

func (h *handler) unitPage(q *req) error { return h.renderUnit(q, q.r.PathValue("id"), nil) }

// renderUnit renders the unit page, with the error of a failed form.
func (h *handler) renderUnit(q *req, id string, e *uiError) error {
	u, err := h.model().Unit(id, projections.Bound{})
	if err != nil {
		return err
	}
	pg := h.newPage(q, u.Name)
	pg.Nav = "units"
	pg.canonical("/units/" + id)
	names := h.unitNames()
	ref := func(id string) *unitRef {
		if id == "" {
			return nil
		}
		return &unitRef{ID: id, Name: nameOr(names, id)}
	}
	d := unitData{U: u, Parent: ref(u.Parent), Successor: ref(u.Successor), Own: h.mayReadUnit(q.p, id),
		Campaigns: h.model().Campaigns()}
	for _, p := range u.Predecessors {
		d.Predecessors = append(d.Predecessors, *ref(p))
	}
	for _, l := range u.Lineage {
		d.Lineage = append(d.Lineage, *ref(l))
	}
	active := u.Status == domain.UnitActive
	d.CanPlan = q.p.Role == domain.RoleClerk && q.p.Unit == id && active
	// A nomination is opened in a campaign still taking them (before its deadline); the
	// form offers those, the one the page was reached from first.
	now := h.svc.Now()
	for _, c := range d.Campaigns {
		if takesNominations(c, now) {
			d.OpenCampaigns = append(d.OpenCampaigns, c)
		}
	}
	if from := q.r.URL.Query().Get("campaign"); from != "" {
		slices.SortStableFunc(d.OpenCampaigns, func(a, b projections.CampaignView) int {
			return cmp.Compare(boolRank(a.ID != from), boolRank(b.ID != from))
		})
	}
	d.CanOpen = (q.p.Role == domain.RoleClerk && q.p.Unit == id || q.p.Role == domain.RoleAdmin) && active && len(d.OpenCampaigns) > 0
	d.CanFact = q.p.Role == domain.RoleReviewer && !h.conflict(q.p, id)
	d.FactNames = domain.FactNames()
	d.Indexes = []string{"PAR_INDEX", "PCI", "PAPI", "SIPAS"}
	d.Ratings = []string{"Tốt", "Khá", "Trung bình", "Yếu"}
	d.Causes = []string{domain.CauseSubjective, domain.CauseObjective}
	// Facts, plans and history are the unit's events, which every role may read (GET
	// /api/v1/units/{id}/events); its nominations and documents only the roles and the
	// clerks that may read them.
	if d.Facts, d.Superseded, err = h.unitFacts(id, projections.Bound{}, pg); err != nil {
		return err
	}
	for _, f := range d.Facts {
		d.FactsInherited = d.FactsInherited || f.InheritedFrom != ""
	}
	d.Conflicts = factConflicts(pg, id, h.model().UnitFactConflicts(id), d.Facts, d.Superseded)
	evs, err := h.model().UnitEvents(id, true, projections.Bound{}, 0)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.InheritedFrom != "" {
			d.Inherited++
		}
		if ev.Type != domain.PlanSubmitted {
			continue
		}
		var pd domain.PlanSubmittedData
		if json.Unmarshal(ev.Data, &pd) == nil {
			d.Plans = append(d.Plans, planRow{Campaign: pd.Campaign, Document: pd.Document, Event: ev.ID, At: ev.At, Inherit: ev.InheritedFrom})
		}
	}
	d.HistoryTotal = len(evs)
	if len(evs) > 25 {
		evs = evs[len(evs)-25:]
	}
	d.History = toEventRows(pg, h.userNames(), h.svc.Visible(q.p, evs), projections.Bound{})
	for i, j := 0, len(d.History)-1; i < j; i, j = i+1, j-1 {
		d.History[i], d.History[j] = d.History[j], d.History[i]
	}
	if d.Own {
		for _, c := range d.Campaigns {
			for _, l := range u.Lineage {
				list, err := h.allNominations(c.ID, projections.NominationFilter{Unit: l})
				if err != nil {
					continue
				}
				for _, n := range list {
					d.Noms = append(d.Noms, unitNom{N: n, Inherited: l != id, From: unitLabel(names, n.Unit), Link: h.svc.CanReadNomination(q.p, n.Unit, n.UnitHistory)})
				}
			}
			if u.Successor == "" {
				continue
			}
			// A merged unit's page lists too what it opened and a merger passed on.
			list, err := h.allNominations(c.ID, projections.NominationFilter{Was: id})
			if err != nil {
				continue
			}
			for _, n := range list {
				if n.Unit != id {
					d.Noms = append(d.Noms, unitNom{N: n, PassedTo: unitLabel(names, n.Unit), Link: h.svc.CanReadNomination(q.p, n.Unit, n.UnitHistory)})
				}
			}
		}
	}
	if d.CanFact {
		d.FactDocs = factDocs(pg, d)
	}
	status := http.StatusOK
	if e != nil {
		pg.Err, pg.Form, status = e, q.r.PostForm, e.Status
	}
	h.pages.render(q, status, "unit", pg, d)
	return nil
}

// factDocs lists, once each, the documents of the unit page d that a fact may cite.
func factDocs(pg *frame, d unitData) []docChoice {
	var out []docChoice
	seen := map[string]bool{}
	add := func(sha, label string) {
		if sha != "" && !seen[sha] {
			seen[sha] = true
			out = append(out, docChoice{SHA256: sha, Label: label})
		}
	}
	for _, pl := range d.Plans {
		add(pl.Document.SHA256, pg.T("nom.plan")+" ("+pg.CampaignName(pl.Campaign)+") — "+pl.Document.Name)
	}
	for _, f := range append(slices.Clip(d.Facts), d.Superseded...) {
		if f.Document != nil {
			add(f.Document.SHA256, pg.T("fact.evidence")+" "+pg.L("fact", f.Fact)+" — "+f.Document.Name)
		}
	}
	for _, n := range d.Noms {
		for _, doc := range n.N.Documents {
			add(doc.SHA256, pg.L("doc", doc.Kind)+" — "+n.N.Nominee.Name+" — "+doc.Name)
		}
	}
	return out
}

// campaignDefinition downloads a campaign's current definition, as launched or revised
// (every role may read it, as GET /api/v1/campaigns/{id}): the template of the admin's
// launch form, and what an auditor reads the criteria from.
func (h *handler) campaignDefinition(q *req) error {
	c, err := h.model().Campaign(q.r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(c.Definition, "", "  ")
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	q.w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": c.ID + ".json"}))
	_, err = q.w.Write(append(b, '\n'))
	return err
}

// conflict reports whether reviewer p may neither rule on unit's nominations nor record
// its facts (workflows.ConflictOfInterest).
func (h *handler) conflict(p workflows.Principal, unit string) (c bool) {
	h.model().Read(func(st *projections.State) { c = workflows.ConflictOfInterest(st, p, unit) })
	return c
}

// ---- admin ----

type adminData struct {
	Active []projections.UnitView
	// TypeUnits is true when the forms take units by id, typed (more active units than
	// maxUnitChoices); Active is then empty.
	TypeUnits bool
	Users     []projections.UserView
	Campaigns []projections.CampaignView
	Kinds     []string
	Roles     []string
}

// integrityPage lists what the projections found that does not verify (events altered or
// appended behind the engine's back, messages lost on disk), as GET /api/v1/integrity does
// for the administrator and the auditor; thidua verify checks the actors and documents too.
func (h *handler) integrityPage(q *req) error {
	if q.p.Role != domain.RoleAdmin && q.p.Role != domain.RoleAuditor {
		return errForbidden
	}
	pg := h.newPage(q, q.T("integrity.title"))
	pg.Nav = "integrity"
	r := h.model().IntegrityReport()
	d := integrityData{Problems: r.Problems, Digest: r.Digest}
	h.pages.render(q, http.StatusOK, "integrity", pg, d)
	return nil
}

// takesNominations reports whether campaign c still takes nominations at now: before its
// deadline, if it has one (as domain.Campaign.CheckDeadline decides).
func takesNominations(c projections.CampaignView, now time.Time) bool {
	return c.Deadline == nil || !now.After(*c.Deadline)
}

// archive sends an administrator or an auditor the stream up to ?seq= (default: the last
// sequence applied) as an archive (api.ServeArchive), as the API's GET /archive does.
func (h *handler) archive(q *req) error {
	if err := h.svc.MayArchive(q.p); err != nil {
		return errForbidden
	}
	if q.r.URL.Query().Has("at") {
		return invalid("err.archive.at")
	}
	var seq uint64
	if s := strings.TrimSpace(q.r.URL.Query().Get("seq")); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return invalid("err.form.seq", s)
		}
		seq = n
	}
	release, err := h.archives.Acquire(q.r.Context(), q.p.UserID)
	if err != nil {
		return err
	}
	defer release()
	return api.ServeArchive(q.w, q.r, h.svc, q.p, seq, h.cfg.log)
}

// integrityData is the integrity page's: the problems found, and the stream's digest up
// to the last sequence applied (nil while the server reads it).
type integrityData struct {
	Problems []projections.IntegrityProblem
	Digest   *eventstore.Digest
}

func (h *handler) adminPage(q *req) error { return h.renderAdmin(q, nil) }

func (h *handler) renderAdmin(q *req, e *uiError) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	pg := h.newPage(q, q.T("admin.title"))
	pg.Nav = "admin"
	pg.canonical("/admin")
	d := adminData{Users: h.model().Users(), Campaigns: h.model().Campaigns(),
		Kinds: []string{string(domain.UnitDepartment), string(domain.UnitVertical), string(domain.UnitDistrict), string(domain.UnitCommune)},
		Roles: []string{string(domain.RoleClerk), string(domain.RoleReviewer), string(domain.RoleCouncil), string(domain.RoleAuditor), string(domain.RoleAdmin)}}
	if h.model().UnitCount(domain.UnitActive) > maxUnitChoices {
		// A national deployment's tens of thousands of units would be listed four times.
		d.TypeUnits = true
	} else {
		d.Active = byName(h.model().Units("", domain.UnitActive))
	}
	status := http.StatusOK
	if e != nil {
		pg.Err, pg.Form, status = e, q.r.PostForm, e.Status
	}
	h.pages.render(q, status, "admin", pg, d)
	return nil
}
