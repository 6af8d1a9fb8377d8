//go:build unix

package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTouchFresh writes fresh pages and times it; a size the system cannot map is a clear
// error.
func TestTouchFresh(t *testing.T) {
	t.Parallel()
	took, err := touchFresh(4 << 20)
	require.NoError(t, err)
	assert.Positive(t, took, "1,024 pages take some time to write")

	_, err = touchFresh(0)
	assert.ErrorContains(t, err, "bench: map 0 bytes")
}
