package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/workflows"
)

// rateRun is the outcome of a throughput run.
type rateRun struct {
	ops  int
	took time.Duration
	lat  latencies
	// cpu is the CPU time the whole process spent during the run, in seconds: the
	// operations' own, the embedded server's and, over HTTP, the clients' (NaN where
	// the platform does not tell).
	cpu float64
}

func (r rateRun) rate() float64 { return float64(r.ops) / r.took.Seconds() }

// cpuPerOp is the process's CPU time per operation, in microseconds.
func (r rateRun) cpuPerOp() float64 { return r.cpu / float64(r.ops) * 1e6 }

// add sums two runs.
func (r rateRun) add(o rateRun) rateRun {
	return rateRun{ops: r.ops + o.ops, took: r.took + o.took, lat: append(r.lat, o.lat...), cpu: r.cpu + o.cpu}
}

// rawBody is the body of one raw append and its key.
type rawBody struct {
	data []byte
	key  string
}

// rawCommit builds the body of a raw append: a commit in the store's wire format of one
// event of a type the projections do not fold ("bench.raw") on the aggregate ref, from a
// reviewer of the history (registerHistoryActors), chained to prev and hashed as the
// store hashes, padded to at least size bytes (the average of the workflow's commits just
// measured). It returns the body and the event's hash. So the raw baseline's messages are
// well-formed commits of their own aggregates, and thidua verify passes on a bench store's
// events and actors.
// The bodies are built before any timing starts.
func rawCommit(ref eventstore.Ref, prev string, k, size int) (rawBody, string) {
	now := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	key := fmt.Sprintf("reviewer-01|raw-%s-%04d", ref.ID, k)
	build := func(pad int) (rawBody, string) {
		data, _ := json.Marshal(domain.CriterionRuledData{Criterion: "C01", Result: domain.ResultMet, Note: ruleNote(domain.ResultMet) + strings.Repeat(".", pad)})
		e := eventstore.Event{
			ID: ulid.Make().String(), Type: "bench.raw", Schema: 1, Aggregate: ref,
			Actor:      eventstore.Actor{User: "reviewer-01", Role: string(domain.RoleReviewer)},
			OccurredAt: now, RecordedAt: now, PrevHash: prev, Data: data,
		}
		e.Hash = e.ComputeHash()
		body := struct {
			Key    string             `json:"key,omitempty"`
			Result string             `json:"result,omitempty"`
			Events []eventstore.Event `json:"events"`
		}{Key: key, Result: e.ID, Events: []eventstore.Event{e}}
		b, _ := json.Marshal(body)
		return rawBody{data: b, key: key}, e.Hash
	}
	b, h := build(0)
	if len(b.data) < size {
		b, h = build(size - len(b.data))
	}
	return b, h
}

// rawChain builds the bodies of n raw appends to ref, chained from prev.
func rawChain(ref eventstore.Ref, prev string, n, size int) []rawBody {
	out := make([]rawBody, n)
	for k := range out {
		out[k], prev = rawCommit(ref, prev, k+1, size)
	}
	return out
}

// rawRef is the aggregate a raw subject names.
func rawRef(st *eventstore.Store, subject string) eventstore.Ref {
	return eventstore.Ref{Kind: rawKind, ID: strings.TrimPrefix(subject, st.SubjectPrefix()+"."+rawKind+".")}
}

// rawKind is the aggregate kind of the raw baseline's messages.
const rawKind = "rawbench"

// rawAppends measures synchronous appends with the expected-last-subject-sequence check
// straight on JetStream: writers concurrent writers, perWriter appends each, each with a
// Nats-Msg-Id and the key header, on the store's stream. With a pool, each writer appends
// to one companion subject after another, as many times as its bench nomination has
// measured commands (the baseline: the same kind of subject as the workflow's); without,
// to new subjects, ten appends each. With a rate, the writers append rate times a second
// between them (an open loop: timeWriters).
func rawAppends(ctx context.Context, st *eventstore.Store, run string, writers, perWriter int, size int, pool *rawPool, rate float64) (rateRun, error) {
	js := st.JetStream()
	stream := st.StreamName()
	return timeWriters(writers, perWriter, paceFor(writers, rate), func(g int) func(i int) (func() error, error) {
		// New subjects' bodies are built here, before the timing starts; the pool's were
		// built with it (rawPool.prepare).
		var fresh []companion
		if pool == nil {
			for i := 0; i < perWriter; i += 10 {
				c := companion{subject: fmt.Sprintf("%s.%s.%s-%d-%d", st.SubjectPrefix(), rawKind, run, g, i/10), steps: 10}
				c.bodies = rawChain(rawRef(st, c.subject), "", c.steps, size)
				fresh = append(fresh, c)
			}
		}
		var cur companion
		used := 0
		return func(i int) (func() error, error) {
			switch {
			case pool == nil && i%10 == 0:
				cur, used = fresh[i/10], 0
			case pool != nil && used == cur.steps:
				c, err := pool.take()
				if err != nil {
					return nil, err
				}
				cur, used = c, 0
			}
			body := cur.bodies[used]
			used++
			msg := nats.NewMsg(cur.subject)
			msg.Data = body.data
			msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("raw-%s-%d-%d", run, g, i))
			msg.Header.Set(eventstore.HeaderKey, body.key)
			return func() error {
				actx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				ack, err := js.PublishMsg(actx, msg, jetstream.WithExpectLastSequencePerSubject(cur.seq), jetstream.WithExpectStream(stream))
				if err != nil {
					return fmt.Errorf("raw append to %s: %w", cur.subject, err)
				}
				cur.seq = ack.Sequence
				return nil
			}, nil
		}
	})
}

// rawPool hands out the companion subjects, from the last on: the workflow takes the
// bench nominations from the first on, so that the two sides seldom find a block the
// other has just loaded.
type rawPool struct {
	subjects []companion
	next     atomic.Int64
}

// newRawPool returns the pool of the companion subjects, with the bodies of every raw
// append each will take built in advance (of at least size bytes, chained from each
// companion's first message).
func newRawPool(st *eventstore.Store, companions []companion, size int) *rawPool {
	p := &rawPool{subjects: append([]companion(nil), companions...)}
	for i := range p.subjects {
		c := &p.subjects[i]
		c.bodies = rawChain(rawRef(st, c.subject), c.hash, c.steps, size)
	}
	return p
}

func (p *rawPool) take() (companion, error) {
	i := int(p.next.Add(1))
	if i > len(p.subjects) {
		return companion{}, fmt.Errorf("bench: out of companion subjects (%d used); raise benchUnits", len(p.subjects))
	}
	return p.subjects[len(p.subjects)-i], nil
}

// step is one measured command on a bench nomination.
type step struct {
	nom       int    // index in Workload.Nominations
	kind      string // vote, submit, rule
	criterion string
}

// steps returns the commands that take a bench nomination (draft, dossier attached) to
// verified: the council vote, the submission, and a "met" ruling on every criterion.
func (w *Workload) steps(i int) []step {
	n := &w.Nominations[i]
	out := []step{{nom: i, kind: "vote"}, {nom: i, kind: "submit"}}
	rules := w.rulesCol
	if n.Nominee.Kind == domain.NomineeIndividual {
		rules = w.rulesInd
	}
	for _, c := range rules {
		out = append(out, step{nom: i, kind: "rule", criterion: c})
	}
	return out
}

// stepPool hands out bench nominations to drivers, one whole nomination at a time.
type stepPool struct {
	w    *Workload
	noms []int
	next atomic.Int64
}

func newStepPool(w *Workload) *stepPool {
	p := &stepPool{w: w}
	for i := range w.Nominations {
		if w.Nominations[i].Bench {
			p.noms = append(p.noms, i)
		}
	}
	return p
}

// driver runs the steps of the nominations it takes from the pool, in order.
type driver struct {
	pool  *stepPool
	queue []step
}

func (d *driver) next() (step, error) {
	if len(d.queue) == 0 {
		i := int(d.pool.next.Add(1)) - 1
		if i >= len(d.pool.noms) {
			return step{}, fmt.Errorf("bench: out of bench nominations (%d used); raise benchUnits", len(d.pool.noms))
		}
		d.queue = d.pool.w.steps(d.pool.noms[i])
	}
	s := d.queue[0]
	d.queue = d.queue[1:]
	return s, nil
}

// actors are the registered users the measured commands act as.
type actors struct {
	clerks    map[string]workflows.Principal // by unit
	reviewers []workflows.Principal
	tokens    map[string]string // by user id
}

var benchVote = domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}

// runWorkflow runs one step through the workflow layer (authorisation, decision on the
// in-memory model, append with the expected sequence, apply), with an idempotency key.
func runWorkflow(ctx context.Context, svc *workflows.Service, w *Workload, a *actors, d int, s step, key string) error {
	n := &w.Nominations[s.nom]
	o := workflows.Options{Key: key, Fingerprint: "bench"}
	var err error
	switch s.kind {
	case "vote":
		_, err = svc.RecordVote(ctx, a.clerks[w.Units[n.Unit].ID], n.ID, benchVote, o)
	case "submit":
		_, err = svc.Submit(ctx, a.clerks[w.Units[n.Unit].ID], n.ID, o)
	case "rule":
		_, err = svc.Rule(ctx, a.reviewers[d%len(a.reviewers)], n.ID, s.criterion, workflows.RuleInput{Result: domain.ResultMet, Note: ruleNote(domain.ResultMet)}, o)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.kind, n.ID, err)
	}
	return nil
}

// workflowCommands runs writers concurrent drivers of perWriter commands each through the
// workflow layer.
func workflowCommands(ctx context.Context, svc *workflows.Service, w *Workload, a *actors, pool *stepPool, run string, writers, perWriter int) (rateRun, error) {
	return drive(writers, perWriter, 0, pool, func(d, i int, s step) error {
		return runWorkflow(ctx, svc, w, a, d, s, fmt.Sprintf("%s-%d-%d", run, d, i))
	})
}

// drive runs writers goroutines, each doing perWriter steps with fn, and times them;
// pace is as in timeWriters.
func drive(writers, perWriter int, pace time.Duration, pool *stepPool, fn func(d, i int, s step) error) (rateRun, error) {
	return timeWriters(writers, perWriter, pace, func(g int) func(i int) (func() error, error) {
		dr := &driver{pool: pool}
		return func(i int) (func() error, error) {
			s, err := dr.next()
			if err != nil {
				return nil, err
			}
			return func() error { return fn(g, i, s) }, nil
		}
	})
}

// paceFor is the pace of each of writers that send rate operations a second between
// them (timeWriters); a rate of 0 is a closed loop.
func paceFor(writers int, rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(writers) / rate * float64(time.Second))
}

// timeWriters runs writers goroutines that start together. Each makes its operation
// with newWriter, then runs it perWriter times: the operation prepares (untimed) and
// returns the part that is timed. The first error of a writer stops it; the first of all
// is returned with the rates of the whole.
//
// With pace 0 each writer starts its next operation as soon as the last one ends (a
// closed loop: the rate is what the system gives, and the latency follows from it). With
// a pace, writer g starts operation i at g×pace/writers + i×pace from the start (an open
// loop: writers × perWriter operations at writers/pace a second, whatever the system
// does), and an operation's latency counts from when it was due, so that one that had to
// wait for an earlier one's answer is charged that wait.
func timeWriters(writers, perWriter int, pace time.Duration, newWriter func(g int) func(i int) (func() error, error)) (rateRun, error) {
	lats := make([]latencies, writers)
	errs := make([]error, writers)
	var t0 time.Time // set before the writers start
	var c0 float64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			op := newWriter(g)
			lat := make(latencies, 0, perWriter)
			<-start
			due := t0.Add(time.Duration(g) * pace / time.Duration(writers))
			for i := 0; i < perWriter; i++ {
				timed, err := op(i)
				if err == nil {
					t := time.Now()
					if pace > 0 {
						time.Sleep(time.Until(due))
						t, due = due, due.Add(pace)
					}
					err = timed()
					lat = append(lat, time.Since(t))
				}
				if err != nil {
					errs[g] = err
					return
				}
			}
			lats[g] = lat
		}(g)
	}
	t0, c0 = time.Now(), cpuSeconds()
	close(start)
	wg.Wait()
	r := rateRun{ops: writers * perWriter, took: time.Since(t0), cpu: cpuSeconds() - c0}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	for _, err := range errs {
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// httpCommands runs clients concurrent HTTP clients of perClient commands each against
// the API at base (a real listener on 127.0.0.1), with bearer tokens and idempotency keys;
// with a rate, they send rate commands a second between them (an open loop: timeWriters).
func httpCommands(ctx context.Context, base string, w *Workload, a *actors, pool *stepPool, run string, clients, perClient int, rate float64) (rateRun, error) {
	tr := &http.Transport{MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var reqs atomic.Int64
	voteBody, _ := json.Marshal(map[string]any{"meeting_date": benchVote.MeetingDate, "members": benchVote.Members, "present": benchVote.Present, "approve": benchVote.Approve})
	ruleBody, _ := json.Marshal(map[string]any{"result": domain.ResultMet, "note": ruleNote(domain.ResultMet)})
	return drive(clients, perClient, paceFor(clients, rate), pool, func(d, i int, s step) error {
		n := &w.Nominations[s.nom]
		var path string
		var body []byte
		var p workflows.Principal
		switch s.kind {
		case "vote":
			path, body, p = "/nominations/"+n.ID+"/council-vote", voteBody, a.clerks[w.Units[n.Unit].ID]
		case "submit":
			path, p = "/nominations/"+n.ID+"/submit", a.clerks[w.Units[n.Unit].ID]
		case "rule":
			path, body, p = "/nominations/"+n.ID+"/criteria/"+s.criterion, ruleBody, a.reviewers[d%len(a.reviewers)]
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1"+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+a.tokens[p.UserID])
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("http-%s-%d-%d", run, d, reqs.Add(1)))
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		return nil
	})
}
