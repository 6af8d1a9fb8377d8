package api

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
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
	setETag(w, res.Version) // the registry's, after the command (getUser)
	writeJSON(w, http.StatusCreated, newUserOut(u, res, token, true))
	return nil
}

// listUsers: GET /users (admin, auditor): every registered user, never a token or its hash.
func (h *handler) listUsers(w http.ResponseWriter, _ *http.Request, _ workflows.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"users": h.model().Users()})
	return nil
}

// integrity: GET /integrity[?limit=&from=&docs_from=&grants_from=] (admin, auditor):
// the integrity problems the projections found in the events they applied — a content
// that no longer matches its hash, a broken chain, an event stored on another aggregate's
// subject — in stream order, on a running server, and the latest checks of the document
// store and of the grants' recorded rankings (documents, grants: null until the first has
// finished; serve runs them after its start and every day). `thidua verify` checks the
// whole store on a stopped one.
//
// Each of the three lists is paged: at most limit problems (defaultIntegrityLimit when
// left out) from its own offset, with its total beside it, and next holding the
// offsets of the next page while any list has more. A store whose documents were all
// lost answered with every one of them at once: 64.7 MB at a million events.
func (h *handler) integrity(w http.ResponseWriter, req *http.Request, _ workflows.Principal) error {
	pg, err := integrityPageQuery(req.URL.Query())
	if err != nil {
		return err
	}
	// One read: the digest (null while the server reads it) seals exactly "applied".
	r := h.model().IntegrityReport()
	out := map[string]any{"applied": r.Applied, "digest": r.Digest, "documents": nil, "grants": nil}
	next := map[string]int{}
	more := false
	page := func(param string, n int) (int, int) {
		start := min(pg.from[param], n)
		end := min(start+pg.limit, n)
		next[param], more = end, more || end < n
		return start, end
	}
	ok := len(r.Problems) == 0
	a, b := page("from", len(r.Problems))
	out["problems"], out["problems_total"] = nonNil(r.Problems[a:b]), len(r.Problems)
	if c, found := h.svc.DocumentChecks(); found {
		ok = ok && len(c.Problems) == 0
		a, b := page("docs_from", len(c.Problems))
		out["documents"] = map[string]any{"checked_at": c.At, "checked": c.Checked,
			"problems": nonNil(c.Problems[a:b]), "problems_total": len(c.Problems)}
	}
	if c, found := h.svc.GrantChecks(); found {
		ok = ok && len(c.Problems) == 0
		a, b := page("grants_from", len(c.Problems))
		g := map[string]any{"checked_at": c.At, "checked": c.Checked,
			"problems": nonNil(c.Problems[a:b]), "problems_total": len(c.Problems)}
		if c.Skipped != "" {
			g["skipped"] = c.Skipped
		}
		out["grants"] = g
	}
	out["ok"] = ok
	if more {
		next["limit"] = pg.limit
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// nonNil returns list, or an empty list for nil: a list is answered as [], never null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// defaultIntegrityLimit and maxIntegrityLimit are the most problems of each list that
// one answer of GET /integrity holds, by default and at most.
const (
	defaultIntegrityLimit = 1000
	maxIntegrityLimit     = 10000
)

// integrityPage is the paging of GET /integrity: limit, and each list's offset by its
// parameter's name.
type integrityPage struct {
	limit int
	from  map[string]int
}

// integrityPageQuery reads limit and the offsets from, docs_from and grants_from.
func integrityPageQuery(q url.Values) (integrityPage, error) {
	pg := integrityPage{limit: defaultIntegrityLimit, from: map[string]int{}}
	if s := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxIntegrityLimit {
			return pg, badRequest("invalid_limit", "limit: %q is not a number from 1 to %d", s, maxIntegrityLimit)
		}
		pg.limit = n
	}
	for _, name := range []string{"from", "docs_from", "grants_from"} {
		if !q.Has(name) {
			continue
		}
		s := q.Get(name)
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return pg, badRequest("invalid_offset", "%s: %q is not a number of problems to skip (0 or more; next gives it)", name, s)
		}
		pg.from[name] = n
	}
	return pg, nil
}

// digest: GET /digest[?seq=N] (every role): the stream's digest up to sequence N, or up
// to the last sequence the projections have applied: {seq, sha256}. N is taken as it is,
// not to the end of an atomic append as a state's ?seq= is: the digest seals the stream,
// and an export states it at the sequence it names. A moment given as a time is refused.
func (h *handler) digest(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	seq, err := streamSeq(r, "a digest seals")
	if err != nil {
		return err
	}
	d, err := h.svc.DigestAt(r.Context(), seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// streamSeq reads the ?seq= of a read that covers the stream up to a sequence (a digest,
// an archive; what says what the read does): 0 when it is left out. N is taken as it
// is, not to the end of an atomic append as a state's ?seq= is; a time is refused.
func streamSeq(r *http.Request, what string) (uint64, error) {
	q := r.URL.Query()
	if q.Has("at") {
		return 0, badRequest("invalid_bound", "%s a stream sequence: give seq (an export, and every answer's as_of_seq, names it), not at", what)
	}
	v, ok := q["seq"]
	if !ok {
		return 0, nil
	}
	if len(v) != 1 || strings.TrimSpace(v[0]) == "" {
		return 0, badRequest("invalid_bound", "give seq once, not empty; leave it out for the last sequence applied")
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("invalid_seq", "seq: %q is not a positive stream sequence", v[0])
	}
	return n, nil
}

// archiveIdle bounds how long writing one part of an archive may take: the server's
// WriteTimeout bounds a whole answer, and an archive of a million events is hundreds of
// megabytes.
const archiveIdle = 2 * time.Minute

// archive: GET /archive[?seq=N] (admin, auditor): the stream up to sequence N (default:
// the last sequence applied) as an archive for download (workflows.Service.WriteArchive):
// JSON Lines, each message as stored with the stream's digest up to it, checked with
// `thidua archive --check` or the README's Python lines. It takes one of the user's
// archive places (NewArchivePlaces). An error before the first byte is an error answer; one after it (the
// store failing mid-read) leaves the archive without its last line, which any check
// finds, and is logged.
func (h *handler) archive(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	seq, err := streamSeq(r, "an archive ends at")
	if err != nil {
		return err
	}
	release, err := h.archives.Acquire(r.Context(), p.UserID)
	if err != nil {
		return placeRefused(err)
	}
	defer release()
	return ServeArchive(w, r, h.svc, p, seq, h.cfg.log)
}

// ServeArchive sends the stream up to seq (0: the last sequence applied) as an archive for
// download (workflows.Service.WriteArchive), the headers with its first bytes. p's role
// and the sequence are checked first (workflows.Service.ArchiveUntil), for a HEAD
// request too; an error before the first byte is returned, for an error answer. One after
// it (the store failing mid-read, the client gone) is logged to log and aborts the answer
// (http.ErrAbortHandler): the client sees a transfer cut short, not a whole one, and the
// file lacks its last line, which any check finds. Each write may take archiveIdle.
func ServeArchive(w http.ResponseWriter, r *http.Request, svc *workflows.Service, p workflows.Principal, seq uint64, log *slog.Logger) error {
	seq, err := svc.ArchiveUntil(r.Context(), p, seq)
	if err != nil {
		return err
	}
	aw := &archiveWriter{w: w, rc: http.NewResponseController(w), name: fmt.Sprintf("thidua-archive_seq%d.jsonl", seq)}
	if r.Method == http.MethodHead {
		aw.start()
		return nil
	}
	if _, err := svc.WriteArchive(r.Context(), p, aw, seq); err != nil {
		if !aw.started {
			return err
		}
		lvl := slog.LevelError
		if r.Context().Err() != nil {
			lvl = slog.LevelWarn // the client went away
		}
		log.Log(r.Context(), lvl, "archive cut short", "seq", seq, "user", p.UserID, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// archiveWriter sends an archive's headers with its first bytes, and gives each write
// archiveIdle.
type archiveWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	name    string
	started bool
}

// start sends the headers.
func (a *archiveWriter) start() {
	a.started = true
	hd := a.w.Header()
	hd.Set("Content-Type", "application/x-ndjson; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.name}))
	a.w.WriteHeader(http.StatusOK)
}

// Write implements io.Writer.
func (a *archiveWriter) Write(b []byte) (int, error) {
	if !a.started {
		a.start()
	}
	_ = a.rc.SetWriteDeadline(time.Now().Add(archiveIdle)) // not every writer has one
	return a.w.Write(b)
}

// getUser: GET /users/{id} (admin, auditor): one registered user, never a token or its
// hash; 404 for an id the registry does not know.
func (h *handler) getUser(w http.ResponseWriter, r *http.Request, _ workflows.Principal) error {
	id := r.PathValue("id")
	u, ok := h.model().User(id)
	if !ok {
		return notFoundf("user %q not found", id)
	}
	// Users are kept in one aggregate, the registry: its version is what an If-Match on
	// a user's commands (disable, token) names, and any user's change moves it. Given
	// here and with each command's answer (a review finding: the commands took If-Match,
	// but no answer gave a version to send).
	setETag(w, h.model().Version(eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}).Seq)
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
	setETag(w, res.Version) // the registry's, after the command (getUser)
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
	// Spaces around them are dropped, as the import and the web form drop them (a review
	// finding: " SO-X" was refused here and registered there); a parent of spaces alone is
	// no id, not the absence of one.
	in.ID, in.Kind = strings.TrimSpace(in.ID), strings.TrimSpace(in.Kind)
	if p := strings.TrimSpace(in.Parent); p != "" {
		in.Parent = p
	}
	// The unit's id, kind, name and parent are checked by the registration itself (the
	// id in both languages, as the import's is), in the
	// order an import checks them (a review finding: checked here first, a unit that
	// exists, registered again with an unknown kind, was refused for its kind here and
	// as existing by the import and the web).
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
	writeJSON(w, http.StatusCreated, unitOut{UnitView: v, Events: events(res.Events), Namesakes: h.model().Namesakes(v.ID)})
	return nil
}

// importUnits: POST /units/import (admin), a body of text/csv: a list of units
// (workflows.ParseUnitList: the header id, kind, name_vi, parent) registered whole in one
// atomic append, or none of them, the refusal naming the line. 201 {count, units: [the
// ids registered, in the list's order], namesakes: {id: [the other active units of its
// name under its parent]} when any}.
func (h *handler) importUnits(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/csv" {
		return &apiError{status: http.StatusUnsupportedMediaType, body: errorBody{Code: "unsupported_media_type",
			Message: "the body must be text/csv: a list of units with the header id,kind,name_vi,parent"}}
	}
	body, err := h.readRaw(w, r)
	if err != nil {
		return err
	}
	rows, err := workflows.ParseUnitList(body)
	if err != nil {
		return err
	}
	o, err := options(r, fingerprint(r, body))
	if err != nil {
		return err
	}
	res, err := h.svc.ImportUnits(r.Context(), p, rows, o)
	if err != nil {
		return err
	}
	h.committed(w, r, res)
	ids := make([]string, len(rows))
	namesakes := map[string][]string{}
	for i, row := range rows {
		ids[i] = row.ID
		if same := h.model().Namesakes(row.ID); len(same) > 0 {
			namesakes[row.ID] = same
		}
	}
	out := map[string]any{"count": len(ids), "units": ids}
	if len(namesakes) > 0 {
		out["namesakes"] = namesakes
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

var unitKinds = map[string]bool{"department": true, "vertical": true, "district": true, "commune": true}

// listUnits: GET /units?kind=&status=[&limit=&cursor=]: every unit selected, or pages of
// limit of them in the order of their ids, next_cursor naming where the next page starts.
func (h *handler) listUnits(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
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
	list, next, err := h.model().UnitList(projections.UnitFilter{Kind: kind, Status: status, Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	// Each unit's version as GET /units/{id} tells it to the reader (a review finding: the
	// list's moved on a hold hidden from a clerk of another unit).
	for i := range list {
		list[i].Version = h.svc.UnitVersionFor(p, list[i].ID, list[i].Version, projections.Bound{})
	}
	out := map[string]any{"units": list}
	if next != "" {
		out["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getUnit: GET /units/{id}[?at=|seq=].
func (h *handler) getUnit(w http.ResponseWriter, r *http.Request, p workflows.Principal) error {
	b, err := h.bound(r)
	if err != nil {
		return err
	}
	v, err := h.model().Unit(r.PathValue("id"), b)
	if err != nil {
		return err
	}
	v.Version = h.svc.UnitVersionFor(p, v.ID, v.Version, b)
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
	if in.Closes == "" {
		return badRequest("missing_field", "closes is required: the nomination deadline, an RFC 3339 time (e.g. 2025-11-28T17:00:00+07:00)")
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
