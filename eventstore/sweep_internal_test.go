package eventstore

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noCitations cites nothing, and says when it was first asked.
type noCitations struct{ asked atomic.Bool }

func (*noCitations) WaitFor(context.Context, uint64) error { return nil }

func (*noCitations) UnreadEvents() int { return 0 }

func (c *noCitations) DocumentCited(string) bool {
	c.asked.Store(true)
	return false
}

// TestSweepLosesToAReuploadWhileItReads: an upload of the same bytes that renews a document
// while the sweep is reading it (after the sweep read its description) keeps it: the
// removal is conditional on the description read. And an upload that comes after a
// removal stores the bytes again. Before, the sweep removed the document the upload was
// about to cite.
func TestSweepLosesToAReuploadWhileItReads(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	d, err := s.PutDocument(ctx, "plan.pdf", "application/pdf", strings.NewReader("%PDF-1.4 plan"))
	require.NoError(t, err)
	time.Sleep(400 * time.Millisecond)

	// Every read taken: the sweep waits inside, its description read, its bytes not.
	for range maxDocumentReads {
		s.docReads <- struct{}{}
	}
	c := &noCitations{}
	done := make(chan UncitedSweep, 1)
	go func() {
		sw, err := s.SweepUncitedDocuments(ctx, 300*time.Millisecond, c)
		assert.NoError(t, err)
		done <- sw
	}()
	require.Eventually(t, c.asked.Load, 5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // into removeUncited's read
	require.True(t, s.touchDocument(ctx, d.SHA256), "an upload of the same bytes renews it")
	for range maxDocumentReads {
		<-s.docReads
	}
	assert.Equal(t, UncitedSweep{}, <-done)
	_, err = s.GetDocument(ctx, d.SHA256)
	require.NoError(t, err, "kept")

	// Removed by a sweep, the same bytes uploaded again are stored again.
	time.Sleep(400 * time.Millisecond)
	sw, err := s.SweepUncitedDocuments(ctx, 300*time.Millisecond, &noCitations{})
	require.NoError(t, err)
	require.Equal(t, 1, sw.Removed)
	assert.False(t, s.touchDocument(ctx, d.SHA256), "removed: nothing to renew")
	again, err := s.PutDocument(ctx, "plan.pdf", "application/pdf", strings.NewReader("%PDF-1.4 plan"))
	require.NoError(t, err)
	got, err := s.GetDocument(ctx, again.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 plan", string(got))
}
