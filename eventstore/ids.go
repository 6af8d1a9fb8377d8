package eventstore

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidID is returned (wrapped) when an id or kind cannot be used as a subject token.
var ErrInvalidID = errors.New("invalid id")

// MaxIDLength is the longest id, in bytes, that may reach a subject.
const MaxIDLength = 128

// ValidateToken checks that s can be used as one token of a NATS subject: non-empty, at
// most MaxIDLength bytes of valid UTF-8, with no '.', '*', '>', '/', whitespace or control
// characters. It is the gate every id passes before anything reaches NATS.
func ValidateToken(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidID)
	}
	if len(s) > MaxIDLength {
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidID, len(s), MaxIDLength)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidID, s)
	}
	for _, r := range s {
		switch {
		case r == '.' || r == '*' || r == '>' || r == '/':
			return fmt.Errorf("%w: %q contains %q", ErrInvalidID, s, r)
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError:
			return fmt.Errorf("%w: %q contains whitespace or a control character (%U)", ErrInvalidID, s, r)
		}
	}
	return nil
}

// Ref names one aggregate: its kind (unit, nomination, campaign, registry) and its id.
type Ref struct {
	// Kind is the aggregate's kind, one subject token.
	Kind string `json:"kind"`
	// ID is the aggregate's id, one subject token.
	ID string `json:"id"`
}

// Validate checks both tokens of the reference.
func (r Ref) Validate() error {
	if err := ValidateToken(r.Kind); err != nil {
		return fmt.Errorf("aggregate kind: %w", err)
	}
	if err := ValidateToken(r.ID); err != nil {
		return fmt.Errorf("aggregate id: %w", err)
	}
	return nil
}

// String returns "kind/id".
func (r Ref) String() string { return r.Kind + "/" + r.ID }
