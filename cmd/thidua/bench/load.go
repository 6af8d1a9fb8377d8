package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"thidua/domain"
	"thidua/eventstore"
)

// simClock stamps recorded times on a simulated 2025 timeline: every reading moves it on
// by one step, so that the history spreads over the campaign's months and as-of
// queries have a past to look at. It is safe for concurrent use.
type simClock struct {
	start time.Time
	step  time.Duration
	n     atomic.Int64
}

// Now returns the next simulated instant (the store's clock: one reading per commit).
func (c *simClock) Now() time.Time { return c.start.Add(time.Duration(c.n.Add(1)) * c.step) }

// Peek returns the current simulated instant without moving it (the service's clock).
func (c *simClock) Peek() time.Time { return c.start.Add(time.Duration(c.n.Load()) * c.step) }

// loadStats describes a bulk load.
type loadStats struct {
	commits, events int
	took            time.Duration
	first, last     time.Time // simulated recorded times of the history
	// companions are the raw baseline's subjects: one per bench nomination, written
	// right after that nomination's history (so in the same part of the stream), in
	// the order of Workload.Nominations.
	companions []companion
}

// companion is a raw subject, the sequence and event hash of its one message, and the
// bodies of the raw appends that follow it (rawPool).
type companion struct {
	subject string
	seq     uint64
	hash    string
	steps   int // the measured commands its nomination offers
	bodies  []rawBody
}

// task names one command of the history: a unit's (unit true) or a nomination's.
type task struct {
	unit bool
	i, k int
}

// load appends the workload's history to st with workers concurrent writers, round by
// round: round r holds the r-th command of every unit and the (r-start)-th of every
// nomination, in a shuffled (seeded) order, so that the history interleaves like a real
// province's. Each command is one commit built by eventstore.Append with the aggregate's
// expected version, exactly as the workflow layer appends it.
func load(ctx context.Context, st *eventstore.Store, w *Workload, clock *simClock, workers int, progress func(done, total int)) (loadStats, error) {
	t0 := time.Now()
	unitV := make([]eventstore.Version, len(w.Units))
	nomV := make([]eventstore.Version, len(w.Nominations))
	comp := make([]companion, len(w.Nominations))
	total, _ := w.Counts()
	var done, events atomic.Int64
	rs := loadStats{first: clock.Peek()}
	rng := rand.New(rand.NewPCG(w.Seed, 0x6c6f6164))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for r := 0; r < w.Rounds() && ctx.Err() == nil; r++ {
		var tasks []task
		for i := range w.Units {
			if r < len(w.Units[i].script) {
				tasks = append(tasks, task{unit: true, i: i, k: r})
			}
		}
		for i := range w.Nominations {
			if k := r - w.Nominations[i].start; k >= 0 && k < len(w.Nominations[i].script) {
				tasks = append(tasks, task{i: i, k: k})
			}
		}
		rng.Shuffle(len(tasks), func(a, b int) { tasks[a], tasks[b] = tasks[b], tasks[a] })
		ch := make(chan task, 1024)
		var wg sync.WaitGroup
		for g := 0; g < workers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := range ch {
					if ctx.Err() != nil {
						continue
					}
					n, err := appendTask(ctx, st, w, t, unitV, nomV)
					if err == nil && !t.unit && w.Nominations[t.i].Bench && t.k == len(w.Nominations[t.i].script)-1 {
						comp[t.i], err = appendCompanion(ctx, st, w.Nominations[t.i].ID)
					}
					if err != nil {
						fail(err)
						continue
					}
					events.Add(int64(n))
					if d := done.Add(1); progress != nil && d%50000 == 0 {
						progress(int(d), total)
					}
				}
			}()
		}
		for _, t := range tasks {
			ch <- t
		}
		close(ch)
		wg.Wait()
	}
	if firstErr != nil {
		return rs, firstErr
	}
	rs.commits, rs.events, rs.took, rs.last = int(done.Load()), int(events.Load()), time.Since(t0), clock.Peek()
	for i := range w.Nominations {
		if comp[i].seq != 0 {
			c := comp[i]
			c.steps = len(w.steps(i))
			rs.companions = append(rs.companions, c)
		}
	}
	return rs, ctx.Err()
}

// companionSubject is the raw subject that stands beside a bench nomination.
func companionSubject(st *eventstore.Store, nomination string) string {
	return st.SubjectPrefix() + "." + rawKind + ".c-" + nomination
}

// appendCompanion writes the first message of a bench nomination's raw companion subject
// and returns its sequence. The raw appends measured later go to these subjects: like
// the workflow's commands on the bench nominations, each appends to a subject last
// written long before, so the server's sequence check finds its last message in the same
// old part of the stream (loading that block from disk when it is not cached), where an
// append to a new subject finds nothing to load.
func appendCompanion(ctx context.Context, st *eventstore.Store, nomination string) (companion, error) {
	c := companion{subject: companionSubject(st, nomination)}
	body, hash := rawCommit(rawRef(st, c.subject), "", 0, 0)
	msg := nats.NewMsg(c.subject)
	msg.Data = body.data
	msg.Header.Set(jetstream.MsgIDHeader, "companion-"+nomination)
	msg.Header.Set(eventstore.HeaderKey, body.key)
	ack, err := st.JetStream().PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(0), jetstream.WithExpectStream(st.StreamName()))
	if err != nil {
		return c, fmt.Errorf("bulk load: companion of %s: %w", nomination, err)
	}
	c.seq, c.hash = ack.Sequence, hash
	return c, nil
}

// appendTask appends one command's events; versions are only touched by the one task of
// their aggregate in a round.
func appendTask(ctx context.Context, st *eventstore.Store, w *Workload, t task, unitV, nomV []eventstore.Version) (int, error) {
	var (
		evs  []domain.Event
		ref  eventstore.Ref
		ver  *eventstore.Version
		code opCode
		unit string
	)
	if t.unit {
		u := &w.Units[t.i]
		evs, ref, ver, code, unit = w.unitEvents(t.i, t.k), eventstore.Ref{Kind: domain.KindUnit, ID: u.ID}, &unitV[t.i], u.script[t.k].code, u.ID
	} else {
		n := &w.Nominations[t.i]
		unit = w.Units[n.Unit].ID
		evs, ref, ver, code = w.nominationEvents(t.i, t.k), eventstore.Ref{Kind: domain.KindNomination, ID: n.ID}, &nomV[t.i], n.script[t.k].code
	}
	pend := make([]eventstore.Pending, len(evs))
	for j, e := range evs {
		pend[j] = eventstore.Pending{Type: e.Type, Data: e.Data}
	}
	user, role := actorOf(code, unit, t.i)
	c, err := st.Append(ctx, ref, *ver, pend, eventstore.Meta{Actor: eventstore.Actor{User: user, Role: role}, Key: commandKey(user, ref, t.k)})
	if err != nil {
		return 0, fmt.Errorf("bulk load: %s command %d: %w", ref, t.k, err)
	}
	*ver = c.Version()
	return len(evs), nil
}

// commandKey is the idempotency key a command of the history carries, shaped as the web
// UI's (every form sends one): "user|client key:form|request fingerprint", about 100
// bytes, unique per command.
func commandKey(user string, ref eventstore.Ref, k int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", ref.Kind, ref.ID, k)))
	return fmt.Sprintf("%s|%x:form-%d|%x", user, sum[:13], k, sum[13:29])
}
