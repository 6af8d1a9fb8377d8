package domain

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fact names (FactRecordedData.Fact).
const (
	// FactParRating is the unit's CCHC assessment rating: Tốt, Khá, Trung bình or Yếu.
	FactParRating = "par_rating"
	// FactParIndexScore is the unit's PAR INDEX score, 0–100 (a ranking key).
	FactParIndexScore = "par_index_score"
	// FactDisbursementPct is the share of public investment disbursed, 0–1000 percent.
	FactDisbursementPct = "disbursement_pct"
	// FactLateDossiers is the number of late administrative-procedure dossiers.
	FactLateDossiers = "late_dossiers"
	// FactBacklogDossiers is the number of backlogged administrative-procedure dossiers.
	FactBacklogDossiers = "backlog_dossiers"
	// FactLateDirectives is the number of directive documents not completed on time.
	FactLateDirectives = "late_directives"
	// FactIndexComponent is one component score of PAR_INDEX, PCI, PAPI or SIPAS.
	FactIndexComponent = "index_component"
	// FactStaffHoursViolationPct is the share of staff not keeping working hours, 0–100.
	FactStaffHoursViolationPct = "staff_hours_violation_pct"
	// FactSubordinateViolationPct is the share of subordinate units violating discipline, 0–100.
	FactSubordinateViolationPct = "subordinate_violation_pct"
	// FactOnlineServicePct is the achievement of online public-service targets, 0–100 percent.
	FactOnlineServicePct = "online_service_pct"
	// FactWomenPct is the share of women among the unit's staff, 0–100 (ranking priority).
	FactWomenPct = "women_pct"
)

// Fact causes (FactRecordedData.Cause) and statuses (FactRecordedData.Status).
const (
	// CauseSubjective is a shortfall for a subjective cause (lý do chủ quan).
	CauseSubjective = "subjective"
	// CauseObjective is a shortfall for an objective cause (lý do khách quan).
	CauseObjective = "objective"
	// StatusNotPublished marks an index component whose result is not yet published.
	StatusNotPublished = "not_published"
	// StatusNotAssigned marks what the unit was not assigned, as the plan's criteria
	// speak of what was assigned ("vốn đầu tư công được giao", "chỉ số thành phần ... đã
	// được giao"): no public investment capital (disbursement_pct), no online
	// public-service targets (online_service_pct), no index component (index_component,
	// without index and component). It has no value and states its grounds in the note;
	// a criterion judged by it is not applicable.
	StatusNotAssigned = "not_assigned"
)

type factType int

const (
	factText factType = iota
	factNumber
	factInteger
	factIndex
)

type factSpec struct {
	typ      factType
	min, max float64
	values   []string
	// assignable facts may be recorded as StatusNotAssigned.
	assignable bool
}

func (s factSpec) allows(text string) bool {
	for _, v := range s.values {
		if v == text {
			return true
		}
	}
	return false
}

// factCatalogue returns the known facts and how they are validated.
func factCatalogue() map[string]factSpec {
	names := [...]string{FactParRating, FactParIndexScore, FactDisbursementPct, FactLateDossiers, FactBacklogDossiers,
		FactLateDirectives, FactIndexComponent, FactStaffHoursViolationPct, FactSubordinateViolationPct, FactOnlineServicePct, FactWomenPct}
	cat := make(map[string]factSpec, len(names))
	for _, name := range names {
		cat[name], _ = factSpecOf(name)
	}
	return cat
}

// factSpecOf returns a known fact's specification without building the catalogue (it runs
// for every fact a rebuild reads, domain.CheckPayload).
func factSpecOf(name string) (factSpec, bool) {
	pct := factSpec{typ: factNumber, min: 0, max: 100}
	count := factSpec{typ: factInteger, min: 0, max: math.MaxInt32}
	switch name {
	case FactParRating:
		return factSpec{typ: factText, values: []string{"Tốt", "Khá", "Trung bình", "Yếu"}}, true
	case FactParIndexScore, FactStaffHoursViolationPct, FactSubordinateViolationPct, FactWomenPct:
		return pct, true
	case FactDisbursementPct:
		return factSpec{typ: factNumber, min: 0, max: 1000, assignable: true}, true
	case FactLateDossiers, FactBacklogDossiers, FactLateDirectives:
		return count, true
	case FactIndexComponent:
		return factSpec{typ: factIndex, values: []string{"PAR_INDEX", "PCI", "PAPI", "SIPAS"}, assignable: true}, true
	case FactOnlineServicePct:
		return factSpec{typ: factNumber, min: 0, max: 100, assignable: true}, true
	}
	return factSpec{}, false
}

// causeMatters reports whether def reads the cause of fact at value v: a number rule over
// the fact that excuses causes and that v falls short of, or an exclusion over the fact by
// cause whose comparison v meets.
func causeMatters(def Definition, fact string, v *float64) bool {
	if v == nil {
		return false
	}
	for _, c := range def.Criteria {
		r := c.Rule
		if r.Kind == RuleFactNumber && r.Fact == fact && len(r.ExcusedCauses) > 0 && r.Number != nil && !compare(*v, r.Op, *r.Number) {
			return true
		}
		for _, e := range r.Exclusions {
			if e.Fact == fact && e.Cause != "" && compare(*v, e.Op, e.Number) {
				return true
			}
		}
	}
	return false
}

// WholeFact reports whether the fact of that name is a count, whose value is a whole number.
func WholeFact(name string) bool {
	spec, ok := factSpecOf(name)
	return ok && spec.typ == factInteger
}

// FactNames returns the names of every known fact, sorted.
func FactNames() []string {
	cat := factCatalogue()
	out := make([]string, 0, len(cat))
	for k := range cat {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func invalidFact(field, en, vi string) *RuleError {
	return fieldErr(field, "invalid_fact", field+": "+en, factFieldVI(field)+": "+vi)
}

// malformedFact is invalidFact for a value outside its field's enumeration (a fact's
// name, a rating, an index, a status, a cause): malformed input, as a role or a result
// outside theirs is (RuleError.Malformed).
func malformedFact(field, en, vi string) *RuleError {
	e := invalidFact(field, en, vi)
	e.Malformed = true
	return e
}

// factFieldVI names a fact's field as the form labels it, for the Vietnamese message.
func factFieldVI(field string) string {
	switch field {
	case "value":
		return "Giá trị"
	case "cause":
		return "Nguyên nhân"
	case "component":
		return "Chỉ số thành phần"
	case "index":
		return "Bộ chỉ số"
	case "previous":
		return "Giá trị năm trước"
	case "status":
		return "Tình trạng"
	case "note":
		return "Ghi chú"
	case "document":
		return "Tài liệu minh chứng"
	case "fact":
		return "Loại số liệu"
	case "campaign":
		return "Đợt thi đua"
	}
	return field
}

func finite(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }

// plain formats a number as people write it: 2147483647, 0.5, 100 (not 2.147483647e+09);
// in exponent form only beyond 15 digits.
func plain(v float64) string {
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// MaxIndexScore bounds an index component's score and previous score: the provincial
// indices score components out of 100 at most (PAR INDEX, SIPAS in per cent) or 10 (PCI,
// PAPI); a thousand leaves room for any scale, and keeps out a value such as -1e308
// that would count as an improvement of anything.
const MaxIndexScore = 1000

// ComponentKey is how two index component names are compared: in NFC, case and spacing
// aside ("Cải cách TTHC", "cải cách  tthc").
func ComponentKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(name)), " "))
}

// CanonicalComponent returns the name under which a component is recorded: name itself
// when recorded lists it (the names already recorded under the index, oldest first, for
// the unit and the units whose history it carries), else the first recorded name that
// reads as the same (ComponentKey), else name. A component written in another case or
// spacing supersedes the one recorded, instead of counting twice among the improved ones
// (C12, the ranking's second key). So does one written without any diacritic that matches
// a recorded name with its diacritics taken away, or the reverse, as SamePerson reads
// names ("Chi phi khong chinh thuc", typed without a Vietnamese keyboard: a review
// finding counted it as a second component).
func CanonicalComponent(name string, recorded []string) string {
	if slices.Contains(recorded, name) {
		return name
	}
	k := ComponentKey(name)
	for _, r := range recorded {
		if ComponentKey(r) == k {
			return r
		}
	}
	for _, r := range recorded {
		rk := ComponentKey(r)
		if (withoutDiacritics(k) || withoutDiacritics(rk)) && strings.EqualFold(Unaccented(rk), Unaccented(k)) {
			return r
		}
	}
	return name
}

// checkNewFact refuses, as a fact is recorded, a cause on anything but a disbursement
// below 100%, and an index component whose name holds an invisible character or whose
// score or previous score is outside 0–MaxIndexScore.
// These rules came after facts were first recorded: they judge new facts only, not the
// history an audit reads (CheckPayload, ValidateFact).
func checkNewFact(def Definition, d FactRecordedData) error {
	// A disbursement below 100% states its cause whatever the rules read (ValidateFact
	// asks for one): refusing it there too left no way to record such a figure under a
	// revision that reads none (a review finding on the first fix).
	shortfall := d.Fact == FactDisbursementPct && d.Number != nil && *d.Number < 100
	if d.Cause != "" && !shortfall && !causeMatters(def, d.Fact, d.Number) {
		// A cause explains a shortfall the campaign's rules excuse or exclude by its cause
		// (C08: a disbursement below 100%) and nothing else: elsewhere it meant nothing,
		// yet made two merged units' equal figures a conflict (a review finding: 100 and
		// "100, objective" left C08 pending).
		return invalidFact("cause", "a cause is recorded only with a figure that falls short of a criterion whose rule reads its cause (here: a public investment disbursement below 100%)",
			"chỉ ghi nguyên nhân khi số liệu chưa đạt một tiêu chí có xét nguyên nhân (ở đây: tỷ lệ giải ngân vốn đầu tư công dưới 100%)")
	}
	if d.Fact != FactIndexComponent {
		return nil
	}
	if en, vi := invisibleIn("component name", "Tên chỉ số thành phần", d.Component); en != "" {
		return invalidFact("component", en, vi)
	}
	for _, v := range []*float64{d.Number, d.Previous} {
		if v != nil && (*v < 0 || *v > MaxIndexScore) {
			return invalidFact("value", fmt.Sprintf("an index component's score is from 0 to %s, not %s", plain(MaxIndexScore), plain(*v)),
				fmt.Sprintf("điểm chỉ số thành phần phải trong khoảng 0–%s, không phải %s", plain(MaxIndexScore), plain(*v)))
		}
	}
	return nil
}

// ValidateFact checks a fact before it is recorded and returns a *RuleError with code
// invalid_fact whose message names the offending field.
func ValidateFact(d FactRecordedData) error {
	if err := ValidateID(d.Campaign); err != nil {
		return invalidFact("campaign", err.Error(), "mã đợt thi đua không hợp lệ")
	}
	spec, ok := factSpecOf(d.Fact)
	if !ok {
		return malformedFact("fact", fmt.Sprintf("unknown fact %q (known: %s)", d.Fact, strings.Join(FactNames(), ", ")),
			fmt.Sprintf("không có loại số liệu %q", d.Fact))
	}
	if d.Status == StatusNotAssigned {
		return validateNotAssigned(d, spec)
	}
	if spec.typ != factIndex {
		switch {
		case d.Index != "":
			return invalidFact("index", "only index_component facts have an index", "chỉ số liệu index_component có bộ chỉ số")
		case d.Component != "":
			return invalidFact("component", "only index_component facts have a component", "chỉ số liệu index_component có chỉ số thành phần")
		case d.Previous != nil:
			return invalidFact("previous", "only index_component facts have a previous value", "chỉ số liệu index_component có điểm năm trước")
		case d.Status != "":
			return invalidFact("status", "only index_component facts have a status", "chỉ số liệu index_component có trạng thái")
		}
	}
	switch spec.typ {
	case factText:
		if d.Number != nil {
			return invalidFact("value", fmt.Sprintf("fact %s takes one of %s, not a number", d.Fact, strings.Join(spec.values, ", ")),
				fmt.Sprintf("số liệu %s nhận một trong các giá trị %s, không phải số", factVI(d.Fact), strings.Join(spec.values, ", ")))
		}
		if !spec.allows(d.Text) {
			return malformedFact("value", fmt.Sprintf("%q is not one of %s", d.Text, strings.Join(spec.values, ", ")),
				fmt.Sprintf("%q không thuộc %s", d.Text, strings.Join(spec.values, ", ")))
		}
	case factNumber, factInteger:
		if d.Text != "" {
			return invalidFact("value", fmt.Sprintf("fact %s takes a number, not a text", d.Fact), fmt.Sprintf("số liệu %s phải là số", factVI(d.Fact)))
		}
		if !finite(d.Number) {
			return invalidFact("value", fmt.Sprintf("fact %s needs a number", d.Fact), fmt.Sprintf("số liệu %s cần một giá trị số", factVI(d.Fact)))
		}
		v := *d.Number
		switch {
		case spec.typ == factInteger && (v < spec.min || v != math.Trunc(v)):
			return invalidFact("value", fmt.Sprintf("fact %s takes a whole number ≥ %s, not %s", d.Fact, plain(spec.min), plain(v)),
				fmt.Sprintf("số liệu %s phải là số nguyên ≥ %s, không phải %s", factVI(d.Fact), plain(spec.min), plain(v)))
		case spec.typ == factInteger && v > spec.max:
			return invalidFact("value", fmt.Sprintf("%s is too large for fact %s (at most %s)", plain(v), d.Fact, plain(spec.max)),
				fmt.Sprintf("%s quá lớn đối với số liệu %s (tối đa %s)", plain(v), factVI(d.Fact), plain(spec.max)))
		case v < spec.min || v > spec.max:
			return invalidFact("value", fmt.Sprintf("fact %s takes a number from %s to %s, not %s", d.Fact, plain(spec.min), plain(spec.max), plain(v)),
				fmt.Sprintf("số liệu %s phải trong khoảng %s–%s, không phải %s", factVI(d.Fact), plain(spec.min), plain(spec.max), plain(v)))
		}
	case factIndex:
		if d.Text != "" {
			return invalidFact("value", "an index component takes numbers, not a text", "chỉ số thành phần không nhận giá trị văn bản")
		}
		if !spec.allows(d.Index) {
			return malformedFact("index", fmt.Sprintf("%q is not one of %s", d.Index, strings.Join(spec.values, ", ")),
				fmt.Sprintf("%q không thuộc %s", d.Index, strings.Join(spec.values, ", ")))
		}
		if strings.TrimSpace(d.Component) == "" || len(d.Component) > 300 {
			return invalidFact("component", "a component name of 1 to 300 bytes is required", "cần tên chỉ số thành phần")
		}

		switch d.Status {
		case StatusNotPublished:
			if d.Number != nil || d.Previous != nil {
				return invalidFact("status", "a component not yet published has no value or previous value", "chỉ số chưa công bố thì không có điểm")
			}
		case "":
			if !finite(d.Number) {
				return invalidFact("value", "a published component needs this year's number", "cần điểm năm nay của chỉ số thành phần")
			}
			if !finite(d.Previous) {
				return invalidFact("previous", "a published component needs last year's number", "cần điểm năm trước của chỉ số thành phần")
			}
		default:
			return malformedFact("status", fmt.Sprintf("%q is not \"\" or %q", d.Status, StatusNotPublished), fmt.Sprintf("trạng thái %q không hợp lệ", d.Status))
		}
	}
	switch d.Cause {
	case "", CauseSubjective, CauseObjective:
	default:
		return malformedFact("cause", fmt.Sprintf("%q is not subjective or objective", d.Cause), fmt.Sprintf("nguyên nhân %q không hợp lệ (subjective, objective)", d.Cause))
	}
	if d.Fact == FactDisbursementPct && *d.Number < 100 && d.Cause == "" {
		return invalidFact("cause", "a disbursement below 100% needs its cause: subjective or objective",
			"giải ngân chưa đạt 100% phải nêu nguyên nhân: chủ quan hay khách quan")
	}
	if utf8.RuneCountInString(d.Note) > MaxReasonLength {
		return invalidFact("note", "at most 2,000 characters", "ghi chú tối đa 2.000 ký tự")
	}
	if d.Document != nil && d.Document.SHA256 == "" {
		return invalidFact("document", "a cited document needs its sha256", "tài liệu dẫn chứng thiếu mã SHA-256")
	}
	return nil
}

// validateNotAssigned checks a fact recorded as StatusNotAssigned.
func validateNotAssigned(d FactRecordedData, spec factSpec) error {
	switch {
	case !spec.assignable:
		return invalidFact("status", fmt.Sprintf("fact %s is not assigned to units: only %s, %s and %s may be not assigned", d.Fact, FactDisbursementPct, FactOnlineServicePct, FactIndexComponent),
			fmt.Sprintf("%s không thể ghi là không được giao; chỉ ghi được như vậy cho %s, %s và %s", factVI(d.Fact), factVI(FactDisbursementPct), factVI(FactOnlineServicePct), factVI(FactIndexComponent)))
	case d.Number != nil || d.Previous != nil || d.Text != "" || d.Cause != "":
		return invalidFact("status", "what was not assigned has no value, previous value or cause", "nội dung không được giao thì không có giá trị, giá trị năm trước hay nguyên nhân")
	case d.Index != "" || d.Component != "":
		return invalidFact("status", "not assigned any index component: give neither index nor component (a component not yet published is not_published)",
			"không được giao chỉ số thành phần nào: không nêu bộ chỉ số hay chỉ số thành phần (chỉ số chưa công bố dùng not_published)")
	case trimText(d.Note) == "":
		return invalidFact("note", "state the grounds for not assigned, e.g. the assigning decision", "nêu căn cứ không được giao, ví dụ quyết định giao vốn, giao chỉ tiêu")
	case utf8.RuneCountInString(d.Note) > MaxReasonLength:
		return invalidFact("note", "at most 2,000 characters", "ghi chú tối đa 2.000 ký tự")
	case d.Document != nil && d.Document.SHA256 == "":
		return invalidFact("document", "a cited document needs its sha256", "tài liệu dẫn chứng thiếu mã SHA-256")
	}
	return nil
}

// FactEntry is one recorded fact with the event that recorded it.
type FactEntry struct {
	Data    FactRecordedData
	EventID string
	At      time.Time
	Seq     uint64
}

type factKey struct {
	campaign, fact, index, component string
}

// less orders keys by campaign, fact, index and component.
func (k factKey) less(o factKey) bool {
	return cmp.Or(strings.Compare(k.campaign, o.campaign), strings.Compare(k.fact, o.fact),
		strings.Compare(k.index, o.index), strings.Compare(k.component, o.component)) < 0
}

// FactSet holds the latest fact per (campaign, fact, index, component) of a unit (and of
// the units whose history it inherits), as of a moment. Build it with NewFactSet.
//
// It holds each fact's recorded event by reference: a read model evaluates every unit's
// facts for every ranking, and a copy of each fact per evaluation was most of a ranking's
// garbage. FactEntry values are made when asked for. The events are kept in a list, one
// per key, found by a scan: a unit has tens of distinct facts in a campaign, and a map
// per unit per ranking cost a ranking more (its table, cleared; four strings hashed per
// key) than the scans do.
type FactSet struct {
	facts []*Recorded
	// conflicts are the facts the units a unit absorbed recorded differently
	// (CombineAbsorbed), each a list of records of one key; a key is in facts or here,
	// never both.
	conflicts [][]*Recorded
	// unrecorded are, for some conflicts' keys, the absorbed units that recorded the fact
	// not at all (CombineAbsorbed with gaps): each key is one of conflicts' too.
	unrecorded []factGap
	// gaps is set on a set CombineAbsorbed made under the rules' revision 3
	// (AbsorbedReading.Moot): a conflict of a fact the unit's rules do not need of it (a
	// parent unit's share of its subordinates in breach, of a unit that is none) then waits
	// for nothing (FactSet.mootConflict).
	gaps bool
	// subordinates are the ids of the events that registered units under the unit (or
	// under a unit whose history it inherits) as their parent, as of the set's moment
	// (NoteSubordinates): it is then a parent unit (đơn vị chủ quản).
	subordinates []string
}

// factGap names the absorbed units that recorded no fact of a key (FactSet.unrecorded).
type factGap struct {
	key   factKey
	units []string
}

// Conflict is a fact the units a merged unit absorbed recorded differently, or only some
// of them recorded (CombineAbsorbed): what reads it waits for the merged unit's own.
type Conflict struct {
	// Records are the records of the units that recorded it, in the order recorded.
	Records []FactEntry
	// Unrecorded are the absorbed units that recorded it not at all (under the rules'
	// revision 3), sorted.
	Unrecorded []string
}

// NoteSubordinates records the events that registered units under the unit as their
// parent, as of the set's moment: the unit is then a parent unit, and an exclusion that
// concerns parent units (Exclusion.ParentOnly) needs its fact recorded.
func (s *FactSet) NoteSubordinates(eventIDs ...string) {
	s.subordinates = append(s.subordinates, eventIDs...) // distinct: one registration per unit
}

// Subordinates returns the ids of the events NoteSubordinates recorded, in their order.
func (s *FactSet) Subordinates() []string {
	return slices.Clone(s.subordinateEvents())
}

// subordinateEvents is Subordinates without the copy (nil for a nil set).
func (s *FactSet) subordinateEvents() []string {
	if s == nil {
		return nil
	}
	return s.subordinates
}

// NewFactSet returns an empty fact set.
func NewFactSet() *FactSet { return &FactSet{} }

// NewFactSetSize returns an empty fact set with room for about n facts.
func NewFactSetSize(n int) *FactSet { return &FactSet{facts: make([]*Recorded, 0, max(n, 0))} }

func keyOf(d FactRecordedData) factKey {
	return factKey{campaign: d.Campaign, fact: d.Fact, index: d.Index, component: d.Component}
}

// keyOfRecorded is the key of a held fact.
func keyOfRecorded(r *Recorded) factKey {
	d, _ := r.Data.(FactRecordedData)
	return keyOf(d)
}

// find returns the position of the fact held for k, or -1.
func (s *FactSet) find(k factKey) int {
	for i, r := range s.facts {
		if keyOfRecorded(r) == k {
			return i
		}
	}
	return -1
}

// entryOf is the FactEntry of a held fact.
func entryOf(r *Recorded) FactEntry {
	d, _ := r.Data.(FactRecordedData)
	return FactEntry{Data: d, EventID: r.ID, At: r.At, Seq: r.Seq}
}

// Apply records a unit.fact_recorded event of the campaign (campaign "" accepts every
// campaign); other events are ignored. A later fact for the same key supersedes an earlier
// one; an event with a lower Seq than the one held is ignored. The set keeps its own copy
// of r.
func (s *FactSet) Apply(campaign string, r Recorded) {
	if d, ok := r.Data.(FactRecordedData); ok && (campaign == "" || d.Campaign == campaign) {
		s.ApplyShared(campaign, &r)
	}
}

// ApplyShared is Apply without a copy: the set refers to *r, which must not change
// afterwards (an event of a read model's history, say).
func (s *FactSet) ApplyShared(campaign string, r *Recorded) {
	d, ok := r.Data.(FactRecordedData)
	if !ok || (campaign != "" && d.Campaign != campaign) {
		return
	}
	s.put(keyOf(d), r)
}

// put holds r for k unless the fact held for k has a higher Seq.
func (s *FactSet) put(k factKey, r *Recorded) {
	i := s.find(k)
	switch {
	case i < 0:
		s.facts = append(s.facts, r)
	case s.facts[i].Seq <= r.Seq:
		s.facts[i] = r
	}
}

// Absorbed is the evidence of one unit a merged unit absorbed (CombineAbsorbed).
type Absorbed struct {
	// Unit is the absorbed unit's id.
	Unit string
	// Facts are its facts: its own over those of the units it had absorbed itself.
	Facts *FactSet
	// Parent marks a unit that units were registered under (a parent unit), which alone
	// can record a parent unit's fact (AbsorbedReading.ParentFacts).
	Parent bool
}

// AbsorbedReading is how a definition combines the facts of the units a merged unit
// absorbed (CombineAbsorbed).
type AbsorbedReading struct {
	// Gaps makes a fact some of the units recorded and others not at all a conflict (the
	// rules' revision 3).
	Gaps bool
	// Moot lets a conflict of a parent unit's fact that no value recorded would exclude
	// keep nothing waiting for a merged unit that is no parent unit (the rules' revision
	// 3; FactSet.mootConflict). An award in force keeps it without Gaps (projections).
	Moot bool
	// ParentFacts are the facts the definition reads of parent units only
	// (Exclusion.ParentOnly): a unit that is none never records them, so that it did not
	// is no gap (a review finding: a merged department waited for a share of
	// subordinates in breach from a department that had none).
	ParentFacts []string
}

// AbsorbedReadingOf is how def combines merged units' facts: with gaps from the rules'
// revision 3, and its parent units' facts.
func AbsorbedReadingOf(def Definition) AbsorbedReading {
	r := AbsorbedReading{Gaps: def.RulesRevision >= 3, Moot: def.RulesRevision >= 3}
	for _, c := range def.Criteria {
		for _, x := range c.Rule.Exclusions {
			if x.ParentOnly && !slices.Contains(r.ParentFacts, x.Fact) {
				r.ParentFacts = append(r.ParentFacts, x.Fact)
			}
		}
	}
	return r
}

// CombineAbsorbed returns the facts a unit inherits from the units it absorbed, one set
// per absorbed unit (each unit's own facts over those it had inherited itself). Where the
// units recorded the same fact alike, the later record stands; where their values differ,
// or a unit already held the fact as a conflict, the fact is a conflict (Conflicts): it is
// held for none of them, so a criterion that reads it waits (pending) until the merged
// unit's own fact is recorded, rather than taking whichever unit's was recorded last. So
// is a unit that was assigned no index component (StatusNotAssigned) beside one that
// holds components. With gaps (the rules' revision 3), so is a fact, other than an index
// component, that some of the units recorded and others not at all (Conflict.Unrecorded):
// the merged unit's figure is not one unit's (a review finding: two districts merged, one
// with its facts recorded, and the successor was judged on that one's alone). The result
// does not depend on the sets' order; the sets' events are held by reference.
func CombineAbsorbed(reading AbsorbedReading, absorbed ...Absorbed) *FactSet {
	gaps := reading.Gaps
	type group struct {
		recs     []*Recorded
		conflict bool
		holders  []string // the units that hold the key, as a fact or a conflict
		missing  []string // the units that recorded it not at all, from the sets' own gaps
	}
	var keys []factKey
	groups := map[factKey]*group{}
	add := func(unit string, k factKey, conflict bool, rs ...*Recorded) {
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			keys = append(keys, k)
		}
		g.conflict = g.conflict || conflict
		if !slices.Contains(g.holders, unit) {
			g.holders = append(g.holders, unit)
		}
		for _, r := range rs {
			g.recs = appendRecorded(g.recs, r)
		}
	}
	var units []string   // the units of the sets given
	var parents []string // those of them that are parent units
	// markers are the sets' statements that no index component was assigned, and
	// components the components the sets hold, by campaign.
	markers := map[string][]*Recorded{}
	components := map[string][]*Recorded{}
	compUnits := map[string][]string{} // the units that recorded anything of their components, by campaign
	for _, a := range absorbed {
		set, unit := a.Facts, a.Unit
		if set == nil {
			continue
		}
		units = append(units, unit)
		if a.Parent {
			parents = append(parents, unit)
		}
		for _, c := range set.conflicts {
			add(unit, keyOfRecorded(c[0]), true, c...)
		}
		for _, gap := range set.unrecorded {
			if g := groups[gap.key]; g != nil {
				for _, u := range gap.units {
					if !slices.Contains(g.missing, u) {
						g.missing = append(g.missing, u)
					}
				}
			}
		}
		// Within one unit, a statement that no index component was assigned sets aside
		// its components recorded before it (assignedComponents); only what is left of
		// the statement or of the components is combined.
		marker := map[string]*Recorded{}
		for _, e := range set.facts {
			if d, _ := e.Data.(FactRecordedData); d.Fact == FactIndexComponent && d.Status == StatusNotAssigned {
				marker[d.Campaign] = e
			}
		}
		kept := map[string][]*Recorded{}
		for _, e := range set.facts {
			d, _ := e.Data.(FactRecordedData)
			switch {
			case d.Fact != FactIndexComponent:
				add(unit, keyOfRecorded(e), false, e)
			case d.Status != StatusNotAssigned && (marker[d.Campaign] == nil || e.Seq > marker[d.Campaign].Seq):
				kept[d.Campaign] = append(kept[d.Campaign], e)
			}
		}
		for c, m := range marker {
			compUnits[c] = append(compUnits[c], unit)
			if len(kept[c]) == 0 {
				add(unit, keyOfRecorded(m), false, m)
				markers[c] = append(markers[c], m)
			}
		}
		for c, es := range kept {
			if marker[c] == nil {
				compUnits[c] = append(compUnits[c], unit)
			}
			for _, e := range es {
				add(unit, keyOfRecorded(e), false, e)
			}
			components[c] = append(components[c], es...)
		}
	}
	// The keys in a fixed order, so that the answer and its messages do not depend on
	// the order of the sets or of the maps above.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.less(b)
	})
	out := &FactSet{gaps: reading.Moot}
	for _, k := range keys {
		g := groups[k]
		agree := !g.conflict
		for _, r := range g.recs[1:] {
			agree = agree && sameFact(g.recs[0], r)
		}
		if k.fact == FactIndexComponent && k.index == "" && len(markers[k.campaign]) > 0 && len(components[k.campaign]) > 0 {
			// One unit was assigned no component, another holds components.
			agree = false
			for _, r := range components[k.campaign] {
				g.recs = appendRecorded(g.recs, r)
			}
		}
		var unrecorded []string
		if gaps && k.fact == FactIndexComponent && k.index == "" {
			// A statement that no index component was assigned is the unit's as a whole:
			// beside a unit that recorded nothing of its components, it is not the merged
			// unit's (a review finding: one district's "không được giao" made C12 not
			// applicable for the merged one, where the other's component made it wait).
			for _, u := range units {
				if !slices.Contains(compUnits[k.campaign], u) {
					unrecorded = append(unrecorded, u)
				}
			}
		}
		if gaps && k.fact != FactIndexComponent {
			unrecorded = slices.Clone(g.missing)
			// A parent unit's fact is not recorded by a unit with no subordinates: that it
			// did not is no gap beside a parent unit that did. With no parent among them,
			// every unit that did not record it is one (a value one recorded without
			// subordinates says nothing of a subordinate registered later: a review
			// finding).
			parentFact := slices.Contains(reading.ParentFacts, k.fact)
			for _, u := range units {
				if !slices.Contains(g.holders, u) && !slices.Contains(unrecorded, u) && (!parentFact || len(parents) == 0 || slices.Contains(parents, u)) {
					unrecorded = append(unrecorded, u)
				}
			}
		}
		if agree && len(unrecorded) == 0 {
			latest := g.recs[0]
			for _, r := range g.recs[1:] {
				if r.Seq > latest.Seq {
					latest = r
				}
			}
			out.facts = append(out.facts, latest)
			continue
		}
		c := slices.Clone(g.recs)
		sort.SliceStable(c, func(i, j int) bool { return c[i].Seq < c[j].Seq })
		out.conflicts = append(out.conflicts, c)
		if len(unrecorded) > 0 {
			slices.Sort(unrecorded)
			out.unrecorded = append(out.unrecorded, factGap{key: k, units: unrecorded})
		}
	}
	return out
}

// NotRecordedBy marks, in a set of facts a unit inherits (CombineAbsorbed with gaps), each
// fact that unit's own facts do not hold as one it did not record (Conflict.Unrecorded):
// a unit that existed before it absorbed others, and recorded none of a fact they
// recorded, is not judged on theirs alone (the rules' revision 3; a review finding: a
// department with no figures absorbed one with all of them and was judged on those).
// Index components are left out, as CombineAbsorbed leaves them, and a parent unit's fact
// of a unit that is none. Apply a's facts afterwards (Override): the facts it holds stand
// over the inherited ones, as before.
func (s *FactSet) NotRecordedBy(a Absorbed, reading AbsorbedReading) {
	unit, own := a.Unit, a.Facts
	if s == nil {
		return
	}
	ownHolds := func(k factKey) bool {
		return own != nil && (own.find(k) >= 0 || own.conflictAt(k) >= 0) ||
			!a.Parent && slices.Contains(reading.ParentFacts, k.fact) // none to record
	}
	kept := s.facts[:0]
	for _, r := range s.facts {
		k := keyOfRecorded(r)
		if k.fact == FactIndexComponent || ownHolds(k) {
			kept = append(kept, r)
			continue
		}
		s.conflicts = append(s.conflicts, []*Recorded{r})
		s.addUnrecorded(k, []string{unit})
	}
	clear(s.facts[len(kept):])
	s.facts = kept
	for _, c := range s.conflicts {
		if k := keyOfRecorded(c[0]); k.fact != FactIndexComponent && !ownHolds(k) {
			s.addUnrecorded(k, []string{unit})
		}
	}
}

// unrecordedFor returns the units that recorded no fact of k (CombineAbsorbed), or nil.
func (s *FactSet) unrecordedFor(k factKey) []string {
	for _, g := range s.unrecorded {
		if g.key == k {
			return g.units
		}
	}
	return nil
}

// dropUnrecorded forgets the units that recorded no fact of a key drop reports true of.
func (s *FactSet) dropUnrecorded(drop func(factKey) bool) {
	s.unrecorded = slices.DeleteFunc(s.unrecorded, func(g factGap) bool { return drop(g.key) })
}

// sameFact reports whether two records of one fact state the same thing (value, previous
// value, text, status and cause), whoever recorded them and whatever their notes.
func sameFact(a, b *Recorded) bool {
	x, _ := a.Data.(FactRecordedData)
	y, _ := b.Data.(FactRecordedData)
	eq := func(p, q *float64) bool { return (p == nil) == (q == nil) && (p == nil || *p == *q) }
	return eq(x.Number, y.Number) && eq(x.Previous, y.Previous) && x.Text == y.Text && x.Status == y.Status && x.Cause == y.Cause
}

// appendRecorded appends r to rs unless it is there already.
func appendRecorded(rs []*Recorded, r *Recorded) []*Recorded {
	for _, x := range rs {
		if x.ID == r.ID {
			return rs
		}
	}
	return append(rs, r)
}

// conflictAt returns the position of k's conflict, or -1.
func (s *FactSet) conflictAt(k factKey) int {
	for i, c := range s.conflicts {
		if keyOfRecorded(c[0]) == k {
			return i
		}
	}
	return -1
}

// addConflict holds rs (records of one key) as a conflict, adding to one already held.
func (s *FactSet) addConflict(rs ...*Recorded) {
	if len(rs) == 0 {
		return
	}
	i := s.conflictAt(keyOfRecorded(rs[0]))
	if i < 0 {
		s.conflicts = append(s.conflicts, nil)
		i = len(s.conflicts) - 1
	}
	for _, r := range rs {
		s.conflicts[i] = appendRecorded(s.conflicts[i], r)
	}
}

// AllConflicts returns every conflict held (CombineAbsorbed), each its records in the
// order they were recorded, ordered by campaign, fact, index and component.
func (s *FactSet) AllConflicts() []Conflict {
	if s == nil {
		return nil
	}
	out := make([]Conflict, 0, len(s.conflicts))
	for _, c := range s.conflicts {
		out = append(out, s.conflictOf(c))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Records[0].Data, out[j].Records[0].Data
		return keyOf(a).less(keyOf(b))
	})
	return out
}

// conflictOf is the Conflict of the records c of one key.
func (s *FactSet) conflictOf(c []*Recorded) Conflict {
	es := make([]FactEntry, len(c))
	for i, r := range c {
		es[i] = entryOf(r)
	}
	return Conflict{Records: es, Unrecorded: slices.Clone(s.unrecordedFor(keyOfRecorded(c[0])))}
}

// Conflicts returns, for the fact of that name in the campaign (every component of
// index_component), the records of the absorbed units that disagree (CombineAbsorbed),
// each conflict's records in the order they were recorded, with the units that recorded
// it not at all; nil when there is none.
func (s *FactSet) Conflicts(campaign, fact string) []Conflict {
	if s == nil {
		return nil
	}
	var out []Conflict
	for _, c := range s.conflicts {
		if k := keyOfRecorded(c[0]); k.campaign == campaign && k.fact == fact {
			out = append(out, s.conflictOf(c))
		}
	}
	return out
}

// Override puts every fact of other in place of s's fact of the same key, whichever was
// recorded later: other is a layer of evidence that takes precedence (a unit's own facts
// over those of the units it absorbed).
func (s *FactSet) Override(other *FactSet) {
	if other == nil {
		return
	}
	// Index components are one statement per unit: the unit's own statement that none
	// was assigned sets aside every component it inherited, and its own components set
	// aside an inherited statement that none was.
	for _, e := range other.facts {
		d, _ := e.Data.(FactRecordedData)
		if d.Fact != FactIndexComponent {
			continue
		}
		drop := func(k factKey) bool {
			if k.fact != FactIndexComponent || k.campaign != d.Campaign {
				return false
			}
			if d.Status == StatusNotAssigned {
				return true // every inherited component and statement
			}
			return k.index == "" // the inherited statement that none was assigned
		}
		s.facts = slices.DeleteFunc(s.facts, func(r *Recorded) bool { return drop(keyOfRecorded(r)) })
		s.conflicts = slices.DeleteFunc(s.conflicts, func(c []*Recorded) bool { return drop(keyOfRecorded(c[0])) })
		s.dropUnrecorded(drop)
	}
	for _, e := range other.facts {
		k := keyOfRecorded(e)
		if c := s.conflictAt(k); c >= 0 {
			// The unit's own fact settles what the units it absorbed disagreed on, or
			// recorded only in part.
			s.conflicts = slices.Delete(s.conflicts, c, c+1)
			s.dropUnrecorded(func(g factKey) bool { return g == k })
		}
		if i := s.find(k); i < 0 {
			s.facts = append(s.facts, e)
		} else {
			s.facts[i] = e
		}
	}
	for _, c := range other.conflicts {
		k := keyOfRecorded(c[0])
		if s.find(k) < 0 {
			s.addConflict(c...)
			if units := other.unrecordedFor(k); len(units) > 0 {
				s.addUnrecorded(k, units)
			}
		}
	}
}

// addUnrecorded adds units to those that recorded no fact of k.
func (s *FactSet) addUnrecorded(k factKey, units []string) {
	for i := range s.unrecorded {
		if s.unrecorded[i].key == k {
			for _, u := range units {
				if !slices.Contains(s.unrecorded[i].units, u) {
					s.unrecorded[i].units = append(s.unrecorded[i].units, u)
				}
			}
			slices.Sort(s.unrecorded[i].units)
			return
		}
	}
	s.unrecorded = append(s.unrecorded, factGap{key: k, units: slices.Sorted(slices.Values(units))})
}

// Get returns the latest fact of that name (not an index component) in the campaign.
func (s *FactSet) Get(campaign, fact string) (FactEntry, bool) {
	if s == nil {
		return FactEntry{}, false
	}
	i := s.find(factKey{campaign: campaign, fact: fact})
	if i < 0 {
		return FactEntry{}, false
	}
	return entryOf(s.facts[i]), true
}

// Number returns the latest numeric value of the fact in the campaign.
func (s *FactSet) Number(campaign, fact string) (float64, bool) {
	e, ok := s.Get(campaign, fact)
	if !ok || e.Data.Number == nil {
		return 0, false
	}
	return *e.Data.Number, true
}

// Components returns the latest index_component facts of the campaign, ordered by index
// and component.
func (s *FactSet) Components(campaign string) []FactEntry {
	var out []FactEntry
	if s == nil {
		return out
	}
	for _, r := range s.facts {
		if k := keyOfRecorded(r); k.campaign == campaign && k.fact == FactIndexComponent {
			out = append(out, entryOf(r))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Data.Index != out[j].Data.Index {
			return out[i].Data.Index < out[j].Data.Index
		}
		return out[i].Data.Component < out[j].Data.Component
	})
	return out
}

// All returns every fact held, ordered by campaign, fact, index and component.
func (s *FactSet) All() []FactEntry {
	if s == nil {
		return nil
	}
	held := slices.Clone(s.facts)
	sort.Slice(held, func(i, j int) bool {
		a, b := keyOfRecorded(held[i]), keyOfRecorded(held[j])
		if a.campaign != b.campaign {
			return a.campaign < b.campaign
		}
		if a.fact != b.fact {
			return a.fact < b.fact
		}
		if a.index != b.index {
			return a.index < b.index
		}
		return a.component < b.component
	})
	out := make([]FactEntry, 0, len(held))
	for _, r := range held {
		out = append(out, entryOf(r))
	}
	return out
}

// Len returns the number of facts held.
func (s *FactSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.facts)
}

// improved reports whether a published component improved on the previous year.
func improved(d FactRecordedData) bool {
	return d.Status == "" && d.Number != nil && d.Previous != nil && *d.Number > *d.Previous
}

// assignedComponents returns the index components of the campaign that judge the unit,
// and whether it was recorded as assigned none (StatusNotAssigned): then only the
// components recorded after that statement count.
func (s *FactSet) assignedComponents(campaign string) (comps []FactEntry, noneAssigned bool) {
	all := s.Components(campaign)
	var marker *FactEntry
	for i := range all {
		if all[i].Data.Status == StatusNotAssigned {
			marker = &all[i]
		}
	}
	if marker == nil {
		return all, false
	}
	for _, e := range all {
		if e.Data.Status != StatusNotAssigned && e.Seq > marker.Seq {
			comps = append(comps, e)
		}
	}
	return comps, true
}

// CountImproved returns how many index components of the campaign improved on the
// previous year (a ranking key).
func CountImproved(facts *FactSet, campaign string) int {
	n := 0
	comps, _ := facts.assignedComponents(campaign)
	for _, e := range comps {
		if improved(e.Data) {
			n++
		}
	}
	return n
}
