package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	tr "github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// waiting returns the number of commands holding or awaiting ref's lock.
func (r *raceLocks) waiting(ref eventstore.Ref) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.locks[ref]; l != nil {
		return l.users
	}
	return 0
}

// TestRaceLockWaiterWatchesItsContext: a command waiting for another command's race lock
// stops waiting when its context ends (its client gone), with the context's error, and
// holds nothing afterwards; the lock goes on to the next waiter and is forgotten once
// nobody holds or awaits it. Before, a waiter waited for the holder whatever its context.
func TestRaceLockWaiterWatchesItsContext(t *testing.T) {
	t.Parallel()
	var r raceLocks
	ref := eventstore.Ref{Kind: "unit", ID: "u1"}
	unlock, err := r.lock(context.Background(), ref)
	tr.NoError(t, err)

	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		ctx, cancel := tc.ctx()
		u, err := r.lock(ctx, ref)
		cancel()
		assert.Nil(t, u, tc.name)
		assert.True(t, errors.Is(err, tc.want), "%s: %v", tc.name, err)
		assert.Equal(t, 1, r.waiting(ref), "%s: only the holder is left", tc.name)
	}

	got := make(chan func())
	go func() {
		u, err := r.lock(context.Background(), ref)
		assert.NoError(t, err)
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("a second command took the lock while the first held it")
	case <-time.After(30 * time.Millisecond):
	}
	unlock()
	var next func()
	select {
	case next = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not get the lock once it was released")
	}
	assert.Equal(t, 1, r.waiting(ref))
	next()
	assert.Equal(t, 0, r.waiting(ref))
	assert.Empty(t, r.locks, "a lock nobody holds or awaits is forgotten")
}
