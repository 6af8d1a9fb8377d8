package projections

import (
	"fmt"
	"math"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// Ranking orders a campaign's eligible nominations of each kind by the campaign's ranking
// keys at a moment (the zero Bound: now), and marks the first quota as recommended.
//
// Its answer is always the ranking of the stream up to its AsOfSeq, which the stream's
// digest there seals (the exports and printed pages state it): when the live ranking was
// computed while a commit applied ahead of the feed stood above an earlier one still on
// its way (a gap, see prefixSeq), Ranking answers as of the sequence below the gap.
func (m *Model) Ranking(campaign string, b Bound) (RankingView, error) {
	if !b.Live() {
		return m.rankingAsOf(campaign, b)
	}
	e, err := m.liveRanking(campaign)
	if err != nil {
		return RankingView{}, err
	}
	if e.gapped {
		return m.rankingAsOf(campaign, b)
	}
	return e.view, nil
}

// Relied returns the view's entries of a nominee kind as a grant records the ranking it
// relied on (domain.RankingRef): the command that grants and the check that replays a
// grant (GrantProblems) take it from here, so that they compare like with like.
func (v RankingView) Relied(kind domain.NomineeKind) []domain.RankingRef {
	entries := v.Collective.Entries
	if kind == domain.NomineeIndividual {
		entries = v.Individual.Entries
	}
	out := make([]domain.RankingRef, 0, len(entries))
	for _, e := range entries {
		out = append(out, domain.RankingRef{Nomination: e.Nomination, Rank: e.Rank, Recommended: e.Recommended})
	}
	return out
}

// LiveRanking is Ranking now, with the number of commits the model had applied when it
// was computed (plus the problems found in them late, CheckStream). A live ranking of a
// stream prefix is a function of the commits applied: the same number on any server that
// applied the same stream, the same ranking, so the number serves as its entity tag.
//
// It is the model's state as it is, gap or not (see Ranking): the ranking a dashboard
// polls, never sealed. While the state has a gap the number is 0: the same count of
// commits on another server may be another set of them, so the view has no tag.
func (m *Model) LiveRanking(campaign string) (RankingView, uint64, error) {
	e, err := m.liveRanking(campaign)
	if err != nil {
		return RankingView{}, 0, err
	}
	if e.gapped {
		return e.view, 0, nil
	}
	return e.view, uint64(e.commits), nil
}

// liveRanking is LiveRanking's cache entry: the view, the commits it was computed at, and
// whether the state had a gap then.
func (m *Model) liveRanking(campaign string) (rankCacheEntry, error) {
	m.rlock()
	c, ok := m.rankCache[campaign]
	commits := m.rankVersion()
	gapped := m.gapped()
	m.mu.RUnlock()
	if ok && c.commits == commits {
		// The same commits, the same view; but a gap can close without a commit (the
		// feed passing a message that is none, or a lost one), so it is asked again.
		c.gapped = gapped
		return c, nil
	}
	// Readers who ask for the same live ranking at the same point (the start-up warm-up
	// and the first reader, or many readers after a write) share one computation. A
	// reader who comes after a later write starts its own, so it sees that write.
	v, err, _ := m.rankFlight.Do(fmt.Sprintf("%s@%d", campaign, commits), func() (any, error) {
		return m.rankingOnce(campaign)
	})
	if err != nil {
		return rankCacheEntry{}, err
	}
	return v.(rankCacheEntry), nil
}

// rankVersion is what a live ranking is a function of: the commits applied, and the
// problems found late in what they were (CheckStream); the caller holds the lock.
func (m *Model) rankVersion() int { return m.stats.Commits + m.lateProblems }

// rankingOnce computes the live ranking under the read lock, and caches it with the
// number of commits it saw.
func (m *Model) rankingOnce(campaign string) (rankCacheEntry, error) {
	m.rlock()
	v, err := m.ranking(campaign, Bound{})
	commits := m.rankVersion()
	gapped := m.gapped()
	m.mu.RUnlock()
	if err != nil {
		return rankCacheEntry{}, err
	}
	e := rankCacheEntry{commits: commits, view: v, gapped: gapped}
	m.mu.Lock()
	m.rankCache[campaign] = e
	m.mu.Unlock()
	return e, nil
}

// rankingAsOf computes a ranking at a past moment without holding the read lock
// throughout: it takes it to pin the bound to the last sequence up to which the model
// holds every commit (pin) and fold the campaign, and then once per chunk of
// nominations (evalAll), so that commands are not held up for the second or two the whole
// campaign takes. What is applied meanwhile is after the pinned bound, so every chunk
// sees the same moment.
func (m *Model) rankingAsOf(campaign string, b Bound) (RankingView, error) {
	if b.Live() {
		b.Seq = math.MaxUint64 // now, as a moment of the stream: pinned below any gap
	}
	m.rlock()
	b = m.pin(b)
	m.mu.RUnlock()
	return m.rankingWith(campaign, b, true)
}

// ranking computes a ranking; the caller holds the read lock.
func (m *Model) ranking(campaign string, b Bound) (RankingView, error) {
	return m.rankingWith(campaign, b, false)
}

// rankingWith computes a ranking. With lock, the caller holds no lock and the bound is
// pinned to a sequence (rankingAsOf): the read lock is taken for each part that reads the
// model; without, the caller holds it throughout.
func (m *Model) rankingWith(campaign string, b Bound, lock bool) (RankingView, error) {
	var lastSeq uint64
	var lastAt time.Time
	note := func(e *Entry) {
		if e.Rec.Seq > lastSeq {
			lastSeq, lastAt = e.Rec.Seq, e.Rec.At
		}
	}
	if lock {
		m.rlock()
	}
	// As of a past moment the campaign is a fresh fold, and the ids a copy of the slice's
	// header: neither changes after the lock is released (the model only appends).
	camp := m.campaignAt(campaign, b, note)
	ids := m.byCamp[campaign]
	integrity := m.integrityOf([]eventstore.Ref{{Kind: domain.KindCampaign, ID: campaign}, streamRef()}, b)
	if lock {
		m.mu.RUnlock()
	}
	if camp == nil {
		return RankingView{}, fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	def := camp.Definition()
	cands := map[domain.NomineeKind][]domain.Candidate{}
	// Every nomination evaluated at the bound, on every core (evalcache.go), then taken
	// in order.
	for _, r := range m.evalAll(ids, b, lock) {
		if !r.found {
			continue // opened after the bound
		}
		if r.lastSeq > lastSeq {
			lastSeq, lastAt = r.lastSeq, r.lastAt
		}
		if !r.eligible {
			continue
		}
		cands[r.kind] = append(cands[r.kind], *r.cand)
	}
	awarded := map[string]bool{}
	counts := map[domain.NomineeKind]int{}
	inForce := camp.Awards()
	for _, a := range inForce {
		if !a.Revoked {
			awarded[a.Nomination] = true
			counts[a.Kind]++
		}
	}
	for _, cs := range cands {
		for i := range cs {
			cs[i].Awarded = awarded[cs[i].Nomination]
		}
	}
	v := RankingView{Campaign: campaign, AsOf: lastAt, AsOfSeq: lastSeq, Keys: def.RankingKeys, Integrity: integrity}
	if !b.Time.IsZero() {
		v.AsOf = b.Time.UTC()
	}
	build := func(kind domain.NomineeKind, quota int) RankingKindView {
		kv := RankingKindView{Quota: quota, Awarded: counts[kind], Entries: []RankEntryView{}, AwardedUnranked: []UnrankedAwardView{}}
		ranked := map[string]bool{}
		for _, e := range domain.Rank(def, kind, cands[kind], counts[kind]) {
			ranked[e.Nomination] = true
			kv.Entries = append(kv.Entries, RankEntryView{
				Rank: e.Rank, Nomination: e.Nomination, Unit: e.Unit, Name: e.Name,
				Recommended: e.Recommended, Withheld: e.Withheld, Awarded: awarded[e.Nomination], Keys: e.Keys, DecidedBy: e.DecidedBy,
			})
		}
		for _, a := range inForce {
			if a.Kind == kind && !a.Revoked && !ranked[a.Nomination] {
				kv.AwardedUnranked = append(kv.AwardedUnranked, UnrankedAwardView{Award: a.ID, Nomination: a.Nomination, Unit: a.Unit, Name: a.Nominee, Decision: a.Decision})
			}
		}
		return kv
	}
	v.Collective = build(domain.NomineeCollective, def.Quota.Collective)
	v.Individual = build(domain.NomineeIndividual, def.Quota.Individual)
	return v, nil
}

// candidate turns an evaluation into a ranking candidate.
func candidate(r *evalResult) domain.Candidate {
	n := r.nom
	c := domain.Candidate{
		Nomination:         n.ID(),
		Unit:               n.Unit(),
		Name:               n.Nominee().Name,
		ImprovedComponents: domain.CountImproved(r.facts, r.def.ID),
		SubmittedAt:        n.SubmittedAt(),
		SubmittedSeq:       n.SubmittedSeq(),
		Woman:              n.Nominee().Gender == "female",
	}
	if c.Name == "" {
		c.Name = r.unitName
	}
	if v, ok := r.facts.Number(r.def.ID, "par_index_score"); ok {
		c.ParIndexScore = &v
	}
	if v, ok := r.facts.Number(r.def.ID, "women_pct"); ok {
		c.WomenPct = &v
	}
	if vote, ok := n.LatestVote(); ok && vote.Members > 0 {
		c.ApprovalRatio = float64(vote.Approve) / float64(vote.Members)
	}
	return c
}
