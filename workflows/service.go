// Package workflows holds thidua's command handlers. Each handler authorises the caller,
// takes the current state of the aggregates it touches from the in-memory model (fed by
// the stream), lets the domain decide, and appends the events with the aggregate's
// expected version and the caller's idempotency key. Nothing is read from JetStream on
// the command path except after a concurrency conflict, to catch up.
package workflows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// Principal is an authenticated caller.
type Principal struct {
	// UserID is the user's id.
	UserID string
	// Name is the user's name.
	Name string
	// Role is the user's role.
	Role domain.Role
	// Unit is the unit a clerk (or a reviewer) belongs to.
	Unit string
}

// System returns the principal the engine itself acts as (bootstrap, demo seeding, a
// token reissued from the command line). It is a function, not a variable, so that no
// code can change what the most privileged principal is.
func System() Principal {
	return Principal{UserID: "system", Name: "system", Role: domain.RoleSystem}
}

// Options carry the HTTP preconditions of a command.
type Options struct {
	// Key is the Idempotency-Key: a retry with the same key and request appends nothing.
	Key string
	// Fingerprint identifies the request body, so that a key reused for another request is refused.
	Fingerprint string
	// IfMatch, when set, is the version the caller read; a stale one fails with ErrPrecondition.
	IfMatch *uint64
	// OccurredAt backdates the events' occurred time (the recorded time is always the store's).
	OccurredAt time.Time
	// keyLocked says the caller holds the key's lock already (lockKey): an upload takes it
	// before it stores its file.
	keyLocked bool
}

// Result is what a command appended.
type Result struct {
	// ID is the id of the resource the command created or acted on.
	ID string
	// Events are the ids of the events appended, in order.
	Events []string
	// Seq is the stream sequence of the last commit.
	Seq uint64
	// Version is the main aggregate's version after the command.
	Version uint64
	// Duplicate is true when the command had already been carried out under the same key.
	Duplicate bool
}

// Service runs commands. It is safe for concurrent use.
type Service struct {
	store *eventstore.Store
	model *projections.Model
	clock func() time.Time
	log   *slog.Logger
	races raceLocks
	// keyLocks serialises the requests under one user's idempotency key (run).
	keyLocks raceLocks
	// beforeHead, when set (by the package's tests only), runs as a refused command is
	// about to ask the stream's head (behindStream): where a feed's delivery races it.
	beforeHead func()
	// docCheck is the latest check of the document store (CheckDocuments); nil before the
	// first.
	docCheck atomic.Pointer[DocumentCheck]
	// grantCheck is the latest check of the grants' recorded rankings (CheckGrants); nil
	// before the first.
	grantCheck atomic.Pointer[GrantCheck]
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for business time (deadlines, "now").
func WithClock(now func() time.Time) Option { return func(s *Service) { s.clock = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a service appending to store and deciding on model's state.
func New(store *eventstore.Store, model *projections.Model, opts ...Option) *Service {
	s := &Service{store: store, model: model, clock: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Model returns the read model.
func (s *Service) Model() *projections.Model { return s.model }

// Store returns the event store.
func (s *Service) Store() *eventstore.Store { return s.store }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.clock() }

// plan is what a command decided: the events per aggregate, and the id it reports.
type plan struct {
	id    string
	main  eventstore.Ref
	parts []eventstore.Part
	// verify, when set, checks outside the model's lock, once the command has decided and
	// its If-Match holds, what the decision relied on beyond the events (a grant's dossier
	// files in the document store): its error is the command's answer, and nothing is
	// appended.
	verify func(context.Context) error
}

// claim adds the claim of a new aggregate's id (domain.ClaimID), expecting no claim yet of
// an id equal to it but for letter case.
func (p *plan) claim(kind, id string) {
	p.add(eventstore.Ref{Kind: domain.KindClaim, ID: domain.ClaimKey(kind, id)}, eventstore.Version{}, domain.ClaimID(kind, id))
}

func (p *plan) add(ref eventstore.Ref, v eventstore.Version, events []domain.Event) {
	if len(events) == 0 {
		return
	}
	pend := make([]eventstore.Pending, len(events))
	for i, e := range events {
		pend[i] = eventstore.Pending{Type: e.Type, Data: e.Data}
	}
	for i := range p.parts {
		if p.parts[i].Ref == ref {
			p.parts[i].Events = append(p.parts[i].Events, pend...)
			return
		}
	}
	p.parts = append(p.parts, eventstore.Part{Ref: ref, Expect: v, Events: pend})
	if p.main == (eventstore.Ref{}) {
		p.main = ref
	}
}

// maxAttempts bounds how often a command is re-decided after losing a race.
const maxAttempts = 8

// run carries out one command: idempotency check, decide on the model's state, append,
// apply. On a conflict it catches the aggregate up and decides again (unless the caller
// sent If-Match, which then fails).
func (s *Service) run(ctx context.Context, p Principal, o Options, decide func(st *projections.State) (plan, error)) (Result, error) {
	key := ""
	if o.Key != "" {
		if len(o.Key) > 200 {
			return Result{}, errorf(ErrInvalidInput, "invalid_idempotency_key", "Idempotency-Key is longer than 200 characters")
		}
		key = p.UserID + "|" + o.Key + "|" + o.Fingerprint
		// Requests under one key go one at a time in this process: the second of two
		// sent at once, a different request under the same key included, sees what the
		// first did. Across processes the stream's duplicate window does it (DedupKey).
		if !o.keyLocked {
			var unlockKey func()
			var err error
			if o, unlockKey, err = s.lockKey(ctx, p, o); err != nil {
				return Result{}, err
			}
			defer unlockKey()
		}
		if r, ok := s.replay(ctx, key); ok {
			return r, nil
		}
		if err := s.checkKey(p, o); err != nil {
			return Result{}, err
		}
	}
	meta := eventstore.Meta{Actor: eventstore.Actor{User: p.UserID, Role: string(p.Role)}, Key: key, OccurredAt: o.OccurredAt}
	if key != "" {
		meta.DedupKey = p.UserID + "|" + o.Key
	}
	if err := s.awaitHistory(ctx); err != nil {
		return Result{}, err
	}
	s.awaitIfMatch(ctx, o)
	var unlock func()
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	// settled says the command waited for a gap below its plan (settleBelow); waited, for
	// the stream's head after a refusal or a failed verify (behindStream): apart, so that
	// the one does not spend the other's wait (a review finding: a retried grant through a
	// server with a gap below its own commit was answered document_unreadable).
	settled, waited := false, false
	for attempt := 0; ; attempt++ {
		if attempt > 0 && key != "" {
			// The race may have been lost to the same command, retried by the client.
			if r, ok := s.replay(ctx, key); ok {
				return r, nil
			}
			// Or to a different request under the same key, through another process.
			if err := s.checkKey(p, o); err != nil {
				return Result{}, err
			}
		}
		var pl plan
		var err error
		// What the model held before it decided: the stream's head is compared with it, not
		// with what the feed brought while the head was asked (behindStream).
		before := s.model.Settled()
		s.model.Read(func(st *projections.State) {
			if err = stillActs(st, p); err == nil {
				pl, err = decide(st)
			}
		})
		if err != nil {
			if !waited && refusedByState(err) {
				// A refusal read on a model the stream is ahead of (another server's
				// revocation freeing a place, its release of a hold) is decided again once
				// the feed brings what the stream holds: only a command that appends meets
				// the sequence check (a review finding: quota_exceeded for a place the
				// stream had freed).
				w, behind := s.behindStream(ctx, before)
				if behind != nil {
					return Result{}, behind
				}
				if w {
					waited = true
					continue
				}
			}
			return Result{}, err
		}
		if len(pl.parts) == 0 {
			return Result{ID: pl.id}, nil
		}
		if !settled && s.settleBelow(ctx, pl.parts) {
			settled = true
			continue // decided on a state with a gap below what it relies on: again
		}
		if o.IfMatch != nil && *o.IfMatch != 0 && pl.parts[0].Expect.Seq == 0 {
			// The command creates what it acts on: no version of it could have been read,
			// and "stale, the current version is 0" misled (a review finding).
			return Result{}, errorf(ErrPrecondition, "version_mismatch", "If-Match %d names a version of %s, which this command creates: it has none yet; send no If-Match (or \"0\") to create it", *o.IfMatch, pl.parts[0].Ref)
		}
		if err := checkIfMatch(o, pl.parts[0].Expect); err != nil {
			return Result{}, err
		}
		if pl.verify != nil {
			if err := pl.verify(ctx); err != nil {
				if !waited {
					// Decided on a model the stream is ahead of, as a refusal may be: a
					// retry of a grant carried out through another server gets its first
					// answer, a grant another server made the domain's refusal (a review
					// finding: both were answered document_unreadable).
					w, behind := s.behindStream(ctx, before)
					if behind != nil {
						return Result{}, behind
					}
					if w {
						waited = true
						continue
					}
				}
				return Result{}, err
			}
		}
		meta.Result = pl.id
		commits, err := s.store.AppendAtomic(ctx, pl.parts, meta)
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) {
			if o.IfMatch != nil && ce.Ref == pl.parts[0].Ref {
				// The aggregate the If-Match names changed: the tag is stale. Another one
				// the command also appends to (a nomination's unit, a grant's evidence
				// units) is decided again, as without If-Match (a review finding: a fact
				// on an evidence unit answered a grant's current If-Match with 412).
				if ce.Actual != 0 {
					// Say which version to read, as a stale tag's refusal does (a review
					// finding: the loser of a race was told nothing it could act on).
					return Result{}, errorf(ErrPrecondition, "version_mismatch", "%s changed while the command ran: If-Match %d is stale, the current version is %d", ce.Ref, *o.IfMatch, ce.Actual)
				}
				return Result{}, errorf(ErrPrecondition, "version_mismatch", "%s changed while the command ran: If-Match %d is stale", ce.Ref, *o.IfMatch)
			}
			if attempt+1 >= maxAttempts {
				if err := s.damaged(ctx, ce); err != nil {
					return Result{}, err
				}
				return Result{}, errorf(ErrConflict, "conflict", "%s keeps changing; try again", ce.Ref)
			}
			if unlock == nil {
				// Decide again after the other losers on this aggregate, not beside them.
				if unlock, err = s.races.lock(ctx, ce.Ref); err != nil {
					return Result{}, s.storeError(err)
				}
			}
			if cerr := s.catchUp(ctx, pl.parts); cerr != nil {
				return Result{}, cerr
			}
			continue
		}
		if errors.Is(err, eventstore.ErrKeyUsed) {
			// A request under the same key, through another process, got there first
			// with an atomic append, and the stream refused this one: the same request
			// (which chose other ids for what it creates), or another.
			if unlock != nil {
				unlock() // the wait below holds up no other command on the aggregate
				unlock = nil
			}
			return s.keyUsed(ctx, p, key, o)
		}
		if err != nil {
			return Result{}, s.storeError(err)
		}
		s.model.ApplyCommitted(commits...)
		r := Result{ID: pl.id}
		for _, c := range commits {
			for _, e := range c.Events {
				r.Events = append(r.Events, e.ID)
			}
			if c.Seq > r.Seq {
				r.Seq = c.Seq
			}
			r.Duplicate = r.Duplicate || c.Duplicate
		}
		r.Version = commits[0].Seq
		if r.Duplicate && commits[0].Key != key {
			// Another request under the same key, through another process, got there
			// first: the stream kept its commit, not this one.
			return Result{}, keyReused(o.Key)
		}
		if r.Duplicate && commits[0].Result != "" {
			r.ID = commits[0].Result
		}
		return r, nil
	}
}

// keyUsedWait bounds how long keyUsed waits for this process's projections to apply what
// the stream holds: the first request's commit is stored, and the feed brings it within
// milliseconds.
const keyUsedWait = 5 * time.Second

// keyUsed answers a command whose atomic append the stream refused because another under
// the same key (user and Idempotency-Key) is stored (eventstore.ErrKeyUsed). Once this
// process's projections have applied the stream up to its end (through the feed: the
// whole of that commit, not only the aggregates this command meant to write), the first
// request's answer is replayed when it was the same request, and the key is refused as
// reused when it was another. When the projections cannot tell within keyUsedWait (no
// feed, a feed far behind, the store unreachable), the answer is a retryable 503: a
// retry of the same request then gets the first one's answer.
func (s *Service) keyUsed(ctx context.Context, p Principal, key string, o Options) (Result, error) {
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return Result{}, s.storeError(err)
	}
	wctx, cancel := context.WithTimeout(ctx, keyUsedWait)
	err = s.model.WaitFor(wctx, last)
	cancel()
	if err != nil {
		return Result{}, &Error{Kind: ErrUnavailable, Code: "key_pending",
			Message: fmt.Sprintf("another request under Idempotency-Key %q was recorded through another server, and this one has not read it yet; try again", o.Key), Err: err}
	}
	if r, ok := s.replay(ctx, key); ok {
		return r, nil
	}
	if err := s.checkKey(p, o); err != nil {
		return Result{}, err
	}
	// The key's commit is in the stream's duplicate window but no longer in the
	// projections' memory of keys: another request, as far as can be told.
	return Result{}, keyReused(o.Key)
}

// lockKey takes the lock of the caller's idempotency key, when o has one, for a command
// that does something before run (an upload stores its file): two uploads sent at once
// under one key then go one after the other, and the second, refused, stores nothing. It
// returns the options run is to take, marked as holding the lock, and the release.
func (s *Service) lockKey(ctx context.Context, p Principal, o Options) (Options, func(), error) {
	if o.Key == "" || len(o.Key) > 200 {
		return o, func() {}, nil // run refuses a key too long
	}
	unlock, err := s.keyLocks.lock(ctx, eventstore.Ref{Kind: "idempotency-key", ID: p.UserID + "|" + o.Key})
	if err != nil {
		return o, nil, s.storeError(err)
	}
	o.keyLocked = true
	return o, unlock, nil
}

// keyReused is the refusal of a request under an idempotency key already used for a
// different request.
func keyReused(key string) error {
	return errorf(ErrKeyReused, "idempotency_key_reused", "Idempotency-Key %q was used for a different request", key)
}

// replay answers a command already carried out under key.
func (s *Service) replay(ctx context.Context, key string) (Result, bool) {
	kr, ok := s.model.Key(key)
	if !ok {
		return Result{}, false
	}
	// The feed applies an atomic append's messages one by one: a record found between
	// them holds part of the command (one of its events, another version). Its answer
	// waits until the projections hold the whole append, which the stream has already.
	if len(kr.Seqs) > 0 && s.store != nil {
		last := slices.Max(kr.Seqs)
		if settled, err := s.store.SettledSeq(ctx, last); err == nil && settled > last {
			wctx, cancel := context.WithTimeout(ctx, keyUsedWait)
			err := s.model.WaitFor(wctx, settled)
			cancel()
			if err == nil {
				if whole, ok := s.model.Key(key); ok {
					kr = whole
				}
			}
		}
	}
	r := Result{Events: kr.Events, Duplicate: true}
	for _, seq := range kr.Seqs {
		if seq > r.Seq {
			r.Seq = seq
		}
	}
	if len(kr.Seqs) > 0 {
		r.Version = kr.Seqs[0]
	}
	r.ID = kr.ID
	if r.ID == "" && len(kr.Aggregates) > 0 {
		r.ID = kr.Aggregates[0].ID
	}
	return r, true
}

// damagedWait is how long damaged looks for the message that won a race before it calls
// the conflict the store's damage: far longer than a replica's lag.
const damagedWait = time.Second

// damaged tells a conflict that outlasted every attempt apart from the store's damage to
// the aggregate (ErrDamaged), returning nil for a real race. The stream refused the
// aggregate's last sequence as the model holds it (ce.Expected), yet holds no later
// message of it that can be read: nats-server counts a message it dropped, damaged on
// disk, as its subject's last, so every append to that aggregate is refused for good, and
// the command would otherwise end as "keeps changing; try again" for ever. A race's
// winner shows at once, or within a replica's lag (looked for over damagedWait).
func (s *Service) damaged(ctx context.Context, ce *eventstore.ConflictError) error {
	if ce.Actual > ce.Expected {
		return nil
	}
	deadline := time.Now().Add(damagedWait)
	for {
		// (A last message that is no commit fails the catch-up before this: storeError.)
		v, err := s.store.LastVersion(ctx, ce.Ref)
		switch {
		case err != nil && ctx.Err() != nil:
			return s.storeError(ctx.Err())
		case err != nil || v.Seq > ce.Expected:
			return nil
		case !time.Now().Before(deadline):
			return errorf(ErrDamaged, "store_damaged",
				"%s cannot be written: the stream refuses its last sequence as %d, yet holds no later message of it that can be read: its last message was lost on disk (thidua verify names the loss); nothing was recorded; restore the store from a backup", ce.Ref, ce.Expected)
		}
		select {
		case <-ctx.Done():
			// The request was given up on (or timed out) while it looked: say so, not
			// "keeps changing".
			return s.storeError(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// awaitHistory waits, after a start from a snapshot, until the model has decoded its
// history (projections.Model.PayloadsDecoded: seconds at 100,000 nominations), as every
// query waits for it before it takes the model's lock. A command that reads the history
// as it decides (an opening's lineage, a submission's vote, a grant's ranking) waited
// under the lock instead, and so held up every other command and the feed for the whole
// decoding.
func (s *Service) awaitHistory(ctx context.Context) error {
	decoded := s.model.PayloadsDecoded()
	select {
	case <-decoded:
		return nil
	default:
	}
	s.model.DecodeHistory()
	select {
	case <-decoded:
		return nil
	case <-ctx.Done():
		return s.storeError(ctx.Err())
	}
}

// awaitIfMatch waits, at most settleWait, until the model has applied the stream up to the
// sequence o's If-Match names: a client that read the aggregate's version through another
// process, or just after a command, may name a version this process's feed has not
// brought yet, which is no stale one (a review finding: a lagging server answered a
// current If-Match with 412). A tag past the stream's end, which no process has read, is
// stale without the wait.
func (s *Service) awaitIfMatch(ctx context.Context, o Options) {
	if o.IfMatch == nil || s.model.Applied() >= *o.IfMatch {
		return
	}
	if last, err := s.store.LastSeq(ctx); err == nil && last < *o.IfMatch {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	_ = s.model.WaitFor(wctx, *o.IfMatch)
}

// settleWait bounds how long a command waits for the feed to fill a gap below the
// versions it relies on (settleBelow): the feed brings a commit within milliseconds.
const settleWait = time.Second

// behindStream reports whether the stream holds commits the model has not applied yet,
// and then waits for the feed to bring them, at most settleWait. The stream's head is asked
// for with a short timeout of its own: a refusal must not wait on a store that does not
// answer (a review finding: 10 s on a cluster that had lost two nodes).
//
// When the feed did not bring them in time (a failover stalls it for seconds), the
// refusal would be read on a state the stream is ahead of: they are read here, as a lost
// race's are (readUpTo), or behind is a retryable projections_behind, for the caller to
// answer instead of the refusal (a review finding: a submission through one server of a
// nomination opened through another was answered a final 404 through a failover).
//
// before is what the model held when the command decided (Model.Settled read before it):
// compared with the stream's head rather than what the model holds once the head has
// come, so that commits the feed brought meanwhile still have the command decided again
// (a review finding: an upload through one server right after the opening through another
// was refused 404 in one case of eight, the opening applied while the head was asked).
func (s *Service) behindStream(ctx context.Context, before uint64) (waited bool, behind error) {
	if s.store == nil {
		return false, nil
	}
	if s.beforeHead != nil {
		s.beforeHead()
	}
	hctx, hcancel := context.WithTimeout(ctx, headWait)
	head, err := s.store.LastSeq(hctx)
	hcancel()
	if err != nil || head <= before {
		return false, nil
	}
	if head <= s.model.Settled() {
		return true, nil // brought while the head was asked: decided again at once
	}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	if err := s.model.WaitFor(wctx, head); err != nil && ctx.Err() == nil {
		return true, s.readUpTo(ctx, head)
	}
	return true, nil
}

// headWait bounds how long a refused command asks the stream for its head (behindStream):
// long enough for a busy server's answer, short enough that a refusal does not wait long
// on a store that does not answer (a review finding: at 250 ms, a server busy with a
// load answered a nomination opened through another server a moment before 404 at once).
const headWait = time.Second

// refusedByState reports whether err is a refusal a later state may not make: the domain's
// refusal of a command on the state it read (a rule, a transition; also one that names a
// field, as a vote recorded for another name does: a review finding), or something not
// found (a nomination opened through another server a moment before); not a value outside
// its field's enumeration, which no state changes. A refusal waits only while the model
// is behind the stream, for the feed's few milliseconds (behindStream).
func refusedByState(err error) bool {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return !re.Malformed
	}
	var te *domain.TransitionError
	return errors.As(err, &te) || errors.Is(err, ErrNotFound)
}

// settleBelow waits, when the model lacks a commit below a version the plan relies on
// (its own commit applied ahead of another's still on its way, or a catch-up that loaded
// one aggregate's commits alone), until the feed has brought the stream up to that
// version, and reports whether it waited. A command reads more than the aggregates it
// writes (the campaign's definition, above all), and appends with only theirs checked: a
// revision below the nomination's version that the model had not applied yet made an
// honest ruling look forged to every other path, which checks an event against the
// definitions in force from the nomination's last change on
// (domain.Nomination.RefusesUnder). A feed that does not bring it within settleWait is
// not waited for longer.
func (s *Service) settleBelow(ctx context.Context, parts []eventstore.Part) bool {
	var need uint64
	for _, p := range parts {
		need = max(need, p.Expect.Seq)
	}
	if need == 0 || s.model.Settled() >= need {
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	_ = s.model.WaitFor(wctx, need)
	return true
}

// catchUp loads the commits the model lacks for the aggregates of a plan, after a race lost
// on them. The commit that won may be one message of an atomic append whose others are on
// aggregates the plan does not name (an opening's nomination beside its unit's
// unit.nominated, a registration's new unit beside its parent's
// unit.subordinate_registered): decided on the plan's aggregates alone, the command would
// read half of that append (a review finding: a second collective nomination of a unit,
// and a merger leaving a nomination behind, through a server whose feed was behind). The
// feed brings an append whole: catchUp waits for it, at most settleWait; when it does not
// come, catchUp reads the commits the model lacks itself (a few thousand at most), and
// else refuses with a retryable projections_behind.
func (s *Service) catchUp(ctx context.Context, parts []eventstore.Part) error {
	var top uint64
	for _, p := range parts {
		v := s.model.Version(p.Ref)
		commits, err := s.store.LoadCommits(ctx, p.Ref, v.Seq)
		if err != nil {
			return s.storeError(err)
		}
		s.model.ApplyCommitted(commits...)
		for _, c := range commits {
			top = max(top, c.Seq)
		}
	}
	if top == 0 || s.model.Settled() >= top {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	_ = s.model.WaitFor(wctx, top)
	return s.readUpTo(ctx, top)
}

// readUpTo makes sure the model holds the stream up to top once the feed's wait is over:
// when no feed brought it (a command-line process has none; a feed stalled by a
// failover), the stream's commits from the first the model lacks to the stream's end are
// read here, when they are few enough (maxCatchUpRead), and else the command answers a
// retryable projections_behind. Up to the end, not to top: an atomic append may go on
// past the message the command waits for.
func (s *Service) readUpTo(ctx context.Context, top uint64) error {
	settled := s.model.Settled()
	if settled >= top {
		return nil
	}
	if ctx.Err() != nil {
		return s.storeError(ctx.Err())
	}
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return s.storeError(err)
	}
	if last-settled <= maxCatchUpRead {
		// A message that is no commit stays unread (the feed records it): the checkpoint
		// stops below it, and the command answers projections_behind below.
		_, err = s.store.Read(ctx, eventstore.ReadOptions{From: settled + 1, Until: last, OnMalformed: func(*eventstore.MalformedError) {}}, func(c eventstore.Commit) error {
			s.model.ApplyCommitted(c)
			return nil
		})
		if err != nil {
			return s.storeError(err)
		}
		if settled = s.model.Settled(); settled >= top {
			return nil
		}
	}
	return errorf(ErrUnavailable, "projections_behind", "the projections have not applied the stream up to sequence %d, which the command must see whole (they hold it up to %d); try again", top, settled)
}

// campaignCaughtUp loads the commits the model lacks of nomination id's campaign (nothing
// when the nomination is unknown: the command says so).
func (s *Service) campaignCaughtUp(ctx context.Context, id string) error {
	var campaign string
	s.model.Read(func(st *projections.State) {
		if n, _ := st.Nomination(id); n != nil {
			campaign = n.Campaign()
		}
	})
	if campaign == "" {
		return nil
	}
	return s.refCaughtUp(ctx, campRef(campaign))
}

// refCaughtUp loads the commits the model lacks of one aggregate, for a command that reads
// it without appending to it.
func (s *Service) refCaughtUp(ctx context.Context, ref eventstore.Ref) error {
	commits, err := s.store.LoadCommits(ctx, ref, s.model.Version(ref).Seq)
	var me *eventstore.MalformedError
	if errors.As(err, &me) {
		// A message that is no commit on the aggregate: decided on the model, as before
		// this read; the command appends elsewhere (a review finding: every submission of
		// the campaign was refused store_damaged).
		return nil
	}
	if err != nil {
		return s.storeError(err)
	}
	s.model.ApplyCommitted(commits...)
	return nil
}

// maxCatchUpRead is the most commits a command reads itself, after a lost race, when its
// projections' feed does not bring them (catchUp).
const maxCatchUpRead = 10_000

// storeError turns an error of the store into one of this package's, keeping it as the
// cause.
func (s *Service) storeError(err error) error {
	var me *eventstore.MalformedError
	switch {
	case errors.As(err, &me):
		return &Error{Kind: ErrDamaged, Code: "store_damaged", Err: err, Message: fmt.Sprintf(
			"the message at sequence %d (%s) is no commit the engine can read, where the command needs one: %v; nothing was recorded; thidua verify names it", me.Seq, me.Subject, me.Err)}
	case errors.Is(err, eventstore.ErrInvalidID):
		return &Error{Kind: ErrInvalidInput, Code: "invalid_id", Message: err.Error(), Err: err}
	case errors.Is(err, eventstore.ErrTooLarge):
		return &Error{Kind: ErrInvalidInput, Code: "too_large", Message: err.Error(), Err: err}
	case errors.Is(err, eventstore.ErrEventTooLarge):
		// Not a file's size: what the command records (a review finding: a definition
		// of 0.25 MiB was told it was over the 1 MiB file limit).
		return &Error{Kind: ErrInvalidInput, Code: "event_too_large", Err: err,
			Message:   err.Error() + ": shorten what the command carries (in a campaign definition, each &, < and > takes six bytes once recorded)",
			MessageVI: "Nội dung lệnh này quá lớn để ghi nhận thành một bản ghi của kho dữ liệu: hãy rút gọn (trong định nghĩa đợt thi đua, mỗi ký tự &, < và > chiếm sáu byte khi ghi nhận)"}
	case errors.Is(err, eventstore.ErrInvalidAppend):
		return &Error{Kind: ErrInvalidInput, Code: "invalid_input", Message: err.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Kind: ErrUnavailable, Code: "timeout", Message: err.Error(), Err: err}
	// A full or failed store is told in both languages, in words a clerk can pass on; the
	// store's own error, with the server's paths and the client library's codes, stays
	// in Err for the log (a review finding: it was the message).
	case errors.Is(err, eventstore.ErrStoreDown):
		return &Error{Kind: ErrUnavailable, Code: "store_down", Err: err,
			Message:   "the event store has stopped writing (a failed or full disk); nothing was recorded; the administrator restarts the server once the cause, named in its log, is fixed",
			MessageVI: "Kho dữ liệu đã ngừng ghi (ổ đĩa lỗi hoặc đầy); chưa ghi nhận gì; quản trị hệ thống khởi động lại máy chủ sau khi khắc phục nguyên nhân (ghi trong nhật ký máy chủ)"}
	case errors.Is(err, eventstore.ErrStoreFull):
		return &Error{Kind: ErrStorageFull, Code: "store_full", Err: err,
			Message:   "the event store has no room for more; nothing was recorded; the administrator frees space or raises the storage limit",
			MessageVI: "Kho dữ liệu đã hết dung lượng; chưa ghi nhận gì; quản trị hệ thống cần giải phóng dung lượng hoặc nâng giới hạn lưu trữ"}
	}
	return &Error{Kind: ErrUnavailable, Code: "store_unavailable", Message: err.Error(), Err: err}
}

// documentError is storeError for reading a document: a document the store does not hold,
// or holds corrupt, stays the store's error (not found; corrupt), and the rest — the store
// down, a timeout — is storeError's.
func (s *Service) documentError(err error) error {
	if err == nil || errors.Is(err, eventstore.ErrDocumentNotFound) || errors.Is(err, eventstore.ErrDocumentCorrupt) {
		return err
	}
	return s.storeError(err)
}

// newID returns a new ULID.
func newID() string { return ulid.Make().String() }

// newToken returns a random bearer token.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return "thd_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ref helpers.
func unitRef(id string) eventstore.Ref { return eventstore.Ref{Kind: domain.KindUnit, ID: id} }
func nomRef(id string) eventstore.Ref  { return eventstore.Ref{Kind: domain.KindNomination, ID: id} }
func campRef(id string) eventstore.Ref { return eventstore.Ref{Kind: domain.KindCampaign, ID: id} }
func registryRef() eventstore.Ref {
	return eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
}

// validID checks an id from the caller before it can reach a subject.
func validID(what, id string) error {
	if err := eventstore.ValidateToken(id); err != nil {
		return &Error{Kind: ErrInvalidInput, Code: "invalid_id", Message: fmt.Sprintf("%s: %v", what, err)}
	}
	return nil
}

// validUnitID checks the id of a unit to register (domain.ValidateID: a subject's token,
// composed, without invisible characters), saying what is wrong in both languages; the
// registration then applies the rule of new ids (domain.ValidateNewID).
func validUnitID(id string) error {
	err := domain.ValidateID(id)
	var ie *domain.IDError
	if errors.As(err, &ie) {
		return &Error{Kind: ErrInvalidInput, Code: "invalid_id", Message: "unit id: " + err.Error(), MessageVI: ie.MessageVI(), Err: err}
	}
	return err
}

func notFound(what, id string) error {
	return &Error{Kind: ErrNotFound, Code: "not_found", Message: fmt.Sprintf("%s %q not found", what, id), What: what, ID: id}
}

// parentNotFound is notFound for the parent of a unit to register, naming the unit whose
// id differs from it only in letter case, when there is one (like): a parent typed
// "so-nv" for SO-NV was refused as unknown without a word of the other (a review finding).
// listed says whether like is a row of the same import rather than a registered unit.
func parentNotFound(id, like string, listed bool) error {
	err := &Error{Kind: ErrNotFound, Code: "not_found", What: "parent unit", ID: id, Like: like,
		Message: fmt.Sprintf("parent unit %q not found", id)}
	switch {
	case like != "" && listed:
		err.Message += fmt.Sprintf(": ids differ by letter case, and the list has %q", like)
		err.MessageVI = fmt.Sprintf("Không tìm thấy đơn vị cấp trên «%s»: mã phân biệt chữ hoa, chữ thường; danh sách có mã «%s»", id, like)
	case like != "":
		err.Message += fmt.Sprintf(": ids differ by letter case, and %q is registered", like)
		err.MessageVI = fmt.Sprintf("Không tìm thấy đơn vị cấp trên «%s»: mã phân biệt chữ hoa, chữ thường; mã đã đăng ký là «%s»", id, like)
	}
	return err
}

func forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}

func trimmed(s string) string { return strings.TrimSpace(s) }
