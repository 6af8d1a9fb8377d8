package projections_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// forge publishes one event on an aggregate's subject directly to JetStream, behind the
// store's back, and waits until the feed has applied it. prev is the previous hash the
// event records; alter changes the payload after the hash was computed (an altered event).
func forge(t *testing.T, env *wftest.Env, ref eventstore.Ref, typ string, schema int, data any, prev string, alter bool) string {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	now := env.Now.Load().UTC()
	e := eventstore.Event{
		ID: ulid.Make().String(), Type: typ, Schema: schema, Aggregate: ref,
		Actor:      eventstore.Actor{User: "intruder", Role: "reviewer"},
		OccurredAt: now, RecordedAt: now, PrevHash: prev, Data: raw,
	}
	e.Hash = e.ComputeHash()
	if alter {
		e.Data = bytes.Replace(e.Data, []byte(`"met"`), []byte(`"not_applicable"`), 1)
		require.NotEqual(t, string(raw), string(e.Data), "the alteration must change the payload")
	}
	return publishBehindTheBack(t, env, ref, e)
}

// publishBehindTheBack publishes one event, as built, on an aggregate's subject directly
// to JetStream, and waits until the feed has applied it; it returns the event's id.
func publishBehindTheBack(t *testing.T, env *wftest.Env, ref eventstore.Ref, e eventstore.Event) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"events": []eventstore.Event{e}})
	require.NoError(t, err)
	subject, err := env.Store.Subject(ref)
	require.NoError(t, err)
	_, err = env.Store.JetStream().Publish(env.Ctx, subject, body)
	require.NoError(t, err)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	return e.ID
}

func reasonEvents(el projections.EligibilityView, code string) ([]string, bool) {
	for _, r := range el.Reasons {
		if r.Code == code {
			return r.Events, true
		}
	}
	return nil, false
}

// rankedCollectives returns the nominations of the test campaign's live collective
// ranking, in order.
func rankedCollectives(t *testing.T, m *projections.Model) []string {
	t.Helper()
	rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	var out []string
	for _, e := range rk.Collective.Entries {
		out = append(out, e.Nomination)
	}
	return out
}

// TestTamperingIsFlaggedOnNominations appends events behind the store's back — one that
// does not link to its predecessor, one whose content was altered after hashing, a forged
// fact on a unit — and checks that exactly the nominations they touch are flagged: an
// integrity field naming the events, the reason integrity_broken, out of the ranking; the
// same after a rebuild and a snapshot round trip; and as of before the tampering, clean.
func TestTamperingIsFlaggedOnNominations(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	n1, _ := env.EligibleCollective("SO-A", domain.UnitDepartment, reviewer, 90)
	n2, _ := env.EligibleCollective("SO-B", domain.UnitDepartment, reviewer, 89)
	n3, _ := env.EligibleCollective("SO-C", domain.UnitDepartment, reviewer, 88)
	n4, _ := env.EligibleCollective("SO-D", domain.UnitDepartment, reviewer, 87)
	require.Empty(t, env.Model.IntegrityProblems())
	for _, n := range []string{n1, n2, n3, n4} {
		el, err := env.Model.Eligibility(n, projections.Bound{})
		require.NoError(t, err)
		require.True(t, el.Eligible, "%s: %+v", n, el.Reasons)
		assert.Equal(t, projections.IntegrityOK, el.Integrity.Status)
	}
	env.Advance(time.Hour)
	cleanAt := *env.Now.Load()
	lastClean, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	env.Advance(time.Hour)

	nomRef := func(id string) eventstore.Ref { return eventstore.Ref{Kind: domain.KindNomination, ID: id} }
	ruling := domain.CriterionRuledData{Criterion: "C01", Result: "met", Note: "ghi thêm"}
	// 1. Appended behind the store's back, not linked to the chain (its previous hash is made up).
	inserted := forge(t, env, nomRef(n1), domain.CriterionRuled, 1, ruling, "0123456789abcdef", false)
	// 2. Linked to the chain, but its content was altered after it was hashed.
	altered := forge(t, env, nomRef(n2), domain.CriterionRuled, 1, ruling, env.Model.Version(nomRef(n2)).Hash, true)
	// 3. A forged fact on a unit: the unit's nomination relies on it.
	unitC := eventstore.Ref{Kind: domain.KindUnit, ID: "SO-C"}
	fact := domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "par_index_score", Number: wftest.Num(99)}
	forgedFact := forge(t, env, unitC, domain.FactRecorded, 2, fact, "", false)

	// A legitimate command after the tampering chains on what the stream holds; the break stays recorded.
	env.Advance(time.Hour)
	env.OK(env.Svc.Hold(env.Ctx, reviewer, n1, "kiểm tra", workflows.Options{}))
	env.OK(env.Svc.Release(env.Ctx, reviewer, n1, "xong", workflows.Options{}))

	want := map[string]struct {
		events  []string
		problem string
	}{
		n1: {[]string{inserted}, projections.ProblemChainBroken},
		n2: {[]string{altered}, projections.ProblemHashMismatch},
		n3: {[]string{forgedFact}, projections.ProblemChainBroken},
	}
	check := func(t *testing.T, m *projections.Model) {
		t.Helper()
		for _, n := range []string{n1, n2, n3, n4} {
			el, err := m.Eligibility(n, projections.Bound{})
			require.NoError(t, err)
			nv, err := m.Nomination(n)
			require.NoError(t, err)
			w, broken := want[n]
			if !broken {
				assert.True(t, el.Eligible, "%s is untouched: %+v", n, el.Reasons)
				assert.Equal(t, projections.IntegrityOK, el.Integrity.Status)
				assert.Equal(t, projections.IntegrityOK, nv.Integrity.Status)
				continue
			}
			assert.False(t, el.Eligible, n)
			assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status, n)
			assert.Equal(t, w.events, el.Integrity.Events, n)
			assert.Equal(t, projections.IntegrityBroken, nv.Integrity.Status, n)
			assert.Equal(t, w.events, nv.Integrity.Events, n)
			assert.False(t, nv.Eligible, n)
			require.NotEmpty(t, el.Integrity.Problems)
			assert.Equal(t, w.problem, el.Integrity.Problems[0].Problem, n)
			evs, ok := reasonEvents(el, projections.ReasonIntegrityBroken)
			assert.True(t, ok, "%s: reasons %+v", n, el.Reasons)
			assert.Equal(t, w.events, evs, n)

			// As of before the tampering: clean and eligible, whatever the bound's kind.
			for _, b := range []projections.Bound{{Time: cleanAt}, {Seq: lastClean}} {
				past, err := m.Eligibility(n, b)
				require.NoError(t, err)
				assert.True(t, past.Eligible, "%s as of %+v: %+v", n, b, past.Reasons)
				assert.Equal(t, projections.IntegrityOK, past.Integrity.Status)
			}
		}
		assert.Equal(t, []string{n4}, rankedCollectives(t, m), "only the untouched nomination is ranked")
		got := map[string]bool{}
		for _, p := range m.IntegrityProblems() {
			got[p.EventID] = true
		}
		assert.Equal(t, map[string]bool{inserted: true, altered: true, forgedFact: true}, got)
	}
	t.Run("live", func(t *testing.T) { check(t, env.Model) })
	rebuilt := rebuild(t, env, eventstore.ReadOptions{})
	t.Run("rebuilt", func(t *testing.T) { check(t, rebuilt) })
	var buf bytes.Buffer
	_, err = env.Model.WriteSnapshot(&buf)
	require.NoError(t, err)
	restored, _, err := projections.ReadSnapshot(&buf)
	require.NoError(t, err)
	t.Run("snapshot", func(t *testing.T) { check(t, restored) })
	for _, n := range []string{n1, n2, n3, n4} {
		live, _ := env.Model.Eligibility(n, projections.Bound{})
		again, _ := rebuilt.Eligibility(n, projections.Bound{})
		assert.Equal(t, jsonOf(t, live), jsonOf(t, again), n)
	}

	// The store's own verification names the same events.
	rep, err := env.Store.VerifyChains(env.Ctx)
	require.NoError(t, err)
	named := map[string]bool{}
	for _, p := range rep.Problems {
		named[p.EventID] = true
	}
	assert.Equal(t, map[string]bool{inserted: true, altered: true, forgedFact: true}, named)
}

// TestBrokenChainsFlagOnlyWhatReliesOnThem: a broken chain of an aggregate no nomination
// relies on is listed, and flags no evaluation; a broken nomination alone (no unit's chain
// broken) is flagged, live and in the ranking, and its neighbour is not.
func TestBrokenChainsFlagOnlyWhatReliesOnThem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	n1, _ := env.EligibleCollective("SO-A", domain.UnitDepartment, reviewer, 90)
	n2, _ := env.EligibleCollective("SO-B", domain.UnitDepartment, reviewer, 89)
	ranked := func() []string { return rankedCollectives(t, env.Model) }
	require.Equal(t, []string{n1, n2}, ranked())

	other := forge(t, env, eventstore.Ref{Kind: "archive", ID: "a1"}, "archive.noted", 1, map[string]string{"note": "x"}, "0123456789abcdef", false)
	require.Len(t, env.Model.IntegrityProblems(), 1)
	assert.Equal(t, other, env.Model.IntegrityProblems()[0].EventID)
	for _, n := range []string{n1, n2} {
		el, err := env.Model.Eligibility(n, projections.Bound{})
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%s: %+v", n, el.Reasons)
		assert.Equal(t, projections.IntegrityOK, el.Integrity.Status, n)
	}
	assert.Equal(t, []string{n1, n2}, ranked(), "an unrelated broken chain changes no ranking")

	ruling := domain.CriterionRuledData{Criterion: "C01", Result: "met"}
	inserted := forge(t, env, eventstore.Ref{Kind: domain.KindNomination, ID: n1}, domain.CriterionRuled, 1, ruling, "0123456789abcdef", false)
	el, err := env.Model.Eligibility(n1, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status)
	assert.Equal(t, []string{inserted}, el.Integrity.Events)
	el, err = env.Model.Eligibility(n2, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "%+v", el.Reasons)
	assert.Equal(t, []string{n2}, ranked())
}

// TestIntegrityOfHandBuiltCommits checks the hook on commits applied directly: a clean
// chain verifies, an event stored on another aggregate's subject is flagged, and a commit
// applied twice is checked once.
func TestIntegrityOfHandBuiltCommits(t *testing.T) {
	t.Parallel()
	m := projections.NewModel()
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U1"}
	at := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	mk := func(prev string, data string) eventstore.Event {
		e := eventstore.Event{ID: ulid.Make().String(), Type: domain.UnitRegistered, Schema: 1, Aggregate: ref,
			Actor: eventstore.Actor{User: "admin", Role: "admin"}, OccurredAt: at, RecordedAt: at, PrevHash: prev, Data: json.RawMessage(data)}
		e.Hash = e.ComputeHash()
		return e
	}
	// The administrator the events name, registered by the engine.
	reg := eventstore.Event{ID: ulid.Make().String(), Type: domain.UserRegistered, Schema: 1,
		Aggregate: eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID},
		Actor:     eventstore.Actor{User: "system", Role: "system"}, OccurredAt: at, RecordedAt: at,
		Data: json.RawMessage(`{"id":"admin","name":"Quản trị","role":"admin","token_hash":"00"}`)}
	reg.Hash = reg.ComputeHash()
	m.ApplyFeed(eventstore.Commit{Seq: 1, Subject: "thidua.registry.users", Events: []eventstore.Event{reg}})
	e1 := mk("", `{"id":"U1","name":"Đơn vị U1","kind":"department"}`)
	c1 := eventstore.Commit{Seq: 2, Subject: "thidua.unit.U1", Events: []eventstore.Event{e1}}
	m.ApplyFeed(c1)
	m.ApplyCommitted(c1)
	assert.Empty(t, m.IntegrityProblems())
	assert.Equal(t, projections.IntegrityOK, m.Integrity(ref, projections.Bound{}).Status)

	e2 := mk(e1.Hash, `{"id":"U1","name":"Đơn vị U1","kind":"department"}`)
	m.ApplyFeed(eventstore.Commit{Seq: 3, Subject: "thidua.unit.U2", Events: []eventstore.Event{e2}})
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1)
	assert.Equal(t, projections.ProblemAggregateMismatch, ps[0].Problem)
	assert.Equal(t, e2.ID, ps[0].EventID)
	v := m.Integrity(ref, projections.Bound{})
	assert.Equal(t, projections.IntegrityBroken, v.Status)
	assert.Equal(t, []string{e2.ID}, v.Events)
	assert.Equal(t, projections.IntegrityOK, m.Integrity(ref, projections.Bound{Seq: 2}).Status)
}

// TestForwardDatedEventsAreFlagged: an event that says it was recorded more than
// eventstore.FutureTolerance after JetStream stored it (forward-dated, or by a process
// whose clock ran ahead) is flagged as the model applies it, through a rebuild as through
// the feed; a clock a few minutes ahead is not.
func TestForwardDatedEventsAreFlagged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ahead   time.Duration
		flagged bool
	}{
		{"a few minutes ahead", 5 * time.Minute, false},
		{"two hours ahead", 2 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := srv.Open(t, eventstore.WithClock(func() time.Time { return time.Now().Add(tc.ahead) }))
			ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U1"}
			c, err := st.Append(t.Context(), ref, eventstore.Version{}, []eventstore.Pending{{Type: domain.UnitRegistered,
				Data: map[string]string{"id": "U1", "name": "Đơn vị U1", "kind": "department"}}}, eventstore.Meta{})
			require.NoError(t, err)
			rebuilt, err := projections.Rebuild(t.Context(), st, eventstore.ReadOptions{}, nil)
			require.NoError(t, err)
			// The engine that wrote it applies its own commit first (it says only when it
			// was recorded); the feed then says when it was stored.
			live := projections.NewModel()
			live.ApplyCommitted(c)
			// An engine that read the commit back from the stream (a catch-up after a
			// conflict) knows its stored time already: flagged once, not again by the feed.
			readBack := projections.NewModel()
			loaded, err := st.LoadCommits(t.Context(), ref, 0)
			require.NoError(t, err)
			readBack.ApplyCommitted(loaded...)
			for _, m := range []*projections.Model{live, readBack} {
				feed, err := projections.StartFeed(t.Context(), st, m, slog.New(slog.DiscardHandler))
				require.NoError(t, err)
				require.NoError(t, m.WaitFor(t.Context(), c.Seq))
				feed.Stop()
			}
			for name, m := range map[string]*projections.Model{"rebuilt": rebuilt, "live": live, "read back": readBack} {
				var dated []projections.IntegrityProblem
				for _, p := range m.IntegrityProblems() {
					if p.Problem == projections.ProblemForwardDated {
						dated = append(dated, p)
					}
				}
				if !tc.flagged {
					assert.Empty(t, dated, name)
					continue
				}
				require.Len(t, dated, 1, name)
				assert.Equal(t, c.Events[0].ID, dated[0].EventID, name)
				assert.Contains(t, dated[0].Detail, "after JetStream stored it", name)
				assert.Equal(t, projections.IntegrityBroken, m.Integrity(ref, projections.Bound{}).Status, name)
			}
		})
	}
}

// TestOldSchemaForgeryIsFlagged: an event stored under an old schema version is upcast on
// read, but its stored content is checked against its hash first: a forged fact claiming
// schema 1 with a hash that does not match is flagged as any other (it was trusted).
func TestOldSchemaForgeryIsFlagged(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nom, _ := env.EligibleCollective("OS", domain.UnitDepartment, reviewer, 80)
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "OS"}
	now := env.Now.Load().UTC()
	e := eventstore.Event{
		ID: ulid.Make().String(), Type: domain.FactRecorded, Schema: 1, Aggregate: ref,
		Actor:      eventstore.Actor{User: "intruder", Role: "reviewer"},
		OccurredAt: now, RecordedAt: now, PrevHash: env.Model.Version(ref).Hash,
		Data: json.RawMessage(`{"campaign":"` + wftest.Campaign + `","name":"late_dossiers","value":3}`),
	}
	e.Hash = e.ComputeHash()
	e.Data = json.RawMessage(`{"campaign":"` + wftest.Campaign + `","name":"late_dossiers","value":0}`) // altered after hashing
	publishBehindTheBack(t, env, ref, e)

	el, err := env.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	evs, ok := reasonEvents(el, projections.ReasonIntegrityBroken)
	assert.True(t, ok, "%+v", el.Reasons)
	assert.Contains(t, evs, e.ID)
	found := false
	for _, p := range env.Model.IntegrityProblems() {
		found = found || (p.EventID == e.ID && p.Problem == projections.ProblemHashMismatch)
	}
	assert.True(t, found, "%+v", env.Model.IntegrityProblems())
}

// TestActorProblems: the hash chain has no secret, so an event appended with a valid link
// verifies; its actor shows it. An unknown user, a role the user does not have, a
// disabled user, a role whose commands never record the event's type (an auditor's, an
// administrator's or the engine's fact), another user in the engine's role and a type
// the engine never records are each named; the engine's own events and every legitimate
// one are not.
func TestActorProblems(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	auditor := env.User(domain.RoleAuditor, "")
	gone := env.User(domain.RoleReviewer, "")
	apNom, _ := env.EligibleCollective("AP", domain.UnitDepartment, reviewer, 80)
	env.Unit("AO", domain.UnitDepartment)
	otherClerk := env.User(domain.RoleClerk, "AO")
	env.OK(env.Svc.DisableUser(env.Ctx, env.Admin, gone.UserID, "nghỉ hưu", workflows.Options{}))
	require.Empty(t, env.Model.ActorProblems(), "legitimate events only")

	forge := func(ref eventstore.Ref, typ string, schema int, data string, actor eventstore.Actor) string {
		return forgeEvent(t, env, ref, typ, schema, actor, data) // a valid link: the chain verifies
	}
	unit := eventstore.Ref{Kind: domain.KindUnit, ID: "AP"}
	forgeAs := func(actor eventstore.Actor) string {
		return forge(unit, domain.FactRecorded, 2, `{"campaign":"`+wftest.Campaign+`","fact":"par_index_score","number":99.9}`, actor)
	}
	registry := eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
	want := map[string]string{
		forgeAs(eventstore.Actor{User: "nobody-at-all", Role: "reviewer"}):                                           "not a registered user",
		forgeAs(eventstore.Actor{User: env.Admin.UserID, Role: "reviewer"}):                                          "registered as admin",
		forgeAs(eventstore.Actor{User: gone.UserID, Role: "reviewer"}):                                               "disabled",
		forgeAs(eventstore.Actor{User: auditor.UserID, Role: "auditor"}):                                             "could not have recorded unit.fact_recorded (recorded by: reviewer)",
		forgeAs(eventstore.Actor{User: env.Admin.UserID, Role: string(env.Admin.Role)}):                              "in role admin could not have recorded unit.fact_recorded",
		forgeAs(eventstore.Actor{User: "system", Role: "system"}):                                                    "in role system could not have recorded unit.fact_recorded",
		forgeAs(eventstore.Actor{User: reviewer.UserID, Role: string(reviewer.Role)}):                                "",
		forge(unit, "unit.note_added", 1, `{"note":"x"}`, eventstore.Actor{User: reviewer.UserID, Role: "reviewer"}): `event type "unit.note_added" is not one this version of thidua records`,
		forge(registry, domain.UserRegistered, 1, `{"id":"mallory","name":"Mallory","role":"admin","token_hash":"00"}`,
			eventstore.Actor{User: "mallory", Role: "system"}): "only the engine itself",
		forge(eventstore.Ref{Kind: domain.KindNomination, ID: apNom}, domain.DocumentAttached, 1,
			`{"kind":"supporting","document":{"id":"`+strings.Repeat("a", 64)+`","sha256":"`+strings.Repeat("a", 64)+`","size":1,"name":"x.pdf"}}`,
			eventstore.Actor{User: otherClerk.UserID, Role: "clerk"}): "a clerk of AO, could not have acted on nomination/" + apNom + " of unit AP",
	}
	// Each forgery links to the chain; the running server names the actors it can judge as
	// it folds them (all but the disabled user's, a race a command can run into, which is
	// verify's to name, and the unknown type's, which it does not fold).
	live := map[string]string{}
	for _, p := range env.Model.IntegrityProblems() {
		if p.Problem == projections.ProblemTransition {
			continue // the other clerk's attachment comes after the review, too
		}
		require.Equal(t, projections.ProblemActor, p.Problem, "no chain problem: %+v", p)
		live[p.EventID] = p.Detail
	}
	got := map[string]string{}
	for _, p := range env.Model.ActorProblems() {
		assert.Equal(t, projections.ProblemActor, p.Problem)
		got[p.EventID] = p.Detail
	}
	for id, detail := range want {
		if detail == "" {
			assert.NotContains(t, got, id, "a reviewer records facts")
			continue
		}
		assert.Contains(t, got[id], detail, "event %s", id)
	}
	assert.Len(t, got, len(want)-1)
	for id, detail := range got {
		switch {
		case strings.Contains(detail, "disabled"), strings.Contains(detail, "not one this version"):
			assert.NotContains(t, live, id, detail)
		default:
			assert.Equal(t, detail, live[id], "the running server names it alike")
		}
	}
}

// TestTransitionProblems: a forged event by the right clerk, well-formed and chained, that
// no command could have made where the nomination stands (a "submission" of a verified
// nomination, which the projections fold back to submitted) is named; a legitimate
// history (review, return, resubmission, award) is not.
func TestTransitionProblems(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nom, clerk := env.EligibleCollective("TP", domain.UnitDepartment, reviewer, 80)
	require.Empty(t, env.Model.TransitionProblems(), "legitimate events only")
	id := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindNomination, ID: nom}, domain.NominationSubmitted, 1,
		eventstore.Actor{User: clerk.UserID, Role: string(domain.RoleClerk)}, `{}`)
	require.Empty(t, env.Model.ActorProblems(), "the actor could have submitted a dossier")
	ps := env.Model.TransitionProblems()
	require.Len(t, ps, 1)
	assert.Equal(t, id, ps[0].EventID)
	assert.Equal(t, projections.ProblemTransition, ps[0].Problem)
	assert.Contains(t, ps[0].Detail, "recorded while the nomination is verified; no command makes that")

	// The running server sees it as it folds it: the nomination's answers say
	// integrity_broken, in words that fit, and GET /integrity lists it.
	el, err := env.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	evs, ok := reasonEvents(el, projections.ReasonIntegrityBroken)
	require.True(t, ok, "%+v", el.Reasons)
	assert.Contains(t, evs, id)
	for _, r := range el.Reasons {
		if r.Code == projections.ReasonIntegrityBroken {
			assert.Contains(t, r.MessageVI, "không thao tác nào của hệ thống tạo ra được")
		}
	}
	assert.True(t, slices.ContainsFunc(env.Model.IntegrityProblems(), func(p projections.IntegrityProblem) bool {
		return p.EventID == id && p.Problem == projections.ProblemTransition
	}))
	// A rebuild finds it too.
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(m.IntegrityProblems(), func(p projections.IntegrityProblem) bool { return p.EventID == id }))
}

// TestLostMessagesAreProblems: the stream denies deletion, so a sequence the feed goes
// past without a message was lost on disk (nats-server drops a message it finds damaged
// as it starts). The model records it as a problem of the stream, which GET /integrity
// lists and /metrics counts; the answers go on from what is left. Here a model is fed the
// stream with one message left out, as a feed would after such a loss.
func TestLostMessagesAreProblems(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("LN", domain.UnitDepartment)
	nom := env.Dossier(env.User(domain.RoleClerk, "LN"), domain.Nominee{Kind: domain.NomineeCollective})
	env.Unit("LA", domain.UnitDepartment)
	env.Unit("LB", domain.UnitDepartment)
	env.Unit("LC", domain.UnitDepartment)
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	m := projections.NewModel()
	_, err = env.Store.Read(env.Ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		if c.Seq != last-1 { // LB's registration, lost
			m.ApplyFeed(c)
		}
		return nil
	})
	require.NoError(t, err)
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1)
	assert.Equal(t, projections.ProblemMessagesLost, ps[0].Problem)
	assert.Equal(t, last-1, ps[0].Seq)
	assert.Equal(t, projections.KindStream, ps[0].Aggregate.Kind)
	assert.Contains(t, ps[0].Detail, fmt.Sprintf("sequence %d is missing", last-1))
	assert.Equal(t, 1, m.IntegrityCount())
	assert.Equal(t, last, m.Applied())
	assert.Empty(t, env.Model.IntegrityProblems(), "the real feed missed nothing")

	// Which aggregate the lost message was is not known: every answer from the loss on
	// says so, and nothing is eligible (nor grantable) until the store is restored.
	el, err := m.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status)
	_, flagged := reasonEvents(el, projections.ReasonIntegrityBroken)
	assert.True(t, flagged)
	before, err := m.Eligibility(nom, projections.Bound{Seq: last - 2})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityOK, before.Integrity.Status, "before the loss, the stream was whole")
	// The ranking says so too, rather than show an empty list as if no one qualified.
	rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)
	rk, err = m.Ranking(wftest.Campaign, projections.Bound{Seq: last - 2})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityOK, rk.Integrity.Status)
}

// TestRecordLost: a loss found after the model applied the sequence (a model loaded from a
// snapshot, eventstore.Store.Gaps) is recorded as the feed records one: the cached live
// ranking and evaluations are dropped, the ranking's entity tag moves on, and recording it
// again changes nothing.
func TestRecordLost(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("RL", domain.UnitDepartment)
	nom := env.Dossier(env.User(domain.RoleClerk, "RL"), domain.Nominee{Kind: domain.NomineeCollective})
	m := rebuild(t, env, eventstore.ReadOptions{})
	rk, tag, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.Equal(t, projections.IntegrityOK, rk.Integrity.Status)
	_, err = m.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)

	last := m.Applied()
	m.RecordLost(last-2, last-1)
	m.RecordLost(last-2, last-1)
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1)
	assert.Equal(t, projections.ProblemMessagesLost, ps[0].Problem)
	assert.Contains(t, ps[0].Detail, fmt.Sprintf("sequences %d to %d are missing", last-2, last-1))
	rk, tag2, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)
	assert.Greater(t, tag2, tag, "a cached copy of the ranking is stale")
	el, err := m.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status)
	el, err = m.Eligibility(nom, projections.Bound{Seq: last - 3})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityOK, el.Integrity.Status)
}

// TestAwardedUnranked: an award in force whose nomination a later fact excludes is not
// among the ranking's entries, yet it holds its place: the kind lists it, so that the
// awarded count adds up (before, "3 of 9 awarded" stood over two awarded rows, and the
// inspector could not tell which award held the ninth place).
func TestAwardedUnranked(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	id, _ := env.EligibleCollective("AU", domain.UnitDepartment, reviewer, 90)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 7/2025"}, workflows.Options{}))
	env.Fact(reviewer, "AU", domain.FactRecordedData{Fact: domain.FactDisbursementPct, Number: wftest.Num(80), Cause: domain.CauseSubjective})
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, 1, rk.Collective.Awarded)
	for _, e := range rk.Collective.Entries {
		assert.NotEqual(t, id, e.Nomination, "excluded now: not ranked")
	}
	require.Len(t, rk.Collective.AwardedUnranked, 1)
	assert.Equal(t, id, rk.Collective.AwardedUnranked[0].Nomination)
	assert.Equal(t, "AU", rk.Collective.AwardedUnranked[0].Unit)
	assert.Equal(t, "QĐ 7/2025", rk.Collective.AwardedUnranked[0].Decision)
	assert.Empty(t, rk.Individual.AwardedUnranked)
}

// TestForgedGrantsAreProblems: grants appended behind the engine's back by the real
// council member, well-formed and chained, that no command makes — an award id used
// again (which brought a revoked award back), and a nomination "awarded" without the
// campaign's grant — are named by verify; the running server flags the campaign's as it
// folds it, so the whole ranking says its events do not verify.
func TestForgedGrantsAreProblems(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	first, _ := env.EligibleCollective("FG1", domain.UnitDepartment, reviewer, 80)
	second, _ := env.EligibleCollective("FG2", domain.UnitDepartment, reviewer, 85)
	r := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: first, Decision: "QĐ 1"}, workflows.Options{}))
	award := r.ID
	require.Empty(t, env.Model.TransitionProblems(), "legitimate events only")
	require.Empty(t, env.Model.IntegrityProblems())

	forge := func(ref eventstore.Ref, typ, data string) string {
		return forgeEvent(t, env, ref, typ, 1, eventstore.Actor{User: council.UserID, Role: string(domain.RoleCouncil)}, data)
	}
	camp := eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign}
	reused := forge(camp, domain.AwardGranted, `{"award":"`+award+`","nomination":"`+second+`","unit":"FG2","lineage":["FG2"],"kind":"collective","decision":"QĐ giả"}`)
	lone := forge(eventstore.Ref{Kind: domain.KindNomination, ID: second}, domain.NominationAwarded, `{"award":"01JFAKEAWARD0000000000000","decision":"QĐ giả"}`)
	require.Empty(t, env.Model.ActorProblems(), "the council records grants")

	got := map[string]string{}
	for _, p := range env.Model.TransitionProblems() {
		got[p.EventID] += p.Detail + " | "
	}
	assert.Contains(t, got[reused], "a grant under award id "+award+", already used")
	assert.Contains(t, got[lone], "has no campaign.award_granted on the campaign")
	live := map[string]bool{}
	for _, p := range env.Model.IntegrityProblems() {
		live[p.EventID] = true
	}
	assert.True(t, live[reused], "the running server flags the campaign's forged grant")
	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)
}

// TestMalformedPayloadIsAProblem: a chained, well-hashed event by the right reviewer whose
// payload no version of the engine writes (a JSON array for a fact) is named, and the
// nomination relying on the unit's facts says integrity_broken: before, the running
// server only logged it, and verify passed.
func TestMalformedPayloadIsAProblem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nom, _ := env.EligibleCollective("MP", domain.UnitDepartment, reviewer, 80)
	id := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindUnit, ID: "MP"}, domain.FactRecorded, 2,
		eventstore.Actor{User: reviewer.UserID, Role: string(domain.RoleReviewer)}, `[1,2,3]`)
	ps := env.Model.IntegrityProblems()
	require.Len(t, ps, 1, "%+v", ps)
	assert.Equal(t, projections.ProblemMalformed, ps[0].Problem)
	assert.Equal(t, id, ps[0].EventID)
	el, err := env.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	_, ok := reasonEvents(el, projections.ReasonIntegrityBroken)
	assert.True(t, ok, "%+v", el.Reasons)
}

// TestInvalidPayloadIsAProblem: events by the right actors, in a legal place, chained and
// hashed, whose payload breaks a rule its decision applies — a negative count of late dossiers, a
// council vote with more in favour than present — are named by verify and flagged by the
// running server.
func TestInvalidPayloadIsAProblem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("IP", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "IP")
	draft := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "IP", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	require.Empty(t, env.Model.TransitionProblems())
	forge := func(ref eventstore.Ref, typ string, schema int, actor workflows.Principal, data string) string {
		return forgeEvent(t, env, ref, typ, schema, eventstore.Actor{User: actor.UserID, Role: string(actor.Role)}, data)
	}
	fact := forge(eventstore.Ref{Kind: domain.KindUnit, ID: "IP"}, domain.FactRecorded, 2, reviewer,
		`{"campaign":"`+wftest.Campaign+`","fact":"late_dossiers","number":-3}`)
	vote := forge(eventstore.Ref{Kind: domain.KindNomination, ID: draft}, domain.CouncilVoteRecorded, 1, clerk,
		`{"meeting_date":"2025-09-10","members":9,"present":3,"approve":12}`)
	require.Empty(t, env.Model.ActorProblems(), "the right actors")
	named := map[string]string{}
	for _, p := range env.Model.TransitionProblems() {
		named[p.EventID] = p.Detail
	}
	live := map[string]string{}
	for _, p := range env.Model.IntegrityProblems() {
		assert.Equal(t, projections.ProblemInvalidPayload, p.Problem)
		live[p.EventID] = p.Detail
	}
	for _, id := range []string{fact, vote} {
		assert.Contains(t, named[id], "breaks a rule its decision applies", id)
		assert.Equal(t, named[id], live[id], "the running server names it alike")
	}
}

// forgeEvent appends, behind the engine's back, an event of typ on ref by actor, chained
// to the aggregate's last event and hashed as the store hashes: a well-formed forgery. It

// TestRuleProblems: forged nomination events of a type the state admits, by an actor who
// could have recorded them, but breaking a rule their decision checks (the submission of
// a dossier with only its letter; a verification while criteria are still pending) are
// named by thidua verify's check, by the running server as it folds them, and by a
// rebuild.
func TestRuleProblems(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")

	// RQ: a draft with its letter only, "submitted" by its own clerk.
	env.Unit("RQ", domain.UnitDepartment)
	clerkQ := env.User(domain.RoleClerk, "RQ")
	env.Plan(clerkQ)
	incomplete := env.OK(env.Svc.OpenNomination(env.Ctx, clerkQ, wftest.Campaign,
		workflows.OpenNominationInput{Unit: "RQ", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	_, _, err := env.Svc.AttachDocument(env.Ctx, clerkQ, incomplete, domain.DocLetter,
		workflows.Upload{Name: "letter.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 letter")}, workflows.Options{})
	require.NoError(t, err)

	// RP: a submitted dossier with one criterion ruled, "verified" by a reviewer.
	env.Unit("RP", domain.UnitDepartment)
	clerkP := env.User(domain.RoleClerk, "RP")
	pending := env.Dossier(clerkP, domain.Nominee{Kind: domain.NomineeCollective})
	env.OK(env.Svc.Rule(env.Ctx, reviewer, pending, "C01", workflows.RuleInput{Result: "met", Note: "đạt"}, workflows.Options{}))
	require.Empty(t, env.Model.TransitionProblems(), "legitimate events only")

	submitted := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindNomination, ID: incomplete}, domain.NominationSubmitted, 1,
		eventstore.Actor{User: clerkQ.UserID, Role: string(domain.RoleClerk)}, `{}`)
	verified := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindNomination, ID: pending}, domain.NominationVerified, 1,
		eventstore.Actor{User: reviewer.UserID, Role: string(domain.RoleReviewer)}, `{}`)
	require.Empty(t, env.Model.ActorProblems(), "each actor could have recorded its event")

	want := map[string]string{
		submitted: "nomination.submitted: a submission of a dossier missing council_minutes, achievement_report, council_vote; no command makes that",
		verified:  "nomination.verified: a verification while criteria applicable to the nominee are not all ruled met or not_applicable: C02,",
	}
	named := func(ps []projections.IntegrityProblem) map[string]string {
		got := map[string]string{}
		for _, p := range ps {
			if p.Problem == projections.ProblemTransition {
				got[p.EventID] = p.Detail
			}
		}
		return got
	}
	for what, got := range map[string]map[string]string{
		"verify":         named(env.Model.TransitionProblems()),
		"running server": named(env.Model.IntegrityProblems()),
	} {
		require.Len(t, got, 2, "%s: %v", what, got)
		for id, detail := range want {
			assert.Contains(t, got[id], detail, "%s names %s", what, id)
		}
	}
	// Both nominations' answers say so: the forged verification does not make one eligible.
	for _, id := range []string{incomplete, pending} {
		el, err := env.Model.Eligibility(id, projections.Bound{})
		require.NoError(t, err)
		assert.False(t, el.Eligible)
		_, ok := reasonEvents(el, projections.ReasonIntegrityBroken)
		assert.True(t, ok, "%s: %+v", id, el.Reasons)
	}
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, named(env.Model.IntegrityProblems()), named(m.IntegrityProblems()), "a rebuild names the same")
}

// returns the event's id once the model has it.
func forgeEvent(t *testing.T, env *wftest.Env, ref eventstore.Ref, typ string, schema int, actor eventstore.Actor, data string) string {
	t.Helper()
	now := env.Now.Load().UTC()
	e := eventstore.Event{ID: ulid.Make().String(), Type: typ, Schema: schema, Aggregate: ref, Actor: actor,
		OccurredAt: now, RecordedAt: now, PrevHash: env.Model.Version(ref).Hash, Data: json.RawMessage(data)}
	e.Hash = e.ComputeHash()
	return publishBehindTheBack(t, env, ref, e)
}

// TestNewerSchemaIsAProblem: an event stored under a schema version newer than this
// version of thidua writes (a later version's, or a forgery's) is read as current, and the
// running server says so as it folds it (schema_newer), as a rebuild does; before, only
// thidua verify named it.
func TestNewerSchemaIsAProblem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("SN", domain.UnitDepartment)
	id := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindUnit, ID: "SN"}, domain.FactRecorded, 3,
		eventstore.Actor{User: reviewer.UserID, Role: string(domain.RoleReviewer)},
		`{"campaign":"`+wftest.Campaign+`","fact":"late_dossiers","number":0}`)
	named := func(ps []projections.IntegrityProblem) string {
		for _, p := range ps {
			if p.EventID == id && p.Problem == projections.ProblemSchemaNewer {
				return p.Detail
			}
		}
		return ""
	}
	assert.Contains(t, named(env.Model.IntegrityProblems()), "schema version 3, newer than the 2")
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, named(m.IntegrityProblems()), "a rebuild names it too")
}

// TestDivergedSnapshotNote: noting a kept diverged snapshot makes every answer broken and
// moves the live ranking's version (its ETag), so that no ranking cached before is served
// as ok; noting none again (as verify does, which names the files itself) clears it, and
// the grants' recorded rankings then verify as before.
func TestDivergedSnapshotNote(t *testing.T) {
	t.Parallel()
	env, noms := oneGrantOfTwo(t)
	m := rebuild(t, env, eventstore.ReadOptions{})
	_, tag, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	require.Empty(t, m.GrantProblems())

	m.NoteDivergedSnapshots([]string{"/data/" + projections.DivergedPrefix + "seq40-20261206T101010Z"})
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1)
	assert.Equal(t, projections.ProblemStreamDiverged, ps[0].Problem)
	assert.Contains(t, ps[0].Detail, "up to sequence 40")
	rk, after, err := m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.NotEqual(t, tag, after, "the ranking's version moved")
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)
	el, err := m.Eligibility(noms[0], projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)

	m.NoteDivergedSnapshots(nil)
	assert.Empty(t, m.IntegrityProblems())
	assert.Empty(t, m.GrantProblems(), "the grants verify once the note is set aside")
	rk, _, err = m.LiveRanking(wftest.Campaign)
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityOK, rk.Integrity.Status)
}

// TestSecondRegistrationIsAProblem: a registration of an id already registered, chained and
// "by" the real administrator, appended behind the engine's back, changes nothing: the
// first registration stands (role, unit, token, disabled), as thidua verify keeps it, the
// event is named, and the facts its forger records next are flagged live as verify flags
// them. Before, the running server took the second registration: a clerk raised their own
// unit's score as a "reviewer", with every answer saying ok.
func TestSecondRegistrationIsAProblem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	low, _ := env.EligibleCollective("SRA", domain.UnitDepartment, reviewer, 80)
	env.EligibleCollective("SRB", domain.UnitDepartment, reviewer, 85)
	clerk := env.User(domain.RoleClerk, "SRA")
	gone := env.User(domain.RoleReviewer, "")
	env.OK(env.Svc.DisableUser(env.Ctx, env.Admin, gone.UserID, "nghỉ hưu", workflows.Options{}))

	registry := eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
	admin := eventstore.Actor{User: env.Admin.UserID, Role: string(env.Admin.Role)}
	reRegister := func(p workflows.Principal, token string) string {
		return forgeEvent(t, env, registry, domain.UserRegistered, 1, admin,
			fmt.Sprintf(`{"id":%q,"name":%q,"role":"reviewer","token_hash":%q}`, p.UserID, p.Name, workflows.HashToken(token)))
	}
	asReviewer := reRegister(clerk, "clerk-own-new-token-0123")
	enabled := reRegister(gone, "gone-new-token-0123456789")

	// The forged tokens do not sign in; the clerk is still a clerk, the other still disabled.
	_, err := env.Svc.Authenticate(env.Ctx, "clerk-own-new-token-0123")
	require.Error(t, err)
	_, err = env.Svc.Authenticate(env.Ctx, "gone-new-token-0123456789")
	require.Error(t, err)
	u, ok := env.Model.User(clerk.UserID)
	require.True(t, ok)
	assert.Equal(t, string(domain.RoleClerk), u.Role)

	// The fact the clerk forges next as a reviewer is flagged live, and verify names it.
	fact := forgeEvent(t, env, eventstore.Ref{Kind: domain.KindUnit, ID: "SRA"}, domain.FactRecorded, 2,
		eventstore.Actor{User: clerk.UserID, Role: "reviewer"}, `{"campaign":"`+wftest.Campaign+`","fact":"par_index_score","number":99}`)
	live := map[string]projections.IntegrityProblem{}
	for _, p := range env.Model.IntegrityProblems() {
		live[p.EventID] = p
	}
	for _, id := range []string{asReviewer, enabled} {
		assert.Equal(t, projections.ProblemTransition, live[id].Problem, id)
		assert.Contains(t, live[id].Detail, "a second registration of user", id)
	}
	assert.Equal(t, projections.ProblemActor, live[fact].Problem)
	assert.Contains(t, live[fact].Detail, "registered as clerk")
	named := map[string]string{}
	for _, p := range env.Model.TransitionProblems() {
		named[p.EventID] = p.Detail
	}
	assert.Contains(t, named[asReviewer], "a second registration of user "+clerk.UserID+" (registered as clerk, which stands)")
	assert.Contains(t, named[enabled], "a second registration of user "+gone.UserID)
	actors := map[string]string{}
	for _, p := range env.Model.ActorProblems() {
		actors[p.EventID] = p.Detail
	}
	assert.Contains(t, actors[fact], "registered as clerk")

	// The forged fact does not rank the clerk's unit first without saying so.
	el, err := env.Model.Eligibility(low, projections.Bound{})
	require.NoError(t, err)
	_, flagged := reasonEvents(el, projections.ReasonIntegrityBroken)
	assert.True(t, flagged, "%+v", el.Reasons)

	// A rebuild judges the same stream the same way.
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, env.Model.IntegrityProblems(), m.IntegrityProblems())
}

// TestNonCommitMessageIsAProblem: a message on an aggregate's subject that is no commit
// the engine can read is an integrity problem of that aggregate, live and after a
// rebuild, and the answers relying on the aggregate say integrity_broken. Before, the
// server only logged it: the integrity page was empty and the answers said ok.
func TestNonCommitMessageIsAProblem(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	nom, _ := env.EligibleCollective("NC", domain.UnitDepartment, reviewer, 80)
	subject, err := env.Store.Subject(eventstore.Ref{Kind: domain.KindNomination, ID: nom})
	require.NoError(t, err)
	ack, err := env.Store.JetStream().Publish(env.Ctx, subject, []byte(`{"key":"forged-key","result":"X","events":[]}`))
	require.NoError(t, err)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	check := func(m *projections.Model) {
		t.Helper()
		var found *projections.IntegrityProblem
		for _, p := range m.IntegrityProblems() {
			if p.Seq == ack.Sequence {
				found = &p
			}
		}
		require.NotNil(t, found, "%+v", m.IntegrityProblems())
		assert.Equal(t, projections.ProblemMalformed, found.Problem)
		assert.Equal(t, eventstore.Ref{Kind: domain.KindNomination, ID: nom}, found.Aggregate)
		assert.Contains(t, found.Detail, "is no commit the engine can read: no events")
		el, err := m.Eligibility(nom, projections.Bound{})
		require.NoError(t, err)
		assert.False(t, el.Eligible)
		_, flagged := reasonEvents(el, projections.ReasonIntegrityBroken)
		assert.True(t, flagged, "%+v", el.Reasons)
	}
	check(env.Model)
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	check(m)
}

// TestUnreadEventsKeepTheirDocuments: a document cited only by an event the model cannot
// read (a damaged payload, a later version's type) is not among the model's citations, so
// the model counts such events, and the sweep of uncited documents removes nothing while
// there are any. Before, the sweep removed the evidence behind an integrity problem.
func TestUnreadEventsKeepTheirDocuments(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("UE", domain.UnitDepartment)
	a, err := env.Store.PutDocument(env.Ctx, "a.pdf", "application/pdf", strings.NewReader("%PDF-1.4 a"))
	require.NoError(t, err)
	b, err := env.Store.PutDocument(env.Ctx, "b.pdf", "application/pdf", strings.NewReader("%PDF-1.4 b"))
	require.NoError(t, err)
	require.Zero(t, env.Model.UnreadEvents())
	actor := eventstore.Actor{User: reviewer.UserID, Role: string(reviewer.Role)}
	unit := eventstore.Ref{Kind: domain.KindUnit, ID: "UE"}
	forgeEvent(t, env, unit, domain.FactRecorded, 2, actor,
		`{"campaign":"`+wftest.Campaign+`","fact":"late_dossiers","number":"0","document":{"sha256":"`+a.SHA256+`"}}`)
	forgeEvent(t, env, unit, "unit.evidence_added", 1, actor, `{"document":{"sha256":"`+b.SHA256+`"}}`)
	assert.Equal(t, 2, env.Model.UnreadEvents())
	assert.False(t, env.Model.DocumentCited(a.SHA256))

	_, err = env.Store.SweepUncitedDocuments(env.Ctx, 0, env.Model)
	require.ErrorIs(t, err, eventstore.ErrUnreadCitations)
	for _, d := range []eventstore.Document{a, b} {
		_, err := env.Store.GetDocument(env.Ctx, d.SHA256)
		assert.NoError(t, err, d.Name)
	}
	m, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, m.UnreadEvents(), "a rebuild counts them alike")
}

// TestLostMessagesKeepTheDocuments: a model that went past a message lost on disk may not
// know of a document that message cited (a plan): it counts the loss among what it could
// not read, and the sweep of uncited documents removes nothing. Before, a rebuild past a
// lost plan_submitted let the sweep remove the plan's file.
func TestLostMessagesKeepTheDocuments(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("ZL", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "ZL")
	env.Plan(clerk)
	planSeq, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	env.Unit("ZM", domain.UnitDepartment)
	var plan string
	for _, sha := range env.Model.CitedDocuments() {
		plan = sha
	}
	require.NotEmpty(t, plan)
	m := projections.NewModel()
	_, err = env.Store.Read(env.Ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		if c.Seq != planSeq { // the plan's submission, lost on disk
			m.ApplyFeed(c)
		}
		return nil
	})
	require.NoError(t, err)
	require.False(t, m.DocumentCited(plan))
	assert.Positive(t, m.UnreadEvents())
	_, err = env.Store.SweepUncitedDocuments(env.Ctx, 0, m)
	require.ErrorIs(t, err, eventstore.ErrUnreadCitations)
	_, err = env.Store.GetDocument(env.Ctx, plan)
	assert.NoError(t, err, "the plan's file is kept")
}

// TestGrantToABarredHolderIsNamedBarred: a grant recorded while a revocation for fraud
// barred its holder (as an earlier version, without the bar, recorded one: here appended
// behind the engine's back) leaves its nomination barred_by_revocation, although awarded;
// a lawful award that a later merger joined to such a unit's lineage stays eligible
// (TestFraudOfAMergedUnitLeavesTheSuccessorsAwardInForce).
func TestGrantToABarredHolderIsNamedBarred(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	na, _ := env.EligibleCollective("GBA", domain.UnitDistrict, reviewer, 80)
	nb, _ := env.EligibleCollective("GBB", domain.UnitDistrict, reviewer, 80)
	aw := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: na, Decision: "QĐ A"}, workflows.Options{}))
	_, err := env.Svc.RevokeAward(env.Ctx, council, aw.ID, workflows.RevokeInput{Ground: domain.GroundForgedDocuments, Note: "giả mạo"}, workflows.Options{})
	require.NoError(t, err)
	env.OK(env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"GBA"}, Successor: "GBB",
		Effective: "2025-10-01", Decision: "NQ 5"}, workflows.Options{}))
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nb, Decision: "QĐ B"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "barred_by_revocation", re.Code)

	// The grant this version refuses, recorded anyway.
	award := ulid.Make().String()
	actor := eventstore.Actor{User: council.UserID, Role: string(domain.RoleCouncil)}
	forgeEvent(t, env, eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign}, domain.AwardGranted, 1, actor,
		`{"award":"`+award+`","nomination":"`+nb+`","unit":"GBB","lineage":["GBB","GBA"],"kind":"collective","decision":"QĐ B"}`)
	forgeEvent(t, env, eventstore.Ref{Kind: domain.KindNomination, ID: nb}, domain.NominationAwarded, 1, actor,
		`{"award":"`+award+`","decision":"QĐ B"}`)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	el, err := env.Model.Eligibility(nb, projections.Bound{})
	require.NoError(t, err)
	require.Equal(t, string(domain.StateAwarded), el.State)
	assert.False(t, el.Eligible)
	assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool { return r.Code == "barred_by_revocation" }), "%+v", el.Reasons)
}

// TestRunningServerChecksGrantsRankings: the running server checks the rankings the
// grants recorded (workflows.Service.CheckGrants), as thidua verify does: a grant whose
// recorded ranking is not the stream's as of the sequence it names is reported, and the
// legitimate one is not (a review finding: with the snapshot gone, a re-linked rewrite of
// the stream was found by verify only, while the running server said every event was
// valid).
func TestRunningServerChecksGrantsRankings(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	_, ok := env.Svc.GrantChecks()
	assert.False(t, ok, "none before the first check")
	first, _ := env.EligibleCollective("GR1", domain.UnitDepartment, reviewer, 80)
	second, _ := env.EligibleCollective("GR2", domain.UnitDepartment, reviewer, 85)
	r := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: first, Decision: "QĐ 1"}, workflows.Options{}))
	c, err := env.Svc.CheckGrants(env.Ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, c.Checked)
	assert.Empty(t, c.Problems)
	aw, err := env.Model.Award(r.ID)
	require.NoError(t, err)

	camp := eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign}
	forged := forgeEvent(t, env, camp, domain.AwardGranted, 1, eventstore.Actor{User: council.UserID, Role: string(domain.RoleCouncil)},
		fmt.Sprintf(`{"award":"01JFAKEAWARD0000000000001","nomination":%q,"unit":"GR2","lineage":["GR2"],"kind":"collective","decision":"QĐ 2","ranking":[{"nomination":%q,"rank":1,"recommended":true}],"ranking_seq":%d}`,
			second, second, aw.RankingSeq))
	c, err = env.Svc.CheckGrants(env.Ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, c.Checked)
	require.Len(t, c.Problems, 1)
	assert.Equal(t, forged, c.Problems[0].EventID)
	assert.Equal(t, projections.ProblemGrantRanking, c.Problems[0].Problem)
	kept, ok := env.Svc.GrantChecks()
	require.True(t, ok)
	assert.Equal(t, c, kept)

	// While a snapshot kept aside says the stream diverged, every past ranking says so:
	// the grants are not checked, and the check says why (a review finding: every lawful
	// grant was reported as differing).
	env.Model.NoteDivergedSnapshots([]string{projections.DivergedPrefix + "seq9-x.snapshot"})
	c, err = env.Svc.CheckGrants(env.Ctx)
	require.NoError(t, err)
	assert.Empty(t, c.Problems)
	assert.Contains(t, c.Skipped, "thidua verify checks the grants")
	env.Model.NoteDivergedSnapshots(nil)
}
