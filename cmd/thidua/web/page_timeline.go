package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"thidua/domain"
	"thidua/projections"
)

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

// pickErr marks a refusal of the moment picker as the picker form's, on its input "at":
// its message gets the id the input's aria-describedby names (a review finding: the
// message was tied to nothing, and a screen reader read the present as the moment asked).
func pickErr(e *uiError) *uiError {
	e.Form, e.Field = "picker", "at"
	return e
}

func (h *handler) timelineBound(q *req, d *timelineData) projections.Bound {
	b, err := h.parseBound(q)
	if err != nil {
		// The moment could not be read: the page shows now, and says so.
		d.PickErr, d.Live = pickErr(h.localise(q, err)), true
		d.AtValue = strings.TrimSpace(q.r.URL.Query().Get("at")) // what was asked, to correct
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
	if !b.Live() {
		// An event the first unit inherited through a merger recorded after the moment was
		// not its evidence then, however early it happened: the lineage is the moment's,
		// as on the unit's timeline (a review finding: a fact of a unit merged in later
		// showed as the nomination's evidence before the merger).
		first := n.Unit
		if len(n.UnitHistory) > 0 {
			first = n.UnitHistory[0]
		}
		within := map[string]bool{}
		if then, err := h.model().UnitEvents(first, true, b, 0); err == nil {
			for _, e := range then {
				within[e.ID] = true
			}
		}
		for i := range d.Events {
			if d.Events[i].InheritedFrom != "" && !within[d.Events[i].ID] {
				d.Events[i].After = true
			}
		}
	}
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
	evs = h.svc.Visible(q.p, evs) // an individual's revocation without its ground, for a clerk of another unit
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
// event before it (which the picker would then have replayed instead); with ?at= at a
// moment before the campaign was launched, when no ranking names one, that moment (a
// review finding: the headline read "Tính đến" and nothing).
func (h *handler) askedMoment(q *req, d *timelineData, b projections.Bound) {
	if b.Seq == 0 {
		if d.AsOf.IsZero() {
			d.AsOf = b.Time
		}
		return
	}
	d.AsOfSeq = b.Seq
	if t, err := h.svc.RecordedAt(q.r.Context(), b.Seq); err == nil {
		d.AsOf = t
	}
}
