package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuota: ten eligible collectives; the council grants nine, the tenth grant is refused
// with 422 quota_exceeded and appends nothing; a revocation frees the place.
func TestQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	noms := make([]string, 10)
	for i := range noms {
		noms[i] = e.eligibleCollective(reviewer, fmt.Sprintf("D%02d", i+1))
	}
	var rk struct {
		Collective struct {
			Quota   int `json:"quota"`
			Entries []struct {
				Recommended bool `json:"recommended"`
			} `json:"entries"`
		} `json:"collective"`
	}
	council.get("/api/v1/campaigns/"+campaign+"/ranking").want(t, http.StatusOK).decode(t, &rk)
	recommended := 0
	for _, en := range rk.Collective.Entries {
		if en.Recommended {
			recommended++
		}
	}
	if rk.Collective.Quota != 9 || len(rk.Collective.Entries) != 10 || recommended != 9 {
		t.Fatalf("ranking: quota %d, %d entries, %d recommended", rk.Collective.Quota, len(rk.Collective.Entries), recommended)
	}
	awards := make([]string, 0, 9)
	for _, nom := range noms[:9] {
		a := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "QĐ khen thưởng"}).want(t, http.StatusCreated)
		awards = append(awards, a.str(t, "id"))
	}
	before := e.lastSeq()
	r := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": noms[9], "decision": "QĐ khen thưởng"}).want(t, http.StatusUnprocessableEntity)
	if code := r.errCode(t); code != "quota_exceeded" {
		t.Fatalf("tenth grant: code %q: %s", code, r)
	}
	if e.lastSeq() != before {
		t.Fatal("the refused grant appended")
	}
	// Granting twice is refused too: a state conflict (409), as DESIGN's error list has it.
	if code := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": noms[0], "decision": "QĐ"}).want(t, http.StatusConflict).errCode(t); code != "already_awarded" {
		t.Fatalf("second grant: %q", code)
	}

	// An award carries its campaign's version as its ETag and its version: what an
	// If-Match on its revocation names (before, it showed none, and the revocation
	// checked If-Match against the campaign's version all the same).
	ga := council.get("/api/v1/awards/"+awards[0]).want(t, http.StatusOK)
	tag := ga.header.Get("ETag")
	if v, _ := ga.obj(t)["version"].(float64); tag == "" || tag != fmt.Sprintf("%q", fmt.Sprint(uint64(v))) {
		t.Fatalf("award's ETag %q, version %v: %s", tag, ga.obj(t)["version"], ga)
	}
	council.get("/api/v1/awards/"+awards[0], "If-None-Match", tag).want(t, http.StatusNotModified)
	before = e.lastSeq()
	stale := council.post("/api/v1/awards/"+awards[0]+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "x"}, "If-Match", `"1"`).want(t, http.StatusPreconditionFailed)
	if e.lastSeq() != before {
		t.Fatalf("a stale revocation appended: %s", stale)
	}
	rv := council.post("/api/v1/awards/"+awards[0]+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "Phát hiện số liệu giải ngân không đúng"}, "If-Match", tag).want(t, http.StatusOK)
	if rv.obj(t)["revoked"] != true || len(rv.events(t)) != 2 {
		t.Fatalf("revoke: %s", rv)
	}
	if v, _ := rv.obj(t)["version"].(float64); rv.header.Get("ETag") != fmt.Sprintf("%q", fmt.Sprint(uint64(v))) || rv.header.Get("ETag") == tag {
		t.Fatalf("revoked award's ETag %q: %s", rv.header.Get("ETag"), rv)
	}
	// The award says who granted it, on which ranking, and how it was revoked: before, only
	// "revoked": true, the rest in the campaign's trail alone.
	var aw struct {
		Event      string         `json:"event"`
		GrantedAt  time.Time      `json:"granted_at"`
		GrantedBy  map[string]any `json:"granted_by"`
		RankingSeq uint64         `json:"ranking_seq"`
		Revocation *struct {
			Event  string         `json:"event"`
			At     time.Time      `json:"at"`
			By     map[string]any `json:"by"`
			Ground string         `json:"ground"`
			Note   string         `json:"note"`
		} `json:"revocation"`
	}
	ga.decode(t, &aw)
	assert.NotEmpty(t, aw.Event)
	assert.False(t, aw.GrantedAt.IsZero())
	assert.Equal(t, council.id, aw.GrantedBy["user"])
	assert.Equal(t, "council", aw.GrantedBy["role"])
	assert.NotZero(t, aw.RankingSeq)
	assert.Nil(t, aw.Revocation, "not revoked then")
	council.get("/api/v1/awards/"+awards[0]).want(t, http.StatusOK).decode(t, &aw)
	require.NotNil(t, aw.Revocation)
	assert.Equal(t, rv.events(t)[0], aw.Revocation.Event)
	assert.Equal(t, "criteria_unmet", aw.Revocation.Ground)
	assert.Equal(t, "Phát hiện số liệu giải ngân không đúng", aw.Revocation.Note)
	assert.Equal(t, council.id, aw.Revocation.By["user"])
	assert.False(t, aw.Revocation.At.Before(aw.GrantedAt))
	if code := council.post("/api/v1/awards/"+awards[0]+"/revoke", map[string]any{"ground": "criteria_unmet", "note": "lần hai"}).want(t, http.StatusConflict).errCode(t); code != "award_already_revoked" {
		t.Fatalf("second revocation: %q", code)
	}
	g1 := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": noms[9], "decision": "QĐ bổ sung"}, "Idempotency-Key", "grant-10").want(t, http.StatusCreated)
	g2 := council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": noms[9], "decision": "QĐ bổ sung"}, "Idempotency-Key", "grant-10").want(t, http.StatusCreated)
	if g1.str(t, "id") != g2.str(t, "id") || g1.str(t, "id") == campaign {
		t.Fatalf("grant retried: %s / %s", g1, g2)
	}
}
