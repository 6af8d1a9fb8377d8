package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// Upload is a file sent with a command.
type Upload struct {
	// Name and ContentType are the file's name as uploaded and its MIME type as the
	// sender gave it; the document keeps them cleaned (domain.CleanFileName,
	// domain.CleanContentType), whichever surface sent them.
	Name, ContentType string
	// Body is the file's content, read to its end; a nil or empty Body is refused.
	Body io.Reader
	// Data is the file's content when the caller holds it in memory already (Body is
	// then not read): it is stored without another copy.
	Data []byte
}

// content returns the upload's bytes, reading Body (up to limit+1 bytes) when Data is nil.
func (up Upload) content(limit int64) ([]byte, error) {
	if up.Data != nil {
		return up.Data, nil
	}
	data, err := io.ReadAll(io.LimitReader(up.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	return data, nil
}

// storeUpload puts a file into the object store before the event that refers to it.
func (s *Service) storeUpload(ctx context.Context, up Upload) (domain.DocumentRef, eventstore.Document, error) {
	if up.Body == nil && up.Data == nil {
		return domain.DocumentRef{}, eventstore.Document{}, errorf(ErrInvalidInput, "file_required", "a file is required")
	}
	name, ctype := domain.CleanFileName(up.Name), domain.CleanContentType(up.ContentType)
	data, err := up.content(s.store.MaxDocumentSize())
	if err != nil {
		return domain.DocumentRef{}, eventstore.Document{}, s.storeError(err)
	}
	d, err := s.store.PutDocumentBytes(ctx, name, ctype, data)
	if err != nil {
		return domain.DocumentRef{}, d, s.storeError(err)
	}
	if d.Size == 0 {
		return domain.DocumentRef{}, d, errorf(ErrInvalidInput, "empty_file", "the file is empty")
	}
	s.documentWhole(d.SHA256) // stored from its original: whole again, if it was not
	return domain.DocumentRef{ID: d.SHA256, SHA256: d.SHA256, Size: d.Size, Name: name, ContentType: ctype}, d, nil
}

// SubmitPlan records a unit's own emulation plan for a campaign (the unit's clerk).
func (s *Service) SubmitPlan(ctx context.Context, p Principal, unit, campaign string, up Upload, o Options) (Result, eventstore.Document, error) {
	return s.uploadCommand(ctx, p, o, up, []domain.Role{domain.RoleClerk}, "unit", unit,
		func(st *projections.State, o Options) error {
			u, v := st.Unit(unit)
			if u == nil {
				return notFound("unit", unit)
			}
			c, _ := st.Campaign(campaign)
			if c == nil {
				return notFound("campaign", campaign)
			}
			if err := clerkScope(st, p, unit, s.clock()); err != nil {
				return err
			}
			if err := checkIfMatch(o, v); err != nil {
				return err // the precondition first (staleFirst)
			}
			if err := planDeadline(st, c, unit, s.clock()); err != nil {
				return err
			}
			return u.CheckPlan(campaign)
		},
		func(o Options, ref domain.DocumentRef, doc eventstore.Document) (Result, error) {
			return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
				u, v := st.Unit(unit)
				if u == nil {
					return plan{}, notFound("unit", unit)
				}
				if c, _ := st.Campaign(campaign); c != nil {
					if err := planDeadline(st, c, unit, s.clock()); err != nil {
						return plan{}, err
					}
				}
				evs, err := u.SubmitPlan(campaign, ref)
				if err != nil {
					return plan{}, err
				}
				pl := plan{id: doc.SHA256}
				pl.add(unitRef(unit), v, evs)
				return pl, nil
			})
		})
}

// uploadCommand is what the commands that store a file share: the caller's role, the
// id's form, the idempotency key (a replay answers with the document it stored), the
// check of the state before the file is stored (so that a refused upload leaves nothing
// behind), and the file stored; then command, given the stored document.
func (s *Service) uploadCommand(ctx context.Context, p Principal, o Options, up Upload, roles []domain.Role, kind, id string,
	precheck func(*projections.State, Options) error, command func(Options, domain.DocumentRef, eventstore.Document) (Result, error)) (Result, eventstore.Document, error) {
	if err := require(p, roles...); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	if err := validID(kind, id); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	o, unlock, err := s.lockKey(ctx, p, o)
	if err != nil {
		return Result{}, eventstore.Document{}, err
	}
	defer unlock()
	if r, ok := s.replayKey(ctx, p, o); ok {
		return r, s.replayedDocument(ctx, r.ID), nil
	}
	if err := s.checkKey(p, o); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	s.awaitIfMatch(ctx, o)
	before := s.model.Settled()
	err = s.precheck(func(st *projections.State) error { return precheck(st, o) })
	if err != nil && refusedByState(err) {
		// As a command's refusal does (run): checked again once the feed brings what the
		// stream holds (a review finding: an upload through one server to a nomination
		// opened through another a moment before was refused 404, one in seven under load).
		w, behind := s.behindStream(ctx, before)
		if behind != nil {
			return Result{}, eventstore.Document{}, behind
		}
		if w {
			err = s.precheck(func(st *projections.State) error { return precheck(st, o) })
		}
	}
	if err != nil {
		return Result{}, eventstore.Document{}, err
	}
	ref, doc, err := s.storeUpload(ctx, up)
	if err != nil {
		return Result{}, doc, err
	}
	r, err := command(o, ref, doc)
	return r, doc, err
}

// OpenNominationInput opens a nomination.
type OpenNominationInput struct {
	// Unit is the id of the unit the nomination is opened for; a clerk may name only their own.
	Unit string
	// Nominee is who is proposed: the unit itself (collective; its name defaults to the
	// unit's) or one of its people (individual, with a name and a position).
	Nominee domain.Nominee
}

// OpenNomination opens a nomination of a unit or of one of its people (the unit's clerk, or admin).
func (s *Service) OpenNomination(ctx context.Context, p Principal, campaign string, in OpenNominationInput, o Options) (Result, error) {
	if err := require(p, domain.RoleClerk, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if err := validID("campaign", campaign); err != nil {
		return Result{}, err
	}
	if err := validID("unit", in.Unit); err != nil {
		return Result{}, err
	}
	id := newID()
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		c, _ := st.Campaign(campaign)
		if c == nil {
			return plan{}, notFound("campaign", campaign)
		}
		u, uv := st.Unit(in.Unit)
		if u == nil {
			return plan{}, notFound("unit", in.Unit)
		}
		if err := clerkScope(st, p, in.Unit, s.clock()); err != nil {
			return plan{}, err
		}
		evs, err := domain.OpenNomination(id, c.Definition(), u, st.Lineage(in.Unit), in.Nominee, s.clock())
		if err != nil {
			return plan{}, err
		}
		// Nothing opens after the deadline: such a nomination could never be submitted.
		if err := c.CheckDeadline(s.clock()); err != nil {
			return plan{}, err
		}
		// The nominee as recorded (its name's spaces and apostrophes made plain), not as
		// typed: the checks compare the name that will stand (a review finding: "H’Hen Niê"
		// passed beside "H'Hen Niê", both recorded "H'Hen Niê").
		nominee := evs[0].Data.(domain.NominationOpenedData).Nominee
		if err := domain.CheckNewNomination(nominee, in.Unit, st.NominationsOf(campaign, in.Unit)); err != nil {
			return plan{}, err
		}
		lineage := st.Lineage(in.Unit)
		if err := domain.CheckLineageNomination(nominee, st.NominationsOfUnits(campaign, lineage[1:])); err != nil {
			return plan{}, err
		}
		if err := c.CheckNotBarred("", nominee.Kind, nominee.Name, lineage); err != nil {
			return plan{}, err
		}
		pl := plan{id: id}
		pl.add(nomRef(id), eventstore.Version{}, evs)
		// The unit records it too, under its sequence check: two openings for the unit at
		// once decide one after the other, and the second sees the first (CheckNewNomination).
		pl.add(unitRef(in.Unit), uv, domain.Nominated(evs[0].Data.(domain.NominationOpenedData)))
		return pl, nil
	})
}

// nominationCommand runs a command on one nomination after the common checks.
func (s *Service) nominationCommand(ctx context.Context, p Principal, id string, o Options,
	decide func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error)) (Result, error) {
	return s.nominationCommandWithID(ctx, p, id, id, o, decide)
}

// nominationCommandWithID is nominationCommand reporting resultID as the command's id.
func (s *Service) nominationCommandWithID(ctx context.Context, p Principal, id, resultID string, o Options,
	decide func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error)) (Result, error) {
	return s.nominationCommandAlso(ctx, p, id, resultID, o, decide, nil)
}

// nominationCommandAlso is nominationCommandWithID whose plan also takes what also adds
// (events on other aggregates, in the same atomic append), when also is not nil.
func (s *Service) nominationCommandAlso(ctx context.Context, p Principal, id, resultID string, o Options,
	decide func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error),
	also func(st *projections.State, n *domain.Nomination, pl *plan)) (Result, error) {
	if err := validID("nomination", id); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		n, v := st.Nomination(id)
		if n == nil {
			return plan{}, notFound("nomination", id)
		}
		c, _ := st.Campaign(n.Campaign())
		if c == nil {
			return plan{}, notFound("campaign", n.Campaign())
		}
		evs, err := decide(st, n, c)
		if err != nil {
			return plan{}, staleFirst(o, v, err)
		}
		pl := plan{id: resultID}
		pl.add(nomRef(id), v, evs)
		if also != nil {
			also(st, n, &pl)
		}
		return pl, nil
	})
}

// staleFirst returns, for a command the domain refused (a rule or a transition), the
// refusal of a stale If-Match instead when there is one: the precondition is the
// client's first question (DESIGN's 412 for a stale If-Match; before, a hold sent with
// the version read before a withdrawal got 409 invalid_transition). A refusal of the
// caller's role or scope stays what it is: a stale tag tells nothing to one who may not
// act.
func staleFirst(o Options, v eventstore.Version, err error) error {
	var re *domain.RuleError
	var te *domain.TransitionError
	if errors.As(err, &re) || errors.As(err, &te) {
		if stale := checkIfMatch(o, v); stale != nil {
			return stale
		}
	}
	return err
}

// AttachDocument adds a dossier document to a nomination (the unit's clerk).
func (s *Service) AttachDocument(ctx context.Context, p Principal, id string, kind domain.DocKind, up Upload, o Options) (Result, eventstore.Document, error) {
	return s.uploadCommand(ctx, p, o, up, []domain.Role{domain.RoleClerk}, "nomination", id,
		func(st *projections.State, o Options) error {
			n, v := st.Nomination(id)
			if n == nil {
				return notFound("nomination", id)
			}
			if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
				return err
			}
			if err := checkIfMatch(o, v); err != nil {
				return err // the precondition first (staleFirst)
			}
			c, _ := st.Campaign(n.Campaign())
			if err := draftDeadline(c, n, s.clock()); err != nil {
				return err
			}
			// Refused before the file is stored: a refused upload leaves nothing behind.
			return n.CheckAttach(kind)
		},
		func(o Options, ref domain.DocumentRef, doc eventstore.Document) (Result, error) {
			return s.nominationCommandWithID(ctx, p, id, doc.SHA256, o, func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error) {
				if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
					return nil, err
				}
				if err := draftDeadline(c, n, s.clock()); err != nil {
					return nil, err
				}
				return n.AttachDocument(kind, ref)
			})
		})
}

// RecordVote records the unit council's vote on a nomination (the unit's clerk).
func (s *Service) RecordVote(ctx context.Context, p Principal, id string, vote domain.CouncilVoteData, o Options) (Result, error) {
	if err := require(p, domain.RoleClerk); err != nil {
		return Result{}, err
	}
	return s.nominationCommand(ctx, p, id, o, func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error) {
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return nil, err
		}
		if err := draftDeadline(c, n, s.clock()); err != nil {
			return nil, err
		}
		return n.RecordVote(vote, c.Definition(), s.clock())
	})
}

// draftDeadline refuses adding to a draft after the campaign's nomination deadline
// (deadline_passed): a draft can no longer be submitted. A dossier returned for amendment,
// submitted in time, may still be amended and submitted again.
// planDeadline is the deadline for a unit's plan: after it, a unit whose collective
// dossier a reviewer returned for amendment may still file its plan, which is what a
// collective's plan_missing asks of it (a review finding: such a dossier, submitted in
// time without its plan, could never become eligible once the deadline passed).
func planDeadline(st *projections.State, c *domain.Campaign, unit string, now time.Time) error {
	err := c.CheckDeadline(now)
	if err == nil {
		return nil
	}
	for _, n := range st.NominationsOf(c.ID(), unit) {
		if n.State() == domain.StateReturned && n.Nominee().Kind == domain.NomineeCollective {
			return nil
		}
	}
	return err
}

func draftDeadline(c *domain.Campaign, n *domain.Nomination, now time.Time) error {
	if c == nil || n.State() != domain.StateDraft {
		return nil
	}
	return c.CheckDeadline(now)
}

// Submit submits a nomination's dossier (the unit's clerk).
func (s *Service) Submit(ctx context.Context, p Principal, id string, o Options) (Result, error) {
	if err := require(p, domain.RoleClerk); err != nil {
		return Result{}, err
	}
	// The deadline as the stream has it now: a submission appends to the nomination alone,
	// so a deadline moved to the past through another server, or just before on this one,
	// meets no sequence check (a review finding: through a server whose feed was behind,
	// a submission landed after the deadline every time).
	if err := s.campaignCaughtUp(ctx, id); err != nil {
		return Result{}, err
	}
	return s.nominationCommand(ctx, p, id, o, func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error) {
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return nil, err
		}
		var deadline *time.Time
		if d, ok := c.Deadline(); ok {
			deadline = &d
		}
		if voted, ok := st.NomineeAtVote(n.ID()); ok {
			if err := domain.CheckVoteNominee(voted, n.Nominee()); err != nil {
				return nil, err
			}
		}
		return n.Submit(c.Definition(), deadline, s.clock())
	})
}

// Withdraw withdraws a nomination (the unit's clerk).
func (s *Service) Withdraw(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	if err := require(p, domain.RoleClerk); err != nil {
		return Result{}, err
	}
	return s.nominationCommand(ctx, p, id, o, func(st *projections.State, n *domain.Nomination, _ *domain.Campaign) ([]domain.Event, error) {
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return nil, err
		}
		return n.Withdraw(reason)
	})
}

// CorrectNominee corrects an individual nominee's declared details (the unit's clerk),
// while the dossier is in draft or returned: a misspelt name, a position, the gender, a
// head of the unit not declared as one. The corrected nominee must not be another of the
// campaign's nominations of the unit (the same person, or a second head), as at opening.
func (s *Service) CorrectNominee(ctx context.Context, p Principal, id string, nominee domain.Nominee, reason string, o Options) (Result, error) {
	if err := require(p, domain.RoleClerk); err != nil {
		return Result{}, err
	}
	if err := validID("nomination", id); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		n, nv := st.Nomination(id)
		if n == nil {
			return plan{}, notFound("nomination", id)
		}
		u, uv := st.Unit(n.Unit())
		if u == nil {
			return plan{}, notFound("unit", n.Unit())
		}
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return plan{}, err
		}
		evs, err := n.CorrectNominee(nominee, reason)
		if err != nil {
			return plan{}, err
		}
		corrected := evs[0].Data.(domain.NomineeCorrectedData).Nominee
		if c, _ := st.Campaign(n.Campaign()); c != nil && c.CheckDeadline(s.clock()) != nil {
			if err := domain.CheckCorrectionAfterDeadline(n.Nominee(), corrected); err != nil {
				return plan{}, err
			}
		}
		others := slices.DeleteFunc(st.NominationsOf(n.Campaign(), n.Unit()), func(o *domain.Nomination) bool { return o.ID() == id })
		if err := domain.CheckNewNomination(corrected, n.EvidencePath()[0], others); err != nil {
			return plan{}, err
		}
		if err := domain.CheckLineageNomination(corrected, st.NominationsOfUnits(n.Campaign(), st.Lineage(n.Unit())[1:])); err != nil {
			return plan{}, err
		}
		if c, _ := st.Campaign(n.Campaign()); c != nil {
			if err := c.CheckNotBarred(id, corrected.Kind, corrected.Name, st.Lineage(n.Unit())); err != nil {
				return plan{}, err
			}
		}
		pl := plan{id: id}
		pl.add(nomRef(id), nv, evs)
		// Under the unit's sequence check, as an opening: a correction to a name and an
		// opening of that name at the same moment decide one after the other.
		pl.add(unitRef(n.Unit()), uv, domain.NomineeCorrectedOnUnit(n.Campaign(), id, corrected))
		return pl, nil
	})
}
