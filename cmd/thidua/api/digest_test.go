package api_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/cmd/thidua/api"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
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
	// The digest is the feed's (TestArchiveEndpoint): once it has brought the grant back.
	require.NoError(t, projections.WaitCaughtUp(e.ctx, e.store, e.model, 10*time.Second))

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

// TestArchiveEndpoint: GET /archive gives an administrator or an auditor the stream up
// to the last sequence applied, or up to ?seq=, as an archive that ReadArchive checks
// whole, with each line's digest the stream's at its sequence (GET /digest's), for
// download; the other roles are refused, and so are a time, a sequence that is not one
// and one still to come, in the error shape, before anything is sent.
func TestArchiveEndpoint(t *testing.T) {
	t.Parallel()
	archives := api.NewArchivePlaces(1, 2)
	e := newEnv(t, api.WithArchivePlaces(archives))
	reviewer := e.user("reviewer", "")
	auditor := e.user("auditor", "")
	e.eligibleCollective(reviewer, "D01")
	last := e.lastSeq()
	want := estest.ReferenceDigests(t, e.store, last)
	// The archive ends at the last sequence the feed applied: the commands applied their
	// own commits ahead of it, and it brings them back a moment later (in one CI run the
	// archive ended at 15 of 34, the feed not there yet when it was asked).
	require.NoError(t, projections.WaitCaughtUp(e.ctx, e.store, e.model, 10*time.Second))
	require.Equal(t, last, e.model.Applied())

	r := auditor.get("/api/v1/archive").want(t, http.StatusOK)
	assert.Equal(t, "application/x-ndjson; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename=thidua-archive_seq`+strconv.FormatUint(e.model.Applied(), 10)+`.jsonl`, r.header.Get("Content-Disposition"))
	h, end, err := eventstore.ReadArchive(bytes.NewReader(r.body), func(m eventstore.ArchiveMessage) {
		assert.Equal(t, want[m.Seq], m.Digest, "line of %d", m.Seq)
	})
	require.NoError(t, err)
	assert.Equal(t, e.model.Applied(), h.Until)
	assert.Equal(t, want[h.Until], end.StreamDigest.Hex())
	assert.Equal(t, h.Until, end.Messages)

	r = e.admin.get("/api/v1/archive?seq=3").want(t, http.StatusOK)
	_, end, err = eventstore.ReadArchive(bytes.NewReader(r.body), nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), end.StreamDigest.Seq)
	assert.Equal(t, want[3], end.StreamDigest.Hex())

	for _, role := range []string{"clerk", "reviewer", "council"} {
		unit := ""
		if role == "clerk" {
			unit = "D01"
		}
		r := e.user(role, unit).get("/api/v1/archive").want(t, http.StatusForbidden)
		assert.Equal(t, "forbidden", r.errCode(t), role)
	}
	for query, code := range map[string]string{
		"?at=2025-09-15T10:00:00%2B07:00": "invalid_bound",
		"?seq=":                           "invalid_bound",
		"?seq=0":                          "invalid_seq",
		"?seq=x":                          "invalid_seq",
		"?seq=" + strconv.FormatUint(last+1000, 10): "future_seq",
		"?format=zip": "unknown_query",
	} {
		r := auditor.get("/api/v1/archive"+query).want(t, http.StatusBadRequest)
		assert.Equal(t, code, r.errCode(t), query)
		assert.Empty(t, r.header.Get("Content-Disposition"), query)
	}
	// An unknown parameter's refusal names the ones the route reads, at and seq among them.
	r = auditor.get("/api/v1/archive?sequence=3").want(t, http.StatusBadRequest)
	assert.Contains(t, string(r.body), `takes no query parameter \"sequence\" (it takes: at, seq)`)
	r = auditor.get("/api/v1/campaigns/"+campaign+"/ranking?foo=1").want(t, http.StatusBadRequest)
	assert.Contains(t, string(r.body), `(it takes: at, seq, format, lang)`)

	// HEAD is checked as GET is: the role, and the sequence.
	head := func(c *client, query string) reply {
		req, err := http.NewRequest(http.MethodHead, e.url+"/api/v1/archive"+query, nil)
		require.NoError(t, err)
		return c.send(req)
	}
	assert.Equal(t, http.StatusOK, head(auditor, "").status)
	assert.Equal(t, http.StatusForbidden, head(reviewer, "").status)
	assert.Equal(t, http.StatusBadRequest, head(auditor, "?seq="+strconv.FormatUint(last+1000, 10)).status)

	// An archive holds an archive place of its own: the user's next is refused, a ranking
	// of a past moment is not held back by it, and the place comes back.
	give, err := archives.Acquire(t.Context(), auditor.id)
	require.NoError(t, err)
	r = auditor.get("/api/v1/archive").want(t, http.StatusTooManyRequests)
	assert.Equal(t, "too_many_archives", r.errCode(t))
	assert.Equal(t, "10", r.header.Get("Retry-After"), "about as long as an archive of a million events takes")
	auditor.get("/api/v1/campaigns/"+campaign+"/ranking?seq=3").want(t, http.StatusOK)
	e.admin.get("/api/v1/archive?seq=3").want(t, http.StatusOK)
	give()
	auditor.get("/api/v1/archive?seq=3").want(t, http.StatusOK)
}

// cutWriter is a response whose body cannot be sent: a connection lost, or a disk full
// under a proxy, after the headers went out.
type cutWriter struct {
	*httptest.ResponseRecorder
}

// Write implements io.Writer and fails.
func (cutWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestArchiveCutShort: an archive that fails once its headers went out aborts the
// response (http.ErrAbortHandler), so that the client sees a broken transfer and never a
// whole-looking 200 body, and the failure is logged as an error with the user and the
// sequence; one that fails before, a sequence still to come, is an answer in the error
// shape.
func TestArchiveCutShort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.eligibleCollective(e.user("reviewer", ""), "D01")
	admin, err := e.svc.Authenticate(t.Context(), adminToken)
	require.NoError(t, err)
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))

	w := cutWriter{httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodGet, "/api/v1/archive", nil)
	require.PanicsWithValue(t, http.ErrAbortHandler, func() {
		_ = api.ServeArchive(w, r, e.svc, admin, 0, log)
	})
	assert.Equal(t, http.StatusOK, w.Code, "the headers went out")
	assert.Contains(t, logged.String(), "level=ERROR msg=\"archive cut short\"")
	assert.Contains(t, logged.String(), "user="+admin.UserID)
	assert.Contains(t, logged.String(), "connection reset by peer")

	logged.Reset()
	w = cutWriter{httptest.NewRecorder()}
	err = api.ServeArchive(w, r, e.svc, admin, e.lastSeq()+10, log)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "future")
	assert.False(t, w.Flushed)
	assert.Empty(t, w.Header().Get("Content-Disposition"), "nothing went out")
	assert.Empty(t, logged.String())
}
