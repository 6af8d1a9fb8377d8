package web

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"thidua/domain"
	"thidua/projections"
)

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
	return pageAtParam(base, "from", keep, offset, shown, total, size)
}

// pageAtParam is pageAt with the offset in the query parameter param: for a page of two
// lists, each paged on its own.
func pageAtParam(base, param string, keep url.Values, offset, shown, total, size int) offsetPage {
	at := func(from int) string {
		v := url.Values{}
		for k, vs := range keep {
			v[k] = vs
		}
		if from > 0 {
			v.Set(param, strconv.Itoa(from))
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
		prev := offset - size
		if offset >= total {
			// Past the end (an address kept while the list shrank, or typed): back to the
			// last page there is, not to another past the end (a review finding).
			prev = (max(total, 1) - 1) / size * size
		}
		p.Prev = at(max(prev, 0))
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
	// The unit filter keeps what is or was the unit's, as the API's: a dissolved unit's
	// nominations are found under its id; an unknown unit is not an empty list, nor is
	// another unit's for a clerk.
	f := projections.NominationFilter{State: v.Get("state"), Kind: v.Get("kind"), Was: v.Get("unit")}
	// An unknown state or kind is refused, as by the API: it matched nothing, and the
	// page read "no dossiers" under filters showing "all" (a review finding).
	if f.State != "" && !slices.Contains(nominationStates, domain.State(f.State)) {
		return invalid("err.form.state", f.State)
	}
	if f.Kind != "" && f.Kind != string(domain.NomineeCollective) && f.Kind != string(domain.NomineeIndividual) {
		return invalid("err.form.kind", f.Kind)
	}
	if f.Was != "" {
		if _, err := h.model().Unit(f.Was, projections.Bound{}); err != nil {
			return err
		}
	}
	// One page, newest first: a national campaign lists 100,000 nominations, each
	// evaluated for its verdict.
	page := h.scopeFilter(q.p, f)
	if page.Units != nil && f.Was != "" && !page.Units[f.Was] {
		return errForbidden
	}
	page.Limit, page.Cursor = h.cfg.pageRows, v.Get("after")
	noms, next, err := h.model().Nominations(c.ID, page)
	if err != nil {
		return err
	}
	units := h.unitNames()
	d := listData{C: c, State: f.State, Kind: f.Kind, Unit: f.Was, Scoped: q.p.Role == domain.RoleClerk, OwnUnit: q.p.Unit}
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
