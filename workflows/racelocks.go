package workflows

import (
	"context"
	"fmt"
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

// raceLock is one aggregate's lock (a token in a channel of one) and the number of
// commands holding or awaiting it.
type raceLock struct {
	token chan struct{}
	users int
}

// lock takes ref's lock and returns the function that releases it. A command whose
// context ends while it waits (its client gone, its deadline passed) stops waiting and
// gets the context's error, holding nothing.
func (r *raceLocks) lock(ctx context.Context, ref eventstore.Ref) (unlock func(), err error) {
	r.mu.Lock()
	if r.locks == nil {
		r.locks = map[eventstore.Ref]*raceLock{}
	}
	l := r.locks[ref]
	if l == nil {
		l = &raceLock{token: make(chan struct{}, 1)}
		r.locks[ref] = l
	}
	l.users++
	r.mu.Unlock()
	release := func() {
		r.mu.Lock()
		if l.users--; l.users == 0 {
			delete(r.locks, ref)
		}
		r.mu.Unlock()
	}
	select {
	case l.token <- struct{}{}:
		return func() { <-l.token; release() }, nil
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("waiting for the other commands on %s: %w", ref, ctx.Err())
	}
}
