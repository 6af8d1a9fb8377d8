package eventstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocumentWritesWaitForTheirBudget: a document is written only when the bytes of the
// documents being written leave room for it (DefaultDocumentWriteBytes in all), so that
// their chunks fit the server's ingest queue (a review finding: eight uploads of 32 MiB at
// once overflowed the server's 128 MiB queue, which refused chunks as "too many
// requests", and most uploads were answered 503); a document larger than the budget takes
// all of it, alone; a write whose caller gives up while waiting says so.
func TestDocumentWritesWaitForTheirBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, WithDataDir(t.TempDir()), WithSyncAlways(false), func(o *options) { o.docWriteBytes = 1 << 20 })
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.docPuts.Acquire(ctx, 512<<10)) // a write of 512 KiB in flight
	done := make(chan error, 1)
	go func() {
		_, err := s.PutDocumentBytes(ctx, "lon.pdf", "application/pdf", make([]byte, 2<<20))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a document larger than the budget was written beside another: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.PutDocumentBytes(short, "nho.pdf", "application/pdf", make([]byte, 768<<10))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "waiting for the writes before it")
	s.docPuts.Release(512 << 10)
	require.NoError(t, <-done, "written once the budget is free")
	_, err = s.PutDocumentBytes(ctx, "nho.pdf", "application/pdf", make([]byte, 768<<10))
	require.NoError(t, err)
}
