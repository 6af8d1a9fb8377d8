package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
)

// ErrConflict is matched (errors.Is) by a *ConflictError.
var ErrConflict = errors.New("concurrency conflict")

// ErrInvalidAppend is returned (wrapped) for an append that is malformed: no events, an
// empty type, a payload that is not JSON, an atomic batch that names one aggregate twice.
var ErrInvalidAppend = errors.New("invalid append")

// ErrKeyUsed means that an atomic append was refused because the stream already holds a
// commit under its idempotency key's message id (Meta.DedupKey, or Meta.Key) that is not
// on this append's aggregates under this Key: another command under the same key, or the
// same one through another process that chose other ids for what it creates, got there
// first. Nothing was appended; the caller finds which from what the stream holds. (A
// single append answers such a duplicate with the first commit, whose Key tells it
// apart; an atomic batch's refusal names no commit.)
var ErrKeyUsed = errors.New("idempotency key already used by another commit")

// MaxAtomicMessages is the most aggregates one atomic append may touch (JetStream's batch limit).
const MaxAtomicMessages = 1000

// ConflictError reports that an aggregate moved on since the caller read it.
type ConflictError struct {
	// Ref is the aggregate.
	Ref Ref
	// Expected is the sequence the caller expected to be the aggregate's last.
	Expected uint64
	// Actual is the aggregate's last sequence as the store found it (0 when unknown).
	Actual uint64
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("concurrency conflict on %s: expected last sequence %d, found %d", e.Ref, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Header names the store sets on each message.
const (
	// HeaderKey carries the command's idempotency key, so it can be found without decoding.
	HeaderKey = "Thidua-Key"
)

// Append appends the events of one command to one aggregate, as one message, if and only
// if the aggregate's last commit is still expect.Seq (0: the aggregate must not exist).
// With meta.Key set, a retry of the same command returns the original commit, marked
// Duplicate, and appends nothing. Transient errors (a stream leader change, a reconnect)
// are retried within ctx's deadline (without one, the client timeout); see retry.go. A
// write over the storage limit fails with ErrStoreFull.
func (s *Store) Append(ctx context.Context, ref Ref, expect Version, events []Pending, meta Meta) (Commit, error) {
	if err := s.Failed(); err != nil {
		return Commit{}, err
	}
	subject, err := s.Subject(ref)
	if err != nil {
		return Commit{}, err
	}
	msg, body, err := s.buildMessage(ref, subject, expect, events, meta, s.opts.clock().UTC())
	if err != nil {
		return Commit{}, err
	}
	c, err := s.publishCommit(ctx, ref, subject, expect, msg, body, meta.Key)
	return c, markFull(err)
}

// Part is one aggregate's share of an atomic append.
type Part struct {
	// Ref is the aggregate.
	Ref Ref
	// Expect is the aggregate's version the command relied on.
	Expect Version
	// Events are the events for this aggregate.
	Events []Pending
}

// AppendAtomic appends several aggregates' events all together or not at all (JetStream
// atomic batch publish), each guarded by its own expected sequence. With meta.Key set, a
// retry returns the original commits, marked Duplicate, and a different command under the
// same key fails with ErrKeyUsed: the batch's first message carries the key's message id,
// so the stream's duplicate window refuses the whole batch, through any process. Transient
// errors are retried as in Append.
func (s *Store) AppendAtomic(ctx context.Context, parts []Part, meta Meta) ([]Commit, error) {
	if err := s.Failed(); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no aggregates", ErrInvalidAppend)
	}
	if len(parts) > MaxAtomicMessages {
		return nil, fmt.Errorf("%w: %d aggregates, at most %d", ErrInvalidAppend, len(parts), MaxAtomicMessages)
	}
	if len(parts) == 1 {
		c, err := s.Append(ctx, parts[0].Ref, parts[0].Expect, parts[0].Events, meta)
		if err != nil {
			return nil, err
		}
		return []Commit{c}, nil
	}
	if meta.Key != "" {
		// Retried as an attempt is: a look sent to a stream leader that has just stopped
		// is never answered, and a failover would otherwise fail every keyed batch.
		cs, err := settle(s.newRetrier(ctx), "look up key", func(ctx context.Context) ([]Commit, error) {
			cs, ok, err := s.findAtomic(ctx, parts, meta.Key)
			if err != nil || !ok {
				return nil, err
			}
			return cs, nil
		})
		if err != nil || cs != nil {
			return cs, err
		}
	}
	if meta.CorrelationID == "" {
		meta.CorrelationID = ulid.Make().String()
	}
	// One recorded time for every part: a bound by time takes the whole append or none of it.
	now := s.opts.clock().UTC()
	seen := map[Ref]bool{}
	msgs := make([]*nats.Msg, 0, len(parts))
	bodies := make([]wireCommit, 0, len(parts))
	subjects := make([]string, 0, len(parts))
	for i, p := range parts {
		if seen[p.Ref] {
			return nil, fmt.Errorf("%w: %s appears twice in one atomic append", ErrInvalidAppend, p.Ref)
		}
		seen[p.Ref] = true
		subject, err := s.Subject(p.Ref)
		if err != nil {
			return nil, err
		}
		msg, body, err := s.buildMessage(p.Ref, subject, p.Expect, p.Events, meta, now)
		if err != nil {
			return nil, err
		}
		if i > 0 || s.batchesWithoutMsgID() {
			// The first message's id stands for the batch: the key's, or its first event's.
			msg.Header.Del(jetstream.MsgIDHeader)
		}
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(p.Expect.Seq, 10))
		msgs = append(msgs, msg)
		bodies = append(bodies, body)
		subjects = append(subjects, subject)
	}
	if err := s.roomForAtomic(ctx, msgs); err != nil {
		return nil, err
	}
	cs, err := s.publishAtomic(ctx, parts, msgs, bodies, subjects, meta.Key)
	return cs, markFull(err)
}

// buildMessage stamps envelopes (recorded at now), chains hashes and builds the message of
// one commit.
func (s *Store) buildMessage(ref Ref, subject string, expect Version, events []Pending, meta Meta, now time.Time) (*nats.Msg, wireCommit, error) {
	if len(events) == 0 {
		return nil, wireCommit{}, fmt.Errorf("%w: no events for %s", ErrInvalidAppend, ref)
	}
	if len(meta.Key) > 256 {
		return nil, wireCommit{}, fmt.Errorf("%w: idempotency key longer than 256 bytes", ErrInvalidAppend)
	}
	occurred := meta.OccurredAt.UTC()
	if meta.OccurredAt.IsZero() {
		occurred = now
	}
	body := wireCommit{Key: meta.Key, Result: meta.Result, Events: make([]Event, len(events))}
	prev := expect.Hash
	for i, p := range events {
		if p.Type == "" || strings.ContainsAny(p.Type, " \t\r\n*>") {
			return nil, wireCommit{}, fmt.Errorf("%w: event type %q", ErrInvalidAppend, p.Type)
		}
		data, err := compactJSON(p.Data)
		if err != nil {
			return nil, wireCommit{}, fmt.Errorf("%w: %s: %v", ErrInvalidAppend, p.Type, err)
		}
		schema := p.Schema
		if schema == 0 {
			schema = s.registry.Current(p.Type)
		}
		e := Event{
			ID:            ulid.Make().String(),
			Type:          p.Type,
			Schema:        schema,
			Aggregate:     ref,
			Actor:         meta.Actor,
			OccurredAt:    occurred,
			RecordedAt:    now,
			CausationID:   meta.CausationID,
			CorrelationID: meta.CorrelationID,
			PrevHash:      prev,
			Data:          data,
		}
		if e.CorrelationID == "" && i > 0 {
			e.CorrelationID = body.Events[0].ID
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		body.Events[i] = e
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, wireCommit{}, fmt.Errorf("encode commit: %w", err)
	}
	// The server takes messages up to its max_payload: a larger one was refused by the
	// client library as a store failure (503, "try again"), which it never stops being (a
	// review finding: a definition of labels full of "&<>", each escaped to six bytes).
	// The headers take well under 1 KiB.
	if limit := s.nc.MaxPayload(); limit > 0 && int64(len(raw))+1024 > limit {
		return nil, wireCommit{}, fmt.Errorf("%w: the events for %s encode to %d bytes, more than %d",
			ErrEventTooLarge, ref, len(raw), limit-1024)
	}
	msg := nats.NewMsg(subject)
	msg.Data = raw
	msgID := body.Events[0].ID
	if meta.Key != "" {
		msg.Header.Set(HeaderKey, meta.Key)
		// Derived from the key alone: a command retried with the same key is a duplicate
		// stream-wide, even when it would create a new aggregate under a new id.
		dedup := meta.Key
		if meta.DedupKey != "" {
			dedup = meta.DedupKey
		}
		sum := sha256.Sum256([]byte(dedup))
		msgID = "k-" + hex.EncodeToString(sum[:16])
	}
	msg.Header.Set(jetstream.MsgIDHeader, msgID)
	return msg, body, nil
}

func (w wireCommit) toCommit(seq uint64, subject, key string) Commit {
	c := Commit{Seq: seq, Subject: subject, Key: key, Result: w.Result, Events: w.Events}
	if len(w.Events) > 0 {
		c.Time = w.Events[0].RecordedAt
	}
	for i := range c.Events {
		c.Events[i].Seq, c.Events[i].Index, c.Events[i].Subject, c.Events[i].Key = seq, i, subject, key
		c.Events[i].StoredSchema = c.Events[i].Schema
	}
	return c
}

// resolveConflict turns a wrong-last-sequence answer into either the original commit of
// a retried command (same key) or a typed conflict.
func (s *Store) resolveConflict(ctx context.Context, ref Ref, expected uint64, key string) (Commit, error) {
	if key != "" {
		c, ok, err := s.findKey(ctx, ref, key)
		if err != nil {
			return Commit{}, err
		}
		if ok {
			c.Duplicate = true
			return c, nil
		}
	}
	last, err := s.lastSeqOf(ctx, ref)
	if err != nil {
		last = 0
	}
	return Commit{}, &ConflictError{Ref: ref, Expected: expected, Actual: last}
}

// findAtomic finds the commits of an atomic append already made under key.
func (s *Store) findAtomic(ctx context.Context, parts []Part, key string) ([]Commit, bool, error) {
	first, ok, err := s.findKey(ctx, parts[0].Ref, key)
	if err != nil || !ok {
		return nil, false, err
	}
	out := []Commit{first}
	for _, p := range parts[1:] {
		c, ok, err := s.findKey(ctx, p.Ref, key)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, c)
		}
	}
	for i := range out {
		out[i].Duplicate = true
	}
	return out, true, nil
}

// isWrongLastSeq reports whether the server refused a message for its expected last
// sequence.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// lastSeqOf returns the stream sequence of an aggregate's last commit (0 when none).
func (s *Store) lastSeqOf(ctx context.Context, ref Ref) (uint64, error) {
	v, err := s.LastVersion(ctx, ref)
	return v.Seq, err
}
