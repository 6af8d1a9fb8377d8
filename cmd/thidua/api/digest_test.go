package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore/estest"
)

// TestDigestEndpoint: GET /digest answers any role with the stream's digest, up to the
// last sequence applied or up to ?seq= taken as it is (inside an atomic append too), as
// the README defines it; GET /integrity carries the current one; a time, a sequence that
// is not one and a sequence still to come are refused in the error shape.
func TestDigestEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewer := e.user("reviewer", "")
	council := e.user("council", "")
	auditor := e.user("auditor", "")
	nom := e.eligibleCollective(reviewer, "D01")
	clerk := e.user("clerk", "D01")
	before := e.lastSeq()
	council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": nom, "decision": "QĐ 1"}).want(t, http.StatusCreated)
	last := e.lastSeq()
	require.Greater(t, last, before+1, "the grant is an atomic append of several messages")
	want := estest.ReferenceDigests(t, e.store, last)

	var d struct {
		Seq    uint64 `json:"seq"`
		SHA256 string `json:"sha256"`
	}
	clerk.get("/api/v1/digest").want(t, http.StatusOK).decode(t, &d)
	assert.Equal(t, e.model.Applied(), d.Seq)
	assert.Equal(t, want[d.Seq], d.SHA256)
	for _, seq := range []uint64{1, before, before + 1, last} {
		reviewer.get("/api/v1/digest?seq="+strconv.FormatUint(seq, 10)).want(t, http.StatusOK).decode(t, &d)
		assert.Equal(t, seq, d.Seq, "taken as it is")
		assert.Equal(t, want[seq], d.SHA256, "at %d", seq)
	}

	var integrity struct {
		Applied uint64 `json:"applied"`
		Digest  struct {
			Seq    uint64 `json:"seq"`
			SHA256 string `json:"sha256"`
		} `json:"digest"`
	}
	auditor.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &integrity)
	assert.Equal(t, integrity.Applied, integrity.Digest.Seq)
	assert.Equal(t, want[integrity.Digest.Seq], integrity.Digest.SHA256)

	for query, code := range map[string]string{
		"?at=2025-09-15T10:00:00%2B07:00": "invalid_bound",
		"?seq=":                           "invalid_bound",
		"?seq=1&seq=2":                    "invalid_bound",
		"?seq=0":                          "invalid_seq",
		"?seq=x":                          "invalid_seq",
		"?seq=" + strconv.FormatUint(last+1000, 10): "future_seq",
		"?sequence=3": "unknown_query",
	} {
		r := clerk.get("/api/v1/digest"+query).want(t, http.StatusBadRequest)
		assert.Equal(t, code, r.errCode(t), query)
	}
}
