package eventstore_test

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

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
