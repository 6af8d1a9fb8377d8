package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	cited := s.model.CitedDocuments()
	problems, n, err := s.store.VerifyDocuments(ctx, cited...)
	if err != nil {
		return DocumentCheck{}, fmt.Errorf("check documents: %w", s.documentError(err))
	}
	c := DocumentCheck{At: s.Now(), Checked: n, Problems: []eventstore.DocumentProblem{}}
	for _, p := range problems {
		if !slices.Contains(cited, p.SHA256) {
			// Listed, then gone when read: an upload no event cites, removed by a sweep
			// meanwhile (this server's or another's), is no problem (a review finding:
			// the daily check, a minute after a sweep began, reported swept files).
			if _, err := s.store.DocumentInfo(ctx, p.SHA256); errors.Is(err, eventstore.ErrDocumentNotFound) {
				continue
			}
		}
		c.Problems = append(c.Problems, p)
	}
	// A document repaired while the check ran (a store of thousands of files takes
	// minutes) found nothing to drop then (documentWhole): each problem, few as they are,
	// is read again before the outcome is kept (a review finding).
	c.Problems = slices.DeleteFunc(c.Problems, func(p eventstore.DocumentProblem) bool {
		_, err := s.store.GetDocument(ctx, p.SHA256)
		return err == nil
	})
	s.docCheck.Store(&c)
	return c, nil
}

// documentWhole drops the document sha from the latest check's problems once it has been
// read whole, or stored again from its original (which repairs it): a repair is not
// reported for a day after (a review finding).
func (s *Service) documentWhole(sha string) {
	for {
		old := s.docCheck.Load()
		if old == nil || !slices.ContainsFunc(old.Problems, func(p eventstore.DocumentProblem) bool { return p.SHA256 == sha }) {
			return
		}
		c := *old
		c.Problems = slices.DeleteFunc(slices.Clone(old.Problems), func(p eventstore.DocumentProblem) bool { return p.SHA256 == sha })
		if s.docCheck.CompareAndSwap(old, &c) {
			return
		}
	}
}

// DocumentChecks returns the latest check of the document store (CheckDocuments), and
// false when none has finished since the server started.
func (s *Service) DocumentChecks() (DocumentCheck, bool) {
	if c := s.docCheck.Load(); c != nil {
		return *c, true
	}
	return DocumentCheck{}, false
}
