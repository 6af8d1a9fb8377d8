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
