package projections

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"thidua/eventstore"
)

// Feed keeps a model up to date with one ordered consumer on the stream, from the model's
// checkpoint on.
type Feed struct {
	model *Model
	store *eventstore.Store
	sub   eventstore.Subscription
	log   *slog.Logger
	// lag is what Behind has seen.
	lagMu sync.Mutex
	lag   lagWatch
}

// StartFeed catches the model up with the stream (waiting until it has applied the
// stream's last sequence at the time of the call, or ctx ends) and then keeps tailing.
func StartFeed(ctx context.Context, st *eventstore.Store, m *Model, log *slog.Logger) (*Feed, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &Feed{model: m, store: st, log: log}
	stored, last, err := st.LastStored(ctx)
	if err != nil {
		return nil, err
	}
	warn := func(me *eventstore.MalformedError) {
		log.Warn("malformed commit skipped", "seq", me.Seq, "subject", me.Subject, "err", me.Err)
	}
	onMalformed := func(me *eventstore.MalformedError, body *[sha256.Size]byte) {
		warn(me)
		m.noteMalformed(me, body)
	}
	if from := m.Applied() + 1; last >= from+catchUpPipelined {
		// A long way behind (a snapshot some minutes old): the bulk of it through the
		// pipeline, which decodes on every core, then the tail one commit at a time. The
		// pipeline records what it skips in the model itself.
		if err := readPipelined(ctx, st, m, eventstore.ReadOptions{From: from, Until: last}, nil, warn); err != nil {
			return nil, fmt.Errorf("catching up from %d to %d: %w", from, last, err)
		}
	}
	b := &feedBatcher{m: m, st: st, onMalformed: onMalformed}
	sub, err := st.TailRaw(ctx, m.Applied()+1, b.deliver)
	if err != nil {
		return nil, err
	}
	f.sub = sub
	if err := m.WaitFor(ctx, stored); err != nil {
		sub.Stop()
		return nil, fmt.Errorf("catching up to %d: %w", stored, err)
	}
	if stored < last {
		// The stream's last messages were lost on disk: they will never come.
		log.Error("messages lost on disk at the stream's end", "from", stored+1, "to", last)
		m.SkipLost(last)
	}
	m.DecodeHistory() // after a snapshot load; it had to wait for the catch-up
	return f, nil
}

// catchUpPipelined is how far behind the stream a model must be for StartFeed to catch
// up through the pipeline first.
const catchUpPipelined = 1024

// Stop ends the tail.
func (f *Feed) Stop() { f.sub.Stop() }

// CaughtUp reports whether the model has applied the stream's current last sequence.
func (f *Feed) CaughtUp(ctx context.Context) (bool, uint64, error) {
	last, err := f.store.LastSeq(ctx)
	if err != nil {
		return false, 0, err
	}
	return f.model.Applied() >= last, last, nil
}

// Behind reports how long the model has been behind the stream, as far as the calls of
// Behind can tell: since the earliest call that found a sequence stored the model has not
// applied yet (0 when it has applied everything any call found stored, up to the latest
// one), with the model's applied sequence and the stream's last at this call. A busy
// server is behind by the few milliseconds its feed takes to deliver each commit, so a
// readiness probe that asked CaughtUp answered 503 on a healthy server taking writes (a
// review finding: 374 of 600 probes under six writers); one that asks Behind fails only
// when the feed stalls.
func (f *Feed) Behind(ctx context.Context) (time.Duration, uint64, uint64, error) {
	last, err := f.store.LastSeq(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	applied := f.model.Applied()
	f.lagMu.Lock()
	defer f.lagMu.Unlock()
	return f.lag.observe(applied, last, time.Now()), applied, last, nil
}

// lagWatch measures how long a model stays behind a stream, from what it is shown.
type lagWatch struct {
	// target is a sequence the stream held at since that the model had not applied then
	// (0: none pending).
	target uint64
	since  time.Time
}

// observe takes the model's applied sequence and the stream's last at now, and returns
// how long the model has been behind: since the stream held target, while the model has
// not reached it; 0 once it has.
func (w *lagWatch) observe(applied, last uint64, now time.Time) time.Duration {
	if w.target != 0 && applied < w.target {
		return now.Sub(w.since)
	}
	w.target = 0
	if applied < last {
		w.target, w.since = last, now
	}
	return 0
}

// WaitCaughtUp waits until the model has applied every commit stored so far.
func WaitCaughtUp(ctx context.Context, st *eventstore.Store, m *Model, timeout time.Duration) error {
	last, err := st.LastSeq(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return m.WaitFor(ctx, last)
}

// Rebuild builds a fresh model from the whole stream (up to ro's bounds) with one ordered
// consumer, decoding payloads on all cores, and calls progress (if given) every 10,000
// commits with the sequence reached.
func Rebuild(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions, progress func(seq uint64)) (*Model, error) {
	var m *Model
	var err error
	if ro.UntilTime.IsZero() {
		// The envelopes too are decoded on every core (pipeline.go).
		m, err = rebuildRaw(ctx, st, ro, progress)
	} else {
		m, err = rebuildRead(ctx, st, ro, progress)
	}
	if err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	return m, nil
}

// rebuildRead is Rebuild through Read, which decodes the envelopes on the reading
// goroutine (and can stop at a recorded time).
func rebuildRead(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions, progress func(seq uint64)) (*Model, error) {
	m := NewModel()
	ro.OnMalformed = m.NoteMalformed
	in := make(chan eventstore.Commit, 4096)
	done := make(chan struct{})
	go func() {
		pipelineApply(m, in)
		close(done)
	}()
	n := 0
	_, err := st.Read(ctx, ro, func(c eventstore.Commit) error {
		in <- c
		n++
		if progress != nil && n%10000 == 0 {
			progress(c.Seq)
		}
		return nil
	})
	close(in)
	<-done
	return m, err
}

// readEnd fixes the end of a read of the whole stream (ro.Until, when not given) and
// returns it: the stream's last sequence, which a rebuild must reach, with SkipLost over
// the messages at its end lost on disk.
func readEnd(ctx context.Context, st *eventstore.Store, ro *eventstore.ReadOptions) (uint64, error) {
	if ro.Until != 0 {
		return ro.Until, nil
	}
	last, err := st.LastSeq(ctx) // the read itself ends at the last message it can get
	if err != nil {
		return 0, err
	}
	ro.Until = last
	return last, nil
}
