package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// exclusionHit is an exclusion that applies, with the fact event that triggered it.
type exclusionHit struct {
	x     Exclusion
	value float64
	event string
}

// judgement is the interpretation of one criterion's rule, with its note in English
// (note) and in Vietnamese (noteVI).
type judgement struct {
	result string
	note   string
	noteVI string
	events []string
	hits   []exclusionHit
}

func num(f float64) string { return FormatNumber(f, false) }

// numVI writes f for a Vietnamese text: with a decimal comma (93,5).
func numVI(f float64) string { return FormatNumber(f, true) }

// FormatNumber writes a number as its readers do: in the fewest digits that read back
// the same, never in exponent form (1234567, 0.00000015: a Vietnamese reader takes
// "1,234567e+06" for a decimal), with a decimal comma in Vietnamese (93,5) and a point in
// English (93.5).
func FormatNumber(f float64, vi bool) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if vi {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func opSymbol(op string) string {
	switch op {
	case "gte":
		return "≥"
	case "gt":
		return ">"
	case "lte":
		return "≤"
	case "lt":
		return "<"
	case "eq":
		return "="
	}
	return op
}

// judge interprets a criterion's rule against the nomination's rulings and the unit's
// facts for the campaign. Without detail the notes are left empty (the result and the
// events are the same): a ranking needs only the result.
func judge(c *Criterion, campaign string, rulings []CriterionRuling, facts *FactSet, detail bool) judgement {
	sprintf := func(format string, a ...any) string {
		if !detail {
			return ""
		}
		return fmt.Sprintf(format, a...)
	}
	r := c.Rule
	if hits := exclusionsApplying(r.Exclusions, campaign, facts); len(hits) > 0 {
		j := judgement{result: ResultExcluded, hits: hits}
		var notes, notesVI []string
		for _, h := range hits {
			j.events = append(j.events, h.event)
			notes = append(notes, sprintf("%s: %s = %s %s %s", h.x.Code, h.x.Fact, num(h.value), opSymbol(h.x.Op), num(h.x.Number)))
			notesVI = append(notesVI, sprintf("%s = %s %s %s", factVI(h.x.Fact), numVI(h.value), opSymbol(h.x.Op), numVI(h.x.Number)))
		}
		j.note, j.noteVI = strings.Join(notes, "; "), strings.Join(notesVI, "; ")
		return j
	}
	if j, ok := conflicted(r, campaign, facts, detail); ok {
		return j
	}
	switch r.Kind {
	case RuleRuling:
		rl, ok := findRuling(rulings, c.ID)
		if !ok {
			return judgement{result: ResultPending, note: "no ruling yet", noteVI: "chưa có kết luận của chuyên viên thẩm định"}
		}
		return judgement{result: rl.Result, note: rl.Note, noteVI: rl.Note, events: []string{rl.EventID}}
	case RuleFactTextEq:
		e, ok := facts.Get(campaign, r.Fact)
		if !ok {
			return judgement{result: ResultPending, note: r.Fact + " not recorded", noteVI: notRecordedVI(r.Fact)}
		}
		note, noteVI := sprintf("%s = %q", r.Fact, e.Data.Text), sprintf("%s = %q", factVI(r.Fact), e.Data.Text)
		if e.Data.Text == r.Text {
			return judgement{result: ResultMet, note: note, noteVI: noteVI, events: []string{e.EventID}}
		}
		return judgement{result: ResultNotMet, note: sprintf("%s, required %q", note, r.Text), noteVI: sprintf("%s, yêu cầu %q", noteVI, r.Text), events: []string{e.EventID}}
	case RuleFactNumber:
		e, ok := facts.Get(campaign, r.Fact)
		if ok && e.Data.Status == StatusNotAssigned {
			return judgement{result: ResultNotApplicable, note: sprintf("%s not assigned: %s", r.Fact, e.Data.Note),
				noteVI: sprintf("không được giao (%s): %s", factVI(r.Fact), e.Data.Note), events: []string{e.EventID}}
		}
		if !ok || e.Data.Number == nil || r.Number == nil {
			return judgement{result: ResultPending, note: r.Fact + " not recorded", noteVI: notRecordedVI(r.Fact)}
		}
		v := *e.Data.Number
		note, noteVI := sprintf("%s = %s", r.Fact, num(v)), sprintf("%s = %s", factVI(r.Fact), numVI(v))
		if compare(v, r.Op, *r.Number) {
			return judgement{result: ResultMet, note: note, noteVI: noteVI, events: []string{e.EventID}}
		}
		for _, cause := range r.ExcusedCauses {
			if e.Data.Cause == cause {
				return judgement{result: ResultMet, note: sprintf("%s, not %s %s, for an %s cause (excused)", note, opSymbol(r.Op), num(*r.Number), cause),
					noteVI: sprintf("%s, chưa đạt %s %s vì lý do %s (được miễn trừ)", noteVI, opSymbol(r.Op), numVI(*r.Number), causeVI(cause)), events: []string{e.EventID}}
			}
		}
		note = sprintf("%s, required %s %s", note, opSymbol(r.Op), num(*r.Number))
		noteVI = sprintf("%s, yêu cầu %s %s", noteVI, opSymbol(r.Op), numVI(*r.Number))
		if e.Data.Cause != "" {
			note += ", cause " + e.Data.Cause
			noteVI += ", lý do " + causeVI(e.Data.Cause)
		}
		return judgement{result: ResultNotMet, note: note, noteVI: noteVI, events: []string{e.EventID}}
	case RuleFactsZero:
		var missing, nonzero, notes, notesVI []string
		var events, bad []string
		for _, f := range r.Facts {
			e, ok := facts.Get(campaign, f)
			if !ok || e.Data.Number == nil {
				missing = append(missing, f)
				continue
			}
			events = append(events, e.EventID)
			notes = append(notes, sprintf("%s = %s", f, num(*e.Data.Number)))
			notesVI = append(notesVI, sprintf("%s = %s", factVI(f), numVI(*e.Data.Number)))
			if *e.Data.Number != 0 {
				nonzero = append(nonzero, f)
				bad = append(bad, e.EventID)
			}
		}
		switch {
		case len(nonzero) > 0:
			return judgement{result: ResultNotMet, note: strings.Join(notes, ", "), noteVI: strings.Join(notesVI, ", "), events: bad}
		case len(missing) > 0:
			return judgement{result: ResultPending, note: strings.Join(missing, ", ") + " not recorded", noteVI: notRecordedVI(missing...), events: events}
		}
		return judgement{result: ResultMet, note: strings.Join(notes, ", "), noteVI: strings.Join(notesVI, ", "), events: events}
	case RuleIndexImproved:
		comps, noneAssigned := facts.assignedComponents(campaign)
		if len(comps) == 0 && noneAssigned {
			e, _ := facts.Get(campaign, FactIndexComponent)
			return judgement{result: ResultNotApplicable, note: sprintf("no index component assigned: %s", e.Data.Note),
				noteVI: sprintf("không được giao chỉ số thành phần nào: %s", e.Data.Note), events: []string{e.EventID}}
		}
		if len(comps) == 0 {
			return judgement{result: ResultPending, note: "no index component recorded", noteVI: "chưa ghi nhận chỉ số thành phần nào"}
		}
		var worse, worseVI, unpublished, notes, notesVI []string
		var all, worseEv, unpubEv []string
		for _, e := range comps {
			d := e.Data
			name := d.Index + "/" + d.Component
			all = append(all, e.EventID)
			switch {
			case d.Status == StatusNotPublished:
				unpublished = append(unpublished, name)
				unpubEv = append(unpubEv, e.EventID)
			case improved(d):
				notes = append(notes, sprintf("%s %s > %s", name, num(*d.Number), num(*d.Previous)))
				notesVI = append(notesVI, sprintf("%s %s > %s", name, numVI(*d.Number), numVI(*d.Previous)))
			default:
				worse = append(worse, sprintf("%s %s ≤ %s", name, num(deref(d.Number)), num(deref(d.Previous))))
				worseVI = append(worseVI, sprintf("%s %s ≤ %s", name, numVI(deref(d.Number)), numVI(deref(d.Previous))))
				worseEv = append(worseEv, e.EventID)
			}
		}
		switch {
		case len(worse) > 0:
			return judgement{result: ResultNotMet, note: "not improved: " + strings.Join(worse, ", "),
				noteVI: "không tăng điểm so với năm trước: " + strings.Join(worseVI, ", "), events: worseEv}
		case len(unpublished) > 0:
			u := strings.Join(unpublished, ", ")
			return judgement{result: ResultPending, note: "not yet published: " + u, noteVI: "chưa công bố kết quả: " + u, events: unpubEv}
		}
		return judgement{result: ResultMet, note: strings.Join(notes, ", "), noteVI: strings.Join(notesVI, ", "), events: all}
	case RuleExclusionsOnly:
		// Met once every exclusion's fact is recorded and none applies; an exclusion
		// that concerns parent units only (ParentOnly) is needed, when the definition
		// says so (ParentRequired), of them alone: of a unit with units registered under
		// it, whose share in breach the plan's C13 excludes on (above 10 %).
		var events, notes, notesVI, missing []string
		subs := facts.subordinateEvents()
		parentMissing := false
		for _, x := range r.Exclusions {
			e, ok := facts.Get(campaign, x.Fact)
			if !ok || e.Data.Number == nil {
				switch {
				case !x.ParentOnly:
					missing = append(missing, x.Fact)
				case x.ParentRequired && len(subs) > 0:
					missing = append(missing, x.Fact)
					parentMissing = true
				}
				continue
			}
			events = appendUnique(events, e.EventID)
			notes = append(notes, sprintf("%s = %s", x.Fact, num(*e.Data.Number)))
			notesVI = append(notesVI, sprintf("%s = %s", factVI(x.Fact), numVI(*e.Data.Number)))
		}
		switch {
		case len(missing) > 0 && parentMissing:
			// The registrations of the units under it are why a parent unit's fact is
			// needed: the auditor sees which.
			return judgement{result: ResultPending,
				note:   sprintf("%s not recorded (a parent unit: %d unit(s) registered under it)", strings.Join(missing, ", "), len(subs)),
				noteVI: sprintf("%s (đơn vị chủ quản của %d đơn vị)", notRecordedVI(missing...), len(subs)),
				events: append(events, subs...)}
		case len(missing) > 0:
			return judgement{result: ResultPending, note: strings.Join(missing, ", ") + " not recorded", noteVI: notRecordedVI(missing...), events: events}
		case len(events) == 0:
			return judgement{result: ResultPending, note: "no discipline fact recorded", noteVI: "chưa ghi nhận số liệu về kỷ luật, kỷ cương hành chính"}
		}
		return judgement{result: ResultMet, note: strings.Join(notes, ", "), noteVI: strings.Join(notesVI, ", "), events: events}
	}
	return judgement{result: ResultPending, note: "unknown rule kind " + r.Kind, noteVI: "loại quy tắc không xác định: " + r.Kind}
}

// ruleFacts returns the names of the facts a rule reads.
func ruleFacts(r Rule) []string {
	var out []string
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(r.Fact)
	for _, f := range r.Facts {
		add(f)
	}
	for _, x := range r.Exclusions {
		add(x.Fact)
	}
	if r.Kind == RuleIndexImproved {
		add(FactIndexComponent)
	}
	return out
}

// conflicted judges a rule that reads a fact the units a merged unit absorbed recorded
// differently (FactSet.Conflicts): pending, naming the values and citing their events,
// until the merged unit's own fact settles it.
func conflicted(r Rule, campaign string, facts *FactSet, detail bool) (judgement, bool) {
	if facts == nil || len(facts.conflicts) == 0 {
		return judgement{}, false // the rule of all but merged units: nothing to look for
	}
	var events, notes, notesVI []string
	for _, f := range ruleFacts(r) {
		for _, c := range facts.Conflicts(campaign, f) {
			if facts.mootConflict(r, f, c) {
				continue
			}
			vals, valsVI, evs := conflictValues(c)
			for _, e := range evs {
				events = appendUnique(events, e)
			}
			if detail {
				name, nameVI := f, factVI(f)
				if d := c.Records[0].Data; d.Index != "" {
					name += " " + d.Index + "/" + d.Component
					nameVI += " " + d.Index + "/" + d.Component
				}
				notes = append(notes, name+": "+vals)
				notesVI = append(notesVI, nameVI+": "+valsVI)
			}
		}
	}
	if len(events) == 0 {
		return judgement{}, false
	}
	j := judgement{result: ResultPending, events: events}
	if detail {
		j.note = "the units merged into this one recorded different values (" + strings.Join(notes, "; ") + "): a reviewer records the merged unit's own"
		j.noteVI = "các đơn vị hợp nhất vào đơn vị này ghi nhận số liệu khác nhau (" + strings.Join(notesVI, "; ") + "): chuyên viên thẩm định ghi nhận số liệu của đơn vị sau hợp nhất"
	}
	return j, true
}

// mootConflict reports whether a conflict c of fact f, in a set combined under the rules'
// revision 3 (FactSet.gaps), keeps nothing of rule r waiting: r reads f only as a parent
// unit's fact it does not need of this unit (parentOnlyMoot), and no value recorded would
// exclude (a review finding: a commune made of a district and a commune waited for a
// parent unit's share it cannot have). A value that would exclude keeps it waiting, as
// before (a review of the first version found 15% and 20% passing C13 once they differed).
func (s *FactSet) mootConflict(r Rule, f string, c Conflict) bool {
	if !s.gaps || !parentOnlyMoot(r, f, len(s.subordinateEvents()) > 0) {
		return false
	}
	for _, e := range c.Records {
		if e.Data.Number == nil {
			return false
		}
		for _, x := range r.Exclusions {
			if x.Fact == f && compare(*e.Data.Number, x.Op, x.Number) && (x.Cause == "" || e.Data.Cause == x.Cause) {
				return false
			}
		}
	}
	return true
}

// parentOnlyMoot reports whether the rule reads fact f only through exclusions that
// concern parent units (Exclusion.ParentOnly) and that do not need it of the unit judged
// (parent: it has units registered under it; Exclusion.ParentRequired).
func parentOnlyMoot(r Rule, f string, parent bool) bool {
	if r.Fact == f || slices.Contains(r.Facts, f) {
		return false
	}
	read := false
	for _, x := range r.Exclusions {
		if x.Fact != f {
			continue
		}
		if !x.ParentOnly || x.ParentRequired && parent {
			return false
		}
		read = true
	}
	return read
}

// conflictValues states a conflict's values (FactSet.Conflicts), in English and in
// Vietnamese, and the units that recorded none, and lists the events that recorded them.
func conflictValues(c Conflict) (en, vi string, events []string) {
	vals, valsVI := make([]string, 0, len(c.Records)+1), make([]string, 0, len(c.Records)+1)
	for _, e := range c.Records {
		vals, valsVI = append(vals, factValue(e.Data, false)), append(valsVI, factValue(e.Data, true))
		events = append(events, e.EventID)
	}
	if len(c.Unrecorded) > 0 {
		units := strings.Join(c.Unrecorded, ", ")
		vals, valsVI = append(vals, "not recorded by "+units), append(valsVI, "chưa ghi nhận tại "+units)
	}
	return strings.Join(vals, " / "), strings.Join(valsVI, " / "), events
}

// factValue states a fact's value, in Vietnamese when vi: its number (with its previous
// value, an index component's as its index/component), its status or its text, and its
// cause.
func factValue(d FactRecordedData, vi bool) string {
	term := func(s string) string {
		if vi {
			return TermVI(s)
		}
		return s
	}
	var v string
	switch {
	case d.Status != "":
		v = term(d.Status)
	case d.Number != nil:
		v = FormatNumber(*d.Number, vi)
		if d.Previous != nil {
			v += " (" + FormatNumber(*d.Previous, vi) + ")"
		}
	default:
		v = strconv.Quote(d.Text)
	}
	if d.Index != "" {
		v = d.Index + "/" + d.Component + " " + v
	}
	if d.Cause != "" {
		v += " " + term(d.Cause)
	}
	return v
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// exclusionsApplying returns the exclusions whose fact is recorded and triggers them.
func exclusionsApplying(xs []Exclusion, campaign string, facts *FactSet) []exclusionHit {
	var hits []exclusionHit
	for _, x := range xs {
		e, ok := facts.Get(campaign, x.Fact)
		if !ok || e.Data.Number == nil {
			continue
		}
		if !compare(*e.Data.Number, x.Op, x.Number) {
			continue
		}
		if x.Cause != "" && e.Data.Cause != x.Cause {
			continue
		}
		hits = append(hits, exclusionHit{x: x, value: *e.Data.Number, event: e.EventID})
	}
	return hits
}

// exclusionMessages returns the Vietnamese and English messages of an exclusion.
func exclusionMessages(h exclusionHit) (vi, en string) {
	vi, en = exclusionMessage(h, numVI(h.value), numVI(h.x.Number), true), exclusionMessage(h, num(h.value), num(h.x.Number), false)
	return vi, en
}

// exclusionMessage returns an exclusion's message in Vietnamese (vi) or English, with its
// value v and threshold t written for that language.
func exclusionMessage(h exclusionHit, v, t string, vi bool) string {
	pick := func(viText, enText string) string {
		if vi {
			return viText
		}
		return enText
	}
	switch h.x.Code {
	case "excluded_disbursement_subjective":
		return pick(fmt.Sprintf("Không xét khen thưởng: giải ngân vốn đầu tư công đạt %s%%, chưa đạt %s%% vì lý do chủ quan", v, t),
			fmt.Sprintf("Excluded: public investment disbursed %s%%, below %s%% for a subjective cause", v, t))
	case "excluded_discipline_staff_hours":
		return pick(fmt.Sprintf("Không xét khen thưởng: %s%% cán bộ, công chức, viên chức không chấp hành nghiêm giờ giấc làm việc (trên %s%% tổng số biên chế)", v, t),
			fmt.Sprintf("Excluded: %s%% of staff did not keep working hours (more than %s%% of the headcount)", v, t))
	case "excluded_discipline_subordinates":
		return pick(fmt.Sprintf("Không xét khen thưởng: %s%% cơ quan, đơn vị thuộc, trực thuộc vi phạm kỷ luật, kỷ cương hành chính (trên %s%%)", v, t),
			fmt.Sprintf("Excluded: %s%% of subordinate units violated administrative discipline (more than %s%%)", v, t))
	case "excluded_late_directives":
		return pick(fmt.Sprintf("Không xét khen thưởng: %s văn bản chỉ đạo, điều hành được Ủy ban nhân dân tỉnh giao chưa đảm bảo thời hạn", v),
			fmt.Sprintf("Excluded: %s directive documents assigned by the provincial People's Committee were not completed on time", v))
	}
	return pick(fmt.Sprintf("Không xét khen thưởng: %s = %s %s %s", factVI(h.x.Fact), v, opSymbol(h.x.Op), t),
		fmt.Sprintf("Excluded (%s): %s = %s %s %s", h.x.Code, h.x.Fact, v, opSymbol(h.x.Op), t))
}
