package web

import (
	"cmp"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// ---- units ----

type unitsData struct {
	Units []unitListRow
	// Search is what the ids and names were searched for; Kind and Status filter the
	// list ("" for all).
	Search, Kind, Status string
	// Kinds and Statuses are the filters' choices.
	Kinds, Statuses []string
	offsetPage
}

type unitListRow struct {
	projections.UnitView
	SuccessorName string
	// ParentName is the parent unit's name ("" without one).
	ParentName string
	Readable   bool
}

func (h *handler) unitList(q *req) error {
	names := h.unitNames()
	v := q.r.URL.Query()
	d := unitsData{Search: strings.TrimSpace(v.Get("q")),
		Kinds: []string{"department", "vertical", "district", "commune"}, Statuses: []string{"active", "merged"}}
	// A filter's value outside its choices (a hand-edited address) filters nothing.
	if k := v.Get("kind"); slices.Contains(d.Kinds, k) {
		d.Kind = k
	}
	if st := v.Get("status"); slices.Contains(d.Statuses, st) {
		d.Status = st
	}
	// One page: a national deployment registers tens of thousands of units.
	offset, _ := strconv.Atoi(v.Get("from"))
	offset = max(offset, 0)
	units, total, err := h.model().UnitPage(d.Search, projections.UnitFilter{Kind: d.Kind, Status: d.Status}, offset, h.cfg.pageRows)
	if err != nil {
		return err
	}
	for _, u := range units {
		row := unitListRow{UnitView: u, SuccessorName: nameOr(names, u.Successor), Readable: h.mayReadUnit(q.p, u.ID)}
		if u.Parent != "" {
			row.ParentName = nameOr(names, u.Parent)
		}
		d.Units = append(d.Units, row)
	}
	keep := url.Values{}
	for k, val := range map[string]string{"q": d.Search, "kind": d.Kind, "status": d.Status} {
		if val != "" {
			keep.Set(k, val)
		}
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
func unitLabel(name nameOf, id string) string {
	if n := name(id); n != "" && n != id {
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
		for _, u := range c.Unrecorded {
			row.Values = append(row.Values, pg.T("unit.conflict.unrecorded")+" ("+u+")")
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
	// Subordinates are the units registered with this one as their parent.
	Subordinates []unitRef
	// Namesakes are the other active units of its name under its parent (Model.Namesakes):
	// most likely the same unit registered twice, which the page says to an administrator.
	Namesakes []unitRef
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
	// ManyCampaigns says there is more than one campaign: each fact and nomination listed
	// names its own (a review finding: two campaigns' figures of a unit read alike).
	ManyCampaigns bool
	// FactCampaigns are the campaigns a fact may be recorded in for the unit: every one
	// but, for a unit merged away, those starting on or after the merger's day, which
	// refuse its facts (domain Unit.RecordFact; a review finding: the form offered one
	// first).
	FactCampaigns []projections.CampaignView
	// PlanCampaigns are the campaigns taking the unit's plan: those still taking
	// nominations, and those in which its collective dossier was returned for amendment.
	PlanCampaigns []projections.CampaignView
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
	// The units registered under it, so that an administrator sees the hierarchy an
	// import made (a review finding: only the unit's trail named them).
	for _, s := range h.model().Subordinates(id) {
		d.Subordinates = append(d.Subordinates, *ref(s))
	}
	if q.p.Role == domain.RoleAdmin {
		for _, s := range h.model().Namesakes(id) {
			d.Namesakes = append(d.Namesakes, *ref(s))
		}
	}
	for _, l := range u.Lineage {
		d.Lineage = append(d.Lineage, *ref(l))
	}
	d.ManyCampaigns = len(d.Campaigns) > 1
	active := u.Status == domain.UnitActive
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
	// A plan, too, is taken only before the campaign's deadline (deadline_passed after),
	// but from a unit whose collective dossier was returned for amendment (workflows
	// planDeadline: its plan may be what was asked).
	// The campaign the page was reached from comes first, then one whose collective
	// dossier was returned (its plan is likely what was asked; a review finding: the
	// first campaign was picked, and a clerk filed the plan in the wrong one).
	var returned []projections.CampaignView
	for _, c := range d.Campaigns {
		switch {
		case h.collectiveReturned(c.ID, id):
			returned = append(returned, c)
		case takesNominations(c, now):
			d.PlanCampaigns = append(d.PlanCampaigns, c)
		}
	}
	d.PlanCampaigns = append(returned, d.PlanCampaigns...)
	if from := q.r.URL.Query().Get("campaign"); from != "" {
		slices.SortStableFunc(d.PlanCampaigns, func(a, b projections.CampaignView) int {
			return cmp.Compare(boolRank(a.ID != from), boolRank(b.ID != from))
		})
	}
	d.CanPlan = q.p.Role == domain.RoleClerk && q.p.Unit == id && active && len(d.PlanCampaigns) > 0
	d.CanFact = q.p.Role == domain.RoleReviewer && !h.conflict(q.p, id)
	for _, c := range d.Campaigns {
		if u.Effective == "" || c.Starts == "" || c.Starts < u.Effective {
			d.FactCampaigns = append(d.FactCampaigns, c)
		}
	}
	d.CanFact = d.CanFact && len(d.FactCampaigns) > 0
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
	// The reader's own view, counted and cut (before, the counts took in what Visible
	// hides from a clerk of another unit, a hold among it).
	evs = h.svc.Visible(q.p, evs)
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
	d.History = toEventRows(pg, h.userNames(), evs, projections.Bound{})
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

// docChoices collects the documents a form may cite, each once, in the order added.
type docChoices struct {
	out  []docChoice
	seen map[string]bool
}

// add adds a document, unless it has no SHA-256 or is in already.
func (c *docChoices) add(sha, label string) {
	if sha == "" || c.seen[sha] {
		return
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	c.seen[sha] = true
	c.out = append(c.out, docChoice{SHA256: sha, Label: label})
}

// factDocs lists, once each, the documents of the unit page d that a fact may cite.
func factDocs(pg *frame, d unitData) []docChoice {
	var c docChoices
	for _, pl := range d.Plans {
		c.add(pl.Document.SHA256, pg.T("nom.plan")+" ("+pg.CampaignName(pl.Campaign)+") — "+pl.Document.Name)
	}
	// With several campaigns, each choice names its own (a review finding: a fact's
	// evidence could not be told from the same fact's in another campaign).
	of := func(campaign string) string {
		if !d.ManyCampaigns || campaign == "" {
			return ""
		}
		return " (" + pg.CampaignName(campaign) + ")"
	}
	for _, f := range append(slices.Clip(d.Facts), d.Superseded...) {
		if f.Document != nil {
			c.add(f.Document.SHA256, pg.T("fact.evidence")+" "+pg.L("fact", f.Fact)+of(f.Campaign)+" — "+f.Document.Name)
		}
	}
	for _, n := range d.Noms {
		for _, doc := range n.N.Documents {
			c.add(doc.SHA256, pg.L("doc", doc.Kind)+" — "+n.N.Nominee.Name+of(n.N.Campaign)+" — "+doc.Name)
		}
	}
	return c.out
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

// collectiveReturned reports whether unit has a collective nomination of the campaign
// returned for amendment.
func (h *handler) collectiveReturned(campaign, unit string) bool {
	list, err := h.allNominations(campaign, projections.NominationFilter{Unit: unit})
	if err != nil {
		return false
	}
	return slices.ContainsFunc(list, func(n projections.NominationView) bool {
		return n.State == string(domain.StateReturned) && n.Nominee.Kind == domain.NomineeCollective
	})
}
