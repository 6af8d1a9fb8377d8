package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// errorBody is the inside of every error answer: {"error": {...}}.
type errorBody struct {
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	MessageVI string   `json:"message_vi,omitempty"`
	Missing   []string `json:"missing,omitempty"`
	// Field names the member of the request's body whose value is refused, when one
	// member is the cause (domain.RuleError.Field).
	Field string `json:"field,omitempty"`
}

// apiError is an error the API itself raises (bad input, too large, forbidden...).
type apiError struct {
	status int
	body   errorBody
	// retryAfter, when positive, is sent as Retry-After (seconds).
	retryAfter int
}

func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Message }

func badRequest(code, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, body: errorBody{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func forbiddenf(format string, args ...any) error {
	return &apiError{status: http.StatusForbidden, body: errorBody{Code: "forbidden", Message: fmt.Sprintf(format, args...)}}
}

func notFoundf(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, body: errorBody{Code: "not_found", Message: fmt.Sprintf(format, args...)}}
}

func tooLarge(format string, args ...any) error {
	return &apiError{status: http.StatusRequestEntityTooLarge, body: errorBody{Code: "too_large", Message: fmt.Sprintf(format, args...)}}
}

// RuleStatus is the status a domain refusal answers with, on the API and the web alike:
// 409 for the state of what the command acts on, 404 for something its scope does not
// hold, 400 for a value outside its field's enumeration, else 422 (a rule refused it).
func RuleStatus(re *domain.RuleError) int {
	switch {
	case re.Conflict:
		return http.StatusConflict
	case re.Unknown:
		return http.StatusNotFound
	case re.Malformed:
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// classify maps an error of any layer to a status and the error body.
func classify(err error) (int, errorBody) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.body
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, errorBody{Code: "too_large", Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		code := re.Code
		if code == "" {
			code = "rule_violated"
		}
		return RuleStatus(re), errorBody{Code: code, Message: re.Message, MessageVI: re.MessageVI, Missing: re.Missing, Field: re.Field}
	}
	var we *workflows.Error
	if errors.As(err, &we) {
		status := StatusOf(we.Kind)
		if errors.Is(err, eventstore.ErrTooLarge) || errors.Is(err, eventstore.ErrEventTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return status, errorBody{Code: we.Code, Message: we.Message, MessageVI: we.MessageVI}
	}
	var te *domain.TransitionError
	if errors.As(err, &te) {
		return http.StatusConflict, errorBody{Code: "invalid_transition", Message: te.Error(), MessageVI: te.MessageVI()}
	}
	switch {
	case errors.Is(err, domain.ErrInvalidTransition):
		return http.StatusConflict, errorBody{Code: "invalid_transition", Message: err.Error()}
	case errors.Is(err, domain.ErrRule):
		return http.StatusUnprocessableEntity, errorBody{Code: "rule_violated", Message: err.Error()}
	case errors.Is(err, domain.ErrInvalidDefinition):
		return http.StatusBadRequest, errorBody{Code: "invalid_definition", Message: err.Error()}
	case errors.Is(err, eventstore.ErrInvalidID), errors.Is(err, domain.ErrInvalidID):
		body := errorBody{Code: "invalid_id", Message: err.Error()}
		var ie *domain.IDError
		if errors.As(err, &ie) {
			body.MessageVI = ie.MessageVI()
		}
		return http.StatusBadRequest, body
	case errors.Is(err, eventstore.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, errorBody{Code: "too_large", Message: err.Error()}
	case errors.Is(err, projections.ErrNotFound), errors.Is(err, eventstore.ErrDocumentNotFound):
		return http.StatusNotFound, errorBody{Code: "not_found", Message: err.Error()}
	case errors.Is(err, projections.ErrUnknownCursor):
		return http.StatusBadRequest, errorBody{Code: "invalid_cursor", Message: err.Error()}
	case errors.Is(err, eventstore.ErrDocumentCorrupt):
		return http.StatusInternalServerError, errorBody{Code: "document_corrupt", Message: err.Error()}
	case errors.Is(err, projections.ErrIncomplete):
		return http.StatusInternalServerError, errorBody{Code: "store_damaged", Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, errorBody{Code: "timeout", Message: err.Error()}
	}
	if s := StatusOf(err); s != http.StatusInternalServerError {
		return s, errorBody{Code: codeOf(s), Message: err.Error()}
	}
	return http.StatusInternalServerError, errorBody{Code: "internal", Message: "internal server error"}
}

// StatusOf maps the workflows' sentinel errors (workflows.ErrForbidden ...) to HTTP
// statuses; anything else is 500.
func StatusOf(kind error) int {
	switch {
	case errors.Is(kind, workflows.ErrInvalidInput):
		return http.StatusBadRequest
	case errors.Is(kind, workflows.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(kind, workflows.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(kind, workflows.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(kind, workflows.ErrConflict):
		return http.StatusConflict
	case errors.Is(kind, workflows.ErrPrecondition):
		return http.StatusPreconditionFailed
	case errors.Is(kind, workflows.ErrKeyReused):
		return http.StatusUnprocessableEntity
	case errors.Is(kind, workflows.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(kind, workflows.ErrStorageFull):
		return http.StatusInsufficientStorage
	case errors.Is(kind, workflows.ErrDamaged):
		return http.StatusInternalServerError // as a document_corrupt: the store's damage
	}
	return http.StatusInternalServerError
}

// codeOf is the default code of a status.
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_input"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusPreconditionFailed:
		return "version_mismatch"
	case http.StatusUnprocessableEntity:
		return "idempotency_key_reused"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusInsufficientStorage:
		return "store_full"
	}
	return "internal"
}

// fail answers err in the error shape, and counts conflicts.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := classify(err)
	// A 5xx's error, and the cause the answer does not say, go on the request's one log
	// line (Track; a review finding: each was logged twice, with nothing to pair them).
	if status >= 500 && !NoteError(r.Context(), err) {
		attrs := []any{"method", r.Method, "path", r.URL.Path, "err", err}
		if we := (*workflows.Error)(nil); errors.As(err, &we) && we.Err != nil {
			attrs = append(attrs, "cause", we.Err) // what the answer does not say
		}
		h.cfg.log.Error("request failed", attrs...)
	}
	switch status {
	case http.StatusConflict, http.StatusPreconditionFailed:
		h.metrics.conflicts.WithLabelValues(body.Code).Inc()
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="thidua"`)
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.retryAfter > 0:
		setRetryAfter(w, ae.retryAfter)
	case status == http.StatusServiceUnavailable:
		// The store is unavailable or slow: a retry with the same Idempotency-Key is safe.
		setRetryAfter(w, 1)
	}
	writeError(w, status, body)
}

// writeError writes {"error": body} with status.
func writeError(w http.ResponseWriter, status int, body errorBody) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("Content-Length")
	w.Header().Del("ETag")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error errorBody `json:"error"`
	}{body})
}
