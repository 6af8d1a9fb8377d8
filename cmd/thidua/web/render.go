package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"thidua/domain"
	"thidua/workflows"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// renderer holds one template set per page, each with the layout and the partials, and
// the version of each static file (assetVersions).
type renderer struct {
	sets   map[string]*template.Template
	assets map[string]string
}

// assetVersions returns, for each file of static/, a digest of its bytes: the pages refer
// to a file as /assets/NAME?v=DIGEST, which a browser may keep for good (a new build's
// file has another address), where the plain address was kept an hour, so that after
// an upgrade pages ran the old script for up to an hour.
func assetVersions() map[string]string {
	out := map[string]string{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic("web: the embedded static files: " + err.Error())
	}
	for _, e := range entries {
		data, err := fs.ReadFile(staticFS, "static/"+e.Name())
		if err != nil {
			panic("web: the embedded static files: " + err.Error())
		}
		sum := sha256.Sum256(data)
		out[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return out
}

// pageNames are the pages in templates/, each defining "main".
var pageNames = []string{
	"signin", "home", "dashboard", "ranking", "queue", "nominations", "nomination", "print",
	"timeline", "unit", "units", "admin", "token", "error", "integrity",
}

func newRenderer() *renderer {
	assets := assetVersions()
	funcs := template.FuncMap{
		// asset is the address of a static file at its version.
		"asset": func(name string) string { return "/assets/" + name + "?v=" + assets[name] },
		"short": shortHash,
		"add":   func(a, b int) int { return a + b },
		"join":  strings.Join,
		"slice1": func(s string) []string {
			if s == "" {
				return nil
			}
			return []string{s}
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"contains": func(list []string, s string) bool {
			for _, v := range list {
				if v == s {
					return true
				}
			}
			return false
		},
	}
	r := &renderer{sets: map[string]*template.Template{}, assets: assets}
	for _, name := range pageNames {
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
		r.sets[name] = t
	}
	return r
}

// render writes a page with status. data is the page's own data (frame.Data).
func (rd *renderer) render(q *req, status int, name string, pg *frame, data any) {
	if data != nil {
		pg.Data = data
	}
	var buf bytes.Buffer
	if err := rd.sets[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		http.Error(q.w, "template "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Header().Set("Content-Language", q.lang)
	q.w.WriteHeader(status)
	_, _ = q.w.Write(buf.Bytes())
}

// frame is what every template receives: the frame (language, user, navigation, CSRF
// token, messages) and the page's own Data.
type frame struct {
	// Lang is "vi" or "en".
	Lang string
	// Title is the page's title (also its h1 unless the page writes its own).
	Title string
	// User is the signed-in user, nil when signed out.
	User *workflows.Principal
	// CSRF is the token every POST form carries.
	CSRF string
	// Idem is the idempotency key this rendering's forms carry (per form), so that a
	// form sent twice appends once.
	Idem string
	// AltLang and AltURL switch the language of the same page.
	AltLang, AltURL string
	// Campaign is the campaign the navigation points at.
	Campaign string
	// Nav names the active navigation item.
	Nav string
	// Flash is a translated success message.
	Flash string
	// Err is the error of a failed form or page.
	Err *uiError
	// Form holds the values of the failed form, to fill it in again.
	Form url.Values
	// Print marks a printable page (the print button shows).
	Print bool
	// MaxUpload is the largest file, in bytes, an upload form takes.
	MaxUpload int64
	// Back is the page a refused form was sent from, for the error page's link back.
	Back string
	// Data is the page's own data.
	Data any
	// campaignNames holds each campaign's Vietnamese and English names by id.
	campaignNames map[string][2]string
}

// newPage builds the frame of a page.
func (h *handler) newPage(q *req, title string) *frame {
	pg := &frame{Lang: q.lang, Title: title, CSRF: h.csrfToken(q), Idem: randomKey(), MaxUpload: h.svc.Store().MaxDocumentSize()}
	if q.signedIn {
		p := q.p
		pg.User = &p
	}
	alt := "en"
	if q.lang == "en" {
		alt = "vi"
	}
	u := *q.r.URL
	v := u.Query()
	v.Set("lang", alt)
	v.Del("done")
	v.Del("n")
	v.Del("m")
	v.Del("f")
	u.RawQuery = v.Encode()
	pg.AltLang, pg.AltURL = alt, u.RequestURI()
	if q.r.Method != http.MethodGet {
		// A page rendered after a refused form: switch language on the page it came from.
		pg.AltURL = "/?lang=" + alt
	}
	if f, ok := q.flashShown(); ok {
		pg.Flash = q.T("flash." + f)
		// A flash with a count (n, from the action's redirect) says it when it has a form for one.
		// and a second count (m) when it has a form for both; the forms with counts are
		// keys no done= names ("count."), and a count is one an import can make (a review
		// finding: they showed their verbs, and any count).
		n, errN := strconv.Atoi(q.r.URL.Query().Get("n"))
		if errN == nil && n > 0 && n <= workflows.MaxImportedUnits && hasKey("count."+f) {
			pg.Flash = q.T("count."+f, n)
			if m, err := strconv.Atoi(q.r.URL.Query().Get("m")); err == nil && m > 0 && m <= n && hasKey("count."+f+"_same") {
				pg.Flash = q.T("count."+f+"_same", n, m)
			}
		}
	}
	camps := h.svc.Model().Campaigns()
	pg.campaignNames = make(map[string][2]string, len(camps))
	for i, c := range camps {
		if i == 0 {
			pg.Campaign = c.ID
		}
		pg.campaignNames[c.ID] = [2]string{c.NameVI, c.NameEN}
	}
	return pg
}

// canonical points the language switch at the GET address of the page, for pages
// rendered again after a refused form.
func (p *frame) canonical(path string) {
	if strings.Contains(p.AltURL, "lang=") && strings.HasPrefix(p.AltURL, "/?") {
		p.AltURL = path + "?lang=" + p.AltLang
	}
}

// T translates a key in the page's language.
func (p *frame) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// L translates an enumerated value: the key prefix + "." + value, or the value itself.
func (p *frame) L(prefix string, value any) string {
	v := fmt.Sprint(value)
	if v == "" {
		return ""
	}
	if hasKey(prefix + "." + v) {
		return translate(p.Lang, prefix+"."+v)
	}
	return v
}

// Pick returns vi or en by the page's language.
func (p *frame) Pick(vi, en string) string {
	if p.Lang == "en" && en != "" {
		return en
	}
	return vi
}

// CampaignName is the name of campaign id in the page's language, or the id itself for a
// campaign the model does not know.
func (p *frame) CampaignName(id string) string {
	if n, ok := p.campaignNames[id]; ok && n[0] != "" {
		return p.Pick(n[0], n[1])
	}
	return id
}

// Time formats a time in the campaign's zone (Asia/Ho_Chi_Minh).
func (p *frame) Time(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	if p.Lang == "en" {
		return tt.In(zone).Format("2006-01-02 15:04")
	}
	return tt.In(zone).Format("02/01/2006 15:04")
}

// TimeSec formats a time with seconds, for the audit trail.
func (p *frame) TimeSec(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	if p.Lang == "en" {
		return tt.In(zone).Format("2006-01-02 15:04:05")
	}
	return tt.In(zone).Format("02/01/2006 15:04:05")
}

// ISO formats a time for a <time datetime> attribute.
func (p *frame) ISO(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	return tt.In(zone).Format(time.RFC3339)
}

// Date formats a YYYY-MM-DD date for reading.
func (p *frame) Date(s string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || p.Lang == "en" {
		return s
	}
	return d.Format("02/01/2006")
}

// Num formats a number with the language's decimal mark.
func (p *frame) Num(v any) string {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case *float64:
		if x == nil {
			return "—"
		}
		f = *x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case nil:
		return "—"
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if math.Abs(f-math.Round(f*100)/100) > 1e-9 {
		s = strconv.FormatFloat(f, 'f', 2, 64)
	}
	if p.Lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Pct formats a ratio 0..1 as a percentage.
func (p *frame) Pct(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "—"
	}
	return p.Num(math.Round(f*1000)/10) + " %"
}

// Bytes formats a size.
func (p *frame) Bytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return p.Num(math.Round(float64(n)/102.4)/10) + " KiB"
	}
	return p.Num(math.Round(float64(n)/(1<<20)*10)/10) + " MiB"
}

// FormValue returns a value the user typed into form, when that form failed.
func (p *frame) FormValue(form, field string) string {
	if p.Form == nil || p.Form.Get("_form") != form {
		return ""
	}
	return p.Form.Get(field)
}

// FormHas reports whether the form that failed was form and posted value among field's
// values (a ticked box, a chosen option), so that the page shows it chosen again.
func (p *frame) FormHas(form, field, value string) bool {
	if p.Form == nil || p.Form.Get("_form") != form {
		return false
	}
	return slices.Contains(p.Form[field], value)
}

// Field returns the attributes, each after a space, that tie input name of form to what describes it: its
// hint's id (hint, "" for none) in aria-describedby and, when form failed because of this
// input, aria-invalid and the id of the form's error message before the hint's, so that
// a screen reader reads why the value was refused when the input takes the focus.
func (p *frame) Field(form, name, hint string) template.HTMLAttr {
	var ids []string
	invalid := p.Err != nil && p.Err.Form == form && p.Err.Field == name && name != ""
	if invalid {
		ids = append(ids, "err-"+form)
	}
	if hint != "" {
		ids = append(ids, hint)
	}
	var b strings.Builder
	if invalid {
		b.WriteString(` aria-invalid="true"`)
	}
	if len(ids) > 0 {
		b.WriteString(` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
	}
	return template.HTMLAttr(b.String())
}

// VI returns the attribute that marks text written only in Vietnamese (the campaign's
// award, a decision's number and title, what users wrote) on a page in another language,
// so that a screen reader reads it with a Vietnamese voice (WCAG 3.1.2; a review finding);
// nothing on a Vietnamese page.
func (p *frame) VI() template.HTMLAttr {
	if p.Lang == "vi" {
		return ""
	}
	return ` lang="vi"`
}

// ErrorFor returns the error of form, when that form failed.
func (p *frame) ErrorFor(form string) *uiError {
	if p.Err != nil && p.Err.Form == form {
		return p.Err
	}
	return nil
}

// Role reports whether the user has one of the roles.
func (p *frame) Role(roles ...string) bool {
	if p.User == nil {
		return false
	}
	for _, r := range roles {
		if string(p.User.Role) == r {
			return true
		}
	}
	return false
}

func asTime(t any) (time.Time, bool) {
	switch x := t.(type) {
	case time.Time:
		return x, !x.IsZero()
	case *time.Time:
		if x == nil {
			return time.Time{}, false
		}
		return *x, !x.IsZero()
	}
	return time.Time{}, false
}

// zone is the campaigns' time zone, in which times are shown and read.
var zone = func() *time.Location {
	loc, err := domain.Definition{}.Location()
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// asset serves an embedded static file.
func (h *handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if r.URL.Path == "/favicon.ico" {
		name = "favicon.svg"
	}
	if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	// At its version's address a file never changes: kept for good. At another (the
	// plain one, a bookmark, an earlier build's), it is revalidated with its ETag.
	version := h.pages.assets[name]
	if v := r.URL.Query().Get("v"); v != "" && v == version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	// A weak tag: Compress may send the file compressed (app.css is near its threshold),
	// and the compressed bytes are not the plain ones a strong tag would promise (If-Range).
	w.Header().Set("ETag", `W/"`+version+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// randomKey returns a random key for idempotency.
func randomKey() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
