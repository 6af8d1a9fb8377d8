package domain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// NominationState is a nomination's folded state in exported form, so that a snapshot
// can store it and restore it without applying its events again. It shares nothing with
// the nomination it was taken from.
type NominationState struct {
	// ID, Campaign and Unit are the nomination's id, its campaign's id and its current
	// unit's id (the successor after a merger).
	ID, Campaign, Unit string
	// Nominee is who is nominated, as last corrected.
	Nominee Nominee
	// State is the workflow state.
	State State
	// HeldFrom is the state before the current hold ("" when not on hold).
	HeldFrom State
	// Documents is the dossier by kind, kinds in the order first attached.
	Documents []KindDocuments
	// Vote is the latest council vote (nil when none was recorded).
	Vote *Vote
	// Rulings hold the latest ruling on each criterion, in the order first ruled.
	Rulings []CriterionRuling
	// OpenedEvent is the id of the nomination.opened event.
	OpenedEvent string
	// OpenedBy is the id of the user who opened the nomination.
	OpenedBy string
	// OpenedAt is the recorded time of the nomination.opened event.
	OpenedAt time.Time
	// SubmittedAt is the recorded time of the latest submission (zero if never submitted).
	SubmittedAt time.Time
	// SubmittedSeq is the stream sequence of the latest submission.
	SubmittedSeq uint64
	// SubmittedEvent is the id of the latest nomination.submitted event.
	SubmittedEvent string
	// SubmittedBy is the id of the user who made the latest submission.
	SubmittedBy string
	// HoldEvent is the id of the nomination.held event of the current hold.
	HoldEvent string
	// Award is the id of the nomination's award ("" when none; kept after revocation).
	Award string
	// AwardEvent is the id of the nomination.awarded event.
	AwardEvent string
	// RevokeEvent is the id of the nomination.award_revoked event.
	RevokeEvent string
	// UnitHistory lists the units the nomination belonged to before transfers, oldest first.
	UnitHistory []string
	// LastReturn is the id of the latest nomination.returned event.
	LastReturn string
	// WithdrawEvent is the id of the nomination.withdrawn event.
	WithdrawEvent string
	// Seq is the stream sequence of the last applied event (the nomination's Version).
	Seq uint64
	// Events is the number of events applied.
	Events int
}

// Snapshot returns the nomination's state; later events applied to n do not change it.
func (n *Nomination) Snapshot() NominationState {
	s := NominationState{
		ID: n.id, Campaign: n.campaign, Unit: n.unit, Nominee: n.nominee, State: n.state, HeldFrom: n.heldFrom,
		OpenedEvent: n.openedEvent, OpenedBy: n.openedBy, OpenedAt: n.openedAt,
		SubmittedAt: n.submittedAt, SubmittedSeq: n.submittedSeq, SubmittedEvent: n.submittedEvent, SubmittedBy: n.submittedBy,
		HoldEvent: n.holdEvent, Award: n.award, AwardEvent: n.awardEvent, RevokeEvent: n.revokeEvent,
		UnitHistory: slices.Clone(n.unitHistory), LastReturn: n.lastReturn, WithdrawEvent: n.withdrawEvent,
		Seq: n.seq, Events: n.events, Rulings: slices.Clone(n.rulings),
		// Each kind's documents are only ever appended to: the lists are shared, with
		// their length fixed here.
		Documents: slices.Clone(n.documents),
	}
	for i := range s.Documents {
		ds := s.Documents[i].Documents
		s.Documents[i].Documents = ds[:len(ds):len(ds)]
	}
	if n.vote != nil {
		v := *n.vote
		s.Vote = &v
	}
	return s
}

// ErrInvalidState is matched (errors.Is) when a saved state (a snapshot's) is one no
// sequence of events could produce: the snapshot is damaged or of another version.
var ErrInvalidState = errors.New("invalid saved state")

// RestoreNomination returns the nomination whose state s is. It refuses a state that no
// sequence of events could produce: an unknown workflow state, or an opening applied
// without an id. A nomination whose opening the stream lost (its later events applied, no
// id, perhaps no state yet) is one a stream with a loss produces, and is restored as it
// was folded (a review finding: refused, every snapshot of a store with such a loss was
// taken for a damaged one, and the start's check of the stream against it was lost).
func RestoreNomination(s NominationState) (*Nomination, error) {
	if s.Events > 0 && (s.ID == "" && s.OpenedEvent != "" || s.State != "" && !knownState(s.State) || s.ID != "" && s.State == "") {
		return nil, fmt.Errorf("%w: nomination state %q with id %q", ErrInvalidState, s.State, s.ID)
	}
	return &Nomination{
		id: s.ID, campaign: s.Campaign, unit: s.Unit, nominee: s.Nominee, state: s.State, heldFrom: s.HeldFrom,
		documents: s.Documents, vote: s.Vote, rulings: s.Rulings,
		openedEvent: s.OpenedEvent, openedBy: s.OpenedBy, openedAt: s.OpenedAt,
		submittedAt: s.SubmittedAt, submittedSeq: s.SubmittedSeq, submittedEvent: s.SubmittedEvent, submittedBy: s.SubmittedBy,
		holdEvent: s.HoldEvent, award: s.Award, awardEvent: s.AwardEvent, revokeEvent: s.RevokeEvent,
		unitHistory: s.UnitHistory, lastReturn: s.LastReturn, withdrawEvent: s.WithdrawEvent,
		seq: s.Seq, events: s.Events,
	}, nil
}

// knownState reports whether s is one of the workflow states.
func knownState(s State) bool {
	switch s {
	case StateDraft, StateSubmitted, StateUnderReview, StateReturned, StateVerified, StateOnHold,
		StateWithdrawn, StateAwarded, StateRevoked:
		return true
	}
	return false
}

// UnitState is a unit's folded state in exported form, for snapshots (see NominationState).
type UnitState struct {
	// ID and Name are the unit's id and name.
	ID, Name string
	// Kind is the unit's kind: department, vertical, district or commune.
	Kind UnitKind
	// Parent is the parent unit's id ("" when none).
	Parent string
	// Status is UnitActive or UnitMerged ("" before unit.registered).
	Status string
	// Successor is the unit this one merged into ("" when active).
	Successor string
	// MergedOn is the effective date (YYYY-MM-DD) of the merger that ended the unit.
	MergedOn string
	// Reorganisation is the id of the reorganisation that merged the unit.
	Reorganisation string
	// Predecessors are the units this one absorbed directly, in order.
	Predecessors []string
	// Plans holds the unit's latest emulation plan by campaign id.
	Plans map[string]PlanRef
	// Seq is the stream sequence of the last applied event (the unit's Version).
	Seq uint64
}

// Snapshot returns the unit's state; later events applied to u do not change it.
func (u *Unit) Snapshot() UnitState {
	return UnitState{
		ID: u.id, Name: u.name, Kind: u.kind, Parent: u.parent, Status: u.status, Successor: u.successor,
		MergedOn: u.mergedOn, Reorganisation: u.reorganisation, Predecessors: slices.Clone(u.predecessors),
		Plans: maps.Clone(u.plans), Seq: u.seq,
	}
}

// RestoreUnit returns the unit whose state s is.
func RestoreUnit(s UnitState) *Unit {
	u := &Unit{
		id: s.ID, name: s.Name, kind: s.Kind, parent: s.Parent, status: s.Status, successor: s.Successor,
		mergedOn: s.MergedOn, reorganisation: s.Reorganisation, predecessors: s.Predecessors, plans: s.Plans, seq: s.Seq,
	}
	if u.plans == nil {
		u.plans = map[string]PlanRef{}
	}
	return u
}
