package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// RawCommit is one stored message as the stream delivered it, before decoding. Readers
// that decode on several goroutines (a projection rebuild) or that can skip a message
// without decoding it (a feed that already applied it) take these, and decode with
// Store.Decode.
type RawCommit struct {
	// Seq is the message's stream sequence.
	Seq uint64
	// Subject is the message's subject.
	Subject string
	// Time is the server's timestamp of the message.
	Time time.Time
	// Data is the message body; it is not retained by the store.
	Data []byte
	// Batch is the id of the atomic append the message is part of ("" for a message
	// appended alone), and BatchEnd marks the append's last message. Only TailRaw sets
	// them: a reader that serves queries while it applies (the projections' feed) holds
	// an append's messages until its last one, so that no query sees part of it.
	Batch    string
	BatchEnd bool
	// Pending is how many messages the stream held after this one when it was delivered
	// (TailRaw only). A stored append is whole before any of it is delivered; one message
	// of an append with nothing after it is all that was stored of it (nats-server, its
	// store full, kept the first message of a two-message append).
	Pending uint64
}

// ErrRawUntilTime is returned by ReadRaw for ReadOptions.UntilTime, which needs each
// commit decoded to know its recorded time: use Read.
var ErrRawUntilTime = errors.New("ReadRaw cannot stop at a recorded time; use Read")

// Decode decodes a raw message exactly as Read and Tail do: old schemas upcast, unless
// raw. A message that is not a commit is a *MalformedError.
func (s *Store) Decode(m RawCommit, raw bool) (Commit, error) {
	return s.decodeCommit(m.Data, m.Seq, m.Subject, m.Time, raw, nil)
}

// DecodeInto is Decode with the commit's strings and payloads copied into arena (see
// Arena): for commits that are kept for good, such as a rebuild's. It is safe for
// concurrent use with distinct arenas.
func (s *Store) DecodeInto(m RawCommit, raw bool, arena *Arena) (Commit, error) {
	return s.decodeCommit(m.Data, m.Seq, m.Subject, m.Time, raw, arena)
}

// ReadRaw is Read without decoding: it calls fn for each message in stream order, with
// one ordered consumer, from ro.From to ro.Until (default: the stream's last sequence
// when the read starts), and returns the last sequence it read. ro.Raw and
// ro.OnMalformed do not apply (nothing is decoded); ro.UntilTime is refused.
func (s *Store) ReadRaw(ctx context.Context, ro ReadOptions, fn func(RawCommit) error) (uint64, error) {
	if !ro.UntilTime.IsZero() {
		return 0, ErrRawUntilTime
	}
	return s.readLoop(ctx, ro, func(rc RawCommit) (bool, error) { return false, fn(rc) })
}

// TailRaw is Tail without decoding: fn receives every message from sequence from on, in
// stream order, on one goroutine, until ctx ends or Stop is called.
func (s *Store) TailRaw(ctx context.Context, from uint64, fn func(RawCommit)) (Subscription, error) {
	if from == 0 {
		from = 1
	}
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		h := m.Headers()
		fn(RawCommit{Seq: md.Sequence.Stream, Subject: m.Subject(), Time: md.Timestamp, Data: m.Data(),
			Batch: h.Get(jetstreamext.BatchIDHeader), BatchEnd: h.Get(jetstreamext.BatchCommitHeader) != "", Pending: md.NumPending})
	}, jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	return &tail{cc: cc, unwatch: context.AfterFunc(ctx, cc.Stop)}, nil
}

// tail is TailRaw's subscription: it stops when its context ends, and Stop stops
// watching that context too, so that nothing of it outlives Stop.
type tail struct {
	cc      jetstream.ConsumeContext
	unwatch func() bool
}

// Stop implements Subscription.
func (t *tail) Stop() {
	t.unwatch()
	t.cc.Stop()
}
