package eventstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
)

var srv *estest.Server

func TestMain(m *testing.M) {
	if os.Getenv("THIDUA_KILL_WRITER") != "" {
		killWriter()
		return
	}
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

var actor = eventstore.Actor{User: "u1", Role: "clerk"}

func ev(typ string, data any) []eventstore.Pending {
	return []eventstore.Pending{{Type: typ, Data: data}}
}

func lastSeq(t *testing.T, s *eventstore.Store) uint64 {
	t.Helper()
	n, err := s.LastSeq(context.Background())
	require.NoError(t, err)
	return n
}

func TestAppendConflictIsTyped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "nomination", ID: "N1"}
	c1, err := s.Append(ctx, ref, eventstore.Version{}, ev("nomination.opened", map[string]any{"unit": "U1"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), c1.Seq)
	assert.Empty(t, c1.Events[0].PrevHash)

	// A second writer that still believes the aggregate is new loses.
	_, err = s.Append(ctx, ref, eventstore.Version{}, ev("nomination.opened", map[string]any{"unit": "U2"}), eventstore.Meta{Actor: actor})
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, eventstore.ErrConflict)
	assert.Equal(t, uint64(0), ce.Expected)
	assert.Equal(t, uint64(1), ce.Actual)

	// The winner's version lets the next command through, chained to the first.
	c2, err := s.Append(ctx, ref, c1.Version(), ev("nomination.submitted", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	assert.Equal(t, c1.Events[0].Hash, c2.Events[0].PrevHash)
	events, v, err := s.Load(ctx, ref)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, c2.Version(), v)
	assert.Equal(t, "nomination.submitted", events[1].Type)
}

func TestIdempotencyKeyAppendsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "unit", ID: "U1"}
	meta := eventstore.Meta{Actor: actor, Key: "cmd-42"}
	first, err := s.Append(ctx, ref, eventstore.Version{}, ev("unit.registered", map[string]string{"name": "A"}), meta)
	require.NoError(t, err)
	// Same expected version: JetStream de-duplication answers.
	again, err := s.Append(ctx, ref, eventstore.Version{}, ev("unit.registered", map[string]string{"name": "A"}), meta)
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Seq, again.Seq)
	assert.Equal(t, first.Events[0].ID, again.Events[0].ID)
	// Another command moved the aggregate on; the retry is stale but still recognised.
	_, err = s.Append(ctx, ref, first.Version(), ev("unit.fact_recorded", map[string]any{"fact": "x"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	stale, err := s.Append(ctx, ref, eventstore.Version{}, ev("unit.registered", map[string]string{"name": "A"}), meta)
	require.NoError(t, err)
	assert.True(t, stale.Duplicate)
	assert.Equal(t, first.Events[0].ID, stale.Events[0].ID)
	assert.Equal(t, uint64(2), lastSeq(t, s), "exactly two commits stored")
}

func TestAtomicAppendAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	a := eventstore.Ref{Kind: "unit", ID: "A"}
	b := eventstore.Ref{Kind: "unit", ID: "B"}
	c := eventstore.Ref{Kind: "unit", ID: "C"}
	ca, err := s.Append(ctx, a, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	before := lastSeq(t, s)

	// One part carries a stale expectation: nothing of the batch is stored.
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: a, Expect: ca.Version(), Events: ev("unit.merged", map[string]string{"successor": "C"})},
		{Ref: b, Expect: eventstore.Version{Seq: 99}, Events: ev("unit.merged", map[string]string{"successor": "C"})},
		{Ref: c, Expect: eventstore.Version{}, Events: ev("unit.absorbed", nil)},
	}, eventstore.Meta{Actor: actor})
	require.ErrorIs(t, err, eventstore.ErrConflict)
	assert.Equal(t, before, lastSeq(t, s), "no event of a failed batch is stored")

	// One part with an invalid id never reaches NATS.
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: a, Expect: ca.Version(), Events: ev("unit.merged", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "B.*"}, Events: ev("unit.merged", nil)},
	}, eventstore.Meta{Actor: actor})
	require.ErrorIs(t, err, eventstore.ErrInvalidID)
	assert.Equal(t, before, lastSeq(t, s))

	// A good batch stores every part, each chained on its own aggregate.
	meta := eventstore.Meta{Actor: actor, Key: "merge-1"}
	parts := []eventstore.Part{
		{Ref: a, Expect: ca.Version(), Events: ev("unit.merged", map[string]string{"successor": "C"})},
		{Ref: c, Expect: eventstore.Version{}, Events: []eventstore.Pending{{Type: "unit.registered"}, {Type: "unit.absorbed"}}},
	}
	commits, err := s.AppendAtomic(ctx, parts, meta)
	require.NoError(t, err)
	require.Len(t, commits, 2)
	assert.Equal(t, before+2, lastSeq(t, s))
	assert.Equal(t, ca.Events[0].Hash, commits[0].Events[0].PrevHash)
	assert.Equal(t, commits[1].Events[0].Hash, commits[1].Events[1].PrevHash)
	events, _, err := s.Load(ctx, c)
	require.NoError(t, err)
	assert.Len(t, events, 2)

	// The retry with the same key appends nothing and answers with the original commits.
	again, err := s.AppendAtomic(ctx, parts, meta)
	require.NoError(t, err)
	assert.True(t, again[0].Duplicate)
	assert.Equal(t, commits[0].Seq, again[0].Seq)
	assert.Equal(t, before+2, lastSeq(t, s))
}

// Two different commands under one idempotency key (one DedupKey, two Keys, as two
// processes send them) store only the first, whichever of them is an atomic append: the
// batch's first message carries the key's message id.
func TestOneCommandPerDedupKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type appendFn func(s *eventstore.Store, key string, ids ...string) ([]eventstore.Commit, error)
	single := func(s *eventstore.Store, key string, ids ...string) ([]eventstore.Commit, error) {
		c, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: ids[0]}, eventstore.Version{}, ev("unit.registered", nil),
			eventstore.Meta{Actor: actor, Key: key, DedupKey: "u1|k"})
		return []eventstore.Commit{c}, err
	}
	atomicAppend := func(s *eventstore.Store, key string, ids ...string) ([]eventstore.Commit, error) {
		var parts []eventstore.Part
		for _, id := range ids {
			parts = append(parts, eventstore.Part{Ref: eventstore.Ref{Kind: "unit", ID: id}, Events: ev("unit.registered", nil)})
		}
		return s.AppendAtomic(ctx, parts, eventstore.Meta{Actor: actor, Key: key, DedupKey: "u1|k"})
	}
	for _, tc := range []struct {
		name          string
		first, second appendFn
		secondIDs     []string
	}{
		{"atomic after atomic", atomicAppend, atomicAppend, []string{"C", "D"}},
		{"atomic after single", single, atomicAppend, []string{"C", "D"}},
		{"single after atomic", atomicAppend, single, []string{"C"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := srv.Open(t)
			first, err := tc.first(s, "u1|k|body-1", "A", "B")
			require.NoError(t, err)
			before := lastSeq(t, s)

			second, err := tc.second(s, "u1|k|body-2", tc.secondIDs...)
			if len(tc.secondIDs) > 1 {
				require.ErrorIs(t, err, eventstore.ErrKeyUsed)
			} else {
				// A single append's duplicate answers with the first command's commit,
				// whose key tells the caller it was another command.
				require.NoError(t, err)
				assert.True(t, second[0].Duplicate)
				assert.Equal(t, "u1|k|body-1", second[0].Key)
				assert.Equal(t, first[0].Seq, second[0].Seq)
			}
			assert.Equal(t, before, lastSeq(t, s), "the second command stored nothing")
			for _, id := range tc.secondIDs {
				events, _, err := s.Load(ctx, eventstore.Ref{Kind: "unit", ID: id})
				require.NoError(t, err)
				assert.Empty(t, events, id)
			}

			// The first command, retried, is still recognised as itself.
			again, err := tc.first(s, "u1|k|body-1", "A", "B")
			require.NoError(t, err)
			assert.True(t, again[0].Duplicate)
			assert.Equal(t, first[0].Seq, again[0].Seq)
			assert.Equal(t, before, lastSeq(t, s))
		})
	}
}

func TestSettledSeqKeepsAtomicAppendsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	refs := []eventstore.Ref{{Kind: "unit", ID: "A"}, {Kind: "unit", ID: "B"}, {Kind: "unit", ID: "C"}}
	first, err := s.Append(ctx, refs[0], eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	parts := make([]eventstore.Part, 0, 3)
	for i, r := range refs {
		p := eventstore.Part{Ref: r, Events: ev("unit.registered", nil)}
		if i == 0 {
			p.Expect, p.Events = first.Version(), ev("unit.merged", map[string]string{"successor": "C"})
		}
		parts = append(parts, p)
	}
	batch, err := s.AppendAtomic(ctx, parts, eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	require.Len(t, batch, 3)
	after, err := s.Append(ctx, refs[1], batch[1].Version(), ev("unit.renamed", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)

	// Every part is recorded at one moment, so a bound by time takes all or none of them.
	assert.Equal(t, batch[0].Events[0].RecordedAt, batch[1].Events[0].RecordedAt)
	assert.Equal(t, batch[0].Events[0].RecordedAt, batch[2].Events[0].RecordedAt)

	for _, tc := range []struct {
		name      string
		seq, want uint64
	}{
		{"a single append", first.Seq, first.Seq},
		{"the first of an atomic append", batch[0].Seq, batch[2].Seq},
		{"the middle of it", batch[1].Seq, batch[2].Seq},
		{"its last", batch[2].Seq, batch[2].Seq},
		{"a single append after it", after.Seq, after.Seq},
		{"no bound", 0, 0},
	} {
		got, err := s.SettledSeq(ctx, tc.seq)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
	got, err := s.SettledSeq(ctx, after.Seq+1)
	require.NoError(t, err)
	assert.Equal(t, after.Seq+1, got, "a sequence the stream does not hold (lost, or still to come: the callers refuse that) is left as it is")
}

func TestInvalidIDsNeverReachNATS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	// Watch the whole subject space for anything published.
	nc := srv.Connect(t)
	var seen []string
	sub, err := nc.Subscribe(">", func(m *nats.Msg) {
		if strings.HasPrefix(m.Subject, s.SubjectPrefix()+".") {
			seen = append(seen, m.Subject)
		}
	})
	require.NoError(t, err)
	defer sub.Unsubscribe()
	for _, id := range []string{"", "a.b", "a*", "a>", ">", "a b", "a\tb", "a\nb", "a\x00b", "a/b", "a\u00a0b", strings.Repeat("x", 129), string([]byte{0xff, 0xfe})} {
		t.Run(strconv.Quote(id), func(t *testing.T) {
			_, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: id}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
			require.ErrorIs(t, err, eventstore.ErrInvalidID)
			_, _, err = s.Load(ctx, eventstore.Ref{Kind: "unit", ID: id})
			require.ErrorIs(t, err, eventstore.ErrInvalidID)
		})
	}
	require.NoError(t, nc.Flush())
	assert.Empty(t, seen)
	assert.Equal(t, uint64(0), lastSeq(t, s))
}

func TestMalformedAppendIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "unit", ID: "U"}
	for name, events := range map[string][]eventstore.Pending{
		"no events":    nil,
		"empty type":   {{Type: ""}},
		"invalid json": {{Type: "x.y", Data: json.RawMessage(`{"a":`)}},
	} {
		_, err := s.Append(ctx, ref, eventstore.Version{}, events, eventstore.Meta{})
		assert.ErrorIs(t, err, eventstore.ErrInvalidAppend, name)
	}
	assert.Equal(t, uint64(0), lastSeq(t, s))
}

// TestOversizedEventsAreRefused: events that encode to more than one message of the store
// takes are refused as too large, alone or in an atomic append, and nothing is stored
// (a review finding: the client library's "maximum payload exceeded" was answered as the
// store being unavailable, 503 "try again").
func TestOversizedEventsAreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	label := strings.Repeat("&<>", 200_000) // 600 kB, each character escaped to six bytes
	big := []eventstore.Pending{{Type: "unit.registered", Data: json.RawMessage(`{"name":"` + label + `"}`)}}
	_, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "BIG"}, eventstore.Version{}, big, eventstore.Meta{Actor: actor})
	require.ErrorIs(t, err, eventstore.ErrEventTooLarge)
	assert.Contains(t, err.Error(), "more than")
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: eventstore.Ref{Kind: "unit", ID: "SMALL"}, Events: ev("unit.registered", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "BIG"}, Events: big},
	}, eventstore.Meta{Actor: actor})
	require.ErrorIs(t, err, eventstore.ErrEventTooLarge)
	assert.Equal(t, uint64(0), lastSeq(t, s))
}

func TestUpcastOnRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := eventstore.NewRegistry()
	require.NoError(t, reg.Register("unit.fact_recorded", 2, map[int]eventstore.Upcaster{
		1: func(b []byte) ([]byte, error) {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, err
			}
			m["fact"] = m["name"]
			delete(m, "name")
			return json.Marshal(m)
		},
	}))
	s := srv.Open(t, eventstore.WithRegistry(reg))
	ref := eventstore.Ref{Kind: "unit", ID: "U"}
	old, err := s.Append(ctx, ref, eventstore.Version{}, []eventstore.Pending{{Type: "unit.fact_recorded", Schema: 1, Data: map[string]any{"name": "par_rating"}}}, eventstore.Meta{})
	require.NoError(t, err)
	_, err = s.Append(ctx, ref, old.Version(), ev("unit.fact_recorded", map[string]any{"fact": "late_dossiers"}), eventstore.Meta{})
	require.NoError(t, err)
	events, _, err := s.Load(ctx, ref)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, 2, events[0].Schema)
	assert.Equal(t, 1, events[0].StoredSchema)
	assert.JSONEq(t, `{"fact":"par_rating"}`, string(events[0].Data))
	assert.Equal(t, 2, events[1].StoredSchema, "new events are written at the current version")
	// The stored bytes are untouched: the chain still verifies.
	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Equal(t, 2, rep.Events)
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "nomination", ID: "N"}
	c1, err := s.Append(ctx, ref, eventstore.Version{}, ev("nomination.opened", map[string]string{"unit": "U"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.Append(ctx, ref, c1.Version(), ev("nomination.submitted", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)

	// Someone with NATS credentials publishes a forged award behind the store's back,
	// copying a real event and altering its payload.
	forged := c1.Events[0]
	forged.ID = "01FORGEDFORGEDFORGEDFORGED"
	forged.Type = "nomination.awarded"
	forged.Data = json.RawMessage(`{"award":"A1"}`)
	body, _ := json.Marshal(map[string]any{"events": []eventstore.Event{forged}})
	subject, _ := s.Subject(ref)
	_, err = s.JetStream().Publish(ctx, subject, body)
	require.NoError(t, err)
	_, err = s.JetStream().Publish(ctx, subject, []byte("not json"))
	require.NoError(t, err)

	rep, err = s.VerifyChains(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Problems, 3, "%+v", rep.Problems)
	assert.Equal(t, uint64(3), rep.Problems[0].Seq)
	assert.Equal(t, forged.ID, rep.Problems[0].EventID)
	assert.Contains(t, rep.Problems[0].Problem, "hash mismatch")
	assert.Contains(t, rep.Problems[1].Problem, "chain broken")
	assert.Equal(t, uint64(4), rep.Problems[2].Seq)
}

// TestVerifyDatesEvents: an event recorded well before JetStream stored it (a simulated
// clock's, or backdated) is counted in a note; one recorded well after it (forward-dated,
// or a clock running ahead) is a problem, since a query as of a moment between leaves out
// an event the stream already held. Within the tolerances, nothing is said.
func TestVerifyDatesEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name            string
		offset          time.Duration
		problems, noted int
	}{
		{"on time", 0, 0, 0},
		{"skew within the tolerance", 5 * time.Minute, 0, 0},
		{"backdated", -2 * time.Hour, 0, 2},
		{"forward-dated", 2 * time.Hour, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := srv.Open(t, eventstore.WithClock(func() time.Time { return time.Now().Add(tc.offset) }))
			ref := eventstore.Ref{Kind: "unit", ID: "U"}
			c, err := s.Append(ctx, ref, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
			require.NoError(t, err)
			_, err = s.Append(ctx, ref, c.Version(), ev("unit.fact_recorded", nil), eventstore.Meta{Actor: actor})
			require.NoError(t, err)
			rep, err := s.VerifyChains(ctx)
			require.NoError(t, err)
			require.Len(t, rep.Problems, tc.problems, "%+v", rep.Problems)
			for _, p := range rep.Problems {
				assert.Contains(t, p.Problem, "after JetStream stored it")
			}
			assert.Equal(t, tc.noted, rep.Backdated)
		})
	}
}

func TestReadBoundsAndTail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	s := srv.Open(t, eventstore.WithClock(func() time.Time { return clock }))
	versions := map[string]eventstore.Version{}
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("U%d", i%3)
		clock = clock.Add(24 * time.Hour)
		c, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: id}, versions[id], ev("unit.fact_recorded", map[string]int{"i": i}), eventstore.Meta{})
		require.NoError(t, err)
		versions[id] = c.Version()
	}
	var seqs []uint64
	last, err := s.Read(ctx, eventstore.ReadOptions{From: 3, Until: 7}, func(c eventstore.Commit) error {
		seqs = append(seqs, c.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{3, 4, 5, 6, 7}, seqs)
	assert.Equal(t, uint64(7), last)

	seqs = nil
	_, err = s.Read(ctx, eventstore.ReadOptions{UntilTime: time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)}, func(c eventstore.Commit) error {
		seqs = append(seqs, c.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3}, seqs, "recorded on 2, 3 and 4 March")

	seqs = nil
	_, err = s.Read(ctx, eventstore.ReadOptions{Subjects: []string{s.SubjectPrefix() + ".unit.U1"}}, func(c eventstore.Commit) error {
		seqs = append(seqs, c.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{2, 5, 8}, seqs)

	got := make(chan uint64, 20)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := s.Tail(tctx, 9, func(c eventstore.Commit) { got <- c.Seq }, nil)
	require.NoError(t, err)
	defer sub.Stop()
	_, err = s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "U9"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{})
	require.NoError(t, err)
	for _, want := range []uint64{9, 10, 11} {
		select {
		case seq := <-got:
			assert.Equal(t, want, seq)
		case <-time.After(5 * time.Second):
			t.Fatalf("tail did not deliver %d", want)
		}
	}
}

func TestDocuments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t, eventstore.WithMaxDocumentSize(1024))
	d, err := s.PutDocument(ctx, "letter.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	require.NoError(t, err)
	assert.Equal(t, int64(14), d.Size)
	assert.Len(t, d.SHA256, 64)
	data, err := s.GetDocument(ctx, d.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 hello", string(data))

	_, err = s.PutDocument(ctx, "big.pdf", "application/pdf", bytes.NewReader(make([]byte, 1025)))
	require.ErrorIs(t, err, eventstore.ErrTooLarge)
	_, err = s.GetDocument(ctx, strings.Repeat("0", 64))
	require.ErrorIs(t, err, eventstore.ErrDocumentNotFound)
	_, err = s.GetDocument(ctx, "../etc")
	require.ErrorIs(t, err, eventstore.ErrDocumentNotFound)

	// Someone replaces the bytes behind the store's back.
	obs, err := s.JetStream().ObjectStore(ctx, "docs-"+strings.ToLower(s.StreamName()))
	require.NoError(t, err)
	_, err = obs.PutBytes(ctx, d.SHA256, []byte("%PDF-1.4 forged"))
	require.NoError(t, err)
	_, err = s.GetDocument(ctx, d.SHA256)
	require.ErrorIs(t, err, eventstore.ErrDocumentCorrupt)
	problems, n, err := s.VerifyDocuments(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.Len(t, problems, 1)
	assert.Equal(t, d.SHA256, problems[0].SHA256)

	// Uploading the original again repairs it: the same document, readable, and verified.
	again, err := s.PutDocument(ctx, "letter.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	require.NoError(t, err)
	assert.Equal(t, d.SHA256, again.SHA256)
	data, err = s.GetDocument(ctx, d.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 hello", string(data))
	problems, _, err = s.VerifyDocuments(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
	// An intact document uploaded again stays as it is.
	again, err = s.PutDocument(ctx, "letter.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	require.NoError(t, err)
	assert.Equal(t, d.SHA256, again.SHA256)
}

func TestMisconfiguredStreamIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nc := srv.Connect(t)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "LOOSE", Subjects: []string{"loose.>"}, MaxAge: time.Hour})
	require.NoError(t, err)
	_, err = eventstore.Open(ctx, eventstore.WithConnection(nc), eventstore.WithStream("LOOSE", "loose"), eventstore.WithDocumentBucket("docs-loose"))
	require.ErrorIs(t, err, eventstore.ErrMisconfigured)
	for _, want := range []string{"deny_delete", "deny_purge", "allow_atomic", "allow_direct", "max_age"} {
		assert.Contains(t, err.Error(), want)
	}
}

// TestDataDirLockedWhileOpen: an embedded store's data directory can be open in one store
// at a time (two embedded servers writing one store would corrupt it); the second gets
// ErrDataDirInUse naming the holder, changes nothing, and the first goes on. Once the
// first is closed, the directory opens again, with every event. (A killed holder:
// TestSIGKILLLosesNoAcknowledgedEvent.)
func TestDataDirLockedWhileOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	ref := eventstore.Ref{Kind: "campaign", ID: "c1"}
	c, err := s.Append(ctx, ref, eventstore.Version{}, ev("campaign.launched", map[string]string{"id": "c1"}), eventstore.Meta{})
	require.NoError(t, err)

	for range 2 {
		_, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
		require.ErrorIs(t, err, eventstore.ErrDataDirInUse)
		assert.Contains(t, err.Error(), fmt.Sprintf("process %d", os.Getpid()))
		assert.Contains(t, err.Error(), dir)
	}
	// An operator who takes the lock file for a stale pid file and deletes it does not
	// let a second store in: the directory itself is locked too.
	require.NoError(t, os.Remove(filepath.Join(dir, eventstore.LockFileName)))
	_, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.ErrorIs(t, err, eventstore.ErrDataDirInUse)
	// The first store is unharmed.
	c2, err := s.Append(ctx, ref, c.Version(), ev("campaign.launched", map[string]string{"id": "c1", "again": "yes"}), eventstore.Meta{})
	require.NoError(t, err)
	s.Close()

	s, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	defer s.Close()
	events, v, err := s.Load(ctx, ref)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, []string{c.Events[0].ID, c2.Events[0].ID}, []string{events[0].ID, events[1].ID})
	assert.Equal(t, c2.Version(), v)
	pid, err := os.ReadFile(filepath.Join(dir, eventstore.LockFileName))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", os.Getpid()), string(pid))
}

// killWriter runs in a child process: it appends events to an embedded store and prints
// each acknowledged sequence, until it is killed.
func killWriter() {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.WithDataDir(os.Getenv("THIDUA_KILL_WRITER")))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var v eventstore.Version
	for i := 0; ; i++ {
		c, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "K"}, v, ev("unit.fact_recorded", map[string]int{"i": i}), eventstore.Meta{})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		v = c.Version()
		fmt.Printf("acked %d %s\n", c.Seq, c.Events[0].ID)
	}
}

func TestSIGKILLLosesNoAcknowledgedEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "THIDUA_KILL_WRITER="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	acked := map[uint64]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		var seq uint64
		var id string
		if _, err := fmt.Sscanf(sc.Text(), "acked %d %s", &seq, &id); err == nil {
			acked[seq] = id
		} else {
			t.Fatalf("writer: %s", sc.Text())
		}
	}
	// While the writer runs, its data directory cannot be opened a second time.
	_, err = eventstore.Open(context.Background(), eventstore.WithDataDir(dir))
	require.ErrorIs(t, err, eventstore.ErrDataDirInUse)
	assert.Contains(t, err.Error(), fmt.Sprintf("process %d", cmd.Process.Pid))
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	require.Len(t, acked, 200)

	s, err := eventstore.Open(context.Background(), eventstore.WithDataDir(dir))
	require.NoError(t, err)
	defer s.Close()
	events, _, err := s.Load(context.Background(), eventstore.Ref{Kind: "unit", ID: "K"})
	require.NoError(t, err)
	stored := map[uint64]string{}
	for _, e := range events {
		stored[e.Seq] = e.ID
	}
	for seq, id := range acked {
		assert.Equal(t, id, stored[seq], "acknowledged event at %d lost", seq)
	}
	rep, err := s.VerifyChains(context.Background())
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.GreaterOrEqual(t, rep.Events, 200)
	assert.False(t, errors.Is(err, eventstore.ErrMalformed))
}

// TestReadEnds checks how a read ends: at its bound, at fn's error, at the context's end,
// on a filter that matches nothing, and on a closed connection; and that fn is never called
// once the read has returned.
func TestReadEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	var v eventstore.Version
	for i := 0; i < 50; i++ {
		c, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "R1"}, v, ev("unit.fact_recorded", map[string]int{"i": i}), eventstore.Meta{})
		require.NoError(t, err)
		v = c.Version()
	}
	first := v.Seq - 49
	errStop := errors.New("stop here")
	tests := []struct {
		name     string
		ro       eventstore.ReadOptions
		failAt   uint64 // fn fails at this sequence (0: never)
		cancelAt uint64 // the context ends while fn handles this sequence (0: never)
		wantErr  error
		wantLast uint64
		wantN    int
	}{
		{name: "whole bound", ro: eventstore.ReadOptions{From: first, Until: first + 49}, wantLast: first + 49, wantN: 50},
		{name: "fn fails", ro: eventstore.ReadOptions{From: first}, failAt: first + 9, wantErr: errStop, wantLast: first + 8, wantN: 10},
		{name: "context ends", ro: eventstore.ReadOptions{From: first}, cancelAt: first + 4, wantErr: context.Canceled, wantN: 5},
		{name: "filter matches nothing", ro: eventstore.ReadOptions{Subjects: []string{s.SubjectPrefix() + ".unit.NONE"}}, wantN: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var n atomic.Int32
			var returned atomic.Bool
			last, err := s.ReadRaw(rctx, tc.ro, func(rc eventstore.RawCommit) error {
				assert.False(t, returned.Load(), "fn called after the read returned")
				n.Add(1)
				if rc.Seq == tc.failAt {
					return errStop
				}
				if rc.Seq == tc.cancelAt {
					cancel()
					time.Sleep(20 * time.Millisecond) // more messages arrive meanwhile
				}
				return nil
			})
			returned.Store(true)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.wantLast, last)
			}
			if tc.failAt != 0 {
				assert.Equal(t, tc.wantLast, last, "the last sequence read is the one before fn failed")
			}
			assert.Equal(t, tc.wantN, int(n.Load()))
			time.Sleep(50 * time.Millisecond) // a late delivery would call fn now
		})
	}

	t.Run("fn panics", func(t *testing.T) {
		// The panic reaches the caller's goroutine, as it would if fn ran there.
		assert.PanicsWithValue(t, "fn failed", func() {
			_, _ = s.ReadRaw(ctx, eventstore.ReadOptions{From: first}, func(rc eventstore.RawCommit) error {
				if rc.Seq == first+2 {
					panic("fn failed")
				}
				return nil
			})
		})
	})

	t.Run("closed connection", func(t *testing.T) {
		t.Parallel()
		s2 := srv.Open(t)
		_, err := s2.Append(ctx, eventstore.Ref{Kind: "unit", ID: "R2"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{})
		require.NoError(t, err)
		s2.Conn().Close()
		called := false
		_, err = s2.ReadRaw(ctx, eventstore.ReadOptions{}, func(eventstore.RawCommit) error { called = true; return nil })
		require.ErrorIs(t, err, nats.ErrConnectionClosed)
		assert.False(t, called)
	})
}

// TestDocumentLeftovers: the chunks of an upload cut short between its chunks and its
// description (a killed process) are counted, as uploads and chunks; stored documents,
// and a document stored again (whose old chunks the object store purges), are not.
func TestDocumentLeftovers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	bucket := "docs-" + strings.ToLower(s.StreamName())
	_, err := s.PutDocument(ctx, "letter.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	require.NoError(t, err)
	_, err = s.PutDocument(ctx, "plan.pdf", "application/pdf", bytes.NewReader(make([]byte, 300<<10))) // 3 chunks
	require.NoError(t, err)
	l, err := s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{}, l)

	// An upload killed after two chunks: no description refers to them.
	for range 2 {
		_, err = s.JetStream().Publish(ctx, "$O."+bucket+".C.KILLEDUPLOAD0000000000", make([]byte, 128<<10))
		require.NoError(t, err)
	}
	l, err = s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{Uploads: 1, Chunks: 2}, l)

	// Removal takes only uploads whose newest chunk is old enough: none within the hour.
	removed, err := s.RemoveDocumentLeftovers(ctx, eventstore.StaleUpload)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{}, removed)
	l, err = s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{Uploads: 1, Chunks: 2}, l)

	// With no minimum age, the unfinished upload goes, and the stored documents stay whole.
	time.Sleep(2 * time.Millisecond)
	removed, err = s.RemoveDocumentLeftovers(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{Uploads: 1, Chunks: 2}, removed)
	l, err = s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{}, l)
	problems, n, err := s.VerifyDocuments(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
	assert.Equal(t, 2, n)
	big, err := s.GetDocument(ctx, fmt.Sprintf("%x", sha256.Sum256(make([]byte, 300<<10))))
	require.NoError(t, err)
	assert.Len(t, big, 300<<10)
}

// TestVerifyFindsLostMessages: a message damaged on disk is dropped by JetStream as it
// starts; the stream denies deletion, so the gap is a loss, and VerifyChains names it
// (before, it said every chain verified when the lost message was an aggregate's last).
func TestVerifyFindsLostMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	var lost eventstore.Commit
	for i := range 5 {
		ref := eventstore.Ref{Kind: "unit", ID: fmt.Sprintf("u%d", i)}
		c, err := s.Append(ctx, ref, eventstore.Version{}, ev("unit.registered", map[string]string{"id": ref.ID, "mark": fmt.Sprintf("MARK-%d-%s", i, strings.Repeat("x", 40))}), eventstore.Meta{})
		require.NoError(t, err)
		if i == 2 {
			lost = c
		}
	}
	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	s.Close()

	// Damage the third message's payload in its block file.
	estest.Damage(t, dir, "MARK-2-")

	s, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	defer s.Close()
	rep, err = s.VerifyChains(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Problems, "a lost message is a problem")
	assert.Equal(t, lost.Seq, rep.Problems[0].Seq)
	assert.Contains(t, rep.Problems[0].Problem, "messages lost")
	assert.Equal(t, 4, rep.Commits)
	// Gaps finds it too, reading the messages' headers only.
	var gaps [][2]uint64
	require.NoError(t, s.Gaps(ctx, lost.Seq+2, func(from, to uint64) { gaps = append(gaps, [2]uint64{from, to}) }))
	assert.Equal(t, [][2]uint64{{lost.Seq, lost.Seq}}, gaps)
	gaps = nil
	require.NoError(t, s.Gaps(ctx, lost.Seq-1, func(from, to uint64) { gaps = append(gaps, [2]uint64{from, to}) }))
	assert.Empty(t, gaps, "none before it")
}

// TestDamagedDocumentChunk: a document chunk damaged on disk (dropped by JetStream as it
// starts) makes the document corrupt, named as such within the time its size needs;
// before, the read waited for the chunk until the client's timeout and failed as a
// timeout (a 500 "internal" after 10 s on the API).
func TestDamagedDocumentChunk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	body := bytes.Repeat([]byte("a"), 300<<10)
	copy(body[200<<10:], "CHUNK-MARKER-9Z")
	d, err := s.PutDocument(ctx, "big.pdf", "application/pdf", bytes.NewReader(body))
	require.NoError(t, err)
	s.Close()
	estest.Damage(t, dir, "CHUNK-MARKER-9Z")

	s, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	defer s.Close()
	t0 := time.Now()
	_, err = s.GetDocument(ctx, d.SHA256)
	require.ErrorIs(t, err, eventstore.ErrDocumentCorrupt)
	assert.Less(t, time.Since(t0), 5*time.Second)
	problems, _, err := s.VerifyDocuments(ctx)
	require.NoError(t, err)
	require.Len(t, problems, 1)
	assert.Contains(t, problems[0].Problem, "chunk")
}

// TestSignOuts: a sign-out of a token's sessions is kept in JetStream (where every process
// on the store reads it), to the millisecond; another token has none.
func TestSignOuts(t *testing.T) {
	t.Parallel()
	a := srv.Open(t)
	ctx := context.Background()
	ended, err := a.SessionsEnded(ctx, "feed")
	require.NoError(t, err)
	assert.True(t, ended.IsZero())
	at := time.Date(2025, 9, 15, 10, 0, 0, 123_456_789, time.UTC)
	require.NoError(t, a.EndSessions(ctx, "feed", at))
	ended, err = a.SessionsEnded(ctx, "feed")
	require.NoError(t, err)
	assert.True(t, ended.Equal(at.Truncate(time.Millisecond)), "%v", ended)
	ended, err = a.SessionsEnded(ctx, "beef")
	require.NoError(t, err)
	assert.True(t, ended.IsZero(), "another token's sessions go on")

	// An earlier time, from a process whose clock lags, does not move the cut-off back;
	// of many sign-outs at once, through two processes, the latest holds.
	require.NoError(t, a.EndSessions(ctx, "feed", at.Add(-time.Hour)))
	ended, err = a.SessionsEnded(ctx, "feed")
	require.NoError(t, err)
	assert.True(t, ended.Equal(at.Truncate(time.Millisecond)), "%v", ended)
	// Another process on a's store: its stream, its buckets (estest names them after it).
	lower := strings.ToLower(a.StreamName())
	b := srv.Open(t, eventstore.WithStream(a.StreamName(), lower), eventstore.WithDocumentBucket("docs-"+lower))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			assert.NoError(t, s.EndSessions(ctx, "cafe", at.Add(time.Duration(i)*time.Second)))
		}()
	}
	wg.Wait()
	ended, err = b.SessionsEnded(ctx, "cafe")
	require.NoError(t, err)
	assert.True(t, ended.Equal(at.Add(15*time.Second).Truncate(time.Millisecond)), "the latest of the sign-outs: %v", ended)
}

// TestRawPayloadStoredAsHashed: a payload given as raw JSON with characters the commit's
// encoding escapes (<, >, &, U+2028) is hashed as it is stored, so that it loads with a
// matching hash and verify finds nothing; the struct and the raw forms of one payload
// store the same bytes. Before, the raw form was hashed unescaped and stored escaped.
func TestRawPayloadStoredAsHashed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	raw := eventstore.Ref{Kind: "unit", ID: "RAW"}
	typed := eventstore.Ref{Kind: "unit", ID: "TYPED"}
	_, err := s.Append(ctx, raw, eventstore.Version{}, ev("unit.registered", json.RawMessage(`{ "name": "A <b> & C `+"\u2028"+`" }`)), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.Append(ctx, typed, eventstore.Version{}, ev("unit.registered", map[string]string{"name": "A <b> & C \u2028"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	evs, _, err := s.Load(ctx, raw)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.True(t, evs[0].HashMatches(), "the stored payload matches its hash")
	tevs, _, err := s.Load(ctx, typed)
	require.NoError(t, err)
	assert.Equal(t, string(tevs[0].Data), string(evs[0].Data), "raw and struct forms store the same bytes")
	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
}

// TestLoadPastAShortBatch: an aggregate whose commits do not fit in one batch of the
// server's max_pending bytes loads whole. The server ends such a batch early, and a
// short batch was taken for the aggregate's end: Load returned the first commits and
// an old version, without an error, and a command's catch-up conflicted until it gave up.
func TestLoadPastAShortBatch(t *testing.T) {
	t.Parallel()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoSigs: true, MaxPending: 100 << 10, MaxPayload: 32 << 10})
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.WithConnection(nc))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ref := eventstore.Ref{Kind: "unit", ID: "BIG"}
	var v eventstore.Version
	big := strings.Repeat("x", 20<<10)
	for i := range 10 {
		c, err := s.Append(ctx, ref, v, ev("unit.fact_recorded", map[string]any{"i": i, "t": big}), eventstore.Meta{Actor: actor})
		require.NoError(t, err)
		v = c.Version()
	}
	evs, lv, err := s.Load(ctx, ref)
	require.NoError(t, err)
	assert.Len(t, evs, 10)
	assert.Equal(t, v, lv)
	commits, err := s.LoadCommits(ctx, ref, evs[4].Seq)
	require.NoError(t, err)
	assert.Len(t, commits, 5, "from the middle, to the end")
}

// TestUnwritableStoreDirFailsAtOnce: a store directory JetStream cannot write fails the
// open at once, naming it. Before, the embedded server logged the cause, never became
// ready, and the open waited 30 s to say only that (a read-only copy of a data directory,
// say; here a file where JetStream's directory goes, since the tests may run as root).
func TestUnwritableStoreDirFailsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "jetstream"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jetstream", "jetstream"), []byte("not a directory"), 0o600))
	start := time.Now()
	_, err := eventstore.Open(context.Background(), eventstore.WithDataDir(dir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the store directory cannot be written")
	assert.Less(t, time.Since(start), 10*time.Second)
	// The lock is given back: a fixed directory opens.
	require.NoError(t, os.Remove(filepath.Join(dir, "jetstream", "jetstream")))
	s, err := eventstore.Open(context.Background(), eventstore.WithDataDir(dir))
	require.NoError(t, err)
	s.Close()
}

// TestSameBytesUploadedAtOnce: uploads of the same new bytes at once store them once, and
// a reader meanwhile never reads the document as damaged. Before, each upload stored them
// and the client library's Put deleted the chunks a reader of the first was waiting for:
// the read failed as ErrDocumentCorrupt, and each lost race left an unfinished upload.
func TestSameBytesUploadedAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	for round := range 6 {
		data := make([]byte, 600<<10) // 5 chunks
		data[0], data[1] = byte(round), 0xfe
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		var uploads, reader sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			uploads.Go(func() {
				_, errs[i] = s.PutDocument(ctx, "x.pdf", "application/pdf", bytes.NewReader(data))
			})
		}
		stop := make(chan struct{})
		var readErr error
		reader.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.GetDocument(ctx, sha); err != nil && !errors.Is(err, eventstore.ErrDocumentNotFound) {
					readErr = err
					return
				}
			}
		})
		uploads.Wait()
		close(stop)
		reader.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d upload %d", round, i)
		}
		require.NoError(t, readErr, "round %d: a read while the same bytes were uploaded", round)
		got, err := s.GetDocument(ctx, sha)
		require.NoError(t, err)
		assert.Equal(t, data, got)
	}
	l, err := s.DocumentLeftovers(ctx)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Leftovers{}, l, "no unfinished uploads left behind")
}
