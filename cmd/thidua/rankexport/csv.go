package rankexport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"thidua/projections"
)

// BOM is the UTF-8 byte-order mark a CSV export starts with: without it Excel reads the
// file in the machine's legacy code page and garbles Vietnamese names.
const BOM = "\uFEFF"

// WriteCSV writes rk as CSV to w: the byte-order mark; the metadata, one label and value
// a line (the title; the campaign's id and name; the as-of time, in Vietnam time and RFC
// 3339 with its offset; the stream sequence; the moment asked for; when the file was
// made; the ranking keys in order), then the kinds with their quota, awards and number
// of entries; an empty line; then the table, with a header row and a row per entry,
// collectives first, the kind in the first column. Numbers are plain numbers with a
// decimal point; yes/no values and headers are in m.Lang.
func WriteCSV(ctx context.Context, w io.Writer, rk projections.RankingView, m Meta) error {
	lang := m.Lang
	if lang == "" {
		lang = Vietnamese
	}
	if _, err := io.WriteString(w, BOM); err != nil {
		return fmt.Errorf("write the CSV: %w", err)
	}
	cw := &csvWriter{w: bufio.NewWriter(w)}
	meta := [][]string{
		{label(lang, "title")},
		{label(lang, "meta.campaign"), rk.Campaign},
	}
	if m.CampaignName != "" {
		meta = append(meta, []string{label(lang, "meta.campaign_name"), m.CampaignName})
	}
	meta = append(meta,
		[]string{label(lang, "meta.as_of"), rk.AsOf.In(vietnam()).Format("2006-01-02 15:04:05")},
		[]string{label(lang, "meta.as_of_rfc3339"), rk.AsOf.In(vietnam()).Format(time.RFC3339Nano)},
		[]string{label(lang, "meta.as_of_seq"), strconv.FormatUint(rk.AsOfSeq, 10)},
	)
	if d := digestOf(rk, m); d != "" {
		meta = append(meta, []string{label(lang, "meta.digest"), d})
	}
	meta = append(meta, []string{label(lang, "meta.requested"), requestedOf(m, lang)})
	if w := IntegrityWarning(rk, lang); w != "" {
		meta = append(meta, []string{label(lang, "meta.integrity"), w})
	}
	if !m.GeneratedAt.IsZero() {
		meta = append(meta, []string{label(lang, "meta.generated"), m.GeneratedAt.In(vietnam()).Format("2006-01-02 15:04:05")})
	}
	meta = append(meta,
		[]string{label(lang, "meta.keys"), keyList(rk, lang)},
		[]string{label(lang, "meta.kind"), label(lang, "meta.quota"), label(lang, "meta.awarded"), label(lang, "meta.entries")},
	)
	for _, p := range parts(rk) {
		meta = append(meta, []string{label(lang, string(p.kind)), strconv.Itoa(p.view.Quota), strconv.Itoa(p.view.Awarded), strconv.Itoa(len(p.view.Entries))})
	}
	for _, u := range UnrankedAwards(rk, lang) {
		meta = append(meta, []string{label(lang, "meta.unranked"), u})
	}
	meta = append(meta, []string{}) // the empty line before the table
	for _, r := range meta {
		for _, v := range r {
			cw.text(v)
		}
		cw.end()
	}

	cols := columns(rk, lang)
	header := []string{label(lang, "col.kind")}
	for _, c := range cols {
		header = append(header, label(lang, c.key))
	}
	for _, h := range header {
		cw.text(h)
	}
	cw.end()
	n := 0
	for _, p := range parts(rk) {
		kind := label(lang, string(p.kind))
		for _, e := range p.view.Entries {
			if err := canceled(ctx, n); err != nil {
				return err
			}
			n++
			cw.text(kind)
			for _, c := range cols {
				v := c.value(e)
				if s, isText := v.(string); isText {
					cw.text(s)
				} else {
					cw.plain(text(v))
				}
			}
			cw.end()
		}
	}
	if err := cw.w.Flush(); err != nil {
		return fmt.Errorf("write the CSV: %w", err)
	}
	return nil
}

// csvWriter writes CSV rows as RFC 4180 does, but quotes every text field, inert, where
// encoding/csv quotes only a field holding a comma, a quote or a line break: an Excel
// whose regional settings separate lists with ";" (common with Vietnamese settings) splits
// an unquoted "An;=1+1" into two cells and runs the second as a formula, while it keeps a
// quoted field whole whatever its separator. Numbers and dates go plain. A write error
// surfaces at the flush.
type csvWriter struct {
	w     *bufio.Writer
	first bool
}

// text writes a text field, quoted and inert.
func (c *csvWriter) text(s string) {
	c.sep()
	c.w.WriteByte('"')
	c.w.WriteString(strings.ReplaceAll(inert(s), `"`, `""`))
	c.w.WriteByte('"')
}

// plain writes a number or a date as it is.
func (c *csvWriter) plain(s string) {
	c.sep()
	c.w.WriteString(s)
}

// sep writes the comma before every field of a row but the first.
func (c *csvWriter) sep() {
	if c.first {
		c.w.WriteByte(',')
	}
	c.first = true
}

// end ends the row.
func (c *csvWriter) end() {
	c.w.WriteByte('\n')
	c.first = false
}

// inert keeps a spreadsheet from reading a text cell as a formula: a nominee's name such
// as =HYPERLINK("http://…") would run when the file is opened. A text that starts with
// = + - @ or a tab or carriage return gets an apostrophe in front, which spreadsheets show
// as the text itself. (The XLSX export writes text cells as strings, which never run.)
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
