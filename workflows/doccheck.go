package workflows

import (
	"context"
	"fmt"
	"time"

	"thidua/eventstore"
)

// DocumentCheck is the outcome of a check of the document store by a running server
// (CheckDocuments): every stored document read against its SHA-256, and every document
// the events cite looked for.
type DocumentCheck struct {
	// At is when the check finished.
	At time.Time `json:"checked_at"`
	// Checked is the number of documents stored.
	Checked int `json:"checked"`
	// Problems are the documents missing or changed, in the order found.
	Problems []eventstore.DocumentProblem `json:"problems"`
}

// CheckDocuments checks the document store as thidua verify does on a stopped server:
// every stored document is read and its bytes checked against its SHA-256, and every
// document the events cite (dossiers, plans, evidence) must be stored. The outcome is kept
// for DocumentChecks and returned. The events alone cannot tell a document removed or
// changed behind the engine's back (a review finding: the running server's integrity
// report said all was well over a dossier whose letter was gone); serve runs it in the
// background, a few reads at a time.
func (s *Service) CheckDocuments(ctx context.Context) (DocumentCheck, error) {
	select {
	case <-s.model.PayloadsDecoded(): // every citation known
	case <-ctx.Done():
		return DocumentCheck{}, fmt.Errorf("check documents: %w", ctx.Err())
	}
	problems, n, err := s.store.VerifyDocuments(ctx, s.model.CitedDocuments()...)
	if err != nil {
		return DocumentCheck{}, fmt.Errorf("check documents: %w", s.documentError(err))
	}
	c := DocumentCheck{At: s.Now(), Checked: n, Problems: problems}
	if c.Problems == nil {
		c.Problems = []eventstore.DocumentProblem{}
	}
	s.docCheck.Store(&c)
	return c, nil
}

// DocumentChecks returns the latest check of the document store (CheckDocuments), and
// false when none has finished since the server started.
func (s *Service) DocumentChecks() (DocumentCheck, bool) {
	if c := s.docCheck.Load(); c != nil {
		return *c, true
	}
	return DocumentCheck{}, false
}
