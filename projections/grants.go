package projections

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"thidua/domain"
	"thidua/eventstore"
)

// GrantProblems checks every grant that records the sequence its ranking was computed as
// of (domain.AwardGrantedData.RankingSeq) against a replay: the ranking of the stream up
// to that sequence, of the nominee's kind, must be the one recorded, and the sequence
// must come before the grant. It reports each grant that fails as ProblemGrantRanking on
// the campaign; `thidua verify` runs it. Each check is one ranking at a past moment
// (about half a second for 100,000 nominations), computed without holding up commands.
func (m *Model) GrantProblems() []IntegrityProblem {
	out, _ := m.grantProblems(nil)
	return out
}

// GrantProblemsSettled is GrantProblems with each recorded sequence taken to the end of
// the atomic append it falls in by settle (eventstore.Store.SettledSeq), as `thidua
// ranking --at seq:N` and the API's ?seq=N take it: a grant recorded, on a server whose
// feed had applied part of an append, as of a sequence inside it is checked against what
// a replay gives there, and reported when they differ (before, the replay took the
// sequence as it was and showed the same half-applied state, so verify passed it).
// `thidua verify` runs it.
func (m *Model) GrantProblemsSettled(settle func(seq uint64) (uint64, error)) []IntegrityProblem {
	out, _ := m.grantProblems(settle)
	return out
}

// CheckGrantRankings is GrantProblemsSettled, with the number of grants checked (those
// that record their ranking's sequence): what a running server reports of them.
func (m *Model) CheckGrantRankings(settle func(seq uint64) (uint64, error)) ([]IntegrityProblem, int) {
	return m.grantProblems(settle)
}

// grantProblems is GrantProblems, each sequence taken through settle when given, and the
// number of grants checked.
func (m *Model) grantProblems(settle func(seq uint64) (uint64, error)) ([]IntegrityProblem, int) {
	type grant struct {
		campaign string
		e        *Entry
		data     domain.AwardGrantedData
	}
	var grants []grant
	m.rlock()
	for _, id := range slices.Sorted(maps.Keys(m.camps)) {
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindCampaign, ID: id}) {
			if d, ok := e.Rec.Data.(domain.AwardGrantedData); ok && d.RankingSeq != 0 {
				grants = append(grants, grant{campaign: id, e: e, data: d})
			}
		}
	}
	m.mu.RUnlock()
	out := []IntegrityProblem{}
	for _, g := range grants {
		problem := func(format string, args ...any) {
			out = append(out, IntegrityProblem{Seq: g.e.Rec.Seq, EventID: g.e.Rec.ID, at: g.e.Rec.At,
				Aggregate: eventstore.Ref{Kind: domain.KindCampaign, ID: g.campaign}, Problem: ProblemGrantRanking,
				Detail: fmt.Sprintf("grant %s to %s: ", g.data.Award, g.data.Nomination) + fmt.Sprintf(format, args...)})
		}
		if g.data.RankingSeq >= g.e.Rec.Seq {
			problem("its ranking is said to be as of sequence %d, not before the grant (%d)", g.data.RankingSeq, g.e.Rec.Seq)
			continue
		}
		at, settled := g.data.RankingSeq, ""
		if settle != nil {
			s, err := settle(at)
			if err != nil {
				problem("the end of the append holding sequence %d: %v", at, err)
				continue
			}
			if s != at {
				at, settled = s, fmt.Sprintf(" (inside an atomic append, which ends at %d: a replay takes it whole)", s)
			}
		}
		rk, err := m.Ranking(g.campaign, Bound{Seq: at})
		if err != nil {
			problem("no ranking as of sequence %d%s: %v", g.data.RankingSeq, settled, err)
			continue
		}
		replayed := rk.Relied(g.data.Kind)
		if slices.Equal(replayed, g.data.Ranking) {
			continue
		}
		i := 0
		for i < min(len(replayed), len(g.data.Ranking)) && replayed[i] == g.data.Ranking[i] {
			i++
		}
		why := ""
		if rk.Integrity.Status == IntegrityBroken {
			// The difference may be the stream's doing since the grant: a message lost on
			// disk, or an event altered, under the ranking.
			kinds := []string{}
			for _, p := range rk.Integrity.Problems {
				if !slices.Contains(kinds, p.Problem) {
					kinds = append(kinds, p.Problem)
				}
			}
			why = fmt.Sprintf(" (the events that ranking rests on do not verify as of then: %s; what broke them may be why)", strings.Join(kinds, ", "))
		}
		problem("the ranking it records (%d entries) is not the stream's as of sequence %d%s (%d entries); they first differ at place %d%s",
			len(g.data.Ranking), g.data.RankingSeq, settled, len(replayed), i+1, why)
	}
	return out, len(grants)
}
