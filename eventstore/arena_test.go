package eventstore_test

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

func TestArenaCopiesAndPacks(t *testing.T) {
	t.Parallel()
	var a eventstore.Arena
	src := []byte("01JABCDEF0123456789ABCDEFG")
	s1 := a.String(src)
	src[0] = 'X' // the arena holds a copy
	assert.Equal(t, "01JABCDEF0123456789ABCDEFG", s1)

	s2 := a.String([]byte("second"))
	// Consecutive strings share a block: the second starts where the first ends.
	assert.Equal(t, uintptr(unsafe.Pointer(unsafe.StringData(s1)))+uintptr(len(s1)), uintptr(unsafe.Pointer(unsafe.StringData(s2))))

	b := a.Bytes([]byte(`{"x":1}`))
	assert.Equal(t, `{"x":1}`, string(b))
	assert.Equal(t, len(b), cap(b), "an append to a payload must copy, not write over the next string")
	b2 := append(b, '!')
	s3 := a.String([]byte("third"))
	assert.Equal(t, "third", s3)
	assert.Equal(t, `{"x":1}!`, string(b2))
	assert.Equal(t, `{"x":1}`, string(b))

	assert.Equal(t, "", a.String(nil))
	assert.Nil(t, a.Bytes(nil))
}

func TestArenaLargeAndManyStrings(t *testing.T) {
	t.Parallel()
	var a eventstore.Arena
	big := bytes.Repeat([]byte("y"), 100_000)
	assert.Equal(t, string(big), a.String(big), "a string larger than a block gets its own allocation")
	// Enough strings to fill several blocks: each keeps its value.
	var kept []string
	for i := 0; i < 20_000; i++ {
		kept = append(kept, a.String([]byte(strings.Repeat(string(rune('a'+i%26)), 1+i%40))))
	}
	for i, s := range kept {
		require.Equal(t, strings.Repeat(string(rune('a'+i%26)), 1+i%40), s, "string %d", i)
	}
}

func TestNilArenaAllocates(t *testing.T) {
	t.Parallel()
	var a *eventstore.Arena
	assert.Equal(t, "abc", a.String([]byte("abc")))
	b := a.Bytes([]byte("abc"))
	assert.Equal(t, "abc", string(b))
}

func TestViewArenaSharesWhatItIsGiven(t *testing.T) {
	t.Parallel()
	a := eventstore.ViewArena()
	src := []byte(`01JABCDEF {"x":1}`)
	s := a.String(src[:9])
	b := a.Bytes(src[10:])
	assert.Equal(t, "01JABCDEF", s)
	assert.Equal(t, `{"x":1}`, string(b))
	assert.Equal(t, unsafe.SliceData(src), unsafe.StringData(s), "no copy")
	assert.Equal(t, len(b), cap(b), "an append to a payload must copy, not write over what follows")
	c := a.Clone(s)
	src[0] = 'X'
	assert.Equal(t, "X1JABCDEF", s, "a view follows its bytes")
	assert.Equal(t, "01JABCDEF", c, "Clone copies")
	assert.Equal(t, "", a.String(nil))
	assert.Nil(t, a.Bytes(nil))
}
