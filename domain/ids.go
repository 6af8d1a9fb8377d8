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
// ErrInvalidID and names the id and the offending character; it is an *IDError, which
// says so in Vietnamese too.
func ValidateID(s string) error {
	if s == "" {
		return idErr("the id is empty", "mã để trống")
	}
	if len(s) > MaxIDLength {
		return idErr(fmt.Sprintf("%.40q… is %d bytes long (at most %d)", s, len(s), MaxIDLength),
			fmt.Sprintf("%.40q… dài %d byte (tối đa %d)", s, len(s), MaxIDLength))
	}
	if !utf8.ValidString(s) {
		return idErr(fmt.Sprintf("%q is not valid UTF-8", s), fmt.Sprintf("%q không phải văn bản UTF-8 hợp lệ", s))
	}
	if !norm.NFC.IsNormalString(s) {
		// "ÀB" written with a combining accent would be another id that looks the same.
		return idErr(fmt.Sprintf("%q is not in Unicode NFC (composed characters): write it as %q", s, norm.NFC.String(s)),
			fmt.Sprintf("%q không viết ở dạng Unicode dựng sẵn (NFC): hãy viết %q", s, norm.NFC.String(s)))
	}
	for i, r := range s {
		switch {
		case r == '.' || r == '*' || r == '>' || r == '/':
			return idErr(fmt.Sprintf("%q contains %q at byte %d", s, r, i), fmt.Sprintf("%q chứa ký tự %q ở byte %d", s, r, i))
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError:
			return idErr(fmt.Sprintf("%q contains whitespace or control character %U at byte %d", s, r, i),
				fmt.Sprintf("%q chứa khoảng trắng hoặc ký tự điều khiển %U ở byte %d", s, r, i))
		case Invisible(r):
			// "KBNN" with a zero-width space would be another id that looks the same.
			return idErr(fmt.Sprintf("%q contains the invisible character %U at byte %d", s, r, i),
				fmt.Sprintf("%q chứa ký tự vô hình %U ở byte %d", s, r, i))
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
			return idErr(fmt.Sprintf("%q contains %q at byte %d: a new id has only ASCII letters, digits, '-' and '_', and begins with a letter or a digit", s, r, i),
				fmt.Sprintf("%q chứa %q ở byte %d: mã mới chỉ gồm chữ cái không dấu (A–Z, a–z), chữ số, '-' và '_', và bắt đầu bằng chữ cái hoặc chữ số", s, r, i))
		}
	}
	return nil
}

// IDError is the refusal of an id by ValidateID or ValidateNewID: it wraps ErrInvalidID
// and says what is wrong in English (Error) and in Vietnamese (MessageVI), so that a
// Vietnamese reader is not given the English detail (a review finding: the import's
// refusal ended in it).
type IDError struct {
	detail, detailVI string
}

// idErr returns the IDError of an English and a Vietnamese detail.
func idErr(detail, detailVI string) *IDError { return &IDError{detail: detail, detailVI: detailVI} }

// Error says what is wrong with the id, after ErrInvalidID's words.
func (e *IDError) Error() string { return ErrInvalidID.Error() + ": " + e.detail }

// MessageEN says what is wrong with the id, in English, as a sentence for a reader.
func (e *IDError) MessageEN() string { return "The id is not valid: " + e.detail + "." }

// MessageVI says what is wrong with the id, in Vietnamese.
func (e *IDError) MessageVI() string { return "Mã không hợp lệ: " + e.detailVI }

// Unwrap returns ErrInvalidID.
func (e *IDError) Unwrap() error { return ErrInvalidID }
