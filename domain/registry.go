package domain

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// User is a registered user. TokenHash is the hash of the bearer token.
type User struct {
	ID             string
	Name           string
	Role           Role
	Unit           string
	TokenHash      string
	Disabled       bool
	DisabledReason string
}

// Registry is the user registry aggregate (one per installation, id RegistryID). It owns
// the uniqueness of user names.
type Registry struct {
	byID    map[string]*User
	byName  map[string]string
	byToken map[string]string
	seq     uint64
}

// NewRegistry returns an empty registry, ready to apply its events.
func NewRegistry() *Registry {
	return &Registry{byID: map[string]*User{}, byName: map[string]string{}, byToken: map[string]string{}}
}

// nameKey folds a user name for the uniqueness check (trimmed, case-insensitive).
func nameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

func (g *Registry) init() {
	if g.byID == nil {
		g.byID, g.byName, g.byToken = map[string]*User{}, map[string]string{}, map[string]string{}
	}
}

// Apply evolves the registry by one recorded event; other payloads are ignored.
func (g *Registry) Apply(r Recorded) {
	g.init()
	switch d := r.Data.(type) {
	case UserRegisteredData:
		if _, ok := g.byID[d.ID]; ok {
			// A second registration of an id, which no command makes (Refuses): the first
			// stands, as thidua verify's actor check keeps it, so that such an event can
			// neither change a user's role, unit or token nor enable them again.
			break
		}
		g.byID[d.ID] = &User{ID: d.ID, Name: d.Name, Role: d.Role, Unit: d.Unit, TokenHash: d.TokenHash}
		if _, taken := g.byName[nameKey(d.Name)]; !taken {
			g.byName[nameKey(d.Name)] = d.ID
		}
		if _, taken := g.byToken[d.TokenHash]; d.TokenHash != "" && !taken {
			g.byToken[d.TokenHash] = d.ID
		}
	case UserDisabledData:
		if u, ok := g.byID[d.ID]; ok {
			u.Disabled, u.DisabledReason = true, d.Reason
		}
	case UserTokenReissuedData:
		if u, ok := g.byID[d.ID]; ok {
			if g.byToken[u.TokenHash] == u.ID {
				delete(g.byToken, u.TokenHash)
			}
			u.TokenHash = d.TokenHash
			if d.TokenHash != "" {
				g.byToken[d.TokenHash] = u.ID
			}
		}
	default:
		return
	}
	if r.Seq > g.seq {
		g.seq = r.Seq
	}
}

// Refuses says why no command could have recorded r where the registry stands, before
// it is applied ("" when one could, or r is none of the registry's events): a second
// registration of a user id, a registration or a reissue with a token another user has,
// or an event of a user never registered. Such an event was appended behind the engine's
// back. (A name another user has is not judged: earlier versions compared names otherwise.)
func (g *Registry) Refuses(r Recorded) string {
	g.init()
	switch d := r.Data.(type) {
	case UserRegisteredData:
		if u, ok := g.byID[d.ID]; ok {
			return fmt.Sprintf("a second registration of user %s (registered as %s, which stands)", d.ID, u.Role)
		}
		if id, ok := g.byToken[d.TokenHash]; d.TokenHash != "" && ok {
			return fmt.Sprintf("a registration with user %s's token", id)
		}
	case UserDisabledData:
		if _, ok := g.byID[d.ID]; !ok {
			return fmt.Sprintf("the disabling of user %s, who is not registered", d.ID)
		}
	case UserTokenReissuedData:
		if _, ok := g.byID[d.ID]; !ok {
			return fmt.Sprintf("a token reissued to user %s, who is not registered", d.ID)
		}
		if id, ok := g.byToken[d.TokenHash]; d.TokenHash != "" && ok {
			return fmt.Sprintf("a token reissued to user %s that is user %s's", d.ID, id)
		}
	}
	return ""
}

// Version returns the stream sequence of the last applied event.
func (g *Registry) Version() uint64 { return g.seq }

// User returns a user by id.
func (g *Registry) User(id string) (User, bool) {
	u, ok := g.byID[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// UserByTokenHash returns the user whose token has that hash (disabled users included:
// check Disabled).
func (g *Registry) UserByTokenHash(h string) (User, bool) {
	if h == "" {
		return User{}, false
	}
	id, ok := g.byToken[h]
	if !ok {
		return User{}, false
	}
	return g.User(id)
}

// Users returns every user, ordered by id.
func (g *Registry) Users() []User {
	out := make([]User, 0, len(g.byID))
	for _, u := range g.byID {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// HasRole reports whether an enabled user has the role.
func (g *Registry) HasRole(role Role) bool { return g.enabledWith(role) > 0 }

// enabledWith counts the enabled users with the role.
func (g *Registry) enabledWith(role Role) int {
	n := 0
	for _, u := range g.byID {
		if u.Role == role && !u.Disabled {
			n++
		}
	}
	return n
}

// FreeUserIDAndName returns id and name if neither is taken, else the first of
// "id-2"/"name (2)", "id-3"/"name (3)" … that are both free: for a user the system
// registers (the first administrator, or a new one when every administrator was disabled).
func (g *Registry) FreeUserIDAndName(id, name string) (string, string) {
	g.init()
	for n := 1; ; n++ {
		i, m := id, name
		if n > 1 {
			i, m = fmt.Sprintf("%s-%d", id, n), fmt.Sprintf("%s (%d)", name, n)
		}
		_, idTaken := g.byID[i]
		_, nameTaken := g.byName[nameKey(m)]
		if !idTaken && !nameTaken {
			return i, m
		}
	}
}

// RegisterUser decides registering a user. Refusals: user_exists (the id is taken),
// invalid_name, user_name_taken, invalid_role (unknown or system), unit_required (a clerk
// needs a unit), unit_not_allowed (only clerks and reviewers have a unit; a reviewer's unit
// marks a conflict of interest), token_required and token_taken.
func (g *Registry) RegisterUser(id, name string, role Role, unit, tokenHash string) ([]Event, error) {
	g.init()
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	if _, ok := g.byID[id]; ok {
		return nil, conflictErr("user_exists", fmt.Sprintf("user %s already exists", id), fmt.Sprintf("Người dùng %s đã tồn tại", id))
	}
	name = norm.NFC.String(strings.Join(strings.Fields(name), " "))
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, fieldErr("name", "invalid_name", "a user name of 1 to 200 characters is required", "Tên người dùng là bắt buộc (tối đa 200 ký tự)")
	}
	if en, vi := invisibleIn("user name", "Tên người dùng", name); en != "" {
		return nil, fieldErr("name", "invalid_name", en, vi)
	}
	if _, taken := g.byName[nameKey(name)]; taken {
		// Names are unique so that a trail's "by" reads as one person; a namesake is told
		// apart in the name itself (a review finding: the refusal did not say how).
		return nil, fieldErr("name", "user_name_taken",
			fmt.Sprintf("the name %q is taken: add what tells the two people apart, such as the unit (%s, Sở Tư pháp)", name, name),
			fmt.Sprintf("Tên %q đã được sử dụng: hãy thêm điều phân biệt hai người, chẳng hạn đơn vị (%s, Sở Tư pháp)", name, name))
	}
	if !role.Valid() {
		return nil, malformedErr("role", "invalid_role", fmt.Sprintf("role %q is not admin, clerk, reviewer, council or auditor", role),
			fmt.Sprintf("Vai trò %q không hợp lệ", role))
	}
	if role == RoleSystem {
		return nil, fieldErr("role", "invalid_role", "the engine's own role (system) is not given to a user: admin, clerk, reviewer, council or auditor",
			"Vai trò system là của hệ thống, không cấp cho người dùng")
	}
	switch role {
	case RoleClerk:
		if unit == "" {
			return nil, fieldErr("unit", "unit_required", "a clerk needs a unit", "Cán bộ thi đua của đơn vị phải gắn với một đơn vị")
		}
	case RoleReviewer:
	default:
		if unit != "" {
			return nil, fieldErr("unit", "unit_not_allowed", fmt.Sprintf("a user with role %s has no unit", role), fmt.Sprintf("Vai trò %s không gắn với đơn vị", role))
		}
	}
	if unit != "" {
		if err := ValidateID(unit); err != nil {
			return nil, fmt.Errorf("unit id: %w", err)
		}
	}
	if tokenHash == "" {
		return nil, ruleErr("token_required", "the token hash is required", "Thiếu mã băm của token")
	}
	if _, taken := g.byToken[tokenHash]; taken {
		return nil, ruleErr("token_taken", "the token is already in use", "Token đã được sử dụng")
	}
	return []Event{{Type: UserRegistered, Data: UserRegisteredData{ID: id, Name: name, Role: role, Unit: unit, TokenHash: tokenHash}}}, nil
}

// DisableUser decides disabling a user; a reason is required. A user already disabled is a
// conflict with the user's state (user_disabled, 409 over HTTP, as for an award already
// revoked). The last enabled
// administrator cannot be disabled (last_admin): nobody could then administer the
// installation.
func (g *Registry) DisableUser(id, reason string) ([]Event, error) {
	u, ok := g.byID[id]
	if !ok {
		return nil, ruleErr("unknown_user", fmt.Sprintf("user %s does not exist", id), fmt.Sprintf("Người dùng %s không tồn tại", id))
	}
	if u.Disabled {
		return nil, conflictErr("user_disabled", fmt.Sprintf("user %s is already disabled", id), fmt.Sprintf("Người dùng %s đã bị khóa", id))
	}
	reason, err := validReason(reason)
	if err != nil {
		return nil, err
	}
	if u.Role == RoleAdmin && g.enabledWith(RoleAdmin) == 1 {
		return nil, ruleErr("last_admin", fmt.Sprintf("user %s is the last enabled administrator: register another one first", id),
			fmt.Sprintf("Người dùng %s là quản trị viên cuối cùng còn hoạt động: hãy tạo quản trị viên khác trước", id))
	}
	return []Event{{Type: UserDisabled, Data: UserDisabledData{ID: id, Reason: reason}}}, nil
}

// ReissueToken decides giving a user a new token (its hash), in place of the old one:
// for a token lost or leaked, without a new user, so that the audit trail keeps one
// identity. Refusals: unknown_user, user_disabled (a disabled user stays locked out),
// token_required and token_taken.
func (g *Registry) ReissueToken(id, tokenHash string) ([]Event, error) {
	g.init()
	u, ok := g.byID[id]
	if !ok {
		return nil, ruleErr("unknown_user", fmt.Sprintf("user %s does not exist", id), fmt.Sprintf("Người dùng %s không tồn tại", id))
	}
	if u.Disabled {
		return nil, conflictErr("user_disabled", fmt.Sprintf("user %s is disabled", id), fmt.Sprintf("Người dùng %s đã bị khóa", id))
	}
	if tokenHash == "" {
		return nil, ruleErr("token_required", "the token hash is required", "Thiếu mã băm của token")
	}
	if _, taken := g.byToken[tokenHash]; taken {
		return nil, ruleErr("token_taken", "the token is already in use", "Token đã được sử dụng")
	}
	return []Event{{Type: UserTokenReissued, Data: UserTokenReissuedData{ID: id, TokenHash: tokenHash}}}, nil
}
