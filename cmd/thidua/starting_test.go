package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/cmd/thidua/api"
	"thidua/cmd/thidua/demo"
	"thidua/eventstore"
	"thidua/projections"
)

// TestStartingAnswersProbes: while serve starts, /healthz says the process is alive, and
// /readyz and everything else say 503 starting, naming the step; once ready, every
// request goes to the engine's handler. /metrics answers the process's figures from the
// start (a review finding: a scrape failed while the server started).
func TestStartingAnswersProbes(t *testing.T) {
	t.Parallel()
	s := &starting{metrics: api.MetricsHandler(api.NewRegistry())}
	s.setStep("loading the projections", "nạp dữ liệu xét duyệt")
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	w := get("/healthz")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"starting","step":"loading the projections"}`, w.Body.String())
	w = get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), `"code":"starting"`)
	assert.Contains(t, w.Body.String(), "loading the projections")
	assert.Empty(t, w.Header().Get("Retry-After"))
	w = get("/api/v1/campaigns")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "Máy chủ đang khởi động: nạp dữ liệu xét duyệt")
	w = get("/metrics")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "\nprocess_resident_memory_bytes ")
	assert.Contains(t, w.Body.String(), "\ngo_goroutines ")

	s.serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/campaigns", "/metrics"} {
		assert.Equal(t, http.StatusTeapot, get(p).Code, p)
	}
}

// TestStopWhileStartingIsClean: a stop asked for while serve starts (a SIGTERM during the
// load of the projections) ends it cleanly, saying so, not as a failure: before, it
// exited 2 with "rebuild: context canceled", which a supervisor counts as a crash.
func TestStopWhileStartingIsClean(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&ServeCmd{Addr: "127.0.0.1:0"}).Run(ctx, &Globals{Data: dir, Out: io.Discard}, logger)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "stopped while starting, as asked")
}

// TestDemoRefusesAStoreOfItsOwn: serve --demo on a data directory whose store was begun
// without it stops before anything is appended, naming the directory's fresh start.
func TestDemoRefusesAStoreOfItsOwn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	count := func() uint64 {
		t.Helper()
		st, err := eventstore.Open(t.Context(), eventstore.WithDataDir(dir), eventstore.WithExistingOnly())
		require.NoError(t, err)
		defer st.Close()
		n, err := st.LastSeq(t.Context())
		require.NoError(t, err)
		return n
	}
	before := count()
	err := (&ServeCmd{Addr: "127.0.0.1:0", Demo: true}).Run(t.Context(), &Globals{Data: dir, Out: io.Discard}, quiet())
	require.ErrorIs(t, err, demo.ErrNotNew)
	assert.Contains(t, err.Error(), "begun on 2025-09-01")
	assert.Equal(t, before, count(), "nothing appended")
}

// TestServeRefusesASnapshotWithoutItsStore: a data directory that holds the projections'
// snapshot but no event store (a restore that left out DIR/jetstream) is refused, naming
// what to restore, and nothing is created there; before, serve created an empty store
// beside the snapshot, found it diverged, created no administrator and told the operator
// to reissue the administrator's token, which did not exist (a review finding).
func TestServeRefusesASnapshotWithoutItsStore(t *testing.T) {
	t.Parallel()
	for i, name := range []string{"projections.snapshot", DamagedSnapshotName} {
		dir := t.TempDir()
		if i == 1 {
			// An empty jetstream directory holds no store either (a review finding).
			require.NoError(t, os.Mkdir(filepath.Join(dir, "jetstream"), 0o700))
		}
		require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(projections.SnapshotPath(dir)), name), []byte("snapshot"), 0o600))
		err := (&ServeCmd{Addr: "127.0.0.1:0"}).Run(t.Context(), &Globals{Data: dir, Out: io.Discard}, quiet())
		require.ErrorIs(t, err, eventstore.ErrNoStore, name)
		assert.Contains(t, err.Error(), "restore "+filepath.Join(dir, "jetstream"), name)
		entries, _ := os.ReadDir(filepath.Join(dir, "jetstream"))
		assert.Empty(t, entries, "%s: no store created", name)
	}
	// An empty directory is a new store, as before.
	assert.NoError(t, snapshotWithoutStore(&Globals{Data: t.TempDir()}))
}
