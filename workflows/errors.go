package workflows

import (
	"errors"
	"fmt"
)

// Errors a command or query can end with. The HTTP layer maps them to status codes;
// business-rule refusals come from the domain (domain.ErrRule, 422) and refused state
// transitions too (domain.ErrInvalidTransition, 409).
var (
	// ErrUnauthenticated means no token, or an unknown or disabled user's token (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the role or scope does not allow the action (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound means the resource does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrInvalidInput means malformed input (400).
	ErrInvalidInput = errors.New("invalid input")
	// ErrPrecondition means the If-Match version is stale (412).
	ErrPrecondition = errors.New("precondition failed")
	// ErrConflict means a concurrent change won (409).
	ErrConflict = errors.New("conflict")
	// ErrKeyReused means an idempotency key was reused with a different request (422).
	ErrKeyReused = errors.New("idempotency key reused with a different request")
	// ErrUnavailable means the store could not take the command now (503).
	ErrUnavailable = errors.New("unavailable")
	// ErrStorageFull means the store has no room for the command's events or document;
	// nothing was recorded, and retrying will not help until an operator makes room (507).
	ErrStorageFull = errors.New("storage full")
	// ErrDamaged means the store holds the aggregate damaged: its last message was lost
	// on disk, or is no commit; nothing was recorded, and retrying will not help until the
	// store is restored from a backup (500).
	ErrDamaged = errors.New("store damaged")
)

// Error adds a stable code and a message to one of the errors above.
type Error struct {
	// Kind is one of the sentinel errors above.
	Kind error
	// Code is the stable machine-readable code.
	Code string
	// Message is a human-readable explanation.
	Message string
	// MessageVI is the explanation in Vietnamese, when there is one.
	MessageVI string
	// What and ID name, for a not_found, the kind of thing not found ("unit",
	// "campaign", "nomination", "award", "parent unit", "user") and the id asked for, so
	// that an interface can say so in its own language; empty otherwise.
	What, ID string
	// Like is, for a not_found, the id of one that exists and differs from ID only in
	// letter case (ids are told apart by it, but never registered twice so), "" when none:
	// an interface says which was meant.
	Like string
	// Err is the cause, when another layer's error became this one (the store's), nil
	// otherwise.
	Err error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Unwrap returns the sentinel kind and the cause, so that errors.Is matches either
// (workflows.ErrUnavailable and eventstore.ErrStoreDown, say).
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func errorf(kind error, code, format string, args ...any) error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}
