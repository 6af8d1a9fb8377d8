package eventstore

import (
	"strings"
	"unsafe"
)

// Arena packs the strings and payloads of decoded events into large blocks: one
// allocation per 64 KiB instead of several per event. A model that keeps a million events
// then holds a few thousand blocks that the garbage collector never has to scan (they
// hold no pointers), instead of millions of small objects.
//
// What an Arena returns must never be modified, and a block lives as long as any string
// in it: use an Arena only for what is kept together for good, such as the history a
// projection rebuild decodes. An Arena is not safe for concurrent use; the zero value is
// ready for use, and a nil *Arena allocates each string on its own.
type Arena struct {
	block []byte
	// view makes the arena copy nothing (ViewArena).
	view bool
}

// ViewArena returns an Arena that copies nothing: what String and Bytes return shares
// the memory they are given. Decoding a message into it (Store.DecodeInto) costs no
// allocation per string, for a reader that copies what it keeps of the commit (a
// projection rebuild): the message's bytes must not change afterwards, and anything kept
// from the commit keeps the whole message alive. Clone still copies.
func ViewArena() *Arena { return &Arena{view: true} }

const (
	arenaBlock = 64 << 10
	// arenaLarge is the size above which a string gets its own allocation.
	arenaLarge = 4 << 10
)

// alloc returns n bytes of the current block (a new one when it is full), with a
// capacity of n so that an append copies instead of writing over the next string.
func (a *Arena) alloc(n int) []byte {
	if n > arenaLarge {
		return make([]byte, n)
	}
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, arenaBlock)
	}
	l := len(a.block)
	a.block = a.block[:l+n]
	return a.block[l : l+n : l+n]
}

// String returns a copy of b as a string.
func (a *Arena) String(b []byte) string {
	if a == nil || len(b) == 0 {
		return string(b)
	}
	if a.view {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	d := a.alloc(len(b))
	copy(d, b)
	return unsafe.String(unsafe.SliceData(d), len(d))
}

// Clone returns a copy of s.
func (a *Arena) Clone(s string) string {
	if a == nil || a.view || len(s) == 0 {
		return strings.Clone(s)
	}
	d := a.alloc(len(s))
	copy(d, s)
	return unsafe.String(unsafe.SliceData(d), len(d))
}

// Bytes returns a copy of b (nil when b is empty).
func (a *Arena) Bytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if a == nil {
		return append([]byte(nil), b...)
	}
	if a.view {
		return b[:len(b):len(b)]
	}
	d := a.alloc(len(b))
	copy(d, b)
	return d
}
