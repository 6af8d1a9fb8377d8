package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
