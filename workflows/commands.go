package workflows

import (
	"context"
	"fmt"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// checkKey refuses an idempotency key used for a different request (run, and an upload
// before it stores its file: a refused upload leaves nothing behind). It takes the
// model's lock: not inside precheck.
func (s *Service) checkKey(p Principal, o Options) error {
	if o.Key != "" {
		if fp, ok := s.model.KeyFingerprint(p.UserID + "|" + o.Key); ok && fp != o.Fingerprint {
			return keyReused(o.Key)
		}
	}
	return nil
}

// checkIfMatch refuses an If-Match that is not the aggregate's version v (run, and an
// upload before it stores its file).
func checkIfMatch(o Options, v eventstore.Version) error {
	if o.IfMatch != nil && v.Seq != *o.IfMatch {
		return errorf(ErrPrecondition, "version_mismatch", "If-Match %d is stale: the current version is %d", *o.IfMatch, v.Seq)
	}
	return nil
}

// precheck runs read-only checks on the model's state before any side effect.
func (s *Service) precheck(fn func(st *projections.State) error) error {
	var err error
	s.model.Read(func(st *projections.State) { err = fn(st) })
	return err
}

// KeyRecorded reports whether a command of p under the idempotency key is remembered: its
// retry is answered from the record (or refused idempotency_key_reused for another
// request), so checks made before a request's body is read, which its answer must not
// depend on, are left to that (a review finding: a retried upload was refused 403 once a
// merger ended the clerk's scope, where every other retried command got its answer).
func (s *Service) KeyRecorded(p Principal, key string) bool {
	return key != "" && s.model.KeyUsed(p.UserID+"|"+key)
}

// replayKey answers a command already carried out under the caller's idempotency key.
func (s *Service) replayKey(ctx context.Context, p Principal, o Options) (Result, bool) {
	if o.Key == "" {
		return Result{}, false
	}
	return s.replay(ctx, p.UserID+"|"+o.Key+"|"+o.Fingerprint)
}

// replayedDocument describes the document a replayed upload stored.
func (s *Service) replayedDocument(ctx context.Context, sha string) eventstore.Document {
	d, err := s.store.DocumentInfo(ctx, sha)
	if err != nil {
		return eventstore.Document{SHA256: sha}
	}
	return d
}

// activeUnit refuses a unit a merger dissolved (unit_not_active): nothing new is attached
// to it, neither a clerk nor a subordinate unit; its successor takes them.
// The message names the active unit at the end of the chain of mergers.
func activeUnit(st *projections.State, u *domain.Unit) error {
	if u.Status() == domain.UnitActive {
		return nil
	}
	last := u.Successor()
	for range 64 { // a chain of mergers is short; the bound guards a malformed one
		next, _ := st.Unit(last)
		if next == nil || next.Status() == domain.UnitActive {
			break
		}
		last = next.Successor()
	}
	return &domain.RuleError{Code: "unit_not_active",
		Message:   fmt.Sprintf("unit %s was merged into %s: attach to %s instead", u.ID(), u.Successor(), last),
		MessageVI: fmt.Sprintf("Đơn vị %s đã hợp nhất vào %s: chọn %s thay thế", u.ID(), u.Successor(), last), Conflict: true}
}
