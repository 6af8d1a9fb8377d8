package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"thidua/cmd/thidua/memory"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// seedStore writes a small history into an embedded store under dir and closes it.
func seedStore(t *testing.T, dir string) (nomination string, fact time.Time) {
	t.Helper()
	ctx := context.Background()
	clock := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(now))
	require.NoError(t, err)
	defer st.Close()
	m := projections.NewModel()
	feed, err := projections.StartFeed(ctx, st, m, quiet())
	require.NoError(t, err)
	defer feed.Stop()
	svc := workflows.New(st, m, workflows.WithClock(now))
	_, err = svc.Bootstrap(ctx, "admin-token-0123456789")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, "admin-token-0123456789")
	require.NoError(t, err)
	ok := func(_ workflows.Result, err error) { t.Helper(); require.NoError(t, err) }
	ok(svc.RegisterUnit(ctx, admin, workflows.RegisterUnitInput{ID: "SO-TC", Name: "Sở Tài chính", Kind: domain.UnitDepartment}, workflows.Options{}))
	_, tok, err := svc.CreateUser(ctx, admin, workflows.CreateUserInput{Name: "Văn thư", Role: domain.RoleClerk, Unit: "SO-TC"}, workflows.Options{})
	require.NoError(t, err)
	clerk, _ := svc.Authenticate(ctx, tok)
	_, tok, err = svc.CreateUser(ctx, admin, workflows.CreateUserInput{Name: "Chuyên viên", Role: domain.RoleReviewer}, workflows.Options{})
	require.NoError(t, err)
	reviewer, _ := svc.Authenticate(ctx, tok)
	r, err := svc.OpenNomination(ctx, clerk, "ninh-thuan-cchc-2025", workflows.OpenNominationInput{Unit: "SO-TC", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})
	require.NoError(t, err)
	_, _, err = svc.AttachDocument(ctx, clerk, r.ID, domain.DocLetter, workflows.Upload{Name: "l.pdf", Body: strings.NewReader("%PDF letter")}, workflows.Options{})
	require.NoError(t, err)
	clock = clock.Add(48 * time.Hour)
	v := 97.0
	ok(svc.RecordFact(ctx, reviewer, "SO-TC", domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2025", Fact: "disbursement_pct", Number: &v, Cause: "subjective"}, workflows.Options{}))
	return r.ID, clock
}

func TestCommandsOnAStoppedDataDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nom, factAt := seedStore(t, dir)
	ctx := context.Background()
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}

	require.NoError(t, (&ExplainCmd{Nomination: nom, JSON: true}).Run(ctx, g, quiet()))
	var el projections.EligibilityView
	require.NoError(t, json.Unmarshal(out.Bytes(), &el))
	assert.False(t, el.Eligible)
	codes := map[string]bool{}
	for _, r := range el.Reasons {
		codes[r.Code] = true
	}
	assert.True(t, codes["not_submitted"] || codes["dossier_incomplete"], "%v", codes)

	out.Reset()
	require.NoError(t, (&ExplainCmd{Nomination: nom}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "KHÔNG đủ điều kiện")
	// Every criterion, with its result and wording, not only the reasons against.
	assert.Contains(t, out.String(), "\nTiêu chí / criteria:\n")
	assert.Regexp(t, `\n  C01  (ĐẠT / met|KHÔNG ĐẠT / not met|chờ kết luận / pending) — \S`, out.String())
	assert.Equal(t, len(el.Criteria), strings.Count(out.String(), "\n  C")+strings.Count(out.String(), "\n  I"), "one line a criterion")
	// A sequence still to come is refused, as the API refuses it.
	err := (&ExplainCmd{Nomination: nom, boundFlag: atFlag("seq:999999")}).Run(ctx, g, quiet())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "past the stream's last sequence")
	// A time out of the accepted range is refused, as the API refuses it (invalid_time).
	err = (&ExplainCmd{Nomination: nom, boundFlag: atFlag("1970-01-01T00:00:00Z")}).Run(ctx, g, quiet())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "out of range")

	out.Reset()
	require.NoError(t, (&EventsCmd{Unit: "SO-TC", boundFlag: atFlag(factAt.Add(-time.Hour).Format(time.RFC3339))}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "Sở Tài chính")
	assert.NotContains(t, out.String(), "disbursement_pct", "the fact was recorded after --at")

	out.Reset()
	require.NoError(t, (&ReplayCmd{}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "Rebuilt")
	assert.FileExists(t, projections.SnapshotPath(dir))

	out.Reset()
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "json"}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), `"collective"`)

	// The table names each entry's unit beside its name, and why it placed where it did
	// as the CSV does (before, the key's code: par_index_score).
	var table bytes.Buffer
	require.NoError(t, writeRankingTable(&table, projections.RankingView{Campaign: "c", Collective: projections.RankingKindView{Quota: 9, Entries: []projections.RankEntryView{
		{Rank: 1, Nomination: "N1", Unit: "TB", Name: "Huyện Thuận Bắc", DecidedBy: "par_index_score"},
	}}}, nil))
	assert.Contains(t, table.String(), "Huyện Thuận Bắc (TB)")
	assert.Contains(t, table.String(), "điểm PAR INDEX")
	assert.NotContains(t, table.String(), "par_index_score")

	// The exports (package rankexport, shared with the API and the web UI).
	out.Reset()
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "csv", boundFlag: atFlag("seq:3")}).Run(ctx, g, quiet()))
	assert.True(t, strings.HasPrefix(out.String(), "\uFEFF\"Danh sách xếp hạng đề nghị khen thưởng\"\n"), "BOM, Vietnamese: %.80q", out.String())
	assert.Contains(t, out.String(), `"Mã đợt thi đua","ninh-thuan-cchc-2025"`+"\n")
	assert.Contains(t, out.String(), `"Thời điểm yêu cầu","seq=3"`+"\n")
	assert.Contains(t, out.String(), "\n\n"+`"Loại","Hạng","Mã hồ sơ",`)
	xlsx := filepath.Join(t.TempDir(), "ranking.xlsx")
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "xlsx", Lang: "en", Output: xlsx}).Run(ctx, g, quiet()))
	f, err := excelize.OpenFile(xlsx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Information", "Collectives", "Individuals"}, f.GetSheetList())
	campaign, _ := f.GetCellValue("Information", "B3")
	assert.Equal(t, "ninh-thuan-cchc-2025", campaign)
	require.NoError(t, f.Close())

	// Without --format, the output's extension names it (a text table in a file named
	// .xlsx, which a spreadsheet refuses, exited 0); a format that is none is refused.
	for ext, prefix := range map[string]string{".XLSX": "PK\x03\x04", ".csv": "\uFEFF", ".json": "{", ".txt": "Xếp hạng / ranking"} {
		path := filepath.Join(t.TempDir(), "xep-hang"+ext)
		require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Lang: "vi", Output: path}).Run(ctx, g, quiet()), ext)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), prefix), "%s: %.40q", ext, b)
	}
	err = (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "pdf"}).Run(ctx, g, quiet())
	require.Error(t, err)
	assert.Equal(t, 80, exitCode(err))
	// A format and a file named for another are refused, and write nothing.
	for format, name := range map[string]string{"xlsx": "r2.csv", "json": "r3.XLSX", "csv": "r4.json", "table": "r5.csv"} {
		path := filepath.Join(t.TempDir(), name)
		err = (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: format, Output: path}).Run(ctx, g, quiet())
		require.Error(t, err, format)
		assert.Equal(t, 80, exitCode(err), format)
		assert.NoFileExists(t, path)
	}

	out.Reset()
	require.NoError(t, (&VerifyCmd{}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "OK")
	out.Reset()
	require.NoError(t, (&VerifyCmd{JSON: true}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), `"problems": []`, "empty lists, not null")
	assert.NotContains(t, out.String(), "null")

	_, err = atFlag("yesterday").bound()
	assert.ErrorContains(t, err, "RFC 3339")
	// --inherited is for a unit's trail.
	err = (&EventsCmd{Nomination: nom, Inherited: true}).Run(ctx, g, quiet())
	assert.ErrorContains(t, err, "--inherited applies to --unit only")
	// Given empty, --at is refused, as ?at= is (invalid_bound); left out, it is now.
	_, err = atFlag("").bound()
	assert.ErrorContains(t, err, "is empty")
	b, err := boundFlag{}.bound()
	require.NoError(t, err)
	assert.True(t, b.Live())
}

// TestCommandsNeedAStore: a read command given a data directory that holds no store (a
// mistyped --data) fails naming it, and creates nothing there; before, it created an
// empty store, and verify passed it.
func TestCommandsNeedAStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, cmd := range map[string]interface {
		Run(context.Context, *Globals, *slog.Logger) error
	}{
		"explain": &ExplainCmd{Nomination: "N1"}, "ranking": &RankingCmd{Campaign: "ninh-thuan-cchc-2025"}, "events": &EventsCmd{Unit: "U1"},
		"verify": &VerifyCmd{}, "replay": &ReplayCmd{}, "reissue-token": &ReissueTokenCmd{User: "admin"}, "digest": &DigestCmd{},
		"archive": &ArchiveCmd{Out: filepath.Join(t.TempDir(), "a.jsonl")},
	} {
		dir := filepath.Join(t.TempDir(), "mistyped")
		err := cmd.Run(ctx, &Globals{Data: dir, Out: io.Discard}, quiet())
		require.ErrorIs(t, err, eventstore.ErrNoStore, name)
		assert.Contains(t, err.Error(), dir, name)
		assert.NoDirExists(t, dir, "%s created nothing", name)
	}
}

// TestCommandsRefuseInvalidIDs: an id no aggregate can have is refused as such
// (invalid_id, as the API answers), quoted, before the store is opened; before, it was
// "not found", its control characters echoed raw.
func TestCommandsRefuseInvalidIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "none") // never opened
	for name, cmd := range map[string]interface {
		Run(context.Context, *Globals, *slog.Logger) error
	}{
		"explain with a dot": &ExplainCmd{Nomination: "bad.id"}, "explain empty": &ExplainCmd{Nomination: ""},
		"explain with a control character": &ExplainCmd{Nomination: "x\x01y"},
		"events of a unit with a dot":      &EventsCmd{Unit: "a.b"}, "events of a campaign with a star": &EventsCmd{Campaign: "c*"},
		"ranking of a campaign with a space": &RankingCmd{Campaign: "a b"},
	} {
		err := cmd.Run(ctx, &Globals{Data: dir, Out: io.Discard}, quiet())
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "invalid_id", name)
		assert.NotContains(t, err.Error(), "\x01", "%s: quoted, not echoed raw", name)
		assert.NoDirExists(t, dir, name)
	}
}

// TestCommandsNameTheActors: `thidua events` and `thidua explain` show each event's actor
// by name beside the user id and role, and `events --json` carries actor.name.
func TestCommandsNameTheActors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nom, _ := seedStore(t, dir)
	ctx := context.Background()
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}
	userRe := regexp.MustCompile(`Văn thư \((u[0-9a-z]+), clerk\)`)

	require.NoError(t, (&EventsCmd{Nomination: nom}).Run(ctx, g, quiet()))
	m := userRe.FindStringSubmatch(out.String())
	require.NotNil(t, m, "the clerk is named with their id and role:\n%s", out.String())
	clerkID := m[1]
	assert.NotContains(t, out.String(), "  "+clerkID+"  ", "no bare id in the actor column")
	assert.Contains(t, out.String(), "2025-09-01 15:00:00 +07:00", "times in Vietnam's, with the offset")

	out.Reset()
	require.NoError(t, (&EventsCmd{Unit: "SO-TC", JSON: true}).Run(ctx, g, quiet()))
	var evs struct {
		Events []projections.EventView `json:"events"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &evs))
	byName := map[string]string{}
	for _, e := range evs.Events {
		byName[e.Actor.Role] = e.Actor.Name
	}
	assert.Equal(t, map[string]string{"admin": "Quản trị hệ thống", "reviewer": "Chuyên viên", "clerk": "Văn thư"}, byName)

	// The campaign's own trail: its launch, by the system.
	out.Reset()
	require.NoError(t, (&EventsCmd{Campaign: "ninh-thuan-cchc-2025"}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "phát động")

	out.Reset()
	require.NoError(t, (&ExplainCmd{Nomination: nom}).Run(ctx, g, quiet()))
	for _, want := range []string{
		"excluded_disbursement_subjective",
		"unit.fact_recorded, đơn vị / unit SO-TC) — Chuyên viên (u",
		"nomination.opened, hồ sơ / nomination " + nom + ") — Văn thư (" + clerkID + ", clerk)",
		"+07:00 (seq ", // the moment in Vietnam's time, as the trail's
	} {
		assert.Contains(t, out.String(), want)
	}
	assert.NotRegexp(t, `[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z`, out.String(), "no UTC time left")
}

func TestVerifyNamesTamperedEventsAndDocuments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	// Someone with NATS access forges an event and replaces a document's bytes.
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	forgeFact(t, st)
	// And one in a schema no version of thidua wrote yet.
	unitSubject, err := st.Subject(eventstore.Ref{Kind: "unit", ID: "SO-TC"})
	require.NoError(t, err)
	_, err = st.JetStream().Publish(ctx, unitSubject, []byte(`{"events":[{"id":"01FUTURESCHEMA000000000000","type":"unit.fact_recorded","schema":99,"aggregate":{"kind":"unit","id":"SO-TC"},"actor":{"user":"x","role":"reviewer"},"prev_hash":"","hash":"00","data":{}}]}`))
	require.NoError(t, err)
	// And a grant whose recorded ranking no replay gives: a nomination ranked first at a
	// sequence where the stream ranked nobody.
	campSubject, err := st.Subject(eventstore.Ref{Kind: "campaign", ID: "ninh-thuan-cchc-2025"})
	require.NoError(t, err)
	_, err = st.JetStream().Publish(ctx, campSubject, []byte(`{"events":[{"id":"01FORGEDGRANT0000000000000","type":"campaign.award_granted","schema":1,"aggregate":{"kind":"campaign","id":"ninh-thuan-cchc-2025"},"actor":{"user":"x","role":"council"},"prev_hash":"","hash":"00","data":{"award":"01FORGEDAWARD0000000000000","nomination":"01FORGEDNOMINATION00000000","unit":"SO-TC","lineage":["SO-TC"],"kind":"collective","decision":"QĐ giả","ranking":[{"nomination":"01FORGEDNOMINATION00000000","rank":1,"recommended":true}],"ranking_seq":4}}]}`))
	require.NoError(t, err)
	obs, err := st.JetStream().ObjectStore(ctx, eventstore.DefaultDocumentBucket)
	require.NoError(t, err)
	list, err := obs.List(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	_, err = obs.PutBytes(ctx, list[0].Name, []byte("%PDF forged"))
	require.NoError(t, err)
	// And an upload was cut short by a kill: chunks no document refers to (not an
	// integrity problem, but worth a note).
	_, err = st.JetStream().Publish(ctx, "$O."+eventstore.DefaultDocumentBucket+".C.KILLEDUPLOAD0000000000", []byte("%PDF half"))
	require.NoError(t, err)
	// And an upload refused after its file was stored: no event cites it (a note too).
	refused, err := st.PutDocument(ctx, "nop-muon.pdf", "application/pdf", strings.NewReader("%PDF refused"))
	require.NoError(t, err)
	st.Close()

	var out bytes.Buffer
	err = (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), "BROKEN event 01FORGED0000000000000000000")
	assert.Contains(t, out.String(), "BROKEN grant 01FORGEDGRANT0000000000000 at sequence")
	assert.Contains(t, out.String(), "is not the stream's as of sequence 4")
	assert.Contains(t, out.String(), "schema version 99 of unit.fact_recorded is newer than the 2 this version of thidua writes")
	assert.Contains(t, out.String(), "BROKEN document "+list[0].Name)
	assert.Contains(t, out.String(), "Note: 1 document upload(s) cut short left 1 chunk(s)")
	assert.Contains(t, out.String(), "Note: 1 stored document(s) that no event cites, uploads refused after their file was stored")
	assert.Contains(t, out.String(), "\n  "+refused.SHA256+"  12 bytes  nop-muon.pdf\n")
	assert.NotContains(t, out.String(), "BROKEN document "+refused.SHA256)

	// Then deletes it: the object store allows it, where the stream denies deletion. The
	// events cite it, so its absence is named.
	st, err = eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	obs, err = st.JetStream().ObjectStore(ctx, eventstore.DefaultDocumentBucket)
	require.NoError(t, err)
	require.NoError(t, obs.Delete(ctx, list[0].Name))
	st.Close()
	out.Reset()
	err = (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), "BROKEN document "+list[0].Name+": cited by the events (a dossier, a plan or evidence) but missing from the document store")
}

// TestVerifySaysWhatItComparedWith: verify states whether it compared the stream with
// the snapshot's record of it (which finds a rewrite of whole commits) or checked the
// stream alone, and why: no snapshot, or one it could not use.
func TestVerifySaysWhatItComparedWith(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	verify := func(json bool) string {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, (&VerifyCmd{JSON: json}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
		return out.String()
	}
	got := verify(false)
	assert.Contains(t, got, "NOT compared with a snapshot: the data directory holds none.")
	assert.Contains(t, got, "OK: every hash chain")

	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: io.Discard}, quiet()))
	assert.Regexp(t, `Compared the stream with what this directory's snapshot recorded of it, up to sequence \d+\.`, verify(false))
	assert.Regexp(t, `"history_compared": \{\s*"snapshot": true,\s*"up_to_seq": \d+`, verify(true))

	// A damaged snapshot: checked alone, and said so with the reason.
	path := projections.SnapshotPath(dir)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o600))
	got = verify(false)
	assert.Contains(t, got, "NOT compared with a snapshot: the one in the data directory is not usable (")
	assert.Contains(t, got, "OK: every hash chain")
	assert.Regexp(t, `"history_compared": \{\s*"snapshot": false,\s*"unusable": ".+"`, verify(true))
}

// TestSnapshotterSavesOnlyNewCommits: serve's snapshots are written when the model holds
// commits the file does not — after a rebuild, after new commits — and not when the
// server was idle since the file was written or loaded.
func TestSnapshotterSavesOnlyNewCommits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	store, err := g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	defer store.Close()
	path := projections.SnapshotPath(dir)
	old := time.Unix(1, 0)

	m, loaded, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	require.False(t, loaded, "no snapshot yet: rebuilt")
	s := &snapshotter{g: g, m: m, log: quiet()}
	s.save()
	require.FileExists(t, path, "a rebuilt model is saved")
	require.Equal(t, m.Applied(), s.onDisk)
	require.NoError(t, os.Chtimes(path, old, old))
	s.save()
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, info.ModTime().Equal(old), "nothing new: the file is left alone")

	m2, loaded, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	require.True(t, loaded)
	s2 := &snapshotter{g: g, m: m2, log: quiet(), onDisk: m2.Applied()}
	s2.save()
	info, err = os.Stat(path)
	require.NoError(t, err)
	assert.True(t, info.ModTime().Equal(old), "loaded and idle: the file is left alone")

	// A commit the file does not hold: saved.
	_, err = store.Append(ctx, eventstore.Ref{Kind: domain.KindUnit, ID: "SO-TC"}, m2.Version(eventstore.Ref{Kind: domain.KindUnit, ID: "SO-TC"}),
		[]eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"x": 1}}}, eventstore.Meta{})
	require.NoError(t, err)
	feed, err := projections.StartFeed(ctx, store, m2, quiet())
	require.NoError(t, err)
	feed.Stop()
	s2.save()
	info, err = os.Stat(path)
	require.NoError(t, err)
	assert.False(t, info.ModTime().Equal(old), "a new commit: saved")
	assert.Equal(t, m2.Applied(), s2.onDisk)
}

// TestLoadModelReadsTheSnapshotAhead: serve reads the snapshot while the store opens. The
// model read ahead is used when the stream agrees with it; a damaged file read ahead is
// rebuilt from the stream instead, to the same model.
func TestLoadModelReadsTheSnapshotAhead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	path := projections.SnapshotPath(dir)
	require.Nil(t, readSnapshotAhead(g), "no snapshot: nothing to read ahead")

	store, err := g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	rebuilt, loaded, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	require.False(t, loaded)
	_, err = rebuilt.SaveSnapshotFile(path)
	require.NoError(t, err)
	store.Close()

	ahead := readSnapshotAhead(g) // before the store opens, as serve does
	require.NotNil(t, ahead)
	store, err = g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	defer store.Close()
	m, loaded, err := loadModel(ctx, g, store, quiet(), nil, ahead, nil, false)
	require.NoError(t, err)
	assert.True(t, loaded, "the snapshot read ahead is used")
	assert.Equal(t, rebuilt.Applied(), m.Applied())
	assert.Equal(t, rebuilt.Stats().Events, m.Stats().Events)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o600))
	m, loaded, err = loadModel(ctx, g, store, quiet(), nil, readSnapshotAhead(g), nil, false)
	require.NoError(t, err)
	assert.False(t, loaded, "a damaged snapshot is not used")
	assert.Equal(t, rebuilt.Applied(), m.Applied())
	assert.Equal(t, rebuilt.Stats().Events, m.Stats().Events)

	// The damaged file is kept aside, as it was, where the next save would have replaced
	// it; the next damaged one replaces it in turn.
	kept, err := os.ReadFile(filepath.Join(dir, DamagedSnapshotName))
	require.NoError(t, err)
	assert.Equal(t, b[:len(b)/2], kept)
	assert.NoFileExists(t, path)
	require.NoError(t, os.WriteFile(path, b[:len(b)/3], 0o600))
	_, loaded, err = loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	assert.False(t, loaded)
	kept, err = os.ReadFile(filepath.Join(dir, DamagedSnapshotName))
	require.NoError(t, err)
	assert.Equal(t, b[:len(b)/3], kept)
	damaged, err := filepath.Glob(filepath.Join(dir, "projections.snapshot*"))
	require.NoError(t, err)
	assert.Len(t, damaged, 1, "one damaged snapshot kept, no more")
}

// TestReplayKeepsAnUnreadableSnapshot: replay keeps a snapshot it cannot read aside, as a
// server's start does, and says so, rather than replacing it without a word (a review
// finding: an earlier version's intact snapshot, misread, was lost to the replay's own).
func TestReplayKeepsAnUnreadableSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	require.NoError(t, (&ReplayCmd{}).Run(ctx, g, quiet()))
	path := projections.SnapshotPath(dir)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o600))
	var out bytes.Buffer
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	kept := filepath.Join(dir, DamagedSnapshotName)
	assert.Contains(t, out.String(), "The snapshot could not be read (")
	assert.Contains(t, out.String(), "it is kept in "+kept+", not replaced")
	got, err := os.ReadFile(kept)
	require.NoError(t, err)
	assert.Equal(t, b[:len(b)/2], got, "kept as it was")
	fresh, err := projections.ReadSnapshotFile(path)
	require.NoError(t, err, "the replay wrote its own beside it")
	fresh.Discard()
}

// outdateSnapshot rewrites the snapshot at path as a version with other integrity checks
// would have written it (the checks' version after the header one higher).
func outdateSnapshot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	const v5 = "thidua-projections-snapshot-v5\n"
	require.True(t, bytes.HasPrefix(b, []byte(v5)))
	at := len(v5)
	for range 3 { // applied, last sequence, aggregates
		_, n := binary.Uvarint(b[at:])
		at += n
	}
	hashLen, n := binary.Uvarint(b[at:])
	at += n + int(hashLen)
	_, n = binary.Varint(b[at:]) // written
	at += n
	_, n = binary.Uvarint(b[at:]) // the checks' version
	require.NoError(t, os.WriteFile(path, slices.Concat(b[:at], binary.AppendUvarint(nil, projections.ChecksVersion+1), b[at+n:]), 0o600))
}

// TestOutdatedSnapshotIsRebuilt: a snapshot written under other integrity checks (an
// earlier version's) is not loaded but rebuilt from the stream, so that this version's
// checks see every event; if the stream no longer holds what it recorded, it is kept as
// evidence all the same.
func TestOutdatedSnapshotIsRebuilt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	path := projections.SnapshotPath(dir)
	store, err := g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	m, _, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	s := &snapshotter{g: g, m: m, log: quiet()}
	s.save()
	_, loaded, err := loadModel(ctx, g, store, quiet(), nil, readSnapshotAhead(g), nil, false)
	require.NoError(t, err)
	require.True(t, loaded, "this version's snapshot is loaded")

	outdateSnapshot(t, path)
	var logs bytes.Buffer
	m, loaded, err = loadModel(ctx, g, store, slog.New(slog.NewTextHandler(&logs, nil)), nil, readSnapshotAhead(g), nil, false)
	require.NoError(t, err)
	assert.False(t, loaded, "an outdated snapshot is not loaded")
	assert.Contains(t, logs.String(), "written under other integrity checks")
	last, err := store.LastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, last, m.Applied(), "rebuilt from the stream")
	s = &snapshotter{g: g, m: m, log: quiet()}
	s.save()
	store.Close()

	// An outdated snapshot of a stream since rewritten: kept as evidence, as a current one is.
	dropLastCommit(t, dir)
	outdateSnapshot(t, path) // rewriteStream saved one of the stream before
	store, err = g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	defer store.Close()
	_, loaded, err = loadModel(ctx, g, store, quiet(), nil, readSnapshotAhead(g), nil, false)
	require.NoError(t, err)
	assert.False(t, loaded)
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"seq"+strconv.FormatUint(last, 10)+"-*"))
	require.NoError(t, err)
	assert.Len(t, kept, 1, "the outdated snapshot of a rewritten stream is kept as evidence")
}

// TestHeapBoundWaitsForTheHistory: serve bounds the heap's garbage only once the
// snapshot's history is decoded (the load's growth runs at the collector's default), and
// ends the huge-page advice then; a server stopped before that sets no bound. Not
// parallel: it sets the runtime's soft memory limit.
func TestHeapBoundWaitsForTheHistory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	debug.SetMemoryLimit(math.MaxInt64)

	t.Run("stopped before the history is decoded", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var stopped atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			afterHistory(ctx, make(chan struct{}), func() { stopped.Store(true) }, 256, quiet())
		}()
		cancel()
		<-done
		assert.True(t, stopped.Load(), "the huge-page advice ends")
		assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "no bound set")
	})

	t.Run("bound once decoded", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		decoded := make(chan struct{})
		var stopped atomic.Bool
		go afterHistory(ctx, decoded, func() { stopped.Store(true) }, 256, quiet())
		time.Sleep(100 * time.Millisecond)
		assert.False(t, stopped.Load(), "the advice lasts while the history decodes")
		assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "no bound while the history decodes")
		close(decoded)
		assert.Eventually(t, func() bool { return stopped.Load() && debug.SetMemoryLimit(-1) != math.MaxInt64 },
			5*time.Second, 10*time.Millisecond, "the advice ends and the bound is set")
		live, outside, _ := memory.Use()
		assert.Greater(t, debug.SetMemoryLimit(-1), live+outside+200<<20, "about 256 MiB above the live heap")
	})
}

// TestReissueTokenCommand: the operator's way back in when the administrator's token is
// lost: `thidua reissue-token admin` on the stopped data directory prints a new token
// once; the old one stops working; the event records the system as its actor. An unknown
// user is refused and nothing is appended.
func TestReissueTokenCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}
	require.NoError(t, (&ReissueTokenCmd{User: workflows.AdminID}).Run(ctx, g, quiet()))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3, out.String())
	assert.Contains(t, lines[0], "admin (Quản trị hệ thống, admin)")
	first := lines[1]

	err := (&ReissueTokenCmd{User: "u-nobody"}).Run(ctx, &Globals{Data: dir, Out: io.Discard}, quiet())
	require.Error(t, err)

	// The output lost (a full disk): the error says the old token is gone, and what to do.
	err = (&ReissueTokenCmd{User: workflows.AdminID}).Run(ctx, &Globals{Data: dir, Out: failingWriter{}}, quiet())
	require.ErrorContains(t, err, "the old one no longer works")
	require.ErrorContains(t, err, "run reissue-token admin again")
	out.Reset()
	require.NoError(t, (&ReissueTokenCmd{User: workflows.AdminID}).Run(ctx, g, quiet()))
	token := strings.Split(strings.TrimSpace(out.String()), "\n")[1]

	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	defer st.Close()
	m, err := projections.Rebuild(ctx, st, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	svc := workflows.New(st, m)
	p, err := svc.Authenticate(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, workflows.AdminID, p.UserID)
	_, err = svc.Authenticate(ctx, "admin-token-0123456789")
	require.Error(t, err, "the old token")
	_, err = svc.Authenticate(ctx, first)
	require.Error(t, err, "the first reissue's, replaced twice since")
	last, err := st.LastSeq(ctx)
	require.NoError(t, err)
	reg, _, err := st.Load(ctx, eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID})
	require.NoError(t, err)
	e := reg[len(reg)-1]
	assert.Equal(t, domain.UserTokenReissued, e.Type)
	assert.Equal(t, "system", e.Actor.User)
	assert.Equal(t, last, e.Seq, "the refused command appended nothing")
}

// TestStateLabel: the command line labels states as the web UI does; "verified" reads as
// a finished review, never as passed.
func TestStateLabel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ state, want string }{
		{"verified", "verified (đã thẩm định / reviewed)"},
		{"draft", "draft (đang lập / draft)"},
		{"under_review", "under_review (đang thẩm định / under review)"},
		{"awarded", "awarded (đã khen thưởng / awarded)"},
		{"future_state", "future_state"},
	} {
		assert.Equal(t, tc.want, stateLabel(tc.state), tc.state)
	}
}

// TestExitCode: verify's status 1 survives the CLI framework's wrapping (it exited 2, the
// status of an operational failure, when chains were broken); other errors are 2.
func TestExitCode(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1, exitCode(exitError{code: 1}))
	assert.Equal(t, 1, exitCode(fmt.Errorf("verify: %w", exitError{code: 1})))
	assert.Equal(t, 2, exitCode(errors.New("data directory in use")))
}

// forgedEventID is the id of the event forgeFact appends.
const forgedEventID = "01FORGED0000000000000000000"

// forgeFact appends, behind the engine's back, a fact on SO-TC whose hash and chain are
// wrong, as someone with access to NATS could.
func forgeFact(t *testing.T, st *eventstore.Store) {
	t.Helper()
	subject, err := st.Subject(eventstore.Ref{Kind: "unit", ID: "SO-TC"})
	require.NoError(t, err)
	forged := `{"events":[{"id":"` + forgedEventID + `","type":"unit.fact_recorded","schema":2,"aggregate":{"kind":"unit","id":"SO-TC"},"actor":{"user":"x","role":"reviewer"},"prev_hash":"","hash":"00","data":{"fact":"disbursement_pct","number":100}}]}`
	_, err = st.JetStream().Publish(context.Background(), subject, []byte(forged))
	require.NoError(t, err)
}

// factsThenSnapshot records one fact on SO-TC per note (a note to find its message by on
// disk, for estest.Damage), in the seeded store in dir, then saves a snapshot and closes the
// store; it returns the facts' sequences.
func factsThenSnapshot(t *testing.T, dir string, notes ...string) []uint64 {
	t.Helper()
	ctx := context.Background()
	e := openEngine(t, dir)
	defer e.close()
	store, m, svc, reviewer := e.store, e.m, e.svc, e.users[domain.RoleReviewer]
	var seqs []uint64
	for i, note := range notes {
		v := float64(3 + i)
		r, err := svc.RecordFact(ctx, reviewer, "SO-TC", domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2025", Fact: "late_dossiers", Number: &v, Note: note}, workflows.Options{})
		require.NoError(t, err)
		seqs = append(seqs, r.Seq)
	}
	require.NoError(t, projections.WaitCaughtUp(ctx, store, m, 5*time.Second))
	_, err := m.SaveSnapshotFile(projections.SnapshotPath(dir))
	require.NoError(t, err)
	return seqs
}

// TestSnapshotDoesNotHideLostMessages: a message lost on disk after the snapshot was
// written (nats-server drops a message it finds damaged as it starts) is found by the
// commands and by serve as it is by a rebuild: recorded as messages_lost, and every answer
// from it on says integrity_broken. Before, a start from the snapshot served what the lost
// message said as if nothing was missing: /integrity ok, the nomination eligible.
func TestSnapshotDoesNotHideLostMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nom, _ := seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	lost := factsThenSnapshot(t, dir, "LOST-MARKER-7Q", "")[0]

	// The fact's message is damaged on disk after the snapshot was written.
	estest.Damage(t, dir, "LOST-MARKER-7Q")

	store, m, err := openModel(ctx, g, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1, "%+v", ps)
	assert.Equal(t, projections.ProblemMessagesLost, ps[0].Problem)
	assert.Equal(t, lost, ps[0].Seq)
	el, err := m.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status)
	rk, err := m.Ranking("ninh-thuan-cchc-2025", projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)
	before, err := m.Eligibility(nom, projections.Bound{Seq: lost - 1})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityOK, before.Integrity.Status, "before the loss, the stream was whole")

	// The ranking's table says so too, as its exports do; before, only JSON, CSV and
	// XLSX carried it.
	store.Close()
	var out bytes.Buffer
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "table"}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.Contains(t, out.String(), "CẢNH BÁO: các sự kiện làm căn cứ xếp hạng không toàn vẹn (messages_lost #")
	assert.Contains(t, out.String(), "WARNING: the events this ranking rests on do not verify")
}

// engine is a store opened with its model, feed and service (openEngine).
type engine struct {
	store *eventstore.Store
	m     *projections.Model
	svc   *workflows.Service
	// users holds a user of each role the store registered.
	users map[domain.Role]workflows.Principal
	feed  *projections.Feed
}

// close stops the feed and closes the store, so that the directory can be damaged or
// opened again.
func (e *engine) close() {
	e.feed.Stop()
	e.store.Close()
}

// openEngine opens the store in dir with its model (from the snapshot, or rebuilt), a
// feed and a service; the caller closes it.
func openEngine(t *testing.T, dir string) *engine {
	t.Helper()
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	store, err := g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
	require.NoError(t, err)
	m, _, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	if err != nil {
		store.Close()
		require.NoError(t, err)
	}
	feed, err := projections.StartFeed(ctx, store, m, quiet())
	if err != nil {
		store.Close()
		require.NoError(t, err)
	}
	users := map[domain.Role]workflows.Principal{}
	for _, u := range m.Users() {
		users[domain.Role(u.Role)] = workflows.Principal{UserID: u.ID, Role: domain.Role(u.Role)}
	}
	return &engine{store: store, m: m, svc: workflows.New(store, m), users: users, feed: feed}
}

// problemsOf returns m's integrity problems of that kind, in the model's order.
func problemsOf(m *projections.Model, kind string) []projections.IntegrityProblem {
	var out []projections.IntegrityProblem
	for _, p := range m.IntegrityProblems() {
		if p.Problem == kind {
			out = append(out, p)
		}
	}
	return out
}

// atFlag is --at given as s.
func atFlag(s string) boundFlag { return boundFlag{At: &s} }

// TestNoAdminCreatedOnADamagedStore: when the administrator's registration is among the
// messages a store lost, the start does not append a new administrator to a history that
// needs restoring first: Bootstrap refuses (serve logs it and goes on), and nothing is
// appended.
func TestNoAdminCreatedOnADamagedStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	estest.Damage(t, dir, workflows.HashToken("admin-token-0123456789"))
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	store, m, err := openModel(ctx, g, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	require.Positive(t, m.IntegrityCount())
	before, err := store.LastSeq(ctx)
	require.NoError(t, err)
	generated, err := workflows.New(store, m).Bootstrap(ctx, "")
	require.ErrorIs(t, err, workflows.ErrNoAdminOnDamagedStore)
	assert.Empty(t, generated, "no token printed")
	after, err := store.LastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing appended")
}

// TestRewrittenStreamIsNamed: someone with NATS access deletes the stream and writes it
// again without its last commit, chains recomputed or not: every chain in the stream
// verifies, but the data directory's snapshot recorded a commit the stream no longer
// holds. The next start keeps that snapshot as evidence and rebuilds; verify names it
// (exit status 1) until an operator removes it.
func TestRewrittenStreamIsNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	last := dropLastCommit(t, dir)

	var out bytes.Buffer
	err := (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), "BROKEN history: the stream no longer holds what a snapshot of it recorded")
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"seq"+strconv.FormatUint(last, 10)+"-*"))
	require.NoError(t, err)
	require.Len(t, kept, 1, "the snapshot kept as evidence")
	assert.NotContains(t, out.String(), "BROKEN event", "every chain the stream holds verifies: only the snapshot tells")
	// And what the kept snapshot recorded past the stream's end: what a restore must bring
	// back (a review finding: the problem said verify compared, and nothing read the file).
	assert.Contains(t, out.String(), fmt.Sprintf("it recorded the stream up to sequence %d; the stream agrees with it up to its own end, %d", last, last-1))
	assert.Contains(t, out.String(), fmt.Sprintf("it recorded, past the stream's end, at sequence %d: ", last))
	var js bytes.Buffer
	_ = (&VerifyCmd{JSON: true}).Run(ctx, &Globals{Data: dir, Out: &js}, quiet())
	var rep struct {
		Compared []struct {
			Checkpoint uint64 `json:"checkpoint"`
			Beyond     []struct {
				Seq uint64 `json:"seq"`
			} `json:"beyond_stream"`
		} `json:"diverged_compared"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &rep), js.String())
	require.Len(t, rep.Compared, 1)
	assert.Equal(t, last, rep.Compared[0].Checkpoint)
	require.NotEmpty(t, rep.Compared[0].Beyond)
	assert.Equal(t, last, rep.Compared[0].Beyond[0].Seq)

	// Once looked into and removed, verify passes again (on the rebuilt snapshot-less store).
	require.NoError(t, os.Remove(kept[0]))
	out.Reset()
	require.NoError(t, (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()), out.String())
}

// TestLostLastMessage: the stream's last message is damaged on disk (a write torn by a
// power cut); nats-server drops it as it starts and still counts its sequence as the
// stream's last. Before, every reader waited for that sequence for good: serve never
// started, verify and replay hung. Now the rebuild, the feed's catch-up and verify end,
// and the loss is named.
func TestLostLastMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	estest.Damage(t, dir, `"number":97`) // the last commit: the reviewer's fact
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	g := &Globals{Data: dir, Out: io.Discard}
	store, m, err := openModel(ctx, g, quiet(), false)
	require.NoError(t, err, "the rebuild ends")
	stored, last, err := store.LastStored(ctx)
	require.NoError(t, err)
	require.Less(t, stored, last, "the stream counts a sequence it no longer holds")
	assert.Equal(t, last, m.Applied())
	ps := m.IntegrityProblems()
	require.NotEmpty(t, ps)
	assert.Equal(t, projections.ProblemMessagesLost, ps[len(ps)-1].Problem)
	assert.Equal(t, last, ps[len(ps)-1].Seq)

	// A model from a snapshot taken before the loss was seen catches up through the feed.
	m2 := projections.NewModel()
	feed, err := projections.StartFeed(ctx, store, m2, quiet())
	require.NoError(t, err, "the feed's catch-up ends")
	feed.Stop()
	assert.Equal(t, last, m2.Applied())
	store.Close()

	var out bytes.Buffer
	err = (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), fmt.Sprintf("sequences %d to", last))
}

// TestSameLengthRewriteIsNamed: the stream written again with one event altered (a fact's
// value) and its hash recomputed, the same length, so that every chain verifies and the
// snapshot's checkpoint still matches: the history the snapshot recorded is compared with
// the stream, event by event, and the altered one is named (exit status 1).
func TestSameLengthRewriteIsNamed(t *testing.T) {
	t.Parallel()
	for _, outdated := range []bool{false, true} {
		t.Run(fmt.Sprintf("outdated snapshot %v", outdated), func(t *testing.T) {
			t.Parallel()
			sameLengthRewrite(t, outdated)
		})
	}
}

// sameLengthRewrite is TestSameLengthRewriteIsNamed, with the snapshot written under
// this version's checks or (outdated) an earlier version's: verify compares the stream
// with what either recorded.
func sameLengthRewrite(t *testing.T, outdated bool) {
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	altered := renameLetter(t, dir)
	if outdated {
		outdateSnapshot(t, projections.SnapshotPath(dir))
	}

	var out bytes.Buffer
	err := (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), fmt.Sprintf("BROKEN history at sequence %d on nomination/", altered))
	assert.NotContains(t, out.String(), "diverged", "the checkpoint's commit is untouched")
	assert.Contains(t, out.String(), "the stream was rewritten since the snapshot")
	assert.NotContains(t, out.String(), "BROKEN event", "every chain verifies: only the snapshot's history tells")
}

// TestReplayKeepsASameLengthRewrite: thidua replay compares the stream with the history
// of the snapshot it is about to replace, as verify does, and keeps the snapshot as
// evidence when the stream was rewritten with the checkpoint's commit untouched (the
// header's check does not see it). Before, the replay wrote over it, and the rewrite
// could no longer be told.
func TestReplayKeepsASameLengthRewrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	altered := renameLetter(t, dir)
	last, err := func() (uint64, error) {
		st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
		if err != nil {
			return 0, err
		}
		defer st.Close()
		return st.LastSeq(ctx)
	}()
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.Contains(t, out.String(), fmt.Sprintf("BROKEN history: the stream holds 1 event(s) otherwise than the snapshot recorded (the first at sequence %d on nomination/", altered))
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"seq"+strconv.FormatUint(last, 10)+"-*"))
	require.NoError(t, err)
	require.Len(t, kept, 1, "the snapshot kept as evidence")
	keptUntilRemoved(t, dir, kept[0])
}

// keptUntilRemoved checks that verify names the snapshot kept as evidence in dir (kept),
// and that once it is removed, a replay of the stream, which now agrees with the snapshot
// the first replay saved, keeps nothing more.
func keptUntilRemoved(t *testing.T, dir, kept string) {
	t.Helper()
	ctx := context.Background()
	var out bytes.Buffer
	err := (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Contains(t, out.String(), "BROKEN history")

	require.NoError(t, os.Remove(kept))
	out.Reset()
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.NotContains(t, out.String(), "BROKEN")
	left, _ := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	assert.Empty(t, left)
}

// TestReplaySkipsTheHistoryCheckWhenAsked: with --skip-history-check the replay does not
// compare (it says so in its log) and replaces the snapshot, as before the check.
func TestReplaySkipsTheHistoryCheckWhenAsked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	renameLetter(t, dir)
	var out, logs bytes.Buffer
	require.NoError(t, (&ReplayCmd{SkipHistoryCheck: true}).Run(context.Background(), &Globals{Data: dir, Out: &out}, slog.New(slog.NewTextHandler(&logs, nil))))
	assert.NotContains(t, out.String(), "BROKEN")
	assert.Contains(t, logs.String(), "--skip-history-check")
	kept, _ := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	assert.Empty(t, kept)
}

// dropLastCommit saves a snapshot of the store in dir and rewrites its stream without its
// last commit (rewriteStream), and returns that commit's sequence: the snapshot's
// checkpoint, which the stream no longer holds.
func dropLastCommit(t *testing.T, dir string) uint64 {
	t.Helper()
	var last uint64
	rewriteStream(t, dir, func(seq, end uint64, _ []byte) ([]byte, bool) {
		last = end
		return nil, seq < end
	})
	return last
}

// renameLetter saves a snapshot of the store in dir and rewrites its stream with the
// dossier's letter attached under another name, its hash recomputed (the last event of
// its aggregate: no link after it to mend), and returns the altered sequence: every chain
// verifies, and the checkpoint's commit is untouched.
func renameLetter(t *testing.T, dir string) uint64 {
	t.Helper()
	altered := uint64(0)
	rewriteStream(t, dir, func(seq, _ uint64, data []byte) ([]byte, bool) {
		if !bytes.Contains(data, []byte(`"name":"l.pdf"`)) {
			return data, true
		}
		// The dossier's letter, attached under another name.
		var body struct {
			Events []eventstore.Event `json:"events"`
		}
		require.NoError(t, json.Unmarshal(data, &body))
		e := &body.Events[0]
		e.Data = json.RawMessage(strings.Replace(string(e.Data), `"name":"l.pdf"`, `"name":"x.pdf"`, 1))
		e.Hash = e.ComputeHash() // the last event of its aggregate: no link after it to mend
		out, err := json.Marshal(body)
		require.NoError(t, err)
		altered = seq
		return out, true
	})
	require.NotZero(t, altered)
	return altered
}

// TestDivergedSnapshotNamesWhatTheStreamHoldsOtherwise: a store restored from an older
// copy of its stream that went on taking commands holds other events at the sequences a
// kept snapshot recorded; verify lists the snapshot's events there (recorded_otherwise),
// not only those past the stream's end (a review finding: the three units registered
// after the copy appeared nowhere in verify's report, which looked whole).
func TestDivergedSnapshotNamesWhatTheStreamHoldsOtherwise(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	backup := filepath.Join(t.TempDir(), "jetstream")
	require.NoError(t, os.CopyFS(backup, os.DirFS(filepath.Join(dir, "jetstream"))))
	register := func(ids ...string) []uint64 {
		t.Helper()
		e := openEngine(t, dir)
		defer e.close()
		var seqs []uint64
		for _, id := range ids {
			r, err := e.svc.RegisterUnit(ctx, e.users[domain.RoleAdmin], workflows.RegisterUnitInput{ID: id, Name: "Đơn vị " + id, Kind: domain.UnitDepartment}, workflows.Options{})
			require.NoError(t, err)
			seqs = append(seqs, r.Seq)
		}
		require.NoError(t, projections.WaitCaughtUp(ctx, e.store, e.m, 5*time.Second))
		_, err := e.m.SaveSnapshotFile(projections.SnapshotPath(dir))
		require.NoError(t, err)
		return seqs
	}
	lost := register("LOST1", "LOST2", "LOST3")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "jetstream")))
	require.NoError(t, os.CopyFS(filepath.Join(dir, "jetstream"), os.DirFS(backup)))
	register("N1", "N2", "N3", "N4", "N5")

	var js bytes.Buffer
	err := (&VerifyCmd{JSON: true}).Run(ctx, &Globals{Data: dir, Out: &js}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee)
	var rep struct {
		Compared []struct {
			Checkpoint      uint64 `json:"checkpoint"`
			FirstDifference uint64 `json:"first_difference"`
			Otherwise       []struct {
				Seq       uint64 `json:"seq"`
				Aggregate struct {
					ID string `json:"id"`
				} `json:"aggregate"`
			} `json:"recorded_otherwise"`
			Beyond []json.RawMessage `json:"beyond_stream"`
		} `json:"diverged_compared"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &rep), js.String())
	require.Len(t, rep.Compared, 1)
	c := rep.Compared[0]
	// A registration is two messages: the id's claim on the registry, then the unit's.
	first := lost[0] - 1
	assert.Equal(t, lost[2], c.Checkpoint)
	assert.Equal(t, first, c.FirstDifference)
	assert.Empty(t, c.Beyond, "the stream goes on past the snapshot's end")
	var got []uint64
	var units []string
	for _, e := range c.Otherwise {
		got = append(got, e.Seq)
		if strings.HasPrefix(e.Aggregate.ID, "LOST") {
			units = append(units, e.Aggregate.ID)
		}
	}
	assert.Equal(t, []uint64{first, first + 1, first + 2, first + 3, first + 4, first + 5}, got)
	assert.Equal(t, []string{"LOST1", "LOST2", "LOST3"}, units)

	var out bytes.Buffer
	_ = (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	for _, seq := range got {
		assert.Contains(t, out.String(), fmt.Sprintf("it recorded, where the stream now holds another, at sequence %d: ", seq))
	}
}

// rewriteStream saves a snapshot of the store in dir, then writes its stream again as
// someone with NATS access could: deleted, recreated, and each message published again as
// edit returns it (kept false: left out). edit gets the message's sequence, the stream's
// last sequence and its data (nil when it only decides what to keep).
func rewriteStream(t *testing.T, dir string, edit func(seq, last uint64, data []byte) ([]byte, bool)) {
	t.Helper()
	ctx := context.Background()
	store, m, err := openModel(ctx, &Globals{Data: dir, Out: io.Discard}, quiet(), false)
	require.NoError(t, err)
	_, err = m.SaveSnapshotFile(projections.SnapshotPath(dir))
	require.NoError(t, err)
	last, err := store.LastSeq(ctx)
	require.NoError(t, err)
	raw, err := store.JetStream().Stream(ctx, store.StreamName())
	require.NoError(t, err)
	type msg struct {
		subject string
		data    []byte
	}
	var msgs []msg
	for seq := uint64(1); seq <= last; seq++ {
		rm, err := raw.GetMsg(ctx, seq)
		require.NoError(t, err)
		data, keep := edit(seq, last, rm.Data)
		if keep {
			if data == nil {
				data = rm.Data
			}
			msgs = append(msgs, msg{rm.Subject, data})
		}
	}
	require.NoError(t, store.JetStream().DeleteStream(ctx, store.StreamName()))
	store.Close()
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir))
	require.NoError(t, err)
	for _, m := range msgs {
		_, err := st.JetStream().Publish(ctx, m.subject, m.data)
		require.NoError(t, err)
	}
	st.Close()
}

// TestTerminalSafe: what the text commands print shows a control character, a
// bidirectional override or an invalid byte stored in an event as a visible escape, a
// character cut short at the end of the output included (nothing is held back and lost);
// line feeds, tabs and Vietnamese text pass as they are.
func TestTerminalSafe(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := terminalSafe(&b)
	for _, part := range []string{"Lý do: \x1b[2J\x1b[31mFAKE\x1b[0m\t", "\u202egnp.exe\a\n", "Điều tra \xff ệ\n", "cut \xe1\xbb"} {
		n, err := w.Write([]byte(part))
		require.NoError(t, err)
		assert.Equal(t, len(part), n)
	}
	assert.Equal(t, "Lý do: \\u001B[2J\\u001B[31mFAKE\\u001B[0m\t\\u202Egnp.exe\\u0007\nĐiều tra \\xFF ệ\ncut \\xE1\\xBB", b.String())
}

// TestReplayKeepsADivergedSnapshot: thidua replay on a stream rewritten since the data
// directory's snapshot was written keeps that snapshot as evidence before it saves its
// own, and says so; verify then names the history broken. Before, the replay replaced the
// snapshot, the only record of what the stream had held.
func TestReplayKeepsADivergedSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	last := dropLastCommit(t, dir)
	var out bytes.Buffer
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.Contains(t, out.String(), "BROKEN history: the stream no longer holds what the snapshot recorded")
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"seq"+strconv.FormatUint(last, 10)+"-*"))
	require.NoError(t, err)
	require.Len(t, kept, 1, "the snapshot kept as evidence")
	_, err = os.Stat(projections.SnapshotPath(dir))
	require.NoError(t, err, "the replay saved its own snapshot")
	keptUntilRemoved(t, dir, kept[0])
}

// TestALossIsNoRewrite: a message lost on disk after the snapshot, with later events of
// the same aggregate, is a loss, not a rewrite: verify names the loss and no history
// that differs, and replay does not keep the snapshot as evidence of one. The chain link
// the loss breaks says which lost messages may have held the event it links to, in
// verify's report and in the model a rebuild makes. Before the
// twenty-third session the comparison with the snapshot's history matched an aggregate's
// events by their count, so every event of the aggregate after the lost one was named
// "BROKEN history … the stream was rewritten since the snapshot", and replay kept the
// snapshot as if the stream had been rewritten.
func TestALossIsNoRewrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	seqs := factsThenSnapshot(t, dir, "LOST-NOT-REWRITTEN-4K", "after the loss, 1", "after the loss, 2")
	estest.Damage(t, dir, "LOST-NOT-REWRITTEN-4K")

	var out bytes.Buffer
	err := (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Equal(t, 1, ee.code, "a loss is a broken history all the same")
	assert.Contains(t, out.String(), fmt.Sprintf("%d", seqs[0]))
	assert.Contains(t, out.String(), "lost")
	assert.NotContains(t, out.String(), "BROKEN history", "the events after the loss are the snapshot's")
	assert.NotContains(t, out.String(), "rewritten")
	note := fmt.Sprintf("(the messages lost at sequence %d, after the aggregate's previous event the stream holds (sequence %d), may have held the event it links to)", seqs[0], seqs[0]-1)
	assert.Contains(t, out.String(), fmt.Sprintf("the snapshot's history holds what sequence %d held: ", seqs[0]))
	assert.Contains(t, out.String(), "(as the snapshot recorded it: the stream no longer holds those messages to confirm it")
	assert.Contains(t, out.String(), "(unit.fact_recorded on unit/SO-TC, event ")
	var js bytes.Buffer
	err = (&VerifyCmd{JSON: true}).Run(ctx, &Globals{Data: dir, Out: &js}, quiet())
	require.ErrorAs(t, err, &ee)
	var rep struct {
		Lost []projections.EventView `json:"lost_events"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &rep))
	require.Len(t, rep.Lost, 1)
	assert.Equal(t, seqs[0], rep.Lost[0].Seq)
	assert.Contains(t, string(rep.Lost[0].Data), "LOST-NOT-REWRITTEN-4K", "what the lost fact said")
	assert.Contains(t, out.String(), fmt.Sprintf("at sequence %d on thidua.unit.SO-TC: chain broken: ", seqs[1]))
	assert.Contains(t, out.String(), note)

	out.Reset()
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.NotContains(t, out.String(), "BROKEN history", out.String())
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	require.NoError(t, err)
	assert.Empty(t, kept, "no snapshot kept as evidence of a rewrite")

	// The rebuilt model's problems (kept in the snapshot the replay saved).
	store, m, err := openModel(ctx, &Globals{Data: dir, Out: io.Discard}, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	chain := problemsOf(m, projections.ProblemChainBroken)
	require.Len(t, chain, 1, "%+v", m.IntegrityProblems())
	assert.Equal(t, seqs[1], chain[0].Seq)
	assert.Contains(t, chain[0].Detail, note)
}

// TestLostCheckpointStillComparesTheHistory: the message at the snapshot's checkpoint,
// the stream's last, is lost on disk (a write torn by a power cut). The snapshot still
// agrees with the stream before it, so verify compares the history with it and shows what
// the lost message held, as it does for a loss before the checkpoint; serve starts from
// it. Before, the snapshot was "unusable", verify could not say what was lost, and the
// start set it aside as damaged (a review finding).
func TestLostCheckpointStillComparesTheHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	seqs := factsThenSnapshot(t, dir, "before the loss", "LOST-CHECKPOINT-8W")
	estest.Damage(t, dir, "LOST-CHECKPOINT-8W")

	var js bytes.Buffer
	err := (&VerifyCmd{JSON: true}).Run(ctx, &Globals{Data: dir, Out: &js}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, js.String())
	assert.Equal(t, 1, ee.code)
	var rep struct {
		Lost     []projections.EventView `json:"lost_events"`
		Compared historyCompared         `json:"history_compared"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &rep), js.String())
	assert.True(t, rep.Compared.Snapshot, "compared with the snapshot: %+v", rep.Compared)
	assert.Empty(t, rep.Compared.Unusable)
	require.Len(t, rep.Lost, 1, js.String())
	assert.Equal(t, seqs[1], rep.Lost[0].Seq)
	assert.Contains(t, string(rep.Lost[0].Data), "LOST-CHECKPOINT-8W", "what the lost fact said")

	// A start takes the snapshot: it is not set aside as damaged, and the loss is a problem.
	store, m, use, err := openModelFrom(ctx, &Globals{Data: dir, Out: io.Discard}, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	assert.True(t, use.Loaded, "%+v", use)
	lost := problemsOf(m, projections.ProblemMessagesLost)
	require.NotEmpty(t, lost, "%+v", m.IntegrityProblems())
	assert.Equal(t, seqs[1], lost[len(lost)-1].Seq)
}

// TestWriteToAnAggregateWhoseLastMessageIsLost: when the last message of an aggregate is
// lost on disk, nats-server still counts it as the subject's last, so the stream refuses
// every append to that aggregate. A command on it ends with store_damaged (ErrDamaged: the
// store must be restored), not with "keeps changing; try again" for ever, as it did before
// the twenty-third session; nothing is appended, and other aggregates take commands.
func TestWriteToAnAggregateWhoseLastMessageIsLost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	factsThenSnapshot(t, dir, "before", "LAST-OF-SO-TC-LOST")
	estest.Damage(t, dir, "LAST-OF-SO-TC-LOST")

	e := openEngine(t, dir)
	defer e.close()
	store, svc, reviewer, admin := e.store, e.svc, e.users[domain.RoleReviewer], e.users[domain.RoleAdmin]
	before, err := store.LastSeq(ctx)
	require.NoError(t, err)
	fact := func(unit string) error {
		v := 4.0
		_, err := svc.RecordFact(ctx, reviewer, unit, domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2025", Fact: "late_dossiers", Number: &v}, workflows.Options{})
		return err
	}

	err = fact("SO-TC")
	require.ErrorIs(t, err, workflows.ErrDamaged)
	var we *workflows.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "store_damaged", we.Code)
	assert.Contains(t, we.Message, "unit/SO-TC cannot be written")
	assert.Contains(t, we.Message, "lost on disk")
	after, err := store.LastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing appended")

	_, err = svc.RegisterUnit(ctx, admin, workflows.RegisterUnitInput{ID: "SO-TP", Name: "Sở Tư pháp", Kind: domain.UnitDepartment}, workflows.Options{})
	require.NoError(t, err)
	require.NoError(t, fact("SO-TP"), "another unit takes commands")
}

// TestDivergedSnapshotBreaksEveryAnswer: while the data directory keeps a snapshot whose
// stream no longer holds what it recorded (here the stream lost its last commit), every
// answer says integrity_broken, as thidua verify does; once an operator removes the file,
// the answers say ok again. Before the twenty-fourth session they said ok at once: after a
// rebuild from the stream as it now is, the chains of what remains verify.
func TestDivergedSnapshotBreaksEveryAnswer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nom, _ := seedStore(t, dir)
	dropLastCommit(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	load := func() *projections.Model {
		t.Helper()
		store, err := g.openStore(ctx, quiet(), eventstore.WithRegistry(workflows.EventRegistry()))
		require.NoError(t, err)
		defer store.Close()
		m, _, err := loadModel(ctx, g, store, quiet(), nil, readSnapshotAhead(g), nil, false)
		require.NoError(t, err)
		return m
	}
	m := load()
	kept, err := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	require.NoError(t, err)
	require.Len(t, kept, 1, "the snapshot kept as evidence")
	ps := m.IntegrityProblems()
	require.Len(t, ps, 1, "%+v", ps)
	assert.Equal(t, projections.ProblemStreamDiverged, ps[0].Problem)
	assert.Contains(t, ps[0].Detail, filepath.Base(kept[0]))
	for _, b := range []projections.Bound{{}, {Seq: 1}} {
		el, err := m.Eligibility(nom, b)
		if b.Seq == 1 {
			require.ErrorIs(t, err, projections.ErrNotFound, "nothing of it at sequence 1")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, projections.IntegrityBroken, el.Integrity.Status, "%+v", el.Integrity)
		assert.False(t, el.Eligible)
		assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool { return r.Code == projections.ReasonIntegrityBroken }), "%+v", el.Reasons)
	}
	rk, err := m.Ranking(domain.BuiltinCampaign().ID, projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status)

	// A new snapshot does not carry it: the file in the data directory is the evidence.
	s := &snapshotter{g: g, m: m, log: quiet()}
	s.save()
	require.NoError(t, os.Remove(kept[0]))
	m = load()
	assert.Empty(t, m.IntegrityProblems(), "the operator removed the kept snapshot")
}

// TestExplainNamesEventsOfOtherUnits: explain prints each event a reason cites with its
// sequence, time, type and actor, also one of another unit: the registration under the
// nominee's unit that makes it a parent unit, whose subordinates' share C13 then waits for.
func TestExplainNamesEventsOfOtherUnits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	clock := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), eventstore.WithRegistry(workflows.EventRegistry()), eventstore.WithClock(now))
	require.NoError(t, err)
	m := projections.NewModel()
	feed, err := projections.StartFeed(ctx, st, m, quiet())
	require.NoError(t, err)
	svc := workflows.New(st, m, workflows.WithClock(now))
	_, err = svc.Bootstrap(ctx, "admin-token-0123456789")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, "admin-token-0123456789")
	require.NoError(t, err)
	ok := func(r workflows.Result, err error) workflows.Result { t.Helper(); require.NoError(t, err); return r }
	ok(svc.RegisterUnit(ctx, admin, workflows.RegisterUnitInput{ID: "H-PU", Name: "Huyện PU", Kind: domain.UnitDistrict}, workflows.Options{}))
	reg := ok(svc.RegisterUnit(ctx, admin, workflows.RegisterUnitInput{ID: "X-PU1", Name: "Xã PU 1", Kind: domain.UnitCommune, Parent: "H-PU"}, workflows.Options{}))
	_, tok, err := svc.CreateUser(ctx, admin, workflows.CreateUserInput{Name: "Văn thư", Role: domain.RoleClerk, Unit: "H-PU"}, workflows.Options{})
	require.NoError(t, err)
	clerk, _ := svc.Authenticate(ctx, tok)
	_, tok, err = svc.CreateUser(ctx, admin, workflows.CreateUserInput{Name: "Chuyên viên", Role: domain.RoleReviewer}, workflows.Options{})
	require.NoError(t, err)
	reviewer, _ := svc.Authenticate(ctx, tok)
	nom := ok(svc.OpenNomination(ctx, clerk, "ninh-thuan-cchc-2025", workflows.OpenNominationInput{Unit: "H-PU", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{}))
	zero, two := 0.0, 2.0
	ok(svc.RecordFact(ctx, reviewer, "H-PU", domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2025", Fact: "staff_hours_violation_pct", Number: &two}, workflows.Options{}))
	ok(svc.RecordFact(ctx, reviewer, "H-PU", domain.FactRecordedData{Campaign: "ninh-thuan-cchc-2025", Fact: "late_directives", Number: &zero}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(ctx, st, m, 5*time.Second))
	feed.Stop()
	st.Close()

	var out bytes.Buffer
	require.NoError(t, (&ExplainCmd{Nomination: nom.ID}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	// The registration is another unit's, and says so (a review finding: a cited event
	// named no aggregate, and a predecessor's fact read as the unit's own).
	assert.Regexp(t, `← sự kiện / event `+reg.Events[0]+` \(seq \d+, [^,]+, unit\.registered, đơn vị khác / another unit X-PU1\) — `, out.String())
	assert.Regexp(t, `← sự kiện / event \w+ \(seq \d+, [^,]+, unit\.fact_recorded, đơn vị / unit H-PU\) — `, out.String())
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestVerifyFindsACommitRewrittenOutsideItsEvents: a commit rewritten in a field that
// belongs to no event (its answer to an idempotent retry), every event kept as it was, is
// found by the stream's digest against the snapshot's: verify names it and exits 1, and a
// replay keeps the snapshot aside as the evidence, as for an event rewritten. Before,
// verify said OK while every answer said integrity_broken, and a replay wrote a new
// snapshot over the only record of the rewrite.
func TestVerifyFindsACommitRewrittenOutsideItsEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	altered := uint64(0)
	rewriteStream(t, dir, func(seq, _ uint64, data []byte) ([]byte, bool) {
		if altered == 0 && bytes.Contains(data, []byte(`"result":"`)) {
			altered = seq
			return bytes.Replace(data, []byte(`"result":"`), []byte(`"result":"X`), 1), true
		}
		return data, true
	})
	require.NotZero(t, altered)

	var out bytes.Buffer
	err := (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	var ee exitError
	require.ErrorAs(t, err, &ee, out.String())
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, out.String(), "BROKEN history at sequence ")
	assert.Contains(t, out.String(), "on stream/events: the stream holds other messages between sequences")
	assert.NotContains(t, out.String(), "OK:")

	out.Reset()
	require.NoError(t, (&ReplayCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet()))
	assert.Contains(t, out.String(), "BROKEN history: the stream holds other messages between sequences")
	kept, _ := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	assert.Len(t, kept, 1, "the replaced snapshot is kept as the evidence")
	out.Reset()
	err = (&VerifyCmd{}).Run(ctx, &Globals{Data: dir, Out: &out}, quiet())
	require.ErrorAs(t, err, &ee, out.String())
	assert.Contains(t, out.String(), "the snapshot is kept in")
}

// TestBenchRefusesWhatItWouldSpoil: bench --load-only loads only into a new or empty
// directory (its synthetic events could never be taken out of a real store: before, it
// loaded 96,000 of them into one), and flags that do not go together are refused rather
// than ignored (--read without --read-only started the whole bench).
func TestBenchRefusesWhatItWouldSpoil(t *testing.T) {
	t.Parallel()
	full := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(full, "jetstream"), 0o700))
	for name, c := range map[string]BenchCmd{
		"load into a store":        {LoadOnly: full, Read: "rebuild"},
		"load and read":            {LoadOnly: t.TempDir(), ReadOnly: full, Read: "rebuild"},
		"read without a directory": {Read: "raw"},
	} {
		err := c.check()
		require.Error(t, err, name)
		assert.Equal(t, exitUsage, exitCode(err), name)
	}
	assert.NoError(t, (&BenchCmd{LoadOnly: t.TempDir(), Read: "rebuild"}).check(), "an empty directory")
	assert.NoError(t, (&BenchCmd{LoadOnly: filepath.Join(t.TempDir(), "new"), Read: "rebuild"}).check(), "a new one")
	assert.NoError(t, (&BenchCmd{ReadOnly: full, Read: "raw"}).check())
	_, err := os.Stat(filepath.Join(full, "jetstream"))
	assert.NoError(t, err, "nothing removed")
}
