package projections

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"thidua/eventstore"
)

// Reading the stream costs three things per commit: receiving the message, decoding it
// (the envelope, then each payload) and folding it into the model. Only the fold needs
// the model's lock and stream order; the decoding runs here on every core, in batches,
// and the fold applies the batches in order.

// pipeBatch is the number of commits handed between the stages at once.
const pipeBatch = 256

// pipeItem is one commit on its way through the pipeline: raw (from the stream), or
// already decoded (c), then with its payloads decoded (pre), or malformed (bad).
type pipeItem struct {
	raw eventstore.RawCommit
	c   eventstore.Commit
	pre []decoded
	bad *eventstore.MalformedError
	// body is the SHA-256 of the message's body, for the stream's digest (summed: known;
	// not for commits from a snapshot).
	body   [sha256.Size]byte
	summed bool
	// chained marks (bit i) events whose previous hash a snapshot left out (snapcodec.go).
	chained uint64
}

// pipeJob is one batch, in stream order; done closes when its decoding is over.
type pipeJob struct {
	items []pipeItem
	done  chan struct{}
}

// pipeline decodes batches on every core and applies them in order.
type pipeline struct {
	decode  func(*pipeItem, *eventstore.Arena) // the decoding stage, run on the workers (one arena each)
	jobs    chan *pipeJob
	ordered chan *pipeJob
	wg      sync.WaitGroup
	applied chan struct{}
	cur     *pipeJob
	// free holds applied batches for reuse: a rebuild goes through thousands.
	free chan *pipeJob
}

// newPipeline starts the workers and the applier, which folds each batch into m
// (Model.applyItems). Items go in with add, in stream order; close waits until everything
// is applied. onBad (if given) hears of each malformed commit once it is recorded in the
// model's stats, outside the model's lock.
func newPipeline(m *Model, decode func(*pipeItem, *eventstore.Arena), onBad func(*eventstore.MalformedError)) *pipeline {
	return startPipeline(decode, m.applyItems, onBad)
}

// startPipeline is newPipeline with the applying stage given: apply takes each batch in
// stream order, on one goroutine.
func startPipeline(decode func(*pipeItem, *eventstore.Arena), apply func([]pipeItem), onBad func(*eventstore.MalformedError)) *pipeline {
	p := &pipeline{decode: decode, jobs: make(chan *pipeJob, 64), ordered: make(chan *pipeJob, 64), applied: make(chan struct{}),
		free: make(chan *pipeJob, 64)}
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			arena := &eventstore.Arena{}
			for j := range p.jobs {
				for k := range j.items {
					p.decode(&j.items[k], arena)
				}
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(p.applied)
		for j := range p.ordered {
			<-j.done
			apply(j.items)
			if onBad != nil {
				for i := range j.items {
					if j.items[i].bad != nil {
						onBad(j.items[i].bad)
					}
				}
			}
			clear(j.items)
			select {
			case p.free <- j:
			default:
			}
		}
	}()
	return p
}

func (p *pipeline) add(it pipeItem) {
	if p.cur == nil {
		select {
		case j := <-p.free:
			p.cur = &pipeJob{items: j.items[:0], done: make(chan struct{})}
		default:
			p.cur = &pipeJob{items: make([]pipeItem, 0, pipeBatch), done: make(chan struct{})}
		}
	}
	p.cur.items = append(p.cur.items, it)
	if len(p.cur.items) == pipeBatch {
		p.flush()
	}
}

func (p *pipeline) flush() {
	if p.cur == nil {
		return
	}
	p.jobs <- p.cur
	p.ordered <- p.cur
	p.cur = nil
}

// close applies what is left and waits for the applier.
func (p *pipeline) close() {
	p.flush()
	close(p.jobs)
	close(p.ordered)
	<-p.applied
	p.wg.Wait()
}

// applyItems folds one batch into the model in order, under one lock.
func (m *Model) applyItems(items []pipeItem) {
	m.mu.Lock()
	for i := range items {
		it := &items[i]
		if it.bad != nil {
			m.recordMalformed(it.bad)
			if it.summed {
				m.chain(it.bad.Seq, it.bad.Subject, it.body)
			}
			m.advance(it.bad.Seq)
			continue
		}
		if a, ok := m.ahead[it.c.Seq]; ok {
			// Applied ahead of the feed: skipped by applyDecoded, but for its stored time.
			delete(m.ahead, it.c.Seq)
			m.checkStoredTime(a, it.c.Seq, it.c.Time)
		}
		m.skipLost(it.c.Seq)
		m.applyDecoded(it.c, it.pre, it.chained)
		if it.summed {
			m.chain(it.c.Seq, it.c.Subject, it.body)
		}
		m.advance(it.c.Seq)
		items[i] = pipeItem{} // let the batch's memory go
	}
	ch := m.changed
	m.changed = make(chan struct{})
	m.mu.Unlock()
	close(ch)
}

// rebuildRaw is Rebuild on the raw stream: the envelopes are decoded on the workers too.
func rebuildRaw(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions, progress func(seq uint64)) (*Model, error) {
	m := NewModel()
	end, err := readEnd(ctx, st, &ro)
	if err != nil {
		return m, err
	}
	if err := readPipelined(ctx, st, m, ro, progress, nil); err != nil {
		return m, err
	}
	m.SkipLost(end)
	return m, nil
}

// readPipelined reads the raw stream into m through the pipeline: envelopes and payloads
// decoded on every core, applied in order. The decoding copies nothing (its strings are
// views of the messages); the model copies what it keeps into its own arena. Malformed
// commits are recorded in the model's stats, and told to onBad (if given).
func readPipelined(ctx context.Context, st *eventstore.Store, m *Model, ro eventstore.ReadOptions, progress func(seq uint64), onBad func(*eventstore.MalformedError)) error {
	return feedPipeline(ctx, st, ro, newPipeline(m, decodeRaw(st, ro.Raw), onBad), progress)
}

// decodeRaw is the pipeline's decoding of raw messages: the envelope, then the payloads
// and content hashes (predecode).
func decodeRaw(st *eventstore.Store, raw bool) func(*pipeItem, *eventstore.Arena) {
	view := eventstore.ViewArena()
	return func(it *pipeItem, _ *eventstore.Arena) {
		// The commit's strings are views of the message (which the client gave this read
		// alone): the model copies what it keeps.
		it.body, it.summed = eventstore.BodySum(it.raw.Data), true
		c, err := st.DecodeInto(it.raw, raw, view)
		it.raw = eventstore.RawCommit{}
		if err != nil {
			var me *eventstore.MalformedError
			if errors.As(err, &me) {
				it.bad = me
				return
			}
			it.bad = st.Malformed(c.Seq, c.Subject, c.Time, err)
			return
		}
		it.c = c
		it.pre = predecode(c)
	}
}

// feedPipeline reads the raw stream into p and waits until p has applied all of it.
func feedPipeline(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions, p *pipeline, progress func(seq uint64)) error {
	n := 0
	_, err := st.ReadRaw(ctx, ro, func(rc eventstore.RawCommit) error {
		p.add(pipeItem{raw: rc})
		n++
		if progress != nil && n%10000 == 0 {
			progress(rc.Seq)
		}
		return nil
	})
	p.close()
	return err
}

// applyFeedRaw applies one message delivered by the feed: skipped without decoding when
// the model already applied it (ApplyCommitted), else decoded outside the lock and
// applied as ApplyFeed would.
func (m *Model) applyFeedRaw(st *eventstore.Store, rc eventstore.RawCommit, onMalformed func(*eventstore.MalformedError, *[sha256.Size]byte)) {
	body := eventstore.BodySum(rc.Data)
	m.mu.Lock()
	if a, ok := m.ahead[rc.Seq]; ok {
		delete(m.ahead, rc.Seq)
		m.checkStoredTime(a, rc.Seq, rc.Time)
		m.chain(rc.Seq, rc.Subject, body)
		m.advance(rc.Seq)
		ch := m.changed
		m.changed = make(chan struct{})
		m.mu.Unlock()
		close(ch)
		return
	}
	m.mu.Unlock()
	c, err := st.Decode(rc, false)
	if err != nil {
		var me *eventstore.MalformedError
		if !errors.As(err, &me) {
			me = st.Malformed(rc.Seq, rc.Subject, rc.Time, err)
		}
		onMalformed(me, &body)
		return
	}
	m.applyFeedDecoded(c, predecode(c), &body)
}

// aheadCommit is what the feed needs of a commit the model applied before the feed
// delivered it: what checkRecordedAt checks once the feed says when it was stored.
type aheadCommit struct {
	ref      eventstore.Ref
	ids      []string
	recorded time.Time
}

// prefixSeq returns the highest sequence up to which the model holds every commit of the
// stream: the feed's checkpoint, and the commits applied ahead of it that follow it
// without a gap. Above it the state may hold a command's commit but not an earlier one
// still on its way (another server's, or a concurrent command's not yet applied): a
// moment the stream never had. The caller holds the lock.
func (m *Model) prefixSeq() uint64 {
	s := m.applied
	for {
		if _, ok := m.ahead[s+1]; !ok {
			return s
		}
		s++
	}
}

// gapped reports whether the model holds a commit above prefixSeq: a state the stream
// never had. The caller holds the lock.
func (m *Model) gapped() bool { return m.prefixSeq() < m.lastSeq }

// pin bounds a query at a past moment to the stream as it was, never to a state the
// stream never had: a bound past prefixSeq (or one by time alone) is pinned to it, so
// that an answer as of sequence N is what a replay of the stream up to N answers. The
// live bound is left as it is: it answers from the state with every commit applied,
// ahead of the feed or not. The caller holds the lock.
func (m *Model) pin(b Bound) Bound {
	if b.Live() {
		return b
	}
	if prefix := m.prefixSeq(); b.Seq == 0 || b.Seq > prefix {
		b.Seq = max(prefix, 1) // 1 for an empty model: nothing is within any bound
	}
	return b
}

// noteAhead remembers that the model applied commit c before the feed delivered it;
// the caller holds the write lock. The set saves the feed some decoding: when it grows
// large (a model without a feed), it is dropped.
func (m *Model) noteAhead(c eventstore.Commit) {
	if c.Seq <= m.applied || len(c.Events) == 0 {
		return
	}
	if m.ahead == nil || len(m.ahead) >= 1<<16 {
		m.ahead = map[uint64]aheadCommit{}
	}
	a := aheadCommit{ref: c.Events[0].Aggregate, recorded: c.Events[0].RecordedAt, ids: make([]string, len(c.Events))}
	for i := range c.Events {
		a.ids[i] = strings.Clone(c.Events[i].ID)
	}
	m.ahead[c.Seq] = a
}

// checkStoredTime checks the recorded time of a commit applied ahead of the feed against
// its storage, which the feed delivers (an engine's own commit says only when it was
// recorded). A problem found now is found after the commit was applied: the evaluations
// and rankings cached since are dropped, as for a loss found late (CheckStream). The
// caller holds the write lock.
func (m *Model) checkStoredTime(a aheadCommit, seq uint64, stored time.Time) {
	late := false
	for _, id := range a.ids {
		late = m.checkRecordedAt(a.ref, seq, id, a.recorded, stored) || late
	}
	if late {
		m.lateProblems++
		m.live.clear()
		clear(m.rankCache)
	}
}

// checkRecordedAt records ProblemForwardDated for an event recorded more than
// eventstore.FutureTolerance after it was stored (zero: unknown), once, and reports
// whether it recorded it now. The caller holds the write lock.
func (m *Model) checkRecordedAt(ref eventstore.Ref, seq uint64, id string, recorded, stored time.Time) bool {
	if stored.IsZero() || !recorded.After(stored.Add(eventstore.FutureTolerance)) {
		return false
	}
	for _, p := range m.integrity.broken[ref] {
		if p.Problem == ProblemForwardDated && p.EventID == id {
			return false // a commit read back from the stream, then delivered by the feed
		}
	}
	m.integrity.add(ref, IntegrityProblem{Seq: seq, EventID: strings.Clone(id), Aggregate: ref, Problem: ProblemForwardDated, at: recorded,
		Detail: fmt.Sprintf("recorded at %s, %s after JetStream stored it: forward-dated, or written by a process whose clock ran ahead; a query as of a moment between leaves it out",
			recorded.UTC().Format(time.RFC3339), recorded.Sub(stored).Round(time.Second))})
	return true
}

// feedBatcher hands the feed's messages to the model, holding those of an atomic append
// (a merger, a grant beside its nomination's note) until the append's last one has come,
// and then applying them under one hold of the lock, as ApplyCommitted applies a
// server's own. Applied one at a time, a query between two of them saw a state the
// stream never had (a review finding: on a second server, a grant made between a
// merger's note to the campaign and the transfer of the merged units' nominations
// recorded a ranking, and a ranking_seq inside the append, that no replay gives).
// deliver runs on the feed's one goroutine.
type feedBatcher struct {
	m           *Model
	st          *eventstore.Store
	onMalformed func(*eventstore.MalformedError, *[sha256.Size]byte)
	held        []eventstore.RawCommit
}

// deliver takes the feed's next message.
func (b *feedBatcher) deliver(rc eventstore.RawCommit) {
	if len(b.held) > 0 && rc.Batch != b.held[0].Batch {
		// The append's last message never came (lost on disk, or never stored: below):
		// what came, as it came.
		b.flush()
	}
	b.held = append(b.held, rc)
	if rc.Batch != "" && !rc.BatchEnd && rc.Pending > 0 {
		return // the rest of the append is stored, on its way
	}
	// The append's end, a message of no append, or an append's message with nothing
	// stored after it: an append is stored whole before any of it is delivered, so its
	// end will not come (nats-server, its store full, kept the first message of a
	// two-message append: TestFullStoreAnswers507).
	b.flush()
}

// flush applies the messages held.
func (b *feedBatcher) flush() {
	if len(b.held) == 1 {
		b.m.applyFeedRaw(b.st, b.held[0], b.onMalformed)
	} else {
		b.m.applyFeedRaws(b.st, b.held, b.onMalformed)
	}
	clear(b.held)
	b.held = b.held[:0]
}

// applyFeedRaws applies the messages of one atomic append, decoded outside the lock, under
// one hold of it. A malformed one among them makes each go as applyFeedRaw takes it.
func (m *Model) applyFeedRaws(st *eventstore.Store, rcs []eventstore.RawCommit, onMalformed func(*eventstore.MalformedError, *[sha256.Size]byte)) {
	type one struct {
		c    eventstore.Commit
		pre  []decoded
		body [sha256.Size]byte
	}
	m.mu.RLock()
	ahead := true
	for _, rc := range rcs {
		if _, ok := m.ahead[rc.Seq]; !ok {
			ahead = false
			break
		}
	}
	m.mu.RUnlock()
	if ahead {
		// This server's own append, applied whole by ApplyCommitted: each message only
		// moves the checkpoint, without decoding (applyFeedRaw).
		for _, rc := range rcs {
			m.applyFeedRaw(st, rc, onMalformed)
		}
		return
	}
	items := make([]one, len(rcs))
	for i, rc := range rcs {
		c, err := st.Decode(rc, false)
		if err != nil {
			for _, rc := range rcs {
				m.applyFeedRaw(st, rc, onMalformed)
			}
			return
		}
		items[i] = one{c: c, pre: predecode(c), body: eventstore.BodySum(rc.Data)}
	}
	m.mu.Lock()
	for i := range items {
		m.applyFeedLocked(items[i].c, items[i].pre, &items[i].body)
	}
	ch := m.changed
	m.changed = make(chan struct{})
	m.mu.Unlock()
	close(ch)
}
