package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// readableNomination returns a nomination the caller may read: 404 unknown, 403 out of scope.
func (h *handler) readableNomination(p workflows.Principal, id string) (projections.NominationView, error) {
	v, err := h.model().Nomination(id)
	if err != nil {
		return v, err
	}
	// A clerk reads their unit's, also those a merger moved to a successor.
	if !h.svc.CanReadNomination(p, v.Unit, v.UnitHistory) {
		return v, forbiddenf("a clerk of %s may not read nominations of unit %s", p.Unit, v.Unit)
	}
	return v, nil
}

// answerNomination renders a nomination after a command: the whole nomination with the
// events appended, or, for a client that sent Prefer: return=minimal (RFC 7240), only its
// id, state and version and the events. The whole nomination, eligibility included, is
// most of a command's cost over HTTP: a client that does not read it (an import, a batch
// of rulings) need not pay for it. Either way the version is the ETag.
func (h *handler) answerNomination(w http.ResponseWriter, r *http.Request, status int, id string, res workflows.Result) error {
	h.committed(w, r, res)
	var out any
	var version uint64
	if preferMinimal(r) {
		m, err := h.minimalNomination(id, res)
		if err != nil {
			return err
		}
		out, version = m, m.Version
		w.Header().Set("Preference-Applied", "return=minimal")
		w.Header().Add("Vary", "Prefer")
	} else {
		v, err := h.model().NominationAt(id, answerBound(res))
		if err != nil {
			return err
		}
		out, version = nominationOut{NominationView: v, Events: events(res.Events)}, v.Version
	}
	setETag(w, version)
	if status == http.StatusCreated {
		w.Header().Set("Location", Prefix+"/nominations/"+id)
	}
	writeJSON(w, status, out)
	return nil
}

// nominationMinimal is a nomination command's answer under Prefer: return=minimal.
type nominationMinimal struct {
	ID      string   `json:"id"`
	State   string   `json:"state"`
	Version uint64   `json:"version"`
	Events  []string `json:"events"`
}

// answerBound is the moment a command's answer shows: now for a command just carried
// out, and, for one replayed under its idempotency key, the moment its commit left the
// store, so that the same key gets the same answer (and the ETag of the state it left),
// not what later commands made of it.
func answerBound(res workflows.Result) projections.Bound {
	if res.Duplicate && res.Seq > 0 {
		return projections.Bound{Seq: res.Seq}
	}
	return projections.Bound{}
}

// minimalNomination reads the nomination's state and version for a minimal answer.
func (h *handler) minimalNomination(id string, res workflows.Result) (nominationMinimal, error) {
	out := nominationMinimal{ID: id, Events: events(res.Events)}
	if b := answerBound(res); !b.Live() {
		v, err := h.model().NominationAt(id, b)
		if err != nil {
			return out, err
		}
		out.State, out.Version = v.State, v.Version
		return out, nil
	}
	found := false
	h.model().Read(func(s *projections.State) {
		if n, ver := s.Nomination(id); n != nil {
			found, out.State, out.Version = true, string(n.State()), ver.Seq
		}
	})
	if !found {
		return out, fmt.Errorf("%w: nomination %s", projections.ErrNotFound, id)
	}
	return out, nil
}

// preferMinimal reports whether the request asks for a minimal answer: a preference
// return=minimal in any Prefer header (RFC 7240; names and values in any case, the value
// quoted or not, parameters after ";" ignored).
func preferMinimal(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			p, _, _ = strings.Cut(p, ";")
			name, val, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(name), "return") && strings.EqualFold(strings.Trim(strings.TrimSpace(val), `"`), "minimal") {
				return true
			}
		}
	}
	return false
}

// nomineeIn is a nominee as a request body gives it; the domain judges it.
type nomineeIn struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Position string `json:"position"`
	Gender   string `json:"gender"`
	// Head is the contract's "head: bool". Given, either way, it declares whether an
	// individual nominee heads the unit: false is the unit's statement that they do not
	// (not_head), which an individual whose position reads as a head's needs; left out,
	// nothing is declared (domain.CheckHeadDeclared). A collective's false says nothing.
	Head    *bool `json:"head"`
	NotHead bool  `json:"not_head"`
}

// nominee returns the domain's nominee.
func (n *nomineeIn) nominee() domain.Nominee {
	head := n.Head != nil && *n.Head
	notHead := n.NotHead || (n.Head != nil && !*n.Head && n.Kind != string(domain.NomineeCollective))
	return domain.Nominee{Kind: domain.NomineeKind(n.Kind), Name: n.Name, Position: n.Position, Gender: n.Gender, Head: head, NotHead: notHead}
}

// openNomination: POST /campaigns/{id}/nominations {unit, nominee} → 201 nomination.
func (h *handler) openNomination(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Unit    string     `json:"unit"`
		Nominee *nomineeIn `json:"nominee"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if in.Unit == "" && p.Role == domain.RoleClerk {
		in.Unit = p.Unit
	}
	if err := validID("unit", in.Unit); err != nil {
		return err
	}
	if in.Nominee == nil {
		return badRequest("missing_field", "nominee is required: {\"kind\": \"collective\"} or {\"kind\": \"individual\", \"name\", \"position\", \"gender\", \"head\"}")
	}
	// The nominee itself (its kind, name, position, gender) is the domain's to judge: every
	// fault of it is one refusal, 422 invalid_nominee, with its Vietnamese message.
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, err := h.svc.OpenNomination(r.Context(), p, r.PathValue("id"), workflows.OpenNominationInput{Unit: in.Unit, Nominee: in.Nominee.nominee()}, o)
	if err != nil {
		return err
	}
	return h.answerNomination(w, r, http.StatusCreated, res.ID, res)
}

// nominationStates are the states a listing may filter on.
var nominationStates = map[string]bool{
	"draft": true, "submitted": true, "under_review": true, "returned": true, "verified": true,
	"on_hold": true, "withdrawn": true, "awarded": true, "revoked": true,
}

// listNominations: GET /campaigns/{id}/nominations?state=&unit=&kind=&limit=&cursor=, newest
// first; a clerk sees only their unit's.
func (h *handler) listNominations(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	q := r.URL.Query()
	// unit= keeps the nominations that are or were the unit's: after a merger, a
	// dissolved unit's are found under its id, as an auditor asks ("why was X excluded?"),
	// and the successor's include those it inherited.
	f := projections.NominationFilter{State: q.Get("state"), Was: q.Get("unit"), Kind: q.Get("kind")}
	if f.State != "" && !nominationStates[f.State] {
		return badRequest("invalid_state", "state: %q is not a nomination state", f.State)
	}
	if f.Kind != "" && f.Kind != string(domain.NomineeCollective) && f.Kind != string(domain.NomineeIndividual) {
		return badRequest("invalid_kind", "kind: %q is not collective or individual", f.Kind)
	}
	if err := validOptionalID("unit", f.Was); err != nil {
		return err
	}
	if f.Was != "" {
		// An unknown unit is not an empty list: a misspelt id would read as "none".
		if _, err := h.model().Unit(f.Was, projections.Bound{}); err != nil {
			return err
		}
	}
	var err error
	if f.Cursor, f.Limit, err = pageQuery(q); err != nil {
		return err
	}
	if p.Role == domain.RoleClerk {
		// Their unit's, and those a merger left on the units it absorbed.
		f.Units = map[string]bool{p.Unit: true}
		if u, err := h.model().Unit(p.Unit, projections.Bound{}); err == nil {
			for _, l := range u.Lineage {
				f.Units[l] = true
			}
		}
		if f.Was != "" && !f.Units[f.Was] {
			// Not an empty list, which would say the unit has none.
			return forbiddenf("a unit's clerk lists the nominations of their own unit (%s) and of the units it absorbed, not those of %s", p.Unit, f.Was)
		}
	}
	list, next, err := h.model().Nominations(r.PathValue("id"), f)
	if err != nil {
		return err
	}
	out := map[string]any{"nominations": list}
	if next != "" {
		out["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getNomination: GET /nominations/{id}[?at=|seq=]: the nomination now (with its ETag) or as it stood then.
func (h *handler) getNomination(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	v, err := h.readableNomination(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !b.Live() {
		// Who may read it is decided on the nomination as it is now (readableNomination).
		if v, err = h.model().NominationAt(v.ID, b); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	// The ETag is the nomination's version, what an If-Match on its commands names. The
	// answer also holds what other aggregates decide (its criteria, eligibility and
	// integrity follow the unit's facts and plan and the campaign's rules), which change
	// without changing that version: an If-None-Match is not answered 304 (a review
	// finding: a fact recorded on the unit turned C04 met, and the client was told its
	// copy, with C04 pending, was current).
	setETag(w, v.Version)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// nominationEvents: GET /nominations/{id}/events[?at=|seq=].
func (h *handler) nominationEvents(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := h.readableNomination(p, id); err != nil {
		return err
	}
	evs, err := h.model().NominationEvents(id, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

// campaignEvents: GET /campaigns/{id}/events[?at=|seq=].
func (h *handler) campaignEvents(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	evs, err := h.model().CampaignEvents(r.PathValue("id"), b)
	if err != nil {
		return err
	}
	// As the reader may see them: an individual's revocation without its ground and
	// note for a clerk of another unit (workflows.Service.RevocationReadable).
	writeJSON(w, http.StatusOK, map[string]any{"events": h.svc.Visible(p, evs)})
	return nil
}

// eligibility: GET /nominations/{id}/eligibility[?at=|seq=].
func (h *handler) eligibility(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := h.readableNomination(p, id); err != nil {
		return err
	}
	v, err := h.model().Eligibility(id, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// attachDocument: POST /nominations/{id}/documents, multipart kind + file (clerk) → 201.
func (h *handler) attachDocument(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	// A clerk of another unit is refused before the file is read; a retry of an upload
	// carried out is answered as it was.
	if !h.svc.KeyRecorded(p, r.Header.Get("Idempotency-Key")) {
		if err := h.svc.NominationWriteScope(p, r.PathValue("id")); err != nil {
			return err
		}
	}
	up, err := h.readUpload(w, r, "kind")
	if err != nil {
		return err
	}
	kind := up.fields["kind"]
	if kind == "" {
		return badRequest("missing_field", "kind is required (letter, council_minutes, achievement_report, supporting)")
	}
	o, err := options(r, up.fingerprint(r))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, doc, err := h.svc.AttachDocument(r.Context(), p, id, domain.DocKind(kind), up.body(), o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	if v, err := h.model().NominationAt(id, answerBound(res)); err == nil {
		setETag(w, v.Version)
	}
	w.Header().Set("Location", Prefix+"/documents/"+doc.SHA256)
	writeJSON(w, http.StatusCreated, documentOut{
		ID: doc.SHA256, SHA256: doc.SHA256, Size: doc.Size, Name: up.name, ContentType: up.ctype,
		Kind: kind, Nomination: id, Events: events(res.Events),
	})
	return nil
}

// recordVote: POST /nominations/{id}/council-vote {meeting_date, members, present, approve} (clerk) → 201.
func (h *handler) recordVote(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		MeetingDate *string `json:"meeting_date"`
		Members     *int    `json:"members"`
		Present     *int    `json:"present"`
		Approve     *int    `json:"approve"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if in.MeetingDate == nil || in.Members == nil || in.Present == nil || in.Approve == nil {
		return badRequest("missing_field", "meeting_date, members, present and approve are required")
	}
	if err := parseDate("meeting_date", *in.MeetingDate); err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	vote := domain.CouncilVoteData{MeetingDate: *in.MeetingDate, Members: *in.Members, Present: *in.Present, Approve: *in.Approve}
	res, err := h.svc.RecordVote(r.Context(), p, id, vote, o)
	if err != nil {
		return err
	}
	return h.answerNomination(w, r, http.StatusCreated, id, res)
}

// submit: POST /nominations/{id}/submit (clerk) → 200 {state: "submitted", ...}.
func (h *handler) submit(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	o, err := h.emptyCommand(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := h.svc.Submit(r.Context(), p, id, o)
	if err != nil {
		return err
	}
	return h.answerNomination(w, r, http.StatusOK, id, res)
}

// rule: POST /nominations/{id}/criteria/{criterion} {result, note, document?} (reviewer) → 201.
func (h *handler) rule(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Result   string `json:"result"`
		Note     string `json:"note"`
		Document string `json:"document"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if in.Document != "" {
		if err := validSHA("document", in.Document); err != nil {
			return err
		}
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := h.svc.Rule(r.Context(), p, id, r.PathValue("criterion"), workflows.RuleInput{Result: in.Result, Note: in.Note, Document: in.Document}, o)
	if err != nil {
		return err
	}
	return h.answerNomination(w, r, http.StatusCreated, id, res)
}

// reasonCommand is a nomination command that takes a reason.
type reasonCommand func(ctx context.Context, p workflows.Principal, id, reason string, o workflows.Options) (workflows.Result, error)

func (h *handler) svcReturn(ctx context.Context, p workflows.Principal, id, reason string, o workflows.Options) (workflows.Result, error) {
	return h.svc.Return(ctx, p, id, reason, o)
}

func (h *handler) svcWithdraw(ctx context.Context, p workflows.Principal, id, reason string, o workflows.Options) (workflows.Result, error) {
	return h.svc.Withdraw(ctx, p, id, reason, o)
}

func (h *handler) svcHold(ctx context.Context, p workflows.Principal, id, reason string, o workflows.Options) (workflows.Result, error) {
	return h.svc.Hold(ctx, p, id, reason, o)
}

func (h *handler) svcRelease(ctx context.Context, p workflows.Principal, id, reason string, o workflows.Options) (workflows.Result, error) {
	return h.svc.Release(ctx, p, id, reason, o)
}

// correctNominee: POST /nominations/{id}/nominee {nominee, reason} → 200 nomination
// (the unit's clerk, in draft or returned).
func (h *handler) correctNominee(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Nominee *nomineeIn `json:"nominee"`
		Reason  string     `json:"reason"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if in.Nominee == nil {
		return badRequest("missing_field", "nominee is required: {\"name\", \"position\", \"gender\", \"head\"}, the whole of the corrected nominee")
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := h.svc.CorrectNominee(r.Context(), p, id, in.Nominee.nominee(), in.Reason, o)
	if err != nil {
		return err
	}
	return h.answerNomination(w, r, http.StatusOK, id, res)
}

// reason handles POST /nominations/{id}/{return|withdraw|hold|release} {reason} → 200.
func (h *handler) reason(cmd reasonCommand) func(http.ResponseWriter, *http.Request, workflows.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
		var in struct {
			Reason string `json:"reason"`
		}
		body, err := h.decodeJSON(w, r, &in, false)
		if err != nil {
			return err
		}
		o, err := options(r, fingerprint(r, body))
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		res, err := cmd(r.Context(), p, id, in.Reason, o)
		if err != nil {
			return err
		}
		return h.answerNomination(w, r, http.StatusOK, id, res)
	}
}

// recordFact: POST /units/{id}/facts (reviewer) → 201.
func (h *handler) recordFact(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Campaign  string          `json:"campaign"`
		Fact      string          `json:"fact"`
		Value     json.RawMessage `json:"value"`
		Index     string          `json:"index"`
		Component string          `json:"component"`
		Previous  *float64        `json:"previous"`
		Status    string          `json:"status"`
		Cause     string          `json:"cause"`
		Note      string          `json:"note"`
		Document  string          `json:"document"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if err := validID("campaign", in.Campaign); err != nil {
		return err
	}
	if in.Fact == "" {
		return badRequest("missing_field", "fact is required")
	}
	f := domain.FactRecordedData{
		Campaign: in.Campaign, Fact: in.Fact, Index: in.Index, Component: in.Component, Previous: in.Previous,
		Status: in.Status, Cause: in.Cause, Note: in.Note,
	}
	switch v := bytes.TrimSpace(in.Value); {
	case len(v) == 0 || string(v) == "null":
	case v[0] == '"':
		if err := json.Unmarshal(v, &f.Text); err != nil {
			return badRequest("invalid_value", "value: %v", err)
		}
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		var n float64
		if err := json.Unmarshal(v, &n); err != nil {
			return badRequest("invalid_value", "value: %v", err)
		}
		f.Number = &n
	default:
		return badRequest("invalid_value", "value must be a number or a string")
	}
	if in.Document != "" {
		if err := validSHA("document", in.Document); err != nil {
			return err
		}
		f.Document = &domain.DocumentRef{ID: in.Document, SHA256: in.Document}
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	unit := r.PathValue("id")
	res, err := h.svc.RecordFact(r.Context(), p, unit, f, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	out := factOut{Unit: unit, Campaign: in.Campaign, Fact: in.Fact, Events: events(res.Events)}
	if u, err := h.model().Unit(unit, answerBound(res)); err == nil {
		out.Version = u.Version
		setETag(w, u.Version)
	}
	if len(res.Events) > 0 {
		last := res.Events[len(res.Events)-1]
		if evs, err := h.model().UnitEvents(unit, false, answerBound(res), 0); err == nil {
			for i := len(evs) - 1; i >= 0; i-- {
				if evs[i].ID == last {
					out.Data = evs[i].Data
					break
				}
			}
		}
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// restoreDocument: POST /documents, multipart file (an administrator, or a clerk whose
// unit may read it) → 200 {sha256, size, restored}: stores again, from its original, a
// document the events cite that the store no longer holds whole; records nothing
// (workflows.RestoreDocument).
func (h *handler) restoreDocument(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	up, err := h.readUpload(w, r)
	if err != nil {
		return err
	}
	d, err := h.svc.RestoreDocument(r.Context(), p, up.body())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha256": d.SHA256, "size": d.Size, "restored": true})
	return nil
}

// submitPlan: POST /units/{id}/plans, multipart campaign + file (the unit's clerk) → 201.
func (h *handler) submitPlan(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	// A clerk of another unit is refused before the file is read; a retry of a plan
	// carried out is answered as it was.
	if _, err := h.model().Unit(r.PathValue("id"), projections.Bound{}); err == nil && !h.svc.KeyRecorded(p, r.Header.Get("Idempotency-Key")) {
		if err := h.svc.WriteScope(p, r.PathValue("id")); err != nil {
			return err
		}
	}
	up, err := h.readUpload(w, r, "campaign")
	if err != nil {
		return err
	}
	campaign := up.fields["campaign"]
	if err := validID("campaign", campaign); err != nil {
		return err
	}
	o, err := options(r, up.fingerprint(r))
	if err != nil {
		return err
	}
	unit := r.PathValue("id")
	res, doc, err := h.svc.SubmitPlan(r.Context(), p, unit, campaign, up.body(), o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	if u, err := h.model().Unit(unit, answerBound(res)); err == nil {
		setETag(w, u.Version)
	}
	w.Header().Set("Location", Prefix+"/documents/"+doc.SHA256)
	writeJSON(w, http.StatusCreated, documentOut{
		ID: doc.SHA256, SHA256: doc.SHA256, Size: doc.Size, Name: up.name, ContentType: up.ctype,
		Unit: unit, Campaign: campaign, Events: events(res.Events),
	})
	return nil
}

// grantAward: POST /campaigns/{id}/awards {nomination, decision} (council) → 201 award.
func (h *handler) grantAward(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Nomination string `json:"nomination"`
		Decision   string `json:"decision"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if err := validID("nomination", in.Nomination); err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	campaign := r.PathValue("id")
	res, err := h.svc.GrantAward(r.Context(), p, campaign, workflows.GrantInput{Nomination: in.Nomination, Decision: in.Decision}, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	a, err := h.model().AwardAt(res.ID, answerBound(res))
	if err != nil {
		return err
	}
	setETag(w, a.Version)
	w.Header().Set("Location", Prefix+"/awards/"+a.ID)
	writeJSON(w, http.StatusCreated, awardOut{AwardView: a, Events: events(res.Events)})
	return nil
}

// getAward: GET /awards/{id}, with the version of its campaign as its ETag (what an
// If-Match on its revocation names).
func (h *handler) getAward(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	a, err := h.model().Award(r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Revocation != nil && !h.svc.RevocationReadable(p, a.Nomination, a.Kind) {
		rv := *a.Revocation
		rv.Ground, rv.Note = domain.WithheldUndisclosed, ""
		a.Revocation = &rv
	}
	if notModified(w, r, a.Version) {
		return nil
	}
	setETag(w, a.Version)
	writeJSON(w, http.StatusOK, a)
	return nil
}

// revokeAward: POST /awards/{id}/revoke {ground, note} (council) → 200 award.
func (h *handler) revokeAward(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Ground string `json:"ground"`
		Note   string `json:"note"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := h.svc.RevokeAward(r.Context(), p, id, workflows.RevokeInput{Ground: in.Ground, Note: in.Note}, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	a, err := h.model().AwardAt(id, answerBound(res))
	if err != nil {
		return err
	}
	setETag(w, a.Version)
	writeJSON(w, http.StatusOK, awardOut{AwardView: a, Events: events(res.Events)})
	return nil
}
