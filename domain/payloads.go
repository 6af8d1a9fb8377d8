package domain

import (
	"time"
)

// UnitKind is the kind of an organisational unit (plan section II.1).
type UnitKind string

// Unit kinds.
const (
	// UnitDepartment is a provincial department or agency (sở, ban, ngành).
	UnitDepartment UnitKind = "department"
	// UnitVertical is a vertical agency of a central ministry in the province (ngành dọc).
	UnitVertical UnitKind = "vertical"
	// UnitDistrict is a district People's Committee (UBND cấp huyện).
	UnitDistrict UnitKind = "district"
	// UnitCommune is a commune People's Committee (UBND cấp xã).
	UnitCommune UnitKind = "commune"
)

// Valid reports whether k is one of the known unit kinds.
func (k UnitKind) Valid() bool {
	switch k {
	case UnitDepartment, UnitVertical, UnitDistrict, UnitCommune:
		return true
	}
	return false
}

// NomineeKind tells a collective nomination from an individual one.
type NomineeKind string

// Nominee kinds.
const (
	// NomineeCollective is a unit nominated as a collective (tập thể).
	NomineeCollective NomineeKind = "collective"
	// NomineeIndividual is a person nominated as an individual (cá nhân).
	NomineeIndividual NomineeKind = "individual"
)

// Valid reports whether k is a known nominee kind.
func (k NomineeKind) Valid() bool { return k == NomineeCollective || k == NomineeIndividual }

// DocKind is the kind of a document attached to a nomination (plan section III.2).
type DocKind string

// Document kinds.
const (
	// DocLetter is the unit's nomination letter (văn bản đề nghị khen thưởng).
	DocLetter DocKind = "letter"
	// DocCouncilMinutes is the minutes of the unit's council meeting (biên bản họp Hội đồng).
	DocCouncilMinutes DocKind = "council_minutes"
	// DocAchievementReport is the achievement report (báo cáo thành tích).
	DocAchievementReport DocKind = "achievement_report"
	// DocSupporting is any other supporting evidence.
	DocSupporting DocKind = "supporting"
)

// Valid reports whether k is a known document kind.
func (k DocKind) Valid() bool {
	switch k {
	case DocLetter, DocCouncilMinutes, DocAchievementReport, DocSupporting:
		return true
	}
	return false
}

// ValidateDocKind returns a *RuleError with code invalid_document_kind unless kind is one
// of letter, council_minutes, achievement_report or supporting.
func ValidateDocKind(kind DocKind) error {
	if kind.Valid() {
		return nil
	}
	return malformedErr("kind", "invalid_document_kind",
		"document kind "+quote(string(kind))+" is not one of letter, council_minutes, achievement_report, supporting",
		"Loại tài liệu "+quote(string(kind))+" không hợp lệ (letter, council_minutes, achievement_report, supporting)")
}

// DocumentRef points at a stored evidence file by its SHA-256.
type DocumentRef struct {
	// ID is the document's id in the document store (its SHA-256, as SHA256).
	ID string `json:"id"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Name is the file name it was uploaded under (at most 255 bytes).
	Name string `json:"name"`
	// ContentType is the file's MIME type, as the uploader sent it.
	ContentType string `json:"content_type"`
}

// Nominee is who a nomination proposes: a collective (the unit) or an individual.
type Nominee struct {
	// Kind is NomineeCollective ("collective") or NomineeIndividual ("individual").
	Kind NomineeKind `json:"kind"`
	// Name is the person's name (individual) or the unit's name (collective).
	Name string `json:"name,omitempty"`
	// Position is the person's position (individuals only).
	Position string `json:"position,omitempty"`
	// Gender is "", "female" or "male" (individuals only).
	Gender string `json:"gender,omitempty"`
	// Head marks the head of the unit (individuals only): criteria H01–H05 apply too.
	Head bool `json:"head,omitempty"`
	// NotHead is the unit's statement that an individual whose position reads as a
	// head's (LooksLikeHead: "Giám đốc Trung tâm …") does not head the unit nominating
	// them; without it, or Head, such a nominee is refused (head_undeclared).
	NotHead bool `json:"not_head,omitempty"`
}

// UnitRegisteredData is the payload of unit.registered.
type UnitRegisteredData struct {
	// ID is the new unit's id.
	ID string `json:"id"`
	// Name is the unit's name: trimmed, in Unicode NFC, 1 to 300 characters.
	Name string `json:"name"`
	// Kind is the unit's kind: department, vertical, district or commune.
	Kind UnitKind `json:"kind"`
	// Parent is the id of the unit's parent unit (đơn vị chủ quản); "" when none.
	Parent string `json:"parent,omitempty"`
}

// PlanSubmittedData is the payload of unit.plan_submitted: the unit's own emulation plan
// for a campaign (plan section V.1).
type PlanSubmittedData struct {
	// Campaign is the id of the campaign the plan is for.
	Campaign string `json:"campaign"`
	// Document is the stored plan document; it supersedes the unit's earlier plan for Campaign.
	Document DocumentRef `json:"document"`
}

// FactRecordedData is the payload of unit.fact_recorded (schema version 2): a verified
// fact about a unit in a campaign. Number carries numeric facts, Text textual ones;
// index_component facts carry Index, Component, Number and Previous, or Status
// "not_published".
type FactRecordedData struct {
	// Campaign is the id of the campaign the fact is recorded for.
	Campaign string `json:"campaign"`
	// Fact is the fact's name, one of the Fact constants (e.g. "par_index_score").
	Fact string `json:"fact"`
	// Number is a numeric fact's value (this year's score for an index_component).
	Number *float64 `json:"number,omitempty"`
	// Text is a textual fact's value (par_rating: "Tốt", "Khá", "Trung bình" or "Yếu").
	Text string `json:"text,omitempty"`
	// Index is an index_component's index: "PAR_INDEX", "PCI", "PAPI" or "SIPAS".
	Index string `json:"index,omitempty"`
	// Component is an index_component's component name (1 to 300 bytes).
	Component string `json:"component,omitempty"`
	// Previous is an index_component's score of the previous year.
	Previous *float64 `json:"previous,omitempty"`
	// Status is "", StatusNotPublished ("not_published") or StatusNotAssigned ("not_assigned").
	Status string `json:"status,omitempty"`
	// Cause is a shortfall's cause: "", "subjective" or "objective".
	Cause string `json:"cause,omitempty"`
	// Note is a free-text note (at most 2,000 characters; required when not_assigned).
	Note string `json:"note,omitempty"`
	// Document is the cited evidence document, if any.
	Document *DocumentRef `json:"document,omitempty"`
}

// UnitMergedData is the payload of unit.merged, recorded on each source of a merger.
type UnitMergedData struct {
	// Reorganisation is the id (a ULID) of the reorganisation that merged the unit.
	Reorganisation string `json:"reorganisation"`
	// Successor is the id of the unit this one merged into.
	Successor string `json:"successor"`
	// Effective is the merger's effective date (YYYY-MM-DD).
	Effective string `json:"effective"`
	// Decision is the province's merger decision (1 to 2,000 characters).
	Decision string `json:"decision"`
}

// UnitNominatedData is the payload of unit.nominated: the unit opened nomination
// Nomination in Campaign, of a nominee of Kind (Name: an individual's); or, with
// Corrected, it corrected that nomination's individual nominee, now named Name.
type UnitNominatedData struct {
	// Campaign is the id of the nomination's campaign.
	Campaign string `json:"campaign"`
	// Nomination is the nomination's id.
	Nomination string `json:"nomination"`
	// Kind is the nominee's kind: "collective" or "individual".
	Kind NomineeKind `json:"kind"`
	// Name is an individual nominee's name ("" for a collective).
	Name string `json:"name,omitempty"`
	// Corrected marks a correction of the nominee (NomineeCorrected), not an opening.
	Corrected bool `json:"corrected,omitempty"`
}

// IDClaimedData is the payload of claim.id_claimed: the id ID of a new aggregate of Kind
// (KindUnit or KindCampaign), as it was written.
type IDClaimedData struct {
	// Kind is the aggregate kind the id is claimed for: KindUnit or KindCampaign.
	Kind string `json:"kind"`
	// ID is the claimed id, with its letter case as written.
	ID string `json:"id"`
}

// UnitSubordinateRegisteredData is the payload of unit.subordinate_registered: Unit was
// registered under this unit.
type UnitSubordinateRegisteredData struct {
	// Unit is the id of the unit registered under this one.
	Unit string `json:"unit"`
}

// UnitHoldNotedData is the payload of unit.hold_noted: Nomination of Campaign, an
// individual's of this unit, was put on hold.
type UnitHoldNotedData struct {
	// Campaign is the id of the nomination's campaign.
	Campaign string `json:"campaign"`
	// Nomination is the id of the nomination put on hold.
	Nomination string `json:"nomination"`
}

// UnitAwardNotedData is the payload of unit.award_noted: Award of Campaign was granted to
// Nomination, then of Unit, and relied on this unit's facts and plan.
type UnitAwardNotedData struct {
	// Campaign is the id of the campaign that granted the award.
	Campaign string `json:"campaign"`
	// Nomination is the id of the awarded nomination.
	Nomination string `json:"nomination"`
	// Award is the id of the award granted.
	Award string `json:"award"`
	// Unit is the nomination's unit at the grant.
	Unit string `json:"unit"`
}

// UnitAbsorbedData is the payload of unit.absorbed, recorded on the successor of a merger.
type UnitAbsorbedData struct {
	// Reorganisation is the id (a ULID) of the reorganisation.
	Reorganisation string `json:"reorganisation"`
	// Sources are the ids of the units merged into this one, in the order named.
	Sources []string `json:"sources"`
	// Effective is the merger's effective date (YYYY-MM-DD).
	Effective string `json:"effective"`
	// Decision is the province's merger decision (1 to 2,000 characters).
	Decision string `json:"decision"`
}

// NominationOpenedData is the payload of nomination.opened. ID is the nomination's own id
// (the aggregate id), so that the aggregate knows it from its first event.
type NominationOpenedData struct {
	// ID is the nomination's id.
	ID string `json:"id"`
	// Campaign is the id of the campaign the nomination belongs to.
	Campaign string `json:"campaign"`
	// Unit is the id of the nominating unit.
	Unit string `json:"unit"`
	// Nominee is who is nominated: the unit itself or one of its people.
	Nominee Nominee `json:"nominee"`
}

// DocumentAttachedData is the payload of nomination.document_attached.
type DocumentAttachedData struct {
	// Kind is the dossier part: letter, council_minutes, achievement_report or supporting.
	Kind DocKind `json:"kind"`
	// Document is the stored file attached.
	Document DocumentRef `json:"document"`
}

// CouncilVoteData is the payload of nomination.council_vote_recorded: the minutes of the
// unit's Emulation-Commendation Council meeting.
type CouncilVoteData struct {
	// MeetingDate is the date of the council meeting (YYYY-MM-DD).
	MeetingDate string `json:"meeting_date"`
	// Members is the number of council members (1 to MaxCouncilMembers).
	Members int `json:"members"`
	// Present is the number of members present (at most Members).
	Present int `json:"present"`
	// Approve is the number of members who approved (at most Present).
	Approve int `json:"approve"`
}

// SubmittedData is the (empty) payload of nomination.submitted.
type SubmittedData struct{}

// ReviewStartedData is the (empty) payload of nomination.review_started.
type ReviewStartedData struct{}

// CriterionRuledData is the payload of nomination.criterion_ruled.
type CriterionRuledData struct {
	// Criterion is the id of the criterion ruled on (one judged by ruling).
	Criterion string `json:"criterion"`
	// Result is ResultMet, ResultNotMet or ResultNotApplicable.
	Result string `json:"result"`
	// Note is the reviewer's grounds (at most 2,000 characters; required for not_met).
	Note string `json:"note,omitempty"`
	// Document is the evidence the reviewer cites, if any.
	Document *DocumentRef `json:"document,omitempty"`
}

// VerifiedData is the (empty) payload of nomination.verified.
type VerifiedData struct{}

// ReviewReopenedData is the payload of nomination.review_reopened: a verified nomination
// went back under review because Criterion was ruled not met.
type ReviewReopenedData struct {
	// Criterion is the id of the criterion ruled not_met.
	Criterion string `json:"criterion"`
}

// ReasonData is the payload of nomination.returned, nomination.withdrawn,
// nomination.held and nomination.released.
type ReasonData struct {
	// Reason is why, in the actor's words (1 to 2,000 characters).
	Reason string `json:"reason"`
}

// NomineeCorrectedData is the payload of nomination.nominee_corrected: the individual
// nominee as corrected (the whole of it, kind unchanged) and why.
type NomineeCorrectedData struct {
	// Nominee is the corrected individual nominee, in full.
	Nominee Nominee `json:"nominee"`
	// Reason is why the nominee was corrected (1 to 2,000 characters).
	Reason string `json:"reason"`
}

// NominationAwardedData is the payload of nomination.awarded.
type NominationAwardedData struct {
	// Award is the id of the award granted (as in campaign.award_granted).
	Award string `json:"award"`
	// Decision is the award decision: its number and date.
	Decision string `json:"decision"`
}

// NominationAwardRevokedData is the payload of nomination.award_revoked.
type NominationAwardRevokedData struct {
	// Award is the id of the revoked award.
	Award string `json:"award"`
	// Ground is the revocation ground, one of the Ground constants (e.g. "false_declaration").
	Ground string `json:"ground"`
	// Note states the grounds in the council's words (at most 2,000 characters).
	Note string `json:"note,omitempty"`
}

// TransferredData is the payload of nomination.transferred: after a merger the
// nomination continues under the successor unit.
type TransferredData struct {
	// From is the id of the unit the nomination leaves.
	From string `json:"from"`
	// To is the id of the successor unit.
	To string `json:"to"`
	// Reorganisation is the id (a ULID) of the reorganisation behind the transfer.
	Reorganisation string `json:"reorganisation"`
	// Effective is the merger's effective date (YYYY-MM-DD).
	Effective string `json:"effective"`
}

// CampaignLaunchedData is the payload of campaign.launched.
type CampaignLaunchedData struct {
	// Definition is the campaign's first definition.
	Definition Definition `json:"definition"`
}

// CampaignRevisedData is the payload of campaign.revised: a new version of the rules.
type CampaignRevisedData struct {
	// Definition is the new definition, same id and a higher Version.
	Definition Definition `json:"definition"`
}

// UnitsMergedNotedData is the payload of campaign.units_merged: the reorganisation (its
// id, as in unit.absorbed), the successor, the sources and the effective date.
type UnitsMergedNotedData struct {
	// Reorganisation is the id (a ULID) of the reorganisation.
	Reorganisation string `json:"reorganisation"`
	// Successor is the id of the unit the sources merged into.
	Successor string `json:"successor"`
	// Sources are the ids of the merged units, in the order named.
	Sources []string `json:"sources"`
	// Effective is the merger's effective date (YYYY-MM-DD).
	Effective string `json:"effective"`
}

// DeadlineSetData is the payload of campaign.deadline_set.
type DeadlineSetData struct {
	// Closes is the nomination deadline, in UTC (RFC 3339 in JSON).
	Closes time.Time `json:"closes"`
}

// RankingRef is one line of the ranking a grant relied on.
type RankingRef struct {
	// Nomination is the ranked nomination's id.
	Nomination string `json:"nomination"`
	// Rank is its place in the ranking, from 1.
	Rank int `json:"rank"`
	// Recommended tells whether the ranking recommended it for the award.
	Recommended bool `json:"recommended"`
}

// RankingRelied is the ranking a grant relied on: its entries of the nominee's kind, and
// the stream sequence it was computed as of (its last event taken into account; 0 when
// unknown), so that a replay of the stream up to it shows the same ranking.
type RankingRelied struct {
	// Seq is the stream sequence the ranking was computed as of, or 0.
	Seq uint64
	// Entries are the ranking's entries of the nominee's kind, in order.
	Entries []RankingRef
}

// AwardGrantedData is the payload of campaign.award_granted.
type AwardGrantedData struct {
	// Award is the new award's id (a ULID).
	Award string `json:"award"`
	// Nomination is the id of the awarded nomination.
	Nomination string `json:"nomination"`
	// Unit is the nomination's unit at the grant.
	Unit string `json:"unit"`
	// Lineage is Unit followed by every unit it absorbed, transitively.
	Lineage []string `json:"lineage"`
	// Kind is the nominee's kind: "collective" or "individual".
	Kind NomineeKind `json:"kind"`
	// Nominee is an individual's name (absent from grants recorded before it was kept).
	Nominee string `json:"nominee,omitempty"`
	// Decision is the award decision: its number and date (1 to 2,000 characters).
	Decision string `json:"decision"`
	// Ranking is the ranking of the nominee's kind that the grant relied on.
	Ranking []RankingRef `json:"ranking,omitempty"`
	// RankingSeq is the stream sequence Ranking was computed as of (its last event taken
	// into account): a replay of the stream up to it ranks the same. It is absent when the
	// deciding server held a commit above one it had not applied yet (a state the stream
	// never had, for milliseconds), and from grants recorded before it was kept.
	RankingSeq uint64 `json:"ranking_seq,omitempty"`
}

// AwardRevokedData is the payload of campaign.award_revoked.
type AwardRevokedData struct {
	// Award is the id of the revoked award.
	Award string `json:"award"`
	// Nomination is the id of the nomination that held the award.
	Nomination string `json:"nomination"`
	// Ground is the revocation ground, one of the Ground constants (e.g. "false_declaration").
	Ground string `json:"ground"`
	// Note states the grounds in the council's words (at most 2,000 characters).
	Note string `json:"note,omitempty"`
}

// UserRegisteredData is the payload of registry.user_registered. TokenHash is the hash
// of the user's bearer token; the token itself is never stored.
type UserRegisteredData struct {
	// ID is the new user's id.
	ID string `json:"id"`
	// Name is the user's display name (1 to 200 characters, unique ignoring case).
	Name string `json:"name"`
	// Role is the user's role: admin, clerk, reviewer, council or auditor.
	Role Role `json:"role"`
	// Unit is a clerk's unit, or the unit a reviewer has a conflict of interest with.
	Unit string `json:"unit,omitempty"`
	// TokenHash is the hex SHA-256 of the user's bearer token.
	TokenHash string `json:"token_hash"`
}

// UserDisabledData is the payload of registry.user_disabled.
type UserDisabledData struct {
	// ID is the disabled user's id.
	ID string `json:"id"`
	// Reason is why the user was disabled (1 to 2,000 characters).
	Reason string `json:"reason"`
}

// UserTokenReissuedData is the payload of registry.user_token_reissued: the hash of the
// user's new token, which replaces the old one (the old token stops working).
type UserTokenReissuedData struct {
	// ID is the user's id.
	ID string `json:"id"`
	// TokenHash is the hex SHA-256 of the user's new bearer token.
	TokenHash string `json:"token_hash"`
}
