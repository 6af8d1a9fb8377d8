package workflows

import (
	"sync"

	"thidua/eventstore"
)

// raceLocks serialises, within one process, the commands that lost a race on the same
// aggregate: a loser takes the aggregate's lock before it decides again, so that the
// losers of one burst (thirty openings in one unit at once, all meeting the unit's
// sequence check) go one after the other instead of racing again, each time all but one
// losing. Commands that have not lost a race take no lock; the sequence check still
// decides between them and across processes.
type raceLocks struct {
	mu    sync.Mutex
	locks map[eventstore.Ref]*raceLock
}

// raceLock is one aggregate's lock and the number of commands holding or awaiting it.
type raceLock struct {
	mu    sync.Mutex
	users int
}

// lock takes ref's lock and returns the function that releases it.
func (r *raceLocks) lock(ref eventstore.Ref) (unlock func()) {
	r.mu.Lock()
	if r.locks == nil {
		r.locks = map[eventstore.Ref]*raceLock{}
	}
	l := r.locks[ref]
	if l == nil {
		l = &raceLock{}
		r.locks[ref] = l
	}
	l.users++
	r.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		r.mu.Lock()
		if l.users--; l.users == 0 {
			delete(r.locks, ref)
		}
		r.mu.Unlock()
	}
}
