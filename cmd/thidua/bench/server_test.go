package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLogField picks the named fields of a server's log line, in the line's order.
func TestLogField(t *testing.T) {
	t.Parallel()
	line := `time=2026-12-05T04:55:05Z level=INFO msg="projections loaded from snapshot" applied=1002760 read_in=1.02s waited=0.81s`
	tests := []struct {
		names []string
		want  string
	}{
		{names: []string{"took", "read_in", "waited"}, want: "read_in=1.02s waited=0.81s"},
		{names: []string{"waited", "read_in"}, want: "read_in=1.02s waited=0.81s"},
		{names: []string{"took"}, want: ""},
		{names: []string{"read"}, want: ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, logField(line, tt.names...), tt.names)
	}
}
