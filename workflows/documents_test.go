package workflows_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// TestDocumentScope: a clerk reads the documents of their unit — its plan, its dossiers,
// the evidence a reviewer cited on its nomination (its own) — and, after a merger, those
// of the units it absorbed; never another unit's, nor one no event cites, and an unknown
// document looks the same. Other roles read every document.
func TestDocumentScope(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	auditor := env.User(domain.RoleAuditor, "")
	nomA, clerkA := env.EligibleCollective("A", domain.UnitDistrict, reviewer, 80)
	_, clerkB := env.EligibleCollective("B", domain.UnitDistrict, reviewer, 81)
	// A stored document no event cites (an upload refused after its file was stored,
	// another unit's perhaps) is no unit's evidence: citing it made it the unit's.
	evidence, err := env.Store.PutDocument(env.Ctx, "bien-ban-kiem-tra.pdf", "application/pdf", strings.NewReader("%PDF evidence A"))
	require.NoError(t, err)
	refused(t, env, "document_not_of_unit", func() (workflows.Result, error) {
		return env.Svc.Rule(env.Ctx, reviewer, nomA, "C01", workflows.RuleInput{Result: "met", Note: "đạt", Document: evidence.SHA256}, workflows.Options{})
	})
	// A ruling cannot cite another unit's document: that would show it to A's clerk.
	var planB string
	env.Model.Read(func(st *projections.State) {
		u, _ := st.Unit("B")
		p, _ := u.Plan(wftest.Campaign)
		planB = p.Document.SHA256
	})
	refused(t, env, "document_not_of_unit", func() (workflows.Result, error) {
		return env.Svc.Rule(env.Ctx, reviewer, nomA, "C02", workflows.RuleInput{Result: "met", Note: "đạt", Document: planB}, workflows.Options{})
	})
	// Nor a fact about A.
	refused(t, env, "document_not_of_unit", func() (workflows.Result, error) {
		return env.Svc.RecordFact(env.Ctx, reviewer, "A", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactLateDossiers,
			Number: wftest.Num(0), Document: &domain.DocumentRef{SHA256: planB}}, workflows.Options{})
	})

	var planA, dossierA string
	env.Model.Read(func(st *projections.State) {
		u, _ := st.Unit("A")
		p, _ := u.Plan(wftest.Campaign)
		planA = p.Document.SHA256
	})
	nv, err := env.Model.Nomination(nomA)
	require.NoError(t, err)
	dossierA = nv.Documents[0].SHA256
	unknown := strings.Repeat("ab", 32)

	forbidden := func(p workflows.Principal, sha string) {
		t.Helper()
		_, _, err := env.Svc.Document(env.Ctx, p, sha)
		assert.True(t, errors.Is(err, workflows.ErrForbidden), "%s of %s reading %.12s: %v", p.Role, p.Unit, sha, err)
	}
	reads := func(p workflows.Principal, sha string) {
		t.Helper()
		info, data, err := env.Svc.Document(env.Ctx, p, sha)
		require.NoError(t, err, "%s of %s reading %.12s", p.Role, p.Unit, sha)
		assert.Equal(t, sha, info.SHA256)
		assert.NotEmpty(t, data)
	}
	// The evidence a ruling cites is the unit's own: A's dossier document, cited on C01.
	env.OK(env.Svc.Rule(env.Ctx, reviewer, nomA, "C01", workflows.RuleInput{Result: "met", Note: "đạt", Document: dossierA}, workflows.Options{}))
	forbidden(clerkA, planB)
	forbidden(clerkA, evidence.SHA256)
	forbidden(clerkB, evidence.SHA256)
	reads(reviewer, evidence.SHA256)
	for _, sha := range []string{planA, dossierA} {
		reads(clerkA, sha)
		reads(reviewer, sha)
		reads(auditor, sha)
		forbidden(clerkB, sha)
	}
	forbidden(clerkA, unknown)
	_, _, err = env.Svc.Document(env.Ctx, auditor, unknown)
	assert.Error(t, err)
	assert.False(t, errors.Is(err, workflows.ErrForbidden), "an unknown document is not found for an auditor: %v", err)

	// B absorbs A: B's clerk now reads A's documents.
	_, err = merge(env, []string{"A"}, "B", "2025-07-01")
	require.NoError(t, err)
	for _, sha := range []string{planA, dossierA} {
		reads(clerkB, sha)
	}
}

// TestDocumentNameIsTheClerksOwn: documents are stored once per content, under the first
// upload's name. A clerk who filed the same bytes under another name downloads it under
// theirs, never under the other unit's (which may name its nominee).
func TestDocumentNameIsTheClerksOwn(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("NA", domain.UnitDepartment)
	env.Unit("NB", domain.UnitDepartment)
	clerkA, clerkB := env.User(domain.RoleClerk, "NA"), env.User(domain.RoleClerk, "NB")
	open := func(clerk workflows.Principal, unit string) string {
		return env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: unit, Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	}
	nomA, nomB := open(clerkA, "NA"), open(clerkB, "NB")
	attach := func(clerk workflows.Principal, nom, name string) string {
		_, doc, err := env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocLetter, workflows.Upload{Name: name, ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 same bytes")}, workflows.Options{})
		require.NoError(t, err)
		return doc.SHA256
	}
	sha := attach(clerkA, nomA, "To trinh khen thuong Nguyen Van A.pdf")
	require.Equal(t, sha, attach(clerkB, nomB, "cua-toi.pdf"))
	info, err := env.Svc.DocumentInfo(env.Ctx, clerkB, sha)
	require.NoError(t, err)
	assert.Equal(t, "cua-toi.pdf", info.Name)
	info, err = env.Svc.DocumentInfo(env.Ctx, clerkA, sha)
	require.NoError(t, err)
	assert.Equal(t, "To trinh khen thuong Nguyen Van A.pdf", info.Name)
}

// TestDocumentNameIsTheFilingsForEveryRole: the document store keeps the first upload's
// name and type, which no event records (an upload whose command was refused, or metadata
// someone with access to the store changed): a reviewer and the auditor read the name and
// type the events filed it under (a review finding: the auditor downloaded a plan as
// "renamed-by-intruder.exe", text/html). An upload no event files keeps the store's.
func TestDocumentNameIsTheFilingsForEveryRole(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("ND", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "ND")
	body := "%PDF-1.4 filed after a stray upload"
	stray, err := env.Store.PutDocument(env.Ctx, "renamed-by-intruder.exe", "text/html", strings.NewReader(body))
	require.NoError(t, err)
	for _, role := range []domain.Role{domain.RoleReviewer, domain.RoleAuditor} {
		info, err := env.Svc.DocumentInfo(env.Ctx, env.User(role, ""), stray.SHA256)
		require.NoError(t, err)
		assert.Equal(t, "renamed-by-intruder.exe", info.Name, "filed by no event: the store's")
	}
	nom := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "ND", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	_, doc, err := env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocLetter, workflows.Upload{Name: "To trinh.pdf", ContentType: "application/pdf", Body: strings.NewReader(body)}, workflows.Options{})
	require.NoError(t, err)
	require.Equal(t, stray.SHA256, doc.SHA256)
	for _, role := range []domain.Role{domain.RoleReviewer, domain.RoleCouncil, domain.RoleAuditor, domain.RoleAdmin} {
		info, err := env.Svc.DocumentInfo(env.Ctx, env.User(role, ""), doc.SHA256)
		require.NoError(t, err)
		assert.Equal(t, "To trinh.pdf", info.Name, role)
		assert.Equal(t, "application/pdf", info.ContentType, role)
	}

	// A plan replaced by a later one keeps the name and type its filing recorded, for
	// every role and for its unit's clerk (a review finding: the store's, once replaced).
	planBody := "%PDF-1.4 a plan after a stray upload"
	strayPlan, err := env.Store.PutDocument(env.Ctx, "renamed-by-intruder.exe", "text/html", strings.NewReader(planBody))
	require.NoError(t, err)
	plan := func(name, body string) {
		_, _, err := env.Svc.SubmitPlan(env.Ctx, clerk, "ND", wftest.Campaign, workflows.Upload{Name: name, ContentType: "application/pdf", Body: strings.NewReader(body)}, workflows.Options{})
		require.NoError(t, err)
	}
	plan("Ke hoach v1.pdf", planBody)
	plan("Ke hoach v2.pdf", "%PDF-1.4 the plan replacing it")
	for _, p := range []workflows.Principal{clerk, env.User(domain.RoleReviewer, ""), env.User(domain.RoleAuditor, "")} {
		info, err := env.Svc.DocumentInfo(env.Ctx, p, strayPlan.SHA256)
		require.NoError(t, err)
		assert.Equal(t, "Ke hoach v1.pdf", info.Name, p.Role)
		assert.Equal(t, "application/pdf", info.ContentType, p.Role)
	}

	// A file filed without a name is served under its SHA-256's start and the type its
	// filing recorded, never the store's (a review finding: a filing without a name was
	// taken for none, and the store's name and type were served).
	unnamedBody := "%PDF-1.4 filed without a name"
	strayUnnamed, err := env.Store.PutDocument(env.Ctx, "renamed-by-intruder.exe", "text/html", strings.NewReader(unnamedBody))
	require.NoError(t, err)
	_, doc, err = env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocSupporting, workflows.Upload{Name: "", ContentType: "application/pdf", Body: strings.NewReader(unnamedBody)}, workflows.Options{})
	require.NoError(t, err)
	require.Equal(t, strayUnnamed.SHA256, doc.SHA256)
	for _, p := range []workflows.Principal{clerk, env.User(domain.RoleReviewer, ""), env.User(domain.RoleAuditor, "")} {
		info, err := env.Svc.DocumentInfo(env.Ctx, p, doc.SHA256)
		require.NoError(t, err)
		assert.Equal(t, doc.SHA256[:12], info.Name, p.Role)
		assert.Equal(t, "application/pdf", info.ContentType, p.Role)
	}
}

// TestUploadNamesAreCleaned: whichever surface sends a file (the API cleaned names, the
// web did not), the document keeps its name without a path or control characters, cut
// between characters, and a media type that is one.
func TestUploadNamesAreCleaned(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("NC", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "NC")
	nom := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "NC", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	name := "..\\" + strings.Repeat("Tờ trình khen thưởng ", 15) + "\r\n.pdf"
	_, doc, err := env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocLetter, workflows.Upload{Name: name, ContentType: "text/html\r\nX-A: b", Body: strings.NewReader("%PDF-1.4 a letter")}, workflows.Options{})
	require.NoError(t, err)
	info, err := env.Svc.DocumentInfo(env.Ctx, clerk, doc.SHA256)
	require.NoError(t, err)
	assert.Equal(t, domain.CleanFileName(name), info.Name)
	assert.True(t, strings.HasPrefix(info.Name, "..Tờ trình khen thưởng Tờ"), info.Name)
	assert.True(t, utf8.ValidString(info.Name))
	assert.LessOrEqual(t, len(info.Name), domain.MaxFileNameBytes)
	assert.Equal(t, "application/octet-stream", info.ContentType)
}

// TestRefusedUploadStoresNothing: an upload to a nomination that takes no document now
// (verified, under review) is refused before the file is stored. Before, the refusal came
// after: each refused upload (up to 32 MiB) stayed in the object store for good, referred
// to by nothing, so a clerk could fill the store with them.
func TestRefusedUploadStoresNothing(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	id, clerk := env.EligibleCollective("RU", domain.UnitDepartment, reviewer, 90)
	body := "%PDF-1.4 refused " + id
	_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, domain.DocSupporting, workflows.Upload{Name: "late.pdf", Body: strings.NewReader(body)}, workflows.Options{})
	var te *domain.TransitionError
	require.True(t, errors.As(err, &te), "%v", err)
	assert.False(t, stored(env, body), "the refused file is not stored")
}

// stored reports whether the document store holds a file of these bytes.
func stored(env *wftest.Env, body string) bool {
	sum := sha256.Sum256([]byte(body))
	_, err := env.Store.DocumentInfo(env.Ctx, hex.EncodeToString(sum[:]))
	return err == nil
}

// returnedDossier registers a unit and its clerk, and returns an individual's dossier of
// it, submitted and returned for amendment (it takes documents again), with the clerk.
func returnedDossier(env *wftest.Env, unit, name string) (string, workflows.Principal) {
	env.Unit(unit, domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, unit)
	id := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: "Chuyên viên"})
	env.OK(env.Svc.Return(env.Ctx, env.User(domain.RoleReviewer, ""), id, "bổ sung", workflows.Options{}))
	return id, clerk
}

// TestRefusedUploadOptionsStoreNothing: an upload refused for its options (an
// idempotency key used for another request, a stale If-Match) or a plan for a unit a
// merger dissolved is refused before the file is stored. Before, each such file stayed in
// the object store, readable by its hash and citable by a reviewer for any unit.
func TestRefusedUploadOptionsStoreNothing(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	id, clerk := returnedDossier(env, "RO", "Lê Thị Thu")
	notStored := func(body string) {
		t.Helper()
		assert.False(t, stored(env, body), "the refused file is not stored")
	}
	attach := func(body string, o workflows.Options) error {
		_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, domain.DocSupporting, workflows.Upload{Name: "x.pdf", Body: strings.NewReader(body)}, o)
		return err
	}
	require.NoError(t, attach("%PDF-1.4 first", workflows.Options{Key: "k1", Fingerprint: "a"}))
	var we *workflows.Error
	body := "%PDF-1.4 same key, another file"
	require.True(t, errors.As(attach(body, workflows.Options{Key: "k1", Fingerprint: "b"}), &we))
	assert.Equal(t, "idempotency_key_reused", we.Code)
	notStored(body)
	stale := uint64(1)
	body = "%PDF-1.4 stale version"
	require.True(t, errors.As(attach(body, workflows.Options{IfMatch: &stale}), &we))
	assert.Equal(t, "version_mismatch", we.Code)
	notStored(body)

	// A plan for a unit merged away, by its clerk.
	env.Unit("RP1", domain.UnitDistrict)
	env.Unit("RP2", domain.UnitDistrict)
	rp1 := env.User(domain.RoleClerk, "RP1")
	env.OK(env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"RP1", "RP2"}, Successor: "RP3",
		SuccessorName: "UBND RP3", SuccessorKind: domain.UnitDistrict, Effective: "2025-10-01", Decision: "Nghị quyết 2/2025"}, workflows.Options{}))
	body = "%PDF-1.4 plan of a merged unit"
	_, _, err := env.Svc.SubmitPlan(env.Ctx, rp1, "RP1", wftest.Campaign, workflows.Upload{Name: "plan.pdf", Body: strings.NewReader(body)}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "unit_not_active", re.Code)
	notStored(body)
}

// TestUploadsUnderOneKeyStoreOneFile: different uploads sent at once under one
// idempotency key go one after the other: one is attached, the others are refused as a key
// reused and store nothing. Before, each stored its file before the key was looked at.
func TestUploadsUnderOneKeyStoreOneFile(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	id, clerk := returnedDossier(env, "UK", "Võ Thị Mai")
	body := func(i int) string { return fmt.Sprintf("%%PDF-1.4 upload %d", i) }
	var runs []func() error
	for i := range 6 {
		runs = append(runs, func() error {
			_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, domain.DocSupporting, workflows.Upload{Name: "x.pdf", Body: strings.NewReader(body(i))},
				workflows.Options{Key: "one-key", Fingerprint: fmt.Sprint(i)})
			return err
		})
	}
	assert.Equal(t, map[string]int{"ok": 1, "idempotency_key_reused": 5}, outcomes(runs))
	files := 0
	for i := range 6 {
		if stored(env, body(i)) {
			files++
		}
	}
	assert.Equal(t, 1, files, "one file stored")
}

// heldBody is an upload body that arrives only once released (a clerk on a poor link),
// and says when its reading began.
type heldBody struct {
	r       io.Reader
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

// Read implements io.Reader.
func (b *heldBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	return b.r.Read(p)
}

// TestUserDisabledWhileTheRequestRuns: a principal is resolved when its request starts,
// and an upload may take minutes; an administrator who disables the clerk meanwhile
// (a clerk who left, a token stolen) stops the command, which recorded its event all the
// same before, for thidua verify to name as one by a disabled user.
func TestUserDisabledWhileTheRequestRuns(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DU1", domain.UnitDistrict)
	clerk := env.User(domain.RoleClerk, "DU1")
	nom := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DU1", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	events := func() int {
		t.Helper()
		evs, err := env.Model.NominationEvents(nom, projections.Bound{})
		require.NoError(t, err)
		return len(evs)
	}
	before := events()
	body := &heldBody{r: strings.NewReader("%PDF-1.4 letter"), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocLetter, workflows.Upload{Name: "letter.pdf", ContentType: "application/pdf", Body: body}, workflows.Options{})
		done <- err
	}()
	<-body.started
	env.OK(env.Svc.DisableUser(env.Ctx, env.Admin, clerk.UserID, "nghỉ việc", workflows.Options{}))
	close(body.release)
	err := <-done
	require.ErrorIs(t, err, workflows.ErrUnauthenticated)
	assert.Contains(t, err.Error(), "disabled while the request ran")
	assert.Equal(t, before, events(), "nothing recorded on the nomination")
	assert.Empty(t, env.Model.ActorProblems())
}

// TestEmptyUploadStoresNothing: an empty file (the web's form can send one; the API
// refuses it before the service) is refused empty_file, and nothing is stored.
func TestEmptyUploadStoresNothing(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("RE1", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "RE1")
	nom := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "RE1", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	require.False(t, stored(env, ""))
	_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, nom, domain.DocLetter, workflows.Upload{Name: "Nguyen Van A - to trinh.pdf", ContentType: "application/pdf", Body: strings.NewReader("")}, workflows.Options{})
	var we *workflows.Error
	require.True(t, errors.As(err, &we), "%v", err)
	require.Equal(t, "empty_file", we.Code)
	assert.False(t, stored(env, ""), "the refused empty file is not stored")
}

// sameBytesTwoUnits: unit a files bytes as a dossier part, then unit b files the same
// bytes as its plan, under another name and type; b's nomination is then submitted.
func sameBytesTwoUnits(t *testing.T, env *wftest.Env, a, b string) (sha, nomB string, clerkB workflows.Principal) {
	env.Unit(a, domain.UnitDepartment)
	env.Unit(b, domain.UnitDepartment)
	clerkA := env.User(domain.RoleClerk, a)
	clerkB = env.User(domain.RoleClerk, b)
	nomA := env.OK(env.Svc.OpenNomination(env.Ctx, clerkA, wftest.Campaign, workflows.OpenNominationInput{Unit: a, Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	content := "%PDF-1.4 same bytes filed by two units " + nomA
	_, docA, err := env.Svc.AttachDocument(env.Ctx, clerkA, nomA, domain.DocSupporting, workflows.Upload{Name: "Khen thuong Nguyen Van A.pdf", ContentType: "application/pdf", Body: strings.NewReader(content)}, workflows.Options{})
	require.NoError(t, err)
	_, docB, err := env.Svc.SubmitPlan(env.Ctx, clerkB, b, wftest.Campaign, workflows.Upload{Name: "ke-hoach.txt", ContentType: "text/plain", Body: strings.NewReader(content)}, workflows.Options{})
	require.NoError(t, err)
	require.Equal(t, docA.SHA256, docB.SHA256)
	return docB.SHA256, env.Dossier(clerkB, domain.Nominee{Kind: domain.NomineeCollective}), clerkB
}

// TestCitationRecordsTheUnitsOwnFiling: a ruling on unit b's nomination, and a fact of
// b, citing b's plan record the name and type b filed it under, not those of unit a,
// which filed the same bytes first (the store keeps a's): recorded in b's trail, they
// showed b's clerk a's file name. b's clerk's download has b's name and type too.
func TestCitationRecordsTheUnitsOwnFiling(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	sha, nomB, clerkB := sameBytesTwoUnits(t, env, "CA", "CB")
	reviewer := env.User(domain.RoleReviewer, "")
	env.OK(env.Svc.Rule(env.Ctx, reviewer, nomB, "C03", workflows.RuleInput{Result: "met", Note: "đạt", Document: sha}, workflows.Options{}))
	env.OK(env.Svc.RecordFact(env.Ctx, reviewer, "CB", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactLateDossiers, Number: wftest.Num(0),
		Document: &domain.DocumentRef{SHA256: sha}}, workflows.Options{}))
	var cited []domain.DocumentRef
	_, err := env.Store.Read(env.Ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			if ev.Type != domain.CriterionRuled && ev.Type != domain.FactRecorded {
				continue
			}
			v, err := domain.Decode(ev.Type, ev.Data)
			if err != nil {
				return err
			}
			switch d := v.(type) {
			case domain.CriterionRuledData:
				if d.Document != nil {
					cited = append(cited, *d.Document)
				}
			case domain.FactRecordedData:
				if d.Document != nil {
					cited = append(cited, *d.Document)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, cited, 2)
	for _, d := range cited {
		assert.Equal(t, "ke-hoach.txt", d.Name)
		assert.Equal(t, "text/plain", d.ContentType)
		assert.Equal(t, sha, d.SHA256)
	}
	info, err := env.Svc.DocumentInfo(env.Ctx, clerkB, sha)
	require.NoError(t, err)
	assert.Equal(t, "ke-hoach.txt", info.Name)
	assert.Equal(t, "text/plain", info.ContentType, "b's download has the type b's event records")
}

// TestNoGrantOnAnUnreadableDossier: the council is refused (document_unreadable, a
// conflict naming the part and the file) a grant to a nomination whose dossier cites a
// document the store no longer holds, or holds changed, and nothing is recorded; the
// original uploaded again repairs it, and the grant goes through. Before, the grant went
// through on a dossier whose letter was gone (a review finding).
func TestNoGrantOnAnUnreadableDossier(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	id, clerk := env.EligibleCollective("GUD", domain.UnitDepartment, reviewer, 90)
	n, err := env.Model.Nomination(id)
	require.NoError(t, err)
	var letter projections.DocumentView
	for _, d := range n.Documents {
		if d.Kind == string(domain.DocLetter) {
			letter = d
		}
	}
	require.NotEmpty(t, letter.SHA256)
	original, err := env.Store.GetDocument(env.Ctx, letter.SHA256)
	require.NoError(t, err)
	obs, err := env.Store.JetStream().ObjectStore(env.Ctx, env.Store.DocumentBucket())
	require.NoError(t, err)

	grant := func() (workflows.Result, error) {
		return env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 1"}, workflows.Options{})
	}
	// Removed, then replaced by other bytes under its name.
	require.NoError(t, obs.Delete(env.Ctx, letter.SHA256))
	re := refused(t, env, "document_unreadable", grant)
	assert.True(t, re.Conflict)
	assert.Contains(t, re.Message, letter.SHA256)
	assert.Contains(t, re.MessageVI, "văn bản đề nghị khen thưởng")
	_, err = obs.PutBytes(env.Ctx, letter.SHA256, []byte("%PDF-1.4 forged"))
	require.NoError(t, err)
	refused(t, env, "document_unreadable", grant)

	// The daily check reports it; the original uploaded again (as a supporting file of
	// another dossier of the unit, say) repairs it, and the report drops it at once (a
	// review finding: it stayed reported for up to a day).
	check, err := env.Svc.CheckDocuments(env.Ctx)
	require.NoError(t, err)
	require.Len(t, check.Problems, 1)
	other := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "GUD", Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Sửa", Position: "Chuyên viên"}}, workflows.Options{})).ID
	_, _, err = env.Svc.AttachDocument(env.Ctx, clerk, other, domain.DocSupporting, workflows.Upload{Name: letter.Name, ContentType: letter.ContentType, Body: bytes.NewReader(original)}, workflows.Options{})
	require.NoError(t, err)
	check, ok := env.Svc.DocumentChecks()
	require.True(t, ok)
	assert.Empty(t, check.Problems, "repaired")

	// The unit's plan the eligibility reads is read too (a review finding: a grant went
	// through without it).
	plan, ok := func() (domain.DocumentRef, bool) {
		var ref domain.DocumentRef
		var ok bool
		env.Model.Read(func(st *projections.State) { ref, ok = st.EvidencePlan(id) })
		return ref, ok
	}()
	require.True(t, ok)
	planBytes, err := env.Store.GetDocument(env.Ctx, plan.SHA256)
	require.NoError(t, err)
	require.NoError(t, obs.Delete(env.Ctx, plan.SHA256))
	re = refused(t, env, "document_unreadable", grant)
	assert.Contains(t, re.MessageVI, "Kế hoạch thi đua của đơn vị")
	_, err = env.Store.PutDocument(env.Ctx, plan.Name, plan.ContentType, bytes.NewReader(planBytes))
	require.NoError(t, err)

	granted := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 1"}, workflows.Options{Key: "grant-gud"}))
	// Gone again after the grant: a retry under its key gets its first answer, and a
	// second grant the domain's refusal, not document_unreadable (a review finding).
	require.NoError(t, obs.Delete(env.Ctx, letter.SHA256))
	again, err := env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 1"}, workflows.Options{Key: "grant-gud"})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, granted.ID, again.ID)
	refused(t, env, "already_awarded", grant)
}

// TestNoGrantWithoutEverySupportingFile: each supporting file is read before a grant, not
// only the latest one (a review finding: the first of two was gone, and the grant went
// through).
func TestNoGrantWithoutEverySupportingFile(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	env.Unit("GSF", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "GSF")
	env.GoodFacts(reviewer, "GSF", 90)
	env.Plan(clerk)
	id := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "GSF", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	var first eventstore.Document
	for i, name := range []string{"letter", "minutes", "report", "anh-1", "anh-2"} {
		kind := []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting, domain.DocSupporting}[i]
		_, doc, err := env.Svc.AttachDocument(env.Ctx, clerk, id, kind, workflows.Upload{Name: name + ".pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 " + name + id)}, workflows.Options{})
		require.NoError(t, err)
		if name == "anh-1" {
			first = doc
		}
	}
	env.OK(env.Svc.RecordVote(env.Ctx, clerk, id, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))
	env.RuleAll(reviewer, id)
	obs, err := env.Store.JetStream().ObjectStore(env.Ctx, env.Store.DocumentBucket())
	require.NoError(t, err)
	require.NoError(t, obs.Delete(env.Ctx, first.SHA256))
	re := refused(t, env, "document_unreadable", func() (workflows.Result, error) {
		return env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 1"}, workflows.Options{})
	})
	assert.Contains(t, re.Message, first.SHA256)
}

// BenchmarkCheckDocumentsLost: the check of a store that lost every document it cites
// asks the store once what it holds, not once a problem whether the document came back
// (70 s for 292,569 problems at a million events).
func BenchmarkCheckDocumentsLost(b *testing.B) {
	const n = 200
	env := wftest.New(b, srv)
	obs, err := env.Store.JetStream().ObjectStore(env.Ctx, env.Store.DocumentBucket())
	require.NoError(b, err)
	for i := range n {
		unit := fmt.Sprintf("LOST%03d", i)
		env.Unit(unit, domain.UnitCommune)
		env.Plan(env.User(domain.RoleClerk, unit))
	}
	for _, sha := range env.Model.CitedDocuments() {
		require.NoError(b, obs.Delete(env.Ctx, sha))
	}
	for b.Loop() {
		check, err := env.Svc.CheckDocuments(env.Ctx)
		require.NoError(b, err)
		require.Len(b, check.Problems, n)
	}
}
