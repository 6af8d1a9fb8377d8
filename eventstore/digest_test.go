package eventstore_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
)

// TestStreamDigest: the digest at each sequence is the README's definition computed from
// the messages one by one (estest.ReferenceDigests), from the empty stream or from any
// digest before it, over commits, atomic appends and messages that are not commits;
// verify reports the whole stream's; a sequence past the end or before the start point
// is refused; and any change to one message changes the digest of every later sequence.
func TestStreamDigest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "nomination", ID: "N"}
	c1, err := s.Append(ctx, ref, eventstore.Version{}, ev("nomination.opened", map[string]string{"unit": "U"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: ref, Expect: c1.Version(), Events: ev("nomination.submitted", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "U"}, Events: ev("unit.registered", nil)},
	}, eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	subject, _ := s.Subject(eventstore.Ref{Kind: "unit", ID: "V"})
	_, err = s.JetStream().Publish(ctx, subject, []byte("not json"))
	require.NoError(t, err)
	last := lastSeq(t, s)
	require.Equal(t, uint64(4), last)
	want := estest.ReferenceDigests(t, s, last)

	for from := uint64(0); from <= last; from++ {
		start, err := s.DigestFrom(ctx, eventstore.Digest{}, from, nil)
		require.NoError(t, err)
		require.Equal(t, from, start.Seq)
		require.Equal(t, want[from], start.Hex(), "from the empty stream to %d", from)
		var seen []uint64
		for until := from; until <= last; until++ {
			d, err := s.DigestFrom(ctx, start, until, func(d eventstore.Digest) {
				if until == last {
					seen = append(seen, d.Seq)
				}
			})
			require.NoError(t, err)
			assert.Equal(t, want[until], d.Hex(), "from %d to %d", from, until)
			assert.Equal(t, until, d.Seq)
		}
		assert.Len(t, seen, int(last-from), "each hears every message after the start")
	}

	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Equal(t, last, rep.Digest.Seq)
	assert.Equal(t, want[last], rep.Digest.Hex(), "verify reports the digest of what it read")

	b, err := json.Marshal(rep.Digest)
	require.NoError(t, err)
	assert.JSONEq(t, `{"seq":4,"sha256":"`+want[last]+`"}`, string(b))
	var back eventstore.Digest
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, rep.Digest, back)
	require.Error(t, json.Unmarshal([]byte(`{"seq":4,"sha256":"abc"}`), &back), "a short sum")

	_, err = s.DigestFrom(ctx, eventstore.Digest{}, last+1, nil)
	require.ErrorIs(t, err, eventstore.ErrPastEnd)
	d3, err := s.DigestFrom(ctx, eventstore.Digest{}, 3, nil)
	require.NoError(t, err)
	_, err = s.DigestFrom(ctx, d3, 2, nil)
	require.ErrorContains(t, err, "lies before the digest's 3")

	// The definition, pinned: the README's Python form gives the same for these two
	// messages (sequence 2 lost).
	known := eventstore.Digest{}.Next(1, "t.unit.U1", eventstore.BodySum([]byte("{}"))).Next(3, "t.unit.U2", eventstore.BodySum([]byte("not json")))
	assert.Equal(t, "7af5be7164c0aacc5e6d1a414b9f8b685fb8ded9c5754731764d5934a6ce7d6f", known.Hex())

	// One byte of one message, or its subject, or its place, changes the digest.
	body := [32]byte{1}
	base := eventstore.Digest{}.Next(1, "a.b", body)
	other := body
	other[31] ^= 1
	assert.NotEqual(t, base, eventstore.Digest{}.Next(1, "a.b", other))
	assert.NotEqual(t, base, eventstore.Digest{}.Next(1, "a.c", body))
	assert.NotEqual(t, base, eventstore.Digest{}.Next(2, "a.b", body))
}
