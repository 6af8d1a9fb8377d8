package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/cmd/thidua/demo"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
)

var srv *estest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = estest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Shutdown()
	os.Exit(code)
}

// clock is the real clock unless set to a fixed moment, as serve's.
type clock struct{ fixed atomic.Pointer[time.Time] }

func (c *clock) Now() time.Time {
	if t := c.fixed.Load(); t != nil {
		return *t
	}
	return time.Now()
}

func (c *clock) Set(t time.Time) {
	if t.IsZero() {
		c.fixed.Store(nil)
		return
	}
	c.fixed.Store(&t)
}

// env is a bootstrapped engine, as serve builds it before seeding.
type env struct {
	ctx   context.Context
	store *eventstore.Store
	model *projections.Model
	feed  *projections.Feed
	svc   *workflows.Service
	clock *clock
}

const adminToken = "xxxxxxxxxxxxxxxxxxxxxxxx"

// newEnv opens a store on the shared server and bootstraps it at bootstrapAt (the zero
// time: the real clock's time, as serve does).
func newEnv(t *testing.T, bootstrapAt time.Time) *env {
	t.Helper()
	c := &clock{}
	store := srv.Open(t, eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(c.Now))
	return start(t, store, c, bootstrapAt)
}

func start(t *testing.T, store *eventstore.Store, c *clock, bootstrapAt time.Time) *env {
	t.Helper()
	ctx := context.Background()
	model := projections.NewModel()
	feed, err := projections.StartFeed(ctx, store, model, nil)
	require.NoError(t, err)
	t.Cleanup(feed.Stop)
	svc := workflows.New(store, model, workflows.WithClock(c.Now))
	c.Set(bootstrapAt)
	_, err = svc.Bootstrap(ctx, adminToken)
	c.Set(time.Time{})
	require.NoError(t, err)
	return &env{ctx: ctx, store: store, model: model, feed: feed, svc: svc, clock: c}
}

func (e *env) seed(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	err := demo.Seed(e.ctx, e.svc, e.clock.Set, &out)
	e.clock.Set(time.Time{})
	require.NoError(t, err, out.String())
	return out.String()
}

func (e *env) lastSeq(t *testing.T) uint64 {
	t.Helper()
	seq, err := e.store.LastSeq(e.ctx)
	require.NoError(t, err)
	return seq
}

func nominations(t *testing.T, m *projections.Model) []projections.NominationView {
	t.Helper()
	noms, next, err := m.Nominations(demo.Campaign, projections.NominationFilter{Limit: 500})
	require.NoError(t, err)
	require.Empty(t, next)
	return noms
}

func TestSeedLoadsTheDemoProvince(t *testing.T) {
	t.Parallel()
	e := newEnv(t, time.Time{})
	out := e.seed(t)
	t.Log("\n" + out)

	// The token table comes first and names every role.
	for _, tok := range []string{demo.AdminToken, demo.ReviewerToken, demo.CouncilToken, demo.AuditorToken, demo.ClerkToken("SO-TC")} {
		assert.Contains(t, out, tok)
	}
	assert.Less(t, strings.Index(out, demo.AdminToken), strings.Index(out, "Demo loaded"))
	// Every event of the demo verifies: its chain, and its actor against the registry.
	assert.Empty(t, e.model.IntegrityProblems())
	assert.Empty(t, e.model.ActorProblems())
	assert.Empty(t, e.model.TransitionProblems(), "every nomination's history is one its commands make, mergers' transfers included")

	t.Run("every unit of the CSV, with its name", func(t *testing.T) {
		u, err := e.model.Unit("SO-VHTTDL", projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, "Sở Văn hóa, Thể thao và Du lịch", u.Name)
		assert.Equal(t, domain.UnitDepartment, u.Kind)
		c, err := e.model.Unit("X-PHUOCBINH", projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, "BA", c.Parent)
		assert.Len(t, e.model.Units("vertical", ""), 5)
		assert.Len(t, e.model.Units("district", ""), 7)
		assert.Len(t, e.model.Units("department", ""), 14)
		for _, d := range e.model.Units("district", "") {
			assert.Equal(t, domain.UnitMerged, d.Status, "the district level ended on 2025-07-01: %s", d.ID)
		}
	})

	t.Run("users of every role log in with their fixed tokens", func(t *testing.T) {
		want := map[string]domain.Role{demo.AdminToken: domain.RoleAdmin, demo.ReviewerToken: domain.RoleReviewer,
			demo.CouncilToken: domain.RoleCouncil, demo.AuditorToken: domain.RoleAuditor}
		for _, unit := range []string{"SO-TC", "KBNN", "PRTC", "NH", "P-MYHAI", "P-PHANRANG"} {
			want[demo.ClerkToken(unit)] = domain.RoleClerk
		}
		for tok, role := range want {
			p, err := e.svc.Authenticate(e.ctx, tok)
			require.NoError(t, err, tok)
			assert.Equal(t, role, p.Role, tok)
		}
		p, err := e.svc.Authenticate(e.ctx, demo.ReviewerToken)
		require.NoError(t, err)
		assert.Equal(t, "SO-NV", p.Unit)
		p, err = e.svc.Authenticate(e.ctx, demo.ClerkToken("KBNN"))
		require.NoError(t, err)
		assert.Equal(t, "KBNN", p.Unit)
		assert.Len(t, e.model.Users(), len(demo.Accounts())+1, "the demo's users and the bootstrap administrator")
	})

	noms := nominations(t, e.model)
	// Words of the English messages, which no Vietnamese message may carry (M8).
	english := regexp.MustCompile(`(?i)\b(not|no|yet|ruling|required|recorded|published|improved|cause|excused|subjective|objective|missing|pending|met|criterion|fact|the|is|of|for|and|unknown)\b`)
	states := map[string]int{}
	reasons := map[string]int{}
	byLabel := map[string]projections.NominationView{}
	heads := 0
	for _, n := range noms {
		states[n.State]++
		el, err := e.model.Eligibility(n.ID, projections.Bound{})
		require.NoError(t, err)
		for _, r := range el.Reasons {
			reasons[r.Code]++
			assert.NotEmpty(t, r.MessageVI)
			assert.NotRegexp(t, english, r.MessageVI, "%s %s of %s: message_vi in English", r.Code, r.Criterion, n.ID)
		}
		for id, c := range el.Criteria {
			if c.Note != "" && c.Result != domain.ResultMet {
				assert.NotRegexp(t, english, c.NoteVI, "%s of %s: note_vi in English", id, n.ID)
			}
		}
		byLabel[n.Unit+"|"+n.Nominee.Name] = n
		if n.Nominee.Head && n.Nominee.Gender != "" {
			heads++
		}
	}
	t.Logf("states %v", states)
	t.Logf("reasons %v", reasons)

	t.Run("nominations in every state", func(t *testing.T) {
		for _, st := range []domain.State{domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned,
			domain.StateVerified, domain.StateOnHold, domain.StateWithdrawn, domain.StateAwarded, domain.StateRevoked} {
			assert.Positive(t, states[string(st)], "state %s", st)
		}
		assert.GreaterOrEqual(t, heads, 2, "heads of unit with a gender")
	})

	t.Run("the plan's reasons", func(t *testing.T) {
		for _, code := range []string{"excluded_disbursement_subjective", "excluded_discipline_staff_hours", "criterion_not_met",
			"criterion_pending", "plan_missing", "on_hold", "council_vote_failed", "dossier_incomplete", "not_submitted",
			"returned", "withdrawn", "award_revoked"} {
			assert.Positive(t, reasons[code], "reason %s", code)
		}
	})

	t.Run("late dossiers fail C11, an unpublished index leaves C12 pending", func(t *testing.T) {
		el := eligibility(t, e.model, noms, "SO-CT", domain.NomineeCollective)
		assert.True(t, hasReason(el, "criterion_not_met", "C11"), "%+v", el.Reasons)
		el = eligibility(t, e.model, noms, "CTK", domain.NomineeCollective)
		assert.True(t, hasReason(el, "criterion_pending", "C12"), "%+v", el.Reasons)
		el = eligibility(t, e.model, noms, "BQL-KCN", domain.NomineeCollective)
		assert.True(t, hasReason(el, "excluded_discipline_staff_hours", "C13"), "%+v", el.Reasons)
		// A shortfall for an objective cause counts as met for the collective, not for its head.
		el = eligibility(t, e.model, noms, "SO-NNMT", domain.NomineeCollective)
		assert.True(t, el.Eligible, "%+v", el.Reasons)
		assert.Equal(t, "met", el.Criteria["C08"].Result)
	})

	t.Run("the ranking has a quota line", func(t *testing.T) {
		rk, err := e.model.Ranking(demo.Campaign, projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, 9, rk.Collective.Quota)
		assert.Greater(t, len(rk.Collective.Entries), rk.Collective.Quota)
		assert.Greater(t, len(rk.Individual.Entries), rk.Individual.Quota)
		assert.Equal(t, 2, rk.Collective.Awarded)
		assert.Equal(t, 2, rk.Individual.Awarded)
		recommended := 0
		for _, en := range rk.Collective.Entries {
			if en.Recommended {
				recommended++
			}
		}
		assert.Equal(t, 9, recommended)
		// Two women of one unit, tied on every key before it: the priority rule decides.
		assert.Equal(t, "priority", rk.Individual.Entries[1].DecidedBy, "%+v", rk.Individual.Entries[:2])
	})

	t.Run("awards granted by the council, one revoked on a legal ground", func(t *testing.T) {
		revoked := 0
		for _, n := range noms {
			if n.State != string(domain.StateRevoked) {
				continue
			}
			revoked++
			aw, err := e.model.Award(n.Award)
			require.NoError(t, err)
			assert.True(t, aw.Revoked)
			evs, err := e.model.NominationEvents(n.ID, projections.Bound{})
			require.NoError(t, err)
			last := evs[len(evs)-1]
			assert.Equal(t, domain.NominationAwardRevoked, last.Type)
			assert.Contains(t, string(last.Data), domain.GroundFalseDeclaration)
			assert.Equal(t, "council", last.Actor.Role)
		}
		assert.Equal(t, 1, revoked)
	})

	t.Run("the merger: inherited history and transferred nominations", func(t *testing.T) {
		merged := e.model.Units("", domain.UnitMerged)
		assert.GreaterOrEqual(t, len(merged), 7)
		prtc, err := e.model.Unit("PRTC", projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, domain.UnitMerged, prtc.Status)
		assert.Equal(t, "P-PHANRANG", prtc.Successor)
		succ, err := e.model.Unit("P-PHANRANG", projections.Bound{})
		require.NoError(t, err)
		assert.Equal(t, []string{"PRTC", "P-DAOLONG"}, succ.Predecessors)
		assert.Equal(t, domain.UnitCommune, succ.Kind)
		evs, err := e.model.UnitEvents("P-PHANRANG", true, projections.Bound{}, 0)
		require.NoError(t, err)
		inherited := map[string]int{}
		for _, ev := range evs {
			if ev.InheritedFrom != "" {
				inherited[ev.InheritedFrom]++
				assert.Equal(t, []string{"P-PHANRANG"}, ev.Via)
			}
		}
		assert.Positive(t, inherited["PRTC"])
		assert.Positive(t, inherited["P-DAOLONG"])
		own, err := e.model.UnitEvents("PRTC", false, projections.Bound{}, 0)
		require.NoError(t, err)
		assert.Equal(t, len(own), inherited["PRTC"], "all of PRTC's events, originals untouched")

		// Open nominations continued under the successors; the successor's clerk submitted them.
		transferred := 0
		for _, n := range noms {
			if len(n.UnitHistory) > 0 {
				transferred++
				assert.NotContains(t, []string{"PRTC", "NH", "NP", "NS", "BA", "TB", "TN"}, n.Unit)
			}
		}
		assert.GreaterOrEqual(t, transferred, 7)
		// Xã Ninh Sơn is excluded by Huyện Ninh Sơn's disbursement, an inherited fact.
		el := eligibility(t, e.model, noms, "X-NINHSON", domain.NomineeCollective)
		require.True(t, hasReason(el, "excluded_disbursement_subjective", "C08"), "%+v", el.Reasons)
		var cause string
		for _, r := range el.Reasons {
			if r.Code == "excluded_disbursement_subjective" {
				cause = r.Events[0]
			}
		}
		ns, err := e.model.UnitEvents("NS", false, projections.Bound{}, 0)
		require.NoError(t, err)
		found := false
		for _, ev := range ns {
			found = found || ev.ID == cause
		}
		assert.True(t, found, "the exclusion cites Huyện Ninh Sơn's own event")
		// A clerk of a merged district can no longer act.
		clerk, err := e.svc.Authenticate(e.ctx, demo.ClerkToken("PRTC"))
		require.NoError(t, err)
		_, _, err = e.svc.SubmitPlan(e.ctx, clerk, "PRTC", demo.Campaign, workflows.Upload{Name: "x.pdf", Body: strings.NewReader("%PDF-1.4")}, workflows.Options{})
		assert.ErrorIs(t, err, workflows.ErrForbidden)
	})

	t.Run("documents are small PDFs, stored by hash", func(t *testing.T) {
		n := noms[len(noms)-1]
		require.NotEmpty(t, n.Documents)
		data, err := e.store.GetDocument(e.ctx, n.Documents[0].SHA256)
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(data, []byte("%PDF-1.4")))
		assert.True(t, bytes.HasSuffix(data, []byte("%%EOF\n")))
		assert.Less(t, len(data), 4096)
	})

	t.Run("a second seed appends nothing", func(t *testing.T) {
		before := e.lastSeq(t)
		out := e.seed(t)
		assert.Equal(t, before, e.lastSeq(t))
		assert.Contains(t, out, demo.AdminToken)
		assert.Contains(t, out, "already loaded")
		assert.NotContains(t, out, "no longer works")
	})

	t.Run("a token reissued since is marked in the table", func(t *testing.T) {
		admin, err := e.svc.Authenticate(e.ctx, demo.AdminToken)
		require.NoError(t, err)
		auditor, err := e.svc.Authenticate(e.ctx, demo.AuditorToken)
		require.NoError(t, err)
		_, _, err = e.svc.ReissueToken(e.ctx, admin, auditor.UserID, workflows.Options{})
		require.NoError(t, err)
		out := e.seed(t)
		assert.Contains(t, out, demo.AuditorToken+" (no longer works")
		assert.NotContains(t, out, demo.AdminToken+" (no longer works")
	})
}

func eligibility(t *testing.T, m *projections.Model, noms []projections.NominationView, unit string, kind domain.NomineeKind) projections.EligibilityView {
	t.Helper()
	for _, n := range noms {
		if n.Unit == unit && n.Nominee.Kind == kind {
			el, err := m.Eligibility(n.ID, projections.Bound{})
			require.NoError(t, err)
			return el
		}
	}
	t.Fatalf("no %s nomination of %s", kind, unit)
	return projections.EligibilityView{}
}

func hasReason(el projections.EligibilityView, code, criterion string) bool {
	for _, r := range el.Reasons {
		if r.Code == code && r.Criterion == criterion && len(r.Events) > 0 {
			return true
		}
	}
	return false
}

// trace is a stream reduced to what must not change between runs: each event's type,
// aggregate (nominations numbered in order of appearance, their ids being ULIDs), actor
// role and recorded time.
func trace(t *testing.T, e *env, from uint64) []string {
	t.Helper()
	ids := map[string]string{}
	var out []string
	_, err := e.store.Read(e.ctx, eventstore.ReadOptions{From: from}, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			agg := ev.Aggregate.ID
			if ev.Aggregate.Kind == domain.KindNomination {
				if _, ok := ids[agg]; !ok {
					ids[agg] = fmt.Sprintf("#%d", len(ids)+1)
				}
				agg = ids[agg]
			}
			out = append(out, fmt.Sprintf("%s %s/%s %s %s", ev.RecordedAt.UTC().Format(time.RFC3339Nano), ev.Aggregate.Kind, agg, ev.Type, ev.Actor.Role))
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := newEnv(t, demo.BootstrapTime), newEnv(t, demo.BootstrapTime)
	out := a.seed(t)
	assert.NotContains(t, out, "note:", "bootstrapped before the timeline, the past can be replayed")
	b.seed(t)
	ta, tb := trace(t, a, 1), trace(t, b, 1)
	require.NotEmpty(t, ta)
	assert.Equal(t, ta, tb)

	// Recorded times walk the 2025 timeline, never back.
	for i := 1; i < len(ta); i++ {
		require.LessOrEqual(t, ta[i-1][:20], ta[i][:20], "event %d", i)
	}
	assert.True(t, strings.HasPrefix(ta[len(ta)-1], "2025-12-31"), ta[len(ta)-1])

	// Bootstrapped before the timeline, the store answers as of any 2025 moment.
	nov := time.Date(2025, 11, 30, 0, 0, 0, 0, demo.ICT)
	rk, err := a.model.Ranking(demo.Campaign, projections.Bound{Time: nov})
	require.NoError(t, err)
	assert.Greater(t, len(rk.Collective.Entries), rk.Collective.Quota)
	assert.Zero(t, rk.Collective.Awarded, "no award before December")
	june := time.Date(2025, 6, 30, 12, 0, 0, 0, demo.ICT)
	for _, n := range nominations(t, a.model) {
		if len(n.UnitHistory) == 0 {
			continue
		}
		el, err := a.model.Eligibility(n.ID, projections.Bound{Time: june})
		require.NoError(t, err)
		assert.Equal(t, n.UnitHistory[0], el.Unit, "before the merger the nomination was its district's")
	}
}

func TestSeedResumesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	clean := newEnv(t, demo.BootstrapTime)
	clean.seed(t)

	e := newEnv(t, demo.BootstrapTime)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := demo.Seed(ctx, e.svc, func(at time.Time) {
		calls++
		if calls == 700 {
			cancel()
		}
		e.clock.Set(at)
	}, nil)
	cancel()
	e.clock.Set(time.Time{})
	require.Error(t, err)
	require.NoError(t, projections.WaitCaughtUp(e.ctx, e.store, e.model, 10*time.Second))
	partial := e.lastSeq(t)

	// A restarted server catches up from the stream and seeds again: the demo is completed.
	c := e.clock
	e2 := start(t, e.store, c, demo.BootstrapTime)
	out := e2.seed(t)
	assert.Contains(t, out, "Demo loaded")
	assert.Greater(t, e2.lastSeq(t), partial)
	assert.Equal(t, trace(t, clean, 1), trace(t, e2, 1))
}

func TestSeedRefusesAStoreInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, time.Time{})
	admin, err := e.svc.Authenticate(e.ctx, adminToken)
	require.NoError(t, err)
	_, err = e.svc.RegisterUnit(e.ctx, admin, workflows.RegisterUnitInput{ID: "SO-NV", Name: "Sở Nội vụ", Kind: domain.UnitDepartment}, workflows.Options{})
	require.NoError(t, err)
	before := e.lastSeq(t)
	err = demo.Seed(e.ctx, e.svc, e.clock.Set, nil)
	e.clock.Set(time.Time{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "new store")
	assert.Equal(t, before, e.lastSeq(t))
}

// TestMayLoad: serve --demo loads the demo only into an empty store or one a demo start
// began (bootstrapped at BootstrapTime: interrupted before or after its first user, or
// done); a store begun without --demo is refused, even one holding nothing but its first
// administrator and campaign, with the time it was begun.
func TestMayLoad(t *testing.T) {
	t.Parallel()
	empty := srv.Open(t, eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, demo.MayLoad(t.Context(), workflows.New(empty, projections.NewModel())))

	begun := newEnv(t, demo.BootstrapTime)
	require.NoError(t, demo.MayLoad(t.Context(), begun.svc), "bootstrapped by a demo start, seed not begun")
	begun.seed(t)
	require.NoError(t, demo.MayLoad(t.Context(), begun.svc), "the demo loaded")

	plain := newEnv(t, time.Time{})
	err := demo.MayLoad(t.Context(), plain.svc)
	require.ErrorIs(t, err, demo.ErrNotNew)
	// An administrator of a real store who bears the demo administrator's name (a common
	// one) does not make it a demo store.
	admin, err := plain.svc.Authenticate(t.Context(), adminToken)
	require.NoError(t, err)
	_, _, err = plain.svc.CreateUser(t.Context(), admin, workflows.CreateUserInput{Name: demo.Accounts()[0].Name, Role: domain.RoleAdmin}, workflows.Options{})
	require.NoError(t, err)
	err = demo.MayLoad(t.Context(), plain.svc)
	require.ErrorIs(t, err, demo.ErrNotNew)
	assert.Contains(t, err.Error(), "without --demo; start the demo on an empty --data directory")
	assert.Contains(t, err.Error(), time.Now().In(demo.ICT).Format("2006-01-02"))
}

// TestSeedOnAnEmbeddedStoreWithFsync seeds the embedded store serve uses (its own
// nats-server, sync on every write) whole, and logs how long it takes (a figure, not a
// target: speed belongs to the benchmarks).
func TestSeedOnAnEmbeddedStoreWithFsync(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts its own embedded server")
	}
	c := &clock{}
	store, err := eventstore.Open(context.Background(), eventstore.WithDataDir(t.TempDir()), eventstore.WithSyncAlways(true),
		eventstore.WithServerName("thidua-demo-test"), eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(c.Now))
	require.NoError(t, err)
	t.Cleanup(store.Close)
	e := start(t, store, c, time.Time{})
	t0 := time.Now()
	e.seed(t)
	t.Logf("seeded %d events in %s", e.lastSeq(t), time.Since(t0))
	assert.Greater(t, e.lastSeq(t), uint64(1000))
	var out bytes.Buffer
	require.NoError(t, demo.Seed(e.ctx, e.svc, e.clock.Set, &out))
	e.clock.Set(time.Time{})
	assert.Contains(t, out.String(), "already loaded; nothing added", "the whole demo, on the store serve uses")
}
