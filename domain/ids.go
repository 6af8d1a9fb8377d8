package domain

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Aggregate kinds: the second token of an aggregate's subject (thidua.<kind>.<id>).
const (
	// KindUnit is the aggregate kind of an organisational unit.
	KindUnit = "unit"
	// KindNomination is the aggregate kind of a nomination.
	KindNomination = "nomination"
	// KindCampaign is the aggregate kind of a campaign.
	KindCampaign = "campaign"
	// KindRegistry is the aggregate kind of the user registry (one aggregate, id RegistryID).
	KindRegistry = "registry"
	// KindClaim is the aggregate kind of an id claim: one per unit or campaign id folded for
	// letter case (ClaimKey), holding IDClaimed, so that its sequence check orders two
	// creations of ids that would read as one.
	KindClaim = "claim"
)

// RegistryID is the id of the one user registry aggregate.
const RegistryID = "users"

// MaxIDLength is the longest id, in bytes, that ValidateID accepts.
const MaxIDLength = 128

// ValidateID checks an id that reaches a NATS subject: 1 to 128 bytes of valid UTF-8,
// without '.', '*', '>', '/', whitespace, control or invisible characters. The error wraps
// ErrInvalidID and names the id and the offending character.
func ValidateID(s string) error {
	if s == "" {
		return fmt.Errorf("%w: the id is empty", ErrInvalidID)
	}
	if len(s) > MaxIDLength {
		return fmt.Errorf("%w: %.40q… is %d bytes long (at most %d)", ErrInvalidID, s, len(s), MaxIDLength)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidID, s)
	}
	if !norm.NFC.IsNormalString(s) {
		// "ÀB" written with a combining accent would be another id that looks the same.
		return fmt.Errorf("%w: %q is not in Unicode NFC (composed characters): write it as %q", ErrInvalidID, s, norm.NFC.String(s))
	}
	for i, r := range s {
		switch {
		case r == '.' || r == '*' || r == '>' || r == '/':
			return fmt.Errorf("%w: %q contains %q at byte %d", ErrInvalidID, s, r, i)
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError:
			return fmt.Errorf("%w: %q contains whitespace or control character %U at byte %d", ErrInvalidID, s, r, i)
		case Invisible(r):
			// "KBNN" with a zero-width space would be another id that looks the same.
			return fmt.Errorf("%w: %q contains the invisible character %U at byte %d", ErrInvalidID, s, r, i)
		}
	}
	return nil
}

// ValidateNewID checks the id of a unit, campaign or user being created: ValidateID, and
// only ASCII letters, digits, '-' and '_', beginning with a letter or a digit. An id is a
// code ("SO-NV", "ninh-thuan-cchc-2025"); the name carries the Vietnamese. It keeps out
// what reads as another id ("ЅO-TC" with a Cyrillic Ѕ) and what a web address reads
// otherwise ('?', '#', '%': "/units/SO-TC#1" opened SO-TC's page). Ids created before this
// rule stay valid everywhere else (ValidateID).
func ValidateNewID(s string) error {
	if err := ValidateID(s); err != nil {
		return err
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return fmt.Errorf("%w: %q contains %q at byte %d: a new id has only ASCII letters, digits, '-' and '_', and begins with a letter or a digit", ErrInvalidID, s, r, i)
		}
	}
	return nil
}
