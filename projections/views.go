package projections

import (
	"encoding/json"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// Bound limits a query to the events recorded up to a moment: a stream sequence, a
// recorded time, or both. The zero Bound means "everything applied so far" (live).
type Bound struct {
	// Seq is the last stream sequence included (0: no bound).
	Seq uint64
	// Time is the last recorded time included (zero: no bound).
	Time time.Time
}

// Live reports whether the bound is empty.
func (b Bound) Live() bool { return b.Seq == 0 && b.Time.IsZero() }

// includes reports whether an event at seq, recorded at at, is within the bound.
func (b Bound) includes(seq uint64, at time.Time) bool {
	if b.Seq != 0 && seq > b.Seq {
		return false
	}
	if !b.Time.IsZero() && at.After(b.Time) {
		return false
	}
	return true
}

// EventView is one event as the API and the audit trail show it.
type EventView struct {
	// ID is the event's ULID.
	ID string `json:"id"`
	// Seq is the stream sequence of the commit that carries it.
	Seq uint64 `json:"seq"`
	// Index is the event's position in its commit.
	Index int `json:"index"`
	// Type names the event.
	Type string `json:"type"`
	// At is when it was recorded.
	At time.Time `json:"at"`
	// OccurredAt is when the fact happened, as the command stated it.
	OccurredAt time.Time `json:"occurred_at"`
	// Actor is who caused it: the user's id and role as the event records them, and the
	// user's display name from the registry.
	Actor ActorView `json:"actor"`
	// Aggregate is the aggregate whose stream holds it.
	Aggregate eventstore.Ref `json:"aggregate"`
	// Data is the payload.
	Data json.RawMessage `json:"data"`
	// SummaryVI is a readable Vietnamese summary.
	SummaryVI string `json:"summary_vi"`
	// SummaryEN is a readable English summary.
	SummaryEN string `json:"summary_en"`
	// Hash is the event's hash in its aggregate's chain.
	Hash string `json:"hash"`
	// InheritedFrom is the unit whose stream holds an inherited event.
	InheritedFrom string `json:"inherited_from,omitempty"`
	// Via is the chain of successors from InheritedFrom to the unit asked about.
	Via []string `json:"via,omitempty"`
}

// ActorView is who caused an event: the user id and role the event's envelope records,
// and the user's display name, looked up in the user registry when the event is shown
// (empty when the id names no registered user). The system's own events name it "system".
type ActorView struct {
	// User is the user's id ("system" for the engine itself).
	User string `json:"user"`
	// Role is the role the user acted in.
	Role string `json:"role"`
	// Name is the user's display name.
	Name string `json:"name,omitempty"`
}

// UnitView is a unit as the API shows it.
type UnitView struct {
	// ID is the unit's id.
	ID string `json:"id"`
	// Name is the unit's name.
	Name string `json:"name"`
	// Kind is the unit's kind: department, vertical, district or commune.
	Kind domain.UnitKind `json:"kind"`
	// Parent is the parent unit's id ("" when none: the key is always there, as DESIGN's
	// unit has it).
	Parent string `json:"parent"`
	// Status is "active" or "merged".
	Status string `json:"status"`
	// Successor is the unit this one merged into ("" when active).
	Successor string `json:"successor,omitempty"`
	// Predecessors are the units this one absorbed directly, in order.
	Predecessors []string `json:"predecessors"`
	// Lineage lists every unit whose history this unit carries, transitively (itself first).
	Lineage []string `json:"lineage"`
	// Effective is the date of the merger that ended the unit, if it was merged.
	Effective string `json:"merged_effective,omitempty"`
	// Version is the stream sequence of the unit's last event within the bound (its ETag).
	Version uint64 `json:"version"`
}

// DocumentView is a dossier document of a nomination.
type DocumentView struct {
	// ID is the document's id in the document store (its SHA-256).
	ID string `json:"id"`
	// Kind is the dossier part: letter, council_minutes, achievement_report or supporting.
	Kind string `json:"kind"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Name is the file name it was uploaded under.
	Name string `json:"name"`
	// ContentType is the file's MIME type.
	ContentType string `json:"content_type"`
	// Event is the id of the nomination.document_attached event.
	Event string `json:"event"`
	// At is when the document was attached (the event's recorded time).
	At time.Time `json:"at"`
}

// VoteView is the latest council vote of a nomination.
type VoteView struct {
	// MeetingDate is the date of the council meeting (YYYY-MM-DD).
	MeetingDate string `json:"meeting_date"`
	// Members is the number of council members.
	Members int `json:"members"`
	// Present is the number of members present.
	Present int `json:"present"`
	// Approve is the number of members who approved.
	Approve int `json:"approve"`
	// Passes tells whether the vote reaches the campaign's quorum and approval threshold.
	Passes bool `json:"passes"`
	// Event is the id of the nomination.council_vote_recorded event.
	Event string `json:"event"`
}

// CriterionView is one criterion's result on a nomination.
type CriterionView struct {
	// Result is met, not_met, pending, not_applicable or excluded.
	Result string `json:"result"`
	// Note explains the result in English (a ruling's note is the reviewer's own words).
	Note string `json:"note,omitempty"`
	// NoteVI is Note in Vietnamese.
	NoteVI string `json:"note_vi,omitempty"`
	// Events are the ids of the events the result rests on.
	Events []string `json:"events"`
	// LabelVI is the criterion's wording in Vietnamese, as the plan has it.
	LabelVI string `json:"label_vi"`
	// LabelEN is the criterion's wording in English.
	LabelEN string `json:"label_en"`
	// JudgedBy is "ruling" (a reviewer rules) or "facts" (the unit's recorded facts decide).
	JudgedBy string `json:"judged_by"`
}

// NominationView is a nomination as the API shows it.
type NominationView struct {
	// ID is the nomination's id.
	ID string `json:"id"`
	// Campaign is the id of the campaign the nomination belongs to.
	Campaign string `json:"campaign"`
	// Unit is the id of the nomination's current unit (the successor after a merger).
	Unit string `json:"unit"`
	// UnitName is the current name of Unit.
	UnitName string `json:"unit_name"`
	// UnitHistory lists the units the nomination belonged to before transfers, oldest first.
	UnitHistory []string `json:"unit_history,omitempty"`
	// Nominee is who is nominated: the unit itself or one of its people.
	Nominee domain.Nominee `json:"nominee"`
	// State is the workflow state (draft, submitted, under_review, …).
	State string `json:"state"`
	// Version is the stream sequence of the nomination's last event (its ETag).
	Version uint64 `json:"version"`
	// Documents is the dossier, in the order attached.
	Documents []DocumentView `json:"documents"`
	// CouncilVote is the latest council vote (nil when none was recorded).
	CouncilVote *VoteView `json:"council_vote,omitempty"`
	// Criteria holds each criterion's result, by criterion id.
	Criteria map[string]CriterionView `json:"criteria"`
	// Eligible tells whether the nomination is eligible now.
	Eligible bool `json:"eligible"`
	// Award is the id of the nomination's award ("" when none; kept after revocation).
	Award string `json:"award,omitempty"`
	// OpenedAt is when the nomination was opened (the event's recorded time).
	OpenedAt time.Time `json:"opened_at"`
	// SubmittedAt is when the latest submission was recorded (nil if never submitted).
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	// OpenedBy is the id of the user who opened the nomination.
	OpenedBy string `json:"opened_by"`
	// SubmittedBy is the id of the user who made the latest submission.
	SubmittedBy string `json:"submitted_by,omitempty"`
	// Seq repeats Version.
	Seq uint64 `json:"seq"`
	// Integrity says whether the events the nomination relies on verify (integrity.go).
	Integrity IntegrityView `json:"integrity"`
}

// ReasonView is one reason a nomination is not eligible.
type ReasonView struct {
	// Code is the reason's stable code (e.g. "dossier_incomplete", or an exclusion's code).
	Code string `json:"code"`
	// Criterion is the id of the criterion concerned, when one is.
	Criterion string `json:"criterion,omitempty"`
	// MessageVI explains the reason in Vietnamese.
	MessageVI string `json:"message_vi"`
	// MessageEN explains the reason in English.
	MessageEN string `json:"message_en"`
	// Events are the ids of the events that caused it.
	Events []string `json:"events"`
	// EventDetails says, for each of Events in its order, what it is, when it was recorded,
	// by whom and in which aggregate's stream: what an auditor asks of the events behind a
	// reason, without a second request per event.
	EventDetails []EventRefView `json:"event_details"`
}

// EventRefView is an event a reason rests on.
type EventRefView struct {
	// ID is the event's ULID.
	ID string `json:"id"`
	// Seq is the stream sequence of the commit that carries it.
	Seq uint64 `json:"seq"`
	// Type names the event.
	Type string `json:"type"`
	// At is when it was recorded.
	At time.Time `json:"at"`
	// Actor is who caused it, with the user's display name.
	Actor ActorView `json:"actor"`
	// Aggregate is the aggregate whose stream holds it.
	Aggregate eventstore.Ref `json:"aggregate"`
}

// EligibilityView answers "is this nomination eligible, and if not, why" at a moment.
type EligibilityView struct {
	// Nomination is the nomination's id.
	Nomination string `json:"nomination"`
	// AsOf is the moment answered for: the bound's time, or else the latest event's recorded time.
	AsOf time.Time `json:"as_of"`
	// AsOfSeq is the highest stream sequence among the events the answer read.
	AsOfSeq uint64 `json:"as_of_seq"`
	// State is the nomination's workflow state at that moment.
	State string `json:"state"`
	// Unit is the nomination's unit at that moment.
	Unit string `json:"unit"`
	// Eligible tells whether the nomination is eligible at that moment.
	Eligible bool `json:"eligible"`
	// Reasons are why the nomination is not eligible.
	Reasons []ReasonView `json:"reasons"`
	// Criteria holds each criterion's result, by criterion id.
	Criteria map[string]CriterionView `json:"criteria"`
	// DefinitionVersion is the version of the campaign definition the rules came from.
	DefinitionVersion int `json:"definition_version"`
	// Integrity says whether the events the answer relies on verify (integrity.go).
	Integrity IntegrityView `json:"integrity"`
}

// RankEntryView is one place in a ranking.
type RankEntryView struct {
	// Rank is the entry's place, from 1.
	Rank int `json:"rank"`
	// Nomination is the nomination's id.
	Nomination string `json:"nomination"`
	// Unit is the nomination's unit.
	Unit string `json:"unit"`
	// Name is the nominee's name (the unit's name for a collective without one).
	Name string `json:"name"`
	// Recommended tells whether the entry holds or is recommended for one of the quota's places.
	Recommended bool `json:"recommended"`
	// Withheld says why an entry within the quota's reach is not recommended
	// (domain.WithheldLineage: another nomination of its unit ranks above it).
	Withheld string `json:"withheld,omitempty"`
	// Awarded tells whether the nomination holds an award in force.
	Awarded bool `json:"awarded"`
	// Keys holds the value of each of the campaign's ranking keys, by key.
	Keys map[string]any `json:"keys"`
	// DecidedBy names the first ranking key that separated the entry from the one above
	// ("" for the first; "nomination" when only the id did).
	DecidedBy string `json:"decided_by,omitempty"`
}

// RankingKindView is the ranking of one nominee kind.
type RankingKindView struct {
	// Quota is the campaign's quota of awards of the kind.
	Quota int `json:"quota"`
	// Awarded is the number of awards of the kind in force (not revoked).
	Awarded int `json:"awarded"`
	// Entries are the eligible nominations of the kind, best first.
	Entries []RankEntryView `json:"entries"`
	// AwardedUnranked are the awards in force whose nomination is not eligible at the
	// moment (a fact recorded after the grant excludes it, say), so not among the entries:
	// each still holds a place until the council revokes it, and Awarded counts it.
	AwardedUnranked []UnrankedAwardView `json:"awarded_unranked"`
}

// UnrankedAwardView is an award in force whose nomination is not ranked at the moment.
type UnrankedAwardView struct {
	// Award is the award's id.
	Award string `json:"award"`
	// Nomination is the id of the nomination that holds it.
	Nomination string `json:"nomination"`
	// Unit is the nomination's unit at the grant.
	Unit string `json:"unit"`
	// Name is an individual's name ("" for a collective: the unit).
	Name string `json:"name,omitempty"`
	// Decision is the award decision: its number and date.
	Decision string `json:"decision"`
}

// RankingView is a campaign's ranking at a moment.
type RankingView struct {
	// Campaign is the campaign's id.
	Campaign string `json:"campaign"`
	// AsOf is the moment ranked: the bound's time, or else the latest event's recorded time.
	AsOf time.Time `json:"as_of"`
	// AsOfSeq is the highest stream sequence among the events the ranking read.
	AsOfSeq uint64 `json:"as_of_seq"`
	// Keys are the campaign's ranking keys, in the order applied: the definition's own
	// slice, shared by every reader (never written to).
	Keys []string `json:"keys"`
	// Collective is the ranking of collective nominations.
	Collective RankingKindView `json:"collective"`
	// Individual is the ranking of individual nominations.
	Individual RankingKindView `json:"individual"`
	// Integrity says whether the campaign's own events and the stream (no message lost)
	// verify up to the moment; each entry's nomination is checked in its evaluation.
	Integrity IntegrityView `json:"integrity"`
}

// CriterionDefView is a criterion of a campaign as the API lists it.
type CriterionDefView struct {
	// ID is the criterion's id (C01, I01, H01 …).
	ID string `json:"id"`
	// AppliesTo is "collective", "individual" or "head".
	AppliesTo string `json:"applies_to"`
	// LabelVI is the criterion's wording in Vietnamese, as the plan has it.
	LabelVI string `json:"label_vi"`
	// LabelEN is the criterion's wording in English.
	LabelEN string `json:"label_en"`
	// JudgedBy is "ruling" (a reviewer rules) or "facts" (the unit's recorded facts decide).
	JudgedBy string `json:"judged_by"`
}

// CampaignView is a campaign as the API shows it.
type CampaignView struct {
	// ID is the campaign's id.
	ID string `json:"id"`
	// Version is the version of the definition in force.
	Version int `json:"version"`
	// NameVI is the campaign's name in Vietnamese.
	NameVI string `json:"name_vi"`
	// NameEN is the campaign's name in English.
	NameEN string `json:"name_en"`
	// Starts is the campaign's first day (YYYY-MM-DD, in its time zone).
	Starts string `json:"starts"`
	// Ends is the campaign's last day (YYYY-MM-DD, in its time zone).
	Ends string `json:"ends"`
	// Deadline is the nomination deadline (nil when none is set).
	Deadline *time.Time `json:"deadline,omitempty"`
	// Quota is the campaign's award quota.
	Quota QuotaView `json:"quota"`
	// Criteria are the campaign's criteria, in the definition's order.
	Criteria []CriterionDefView `json:"criteria"`
	// Definition is the definition in force. Its slices are the model's own, shared by
	// every reader: read them, never write to them (clone first).
	Definition domain.Definition `json:"definition"`
	// Seq is the stream sequence of the campaign's last event (its ETag).
	Seq uint64 `json:"seq"`
}

// QuotaView is a campaign's award quota.
type QuotaView struct {
	// Collective is the most collective awards the campaign grants.
	Collective int `json:"collective"`
	// Individual is the most individual awards the campaign grants.
	Individual int `json:"individual"`
}

// AwardView is a granted award.
type AwardView struct {
	// ID is the award's id.
	ID string `json:"id"`
	// Campaign is the id of the campaign that granted it.
	Campaign string `json:"campaign"`
	// Nomination is the id of the awarded nomination.
	Nomination string `json:"nomination"`
	// Unit is the nomination's unit at the grant.
	Unit string `json:"unit"`
	// Kind is the nominee's kind: "collective" or "individual".
	Kind string `json:"kind"`
	// Decision is the award decision: its number and date.
	Decision string `json:"decision"`
	// Revoked tells whether the award was revoked.
	Revoked bool `json:"revoked"`
	// Event is the id of the grant's event, GrantedAt when it was recorded, GrantedBy who
	// granted it, and RankingSeq the stream sequence of the ranking the grant relied on
	// (its event carries that ranking).
	Event      string    `json:"event"`
	GrantedAt  time.Time `json:"granted_at"`
	GrantedBy  ActorView `json:"granted_by"`
	RankingSeq uint64    `json:"ranking_seq,omitempty"`
	// Revocation says how the award was revoked, when it was.
	Revocation *RevocationView `json:"revocation,omitempty"`
	// Version is the stream sequence of the last event of the campaign that holds the
	// award (an award is part of its campaign's history): its ETag, and the version an
	// If-Match on its revocation names.
	Version uint64 `json:"version"`
}

// RevocationView is an award's revocation: its event, when it was recorded and by whom,
// the legal ground and the council's reasons.
type RevocationView struct {
	Event  string    `json:"event"`
	At     time.Time `json:"at"`
	By     ActorView `json:"by"`
	Ground string    `json:"ground"`
	Note   string    `json:"note,omitempty"`
}

// UserView is a user as the API shows it (never the token).
type UserView struct {
	// ID is the user's id.
	ID string `json:"id"`
	// Name is the user's display name.
	Name string `json:"name"`
	// Role is admin, clerk, reviewer, council or auditor.
	Role string `json:"role"`
	// Unit is a clerk's unit, or the unit a reviewer has a conflict of interest with.
	Unit string `json:"unit,omitempty"`
	// Disabled tells whether the user was disabled.
	Disabled bool `json:"disabled"`
}
