package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"thidua/eventstore/estest"
	"thidua/projections"
)

// TestRankingExports: GET /campaigns/{id}/ranking?format=csv|xlsx answers the ranking as a
// file for any role that may read the JSON ranking, as of the moment asked for, named
// after the campaign, the as-of time and the sequence; an unknown format or language is
// 400 in the error shape; format=json and no format are today's JSON, byte for byte.
func TestRankingExports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("SNV", "department")
	reviewer := e.user("reviewer", "SNV")
	council := e.user("council", "")
	auditor := e.user("auditor", "")
	noms := []string{e.eligibleCollective(reviewer, "D01"), e.eligibleCollective(reviewer, "D02")}
	e.recordFacts(reviewer, "D02", []map[string]any{{"fact": "par_index_score", "value": 91.25}})
	council.post("/api/v1/campaigns/"+campaign+"/awards", map[string]any{"nomination": noms[1], "decision": "QĐ 12/QĐ-HĐTĐKT"}).want(t, http.StatusCreated)
	before := e.lastSeq()
	e.offset.Add(int64(time.Minute))
	noms = append(noms, e.eligibleCollective(reviewer, "D03"))
	clerk := e.user("clerk", "D01")
	path := "/api/v1/campaigns/" + campaign + "/ranking"

	// The JSON the exports must agree with.
	var asOf projections.RankingView
	auditor.get(path+"?seq="+strconv.FormatUint(before, 10)).want(t, http.StatusOK).decode(t, &asOf)
	require.Len(t, asOf.Collective.Entries, 2)

	for _, tc := range []struct {
		name   string
		who    *client
		query  string
		status int
		code   string
		check  func(t *testing.T, r reply)
	}{
		{name: "csv, live, Vietnamese", who: council, query: "?format=csv", status: http.StatusOK, check: func(t *testing.T, r reply) {
			assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
			meta, table := splitCSV(t, r.body)
			rk, err := e.model.Ranking(campaign, projections.Bound{})
			require.NoError(t, err)
			live := e.model.Applied() // after the ranking: the feed may apply more between the two reads
			// The file names the moment its own metadata states, which is the live ranking's.
			require.Len(t, meta["Tính đến (RFC 3339)"], 1)
			fileAsOf, err := time.Parse(time.RFC3339Nano, meta["Tính đến (RFC 3339)"][0])
			require.NoError(t, err)
			require.Len(t, meta["Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)"], 1)
			fileSeq := meta["Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)"][0]
			assert.Equal(t, fmt.Sprintf("xep-hang_%s_%s_seq%s.csv", campaign, fileAsOf.In(time.FixedZone("", 7*3600)).Format("20060102T150405-0700"), fileSeq), filename(t, r))
			assert.Equal(t, []string{campaign}, meta["Mã đợt thi đua"])
			assert.Equal(t, strconv.FormatUint(rk.AsOfSeq, 10), fileSeq)
			assert.LessOrEqual(t, rk.AsOfSeq, live)
			assert.Equal(t, []string{"hiện tại"}, meta["Thời điểm yêu cầu"])
			assert.True(t, rk.AsOf.Equal(fileAsOf), "as of %s in the file, %s in the ranking", fileAsOf, rk.AsOf)
			assert.Equal(t, []string{"9", "1", "3"}, meta["Tập thể"], "quota, awarded, entries")
			require.Len(t, table, 4)
			assert.Equal(t, []string{"Loại", "Hạng", "Mã hồ sơ", "Mã đơn vị", "Tên tập thể / cá nhân", "Trong chỉ tiêu (đề nghị)", "Đã khen thưởng", "Điểm PAR INDEX", "Số chỉ số thành phần tăng", "Tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị", "Ưu tiên (nữ / tập thể có từ 70% nữ)", "Thời điểm trình hồ sơ hoàn chỉnh (GMT+7)", "Xếp sau hồ sơ liền trên theo"}, table[0])
			assert.Equal(t, []string{"Tập thể", "1", noms[1], "D02", "Đơn vị D02", "Có", "Có", "91.25", "1", "0.8888888888888888", "Không"}, table[1][:11])
			assert.Equal(t, []string{"Tập thể", "2", noms[0], "D01", "Đơn vị D01", "Có", "Không", "88.5"}, table[2][:8])
			assert.Equal(t, "điểm PAR INDEX", table[2][12])
			assert.Equal(t, "thời điểm trình hồ sơ hoàn chỉnh", table[3][12], "D01 and D03 differ only in when they were submitted")
			_, err = time.Parse(time.RFC3339Nano, table[3][11])
			assert.NoError(t, err, "submission time %q", table[3][11])
		}},
		{name: "csv as of a sequence, English, auditor", who: auditor, query: "?format=csv&lang=en&seq=" + strconv.FormatUint(before, 10), status: http.StatusOK, check: func(t *testing.T, r reply) {
			meta, table := splitCSV(t, r.body)
			assert.Equal(t, []string{strconv.FormatUint(asOf.AsOfSeq, 10)}, meta["Stream sequence (last event taken into account)"], "the same as the JSON's as_of_seq")
			assert.Equal(t, []string{estest.ReferenceDigests(t, e.store, asOf.AsOfSeq)[asOf.AsOfSeq]},
				meta["Stream digest (SHA-256 of the event stream up to the sequence above; check it again: thidua digest --at seq:N)"], "the stream's digest at that sequence")
			assert.Equal(t, []string{"seq=" + strconv.FormatUint(before, 10)}, meta["Moment asked for"])
			assert.Equal(t, []string{"9", "1", "2"}, meta["Collective"])
			assert.Contains(t, filename(t, r), fmt.Sprintf("_seq%d.csv", asOf.AsOfSeq))
			require.Len(t, table, 3)
			assert.Equal(t, "Kind", table[0][0])
			assert.Equal(t, []string{"Collective", "1", noms[1]}, table[1][:3])
		}},
		{name: "xlsx as of a time, clerk", who: clerk, query: "?format=xlsx&at=" + url.QueryEscape(asOf.AsOf.Format(time.RFC3339Nano)), status: http.StatusOK, check: func(t *testing.T, r reply) {
			assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.header.Get("Content-Type"))
			assert.True(t, strings.HasSuffix(filename(t, r), fmt.Sprintf("_seq%d.xlsx", asOf.AsOfSeq)), filename(t, r))
			f, err := excelize.OpenReader(bytes.NewReader(r.body))
			require.NoError(t, err)
			defer f.Close()
			assert.Equal(t, []string{"Thông tin", "Tập thể", "Cá nhân"}, f.GetSheetList())
			info, err := f.GetRows("Thông tin")
			require.NoError(t, err)
			values := map[string]string{}
			cells := map[string]string{}
			for i, row := range info {
				if len(row) > 1 {
					values[row[0]] = row[1]
					cells[row[0]] = "B" + strconv.Itoa(i+1)
				}
			}
			assert.Equal(t, campaign, values["Mã đợt thi đua"])
			assert.Equal(t, estest.ReferenceDigests(t, e.store, asOf.AsOfSeq)[asOf.AsOfSeq],
				values["Mã niêm phong dữ liệu (SHA-256 của luồng sự kiện đến số thứ tự trên; kiểm tra lại: thidua digest --at seq:N)"])
			seqCell := cells["Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)"]
			seq, _ := f.GetCellValue("Thông tin", seqCell, excelize.Options{RawCellValue: true})
			assert.Equal(t, strconv.FormatUint(asOf.AsOfSeq, 10), seq)
			typ, _ := f.GetCellType("Thông tin", seqCell)
			assert.NotContains(t, []excelize.CellType{excelize.CellTypeSharedString, excelize.CellTypeInlineString}, typ, "the sequence is a number")
			assert.Equal(t, asOf.AsOf.In(time.FixedZone("", 7*3600)).Format(time.RFC3339Nano), values["Tính đến (RFC 3339)"])
			assert.Contains(t, values["Thời điểm yêu cầu"], "at=")
			assert.NotEmpty(t, values["Thời điểm lập tệp (giờ Việt Nam GMT+7)"])

			rows, err := f.GetRows("Tập thể")
			require.NoError(t, err)
			require.Len(t, rows, 3, "D03 was not eligible yet")
			for _, cell := range []string{"A2", "G2", "H2", "I2", "A3", "G3"} {
				typ, err := f.GetCellType("Tập thể", cell)
				require.NoError(t, err)
				assert.Contains(t, []excelize.CellType{excelize.CellTypeNumber, excelize.CellTypeUnset}, typ, "Tập thể!%s is numeric", cell)
			}
			score, _ := f.GetCellValue("Tập thể", "G2", excelize.Options{RawCellValue: true})
			assert.Equal(t, "91.25", score)
			assert.Equal(t, noms[1], rows[1][1])
		}},
		{name: "json stays json", who: auditor, query: "?format=json", status: http.StatusOK, check: func(t *testing.T, r reply) {
			plain := auditor.get(path).want(t, http.StatusOK)
			assert.Equal(t, plain.body, r.body)
			assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
			assert.Empty(t, r.header.Get("Content-Disposition"))
			assert.NotEmpty(t, r.header.Get("ETag"))
			rk, err := e.model.Ranking(campaign, projections.Bound{})
			require.NoError(t, err)
			want, err := json.Marshal(rk)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(r.body), "today's JSON")
		}},
		{name: "json as of a sequence stays json", who: auditor, query: "?seq=" + strconv.FormatUint(before, 10) + "&format=JSON", status: http.StatusOK, check: func(t *testing.T, r reply) {
			var got projections.RankingView
			r.decode(t, &got)
			assert.Equal(t, asOf.AsOfSeq, got.AsOfSeq)
			assert.Len(t, got.Collective.Entries, 2)
		}},
		{name: "unknown format", who: auditor, query: "?format=pdf", status: http.StatusBadRequest, code: "invalid_format"},
		{name: "format twice", who: auditor, query: "?format=csv&format=xlsx", status: http.StatusBadRequest, code: "invalid_format"},
		{name: "language twice", who: auditor, query: "?format=csv&lang=vi&lang=en", status: http.StatusBadRequest, code: "invalid_lang"},
		{name: "unknown language", who: auditor, query: "?format=csv&lang=fr", status: http.StatusBadRequest, code: "invalid_lang"},
		{name: "bad time", who: auditor, query: "?format=xlsx&at=yesterday", status: http.StatusBadRequest, code: "invalid_time"},
		{name: "no token", who: e.anon(), query: "?format=csv", status: http.StatusUnauthorized, code: "unauthenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.who.get(path+tc.query).want(t, tc.status)
			if tc.code != "" {
				assert.Equal(t, tc.code, r.errCode(t))
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	// An unknown campaign is 404, in the error shape.
	r := auditor.get("/api/v1/campaigns/no-such-campaign/ranking?format=csv").want(t, http.StatusNotFound)
	assert.Equal(t, "not_found", r.errCode(t))
}

// splitCSV checks the byte-order mark and splits an export into its metadata (label →
// values) and its table.
func splitCSV(t *testing.T, body []byte) (map[string][]string, [][]string) {
	t.Helper()
	require.True(t, bytes.HasPrefix(body, []byte("\uFEFF")), "UTF-8 byte-order mark: %q", body[:min(len(body), 8)])
	head, rest, ok := bytes.Cut(body[3:], []byte("\n\n"))
	require.True(t, ok, "an empty line after the metadata")
	r := csv.NewReader(bytes.NewReader(head))
	r.FieldsPerRecord = -1
	lines, err := r.ReadAll()
	require.NoError(t, err)
	meta := map[string][]string{}
	for _, l := range lines {
		meta[l[0]] = l[1:]
	}
	table, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	require.NoError(t, err)
	return meta, table
}

// filename returns the answer's attachment file name.
func filename(t *testing.T, r reply) string {
	t.Helper()
	disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	require.NoError(t, err, "Content-Disposition %q", r.header.Get("Content-Disposition"))
	assert.Equal(t, "attachment", disp)
	return params["filename"]
}
