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

// TestDocumentCheckCutShortNamesNothing: a check of the document store whose reads end
// for another reason than a missing or changed document (the server stopping, its
// context ended) fails as a check and names no document. Before, every document read
// after a stop's cancellation was listed as a problem, at error level (a review finding).
func TestDocumentCheckCutShortNamesNothing(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	for i := range 3 {
		_, err := s.PutDocumentBytes(ctx, "p.pdf", "application/pdf", []byte{'%', 'P', 'D', 'F', byte('0' + i)})
		require.NoError(t, err)
	}
	problems, n, err := s.VerifyDocuments(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Equal(t, 3, n)

	// Every read taken: the check's reads wait until its context ends.
	for range maxDocumentReads {
		s.docReads <- struct{}{}
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	problems, _, err = s.VerifyDocuments(short)
	for range maxDocumentReads {
		<-s.docReads
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, problems, "no document named for a check cut short")
}
