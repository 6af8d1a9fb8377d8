package projections

import (
	"fmt"
	"maps"
	"math"
	"slices"
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

// A live ranking is computed without holding the read lock for long, so that commands
// go on beside it (a dashboard that polls it after every write held them up for the
// 0.1 s a campaign of 100,000 nominations takes to rank, and for seconds after a start):
//
//  1. the nominations the live cache lacks are evaluated a chunk per hold of the lock,
//     and cached as they are made (evalSome);
//  2. under one hold, the campaign is taken with every evaluation from the cache, the
//     few a commit dropped meanwhile evaluated again right there (liveInputs): these are
//     the inputs of the ranking at one state, the one whose commits it is tagged with;
//  3. they are ranked outside the lock (rankInputs.view), and kept as the campaign's
//     base (livebase.go): steps 1 and 2 of the next live ranking look up only the
//     nominations the cache dropped since and those opened since, and copy the rest.
//
// When more than liveInline (rankInline) evaluations were dropped between steps 1 and 2
// (a campaign's rules changed meanwhile, say), step 1 runs again; after liveAttempts
// tries, step 2 evaluates whatever is missing under its hold, as every ranking once did.
const (
	liveInline   = 256
	liveAttempts = 3
)

// rankingOnce computes the live ranking, and caches it with the commits it is of.
func (m *Model) rankingOnce(campaign string) (rankCacheEntry, error) {
	for attempt := 1; ; attempt++ {
		n := m.fillLive(campaign)
		if m.rankHook != nil {
			m.rankHook()
		}
		limit := m.rankInline
		if attempt >= liveAttempts {
			limit = math.MaxInt
		}
		// The evaluations are taken into a buffer made (or reused) before the lock is
		// taken: 100,000 of them are 5.6 MB, and memory this host's processes write for the
		// first time costs about 2.5 ms per MB (README, "How the bench measures").
		buf := m.rankBuf(n)
		m.rlock()
		in, take, complete, err := m.liveInputs(campaign, limit, *buf)
		commits, gapped := m.rankVersion(), m.gapped()
		m.mu.RUnlock()
		if err != nil || !complete {
			m.rankBufs.Put(buf)
			if err != nil {
				return rankCacheEntry{}, err
			}
			continue
		}
		e := rankCacheEntry{commits: commits, view: in.view(), gapped: gapped}
		m.mu.Lock()
		if c, ok := m.rankCache[campaign]; !ok || c.commits <= commits {
			m.rankCache[campaign] = e
		}
		// The inputs become the campaign's base, which the next live ranking starts
		// from; the evaluations nobody reads any more are kept for reuse.
		free := m.keepBase(campaign, in.evals, commits, take)
		m.mu.Unlock()
		if free != nil {
			*buf = free[:0]
			m.rankBufs.Put(buf)
		}
		return e, nil
	}
}

// fillLive evaluates the campaign's nominations that the live cache lacks, a chunk per
// hold of the read lock (evalSome), and caches them, and returns how many the campaign
// has. With a base, it looks up only what the cache dropped since and what was opened
// since (baseDelta). Without, it looks them all up, a part per hold:
// the campaign's list of nominations changes under the write lock (an opening applied
// out of the stream's order is inserted in its place, inOpeningOrder), and a commit
// applied meanwhile waits for the cache's lock while it holds the model's. A nomination
// the list's change made it miss is evaluated when the ranking takes its inputs.
func (m *Model) fillLive(campaign string) int {
	var lack []string
	seen := 0
	// Since the campaign's last live ranking (its base), only what the cache dropped
	// and the nominations opened can be missing.
	m.rlock()
	ids := m.byCamp[campaign]
	m.live.mu.Lock()
	todo, based := m.baseDelta(campaign, ids, nil)
	for _, i := range todo {
		lack = append(lack, ids[i])
	}
	m.live.mu.Unlock()
	m.mu.RUnlock()
	if based {
		seen = len(ids)
	}
	const part = 4096
	for from := 0; !based; from += part {
		m.rlock()
		listed := m.byCamp[campaign]
		seen = len(listed)
		if from >= len(listed) {
			m.mu.RUnlock()
			break
		}
		m.live.mu.Lock()
		for _, id := range listed[from:min(from+part, len(listed))] {
			if _, ok := m.live.get(id); !ok {
				lack = append(lack, id)
			}
		}
		m.live.mu.Unlock()
		m.mu.RUnlock()
	}
	todo = make([]int, len(lack))
	for i := range todo {
		todo[i] = i
	}
	m.evalSome(lack, todo, make([]rankedEval, len(lack)), Bound{}, true)
	return seen
}

// rankBuf returns a buffer for a live ranking's evaluations with room for n and a few
// more (nominations opened meanwhile), reused from an earlier ranking when one is free.
func (m *Model) rankBuf(n int) *[]rankedEval {
	buf, _ := m.rankBufs.Get().(*[]rankedEval)
	if buf == nil {
		buf = new([]rankedEval)
	}
	if cap(*buf) < n+64 {
		*buf = make([]rankedEval, 0, n+n/8+64)
	}
	return buf
}

// liveInputs takes the inputs of the campaign's live ranking from the model as it is:
// the campaign, and every nomination's evaluation from the campaign's base and the live
// cache, evaluating those the cache lacks when they are at most limit (complete false
// otherwise: nothing is evaluated). The evaluations go into buf when it has room. The
// caller holds the read lock.
func (m *Model) liveInputs(campaign string, limit int, buf []rankedEval) (in rankInputs, take liveTake, complete bool, err error) {
	in, ok := m.rankHead(campaign, Bound{})
	if !ok {
		return rankInputs{}, liveTake{}, false, fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	if cap(buf) >= len(in.ids) {
		in.evals = buf[:len(in.ids)] // every one is set below
	} else {
		in.evals = make([]rankedEval, len(in.ids))
	}
	m.live.mu.Lock()
	take = liveTake{mark: m.live.mark(), reorders: m.reorders}
	todo, based := m.baseDelta(campaign, in.ids, in.evals)
	if !based {
		for i, id := range in.ids {
			if r, ok := m.live.get(id); ok {
				in.evals[i] = r
			} else {
				todo = append(todo, i)
			}
		}
	}
	m.live.mu.Unlock()
	if len(todo) > limit {
		return rankInputs{}, liveTake{}, false, nil
	}
	m.evalSome(in.ids, todo, in.evals, Bound{}, false)
	return in, take, true, nil
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
	if lock {
		m.rlock()
	}
	in, ok := m.rankHead(campaign, b)
	if lock {
		m.mu.RUnlock()
	}
	if !ok {
		return RankingView{}, fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	// Every nomination evaluated at the bound, on every core (evalcache.go).
	in.evals = m.evalAll(in.ids, b, lock)
	return in.view(), nil
}

// rankInputs is what a ranking is built from: the campaign as of the bound and every
// nomination's evaluation. Building the view (view) reads nothing of the model, so it
// needs no lock: a live ranking takes these under the read lock and ranks outside it.
type rankInputs struct {
	campaign string
	at       time.Time // the bound's time (zero: the latest event's)
	def      domain.Definition
	awards   []domain.AwardRef // every award, in the order granted
	// integrity is that of the campaign's own events and of the stream.
	integrity IntegrityView
	// lastSeq and lastAt are those of the latest campaign event within the bound.
	lastSeq uint64
	lastAt  time.Time
	ids     []string     // the campaign's nominations, in stream order
	evals   []rankedEval // one per id
	// heldElsewhere are the other campaigns' nominations held at some time up to the
	// bound, under the rules' revision 4 and later (heldElsewhere): those on hold at the
	// bound withhold their nominee, and each one's latest event joins the as-of point when
	// its nominee is a candidate here.
	heldElsewhere []heldElsewhereNom
}

// heldElsewhereNom is a nomination of another campaign that was held up to a ranking's
// bound: its nominee, whether it is on hold at the bound, and each change of whom its hold
// withheld (held, released, or moved to another unit or name while held) within it.
type heldElsewhereNom struct {
	heldNominee
	onHold  bool
	changes []holdChange
}

// holdChange is an event that began or ended a hold's withholding of a nominee.
type holdChange struct {
	heldNominee
	seq uint64
	at  time.Time
}

// heldElsewhere returns the nominations of campaigns other than campaign that are on hold
// at the bound: a hold is on the nominee, and withholds them in every campaign (a review
// finding: a person under discipline review in one campaign was recommended, and granted,
// in another running beside it). It returns every nomination held up to the bound, held or
// released since, with its latest event within the bound, so that the ranking's as-of
// point covers the events it depends on (a review of the first version found a grant
// relying on it named by thidua verify: its ranking replayed at its recorded sequence
// without the hold) — those of nominees who are candidates here, and no other (view: a
// review found the as-of point, and the ETag, of every campaign moving on any hold
// elsewhere, which told a clerk of another unit a hold their trail hid). Only the
// nominations whose history holds a hold are read (heldIndex); the caller holds the read
// lock.
func (m *Model) heldElsewhere(campaign string, b Bound) []heldElsewhereNom {
	if len(m.byCamp) < 2 {
		return nil // no other campaign: nothing to read, no index to build
	}
	var out []heldElsewhereNom
	for _, id := range m.heldIndex() {
		n := m.noms[id]
		if n == nil || n.Campaign() == campaign || !heldWithin(m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id}), b) {
			continue
		}
		if h, ok := m.holdChanges(id, b); ok {
			out = append(out, h)
		}
	}
	return out
}

// holdChanges folds nomination id up to the bound, noting each event that changed whom its
// hold withheld: a hold (the nominee as held), a release or another end of the hold (the
// nominee as they were held), a merger or a correction while held (both). false when the
// nomination was opened after the bound. The caller holds the read lock.
func (m *Model) holdChanges(id string, b Bound) (heldElsewhereNom, bool) {
	n := domain.NewNomination()
	var out heldElsewhereNom
	who := func() heldNominee {
		return heldNominee{unit: n.Unit(), name: n.Nominee().Name, kind: n.Nominee().Kind}
	}
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id}) {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if !e.Known {
			continue
		}
		wasHeld, before := n.State() == domain.StateOnHold, who()
		n.Apply(e.Rec)
		isHeld, after := n.State() == domain.StateOnHold, who()
		if wasHeld && (!isHeld || before != after) {
			out.changes = append(out.changes, holdChange{heldNominee: before, seq: e.Rec.Seq, at: e.Rec.At})
		}
		if isHeld && (!wasHeld || before != after) {
			out.changes = append(out.changes, holdChange{heldNominee: after, seq: e.Rec.Seq, at: e.Rec.At})
		}
	}
	if n.ID() == "" {
		return heldElsewhereNom{}, false
	}
	out.heldNominee, out.onHold = who(), n.State() == domain.StateOnHold
	return out, true
}

// candidateOf reports whether h's nominee is among cs, the eligible candidates of its
// kind: an individual of the same unit and name (domain.SamePerson), a collective of the
// same unit, as the holds withhold them.
func candidateOf(cs []domain.Candidate, h heldNominee) bool {
	return slices.ContainsFunc(cs, func(c domain.Candidate) bool {
		return c.Unit == h.unit && (h.kind == domain.NomineeCollective || domain.SamePerson(c.Name, h.name))
	})
}

// heldWithin reports whether a nomination's events up to the bound (as every as-of answer
// reads them: up to the first after it) hold a hold: one held only later has no part in
// an answer as of the bound, nor in its as-of point (a review finding: a ranking as of a
// past sequence named a later sequence once a hold was recorded after it).
func heldWithin(ents []*Entry, b Bound) bool {
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			return false
		}
		if e.Rec.Type == domain.NominationHeld {
			return true
		}
	}
	return false
}

// heldIndex returns the nominations whose history holds a hold, in the order of their
// ids, building the index on first use by a look at every nomination's events (a model
// loaded from a snapshot did not fold them); fold keeps it after. The caller holds the
// read lock.
func (m *Model) heldIndex() []string {
	m.heldMu.Lock()
	defer m.heldMu.Unlock()
	if !m.heldBuilt {
		m.held = map[string]bool{}
		for ref, agg := range m.aggs {
			if ref.Kind == domain.KindNomination && slices.ContainsFunc(agg.Entries, func(e *Entry) bool { return e.Rec.Type == domain.NominationHeld }) {
				m.held[ref.ID] = true
			}
		}
		m.heldBuilt = true
	}
	return slices.Sorted(maps.Keys(m.held))
}

// rankHead takes what a ranking reads of the campaign itself at the bound (all of
// rankInputs but the evaluations), or false when the campaign did not exist then. The
// caller holds the read lock. What it returns is its own or never changes while the lock
// is held: as of a past moment the campaign is a fresh fold, a definition is never changed
// once recorded, the awards are copies. The ids are the model's list, which changes under
// the write lock, so they are read under the read lock only; an opening applied out of
// order is inserted in its place (inOpeningOrder), which moves only nominations opened
// after it, later than any bound pinned below the commits yet to come (rankingAsOf).
func (m *Model) rankHead(campaign string, b Bound) (rankInputs, bool) {
	in := rankInputs{campaign: campaign, at: b.Time}
	camp := m.campaignAt(campaign, b, func(e *Entry) {
		if e.Rec.Seq > in.lastSeq {
			in.lastSeq, in.lastAt = e.Rec.Seq, e.Rec.At
		}
	})
	if camp == nil {
		return rankInputs{}, false
	}
	in.def, in.awards = camp.Definition(), camp.Awards()
	in.ids = m.byCamp[campaign]
	if in.def.RulesRevision >= 4 {
		in.heldElsewhere = m.heldElsewhere(campaign, b)
	}
	in.integrity = m.integrityOf([]eventstore.Ref{{Kind: domain.KindCampaign, ID: campaign}, streamRef()}, b)
	return in, true
}

// view ranks the inputs' eligible nominations of each kind and marks the first quota as
// recommended.
func (in *rankInputs) view() RankingView {
	lastSeq, lastAt := in.lastSeq, in.lastAt
	def := in.def
	// The candidates of each kind, in slices of their size: growing them as they came
	// was a fifth of a live ranking's time.
	var sizes [2]int
	for i := range in.evals {
		r := &in.evals[i]
		if !r.found {
			continue // opened after the bound
		}
		if r.lastSeq > lastSeq {
			lastSeq, lastAt = r.lastSeq, r.lastAt
		}
		if r.eligible {
			sizes[kindSlot(r.kind)]++
		}
	}
	cands := map[domain.NomineeKind][]domain.Candidate{
		domain.NomineeCollective: make([]domain.Candidate, 0, sizes[0]),
		domain.NomineeIndividual: make([]domain.Candidate, 0, sizes[1]),
	}
	for i := range in.evals {
		if r := &in.evals[i]; r.found && r.eligible {
			cands[r.kind] = append(cands[r.kind], *r.cand)
		}
	}
	awarded := map[string]bool{}
	counts := map[domain.NomineeKind]int{}
	for _, a := range in.awards {
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
	// A person with a nomination on hold in a unit is recommended through no other
	// nomination of theirs there (a merger joins two units' nominations of one person),
	// under the rules' revision 2 and later; a unit with a collective nomination on hold,
	// through no other collective nomination, under revision 3 and later; and the holds of
	// other campaigns' nominations count alike under revision 4 and later: a campaign
	// launched before keeps the reading its grants' recorded rankings were made under.
	var heldPeople map[string][]string // per unit, the names of individuals on hold
	var heldUnits map[string]bool      // the units with a collective nomination on hold
	held := make([]heldNominee, 0, len(in.heldElsewhere))
	for _, h := range in.heldElsewhere { // under revision 4 and later
		if h.onHold {
			held = append(held, h.heldNominee)
		}
		// Each change of whom its hold withheld joins the as-of point when the nominee so
		// withheld, or no longer withheld, is a candidate here, whose place it decides;
		// another's is no part of this ranking (a review of the first version, which read
		// the nominee as they are now, found a grant replayed otherwise once the released
		// nominee's name had been corrected).
		for _, c := range h.changes {
			if c.seq > lastSeq && candidateOf(cands[c.kind], c.heldNominee) {
				lastSeq, lastAt = c.seq, c.at
			}
		}
	}
	for i := range in.evals {
		if h := in.evals[i].held; h != nil && in.evals[i].found {
			held = append(held, *h)
		}
	}
	for i := range held {
		h := &held[i]
		switch {
		case h.kind == domain.NomineeIndividual && def.RulesRevision >= 2:
			if heldPeople == nil {
				heldPeople = map[string][]string{}
			}
			heldPeople[h.unit] = append(heldPeople[h.unit], h.name)
		case h.kind == domain.NomineeCollective && def.RulesRevision >= 3:
			if heldUnits == nil {
				heldUnits = map[string]bool{}
			}
			heldUnits[h.unit] = true
		}
	}
	if heldPeople != nil {
		cs := cands[domain.NomineeIndividual]
		for i := range cs {
			cs[i].PersonOnHold = slices.ContainsFunc(heldPeople[cs[i].Unit], func(name string) bool { return domain.SamePerson(name, cs[i].Name) })
		}
	}
	if heldUnits != nil {
		cs := cands[domain.NomineeCollective]
		for i := range cs {
			cs[i].UnitOnHold = heldUnits[cs[i].Unit]
		}
	}
	v := RankingView{Campaign: in.campaign, AsOf: lastAt, AsOfSeq: lastSeq, Keys: def.RankingKeys, Integrity: in.integrity}
	if !in.at.IsZero() {
		v.AsOf = in.at.UTC()
	}
	build := func(kind domain.NomineeKind, quota int) RankingKindView {
		entries := domain.Rank(def, kind, cands[kind], counts[kind])
		kv := RankingKindView{Quota: quota, Awarded: counts[kind], Entries: make([]RankEntryView, 0, len(entries)), AwardedUnranked: []UnrankedAwardView{}}
		ranked := map[string]bool{} // the awarded nominations among the entries
		for _, e := range entries {
			if awarded[e.Nomination] {
				ranked[e.Nomination] = true
			}
			kv.Entries = append(kv.Entries, RankEntryView{
				Rank: e.Rank, Nomination: e.Nomination, Unit: e.Unit, Name: e.Name,
				Recommended: e.Recommended, Withheld: e.Withheld, Awarded: awarded[e.Nomination], Keys: e.Keys, DecidedBy: e.DecidedBy,
			})
		}
		for _, a := range in.awards {
			if a.Kind == kind && !a.Revoked && !ranked[a.Nomination] {
				kv.AwardedUnranked = append(kv.AwardedUnranked, UnrankedAwardView{Award: a.ID, Nomination: a.Nomination, Unit: a.Unit, Name: a.Nominee, Decision: a.Decision})
			}
		}
		return kv
	}
	v.Collective = build(domain.NomineeCollective, def.Quota.Collective)
	v.Individual = build(domain.NomineeIndividual, def.Quota.Individual)
	return v
}

// kindSlot numbers the nominee kinds for view's counts: 0 collective, 1 individual.
func kindSlot(k domain.NomineeKind) int {
	if k == domain.NomineeIndividual {
		return 1
	}
	return 0
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
	if v, ok := domain.WomenPct(r.def, r.facts); ok {
		c.WomenPct = &v
	}
	if vote, ok := n.LatestVote(); ok && vote.Members > 0 {
		c.ApprovalRatio = float64(vote.Approve) / float64(vote.Members)
	}
	return c
}
