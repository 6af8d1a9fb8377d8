package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"thidua/domain"
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
	c := DocumentCheck{At: s.Now(), Checked: n}
	// What is stored now, from one listing: a problem's document that is not there is
	// still missing, and not read again. Asked of the store one by one, the problems of a
	// store that lost its documents took 70 s at a million events (292,569 of them).
	var stored map[string]bool
	if names, err := s.store.StoredDocuments(ctx); err == nil {
		stored = make(map[string]bool, len(names))
		for _, sha := range names {
			stored[sha] = true
		}
	}
	c.Problems = keptProblems(problems, cited,
		func(sha string) bool {
			if stored != nil {
				return !stored[sha]
			}
			_, err := s.store.DocumentInfo(ctx, sha)
			return errors.Is(err, eventstore.ErrDocumentNotFound)
		},
		func(sha string) bool {
			if stored != nil && !stored[sha] {
				return false
			}
			_, err := s.store.GetDocument(ctx, sha)
			return err == nil
		})
	s.docCheck.Store(&c)
	return c, nil
}

// keptProblems returns the problems a check of the document store keeps of those it
// found (never nil): not a document no event cites that is gone now (listed, then removed
// by a sweep, this server's or another's, while the check ran: a review finding, the daily
// check a minute after a sweep began reported swept files), nor one whole now (repaired
// while the check ran, which a store of thousands of files makes minutes long, so that
// documentWhole found nothing to drop then: another). Both are asked of the few problems
// only.
func keptProblems(problems []eventstore.DocumentProblem, cited []string, gone, whole func(sha string) bool) []eventstore.DocumentProblem {
	kept := []eventstore.DocumentProblem{}
	// A set: a store whose documents were lost has as many problems as citations, and a
	// look through the list for each took 12 minutes of a core at a million events (a
	// review finding).
	isCited := make(map[string]bool, len(cited))
	for _, sha := range cited {
		isCited[sha] = true
	}
	for _, p := range problems {
		if !isCited[p.SHA256] && gone(p.SHA256) {
			continue
		}
		if whole(p.SHA256) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
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

// RestoreDocument stores again, from its original, a document the events cite (a dossier
// part, a plan, a fact's evidence) that the store no longer holds whole, removed or
// changed behind the engine's back. It records nothing: the events already cite those
// bytes, and a file no event cites is refused (document_not_cited), so nothing new enters
// the store this way. An administrator restores any document, a clerk one their unit may
// read (a clerk is refused a file no event cites as one of another unit: forbidden). Before, the only repair of a submitted dossier's file was to return the dossier, so
// that the clerk could attach it again, and every ruling went back to pending (a review
// finding: the grant's refusal told the council to upload it again, which no role could).
func (s *Service) RestoreDocument(ctx context.Context, p Principal, up Upload) (eventstore.Document, error) {
	if err := require(p, domain.RoleAdmin, domain.RoleClerk); err != nil {
		return eventstore.Document{}, err
	}
	if up.Body == nil && up.Data == nil {
		return eventstore.Document{}, errorf(ErrInvalidInput, "file_required", "a file is required")
	}
	data, err := up.content(s.store.MaxDocumentSize())
	if err != nil {
		return eventstore.Document{}, err
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if p.Role == domain.RoleClerk {
		// A clerk's scope first: a file no event cites and one another unit's events cite
		// are refused alike, as a download refuses them, so that the answer does not tell
		// a clerk whether a file is in another unit's dossier (a review finding).
		if err := s.mayReadDocument(p, sha); err != nil {
			return eventstore.Document{}, err
		}
	}
	if !s.model.DocumentCited(sha) {
		return eventstore.Document{}, &domain.RuleError{Code: "document_not_cited",
			Message:   fmt.Sprintf("no event cites a document of SHA-256 %s: only a document the events cite is restored (a new one is filed with its dossier, plan or fact)", sha),
			MessageVI: fmt.Sprintf("Không có sự kiện nào dẫn chiếu tài liệu có mã SHA-256 %s: chỉ khôi phục được tài liệu đã được dẫn chiếu (tài liệu mới được nộp cùng hồ sơ, kế hoạch hoặc số liệu)", sha)}
	}
	if err := s.mayReadDocument(p, sha); err != nil {
		return eventstore.Document{}, err
	}
	name, ctype := domain.CleanFileName(up.Name), domain.CleanContentType(up.ContentType)
	d, err := s.store.PutDocumentBytes(ctx, name, ctype, data)
	if err != nil {
		return d, s.storeError(err)
	}
	s.documentWhole(sha)
	s.log.Info("document restored from its original", "sha256", sha, "by", p.UserID)
	return d, nil
}
