package workflows

import (
	"context"
	"fmt"
	"time"

	"thidua/projections"
)

// GrantCheck is the outcome of a check of the rankings the council's grants recorded
// (CheckGrants).
type GrantCheck struct {
	// At is when the check finished.
	At time.Time `json:"checked_at"`
	// Checked is the number of grants checked: those that record their ranking.
	Checked int `json:"checked"`
	// Problems are the grants whose recorded ranking is not the stream's as of the
	// sequence it names (projections.ProblemGrantRanking), in order.
	Problems []projections.IntegrityProblem `json:"problems"`
	// Skipped says why no grant was checked ("" when they were): while a snapshot kept
	// aside says the stream diverged from it, every past ranking answers that, and every
	// grant would differ; thidua verify, which sets that aside, checks them.
	Skipped string `json:"skipped,omitempty"`
}

// CheckGrants checks each grant's recorded ranking against a replay of the stream as of
// the sequence it names, as thidua verify does on a stopped server, and keeps the outcome
// for GrantChecks. A rewrite of the stream behind the engine's back that re-linked its
// hash chains shows there once the snapshot that would have told it is gone: before, the
// running server's integrity report said every event was valid while the grants' rankings
// no longer were the stream's (a review finding). Each grant costs one ranking at a past
// moment; serve runs it in the background.
func (s *Service) CheckGrants(ctx context.Context) (GrantCheck, error) {
	select {
	case <-s.model.PayloadsDecoded():
	case <-ctx.Done():
		return GrantCheck{}, fmt.Errorf("check grants: %w", ctx.Err())
	}
	if s.model.DivergedNoted() {
		// A review finding: every lawful grant was reported as differing.
		c := GrantCheck{At: s.Now(), Problems: []projections.IntegrityProblem{},
			Skipped: "a snapshot kept aside says the stream diverged from it (stream_diverged): thidua verify checks the grants"}
		s.grantCheck.Store(&c)
		return c, nil
	}
	var settleErr error
	problems, n := s.model.CheckGrantRankings(func(seq uint64) (uint64, error) {
		end, err := s.store.SettledSeq(ctx, seq)
		if err != nil && settleErr == nil {
			settleErr = err
		}
		return end, err
	})
	if settleErr != nil {
		// The store did not answer: a failed check, not a finding about the grants (a
		// review finding: an outage was reported as rewritten grants for a day). The
		// latest check stands.
		return GrantCheck{}, fmt.Errorf("check grants: %w", s.storeError(settleErr))
	}
	c := GrantCheck{At: s.Now(), Checked: n, Problems: problems}
	if c.Problems == nil {
		c.Problems = []projections.IntegrityProblem{}
	}
	s.grantCheck.Store(&c)
	return c, nil
}

// GrantChecks returns the latest check of the grants' rankings (CheckGrants), and false
// when none has finished since the server started.
func (s *Service) GrantChecks() (GrantCheck, bool) {
	if c := s.grantCheck.Load(); c != nil {
		return *c, true
	}
	return GrantCheck{}, false
}
