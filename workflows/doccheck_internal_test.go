package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/eventstore"
)

// TestKeptProblems: a check of the document store keeps a cited document missing or
// changed, and an uncited one changed, but not an uncited one a sweep removed while the
// check ran, nor one repaired meanwhile.
func TestKeptProblems(t *testing.T) {
	t.Parallel()
	problems := []eventstore.DocumentProblem{
		{SHA256: "cited-missing"}, {SHA256: "cited-repaired"}, {SHA256: "swept"}, {SHA256: "uncited-changed"},
	}
	cited := []string{"cited-missing", "cited-repaired"}
	gone := map[string]bool{"cited-missing": true, "swept": true}
	whole := map[string]bool{"cited-repaired": true}
	kept := keptProblems(problems, cited, func(sha string) bool { return gone[sha] }, func(sha string) bool { return whole[sha] })
	assert.Equal(t, []eventstore.DocumentProblem{{SHA256: "cited-missing"}, {SHA256: "uncited-changed"}}, kept)
	assert.NotNil(t, keptProblems(nil, nil, nil, nil), "an empty list, not null, in the report")
}
