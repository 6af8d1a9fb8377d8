package workflows

import (
	"context"
	"slices"
	"time"

	"thidua/domain"
	"thidua/projections"
)

// Authenticate returns the principal a bearer token belongs to, or ErrUnauthenticated
// for an unknown token or a disabled user's.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, &Error{Kind: ErrUnauthenticated, Code: "unauthenticated", Message: "a bearer token is required"}
	}
	if len(token) > 512 {
		// No token thidua issues is this long: it is not one, whatever it holds.
		return Principal{}, &Error{Kind: ErrUnauthenticated, Code: "unauthenticated", Message: "the bearer token is not valid (longer than any token thidua issues)"}
	}
	return s.AuthenticateHash(ctx, HashToken(token))
}

// AuthenticateHash resolves a token by its hash (HashToken), as the registry stores it:
// for a session that keeps the hash instead of the token (the web UI's cookie, which is
// then no API token if stolen).
func (s *Service) AuthenticateHash(_ context.Context, h string) (Principal, error) {
	var p Principal
	ok := false
	s.model.Read(func(st *projections.State) {
		reg, _ := st.Registry()
		u, found := reg.UserByTokenHash(h)
		if found && !u.Disabled {
			p, ok = Principal{UserID: u.ID, Name: u.Name, Role: u.Role, Unit: u.Unit}, true
		}
	})
	if !ok {
		return Principal{}, &Error{Kind: ErrUnauthenticated, Code: "unauthenticated", Message: "unknown or disabled token"}
	}
	return p, nil
}

// stillActs checks, as a command decides, that its principal is still a user of that role
// and unit, not disabled: a principal is resolved when its request starts, and an upload
// may take minutes, during which an administrator may disable the user (a clerk who left,
// a token stolen). Without it the command was recorded all the same, and thidua verify
// then named its event as one by a disabled user.
func stillActs(st *projections.State, p Principal) error {
	if p.Role == domain.RoleSystem {
		return nil
	}
	reg, _ := st.Registry()
	u, ok := reg.User(p.UserID)
	switch {
	case !ok || u.Disabled:
		return &Error{Kind: ErrUnauthenticated, Code: "unauthenticated", Message: "the user was disabled while the request ran: nothing was recorded"}
	case u.Role != p.Role || u.Unit != p.Unit:
		return forbidden("the user's role or unit is no longer the one the request began with: nothing was recorded")
	}
	return nil
}

// require checks the caller's role against the allowed ones.
func require(p Principal, roles ...domain.Role) error {
	if p.Role == domain.RoleSystem {
		return nil
	}
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return forbidden("role %q may not do this", p.Role)
}

// clerkScope checks that a clerk acts only for their own unit, and that the unit has not
// been merged away (a source unit's clerks lose write access at the merger).
func clerkScope(st *projections.State, p Principal, unit string, now time.Time) error {
	if p.Role != domain.RoleClerk {
		return nil
	}
	if p.Unit != unit {
		return forbidden("a clerk of %s may not act for unit %s", p.Unit, unit)
	}
	if u, _ := st.Unit(p.Unit); u != nil && u.Status() == domain.UnitMerged && !now.Before(effectiveStart(u.MergedEffective())) {
		return forbidden("unit %s was merged into %s on %s: its clerks no longer have write access", p.Unit, u.Successor(), u.MergedEffective())
	}
	return nil
}

// WriteScope checks that p may act for unit as every command checks it (for a clerk: their
// own unit, not merged away), so that an upload's handler can refuse before it reads the
// body it would otherwise take in whole.
func (s *Service) WriteScope(p Principal, unit string) error {
	if p.Role != domain.RoleClerk {
		return nil
	}
	var err error
	s.model.Read(func(st *projections.State) { err = clerkScope(st, p, unit, s.clock()) })
	return err
}

// NominationWriteScope is WriteScope for the unit nomination id now belongs to (nil for a
// nomination the model does not hold: the command itself answers that).
func (s *Service) NominationWriteScope(p Principal, id string) error {
	if p.Role != domain.RoleClerk {
		return nil
	}
	var err error
	s.model.Read(func(st *projections.State) {
		if n, _ := st.Nomination(id); n != nil {
			err = clerkScope(st, p, n.Unit(), s.clock())
		}
	})
	return err
}

// CanRead reports whether p may read a nomination or document of unit (a clerk reads only
// their own unit's; every other role reads everything).
func CanRead(p Principal, unit string) bool {
	return p.Role != domain.RoleClerk || p.Unit == unit
}

// CanReadNomination reports whether p may read a nomination now of unit that a merger
// passed on from the units of history: a clerk reads their unit's, and those their unit
// opened before a merger passed them to a successor.
func CanReadNomination(p Principal, unit string, history []string) bool {
	return CanRead(p, unit) || slices.Contains(history, p.Unit)
}

// CanReadNomination is the package's CanReadNomination, and for a clerk also a
// nomination that stayed on a unit their unit absorbed (an awarded, withdrawn or revoked
// one: a merger passes the others on): the successor holds its predecessors' records,
// and its own nomination may be ruled out by one of them (lineage_already_awarded).
func (s *Service) CanReadNomination(p Principal, unit string, history []string) bool {
	if CanReadNomination(p, unit, history) {
		return true
	}
	return p.Role == domain.RoleClerk && p.Unit != "" && s.model.Absorbed(p.Unit, unit)
}

// effectiveStart is the first instant of an effective date (YYYY-MM-DD) in Vietnam; an
// unreadable date counts as already in effect.
func effectiveStart(date string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", date, time.FixedZone("ICT", 7*3600))
	if err != nil {
		return time.Time{}
	}
	return t
}
