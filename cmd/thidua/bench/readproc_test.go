package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/workflows"
)

// A measuring child refuses what it cannot measure, and prints nothing.
func TestMeasureReadRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ name, dir, mode, want string }{
		{"unknown mode", dir, "fast", `read mode "fast"`},
		{"no data directory", filepath.Join(dir, "missing"), ReadRaw, "data directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := MeasureRead(context.Background(), tc.dir, tc.mode, &out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, out.String())
		})
	}
}

// The rebuild's figure is the median of its runs, by time.
func TestMedianRead(t *testing.T) {
	t.Parallel()
	rs := []ReadResult{{Seconds: 9}, {Seconds: 3}, {Seconds: 5}}
	assert.Equal(t, 5.0, medianRead(rs).Seconds)
	assert.Equal(t, 9.0, rs[0].Seconds, "the runs are left in their order")
}

// readFiles reads every file below a directory, and fails on a missing one.
func TestReadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), make([]byte, 100), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "b", "y"), make([]byte, 23), 0o644))
	n, err := readFiles(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(123), n)
	_, err = readFiles(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

// A measuring child reads a store in any mode and prints one line of JSON: what it read,
// how long it took and its peak memory.
func TestMeasureReadPrintsOneResult(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	ref := eventstore.Ref{Kind: "unit", ID: "U1"}
	v := eventstore.Version{}
	for i := 0; i < 3; i++ {
		c, err := st.Append(ctx, ref, v, []eventstore.Pending{{Type: "bench.raw", Data: map[string]int{"n": i}}}, eventstore.Meta{Actor: eventstore.Actor{User: "u", Role: "admin"}})
		require.NoError(t, err)
		v = c.Version()
	}
	st.Close()
	for _, mode := range readModes() {
		var out bytes.Buffer
		require.NoError(t, MeasureRead(ctx, dir, mode, &out), mode)
		var res ReadResult
		require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
		assert.Equal(t, mode, res.Mode)
		assert.Equal(t, uint64(3), res.Messages, mode)
		if mode == ReadRaw {
			assert.Zero(t, res.Events, "a raw read decodes nothing")
		} else {
			assert.Equal(t, 3, res.Events, mode)
		}
		assert.Positive(t, res.Seconds, mode)
		assert.Positive(t, res.PeakRSSMiB, mode)
	}
}

// The raw read's child runs with GOGC=rawGCPercent; the rebuild's without GOGC, whatever
// the bench was given, so that it loads as thidua does.
func TestChildEnv(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/bin", "GOGC=50", "HOME=/root"}
	assert.Equal(t, []string{"PATH=/bin", "HOME=/root", "GOGC=200"}, childEnv(env, ReadRaw))
	for _, mode := range []string{ReadDecode, ReadFold, ReadRebuild} {
		assert.Equal(t, []string{"PATH=/bin", "HOME=/root"}, childEnv(env, mode), mode)
	}
	assert.Equal(t, []string{"PATH=/bin", "GOGC=50", "HOME=/root"}, env, "the bench's own environment is left as it was")
}
