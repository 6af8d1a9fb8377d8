package eventstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// citations is what a sweep is told the events cite: the documents in cited, with a hook
// run at each wait for the stream's end (an event appended meanwhile, say).
type citations struct {
	mu     sync.Mutex
	cited  map[string]bool
	waits  int
	onWait func(c *citations, wait int)
	unread int
}

func (c *citations) WaitFor(context.Context, uint64) error {
	c.mu.Lock()
	c.waits++
	wait, hook := c.waits, c.onWait
	c.mu.Unlock()
	if hook != nil {
		hook(c, wait)
	}
	return nil
}

func (c *citations) DocumentCited(sha string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cited[sha]
}

func (c *citations) UnreadEvents() int { return c.unread }

func (c *citations) cite(sha string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cited[sha] = true
}

// TestSweepUncitedDocuments: the sweep removes a stored document no event cites once it is
// old enough, and leaves the cited ones and the recent ones alone.
func TestSweepUncitedDocuments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	cited, err := s.PutDocument(ctx, "minutes.pdf", "application/pdf", strings.NewReader("%PDF-1.4 minutes"))
	require.NoError(t, err)
	refused, err := s.PutDocument(ctx, "late.pdf", "application/pdf", strings.NewReader("%PDF-1.4 refused upload"))
	require.NoError(t, err)
	c := &citations{cited: map[string]bool{cited.SHA256: true}}

	sw, err := s.SweepUncitedDocuments(ctx, eventstore.UncitedGrace, c)
	require.NoError(t, err)
	assert.Equal(t, eventstore.UncitedSweep{}, sw, "within the hour: kept")
	_, err = s.GetDocument(ctx, refused.SHA256)
	require.NoError(t, err)

	sw, err = s.SweepUncitedDocuments(ctx, 0, c)
	require.NoError(t, err)
	assert.Equal(t, eventstore.UncitedSweep{Removed: 1, Bytes: refused.Size}, sw)
	_, err = s.GetDocument(ctx, refused.SHA256)
	require.ErrorIs(t, err, eventstore.ErrDocumentNotFound)
	_, err = s.DocumentInfo(ctx, refused.SHA256)
	require.ErrorIs(t, err, eventstore.ErrDocumentNotFound)
	got, err := s.GetDocument(ctx, cited.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 minutes", string(got))
	problems, n, err := s.VerifyDocuments(ctx, cited.SHA256)
	require.NoError(t, err)
	assert.Empty(t, problems)
	assert.Equal(t, 1, n)
	left, err := s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{}, left, "its chunks went with it")

	// Uploaded again, the same bytes are stored again.
	again, err := s.PutDocument(ctx, "late.pdf", "application/pdf", strings.NewReader("%PDF-1.4 refused upload"))
	require.NoError(t, err)
	assert.Equal(t, refused.SHA256, again.SHA256)
	got, err = s.GetDocument(ctx, refused.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 refused upload", string(got))
}

// TestSweepPutsBackWhatBecameCited: a document an event cites by the time the sweep looks
// again after removing it (an upload of the same bytes whose command was appended
// meanwhile) is put back whole, under its name and type.
func TestSweepPutsBackWhatBecameCited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	doc, err := s.PutDocument(ctx, "report.pdf", "application/pdf", strings.NewReader("%PDF-1.4 report"))
	require.NoError(t, err)
	c := &citations{cited: map[string]bool{}, onWait: func(c *citations, wait int) {
		if wait == 2 { // the look again, after the removal
			c.cite(doc.SHA256)
		}
	}}
	sw, err := s.SweepUncitedDocuments(ctx, 0, c)
	require.NoError(t, err)
	assert.Equal(t, eventstore.UncitedSweep{Restored: 1}, sw)
	got, err := s.GetDocument(ctx, doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 report", string(got))
	info, err := s.DocumentInfo(ctx, doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, doc, info)
}

// TestSweepSparesAReupload: uploading bytes already stored marks them as uploaded now, so
// that the sweep leaves alone a document whose first upload is old but which an upload in
// flight is about to cite.
func TestSweepSparesAReupload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	doc, err := s.PutDocument(ctx, "plan.pdf", "application/pdf", strings.NewReader("%PDF-1.4 plan"))
	require.NoError(t, err)
	time.Sleep(2 * time.Second)
	// Uploaded again by another unit, under another name: the first upload's description
	// stays.
	_, err = s.PutDocument(ctx, "ke-hoach.pdf", "application/octet-stream", strings.NewReader("%PDF-1.4 plan"))
	require.NoError(t, err)
	c := &citations{cited: map[string]bool{}}
	// Older than 1.5 s: the first upload is, the second is not.
	sw, err := s.SweepUncitedDocuments(ctx, 1500*time.Millisecond, c)
	require.NoError(t, err)
	assert.Equal(t, eventstore.UncitedSweep{}, sw)
	info, err := s.DocumentInfo(ctx, doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, doc, info)
}

// TestSweepKeepsAllWhileEventsAreUnread: while the citations could not read some event (a
// later version's type, a damaged payload), the sweep removes nothing: such an event may
// cite a document it does not know of.
func TestSweepKeepsAllWhileEventsAreUnread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	doc, err := s.PutDocument(ctx, "evidence.pdf", "application/pdf", strings.NewReader("%PDF-1.4 evidence"))
	require.NoError(t, err)
	sw, err := s.SweepUncitedDocuments(ctx, 0, &citations{cited: map[string]bool{}, unread: 2})
	require.ErrorIs(t, err, eventstore.ErrUnreadCitations)
	assert.Contains(t, err.Error(), "(2; thidua verify names them)")
	assert.Equal(t, eventstore.UncitedSweep{}, sw)
	_, err = s.GetDocument(ctx, doc.SHA256)
	require.NoError(t, err)
}
