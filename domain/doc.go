// Package domain holds the pure business model of thidua, the event-sourced engine for
// the award nominations of an emulation campaign ("thi đua, khen thưởng").
//
// The package does no I/O and never reads the clock: every decision takes the current
// time as an argument. Aggregates (units, nominations, campaigns and the user registry)
// keep their state in unexported fields; they evolve by applying recorded events (Apply)
// and decide by returning new events ([]Event) or a typed error. Business-rule refusals
// are *RuleError values (errors.Is(err, ErrRule)); refused state transitions are
// *TransitionError values (errors.Is(err, ErrInvalidTransition)).
//
// Campaign rules are data: a Definition lists the criteria with a small rule language
// (Rule, Exclusion) that Evaluate interprets, and Rank orders eligible nominations by the
// definition's ranking keys.
package domain
