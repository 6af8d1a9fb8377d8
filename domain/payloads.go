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
	return ruleErr("invalid_document_kind",
		"document kind "+quote(string(kind))+" is not one of letter, council_minutes, achievement_report, supporting",
		"Loại tài liệu "+quote(string(kind))+" không hợp lệ (letter, council_minutes, achievement_report, supporting)")
}

// DocumentRef points at a stored evidence file by its SHA-256.
type DocumentRef struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
}

// Nominee is who a nomination proposes: a collective (the unit) or an individual.
type Nominee struct {
	Kind NomineeKind `json:"kind"`
	// Name is the person's name (individual) or the unit's name (collective).
	Name string `json:"name,omitempty"`
	// Position is the person's position (individuals only).
	Position string `json:"position,omitempty"`
	// Gender is "", "female" or "male" (individuals only).
	Gender string `json:"gender,omitempty"`
	// Head marks the head of the unit (individuals only): criteria H01–H05 apply too.
	Head bool `json:"head,omitempty"`
}

// UnitRegisteredData is the payload of unit.registered.
type UnitRegisteredData struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Kind   UnitKind `json:"kind"`
	Parent string   `json:"parent,omitempty"`
}

// PlanSubmittedData is the payload of unit.plan_submitted: the unit's own emulation plan
// for a campaign (plan section V.1).
type PlanSubmittedData struct {
	Campaign string      `json:"campaign"`
	Document DocumentRef `json:"document"`
}

// FactRecordedData is the payload of unit.fact_recorded (schema version 2): a verified
// fact about a unit in a campaign. Number carries numeric facts, Text textual ones;
// index_component facts carry Index, Component, Number and Previous, or Status
// "not_published".
type FactRecordedData struct {
	Campaign  string       `json:"campaign"`
	Fact      string       `json:"fact"`
	Number    *float64     `json:"number,omitempty"`
	Text      string       `json:"text,omitempty"`
	Index     string       `json:"index,omitempty"`
	Component string       `json:"component,omitempty"`
	Previous  *float64     `json:"previous,omitempty"`
	Status    string       `json:"status,omitempty"`
	Cause     string       `json:"cause,omitempty"`
	Note      string       `json:"note,omitempty"`
	Document  *DocumentRef `json:"document,omitempty"`
}

// UnitMergedData is the payload of unit.merged, recorded on each source of a merger.
type UnitMergedData struct {
	Reorganisation string `json:"reorganisation"`
	Successor      string `json:"successor"`
	Effective      string `json:"effective"`
	Decision       string `json:"decision"`
}

// UnitNominatedData is the payload of unit.nominated: the unit opened nomination
// Nomination in Campaign, of a nominee of Kind (Name: an individual's); or, with
// Corrected, it corrected that nomination's individual nominee, now named Name.
type UnitNominatedData struct {
	Campaign   string      `json:"campaign"`
	Nomination string      `json:"nomination"`
	Kind       NomineeKind `json:"kind"`
	Name       string      `json:"name,omitempty"`
	Corrected  bool        `json:"corrected,omitempty"`
}

// IDClaimedData is the payload of claim.id_claimed: the id ID of a new aggregate of Kind
// (KindUnit or KindCampaign), as it was written.
type IDClaimedData struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// UnitAwardNotedData is the payload of unit.award_noted: Award of Campaign was granted to
// Nomination, then of Unit, and relied on this unit's facts and plan.
type UnitAwardNotedData struct {
	Campaign   string `json:"campaign"`
	Nomination string `json:"nomination"`
	Award      string `json:"award"`
	Unit       string `json:"unit"`
}

// UnitAbsorbedData is the payload of unit.absorbed, recorded on the successor of a merger.
type UnitAbsorbedData struct {
	Reorganisation string   `json:"reorganisation"`
	Sources        []string `json:"sources"`
	Effective      string   `json:"effective"`
	Decision       string   `json:"decision"`
}

// NominationOpenedData is the payload of nomination.opened. ID is the nomination's own id
// (the aggregate id), so that the aggregate knows it from its first event.
type NominationOpenedData struct {
	ID       string  `json:"id"`
	Campaign string  `json:"campaign"`
	Unit     string  `json:"unit"`
	Nominee  Nominee `json:"nominee"`
}

// DocumentAttachedData is the payload of nomination.document_attached.
type DocumentAttachedData struct {
	Kind     DocKind     `json:"kind"`
	Document DocumentRef `json:"document"`
}

// CouncilVoteData is the payload of nomination.council_vote_recorded: the minutes of the
// unit's Emulation-Commendation Council meeting.
type CouncilVoteData struct {
	MeetingDate string `json:"meeting_date"`
	Members     int    `json:"members"`
	Present     int    `json:"present"`
	Approve     int    `json:"approve"`
}

// SubmittedData is the (empty) payload of nomination.submitted.
type SubmittedData struct{}

// ReviewStartedData is the (empty) payload of nomination.review_started.
type ReviewStartedData struct{}

// CriterionRuledData is the payload of nomination.criterion_ruled.
type CriterionRuledData struct {
	Criterion string       `json:"criterion"`
	Result    string       `json:"result"`
	Note      string       `json:"note,omitempty"`
	Document  *DocumentRef `json:"document,omitempty"`
}

// VerifiedData is the (empty) payload of nomination.verified.
type VerifiedData struct{}

// ReviewReopenedData is the payload of nomination.review_reopened: a verified nomination
// went back under review because Criterion was ruled not met.
type ReviewReopenedData struct {
	Criterion string `json:"criterion"`
}

// ReasonData is the payload of nomination.returned, nomination.withdrawn,
// nomination.held and nomination.released.
type ReasonData struct {
	Reason string `json:"reason"`
}

// NomineeCorrectedData is the payload of nomination.nominee_corrected: the individual
// nominee as corrected (the whole of it, kind unchanged) and why.
type NomineeCorrectedData struct {
	Nominee Nominee `json:"nominee"`
	Reason  string  `json:"reason"`
}

// NominationAwardedData is the payload of nomination.awarded.
type NominationAwardedData struct {
	Award    string `json:"award"`
	Decision string `json:"decision"`
}

// NominationAwardRevokedData is the payload of nomination.award_revoked.
type NominationAwardRevokedData struct {
	Award  string `json:"award"`
	Ground string `json:"ground"`
	Note   string `json:"note,omitempty"`
}

// TransferredData is the payload of nomination.transferred: after a merger the
// nomination continues under the successor unit.
type TransferredData struct {
	From           string `json:"from"`
	To             string `json:"to"`
	Reorganisation string `json:"reorganisation"`
	Effective      string `json:"effective"`
}

// CampaignLaunchedData is the payload of campaign.launched.
type CampaignLaunchedData struct {
	Definition Definition `json:"definition"`
}

// CampaignRevisedData is the payload of campaign.revised: a new version of the rules.
type CampaignRevisedData struct {
	Definition Definition `json:"definition"`
}

// UnitsMergedNotedData is the payload of campaign.units_merged: the reorganisation (its
// id, as in unit.absorbed), the successor, the sources and the effective date.
type UnitsMergedNotedData struct {
	Reorganisation string   `json:"reorganisation"`
	Successor      string   `json:"successor"`
	Sources        []string `json:"sources"`
	Effective      string   `json:"effective"`
}

// DeadlineSetData is the payload of campaign.deadline_set.
type DeadlineSetData struct {
	Closes time.Time `json:"closes"`
}

// RankingRef is one line of the ranking a grant relied on.
type RankingRef struct {
	Nomination  string `json:"nomination"`
	Rank        int    `json:"rank"`
	Recommended bool   `json:"recommended"`
}

// AwardGrantedData is the payload of campaign.award_granted.
type AwardGrantedData struct {
	Award      string      `json:"award"`
	Nomination string      `json:"nomination"`
	Unit       string      `json:"unit"`
	Lineage    []string    `json:"lineage"`
	Kind       NomineeKind `json:"kind"`
	// Nominee is an individual's name (absent from grants recorded before it was kept).
	Nominee  string       `json:"nominee,omitempty"`
	Decision string       `json:"decision"`
	Ranking  []RankingRef `json:"ranking,omitempty"`
}

// AwardRevokedData is the payload of campaign.award_revoked.
type AwardRevokedData struct {
	Award      string `json:"award"`
	Nomination string `json:"nomination"`
	Ground     string `json:"ground"`
	Note       string `json:"note,omitempty"`
}

// UserRegisteredData is the payload of registry.user_registered. TokenHash is the hash
// of the user's bearer token; the token itself is never stored.
type UserRegisteredData struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	Unit      string `json:"unit,omitempty"`
	TokenHash string `json:"token_hash"`
}

// UserDisabledData is the payload of registry.user_disabled.
type UserDisabledData struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// UserTokenReissuedData is the payload of registry.user_token_reissued: the hash of the
// user's new token, which replaces the old one (the old token stops working).
type UserTokenReissuedData struct {
	ID        string `json:"id"`
	TokenHash string `json:"token_hash"`
}
