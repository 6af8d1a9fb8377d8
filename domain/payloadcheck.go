package domain

// CheckPayload checks a recorded event's payload against the rules its decision applied,
// where they are the payload's own: a fact's name, value and status (ValidateFact), a
// council vote's numbers and date (members ≥ 1, 0 ≤ approve ≤ present ≤ members, at most
// MaxCouncilMembers). A payload that fails was not decided by the engine: an audit (thidua
// verify) and the running server name it. Other payloads pass.
func CheckPayload(data any) error {
	switch d := data.(type) {
	case FactRecordedData:
		return ValidateFact(d)
	case CouncilVoteData:
		return validateVote(d)
	}
	return nil
}
