package web_test

import (
	"bytes"
	"encoding/csv"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"thidua/domain"
	"thidua/workflows/wftest"
)

// TestRankingDownloads: the ranking page links to the CSV and XLSX of the ranking it shows,
// at its moment; the downloads are in the page's language and need a session.
func TestRankingDownloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewer := e.User(domain.RoleReviewer, "")
	e.UnitNamed("R01", "Ủy ban nhân dân xã Phước Dân", domain.UnitCommune)
	first, _ := e.MakeEligible("R01", reviewer, 90.5)
	seq, err := e.Store.LastSeq(e.Ctx)
	require.NoError(t, err)
	e.UnitNamed("R02", "Sở Tư pháp", domain.UnitDepartment)
	e.MakeEligible("R02", reviewer, 95)
	ranking := "/campaigns/" + wftest.Campaign + "/ranking"
	export := ranking + "/export"
	auditor := e.client()
	auditor.signIn(e.user("Thanh tra", domain.RoleAuditor, ""))

	for _, tc := range []struct {
		name      string
		page      string
		wantLinks []string
		badLinks  []string
		noLinks   bool
	}{
		{name: "live", page: ranking, wantLinks: []string{export + "?format=csv", export + "?format=xlsx"}},
		{name: "as of a sequence", page: ranking + "?seq=" + strconv.FormatUint(seq, 10), wantLinks: []string{
			export + "?format=csv&seq=" + strconv.FormatUint(seq, 10), export + "?format=xlsx&seq=" + strconv.FormatUint(seq, 10)}},
		{name: "as of a time picked", page: ranking + "?at=2025-09-15T10:00", wantLinks: []string{export + "?at=2025-09-15T10%3A00&format=csv"}},
		{name: "a bad time shows now, and so do the links", page: ranking + "?at=hôm+qua", wantLinks: []string{export + "?format=csv"}, badLinks: []string{export + "?at="}},
		{name: "before the campaign: no links", page: ranking + "?at=2020-01-01T00:00", noLinks: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := auditor.get(tc.page)
			require.Equal(t, http.StatusOK, r.status)
			body := html.UnescapeString(r.body)
			if tc.noLinks {
				mustNotContain(t, body, export)
				return
			}
			mustContain(t, body, "Tải bảng xếp hạng về", "Tệp CSV", "Tệp Excel (XLSX)")
			for _, l := range tc.wantLinks {
				mustContain(t, body, `href="`+l+`"`)
			}
			mustNotContain(t, body, tc.badLinks...)
		})
	}

	for _, tc := range []struct {
		name   string
		path   string
		status int
		check  func(t *testing.T, r resp)
	}{
		{name: "csv, Vietnamese", path: export + "?format=csv", status: http.StatusOK, check: func(t *testing.T, r resp) {
			assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
			assert.Contains(t, r.header.Get("Content-Disposition"), "attachment; filename=xep-hang_"+wftest.Campaign+"_")
			require.True(t, strings.HasPrefix(r.body, "\uFEFF\"Danh sách xếp hạng đề nghị khen thưởng\"\n"), "%.60q", r.body)
			mustContain(t, r.body, "\n\n\"Loại\",\"Hạng\",\"Mã hồ sơ\",", "\"Ủy ban nhân dân xã Phước Dân\",\"Có\",\"Không\",90.5,")
			mustContain(t, plainCSV(t, r.body), "Mã đợt thi đua,"+wftest.Campaign+"\n", "Thời điểm yêu cầu,hiện tại\n",
				"\nLoại,Hạng,Mã hồ sơ,", "Tập thể,1,", "Sở Tư pháp", "Tập thể,2,"+first+",R01,Ủy ban nhân dân xã Phước Dân,Có,Không,90.5,")
		}},
		{name: "csv as of a sequence, English", path: export + "?format=csv&lang=en&seq=" + strconv.FormatUint(seq, 10), status: http.StatusOK, check: func(t *testing.T, r resp) {
			assert.True(t, strings.HasPrefix(r.body, "\uFEFF\"Ranking of the nominations\"\n"))
			mustContain(t, plainCSV(t, r.body), "Moment asked for,seq="+strconv.FormatUint(seq, 10)+"\n", "\nKind,Rank,Nomination,", "Collective,1,"+first+",")
			mustNotContain(t, r.body, "Sở Tư pháp")
			assert.Contains(t, r.header.Get("Content-Disposition"), "_seq")
		}},
		{name: "xlsx", path: export + "?format=xlsx&lang=vi", status: http.StatusOK, check: func(t *testing.T, r resp) {
			assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.header.Get("Content-Type"))
			f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
			require.NoError(t, err)
			defer f.Close()
			assert.Equal(t, []string{"Thông tin", "Tập thể", "Cá nhân"}, f.GetSheetList())
			rows, err := f.GetRows("Tập thể")
			require.NoError(t, err)
			require.Len(t, rows, 3)
			assert.Equal(t, "Hạng", rows[0][0])
			score, _ := f.GetCellValue("Tập thể", "G3", excelize.Options{RawCellValue: true})
			assert.Equal(t, "90.5", score)
			typ, _ := f.GetCellType("Tập thể", "G3")
			assert.Contains(t, []excelize.CellType{excelize.CellTypeNumber, excelize.CellTypeUnset}, typ)
		}},
		{name: "unknown format", path: export + "?format=pdf", status: http.StatusBadRequest, check: func(t *testing.T, r resp) {
			mustContain(t, html.UnescapeString(r.body), "Định dạng tệp «pdf» không được hỗ trợ")
		}},
		{name: "bad sequence", path: export + "?format=csv&seq=x", status: http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := auditor.get(tc.path)
			require.Equal(t, tc.status, r.status, r.body)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}

	// Signed out, the download goes to sign-in like every page.
	r := e.client().get(export + "?format=csv")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.True(t, strings.HasPrefix(r.loc, "/signin"), r.loc)
}

// plainCSV reads a CSV export and writes its rows back joined by commas alone, unquoted,
// for assertions on what it says (the reader skips the empty line before the table).
func plainCSV(t *testing.T, body string) string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	require.NoError(t, err)
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, ","))
		b.WriteByte('\n')
	}
	return b.String()
}
