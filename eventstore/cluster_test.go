package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
)

// startCluster starts a 3-node JetStream cluster for one test.
func startCluster(t *testing.T) *estest.Cluster {
	t.Helper()
	t0 := time.Now()
	c, err := estest.StartCluster(3)
	require.NoError(t, err)
	t.Cleanup(func() {
		t0 := time.Now()
		c.Shutdown()
		if d := time.Since(t0); d > time.Second {
			t.Logf("cluster shutdown took %s", d.Round(time.Millisecond))
		}
	})
	t.Logf("3-node cluster formed in %s", time.Since(t0).Round(time.Millisecond))
	return c
}

// retryLog counts the store's debug records about retries.
type retryLog struct {
	mu       sync.Mutex
	retries  int
	errors   map[string]int
	outcomes map[string]int
}

func newRetryLog() *retryLog {
	return &retryLog{errors: map[string]int{}, outcomes: map[string]int{}}
}

func (h *retryLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *retryLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "error":
			h.retries++
			msg := a.Value.String()
			if len(msg) > 70 {
				msg = msg[:70] + "…"
			}
			h.errors[msg]++
		case "outcome":
			h.outcomes[a.Value.String()]++
		}
		return true
	})
	return nil
}

func (h *retryLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *retryLog) WithGroup(string) slog.Handler      { return h }

func (h *retryLog) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("%d retries %v, commits in doubt resolved %v", h.retries, h.errors, h.outcomes)
}

// ackedCommit is what a writer was told: the commit's sequence and its event ids.
type ackedCommit struct {
	ref  eventstore.Ref
	seq  uint64
	ids  []string
	at   time.Time
	took time.Duration
}

// TestClusterLeaderFailover appends from eight writers to a stream with three replicas
// while its leader is shut down, and checks that every acknowledged commit is stored
// exactly once, nothing else is, and the hash chains hold.
func TestClusterLeaderFailover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	rlog := newRetryLog()
	s := c.Open(t, eventstore.WithLogger(slog.New(rlog)))
	stream := s.StreamName()

	st, err := s.JetStream().Stream(ctx, stream)
	require.NoError(t, err)
	info := st.CachedInfo()
	require.Equal(t, 3, info.Config.Replicas)
	require.NotNil(t, info.Cluster)
	require.Len(t, info.Cluster.Replicas, 2, "a leader and two followers")
	oldLeader := c.StreamLeader(stream)
	require.GreaterOrEqual(t, oldLeader, 0)

	const writers = 8
	const runFor = 2 * time.Second
	start := time.Now()
	stopAt := start.Add(runFor)
	acked := make([][]ackedCommit, writers)
	retries := make([]int, writers)
	duplicates := make([]int, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := eventstore.Ref{Kind: "unit", ID: fmt.Sprintf("W%d", w)}
			// Half the writers give each append only 100 ms, so that some give up during
			// the failover and retry the command themselves, with the same key.
			callTimeout := 5 * time.Second
			if w%2 == 1 {
				callTimeout = 100 * time.Millisecond
			}
			var v eventstore.Version
			for i := 0; time.Now().Before(stopAt); i++ {
				meta := eventstore.Meta{Actor: actor, Key: fmt.Sprintf("w%d-cmd%d", w, i)}
				events := []eventstore.Pending{
					{Type: "unit.fact_recorded", Data: map[string]int{"writer": w, "i": i}},
					{Type: "unit.fact_verified", Data: map[string]int{"i": i}},
				}
				t0 := time.Now()
				for {
					actx, cancel := context.WithTimeout(ctx, callTimeout)
					cm, err := s.Append(actx, ref, v, events, meta)
					cancel()
					if err == nil {
						ids := make([]string, len(cm.Events))
						for k, e := range cm.Events {
							ids[k] = e.ID
						}
						acked[w] = append(acked[w], ackedCommit{ref: ref, seq: cm.Seq, ids: ids, at: time.Now(), took: time.Since(t0)})
						if cm.Duplicate {
							duplicates[w]++
						}
						v = cm.Version()
						break
					}
					// Nobody else writes this aggregate: a conflict would mean our own
					// commit was stored and not recognised.
					if errors.Is(err, eventstore.ErrConflict) {
						t.Errorf("writer %d command %d: %v", w, i, err)
						return
					}
					retries[w]++
					if time.Since(start) > 12*time.Second {
						t.Errorf("writer %d command %d: still failing: %v", w, i, err)
						return
					}
				}
			}
		}()
	}

	// In the middle of the run, shut the stream leader down, and time the election of
	// its successor (a stopped server no longer counts as a leader).
	time.Sleep(runFor / 2)
	oldLeader = c.StreamLeader(stream)
	elected := make(chan int, 1)
	stoppedAt := time.Now()
	go func() {
		i, _ := c.WaitStreamLeader(stream, 10*time.Second)
		elected <- i
	}()
	if oldLeader >= 0 {
		c.StopServer(oldLeader)
	}
	shutdownTook := time.Since(stoppedAt)
	newLeader := <-elected
	electionTook := time.Since(stoppedAt)
	wg.Wait() // before anything can end the test: the writers log to t
	require.GreaterOrEqual(t, oldLeader, 0, "the stream had a leader")
	require.GreaterOrEqual(t, newLeader, 0, "a new stream leader is elected")
	require.NotEqual(t, oldLeader, newLeader)
	if t.Failed() {
		return
	}

	// The writers' view: the longest append, and the first acknowledgement after the stop.
	var all []ackedCommit
	var slowest time.Duration
	totalRetries, totalDuplicates := 0, 0
	for w := range acked {
		all = append(all, acked[w]...)
		totalRetries += retries[w]
		totalDuplicates += duplicates[w]
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	var firstAfter, maxGap time.Duration = -1, 0
	for k, a := range all {
		slowest = max(slowest, a.took)
		if firstAfter < 0 && a.at.After(stoppedAt) {
			firstAfter = a.at.Sub(stoppedAt)
		}
		if k > 0 && !a.at.After(stopAt) {
			maxGap = max(maxGap, a.at.Sub(all[k-1].at))
		}
	}
	t.Logf("stream leader: server %d shut down (Shutdown returned after %s); server %d leads %s after the stop",
		oldLeader, shutdownTook.Round(time.Microsecond), newLeader, electionTook.Round(time.Microsecond))
	t.Logf("writers: %d commits acknowledged in %s; longest pause between two acknowledgements %s; first acknowledgement after the stop at +%s; slowest command %s; %d appends returned an error and were retried with the same key, %d of those retries found their command already stored",
		len(all), runFor, maxGap.Round(time.Microsecond), firstAfter.Round(time.Microsecond), slowest.Round(time.Microsecond), totalRetries, totalDuplicates)
	t.Logf("store: %s", rlog)
	require.NotEmpty(t, all)
	require.True(t, all[len(all)-1].at.After(stoppedAt.Add(electionTook)), "writes continue under the new leader")

	// Everything stored, read in stream order with one consumer.
	verifyStart := time.Now()
	defer func() { t.Logf("verification took %s", time.Since(verifyStart).Round(time.Millisecond)) }()
	type stored struct {
		seq uint64
		ref eventstore.Ref
	}
	byID := map[string][]stored{}
	commits := 0
	_, err = s.Read(ctx, eventstore.ReadOptions{}, func(cm eventstore.Commit) error {
		commits++
		for _, e := range cm.Events {
			byID[e.ID] = append(byID[e.ID], stored{seq: cm.Seq, ref: e.Aggregate})
		}
		return nil
	})
	require.NoError(t, err)
	for id, at := range byID {
		require.Len(t, at, 1, "event %s stored more than once: %+v", id, at)
	}
	// Every acknowledged commit is stored exactly once, where the writer was told.
	ackedEvents := 0
	for _, a := range all {
		for _, id := range a.ids {
			ackedEvents++
			at, ok := byID[id]
			require.True(t, ok, "acknowledged event %s (%s, seq %d) is not stored", id, a.ref, a.seq)
			require.Equal(t, a.seq, at[0].seq, "event %s", id)
			require.Equal(t, a.ref, at[0].ref, "event %s", id)
		}
	}
	// And nothing else is: no commit the writers were not told about.
	require.Equal(t, len(all), commits, "stored commits")
	require.Equal(t, ackedEvents, len(byID), "stored events")

	// Each aggregate, loaded by direct gets, holds exactly its writer's commits, in order.
	for w := range acked {
		ref := eventstore.Ref{Kind: "unit", ID: fmt.Sprintf("W%d", w)}
		events, v, err := s.Load(ctx, ref)
		require.NoError(t, err)
		var want []string
		for _, a := range acked[w] {
			want = append(want, a.ids...)
		}
		got := make([]string, len(events))
		for k, e := range events {
			got[k] = e.ID
		}
		require.Equal(t, want, got, "events of %s", ref)
		require.Equal(t, acked[w][len(acked[w])-1].seq, v.Seq)
	}

	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Equal(t, ackedEvents, rep.Events)
	assert.Equal(t, writers, rep.Aggregates)

	// The stopped server comes back, and the store keeps appending.
	t0 := time.Now()
	require.NoError(t, c.RestartServer(oldLeader))
	require.NoError(t, c.WaitStreamCurrent(oldLeader, stream, 10*time.Second))
	t.Logf("server %d restarted, its replica caught up in %s", oldLeader, time.Since(t0).Round(time.Millisecond))
	last := acked[0][len(acked[0])-1]
	_, v, err := s.Load(ctx, last.ref)
	require.NoError(t, err)
	_, err = s.Append(ctx, last.ref, v, ev("unit.fact_recorded", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
}

// TestClusterConflictAcrossNodes has two stores, connected to two different servers,
// append to the same aggregate with the same expected version: exactly one wins.
func TestClusterConflictAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	a := c.OpenOn(t, 0)
	// The second store connects by URL to another server, as a deployment pointed at an
	// external cluster does, and shares the first one's stream.
	b := openBeside(t, c, a, 1)
	require.NotEqual(t, a.Conn().ConnectedServerId(), b.Conn().ConnectedServerId(), "the stores talk to different servers")

	const rounds = 20
	wins := map[string]int{}
	for r := 0; r < rounds; r++ {
		ref := eventstore.Ref{Kind: "campaign", ID: fmt.Sprintf("R%d", r)}
		base, err := a.Append(ctx, ref, eventstore.Version{}, ev("campaign.launched", nil), eventstore.Meta{Actor: actor})
		require.NoError(t, err)

		type result struct {
			who string
			c   eventstore.Commit
			err error
		}
		results := make(chan result, 2)
		ready := make(chan struct{})
		for who, st := range map[string]*eventstore.Store{"a": a, "b": b} {
			go func() {
				<-ready
				cm, err := st.Append(ctx, ref, base.Version(), ev("campaign.award_granted", map[string]string{"by": who}),
					eventstore.Meta{Actor: actor, Key: fmt.Sprintf("grant-%d-%s", r, who)})
				results <- result{who: who, c: cm, err: err}
			}()
		}
		close(ready)
		var won []result
		conflicts := 0
		for k := 0; k < 2; k++ {
			res := <-results
			switch {
			case res.err == nil:
				won = append(won, res)
			case errors.Is(res.err, eventstore.ErrConflict):
				var ce *eventstore.ConflictError
				require.ErrorAs(t, res.err, &ce)
				assert.Equal(t, base.Seq, ce.Expected)
				conflicts++
			default:
				t.Fatalf("round %d, store %s: %v", r, res.who, res.err)
			}
		}
		require.Len(t, won, 1, "round %d: exactly one append wins", r)
		require.Equal(t, 1, conflicts, "round %d: the other gets ErrConflict", r)
		wins[won[0].who]++

		events, v, err := b.Load(ctx, ref)
		require.NoError(t, err)
		require.Len(t, events, 2, "round %d", r)
		assert.Equal(t, won[0].c.Events[0].ID, events[1].ID)
		assert.Equal(t, won[0].c.Version(), v)
	}
	t.Logf("wins over %d rounds: %v", rounds, wins)
	rep, err := a.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Equal(t, 2*rounds, rep.Commits)
}

// TestOpenWaitsForJetStream opens a store by URL on a server whose JetStream is not up
// yet: Open gives up when its context ends, and succeeds once JetStream answers.
func TestOpenWaitsForJetStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	t.Cleanup(ns.Shutdown)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = eventstore.Open(ctx, eventstore.WithURL(ns.ClientURL()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wait for JetStream")
	assert.Less(t, time.Since(t0), 2*time.Second, "Open gives up when its context ends")
	t.Logf("without JetStream: %v", err)

	go func() {
		time.Sleep(200 * time.Millisecond)
		assert.NoError(t, ns.EnableJetStream(&server.JetStreamConfig{StoreDir: dir, MaxMemory: 16 << 20, MaxStore: 1 << 30}))
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t0 = time.Now()
	st, err := eventstore.Open(ctx, eventstore.WithURL(ns.ClientURL()))
	require.NoError(t, err)
	defer st.Close()
	t.Logf("Open waited %s for JetStream", time.Since(t0).Round(time.Millisecond))
	_, err = st.Append(ctx, eventstore.Ref{Kind: "unit", ID: "U1"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{})
	require.NoError(t, err)
}

// TestReplicasOnlyGrow opens the same stream and document bucket on a cluster with one
// replica, then three, then one again (a process started without --replicas): the
// replicas are raised once and never scaled down. Two processes opening a new store at
// the same moment both succeed promptly.
func TestReplicasOnlyGrow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	open := func(replicas int) *eventstore.Store {
		t.Helper()
		octx, cancel := context.WithTimeout(ctx, 8*time.Second)
		defer cancel()
		s, err := eventstore.Open(octx, eventstore.WithConnection(c.Connect(t)), eventstore.WithReplicas(replicas),
			eventstore.WithStream("GROW", "grow"), eventstore.WithDocumentBucket("docs-grow"))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}
	replicas := func(s *eventstore.Store) (stream, bucket int) {
		t.Helper()
		st, err := s.JetStream().Stream(ctx, "GROW")
		require.NoError(t, err)
		info, err := st.Info(ctx)
		require.NoError(t, err)
		obs, err := s.JetStream().ObjectStore(ctx, "docs-grow")
		require.NoError(t, err)
		status, err := obs.Status(ctx)
		require.NoError(t, err)
		return info.Config.Replicas, status.Replicas()
	}
	s1 := open(1)
	sr, br := replicas(s1)
	assert.Equal(t, [2]int{1, 1}, [2]int{sr, br}, "created with one replica")
	s3 := open(3)
	sr, br = replicas(s3)
	assert.Equal(t, [2]int{3, 3}, [2]int{sr, br}, "raised to three")
	s1again := open(1)
	sr, br = replicas(s1again)
	assert.Equal(t, [2]int{3, 3}, [2]int{sr, br}, "a process asking for one replica does not scale them down")

	// Two processes creating a new store at once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	took := make([]time.Duration, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			octx, cancel := context.WithTimeout(ctx, 8*time.Second)
			defer cancel()
			t0 := time.Now()
			s, err := eventstore.Open(octx, eventstore.WithConnection(c.Connect(t)), eventstore.WithReplicas(3),
				eventstore.WithStream("BOTH", "both"), eventstore.WithDocumentBucket("docs-both"))
			took[i], errs[i] = time.Since(t0), err
			if err == nil {
				s.Close()
			}
		}()
	}
	wg.Wait()
	for i := range 2 {
		require.NoError(t, errs[i], "process %d", i)
		t.Logf("process %d opened the new store in %s", i, took[i].Round(time.Millisecond))
	}
}

// TestClusterLastStoredUnderWrites: on a replicated stream a direct get may be answered by
// a replica that has not stored the newest message yet; its "not found" is no loss.
// LastStored then reports no loss at the stream's end, however fast the writes come, and
// a read of the whole stream gets every message (before, about one call in twenty under
// load took a message in flight for one lost on disk, and a rebuild skipped it for good).
func TestClusterLastStoredUnderWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	a := c.OpenOn(t, 0)
	b := openBeside(t, c, a, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var v eventstore.Version
		for i := range 400 {
			cm, err := a.Append(ctx, eventstore.Ref{Kind: "unit", ID: "W"}, v, ev("unit.fact_recorded", map[string]int{"i": i}), eventstore.Meta{Actor: actor})
			if err != nil {
				return
			}
			v = cm.Version()
		}
	}()
	for range 200 {
		stored, last, err := b.LastStored(ctx)
		require.NoError(t, err)
		require.Equal(t, last, stored, "no loss at the stream's end of a healthy cluster")
	}
	<-done
	n := 0
	last, err := b.Read(ctx, eventstore.ReadOptions{}, func(eventstore.Commit) error { n++; return nil })
	require.NoError(t, err)
	want, err := b.LastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, last)
	assert.Equal(t, int(want), n)
}

// openBeside opens a second store on a's stream and bucket through server node of c, by
// URL, as a deployment pointed at an external cluster does.
func openBeside(t *testing.T, c *estest.Cluster, a *eventstore.Store, node int) *eventstore.Store {
	t.Helper()
	b, err := eventstore.Open(context.Background(), eventstore.WithURL(c.URL(node)), eventstore.WithReplicas(3),
		eventstore.WithStream(a.StreamName(), a.SubjectPrefix()),
		eventstore.WithDocumentBucket("docs-"+strings.ToLower(a.StreamName())))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// TestClusterKeyedAtomicDuringFailover: an append of several aggregates under an
// idempotency key, sent just after the stream leader stopped, lands once another is
// elected, and its retry under the key answers Duplicate. The key's look before
// publishing is retried as an attempt is; before, it waited for an answer the stopped
// leader never gave and failed at the caller's deadline, so every keyed command of
// several aggregates (all of them come with a key) failed through a failover.
func TestClusterKeyedAtomicDuringFailover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	s := c.Open(t)
	stream := s.StreamName()
	p := eventstore.Ref{Kind: "unit", ID: "P"}
	pc, err := s.Append(ctx, p, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	leader := c.StreamLeader(stream)
	require.GreaterOrEqual(t, leader, 0)
	c.StopServer(leader)
	parts := []eventstore.Part{
		{Ref: p, Expect: pc.Version(), Events: ev("unit.fact_recorded", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "Q"}, Events: ev("unit.registered", nil)},
	}
	meta := eventstore.Meta{Actor: actor, Key: "failover-key"}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cs, err := s.AppendAtomic(actx, parts, meta)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	assert.False(t, cs[0].Duplicate)
	again, err := s.AppendAtomic(ctx, parts, meta)
	require.NoError(t, err)
	require.Len(t, again, 2)
	assert.True(t, again[0].Duplicate)
	assert.Equal(t, cs[0].Seq, again[0].Seq)
}

// TestClusterAtomicAppendWithoutMetaLeader: an atomic append sent just after the
// JetStream meta leader stopped lands once the stream has a leader. Its look at the
// account's usage (roomForAtomic) asks the meta leader, which no other server answers for;
// it waited for the caller's whole deadline, and the append then failed with "context
// deadline exceeded" (CI of stop 45, when the stream leader stopped was also the meta
// leader). The look is now bounded and falls back to the last one that was answered.
func TestClusterAtomicAppendWithoutMetaLeader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	s := c.Open(t)
	p := eventstore.Ref{Kind: "unit", ID: "P"}
	pc, err := s.Append(ctx, p, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	meta := c.MetaLeader()
	require.GreaterOrEqual(t, meta, 0)
	c.StopServer(meta)
	parts := []eventstore.Part{
		{Ref: p, Expect: pc.Version(), Events: ev("unit.fact_recorded", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "Q"}, Events: ev("unit.registered", nil)},
	}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cs, err := s.AppendAtomic(actx, parts, eventstore.Meta{Actor: actor, Key: "no-meta-leader"})
	require.NoError(t, err)
	require.Len(t, cs, 2)
	assert.Equal(t, cs[0].Seq+1, cs[1].Seq, "one batch, at consecutive sequences")
	last, err := s.LastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, cs[1].Seq, last)
}

// TestClusterDocumentReadThroughFailover: a document read sent just after the JetStream
// meta leader stopped, which also led the document bucket, comes back whole, or
// fails as the store's unavailability, never as a damaged document; and it answers within
// the caller's deadline. Before, the read's first chunk waited for a consumer no meta
// leader created, and after 2 s an intact document was named damaged (a grant refused,
// an administrator told to restore it), and its description's direct get, sent to the
// stopped server, waited out the whole client timeout (a review finding).
func TestClusterDocumentReadThroughFailover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	s := c.Open(t)
	doc, err := s.PutDocumentBytes(ctx, "bien-ban.pdf", "application/pdf", []byte("%PDF-1.4 council minutes"))
	require.NoError(t, err)
	meta := c.MetaLeader()
	require.GreaterOrEqual(t, meta, 0)
	c.MoveStreamLeader(t, "OBJ_"+s.DocumentBucket(), meta, 10*time.Second)
	c.StopServer(meta)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var data []byte
	for {
		data, err = s.GetDocument(rctx, doc.SHA256)
		require.NotErrorIs(t, err, eventstore.ErrDocumentCorrupt, "an intact document read through a failover")
		require.NotErrorIs(t, err, eventstore.ErrDocumentNotFound)
		if err == nil || rctx.Err() != nil {
			break
		}
		t.Logf("unavailable for now: %v", err)
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 council minutes", string(data))
	info, err := s.DocumentInfo(ctx, doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, doc.Size, info.Size)
}

// TestClusterDocumentJustStoredIsFoundEverywhere: a document stored through one server
// is found at once through each of the others, though a direct get may be answered by a
// replica that has not stored it yet: a "not found" is asked again of the bucket's
// leader (a review finding: a download through another server right after the upload
// was answered 500, "missing from the document store", near a failover).
func TestClusterDocumentJustStoredIsFoundEverywhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startCluster(t)
	a := c.OpenOn(t, 0)
	others := []*eventstore.Store{openBeside(t, c, a, 1), openBeside(t, c, a, 2)}
	for i := range 60 {
		doc, err := a.PutDocumentBytes(ctx, "p.pdf", "application/pdf", fmt.Appendf(nil, "%%PDF-1.4 plan %d", i))
		require.NoError(t, err)
		for _, b := range others {
			_, err := b.DocumentInfo(ctx, doc.SHA256)
			require.NoError(t, err, "document %d", i)
		}
	}
}
