package domain

// Recorders returns the roles whose commands record events of eventType, and nil for a
// type this version of the engine does not record. It is what an audit checks each
// event's actor against (thidua verify): a fact recorded by a clerk, or a dossier
// submitted by a reviewer, was not written by the engine. The engine itself (RoleSystem)
// records only the first administrator and other users it is asked to create at start
// (the demo's), the built-in campaign with the claim of its id, and tokens reissued from
// the command line.
func Recorders(eventType string) []Role {
	switch eventType {
	case UnitRegistered, UnitSubordinateRegistered, UnitMergedEvent, UnitAbsorbed, NominationTransferred, UnitsMergedNoted,
		CampaignRevised, DeadlineSet, UserDisabled:
		return []Role{RoleAdmin}
	case IDClaimed, CampaignLaunched, UserRegistered, UserTokenReissued:
		return []Role{RoleAdmin, RoleSystem}
	case PlanSubmitted, NominationOpened, UnitNominated:
		return []Role{RoleClerk, RoleAdmin}
	case DocumentAttached, CouncilVoteRecorded, NominationSubmitted, NominationWithdrawn, NomineeCorrected:
		return []Role{RoleClerk}
	case FactRecorded, ReviewStarted, CriterionRuled, NominationVerified, ReviewReopened,
		NominationReturned, NominationHeld, NominationReleased, UnitHoldNoted:
		return []Role{RoleReviewer}
	case AwardGranted, AwardRevoked, NominationAwarded, NominationAwardRevoked, UnitAwardNoted:
		return []Role{RoleCouncil}
	}
	return nil
}
