// Package demo seeds the demo province of `thidua serve --demo`: the units of Ninh Thuận
// as they stood in early 2025 (from the embedded ninh-thuan-units-2025.csv), users of every
// role with fixed tokens, and the 2025 administrative-reform campaign played out on a fixed
// timeline — emulation plans in April, facts in June, the abolition of the district level
// on 2025-07-01, dossiers in September and October, rulings in November, awards in
// December — so that every nomination state, the plan's exclusions, a ranking with a quota
// line and a merger with inherited history can be seen and queried.
//
// Everything goes through the command service, as the people in the story would do it;
// nothing is written behind the workflow's back. Seeding is deterministic (fixed times,
// fixed unit ids and tokens, generated documents that depend only on the story) and
// idempotent: every command carries an idempotency key, so a seed that was interrupted
// picks up where it stopped, and a store that has the whole demo is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// Campaign is the id of the campaign the demo nominates for: the built-in one, launched
// by workflows.Service.Bootstrap.
const Campaign = "ninh-thuan-cchc-2025"

// ICT is the time zone of the demo's timeline (Asia/Ho_Chi_Minh, UTC+7 all year).
var ICT = time.FixedZone("ICT", 7*3600)

// Start is the first moment of the demo's timeline (2025-04-01 07:00 ICT). A server that
// seeds a new store can bootstrap at BootstrapTime, so that as-of queries on the demo's
// dates see the campaign.
var Start = time.Date(2025, 4, 1, 7, 0, 0, 0, ICT)

// BootstrapTime is a moment before Start and inside the campaign (2025-03-25 08:00 ICT),
// at which a new store can be bootstrapped before Seed: the campaign's launch then lies
// before every demo event, and rankings and eligibility "as of" a 2025 date find it.
// (A campaign launched at the real clock's time, after the demo's 2025 timeline, does
// not exist yet for queries bounded by a 2025 time.)
var BootstrapTime = time.Date(2025, 3, 25, 8, 0, 0, 0, ICT)

// Account is a demo user with a fixed bearer token.
type Account struct {
	// Role is the user's role.
	Role domain.Role
	// Name is the user's name (unique among users).
	Name string
	// Unit is the clerk's or reviewer's unit ("" for the other roles).
	Unit string
	// Org names where the user works, for the token table.
	Org string
	// Token is the bearer token (at least 16 characters).
	Token string
	// Featured accounts are listed one by one in the table Seed prints; the other clerks
	// follow the pattern ClerkToken.
	Featured bool
}

// Fixed tokens of the demo's named users.
const (
	// AdminToken is the demo administrator's token (Sở Nội vụ).
	AdminToken = "demo-2025-admin-so-nv"
	// ReviewerToken is the token of the reviewer of Sở Nội vụ.
	ReviewerToken = "demo-2025-reviewer-so-nv"
	// CouncilToken is the token of the provincial council's secretary.
	CouncilToken = "demo-2025-council-secretary"
	// AuditorToken is the inspectorate auditor's token. The auditor is the last user the
	// demo creates: their presence marks a complete demo.
	AuditorToken = "demo-2025-auditor-ttr"
)

// ClerkToken returns the fixed token of the clerk of a demo unit: "demo-2025-clerk-"
// followed by the unit id in lower case.
func ClerkToken(unit string) string { return "demo-2025-clerk-" + strings.ToLower(unit) }

// featuredClerks are the clerks listed in the token table, with their names.
var featuredClerks = []struct{ unit, name string }{
	{"SO-TC", "Nguyễn Thị Hồng Vân"},
	{"KBNN", "Trần Minh Quang"},
	{"PRTC", "Lê Văn Phước"},
	{"NH", "Phạm Thị Mỹ Linh"},
	{"P-MYHAI", "Đặng Thị Thu Sương"},
	{"P-PHANRANG", "Nguyễn Hoàng Nam"},
}

// Accounts returns every demo user: the administrator, the reviewer of Sở Nội vụ, the
// council secretary, the auditor and one clerk for each unit (those of the CSV, then the
// successors of the 2025-07-01 reorganisation), in the order of the token table.
func Accounts() []Account {
	out := []Account{
		{Role: domain.RoleAdmin, Name: "Lê Minh Tuấn", Org: "Sở Nội vụ (quản trị hệ thống)", Token: AdminToken, Featured: true},
		{Role: domain.RoleReviewer, Name: "Nguyễn Thị Thu Hà", Unit: "SO-NV", Org: "Sở Nội vụ", Token: ReviewerToken, Featured: true},
		{Role: domain.RoleCouncil, Name: "Trần Quốc Việt", Org: "Thư ký Hội đồng Thi đua-Khen thưởng tỉnh", Token: CouncilToken, Featured: true},
		{Role: domain.RoleAuditor, Name: "Võ Thị Thanh Tâm", Org: "Thanh tra tỉnh", Token: AuditorToken, Featured: true},
	}
	named := map[string]string{}
	for _, c := range featuredClerks {
		named[c.unit] = c.name
	}
	units, _ := csvUnits()
	for _, u := range append(units, successorUnits()...) {
		a := Account{Role: domain.RoleClerk, Unit: u.ID, Org: u.Name, Token: ClerkToken(u.ID), Name: "Cán bộ thi đua – " + u.Name}
		if n, ok := named[u.ID]; ok {
			a.Name, a.Featured = n, true
		}
		out = append(out, a)
	}
	return out
}

// account returns the account with the token.
func account(token string) Account {
	for _, a := range Accounts() {
		if a.Token == token {
			return a
		}
	}
	return Account{}
}

// ErrNotNew is returned (wrapped) by MayLoad for a store that holds history of its own.
var ErrNotNew = errors.New("the demo is loaded only into a new store")

// MayLoad tells whether `serve --demo` may load the demo province into the store of svc,
// before the start bootstraps it: an empty stream, or one a demo start began (its first
// commit recorded at BootstrapTime, perhaps with the demo's users and more, a seed
// interrupted or done). A user named as the demo's administrator proves nothing: the name
// is a common one.
// Any other store is refused with an error wrapping ErrNotNew, since what the demo appends
// can never be taken out again: a store begun without --demo, even one holding only its
// first administrator, may be kept for real use, and the demo's administrator token is
// published.
func MayLoad(ctx context.Context, svc *workflows.Service) error {
	last, err := svc.Store().LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if last == 0 {
		return nil
	}
	first, err := svc.Store().CommitAt(ctx, 1)
	if err != nil || len(first.Events) == 0 {
		return fmt.Errorf("demo: %w: the store holds %d messages, and the first cannot be read to tell whether a demo start began it (%v)", ErrNotNew, last, err)
	}
	if at := first.Events[0].RecordedAt; !at.Equal(BootstrapTime) {
		return fmt.Errorf("demo: %w: this store holds %d messages of its own, begun on %s without --demo; start the demo on an empty --data directory",
			ErrNotNew, last, at.In(ICT).Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// Seed loads the demo province through svc, on a store that has been bootstrapped (first
// administrator and built-in campaign). setClock fixes the time the store records and the
// service's business time; Seed calls it before every command to walk the 2025 timeline
// (the caller returns it to the real clock afterwards). It prints the token table and a
// summary to out (nil: nowhere).
//
// On a store that already has the whole demo, Seed only prints the tokens. On a store
// with the beginning of the demo (a seed interrupted), it completes it: every command
// carries an idempotency key, so what was done is not done twice. A store that has units
// but not the demo's administrator is refused: the demo is for a new store.
func Seed(ctx context.Context, svc *workflows.Service, setClock func(time.Time), out io.Writer) error {
	if svc == nil || setClock == nil {
		return errors.New("demo: a service and a clock setter are required")
	}
	if out == nil {
		out = io.Discard
	}
	if _, err := csvUnits(); err != nil {
		return err
	}
	model := svc.Model()
	if done(model) {
		// Tokens may have been reissued or their users disabled since the load.
		printTokens(out, func(token string) bool {
			_, err := svc.Authenticate(ctx, token)
			return err == nil
		})
		fmt.Fprintln(out, "The demo province is already loaded; nothing added.")
		return nil
	}
	if !hasUser(model, domain.RoleAdmin, account(AdminToken).Name) {
		if n := len(model.Units("", "")); n > 0 {
			return fmt.Errorf("demo: the store already has %d units but not the demo's users: the demo is loaded only into a new store", n)
		}
	}
	before, err := svc.Store().LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	printTokens(out, func(string) bool { return true })
	s := newSeeder(ctx, svc, setClock)
	s.story()
	if s.err != nil {
		return fmt.Errorf("demo: %w", s.err)
	}
	after, err := svc.Store().LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	printSummary(out, model, s, after-before)
	return nil
}

// done reports whether the store has the whole demo: unit SO-NV and the auditor, whom
// the demo creates last.
func done(m *projections.Model) bool {
	if _, err := m.Unit("SO-NV", projections.Bound{}); err != nil {
		return false
	}
	return hasUser(m, domain.RoleAuditor, account(AuditorToken).Name)
}

// hasUser reports whether a user of that role and name is registered.
func hasUser(m *projections.Model, role domain.Role, name string) bool {
	for _, u := range m.Users() {
		if u.Role == string(role) && u.Name == name {
			return true
		}
	}
	return false
}

// printTokens prints the featured accounts and the pattern of the other clerks' tokens.
func printTokens(out io.Writer, works func(token string) bool) {
	fmt.Fprintln(out, "Demo province Ninh Thuận 2025 — users (fixed tokens, for demonstration only):")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tNAME\tUNIT\tTOKEN")
	for _, a := range Accounts() {
		if !a.Featured {
			continue
		}
		unit := a.Org
		if a.Unit != "" {
			unit = a.Unit + " — " + a.Org
		}
		if succ, ok := successorOf(a.Unit); ok && a.Role == domain.RoleClerk {
			unit += " (→ " + succ + " from " + Effective + ")"
		}
		token := a.Token
		if !works(token) {
			token += " (no longer works: reissued, or the user disabled)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Role, a.Name, unit, token)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "  Every other unit has a clerk too: token %s (e.g. %s).\n", ClerkToken("<unit id in lower case>"), ClerkToken("SO-XD"))
}

// successorOf returns the unit a demo unit merges into on Effective.
func successorOf(unit string) (string, bool) {
	for _, m := range mergers() {
		for _, src := range m.Sources {
			if src == unit {
				return m.Successor.ID, true
			}
		}
	}
	return "", false
}

// printSummary prints what the demo holds.
func printSummary(out io.Writer, m *projections.Model, s *seeder, appended uint64) {
	units := m.Units("", "")
	merged := 0
	for _, u := range units {
		if u.Status == domain.UnitMerged {
			merged++
		}
	}
	noms, _, _ := m.Nominations(Campaign, projections.NominationFilter{Limit: 500})
	byState := map[string]int{}
	for _, n := range noms {
		byState[n.State]++
	}
	var states []string
	for _, st := range allStates {
		states = append(states, fmt.Sprintf("%s %d", st, byState[string(st)]))
	}
	// appended counts the stream's messages (commits), of one or more events each.
	fmt.Fprintf(out, "Demo loaded: %d commits appended (%d commands on the 2025 timeline).\n", appended, s.commands)
	fmt.Fprintf(out, "  units: %d (%d merged into %d successors on 2025-07-01, when the district level was abolished)\n",
		len(units), merged, len(s.preds))
	fmt.Fprintf(out, "  users: %d\n", len(m.Users()))
	fmt.Fprintf(out, "  nominations: %d — %s\n", len(noms), strings.Join(states, ", "))
	if rk, err := m.Ranking(Campaign, projections.Bound{}); err == nil {
		fmt.Fprintf(out, "  ranking: %d eligible collectives (quota %d, %d awarded), %d eligible individuals (quota %d, %d awarded)\n",
			len(rk.Collective.Entries), rk.Collective.Quota, rk.Collective.Awarded,
			len(rk.Individual.Entries), rk.Individual.Quota, rk.Individual.Awarded)
	}
	var moves []string
	for _, mg := range mergers() {
		moves = append(moves, strings.Join(mg.Sources, " + ")+" → "+mg.Successor.ID)
	}
	fmt.Fprintf(out, "  reorganisation %s: %s\n", Effective, strings.Join(moves, "; "))
	for _, n := range s.notes {
		fmt.Fprintf(out, "  %s\n", n)
	}
	if _, err := m.Ranking(Campaign, projections.Bound{Time: Start}); err != nil {
		fmt.Fprintf(out, "  note: the campaign was launched after the demo's 2025 timeline, so queries as of a 2025 moment do not find it (%v);\n"+
			"        bootstrap a new demo store at demo.BootstrapTime (%s) to replay the demo's past.\n", err, BootstrapTime.Format(time.RFC3339))
	}
}

// allStates lists the nomination states in workflow order.
var allStates = []domain.State{
	domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified,
	domain.StateOnHold, domain.StateWithdrawn, domain.StateAwarded, domain.StateRevoked,
}
