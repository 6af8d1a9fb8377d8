package main

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBackgroundStop: a stop tells the work to end and waits for it; work that does not
// end within the grace is named in the log, and the stop goes on.
func TestBackgroundStop(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))

	b := newBackground(context.Background())
	var ended atomic.Int32
	for range 3 {
		b.Go(func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond) // winding down after being told
			ended.Add(1)
		})
	}
	assert.True(t, b.stop(5*time.Second, logger))
	assert.Equal(t, int32(3), ended.Load(), "every task ended before stop returned")
	assert.Empty(t, log.String())

	stuck := newBackground(context.Background())
	release := make(chan struct{})
	defer close(release)
	stuck.Go(func(context.Context) { <-release }) // does not listen
	stuck.Go(func(ctx context.Context) { <-ctx.Done() })
	assert.False(t, stuck.stop(50*time.Millisecond, logger))
	assert.Contains(t, log.String(), "background work still running")
	assert.Contains(t, log.String(), "tasks=1")

	// The parent's end ends the work too.
	parent, cancel := context.WithCancel(context.Background())
	child := newBackground(parent)
	ran := make(chan struct{})
	child.Go(func(ctx context.Context) { <-ctx.Done(); close(ran) })
	cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the parent's end did not reach the work")
	}
	assert.True(t, child.stop(time.Second, logger))
}
