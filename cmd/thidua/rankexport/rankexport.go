// Package rankexport writes a campaign's ranking (projections.RankingView) as the files a
// council secretary and an inspector work with: CSV (UTF-8 with a byte-order mark, so that
// Excel reads Vietnamese names) and XLSX (numbers in numeric cells, a sheet per nominee
// kind and a sheet of metadata). Both state the campaign, the moment the ranking is as of
// (its time and the stream sequence of the last event taken into account), the moment
// asked for and when the file was made; both carry every ranking key the campaign orders
// by, and which one placed each entry below the one above it.
//
// The exports are pure functions of the ranking and its Meta: the CLI (thidua ranking
// --format csv|xlsx), the HTTP API (GET /api/v1/campaigns/{id}/ranking?format=csv|xlsx)
// and the web UI's download links all call them, after the ranking has been computed by
// the projections.
package rankexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// Format is an export's file format.
type Format string

// The export formats.
const (
	// CSV is comma-separated values: UTF-8 with a byte-order mark, a block of metadata
	// lines, an empty line, then the table with a header row.
	CSV Format = "csv"
	// XLSX is an Office Open XML workbook: a metadata sheet and a sheet per nominee kind.
	XLSX Format = "xlsx"
)

// ErrUnknownFormat is returned by ParseFormat for a format that is not CSV or XLSX.
var ErrUnknownFormat = errors.New("unknown export format")

// ErrUnknownLang is returned by ParseLang for a language that is not vi or en.
var ErrUnknownLang = errors.New("unknown language")

// ParseFormat reads a format name ("csv" or "xlsx", in any case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("%w: %q (csv or xlsx)", ErrUnknownFormat, s)
}

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Lang is the language of an export's headers and labels.
type Lang string

// The languages of the exports, the same as the web UI's.
const (
	// Vietnamese is the default language.
	Vietnamese Lang = "vi"
	// English is the other.
	English Lang = "en"
)

// ParseLang reads a language ("vi" or "en"; "" is Vietnamese).
func ParseLang(s string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(s))); l {
	case "":
		return Vietnamese, nil
	case Vietnamese, English:
		return l, nil
	}
	return "", fmt.Errorf("%w: %q (vi or en)", ErrUnknownLang, s)
}

// Meta is what an export states besides the ranking itself.
type Meta struct {
	// CampaignName is the campaign's name in the export's language ("" leaves it out).
	CampaignName string
	// Requested is the moment asked for (the zero Bound: now); the ranking's AsOf and
	// AsOfSeq say what it was computed at.
	Requested projections.Bound
	// AskedSeq is the sequence as asked, when it fell inside an atomic append and
	// Requested.Seq is that append's end (0: as Requested says).
	AskedSeq uint64
	// AskedAt is the time as asked (the at parameter as given: RFC 3339, or a web form's
	// YYYY-MM-DDTHH:MM in Vietnam time), stated beside Requested.Time when it was still
	// to come and the ranking is as of the moment it was asked ("" or one not ahead: as
	// Requested says).
	AskedAt string
	// GeneratedAt is when the file is made (zero leaves it out).
	GeneratedAt time.Time
	// Lang is the language of the headers and labels ("" is Vietnamese).
	Lang Lang
	// Digest is the stream's digest up to the ranking's AsOfSeq (nil, or one of another
	// sequence, leaves it out): it seals the history the file was made from.
	Digest *eventstore.Digest
}

// Seal sets m.Digest to the stream's digest up to rk's AsOfSeq, from digestAt
// (workflows.Service.DigestAt); a ranking of no event has none. An export that cannot
// state its digest is not made: the error says why.
func (m *Meta) Seal(ctx context.Context, rk projections.RankingView, digestAt func(context.Context, uint64) (eventstore.Digest, error)) error {
	m.Digest = nil
	if rk.AsOfSeq == 0 {
		return nil
	}
	d, err := digestAt(ctx, rk.AsOfSeq)
	if err != nil {
		return fmt.Errorf("the stream's digest for the export: %w", err)
	}
	m.Digest = &d
	return nil
}

// digestOf returns the hex digest m states for rk, or "".
func digestOf(rk projections.RankingView, m Meta) string {
	if m.Digest == nil || m.Digest.Seq != rk.AsOfSeq {
		return ""
	}
	return m.Digest.Hex()
}

// Write writes rk in format f to w.
func Write(ctx context.Context, w io.Writer, f Format, rk projections.RankingView, m Meta) error {
	switch f {
	case CSV:
		return WriteCSV(ctx, w, rk, m)
	case XLSX:
		return WriteXLSX(ctx, w, rk, m)
	}
	return fmt.Errorf("%w: %q", ErrUnknownFormat, string(f))
}

// FileName is the name an export of rk in format f goes by: the campaign, the as-of
// time in Vietnam time and the stream sequence, such as
// xep-hang_ninh-thuan-cchc-2025_20250915T100000+0700_seq1234.csv.
func FileName(rk projections.RankingView, f Format) string {
	return fmt.Sprintf("xep-hang_%s_%s_seq%d.%s", rk.Campaign, rk.AsOf.In(vietnam()).Format("20060102T150405Z0700"), rk.AsOfSeq, f)
}

// KeyLabel names a ranking key (a RankEntryView's DecidedBy, say) as the exports'
// headers do, in lang: "điểm PAR INDEX" for par_index_score.
func KeyLabel(key string, lang Lang) string { return label(lang, key) }

// WithheldLabel says, in lang, why an entry within the quota's reach is not recommended
// (domain.WithheldLineage, domain.WithheldPerson), as the exports' column says it.
func WithheldLabel(withheld string, lang Lang) string { return label(lang, "withheld."+withheld) }

// UnrankedAwards describes each award in force whose nomination is not ranked at the moment
// ("Tập thể: UNIT — decision", an individual's name first), so that the awarded count of
// a kind adds up in the file too.
func UnrankedAwards(rk projections.RankingView, lang Lang) []string {
	var out []string
	for _, p := range parts(rk) {
		for _, a := range p.view.AwardedUnranked {
			who := a.Unit
			if a.Name != "" {
				who = a.Name + " (" + a.Unit + ")"
			}
			out = append(out, label(lang, string(p.kind))+": "+who+" — "+a.Decision+" — "+a.Nomination)
		}
	}
	return out
}

// vietnam is the campaigns' time zone (GMT+7, no daylight saving), in which the exports
// show times.
func vietnam() *time.Location { return time.FixedZone("GMT+7", 7*3600) }

// kindPart is the ranking of one nominee kind, with the kind's name.
type kindPart struct {
	kind domain.NomineeKind
	view projections.RankingKindView
}

func parts(rk projections.RankingView) []kindPart {
	return []kindPart{{domain.NomineeCollective, rk.Collective}, {domain.NomineeIndividual, rk.Individual}}
}

// cellKind says how a column's values are shown.
type cellKind int

const (
	cellText cellKind = iota
	cellInt
	cellNumber
	cellRatio
	cellTime
)

// column is one column of the table: its header key, width, kind of cell, and its value
// for an entry: nil (empty), int, float64, string or time.Time.
type column struct {
	key   string
	width float64
	kind  cellKind
	value func(e projections.RankEntryView) any
}

// defaultKeys are the ranking keys of a ranking that does not list its own.
func defaultKeys() []string {
	return []string{domain.KeyParIndexScore, domain.KeyImprovedComponents, domain.KeyApprovalRatio, domain.KeyPriority, domain.KeySubmittedAt, domain.KeyName}
}

// columns are the table's columns in lang: the entry's place, then every ranking key of
// rk in order (the name key is the name column already), then the key that placed it.
func columns(rk projections.RankingView, lang Lang) []column {
	yesNo := func(b bool) any {
		if b {
			return label(lang, "yes")
		}
		return label(lang, "no")
	}
	cols := []column{
		{key: "col.rank", width: 7, kind: cellInt, value: func(e projections.RankEntryView) any { return e.Rank }},
		{key: "col.nomination", width: 30, value: func(e projections.RankEntryView) any { return e.Nomination }},
		{key: "col.unit", width: 14, value: func(e projections.RankEntryView) any { return e.Unit }},
		{key: "col.name", width: 42, value: func(e projections.RankEntryView) any { return e.Name }},
		{key: "col.recommended", width: 14, value: func(e projections.RankEntryView) any {
			if e.Withheld != "" {
				return label(lang, "withheld."+e.Withheld)
			}
			return yesNo(e.Recommended)
		}},
		{key: "col.awarded", width: 12, value: func(e projections.RankEntryView) any { return yesNo(e.Awarded) }},
	}
	keys := rk.Keys
	if len(keys) == 0 {
		keys = defaultKeys()
	}
	for _, k := range keys {
		if k == domain.KeyName {
			continue
		}
		c := column{key: "col." + k, width: 16, kind: cellText}
		switch k {
		case domain.KeyParIndexScore:
			c.kind = cellNumber
		case domain.KeyImprovedComponents:
			c.kind = cellInt
		case domain.KeyApprovalRatio:
			c.kind = cellRatio
		case domain.KeySubmittedAt:
			c.kind, c.width = cellTime, 21
		}
		c.value = func(e projections.RankEntryView) any {
			v := keyValue(e.Keys[k])
			if b, ok := v.(bool); ok {
				return yesNo(b)
			}
			return v
		}
		cols = append(cols, c)
	}
	cols = append(cols, column{key: "col.decided_by", width: 30, value: func(e projections.RankEntryView) any {
		if e.DecidedBy == "" {
			return nil
		}
		return label(lang, e.DecidedBy)
	}})
	return cols
}

// keyValue normalises a ranking key's value (as the domain computes it, or decoded from
// JSON) to nil, int, float64, bool, string or time.Time. A zero time (no submission) is nil.
func keyValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case float64:
		return x
	case float32:
		return float64(x)
	case int:
		return x
	case int64:
		return int(x)
	case bool:
		return x
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x
	case *time.Time:
		if x == nil || x.IsZero() {
			return nil
		}
		return *x
	}
	return fmt.Sprint(v)
}

// text is a value as a CSV field: numbers in plain decimal notation with a point, times in
// RFC 3339 in Vietnam time (with the fraction of a second, which the ordering uses).
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case time.Time:
		return x.In(vietnam()).Format(time.RFC3339Nano)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// requested describes the moment asked for.
func requested(b projections.Bound, lang Lang) string {
	if b.Live() {
		return label(lang, "meta.live")
	}
	var s []string
	if !b.Time.IsZero() {
		s = append(s, "at="+b.Time.In(vietnam()).Format(time.RFC3339Nano))
	}
	if b.Seq != 0 {
		s = append(s, "seq="+strconv.FormatUint(b.Seq, 10))
	}
	return strings.Join(s, ", ")
}

// requestedOf is requested for m, naming the sequence asked when the bound was taken to the
// end of the atomic append it fell in.
func requestedOf(m Meta, lang Lang) string {
	if asked, ok := askedAhead(m); ok {
		// A moment still to come is answered as of when it was asked: the file says both
		// (before, only the latter, as if it had been asked for).
		return fmt.Sprintf(label(lang, "meta.ahead"), asked.In(vietnam()).Format(time.RFC3339), m.Requested.Time.In(vietnam()).Format(time.RFC3339Nano))
	}
	if m.AskedSeq == 0 || m.AskedSeq == m.Requested.Seq || m.Requested.Seq == 0 {
		return requested(m.Requested, lang)
	}
	return fmt.Sprintf(label(lang, "meta.settled"), m.AskedSeq, m.Requested.Seq)
}

// askedAhead returns the time m.AskedAt names when it lies after the time the ranking was
// answered as of.
func askedAhead(m Meta) (time.Time, bool) {
	if m.AskedAt == "" || m.Requested.Time.IsZero() {
		return time.Time{}, false
	}
	s := strings.TrimSpace(m.AskedAt)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// A "+07:00" typed unescaped in a query string arrives as " 07:00", which the API
		// and the web accept (a review finding: the file then said "now" was asked).
		t, err = time.Parse(time.RFC3339, strings.Replace(s, " ", "+", 1))
	}
	if err != nil {
		// A web form's moment, in Vietnam time, with or without its seconds.
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err = time.ParseInLocation(layout, s, vietnam()); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, false
		}
	}
	return t, t.After(m.Requested.Time)
}

// keyList lists the ranking keys in order, by name.
func keyList(rk projections.RankingView, lang Lang) string {
	keys := rk.Keys
	if len(keys) == 0 {
		keys = defaultKeys()
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = label(lang, k)
	}
	return strings.Join(names, " → ")
}

// checkEvery is how many rows an export writes between looks at its context.
const checkEvery = 1024

// canceled returns the context's error, wrapped, every checkEvery rows.
func canceled(ctx context.Context, row int) error {
	if row%checkEvery != 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("export the ranking: %w", err)
	}
	return nil
}

// IntegrityWarning says, when the ranking's integrity is broken (the stream lost messages,
// or the campaign's events were altered, before the moment), what the file's reader must
// know: its problems, by sequence. It is "" when everything verifies.
func IntegrityWarning(rk projections.RankingView, lang Lang) string {
	if rk.Integrity.Status != projections.IntegrityBroken {
		return ""
	}
	var parts []string
	for _, p := range rk.Integrity.Problems {
		parts = append(parts, fmt.Sprintf("%s #%d", p.Problem, p.Seq))
	}
	if lang == English {
		return "the events this ranking rests on do not verify (" + strings.Join(parts, ", ") + "); it is not a basis for a decision until the store is restored"
	}
	return "các sự kiện làm căn cứ xếp hạng không toàn vẹn (" + strings.Join(parts, ", ") + "); không dùng làm căn cứ quyết định cho đến khi khôi phục dữ liệu"
}
