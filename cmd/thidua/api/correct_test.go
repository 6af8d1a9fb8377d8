package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorrectNominee: the unit's clerk corrects an individual nominee's details while the
// dossier is a draft or returned. The head flag brings criteria H01–H05 in (and the past
// keeps its answer); every refusal (another role or unit, another state, a name or head
// already nominated, no change, no reason) appends nothing; the correction is in the
// nomination's trail with its reason and in the unit's, where another unit's clerk reads
// no name.
func TestCorrectNominee(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("CN1", "department")
	e.unit("CN2", "department")
	clerk, other := e.user("clerk", "CN1"), e.user("clerk", "CN2")
	reviewer := e.user("reviewer", "")
	open := func(name string, head bool) string {
		return clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "CN1", "nominee": map[string]any{
			"kind": "individual", "name": name, "position": "Giám đốc Sở", "gender": "male", "head": head, "not_head": !head}}).want(t, http.StatusCreated).str(t, "id")
	}
	nom := open("Nguyễn Văn Ann", false)
	// An opening as the contract writes it: "head": false declares a head-like title's
	// holder not the head (the director of a centre under a department).
	centre := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "CN1", "nominee": map[string]any{
		"kind": "individual", "name": "Hồ Văn Xuân", "position": "Giám đốc Trung tâm Phục vụ hành chính công", "head": false}}).want(t, http.StatusCreated)
	assert.Equal(t, true, centre.obj(t)["nominee"].(map[string]any)["not_head"])
	// A collective sent with the contract's "head": false is a collective, as before.
	clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "CN1", "nominee": map[string]any{
		"kind": "collective", "head": false}}).want(t, http.StatusCreated)
	open("Trần Thị Bình", false)
	headNom := open("Lê Văn Cường", true)
	e.dossier(clerk, nom)
	path := "/api/v1/nominations/" + nom + "/nominee"
	fixed := map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn An", "position": "Giám đốc Sở", "gender": "male", "head": true},
		"reason": "Sửa họ tên; là người đứng đầu Sở"}

	refused := func(c *client, body any, status int, code string) {
		t.Helper()
		before := e.lastSeq()
		assert.Equal(t, code, c.post(path, body).want(t, status).errCode(t))
		assert.Equal(t, before, e.lastSeq(), "a refused correction appends nothing")
	}
	refused(clerk, fixed, http.StatusConflict, "invalid_transition") // submitted: the reviewer's now
	reviewer.post("/api/v1/nominations/"+nom+"/return", map[string]any{"reason": "Là Giám đốc Sở: đánh dấu người đứng đầu"}).want(t, http.StatusOK)
	refused(reviewer, fixed, http.StatusForbidden, "forbidden")
	refused(other, fixed, http.StatusForbidden, "forbidden")
	refused(e.admin, fixed, http.StatusForbidden, "forbidden")
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn An", "position": "Giám đốc Sở", "head": true}}, http.StatusUnprocessableEntity, "reason_required")
	refused(clerk, map[string]any{"reason": "x"}, http.StatusBadRequest, "missing_field")
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn Ann", "position": "Giám đốc Sở", "gender": "male", "not_head": true}, "reason": "x"},
		http.StatusUnprocessableEntity, "nothing_to_correct")
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn Ann", "position": "Giám đốc Sở", "gender": "male"}, "reason": "x"},
		http.StatusUnprocessableEntity, "head_undeclared")
	// The contract's "head": false, given, is the statement not_head makes: the same nominee.
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn Ann", "position": "Giám đốc Sở", "gender": "male", "head": false}, "reason": "x"},
		http.StatusUnprocessableEntity, "nothing_to_correct")
	refused(clerk, map[string]any{"nominee": map[string]any{"kind": "collective"}, "reason": "x"}, http.StatusUnprocessableEntity, "invalid_nominee")
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "trần thị  bình", "position": "Giám đốc Sở", "not_head": true}, "reason": "x"},
		http.StatusUnprocessableEntity, "nominee_already_nominated")
	refused(clerk, fixed, http.StatusUnprocessableEntity, "head_already_nominated")
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn An", "position": "Giám đốc Sở"}, "reason": "x", "extra": 1},
		http.StatusBadRequest, "unknown_field")

	var before struct {
		Criteria map[string]any `json:"criteria"`
		AsOfSeq  uint64         `json:"as_of_seq"`
	}
	e.admin.get("/api/v1/nominations/"+nom+"/eligibility").want(t, http.StatusOK).decode(t, &before)
	require.NotContains(t, before.Criteria, "H01", "not declared a head: H01–H05 do not apply")

	clerk.post("/api/v1/nominations/"+headNom+"/withdraw", map[string]any{"reason": "Người đứng đầu là ông An"}).want(t, http.StatusOK)
	r := clerk.post(path, fixed, "Idempotency-Key", "correct-1").want(t, http.StatusOK)
	var n struct {
		State   string         `json:"state"`
		Nominee map[string]any `json:"nominee"`
		Events  []string       `json:"events"`
	}
	r.decode(t, &n)
	assert.Equal(t, "returned", n.State)
	assert.Equal(t, map[string]any{"kind": "individual", "name": "Nguyễn Văn An", "position": "Giám đốc Sở", "gender": "male", "head": true}, n.Nominee)
	require.Len(t, n.Events, 2, "the nomination's event and the unit's")
	seq := e.lastSeq()
	again := clerk.post(path, fixed, "Idempotency-Key", "correct-1").want(t, http.StatusOK)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, seq, e.lastSeq())

	var after struct {
		Criteria map[string]any `json:"criteria"`
	}
	e.admin.get("/api/v1/nominations/"+nom+"/eligibility").want(t, http.StatusOK).decode(t, &after)
	for _, h := range []string{"H01", "H02", "H03", "H04", "H05"} {
		assert.Contains(t, after.Criteria, h, "a head: %s applies", h)
	}
	var past struct {
		Criteria map[string]any `json:"criteria"`
	}
	e.admin.get("/api/v1/nominations/"+nom+"/eligibility?seq="+strconv.FormatUint(before.AsOfSeq, 10)).want(t, http.StatusOK).decode(t, &past)
	assert.NotContains(t, past.Criteria, "H01", "the past keeps its answer")

	trail := clerk.get("/api/v1/nominations/"+nom+"/events").want(t, http.StatusOK)
	assert.Contains(t, string(trail.body), `"nomination.nominee_corrected"`)
	assert.Contains(t, string(trail.body), "Sửa họ tên; là người đứng đầu Sở")
	own := string(clerk.get("/api/v1/units/CN1/events").want(t, http.StatusOK).body)
	assert.Contains(t, own, "sửa thông tin cá nhân được đề nghị Nguyễn Văn An")
	seen := string(other.get("/api/v1/units/CN1/events").want(t, http.StatusOK).body)
	assert.Contains(t, seen, "sửa thông tin cá nhân được đề nghị trong")
	for _, name := range []string{"Nguyễn Văn An", "Nguyễn Văn Ann", "Trần Thị Bình"} {
		assert.False(t, strings.Contains(seen, name), "another unit's clerk reads %s", name)
	}

	// Submitted again, the dossier is the reviewer's: no more corrections.
	clerk.post("/api/v1/nominations/"+nom+"/submit", nil).want(t, http.StatusOK)
	refused(clerk, map[string]any{"nominee": map[string]any{"name": "Nguyễn Văn Anh", "position": "Giám đốc Sở", "head": true}, "reason": "x"},
		http.StatusConflict, "invalid_transition")
}
