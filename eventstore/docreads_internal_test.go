package eventstore

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocumentReadsWaitTheirTurn: document reads go a few at a time. Many at once all
// get their bytes; one that finds every read taken and runs out of time waiting is
// answered with its context's error, never named a corrupt document.
func TestDocumentReadsWaitTheirTurn(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("%PDF-1.4 "), 200_000) // 1.8 MB, 15 chunks
	d, err := s.PutDocument(ctx, "big.pdf", "application/pdf", bytes.NewReader(data))
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 3*maxDocumentReads)
	for range 3 * maxDocumentReads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.GetDocument(ctx, d.SHA256)
			if err == nil && !bytes.Equal(got, data) {
				err = errors.New("other bytes")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}

	// Every read taken: a read that cannot wait is not a damaged document.
	for range maxDocumentReads {
		s.docReads <- struct{}{}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = s.GetDocument(short, d.SHA256)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrDocumentCorrupt)
	for range maxDocumentReads {
		<-s.docReads
	}
	got, err := s.GetDocument(ctx, d.SHA256)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}
