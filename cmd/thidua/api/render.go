package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"thidua/projections"
	"thidua/workflows"
)

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, errorBody{Code: "internal", Message: "could not encode the answer"})
		return
	}
	writeEncoded(w, status, append(b, '\n'))
}

// writeEncoded answers b, JSON already encoded and ending with a newline, with status, in
// one write; b is not modified.
func writeEncoded(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// etag formats a version as an entity tag.
func etag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

// setETag sets the ETag of a resource at version.
func setETag(w http.ResponseWriter, version uint64) { w.Header().Set("ETag", etag(version)) }

// notModified answers 304 when the client's If-None-Match names the current version.
func notModified(w http.ResponseWriter, r *http.Request, version uint64) bool {
	return notModifiedTag(w, r, etag(version))
}

// notModifiedTag answers 304, with the tag, when the client's If-None-Match names the
// entity tag want (quoted).
func notModifiedTag(w http.ResponseWriter, r *http.Request, want string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == want || t == "*" {
			w.Header().Set("ETag", want)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// committed counts a command's outcome and marks an idempotent replay.
func (h *handler) committed(w http.ResponseWriter, r *http.Request, res workflows.Result) {
	switch {
	case res.Duplicate:
		w.Header().Set("Idempotent-Replayed", "true")
		h.metrics.replays.Inc()
	case len(res.Events) > 0:
		h.metrics.appends.WithLabelValues(RouteLabel(r.Pattern)).Inc()
	}
}

// events returns a non-nil list of event ids.
func events(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// nominationOut is a nomination with the events a command appended.
type nominationOut struct {
	projections.NominationView
	Events []string `json:"events"`
}

// unitOut is a unit with the events a command appended.
type unitOut struct {
	projections.UnitView
	Events []string `json:"events"`
	// Namesakes are the other active units of the same name under the same parent
	// (Model.Namesakes), most likely the same unit registered before under another id;
	// omitted when none.
	Namesakes []string `json:"namesakes,omitempty"`
}

// campaignOut is a campaign with the events a command appended.
type campaignOut struct {
	projections.CampaignView
	Events []string `json:"events"`
}

// awardOut is an award with the events a command appended.
type awardOut struct {
	projections.AwardView
	Events []string `json:"events"`
}

// userOut is a user with the events a command appended, and the token once.
type userOut struct {
	projections.UserView
	Token string `json:"token,omitempty"`
	// TokenNote says, on an idempotent replay, why the token is not in the answer and how
	// to get a new one.
	TokenNote string   `json:"token_note,omitempty"`
	Events    []string `json:"events"`
}

// newUserOut is the answer to a command on user u: the token it issued, or, for a command
// that issues one (issues) replayed (the token is stored only as a hash), the note saying
// how to issue a new one.
func newUserOut(u projections.UserView, res workflows.Result, token string, issues bool) userOut {
	out := userOut{UserView: u, Token: token, Events: events(res.Events)}
	if issues && token == "" && res.Duplicate {
		out.TokenNote = "this request was already carried out; its token was in the first answer only, as tokens are stored only as hashes: if that answer was lost, issue a new token with POST " + Prefix + "/users/" + u.ID + "/token"
	}
	return out
}

// documentOut is a stored document with the events a command appended.
type documentOut struct {
	ID          string   `json:"id"`
	SHA256      string   `json:"sha256"`
	Size        int64    `json:"size"`
	Name        string   `json:"name"`
	ContentType string   `json:"content_type"`
	Kind        string   `json:"kind,omitempty"`
	Nomination  string   `json:"nomination,omitempty"`
	Unit        string   `json:"unit,omitempty"`
	Campaign    string   `json:"campaign,omitempty"`
	Events      []string `json:"events"`
}

// factOut is a recorded fact with the events a command appended.
type factOut struct {
	Unit     string          `json:"unit"`
	Campaign string          `json:"campaign"`
	Fact     string          `json:"fact"`
	Data     json.RawMessage `json:"data,omitempty"`
	Version  uint64          `json:"version"`
	Events   []string        `json:"events"`
}

// reorganisationOut is a recorded merger with the events it appended.
type reorganisationOut struct {
	ID            string               `json:"id"`
	Kind          string               `json:"kind"`
	Sources       []string             `json:"sources"`
	Successor     string               `json:"successor"`
	Effective     string               `json:"effective"`
	Decision      string               `json:"decision"`
	SuccessorUnit projections.UnitView `json:"successor_unit"`
	Events        []string             `json:"events"`
}
