package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// authenticate turns the bearer token into a principal.
func (h *handler) authenticate(r *http.Request) (workflows.Principal, error) {
	if n := len(r.Header.Values("Authorization")); n > 1 {
		// Which one would a proxy, a log or another server read? None: refused.
		return workflows.Principal{}, &apiError{status: http.StatusBadRequest, body: errorBody{Code: "invalid_authorization",
			Message: fmt.Sprintf("the Authorization header is given %d times: give it once", n)}}
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return workflows.Principal{}, &apiError{status: http.StatusUnauthorized, body: errorBody{Code: "unauthenticated", Message: "Authorization: Bearer <token> is required"}}
	}
	return h.svc.Authenticate(r.Context(), token)
}

// me answers who the caller is.
func (h *handler) me(w http.ResponseWriter, _ *http.Request, p workflows.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"id": p.UserID, "name": p.Name, "role": p.Role, "unit": p.Unit})
	return nil
}

// createUser: POST /users {name, role, unit?} → 201 {id, token, ...}.
func (h *handler) createUser(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"`
		Unit string `json:"unit"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if err := validOptionalID("unit", in.Unit); err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, token, err := h.svc.CreateUser(r.Context(), p, workflows.CreateUserInput{Name: in.Name, Role: domain.Role(in.Role), Unit: in.Unit}, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	u, ok := h.model().UserAt(res.ID, answerBound(res))
	if !ok {
		u = projections.UserView{ID: res.ID, Name: in.Name, Role: in.Role, Unit: in.Unit}
	}
	w.Header().Set("Location", Prefix+"/users/"+u.ID)
	writeJSON(w, http.StatusCreated, newUserOut(u, res, token, true))
	return nil
}

// listUsers: GET /users (admin, auditor): every registered user, never a token or its hash.
func (h *handler) listUsers(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"users": h.model().Users()})
	return nil
}

// integrity: GET /integrity (admin, auditor): every integrity problem the projections
// found in the events they applied — a content that no longer matches its hash, a broken
// chain, an event stored on another aggregate's subject — in stream order, on a running
// server (`thidua verify` checks the whole store, documents too, on a stopped one).
func (h *handler) integrity(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	// One read: the digest (null while the server reads it) seals exactly "applied".
	r := h.model().IntegrityReport()
	writeJSON(w, http.StatusOK, map[string]any{"ok": len(r.Problems) == 0, "applied": r.Applied, "problems": r.Problems, "digest": r.Digest})
	return nil
}

// digest: GET /digest[?seq=N] (every role): the stream's digest up to sequence N, or up
// to the last sequence the projections have applied: {seq, sha256}. N is taken as it is,
// not to the end of an atomic append as a state's ?seq= is: the digest seals the stream,
// and an export states it at the sequence it names. A moment given as a time is refused.
func (h *handler) digest(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	q := r.URL.Query()
	if q.Has("at") {
		return badRequest("invalid_bound", "a digest seals a stream sequence: give seq (an export, and every answer's as_of_seq, names it), not at")
	}
	var seq uint64
	if v, ok := q["seq"]; ok {
		if len(v) != 1 || strings.TrimSpace(v[0]) == "" {
			return badRequest("invalid_bound", "give seq once, not empty; leave it out for the digest up to the last sequence applied")
		}
		n, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil || n == 0 {
			return badRequest("invalid_seq", "seq: %q is not a positive stream sequence", v[0])
		}
		seq = n
	}
	d, err := h.svc.DigestAt(r.Context(), seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// getUser: GET /users/{id} (admin, auditor): one registered user, never a token or its
// hash; 404 for an id the registry does not know.
func (h *handler) getUser(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	id := r.PathValue("id")
	u, ok := h.model().User(id)
	if !ok {
		return notFoundf("user %q not found", id)
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// disableUser: POST /users/{id}/disable {reason} (admin).
func (h *handler) disableUser(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
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
	res, err := h.svc.DisableUser(r.Context(), p, id, in.Reason, o)
	if err != nil {
		return err
	}
	return h.answerUser(w, r, id, res, "", false)
}

// answerUser answers a command on an existing user: 200, the user, the token when one
// was issued, and the events.
func (h *handler) answerUser(w http.ResponseWriter, r *http.Request, id string, res workflows.Result, token string, issues bool) error {
	h.committed(w, r, res)
	u, ok := h.model().UserAt(id, answerBound(res))
	if !ok {
		return notFoundf("user %q not found", id)
	}
	writeJSON(w, http.StatusOK, newUserOut(u, res, token, issues))
	return nil
}

// reissueToken: POST /users/{id}/token (admin) → 200 the user with their new token, shown
// only in this answer; the old token stops working.
func (h *handler) reissueToken(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	o, err := h.emptyCommand(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, token, err := h.svc.ReissueToken(r.Context(), p, id, o)
	if err != nil {
		return err
	}
	return h.answerUser(w, r, id, res, token, true)
}

// registerUnit: POST /units {id, name, kind, parent?} (admin) → 201 unit.
func (h *handler) registerUnit(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Parent string `json:"parent"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if err := validID("id", in.ID); err != nil {
		return err
	}
	if err := validOptionalID("parent", in.Parent); err != nil {
		return err
	}
	if !unitKinds[in.Kind] {
		// Malformed input, as a merger's successor_kind is (before, a 422 here and a 400 there).
		return badRequest("invalid_kind", "kind: %q is not one of department, vertical, district, commune", in.Kind)
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, err := h.svc.RegisterUnit(r.Context(), p, workflows.RegisterUnitInput{ID: in.ID, Name: in.Name, Kind: domain.UnitKind(in.Kind), Parent: in.Parent}, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	v, err := h.model().Unit(in.ID, answerBound(res))
	if err != nil {
		return err
	}
	setETag(w, v.Version)
	w.Header().Set("Location", Prefix+"/units/"+v.ID)
	writeJSON(w, http.StatusCreated, unitOut{UnitView: v, Events: events(res.Events)})
	return nil
}

var unitKinds = map[string]bool{"department": true, "vertical": true, "district": true, "commune": true}

// listUnits: GET /units?kind=&status=[&limit=&cursor=]: every unit selected, or pages of
// limit of them in the order of their ids, next_cursor naming where the next page starts.
func (h *handler) listUnits(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	q := r.URL.Query()
	kind, status := q.Get("kind"), q.Get("status")
	if kind != "" && !unitKinds[kind] {
		return badRequest("invalid_kind", "kind: %q is not one of department, vertical, district, commune", kind)
	}
	if status != "" && status != "active" && status != "merged" {
		return badRequest("invalid_status", "status: %q is not active or merged", status)
	}
	cursor, limit, err := pageQuery(q)
	if err != nil {
		return err
	}
	list, next := h.model().UnitList(projections.UnitFilter{Kind: kind, Status: status, Cursor: cursor, Limit: limit})
	out := map[string]any{"units": list}
	if next != "" {
		out["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getUnit: GET /units/{id}[?at=|seq=].
func (h *handler) getUnit(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	v, err := h.model().Unit(r.PathValue("id"), b)
	if err != nil {
		return err
	}
	if notModified(w, r, v.Version) {
		return nil
	}
	setETag(w, v.Version)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// reorganise: POST /reorganisations (admin) → 201.
func (h *handler) reorganise(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Kind          string   `json:"kind"`
		Sources       []string `json:"sources"`
		Successor     string   `json:"successor"`
		SuccessorName string   `json:"successor_name"`
		SuccessorKind string   `json:"successor_kind"`
		Effective     string   `json:"effective"`
		Decision      string   `json:"decision"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	if in.Kind != "merge" {
		return badRequest("invalid_kind", "kind must be \"merge\", not %q", in.Kind)
	}
	if len(in.Sources) == 0 {
		return badRequest("invalid_sources", "sources: at least one unit is required")
	}
	for _, s := range in.Sources {
		if err := validID("sources", s); err != nil {
			return err
		}
	}
	if err := validID("successor", in.Successor); err != nil {
		return err
	}
	if in.SuccessorKind != "" && !unitKinds[in.SuccessorKind] {
		return badRequest("invalid_kind", "successor_kind: %q is not one of department, vertical, district, commune", in.SuccessorKind)
	}
	if err := parseDate("effective", in.Effective); err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, err := h.svc.Reorganise(r.Context(), p, workflows.ReorganiseInput{
		Kind: in.Kind, Sources: in.Sources, Successor: in.Successor, SuccessorName: in.SuccessorName,
		SuccessorKind: domain.UnitKind(in.SuccessorKind), Effective: in.Effective, Decision: in.Decision,
	}, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	succ, err := h.model().Unit(in.Successor, answerBound(res))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, reorganisationOut{
		ID: res.ID, Kind: in.Kind, Sources: in.Sources, Successor: in.Successor, Effective: in.Effective,
		Decision: strings.TrimSpace(in.Decision), SuccessorUnit: succ, Events: events(res.Events),
	})
	return nil
}

// listCampaigns: GET /campaigns.
func (h *handler) listCampaigns(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": h.model().Campaigns()})
	return nil
}

// getCampaign: GET /campaigns/{id}[?at=|seq=]: the campaign now (with its ETag) or as it stood then.
func (h *handler) getCampaign(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	if !b.Live() {
		v, err := h.model().CampaignAt(r.PathValue("id"), b)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	v, err := h.model().Campaign(r.PathValue("id"))
	if err != nil {
		return err
	}
	if notModified(w, r, v.Seq) {
		return nil
	}
	setETag(w, v.Seq)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// launchCampaign: POST /campaigns with a campaign definition document (admin) → 201, or
// 200 when it revises a campaign launched already (a higher version).
func (h *handler) launchCampaign(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	body, err := h.readBody(w, r, false)
	if err != nil {
		return err
	}
	def, err := domain.ParseDefinition(body)
	if err != nil {
		return err
	}
	if err := parseDate("starts", def.Starts); err != nil {
		return err
	}
	if err := parseDate("ends", def.Ends); err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, err := h.svc.LaunchCampaign(r.Context(), p, def, o)
	if err != nil {
		return err
	}
	// A definition of a campaign launched already, with a higher version, revises it:
	// 200, where a launch is 201; a replay answers as the first answer did.
	status := http.StatusCreated
	if workflows.Revised(h.model(), def.ID, res) {
		status = http.StatusOK
	}
	h.committed(w, r, res)
	v, err := h.model().CampaignAt(def.ID, answerBound(res))
	if err != nil {
		return err
	}
	setETag(w, v.Seq)
	w.Header().Set("Location", Prefix+"/campaigns/"+v.ID)
	writeJSON(w, status, campaignOut{CampaignView: v, Events: events(res.Events)})
	return nil
}

// setDeadline: POST /campaigns/{id}/deadline {closes} (admin) → 200 campaign.
func (h *handler) setDeadline(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	var in struct {
		Closes string `json:"closes"`
	}
	body, err := h.decodeJSON(w, r, &in, false)
	if err != nil {
		return err
	}
	closes, err := parseTime("closes", in.Closes)
	if err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := h.svc.SetDeadline(r.Context(), p, id, closes, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	v, err := h.model().CampaignAt(id, answerBound(res))
	if err != nil {
		return err
	}
	setETag(w, v.Seq)
	writeJSON(w, http.StatusOK, campaignOut{CampaignView: v, Events: events(res.Events)})
	return nil
}
