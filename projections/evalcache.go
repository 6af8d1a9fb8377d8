package projections

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"thidua/domain"
)

// A ranking evaluates every nomination of a campaign at one bound. What those
// evaluations share — the campaign as of the bound, and each unit's evidence (facts and
// plan, over its lineage) — is folded once per ranking here instead of once per
// nomination, and the nominations are evaluated on every core. The results are those of
// evalAt one by one: the cached fold is the same fold, and what it noted (the latest
// event it relied on) is noted again for every nomination that uses it.

// evalCache holds, for one bound, the campaigns and unit evidence folded so far. It is
// safe for concurrent use; the model's read lock is held by the caller throughout.
type evalCache struct {
	mu    sync.Mutex
	camps map[string]*cachedCampaign
	units map[evidenceKey]*cachedEvidence
}

// evidenceKey names the evidence of the nominations that share a path of units (see
// domain.Nomination.EvidencePath; "\x00"-joined) in a campaign.
type evidenceKey struct {
	path, campaign string
	gaps           bool // read with the rules' revision 3 gaps (evidenceReading.absorbed)
}

type cachedCampaign struct {
	c    *domain.Campaign
	last *Entry // the latest entry the fold noted (nil: none)
}

type cachedEvidence struct {
	facts *domain.FactSet
	plan  *domain.PlanRef
	last  *Entry
}

func newEvalCache() *evalCache {
	return &evalCache{camps: map[string]*cachedCampaign{}, units: map[evidenceKey]*cachedEvidence{}}
}

// latest returns a note function keeping the entry with the highest sequence (the first
// one of that sequence), as evalAt's note keeps its sequence and time.
func latest(last **Entry) func(*Entry) {
	return func(e *Entry) {
		if *last == nil || e.Rec.Seq > (*last).Rec.Seq {
			*last = e
		}
	}
}

// campaignAtCached is campaignAt, shared through cache when there is one.
func (m *Model) campaignAtCached(id string, b Bound, note func(*Entry), cache *evalCache) *domain.Campaign {
	if cache == nil {
		return m.campaignAt(id, b, note)
	}
	cache.mu.Lock()
	cc, ok := cache.camps[id]
	cache.mu.Unlock()
	if !ok {
		cc = &cachedCampaign{}
		cc.c = m.campaignAt(id, b, latest(&cc.last))
		cache.mu.Lock()
		cache.camps[id] = cc
		cache.mu.Unlock()
	}
	if cc.last != nil {
		note(cc.last)
	}
	return cc.c
}

// unitEvidenceCached is unitEvidence, shared through cache when there is one. The fact
// set and the plan it returns are then shared: evaluations only read them.
func (m *Model) unitEvidenceCached(n *domain.Nomination, b Bound, subs evidenceReading, note func(*Entry), cache *evalCache) (*domain.FactSet, *domain.PlanRef) {
	campaign := n.Campaign()
	path := func() []string { return []string{n.Unit()} }
	key := evidenceKey{path: n.Unit(), campaign: campaign, gaps: subs.absorbed.Gaps}
	if n.Transferred() {
		p := n.EvidencePath()
		path = func() []string { return p }
		key.path = strings.Join(p, "\x00")
	}
	if cache == nil {
		return m.unitEvidence(path(), campaign, b, subs, note)
	}
	cache.mu.Lock()
	ce, ok := cache.units[key]
	cache.mu.Unlock()
	if !ok {
		ce = &cachedEvidence{}
		ce.facts, ce.plan = m.unitEvidence(path(), campaign, b, subs, latest(&ce.last))
		cache.mu.Lock()
		cache.units[key] = ce
		cache.mu.Unlock()
	}
	if ce.last != nil {
		note(ce.last)
	}
	return ce.facts, ce.plan
}

// rankedEval is what a ranking keeps of one nomination's evaluation. A ranking holds one
// per nomination of the campaign (and the live cache one per nomination): the candidate,
// made for the eligible ones only, is held by reference to keep them small.
type rankedEval struct {
	found    bool // it existed at the bound
	eligible bool
	lastSeq  uint64
	lastAt   time.Time
	kind     domain.NomineeKind
	cand     *domain.Candidate // eligible ones only; never changed once made
	// held is a nomination on hold: its unit, its kind and its nominee's name, which keep
	// the same person's other nominations in the unit (domain.WithheldPersonOnHold), or the
	// unit's other collective nominations (domain.WithheldUnitOnHold), from being
	// recommended. Never changed once made.
	held *heldNominee
}

// heldNominee is a nomination on hold, for the ranking (rankedEval.held).
type heldNominee struct {
	unit, name string
	kind       domain.NomineeKind
}

// evalAll evaluates the nominations at the bound on every core, sharing one cache, and
// returns the results in the order of ids. Live, it takes what the live cache holds
// (liveeval.go) and evaluates only the rest. The caller holds the read lock, unless lock:
// then each chunk takes it (a past bound only, pinned to a sequence: see rankingAsOf).
func (m *Model) evalAll(ids []string, b Bound, lock bool) []rankedEval {
	out := make([]rankedEval, len(ids))
	todo := make([]int, 0, len(ids))
	if b.Live() {
		m.live.mu.Lock()
		for i, id := range ids {
			if r, ok := m.live.get(id); ok {
				out[i] = r
			} else {
				todo = append(todo, i)
			}
		}
		m.live.mu.Unlock()
	} else {
		for i := range ids {
			todo = append(todo, i)
		}
	}
	m.evalSome(ids, todo, out, b, lock)
	return out
}

// evalChunk is how many nominations a ranking evaluates under one hold of the read lock,
// when it takes the lock per chunk.
const evalChunk = 64

// evalSome evaluates the nominations ids[i], for each i of todo, at the bound into out[i],
// on every core. The caller holds the read lock, unless lock: then each chunk of evalChunk
// nominations takes it, so that commands go on between chunks. Live, each evaluation goes
// into the live cache within the hold it was made in, when it is the state's: a commit
// applied after drops it if it may change it (liveEvals.invalidate). Live and with lock,
// what another reader cached meanwhile is not evaluated again, and what the chunks share
// (the campaign, each unit's evidence: evalCache) is folded again after a commit, since
// the state it was folded from is gone; a past bound is pinned, so its folds hold.
func (m *Model) evalSome(ids []string, todo []int, out []rankedEval, b Bound, lock bool) {
	if len(todo) == 0 {
		return
	}
	live := b.Live()
	var shared struct {
		sync.Mutex
		cache   *evalCache
		version int
	}
	// cacheNow returns the evalCache for the model's state; the caller holds the read lock.
	cacheNow := func() *evalCache {
		v := 0
		if live && lock {
			v = m.rankVersion()
		}
		shared.Lock()
		defer shared.Unlock()
		if shared.cache == nil || shared.version != v {
			shared.cache, shared.version = newEvalCache(), v
		}
		return shared.cache
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), (len(todo)+evalChunk-1)/evalChunk)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc evalScratch
			var units [evalChunk][]string
			for {
				start := int(next.Add(evalChunk)) - evalChunk
				if start >= len(todo) {
					return
				}
				chunk := todo[start:min(start+evalChunk, len(todo))]
				if lock {
					m.rlock()
				}
				cache := cacheNow()
				for k, i := range chunk {
					if live && lock {
						m.live.mu.Lock()
						r, done := m.live.get(ids[i])
						m.live.mu.Unlock()
						if done {
							out[i], units[k] = r, nil
							continue
						}
					}
					re, us, ok := m.rankEval(ids[i], b, cache, &sc)
					if !ok {
						re = rankedEval{} // opened after the bound, or not to be evaluated
					}
					out[i], units[k] = re, us
				}
				if live {
					m.live.mu.Lock()
					for k, i := range chunk {
						m.live.put(ids[i], out[i], units[k])
					}
					m.live.mu.Unlock()
				}
				if lock {
					m.mu.RUnlock()
				}
			}
		}()
	}
	wg.Wait()
}
