package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

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
	// Readable is set when the viewer may open the file (workflows.MayReadDocument): the
	// page links only those, and names the others with their hash.
	Readable bool
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
	// RuleDocs are the documents a ruling may cite: the dossier's, and the plan the
	// nomination relies on (C03's evidence: DESIGN's "also the evidence for C03").
	RuleDocs []docChoice
	Missing  []string
	Plan     *domain.PlanRef
	PlanAt   time.Time
	// PlanReadable is set when the viewer may open the plan's file (docRow.Readable).
	PlanReadable bool
	// PlanForm links a collective dossier without a plan to its unit's plan form, in the
	// dossier's campaign, for the unit's clerk (live pages only).
	PlanForm bool
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
		d.Docs = append(d.Docs, docRow{DocumentView: doc, Actor: actor, Later: last[doc.Kind] != i, Readable: h.svc.MayReadDocument(q.p, doc.SHA256)})
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
		d.Plan, d.PlanReadable = plan, h.svc.MayReadDocument(q.p, plan.Document.SHA256)
		if e, ok := byID[plan.EventID]; ok {
			d.PlanAt = e.At
		}
	}
	d.PlanForm = d.Plan == nil && b.Live() && q.p.Role == domain.RoleClerk && q.p.Unit == n.Unit && n.Nominee.Kind == domain.NomineeCollective &&
		(takesNominations(c, h.svc.Now()) || n.State == string(domain.StateReturned)) // as the unit page offers the form
	d.RuleDocs = ruleDocs(pg, d)
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
		for _, a := range h.campaignAwards(q.p, n.Campaign, b) {
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
		// A dossier under review that is eligible has nothing left to rule (a revision
		// dropped what it waited on): the grant verifies it (domain.Nomination.Award).
		a.Grant = n.State == string(domain.StateVerified) ||
			(inStates(n.State, domain.StateSubmitted, domain.StateUnderReview) && n.Eligible)
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

// ruleDocs lists, once each, the documents a ruling on the nomination page d may cite:
// the dossier's, then the unit's plan the nomination relies on (a review finding: the
// form offered only the dossier's, so C03 could not cite the plan from the web).
func ruleDocs(pg *frame, d *nominationData) []docChoice {
	var c docChoices
	for _, doc := range d.Docs {
		c.add(doc.SHA256, pg.L("doc", doc.Kind)+" — "+doc.Name)
	}
	if d.Plan != nil {
		c.add(d.Plan.Document.SHA256, pg.T("nom.plan")+" — "+d.Plan.Document.Name)
	}
	return c.out
}
