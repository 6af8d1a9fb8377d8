package workflows

import (
	"context"
	"fmt"
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
	if in.Unit != "" && validID("unit", in.Unit) == nil {
		// The unit as the stream has it now: the registration appends to the registry
		// alone, so a merger of the unit through another server meets no sequence check
		// (a review finding: a clerk was attached to a unit merged away).
		if err := s.refCaughtUp(ctx, unitRef(in.Unit)); err != nil {
			return Result{}, "", err
		}
	}
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
			return plan{}, staleFirst(o, v, err) // a stale If-Match first
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
			return plan{}, staleFirst(o, v, err) // a stale If-Match first, as for the dossier commands
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
	if err := validUnitID(in.ID); err != nil {
		return Result{}, err
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		pl := plan{id: in.ID}
		if err := planUnit(st, &pl, in, ""); err != nil {
			return plan{}, err
		}
		return pl, nil
	})
}

// planUnit adds one unit's registration to pl, checked as RegisterUnit and ImportUnits
// both check it: a new id (unit_exists, even in another letter case), an active parent
// read from st, a valid name and kind. A unit of the same name as another under the same
// parent is taken (Model.Namesakes names the other to the caller). The unit's events go under its own subject as new,
// with its id's claim; under a parent, subordinate.registered goes on the parent too, at
// the version read, so that a grant that read the parent's subordinates, or a merger of
// it, at the same moment decides again on this registration (a review finding: both
// stood, the grant on a nomination the new unit had made ineligible, or a unit registered
// under a unit merged away). listedParent is the id, as listed, of the parent an import
// registers in the same plan ("" when the parent is not in the list): it is then new, not
// read from st, and a parent named in another letter case is not found. The checks run in
// the order an import always ran them: the unit's id, its name and kind, its parent.
func planUnit(st *projections.State, pl *plan, in RegisterUnitInput, listedParent string) error {
	if u, _ := st.Unit(in.ID); u != nil {
		return &domain.RuleError{Conflict: true, Code: "unit_exists", Message: fmt.Sprintf("unit %s already exists", in.ID), MessageVI: fmt.Sprintf("Đơn vị %s đã tồn tại", in.ID)}
	}
	if err := unitIDFree(st, in.ID); err != nil {
		return err
	}
	// The unit's own fields before its parent, as an import always checked them.
	evs, err := domain.RegisterUnit(in.ID, trimmed(in.Name), in.Kind, in.Parent)
	if err != nil {
		return err
	}
	var parent eventstore.Version
	switch {
	case listedParent != "":
		if listedParent != in.Parent {
			return parentNotFound(in.Parent, listedParent, true) // listed in another letter case
		}
	case in.Parent != "":
		u, v := st.Unit(in.Parent)
		if u == nil {
			return parentNotFound(in.Parent, st.UnitIDLike(in.Parent), false)
		}
		if err := activeUnit(st, u); err != nil {
			return err
		}
		parent = v
	}
	pl.add(unitRef(in.ID), eventstore.Version{}, evs)
	pl.claim(domain.KindUnit, in.ID)
	if in.Parent != "" {
		pl.add(unitRef(in.Parent), parent, domain.SubordinateRegistered(in.ID))
	}
	return nil
}

// unitIDFree refuses a new unit id that differs from an existing unit's only in letter
// case (unit_exists, naming the existing unit).
func unitIDFree(st *projections.State, id string) error {
	other := st.UnitIDLike(id)
	if other == "" {
		return nil
	}
	return &domain.RuleError{Code: "unit_exists", Conflict: true,
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
				return plan{}, staleFirst(o, v, err) // a stale If-Match first
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
			// A stale If-Match first: two administrators revising from one version, the
			// second was told campaign_exists (a review finding).
			return plan{}, staleFirst(o, v, err)
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
			return plan{}, staleFirst(o, v, err) // a stale If-Match first, as for the dossier commands
		}
		pl := plan{id: campaign}
		pl.add(campRef(campaign), v, evs)
		return pl, nil
	})
}
