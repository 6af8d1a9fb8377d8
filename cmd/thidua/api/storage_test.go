package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// TestFullStoreAnswers507: a store with no room left refuses commands and uploads with
// 507 store_full (no Retry-After: retrying will not help until an operator makes room),
// records nothing, and goes on answering reads; /metrics shows its usage and limit.
func TestFullStoreAnswers507(t *testing.T) {
	t.Parallel()
	logged := &lockedBuffer{}
	e := newEnvOn(t, func(more ...eventstore.Option) *eventstore.Store {
		st, err := eventstore.Open(context.Background(), append(more, eventstore.WithDataDir(t.TempDir()),
			eventstore.WithSyncAlways(false), eventstore.WithStorageLimit(1<<20))...)
		require.NoError(t, err)
		t.Cleanup(st.Close)
		return st
	}, api.WithLogger(slog.New(slog.NewTextHandler(logged, nil))))
	e.unit("full-0", "commune")
	clerk := e.user("clerk", "full-0")
	long := strings.Repeat("Đơn vị ", 40) // 280 characters
	var full reply
	created := 0
	for i := range 5000 {
		r := e.admin.post("/api/v1/units", map[string]any{"id": "full-" + strconv.Itoa(i+1), "name": long, "kind": "commune"})
		if r.status != http.StatusCreated {
			full = r
			break
		}
		created++
	}
	require.Equal(t, http.StatusInsufficientStorage, full.status, "after %d units: %s", created, full)
	require.Greater(t, created, 100)
	assert.Equal(t, "store_full", full.errCode(t))
	assert.Empty(t, full.header.Get("Retry-After"))
	// In both languages, in words to pass on, without the client library's codes (a
	// review finding).
	assert.Contains(t, string(full.body), "Kho dữ liệu đã hết dung lượng")
	assert.NotContains(t, string(full.body), "err_code")

	before := e.lastSeq()
	r := e.admin.post("/api/v1/units", map[string]any{"id": "one-more", "name": "Đơn vị", "kind": "commune"})
	assert.Equal(t, http.StatusInsufficientStorage, r.status, "%s", r)
	up := clerk.upload("/api/v1/units/full-0/plans", map[string]string{"campaign": campaign}, "plan.pdf", []byte(strings.Repeat("%PDF-1.7 ", 200_000)))
	assert.Equal(t, http.StatusInsufficientStorage, up.status, "%s", up)
	assert.Equal(t, before, e.lastSeq(), "nothing recorded")

	// Each refusal is one log line at error level, with the request's id, which the answer
	// carries, and the cause the answer does not say (a review finding: two lines each,
	// with nothing to pair them).
	id := r.header.Get(api.RequestIDHeader)
	require.Regexp(t, `^[0-9a-f]{16}$`, id)
	var lines []string
	require.Eventually(t, func() bool {
		lines = nil
		for _, l := range strings.Split(logged.String(), "\n") {
			if strings.Contains(l, "id="+id) {
				lines = append(lines, l)
			}
		}
		return len(lines) > 0
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, lines, 1, "%s", logged)
	for _, want := range []string{"level=ERROR", "msg=http", "route=\"POST /api/v1/units\"", "status=507", "err=", "cause="} {
		assert.Contains(t, lines[0], want)
	}
	assert.NotContains(t, logged.String(), "request failed")
	// An id the client sent, when it is a plain token, is kept.
	r = e.admin.post("/api/v1/units", map[string]any{"id": "one-more", "name": "Đơn vị", "kind": "commune"}, api.RequestIDHeader, "lb-7f3a.9")
	assert.Equal(t, "lb-7f3a.9", r.header.Get(api.RequestIDHeader))
	r = e.admin.post("/api/v1/units", map[string]any{"id": "one-more", "name": "Đơn vị", "kind": "commune"}, api.RequestIDHeader, "x y level=INFO")
	assert.Regexp(t, `^[0-9a-f]{16}$`, r.header.Get(api.RequestIDHeader), "a header that is no plain token is replaced")

	// Reads go on.
	e.admin.get("/api/v1/units/full-0").want(t, http.StatusOK)
	e.admin.get("/api/v1/campaigns/"+campaign+"/ranking").want(t, http.StatusOK)
	e.anon().get("/readyz").want(t, http.StatusOK)

	// /metrics tells how full the store is, for an alert before it fills.
	m := string(e.anon().get("/metrics").want(t, http.StatusOK).body)
	assert.Contains(t, m, "\nthidua_store_limit_bytes 1.048576e+06\n")
	var used float64
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, "thidua_store_used_bytes "); ok {
			used, _ = strconv.ParseFloat(v, 64)
		}
	}
	assert.Greater(t, used, 0.8*(1<<20), "used bytes near the limit")
	assert.Regexp(t, `\nthidua_store_disk_free_bytes [1-9][0-9.]*e\+[0-9]+\n`, m, "the free space of a real disk")
	// And the stream's last sequence, beside the projections' (a review finding: their
	// lag could not be seen).
	assert.Regexp(t, `\nthidua_store_last_sequence [1-9][0-9.]*(e\+[0-9]+)?\n`, m)
}

// lockedBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDocumentsWhenTheStoreIsDown: with the store gone, a document's download is 503 (the
// store unavailable), not 500, and a fact citing a stored document is 503, not 400
// unknown_document: the request was sound, and a retry once the store is back succeeds.
func TestDocumentsWhenTheStoreIsDown(t *testing.T) {
	t.Parallel()
	var st *eventstore.Store
	e := newEnvOn(t, func(more ...eventstore.Option) *eventstore.Store {
		var err error
		st, err = eventstore.Open(context.Background(), append(more, eventstore.WithDataDir(t.TempDir()), eventstore.WithSyncAlways(false))...)
		require.NoError(t, err)
		t.Cleanup(st.Close)
		return st
	})
	e.unit("DOWN", "commune")
	clerk := e.user("clerk", "DOWN")
	reviewer := e.user("reviewer", "")
	sha := clerk.upload("/api/v1/units/DOWN/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf("down")).
		want(t, http.StatusCreated).str(t, "sha256")
	require.Len(t, sha, 64)
	e.admin.get("/api/v1/documents/"+sha).want(t, http.StatusOK)
	st.Close()
	r := e.admin.get("/api/v1/documents/" + sha)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.String())
	r = reviewer.post("/api/v1/units/DOWN/facts", map[string]any{"campaign": campaign, "fact": "late_dossiers", "value": 0, "document": sha})
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.String())
	assert.NotEqual(t, "unknown_document", r.errCode(t))
}

// TestCitedDocumentMissing: a document the events cite, removed from the object store
// (which allows deletion, where the stream denies it), is a broken document, 500
// document_corrupt, not a 404 as for a mistyped address.
func TestCitedDocumentMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("GONE", "commune")
	clerk := e.user("clerk", "GONE")
	sha := clerk.upload("/api/v1/units/GONE/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf("gone")).
		want(t, http.StatusCreated).str(t, "sha256")
	obs, err := e.store.JetStream().ObjectStore(e.ctx, e.store.DocumentBucket())
	require.NoError(t, err)
	require.NoError(t, obs.Delete(e.ctx, sha))
	r := e.admin.get("/api/v1/documents/"+sha).want(t, http.StatusInternalServerError)
	assert.Equal(t, "document_corrupt", r.errCode(t))
	assert.Contains(t, string(r.body), "cited by the events but missing")
	assert.Equal(t, "not_found", e.admin.get("/api/v1/documents/"+strings.Repeat("ab", 32)).want(t, http.StatusNotFound).errCode(t))
}

// TestIntegrityReportsTheDocumentStore: GET /integrity reports the latest check of the
// document store (null until one has finished), and a cited document removed behind the
// engine's back makes it say so (ok false, the document named). Before, a running server's
// report said all was well over a dossier whose letter was gone (a review finding).
func TestIntegrityReportsTheDocumentStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("DCK", "commune")
	clerk := e.user("clerk", "DCK")
	original := pdf("checked")
	sha := clerk.upload("/api/v1/units/DCK/plans", map[string]string{"campaign": campaign}, "plan.pdf", original).
		want(t, http.StatusCreated).str(t, "sha256")
	type report struct {
		OK        bool `json:"ok"`
		Documents *struct {
			CheckedAt time.Time `json:"checked_at"`
			Checked   int       `json:"checked"`
			Problems  []struct {
				SHA256  string `json:"sha256"`
				Problem string `json:"problem"`
			} `json:"problems"`
		} `json:"documents"`
	}
	var r report
	e.admin.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &r)
	assert.Nil(t, r.Documents, "not checked yet")

	_, err := e.svc.CheckDocuments(e.ctx)
	require.NoError(t, err)
	e.admin.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &r)
	require.NotNil(t, r.Documents)
	assert.True(t, r.OK)
	assert.Positive(t, r.Documents.Checked)
	assert.Empty(t, r.Documents.Problems)

	obs, err := e.store.JetStream().ObjectStore(e.ctx, e.store.DocumentBucket())
	require.NoError(t, err)
	require.NoError(t, obs.Delete(e.ctx, sha))
	_, err = e.svc.CheckDocuments(e.ctx)
	require.NoError(t, err)
	e.admin.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &r)
	assert.False(t, r.OK)
	require.Len(t, r.Documents.Problems, 1)
	assert.Equal(t, sha, r.Documents.Problems[0].SHA256)
	assert.Contains(t, r.Documents.Problems[0].Problem, "missing from the document store")

	// The unit's clerk restores it from its original (POST /documents): nothing recorded,
	// and the report drops it; a file no event cites is refused, to a clerk as a file of
	// another unit is (forbidden), so that the answer tells them nothing of other units'
	// files (a review finding: 422 and 403 told them apart), and to the administrator
	// as document_not_cited.
	before := e.lastSeq()
	assert.Equal(t, "forbidden", clerk.upload("/api/v1/documents", nil, "x.pdf", pdf("not cited")).want(t, http.StatusForbidden).errCode(t))
	assert.Equal(t, "document_not_cited", e.admin.upload("/api/v1/documents", nil, "x.pdf", pdf("not cited")).want(t, http.StatusUnprocessableEntity).errCode(t))
	restored := clerk.upload("/api/v1/documents", nil, "plan.pdf", original).want(t, http.StatusOK)
	assert.Equal(t, sha, restored.str(t, "sha256"))
	assert.Equal(t, before, e.lastSeq())
	e.admin.get("/api/v1/integrity").want(t, http.StatusOK).decode(t, &r)
	assert.True(t, r.OK)
}

// TestDefinitionTooLargeToRecord: a definition within the body's limit whose recorded
// events would not fit one message of the store (each &, < and > is six bytes once
// recorded) is refused 413 event_too_large, in both languages, naming what to shorten,
// and nothing is recorded (review findings: it was answered 503 "try again", then as a
// file over the upload limit).
func TestDefinitionTooLargeToRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	def := domain.BuiltinCampaign()
	def.ID = "qua-lon-2026"
	base := def.Criteria[0]
	for i := range 60 {
		c := base
		c.ID = fmt.Sprintf("X%02d", i)
		c.LabelEN, c.LabelVI = strings.Repeat("&", 2000), strings.Repeat("<", 2000)
		def.Criteria = append(def.Criteria, c)
	}
	body, err := json.Marshal(def)
	require.NoError(t, err)
	body = bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(body, []byte(`\u0026`), []byte("&")), []byte(`\u003c`), []byte("<")), []byte(`\u003e`), []byte(">"))
	require.Less(t, len(body), 1<<20, "within the body's limit")
	before := e.lastSeq()
	r := e.admin.post("/api/v1/campaigns", body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r)
	assert.Equal(t, "event_too_large", r.errCode(t))
	var got struct {
		Error struct {
			MessageVI string `json:"message_vi"`
		} `json:"error"`
	}
	r.decode(t, &got)
	assert.Contains(t, got.Error.MessageVI, "mỗi ký tự &, < và > chiếm sáu byte")
	assert.Equal(t, before, e.lastSeq(), "nothing recorded")
}

// TestReadyzSaysNoMoreThanItMay: /readyz, which answers anyone, says in fixed words, in
// both languages, that the store does not answer, not the store's own error (a review
// finding: a failed store's answer named the server's data directory).
func TestReadyzSaysNoMoreThanItMay(t *testing.T) {
	t.Parallel()
	var st *eventstore.Store
	e := newEnvOn(t, func(more ...eventstore.Option) *eventstore.Store {
		s, err := eventstore.Open(context.Background(), append(more, eventstore.WithDataDir(t.TempDir()), eventstore.WithSyncAlways(false))...)
		require.NoError(t, err)
		t.Cleanup(s.Close)
		st = s
		return s
	})
	e.anon().get("/readyz").want(t, http.StatusOK)
	st.Close()
	r := e.anon().get("/readyz").want(t, http.StatusServiceUnavailable)
	assert.Contains(t, string(r.body), "Kho dữ liệu không phản hồi")
	assert.NotContains(t, string(r.body), "nats")
}

// TestImportUnitsCSV: POST /units/import takes the province's list of units in CSV and
// registers it whole (201, the ids), a retry under the same key is the same answer, a
// refused list registers nothing and names the line in both languages, a body that is not
// text/csv is 415, and only the administrator imports.
func TestImportUnitsCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	list := "id,kind,name_vi,parent,note\nCSV-XA,commune,Xã Phước Dân,CSV-HUYEN,\nCSV-HUYEN,district,Huyện Ninh Phước,,\n"
	r := e.admin.post("/api/v1/units/import", []byte(list), "Content-Type", "text/csv; charset=utf-8", "Idempotency-Key", "import-1").want(t, http.StatusCreated)
	var got struct {
		Count int      `json:"count"`
		Units []string `json:"units"`
	}
	r.decode(t, &got)
	assert.Equal(t, 2, got.Count)
	assert.Equal(t, []string{"CSV-XA", "CSV-HUYEN"}, got.Units)
	var u struct {
		Parent string `json:"parent"`
	}
	e.admin.get("/api/v1/units/CSV-XA").want(t, http.StatusOK).decode(t, &u)
	assert.Equal(t, "CSV-HUYEN", u.Parent)
	seq := e.lastSeq()
	e.admin.post("/api/v1/units/import", []byte(list), "Content-Type", "text/csv", "Idempotency-Key", "import-1").want(t, http.StatusCreated)
	assert.Equal(t, seq, e.lastSeq(), "the same import again: nothing more")

	bad := "id,kind,name_vi\nCSV-MOI,commune,Xã Mới\nCSV-PHUONG,ward,Phường\n"
	r = e.admin.post("/api/v1/units/import", []byte(bad), "Content-Type", "text/csv")
	assert.Equal(t, "invalid_kind", r.errCode(t), "%s", r)
	assert.Contains(t, string(r.body), "line 3 (CSV-PHUONG)")
	assert.Contains(t, string(r.body), "Dòng 3 (CSV-PHUONG)")
	e.admin.get("/api/v1/units/CSV-MOI").want(t, http.StatusNotFound)
	assert.Equal(t, seq, e.lastSeq())
	e.admin.post("/api/v1/units/import", []byte(list), "Content-Type", "application/json").want(t, http.StatusUnsupportedMediaType)
	e.unit("CSV-SO", "department")
	e.user("clerk", "CSV-SO").post("/api/v1/units/import", []byte(bad), "Content-Type", "text/csv").want(t, http.StatusForbidden)
}

// TestUnitRefusedAsTheImportRefusesIt: a unit registered alone (POST /units) and the same
// row in a list (POST /units/import) are refused for the same fault with the same status
// and code, the faults checked in the same order: the id, whether it exists, the name and
// the kind, then the parent (a review finding: POST /units checked the kind and the
// parent's syntax first, with its own code, and the import took a unit naming itself its
// parent for a cycle of the list).
func TestUnitRefusedAsTheImportRefusesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SAME-SO", "department")
	seq := e.lastSeq()
	for _, c := range []struct {
		name, id, kind, title, parent string
		status                        int
		code                          string
	}{
		{"a unit that exists, of a kind unknown", "SAME-SO", "bogus", "Sở", "", http.StatusConflict, "unit_exists"},
		{"a kind unknown", "SAME-NEW", "bogus", "Sở Mới", "", http.StatusBadRequest, "invalid_kind"},
		{"no name, a parent that is no id", "SAME-NEW", "department", "", "a b", http.StatusUnprocessableEntity, "invalid_name"},
		{"a parent that is no id", "SAME-NEW", "department", "Sở Mới", "a b", http.StatusBadRequest, "invalid_id"},
		{"its own parent", "SAME-NEW", "department", "Sở Mới", "SAME-NEW", http.StatusUnprocessableEntity, "invalid_parent"},
		{"a parent unknown", "SAME-NEW", "department", "Sở Mới", "NOPE", http.StatusNotFound, "not_found"},
		{"a parent of spaces alone", "SAME-NEW", "department", "Sở Mới", "   ", http.StatusBadRequest, "invalid_id"},
	} {
		body, err := json.Marshal(map[string]string{"id": c.id, "kind": c.kind, "name": c.title, "parent": c.parent})
		require.NoError(t, err)
		alone := e.admin.post("/api/v1/units", body)
		list := fmt.Sprintf("id,kind,name_vi,parent\n%s,%s,%s,%s\n", c.id, c.kind, c.title, c.parent)
		listed := e.admin.post("/api/v1/units/import", []byte(list), "Content-Type", "text/csv")
		assert.Equal(t, c.status, alone.status, "%s alone: %s", c.name, alone)
		assert.Equal(t, c.code, alone.errCode(t), "%s alone: %s", c.name, alone)
		assert.Equal(t, c.status, listed.status, "%s listed: %s", c.name, listed)
		assert.Equal(t, c.code, listed.errCode(t), "%s listed: %s", c.name, listed)
	}
	// An id refused says why in Vietnamese too, without the English detail (a review
	// finding: the import's Vietnamese ended in it; POST /units said it in English alone).
	for id, vi := range map[string]string{
		"SỞ-MỚI":                 `Mã không hợp lệ: "SỞ-MỚI" chứa 'Ở' ở byte 1: mã mới chỉ gồm chữ cái không dấu`,
		"SO\u200bMOI":            `chứa ký tự vô hình U+200B ở byte 2`,
		"SO.MOI":                 `chứa ký tự '.' ở byte 2`,
		strings.Repeat("A", 129): "dài 129 byte (tối đa 128)",
	} {
		var raw string
		require.NoError(t, json.Unmarshal([]byte(`"`+id+`"`), &raw))
		body, err := json.Marshal(map[string]string{"id": raw, "kind": "department", "name": "Sở Mới"})
		require.NoError(t, err)
		type refusal struct {
			Error struct {
				Code      string `json:"code"`
				MessageVI string `json:"message_vi"`
			} `json:"error"`
		}
		var alone, listed refusal
		e.admin.post("/api/v1/units", body).want(t, http.StatusBadRequest).decode(t, &alone)
		e.admin.post("/api/v1/units/import", []byte("id,kind,name_vi\n"+raw+",department,Sở Mới\n"), "Content-Type", "text/csv").
			want(t, http.StatusBadRequest).decode(t, &listed)
		for what, got := range map[string]refusal{"alone": alone, "listed": listed} {
			assert.Equal(t, "invalid_id", got.Error.Code, "%s %s", id, what)
			assert.Contains(t, got.Error.MessageVI, vi, "%s %s", id, what)
			assert.NotContains(t, got.Error.MessageVI, "invalid id", "%s %s", id, what)
			assert.NotContains(t, got.Error.MessageVI, "contains", "%s %s", id, what)
		}
	}
	// A parent named in another letter case is unknown, and the refusal names the unit
	// meant (a review finding: it was refused as unknown without a word of it), whether it
	// is registered or in the same list.
	for _, c := range []struct{ name, list string }{
		{"registered", "id,kind,name_vi,parent\nSAME-CH,commune,Xã Con,same-so\n"},
		{"in the list", "id,kind,name_vi,parent\nSAME-CHA,district,Huyện Cha,\nSAME-CH,commune,Xã Con,same-cha\n"},
	} {
		var refusal struct {
			Error struct{ Code, Message, MessageVI string }
		}
		listed := e.admin.post("/api/v1/units/import", []byte(c.list), "Content-Type", "text/csv").want(t, http.StatusNotFound)
		require.NoError(t, json.Unmarshal(listed.body, &refusal))
		assert.Equal(t, "not_found", refusal.Error.Code)
		assert.Contains(t, refusal.Error.Message, "differ by letter case", c.name)
		if c.name == "in the list" {
			// Not "registered": the list is refused whole (review rv81).
			assert.Contains(t, refusal.Error.Message, `the list has "SAME-CHA"`)
			assert.NotContains(t, refusal.Error.Message, "registered")
		}
		assert.Contains(t, string(listed.body), "mã phân biệt chữ hoa, chữ thường", c.name)
		assert.Contains(t, strings.ToUpper(string(listed.body)), `"SAME-`, c.name)
	}
	alone := e.admin.post("/api/v1/units", []byte(`{"id": "SAME-CH", "name": "Xã Con", "kind": "commune", "parent": "same-so"}`)).want(t, http.StatusNotFound)
	assert.Contains(t, string(alone.body), `ids differ by letter case, and \"SAME-SO\" is registered`)
	assert.Contains(t, string(alone.body), "mã đã đăng ký là «SAME-SO»")
	assert.Equal(t, seq, e.lastSeq(), "nothing recorded")

	// Spaces around the id, the kind and the parent are dropped alike.
	e.admin.post("/api/v1/units", []byte(`{"id": " SAME-SP ", "name": "Sở Có Dấu Cách", "kind": " department", "parent": "SAME-SO "}`)).want(t, http.StatusCreated)
	var u struct {
		ID, Kind, Parent string
	}
	e.admin.get("/api/v1/units/SAME-SP").want(t, http.StatusOK).decode(t, &u)
	assert.Equal(t, "SAME-SP", u.ID)
	assert.Equal(t, "department", u.Kind)
	assert.Equal(t, "SAME-SO", u.Parent)
}

// TestIntegrityIsPaged: each list of GET /integrity (the events' problems, the document
// store's, the grants') comes at most limit at a time, with its total, and next gives
// the offsets of the page after while any list has more; following next gives exactly
// the unpaged lists. A store whose documents were all lost answered with every one of
// them at once (64.7 MB at a million events). A bad limit or offset is refused.
func TestIntegrityIsPaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("PGD", "commune")
	clerk := e.user("clerk", "PGD")
	obs, err := e.store.JetStream().ObjectStore(e.ctx, e.store.DocumentBucket())
	require.NoError(t, err)
	for i := range 5 {
		sha := clerk.upload("/api/v1/units/PGD/plans", map[string]string{"campaign": campaign}, "plan.pdf", pdf(fmt.Sprintf("plan %d", i))).
			want(t, http.StatusCreated).str(t, "sha256")
		require.NoError(t, obs.Delete(e.ctx, sha))
	}
	subject, err := e.store.Subject(eventstore.Ref{Kind: "unit", ID: "PGD"})
	require.NoError(t, err)
	for i := range 3 {
		forged := fmt.Sprintf(`{"events":[{"id":"01FORGED00000000000000000%02d","type":"unit.fact_recorded","schema":2,"aggregate":{"kind":"unit","id":"PGD"},"actor":{"user":"x","role":"reviewer"},"prev_hash":"","hash":"00","data":{"fact":"late_dossiers","number":0}}]}`, i)
		_, err := e.store.JetStream().Publish(e.ctx, subject, []byte(forged))
		require.NoError(t, err)
	}
	require.NoError(t, projections.WaitCaughtUp(e.ctx, e.store, e.model, 5*time.Second))
	_, err = e.svc.CheckDocuments(e.ctx)
	require.NoError(t, err)

	type problems struct {
		Problems []json.RawMessage `json:"problems"`
		Total    int               `json:"problems_total"`
	}
	type report struct {
		OK bool `json:"ok"`
		problems
		Documents *problems      `json:"documents"`
		Next      map[string]int `json:"next"`
	}
	var all report
	e.admin.get("/api/v1/integrity?limit=10000").want(t, http.StatusOK).decode(t, &all)
	assert.False(t, all.OK)
	require.NotNil(t, all.Documents)
	assert.Len(t, all.Documents.Problems, 5)
	assert.Equal(t, 5, all.Documents.Total)
	assert.GreaterOrEqual(t, len(all.Problems), 3)
	assert.Equal(t, len(all.Problems), all.Total)
	assert.Nil(t, all.Next, "one page holds everything")

	auditor := e.user("auditor", "")
	var events, docs []json.RawMessage
	path, pages := "/api/v1/integrity?limit=2", 0
	for {
		var p report
		auditor.get(path).want(t, http.StatusOK).decode(t, &p)
		pages++
		assert.False(t, p.OK, "ok speaks of the whole report, not the page")
		assert.LessOrEqual(t, len(p.Problems), 2)
		assert.Equal(t, all.Total, p.Total)
		assert.Equal(t, 5, p.Documents.Total)
		events, docs = append(events, p.Problems...), append(docs, p.Documents.Problems...)
		if p.Next == nil {
			break
		}
		require.Less(t, pages, 10)
		path = fmt.Sprintf("/api/v1/integrity?limit=%d&from=%d&docs_from=%d", p.Next["limit"], p.Next["from"], p.Next["docs_from"])
	}
	assert.Equal(t, (max(all.Total, 5)+1)/2, pages, "the longer list's pages, 2 problems a page")
	assert.Equal(t, all.Problems, events)
	assert.Equal(t, all.Documents.Problems, docs)

	var past report
	e.admin.get("/api/v1/integrity?from=99&docs_from=99").want(t, http.StatusOK).decode(t, &past)
	assert.NotNil(t, past.Problems, "an empty page is [], not null")
	assert.Empty(t, past.Problems)
	assert.Empty(t, past.Documents.Problems)
	assert.Equal(t, 5, past.Documents.Total)

	for q, code := range map[string]string{
		"limit=0": "invalid_limit", "limit=10001": "invalid_limit", "limit=x": "invalid_limit", "limit=": "invalid_limit",
		"from=-1": "invalid_offset", "docs_from=x": "invalid_offset", "grants_from=": "invalid_offset",
		"page=2": "unknown_query",
	} {
		assert.Equal(t, code, e.admin.get("/api/v1/integrity?"+q).want(t, http.StatusBadRequest).errCode(t), q)
	}
}
