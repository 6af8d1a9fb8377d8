package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// formError is the web layer's own refusal of a form: a catalogue key and its arguments,
// and the input the refusal concerns, when one does.
type formError struct {
	field string
	key   string
	args  []any
}

func (e *formError) Error() string { return translate("en", e.key, e.args...) }

// textFieldError is a form refused for a value that cannot be shown or stored
// faithfully (checkFormText).
type textFieldError struct {
	field string
	err   *domain.TextError
}

func (e *textFieldError) Error() string { return e.field + ": " + e.err.Error() }

// inputError marks err as the refusal of one input of a form: the page shows err as it
// would without it, and marks that input (fieldOf).
type inputError struct {
	field string
	err   error
}

func (e *inputError) Error() string { return e.field + ": " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// checkIDField refuses the value of the input name unless validate (domain.ValidateID, or
// domain.ValidateNewID for a unit being registered) takes it, as the command would, but
// marking the input (a review finding: a unit id with a dot was refused with no input
// marked; review rv81: "SỞ-MỚI", which only the rule of new ids refuses, marked the
// parent's input). An empty value is left to the command.
func checkIDField(q *req, name string, validate func(string) error) error {
	if v := field(q, name); v != "" {
		if err := validate(v); err != nil {
			return &inputError{field: name, err: err}
		}
	}
	return nil
}

// invalid returns a formError of the form as a whole.
func invalid(key string, args ...any) error { return &formError{key: key, args: args} }

// invalidField returns a formError of the input named field.
func invalidField(field, key string, args ...any) error {
	return &formError{field: field, key: key, args: args}
}

// fieldOf names the input of a form that err concerns: the form's own check's, a text
// check's, or the domain's (RuleError.Field, whose "nominee." prefix the forms leave
// out); "" when the refusal concerns the form as a whole.
func fieldOf(err error) string {
	var fe *formError
	var tfe *textFieldError
	var re *domain.RuleError
	var ie *inputError
	switch {
	case errors.As(err, &ie):
		return ie.field
	case errors.As(err, &fe):
		return fe.field
	case errors.As(err, &tfe):
		return tfe.field
	case errors.As(err, &re):
		return strings.TrimPrefix(re.Field, "nominee.")
	}
	return ""
}

// factFieldLabel returns the catalogue key of the label of the fact form's field that a
// refusal of a fact (invalid_fact) names, and false for another field.
func factFieldLabel(field string) (string, bool) {
	switch field {
	case "value", "cause", "component", "index":
		return "fact." + field, true
	case "previous", "status":
		return "fact." + field + ".label", true
	case "fact":
		return "fact.name", true
	case "document", "note":
		return "field." + field, true
	}
	return "", false
}

var (
	errCSRF      = errors.New("csrf token missing or wrong")
	errSignedOut = errors.New("signed out")
	errNotFound  = errors.New("page not found")
	errForbidden = errors.New("forbidden for this role")
	errNoFiles   = errors.New("this form takes no file")
)

// uiError is an error as a page shows it.
type uiError struct {
	// Status is the HTTP status of the answer.
	Status int
	// Form names the form that failed ("" for the page as a whole).
	Form string
	// Code is the stable code of the refusal, when there is one.
	Code string
	// Message is the explanation in the page's language.
	Message string
	// Missing lists the missing dossier parts (dossier_incomplete), translated.
	Missing []string
	// Field names the input of Form the refusal concerns ("" when it is the form as a
	// whole), so that the page marks that input invalid and ties it to the message.
	Field string
}

// localise turns any error into what the user reads, in the request's language.
func (h *handler) localise(q *req, err error) *uiError {
	u := h.localiseQuiet(q, err)
	if u.Code == "internal" && !api.NoteError(q.r.Context(), err, "code", u.Code) {
		h.cfg.log.Error("web request failed", "method", q.r.Method, "path", q.r.URL.Path, "err", err)
	}
	return u
}

// localiseQuiet is localise without logging an unforeseen error: again, which hands such
// an error on to fail, which logs it (a review finding: it was logged twice).
func (h *handler) localiseQuiet(q *req, err error) *uiError {
	var re *domain.RuleError
	var te *domain.TransitionError
	var we *workflows.Error
	var ie *domain.IDError
	var fe *formError
	var tfe *textFieldError
	var de *domain.DefinitionError
	var mbe *http.MaxBytesError
	var pr *api.PlaceRefusal
	switch {
	case errors.As(err, &pr):
		q.w.Header().Set("Retry-After", strconv.Itoa(pr.RetryAfter()))
		return &uiError{Status: pr.Status, Code: pr.Code, Message: q.T("err." + pr.Kind + "." + pr.Code)}
	case errors.As(err, &de):
		// The problems of a definition file (its JSON fields, a parser's report) are
		// technical and stated in English: the Vietnamese page names the field and says
		// that the detail is English (before, it quoted the English error whole).
		msg := q.T("err.definition", de.Problem)
		if de.Field != "" {
			msg = q.T("err.definition.field", de.Field, de.Problem)
		}
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_definition", Message: msg}
	case errors.As(err, &tfe):
		problem := tfe.err.Problem
		if q.lang == "vi" {
			problem = tfe.err.ProblemVI
		}
		field := tfe.field
		if hasKey("field." + field) {
			field = q.T("field." + field) // its label, not its form name
		}
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_text", Message: q.T("err.text", field, problem)}
	case errors.As(err, &fe):
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_input", Message: q.T(fe.key, fe.args...)}
	case errors.As(err, &re):
		msg := re.Message
		if q.lang == "vi" && re.MessageVI != "" {
			msg = re.MessageVI
		} else if key, ok := factFieldLabel(re.Field); ok && re.Code == "invalid_fact" {
			// The API's English names the fact's field by its JSON name ("value: …"); the
			// page names it by its label, as the Vietnamese does (a review finding).
			// So is the fact itself ("fact late_dossiers takes …").
			if rest, cut := strings.CutPrefix(msg, re.Field+": "); cut {
				if f := field(q, "fact"); f != "" && hasKey("fact."+f) {
					rest = strings.ReplaceAll(rest, "fact "+f, q.T("fact."+f))
				}
				msg = q.T(key) + ": " + rest
			}
		}
		u := &uiError{Status: api.RuleStatus(re), Code: re.Code, Message: msg}
		for _, m := range re.Missing {
			u.Missing = append(u.Missing, q.T("part."+m))
		}
		return u
	case errors.As(err, &te):
		return &uiError{Status: http.StatusConflict, Code: "invalid_transition",
			Message: q.T("err.transition", q.T("state."+string(te.From)))}
	case errors.As(err, &ie):
		// What is wrong with the id, in the page's language: the general words (no dots,
		// no spaces) did not say why "SỞ-MỚI" was refused (a review finding).
		msg := ie.MessageEN()
		if q.lang == "vi" {
			msg = ie.MessageVI()
		}
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_id", Message: msg}
	case errors.As(err, &we):
		u := &uiError{Status: statusOf(we.Kind), Code: we.Code}
		if errors.Is(err, eventstore.ErrTooLarge) || errors.Is(err, eventstore.ErrEventTooLarge) {
			u.Status = http.StatusRequestEntityTooLarge
		}
		switch {
		case we.Code == "too_large" && q.r.MultipartForm != nil:
			u.Message = q.T("err.too_large", h.uploadLimit(q))
		case hasKey("err.code." + we.Code):
			u.Message = q.T("err.code." + we.Code)
		default:
			u.Message = q.T("err.kind." + kindKey(we.Kind))
		}
		switch {
		case errors.Is(we.Kind, workflows.ErrNotFound) && we.ID != "" && hasKey("notfound."+we.What):
			// What was not found names the id typed, in the page's language (before, the
			// Vietnamese page gave the service's English: `unit "X" not found`).
			u.Message = q.T("err.notfound", q.T("notfound."+we.What), we.ID)
			if we.Like != "" {
				u.Message += " " + q.T("err.notfound.like", we.Like)
			}
		case (q.lang == "en" || errors.Is(we.Kind, workflows.ErrNotFound)) && we.Message != "":
			u.Message += " (" + we.Message + ")"
		}
		return u
	case errors.As(err, &mbe):
		// Only a form with a file can be this large.
		return &uiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: q.T("err.too_large", h.uploadLimit(q))}
	case errors.Is(err, eventstore.ErrTooLarge):
		return &uiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: q.T("err.code.too_large")}
	case errors.Is(err, errNoFiles):
		return &uiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: q.T("err.nofiles")}
	case errors.Is(err, errCSRF):
		return &uiError{Status: http.StatusForbidden, Code: "csrf", Message: q.T("err.csrf")}
	case errors.Is(err, errSignedOut):
		return &uiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: q.T("err.signedout")}
	case errors.Is(err, errForbidden):
		return &uiError{Status: http.StatusForbidden, Code: "forbidden", Message: q.T("err.kind.forbidden")}
	case errors.Is(err, errNotFound), errors.Is(err, projections.ErrNotFound), errors.Is(err, eventstore.ErrDocumentNotFound):
		return &uiError{Status: http.StatusNotFound, Code: "not_found", Message: q.T("err.kind.not_found")}
	case errors.Is(err, eventstore.ErrDocumentCorrupt):
		return &uiError{Status: http.StatusInternalServerError, Code: "document_corrupt", Message: q.T("err.corrupt")}
	case errors.Is(err, projections.ErrIncomplete):
		return &uiError{Status: http.StatusInternalServerError, Code: "store_damaged", Message: q.T("err.code.store_damaged")}
	case errors.Is(err, eventstore.ErrInvalidID), errors.Is(err, domain.ErrInvalidID):
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_id", Message: q.T("err.code.invalid_id")}
	case errors.Is(err, projections.ErrUnknownCursor):
		return &uiError{Status: http.StatusBadRequest, Code: "invalid_cursor", Message: q.T("err.code.invalid_cursor")}
	case errors.Is(err, domain.ErrRule):
		return &uiError{Status: http.StatusUnprocessableEntity, Code: "rule_violated", Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &uiError{Status: http.StatusServiceUnavailable, Code: "timeout", Message: q.T("err.kind.unavailable")}
	}
	return &uiError{Status: http.StatusInternalServerError, Code: "internal", Message: q.T("err.internal")}
}

// uploadLimit is the largest file the form of q takes, written for the user: a campaign
// definition's, or a document's.
func (h *handler) uploadLimit(q *req) string {
	n := h.svc.Store().MaxDocumentSize()
	if q.r.URL.Path == "/admin/campaigns" {
		n = maxDefinitionBytes
	}
	return (&frame{Lang: q.lang}).Bytes(n)
}

// statusOf maps the workflows' sentinel errors to statuses as the API does, except that
// a stale form (a failed precondition) is a conflict to reload, not a 412.
func statusOf(kind error) int {
	if errors.Is(kind, workflows.ErrPrecondition) {
		return http.StatusConflict
	}
	return api.StatusOf(kind)
}

// kindKey names a workflows sentinel error in the catalogue.
func kindKey(kind error) string {
	switch {
	case errors.Is(kind, workflows.ErrInvalidInput):
		return "invalid_input"
	case errors.Is(kind, workflows.ErrUnauthenticated):
		return "unauthenticated"
	case errors.Is(kind, workflows.ErrForbidden):
		return "forbidden"
	case errors.Is(kind, workflows.ErrNotFound):
		return "not_found"
	case errors.Is(kind, workflows.ErrConflict), errors.Is(kind, workflows.ErrPrecondition):
		return "conflict"
	case errors.Is(kind, workflows.ErrUnavailable):
		return "unavailable"
	}
	return "invalid_input"
}

// fail renders an error page for a request whose page could not be built.
func (h *handler) fail(q *req, err error) {
	u := h.localise(q, err)
	if u.Status >= 500 && u.Code != "internal" && !api.NoteError(q.r.Context(), err, "code", u.Code) { // internal: localise logged it
		// The page says the cause is in the log (a full or failed store): it is (a
		// review finding: the web logged nothing of them), on the request's line.
		attrs := []any{"method", q.r.Method, "path", q.r.URL.Path, "code", u.Code, "err", err}
		if we := (*workflows.Error)(nil); errors.As(err, &we) && we.Err != nil {
			attrs = append(attrs, "cause", we.Err)
		}
		h.cfg.log.Error("web request failed", attrs...)
	}
	if u.Status == http.StatusUnauthorized && q.r.Method == http.MethodGet {
		http.Redirect(q.w, q.r, "/signin?next="+urlQueryEscape(q.r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	pg := h.newPage(q, q.T("err.title"))
	pg.Err = u
	if q.r.Method == http.MethodPost && q.signedIn {
		pg.Back, _ = h.formHome(q)
	}
	h.pages.render(q, u.Status, "error", pg, nil)
}

// formHome says which page a posted form is on: its address, for the error page's link
// back ("": none known), and the function that draws it with an error beside the form
// (nil: none known). A nomination's, a unit's actions are on its page; a grant's and a
// revocation's forms on the nomination's (their "nomination" field, else the award's);
// the accounts', campaigns' and deadlines' on the admin page. It reads the form only as
// already parsed: a body that failed to parse is not read again.
func (h *handler) formHome(q *req) (string, func(*uiError) error) {
	p := q.r.URL.Path
	posted := func(name string) string { return strings.TrimSpace(q.r.PostForm.Get(name)) }
	valid := func(id string) bool { return id != "" && domain.ValidateID(id) == nil }
	nomination := func(id string) (string, func(*uiError) error) {
		if !valid(id) {
			return "", nil
		}
		return "/nominations/" + id, func(e *uiError) error { return h.renderNomination(q, id, e) }
	}
	unit := func(id string) (string, func(*uiError) error) {
		if !valid(id) {
			return "", nil
		}
		return "/units/" + id, func(e *uiError) error { return h.renderUnit(q, id, e) }
	}
	campaignAction := func(suffix string) bool {
		return strings.HasPrefix(p, "/campaigns/") && strings.HasSuffix(p, suffix)
	}
	switch {
	case strings.HasPrefix(p, "/nominations/"):
		return nomination(q.r.PathValue("id"))
	case strings.HasPrefix(p, "/awards/"), campaignAction("/awards"):
		id := posted("nomination")
		if id == "" && strings.HasPrefix(p, "/awards/") {
			if a, err := h.model().Award(q.r.PathValue("id")); err == nil {
				id = a.Nomination
			}
		}
		return nomination(id)
	case strings.HasPrefix(p, "/units/"):
		return unit(q.r.PathValue("id"))
	case campaignAction("/nominations"):
		return unit(posted("unit"))
	case strings.HasPrefix(p, "/admin/"), campaignAction("/deadline"):
		return "/admin", func(e *uiError) error { return h.renderAdmin(q, e) }
	}
	return "", nil
}

// again re-renders the page a failed form came from, with the error next to the form
// and the values the user typed, so nothing is lost.
func (h *handler) again(q *req, form string, err error, page func(e *uiError) error) error {
	u := h.localiseQuiet(q, err)
	if u.Status >= 500 || u.Status == http.StatusUnauthorized {
		return err
	}
	u.Form, u.Field = form, fieldOf(err)
	if perr := page(u); perr != nil {
		// The page itself is gone (the nomination the form was on, say): the error page.
		return err
	}
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
