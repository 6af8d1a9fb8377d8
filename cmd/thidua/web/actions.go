package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/workflows"
)

// fileDigest is the SHA-256 of an uploaded file's bytes.
func fileDigest(fh *multipart.FileHeader) (string, error) {
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// opts returns the command options of a form: an idempotency key drawn when the page was
// rendered, made the form's own by its name and the address it posts to (one rendering
// of the accounts table gives every row's "disable" the same key and form name: without
// the address, disabling a second account was taken for a replay of the first, answered
// as done and not done), and the fingerprint of what the form carries, so that a double
// click appends nothing twice.
func opts(q *req) workflows.Options {
	f := q.r.PostForm
	var ifMatch *uint64
	if v, err := strconv.ParseUint(f.Get("version"), 10, 64); err == nil {
		// The dossier's version the page showed: a reviewer's ruling, return, hold or
		// release on a page another reviewer's change has since overtaken is refused
		// (version_mismatch, "reload"), not recorded over what they never saw (a review
		// finding: a ruling replaced another reviewer's without a word).
		ifMatch = &v
	}
	key := strings.TrimSpace(f.Get("idem"))
	if key == "" || len(key) > 100 {
		return workflows.Options{IfMatch: ifMatch}
	}
	names := make([]string, 0, len(f))
	for k := range f {
		if k != "csrf" && k != "idem" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, k := range names {
		sum.Write([]byte(k + "=" + strings.Join(f[k], "\x1f") + "\x1e"))
	}
	if q.r.MultipartForm != nil {
		// A file counts by its bytes, as the API's fingerprint counts it: a form sent
		// again with a corrected file of the same name and size is another request.
		files := q.r.MultipartForm.File
		for _, k := range slices.Sorted(maps.Keys(files)) {
			for _, fh := range files[k] {
				digest, err := fileDigest(fh)
				if err != nil {
					return workflows.Options{} // unreadable here, the action's own read fails
				}
				sum.Write([]byte(k + ":" + fh.Filename + ":" + strconv.FormatInt(fh.Size, 10) + ":" + digest + "\x1e"))
			}
		}
	}
	target := f.Get("_form") + ":" + q.r.URL.Path
	if len(key)+1+len(target) > maxFormKey {
		t := sha256.Sum256([]byte(target))
		target = hex.EncodeToString(t[:16])
	}
	return workflows.Options{Key: key + ":" + target, Fingerprint: hex.EncodeToString(sum.Sum(nil))[:32], IfMatch: ifMatch}
}

// maxFormKey bounds a form's idempotency key (the workflows take up to 200 characters):
// past it, the form's name and address are taken as a digest.
const maxFormKey = 200

func field(q *req, name string) string { return strings.TrimSpace(q.r.PostFormValue(name)) }

// dateField reads a date input: as the browser's date picker sends it (YYYY-MM-DD), or
// typed the Vietnamese way, day first (01/07/2026, 1/7/2026, 01-07-2026, 01.07.2026),
// where a browser has no picker (a review finding: the refusal asked for YYYY-MM-DD).
// Anything else is passed on as typed, for the command's own refusal. A date typed day
// first that is no date (31/02/2026) is refused here, quoting it as typed (a review
// finding: the command's refusal quoted it year first).
func dateField(q *req, name string) (string, error) {
	v := field(q, name)
	m := dayFirst.FindStringSubmatch(v)
	if m == nil {
		if v != "" && !yearFirst.MatchString(v) {
			// Neither way round (a year of two digits, words): refused as typed here,
			// where the command would quote it and ask for the year first (a review
			// finding).
			return "", invalidField(name, "err.form.date", v)
		}
		return v, nil
	}
	d, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	iso := fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
	if _, err := time.Parse(time.DateOnly, iso); err != nil {
		return "", invalidField(name, "err.form.date", v)
	}
	return iso, nil
}

// dayFirst is a date written day, month, year; yearFirst one written as the API takes it.
var (
	dayFirst  = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)
	yearFirst = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// number reads a number, written the Vietnamese way (a decimal comma, full stops grouping
// the thousands) or with a decimal point. A count (whole) takes full stops or commas
// grouping its thousands: "2.000" and "2,000" are two thousand (before, "2.000" read as 2, a
// review finding). Another number takes its decimals after a comma, or after a point
// followed by other than three digits ("85.5"); a point followed by exactly three digits,
// which a Vietnamese reader takes for thousands and another for decimals, is refused
// rather than guessed ("0.875" read as 875, another finding), as is a comma grouping
// thousands.
func number(q *req, name, label string, whole bool) (*float64, error) {
	typed := field(q, name)
	if typed == "" {
		return nil, nil
	}
	s := strings.ReplaceAll(typed, " ", "")
	switch {
	case whole && thousandsGrouped.MatchString(s):
		s = strings.NewReplacer(".", "", ",", "").Replace(s)
	case !whole && (thousandsThenDecimals.MatchString(s) || dotsGrouped.MatchString(s)):
		s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	case !whole && dotGrouped.MatchString(s):
		return nil, invalidField(name, "err.form.ambiguous", q.T(label), typed)
	default:
		s = strings.ReplaceAll(s, ",", ".")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, invalidField(name, "err.form.number", q.T(label), typed)
	}
	return &v, nil
}

// thousandsGrouped matches a whole number whose thousands full stops or commas group;
// dotGrouped one that one full stop may group (or end a decimal of three digits);
// dotsGrouped one that several full stops group; thousandsThenDecimals one whose thousands
// full stops group, then decimals after a comma. A first group of 0 groups no thousands:
// "0,875" and "0.875" are decimals (a review finding: a count typed "0,875" read as 875).
var (
	thousandsGrouped      = regexp.MustCompile(`^[+-]?[1-9][0-9]{0,2}([.,][0-9]{3})+$`)
	dotGrouped            = regexp.MustCompile(`^[+-]?[1-9][0-9]{0,2}\.[0-9]{3}$`)
	dotsGrouped           = regexp.MustCompile(`^[+-]?[1-9][0-9]{0,2}(\.[0-9]{3}){2,}$`)
	thousandsThenDecimals = regexp.MustCompile(`^[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+,[0-9]+$`)
)

// integer reads a required whole number.
func integer(q *req, name, label string) (int, error) {
	s := field(q, name)
	if s == "" {
		return 0, invalidField(name, "err.form.required", q.T(label))
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidField(name, "err.form.integer", q.T(label), s)
	}
	return v, nil
}

// upload reads the form's file.
func upload(q *req) (workflows.Upload, func(), error) {
	f, fh, err := q.r.FormFile("file")
	if err != nil {
		if errors.Is(err, http.ErrMissingFile) {
			return workflows.Upload{}, func() {}, invalidField("file", "err.form.file")
		}
		return workflows.Upload{}, func() {}, invalidField("file", "err.form.file")
	}
	ct := fh.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	// Read once into a slice of its size: the store takes it without another copy (a
	// review finding: uploads held 2.3 times their size while stored).
	data := make([]byte, fh.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		_ = f.Close()
		return workflows.Upload{}, func() {}, fmt.Errorf("read the uploaded file: %w", err)
	}
	return workflows.Upload{Name: fh.Filename, ContentType: ct, Data: data}, func() { _ = f.Close() }, nil
}

// ---- nomination actions ----

func (h *handler) nomAction(q *req, form, flash string, run func(id string) error) error {
	id := q.r.PathValue("id")
	if err := run(id); err != nil {
		return h.again(q, form, err, func(e *uiError) error { return h.renderNomination(q, id, e) })
	}
	return redirect(q, "/nominations/"+id+"#"+anchorFor(form), flash)
}

func anchorFor(form string) string {
	switch {
	case strings.HasPrefix(form, "rule-"):
		return "crit-" + strings.TrimPrefix(form, "rule-")
	case form == "document":
		return "dossier"
	case form == "vote":
		return "vote"
	}
	return "verdict"
}

func (h *handler) attachDocument(q *req) error {
	return h.nomAction(q, "document", "attached", func(id string) error {
		kind := field(q, "kind")
		if kind == "" {
			return invalidField("kind", "err.form.required", q.T("doc.kind"))
		}
		up, done, err := upload(q)
		if err != nil {
			return err
		}
		defer done()
		_, _, err = h.svc.AttachDocument(q.r.Context(), q.p, id, domain.DocKind(kind), up, opts(q))
		return err
	})
}

func (h *handler) recordVote(q *req) error {
	return h.nomAction(q, "vote", "voted", func(id string) error {
		date, err := dateField(q, "meeting_date")
		if err != nil {
			return err
		}
		if date == "" {
			return invalidField("meeting_date", "err.form.required", q.T("vote.date"))
		}
		members, err := integer(q, "members", "vote.members")
		if err != nil {
			return err
		}
		present, err := integer(q, "present", "vote.present")
		if err != nil {
			return err
		}
		approve, err := integer(q, "approve", "vote.approve")
		if err != nil {
			return err
		}
		_, err = h.svc.RecordVote(q.r.Context(), q.p, id, domain.CouncilVoteData{MeetingDate: date, Members: members, Present: present, Approve: approve}, opts(q))
		return err
	})
}

func (h *handler) submit(q *req) error {
	return h.nomAction(q, "submit", "submitted", func(id string) error {
		_, err := h.svc.Submit(q.r.Context(), q.p, id, opts(q))
		return err
	})
}

func (h *handler) withdraw(q *req) error {
	return h.nomAction(q, "withdraw", "withdrawn", func(id string) error {
		_, err := h.svc.Withdraw(q.r.Context(), q.p, id, field(q, "reason"), opts(q))
		return err
	})
}

func (h *handler) correctNominee(q *req) error {
	return h.nomAction(q, "nominee", "corrected", func(id string) error {
		nominee := domain.Nominee{Kind: domain.NomineeIndividual, Name: field(q, "name"), Position: field(q, "position"),
			Gender: field(q, "gender"), Head: field(q, "head") == "on", NotHead: field(q, "not_head") == "on"}
		_, err := h.svc.CorrectNominee(q.r.Context(), q.p, id, nominee, field(q, "reason"), opts(q))
		return err
	})
}

func (h *handler) rule(q *req) error {
	crit := field(q, "criterion")
	return h.nomAction(q, "rule-"+crit, "ruled", func(id string) error {
		if crit == "" {
			return invalid("err.form.required", q.T("crit.criterion"))
		}
		res := field(q, "result")
		if res == "" {
			return invalidField("result", "err.form.required", q.T("crit.result"))
		}
		_, err := h.svc.Rule(q.r.Context(), q.p, id, crit, workflows.RuleInput{Result: res, Note: field(q, "note"), Document: field(q, "document")}, opts(q))
		return err
	})
}

func (h *handler) returnNomination(q *req) error {
	return h.nomAction(q, "return", "returned", func(id string) error {
		_, err := h.svc.Return(q.r.Context(), q.p, id, field(q, "reason"), opts(q))
		return err
	})
}

func (h *handler) hold(q *req) error {
	return h.nomAction(q, "hold", "held", func(id string) error {
		_, err := h.svc.Hold(q.r.Context(), q.p, id, field(q, "reason"), opts(q))
		return err
	})
}

func (h *handler) release(q *req) error {
	return h.nomAction(q, "release", "released", func(id string) error {
		_, err := h.svc.Release(q.r.Context(), q.p, id, field(q, "reason"), opts(q))
		return err
	})
}

// grant: POST /campaigns/{id}/awards (council), from the nomination page.
func (h *handler) grant(q *req) error {
	nom := field(q, "nomination")
	if nom == "" {
		return errNotFound
	}
	_, err := h.svc.GrantAward(q.r.Context(), q.p, q.r.PathValue("id"), workflows.GrantInput{Nomination: nom, Decision: field(q, "decision")}, opts(q))
	if err != nil {
		return h.again(q, "grant", err, func(e *uiError) error { return h.renderNomination(q, nom, e) })
	}
	return redirect(q, "/nominations/"+nom+"#verdict", "granted")
}

// revoke: POST /awards/{id}/revoke (council), from the nomination page.
func (h *handler) revoke(q *req) error {
	nom := field(q, "nomination")
	_, err := h.svc.RevokeAward(q.r.Context(), q.p, q.r.PathValue("id"), workflows.RevokeInput{Ground: field(q, "ground"), Note: field(q, "note")}, opts(q))
	if err != nil {
		if nom == "" {
			return err
		}
		return h.again(q, "revoke", err, func(e *uiError) error { return h.renderNomination(q, nom, e) })
	}
	if nom == "" {
		return redirect(q, "/", "revoked")
	}
	return redirect(q, "/nominations/"+nom+"#verdict", "revoked")
}

// ---- unit actions ----

// openNomination: POST /campaigns/{id}/nominations (clerk of the unit, admin), from the unit page.
func (h *handler) openNomination(q *req) error {
	return h.open(q, q.r.PathValue("id"), field(q, "unit"))
}

// openNominationOfUnit opens a nomination from the unit's page, in the campaign chosen
// there among those still taking nominations.
func (h *handler) openNominationOfUnit(q *req) error {
	return h.open(q, field(q, "campaign"), q.r.PathValue("id"))
}

// open opens a nomination of unit in campaign, as the form asked.
func (h *handler) open(q *req, campaign, unit string) error {
	if unit == "" {
		return errNotFound
	}
	if campaign == "" {
		return h.again(q, "open", invalidField("campaign", "err.form.required", q.T("print.campaign")), func(e *uiError) error { return h.renderUnit(q, unit, e) })
	}
	in := workflows.OpenNominationInput{Unit: unit, Nominee: domain.Nominee{Kind: domain.NomineeKind(field(q, "kind"))}}
	if in.Nominee.Kind == domain.NomineeIndividual {
		in.Nominee.Name, in.Nominee.Position, in.Nominee.Gender = field(q, "name"), field(q, "position"), field(q, "gender")
		in.Nominee.Head = q.r.PostFormValue("head") == "on"
		in.Nominee.NotHead = q.r.PostFormValue("not_head") == "on"
	}
	r, err := h.svc.OpenNomination(q.r.Context(), q.p, campaign, in, opts(q))
	if err != nil {
		return h.again(q, "open", err, func(e *uiError) error { return h.renderUnit(q, unit, e) })
	}
	return redirect(q, "/nominations/"+r.ID, "opened")
}

func (h *handler) submitPlan(q *req) error {
	unit := q.r.PathValue("id")
	err := func() error {
		up, done, err := upload(q)
		if err != nil {
			return err
		}
		defer done()
		_, _, err = h.svc.SubmitPlan(q.r.Context(), q.p, unit, field(q, "campaign"), up, opts(q))
		return err
	}()
	if err != nil {
		return h.again(q, "plan", err, func(e *uiError) error { return h.renderUnit(q, unit, e) })
	}
	return redirect(q, "/units/"+unit+"#plans", "plan")
}

func (h *handler) recordFact(q *req) error {
	unit := q.r.PathValue("id")
	err := func() error {
		f := domain.FactRecordedData{Campaign: field(q, "campaign"), Fact: field(q, "fact"), Cause: field(q, "cause"), Note: field(q, "note")}
		if f.Fact == "" {
			return invalidField("fact", "err.form.required", q.T("fact.name"))
		}
		notAssigned := field(q, "not_assigned") != ""
		if notAssigned && f.Fact == domain.FactIndexComponent && field(q, "component") != "" {
			// "Not assigned" speaks of the unit's components as a whole, not of one.
			return invalidField("component", "err.fact.notassigned.component")
		}
		switch {
		case notAssigned:
			// What the unit was not assigned: no value, index or component.
			f.Status = domain.StatusNotAssigned
		case f.Fact == domain.FactParRating:
			f.Text = field(q, "value")
		case field(q, "status") == domain.StatusNotPublished && f.Fact == domain.FactIndexComponent:
			f.Status = domain.StatusNotPublished
		default:
			v, err := number(q, "value", "fact.value", domain.WholeFact(f.Fact))
			if err != nil {
				return err
			}
			f.Number = v
		}
		if f.Fact == domain.FactIndexComponent && !notAssigned {
			f.Index, f.Component = field(q, "index"), field(q, "component")
			if f.Status == "" {
				prev, err := number(q, "previous", "fact.previous", false)
				if err != nil {
					return err
				}
				f.Previous = prev
			}
		}
		if sha := field(q, "document"); sha != "" {
			f.Document = &domain.DocumentRef{SHA256: strings.ToLower(sha)}
		}
		_, err := h.svc.RecordFact(q.r.Context(), q.p, unit, f, opts(q))
		return err
	}()
	if err != nil {
		return h.again(q, "fact", err, func(e *uiError) error { return h.renderUnit(q, unit, e) })
	}
	return redirect(q, "/units/"+unit+"#facts", "fact")
}

// ---- admin actions ----

// adminAction runs an administrator's form: on a refusal the admin page again with the
// error by the form, on success a redirect to the form on it with the flash, or to where
// an optional then says (when it gives a path).
func (h *handler) adminAction(q *req, form, flash string, run func() error, then ...func() (path, flash string)) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	if err := run(); err != nil {
		return h.again(q, form, err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	for _, f := range then {
		if path, fl := f(); path != "" {
			return redirect(q, path, fl)
		}
	}
	path := "/admin#" + form
	if form == "users" {
		path = usersBack(q)
	}
	return redirect(q, path, flash)
}

// usersBack is the address of the accounts' page and search an account's form was posted
// from (users_q, users_from in its address), at the accounts table.
func usersBack(q *req) string {
	keep := url.Values{}
	for _, k := range []string{"users_q", "users_from"} {
		if v := q.r.URL.Query().Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if len(keep) > 0 {
		return "/admin?" + keep.Encode() + "#users"
	}
	return "/admin#users"
}

func (h *handler) registerUnit(q *req) error {
	return h.adminAction(q, "unit", "unit", func() error {
		// The id first, as the API and the import; the kind, name and parent by the
		// registration, in their order.
		if err := checkIDField(q, "id", domain.ValidateNewID); err != nil {
			return err
		}
		// A parent of spaces alone is no id, refused as the API and the import refuse it.
		parent := field(q, "parent")
		if parent == "" {
			parent = q.r.PostFormValue("parent")
		}
		_, err := h.svc.RegisterUnit(q.r.Context(), q.p, workflows.RegisterUnitInput{
			ID: field(q, "id"), Name: field(q, "name"), Kind: domain.UnitKind(field(q, "kind")), Parent: parent}, opts(q))
		if errors.Is(err, domain.ErrInvalidID) {
			return &inputError{field: "parent", err: err} // the id's own was checked above
		}
		return err
	}, func() (string, string) {
		// A unit of the same name as another under its parent is taken, and its page, where
		// the administrator lands, names the other (a review finding: it was taken without
		// a word).
		if id := field(q, "id"); len(h.model().Namesakes(id)) > 0 {
			return "/units/" + id + "#namesakes", "unit"
		}
		return "", ""
	})
}

// importUnits registers a list of units from an uploaded CSV file (the province's
// register), all or none, as POST /api/v1/units/import does.
func (h *handler) importUnits(q *req) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	n, same, err := func() (int, int, error) {
		up, done, err := upload(q)
		if err != nil {
			return 0, 0, err
		}
		defer done()
		rows, err := workflows.ParseUnitList(up.Data)
		if err != nil {
			return 0, 0, err
		}
		res, err := h.svc.ImportUnits(q.r.Context(), q.p, rows, opts(q))
		if err != nil || res.Duplicate {
			return 0, 0, err // a form sent twice: the first answer said how many
		}
		same := 0
		for _, row := range rows {
			if len(h.model().Namesakes(row.ID)) > 0 {
				same++
			}
		}
		return len(rows), same, nil
	}()
	if err != nil {
		return h.again(q, "units", err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	switch {
	case n == 0:
		return redirect(q, "/admin#units", "units")
	case same > 0:
		// How many share a name with another active unit under their parent: most likely
		// units registered before under other ids (a review finding: taken without a word).
		return redirect(q, fmt.Sprintf("/admin?n=%d&m=%d#units", n, same), "units")
	}
	// The flash says how many were registered (a review finding: it did not).
	return redirect(q, fmt.Sprintf("/admin?n=%d#units", n), "units")
}

// maxDefinitionBytes bounds a campaign definition file (the 2025 campaign's is 9 KiB).
const maxDefinitionBytes = 1 << 20

// launchCampaign launches a campaign from an uploaded definition file, as POST
// /api/v1/campaigns does, and shows its dashboard.
func (h *handler) launchCampaign(q *req) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	var id string
	flash := "campaign"
	err := func() error {
		up, done, err := upload(q)
		if err != nil {
			return err
		}
		defer done()
		body := up.Data
		if len(body) > maxDefinitionBytes {
			return &domain.DefinitionError{Problem: fmt.Sprintf("the file is over %d bytes", maxDefinitionBytes)}
		}
		if problem := api.JSONProblem(body); problem != "" {
			return &domain.DefinitionError{Problem: problem}
		}
		def, err := domain.ParseDefinition(body)
		if err != nil {
			return err
		}
		for field, day := range map[string]string{"starts": def.Starts, "ends": def.Ends} {
			if t, err := time.Parse(time.DateOnly, day); err != nil || !api.InRange(t) {
				return &domain.DefinitionError{Field: field, Problem: fmt.Sprintf("%s is not a date from 2000 to 2099", day)}
			}
		}
		id = def.ID
		res, err := h.svc.LaunchCampaign(q.r.Context(), q.p, def, opts(q))
		if err == nil && workflows.Revised(h.model(), def.ID, res) {
			flash = "revised" // a higher version of a campaign launched already
		}
		return err
	}()
	if err != nil {
		return h.again(q, "campaign", err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	return redirect(q, "/campaigns/"+url.PathEscape(id), flash)
}

type tokenData struct {
	Name, Role, Unit, Token string
	// Reissued is true for a new token in place of an old one (reissueToken).
	Reissued bool
	// Back is where the page leads back to: the administration page, at the accounts'
	// page and search the reissue was asked from.
	Back string
}

// createUser registers a user and shows the token once: it is never stored in clear.
func (h *handler) createUser(q *req) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	in := workflows.CreateUserInput{Name: field(q, "name"), Role: domain.Role(field(q, "role")), Unit: field(q, "unit")}
	_, token, err := h.svc.CreateUser(q.r.Context(), q.p, in, opts(q))
	if err == nil && token == "" {
		err = invalid("err.form.duplicate")
	}
	if err != nil {
		return h.again(q, "user", err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	pg := h.newPage(q, q.T("token.title"))
	pg.Nav = "admin"
	pg.canonical("/admin")
	pg.Flash = q.T("flash.user")
	h.pages.render(q, http.StatusCreated, "token", pg, tokenData{Name: in.Name, Role: string(in.Role), Unit: in.Unit, Token: token})
	return nil
}

// reissueToken gives a user a new token in place of a lost or leaked one, and shows it
// once, as createUser does; the old token stops working.
func (h *handler) reissueToken(q *req) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	id := q.r.PathValue("id")
	_, token, err := h.svc.ReissueToken(q.r.Context(), q.p, id, opts(q))
	if err == nil && token == "" {
		err = invalid("err.form.duplicate")
	}
	if err != nil {
		return h.again(q, "users", err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	d := tokenData{Token: token, Reissued: true, Back: usersBack(q)}
	if u, ok := h.model().User(id); ok {
		d.Name, d.Role, d.Unit = u.Name, u.Role, u.Unit
	}
	pg := h.newPage(q, q.T("token.reissued"))
	pg.Nav = "admin"
	pg.canonical("/admin")
	pg.Flash = q.T("flash.token")
	h.pages.render(q, http.StatusOK, "token", pg, d)
	return nil
}

// disableUser locks a user out (a reason is required); their token stops working.
func (h *handler) disableUser(q *req) error {
	return h.adminAction(q, "users", "disabled", func() error {
		_, err := h.svc.DisableUser(q.r.Context(), q.p, q.r.PathValue("id"), field(q, "reason"), opts(q))
		return err
	})
}

func (h *handler) merge(q *req) error {
	return h.adminAction(q, "merger", "merged", func() error {
		// Checked boxes, or ids typed in one field, separated by commas or spaces.
		var sources []string
		for _, s := range q.r.PostForm["sources"] {
			sources = append(sources, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
		}
		if len(sources) == 0 {
			return invalidField("sources", "err.form.required", q.T("merge.sources"))
		}
		for _, s := range sources {
			if err := domain.ValidateID(s); err != nil {
				return &inputError{field: "sources", err: err}
			}
		}
		if err := checkIDField(q, "successor", domain.ValidateID); err != nil {
			return err
		}
		effective, err := dateField(q, "effective")
		if err != nil {
			return err
		}
		_, err = h.svc.Reorganise(q.r.Context(), q.p, workflows.ReorganiseInput{Kind: "merge", Sources: sources,
			Successor: field(q, "successor"), SuccessorName: field(q, "successor_name"), SuccessorKind: domain.UnitKind(field(q, "successor_kind")),
			Effective: effective, Decision: field(q, "decision")}, opts(q))
		return err
	})
}

// setDeadline: POST /campaigns/{id}/deadline (admin), from the admin page.
func (h *handler) setDeadline(q *req) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	err := func() error {
		s := field(q, "closes")
		if s == "" {
			return invalidField("closes", "err.form.required", q.T("deadline.closes"))
		}
		t, err := parseDateTime(s, false)
		if err != nil {
			return invalidField("closes", "err.form.moment", s)
		}
		_, err = h.svc.SetDeadline(q.r.Context(), q.p, q.r.PathValue("id"), t, opts(q))
		return err
	}()
	if err != nil {
		// Each campaign has its own deadline form: the error goes to the one posted.
		return h.again(q, "deadline-"+q.r.PathValue("id"), err, func(e *uiError) error { return h.renderAdmin(q, e) })
	}
	return redirect(q, "/campaigns/"+q.r.PathValue("id"), "deadline")
}
