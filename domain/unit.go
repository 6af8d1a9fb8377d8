package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Unit statuses (Unit.Status).
const (
	// UnitActive is a unit that takes part in campaigns.
	UnitActive = "active"
	// UnitMerged is a unit merged into a successor; its history continues there.
	UnitMerged = "merged"
)

// PlanRef is a unit's emulation plan for a campaign with the event that submitted it.
type PlanRef struct {
	Document DocumentRef
	EventID  string
}

// Unit is the unit aggregate. Its zero value (NewUnit) is a unit that does not exist yet.
type Unit struct {
	id, name       string
	kind           UnitKind
	parent         string
	status         string
	successor      string
	mergedOn       string
	reorganisation string
	predecessors   []string
	plans          map[string]PlanRef
	seq            uint64
}

// NewUnit returns an empty unit, ready to apply its events.
func NewUnit() *Unit { return &Unit{plans: map[string]PlanRef{}} }

// ID returns the unit's id ("" before unit.registered).
func (u *Unit) ID() string { return u.id }

// Name returns the unit's name.
func (u *Unit) Name() string { return u.name }

// Kind returns the unit's kind.
func (u *Unit) Kind() UnitKind { return u.kind }

// Parent returns the parent unit's id ("" when none).
func (u *Unit) Parent() string { return u.parent }

// Status returns UnitActive or UnitMerged ("" before unit.registered).
func (u *Unit) Status() string { return u.status }

// Successor returns the unit this one merged into ("" when active).
func (u *Unit) Successor() string { return u.successor }

// MergedEffective returns the effective date (YYYY-MM-DD) of the merger that ended the unit.
func (u *Unit) MergedEffective() string { return u.mergedOn }

// Reorganisation returns the id of the reorganisation that merged the unit.
func (u *Unit) Reorganisation() string { return u.reorganisation }

// Predecessors returns the units this one absorbed directly, in order.
func (u *Unit) Predecessors() []string { return append([]string(nil), u.predecessors...) }

// Plans returns a copy of the unit's emulation plans by campaign.
func (u *Unit) Plans() map[string]PlanRef {
	out := make(map[string]PlanRef, len(u.plans))
	for k, v := range u.plans {
		out[k] = v
	}
	return out
}

// Plan returns the unit's latest emulation plan for a campaign.
func (u *Unit) Plan(campaign string) (PlanRef, bool) {
	p, ok := u.plans[campaign]
	return p, ok
}

// Version returns the stream sequence of the last applied event.
func (u *Unit) Version() uint64 { return u.seq }

// Apply evolves the unit by one recorded event; other payloads are ignored.
func (u *Unit) Apply(r Recorded) {
	if u.plans == nil {
		u.plans = map[string]PlanRef{}
	}
	switch d := r.Data.(type) {
	case UnitRegisteredData:
		u.id, u.name, u.kind, u.parent, u.status = d.ID, d.Name, d.Kind, d.Parent, UnitActive
	case PlanSubmittedData:
		u.plans[d.Campaign] = PlanRef{Document: d.Document, EventID: r.ID}
	case FactRecordedData:
	case UnitMergedData:
		u.status, u.successor, u.mergedOn, u.reorganisation = UnitMerged, d.Successor, d.Effective, d.Reorganisation
	case UnitAbsorbedData:
		u.predecessors = append(u.predecessors, d.Sources...)
	case UnitNominatedData:
		// The guard of one nomination per unit and nominee: it moves the unit's version.
	case UnitSubordinateRegisteredData:
		// The guard of what reads the unit's subordinates: it moves the unit's version.
	case UnitHoldNotedData:
		// The guard of a grant to the held person's other nomination: it moves the
		// unit's version.
	default:
		return
	}
	if r.Seq > u.seq {
		u.seq = r.Seq
	}
}

// HoldNoted returns the event that records, on nomination n's unit, that n was put on hold
// (UnitHoldNoted).
func HoldNoted(n *Nomination) []Event {
	return []Event{{Type: UnitHoldNoted, Data: UnitHoldNotedData{Campaign: n.Campaign(), Nomination: n.ID()}}}
}

// SubordinateRegistered returns the event that records, on parent unit u, the
// registration of unit id under it (UnitSubordinateRegistered). A unit merged away takes
// no new subordinate (unit_not_active is the caller's check).
func SubordinateRegistered(id string) []Event {
	return []Event{{Type: UnitSubordinateRegistered, Data: UnitSubordinateRegisteredData{Unit: id}}}
}

// SameUnitName reports whether two unit names are one name: equal once composed (NFC),
// their runs of white space made one space and their letters made lower case. Two active
// units of one name under one parent are most likely one unit registered twice.
func SameUnitName(a, b string) bool {
	return UnitNameKey(a) == UnitNameKey(b)
}

// UnitNameKey is the form of a unit's name SameUnitName compares.
func UnitNameKey(name string) string {
	return strings.ToLower(norm.NFC.String(strings.Join(strings.Fields(name), " ")))
}

// RegisterUnit decides the registration of a new unit: a valid id, a name of 1 to 300
// characters, a known kind and, when given, a valid parent id other than the unit's own.
func RegisterUnit(id, name string, kind UnitKind, parent string) ([]Event, error) {
	if err := ValidateNewID(id); err != nil {
		return nil, fmt.Errorf("unit id: %w", err)
	}
	name = norm.NFC.String(strings.TrimSpace(name))
	if name == "" || utf8.RuneCountInString(name) > 300 {
		return nil, fieldErr("name", "invalid_name", "a unit name of 1 to 300 characters is required", "Tên đơn vị là bắt buộc (tối đa 300 ký tự)")
	}
	if en, vi := invisibleIn("unit name", "Tên đơn vị", name); en != "" {
		return nil, fieldErr("name", "invalid_name", en, vi)
	}
	if !kind.Valid() {
		return nil, malformedErr("kind", "invalid_kind", fmt.Sprintf("unit kind %q is not department, vertical, district or commune", kind),
			fmt.Sprintf("Loại đơn vị %q không hợp lệ (department, vertical, district, commune)", kind))
	}
	if parent != "" {
		if err := ValidateID(parent); err != nil {
			return nil, fmt.Errorf("parent unit id: %w", err)
		}
		if parent == id {
			return nil, fieldErr("parent", "invalid_parent", "a unit cannot be its own parent", "Đơn vị không thể là đơn vị chủ quản của chính nó")
		}
	}
	return []Event{{Type: UnitRegistered, Data: UnitRegisteredData{ID: id, Name: name, Kind: kind, Parent: parent}}}, nil
}

// Register is RegisterUnit on this aggregate: it refuses with unit_exists when the unit
// is already registered.
func (u *Unit) Register(id, name string, kind UnitKind, parent string) ([]Event, error) {
	if u.id != "" {
		return nil, conflictErr("unit_exists", fmt.Sprintf("unit %s already exists", u.id), fmt.Sprintf("Đơn vị %s đã tồn tại", u.id))
	}
	return RegisterUnit(id, name, kind, parent)
}

func (u *Unit) requireActive() error {
	if u.id == "" {
		return ruleErr("unknown_unit", "the unit does not exist", "Đơn vị không tồn tại")
	}
	if u.status != UnitActive {
		return conflictErr("unit_not_active", fmt.Sprintf("unit %s was merged into %s", u.id, u.successor),
			fmt.Sprintf("Đơn vị %s đã hợp nhất vào %s", u.id, u.successor))
	}
	return nil
}

// SubmitPlan decides recording the unit's own emulation plan for a campaign (plan section
// V.1); a later plan supersedes an earlier one. The unit must be active.
func (u *Unit) SubmitPlan(campaign string, doc DocumentRef) ([]Event, error) {
	if err := u.CheckPlan(campaign); err != nil {
		return nil, err
	}
	if doc.SHA256 == "" {
		return nil, ruleErr("invalid_document", "the plan document has no sha256", "Tài liệu kế hoạch thiếu mã SHA-256")
	}
	return []Event{{Type: PlanSubmitted, Data: PlanSubmittedData{Campaign: campaign, Document: doc}}}, nil
}

// CheckPlan refuses what SubmitPlan refuses before it looks at the document: a unit not
// active (unit_not_active), a campaign id not valid. The plan's file is checked with it
// before it is stored, so that a refused upload leaves nothing behind.
func (u *Unit) CheckPlan(campaign string) error {
	if err := u.requireActive(); err != nil {
		return err
	}
	if err := ValidateID(campaign); err != nil {
		return fmt.Errorf("campaign id: %w", err)
	}
	return nil
}

// RecordFact decides recording a verified fact about the unit in the campaign def. The
// fact's campaign defaults to def's and must equal it; the fact is checked by ValidateFact;
// the unit must be active.
//
// A unit a merger dissolved still takes facts: they correct what it was before the
// merger, and judge its own nominations, which the successor carries on. It takes none of
// a campaign that starts on or after the day the merger took effect (unit_not_active): it
// was no unit in that campaign's period, and its figures would judge the successor (review
// findings; the day itself, as a clerk's write access ends on it).
func (u *Unit) RecordFact(def Definition, data FactRecordedData) ([]Event, error) {
	if u.id == "" {
		return nil, ruleErr("unknown_unit", "the unit does not exist", "Đơn vị không tồn tại")
	}
	if data.Campaign == "" {
		data.Campaign = def.ID
	}
	if def.ID == "" || data.Campaign != def.ID {
		return nil, invalidFact("campaign", fmt.Sprintf("the fact names campaign %q, not %q", data.Campaign, def.ID),
			fmt.Sprintf("số liệu thuộc đợt %q, không phải %q", data.Campaign, def.ID))
	}
	if u.status != UnitActive && u.mergedOn != "" && def.Starts != "" && u.mergedOn <= def.Starts {
		return nil, conflictErr("unit_not_active",
			fmt.Sprintf("unit %s was merged into %s from %s, by the time campaign %s starts (%s): record the fact on %s", u.id, u.successor, u.mergedOn, def.ID, def.Starts, u.successor),
			fmt.Sprintf("Đơn vị %s đã hợp nhất vào %s từ ngày %s, khi đợt thi đua %s bắt đầu (%s) đơn vị đã không còn: ghi nhận số liệu cho %s", u.id, u.successor, DateVI(u.mergedOn), def.ID, DateVI(def.Starts), u.successor))
	}
	data.Note = trimText(data.Note)
	// Text sent decomposed ("Tốt" with combining marks) is the same text: it is compared
	// and kept composed.
	data.Text, data.Index, data.Component = norm.NFC.String(data.Text), norm.NFC.String(data.Index), norm.NFC.String(data.Component)
	// A component's name is kept with single spaces: "Cải cách TTHC " is "Cải cách TTHC".
	data.Component = strings.Join(strings.Fields(data.Component), " ")
	// Minus zero is zero: it was kept, and printed "-0" (a review finding). The value is
	// replaced, never written through the caller's pointer (which changed the caller's own
	// fact: two goroutines recording one value raced on it, as the race detector found).
	data.Number, data.Previous = unsignedZero(data.Number), unsignedZero(data.Previous)
	if err := ValidateFact(data); err != nil {
		return nil, err
	}
	if err := checkNewFact(def, data); err != nil {
		return nil, err
	}
	return []Event{{Type: FactRecorded, Data: data}}, nil
}

// unsignedZero returns v, or a new zero when v points at zero or minus zero.
func unsignedZero(v *float64) *float64 {
	if v == nil || *v != 0 {
		return v
	}
	z := 0.0
	return &z
}

// MaxMergerLead is how far ahead of its effective date a merger may be recorded.
const MaxMergerLead = 31 * 24 * time.Hour

// PlanMerge decides a merger: sources merge into the successor (nil when it does not exist
// yet: it is then registered with name and kind). It returns the events per unit id: the
// successor gets unit.registered (when new) and unit.absorbed; each source gets
// unit.merged. Refusals: unit_already_merged (a source or the successor is no longer
// active), merge_into_self (the successor is among the sources), duplicate_source,
// invalid_effective, decision_required, and effective_too_far for a date more than
// MaxMergerLead after now: the sources stop taking plans, nominations and clerks once the
// merger is recorded, so it is recorded as its date nears. A merger is the province's
// decision and may otherwise take effect on any date, within a campaign's period or not
// (the awards of a campaign are decided after it ends); the campaigns see it through
// Campaign.NoteMerger.
func PlanMerge(sources []*Unit, successor *Unit, successorID, name string, kind UnitKind,
	effective, decision, reorgID string, now time.Time) (map[string][]Event, error) {
	validate := ValidateID
	if successor == nil || successor.id == "" {
		validate = ValidateNewID // a new unit
	}
	if err := validate(successorID); err != nil {
		return nil, fmt.Errorf("successor id: %w", err)
	}
	if err := ValidateID(reorgID); err != nil {
		return nil, fmt.Errorf("reorganisation id: %w", err)
	}
	if len(sources) == 0 {
		return nil, fieldErr("sources", "sources_required", "a merger needs at least one source unit", "Cần ít nhất một đơn vị được hợp nhất")
	}
	eff, err := time.Parse(time.DateOnly, effective)
	if err != nil || eff.Format(time.DateOnly) != effective {
		return nil, fieldErr("effective", "invalid_effective", fmt.Sprintf("effective %q is not a date YYYY-MM-DD", effective),
			fmt.Sprintf("Ngày hiệu lực «%s» không hợp lệ: cần một ngày có thật, viết năm-tháng-ngày (ví dụ 2026-07-01)", effective))
	}
	if eff.Year() < 2000 {
		// A merger before the engine's dates (the API's and the web UI's alike): a typing
		// error, never a reorganisation whose history this campaign reads.
		return nil, fieldErr("effective", "invalid_effective", fmt.Sprintf("effective %s is before the year 2000", effective),
			fmt.Sprintf("Ngày hiệu lực %s trước năm 2000", DateVI(effective)))
	}
	// The lead is counted in days of the province's calendar: the same answer all day
	// (a review finding: read from the instant, a date 31 days ahead was refused before
	// 07:00 and accepted after).
	loc, _ := Definition{}.Location()
	today := now.In(loc)
	if latest := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).Add(MaxMergerLead); eff.After(latest) {
		return nil, fieldErr("effective", "effective_too_far",
			fmt.Sprintf("effective %s is more than %d days ahead: the sources would stop taking plans, nominations and clerks from now on; record the merger once its date is at most %d days away", effective, MaxMergerLead/(24*time.Hour), MaxMergerLead/(24*time.Hour)),
			fmt.Sprintf("Ngày hiệu lực %s còn hơn %d ngày nữa: các đơn vị hợp nhất sẽ ngừng nhận kế hoạch, hồ sơ và cán bộ ngay từ bây giờ; hãy ghi nhận khi còn không quá %d ngày", DateVI(effective), MaxMergerLead/(24*time.Hour), MaxMergerLead/(24*time.Hour)))
	}
	decision = trimText(decision)
	if decision == "" || utf8.RuneCountInString(decision) > MaxReasonLength {
		return nil, fieldErr("decision", "decision_required", "the merger decision (1 to 2,000 characters) is required",
			"Phải nêu quyết định sắp xếp, hợp nhất (tối đa 2.000 ký tự)")
	}
	ids := make([]string, 0, len(sources))
	seen := map[string]bool{}
	for i, s := range sources {
		if s == nil || s.id == "" {
			return nil, ruleErr("unknown_unit", fmt.Sprintf("source %d does not exist", i+1), fmt.Sprintf("Đơn vị nguồn thứ %d không tồn tại", i+1))
		}
		if s.id == successorID {
			return nil, fieldErr("sources", "merge_into_self", fmt.Sprintf("unit %s cannot merge into itself", s.id),
				fmt.Sprintf("Đơn vị %s không thể hợp nhất vào chính nó", s.id))
		}
		if seen[s.id] {
			return nil, fieldErr("sources", "duplicate_source", fmt.Sprintf("unit %s is named twice", s.id), fmt.Sprintf("Đơn vị %s bị nêu hai lần", s.id))
		}
		seen[s.id] = true
		if s.status != UnitActive {
			return nil, conflictErr("unit_already_merged", fmt.Sprintf("unit %s was already merged into %s", s.id, s.successor),
				fmt.Sprintf("Đơn vị %s đã hợp nhất vào %s", s.id, s.successor))
		}
		ids = append(ids, s.id)
	}
	out := map[string][]Event{}
	if successor == nil || successor.id == "" {
		evs, err := RegisterUnit(successorID, name, kind, "")
		if err != nil {
			var re *RuleError
			if errors.As(err, &re) && re.Field != "" {
				// The new unit's name and kind are the merger's successor_name and successor_kind.
				moved := *re
				moved.Field = "successor_" + re.Field
				return nil, &moved
			}
			return nil, err
		}
		out[successorID] = evs
	} else {
		if successor.id != successorID {
			return nil, fmt.Errorf("successor %s does not match the successor aggregate %s", successorID, successor.id)
		}
		if successor.status != UnitActive {
			return nil, conflictErr("unit_already_merged", fmt.Sprintf("successor %s was itself merged into %s", successor.id, successor.successor),
				fmt.Sprintf("Đơn vị tiếp nhận %s đã hợp nhất vào %s", successor.id, successor.successor))
		}
		// A name or a kind given for a successor that exists is what the admin believes
		// it to be: one that differs from the registry's is refused rather than set aside
		// without a word (the merger would go into another unit than the one meant).
		if n := trimText(name); (n != "" && nameKey(norm.NFC.String(n)) != nameKey(norm.NFC.String(successor.name))) || (kind != "" && kind != successor.kind) {
			return nil, fieldErr("successor", "successor_differs",
				fmt.Sprintf("successor %s exists as %q (%s): leave its name and kind out, or give them as registered", successor.id, successor.name, successor.kind),
				fmt.Sprintf("Đơn vị tiếp nhận %s đã có với tên %q (%s): bỏ trống tên và loại, hoặc ghi đúng như đã đăng ký", successor.id, successor.name, successor.kind))
		}
	}
	out[successorID] = append(out[successorID], Event{Type: UnitAbsorbed,
		Data: UnitAbsorbedData{Reorganisation: reorgID, Sources: ids, Effective: effective, Decision: decision}})
	for _, id := range ids {
		out[id] = []Event{{Type: UnitMergedEvent,
			Data: UnitMergedData{Reorganisation: reorgID, Successor: successorID, Effective: effective, Decision: decision}}}
	}
	return out, nil
}

// AwardNoted returns the event that records, on a unit whose evidence a grant relied on,
// the award granted to nomination n (see UnitAwardNoted).
func AwardNoted(campaign, award string, n *Nomination) []Event {
	return []Event{{Type: UnitAwardNoted, Data: UnitAwardNotedData{Campaign: campaign, Nomination: n.ID(), Award: award, Unit: n.Unit()}}}
}

// Nominated returns the event that records, on the unit, the nomination OpenNomination
// decided (opened): it goes into the same atomic append, so that the unit's sequence
// check orders two openings for the unit at once (see UnitNominated).
func Nominated(opened NominationOpenedData) []Event {
	d := UnitNominatedData{Campaign: opened.Campaign, Nomination: opened.ID, Kind: opened.Nominee.Kind}
	if opened.Nominee.Kind == NomineeIndividual {
		d.Name = opened.Nominee.Name
	}
	return []Event{{Type: UnitNominated, Data: d}}
}

// NomineeCorrectedOnUnit is what the unit records when nomination id of campaign has its
// individual nominee corrected (NomineeCorrected): a unit.nominated marked Corrected, in
// the same atomic append, so that the correction and an opening for the unit at the same
// moment decide one after the other, as two openings do.
func NomineeCorrectedOnUnit(campaign, id string, nominee Nominee) []Event {
	return []Event{{Type: UnitNominated, Data: UnitNominatedData{Campaign: campaign, Nomination: id, Kind: nominee.Kind, Name: nominee.Name, Corrected: true}}}
}
