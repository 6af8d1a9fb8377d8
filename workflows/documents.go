package workflows

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// DocumentInfo describes a stored dossier file, once the principal may read it: every
// role reads every document, except a clerk, who reads only the documents of their unit
// and of the units it absorbed (plans, attachments, the evidence cited by facts and
// rulings). To a clerk an unknown document and one out of scope look alike: forbidden.
func (s *Service) DocumentInfo(ctx context.Context, p Principal, sha string) (eventstore.Document, error) {
	if err := s.mayReadDocumentSettled(ctx, p, sha); err != nil {
		return eventstore.Document{}, err
	}
	info, err := s.store.DocumentInfo(ctx, sha)
	if errors.Is(err, eventstore.ErrDocumentNotFound) && len(s.model.DocumentUnits(sha)) > 0 {
		// The events cite it: the store lost it, or someone removed it (the object store
		// allows deletion). Not a mistyped address: a document broken for good.
		return info, fmt.Errorf("%w: %s is cited by the events but missing from the document store", eventstore.ErrDocumentCorrupt, sha)
	}
	if err != nil {
		return info, s.documentError(err)
	}
	if p.Role != domain.RoleClerk {
		// The name and type the events filed it under, not the store's (FirstFiling).
		if filed, ok := s.model.FirstFiling(sha); ok {
			info.Name = filed.Name
			if filed.Name == "" {
				info.Name = anonymousName(sha, "") // filed without a name: never the store's
			}
			if filed.ContentType != "" {
				info.ContentType = filed.ContentType
			}
		}
		return info, nil
	}
	// The store keeps the first upload's name and type, which may be another unit's (a
	// file of the same bytes filed by two units): a clerk gets the name and type their
	// unit filed it under (a review finding: the type was the other unit's), or neutral
	// ones.
	var lineage []string
	s.model.Read(func(st *projections.State) { lineage = st.Lineage(p.Unit) })
	if own, ok := s.model.DocumentFiled(sha, lineage); ok {
		info.Name, info.ContentType = own.Name, own.ContentType
		if own.Name == "" {
			info.Name = anonymousName(sha, "")
		}
	} else {
		info.Name, info.ContentType = anonymousName(sha, info.Name), "application/octet-stream"
	}
	return info, nil
}

// Document is DocumentInfo with the file's bytes, checked by the store against their
// SHA-256.
func (s *Service) Document(ctx context.Context, p Principal, sha string) (eventstore.Document, []byte, error) {
	info, err := s.DocumentInfo(ctx, p, sha)
	if err != nil {
		return info, nil, err
	}
	data, err := s.store.GetDocument(ctx, sha)
	return info, data, s.documentError(err)
}

// anonymousName is the name a document is given to a reader who may not read the name its
// filer gave it: its SHA-256's first twelve characters, with the name's extension when it
// is one (a dot, then one to eight letters or digits): a name without one ended in what
// followed its last dot, a part of the filer's name (a review finding).
func anonymousName(sha, name string) string {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	if ext := path.Ext(name); fileExt.MatchString(ext) {
		return sha + ext
	}
	return sha
}

// fileExt matches a file name's extension.
var fileExt = regexp.MustCompile(`^\.[A-Za-z0-9]{1,8}$`)

// MayReadDocument reports whether p may read the document of that SHA-256 (a clerk: only
// the documents of their unit and the units it absorbed), so that a page links only the
// documents its reader can open (a review finding: a merged unit's clerk was linked to
// the successor's plan, and the link answered 403).
func (s *Service) MayReadDocument(p Principal, sha string) bool {
	return s.mayReadDocument(p, sha) == nil
}

// mayReadDocumentSettled is mayReadDocument for a read, checked again once the feed
// brings what the stream holds when it refused on a model the stream is ahead of: a
// document attached through another server a moment before is the clerk's own, not
// another unit's (a review finding: 17% of downloads right after their upload through the
// other server were refused 403, a refusal a client takes as final).
func (s *Service) mayReadDocumentSettled(ctx context.Context, p Principal, sha string) error {
	before := s.model.Settled()
	err := s.mayReadDocument(p, sha)
	if err == nil {
		return nil
	}
	waited, behind := s.behindStream(ctx, before)
	if behind != nil {
		return behind
	}
	if waited {
		return s.mayReadDocument(p, sha)
	}
	return err
}

// mayReadDocument applies the clerk's scope to a document.
func (s *Service) mayReadDocument(p Principal, sha string) error {
	if p.Role != domain.RoleClerk {
		return nil
	}
	var lineage []string
	s.model.Read(func(st *projections.State) { lineage = st.Lineage(p.Unit) })
	for _, u := range s.model.DocumentUnits(sha) {
		if slices.Contains(lineage, u) {
			return nil
		}
	}
	return forbidden("a clerk of %s may read only the documents of their unit", p.Unit)
}
