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
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Kind         domain.UnitKind `json:"kind"`
	Parent       string          `json:"parent,omitempty"`
	Status       string          `json:"status"`
	Successor    string          `json:"successor,omitempty"`
	Predecessors []string        `json:"predecessors"`
	// Lineage lists every unit whose history this unit carries, transitively (itself first).
	Lineage []string `json:"lineage"`
	// Effective is the date of the merger that ended the unit, if it was merged.
	Effective string `json:"merged_effective,omitempty"`
	Version   uint64 `json:"version"`
}

// DocumentView is a dossier document of a nomination.
type DocumentView struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Event       string    `json:"event"`
	At          time.Time `json:"at"`
}

// VoteView is the latest council vote of a nomination.
type VoteView struct {
	MeetingDate string `json:"meeting_date"`
	Members     int    `json:"members"`
	Present     int    `json:"present"`
	Approve     int    `json:"approve"`
	Passes      bool   `json:"passes"`
	Event       string `json:"event"`
}

// CriterionView is one criterion's result on a nomination.
type CriterionView struct {
	Result string `json:"result"`
	// Note explains the result in English (a ruling's note is the reviewer's own words).
	Note string `json:"note,omitempty"`
	// NoteVI is Note in Vietnamese.
	NoteVI   string   `json:"note_vi,omitempty"`
	Events   []string `json:"events"`
	LabelVI  string   `json:"label_vi"`
	LabelEN  string   `json:"label_en"`
	JudgedBy string   `json:"judged_by"`
}

// NominationView is a nomination as the API shows it.
type NominationView struct {
	ID          string                   `json:"id"`
	Campaign    string                   `json:"campaign"`
	Unit        string                   `json:"unit"`
	UnitName    string                   `json:"unit_name"`
	UnitHistory []string                 `json:"unit_history,omitempty"`
	Nominee     domain.Nominee           `json:"nominee"`
	State       string                   `json:"state"`
	Version     uint64                   `json:"version"`
	Documents   []DocumentView           `json:"documents"`
	CouncilVote *VoteView                `json:"council_vote,omitempty"`
	Criteria    map[string]CriterionView `json:"criteria"`
	Eligible    bool                     `json:"eligible"`
	Award       string                   `json:"award,omitempty"`
	OpenedAt    time.Time                `json:"opened_at"`
	SubmittedAt *time.Time               `json:"submitted_at,omitempty"`
	OpenedBy    string                   `json:"opened_by"`
	SubmittedBy string                   `json:"submitted_by,omitempty"`
	Seq         uint64                   `json:"seq"`
	// Integrity says whether the events the nomination relies on verify (integrity.go).
	Integrity IntegrityView `json:"integrity"`
}

// ReasonView is one reason a nomination is not eligible.
type ReasonView struct {
	Code      string   `json:"code"`
	Criterion string   `json:"criterion,omitempty"`
	MessageVI string   `json:"message_vi"`
	MessageEN string   `json:"message_en"`
	Events    []string `json:"events"`
}

// EligibilityView answers "is this nomination eligible, and if not, why" at a moment.
type EligibilityView struct {
	Nomination string                   `json:"nomination"`
	AsOf       time.Time                `json:"as_of"`
	AsOfSeq    uint64                   `json:"as_of_seq"`
	State      string                   `json:"state"`
	Unit       string                   `json:"unit"`
	Eligible   bool                     `json:"eligible"`
	Reasons    []ReasonView             `json:"reasons"`
	Criteria   map[string]CriterionView `json:"criteria"`
	// DefinitionVersion is the version of the campaign definition the rules came from.
	DefinitionVersion int `json:"definition_version"`
	// Integrity says whether the events the answer relies on verify (integrity.go).
	Integrity IntegrityView `json:"integrity"`
}

// RankEntryView is one place in a ranking.
type RankEntryView struct {
	Rank        int    `json:"rank"`
	Nomination  string `json:"nomination"`
	Unit        string `json:"unit"`
	Name        string `json:"name"`
	Recommended bool   `json:"recommended"`
	// Withheld says why an entry within the quota's reach is not recommended
	// (domain.WithheldLineage: another nomination of its unit ranks above it).
	Withheld  string         `json:"withheld,omitempty"`
	Awarded   bool           `json:"awarded"`
	Keys      map[string]any `json:"keys"`
	DecidedBy string         `json:"decided_by,omitempty"`
}

// RankingKindView is the ranking of one nominee kind.
type RankingKindView struct {
	Quota   int             `json:"quota"`
	Awarded int             `json:"awarded"`
	Entries []RankEntryView `json:"entries"`
	// AwardedUnranked are the awards in force whose nomination is not eligible at the
	// moment (a fact recorded after the grant excludes it, say), so not among the entries:
	// each still holds a place until the council revokes it, and Awarded counts it.
	AwardedUnranked []UnrankedAwardView `json:"awarded_unranked"`
}

// UnrankedAwardView is an award in force whose nomination is not ranked at the moment.
type UnrankedAwardView struct {
	Award      string `json:"award"`
	Nomination string `json:"nomination"`
	Unit       string `json:"unit"`
	// Name is an individual's name ("" for a collective: the unit).
	Name     string `json:"name,omitempty"`
	Decision string `json:"decision"`
}

// RankingView is a campaign's ranking at a moment.
type RankingView struct {
	Campaign   string          `json:"campaign"`
	AsOf       time.Time       `json:"as_of"`
	AsOfSeq    uint64          `json:"as_of_seq"`
	Keys       []string        `json:"keys"`
	Collective RankingKindView `json:"collective"`
	Individual RankingKindView `json:"individual"`
	// Integrity says whether the campaign's own events and the stream (no message lost)
	// verify up to the moment; each entry's nomination is checked in its evaluation.
	Integrity IntegrityView `json:"integrity"`
}

// CriterionDefView is a criterion of a campaign as the API lists it.
type CriterionDefView struct {
	ID        string `json:"id"`
	AppliesTo string `json:"applies_to"`
	LabelVI   string `json:"label_vi"`
	LabelEN   string `json:"label_en"`
	JudgedBy  string `json:"judged_by"`
}

// CampaignView is a campaign as the API shows it.
type CampaignView struct {
	ID         string             `json:"id"`
	Version    int                `json:"version"`
	NameVI     string             `json:"name_vi"`
	NameEN     string             `json:"name_en"`
	Starts     string             `json:"starts"`
	Ends       string             `json:"ends"`
	Deadline   *time.Time         `json:"deadline,omitempty"`
	Quota      QuotaView          `json:"quota"`
	Criteria   []CriterionDefView `json:"criteria"`
	Definition domain.Definition  `json:"definition"`
	Seq        uint64             `json:"seq"`
}

// QuotaView is a campaign's award quota.
type QuotaView struct {
	Collective int `json:"collective"`
	Individual int `json:"individual"`
}

// AwardView is a granted award.
type AwardView struct {
	ID         string `json:"id"`
	Campaign   string `json:"campaign"`
	Nomination string `json:"nomination"`
	Unit       string `json:"unit"`
	Kind       string `json:"kind"`
	Decision   string `json:"decision"`
	Revoked    bool   `json:"revoked"`
}

// UserView is a user as the API shows it (never the token).
type UserView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Unit     string `json:"unit,omitempty"`
	Disabled bool   `json:"disabled"`
}
