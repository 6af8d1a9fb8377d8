package workflows_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// twoEngines starts a three-node cluster and two engines (as two `thidua serve` processes
// would be) on one replicated stream, connected to different nodes.
func twoEngines(t *testing.T) (*estest.Cluster, *wftest.Env, *wftest.Env) {
	t.Helper()
	c, err := estest.StartCluster(3)
	require.NoError(t, err)
	t.Cleanup(c.Shutdown)
	a := c.OpenOn(t, 0, eventstore.WithRegistry(workflows.EventRegistry()))
	b := c.OpenOn(t, 1, eventstore.WithRegistry(workflows.EventRegistry()),
		eventstore.WithStream(a.StreamName(), a.SubjectPrefix()),
		eventstore.WithDocumentBucket("docs-"+a.SubjectPrefix()))
	envA := wftest.Attach(t, a)
	envB := wftest.Attach(t, b)
	return c, envA, envB
}

func caughtUp(t *testing.T, envs ...*wftest.Env) {
	t.Helper()
	for _, e := range envs {
		require.NoError(t, projections.WaitCaughtUp(e.Ctx, e.Store, e.Model, 10*time.Second))
	}
}

func rankingJSON(t *testing.T, m *projections.Model) string {
	t.Helper()
	rk, err := m.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	b, err := json.Marshal(rk)
	require.NoError(t, err)
	return string(b)
}

// Two engines on one cluster: concurrent commands on one nomination through both —
// exactly one wins; both serve the same ranking afterwards, equal to a full rebuild.
func TestTwoEnginesOnOneClusterAgree(t *testing.T) {
	t.Parallel()
	_, a, b := twoEngines(t)
	reviewer := a.User(domain.RoleReviewer, "")
	nom, _ := a.EligibleCollective("SO-TC", domain.UnitDepartment, reviewer, 90)
	caughtUp(t, a, b)

	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, env := range []*wftest.Env{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.Svc.Hold(env.Ctx, reviewer, nom, fmt.Sprintf("khiếu nại %d", round), workflows.Options{})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				assert.True(t, errors.Is(err, domain.ErrInvalidTransition) || errors.Is(err, workflows.ErrConflict), "%v", err)
			}
		}
		assert.Equal(t, 1, wins, "round %d: exactly one hold wins (%v)", round, errs)
		caughtUp(t, a, b)
		_, err := a.Svc.Release(a.Ctx, reviewer, nom, "đã xử lý", workflows.Options{})
		require.NoError(t, err)
		caughtUp(t, a, b)
	}
	rebuilt, err := projections.Rebuild(a.Ctx, a.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Equal(t, rankingJSON(t, a.Model), rankingJSON(t, b.Model))
	assert.Equal(t, rankingJSON(t, rebuilt), rankingJSON(t, b.Model))
	assert.Contains(t, rankingJSON(t, b.Model), nom)
}

// Commands through the workflow layer from several goroutines on two engines while the
// stream leader is shut down: every acknowledged command is in the stream exactly once,
// retries with the same idempotency key appear once, and both engines converge to a full
// rebuild.
func TestWorkflowCommandsSurviveLeaderFailover(t *testing.T) {
	t.Parallel()
	c, a, b := twoEngines(t)
	reviewer := a.User(domain.RoleReviewer, "")
	caughtUp(t, a, b)

	type acked struct {
		key    string
		events []string
	}
	var mu sync.Mutex
	var acks []acked
	retries := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		env := []*wftest.Env{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				unit := fmt.Sprintf("W%d-%d", w, i)
				key := "reg-" + unit
				var r workflows.Result
				var err error
				for attempt := 0; attempt < 20; attempt++ {
					r, err = env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: unit, Name: "Xã " + unit, Kind: domain.UnitCommune}, workflows.Options{Key: key, Fingerprint: "f"})
					if err == nil {
						break
					}
					mu.Lock()
					retries++
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					t.Errorf("register %s: %v", unit, err)
					return
				}
				f := 50.0 + float64(i%50)
				fr, err := env.Svc.RecordFact(env.Ctx, reviewer, unit, domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "par_index_score", Number: &f}, workflows.Options{Key: "fact-" + unit, Fingerprint: "f"})
				mu.Lock()
				acks = append(acks, acked{key, r.Events})
				if err == nil {
					acks = append(acks, acked{"fact-" + unit, fr.Events})
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	leader := c.StreamLeader(a.Store.StreamName())
	c.StopServer(leader)
	t.Logf("stopped stream leader (server %d)", leader)
	time.Sleep(1200 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.NoError(t, c.RestartServer(leader))

	// Every acknowledged command's events are stored exactly once.
	seen := map[string]int{}
	_, err := a.Store.Read(a.Ctx, eventstore.ReadOptions{}, func(cm eventstore.Commit) error {
		for _, e := range cm.Events {
			seen[e.ID]++
		}
		return nil
	})
	require.NoError(t, err)
	lastSeq, _ := a.Store.LastSeq(a.Ctx)
	t.Logf("read %d events; stream last sequence %d", len(seen), lastSeq)
	for _, ack := range acks {
		for _, id := range ack.events {
			assert.Equal(t, 1, seen[id], "event %s of %s", id, ack.key)
		}
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "event %s stored %d times", id, n)
	}
	rep, err := a.Store.VerifyChains(a.Ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	t.Logf("%d commands acknowledged, %d retried through the failover, %d commits", len(acks), retries, rep.Commits)
	assert.Greater(t, len(acks), 20)

	// Retrying an acknowledged command with its key appends nothing.
	last, _ := a.Store.LastSeq(a.Ctx)
	unit := strings.TrimPrefix(acks[0].key, "reg-")
	again, err := b.Svc.RegisterUnit(b.Ctx, b.Admin, workflows.RegisterUnitInput{ID: unit, Name: "Xã " + unit, Kind: domain.UnitCommune}, workflows.Options{Key: acks[0].key, Fingerprint: "f"})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	after, _ := a.Store.LastSeq(a.Ctx)
	assert.Equal(t, last, after)

	// Both engines converge to a full rebuild.
	caughtUp(t, a, b)
	rebuilt, err := projections.Rebuild(a.Ctx, a.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	units := func(m *projections.Model) []string {
		var out []string
		for _, u := range m.Units("", "") {
			j, _ := json.Marshal(u)
			out = append(out, string(j))
		}
		return out
	}
	want := units(rebuilt)
	for name, m := range map[string]*projections.Model{"a": a.Model, "b": b.Model} {
		got := units(m)
		require.Len(t, got, len(want), "engine %s", name)
		for i := range want {
			require.Equal(t, want[i], got[i], "engine %s", name)
		}
	}
	assert.Equal(t, rankingJSON(t, rebuilt), rankingJSON(t, a.Model))
	assert.Equal(t, rankingJSON(t, rebuilt), rankingJSON(t, b.Model))
}

// One request per idempotency key across engines: different requests under one key sent
// at once through two engines (two `thidua serve` processes) carry out one of them; the
// stream's duplicate window, keyed on the user and the key without the request's
// fingerprint (eventstore.Meta.DedupKey), refuses the others as a key reused.
func TestOneRequestPerKeyAcrossEngines(t *testing.T) {
	t.Parallel()
	_, a, b := twoEngines(t)
	reviewer := a.User(domain.RoleReviewer, "")
	a.Unit("KX", domain.UnitDepartment)
	caughtUp(t, a, b)
	before, err := a.Store.LastSeq(a.Ctx)
	require.NoError(t, err)
	var runs []func() error
	for i := range 8 {
		env := []*wftest.Env{a, b}[i%2]
		runs = append(runs, func() error {
			v := float64(50 + i)
			_, err := env.Svc.RecordFact(env.Ctx, reviewer, "KX", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "par_index_score", Number: &v},
				workflows.Options{Key: "fact-key", Fingerprint: fmt.Sprintf("body-%d", i)})
			return err
		})
	}
	assert.Equal(t, map[string]int{"ok": 1, "idempotency_key_reused": 7}, outcomes(runs))
	after, err := a.Store.LastSeq(a.Ctx)
	require.NoError(t, err)
	assert.Equal(t, before+1, after, "one fact recorded")
}

// The same request sent through both engines at once, under one key, is carried out once
// and both get its answer, also when each engine chose another id for what it creates (an
// atomic batch on other aggregates: the stream refuses the second for its key's message
// id, and the engine finds the first request's answer once it has caught up).
func TestSameAtomicRequestThroughTwoEngines(t *testing.T) {
	t.Parallel()
	_, a, b := twoEngines(t)
	a.Unit("KY", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "KY")
	a.Plan(clerk)
	caughtUp(t, a, b)
	for round := range 3 {
		key := fmt.Sprintf("open-%d", round)
		results := make([]workflows.Result, 2)
		var runs []func() error
		for i, env := range []*wftest.Env{a, b} {
			runs = append(runs, func() error {
				r, err := env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "KY", Nominee: domain.Nominee{Kind: domain.NomineeCollective}},
					workflows.Options{Key: key, Fingerprint: "same-body"})
				results[i] = r
				return err
			})
		}
		require.Equal(t, map[string]int{"ok": 2}, outcomes(runs), "round %d", round)
		// Both answer with the one nomination opened: its id, its version, all its events.
		first, second := results[0], results[1]
		if second.Duplicate && !first.Duplicate {
			first, second = second, first
		}
		assert.Equal(t, first.ID, second.ID, "round %d", round)
		assert.Equal(t, first.Version, second.Version, "round %d", round)
		assert.Equal(t, first.Events, second.Events, "round %d", round)
		assert.True(t, first.Duplicate || second.Duplicate, "round %d: one of them is the replay", round)
		// Withdraw it, so that the next round may open another.
		_, err := a.Svc.Withdraw(a.Ctx, clerk, first.ID, "thử lại", workflows.Options{})
		require.NoError(t, err)
		caughtUp(t, a, b)
	}
}

// An engine whose projections cannot read the stream's end (here: no feed at all) does
// not guess: the request refused for its key gets a retryable 503 (key_pending), not
// idempotency_key_reused, and stores nothing. (It waits keyUsedWait, 5 s, first.)
func TestKeyPendingWithoutAFeed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("KZ", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "KZ")
	env.Plan(clerk)
	// A second engine on the same store, whose projections stop here.
	frozen, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	other := workflows.New(env.Store, frozen, workflows.WithClock(env.Svc.Now))
	open := func(svc *workflows.Service) error {
		_, err := svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "KZ", Nominee: domain.Nominee{Kind: domain.NomineeCollective}},
			workflows.Options{Key: "k", Fingerprint: "same-body"})
		return err
	}
	require.NoError(t, open(env.Svc))
	before, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	err = open(other)
	var we *workflows.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "key_pending", we.Code)
	assert.ErrorIs(t, err, workflows.ErrUnavailable)
	after, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing stored")
}

// The same holds for commands that append to several aggregates at once (an atomic
// batch): two different mergers under one key, through the two engines, record one.
func TestOneAtomicRequestPerKeyAcrossEngines(t *testing.T) {
	t.Parallel()
	_, a, b := twoEngines(t)
	for _, id := range []string{"MA1", "MA2", "MB1", "MB2"} {
		a.Unit(id, domain.UnitDistrict)
	}
	caughtUp(t, a, b)
	before, err := a.Store.LastSeq(a.Ctx)
	require.NoError(t, err)
	var runs []func() error
	for i, env := range []*wftest.Env{a, b} {
		sources := [][]string{{"MA1", "MA2"}, {"MB1", "MB2"}}[i]
		runs = append(runs, func() error {
			_, err := env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{
				Kind: "merge", Sources: sources, Successor: fmt.Sprintf("MS%d", i), SuccessorName: fmt.Sprintf("UBND MS%d", i),
				SuccessorKind: domain.UnitDistrict, Effective: "2025-07-01", Decision: "Nghị quyết 1/2025",
			}, workflows.Options{Key: "merge-key", Fingerprint: fmt.Sprintf("body-%d", i)})
			return err
		})
	}
	assert.Equal(t, map[string]int{"ok": 1, "idempotency_key_reused": 1}, outcomes(runs))
	caughtUp(t, a, b)
	merged := 0
	for _, id := range []string{"MA1", "MA2", "MB1", "MB2"} {
		evs, _, err := a.Store.Load(a.Ctx, eventstore.Ref{Kind: domain.KindUnit, ID: id})
		require.NoError(t, err)
		if evs[len(evs)-1].Type == domain.UnitMergedEvent {
			merged++
		}
	}
	assert.Equal(t, 2, merged, "one merger's two sources merged, the other's untouched")
	successors := 0
	for _, id := range []string{"MS0", "MS1"} {
		evs, _, err := a.Store.Load(a.Ctx, eventstore.Ref{Kind: domain.KindUnit, ID: id})
		require.NoError(t, err)
		if len(evs) > 0 {
			successors++
		}
	}
	assert.Equal(t, 1, successors, "one successor registered")
	after, err := a.Store.LastSeq(a.Ctx)
	require.NoError(t, err)
	assert.Greater(t, after, before)
}

// An answer as of a time counts every event recorded by then, wherever it was written:
// an engine whose projections lag the stream (here: no feed at all) waits for them, and
// when they do not come, refuses with a retryable 503 (projections_behind) rather than
// answer without what it has not seen. Caught up, it answers.
func TestAnswerAsOfATimeWaitsForTheStream(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("TZ", domain.UnitDepartment)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	frozen, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	other := workflows.New(env.Store, frozen, workflows.WithClock(env.Svc.Now))
	require.NoError(t, other.SettleTime(env.Ctx, 50*time.Millisecond), "caught up: nothing to wait for")

	env.Unit("TY", domain.UnitDepartment) // written through the first engine only
	err = other.SettleTime(env.Ctx, 50*time.Millisecond)
	var we *workflows.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "projections_behind", we.Code)
	assert.ErrorIs(t, err, workflows.ErrUnavailable)

	feed, err := projections.StartFeed(env.Ctx, env.Store, frozen, nil)
	require.NoError(t, err)
	defer feed.Stop()
	require.NoError(t, other.SettleTime(env.Ctx, 5*time.Second), "its feed brings it up to the stream")
	_, err = frozen.Unit("TY", projections.Bound{Time: env.Svc.Now()})
	assert.NoError(t, err, "the unit the other engine registered is there as of now")
}

// TestReplayWaitsForTheWholeAtomicAppend: a feed applies an atomic append's messages one
// by one, and a request under the same key that arrived between them was answered with
// the part of the command applied so far (one of its events, not all). The answer now
// waits until the projections hold the whole append, which the stream already does.
func TestReplayWaitsForTheWholeAtomicAppend(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("KW", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "KW")
	a.Plan(clerk)
	caughtUp(t, a)
	b := a.Lagging() // another engine on the same stream, fed by hand

	in := workflows.OpenNominationInput{Unit: "KW", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}
	o := workflows.Options{Key: "open-once", Fingerprint: "same-body"}
	first, err := a.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, in, o)
	require.NoError(t, err)
	require.Greater(t, len(first.Events), 1, "an atomic append of several messages")
	// B's feed has brought the append's first message only.
	var seqs []uint64
	_, err = a.Store.Read(a.Ctx, eventstore.ReadOptions{From: b.Model.Applied() + 1}, func(c eventstore.Commit) error {
		seqs = append(seqs, c.Seq)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, len(seqs), 1)
	b.Feed(seqs[0])

	done := make(chan workflows.Result, 1)
	go func() {
		r, err := b.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, in, o)
		assert.NoError(t, err)
		done <- r
	}()
	select {
	case r := <-done:
		t.Fatalf("answered with part of the command: %d of %d events", len(r.Events), len(first.Events))
	case <-time.After(100 * time.Millisecond): // waiting for the rest, as it should
	}
	b.Feed(0)
	r := <-done
	assert.True(t, r.Duplicate)
	assert.Equal(t, first.ID, r.ID)
	assert.ElementsMatch(t, first.Events, r.Events)
}

// TestIfMatchStaleOnlyForItsAggregate: a command whose If-Match names its nomination's
// current version, which lost its append's race on another aggregate it also writes (the
// unit, where another nomination was opened meanwhile), is decided again and succeeds, as
// it would without If-Match. Before, it answered 412 version_mismatch: the client read the
// nomination again, found the version it had sent, and could not get past.
func TestIfMatchStaleOnlyForItsAggregate(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("IM", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "IM")
	a.Plan(clerk)
	nominee := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Một", Position: "Chuyên viên"}
	nom := a.OK(a.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "IM", Nominee: nominee}, workflows.Options{}))
	caughtUp(t, a)
	b := a.Lagging()
	// Meanwhile, through the up-to-date engine, another nomination of the unit.
	a.OK(a.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "IM",
		Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Hai", Position: "Chuyên viên"}}, workflows.Options{}))

	v := nom.Version
	corrected := nominee
	corrected.Position = "Chuyên viên chính"
	feedSoon(t, b)
	r, err := b.Svc.CorrectNominee(a.Ctx, clerk, nom.ID, corrected, "sai chính tả", workflows.Options{IfMatch: &v})
	require.NoError(t, err)
	assert.Greater(t, r.Version, v)

	// A tag the nomination has moved past is still stale.
	_, err = b.Svc.CorrectNominee(a.Ctx, clerk, nom.ID, nominee, "sửa lại", workflows.Options{IfMatch: &v})
	require.ErrorIs(t, err, workflows.ErrPrecondition)
}

// TestIfMatchAheadOfTheFeedIsWaitedFor: an If-Match naming a version this engine's feed has
// not brought yet (read through another engine) is no stale one: the command waits for
// the feed, at most a second, and succeeds. Before, it answered 412 "If-Match 16 is stale:
// the current version is 15".
func TestIfMatchAheadOfTheFeedIsWaitedFor(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	reviewer := a.User(domain.RoleReviewer, "")
	nom, _ := a.EligibleCollective("IA", domain.UnitDepartment, reviewer, 80)
	caughtUp(t, a)
	b := a.Lagging()
	// A ruling through the up-to-date engine: the client reads the version it made.
	r := a.OK(a.Svc.Rule(a.Ctx, reviewer, nom, "C06", workflows.RuleInput{Result: domain.ResultMet, Note: "đã kiểm tra lại"}, workflows.Options{}))
	v := r.Version
	feedSoon(t, b)
	held, err := b.Svc.Hold(a.Ctx, reviewer, nom, "có đơn khiếu nại", workflows.Options{IfMatch: &v})
	require.NoError(t, err)
	assert.Greater(t, held.Version, v)
}

// TestIfMatchPastTheStreamIsStaleAtOnce: an If-Match naming a version past the stream's
// end, which no process can have read, is answered stale without the second's wait for a
// feed that will never bring it. Before, every such command waited the whole second.
func TestIfMatchPastTheStreamIsStaleAtOnce(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	reviewer := a.User(domain.RoleReviewer, "")
	nom, _ := a.EligibleCollective("IF", domain.UnitDepartment, reviewer, 80)
	caughtUp(t, a)
	v := uint64(1) << 40
	start := time.Now()
	_, err := a.Svc.Hold(a.Ctx, reviewer, nom, "có đơn khiếu nại", workflows.Options{IfMatch: &v})
	require.ErrorIs(t, err, workflows.ErrPrecondition)
	// A lower bound, not a target: the wait it no longer makes is a whole second.
	assert.Less(t, time.Since(start), time.Second)
}

// TestRegistrationUnderAParentRacesItsGrantAndMerger: registering a unit under a parent
// also records unit.subordinate_registered on the parent, at the version the command read.
// A grant of the parent's nomination decided on the subordinates before the registration
// (through an engine whose feed had not brought it) meets the parent's sequence check and
// is decided again: the new unit makes the discipline criterion (C13) pending, and the
// grant is refused. A registration under a unit merged meanwhile is refused
// (unit_not_active). Before, both stood.
func TestRegistrationUnderAParentRacesItsGrantAndMerger(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	reviewer := a.User(domain.RoleReviewer, "")
	council := a.User(domain.RoleCouncil, "")
	// A district with no commune yet: the share of its subordinates that broke discipline
	// (C13) is not asked of it, until one is registered.
	a.Unit("GS", domain.UnitDistrict)
	nom := a.Dossier(a.User(domain.RoleClerk, "GS"), domain.Nominee{Kind: domain.NomineeCollective})
	for _, f := range []domain.FactRecordedData{
		{Fact: "par_rating", Text: "Tốt"}, {Fact: "par_index_score", Number: wftest.Num(80)}, {Fact: "disbursement_pct", Number: wftest.Num(100)},
		{Fact: "late_dossiers", Number: wftest.Num(0)}, {Fact: "backlog_dossiers", Number: wftest.Num(0)},
		{Fact: "index_component", Index: "PAR_INDEX", Component: "CCHC", Number: wftest.Num(9.1), Previous: wftest.Num(8.2)},
		{Fact: "staff_hours_violation_pct", Number: wftest.Num(2)}, {Fact: "late_directives", Number: wftest.Num(0)},
		{Fact: "online_service_pct", Number: wftest.Num(100)},
	} {
		a.Fact(reviewer, "GS", f)
	}
	a.RuleAll(reviewer, nom)
	el, err := a.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	require.True(t, el.Eligible, "%+v", el.Reasons)
	a.Unit("MA", domain.UnitDistrict)
	caughtUp(t, a)
	b := a.Lagging()

	reg := a.OK(a.Svc.RegisterUnit(a.Ctx, a.Admin, workflows.RegisterUnitInput{ID: "XGS", Name: "UBND xã X", Kind: domain.UnitCommune, Parent: "GS"}, workflows.Options{}))
	var trail []string
	_, err = a.Store.Read(a.Ctx, eventstore.ReadOptions{From: reg.Seq - 3}, func(c eventstore.Commit) error {
		for _, e := range c.Events {
			trail = append(trail, c.Subject[strings.LastIndex(c.Subject, ".")+1:]+" "+e.Type)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Contains(t, trail, "GS "+domain.UnitSubordinateRegistered)

	feedSoon(t, b)
	_, err = b.Svc.GrantAward(a.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ 1/2025"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re, "the grant stood beside the registration")
	assert.Equal(t, "not_eligible", re.Code)

	caughtUp(t, a)
	c := a.Lagging()
	in := workflows.ReorganiseInput{Kind: "merge", Sources: []string{"MA"}, Successor: "MS", SuccessorName: "UBND MS", SuccessorKind: domain.UnitDistrict,
		Effective: "2025-07-01", Decision: "Nghị quyết 2/2025"}
	a.OK(a.Svc.Reorganise(a.Ctx, a.Admin, in, workflows.Options{}))
	feedSoon(t, c)
	_, err = c.Svc.RegisterUnit(a.Ctx, a.Admin, workflows.RegisterUnitInput{ID: "XMA", Name: "UBND xã Y", Kind: domain.UnitCommune, Parent: "MA"}, workflows.Options{})
	require.ErrorAs(t, err, &re, "a unit registered under a unit merged away")
	assert.Equal(t, "unit_not_active", re.Code)
}

// TestLostRaceWaitsForTheWholeAppend: a command that lost its race to an atomic append
// (another engine's opening of the same unit's collective nomination: unit.nominated on the
// unit, nomination.opened on the nomination) decides again only once its projections hold
// that append whole: a feed a little behind brings it, and the second opening is refused
// (nomination_exists); without a feed, the command reads what it lacks itself, with the
// same answer. Before, the command caught up on the unit alone, and the second collective
// nomination of the unit was opened.
func TestLostRaceWaitsForTheWholeAppend(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("LG", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "LG")
	a.Plan(clerk)
	caughtUp(t, a)
	b := a.Lagging()
	stalled := a.Lagging()
	in := workflows.OpenNominationInput{Unit: "LG", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}
	a.OK(a.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, in, workflows.Options{}))

	// No feed at all (a command-line process): it reads the commits it lacks itself.
	_, err := stalled.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, in, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "nomination_exists", re.Code)

	feedSoon(t, b)
	_, err = b.Svc.OpenNomination(a.Ctx, clerk, wftest.Campaign, in, workflows.Options{})
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "nomination_exists", re.Code)
	var collectives int
	a.Model.Read(func(st *projections.State) {
		for _, n := range st.NominationsOf(wftest.Campaign, "LG") {
			if n.Nominee().Kind == domain.NomineeCollective {
				collectives++
			}
		}
	})
	assert.Equal(t, 1, collectives)
}

// TestSubmissionSeesADeadlineSetElsewhere: a submission through a server whose feed has not
// brought a deadline set through another (moved to the past: "close now") is refused
// deadline_passed. A submission appends to the nomination alone, so no sequence check
// stops it: it reads the campaign from the stream first. Before, it landed after the
// deadline every time.
func TestSubmissionSeesADeadlineSetElsewhere(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("DL", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "DL")
	nom := a.CompleteDraft(clerk, "DL")
	caughtUp(t, a)
	b := a.Lagging()
	a.OK(a.Svc.SetDeadline(a.Ctx, a.Admin, wftest.Campaign, a.Now.Load().Add(-time.Minute), workflows.Options{}))

	_, err := b.Svc.Submit(a.Ctx, clerk, nom, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re, "submitted after the deadline")
	assert.Equal(t, "deadline_passed", re.Code)
}

// TestNoClerkForAUnitMergedElsewhere: a clerk's account created through a server whose feed
// has not brought the merger of the clerk's unit is refused (unit_not_active): the
// registration appends to the registry alone, so it reads the unit from the stream first.
// Before, the clerk of a unit merged away was created.
func TestNoClerkForAUnitMergedElsewhere(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("LU", domain.UnitDistrict)
	caughtUp(t, a)
	b := a.Lagging()
	a.OK(a.Svc.Reorganise(a.Ctx, a.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"LU"}, Successor: "LS", SuccessorName: "UBND LS",
		SuccessorKind: domain.UnitDistrict, Effective: "2025-07-01", Decision: "Nghị quyết 3/2025"}, workflows.Options{}))
	_, _, err := b.Svc.CreateUser(a.Ctx, a.Admin, workflows.CreateUserInput{Name: "Văn thư LU", Role: domain.RoleClerk, Unit: "LU"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re, "a clerk of a unit merged away")
	assert.Equal(t, "unit_not_active", re.Code)
}

// TestLostRaceWithoutAFeed: a process with no feed (thidua reissue-token beside a running
// serve) that loses a race reads the commits it lacks itself and succeeds. A first version
// of the whole-append wait refused it with projections_behind after a second.
func TestLostRaceWithoutAFeed(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	caughtUp(t, a)
	b := a.Lagging()
	a.Unit("ZCU", domain.UnitDepartment)
	a.User(domain.RoleAuditor, "") // the registry moves on
	_, tok, err := b.Svc.ReissueToken(a.Ctx, workflows.System(), a.Admin.UserID, workflows.Options{})
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
}

// feedSoon brings l's feed up to the stream's end in a moment (200 ms), as a server's feed a
// little behind would, while the caller sends its command; the test waits for it to end.
func feedSoon(t *testing.T, l *wftest.Lagging) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(200 * time.Millisecond)
		l.Feed(0)
	}()
	// The feed ends within the test, whichever comes first: a command that did not need
	// it answered before it came, and a feed after the test's end fails it from nowhere.
	t.Cleanup(func() { <-done })
}

// TestSubmissionPastAJunkMessageOnTheCampaign: a message that is no commit on the campaign's
// subject (written behind the engine's back) does not stop every submission of the
// campaign: the submission's read of the campaign from the stream decides on the model then,
// as before that read. Before, every submission was refused store_damaged.
func TestSubmissionPastAJunkMessageOnTheCampaign(t *testing.T) {
	t.Parallel()
	a := wftest.New(t, srv)
	a.Unit("JK", domain.UnitDepartment)
	clerk := a.User(domain.RoleClerk, "JK")
	nom := a.CompleteDraft(clerk, "JK")
	subject, err := a.Store.Subject(eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign})
	require.NoError(t, err)
	_, err = a.Store.JetStream().Publish(a.Ctx, subject, []byte(`{"events":[]}`))
	require.NoError(t, err)
	caughtUp(t, a)
	a.OK(a.Svc.Submit(a.Ctx, clerk, nom, workflows.Options{}))
}
