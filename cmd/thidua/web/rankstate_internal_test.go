package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"thidua/projections"
)

// TestRankState: the state changes with what a ranking page shows (a place's
// recommendation, a ranking key's value, the campaign's integrity) and not with the
// as-of moment; the kept state of a tag is given for that tag, a later tag's state
// replaces it, and a ranking without a tag is digested each time and not kept.
func TestRankState(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	score := 88.5
	ranking := func() projections.RankingView {
		return projections.RankingView{AsOf: at, AsOfSeq: 10, Keys: []string{"par_index_score", "submitted_at"},
			Collective: projections.RankingKindView{Quota: 9, Entries: []projections.RankEntryView{
				{Rank: 1, Nomination: "N1", Name: "Sở Tư pháp", Recommended: true, Keys: map[string]any{"par_index_score": score, "submitted_at": at}},
				{Rank: 2, Nomination: "N2", Name: "Sở Y tế", Keys: map[string]any{"par_index_score": nil, "submitted_at": at}},
			}}}
	}
	base := rankState(ranking())
	moved := ranking()
	moved.AsOf, moved.AsOfSeq = at.Add(time.Hour), 99
	assert.Equal(t, base, rankState(moved), "the as-of moment is not shown in the table")
	for name, change := range map[string]func(*projections.RankingView){
		"a recommendation": func(v *projections.RankingView) { v.Collective.Entries[1].Recommended = true },
		"a key's value":    func(v *projections.RankingView) { v.Collective.Entries[0].Keys["par_index_score"] = 88.6 },
		"an award":         func(v *projections.RankingView) { v.Collective.Entries[0].Awarded = true },
		"the integrity":    func(v *projections.RankingView) { v.Integrity.Status = projections.IntegrityBroken },
		"an entry fewer":   func(v *projections.RankingView) { v.Collective.Entries = v.Collective.Entries[:1] },
	} {
		v := ranking()
		change(&v)
		assert.NotEqual(t, base, rankState(v), name)
	}

	var s rankStates
	other := ranking()
	other.Collective.Entries[1].Recommended = true
	assert.Equal(t, base, s.of("c", 5, ranking()))
	assert.Equal(t, base, s.of("c", 5, other), "kept for its tag")
	assert.Equal(t, rankState(other), s.of("c", 6, other), "a later tag")
	assert.Equal(t, base, s.of("c", 5, ranking()), "an earlier tag is digested, not kept")
	assert.Equal(t, rankState(other), s.of("c", 6, ranking()), "the later tag's state stays")
	assert.Equal(t, base, s.of("c", 0, ranking()), "no tag: digested")
	assert.Equal(t, rankState(other), s.of("c", 6, ranking()))
}
