package projections

import (
	"context"
	"errors"
	"fmt"

	"thidua/domain"
	"thidua/eventstore"
)

// Stage names how far ReadStage takes each commit: a rebuild cut short, so that what each
// part of a rebuild costs can be measured on its own (thidua bench). A stage builds no
// model to query.
type Stage string

const (
	// StageDecode decodes every envelope and payload and checks every event's content
	// hash, on every core, as Rebuild does; it keeps nothing.
	StageDecode Stage = "decode"
	// StageFold does what StageDecode does, then folds each event into its aggregate's
	// current state (units, nominations, campaigns, the registry) in stream order, and
	// keeps nothing else: no history for the audit trail and as-of queries, no hash-chain
	// check, no idempotency keys, no document or lineage indexes.
	StageFold Stage = "fold"
)

// ErrUnknownStage is returned by ReadStage for a stage it does not know.
var ErrUnknownStage = errors.New("unknown rebuild stage")

// StageResult is what a stage read went through.
type StageResult struct {
	// Commits is the number of commits read.
	Commits int
	// Events is the number of events in them (every one is decoded; those of known
	// types are folded when the stage folds).
	Events int
	// States is the number of current states the fold built (units, nominations and
	// campaigns); 0 for a stage that does not fold.
	States int
}

// ReadStage reads the stream as Rebuild does (ro as for Rebuild; ro.UntilTime is refused)
// and takes each commit only as far as stage. Malformed commits and events are skipped.
func ReadStage(ctx context.Context, st *eventstore.Store, ro eventstore.ReadOptions, stage Stage) (StageResult, error) {
	var res StageResult
	var m *Model // the states StageFold folds into; nil for StageDecode
	switch stage {
	case StageDecode:
	case StageFold:
		m = NewModel()
	default:
		return res, fmt.Errorf("projections: stage %q: %w", stage, ErrUnknownStage)
	}
	p := startPipeline(decodeRaw(st, ro.Raw), func(items []pipeItem) {
		for i := range items {
			it := &items[i]
			res.Commits++
			if it.bad == nil {
				res.Events += len(it.c.Events)
				if m != nil {
					m.foldStates(&it.c, it.pre)
				}
			}
			*it = pipeItem{}
		}
	}, nil)
	if err := feedPipeline(ctx, st, ro, p, nil); err != nil {
		return res, fmt.Errorf("projections: stage %q: %w", stage, err)
	}
	if m != nil {
		res.States = len(m.units) + len(m.noms) + len(m.camps)
	}
	return res, nil
}

// foldStates folds a decoded commit's events into the current states only (StageFold).
func (m *Model) foldStates(c *eventstore.Commit, pre []decoded) {
	for i := range c.Events {
		e := &c.Events[i]
		if pre[i].err != nil {
			continue
		}
		// The states keep their ids and the ids of events they cite: copied out of the
		// message, as the rebuild copies them (a view would keep the whole message).
		ref := eventstore.Ref{Kind: e.Aggregate.Kind, ID: m.arena.Clone(e.Aggregate.ID)}
		entry := Entry{Rec: domain.Recorded{ID: m.arena.Clone(e.ID), Type: e.Type, Seq: c.Seq, At: e.RecordedAt,
			Actor: domain.Actor{User: e.Actor.User, Role: domain.Role(e.Actor.Role)}, Data: pre[i].data}}
		m.fold(ref, &entry)
	}
}
