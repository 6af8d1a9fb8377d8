package projections

import "slices"

// liveBase is what a campaign's latest live ranking took as its inputs: the evaluation of
// each nomination of the campaign's list then, in the list's order, with the drop log's
// point then. The next live ranking starts from it. A nomination's evaluation cached
// then is the cache's still unless the cache dropped it since, and every drop is logged
// (liveEvals.drop); so the next ranking takes again from the cache only the nominations
// dropped since and those opened since, instead of looking up every nomination under the
// read lock (100,000 map lookups, half of a live ranking's time after one write).
//
// A base is installed and replaced under the write lock and read under the read lock;
// its evaluations never change once installed.
type liveBase struct {
	evals []rankedEval
	// last is the list's last nomination then: a check that the list is the same one.
	last string
	// mark is the drop log's point then, reorders the model's count of openings inserted
	// before a list's end then, version the ranking's version (rankVersion).
	mark     logMark
	reorders uint64
	version  int
	// pos is each nomination's place in the list, shared by the campaign's successive
	// bases and grown under the write lock as the list grows at its end.
	pos map[string]int32
	// installed numbers the installations of bases (Model.baseStamp): every live ranking
	// computed installs its own, so the lowest is the campaign ranked longest ago.
	installed uint64
}

// liveBaseLimit is how many campaigns keep a base: a base is about 7.5 MB at 100,000
// nominations, and a deployment ranks a few campaigns live at a time (the year's
// movements); the one ranked longest ago loses its base first, and its next live
// ranking looks up every evaluation again, as before bases were kept.
const liveBaseLimit = 8

// liveTake is what a live ranking took under its one hold of the read lock, beside its
// inputs: the drop log's point and the model's count of reorders then, for its base.
type liveTake struct {
	mark     logMark
	reorders uint64
}

// baseDelta compares the campaign's list of nominations, ids, with its base. When evals
// is not nil (len(ids) of them), it copies the base's evaluations into it and takes from
// the cache those of the nominations dropped or opened since. It returns the places in
// ids whose evaluation the cache lacks, in order, and false when there is no base to
// start from: none yet, a new epoch of the drop log since, or a list that changed other
// than at its end. The caller holds the read lock and m.live.mu.
func (m *Model) baseDelta(campaign string, ids []string, evals []rankedEval) ([]int, bool) {
	b := m.liveBases[campaign]
	if b == nil || b.reorders != m.reorders || len(ids) < len(b.evals) {
		return nil, false
	}
	n := len(b.evals)
	if n > 0 && ids[n-1] != b.last {
		return nil, false
	}
	dropped, ok := m.live.since(b.mark)
	if !ok {
		return nil, false
	}
	if evals != nil {
		copy(evals, b.evals)
	}
	var todo []int
	take := func(i int) {
		r, ok := m.live.get(ids[i])
		switch {
		case !ok:
			todo = append(todo, i)
		case evals != nil:
			evals[i] = r
		}
	}
	for _, id := range dropped {
		if p, ok := b.pos[id]; ok && int(p) < n {
			take(int(p))
		} // else another campaign's nomination, or one opened since
	}
	for i := n; i < len(ids); i++ {
		take(i)
	}
	slices.Sort(todo)
	return slices.Compact(todo), true
}

// keepBase installs a live ranking's inputs as its campaign's base, unless the base
// installed is of a later version, or openings were inserted in the list since the
// inputs were taken (the list's places moved), or the list holds a nomination twice (a
// second opening forged on the stream: a place per nomination is what a base keeps),
// in which two cases the campaign has no base. It returns
// the evaluations nobody reads any more (the base replaced, or evals when not
// installed), for reuse. The caller holds the write lock.
func (m *Model) keepBase(campaign string, evals []rankedEval, version int, t liveTake) []rankedEval {
	old := m.liveBases[campaign]
	if old != nil && old.version > version {
		return evals
	}
	// noBase leaves the campaign without a base; the evaluations of the one it had, or
	// else these, are free.
	noBase := func() []rankedEval {
		delete(m.liveBases, campaign)
		if old != nil {
			return old.evals
		}
		return evals
	}
	if t.reorders != m.reorders {
		return noBase()
	}
	ids := m.byCamp[campaign][:len(evals)] // the same places: nothing inserted since
	b := &liveBase{evals: evals, mark: t.mark, reorders: t.reorders, version: version}
	if len(ids) > 0 {
		b.last = ids[len(ids)-1]
	}
	from := 0
	if old != nil && old.reorders == t.reorders && len(old.evals) <= len(ids) {
		b.pos, from = old.pos, len(old.evals)
	} else {
		b.pos = make(map[string]int32, len(ids))
	}
	for i := from; i < len(ids); i++ {
		if _, twice := b.pos[ids[i]]; twice {
			return noBase()
		}
		b.pos[ids[i]] = int32(i)
	}
	m.baseStamp++
	b.installed = m.baseStamp
	m.liveBases[campaign] = b
	limit := m.baseLimit
	if limit == 0 {
		limit = liveBaseLimit
	}
	if len(m.liveBases) > limit {
		oldest := ""
		for c, ob := range m.liveBases {
			if oldest == "" || ob.installed < m.liveBases[oldest].installed {
				oldest = c
			}
		}
		delete(m.liveBases, oldest) // never the one just installed: it is the newest
	}
	if old != nil {
		return old.evals
	}
	return nil
}
