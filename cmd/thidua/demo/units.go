package demo

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"

	"thidua/domain"
)

// unitsCSV is a copy of shared/data/ninh-thuan-units-2025.csv: the units of Ninh Thuận as
// they stood in early 2025 (id, kind, name_vi, parent, note).
//
//go:embed ninh-thuan-units-2025.csv
var unitsCSV []byte

// unitRow is one unit of the demo province.
type unitRow struct {
	ID, Name, Parent string
	Kind             domain.UnitKind
}

// csvUnits parses the embedded CSV, in file order (parents come before their communes).
func csvUnits() ([]unitRow, error) {
	r := csv.NewReader(bytes.NewReader(unitsCSV))
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("demo units: %w", err)
	}
	if len(recs) < 2 || strings.Join(recs[0], ",") != "id,kind,name_vi,parent,note" {
		return nil, fmt.Errorf("demo units: unexpected header %q", recs[0])
	}
	out := make([]unitRow, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		u := unitRow{ID: strings.TrimSpace(rec[0]), Kind: domain.UnitKind(strings.TrimSpace(rec[1])), Name: strings.TrimSpace(rec[2]), Parent: strings.TrimSpace(rec[3])}
		if u.ID == "" || u.Name == "" || !u.Kind.Valid() {
			return nil, fmt.Errorf("demo units: line %d: invalid unit %q", i+2, rec)
		}
		out = append(out, u)
	}
	return out, nil
}

// merger is one merger of the 2025-07-01 reorganisation.
type merger struct {
	// Sources merge into Successor.
	Sources []string
	// Successor is the unit that takes over; New is true when the merger creates it.
	Successor unitRow
	New       bool
}

// Effective is the date of the reorganisation: the district level ends and the merged
// communes start (Law on the Organisation of Local Government 2025).
const Effective = "2025-07-01"

// Decision is the legal basis quoted by the demo's mergers.
const Decision = "Nghị quyết số 202/2025/QH15 của Quốc hội và Nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp các đơn vị hành chính cấp xã năm 2025: " +
	"kết thúc hoạt động của đơn vị hành chính cấp huyện từ ngày 01/7/2025; nhiệm vụ, hồ sơ thi đua, khen thưởng được bàn giao cho đơn vị hành chính cấp xã kế thừa (Kế hoạch, mục V)"

// mergers returns the demo's reorganisation of 2025-07-01: each of the city and the six
// districts hands its tasks to the commune-level unit at its seat, which also absorbs the
// sample communes that merged into it. Successors are commune-level People's Committees
// (kind commune), which the campaign admits (plan II.1.d), so transferred nominations stay
// valid. Names follow the 2025 arrangement of the communes of former Ninh Thuận (now in
// Khánh Hòa); as the CSV's, they are good for a demo, not an official register.
func mergers() []merger {
	return []merger{
		{Sources: []string{"PRTC", "P-DAOLONG"}, Successor: unitRow{ID: "P-PHANRANG", Name: "Phường Phan Rang", Kind: domain.UnitCommune}, New: true},
		{Sources: []string{"NH", "TT-KHANHHAI"}, Successor: unitRow{ID: "P-NINHCHU", Name: "Phường Ninh Chử", Kind: domain.UnitCommune}, New: true},
		{Sources: []string{"NP", "TT-PHUOCDAN"}, Successor: unitRow{ID: "X-NINHPHUOC", Name: "Xã Ninh Phước", Kind: domain.UnitCommune}, New: true},
		{Sources: []string{"NS", "TT-TANSON"}, Successor: unitRow{ID: "X-NINHSON", Name: "Xã Ninh Sơn", Kind: domain.UnitCommune}, New: true},
		{Sources: []string{"BA"}, Successor: unitRow{ID: "X-PHUOCBINH", Name: "Xã Phước Bình", Kind: domain.UnitCommune}},
		{Sources: []string{"TB", "X-LOIHAI"}, Successor: unitRow{ID: "X-THUANBAC", Name: "Xã Thuận Bắc", Kind: domain.UnitCommune}, New: true},
		{Sources: []string{"TN", "X-PHUOCNAM"}, Successor: unitRow{ID: "X-THUANNAM", Name: "Xã Thuận Nam", Kind: domain.UnitCommune}, New: true},
	}
}

// successorUnits returns the units the reorganisation creates, in merger order.
func successorUnits() []unitRow {
	var out []unitRow
	for _, m := range mergers() {
		if m.New {
			out = append(out, m.Successor)
		}
	}
	return out
}
