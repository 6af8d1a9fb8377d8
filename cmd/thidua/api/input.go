package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// shaPattern is a document id: a lowercase hex SHA-256.
var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validID checks an id before it can reach anything: one subject token (no '.', '*', '>',
// '/', whitespace or control characters, at most 128 bytes).
func validID(what, id string) error {
	if err := eventstore.ValidateToken(id); err != nil {
		return badRequest("invalid_id", "%s: %v", what, err)
	}
	return nil
}

// validOptionalID checks an id that may be absent.
func validOptionalID(what, id string) error {
	if id == "" {
		return nil
	}
	return validID(what, id)
}

// validSHA checks a document id.
func validSHA(what, s string) error {
	if !shaPattern.MatchString(s) {
		return badRequest("invalid_id", "%s: %q is not a SHA-256 (64 lowercase hex digits)", what, s)
	}
	return nil
}

// InRange reports whether t lies within the range of dates and times thidua accepts, the
// years 2000 to 2099 (UTC): a date of year 1 or 9999 is a typing error or a probe, never a
// council meeting, a merger, a deadline or a moment to replay. The CLI's --at keeps to it.
func InRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 2000 && y < 2100
}

// parseDate checks a calendar date written YYYY-MM-DD, from 2000 to 2099.
func parseDate(field, s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return badRequest("invalid_date", "%s: %q is not a date written YYYY-MM-DD", field, s)
	}
	if !InRange(t) {
		return badRequest("invalid_date", "%s: %s is out of range (years 2000 to 2099)", field, s)
	}
	return nil
}

// parseTime parses an RFC 3339 timestamp with its offset, from 2000 to 2099.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if i := len(s) - len(" 07:00"); err != nil && i > 0 && s[i] == ' ' && !strings.Contains(s[:i], " ") {
		// A query's "+07:00" typed as it is reads as " 07:00" (a + is a space in a query
		// string): taken as the offset it was (a review finding: the error's own example,
		// pasted into ?at=, was refused).
		if t2, err2 := time.Parse(time.RFC3339, s[:i]+"+"+s[i+1:]); err2 == nil {
			t, err = t2, nil
		}
	}
	if err != nil {
		return time.Time{}, badRequest("invalid_time", "%s: %q is not an RFC 3339 time (e.g. 2025-06-30T17:00:00+07:00)", field, s)
	}
	if !InRange(t) {
		return time.Time{}, badRequest("invalid_time", "%s: %s is out of range (years 2000 to 2099)", field, s)
	}
	return t, nil
}

// checkText refuses, as 400 invalid_text, text that cannot be shown or stored
// faithfully (domain.CheckText).
func checkText(field, s string) error {
	if err := domain.CheckText(s); err != nil {
		return badRequest("invalid_text", "%s: %v", field, err)
	}
	return nil
}

// readBody reads a JSON request body within the size limit and checks it: valid UTF-8, one
// JSON object, nesting at most MaxJSONDepth, no duplicate keys. An empty body is returned
// as nil when allowEmpty, else refused.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request, allowEmpty bool) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, body: errorBody{Code: "unsupported_media_type", Message: fmt.Sprintf("Content-Type %q: the body must be application/json", ct)}}
		}
	}
	body, err := h.readRaw(w, r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil, nil
		}
		return nil, badRequest("body_required", "a JSON object is required")
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	return body, nil
}

// readRaw reads a request body within the size limit and the body timeout.
func (h *handler) readRaw(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if h.cfg.bodyTimeout > 0 {
		// A slow drip must not hold a command slot for the server's whole ReadTimeout.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.cfg.bodyTimeout))
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge("the request body is larger than %d bytes", h.cfg.maxBody)
		}
		if isTimeout(err) {
			return nil, requestTimeout()
		}
		return nil, badRequest("invalid_body", "reading the body: %v", err)
	}
	return body, nil
}

// isTimeout reports whether a read failed on a deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// requestTimeout is the answer to a body that did not arrive in time.
func requestTimeout() error {
	return &apiError{status: http.StatusRequestTimeout, body: errorBody{Code: "request_timeout", Message: "the request body did not arrive in time"}}
}

// JSONProblem checks a JSON document as every request body is checked (checkJSON) and
// returns what is wrong with it, as the API states it, or "" when nothing is: the web's
// upload of a campaign definition refuses what POST /api/v1/campaigns refuses (a review
// finding: it took a file in another encoding than UTF-8, and a key given twice).
func JSONProblem(body []byte) string {
	var ae *apiError
	if err := checkJSON(body); errors.As(err, &ae) {
		return ae.body.Message
	} else if err != nil {
		return err.Error()
	}
	return ""
}

// checkJSON walks a JSON document token by token: one value, an object, valid UTF-8,
// nesting at most MaxJSONDepth, no key twice in an object (in any letter case), every string (key or value)
// acceptable text (checkText).
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		return badRequest("invalid_json", "the body is not valid UTF-8")
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return badRequest("invalid_json", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	fold := cases.Fold() // keys are compared folded; a Caser is not shared
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // in an object: the next string token is a key
	}
	var stack []*frame
	field := "" // the key of the value being read, for messages
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badRequest("invalid_json", "malformed JSON: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				if len(stack) >= MaxJSONDepth {
					return badRequest("too_deep", "the body nests deeper than %d levels", MaxJSONDepth)
				}
				stack = append(stack, &frame{object: d == '{', keys: map[string]bool{}, expect: d == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				// The top-level value is complete: anything after it is refused.
				if _, err := dec.Token(); !errors.Is(err, io.EOF) {
					return badRequest("invalid_json", "the body must hold one JSON value")
				}
				return nil
			}
			continue
		}
		if str, ok := tok.(string); ok {
			name := field
			if top != nil && top.object && top.expect {
				name = "a key"
			}
			if name == "" {
				name = "a string"
			}
			if err := checkText(name, str); err != nil {
				return err
			}
		}
		if top != nil && top.object {
			if top.expect {
				k, _ := tok.(string)
				// Compared as encoding/json matches names to fields, in any letter case:
				// {"approve":1,"Approve":9} would record 9 where a reader of the body
				// (a log, a proxy) sees 1.
				folded := fold.String(k)
				if top.keys[folded] {
					return badRequest("invalid_json", "key %q appears twice in one object (keys are compared in any letter case)", k)
				}
				top.keys[folded] = true
				top.expect = false
				field = k
			} else {
				top.expect = true
			}
		}
	}
	return badRequest("invalid_json", "malformed JSON: unexpected end")
}

// decodeJSON reads the body and decodes it strictly into dst: unknown fields are refused.
// It returns the body for the idempotency fingerprint.
func (h *handler) decodeJSON(w http.ResponseWriter, r *http.Request, dst any, allowEmpty bool) ([]byte, error) {
	body, err := h.readBody(w, r, allowEmpty)
	if err != nil || body == nil {
		return body, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		msg := err.Error()
		code := "invalid_json"
		if strings.HasPrefix(msg, "json: unknown field") {
			code = "unknown_field"
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			msg = fmt.Sprintf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return nil, badRequest(code, "%s", strings.TrimPrefix(msg, "json: "))
	}
	return body, nil
}

// fingerprint identifies a request for the idempotency check.
func fingerprint(r *http.Request, body []byte) string {
	sum := sha256.New()
	fmt.Fprintf(sum, "%s %s\n", r.Method, r.URL.Path)
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil))
}

// MaxIdempotencyKey is the longest Idempotency-Key accepted. The store keeps the key with
// the user's id and the request's fingerprint in at most 256 bytes.
const MaxIdempotencyKey = 128

// options reads Idempotency-Key and If-Match into the command options.
func options(r *http.Request, fp string) (workflows.Options, error) {
	var o workflows.Options
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if len(key) > MaxIdempotencyKey {
			return o, badRequest("invalid_idempotency_key", "Idempotency-Key is longer than %d characters", MaxIdempotencyKey)
		}
		for i := 0; i < len(key); i++ {
			if key[i] <= ' ' || key[i] > '~' || key[i] == '|' {
				return o, badRequest("invalid_idempotency_key", "Idempotency-Key may hold only visible ASCII characters other than '|'")
			}
		}
		o.Key, o.Fingerprint = key, fp
	}
	if im := strings.TrimSpace(r.Header.Get("If-Match")); im != "" && im != "*" {
		// A weak tag names the same version: the tag is the aggregate's version, not a
		// hash of one representation's bytes, and a proxy that compresses answers weakens
		// the tags it passes on (a review finding: every conditional command behind one
		// was refused as malformed).
		tag := strings.TrimPrefix(im, "W/")
		quoted := len(tag) >= 2 && strings.HasPrefix(tag, `"`) && strings.HasSuffix(tag, `"`)
		s := tag
		if quoted {
			s = tag[1 : len(tag)-1]
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || !quoted && (tag != im || strings.ContainsRune(tag, '"')) {
			return o, badRequest("invalid_if_match", `If-Match must be a version in quotes, e.g. "42", not %q`, im)
		}
		o.IfMatch = &v
	}
	return o, nil
}

// emptyCommand reads the (empty, or {}) body of a command that takes none, and its
// options.
func (h *handler) emptyCommand(w http.ResponseWriter, r *http.Request) (workflows.Options, error) {
	var in struct{}
	body, err := h.decodeJSON(w, r, &in, true)
	if err != nil {
		return workflows.Options{}, err
	}
	return options(r, fingerprint(r, body))
}

// seqWait is how long a query as of a sequence the stream holds waits for this server's
// projections to reach it (another server of a cluster may have just written it).
const seqWait = 2 * time.Second

// bound reads ?at=RFC3339 and ?seq=N. A past moment's answer never changes; a moment
// still to come has none yet. So a time after now is taken as now (the answer's as_of
// says so: it names the moment answered for, never a future one), and a sequence past
// the stream's last is refused (future_seq). A sequence inside an atomic append is taken
// to its end (workflows.Service.SettleSeq; the answer's as_of_seq says so).
func (h *handler) bound(r *http.Request) (projections.Bound, error) {
	var b projections.Bound
	q := r.URL.Query()
	if q.Has("at") && q.Has("seq") {
		return b, badRequest("invalid_bound", "give at or seq, not both: each names a moment of its own")
	}
	for _, k := range []string{"at", "seq"} {
		switch v := q[k]; {
		case len(v) > 1:
			return b, badRequest("invalid_bound", "give %s once: %d values name %d moments", k, len(v), len(v))
		case len(v) == 1 && strings.TrimSpace(v[0]) == "":
			return b, badRequest("invalid_bound", "%s is empty: leave it out for the current state", k)
		}
	}
	if s := q.Get("at"); s != "" {
		t, err := parseTime("at", s)
		if err != nil {
			return b, err
		}
		if now := h.cfg.now(); t.After(now) {
			t = now
		}
		if err := h.svc.SettleTime(r.Context(), seqWait); err != nil {
			return b, err
		}
		b.Time = t
	}
	if s := q.Get("seq"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return b, badRequest("invalid_seq", "seq: %q is not a positive stream sequence", s)
		}
		if n, err = h.svc.SettleSeq(r.Context(), n, seqWait); err != nil {
			return b, err
		}
		b.Seq = n
	}
	return b, nil
}

// upload is a multipart request: its fields and its one file, read into memory (the store
// hashes and stores the whole file anyway).
type upload struct {
	fields      map[string]string
	name, ctype string
	data        []byte
	sha         string
}

// maxParts bounds the number of parts of an upload.
const maxParts = 16

// maxFieldSize bounds a form field's value.
const maxFieldSize = 4096

// readUpload reads a multipart/form-data body with the named fields and one part "file",
// refusing unknown or repeated parts (400) and files above the upload limit (413).
func (h *handler) readUpload(w http.ResponseWriter, r *http.Request, fields ...string) (*upload, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, &apiError{status: http.StatusUnsupportedMediaType, body: errorBody{Code: "unsupported_media_type", Message: "the body must be multipart/form-data with a part \"file\""}}
	}
	if r.ContentLength > h.cfg.maxUpload+h.cfg.maxBody {
		return nil, tooLarge("the upload is larger than %d bytes", h.cfg.maxUpload)
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxUpload+h.cfg.maxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("invalid_multipart", "%v", err)
	}
	want := map[string]bool{}
	for _, f := range fields {
		want[f] = true
	}
	up := &upload{fields: map[string]string{}}
	gotFile := false
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, multipartError(err, h.cfg.maxUpload)
		}
		if i >= maxParts {
			return nil, badRequest("invalid_multipart", "more than %d parts", maxParts)
		}
		name := part.FormName()
		switch {
		case name == "file":
			if gotFile {
				return nil, badRequest("invalid_multipart", "only one part \"file\" is allowed")
			}
			gotFile = true
			if err := checkText("file name", part.FileName()); err != nil {
				return nil, err
			}
			data, err := io.ReadAll(io.LimitReader(part, h.cfg.maxUpload+1))
			if err != nil {
				return nil, multipartError(err, h.cfg.maxUpload)
			}
			if int64(len(data)) > h.cfg.maxUpload {
				return nil, tooLarge("the file is larger than %d bytes", h.cfg.maxUpload)
			}
			up.data, up.name, up.ctype = data, domain.CleanFileName(part.FileName()), domain.CleanContentType(part.Header.Get("Content-Type"))
			sum := sha256.Sum256(data)
			up.sha = hex.EncodeToString(sum[:])
		case want[name]:
			if _, dup := up.fields[name]; dup {
				return nil, badRequest("invalid_multipart", "field %q appears twice", name)
			}
			v, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
			if err != nil {
				return nil, multipartError(err, h.cfg.maxUpload)
			}
			if len(v) > maxFieldSize || !utf8.Valid(v) {
				return nil, badRequest("invalid_multipart", "field %q is too long or not UTF-8", name)
			}
			if err := checkText(name, string(v)); err != nil {
				return nil, err
			}
			up.fields[name] = string(v)
		default:
			return nil, badRequest("unknown_field", "unknown form field %q (expected %s and file)", name, strings.Join(fields, ", "))
		}
		_ = part.Close()
	}
	if !gotFile {
		return nil, badRequest("file_required", "a part \"file\" is required")
	}
	if len(up.data) == 0 {
		return nil, badRequest("empty_file", "the file is empty")
	}
	return up, nil
}

// multipartError maps a read error of a multipart body.
func multipartError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge("the upload is larger than %d bytes", limit)
	}
	if isTimeout(err) {
		return requestTimeout()
	}
	return badRequest("invalid_multipart", "%v", err)
}

// fingerprint identifies an upload: method, path, the form fields and the file's hash.
func (u *upload) fingerprint(r *http.Request) string {
	keys := make([]string, 0, len(u.fields))
	for k := range u.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, u.fields[k])
	}
	// The file counts by its bytes, its name and its type, which the event records: the
	// same bytes sent again under another name are another request (a review finding:
	// the replay answered with the second name, the event held the first).
	fmt.Fprintf(&b, "file=%s\nname=%q\ntype=%q\n", u.sha, u.name, u.ctype)
	return fingerprint(r, []byte(b.String()))
}

// body returns the upload for the service.
func (u *upload) body() workflows.Upload {
	return workflows.Upload{Name: u.name, ContentType: u.ctype, Data: u.data}
}

// pageQuery reads a list's paging parameters: cursor (the next_cursor of the page before,
// an id) and limit (1 to 500; 0 when absent: the list's own default, every unit of the
// unit list, the first 50 nominations of a campaign's).
func pageQuery(q url.Values) (cursor string, limit int, err error) {
	cursor = q.Get("cursor")
	if err := validOptionalID("cursor", cursor); err != nil {
		return "", 0, err
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return "", 0, badRequest("invalid_limit", "limit: %q is not a number from 1 to 500", s)
		}
		limit = n
	}
	return cursor, limit, nil
}
