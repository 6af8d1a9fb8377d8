package workflows

import (
	"fmt"
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

// BenchmarkKeptProblems: a store whose documents were lost has a problem per citation;
// keeping them is linear in their number (before, each looked through every citation:
// 12 minutes of a core for the bench's 292,569 at a million events).
func BenchmarkKeptProblems(b *testing.B) {
	const n = 100_000
	problems := make([]eventstore.DocumentProblem, n)
	cited := make([]string, n)
	for i := range problems {
		cited[i] = fmt.Sprintf("%064x", i)
		problems[i] = eventstore.DocumentProblem{SHA256: cited[n-1-i]}
	}
	no := func(string) bool { return false }
	for b.Loop() {
		if kept := keptProblems(problems, cited, no, no); len(kept) != n {
			b.Fatalf("kept %d", len(kept))
		}
	}
}
