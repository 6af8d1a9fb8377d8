package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTimeWritersPaces: with a pace, each writer starts its operations one pace apart
// whatever they take, and an operation that is late because an earlier one ran long is
// charged from when it was due (only lower bounds are asserted: they do not depend on
// the machine's speed).
func TestTimeWritersPaces(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, pace, takes time.Duration) rateRun {
		r, err := timeWriters(2, 5, pace, func(int) func(int) (func() error, error) {
			return func(int) (func() error, error) {
				return func() error { time.Sleep(takes); return nil }, nil
			}
		})
		require.NoError(t, err)
		require.Equal(t, 10, r.ops)
		return r
	}
	t.Run("operations shorter than the pace", func(t *testing.T) {
		t.Parallel()
		r := run(t, 20*time.Millisecond, time.Millisecond)
		// Writer 1 starts half a pace in; the fifth operations are due 4 paces in.
		assert.GreaterOrEqual(t, r.took, 4*20*time.Millisecond+10*time.Millisecond)
		assert.GreaterOrEqual(t, r.lat.pct(0), 1.0, "ms: each latency holds the operation")
	})
	t.Run("operations longer than the pace", func(t *testing.T) {
		t.Parallel()
		r := run(t, 5*time.Millisecond, 25*time.Millisecond)
		// Each writer's fifth operation was due 20 ms in and starts after four of 25 ms:
		// it is charged at least 100 - 20 + 25 = 105 ms.
		assert.GreaterOrEqual(t, r.lat.pct(1), 105.0, "ms")
	})
	t.Run("a closed loop", func(t *testing.T) {
		t.Parallel()
		r := run(t, 0, 2*time.Millisecond)
		assert.GreaterOrEqual(t, r.took, 5*2*time.Millisecond)
		assert.GreaterOrEqual(t, r.lat.pct(0), 2.0, "ms: each latency holds the operation")
	})
}

// TestPaceFor: writers sending rate operations a second between them each wait
// writers/rate seconds; no rate is a closed loop.
func TestPaceFor(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 10*time.Millisecond, paceFor(8, 800))
	assert.Equal(t, time.Duration(0), paceFor(8, 0))
	assert.Equal(t, time.Duration(0), paceFor(8, -1))
}
