package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event types of the unit aggregate.
const (
	// UnitRegistered records a new unit (UnitRegisteredData).
	UnitRegistered = "unit.registered"
	// PlanSubmitted records the unit's emulation plan for a campaign (PlanSubmittedData).
	PlanSubmitted = "unit.plan_submitted"
	// FactRecorded records a verified fact about the unit (FactRecordedData, schema 2).
	FactRecorded = "unit.fact_recorded"
	// UnitMergedEvent records, on a source unit, that it merged into a successor (UnitMergedData).
	UnitMergedEvent = "unit.merged"
	// UnitAbsorbed records, on the successor, the units it absorbed (UnitAbsorbedData).
	UnitAbsorbed = "unit.absorbed"
	// UnitNominated records, on the unit, that it opened a nomination in a campaign
	// (UnitNominatedData), in the same atomic append as nomination.opened: the unit's
	// sequence check makes two openings at once decide one after the other, so that one
	// nomination per unit and nominee holds under concurrency.
	UnitNominated = "unit.nominated"
	// UnitAwardNoted records, on each unit whose facts and plan a grant's eligibility
	// read (the nomination's line and the units its first unit had absorbed), that the
	// award was granted (UnitAwardNotedData), in the same atomic append as the grant: a
	// fact recorded on one of them at the same moment meets the unit's sequence check,
	// and the grant is decided again on it, so no award goes to a nomination a fact had
	// just excluded.
	UnitAwardNoted = "unit.award_noted"
	// UnitSubordinateRegistered records, on a parent unit, that a unit was registered under
	// it (UnitSubordinateRegisteredData), in the same atomic append as the new unit's
	// registration: the parent's sequence check makes a grant that read the parent's
	// subordinates (the share of them that broke discipline: C13) and a merger of the
	// parent decide again on the registration, instead of standing beside it.
	UnitSubordinateRegistered = "unit.subordinate_registered"
	// UnitHoldNoted records, on a nomination's unit, that the nomination was put on hold
	// (UnitHoldNotedData), in the same atomic append as nomination.held: a grant of the
	// same person's other nomination in the unit, or of the unit's other collective one
	// (which the hold stops), appends to the unit too, and one of the two decides again
	// on the other.
	UnitHoldNoted = "unit.hold_noted"
)

// Event types of the nomination aggregate.
const (
	// NominationOpened opens a nomination (NominationOpenedData).
	NominationOpened = "nomination.opened"
	// DocumentAttached attaches a dossier document (DocumentAttachedData).
	DocumentAttached = "nomination.document_attached"
	// CouncilVoteRecorded records the unit council's vote (CouncilVoteData).
	CouncilVoteRecorded = "nomination.council_vote_recorded"
	// NominationSubmitted submits the dossier (SubmittedData).
	NominationSubmitted = "nomination.submitted"
	// ReviewStarted marks the start of the review (ReviewStartedData).
	ReviewStarted = "nomination.review_started"
	// CriterionRuled records a reviewer's ruling on a criterion (CriterionRuledData).
	CriterionRuled = "nomination.criterion_ruled"
	// NominationVerified marks every ruled criterion met (VerifiedData).
	NominationVerified = "nomination.verified"
	// ReviewReopened sends a verified nomination back under review (ReviewReopenedData).
	ReviewReopened = "nomination.review_reopened"
	// NominationReturned returns the dossier for amendment (ReasonData).
	NominationReturned = "nomination.returned"
	// NominationWithdrawn withdraws the nomination (ReasonData).
	NominationWithdrawn = "nomination.withdrawn"
	// NominationHeld puts the nomination on hold (ReasonData).
	NominationHeld = "nomination.held"
	// NominationReleased releases a hold (ReasonData).
	NominationReleased = "nomination.released"
	// NominationAwarded records the award on the nomination (NominationAwardedData).
	NominationAwarded = "nomination.awarded"
	// NominationAwardRevoked records the revocation on the nomination (NominationAwardRevokedData).
	NominationAwardRevoked = "nomination.award_revoked"
	// NominationTransferred moves the nomination to a successor unit (TransferredData).
	NominationTransferred = "nomination.transferred"
	// NomineeCorrected corrects an individual nominee's declared details: name, position,
	// gender and head flag (NomineeCorrectedData).
	NomineeCorrected = "nomination.nominee_corrected"
)

// Event types of the claim aggregate (KindClaim).
const (
	// IDClaimed records that a unit or campaign id was taken (IDClaimedData), in the same
	// atomic append as the aggregate's creation (see ClaimID).
	IDClaimed = "claim.id_claimed"
)

// Event types of the campaign aggregate.
const (
	// CampaignLaunched launches a campaign (CampaignLaunchedData).
	CampaignLaunched = "campaign.launched"
	// CampaignRevised records a new version of the definition (CampaignRevisedData).
	CampaignRevised = "campaign.revised"
	// DeadlineSet sets or moves the nomination deadline (DeadlineSetData).
	DeadlineSet = "campaign.deadline_set"
	// AwardGranted grants an award within the quota (AwardGrantedData).
	AwardGranted = "campaign.award_granted"
	// AwardRevoked revokes an award and frees its place (AwardRevokedData).
	AwardRevoked = "campaign.award_revoked"
	// UnitsMergedNoted notes on the campaign a merger that joins unit lineages
	// (UnitsMergedNotedData): the campaign owns the one-collective-award-per-lineage rule,
	// so a merger passes through its stream, and a grant racing it is decided again.
	UnitsMergedNoted = "campaign.units_merged"
)

// Event types of the registry aggregate.
const (
	// UserRegistered registers a user (UserRegisteredData).
	UserRegistered = "registry.user_registered"
	// UserDisabled disables a user (UserDisabledData).
	UserDisabled = "registry.user_disabled"
	// UserTokenReissued gives a user a new token in place of the old one (UserTokenReissuedData).
	UserTokenReissued = "registry.user_token_reissued"
)

// Role is a user's role in the API.
type Role string

// Roles.
const (
	// RoleAdmin is the Department of Home Affairs administrator.
	RoleAdmin Role = "admin"
	// RoleClerk is the emulation officer of one unit.
	RoleClerk Role = "clerk"
	// RoleReviewer is a Department of Home Affairs specialist.
	RoleReviewer Role = "reviewer"
	// RoleCouncil is the secretary of the provincial council.
	RoleCouncil Role = "council"
	// RoleAuditor is the inspectorate: reads everything, writes nothing.
	RoleAuditor Role = "auditor"
	// RoleSystem is the engine itself (bootstrap, migrations); it is never registered.
	RoleSystem Role = "system"
)

// Valid reports whether r is a known role (including RoleSystem).
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleClerk, RoleReviewer, RoleCouncil, RoleAuditor, RoleSystem:
		return true
	}
	return false
}

// Actor is who caused an event.
type Actor struct {
	// User is the user's id ("system" for the engine itself).
	User string `json:"user"`
	// Role is the role the user acted in.
	Role Role `json:"role"`
}

// Event is a new event returned by a decision: its type and its payload value (not a
// pointer).
type Event struct {
	// Type is the event type, one of the catalogue's constants.
	Type string
	// Data is the payload value of Type's payload type (e.g. UnitRegisteredData).
	Data any
}

// Recorded is an event as read back from the store, with its payload already decoded to
// the payload value type. Seq is the stream sequence; At is the recorded time.
type Recorded struct {
	// ID is the event id (a ULID).
	ID string
	// Type is the event type, one of the catalogue's constants.
	Type string
	// Seq is the stream sequence of the event (events of one commit share it).
	Seq uint64
	// At is the recorded time.
	At time.Time
	// Actor is who caused the event.
	Actor Actor
	// Data is the decoded payload value.
	Data any
}

// EventSpec describes one event type's current schema Version and the Upcasters that
// turn an older version's JSON into the next one (key: the version upcast from).
type EventSpec struct {
	// Type is the event type.
	Type string
	// Version is the current schema version, from 1.
	Version int
	// Upcasters turn a payload's JSON from the version of the key to the next version.
	Upcasters map[int]func([]byte) ([]byte, error)
}

// eventTypes lists every event type, in catalogue order.
func eventTypes() []string {
	return []string{
		UnitRegistered, PlanSubmitted, FactRecorded, UnitMergedEvent, UnitAbsorbed, UnitNominated, UnitAwardNoted,
		UnitSubordinateRegistered, UnitHoldNoted, NominationOpened, DocumentAttached, CouncilVoteRecorded, NominationSubmitted, ReviewStarted,
		CriterionRuled, NominationVerified, ReviewReopened, NominationReturned, NominationWithdrawn,
		NominationHeld, NominationReleased, NominationAwarded, NominationAwardRevoked, NominationTransferred,
		NomineeCorrected, CampaignLaunched, CampaignRevised, DeadlineSet, AwardGranted, AwardRevoked, UnitsMergedNoted,
		UserRegistered, UserDisabled, UserTokenReissued, IDClaimed,
	}
}

// EventSpecs returns the schema of every event type: version 1 for all except
// unit.fact_recorded, at version 2 with an upcaster from version 1 (which named the fact
// "name" and carried its value in "value"), and campaign.launched and campaign.revised,
// at CampaignSchema, whose earlier versions read as they are (their rules_revision, left
// out, is 0).
func EventSpecs() []EventSpec {
	types := eventTypes()
	out := make([]EventSpec, 0, len(types))
	for _, t := range types {
		spec := EventSpec{Type: t, Version: SchemaVersion(t)}
		switch t {
		case FactRecorded:
			spec.Upcasters = map[int]func([]byte) ([]byte, error){1: UpcastFactRecordedV1}
		case CampaignLaunched, CampaignRevised:
			spec.Upcasters = map[int]func([]byte) ([]byte, error){}
			for v := 1; v < CampaignSchema; v++ {
				spec.Upcasters[v] = func(b []byte) ([]byte, error) { return b, nil }
			}
		}
		out = append(out, spec)
	}
	return out
}

// CampaignSchema is the schema version of campaign.launched and campaign.revised: raised
// with every rules revision after the second (CampaignSchema = CurrentRulesRevision - 2),
// so that an older thidua, which would read a campaign under a reading it does not know
// (and did: it recommended, and granted, a nominee on hold in another campaign, a review
// finding), names such an event schema_newer in its integrity report rather than reading
// it silently. 2: rules revisions 3 and 4.
const CampaignSchema = 2

// SchemaVersion returns the schema version this version of thidua writes for eventType: 2
// for unit.fact_recorded, CampaignSchema for campaign.launched and campaign.revised, 1 for
// every other type (and for a type it does not know). An event stored under a newer
// version was written by a later version of thidua, or forged: it is read as if it were
// current, and the projections say so (schema_newer).
func SchemaVersion(eventType string) int {
	switch eventType {
	case FactRecorded:
		return 2
	case CampaignLaunched, CampaignRevised:
		return CampaignSchema
	}
	return 1
}

// UpcastFactRecordedV1 turns a version 1 unit.fact_recorded payload
// {"campaign","name","value"} into version 2: "name" becomes "fact", and "value" becomes
// "number" when it is a JSON number or "text" when it is a string. Other fields are kept.
func UpcastFactRecordedV1(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("upcasting %s v1: %w", FactRecorded, err)
	}
	if m == nil {
		return nil, fmt.Errorf("upcasting %s v1: payload is null", FactRecorded)
	}
	if name, ok := m["name"]; ok {
		if _, has := m["fact"]; !has {
			m["fact"] = name
		}
		delete(m, "name")
	}
	if v, ok := m["value"]; ok {
		delete(m, "value")
		trimmed := bytes.TrimSpace(v)
		switch {
		case len(trimmed) == 0 || string(trimmed) == "null":
		case trimmed[0] == '"':
			var s string
			if err := json.Unmarshal(trimmed, &s); err != nil {
				return nil, fmt.Errorf("upcasting %s v1: value: %w", FactRecorded, err)
			}
			// A v1 number sometimes travelled as a string; keep it a number when it parses.
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				m["number"] = json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
			} else {
				m["text"] = trimmed
			}
		default:
			var f float64
			if err := json.Unmarshal(trimmed, &f); err != nil {
				return nil, fmt.Errorf("upcasting %s v1: value: %w", FactRecorded, err)
			}
			m["number"] = trimmed
		}
	}
	return json.Marshal(m)
}

// Decode turns an event's JSON payload (at the current schema version) into its payload
// value. Unknown fields are tolerated (forward compatibility); invalid JSON is an error.
// An unknown type yields an error wrapping ErrUnknownEventType.
func Decode(eventType string, data []byte) (any, error) {
	switch eventType {
	case UnitRegistered:
		return decodeAs[UnitRegisteredData](eventType, data)
	case PlanSubmitted:
		return decodeAs[PlanSubmittedData](eventType, data)
	case FactRecorded:
		return decodeAs[FactRecordedData](eventType, data)
	case UnitMergedEvent:
		return decodeAs[UnitMergedData](eventType, data)
	case UnitAbsorbed:
		return decodeAs[UnitAbsorbedData](eventType, data)
	case UnitNominated:
		return decodeAs[UnitNominatedData](eventType, data)
	case UnitAwardNoted:
		return decodeAs[UnitAwardNotedData](eventType, data)
	case UnitSubordinateRegistered:
		return decodeAs[UnitSubordinateRegisteredData](eventType, data)
	case UnitHoldNoted:
		return decodeAs[UnitHoldNotedData](eventType, data)
	case IDClaimed:
		return decodeAs[IDClaimedData](eventType, data)
	case NominationOpened:
		return decodeAs[NominationOpenedData](eventType, data)
	case DocumentAttached:
		return decodeAs[DocumentAttachedData](eventType, data)
	case CouncilVoteRecorded:
		return decodeAs[CouncilVoteData](eventType, data)
	case NominationSubmitted:
		return decodeAs[SubmittedData](eventType, data)
	case ReviewStarted:
		return decodeAs[ReviewStartedData](eventType, data)
	case CriterionRuled:
		return decodeAs[CriterionRuledData](eventType, data)
	case NominationVerified:
		return decodeAs[VerifiedData](eventType, data)
	case ReviewReopened:
		return decodeAs[ReviewReopenedData](eventType, data)
	case NominationReturned, NominationWithdrawn, NominationHeld, NominationReleased:
		return decodeAs[ReasonData](eventType, data)
	case NominationAwarded:
		return decodeAs[NominationAwardedData](eventType, data)
	case NominationAwardRevoked:
		return decodeAs[NominationAwardRevokedData](eventType, data)
	case NominationTransferred:
		return decodeAs[TransferredData](eventType, data)
	case NomineeCorrected:
		return decodeAs[NomineeCorrectedData](eventType, data)
	case CampaignLaunched:
		return decodeAs[CampaignLaunchedData](eventType, data)
	case CampaignRevised:
		return decodeAs[CampaignRevisedData](eventType, data)
	case DeadlineSet:
		return decodeAs[DeadlineSetData](eventType, data)
	case AwardGranted:
		return decodeAs[AwardGrantedData](eventType, data)
	case AwardRevoked:
		return decodeAs[AwardRevokedData](eventType, data)
	case UnitsMergedNoted:
		return decodeAs[UnitsMergedNotedData](eventType, data)
	case UserRegistered:
		return decodeAs[UserRegisteredData](eventType, data)
	case UserDisabled:
		return decodeAs[UserDisabledData](eventType, data)
	case UserTokenReissued:
		return decodeAs[UserTokenReissuedData](eventType, data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, eventType)
}

func decodeAs[T any](eventType string, data []byte) (any, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", eventType, err)
	}
	return v, nil
}
