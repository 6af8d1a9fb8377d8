package eventstore_test

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

func TestInternerKeepsOneCopy(t *testing.T) {
	t.Parallel()
	var in eventstore.Interner
	a, b := in.Intern([]byte("nomination.submitted")), in.Intern([]byte("nomination.submitted"))
	assert.Equal(t, "nomination.submitted", a)
	assert.Same(t, unsafe.StringData(a), unsafe.StringData(b), "a repeated string is the same copy")
	long := []byte(strings.Repeat("x", 65))
	l1, l2 := in.Intern(long), in.Intern(long)
	assert.Equal(t, string(long), l1)
	assert.NotSame(t, unsafe.StringData(l1), unsafe.StringData(l2), "long strings are copied, not kept")
	var none *eventstore.Interner
	assert.Equal(t, "role", none.Intern([]byte("role")), "a nil interner copies")
}

// TestInternerHoldsTwentyThousandUsers: the bench's 20,000 clerks are each kept once
// (the bound was 16,384 strings before).
func TestInternerHoldsTwentyThousandUsers(t *testing.T) {
	t.Parallel()
	var in eventstore.Interner
	first := make([]string, 20000)
	for i := range first {
		first[i] = in.Intern([]byte(fmt.Sprintf("clerk-%05d", i)))
	}
	for i := range first {
		again := in.Intern([]byte(fmt.Sprintf("clerk-%05d", i)))
		require.Equal(t, first[i], again)
		require.Same(t, unsafe.StringData(first[i]), unsafe.StringData(again), "user %d is kept once", i)
	}
}
