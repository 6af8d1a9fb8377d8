package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// CreateUserInput registers a user.
type CreateUserInput struct {
	// Name is the user's display name: 1 to 200 characters, unique among users
	// (whitespace runs are collapsed).
	Name string
	// Role is the user's role: "admin", "clerk", "reviewer", "council" or "auditor".
	Role domain.Role
	// Unit is the id of the user's active unit: required for a clerk, optional for a
	// reviewer (it marks their conflicts of interest), and empty for every other role.
	Unit string
	// Token, when set (by the system only, for the demo province), is used instead of a
	// random one. It must be at least 16 characters.
	Token string
}

// CreateUser registers a user (admin) and returns their token, shown only this once.
func (s *Service) CreateUser(ctx context.Context, p Principal, in CreateUserInput, o Options) (Result, string, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, "", err
	}
	token, err := newToken()
	if err != nil {
		return Result{}, "", err
	}
	if in.Token != "" {
		if p.Role != domain.RoleSystem || len(in.Token) < 16 {
			return Result{}, "", errorf(ErrInvalidInput, "invalid_token", "a chosen token needs the system role and at least 16 characters")
		}
		token = in.Token
	}
	// A retried creation must not mint a second token; the first one was shown already.
	if r, ok := s.replayKey(ctx, p, o); ok {
		return r, "", nil
	}
	id := "u" + strings.ToLower(newID())
	r, err := s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		if in.Unit != "" {
			if err := validID("unit", in.Unit); err != nil {
				return plan{}, err
			}
			u, _ := st.Unit(in.Unit)
			if u == nil {
				return plan{}, notFound("unit", in.Unit)
			}
			if err := activeUnit(st, u); err != nil {
				return plan{}, err
			}
		}
		reg, v := st.Registry()
		evs, err := reg.RegisterUser(id, trimmed(in.Name), in.Role, in.Unit, HashToken(token))
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: id}
		pl.add(registryRef(), v, evs)
		return pl, nil
	})
	if err != nil || r.Duplicate {
		return r, "", err
	}
	return r, token, nil
}

// ReissueToken gives a user a new token (admin) in place of the old one, which stops
// working at once, and returns it, shown only this once: for a token lost or leaked. A
// retry with the same key appends nothing and returns no token (the first answer had it).
func (s *Service) ReissueToken(ctx context.Context, p Principal, id string, o Options) (Result, string, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, "", err
	}
	if err := validID("user id", id); err != nil {
		return Result{}, "", err
	}
	if r, ok := s.replayKey(ctx, p, o); ok {
		return r, "", nil
	}
	token, err := newToken()
	if err != nil {
		return Result{}, "", err
	}
	r, err := s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		reg, v := st.Registry()
		if _, ok := reg.User(id); !ok {
			return plan{}, notFound("user", id)
		}
		evs, err := reg.ReissueToken(id, HashToken(token))
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: id}
		pl.add(registryRef(), v, evs)
		return pl, nil
	})
	if err != nil || r.Duplicate {
		return r, "", err
	}
	return r, token, nil
}

// DisableUser disables a user (admin); their token stops working at once.
func (s *Service) DisableUser(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		reg, v := st.Registry()
		if _, ok := reg.User(id); !ok {
			return plan{}, notFound("user", id) // 404, as for a token
		}
		evs, err := reg.DisableUser(id, reason)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: id}
		pl.add(registryRef(), v, evs)
		return pl, nil
	})
}

// RegisterUnitInput registers a unit.
type RegisterUnitInput struct {
	// ID and Name are the new unit's id (unique, even ignoring letter case) and its name
	// (1 to 300 characters, trimmed).
	ID, Name string
	// Kind is the unit's kind: "department", "vertical", "district" or "commune".
	Kind domain.UnitKind
	// Parent is the id of the unit's parent unit (đơn vị chủ quản), an active unit; "" for none.
	Parent string
}

// RegisterUnit registers a unit (admin). Unit ids are unique: the unit's own subject is
// the guard (expected version 0).
func (s *Service) RegisterUnit(ctx context.Context, p Principal, in RegisterUnitInput, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if err := validID("unit id", in.ID); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		if u, _ := st.Unit(in.ID); u != nil {
			return plan{}, &domain.RuleError{Code: "unit_exists", Message: fmt.Sprintf("unit %s already exists", in.ID), MessageVI: fmt.Sprintf("Đơn vị %s đã tồn tại", in.ID)}
		}
		if err := unitIDFree(st, in.ID); err != nil {
			return plan{}, err
		}
		if in.Parent != "" {
			if err := validID("parent", in.Parent); err != nil {
				return plan{}, err
			}
			u, _ := st.Unit(in.Parent)
			if u == nil {
				return plan{}, notFound("parent unit", in.Parent)
			}
			if err := activeUnit(st, u); err != nil {
				return plan{}, err
			}
		}
		evs, err := domain.RegisterUnit(in.ID, trimmed(in.Name), in.Kind, in.Parent)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: in.ID}
		pl.add(unitRef(in.ID), eventstore.Version{}, evs)
		pl.claim(domain.KindUnit, in.ID)
		return pl, nil
	})
}

// unitIDFree refuses a new unit id that differs from an existing unit's only in letter
// case (unit_exists, naming the existing unit).
func unitIDFree(st *projections.State, id string) error {
	other := st.UnitIDLike(id)
	if other == "" {
		return nil
	}
	return &domain.RuleError{Code: "unit_exists",
		Message:   fmt.Sprintf("unit %s already exists, as %s: ids differing only in letter case would read as one", id, other),
		MessageVI: fmt.Sprintf("Đơn vị %s đã tồn tại với mã %s: hai mã chỉ khác chữ hoa, chữ thường sẽ bị đọc nhầm là một", id, other)}
}

// Revised reports whether res, LaunchCampaign's result for campaign id, revised the
// campaign (campaign.revised) rather than launched it: what a replay of the command
// answers as the first answer did.
func Revised(m *projections.Model, id string, res Result) bool {
	if len(res.Events) == 0 {
		return false
	}
	evs, err := m.CampaignEvents(id, projections.Bound{})
	if err != nil {
		return false
	}
	for _, e := range evs {
		if e.ID == res.Events[0] {
			return e.Type == domain.CampaignRevised
		}
	}
	return false
}

// LaunchCampaign launches a campaign from its definition document (admin), or, given a
// definition of a campaign launched already with a higher version, revises it
// (domain.Campaign.Revise: campaign.revised). A revision applies from its event on: an
// answer as of an earlier moment is judged by the version in force then. The same
// version again is campaign_exists, a lower one version_not_increased.
func (s *Service) LaunchCampaign(ctx context.Context, p Principal, def domain.Definition, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if err := validID("campaign id", def.ID); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		c, v := st.Campaign(def.ID)
		isNew := c == nil
		if !isNew && def.Version != c.Definition().Version {
			evs, err := c.Revise(def)
			if err != nil {
				return plan{}, err
			}
			pl := plan{id: def.ID}
			pl.add(campRef(def.ID), v, evs)
			return pl, nil
		}
		if isNew {
			if other := st.CampaignIDLike(def.ID); other != "" {
				return plan{}, &domain.RuleError{Code: "campaign_exists",
					Message:   fmt.Sprintf("campaign %s already exists, as %s: ids differing only in letter case would read as one", def.ID, other),
					MessageVI: fmt.Sprintf("Đợt thi đua %s đã tồn tại với mã %s: hai mã chỉ khác chữ hoa, chữ thường sẽ bị đọc nhầm là một", def.ID, other)}
			}
			c = domain.NewCampaign()
		}
		evs, err := c.Launch(def)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: def.ID}
		pl.add(campRef(def.ID), v, evs)
		if isNew {
			pl.claim(domain.KindCampaign, def.ID)
		}
		return pl, nil
	})
}

// SetDeadline sets or moves a campaign's nomination deadline (admin).
func (s *Service) SetDeadline(ctx context.Context, p Principal, campaign string, closes time.Time, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if err := validID("campaign", campaign); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		c, v := st.Campaign(campaign)
		if c == nil {
			return plan{}, notFound("campaign", campaign)
		}
		evs, err := c.SetDeadline(closes)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: campaign}
		pl.add(campRef(campaign), v, evs)
		return pl, nil
	})
}

// Upload is a file sent with a command.
type Upload struct {
	// Name and ContentType are the file's name as uploaded and its MIME type as the
	// sender gave it; the document keeps them cleaned (domain.CleanFileName,
	// domain.CleanContentType), whichever surface sent them.
	Name, ContentType string
	// Body is the file's content, read to its end; a nil or empty Body is refused.
	Body io.Reader
}

// storeUpload puts a file into the object store before the event that refers to it.
func (s *Service) storeUpload(ctx context.Context, up Upload) (domain.DocumentRef, eventstore.Document, error) {
	if up.Body == nil {
		return domain.DocumentRef{}, eventstore.Document{}, errorf(ErrInvalidInput, "file_required", "a file is required")
	}
	name, ctype := domain.CleanFileName(up.Name), domain.CleanContentType(up.ContentType)
	d, err := s.store.PutDocument(ctx, name, ctype, up.Body)
	if err != nil {
		return domain.DocumentRef{}, d, s.storeError(err)
	}
	if d.Size == 0 {
		return domain.DocumentRef{}, d, errorf(ErrInvalidInput, "empty_file", "the file is empty")
	}
	return domain.DocumentRef{ID: d.SHA256, SHA256: d.SHA256, Size: d.Size, Name: name, ContentType: ctype}, d, nil
}

// SubmitPlan records a unit's own emulation plan for a campaign (the unit's clerk).
func (s *Service) SubmitPlan(ctx context.Context, p Principal, unit, campaign string, up Upload, o Options) (Result, eventstore.Document, error) {
	if err := require(p, domain.RoleClerk, domain.RoleAdmin); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	if err := validID("unit", unit); err != nil {
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
	if err := s.precheck(func(st *projections.State) error {
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
		if err := c.CheckDeadline(s.clock()); err != nil {
			return err
		}
		if err := u.CheckPlan(campaign); err != nil {
			return err
		}
		return checkIfMatch(o, v)
	}); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	ref, doc, err := s.storeUpload(ctx, up)
	if err != nil {
		return Result{}, doc, err
	}
	r, err := s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		u, v := st.Unit(unit)
		if u == nil {
			return plan{}, notFound("unit", unit)
		}
		if c, _ := st.Campaign(campaign); c != nil {
			if err := c.CheckDeadline(s.clock()); err != nil {
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
	return r, doc, err
}

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
		evs, err := domain.OpenNomination(id, c.Definition(), u, in.Nominee, s.clock())
		if err != nil {
			return plan{}, err
		}
		// Nothing opens after the deadline: such a nomination could never be submitted.
		if err := c.CheckDeadline(s.clock()); err != nil {
			return plan{}, err
		}
		if err := domain.CheckNewNomination(in.Nominee, st.NominationsOf(campaign, in.Unit)); err != nil {
			return plan{}, err
		}
		lineage := st.Lineage(in.Unit)
		if err := domain.CheckLineageNomination(in.Nominee, st.NominationsOfUnits(campaign, lineage[1:])); err != nil {
			return plan{}, err
		}
		if err := c.CheckNotBarred("", in.Nominee.Kind, in.Nominee.Name, lineage); err != nil {
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
			return plan{}, err
		}
		pl := plan{id: resultID}
		pl.add(nomRef(id), v, evs)
		return pl, nil
	})
}

// AttachDocument adds a dossier document to a nomination (the unit's clerk).
func (s *Service) AttachDocument(ctx context.Context, p Principal, id string, kind domain.DocKind, up Upload, o Options) (Result, eventstore.Document, error) {
	if err := require(p, domain.RoleClerk); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	if err := validID("nomination", id); err != nil {
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
	if err := s.precheck(func(st *projections.State) error {
		n, v := st.Nomination(id)
		if n == nil {
			return notFound("nomination", id)
		}
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return err
		}
		c, _ := st.Campaign(n.Campaign())
		if err := draftDeadline(c, n, s.clock()); err != nil {
			return err
		}
		// Refused before the file is stored: a refused upload leaves nothing behind.
		if err := n.CheckAttach(kind); err != nil {
			return err
		}
		return checkIfMatch(o, v)
	}); err != nil {
		return Result{}, eventstore.Document{}, err
	}
	ref, doc, err := s.storeUpload(ctx, up)
	if err != nil {
		return Result{}, doc, err
	}
	pl := func(st *projections.State, n *domain.Nomination, c *domain.Campaign) ([]domain.Event, error) {
		if err := clerkScope(st, p, n.Unit(), s.clock()); err != nil {
			return nil, err
		}
		if err := draftDeadline(c, n, s.clock()); err != nil {
			return nil, err
		}
		return n.AttachDocument(kind, ref)
	}
	r, err := s.nominationCommandWithID(ctx, p, id, doc.SHA256, o, pl)
	return r, doc, err
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
		if err := domain.CheckNewNomination(corrected, others); err != nil {
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
		return n.Rule(c.Definition(), criterion, in.Result, in.Note, doc)
	})
}

// documentOfUnit refuses a ruling's or a fact's citation of a document that belongs to
// other units only (their dossiers, plans, facts' evidence), not to the unit or its
// lineage: citing it would give the unit's clerk another unit's document
// (document_not_of_unit). A document no event refers to yet becomes the unit's.
func documentOfUnit(st *projections.State, unit, sha string) error {
	owners := st.DocumentUnits(sha)
	if len(owners) == 0 {
		return nil
	}
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
func (s *Service) Hold(ctx context.Context, p Principal, id, reason string, o Options) (Result, error) {
	return s.reviewerAction(ctx, p, id, o, func(n *domain.Nomination) ([]domain.Event, error) { return n.Hold(reason) })
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
		if f.Document != nil {
			if err := documentOfUnit(st, unit, f.Document.SHA256); err != nil {
				return plan{}, err
			}
		}
		evs, err := u.RecordFact(c.Definition(), f)
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

// GrantInput is the council's decision to award a nomination.
type GrantInput struct {
	// Nomination and Decision are the id of the campaign's nomination to award and the
	// award decision: its number and date (1 to 2,000 characters).
	Nomination, Decision string
}

// GrantAward grants the campaign's award to an eligible nomination within the quota
// (council). The campaign aggregate guards the quota and the one-award-per-lineage rule;
// the decision records the ranking it relied on. Campaign and nomination are appended
// atomically.
func (s *Service) GrantAward(ctx context.Context, p Principal, campaign string, in GrantInput, o Options) (Result, error) {
	if err := require(p, domain.RoleCouncil); err != nil {
		return Result{}, err
	}
	if err := validID("campaign", campaign); err != nil {
		return Result{}, err
	}
	if err := validID("nomination", in.Nomination); err != nil {
		return Result{}, err
	}
	award := newID()
	// The decision needs the campaign's ranking. Computed here, outside the model's lock,
	// a chunk at a time, it is cached; the decision then takes it from the cache unless a
	// commit came between, and commands are not held up while a large campaign ranks.
	_, _, _ = s.model.LiveRanking(campaign)
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		c, cv := st.Campaign(campaign)
		if c == nil {
			return plan{}, notFound("campaign", campaign)
		}
		n, nv := st.Nomination(in.Nomination)
		if n == nil || n.Campaign() != campaign {
			return plan{}, notFound("nomination", in.Nomination)
		}
		if n.SubmittedBy() == p.UserID || n.OpenedBy() == p.UserID {
			return plan{}, &Error{Kind: ErrForbidden, Code: "conflict_of_interest", Message: "nobody may grant an award to a nomination they opened or submitted"}
		}
		el, err := st.Eligibility(in.Nomination)
		if err != nil {
			return plan{}, err
		}
		rk, err := st.Ranking(campaign)
		if err != nil {
			return plan{}, err
		}
		kind := n.Nominee().Kind
		refs := domain.RankingRelied{Entries: rk.Relied(kind)}
		if !st.Gapped() {
			// The state is the stream up to its last commit: a replay up to the ranking's
			// last event ranks the same.
			refs.Seq = rk.AsOfSeq
		}
		sum := domain.NominationSummary{ID: n.ID(), Unit: n.Unit(), Kind: kind, Lineage: st.Lineage(n.Unit()), Name: n.Nominee().Name}
		cevs, err := c.Grant(award, sum, el.Eligible, in.Decision, refs)
		var re *domain.RuleError
		if errors.As(err, &re) && re.Code == "not_eligible" {
			// Say why, as the eligibility does.
			var en, vi []string
			for _, r := range el.Reasons {
				en, vi = append(en, r.MessageEN), append(vi, r.MessageVI)
			}
			re.Message += ": " + strings.Join(en, "; ")
			re.MessageVI += ": " + strings.Join(vi, "; ")
		}
		if err != nil {
			return plan{}, err
		}
		nevs, err := n.Award(award, in.Decision)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: award}
		pl.add(campRef(campaign), cv, cevs)
		pl.add(nomRef(n.ID()), nv, nevs)
		// The units whose facts and plan the eligibility read go into the append at the
		// versions it read them at: a fact recorded meanwhile loses the race or makes the
		// grant decide again (domain.UnitAwardNoted).
		for _, u := range evidenceUnits(st, n) {
			if unit, uv := st.Unit(u); unit != nil {
				pl.add(unitRef(u), uv, domain.AwardNoted(campaign, award, n))
			}
		}
		return pl, nil
	})
}

// evidenceUnits returns the units whose facts and plan a nomination's eligibility reads:
// its line (the unit it was opened for, then each successor a merger passed it to) and
// the units the first of them had absorbed (projections' unitEvidence).
func evidenceUnits(st *projections.State, n *domain.Nomination) []string {
	path := n.EvidencePath()
	out := slices.Clone(path)
	for _, u := range st.Lineage(path[0]) {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// RevokeInput is the council's revocation of an award.
type RevokeInput struct {
	// Ground and Note are the revocation ground ("false_declaration", "forged_documents",
	// "unlawful_approval" or "criteria_unmet") and the council's reasons (1 to 2,000 characters).
	Ground, Note string
}

// RevokeAward revokes an award on a legal ground, which frees its place (council).
func (s *Service) RevokeAward(ctx context.Context, p Principal, award string, in RevokeInput, o Options) (Result, error) {
	if err := require(p, domain.RoleCouncil); err != nil {
		return Result{}, err
	}
	if err := validID("award", award); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		campaign, ok := st.AwardCampaign(award)
		if !ok {
			return plan{}, notFound("award", award)
		}
		c, cv := st.Campaign(campaign)
		a, ok := c.Award(award)
		if !ok {
			return plan{}, notFound("award", award)
		}
		n, nv := st.Nomination(a.Nomination)
		if n == nil {
			return plan{}, notFound("nomination", a.Nomination)
		}
		cevs, err := c.Revoke(award, in.Ground, in.Note)
		if err != nil {
			return plan{}, err
		}
		nevs, err := n.RevokeAward(award, in.Ground, in.Note)
		if err != nil {
			return plan{}, err
		}
		pl := plan{id: award}
		pl.add(campRef(campaign), cv, cevs)
		pl.add(nomRef(n.ID()), nv, nevs)
		return pl, nil
	})
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
