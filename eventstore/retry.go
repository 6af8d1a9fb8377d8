package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Appends survive a change of the stream's leader (a node of a cluster stopping, a network
// blip, a reconnect): on a transient error the store publishes the same message again —
// same events, same Nats-Msg-Id, same expected sequence — with backoff, until the
// context's deadline (or, without one, the client timeout). Before publishing again after
// an attempt whose fate is unknown, and whenever the server answers "wrong last sequence",
// it looks at the aggregate's subject (direct gets: any replica answers, even while the
// stream has no leader) to tell which of three things happened:
//
//   - the commit is stored (an earlier attempt landed and only its answer was lost): the
//     append succeeded;
//   - another commit follows the expected sequence: the append can never land, it is a
//     conflict (or, with an idempotency key, a duplicate of an earlier command);
//   - the subject has not moved: nothing was stored, and publishing again is safe. A
//     "wrong last sequence" answer then came from a leader that still had another message
//     for the subject in flight (a cluster refuses a second one), or from a lagging view.
//
// The expected-sequence check makes a second copy impossible: a retried message that
// finds its own earlier copy stored is refused by it.

const (
	// retryBackoffMin is the first pause between attempts; it doubles up to retryBackoffMax.
	retryBackoffMin = 5 * time.Millisecond
	// retryBackoffMax is the longest pause between attempts.
	retryBackoffMax = 250 * time.Millisecond
	// attemptTimeoutMin is how long the first attempt waits for its answer; it doubles
	// with every attempt up to the client timeout. A request sent to a server that then
	// stopped is never answered, so a short first wait keeps a failover short.
	attemptTimeoutMin = 500 * time.Millisecond
	// batchAttemptTimeoutMin is attemptTimeoutMin for an atomic batch, whose answer comes
	// once the server has staged and committed every message: on two busy cores (the race
	// detector's tests) a batch could take longer than 0.5 s, and each attempt given up
	// only added another batch to the server's work, until the client timeout.
	batchAttemptTimeoutMin = 2 * time.Second
	// jetStreamWaitMax bounds how long Open waits for an external JetStream to answer
	// (a cluster elects its meta leader in a few seconds after a full restart).
	jetStreamWaitMax = 30 * time.Second
)

// retrier paces the attempts of one operation. It makes no context and no timer until
// they are needed, so that an append that succeeds at once pays little for it.
type retrier struct {
	s        *Store
	parent   context.Context
	deadline time.Time // the parent's deadline, or the client timeout from the start
	ctx      context.Context
	cancel   context.CancelFunc
	start    time.Time
	attempts int
	backoff  time.Duration
}

// newRetrier paces an operation that may retry until ctx's deadline or, without one,
// for the client timeout. Call done when the operation is over.
func (s *Store) newRetrier(ctx context.Context) *retrier {
	now := time.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = now.Add(s.opts.clientTimeout)
	}
	return &retrier{s: s, parent: ctx, deadline: deadline, start: now, backoff: retryBackoffMin}
}

// op returns the operation's context: the caller's, bounded by the deadline.
func (r *retrier) op() context.Context {
	if r.ctx == nil {
		r.ctx, r.cancel = context.WithDeadline(r.parent, r.deadline)
	}
	return r.ctx
}

// done releases the operation's context.
func (r *retrier) done() {
	if r.cancel != nil {
		r.cancel()
	}
}

// expired reports whether the operation is out of time (or its caller gave up).
func (r *retrier) expired() bool {
	return r.parent.Err() != nil || !time.Now().Before(r.deadline)
}

// bounded returns a context that ends after timeout, at the operation's deadline, or
// when an answer sent to it would be lost: the connection drops, or the stream elects a
// new leader (see connWatch).
func (r *retrier) bounded(timeout time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(timeout)
	if deadline.After(r.deadline) {
		deadline = r.deadline
	}
	ctx, cancel := context.WithDeadline(r.parent, deadline)
	stop := context.AfterFunc(r.s.connEpoch(), cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// attempt returns the context of the next attempt. The first waits attemptTimeoutMin
// for its answer, each next one twice as long, up to the client timeout.
func (r *retrier) attempt() (context.Context, context.CancelFunc) {
	return r.attemptFrom(attemptTimeoutMin)
}

// attemptFrom is attempt with a first wait of first.
func (r *retrier) attemptFrom(first time.Duration) (context.Context, context.CancelFunc) {
	timeout := min(first<<min(r.attempts, 8), r.s.opts.clientTimeout)
	r.attempts++
	return r.bounded(timeout)
}

// look returns the context of one read made to settle an attempt's fate: bounded like an
// attempt's, but not counted as one.
func (r *retrier) look(timeout time.Duration) (context.Context, context.CancelFunc) {
	return r.bounded(timeout)
}

// checkLanded is Store.checkLanded within a look.
func (r *retrier) checkLanded(subject string, expect uint64, firstID string) (uint64, landing) {
	ctx, cancel := r.look(attemptTimeoutMin)
	defer cancel()
	return r.s.checkLanded(ctx, subject, expect, firstID)
}

// settle runs f, which explains a refused append (a duplicate or a conflict), until it
// gives an answer that is not a transient error, within the operation's deadline.
func settle[T any](r *retrier, what string, f func(context.Context) (T, error)) (T, error) {
	for {
		ctx, cancel := r.look(r.s.opts.clientTimeout)
		v, err := f(ctx)
		cancel()
		if err == nil || errors.Is(err, ErrConflict) || r.expired() || !isTransient(err) {
			return v, err
		}
		r.retrying(what, err)
		if !r.wait() {
			return v, r.giveUp(what, err)
		}
	}
}

// wait pauses before the next attempt, with jitter; it reports false when the operation
// is out of time.
func (r *retrier) wait() bool {
	if r.s.Failed() != nil {
		return false // no attempt can succeed before a restart
	}
	d := r.backoff/2 + rand.N(r.backoff)
	r.backoff = min(2*r.backoff, retryBackoffMax)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.op().Done():
		return false
	case <-t.C:
		return !r.expired()
	}
}

// retrying logs (at debug level) that an operation is tried again after err.
func (r *retrier) retrying(what string, err error) {
	r.s.log.LogAttrs(r.parent, slog.LevelDebug, "eventstore: retrying", slog.String("op", what),
		slog.Int("attempt", r.attempts), slog.Duration("elapsed", time.Since(r.start)), slog.String("error", err.Error()))
}

// resolved logs (at debug level) how a look at the subject settled a commit in doubt.
func (r *retrier) resolved(what string, l landing) {
	r.s.log.LogAttrs(r.parent, slog.LevelDebug, "eventstore: commit in doubt resolved", slog.String("op", what),
		slog.String("outcome", l.String()), slog.Int("attempt", r.attempts), slog.Duration("elapsed", time.Since(r.start)))
}

// giveUp wraps the last error of an operation that ran out of time.
func (r *retrier) giveUp(what string, last error) error {
	if err := r.s.Failed(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if last == nil {
		last = r.op().Err()
	}
	return fmt.Errorf("%s: gave up after %d attempts in %s: %w", what, r.attempts, time.Since(r.start).Round(time.Millisecond), last)
}

// isTransient reports whether err may go away by itself: no answer, no leader, a
// reconnect, a leader change under way, a server busy with other requests. It knows the
// errors by their types and codes (errors.Is and errors.As), never by their messages.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed) {
		return false
	}
	for _, target := range []error{
		context.DeadlineExceeded, context.Canceled, nats.ErrTimeout, nats.ErrNoResponders,
		jetstream.ErrNoStreamResponse, nats.ErrConnectionReconnecting, nats.ErrDisconnected,
		nats.ErrReconnectBufExceeded, nats.ErrNoServers, jetstreamext.ErrBatchPublishIncomplete,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case 10008, // JetStream system temporarily unavailable (no meta leader)
			10009, // JetStream cluster can not handle request (not the leader)
			10118, // stream is offline
			10158, // duplicate message id is in process: the same key through another process, in flight
			10163, // expected last sequence per subject temporarily unavailable
			10167, // too many requests
			10176, // atomic publish batch is incomplete (abandoned by a leader change)
			10194, // stream is offline: reason
			10210, // atomic publish too many inflight
			10211: // batch publish too many inflight
			return true
		}
	}
	// Nothing else is taken for transient, whatever its message says: an error this
	// package does not know is answered at once, not retried until the deadline.
	return false
}

// batchNoMsgIDFor is how long atomic batches go without a message id once the server
// refused one: a cluster being upgraded node by node may then have a newer leader.
const batchNoMsgIDFor = 10 * time.Minute

// batchesWithoutMsgID reports whether atomic batches go without a message id for now.
func (s *Store) batchesWithoutMsgID() bool {
	return time.Now().UnixNano() < s.batchNoMsgIDUntil.Load()
}

// isDuplicateBatch reports whether an atomic batch was refused because the stream already
// holds its first message's Nats-Msg-Id.
func isDuplicateBatch(err error) bool {
	return errors.Is(err, jetstreamext.ErrBatchPublishDuplicateMsgID)
}

// landing is what a look at an aggregate's subject says about a commit in doubt.
type landing int

const (
	// unknown: the subject could not be read; publishing again is safe.
	unknown landing = iota
	// unmoved: the subject's last commit is still the expected one; nothing was stored.
	unmoved
	// landed: the commit is stored.
	landed
	// movedOn: another commit follows the expected one; the commit can never land.
	movedOn
	// behind: the subject's last commit (as its leader sees it) precedes the expected
	// one: the caller's expectation is wrong, the commit can never land.
	behind
)

// String names the outcome, for logs.
func (l landing) String() string {
	switch l {
	case unmoved:
		return "unmoved"
	case landed:
		return "landed"
	case movedOn:
		return "moved on"
	case behind:
		return "behind"
	}
	return "unknown"
}

// storedMsg is the part of a stored message the checks need.
type storedMsg struct {
	seq  uint64
	data []byte
}

// firstEventID returns the id of a stored commit's first event ("" when undecodable).
func firstEventID(data []byte) string {
	var w struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if json.Unmarshal(data, &w) != nil || len(w.Events) == 0 {
		return ""
	}
	return w.Events[0].ID
}

// checkLanded looks at subject to learn whether the commit whose first event is firstID,
// published with expected sequence expect, is stored (and where). It reads with direct
// gets, which any replica answers, even while the stream has no leader; only when the
// replica's view is older than expect does it ask the stream leader.
func (s *Store) checkLanded(ctx context.Context, subject string, expect uint64, firstID string) (uint64, landing) {
	last, err := s.directLast(ctx, subject)
	if err != nil {
		return 0, unknown
	}
	if last.seq < expect {
		// A replica that has not caught up yet, or a wrong expectation: the leader knows.
		if last, err = s.leaderGet(ctx, apiMsgGet{LastFor: subject}); err != nil {
			return 0, unknown
		}
		if last.seq < expect {
			return last.seq, behind
		}
	}
	if last.seq == expect {
		return expect, unmoved
	}
	if firstEventID(last.data) == firstID {
		return last.seq, landed
	}
	// Something follows expect. The commit, had it landed, would be the first message of
	// the subject after expect, since it required expect to be the subject's last.
	m, err := s.stream.GetMsg(ctx, expect+1, jetstream.WithGetMsgSubject(subject))
	if err != nil {
		return 0, unknown
	}
	if firstEventID(m.Data) == firstID {
		return m.Sequence, landed
	}
	return last.seq, movedOn
}

// directLast reads the last message of subject with a direct get (seq 0 when none).
func (s *Store) directLast(ctx context.Context, subject string) (storedMsg, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return storedMsg{}, nil
	}
	if err != nil {
		return storedMsg{}, err
	}
	return storedMsg{seq: m.Sequence, data: m.Data}, nil
}

// apiMsgGet is the body of a STREAM.MSG.GET request.
type apiMsgGet struct {
	Seq     uint64 `json:"seq,omitempty"`
	LastFor string `json:"last_by_subj,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
}

// retried runs read, a request for a small answer (a direct get, a stream's or a
// document's description), in attempts bounded as an append's are (the first waits
// attemptTimeoutMin, each next one twice as long), and runs it again through transient
// errors until ctx's deadline or, without one, the client timeout. A request sent to a
// server that then stopped is answered by none: unbounded, it waited out the whole client
// timeout (10 s) and failed the command that asked (a review finding: a registration after
// a lost race on the registry, answered 503 after 10 s through a failover).
func retried[T any](ctx context.Context, s *Store, what string, read func(context.Context) (T, error)) (T, error) {
	r := s.newRetrier(ctx)
	defer r.done()
	for {
		actx, cancel := r.attempt()
		v, err := read(actx)
		cancel()
		if err == nil || ctx.Err() != nil || r.expired() || !isTransient(err) {
			return v, err
		}
		r.retrying(what, err)
		if !r.wait() {
			return v, r.giveUp(what, err)
		}
	}
}

// leaderGet reads a message through the stream leader (STREAM.MSG.GET, not a direct
// get), so that the answer reflects every acknowledged write. Not found is seq 0.
func (s *Store) leaderGet(ctx context.Context, req apiMsgGet) (storedMsg, error) {
	return s.leaderGetIn(ctx, s.opts.stream, req)
}

// leaderGetIn is leaderGet on another stream of the account (the document bucket's).
func (s *Store) leaderGetIn(ctx context.Context, stream string, req apiMsgGet) (storedMsg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return storedMsg{}, err
	}
	prefix := s.js.Options().APIPrefix
	if prefix == "" {
		prefix = jetstream.DefaultAPIPrefix
	}
	if !strings.HasSuffix(prefix, ".") {
		prefix += "."
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.clientTimeout)
		defer cancel()
	}
	resp, err := s.nc.RequestWithContext(ctx, prefix+"STREAM.MSG.GET."+stream, body)
	if err != nil {
		return storedMsg{}, err
	}
	var r struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Seq  uint64 `json:"seq"`
			Data []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return storedMsg{}, fmt.Errorf("stream message get: %w", err)
	}
	if r.Error != nil {
		if r.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return storedMsg{}, nil
		}
		return storedMsg{}, r.Error
	}
	if r.Message == nil {
		return storedMsg{}, errors.New("stream message get: empty answer")
	}
	return storedMsg{seq: r.Message.Seq, data: r.Message.Data}, nil
}

// publishCommit publishes the message of one commit, built once by Append, and retries it
// through transient errors (see the top of this file).
func (s *Store) publishCommit(ctx context.Context, ref Ref, subject string, expect Version, msg *nats.Msg, body wireCommit, key string) (Commit, error) {
	r := s.newRetrier(ctx)
	defer r.done()
	what := "append to " + ref.String()
	firstID := body.Events[0].ID
	ours := func(seq uint64) (Commit, error) { return body.toCommit(seq, subject, key), nil }
	conflict := func() (Commit, error) {
		return settle(r, what, func(ctx context.Context) (Commit, error) {
			return s.resolveConflict(ctx, ref, expect.Seq, key)
		})
	}
	var lastErr error
	inDoubt := false // an earlier attempt may have stored the commit
	for {
		if inDoubt {
			// Look before publishing again: the earlier attempt may have landed.
			seq, l := r.checkLanded(subject, expect.Seq, firstID)
			r.resolved(what, l)
			switch l {
			case landed:
				return ours(seq)
			case movedOn, behind:
				return conflict()
			}
		}
		actx, acancel := r.attempt()
		ack, err := s.js.PublishMsg(actx, msg, jetstream.WithExpectLastSequencePerSubject(expect.Seq), jetstream.WithExpectStream(s.opts.stream))
		acancel()
		switch {
		case err == nil && !ack.Duplicate:
			return ours(ack.Sequence)
		case err == nil:
			// The stream already holds a message with this Nats-Msg-Id. Without a key the
			// id is this commit's first event id: it is ours. With a key it may be an
			// earlier command's commit.
			if key == "" {
				return ours(ack.Sequence)
			}
			lctx, lcancel := r.look(attemptTimeoutMin)
			c, cerr := s.commitAt(lctx, ack.Sequence, true)
			lcancel()
			if cerr == nil {
				if len(c.Events) > 0 && c.Events[0].ID == firstID {
					return ours(ack.Sequence)
				}
				return c, nil
			}
			lastErr, inDoubt = cerr, true // a replica that has not caught up yet
		case isWrongLastSeq(err):
			seq, l := r.checkLanded(subject, expect.Seq, firstID)
			if r.attempts > 1 || l != movedOn {
				r.resolved(what, l)
			}
			switch l {
			case landed:
				return ours(seq)
			case movedOn, behind:
				return conflict()
			}
			// The subject has not moved (or could not be read): the answer came from a
			// leader with another message for it still in flight. Try again; look first
			// only if this look failed.
			lastErr, inDoubt = err, l == unknown
		case !r.expired() && isTransient(err):
			lastErr, inDoubt = err, true
		default:
			if lastErr != nil && r.expired() {
				return Commit{}, r.giveUp(what, lastErr)
			}
			return Commit{}, fmt.Errorf("%s: %w", what, err)
		}
		r.retrying(what, lastErr)
		if !r.wait() {
			return Commit{}, r.giveUp(what, lastErr)
		}
	}
}

// publishAtomic publishes the messages of an atomic append, built once by AppendAtomic,
// and retries the batch through transient errors. The look at the first aggregate's
// subject, the expected sequences and the first message's Nats-Msg-Id keep a retried
// batch from being stored twice; the message id also refuses a different command under
// the same idempotency key (ErrKeyUsed).
func (s *Store) publishAtomic(ctx context.Context, parts []Part, msgs []*nats.Msg, bodies []wireCommit, subjects []string, key string) ([]Commit, error) {
	r := s.newRetrier(ctx)
	defer r.done()
	firstID := bodies[0].Events[0].ID
	ours := func(first uint64) ([]Commit, error) {
		out := make([]Commit, len(parts))
		for i := range parts {
			out[i] = bodies[i].toCommit(first+uint64(i), subjects[i], key)
		}
		return out, nil
	}
	what := fmt.Sprintf("atomic append of %d aggregates", len(parts))
	conflict := func() ([]Commit, error) {
		return settle(r, what, func(ctx context.Context) ([]Commit, error) {
			return s.atomicConflict(ctx, parts, key)
		})
	}
	var lastErr error
	inDoubt := false
	for {
		if inDoubt {
			seq, l := r.checkLanded(subjects[0], parts[0].Expect.Seq, firstID)
			r.resolved(what, l)
			switch l {
			case landed:
				return ours(seq)
			case movedOn, behind:
				return conflict()
			}
		}
		actx, acancel := r.attemptFrom(batchAttemptTimeoutMin)
		ack, err := jetstreamext.PublishMsgBatch(actx, s.js, cloneMsgs(msgs), attemptFlowControl(actx, s.opts.clientTimeout))
		acancel()
		full := s.diskFullFor(err)
		switch {
		case err == nil:
			return ours(ack.Sequence - uint64(len(parts)) + 1)
		case isWrongLastSeq(err):
			if seq, l := r.checkLanded(subjects[0], parts[0].Expect.Seq, firstID); l == landed {
				r.resolved(what, l)
				return ours(seq)
			}
			// Which part refused it? If none moved, the answer came from a leader with
			// another message for one of the subjects still in flight: try again.
			looked := true
			for i, p := range parts {
				switch _, l := r.checkLanded(subjects[i], p.Expect.Seq, bodies[i].Events[0].ID); l {
				case movedOn, behind:
					return conflict()
				case unknown:
					looked = false
				}
			}
			lastErr, inDoubt = err, !looked
		case errors.Is(err, jetstreamext.ErrBatchPublishUnsupportedHeader) && msgs[0].Header.Get(jetstream.MsgIDHeader) != "":
			// A server before deduplication in atomic batches (nats-server 2.12.0) refuses
			// the message id, and stored nothing: the batch goes again at once without it,
			// and so do the store's next ones for a while. Only the key's lookup then keeps
			// a different request under the same key, through another process, out.
			if !s.batchesWithoutMsgID() {
				s.log.Warn("eventstore: the NATS server refuses a message id in an atomic batch (a version before deduplication in batches); atomic appends go without one", "for", batchNoMsgIDFor, "err", err)
			}
			s.batchNoMsgIDUntil.Store(time.Now().Add(batchNoMsgIDFor).UnixNano())
			msgs[0].Header.Del(jetstream.MsgIDHeader)
			continue
		case isDuplicateBatch(err):
			// The stream holds the first message's id: an earlier attempt of this batch
			// landed, or (with a key) another command under the same key did.
			if seq, l := r.checkLanded(subjects[0], parts[0].Expect.Seq, firstID); l == landed {
				r.resolved(what, l)
				return ours(seq)
			}
			if key == "" {
				// The id is this batch's first event's: it landed, and the look lagged.
				lastErr, inDoubt = err, true
				break
			}
			return settle(r, what, func(ctx context.Context) ([]Commit, error) {
				cs, ok, err := s.findAtomic(ctx, parts, key)
				switch {
				case err != nil:
					return nil, err
				case !ok:
					return nil, fmt.Errorf("%s: %w", what, ErrKeyUsed)
				case cs[0].Events[0].ID == firstID:
					// This batch's own earlier attempt, which the look above missed (a
					// replica behind the leader): not a duplicate.
					return ours(cs[0].Seq)
				}
				return cs, nil
			})
		case full != nil:
			return nil, fmt.Errorf("%s: %w", what, full)
		case !r.expired() && isTransient(err):
			lastErr, inDoubt = err, true
		default:
			if lastErr != nil && r.expired() {
				return nil, r.giveUp(what, lastErr)
			}
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		r.retrying(what, lastErr)
		if !r.wait() {
			return nil, r.giveUp(what, lastErr)
		}
	}
}

// attemptFlowControl is the flow control of one attempt of an atomic batch: the first
// message's acknowledgement awaited within the attempt's time. The library waits for it
// with a request of its own, bounded by the client's default timeout (10 s), not by the
// attempt's context: a batch whose first message went to a leader that then stopped
// waited that long, and failed the command (a review finding, through a failover).
// Without a deadline it waits fallback.
func attemptFlowControl(ctx context.Context, fallback time.Duration) jetstreamext.BatchFlowControl {
	fc := jetstreamext.BatchFlowControl{AckFirst: true, AckTimeout: fallback}
	if d, ok := ctx.Deadline(); ok {
		fc.AckTimeout = max(time.Until(d), time.Millisecond)
	}
	return fc
}

// diskFullFor explains an atomic batch the embedded server left incomplete when its disk
// is full: nats-server keeps each batch in a file store of its own, which it cannot make
// on a full disk, and says only "incomplete" (on a cluster, a leader change's word, so
// transient). Retried, every command of several aggregates waited out its deadline and
// was answered 503 as if the store would come back; it is ErrStoreFull (507), at once.
// nil for any other error, or a disk with room.
func (s *Store) diskFullFor(err error) error {
	if s.ns == nil || s.opts.diskSpace == nil || !isBatchIncomplete(err) {
		return nil
	}
	free, _, derr := s.opts.diskSpace(s.opts.dataDir)
	if derr != nil || free >= minStoreLimit {
		return nil
	}
	return fmt.Errorf("%w: the data directory's disk is full (%d bytes free): %w", ErrStoreFull, free, err)
}

// isBatchIncomplete reports whether err says an atomic batch was left incomplete.
func isBatchIncomplete(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstreamext.ErrBatchPublishIncomplete) || (errors.As(err, &apiErr) && apiErr.ErrorCode == 10176)
}

// findKey looks through one aggregate's commits for one carrying key. The commits are
// read with direct gets, which a replica that lags behind the leader may answer; so it
// first asks the leader for the subject's last sequence, and reads until it has seen it:
// "not found" is then a fact, not a replica's late view.
func (s *Store) findKey(ctx context.Context, ref Ref, key string) (Commit, bool, error) {
	subject, err := s.Subject(ref)
	if err != nil {
		return Commit{}, false, err
	}
	last, err := s.leaderGet(ctx, apiMsgGet{LastFor: subject})
	if err != nil {
		return Commit{}, false, fmt.Errorf("look up key on %s: %w", ref, err)
	}
	var from uint64
	pause := retryBackoffMin
	for {
		commits, err := s.LoadCommits(ctx, ref, from)
		if err != nil {
			return Commit{}, false, err
		}
		for _, c := range commits {
			if c.Key == key {
				return c, true, nil
			}
			from = c.Seq
		}
		if from >= last.seq {
			return Commit{}, false, nil
		}
		select {
		case <-ctx.Done():
			return Commit{}, false, fmt.Errorf("look up key on %s: read %d of %d: %w", ref, from, last.seq, ctx.Err())
		case <-time.After(pause):
			pause = min(2*pause, retryBackoffMax)
		}
	}
}

// atomicConflict explains a refused atomic append: the original commits of a retried
// command (same key), or a typed conflict on the first aggregate that moved on.
func (s *Store) atomicConflict(ctx context.Context, parts []Part, key string) ([]Commit, error) {
	if key != "" {
		if cs, ok, err := s.findAtomic(ctx, parts, key); err != nil || ok {
			return cs, err
		}
	}
	for _, p := range parts {
		last, err := s.lastSeqOf(ctx, p.Ref)
		if err == nil && last != p.Expect.Seq {
			return nil, &ConflictError{Ref: p.Ref, Expected: p.Expect.Seq, Actual: last}
		}
	}
	return nil, &ConflictError{Ref: parts[0].Ref, Expected: parts[0].Expect.Seq}
}

// cloneMsgs copies messages (subject, headers, data) so that a retried batch starts from
// the messages as built, not as a failed attempt left them.
func cloneMsgs(msgs []*nats.Msg) []*nats.Msg {
	out := make([]*nats.Msg, len(msgs))
	for i, m := range msgs {
		c := nats.NewMsg(m.Subject)
		c.Data = m.Data
		for k, v := range m.Header {
			c.Header[k] = append([]string(nil), v...)
		}
		out[i] = c
	}
	return out
}

// connWatch ends the attempts in flight when their answers are lost: when the connection
// drops, and when the stream elects a new leader (a request the old leader took but did
// not answer is never answered). A retry then follows at once instead of after a timeout.
type connWatch struct {
	mu     sync.Mutex
	epoch  context.Context
	cancel context.CancelFunc
	ch     chan nats.Status
	sub    *nats.Subscription
	done   chan struct{}
}

// bump ends the current epoch and starts the next.
func (w *connWatch) bump() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	w.epoch, w.cancel = context.WithCancel(context.Background())
}

// leaderElectedSubject is the advisory JetStream publishes when a stream elects a leader.
const leaderElectedSubject = "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED."

// startConnWatch follows the connection's status and the stream's leader elections
// until Close. Without permission to subscribe to the advisories (a locked-down
// account), only the connection's status is followed.
func (s *Store) startConnWatch() {
	w := &connWatch{ch: s.nc.StatusChanged(nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED, nats.CONNECTED), done: make(chan struct{})}
	w.epoch, w.cancel = context.WithCancel(context.Background())
	s.watch = w
	if sub, err := s.nc.Subscribe(leaderElectedSubject+s.opts.stream, func(*nats.Msg) { w.bump() }); err == nil {
		w.sub = sub
	}
	go func() {
		defer close(w.done)
		lost := false
		for st := range w.ch {
			switch st {
			case nats.CONNECTED:
				if lost {
					s.log.Info("eventstore: connection to NATS restored", "server", s.nc.ConnectedUrlRedacted())
				}
				lost = false
				continue // a new connection changes no leader: nothing to retry
			case nats.DISCONNECTED, nats.RECONNECTING:
				// With reconnection on, a lost connection goes straight to RECONNECTING
				// (a review finding: nothing was logged, waiting for DISCONNECTED).
				if !lost {
					s.log.Warn("eventstore: lost the connection to NATS; commands fail until it is back (reconnecting)")
				}
				lost = true
			}
			w.bump()
			if st == nats.CLOSED {
				return
			}
		}
	}()
}

// stopConnWatch stops following the connection.
func (s *Store) stopConnWatch() {
	if s.watch == nil || s.nc == nil {
		return
	}
	if s.watch.sub != nil {
		_ = s.watch.sub.Unsubscribe()
	}
	s.nc.RemoveStatusListener(s.watch.ch)
	<-s.watch.done
	s.watch.mu.Lock()
	s.watch.cancel()
	s.watch.mu.Unlock()
}

// connEpoch returns a context that ends when the connection next drops.
func (s *Store) connEpoch() context.Context {
	if s.watch == nil {
		return context.Background()
	}
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return s.watch.epoch
}

// setupExternal waits, within a bounded time, until JetStream answers on the connection
// (on a cluster: until it has a meta leader), then creates or checks the stream and the
// bucket, trying again what fails for want of a leader.
func (s *Store) setupExternal(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, jetStreamWaitMax)
	defer cancel()
	r := s.newRetrier(ctx)
	defer r.done()
	ready := false
	var lastErr error
	// The setup's requests are answered in milliseconds; one that a cluster still settling
	// (a meta leader just elected, two processes creating the stream at once) leaves
	// unanswered is sent again after a short wait, which doubles up to the client timeout.
	setupTimeout := min(2*time.Second, s.opts.clientTimeout)
	for {
		var err error
		if !ready {
			actx, acancel := r.attempt()
			_, err = s.js.AccountInfo(actx)
			acancel()
			ready = err == nil
		}
		if ready {
			sctx, scancel := context.WithTimeout(ctx, setupTimeout)
			err = s.setup(sctx)
			scancel()
			setupTimeout = min(2*setupTimeout, s.opts.clientTimeout)
		}
		switch {
		case err == nil:
			return nil
		case !ready && errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
			return fmt.Errorf("jetstream: %w", err)
		case !ready && errors.Is(err, jetstream.ErrJetStreamNotEnabled):
			// What a cluster without a meta leader answers, too.
		case ctx.Err() == nil && isTransient(err):
		case ctx.Err() != nil:
			if lastErr == nil {
				lastErr = err
			}
			return r.giveUp("wait for JetStream", lastErr)
		case !ready:
			return fmt.Errorf("jetstream: %w", err)
		default:
			return err
		}
		lastErr = err
		r.retrying("wait for JetStream", lastErr)
		if !r.wait() {
			return r.giveUp("wait for JetStream", lastErr)
		}
	}
}
