// Package wftest builds a whole engine (store, read model, feed and command service) on a
// real embedded JetStream for tests, with helpers that drive nominations through the
// workflow.
package wftest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
)

// Campaign is the id of the built-in campaign.
const Campaign = "ninh-thuan-cchc-2025"

// AdminToken is the first administrator's token in every Env.
const AdminToken = "admin-token"

// Env is one engine for one test.
type Env struct {
	// Ctx is the test's context.
	Ctx context.Context
	// Store is the event store (its own stream on the shared server).
	Store *eventstore.Store
	// Model is the read model, fed by Feed.
	Model *projections.Model
	// Feed tails the stream into Model.
	Feed *projections.Feed
	// Svc is the command service.
	Svc *workflows.Service
	// Admin is the first administrator.
	Admin workflows.Principal
	// Now is the business clock's current time; tests move it.
	Now atomic.Pointer[time.Time]

	tb    testing.TB
	users atomic.Int64
}

// New builds an engine on srv, bootstrapped (first admin, built-in campaign). The
// business clock starts at 2025-09-15 10:00 in Asia/Ho_Chi_Minh, inside the campaign.
func New(tb testing.TB, srv *estest.Server, opts ...eventstore.Option) *Env {
	tb.Helper()
	ctx := context.Background()
	e := &Env{Ctx: ctx, tb: tb}
	start := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	e.Now.Store(&start)
	base := []eventstore.Option{
		eventstore.WithRegistry(workflows.EventRegistry()),
		// Recorded times follow the business clock, so that as-of tests are exact.
		eventstore.WithClock(func() time.Time { return *e.Now.Load() }),
	}
	e.Store = srv.Open(tb, append(base, opts...)...)
	e.start()
	return e
}

// Attach builds an engine (model, feed, service) on an existing store — for example a
// second engine on the same stream of a cluster — and bootstraps it (which appends
// nothing when another engine did it already).
func Attach(tb testing.TB, st *eventstore.Store) *Env {
	tb.Helper()
	e := &Env{Ctx: context.Background(), tb: tb, Store: st}
	start := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	e.Now.Store(&start)
	e.start()
	return e
}

// start builds the model, the feed and the service on e.Store and bootstraps.
func (e *Env) start() {
	tb, ctx := e.tb, e.Ctx
	e.Model = projections.NewModel()
	feed, err := projections.StartFeed(ctx, e.Store, e.Model, nil)
	if err != nil {
		tb.Fatalf("feed: %v", err)
	}
	tb.Cleanup(feed.Stop)
	e.Feed = feed
	e.Svc = workflows.New(e.Store, e.Model, workflows.WithClock(func() time.Time { return *e.Now.Load() }))
	if _, err := e.Svc.Bootstrap(ctx, AdminToken); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	e.Admin, err = e.Svc.Authenticate(ctx, AdminToken)
	if err != nil {
		tb.Fatalf("admin: %v", err)
	}
}

// Lagging is another server on an Env's stream whose feed lags: its own model, fed by
// hand (Feed), and its own command service on the Env's clock.
type Lagging struct {
	// Model is the server's read model, fed only by Feed.
	Model *projections.Model
	// Svc is the server's command service; its own commits are applied ahead of Feed.
	Svc *workflows.Service
	env *Env
}

// Lagging starts another server on the stream, its model fed up to the stream's end.
func (e *Env) Lagging() *Lagging {
	e.tb.Helper()
	l := &Lagging{Model: projections.NewModel(), env: e}
	l.Svc = workflows.New(e.Store, l.Model, workflows.WithClock(func() time.Time { return *e.Now.Load() }))
	l.Feed(0)
	return l
}

// Feed brings the server's model the stream's commits up to until (0: the stream's end),
// as its feed would.
func (l *Lagging) Feed(until uint64) {
	l.env.tb.Helper()
	_, err := l.env.Store.Read(l.env.Ctx, eventstore.ReadOptions{From: l.Model.Applied() + 1, Until: until}, func(c eventstore.Commit) error {
		l.Model.ApplyFeed(c)
		return nil
	})
	if err != nil {
		l.env.tb.Fatalf("feed: %v", err)
	}
}

// Advance moves the business clock.
func (e *Env) Advance(d time.Duration) {
	t := e.Now.Load().Add(d)
	e.Now.Store(&t)
}

// OK fails the test on err and returns the command's result.
func (e *Env) OK(r workflows.Result, err error) workflows.Result {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatalf("unexpected error: %v", err)
	}
	return r
}

func (e *Env) principal(p workflows.Principal, err error) workflows.Principal {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatalf("unexpected error: %v", err)
	}
	return p
}

// Unit registers a unit named "Đơn vị <id>".
func (e *Env) Unit(id string, kind domain.UnitKind) {
	e.tb.Helper()
	e.UnitNamed(id, "Đơn vị "+id, kind)
}

// UnitNamed registers a unit with a name.
func (e *Env) UnitNamed(id, name string, kind domain.UnitKind) {
	e.tb.Helper()
	e.OK(e.Svc.RegisterUnit(e.Ctx, e.Admin, workflows.RegisterUnitInput{ID: id, Name: name, Kind: kind}, workflows.Options{}))
}

// User registers a user of role (scoped to unit when given) and returns the principal.
func (e *Env) User(role domain.Role, unit string) workflows.Principal {
	e.tb.Helper()
	n := e.users.Add(1)
	_, token, err := e.Svc.CreateUser(e.Ctx, e.Admin, workflows.CreateUserInput{Name: fmt.Sprintf("%s %d", role, n), Role: role, Unit: unit}, workflows.Options{})
	if err != nil {
		e.tb.Fatalf("create user: %v", err)
	}
	return e.principal(e.Svc.Authenticate(e.Ctx, token))
}

func upload(name string) workflows.Upload {
	return workflows.Upload{Name: name + ".pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 " + name)}
}

// Plan submits the clerk's unit's plan for the campaign, unless it has one.
func (e *Env) Plan(clerk workflows.Principal) {
	e.tb.Helper()
	e.PlanIn(Campaign, clerk)
}

// PlanIn is Plan for another campaign.
func (e *Env) PlanIn(campaign string, clerk workflows.Principal) {
	e.tb.Helper()
	var hasPlan bool
	e.Model.Read(func(st *projections.State) {
		u, _ := st.Unit(clerk.Unit)
		_, hasPlan = u.Plan(campaign)
	})
	if !hasPlan {
		name := "plan-" + clerk.Unit
		if campaign != Campaign {
			name = "plan-" + campaign + "-" + clerk.Unit
		}
		_, _, err := e.Svc.SubmitPlan(e.Ctx, clerk, clerk.Unit, campaign, upload(name), workflows.Options{})
		if err != nil {
			e.tb.Fatalf("plan: %v", err)
		}
	}
}

// Dossier submits the unit's plan (once), opens a nomination, attaches the three dossier
// parts, records a passing vote and submits it. It returns the nomination id.
func (e *Env) Dossier(clerk workflows.Principal, nominee domain.Nominee) string {
	e.tb.Helper()
	return e.DossierIn(Campaign, clerk, nominee)
}

// DossierIn is Dossier in another campaign.
func (e *Env) DossierIn(campaign string, clerk workflows.Principal, nominee domain.Nominee) string {
	e.tb.Helper()
	e.PlanIn(campaign, clerk)
	r := e.OK(e.Svc.OpenNomination(e.Ctx, clerk, campaign, workflows.OpenNominationInput{Unit: clerk.Unit, Nominee: nominee}, workflows.Options{}))
	for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
		if _, _, err := e.Svc.AttachDocument(e.Ctx, clerk, r.ID, k, upload(string(k)+"-"+r.ID), workflows.Options{}); err != nil {
			e.tb.Fatalf("attach %s: %v", k, err)
		}
	}
	e.OK(e.Svc.RecordVote(e.Ctx, clerk, r.ID, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	e.OK(e.Svc.Submit(e.Ctx, clerk, r.ID, workflows.Options{}))
	return r.ID
}

// GoodFacts records facts that meet every fact-judged criterion for a unit, with the
// given PAR INDEX score.
func (e *Env) GoodFacts(reviewer workflows.Principal, unit string, parIndex float64) {
	e.tb.Helper()
	e.GoodFactsIn(Campaign, reviewer, unit, parIndex)
}

// GoodFactsExcept is GoodFacts without the facts named in except (a unit that recorded
// some of its figures only).
func (e *Env) GoodFactsExcept(reviewer workflows.Principal, unit string, parIndex float64, except ...string) {
	e.tb.Helper()
	e.goodFacts(Campaign, reviewer, unit, parIndex, except)
}

// GoodFactsIn is GoodFacts in another campaign than Campaign.
func (e *Env) GoodFactsIn(campaign string, reviewer workflows.Principal, unit string, parIndex float64) {
	e.tb.Helper()
	e.goodFacts(campaign, reviewer, unit, parIndex, nil)
}

// goodFacts records GoodFacts's facts in campaign, but those named in except.
func (e *Env) goodFacts(campaign string, reviewer workflows.Principal, unit string, parIndex float64, except []string) {
	e.tb.Helper()
	facts := []domain.FactRecordedData{
		{Fact: "par_rating", Text: "Tốt"},
		{Fact: "par_index_score", Number: Num(parIndex)},
		{Fact: "disbursement_pct", Number: Num(100)},
		{Fact: "late_dossiers", Number: Num(0)},
		{Fact: "backlog_dossiers", Number: Num(0)},
		{Fact: "index_component", Index: "PAR_INDEX", Component: "CCHC", Number: Num(9.1), Previous: Num(8.2)},
		{Fact: "staff_hours_violation_pct", Number: Num(2)},
		{Fact: "subordinate_violation_pct", Number: Num(0)},
		{Fact: "late_directives", Number: Num(0)},
		{Fact: "online_service_pct", Number: Num(100)},
	}
	for _, f := range facts {
		if slices.Contains(except, f.Fact) {
			continue
		}
		f.Campaign = campaign
		e.Fact(reviewer, unit, f)
	}
}

// Fact records one fact.
func (e *Env) Fact(reviewer workflows.Principal, unit string, f domain.FactRecordedData) workflows.Result {
	e.tb.Helper()
	if f.Campaign == "" {
		f.Campaign = Campaign
	}
	return e.OK(e.Svc.RecordFact(e.Ctx, reviewer, unit, f, workflows.Options{}))
}

// RuleAll rules "met" on every ruling-judged criterion that applies to the nomination.
func (e *Env) RuleAll(reviewer workflows.Principal, id string) {
	e.tb.Helper()
	var nominee domain.Nominee
	var def domain.Definition
	e.Model.Read(func(st *projections.State) {
		n, _ := st.Nomination(id)
		nominee = n.Nominee()
		c, _ := st.Campaign(n.Campaign())
		def = c.Definition()
	})
	for _, c := range domain.ApplicableCriteria(def, nominee) {
		if c.JudgedBy == domain.JudgedByRuling {
			e.OK(e.Svc.Rule(e.Ctx, reviewer, id, c.ID, workflows.RuleInput{Result: "met", Note: "đạt"}, workflows.Options{}))
		}
	}
}

// EligibleCollective registers a unit, its clerk, and drives a collective nomination of it
// to eligible, returning the nomination id and the clerk.
func (e *Env) EligibleCollective(unit string, kind domain.UnitKind, reviewer workflows.Principal, parIndex float64) (string, workflows.Principal) {
	e.tb.Helper()
	e.Unit(unit, kind)
	return e.MakeEligible(unit, reviewer, parIndex)
}

// MakeEligible drives a collective nomination of an existing unit to eligible.
func (e *Env) MakeEligible(unit string, reviewer workflows.Principal, parIndex float64) (string, workflows.Principal) {
	e.tb.Helper()
	clerk := e.User(domain.RoleClerk, unit)
	id := e.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective})
	e.GoodFacts(reviewer, unit, parIndex)
	e.RuleAll(reviewer, id)
	return id, clerk
}

// RuledCollective opens a collective nomination of unit by a new clerk of it, its dossier
// complete, voted on and submitted, and rules every ruling-judged criterion met: whether it
// is eligible is then the unit's facts' to say. It returns the nomination's id.
func (e *Env) RuledCollective(reviewer workflows.Principal, unit string) string {
	e.tb.Helper()
	id := e.Dossier(e.User(domain.RoleClerk, unit), domain.Nominee{Kind: domain.NomineeCollective})
	e.RuleAll(reviewer, id)
	return id
}

// Num returns a pointer to v, for fact values.
func Num(v float64) *float64 { return &v }

// OnePersonInTwoDistricts registers districts a and b, each nominating the same person
// ("Lê Văn Tâm") with a dossier ruled met on every criterion, a's unit the better placed,
// and returns a reviewer, a council member and the two nominations: the start of every test
// of one person's two dossiers that a merger of a and b joins.
func (e *Env) OnePersonInTwoDistricts(a, b string) (reviewer, council workflows.Principal, na, nb string) {
	e.tb.Helper()
	reviewer, council = e.User(domain.RoleReviewer, ""), e.User(domain.RoleCouncil, "")
	e.Unit(a, domain.UnitDistrict)
	e.Unit(b, domain.UnitDistrict)
	person := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tâm", Position: "Chuyên viên"}
	na, nb = e.Dossier(e.User(domain.RoleClerk, a), person), e.Dossier(e.User(domain.RoleClerk, b), person)
	e.GoodFacts(reviewer, a, 90)
	e.GoodFacts(reviewer, b, 80)
	e.RuleAll(reviewer, na)
	e.RuleAll(reviewer, nb)
	return reviewer, council, na, nb
}

// CompleteDraft opens a collective nomination of unit (its clerk given, its plan submitted)
// with every dossier part and a passing council vote, not submitted, and returns its id.
func (e *Env) CompleteDraft(clerk workflows.Principal, unit string) string {
	e.tb.Helper()
	e.Plan(clerk)
	id := e.OK(e.Svc.OpenNomination(e.Ctx, clerk, Campaign, workflows.OpenNominationInput{Unit: unit, Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
		if _, _, err := e.Svc.AttachDocument(e.Ctx, clerk, id, k, upload(string(k)+"-"+id), workflows.Options{}); err != nil {
			e.tb.Fatalf("attach %s: %v", k, err)
		}
	}
	e.OK(e.Svc.RecordVote(e.Ctx, clerk, id, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	return id
}
