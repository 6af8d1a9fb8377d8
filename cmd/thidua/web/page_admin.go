package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
)

// ---- admin ----

type adminData struct {
	Active []projections.UnitView
	// TypeUnits is true when the forms take units by id, typed (more active units than
	// maxUnitChoices); Active is then empty.
	TypeUnits bool
	// Users are the page of accounts shown (UsersPage), of those UsersSearch finds.
	Users       []projections.UserView
	UsersSearch string
	UsersPage   offsetPage
	// UsersQuery is the page's search and offset as a query ("" for none), which the
	// accounts' forms post to, so that the page they come back to is this one.
	UsersQuery string
	Campaigns  []projections.CampaignView
	Kinds      []string
	Roles      []string
}

// integrityPage lists what the projections found that does not verify (events altered or
// appended behind the engine's back, messages lost on disk), as GET /api/v1/integrity does
// for the administrator and the auditor; thidua verify checks the actors and documents too.
func (h *handler) integrityPage(q *req) error {
	return h.renderIntegrity(q, nil)
}

// renderIntegrity renders the integrity page, with the restore form's error e (nil: none).
func (h *handler) renderIntegrity(q *req, e *uiError) error {
	if q.p.Role != domain.RoleAdmin && q.p.Role != domain.RoleAuditor {
		return errForbidden
	}
	pg := h.newPage(q, q.T("integrity.title"))
	pg.Nav = "integrity"
	r := h.model().IntegrityReport()
	d := integrityData{Digest: r.Digest, CanRestore: q.p.Role == domain.RoleAdmin, ProblemCount: len(r.Problems)}
	// Each list a page at a time: a store that lost its documents has one problem per
	// citation, hundreds of thousands at a million events, and the whole list was a page
	// of 118 MB built in 30 s (a review finding). The API and thidua verify --json give
	// them all.
	v := q.r.URL.Query()
	from := func(param string, total int) int {
		n, _ := strconv.Atoi(v.Get(param))
		return min(max(n, 0), total)
	}
	size := h.cfg.pageRows
	keep := func(other string) url.Values {
		k := url.Values{}
		if o := v.Get(other); o != "" {
			k.Set(other, o)
		}
		return k
	}
	off := from("from", len(r.Problems))
	d.Problems = r.Problems[off:min(off+size, len(r.Problems))]
	d.ProblemsPage = pageAtParam("/integrity", "from", keep("docs_from"), off, len(d.Problems), len(r.Problems), size)
	if c, ok := h.svc.DocumentChecks(); ok {
		d.DocProblemCount = len(c.Problems)
		off := from("docs_from", len(c.Problems))
		c.Problems = c.Problems[off:min(off+size, len(c.Problems))]
		d.DocsPage = pageAtParam("/integrity", "docs_from", keep("from"), off, len(c.Problems), d.DocProblemCount, size)
		d.DocsPage.Prev, d.DocsPage.Next = anchored(d.DocsPage.Prev, "#documents"), anchored(d.DocsPage.Next, "#documents")
		d.Documents = &c
		d.Cited = map[string]docCiters{}
		for _, pr := range c.Problems {
			var dc docCiters
			if f, ok := h.model().FirstFiling(pr.SHA256); ok {
				dc.Name = f.Name
			}
			dc.Nominations, dc.Units = h.model().DocumentCiters(pr.SHA256)
			d.Cited[pr.SHA256] = dc
		}
	}
	if c, ok := h.svc.GrantChecks(); ok {
		d.Grants = &c
	}
	d.OthersBroken = d.DocProblemCount > 0 || d.Grants != nil && len(d.Grants.Problems) > 0
	status := http.StatusOK
	if e != nil {
		pg.Err, pg.Form, status = e, q.r.PostForm, e.Status
	}
	h.pages.render(q, status, "integrity", pg, d)
	return nil
}

// restoreDocument: POST /integrity/restore (admin), a document's original: stored again
// when the events cite it (workflows.RestoreDocument), nothing recorded.
func (h *handler) restoreDocument(q *req) error {
	err := func() error {
		up, done, err := upload(q)
		if err != nil {
			return err
		}
		defer done()
		_, err = h.svc.RestoreDocument(q.r.Context(), q.p, up)
		return err
	}()
	if err != nil {
		return h.again(q, "restore", err, func(e *uiError) error { return h.renderIntegrity(q, e) })
	}
	return redirect(q, "/integrity#documents", "restored")
}

// takesNominations reports whether campaign c still takes nominations at now: before its
// deadline, if it has one (as domain.Campaign.CheckDeadline decides).
func takesNominations(c projections.CampaignView, now time.Time) bool {
	return c.Deadline == nil || !now.After(*c.Deadline)
}

// archive sends an administrator or an auditor the stream up to ?seq= (default: the last
// sequence applied) as an archive (api.ServeArchive), as the API's GET /archive does.
func (h *handler) archive(q *req) error {
	if err := h.svc.MayArchive(q.p); err != nil {
		return errForbidden
	}
	if q.r.URL.Query().Has("at") {
		return invalid("err.archive.at")
	}
	var seq uint64
	if s := strings.TrimSpace(q.r.URL.Query().Get("seq")); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return invalid("err.form.seq", s)
		}
		seq = n
	}
	release, err := h.archives.Acquire(q.r.Context(), q.p.UserID)
	if err != nil {
		return err
	}
	defer release()
	return api.ServeArchive(q.w, q.r, h.svc, q.p, seq, h.cfg.log)
}

// integrityData is the integrity page's: the problems found, and the stream's digest up
// to the last sequence applied (nil while the server reads it).
type integrityData struct {
	// Problems are the page of the projections' problems shown (ProblemsPage), of
	// ProblemCount.
	Problems     []projections.IntegrityProblem
	ProblemCount int
	ProblemsPage offsetPage
	// DocProblemCount counts the latest document check's problems, of which Documents
	// holds the page shown (DocsPage).
	DocProblemCount int
	DocsPage        offsetPage
	Digest          *eventstore.Digest
	// Documents is the latest check of the document store (nil: none yet).
	Documents *workflows.DocumentCheck
	// CanRestore offers the form that restores a document from its original (admin).
	CanRestore bool
	// Grants is the latest check of the grants' recorded rankings (nil: none yet).
	Grants *workflows.GrantCheck
	// OthersBroken is set when the event stream has no problem but the document store or
	// the grants' rankings have.
	OthersBroken bool
	// Cited names, for each document with a problem, the name it was filed under and
	// whom it concerns (a review finding: the page named a missing file by its SHA-256
	// alone, and the administrator could not tell which dossier needed its original).
	Cited map[string]docCiters
}

// docCiters is a document's filed name and the nominations and units citing it.
type docCiters struct {
	Name               string
	Nominations, Units []string
}

func (h *handler) adminPage(q *req) error { return h.renderAdmin(q, nil) }

func (h *handler) renderAdmin(q *req, e *uiError) error {
	if q.p.Role != domain.RoleAdmin {
		return errForbidden
	}
	pg := h.newPage(q, q.T("admin.title"))
	pg.Nav = "admin"
	pg.canonical("/admin")
	d := adminData{Campaigns: h.model().Campaigns(),
		Kinds: []string{string(domain.UnitDepartment), string(domain.UnitVertical), string(domain.UnitDistrict), string(domain.UnitCommune)},
		Roles: []string{string(domain.RoleClerk), string(domain.RoleReviewer), string(domain.RoleCouncil), string(domain.RoleAuditor), string(domain.RoleAdmin)}}
	// The accounts a page at a time, found by id, name or unit: one per unit and more,
	// each with two forms, made a page of 24 MB built in 3 s at 20,000 (a review finding).
	v := q.r.URL.Query()
	d.UsersSearch = strings.TrimSpace(v.Get("users_q"))
	from, _ := strconv.Atoi(v.Get("users_from"))
	from = max(from, 0)
	users, total := h.model().UserPage(d.UsersSearch, from, h.cfg.pageRows)
	d.Users = users
	keep := url.Values{}
	if d.UsersSearch != "" {
		keep.Set("users_q", d.UsersSearch)
	}
	d.UsersPage = pageAtParam("/admin", "users_from", keep, from, len(d.Users), total, h.cfg.pageRows)
	d.UsersPage.Prev, d.UsersPage.Next = anchored(d.UsersPage.Prev, "#users"), anchored(d.UsersPage.Next, "#users")
	// The row forms come back to this page of this search, refused or done (a review
	// finding: a refused disable showed the first page, unsearched).
	if from > 0 {
		keep.Set("users_from", strconv.Itoa(from))
	}
	if len(keep) > 0 {
		d.UsersQuery = "?" + keep.Encode()
	}
	if h.model().UnitCount(domain.UnitActive) > maxUnitChoices {
		// A national deployment's tens of thousands of units would be listed four times.
		d.TypeUnits = true
	} else {
		d.Active = byName(h.model().Units("", domain.UnitActive))
	}
	status := http.StatusOK
	if e != nil {
		pg.Err, pg.Form, status = e, q.r.PostForm, e.Status
	}
	h.pages.render(q, status, "admin", pg, d)
	return nil
}

// anchored is a page's address with the fragment of the list it pages ("" stays "").
func anchored(link, fragment string) string {
	if link == "" {
		return ""
	}
	return link + fragment
}
