package workflows

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
)

// MaxImportedUnits is the most units one import registers: each takes a message for the
// unit, one for its id's claim and, with a parent, one on the parent, all in one atomic
// append (eventstore.MaxAtomicMessages).
const MaxImportedUnits = 300

// UnitRow is a unit of a list to import, with the line of the list it was read from.
type UnitRow struct {
	RegisterUnitInput
	// Line is the row's line in the list (1 is the header), for the messages.
	Line int
}

// ParseUnitList reads a list of units in CSV, as the demo's and the province's own
// register are kept: a header naming the columns id, kind, name_vi (or name) and,
// optionally, parent and note (ignored), then a row per unit. It is UTF-8 (a byte-order
// mark, as spreadsheets write, is skipped), separated by commas or semicolons (what a
// spreadsheet whose decimal mark is a comma writes). A list that is not that is refused
// naming its line, and so is an empty one or one of more than MaxImportedUnits units.
func ParseUnitList(data []byte) ([]UnitRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, listErr(0, "the list is not UTF-8 text: save it as CSV UTF-8", "Danh sách không phải văn bản UTF-8: hãy lưu dưới dạng CSV UTF-8")
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return nil, csvErr(pe)
	case err != nil:
		return nil, listErr(1, "no header line (id, kind, name_vi, parent)", "Thiếu dòng tiêu đề (id, kind, name_vi, parent)")
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch name {
		case "":
			continue // a trailing separator a spreadsheet wrote: values under it are refused below
		case "id", "kind", "name_vi", "name", "parent", "note":
		default:
			// A column under another name would be dropped, and with it, say, every
			// commune's district, which no command changes later (a review finding).
			return nil, listErr(1, fmt.Sprintf("unknown column %q: the columns are id, kind, name_vi (or name), parent and note", h),
				fmt.Sprintf("Cột %q không hợp lệ: các cột là id, kind, name_vi (hoặc name), parent và note", h))
		}
		if _, twice := col[name]; twice {
			return nil, listErr(1, fmt.Sprintf("column %q given twice", h), fmt.Sprintf("Cột %q có hai lần", h))
		}
		col[name] = i
	}
	if _, ok := col["name_vi"]; !ok {
		if i, ok := col["name"]; ok {
			col["name_vi"] = i
		}
	}
	for _, need := range []string{"id", "kind", "name_vi"} {
		if _, ok := col[need]; !ok {
			return nil, listErr(1, fmt.Sprintf("the header has no column %q (it needs id, kind, name_vi, and may have parent)", need),
				fmt.Sprintf("Dòng tiêu đề thiếu cột %q (cần id, kind, name_vi; có thể có parent)", need))
		}
	}
	cell := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []UnitRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.As(err, &pe) {
			return nil, csvErr(pe) // before FieldPos, which a row cut in its first field has none of (a review finding: a panic)
		}
		if err != nil {
			return nil, listErr(0, fmt.Sprintf("reading the list: %v", err), fmt.Sprintf("Không đọc được danh sách: %v", err))
		}
		line, _ := r.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		if extra := unnamed(header, rec); extra != "" {
			return nil, listErr(line, fmt.Sprintf("a value (%q) under no column of the header", extra),
				fmt.Sprintf("Có giá trị (%q) không thuộc cột nào của dòng tiêu đề", extra))
		}
		if len(rows) == MaxImportedUnits {
			return nil, listErr(line, fmt.Sprintf("more than %d units: import the list in parts", MaxImportedUnits),
				fmt.Sprintf("Quá %d đơn vị: hãy nhập danh sách thành nhiều lần", MaxImportedUnits))
		}
		// A parent of spaces alone is kept as it is, for the registration to refuse as no
		// id, as a unit registered alone is refused (a review finding: taken here for no
		// parent, refused by POST /units).
		parent := cell(rec, "parent")
		if i, ok := col["parent"]; ok && parent == "" && i < len(rec) {
			parent = rec[i]
		}
		rows = append(rows, UnitRow{Line: line, RegisterUnitInput: RegisterUnitInput{
			ID: cell(rec, "id"), Name: cell(rec, "name_vi"), Kind: domain.UnitKind(cell(rec, "kind")), Parent: parent}})
	}
	if len(rows) == 0 {
		return nil, listErr(0, "the list has no unit", "Danh sách không có đơn vị nào")
	}
	return rows, nil
}

// unnamed returns the first value of rec that stands under no named column of header
// (past its end, or under an empty name), or "".
func unnamed(header, rec []string) string {
	for i, v := range rec {
		if strings.TrimSpace(v) != "" && (i >= len(header) || strings.TrimSpace(header[i]) == "") {
			return v
		}
	}
	return ""
}

// csvErr is the refusal of a list that is not CSV, naming the line and column, in both
// languages.
func csvErr(pe *csv.ParseError) error {
	vi := "dòng không đúng định dạng CSV"
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		vi = fmt.Sprintf("dấu ngoặc kép (\") đặt sai ở cột %d: một giá trị có dấu ngoặc kép phải được đặt cả trong ngoặc kép, và dấu ngoặc kép bên trong viết hai lần", pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		// Where the reader stopped, not where the quote opened: the line the row starts
		// on is named, not a column (a review finding: the column pointed past it).
		vi = "một dấu ngoặc kép (\") mở trong dòng này không được đóng"
		return listErr(pe.StartLine, "not CSV: a quote opened on this line is not closed", strings.ToUpper(vi[:1])+vi[1:])
	}
	line := pe.StartLine
	if line == 0 {
		line = pe.Line
	}
	return listErr(line, fmt.Sprintf("not CSV: %v", pe.Err)+fmt.Sprintf(" (column %d)", pe.Column), strings.ToUpper(vi[:1])+vi[1:])
}

// listErr is a refusal of a list of units, naming its line (0: the list as a whole).
func listErr(line int, en, vi string) error {
	if line > 0 {
		en, vi = fmt.Sprintf("line %d: %s", line, en), fmt.Sprintf("Dòng %d: %s", line, vi)
	}
	return &domain.RuleError{Code: "invalid_unit_list", Field: "file", Message: en, MessageVI: vi}
}

// atLine turns a refusal of a row of a list of units into one naming the row's line, in
// both languages, on the form's file, with the refusal's code (a review finding: an id or a
// parent refused told neither the line in Vietnamese nor, on the web, at all).
func atLine(row UnitRow, err error) error {
	out := &domain.RuleError{Code: "invalid_unit_list", Message: err.Error()}
	var re *domain.RuleError
	var we *Error
	var ie *domain.IDError
	switch {
	case errors.As(err, &re):
		c := *re
		out = &c
	case errors.As(err, &we) && we.Code == "not_found":
		out = &domain.RuleError{Code: we.Code, Unknown: true, Message: we.Message,
			MessageVI: fmt.Sprintf("Không tìm thấy đơn vị chủ quản %q (mã của một đơn vị đã đăng ký, hoặc của một dòng trong danh sách)", we.ID)}
		if we.Like != "" {
			out.MessageVI += fmt.Sprintf(": mã phân biệt chữ hoa, chữ thường; mã đã có là %q", we.Like)
		}
	case errors.As(err, &we):
		out = &domain.RuleError{Code: we.Code, Malformed: true, Message: we.Message, MessageVI: we.MessageVI}
	case errors.As(err, &ie):
		// The rule of new ids (domain.RegisterUnit), said in both languages (a review
		// finding: the Vietnamese ended in the English detail).
		out = &domain.RuleError{Code: "invalid_id", Malformed: true, Message: err.Error(), MessageVI: ie.MessageVI()}
	}
	if out.MessageVI == "" {
		out.MessageVI = out.Message
	}
	out.Field = "file"
	out.Message = fmt.Sprintf("line %d (%s): %s", row.Line, row.ID, out.Message)
	out.MessageVI = fmt.Sprintf("Dòng %d (%s): %s", row.Line, row.ID, out.MessageVI)
	return out
}

// cycleErr names a cycle of parents among the rows left waiting: followed from the first,
// the chain of parents comes back to a row (a review finding: the row named was not
// always on the cycle).
func cycleErr(waiting []UnitRow, rows map[string]UnitRow) error {
	at := map[string]int{}
	var chain []UnitRow
	for row := waiting[0]; ; row = rows[strings.ToLower(row.Parent)] {
		key := strings.ToLower(row.ID)
		if i, again := at[key]; again {
			chain = chain[i:]
			break
		}
		at[key] = len(chain)
		chain = append(chain, row)
	}
	ids := make([]string, 0, len(chain)+1)
	for _, r := range chain {
		ids = append(ids, r.ID)
	}
	ids = append(ids, chain[0].ID)
	path := strings.Join(ids, " → ")
	return listErr(chain[0].Line, "the parents form a cycle: "+path, "Quan hệ đơn vị chủ quản lặp vòng: "+path)
}

// ImportUnits registers a list of units (admin), all of them or none, in one atomic
// append: a province's register of a hundred units or more is not typed in one by one. A
// row's parent is a unit registered already or one of the list (registered before it,
// whatever their order in the list). Each row is checked as RegisterUnit checks it, and
// the first refusal names its line; an id given twice in the list, even in another letter
// case, is refused.
func (s *Service) ImportUnits(ctx context.Context, p Principal, rows []UnitRow, o Options) (Result, error) {
	if err := require(p, domain.RoleAdmin); err != nil {
		return Result{}, err
	}
	if len(rows) == 0 || len(rows) > MaxImportedUnits {
		return Result{}, listErr(0, fmt.Sprintf("a list of 1 to %d units is required", MaxImportedUnits), fmt.Sprintf("Cần danh sách từ 1 đến %d đơn vị", MaxImportedUnits))
	}
	seen := map[string]UnitRow{}
	for _, row := range rows {
		if err := validUnitID(row.ID); err != nil {
			return Result{}, atLine(row, err)
		}
		key := strings.ToLower(row.ID)
		if first, dup := seen[key]; dup {
			return Result{}, listErr(row.Line, fmt.Sprintf("unit %s is in the list already, at line %d", row.ID, first.Line),
				fmt.Sprintf("Đơn vị %s đã có trong danh sách ở dòng %d", row.ID, first.Line))
		}
		seen[key] = row
	}
	return s.run(ctx, p, o, func(st *projections.State) (plan, error) {
		pl := plan{}
		placed := map[string]bool{}
		var order []UnitRow
		// Parents first: a row waits for its parent in the list.
		for pending := rows; len(pending) > 0; {
			var later []UnitRow
			for _, row := range pending {
				// A row that names itself its parent is no cycle of the list: the
				// registration refuses it (invalid_parent), as a unit registered alone.
				if _, inList := seen[strings.ToLower(row.Parent)]; row.Parent != "" && inList && !placed[strings.ToLower(row.Parent)] && !strings.EqualFold(row.Parent, row.ID) {
					later = append(later, row)
					continue
				}
				placed[strings.ToLower(row.ID)] = true
				order = append(order, row)
			}
			if len(later) == len(pending) {
				return plan{}, cycleErr(later, seen)
			}
			pending = later
		}
		for _, row := range order {
			listedParent := ""
			if first, listed := seen[strings.ToLower(row.Parent)]; row.Parent != "" && listed {
				listedParent = first.ID
			}
			in := RegisterUnitInput{ID: row.ID, Name: row.Name, Kind: row.Kind, Parent: row.Parent}
			if err := planUnit(st, &pl, in, listedParent); err != nil {
				return plan{}, atLine(row, err)
			}
		}
		if n := len(pl.parts); n > eventstore.MaxAtomicMessages {
			return plan{}, listErr(0, fmt.Sprintf("the list takes %d messages, more than the %d of one atomic append: import it in parts", n, eventstore.MaxAtomicMessages),
				fmt.Sprintf("Danh sách cần %d bản ghi, quá %d bản ghi của một lần ghi: hãy nhập thành nhiều lần", n, eventstore.MaxAtomicMessages))
		}
		pl.id = order[0].ID
		return pl, nil
	})
}
