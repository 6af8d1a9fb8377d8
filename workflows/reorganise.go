package workflows

import (
	"context"
	"fmt"
	"sort"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// ReorganiseInput records that units merged into a successor on a date.
type ReorganiseInput struct {
	// Kind is the kind of reorganisation; "merge" is the only one.
	Kind string
	// Sources are the ids of the units that merge into Successor: 1 to 200 distinct
	// units, each still active.
	Sources []string
	// Successor is the id of the unit the sources merge into: an active unit, or a new
	// one registered with SuccessorName and SuccessorKind.
	Successor string
	// SuccessorName is a new successor's name (1 to 300 characters); unused when
	// Successor exists.
	SuccessorName string
	// SuccessorKind is a new successor's kind ("department", "vertical", "district" or
	// "commune"); unused when Successor exists.
	SuccessorKind domain.UnitKind
	// Effective is the merger's effective date (YYYY-MM-DD): from 2000 on and at most 31
	// days ahead.
	Effective string
	// Decision is the merger decision (1 to 2,000 characters).
	Decision string
}

// Reorganise records a merger (admin): each source is marked merged into the successor,
// the successor (created when new) records what it absorbed, and every open nomination of
// a source continues under the successor, and every campaign notes it (refusing it,
// merger_double_award, when one lineage would hold two of its collective awards, the
// later granted after the merger took effect: Campaign.NoteMerger) — all in
// one atomic append across the aggregates, each guarded by its own expected version.
// History is never rewritten.
func (s *Service) Reorganise(ctx context.Context, p Principal, in ReorganiseInput, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if in.Kind != "merge" {
		return Result{}, errorf(ErrInvalidInput, "invalid_kind", "kind must be \"merge\", not %q", in.Kind)
	}
	if len(in.Sources) == 0 || len(in.Sources) > 200 {
		return Result{}, errorf(ErrInvalidInput, "invalid_sources", "between 1 and 200 source units are required")
	}
	if err := validID("successor", in.Successor); err != nil {
		return Result{}, err
	}
	for _, src := range in.Sources {
		if err := validID("source", src); err != nil {
			return Result{}, err
		}
	}
	reorg := newID()
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		sources := make([]*domain.Unit, 0, len(in.Sources))
		for _, id := range in.Sources {
			u, _ := st.Unit(id)
			if u == nil {
				return plan{}, notFound("unit", id)
			}
			sources = append(sources, u)
		}
		succ, sv := st.Unit(in.Successor)
		if succ == nil {
			if err := unitIDFree(st, in.Successor); err != nil {
				return plan{}, err
			}
		}
		if succ != nil {
			// A successor that is itself among the sources' predecessors would make a cycle.
			for _, src := range in.Sources {
				for _, pred := range st.Lineage(src) {
					if pred == in.Successor && src != in.Successor {
						return plan{}, &domain.RuleError{Code: "merge_cycle", Message: fmt.Sprintf("%s is a predecessor of %s: the merger would make a cycle", in.Successor, src), MessageVI: fmt.Sprintf("%s là đơn vị tiền thân của %s: không thể hợp nhất vòng", in.Successor, src)}
					}
				}
			}
		}
		perUnit, err := domain.PlanMerge(sources, succ, in.Successor, trimmed(in.SuccessorName), in.SuccessorKind, in.Effective, trimmed(in.Decision), reorg, s.clock())
		if err != nil {
			return plan{}, err
		}
		// Every campaign notes the merger, refusing it when one lineage would hold two of
		// its collective awards; a grant racing the merger then loses the campaign's
		// sequence check and is decided again on the merged lineage.
		var groups [][]string // the lineages the merger joins
		if succ != nil {
			groups = append(groups, st.Lineage(in.Successor))
		}
		for _, src := range in.Sources {
			groups = append(groups, st.Lineage(src))
		}
		campaigns := map[string][]domain.Event{}
		versions := map[string]eventstore.Version{}
		ids := st.CampaignIDs()
		for _, id := range ids {
			c, cv := st.Campaign(id)
			evs, err := c.NoteMerger(reorg, in.Successor, in.Sources, groups, in.Effective)
			if err != nil {
				return plan{}, err
			}
			campaigns[id], versions[id] = evs, cv
		}
		pl := plan{id: reorg}
		// The successor first: its expected version guards the merger as a whole.
		pl.add(unitRef(in.Successor), sv, perUnit[in.Successor])
		if succ == nil {
			pl.claim(domain.KindUnit, in.Successor)
		}
		units := make([]string, 0, len(perUnit))
		for id := range perUnit {
			if id != in.Successor {
				units = append(units, id)
			}
		}
		sort.Strings(units)
		for _, id := range units {
			_, v := st.Unit(id)
			pl.add(unitRef(id), v, perUnit[id])
		}
		for _, id := range ids {
			pl.add(campRef(id), versions[id], campaigns[id])
		}
		for _, src := range in.Sources {
			for _, nid := range st.OpenNominations(src) {
				n, nv := st.Nomination(nid)
				evs, err := n.Transfer(in.Successor, reorg, in.Effective)
				if err != nil {
					return plan{}, err
				}
				pl.add(nomRef(nid), nv, evs)
			}
		}
		if len(pl.parts) > eventstore.MaxAtomicMessages {
			return plan{}, errorf(ErrInvalidInput, "too_many_aggregates", "the merger touches %d aggregates, at most %d", len(pl.parts), eventstore.MaxAtomicMessages)
		}
		return pl, nil
	})
}
