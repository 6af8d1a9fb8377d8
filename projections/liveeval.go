package projections

import (
	"strings"
	"sync"

	"thidua/domain"
	"thidua/eventstore"
)

// A live ranking evaluates every nomination of a campaign; after a write only the
// nominations the write can change need evaluating again. liveEvals keeps each
// nomination's last live evaluation and, per unit, which cached evaluations read its
// evidence (its facts, its plan, its name — for every unit of the nomination's lineage).
// Applying a commit drops what it may have changed:
//
//   - a nomination's commit: that nomination's evaluation;
//   - a unit's commit: the evaluations that read that unit; all of them when the commit
//     changes a lineage (a merger) or registers a unit under a parent (which makes the
//     parent a parent unit, for C13);
//   - a campaign's commit that only grants or revokes awards: the evaluations that read a
//     unit of an award's lineage (an award bars the other collective nominations of its
//     lineage and its holder's other individual ones; a revocation lifts the bar, or
//     sets one for fraud: domain.Campaign.LineageAward, PersonAward, BarringRevocation,
//     each of which looks for a unit of the award's lineage in the nomination's);
//   - a campaign's other commits or the registry's (launches, rule changes, deadlines,
//     users), an aggregate kind it does not know, or a broken hash chain anywhere: all
//     of them.
//
// The results are those of evaluating afresh (TestLiveRankingCacheFollowsWrites).
//
// It also logs what it drops, so that a live ranking can start from the inputs of the
// one before it and take again only the evaluations dropped since (liveBase): the log
// holds the nominations whose evaluation was dropped in the current epoch, in order. A
// clear begins a new epoch, and so does a log grown past its limit; a ranking whose
// inputs are of an earlier epoch takes every evaluation afresh from the cache.
type liveEvals struct {
	mu    sync.Mutex
	evals map[string]rankedEval
	// readers maps a unit to the nominations whose cached evaluation read its evidence.
	readers map[string]map[string]struct{}
	// epoch numbers the log's lives; dropped is the log. logLimit is its limit (0:
	// liveLogLimit; tests lower it).
	epoch    uint64
	dropped  []string
	logLimit int
}

// liveLogLimit is how many drops the log holds before it begins a new epoch: enough
// for every write between two polls of a dashboard, and 1 MiB of string headers.
const liveLogLimit = 1 << 16

// logMark is a point of the drop log: its epoch and how many drops it held then.
type logMark struct {
	epoch   uint64
	dropped int
}

// mark returns the log's point now; the caller holds l.mu.
func (l *liveEvals) mark() logMark { return logMark{epoch: l.epoch, dropped: len(l.dropped)} }

// since returns the nominations dropped after the mark, and false when the log no
// longer reaches back to it (a new epoch began). The caller holds l.mu, and must not
// keep the slice past it.
func (l *liveEvals) since(m logMark) ([]string, bool) {
	if m.epoch != l.epoch || m.dropped > len(l.dropped) {
		return nil, false
	}
	return l.dropped[m.dropped:], true
}

// drop removes one nomination's evaluation and logs it; the caller holds l.mu. With
// nothing cached in this epoch (a rebuild's feed) there is nothing to log: the inputs of
// a ranking of this epoch were cached in it, and a nomination opened since is new to them.
func (l *liveEvals) drop(id string) {
	if l.evals == nil {
		return
	}
	delete(l.evals, id)
	limit := l.logLimit
	if limit == 0 {
		limit = liveLogLimit
	}
	if len(l.dropped) >= limit {
		l.epoch++
		l.dropped = l.dropped[:0]
	}
	l.dropped = append(l.dropped, id)
}

// get returns the cached live evaluation of a nomination.
func (l *liveEvals) get(id string) (rankedEval, bool) {
	r, ok := l.evals[id]
	return r, ok
}

// put caches a live evaluation that read the evidence of units.
func (l *liveEvals) put(id string, r rankedEval, units []string) {
	if l.evals == nil {
		l.evals = map[string]rankedEval{}
		l.readers = map[string]map[string]struct{}{}
	}
	l.evals[id] = r
	for _, u := range units {
		set := l.readers[u]
		if set == nil {
			set = map[string]struct{}{}
			l.readers[u] = set
		}
		set[id] = struct{}{}
	}
}

// clear drops every cached evaluation.
func (l *liveEvals) clear() {
	l.mu.Lock()
	l.evals, l.readers = nil, nil
	l.epoch++
	l.dropped = nil
	l.mu.Unlock()
}

// invalidate drops what a commit on ref may have changed; lineage reports whether the
// commit changed a unit's lineage, and awards, for a campaign's commit that only granted
// or revoked awards, lists the units of their lineages (nil for any other commit). The
// caller holds the model's write lock.
func (l *liveEvals) invalidate(ref eventstore.Ref, lineage bool, awards []string) {
	switch ref.Kind {
	case domain.KindNomination:
		l.mu.Lock()
		l.drop(ref.ID)
		l.mu.Unlock()
		return
	case domain.KindUnit:
		if lineage {
			break
		}
		l.mu.Lock()
		for id := range l.readers[ref.ID] {
			l.drop(id)
		}
		delete(l.readers, ref.ID)
		l.mu.Unlock()
		return
	case domain.KindCampaign:
		if awards == nil {
			break
		}
		l.mu.Lock()
		for _, u := range awards {
			for id := range l.readers[u] {
				l.drop(id)
			}
			delete(l.readers, u)
		}
		l.mu.Unlock()
		return
	}
	l.clear()
}

// evalScratch is what one ranking worker evaluates each nomination in: the nomination
// folded as of the bound, when the bound needs a fresh fold, and the evaluation. A
// ranking as of a past moment made both afresh for each of a campaign's nominations;
// they were a third of its garbage.
type evalScratch struct {
	nom  domain.Nomination
	eval evalResult
}

// rankEval evaluates one nomination at the bound for a ranking. A nomination whose state
// alone rules it out (domain.StateRulesOut) is not evaluated further: it is not eligible
// whatever its unit's evidence. It returns the units whose evidence the evaluation read
// (for the live cache) and false when the nomination did not exist at the bound. The
// caller holds the read lock. The evaluation is made in sc, which the caller may reuse
// for the next nomination once this returns.
func (m *Model) rankEval(id string, b Bound, cache *evalCache, sc *evalScratch) (rankedEval, []string, bool) {
	n, last, err := m.nominationInto(id, b, &sc.nom)
	if err != nil {
		return rankedEval{}, nil, false
	}
	if domain.StateRulesOut(n) {
		re := rankedEval{found: true}
		if last != nil {
			re.lastSeq, re.lastAt = last.Rec.Seq, last.Rec.At
		}
		if n.State() == domain.StateOnHold {
			re.held = &heldNominee{unit: strings.Clone(n.Unit()), name: strings.Clone(n.Nominee().Name), kind: n.Nominee().Kind}
		}
		return re, nil, true
	}
	r := &sc.eval
	if err := m.evalInto(r, id, n, last, b, cache, false); err != nil {
		return rankedEval{}, nil, false
	}
	re := rankedEval{found: true, lastSeq: r.lastSeq, lastAt: r.lastAt, eligible: r.el.Eligible}
	if r.el.Eligible {
		c := candidate(r)
		re.kind, re.cand = r.nom.Nominee().Kind, &c
	}
	var units []string
	if b.Live() {
		units = m.lineage(r.nom.Unit(), b)
	}
	return re, units, true
}
