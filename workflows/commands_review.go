package workflows

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// reviewerScope refuses a reviewer acting on their own unit (conflict of interest).
func reviewerScope(st *projections.State, p Principal, unit string) error {
	if ConflictOfInterest(st, p, unit) {
		return &Error{Kind: ErrForbidden, Code: "conflict_of_interest", Message: fmt.Sprintf("a reviewer of unit %s may not rule on that unit's nominations", p.Unit)}
	}
	return nil
}

// ConflictOfInterest reports whether reviewer p's own unit is unit, or shares a line of
// history with it: a predecessor of unit (whose nominations and facts unit carries on),
// its successor (which carries unit's on), or another unit merged into the same
// successor (whose nominations the successor carries on beside unit's). Such a reviewer
// may neither rule on the nominations of unit nor record its facts, which judge the
// nominations of the whole line (a merged unit's facts judge the nominations it passed to
// its successor).
func ConflictOfInterest(st *projections.State, p Principal, unit string) bool {
	if p.Role != domain.RoleReviewer || p.Unit == "" {
		return false
	}
	// One line end covers every case: a unit's predecessors, its successor and the units
	// merged beside it all end in the unit the mergers left (mergers are the only
	// reorganisation).
	return lineEnd(st, unit) == lineEnd(st, p.Unit)
}

// lineEnd returns the unit at the end of unit's line of successors: unit itself when it
// was merged into none, else its successor's line end.
func lineEnd(st *projections.State, unit string) string {
	for seen := 0; seen < 64; seen++ { // a line is a handful of mergers; a cycle is none
		u, _ := st.Unit(unit)
		if u == nil || u.Successor() == "" {
			return unit
		}
		unit = u.Successor()
	}
	return unit
}

// RuleInput is a reviewer's ruling on one criterion.
type RuleInput struct {
	// Result and Note are the ruling ("met", "not_met" or "not_applicable") and the
	// reviewer's grounds (at most 2,000 characters; required for "not_met" and
	// "not_applicable").
	Result, Note string
	// Document is the SHA-256 of a stored document cited as evidence (optional).
	Document string
}

// Rule records a reviewer's ruling on one criterion of a nomination.
func (s *Service) Rule(ctx context.Context, p Principal, id, criterion string, in RuleInput, o Options) (Result, error) {
	if err := require(p, domain.RoleReviewer); err != nil {
		return Result{}, err
	}
	doc, err := s.citedDocument(ctx, in.Document)
	if err != nil {
		return Result{}, err
	}
	return s.nominationCommand(ctx, p, id, o, func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error) {
		if err := reviewerScope(st, p, n.Unit()); err != nil {
			return nil, err
		}
		if doc != nil {
			if err := documentOfUnit(st, n.Unit(), doc.SHA256); err != nil {
				return nil, err
			}
		}
		return n.Rule(c.Definition(), criterion, in.Result, in.Note, ownFiling(st, n.Unit(), doc))
	})
}

// ownFiling returns the cited document doc as the unit's lineage filed it: with the name
// and type its own dossier or plan recorded, or neutral ones when the lineage did not
// file it. The store keeps the first upload's, which may be another unit's (the same
// bytes filed by two units): recorded in the unit's trail, it showed the unit's clerk
// another unit's file name (a review finding).
func ownFiling(st *projections.State, unit string, doc *domain.DocumentRef) *domain.DocumentRef {
	if doc == nil {
		return nil
	}
	out := *doc
	if own, ok := st.DocumentFiled(doc.SHA256, st.Lineage(unit)); ok {
		out.Name, out.ContentType = own.Name, own.ContentType
		if own.Name == "" {
			out.Name = doc.SHA256[:12] // filed without a name
		}
	} else {
		out.Name, out.ContentType = doc.SHA256[:12]+path.Ext(doc.Name), "application/octet-stream"
	}
	return &out
}

// documentOfUnit refuses a ruling's or a fact's citation of a document that is not the
// unit's or its lineage's (their dossiers, plans, facts' evidence): citing another unit's
// would give the unit's clerk that unit's document (document_not_of_unit). So is one no
// event refers to: only clerks upload, and a document stored but cited by nothing is an
// upload refused after its file was stored, another unit's perhaps (a review finding: it
// became the unit's, and its clerk could read it).
func documentOfUnit(st *projections.State, unit, sha string) error {
	owners := st.DocumentUnits(sha)
	lineage := st.Lineage(unit)
	for _, u := range owners {
		if slices.Contains(lineage, u) {
			return nil
		}
	}
	return &domain.RuleError{Code: "document_not_of_unit",
		Message:   fmt.Sprintf("document %s is not among the documents of unit %s (its dossiers, plans and facts): a ruling or a fact cites the unit's own evidence, and citing another unit's would show it to this unit's clerk", sha, unit),
		MessageVI: fmt.Sprintf("Tài liệu %s không thuộc hồ sơ, kế hoạch hay số liệu của đơn vị %s: kết luận và số liệu chỉ dẫn chứng tài liệu của chính đơn vị, dẫn tài liệu của đơn vị khác sẽ cho cán bộ đơn vị này xem tài liệu đó", sha, unit)}
}

// citedDocument checks that a cited document exists.
func (s *Service) citedDocument(ctx context.Context, sha string) (*domain.DocumentRef, error) {
	if sha == "" {
		return nil, nil
	}
	info, err := s.store.DocumentInfo(ctx, sha)
	if errors.Is(err, eventstore.ErrDocumentNotFound) || errors.Is(err, eventstore.ErrInvalidID) {
		return nil, &Error{Kind: ErrInvalidInput, Code: "unknown_document", Message: err.Error(), Err: err}
	}
	if err != nil {
		// The store down or slow is no fault of the request's.
		return nil, s.storeError(err)
	}
	return &domain.DocumentRef{ID: info.SHA256, SHA256: info.SHA256, Size: info.Size, Name: info.Name, ContentType: info.ContentType}, nil
}

// Return returns a nomination to its clerk for amendment (reviewer).
func (s *Service) Return(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	return s.reviewerAction(ctx, p, id, o, func(n *domain.Nomination) ([]domain.Event, error) { return n.Return(reason) })
}

// Hold puts a nomination on hold: discipline review, investigation or complaint (reviewer).
// A hold is noted on the nomination's unit too (domain.UnitHoldNoted), at the version
// read: an individual's withholds the same person's other nominations in the unit, a
// collective's the unit's other collective nomination (one a merger passed to it), and a
// grant of one of them, which appends to the unit as well, decides again on the hold
// instead of standing beside it (review findings: both stood, and the award went to a
// person under discipline review, or to a unit under inspection).
func (s *Service) Hold(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	if err := require(p, domain.RoleReviewer); err != nil {
		return Result{}, err
	}
	return s.nominationCommandAlso(ctx, p, id, id, o, func(st *projections.State, n *domain.Nomination, _ *domain.Campaign) ([]domain.Event, error) {
		if err := reviewerScope(st, p, n.Unit()); err != nil {
			return nil, err
		}
		return n.Hold(reason)
	}, func(st *projections.State, n *domain.Nomination, pl *plan) {
		if u, uv := st.Unit(n.Unit()); u != nil {
			pl.add(unitRef(n.Unit()), uv, domain.HoldNoted(n))
		}
	})
}

// Release lifts a hold (reviewer).
func (s *Service) Release(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	return s.reviewerAction(ctx, p, id, o, func(n *domain.Nomination) ([]domain.Event, error) { return n.Release(reason) })
}

func (s *Service) reviewerAction(ctx context.Context, p Principal, id string, o Options, fn func(n *domain.Nomination) ([]domain.Event, error)) (Result, error) {
	if err := require(p, domain.RoleReviewer); err != nil {
		return Result{}, err
	}
	return s.nominationCommand(ctx, p, id, o, func(st *projections.State, n *domain.Nomination, _ *domain.Campaign) ([]domain.Event, error) {
		if err := reviewerScope(st, p, n.Unit()); err != nil {
			return nil, err
		}
		return fn(n)
	})
}

// RecordFact records a verified fact about a unit for a campaign (reviewer).
func (s *Service) RecordFact(ctx context.Context, p Principal, unit string, f domain.FactRecordedData, o Options) (Result, error) {
	if err := require(p, domain.RoleReviewer); err != nil {
		return Result{}, err
	}
	if err := validID("unit", unit); err != nil {
		return Result{}, err
	}
	if err := validID("campaign", f.Campaign); err != nil {
		return Result{}, err
	}
	if f.Document != nil && f.Document.SHA256 != "" {
		doc, err := s.citedDocument(ctx, f.Document.SHA256)
		if err != nil {
			return Result{}, err
		}
		f.Document = doc
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		u, v := st.Unit(unit)
		if u == nil {
			return plan{}, notFound("unit", unit)
		}
		if ConflictOfInterest(st, p, unit) {
			return plan{}, &Error{Kind: ErrForbidden, Code: "conflict_of_interest", Message: fmt.Sprintf("a reviewer of unit %s may not record facts of %s: their own unit, or one of its line of mergers", p.Unit, unit)}
		}
		c, _ := st.Campaign(f.Campaign)
		if c == nil {
			return plan{}, notFound("campaign", f.Campaign)
		}
		fact := f
		if f.Document != nil {
			if err := documentOfUnit(st, unit, f.Document.SHA256); err != nil {
				return plan{}, err
			}
			fact.Document = ownFiling(st, unit, f.Document)
		}
		evs, err := u.RecordFact(c.Definition(), fact)
		if err != nil {
			return plan{}, err
		}
		if d := evs[0].Data.(domain.FactRecordedData); d.Component != "" {
			// One component, one name, across the units whose history the unit carries
			// and those that carry the unit's (its successors by mergers).
			units := st.Lineage(unit)
			for next, i := u.Successor(), 0; next != "" && i < 64; i++ {
				units = append(units, st.Lineage(next)...)
				succ, _ := st.Unit(next)
				if succ == nil {
					break
				}
				next = succ.Successor()
			}
			var recorded []string
			for _, id := range units {
				recorded = append(recorded, st.ComponentNames(id, d.Campaign, d.Index)...)
			}
			d.Component = domain.CanonicalComponent(d.Component, recorded)
			evs[0].Data = d
		}
		pl := plan{id: unit}
		pl.add(unitRef(unit), v, evs)
		return pl, nil
	})
}
