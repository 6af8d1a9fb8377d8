package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// backgroundGrace is how long a stop waits for serve's background work to end once it is
// told to, before the store closes under what is left of it.
const backgroundGrace = 10 * time.Second

// background runs serve's background work — the check of the stream against the
// snapshot, the digest's reading, the snapshots, the sweeps and the watches — so that a
// stop can end it before the store it reads closes: without it, a stop closed the store
// under a read of the stream, which then said so in the log, or retried.
type background struct {
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running atomic.Int64
}

// newBackground returns a background whose work ends when ctx does, or at stop.
func newBackground(ctx context.Context) *background {
	b := &background{}
	b.ctx, b.cancel = context.WithCancel(ctx)
	return b
}

// Go runs fn in a goroutine of its own with the background's context.
func (b *background) Go(fn func(ctx context.Context)) {
	b.wg.Add(1)
	b.running.Add(1)
	go func() {
		defer b.wg.Done()
		defer b.running.Add(-1)
		fn(b.ctx)
	}()
}

// stop tells the work to end and waits for it, at most grace; it reports whether all of
// it ended, and logs what did not.
func (b *background) stop(grace time.Duration, logger *slog.Logger) bool {
	b.cancel()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(grace):
		logger.Warn("stopping: background work still running; the store closes under it", "tasks", b.running.Load(), "waited", grace)
		return false
	}
}
