//go:build e2e

// Browser tests of the web UI: a real engine, the handler on httptest and headless
// Chromium driven by chromedp. Run with
//
//	go test -tags e2e ./cmd/thidua/web/
//
// Chromium is /usr/bin/chromium (or $CHROMIUM_PATH). Screenshots of every page, at
// desktop width and at 390 px, go to $THIDUA_SCREENSHOTS (default: a temporary
// directory, logged). The accessibility check injects axe-core from $AXE_PATH (default
// /tmp/axe/node_modules/axe-core/axe.min.js) and is skipped, with a message, only when
// that file is missing.
package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"thidua/cmd/thidua/web"
	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// browser is one headless Chromium tab on the test server, with the requests it made.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	host  string
	shots string
	axe   string
	// axeRequired: AXE_PATH was set, so a missing file is an error, not a skip.
	axeRequired bool

	mu       sync.Mutex
	requests []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := os.Getenv("CHROMIUM_PATH")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install -y chromium, or set CHROMIUM_PATH): %v", exe, err)
	}
	shots := os.Getenv("THIDUA_SCREENSHOTS")
	if shots == "" {
		var err error
		if shots, err = os.MkdirTemp("", "thidua-screenshots-"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", shots)
	u, _ := url.Parse(base)
	b := &browser{t: t, base: base, host: u.Host, shots: shots}
	if p := os.Getenv("AXE_PATH"); p != "" {
		b.axe, b.axeRequired = p, true
	} else {
		b.axe = "/tmp/axe/node_modules/axe-core/axe.min.js"
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b.ctx = ctx
	return b
}

// step runs actions with a timeout.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path and returns the HTTP status of the document.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// click clicks and waits for the page it leads to; it returns that page's status.
func (b *browser) click(sel string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return resp.Status
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// count returns how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func (b *browser) set(sel, value string) {
	b.t.Helper()
	b.step("set "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (b *browser) upload(sel, file string) {
	b.t.Helper()
	b.step("upload "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{file}))
}

func (b *browser) signIn(token string) {
	b.t.Helper()
	b.step("clear cookies", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	b.open("/signin")
	b.step("type token", chromedp.SendKeys(chromedp.ID("token"), token))
	if st := b.click("#form-signin button[type=submit]"); st != 200 {
		b.t.Fatalf("sign-in answered %d", st)
	}
	if !strings.Contains(b.text("p.flash"), "Đăng nhập thành công") {
		b.t.Fatalf("no sign-in confirmation")
	}
}

func (b *browser) signOut() {
	b.t.Helper()
	b.click("form[action='/signout'] button")
}

// shot writes screenshots of the current page at desktop width and at 390 px (a
// phone), checks that the phone layout does not scroll sideways, and runs axe.
func (b *browser) shot(name string) {
	b.t.Helper()
	for _, w := range []int64{1280, 390} {
		b.step("viewport", chromedp.EmulateViewport(w, 900))
		time.Sleep(150 * time.Millisecond)
		buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shots, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(file, buf, 0o644); err != nil {
			b.t.Fatal(err)
		}
		if w == 390 {
			over, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				b.t.Fatal(err)
			}
			if over {
				b.t.Errorf("%s: the page scrolls sideways at 390 px", name)
			}
		}
	}
	b.step("viewport", chromedp.EmulateViewport(1280, 900))
	b.t.Run("axe/"+name, b.checkAxe)
}

// printShot renders the current page as printed: a screenshot with the print
// stylesheet at A4 width, and a PDF.
func (b *browser) printShot(name string) {
	b.t.Helper()
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	b.step("print media", media("print"), chromedp.EmulateViewport(794, 1123))
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("print screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+"-print.png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.step("screen media", media(""), chromedp.EmulateViewport(1280, 900))
	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		b.t.Fatalf("print %s to PDF: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".pdf"), pdf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// checkAxe injects axe-core and fails on serious or critical violations.
func (b *browser) checkAxe(t *testing.T) {
	src, err := os.ReadFile(b.axe)
	if err != nil && b.axeRequired {
		t.Fatalf("axe-core not found at AXE_PATH=%s: %v", b.axe, err)
	}
	if err != nil {
		t.Skipf("axe-core not found at %s (npm install --prefix /tmp/axe axe-core, or set AXE_PATH): %v", b.axe, err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](`axe.run(document, {resultTypes: ["violations"]}).then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe: %v", err)
	}
	var res struct {
		Passes     int
		Violations []struct {
			ID, Impact, Help string
			Nodes            []string
		}
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	if res.Passes == 0 {
		t.Fatalf("axe checked nothing on the page (no passing rule)")
	}
	for _, v := range res.Violations {
		msg := fmt.Sprintf("axe %s (%s): %s — %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
}

// offHost returns the requests that went to another host.
func (b *browser) offHost() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil {
			out = append(out, r)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			continue
		}
		if u.Host != b.host {
			out = append(out, r)
		}
	}
	return out
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrowser(t *testing.T) {
	e := newEnv(t, web.WithRankingPoll(250*time.Millisecond))
	ctx := e.Ctx
	files := t.TempDir()

	// The province: the unit under test, another department, and others that make the
	// ranking and the lineage worth looking at.
	e.UnitNamed("SO-TU-PHAP", "Sở Tư pháp", domain.UnitDepartment)
	e.UnitNamed("SO-Y-TE", "Sở Y tế", domain.UnitDepartment)
	e.UnitNamed("CT", "Cục Thuế tỉnh", domain.UnitVertical)
	e.UnitNamed("NINH-HAI", "UBND huyện Ninh Hải", domain.UnitDistrict)
	e.UnitNamed("THUAN-BAC", "UBND huyện Thuận Bắc", domain.UnitDistrict)
	e.OK(e.Svc.Reorganise(ctx, e.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"THUAN-BAC"}, Successor: "NINH-HAI",
		Effective: "2025-07-01", Decision: "Nghị quyết 1234/NQ-UBTVQH15"}, workflows.Options{}))
	seedReviewer := e.User(domain.RoleReviewer, "")
	_, thueClerk := e.MakeEligible("CT", seedReviewer, 88.5)
	e.MakeEligible("NINH-HAI", seedReviewer, 86)
	ind := e.Dossier(thueClerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Thị Hoa", Position: "Phó Cục trưởng", Gender: "female"})
	e.RuleAll(seedReviewer, ind)

	clerk := e.user("Trần Thị Mai", domain.RoleClerk, "SO-TU-PHAP")
	otherClerk := e.user("Lê Văn Nam", domain.RoleClerk, "SO-Y-TE")
	reviewer := e.user("Phạm Quốc Bảo", domain.RoleReviewer, "")
	council := e.user("Đỗ Thị Lan", domain.RoleCouncil, "")
	auditor := e.user("Võ Minh Tuấn", domain.RoleAuditor, "")
	e.Advance(time.Hour) // 11:00

	b := newBrowser(t, e.srv.URL)
	var nom string

	ok := t.Run("clerk uploads the dossier and submits", func(t *testing.T) {
		b.t = t
		b.open("/signin")
		b.shot("signin")
		b.signIn(clerk)
		b.open("/units/SO-TU-PHAP")
		b.upload("#p-file", writeFile(t, files, "ke-hoach-thi-dua-2025.pdf", "%PDF-1.4 kế hoạch thi đua"))
		if st := b.click("#form-plan button[type=submit]"); st != 200 {
			t.Fatalf("plan: %d", st)
		}
		b.click("#form-open button[type=submit]")
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		u, _ := url.Parse(loc)
		nom = strings.TrimPrefix(u.Path, "/nominations/")
		if nom == "" || strings.Contains(nom, "/") {
			t.Fatalf("after opening, at %s", loc)
		}
		// Submitting an empty dossier is refused, in Vietnamese, next to the form.
		if st := b.click("#form-submit button[type=submit]"); st != 422 {
			t.Fatalf("empty submit: %d, want 422", st)
		}
		if msg := b.text("#error-summary"); !strings.Contains(msg, "Hồ sơ chưa đầy đủ, còn thiếu") {
			t.Fatalf("error summary %q", msg)
		}
		b.shot("nomination-refused")
		for _, d := range []struct{ kind, file string }{
			{"letter", "van-ban-de-nghi.pdf"}, {"council_minutes", "bien-ban-hop-hoi-dong.pdf"}, {"achievement_report", "bao-cao-thanh-tich.pdf"},
		} {
			b.set("#doc-kind", d.kind)
			b.upload("#doc-file", writeFile(t, files, d.file, "%PDF-1.4 "+d.kind))
			if st := b.click("#form-document button[type=submit]"); st != 200 {
				t.Fatalf("attach %s: %d", d.kind, st)
			}
		}
		b.set("#v-date", "2025-09-10")
		b.set("#v-members", "9")
		b.set("#v-present", "8")
		b.set("#v-approve", "8")
		if st := b.click("#form-vote button[type=submit]"); st != 200 {
			t.Fatalf("vote: %d", st)
		}
		b.shot("nomination-draft")
		if st := b.click("#form-submit button[type=submit]"); st != 200 {
			t.Fatalf("submit: %d", st)
		}
		if s := b.text("main .lead .badge"); s != "Đã trình" {
			t.Fatalf("state after submit: %q", s)
		}
		if n := b.count("#dossier table tbody tr"); n != 3 {
			t.Fatalf("%d documents listed, want 3", n)
		}
		b.shot("nomination-submitted")
		b.open("/units/SO-TU-PHAP")
		b.shot("unit-clerk")
		b.open("/campaigns/" + wftest.Campaign)
		b.shot("dashboard-clerk")
		b.open("/campaigns/" + wftest.Campaign + "/nominations")
		if n := b.count("a[href='/nominations/" + nom + "']"); n != 1 {
			t.Fatalf("the clerk's list links %d times to the nomination, want 1", n)
		}
		b.shot("nominations-clerk")
		b.open("/")
		if n := b.count("a[href='/campaigns/" + wftest.Campaign + "']"); n == 0 {
			t.Fatalf("the home page does not link to the campaign")
		}
		b.shot("home")
		b.signOut()
	})
	if !ok {
		t.FailNow()
	}

	e.Advance(time.Hour) // 12:00: the verified facts, except the rating, arrive.
	for _, f := range []domain.FactRecordedData{
		{Fact: "par_index_score", Number: wftest.Num(95)},
		{Fact: "disbursement_pct", Number: wftest.Num(100)},
		{Fact: "late_dossiers", Number: wftest.Num(0)},
		{Fact: "backlog_dossiers", Number: wftest.Num(0)},
		{Fact: "index_component", Index: "PAR_INDEX", Component: "Cải cách thủ tục hành chính", Number: wftest.Num(9.4), Previous: wftest.Num(8.7)},
		{Fact: "staff_hours_violation_pct", Number: wftest.Num(1.5)},
		{Fact: "late_directives", Number: wftest.Num(0)},
		{Fact: "online_service_pct", Number: wftest.Num(100)},
	} {
		e.Fact(seedReviewer, "SO-TU-PHAP", f)
	}
	var beforeRating time.Time

	ok = t.Run("reviewer rules on every criterion and the verdict appears", func(t *testing.T) {
		b.t = t
		b.signIn(reviewer)
		b.open("/campaigns/" + wftest.Campaign + "/queue")
		if !strings.Contains(b.text("table.queue"), "Sở Tư pháp") {
			t.Fatalf("the queue lacks the nomination")
		}
		b.shot("queue")
		b.open("/nominations/" + nom)
		b.shot("nomination-review")
		for _, c := range []string{"C01", "C02", "C03", "C05", "C06", "C07", "C09", "C10"} {
			b.set("#res-"+c, "met")
			b.set("#note-"+c, "Đạt theo báo cáo thành tích")
			if st := b.click("#form-rule-" + c + " button[type=submit]"); st != 200 {
				t.Fatalf("rule %s: %d", c, st)
			}
		}
		if n := b.count("form.rule"); n != 8 {
			t.Fatalf("%d ruling forms, want 8 (one per ruled criterion)", n)
		}
		if v := b.text("#verdict .verdict"); !strings.Contains(v, "Chưa đủ điều kiện") {
			t.Fatalf("verdict before the rating: %q", v)
		}
		if r := b.text("#verdict .reasons"); !strings.Contains(r, "C04") {
			t.Fatalf("reasons before the rating: %q", r)
		}
		beforeRating = e.Now.Load().Add(30 * time.Minute)
		e.Advance(time.Hour) // 13:00: the rating is recorded through the form.
		b.open("/units/SO-TU-PHAP")
		b.set("#f-fact", "par_rating")
		b.set("#f-value", "Tốt")
		b.set("#f-note", "Quyết định công bố kết quả chỉ số CCHC năm 2025")
		if st := b.click("#form-fact button[type=submit]"); st != 200 {
			t.Fatalf("fact: %d", st)
		}
		b.shot("unit-reviewer")
		b.open("/nominations/" + nom)
		if v := b.text("#verdict .verdict"); !strings.Contains(v, "Đủ điều kiện đề nghị khen thưởng") {
			t.Fatalf("verdict after every ruling and fact: %q", v)
		}
		if s := b.text("main .lead .badge"); s != "Đã thẩm định" {
			t.Fatalf("state: %q", s)
		}
		if all, met := b.count("#criteria li.crit"), b.count("#criteria li.crit.res-border-met"); all == 0 || met != all {
			t.Fatalf("%d of %d criteria met after every ruling and fact", met, all)
		}
		b.shot("nomination-verified")
		b.signOut()
	})
	if !ok {
		t.FailNow()
	}

	e.Advance(time.Hour) // 14:00
	ok = t.Run("council grants the award and the ranking shows it", func(t *testing.T) {
		b.t = t
		b.signIn(council)
		b.open("/nominations/" + nom)
		b.set("#g-decision", "2468/QĐ-UBND ngày 15/09/2025")
		if st := b.click("#form-grant button[type=submit]"); st != 200 {
			t.Fatalf("grant: %d", st)
		}
		if s := b.text("main .lead .badge"); s != "Đã khen thưởng" {
			t.Fatalf("state after the grant: %q", s)
		}
		b.open("/campaigns/" + wftest.Campaign + "/ranking")
		row := b.text("#rank-collective + table tbody tr")
		if !strings.Contains(row, "Sở Tư pháp") || !strings.Contains(row, "Đã khen thưởng") {
			t.Fatalf("first ranking row: %q", row)
		}
		if h := b.text("#rank-collective"); !strings.Contains(h, "đã khen thưởng 1/9") {
			t.Fatalf("ranking heading: %q", h)
		}
		if b.count("tr.quota-marker") == 0 {
			t.Fatalf("no quota line drawn")
		}
		b.shot("ranking-print")
		b.printShot("ranking")
		// The live page says when the ranking changes under it (a new PAR INDEX score of
		// the tax department, here), without reloading under its reader.
		if n := b.count("#ranking-changed:not([hidden])"); n != 0 {
			t.Fatalf("the page said the ranking changed before it did")
		}
		e.Fact(seedReviewer, "CT", domain.FactRecordedData{Fact: "par_index_score", Number: wftest.Num(88.6)})
		b.step("the page says the ranking changed", chromedp.WaitVisible(chromedp.CSS("#ranking-changed")))
		if s := b.text("#ranking-changed"); !strings.Contains(s, "Bảng xếp hạng đã thay đổi") {
			t.Fatalf("notice: %q", s)
		}
		b.shot("ranking-changed")
		b.open("/campaigns/" + wftest.Campaign)
		b.shot("dashboard")
		b.open("/campaigns/" + wftest.Campaign + "?lang=en")
		b.shot("dashboard-en")
		b.open("/campaigns/" + wftest.Campaign + "?lang=vi")
		b.open("/nominations/" + nom + "/print")
		b.shot("dossier-print")
		b.printShot("dossier")
		b.signOut()
	})
	if !ok {
		t.FailNow()
	}

	e.Advance(time.Hour) // 15:00
	ok = t.Run("auditor replays to before a fact and sees the earlier verdict", func(t *testing.T) {
		b.t = t
		b.signIn(auditor)
		b.open("/nominations/" + nom)
		if n := b.count("main form[method=post]"); n != 0 {
			t.Fatalf("the auditor sees %d forms that change something", n)
		}
		b.open("/nominations/" + nom + "/timeline")
		if v := b.text("#replay .verdict"); !strings.Contains(v, "Đủ điều kiện") {
			t.Fatalf("live verdict: %q", v)
		}
		b.set("#at", beforeRating.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04"))
		if st := b.click("#form-picker button[type=submit]"); st != 200 {
			t.Fatalf("replay: %d", st)
		}
		if v := b.text("#replay .verdict"); !strings.Contains(v, "Chưa đủ điều kiện") {
			t.Fatalf("verdict before the rating: %q", v)
		}
		if r := b.text("#replay .reasons"); !strings.Contains(r, "C04") {
			t.Fatalf("reasons before the rating: %q", r)
		}
		if b.count("ol.timeline li.after") == 0 {
			t.Fatalf("no event marked as after the moment")
		}
		b.shot("timeline-replay")
		b.open("/units/NINH-HAI")
		if s := b.text("#lineage"); !strings.Contains(s, "UBND huyện Thuận Bắc") {
			t.Fatalf("lineage: %q", s)
		}
		b.shot("unit-lineage")
		b.open("/units/NINH-HAI/timeline")
		b.shot("unit-timeline")
		b.open("/units")
		b.shot("units")
		b.signOut()
	})
	if !ok {
		t.FailNow()
	}

	t.Run("a clerk of another unit cannot open the nomination's actions", func(t *testing.T) {
		b.t = t
		b.signIn(otherClerk)
		if st := b.open("/nominations/" + nom); st != 403 {
			t.Fatalf("other unit's clerk: %d, want 403", st)
		}
		if n := b.count("form[action^='/nominations/'], form[action^='/campaigns/" + wftest.Campaign + "/awards']"); n != 0 {
			t.Fatalf("%d nomination forms shown to another unit's clerk", n)
		}
		b.shot("forbidden")
		for _, p := range []string{"/timeline", "/print"} {
			if st := b.open("/nominations/" + nom + p); st != 403 {
				t.Fatalf("other unit's clerk GET %s: %d, want 403", p, st)
			}
		}
		// Posting the withdrawal form directly, with the clerk's own valid CSRF token,
		// is refused and records nothing.
		before, err := e.Svc.Model().NominationEvents(nom, projections.Bound{})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](`(async () => {
			const csrf = document.querySelector("input[name=csrf]");
			if (!csrf) return {status: -1, body: "no CSRF token on the page"};
			const body = new URLSearchParams({csrf: csrf.value, _form: "withdraw", reason: "thử rút hồ sơ của đơn vị khác"});
			const r = await fetch("/nominations/`+nom+`/withdraw", {method: "POST", body, redirect: "manual"});
			return {status: r.status, body: await r.text()};
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("forged withdrawal: %v", err)
		}
		var forged struct {
			Status int
			Body   string
		}
		if err := json.Unmarshal(raw, &forged); err != nil {
			t.Fatalf("forged withdrawal: %v", err)
		}
		if forged.Status != 403 {
			t.Fatalf("another unit's clerk posting the withdrawal: %d, want 403", forged.Status)
		}
		// The refusal must be the role check, not the CSRF check the token passes.
		if strings.Contains(forged.Body, "CSRF") {
			t.Fatalf("the forged withdrawal was refused for its CSRF token, so the role check went untested")
		}
		if strings.Contains(forged.Body, `id="form-withdraw"`) {
			t.Fatalf("the refusal offers the withdrawal form")
		}
		after, err := e.Svc.Model().NominationEvents(nom, projections.Bound{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Fatalf("the refused withdrawal recorded %d events", len(after)-len(before))
		}
		b.open("/campaigns/" + wftest.Campaign + "/nominations")
		if n := b.count("a[href='/nominations/" + nom + "']"); n != 0 {
			t.Fatalf("the list links to another unit's nomination")
		}
		b.shot("nominations-other-unit")
		b.signOut()
	})

	t.Run("clerk corrects an individual nominee who heads the unit", func(t *testing.T) {
		b.t = t
		b.signIn(clerk)
		b.open("/units/SO-TU-PHAP")
		b.step("choose an individual", chromedp.Click(chromedp.CSS("#form-open input[value=individual]"), chromedp.NodeVisible))
		b.set("#o-name", "Trần Văn Hùng")
		b.set("#o-position", "Giám đốc Sở Tư pháp")
		// A director's title, neither declared the head nor not: refused, the form kept.
		if st := b.click("#form-open button[type=submit]"); st != 422 {
			t.Fatalf("open without saying whether the director heads the unit: %d", st)
		}
		b.step("state: not the head", chromedp.Click(chromedp.CSS("#o-not-head"), chromedp.NodeVisible))
		if st := b.click("#form-open button[type=submit]"); st != 200 {
			t.Fatalf("open: %d", st)
		}
		// A director stated not the head: the page asks whether that is right, and offers
		// the correction.
		if n := b.count("#head-hint"); n != 1 {
			t.Fatalf("head hint shown %d times, want 1", n)
		}
		b.shot("nomination-individual-draft")
		b.step("declare the head", chromedp.Click(chromedp.CSS("#c-not-head"), chromedp.NodeVisible), chromedp.Click(chromedp.CSS("#c-head"), chromedp.NodeVisible))
		b.set("#c-reason", "Ông Hùng là Giám đốc Sở: người đứng đầu đơn vị")
		if st := b.click("#form-nominee button[type=submit]"); st != 200 {
			t.Fatalf("correct: %d", st)
		}
		if lead := b.text("main .lead"); !strings.Contains(lead, "người đứng đầu") {
			t.Fatalf("after the correction the nominee reads %q", lead)
		}
		if n := b.count("#head-hint"); n != 0 {
			t.Fatalf("the head hint stays after the correction")
		}
		b.signOut()
	})

	t.Run("administration", func(t *testing.T) {
		b.t = t
		b.signIn(wftest.AdminToken)
		b.open("/admin")
		b.shot("admin")
		b.set("#us-name", "Hoàng Văn Đức")
		b.set("#us-role", string(domain.RoleClerk))
		b.set("#us-unit", "SO-Y-TE")
		if st := b.click("#form-user button[type=submit]"); st != 201 {
			t.Fatalf("create user: %d, want 201 and the page with the token", st)
		}
		if tok := strings.TrimSpace(b.text("#new-token")); len(tok) < 16 {
			t.Fatalf("new user's token shown as %q", tok)
		}
		b.shot("token")
		b.signOut()
	})

	b.t = t
	if off := b.offHost(); len(off) > 0 {
		t.Errorf("requests to another host: %v", off)
	}
	b.mu.Lock()
	n := len(b.requests)
	b.mu.Unlock()
	if n == 0 {
		t.Errorf("no request was observed: the network check saw nothing")
	}
	t.Logf("%d requests, all to %s", n, b.host)
}
