//go:build unix

package bench

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTouchFresh writes fresh pages and times it, in 4 KiB pages and (where the kernel has
// transparent huge pages) advised for huge ones; a size the system cannot map is a clear
// error.
func TestTouchFresh(t *testing.T) {
	t.Parallel()
	took, err := touchFresh(4<<20, false)
	require.NoError(t, err)
	assert.Positive(t, took, "1,024 pages take some time to write")

	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err == nil {
		took, err = touchFresh(4<<20, true)
		require.NoError(t, err)
		assert.Positive(t, took)
	}

	_, err = touchFresh(0, false)
	assert.ErrorContains(t, err, "bench: map 0 bytes")
}

// TestTimeWritersCountsCPU: a run's CPU time is the process's during it, so that work
// that only burns CPU shows as at least most of its wall time per operation, and two runs
// add up.
func TestTimeWritersCountsCPU(t *testing.T) {
	t.Parallel()
	// Each operation spins until the process has spent 4 ms more CPU time: each writer's
	// five take at least 20 ms of it, whoever else runs.
	spin := func() {
		for c0 := cpuSeconds(); cpuSeconds()-c0 < 0.004; {
		}
	}
	r, err := timeWriters(2, 5, 0, func(int) func(int) (func() error, error) {
		return func(int) (func() error, error) {
			return func() error { spin(); return nil }, nil
		}
	})
	require.NoError(t, err)
	require.Equal(t, 10, r.ops)
	assert.GreaterOrEqual(t, r.cpuPerOp(), 2000.0, "µs of CPU per operation")
	sum := r.add(r)
	assert.InDelta(t, 2*r.cpu, sum.cpu, 1e-9)
	assert.InDelta(t, r.cpuPerOp(), sum.cpuPerOp(), 1e-6)
}
