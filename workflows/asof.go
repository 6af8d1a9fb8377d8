package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// RecordedAt returns when the commit at stream sequence seq was recorded (the moment a
// ?seq= bound names, for the pages that show it as a time).
func (s *Service) RecordedAt(ctx context.Context, seq uint64) (time.Time, error) {
	c, err := s.store.CommitAt(ctx, seq)
	if err != nil {
		return time.Time{}, s.storeError(err)
	}
	if len(c.Events) == 0 {
		return time.Time{}, errorf(ErrNotFound, "not_found", "sequence %d holds no event", seq)
	}
	return c.Events[0].RecordedAt, nil
}

// SettleSeq checks the stream sequence an as-of query names and returns the one to
// answer at, once this server's projections have applied it (waiting at most wait: another
// server of a cluster may have just written it).
//
// A sequence past the stream's last is refused (ErrInvalidInput, code future_seq): a
// moment still to come has no settled answer. A sequence inside an atomic append (a
// grant, a revocation, a merger: several aggregates at once) is taken to the append's last
// message, as eventstore.Store.SettledSeq says, so that no answer shows half a command.
func (s *Service) SettleSeq(ctx context.Context, seq uint64, wait time.Duration) (uint64, error) {
	if seq == 0 {
		return 0, errorf(ErrInvalidInput, "invalid_seq", "seq: 0 is not a stream sequence")
	}
	if s.store == nil {
		if last := s.model.Applied(); seq > last {
			return 0, futureSeq(seq, last)
		}
		return seq, nil
	}
	if last := s.model.Applied(); seq > last {
		if l, err := s.store.LastSeq(ctx); err == nil {
			last = l
		}
		if seq > last {
			return 0, futureSeq(seq, last)
		}
	}
	settled, err := s.store.SettledSeq(ctx, seq)
	if err != nil {
		return 0, fmt.Errorf("%w: reading around sequence %d: %w", ErrUnavailable, seq, err)
	}
	if settled > s.model.Applied() {
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if err := s.model.WaitFor(ctx, settled); err != nil {
			return 0, fmt.Errorf("waiting for the projections to reach sequence %d: %w", settled, err)
		}
	}
	return settled, nil
}

// SettleTime waits, at most wait, until this server's projections have applied every
// message the stream held when it was called, so that an answer as of a time counts every
// event recorded by then, wherever it was written: another server of a cluster may have
// just written one that this server's feed has not delivered yet. (An answer is never
// taken from a state with a gap either: see projections.Model's pin.) A wait that runs
// out is ErrUnavailable, retryable, rather than an answer that leaves out what it lags.
func (s *Service) SettleTime(ctx context.Context, wait time.Duration) error {
	if s.store == nil {
		return nil
	}
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("%w: reading the stream's last sequence: %w", ErrUnavailable, err)
	}
	if last <= s.model.Applied() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := s.model.WaitFor(ctx, last); err != nil {
		return errorf(ErrUnavailable, "projections_behind", "the projections have not applied the stream up to sequence %d yet (%v); ask again", last, err)
	}
	return nil
}

func futureSeq(seq, last uint64) error {
	return errorf(ErrInvalidInput, "future_seq", "seq: %d is past the stream's last sequence %d: a sequence still to come has no settled answer", seq, last)
}

// DigestAt returns the stream's digest (eventstore.Digest) up to seq, a sequence the
// projections have applied; 0 is the last one they have applied. An export states it
// beside the sequence it was computed at, so that an inspector can show later, from the
// stream alone (`thidua digest --at seq:N`), that the stream still holds that history.
func (s *Service) DigestAt(ctx context.Context, seq uint64) (eventstore.Digest, error) {
	if seq == 0 {
		if d, ok := s.model.Digest(); ok {
			return d, nil
		}
		seq = s.model.Applied()
	}
	if s.store == nil {
		return eventstore.Digest{}, errorf(ErrUnavailable, "no_store", "the stream's digest needs the event store")
	}
	d, err := s.model.DigestAt(ctx, s.store, seq)
	switch {
	case errors.Is(err, eventstore.ErrPastEnd):
		last, lerr := s.store.LastSeq(ctx)
		if lerr != nil {
			last = s.model.Applied()
		}
		return d, futureSeq(seq, last)
	case err != nil:
		return d, fmt.Errorf("%w: the stream's digest at sequence %d: %w", ErrUnavailable, seq, err)
	}
	return d, nil
}

// WriteArchive writes the stream up to seq (0: the last sequence the projections have
// applied) to w as an archive (eventstore.WriteArchive): the record an inspectorate
// takes into custody and checks without thidua. Administrators and auditors only: the
// stream holds every user's record and every unit's dossier. A sequence past the
// stream's end is future_seq, refused before anything is written. The header states
// when it was written by the wall clock, not the business clock.
func (s *Service) WriteArchive(ctx context.Context, p Principal, w io.Writer, seq uint64) (eventstore.ArchiveEnd, error) {
	seq, err := s.ArchiveUntil(ctx, p, seq)
	if err != nil {
		return eventstore.ArchiveEnd{}, err
	}
	end, err := s.store.WriteArchive(ctx, w, seq, time.Now())
	if errors.Is(err, eventstore.ErrPastEnd) {
		return end, futureSeq(seq, s.model.Applied())
	}
	return end, err
}

// ArchiveUntil authorises p to archive the stream (MayArchive) and returns the last
// sequence an archive up to seq covers: seq, or for 0 the last sequence the projections
// have applied. A sequence past the stream's end is future_seq; a server whose
// projections have applied nothing yet has nothing to archive (unavailable).
func (s *Service) ArchiveUntil(ctx context.Context, p Principal, seq uint64) (uint64, error) {
	if err := s.MayArchive(p); err != nil {
		return 0, err
	}
	if s.store == nil {
		return 0, errorf(ErrUnavailable, "no_store", "an archive needs the event store")
	}
	if seq == 0 {
		if seq = s.model.Applied(); seq == 0 {
			return 0, errorf(ErrUnavailable, "not_ready", "the projections have applied nothing yet: ask again in a moment, or give seq")
		}
	}
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: the stream's last sequence: %w", ErrUnavailable, err)
	}
	if seq > last {
		return 0, futureSeq(seq, last)
	}
	return seq, nil
}

// MayArchive returns nil when p may archive the stream (WriteArchive): administrators and
// auditors; a *Error of kind ErrForbidden otherwise.
func (s *Service) MayArchive(p Principal) error {
	if p.Role != domain.RoleAdmin && p.Role != domain.RoleAuditor {
		return forbidden("role %q may not archive the stream: administrators and auditors may", p.Role)
	}
	return nil
}
