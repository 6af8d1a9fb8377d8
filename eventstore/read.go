package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// ErrMalformed is returned (wrapped) for a stored message that is not a valid commit.
var ErrMalformed = errors.New("malformed commit")

// ErrNoMessage is returned (wrapped) by CommitAt when the stream holds no message at the
// sequence: one past its end, or one lost on disk. It is the stream's answer, where
// another error is a store that did not answer.
var ErrNoMessage = errors.New("no message at that sequence")

// MalformedError reports a message that could not be decoded, with its sequence.
type MalformedError struct {
	// Seq is the message's stream sequence.
	Seq uint64
	// Subject is the message's subject.
	Subject string
	// Aggregate is the aggregate the subject names (zero when it names none).
	Aggregate Ref
	// Time is when JetStream stored the message (zero when not known).
	Time time.Time
	// Err is what went wrong.
	Err error
}

// Error implements error.
func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed commit at sequence %d (%s): %v", e.Seq, e.Subject, e.Err)
}

// Unwrap returns ErrMalformed and the cause.
func (e *MalformedError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

// Malformed returns the error for the message at seq on subject, stored at ts, that err
// keeps from being read as a commit, naming the aggregate its subject names.
func (s *Store) Malformed(seq uint64, subject string, ts time.Time, err error) *MalformedError {
	ref, _ := s.refFromSubject(subject)
	return &MalformedError{Seq: seq, Subject: subject, Aggregate: ref, Time: ts, Err: err}
}

// decodeCommit decodes one stored message. With raw, payloads are left as stored
// (for verification); otherwise old schemas are upcast.
func (s *Store) decodeCommit(data []byte, seq uint64, subject string, ts time.Time, raw bool, arena *Arena) (Commit, error) {
	var w wireCommit
	if err := decodeWire(data, &w, s.strings, arena); err != nil {
		return Commit{Seq: seq, Subject: subject}, s.Malformed(seq, subject, ts, err)
	}
	if len(w.Events) == 0 {
		return Commit{Seq: seq, Subject: subject}, s.Malformed(seq, subject, ts, errors.New("no events"))
	}
	c := w.toCommit(seq, subject, w.Key)
	c.Time = ts
	if !raw {
		for i := range c.Events {
			if err := s.registry.Upcast(&c.Events[i]); err != nil {
				return c, s.Malformed(seq, subject, ts, err)
			}
		}
	}
	return c, nil
}

// commitAt reads the commit stored at seq.
func (s *Store) commitAt(ctx context.Context, seq uint64, duplicate bool) (Commit, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Commit{}, fmt.Errorf("get message %d: %w: %w", seq, ErrNoMessage, err)
	}
	if err != nil {
		return Commit{}, fmt.Errorf("get message %d: %w", seq, err)
	}
	c, err := s.decodeCommit(m.Data, m.Sequence, m.Subject, m.Time, false, nil)
	c.Duplicate = duplicate
	return c, err
}

// LastVersion returns an aggregate's current version by one direct get of its subject's
// last message (Version{} when the aggregate has no events).
func (s *Store) LastVersion(ctx context.Context, ref Ref) (Version, error) {
	subject, err := s.Subject(ref)
	if err != nil {
		return Version{}, err
	}
	m, err := retried(ctx, s, "last version", func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		return s.stream.GetLastMsgForSubject(ctx, subject)
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Version{}, nil
	}
	if err != nil {
		return Version{}, fmt.Errorf("last message of %s: %w", ref, err)
	}
	c, err := s.decodeCommit(m.Data, m.Sequence, m.Subject, m.Time, true, nil)
	if err != nil {
		return Version{Seq: m.Sequence}, err
	}
	return c.Version(), nil
}

// LoadCommits reads one aggregate's commits after sequence from, using direct batch gets
// (no consumer is created), up to the aggregate's last sequence when the read starts.
// The server may end a batch short of its size with messages still to come (at its
// max_pending bytes), or answer none within the request's wait (a batch of large
// messages): a batch is asked again from where the last ended, smaller after one that
// brought nothing, and a read that still brings nothing is an error, never a short
// history.
func (s *Store) LoadCommits(ctx context.Context, ref Ref, from uint64) ([]Commit, error) {
	subject, err := s.Subject(ref)
	if err != nil {
		return nil, err
	}
	last, err := s.subjectLastSeq(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", ref, err)
	}
	var out []Commit
	next := from + 1
	batch := 256
	for next <= last {
		it, err := jetstreamext.GetBatch(ctx, s.js, s.opts.stream, batch,
			jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(next))
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", ref, err)
		}
		n := 0
		for m, err := range it {
			if err != nil {
				if errors.Is(err, jetstreamext.ErrNoMessages) {
					break
				}
				return nil, fmt.Errorf("load %s: %w", ref, err)
			}
			n++
			c, err := s.decodeCommit(m.Data, m.Sequence, m.Subject, m.Time, false, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			next = m.Sequence + 1
		}
		if n > 0 {
			continue
		}
		// Nothing came: the aggregate's last messages lost since the read began, or a
		// batch too large for the server to send.
		if last, err = s.subjectLastSeq(ctx, subject); err != nil {
			return nil, fmt.Errorf("load %s: %w", ref, err)
		}
		if next > last {
			break
		}
		if batch == 1 {
			return nil, fmt.Errorf("load %s: the server sends nothing from sequence %d, and the aggregate's last is %d", ref, next, last)
		}
		batch = max(1, batch/16)
	}
	return out, nil
}

// subjectLastSeq returns the sequence of a subject's last message (0: none).
func (s *Store) subjectLastSeq(ctx context.Context, subject string) (uint64, error) {
	m, err := retried(ctx, s, "last message of a subject", func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		return s.stream.GetLastMsgForSubject(ctx, subject)
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last message of %s: %w", subject, err)
	}
	return m.Sequence, nil
}

// Load reads one aggregate's events, in order, and its current version.
func (s *Store) Load(ctx context.Context, ref Ref) ([]Event, Version, error) {
	commits, err := s.LoadCommits(ctx, ref, 0)
	if err != nil {
		return nil, Version{}, err
	}
	var events []Event
	var v Version
	for _, c := range commits {
		events = append(events, c.Events...)
		v = c.Version()
	}
	return events, v, nil
}

// ReadOptions bound a read of the stream.
type ReadOptions struct {
	// From is the first stream sequence to read (0 or 1: the beginning).
	From uint64
	// Until is the last stream sequence to read; 0 means the stream's last at the start of the read.
	Until uint64
	// UntilTime stops before the first commit recorded after it (zero: no bound).
	UntilTime time.Time
	// Subjects restricts the read to these subject filters (empty: the whole stream).
	Subjects []string
	// Raw leaves payloads as stored instead of upcasting them (for verification).
	Raw bool
	// OnMalformed is called for a message that cannot be decoded; without it the read stops with the error.
	OnMalformed func(*MalformedError)
	// HeadersOnly delivers the messages without their bodies (ReadRaw only: RawCommit.Data
	// is then empty), for a read that needs only their sequences.
	HeadersOnly bool
	// OnRaw, if given, hears each message Read reads, before it is decoded (the stream's
	// digest takes the message as stored).
	OnRaw func(RawCommit)
}

// Read calls fn for each commit in stream order, with one ordered consumer, and returns the
// last sequence it read. It stops at ReadOptions.Until (default: the stream's last
// sequence when the read starts), so it always ends.
func (s *Store) Read(ctx context.Context, ro ReadOptions, fn func(Commit) error) (uint64, error) {
	return s.readLoop(ctx, ro, func(rc RawCommit) (bool, error) {
		if ro.OnRaw != nil {
			ro.OnRaw(rc)
		}
		c, derr := s.Decode(rc, ro.Raw)
		if derr != nil {
			var me *MalformedError
			if errors.As(derr, &me) && ro.OnMalformed != nil {
				ro.OnMalformed(me)
				return false, nil
			}
			return false, derr
		}
		if !ro.UntilTime.IsZero() && c.Events[0].RecordedAt.After(ro.UntilTime) {
			return true, nil
		}
		return false, fn(c)
	})
}

// readLoop reads the messages from ro.From to ro.Until (default: the stream's last
// sequence when the read starts) with one ordered consumer, in stream order, and hands
// each to fn, which may stop the read before that message or fail it. It returns the last
// sequence read.
func (s *Store) readLoop(ctx context.Context, ro ReadOptions, fn func(RawCommit) (stop bool, err error)) (uint64, error) {
	until := ro.Until
	if until == 0 {
		last, err := s.LastSeq(ctx)
		if err != nil {
			return 0, err
		}
		until = last
	}
	from := ro.From
	if from == 0 {
		from = 1
	}
	if from > until {
		return from - 1, nil
	}
	// The read ends at the last message it can get: messages lost on disk at the end of
	// what it reads (LastStored) would never come.
	stored, err := s.storedUpTo(ctx, until)
	if err != nil {
		return 0, err
	}
	if until = stored; from > until {
		return from - 1, nil
	}
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    ro.Subjects,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		InactiveThreshold: 30 * time.Second,
		HeadersOnly:       ro.HeadersOnly,
	})
	if err != nil {
		return 0, fmt.Errorf("ordered consumer: %w", err)
	}
	last := from - 1
	// An unfiltered read ends at until: the stream denies deletes, and until holds a
	// message (a message lost on disk before it is skipped by the consumer). A filtered read may have nothing more to deliver before until; it relies
	// on the server's pending count (which an ordered consumer reset after a failover can
	// understate, so unfiltered reads never use it). The count is asked before consuming,
	// so that it is the number of messages the read will get.
	filtered := len(ro.Subjects) > 0
	if filtered {
		if info, err := cons.Info(ctx); err == nil && info.NumPending == 0 {
			return last, nil
		}
	}
	// The messages come to a callback (Consume) rather than through an iterator
	// (Messages): the iterator arms a timer for every message, which a whole-stream read
	// pays a million times. The callback runs on one goroutine, in stream order; mu makes
	// the end of the read wait for a callback under way, and keeps any later one from
	// calling fn once the read has returned.
	var (
		mu      sync.Mutex
		over    bool
		readErr error
		ended   = make(chan struct{})
		// panicked is what fn panicked with, panicked again on the caller's goroutine, as
		// when fn ran there.
		panicked any
	)
	end := func(err error) { // the caller holds mu
		if !over {
			over, readErr = true, err
			close(ended)
		}
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if over {
			return
		}
		defer func() {
			if p := recover(); p != nil {
				panicked = p
				end(nil)
			}
		}()
		if err := ctx.Err(); err != nil {
			end(err)
			return
		}
		md, err := m.Metadata()
		if err != nil {
			end(fmt.Errorf("read stream: %w", err))
			return
		}
		seq := md.Sequence.Stream
		if seq > until {
			end(nil)
			return
		}
		stop, err := fn(RawCommit{Seq: seq, Subject: m.Subject(), Time: md.Timestamp, Data: m.Data()})
		if err != nil || stop {
			end(err)
			return
		}
		last = seq
		if seq >= until || (filtered && md.NumPending == 0) {
			end(nil)
		}
	}, jetstream.PullMaxMessages(4096))
	if err != nil {
		return last, fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	closed := cc.Closed()
	select {
	case <-ended:
	case <-ctx.Done():
	case <-closed:
	}
	mu.Lock()
	defer mu.Unlock()
	if panicked != nil {
		panic(panicked)
	}
	switch {
	case over:
		return last, readErr
	case ctx.Err() != nil:
		end(ctx.Err())
	case s.nc.IsClosed():
		end(fmt.Errorf("read stream: %w", nats.ErrConnectionClosed))
	default:
		end(fmt.Errorf("read stream: the consumer stopped after sequence %d, before %d", last, until))
	}
	return last, readErr
}

// Gaps calls fn, in order, for each run of stream sequences from 1 to until (a sequence the
// stream holds) that hold no message. The stream denies deletion, so each was lost on disk
// (a message nats-server found damaged as it started is dropped). It reads the messages'
// headers only: a model loaded from a snapshot checks with it that the stream still holds
// what the snapshot was taken from.
func (s *Store) Gaps(ctx context.Context, until uint64, fn func(from, to uint64)) error {
	next := uint64(1)
	_, err := s.ReadRaw(ctx, ReadOptions{Until: until, HeadersOnly: true}, func(rc RawCommit) error {
		if rc.Seq > next {
			fn(next, rc.Seq-1)
		}
		next = rc.Seq + 1
		return nil
	})
	if err != nil {
		return fmt.Errorf("gaps: %w", err)
	}
	if next <= until {
		// Lost at the end of the range (LastStored).
		fn(next, until)
	}
	return nil
}

// Subscription is a live tail of the stream.
type Subscription interface {
	// Stop ends the tail.
	Stop()
}

// Tail calls fn for every commit from sequence from on, in stream order, as they are
// stored, with one ordered consumer, until ctx ends or Stop is called. fn runs on one
// goroutine. A commit that cannot be decoded goes to onMalformed (if given) and is skipped.
func (s *Store) Tail(ctx context.Context, from uint64, fn func(Commit), onMalformed func(*MalformedError)) (Subscription, error) {
	return s.TailRaw(ctx, from, func(rc RawCommit) {
		c, derr := s.Decode(rc, false)
		if derr != nil {
			var me *MalformedError
			if errors.As(derr, &me) && onMalformed != nil {
				onMalformed(me)
			}
			return
		}
		fn(c)
	})
}

// CommitAt reads the commit stored at a stream sequence.
func (s *Store) CommitAt(ctx context.Context, seq uint64) (Commit, error) {
	return s.commitAt(ctx, seq, false)
}

// SettledSeq returns the sequence a reading "as of seq" must stop at: seq itself, or,
// when seq falls inside an atomic append (AppendAtomic), the sequence of that append's
// last message. The messages of an atomic append stand or fall together, so a state that
// holds some of them never existed; the message named is kept, with the rest of its
// append. It reads the messages from seq on by direct get, at most MaxAtomicMessages.
func (s *Store) SettledSeq(ctx context.Context, seq uint64) (uint64, error) {
	if seq == 0 {
		return 0, nil
	}
	var batch string
	for n := seq; n < seq+MaxAtomicMessages; n++ {
		m, err := s.stream.GetMsg(ctx, n)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			// A message lost on disk (the stream denies deletion; thidua verify and the
			// projections report the gap): nothing of it to keep whole.
			return max(n-1, seq), nil
		}
		if err != nil {
			return 0, fmt.Errorf("get message %d: %w", n, err)
		}
		id := m.Header.Get(jetstreamext.BatchIDHeader)
		switch {
		case id == "" || (batch != "" && id != batch):
			// Not part of an atomic append, or another one: the previous message ended it.
			if n == seq {
				return seq, nil
			}
			return n - 1, nil
		case m.Header.Get(jetstreamext.BatchCommitHeader) != "":
			return n, nil
		}
		batch = id
	}
	return seq, nil
}
