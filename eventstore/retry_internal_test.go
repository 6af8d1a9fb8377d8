package eventstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// The tests in this file replay, on one embedded server, what a failover does to an
// append: the first attempt is stored but its answer is lost, and the store publishes the
// same message again. (This test binary's TestMain is in store_test.go.)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), WithDataDir(t.TempDir()), WithSyncAlways(false))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// lostAnswer stores a copy of msg without its Nats-Msg-Id, as an attempt whose answer
// never came back (and whose de-duplication entry is gone): only the look at the subject
// can recognise it.
func lostAnswer(t *testing.T, s *Store, msg *nats.Msg, expect uint64) uint64 {
	t.Helper()
	m := cloneMsgs([]*nats.Msg{msg})[0]
	m.Header.Del(jetstream.MsgIDHeader)
	ack, err := s.js.PublishMsg(context.Background(), m, jetstream.WithExpectLastSequencePerSubject(expect))
	require.NoError(t, err)
	return ack.Sequence
}

func TestRetryRecognisesItsOwnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, key := range []string{"", "cmd-1"} {
		t.Run(fmt.Sprintf("key=%q", key), func(t *testing.T) {
			s := openInternal(t)
			ref := Ref{Kind: "unit", ID: "U1"}
			subject, _ := s.Subject(ref)
			msg, body, err := s.buildMessage(ref, subject, Version{}, []Pending{{Type: "unit.registered"}}, Meta{Key: key}, time.Now())
			require.NoError(t, err)
			seq := lostAnswer(t, s, msg, 0)

			// The retry is refused by the sequence check (wrong last sequence); the look
			// at the subject finds the commit: success, not a conflict, nothing stored twice.
			c, err := s.publishCommit(ctx, ref, subject, Version{}, msg, body, key)
			require.NoError(t, err)
			assert.Equal(t, seq, c.Seq)
			assert.False(t, c.Duplicate)
			assert.Equal(t, body.Events[0].ID, c.Events[0].ID)
			last, err := s.LastSeq(ctx)
			require.NoError(t, err)
			assert.Equal(t, seq, last)

			// The same after another command followed it: the commit is the subject's
			// first message after the expected sequence.
			_, err = s.Append(ctx, ref, c.Version(), []Pending{{Type: "unit.renamed"}}, Meta{})
			require.NoError(t, err)
			c, err = s.publishCommit(ctx, ref, subject, Version{}, msg, body, key)
			require.NoError(t, err)
			assert.Equal(t, seq, c.Seq)
			assert.Equal(t, body.Events[0].ID, c.Events[0].ID)
			last, err = s.LastSeq(ctx)
			require.NoError(t, err)
			assert.Equal(t, seq+1, last)
		})
	}
}

func TestRetryAfterDeduplicatedAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	ref := Ref{Kind: "unit", ID: "U1"}
	subject, _ := s.Subject(ref)
	msg, body, err := s.buildMessage(ref, subject, Version{}, []Pending{{Type: "unit.registered"}}, Meta{Key: "k"}, time.Now())
	require.NoError(t, err)
	// The first attempt landed with its Nats-Msg-Id: the retry is answered by
	// de-duplication, and recognised as this very commit.
	_, err = s.js.PublishMsg(ctx, cloneMsgs([]*nats.Msg{msg})[0], jetstream.WithExpectLastSequencePerSubject(0))
	require.NoError(t, err)
	c, err := s.publishCommit(ctx, ref, subject, Version{}, msg, body, "k")
	require.NoError(t, err)
	assert.False(t, c.Duplicate)
	assert.Equal(t, body.Events[0].ID, c.Events[0].ID)
}

// testBatch builds the messages of an atomic append of two new aggregates (A merged, C
// absorbing it) under meta, as AppendAtomic builds them; the first message keeps its
// message id when firstID (as AppendAtomic's does), none does otherwise.
func testBatch(t *testing.T, s *Store, meta Meta, firstID bool) ([]Part, []*nats.Msg, []wireCommit, []string) {
	t.Helper()
	parts := []Part{
		{Ref: Ref{Kind: "unit", ID: "A"}, Events: []Pending{{Type: "unit.merged"}}},
		{Ref: Ref{Kind: "unit", ID: "C"}, Events: []Pending{{Type: "unit.absorbed"}}},
	}
	var msgs []*nats.Msg
	var bodies []wireCommit
	var subjects []string
	for i, p := range parts {
		subject, _ := s.Subject(p.Ref)
		msg, body, err := s.buildMessage(p.Ref, subject, p.Expect, p.Events, meta, time.Now())
		require.NoError(t, err)
		if i > 0 || !firstID {
			msg.Header.Del(jetstream.MsgIDHeader)
		}
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
		msgs, bodies, subjects = append(msgs, msg), append(bodies, body), append(subjects, subject)
	}
	return parts, msgs, bodies, subjects
}

func TestAtomicRetryRecognisesItsOwnBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		meta    Meta
		firstID bool
	}{
		// The look at the subject recognises the batch.
		{"without a key", Meta{}, false},
		// Sent again, the batch is refused for its own message id (the key's); the
		// store recognises it as its own, not as a duplicate of another command.
		{"refused for its own message id", Meta{Key: "u|k|f", DedupKey: "u|k"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openInternal(t)
			parts, msgs, bodies, subjects := testBatch(t, s, tc.meta, tc.firstID)
			ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, cloneMsgs(msgs)) // the attempt whose answer was lost
			require.NoError(t, err)

			cs, err := s.publishAtomic(ctx, parts, msgs, bodies, subjects, tc.meta.Key)
			require.NoError(t, err)
			require.Len(t, cs, 2)
			assert.Equal(t, ack.Sequence-1, cs[0].Seq)
			assert.Equal(t, ack.Sequence, cs[1].Seq)
			assert.Equal(t, bodies[1].Events[0].ID, cs[1].Events[0].ID)
			assert.False(t, cs[0].Duplicate, "its own attempt, not another command's")
			last, err := s.LastSeq(ctx)
			require.NoError(t, err)
			assert.Equal(t, ack.Sequence, last, "the batch is stored once")
		})
	}
}

// TestBatchWithoutMessageIDWhereRefused: a server that refuses a message id in an atomic
// batch (before deduplication in batches) gets the batch again at once without it, and
// the store's next batches go without one. The header refusal is provoked here with the
// other header the server refuses in a batch (Nats-Expected-Last-Msg-Id), which the
// second attempt still carries: it fails, but without its message id.
func TestBatchWithoutMessageIDWhereRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	parts, msgs, bodies, subjects := testBatch(t, s, Meta{Key: "k"}, true)
	msgs[0].Header.Set(jetstream.ExpectedLastMsgIDHeader, "x")
	require.NotEmpty(t, msgs[0].Header.Get(jetstream.MsgIDHeader))
	require.False(t, s.batchesWithoutMsgID())

	_, err := s.publishAtomic(ctx, parts, msgs, bodies, subjects, "k")
	require.ErrorIs(t, err, jetstreamext.ErrBatchPublishUnsupportedHeader)
	assert.Empty(t, msgs[0].Header.Get(jetstream.MsgIDHeader), "sent again without its message id")
	assert.True(t, s.batchesWithoutMsgID(), "and so are the next batches, for a while")
	assert.InDelta(t, float64(time.Now().Add(batchNoMsgIDFor).UnixNano()), float64(s.batchNoMsgIDUntil.Load()), float64(time.Minute))
	last, err := s.LastSeq(ctx)
	require.NoError(t, err)
	assert.Zero(t, last, "nothing stored")

	cs, err := s.AppendAtomic(ctx, []Part{
		{Ref: Ref{Kind: "unit", ID: "B"}, Events: []Pending{{Type: "unit.merged"}}},
		{Ref: Ref{Kind: "unit", ID: "D"}, Events: []Pending{{Type: "unit.absorbed"}}},
	}, Meta{Key: "k2"})
	require.NoError(t, err, "a batch without a message id goes through")
	assert.Len(t, cs, 2)

	// Once the while is over, batches carry their message id again (a cluster upgraded).
	s.batchNoMsgIDUntil.Store(time.Now().Add(-time.Second).UnixNano())
	assert.False(t, s.batchesWithoutMsgID())
}

func TestCheckLanded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	ref := Ref{Kind: "unit", ID: "U1"}
	subject, _ := s.Subject(ref)
	_, l := s.checkLanded(ctx, subject, 0, "x")
	assert.Equal(t, unmoved, l)
	seq, l := s.checkLanded(ctx, subject, 99, "x")
	assert.Equal(t, behind, l, "an expectation beyond the subject's last is wrong, not in doubt")
	assert.Equal(t, uint64(0), seq)
	c, err := s.Append(ctx, ref, Version{}, []Pending{{Type: "unit.registered"}}, Meta{})
	require.NoError(t, err)
	seq, l = s.checkLanded(ctx, subject, 0, c.Events[0].ID)
	assert.Equal(t, landed, l)
	assert.Equal(t, c.Seq, seq)
	_, l = s.checkLanded(ctx, subject, 0, "someone-else")
	assert.Equal(t, movedOn, l)
	_, l = s.checkLanded(ctx, subject, c.Seq, "x")
	assert.Equal(t, unmoved, l)
}

func TestIsTransient(t *testing.T) {
	t.Parallel()
	api := func(code jetstream.ErrorCode) error {
		return fmt.Errorf("nats: %w", &jetstream.APIError{ErrorCode: code, Code: 503})
	}
	for _, err := range []error{
		context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, jetstream.ErrNoStreamResponse,
		nats.ErrConnectionReconnecting, api(10008), api(10158), api(10163), api(10176), jetstreamext.ErrBatchPublishIncomplete,
		fmt.Errorf("batch message 1 ack failed: %w", nats.ErrNoResponders),
	} {
		assert.True(t, isTransient(err), "%v", err)
	}
	for _, err := range []error{
		nil, nats.ErrConnectionClosed, api(jetstream.JSErrCodeStreamWrongLastSequence), api(jetstream.JSErrCodeStreamNotFound),
		errors.New("permissions violation"), jetstream.ErrStreamNotFound,
		// Known by type and code, never by message.
		errors.New("request timed out"), errors.New("not leader"),
	} {
		assert.False(t, isTransient(err), "%v", err)
	}
}

// TestBatchAttemptBoundsTheFirstAck: an attempt of an atomic batch waits for its first
// message's acknowledgement within the attempt's time, not the client's default timeout
// (a review finding: 10 s through a failover, where an attempt has 2 s).
func TestBatchAttemptBoundsTheFirstAck(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fc := attemptFlowControl(ctx, 10*time.Second)
	assert.True(t, fc.AckFirst)
	assert.LessOrEqual(t, fc.AckTimeout, 2*time.Second)
	assert.Greater(t, fc.AckTimeout, time.Second)
	assert.Equal(t, 10*time.Second, attemptFlowControl(context.Background(), 10*time.Second).AckTimeout, "no deadline: the client's timeout")
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	assert.Positive(t, attemptFlowControl(expired, 10*time.Second).AckTimeout, "never 0, which the library would take for none")
}
