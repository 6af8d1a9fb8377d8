package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// FoldID returns id with every letter replaced by the smallest member of its Unicode
// simple case-folding orbit, so that two ids are equal under strings.EqualFold exactly
// when their FoldID are equal ("A-B", "a-b" and "A-b" fold alike).
func FoldID(id string) string {
	var b strings.Builder
	b.Grow(len(id))
	for _, r := range id {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// ClaimKey returns the id of the claim aggregate (KindClaim) that guards the ids of kind
// (KindUnit or KindCampaign) equal to id but for letter case: a hex SHA-256 of the kind
// and FoldID(id), so that it is always a valid subject token whatever id holds.
func ClaimKey(kind, id string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + FoldID(id)))
	return hex.EncodeToString(sum[:16])
}

// ClaimID returns the event that claims id for a new aggregate of kind (KindUnit or
// KindCampaign), on the claim aggregate ClaimKey(kind, id). It goes into the same atomic
// append as the creation, expecting that claim aggregate to be empty: two creations at
// once of ids that differ only in letter case ("CASE0", "case0") then meet one sequence
// check, and the second is decided again and refused.
func ClaimID(kind, id string) []Event {
	return []Event{{Type: IDClaimed, Data: IDClaimedData{Kind: kind, ID: id}}}
}
