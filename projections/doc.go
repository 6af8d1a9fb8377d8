// Package projections keeps thidua's read model: every event of the stream, decoded once
// and indexed per aggregate, and the current state of each aggregate folded by the domain's
// evolve functions. Eligibility, ranking, lineage and the audit trail are pure functions
// of those events, computed for the live state or "as of" any past stream sequence or
// recorded time, so that a live answer, an answer after a full rebuild and an as-of answer
// at the last event are the same bytes.
//
// One ordered consumer feeds the model (Feed); command handlers also apply their own
// commits at once (read-your-writes); each commit is applied once per aggregate, in
// aggregate order, whichever path brings it first. Snapshots persist the model with its
// checkpoint so that a restart resumes from it instead of replaying the stream.
package projections
