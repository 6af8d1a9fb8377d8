package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/projections"
	"thidua/workflows"
)

// TestDamageIsAServerError: what the store's damage makes of a command or a query is a
// 500 with code store_damaged, as a corrupt document is; never a 404, a 409 or a
// retryable 503.
func TestDamageIsAServerError(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		fmt.Errorf("%w: nomination N has no opening event in the stream", projections.ErrIncomplete),
		&workflows.Error{Kind: workflows.ErrDamaged, Code: "store_damaged", Message: "unit/U cannot be written"},
	} {
		status, body := classify(err)
		assert.Equal(t, http.StatusInternalServerError, status, "%v", err)
		assert.Equal(t, "store_damaged", body.Code)
		assert.NotEmpty(t, body.Message)
	}
}
