package eventstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ChainProblem names one event (or message) that breaks an aggregate's hash chain.
type ChainProblem struct {
	// Seq is the stream sequence of the message.
	Seq uint64 `json:"seq"`
	// Subject is the message's subject.
	Subject string `json:"subject"`
	// EventID is the event's id, when it could be read.
	EventID string `json:"event_id,omitempty"`
	// Problem says what is wrong.
	Problem string `json:"problem"`
	// LostFrom and LostTo bound a run of sequences the stream no longer holds (both 0 for
	// any other problem; Seq is LostFrom then).
	LostFrom uint64 `json:"lost_from,omitempty"`
	LostTo   uint64 `json:"lost_to,omitempty"`
}

// ChainReport summarises a verification of the whole stream.
type ChainReport struct {
	// Commits is the number of messages read.
	Commits int `json:"commits"`
	// Events is the number of events checked.
	Events int `json:"events"`
	// Aggregates is the number of aggregates seen.
	Aggregates int `json:"aggregates"`
	// LastSeq is the last stream sequence checked.
	LastSeq uint64 `json:"last_seq"`
	// Problems lists every broken link.
	Problems []ChainProblem `json:"problems"`
	// Backdated counts the events recorded more than BackdateTolerance before JetStream
	// stored their message (a forged event's recorded time, or a simulated clock's: the
	// demo's seeding, the bench's load); FirstBackdated is the first one's sequence.
	Backdated      int    `json:"backdated"`
	FirstBackdated uint64 `json:"first_backdated,omitempty"`
	// Digest is the stream's digest up to LastSeq, computed from the messages as read.
	Digest Digest `json:"digest"`
}

// BackdateTolerance is how much earlier than its message's storage an event may say it
// was recorded: a command's events are stamped as it is decided, then appended, retried
// across a leader change at worst.
const BackdateTolerance = 10 * time.Minute

// FutureTolerance is how much later than its message's storage an event may say it was
// recorded: the skew between the clocks of a thidua process and of the NATS server. The
// engine stamps an event before it publishes it, so an event recorded later than that was
// not recorded by it, or by one whose clock runs ahead: either way a query as of a moment
// between its storage and its recorded time leaves out an event the stream already held,
// and VerifyChains names it.
const FutureTolerance = 10 * time.Minute

// ChainLink says how an event's recorded previous hash differs from the one expected
// (the hash of its aggregate's previous event, "" before its first).
func ChainLink(recorded, expected string) string {
	switch {
	case expected == "":
		return fmt.Sprintf("previous hash %.16s… recorded, none expected: no earlier event of the aggregate is in the stream", recorded)
	case recorded == "":
		return fmt.Sprintf("no previous hash recorded, %.16s… expected", expected)
	}
	return fmt.Sprintf("previous hash %.16s… recorded, %.16s… expected", recorded, expected)
}

// LossNote is what a broken chain link adds when runs of messages were lost (each
// [first, last]) after its aggregate's previous event in the stream (at sequence after;
// 0: none): one of them may have held the event it links to. It is "" for no runs.
func LossNote(runs [][2]uint64, after uint64) string {
	if len(runs) == 0 {
		return ""
	}
	lost := make([]string, len(runs))
	for i, r := range runs {
		lost[i] = strconv.FormatUint(r[0], 10)
		if r[1] > r[0] {
			lost[i] += " to " + strconv.FormatUint(r[1], 10)
		}
	}
	noun := "sequence"
	if len(runs) > 1 || runs[0][1] > runs[0][0] {
		noun = "sequences"
	}
	prev := "before the aggregate's first event the stream holds"
	if after > 0 {
		prev = fmt.Sprintf("after the aggregate's previous event the stream holds (sequence %d)", after)
	}
	return fmt.Sprintf(" (the messages lost at %s %s, %s, may have held the event it links to)", noun, strings.Join(lost, ", "), prev)
}

// VerifyChains reads the whole stream as stored and checks, for every aggregate, that each
// event's hash matches its content and that each event records its predecessor's hash.
// An event appended behind the store's back, or altered, shows up as a problem.
func (s *Store) VerifyChains(ctx context.Context) (ChainReport, error) {
	return s.VerifyChainsWith(ctx, nil)
}

// VerifyChainsWith is VerifyChains handing each commit it reads, in stream order, to each
// (when not nil) too: a caller compares the stream with what it recorded of it (a
// snapshot's history) in the same read.
func (s *Store) VerifyChainsWith(ctx context.Context, each func(Commit)) (ChainReport, error) {
	var rep ChainReport
	last := map[string]string{}
	lastAt := map[string]uint64{} // the sequence of each subject's last event
	var lost [][2]uint64          // the runs of sequences lost, in order
	ids := map[string]uint64{}
	// The stream denies deletion: every sequence from 1 on holds a message, and a gap is
	// a message lost (nats-server drops one it finds damaged on disk as it starts).
	var seen uint64
	gaps := false
	gap := func(seq uint64) {
		if seq > seen+1 {
			gaps = true
			lost = append(lost, [2]uint64{seen + 1, seq - 1})
			rep.Problems = append(rep.Problems, ChainProblem{Seq: seen + 1, LostFrom: seen + 1, LostTo: seq - 1,
				Problem: fmt.Sprintf("messages lost: sequences %d to %d are missing from the stream, which denies deletion (damaged on disk?); every event they held is gone, and the chains after them break", seen+1, seq-1)})
		}
		seen = seq
	}
	until, err := s.LastSeq(ctx)
	if err != nil {
		return rep, err
	}
	ro := ReadOptions{Raw: true, Until: until, OnMalformed: func(me *MalformedError) {
		gap(me.Seq)
		rep.Commits++
		rep.Problems = append(rep.Problems, ChainProblem{Seq: me.Seq, Subject: me.Subject, Problem: me.Err.Error()})
	}, OnRaw: func(rc RawCommit) { rep.Digest = rep.Digest.Next(rc.Seq, rc.Subject, BodySum(rc.Data)) }}
	lastSeq, err := s.Read(ctx, ro, func(c Commit) error {
		gap(c.Seq)
		rep.Commits++
		if each != nil {
			each(c)
		}
		ref, ok := s.refFromSubject(c.Subject)
		for _, e := range c.Events {
			rep.Events++
			if !c.Time.IsZero() && e.RecordedAt.Before(c.Time.Add(-BackdateTolerance)) {
				if rep.Backdated == 0 {
					rep.FirstBackdated = c.Seq
				}
				rep.Backdated++
			}
			bad := func(format string, args ...any) {
				rep.Problems = append(rep.Problems, ChainProblem{Seq: c.Seq, Subject: c.Subject, EventID: e.ID, Problem: fmt.Sprintf(format, args...)})
			}
			if !ok || e.Aggregate != ref {
				bad("event names aggregate %s but is stored on subject %s", e.Aggregate, c.Subject)
			}
			if !c.Time.IsZero() && e.RecordedAt.After(c.Time.Add(FutureTolerance)) {
				bad("recorded at %s, %s after JetStream stored it (%s): forward-dated, or written by a process whose clock ran ahead; a query as of a moment between leaves it out",
					e.RecordedAt.UTC().Format(time.RFC3339), e.RecordedAt.Sub(c.Time).Round(time.Second), c.Time.UTC().Format(time.RFC3339))
			}
			if s.registry != nil && s.registry.Known(e.Type) && e.Schema > s.registry.Current(e.Type) {
				bad("schema version %d of %s is newer than the %d this version of thidua writes: written by a later version, or forged (the projections read it as if it were current)",
					e.Schema, e.Type, s.registry.Current(e.Type))
			}
			if prevSeq, dup := ids[e.ID]; dup {
				bad("event id already used at sequence %d", prevSeq)
			}
			ids[e.ID] = c.Seq
			if got := e.ComputeHash(); got != e.Hash {
				bad("hash mismatch: content hashes to %.16s…, event claims %.16s…", got, e.Hash)
			}
			want := last[c.Subject]
			if e.PrevHash != want {
				var between [][2]uint64
				for _, r := range lost {
					if r[0] > lastAt[c.Subject] && r[0] < c.Seq {
						between = append(between, r)
					}
				}
				bad("chain broken: %s%s", ChainLink(e.PrevHash, want), LossNote(between, lastAt[c.Subject]))
			}
			last[c.Subject], lastAt[c.Subject] = e.Hash, c.Seq
		}
		return nil
	})
	if err == nil && until > seen {
		gap(until + 1) // lost at the end
	}
	if err == nil && !gaps {
		// JetStream's own record of messages it lost, when it kept one.
		if info, ierr := s.stream.Info(ctx); ierr == nil && info.State.Lost != nil && len(info.State.Lost.Msgs) > 0 {
			rep.Problems = append(rep.Problems, ChainProblem{Seq: info.State.Lost.Msgs[0],
				Problem: fmt.Sprintf("messages lost: JetStream reports sequences %v lost (damaged on disk?)", info.State.Lost.Msgs)})
		}
	}
	rep.LastSeq = lastSeq
	if err == nil {
		rep.Digest.Seq = until // over messages lost at the end, which hold nothing
	}
	rep.Aggregates = len(last)
	return rep, err
}
