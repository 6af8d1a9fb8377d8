package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidID is wrapped by every error about an identifier that may not reach a subject.
var ErrInvalidID = errors.New("invalid id")

// ErrUnknownEventType is wrapped by Decode when the event type is not part of the catalogue.
var ErrUnknownEventType = errors.New("unknown event type")

// ErrInvalidDefinition is wrapped by every *DefinitionError.
var ErrInvalidDefinition = errors.New("invalid campaign definition")

// ErrRule is matched (errors.Is) by every *RuleError: a business rule refused a command.
var ErrRule = errors.New("business rule refused")

// ErrInvalidTransition is matched (errors.Is) by every *TransitionError: the aggregate's
// state does not allow the action.
var ErrInvalidTransition = errors.New("invalid state transition")

// RuleError is a refusal by a business rule. Code is stable (an API contract); Message is
// English and MessageVI Vietnamese; Missing lists what is missing when the code is
// dossier_incomplete.
type RuleError struct {
	// Code is the stable, machine-readable code of the refusal (e.g. "deadline_passed").
	Code string `json:"code"`
	// Message explains the refusal in English.
	Message string `json:"message"`
	// MessageVI explains the refusal in Vietnamese.
	MessageVI string `json:"message_vi"`
	// Missing lists the missing dossier parts (and "council_vote") for dossier_incomplete.
	Missing []string `json:"missing,omitempty"`
	// Conflict marks a refusal that comes from the state of what the command acts on
	// (a nomination already awarded, an award already revoked, a unit already merged or
	// no longer active), not from a rule its input broke: the API answers it as a state
	// conflict (409), as it does a refused transition.
	Conflict bool `json:"-"`
	// Unknown marks a refusal that names something its scope does not hold (a criterion
	// the campaign does not have, named in the request's path): the API answers 404.
	Unknown bool `json:"-"`
	// Malformed marks a value outside its field's enumeration (a role, a document kind, a
	// ruling's result, a revocation's ground, a nominee's kind or gender that does not
	// exist): the request is malformed, and the API answers 400, not a rule's 422.
	Malformed bool `json:"-"`
	// Field names the member of the command's body whose value is refused ("note",
	// "meeting_date", "nominee.name"), when one member is the cause; "" when the refusal
	// concerns the request as a whole or the state it meets. A form marks that input.
	Field string `json:"field,omitempty"`
}

// Error returns the code followed by the English message.
func (e *RuleError) Error() string {
	msg := e.Code + ": " + e.Message
	if len(e.Missing) > 0 && !strings.Contains(e.Message, strings.Join(e.Missing, ", ")) {
		msg += " (missing: " + strings.Join(e.Missing, ", ") + ")"
	}
	return msg
}

// Is reports whether target is ErrRule, so that errors.Is(err, ErrRule) matches any rule
// refusal.
func (e *RuleError) Is(target error) bool { return target == ErrRule }

// ruleErr builds a *RuleError.
func ruleErr(code, en, vi string) *RuleError {
	return &RuleError{Code: code, Message: en, MessageVI: vi}
}

// fieldErr is ruleErr for a refusal of one member of the command's body (RuleError.Field).
func fieldErr(field, code, en, vi string) *RuleError {
	return &RuleError{Code: code, Message: en, MessageVI: vi, Field: field}
}

// malformedErr is fieldErr for a value outside its field's enumeration
// (RuleError.Malformed).
func malformedErr(field, code, en, vi string) *RuleError {
	return &RuleError{Code: code, Message: en, MessageVI: vi, Field: field, Malformed: true}
}

// conflictErr is ruleErr for a refusal of the state of what the command acts on
// (RuleError.Conflict).
func conflictErr(code, en, vi string) *RuleError {
	return &RuleError{Code: code, Message: en, MessageVI: vi, Conflict: true}
}

// TransitionError is a refused state transition: Action is not allowed in state From.
type TransitionError struct {
	// From is the nomination's state when the action was refused.
	From State
	// Action is the refused action as an English verb phrase ("submit", "rule on").
	Action string
}

// Error describes the refused transition.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a nomination in state %q", e.Action, e.From)
}

// MessageVI describes the refused transition in Vietnamese.
func (e *TransitionError) MessageVI() string {
	action := map[string]string{
		"attach a document to":     "nộp tài liệu cho",
		"award":                    "khen thưởng",
		"record a council vote on": "ghi biểu quyết của Hội đồng cho",
		"revoke the award of":      "thu hồi khen thưởng của",
		"rule on":                  "kết luận tiêu chí của",
		"submit":                   "trình",
		"transfer":                 "chuyển",
		"return":                   "trả lại",
		"withdraw":                 "rút",
		"hold":                     "tạm dừng xét",
		"release":                  "tiếp tục xét",
		"correct the nominee of":   "sửa thông tin cá nhân được đề nghị trong",
	}[e.Action]
	if action == "" {
		action = e.Action
	}
	return fmt.Sprintf("Không thể %s hồ sơ đang ở trạng thái «%s»", action, e.From.LabelVI())
}

// Is reports whether target is ErrInvalidTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// DefinitionError names the field of a campaign definition that is invalid, such as
// `criteria[3].rule.fact`, and the problem with it. It wraps ErrInvalidDefinition.
type DefinitionError struct {
	// Field is the invalid field's path, such as `criteria[3].rule.fact` ("" for the whole).
	Field string
	// Problem says what is wrong with the field, in English.
	Problem string
}

// Error returns "field: problem".
func (e *DefinitionError) Error() string {
	if e.Field == "" {
		return "campaign definition: " + e.Problem
	}
	return "campaign definition: " + e.Field + ": " + e.Problem
}

// Unwrap returns ErrInvalidDefinition.
func (e *DefinitionError) Unwrap() error { return ErrInvalidDefinition }

func defErr(field, format string, args ...any) *DefinitionError {
	return &DefinitionError{Field: field, Problem: fmt.Sprintf(format, args...)}
}
