package domain

import (
	_ "embed"
	"fmt"
)

// BuiltinCampaignID is the id of the campaign built in from the Ninh Thuận plan.
const BuiltinCampaignID = "ninh-thuan-cchc-2025"

//go:embed ninh-thuan-cchc-2025.json
var builtinCampaignJSON []byte

// BuiltinCampaignJSON returns a copy of the built-in campaign's definition document.
func BuiltinCampaignJSON() []byte { return append([]byte(nil), builtinCampaignJSON...) }

// BuiltinCampaign returns the campaign of the Ninh Thuận provincial plan (March 2025) for
// the 2025 administrative-reform emulation movement: version 1, from 2025-03-01 to
// 2025-12-31, at most 9 collectives and 15 individuals, with criteria C01–C13
// (collectives), I01–I07 (individuals) and H01–H05 (heads of units) whose label_vi quotes
// the plan (section II.2). Each call returns a fresh value.
func BuiltinCampaign() Definition {
	d, err := ParseDefinition(builtinCampaignJSON)
	if err != nil {
		panic(fmt.Sprintf("domain: the built-in campaign is invalid: %v", err)) // a programming error, caught by tests
	}
	return d
}
