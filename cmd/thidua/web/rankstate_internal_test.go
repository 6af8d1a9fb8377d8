package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRankState: the state changes with what a page's tables show (a row's
// recommendation, a key's value, a place more or fewer, the campaign's integrity) and
// nothing else; the kept state of a tag is given for that tag, a later tag's state
// replaces it, and a ranking without a tag is digested each time and not kept.
func TestRankState(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	tables := func() []rankKind {
		return []rankKind{{Kind: "collective", Quota: 9, Total: 3, Hidden: 1, Rows: []rankRow{
			{Rank: 1, Nomination: "N1", Name: "Sở Tư pháp", Recommended: true, Par: 88.5, Improved: 1, Approval: 0.9, SubmittedAt: at},
			{Rank: 2, Nomination: "N2", Name: "Sở Y tế", Par: nil, Improved: 0, Approval: 0.8, SubmittedAt: at},
		}}, {Kind: "individual", Quota: 15}}
	}
	base := rankState(tables(), "ok")
	assert.Equal(t, base, rankState(tables(), "ok"))
	for name, change := range map[string]func([]rankKind){
		"a recommendation":  func(k []rankKind) { k[0].Rows[1].Recommended = true },
		"a key's value":     func(k []rankKind) { k[0].Rows[0].Par = 88.6 },
		"an award":          func(k []rankKind) { k[0].Rows[0].Awarded = true },
		"a row fewer":       func(k []rankKind) { k[0].Rows = k[0].Rows[:1] },
		"a place more":      func(k []rankKind) { k[0].Total, k[0].Hidden = 4, 2 },
		"an unranked award": func(k []rankKind) { k[1].Unranked = []string{"Lê Văn A (Sở Y tế) — QĐ 1"} },
	} {
		k := tables()
		change(k)
		assert.NotEqual(t, base, rankState(k, "ok"), name)
	}
	assert.NotEqual(t, base, rankState(tables(), "broken"), "the integrity")

	var s rankStates
	other := rankState(tables()[:1], "ok")
	digest := func(st string) func() string { return func() string { return st } }
	assert.Equal(t, base, s.of("c", 5, digest(base)))
	assert.Equal(t, base, s.of("c", 5, digest(other)), "kept for its tag")
	assert.Equal(t, other, s.of("c", 6, digest(other)), "a later tag")
	assert.Equal(t, base, s.of("c", 5, digest(base)), "an earlier tag is digested, not kept")
	assert.Equal(t, other, s.of("c", 6, digest(base)), "the later tag's state stays")
	assert.Equal(t, base, s.of("c", 0, digest(base)), "no tag: digested")
	assert.Equal(t, other, s.of("c", 6, digest(base)))
	assert.Equal(t, base, s.of("c/all", 6, digest(base)), "another page's view of the same ranking")
}
