package projections

import (
	"bytes"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// keyedCommits builds commits on one aggregate, each one event, chained, recorded at the
// given times with the given keys ("" for none).
func keyedCommits(t0 time.Time, at []time.Duration, keys []string) []eventstore.Commit {
	prev := ""
	var out []eventstore.Commit
	for i := range at {
		e := eventstore.Event{
			ID: fmt.Sprintf("01JTEST%019d", i+1), Type: "test.noted", Schema: 1,
			Aggregate: eventstore.Ref{Kind: "test", ID: "T1"}, Actor: eventstore.Actor{User: "u", Role: "admin"},
			OccurredAt: t0.Add(at[i]), RecordedAt: t0.Add(at[i]), PrevHash: prev, Data: []byte(`{}`),
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, eventstore.Commit{Seq: uint64(i + 1), Key: keys[i], Result: fmt.Sprintf("R%d", i+1), Events: []eventstore.Event{e}})
	}
	return out
}

// TestKeysAreForgottenPastBothBounds checks IdempotencyWindow and IdempotencyKeep (here an
// hour and two commands): a key is forgotten only once it is both older than the window
// and followed by enough keyed commands; a reused key is renewed; a snapshot keeps
// exactly the keys remembered.
func TestKeysAreForgottenPastBothBounds(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	cs := keyedCommits(t0,
		[]time.Duration{0, time.Minute, 2 * time.Minute, 30 * time.Minute, 61 * time.Minute, 3 * time.Hour, 3*time.Hour + time.Minute},
		[]string{"u|a|fa", "u|b|fb", "u|c|fc", "", "u|d|fd", "u|e|fe", "u|d|fd"})
	m := NewModel()
	m.keyWindow, m.keyKeep = time.Hour, 2
	remembered := func() []string {
		var out []string
		for _, k := range []string{"u|a|fa", "u|b|fb", "u|c|fc", "u|d|fd", "u|e|fe"} {
			if _, ok := m.Key(k); ok {
				out = append(out, k[2:3])
			}
		}
		return out
	}
	apply := func(cs ...eventstore.Commit) {
		for _, c := range cs {
			m.ApplyFeed(c)
		}
	}
	apply(cs[:4]...)
	assert.Equal(t, []string{"a", "b", "c"}, remembered(), "within the window")
	apply(cs[4])
	assert.Equal(t, []string{"b", "c", "d"}, remembered(), "a is an hour old and two keyed commands followed it")
	_, ok := m.KeyFingerprint("u|a")
	assert.False(t, ok, "its fingerprint goes with it")
	apply(cs[5])
	assert.Equal(t, []string{"d", "e"}, remembered(), "d is old enough, but only one keyed command followed it")
	apply(cs[6])
	kr, ok := m.Key("u|d|fd")
	require.True(t, ok)
	assert.Equal(t, []uint64{5, 7}, kr.Seqs, "a reused key is renewed")

	var buf bytes.Buffer
	_, err := m.WriteSnapshot(&buf)
	require.NoError(t, err)
	loaded, _, err := ReadSnapshot(&buf)
	require.NoError(t, err)
	for _, k := range []string{"u|a|fa", "u|b|fb", "u|c|fc", "u|d|fd", "u|e|fe"} {
		want, wok := m.Key(k)
		got, gok := loaded.Key(k)
		assert.Equal(t, wok, gok, k)
		assert.Equal(t, want.Seqs, got.Seqs, k)
		assert.Equal(t, want.ID, got.ID, k)
	}
	assert.Equal(t, m.Stats().Events, loaded.Stats().Events, "every event is kept, keyed or not")
}

// A remembered key owns its memory: a rebuild decodes commits as views of the stream's
// messages, and a key kept as a view would keep its whole message alive.
func TestKeyEntryCopiesKeyAndResult(t *testing.T) {
	t.Parallel()
	msg := []byte(`user|key|fingerprint result-id`)
	view := eventstore.ViewArena()
	key, result := view.String(msg[:20]), view.String(msg[21:])
	for _, res := range []string{result, ""} {
		ke := newKeyEntry(key, res, 2)
		assert.Equal(t, "user|key|fingerprint", ke.key)
		assert.Equal(t, res, ke.rec.ID)
		within := func(s string) bool {
			p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			b := uintptr(unsafe.Pointer(unsafe.SliceData(msg)))
			return len(s) > 0 && p >= b && p < b+uintptr(len(msg))
		}
		assert.False(t, within(ke.key), "result %q: the key is a view of the message", res)
		assert.False(t, within(ke.rec.ID), "result %q: the id is a view of the message", res)
	}
	// One commit of one event fits inline; of two, the event ids get a list of their own.
	one := newKeyEntry("k", "r", 1)
	one.rec.Seqs, one.rec.Events = append(one.rec.Seqs, 7), append(one.rec.Events, "e")
	assert.Equal(t, &one.seq1[0], &one.rec.Seqs[0])
	assert.Equal(t, &one.ev1[0], &one.rec.Events[0])
}

// TestHistoryReadAgainMustMatch: a load with a history source reads the units' and
// nominations' entries in a second pass, from the source. A source that gives the same
// bytes gives every entry back after the ones applied since; one that no longer holds
// what the first pass read (damaged, cut short) is an error, which the load's goroutine
// turns into a stop of the process rather than a model without its history.
func TestHistoryReadAgainMustMatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	cs := keyedCommits(t0, []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}, []string{"", "u|k|f", "", ""})
	m := NewModel()
	for _, c := range cs[:3] {
		m.ApplyFeed(c)
	}
	var buf bytes.Buffer
	_, err := m.WriteSnapshot(&buf)
	require.NoError(t, err)
	good := buf.Bytes()
	ref := eventstore.Ref{Kind: "test", ID: "T1"}
	load := func(again []byte) (*Model, error) {
		t.Helper()
		lm, _, deferred, err := readSnapshot(bytes.NewReader(good), &historySource{at: bytes.NewReader(again), release: func() {}})
		require.NoError(t, err)
		require.True(t, deferred)
		require.Empty(t, lm.aggs[ref].Entries, "the history is not read in the first pass")
		require.Equal(t, m.Version(ref), lm.Version(ref), "the version is")
		lm.ApplyFeed(cs[3])
		_, err = lm.readHistoryV3(bytes.NewReader(again), lm.histSpans)
		return lm, err
	}

	lm, err := load(good)
	require.NoError(t, err)
	var seqs []uint64
	for _, e := range lm.aggs[ref].Entries {
		seqs = append(seqs, e.Rec.Seq)
	}
	assert.Equal(t, []uint64{1, 2, 3, 4}, seqs, "the history, then the commit applied since")

	damaged := bytes.Clone(good)
	damaged[len(damaged)-1] ^= 0xff // in the last chunk's body
	_, err = load(damaged)
	assert.ErrorIs(t, err, errSnapCorrupt)
	_, err = load(good[:len(good)-10])
	assert.ErrorContains(t, err, "unexpected EOF")
}
