package domain

import (
	"slices"
	"sort"
	"strings"
)

// Reason codes of Evaluate (exclusion codes come from the definition's rules).
const (
	// ReasonNotSubmitted: the dossier has not been submitted.
	ReasonNotSubmitted = "not_submitted"
	// ReasonReturned: the dossier was returned for amendment.
	ReasonReturned = "returned"
	// ReasonWithdrawn: the nomination was withdrawn.
	ReasonWithdrawn = "withdrawn"
	// ReasonOnHold: the nomination is on hold.
	ReasonOnHold = "on_hold"
	// ReasonAwardRevoked: the nomination's award was revoked.
	ReasonAwardRevoked = "award_revoked"
	// ReasonDossierIncomplete: dossier parts or the council vote are missing.
	ReasonDossierIncomplete = "dossier_incomplete"
	// ReasonCouncilVoteFailed: the latest council vote misses quorum or threshold.
	ReasonCouncilVoteFailed = "council_vote_failed"
	// ReasonPlanMissing: the unit submitted no emulation plan (collectives only).
	ReasonPlanMissing = "plan_missing"
	// ReasonCriterionNotMet: a criterion is not met.
	ReasonCriterionNotMet = "criterion_not_met"
	// ReasonCriterionPending: a criterion awaits a ruling or facts.
	ReasonCriterionPending = "criterion_pending"
	// ReasonFactsConflict: a fact the ranking reads (no criterion does) was recorded
	// differently by the units merged into the nominee's unit, and the merged unit has
	// not recorded its own (FactSet.Conflicts).
	ReasonFactsConflict = "facts_conflict"
)

// CriterionResult is one criterion's result: met, not_met, pending, not_applicable or
// excluded, with a note and the ids of the events it rests on.
type CriterionResult struct {
	Result string `json:"result"`
	// Note is in English, or the reviewer's own words for a ruling.
	Note string `json:"note,omitempty"`
	// NoteVI is Note in Vietnamese (the reviewer's own words for a ruling).
	NoteVI string   `json:"note_vi,omitempty"`
	Events []string `json:"events"`
}

// Reason is why a nomination is not eligible, with a stable code, the criterion when one
// applies, messages in Vietnamese and English, and the ids of the events that caused it.
type Reason struct {
	Code      string   `json:"code"`
	Criterion string   `json:"criterion,omitempty"`
	MessageVI string   `json:"message_vi"`
	MessageEN string   `json:"message_en"`
	Events    []string `json:"events"`
}

// Eligibility is the verdict on a nomination: eligible when there is no reason against it.
type Eligibility struct {
	Eligible bool                       `json:"eligible"`
	Criteria map[string]CriterionResult `json:"criteria"`
	Reasons  []Reason                   `json:"reasons"`
}

func ids(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Evaluate judges a nomination against the campaign definition, the unit's facts (its
// own and its lineage's, for the campaign def.ID) and the unit's emulation plan (nil when
// none was submitted). A nomination is eligible when it has been submitted and is not
// withdrawn, returned or on hold, its dossier is complete, its council vote passes, the
// plan exists (collectives), no exclusion applies and every applicable criterion is met
// or not applicable. The result is deterministic: reasons are sorted by criterion, then
// code.
func Evaluate(def Definition, n *Nomination, facts *FactSet, plan *PlanRef) Eligibility {
	// Keep in step with StateRulesOut and Eligible: the states StateRulesOut names are
	// the ones that add a reason here whatever the evidence, and Eligible makes the
	// checks below without their messages.
	el := Eligibility{Criteria: map[string]CriterionResult{}, Reasons: []Reason{}}
	if n == nil {
		return el
	}
	add := func(r Reason) { el.Reasons = append(el.Reasons, r) }

	state := n.state
	if state == StateOnHold {
		add(Reason{Code: ReasonOnHold, MessageVI: "Hồ sơ đang tạm dừng xét (đang xem xét kỷ luật, điều tra hoặc giải quyết khiếu nại)",
			MessageEN: "The nomination is on hold (discipline review, investigation or a pending complaint)", Events: ids(n.holdEvent)})
		state = n.heldFrom
	}
	switch state {
	case StateDraft, "":
		add(Reason{Code: ReasonNotSubmitted, MessageVI: "Hồ sơ chưa được trình", MessageEN: "The dossier has not been submitted", Events: ids(n.openedEvent)})
	case StateReturned:
		add(Reason{Code: ReasonReturned, MessageVI: "Hồ sơ đã bị trả lại để bổ sung, chưa trình lại",
			MessageEN: "The dossier was returned for amendment and not submitted again", Events: ids(n.lastReturn)})
	case StateWithdrawn:
		add(Reason{Code: ReasonWithdrawn, MessageVI: "Hồ sơ đã được rút", MessageEN: "The nomination was withdrawn", Events: ids(n.withdrawEvent)})
	case StateRevoked:
		add(Reason{Code: ReasonAwardRevoked, MessageVI: "Khen thưởng đã bị thu hồi", MessageEN: "The award was revoked", Events: ids(n.revokeEvent)})
	}

	if missing := n.MissingParts(def); len(missing) > 0 {
		add(Reason{Code: ReasonDossierIncomplete,
			MessageVI: "Hồ sơ chưa đầy đủ, còn thiếu: " + strings.Join(missingVI(missing), ", "),
			MessageEN: "The dossier is incomplete, missing: " + strings.Join(missingEN(missing), ", "),
			Events:    ids(n.openedEvent)})
	}
	if n.vote != nil {
		if q, a := VoteResult(def, n.vote.CouncilVoteData); !q || !a {
			en, vi := voteMessages(def, n.vote.CouncilVoteData, q, a)
			add(Reason{Code: ReasonCouncilVoteFailed, MessageVI: vi, MessageEN: en, Events: ids(n.vote.EventID)})
		}
	}
	if n.nominee.Kind == NomineeCollective && plan == nil {
		add(Reason{Code: ReasonPlanMissing,
			MessageVI: "Đơn vị chưa nộp Kế hoạch phát động phong trào thi đua đẩy mạnh cải cách hành chính của đơn vị",
			MessageEN: "The unit has not submitted its own emulation plan for the campaign"})
	}

	for i := range def.Criteria {
		c := &def.Criteria[i]
		if !c.AppliesToNominee(n.nominee) {
			continue
		}
		j := judge(c, def.ID, n.rulings, facts, true)
		el.Criteria[c.ID] = CriterionResult{Result: j.result, Note: j.note, NoteVI: j.noteVI, Events: j.events}
		switch j.result {
		case ResultNotMet:
			vi, en := "Tiêu chí "+c.ID+" chưa đạt", "Criterion "+c.ID+" is not met"
			vi, en = withNote(vi, j.noteVI), withNote(en, j.note)
			add(Reason{Code: ReasonCriterionNotMet, Criterion: c.ID, MessageVI: vi + ": " + c.LabelVI, MessageEN: en + ": " + c.LabelEN, Events: j.events})
		case ResultPending:
			vi, en := "Tiêu chí "+c.ID+" chưa có kết luận hoặc số liệu", "Criterion "+c.ID+" awaits a ruling or facts"
			vi, en = withNote(vi, j.noteVI), withNote(en, j.note)
			add(Reason{Code: ReasonCriterionPending, Criterion: c.ID, MessageVI: vi, MessageEN: en, Events: j.events})
		case ResultExcluded:
			for _, h := range j.hits {
				vi, en := exclusionMessages(h)
				add(Reason{Code: h.x.Code, Criterion: c.ID, MessageVI: vi, MessageEN: en, Events: ids(h.event)})
			}
		case ResultMet, ResultNotApplicable:
		default:
			add(Reason{Code: ReasonCriterionNotMet, Criterion: c.ID, MessageVI: "Tiêu chí " + c.ID + ": kết luận không hợp lệ " + j.result,
				MessageEN: "Criterion " + c.ID + ": invalid result " + j.result, Events: j.events})
		}
	}
	for _, f := range rankedConflicts(def, n.nominee, facts) {
		add(Reason{Code: ReasonFactsConflict,
			MessageVI: "Các đơn vị hợp nhất vào đơn vị này ghi nhận " + factVI(f.name) + " khác nhau (" + f.valuesVI + "), dùng để xếp hạng: chuyên viên thẩm định ghi nhận số liệu của đơn vị sau hợp nhất",
			MessageEN: "The units merged into this one recorded different " + f.name + " (" + f.values + "), which the ranking reads: a reviewer records the merged unit's own",
			Events:    f.events})
	}
	sort.SliceStable(el.Reasons, func(i, j int) bool {
		a, b := el.Reasons[i], el.Reasons[j]
		if a.Criterion != b.Criterion {
			return a.Criterion < b.Criterion
		}
		return a.Code < b.Code
	})
	el.Eligible = len(el.Reasons) == 0
	return el
}

// StateRulesOut reports whether the nomination's state alone makes it not eligible,
// whatever the facts, rulings and plan: it is on hold, a draft, returned, withdrawn or
// revoked. Evaluate adds a reason for each of these states, so a ranking may skip the
// rest of the evaluation for them.
func StateRulesOut(n *Nomination) bool {
	if n == nil {
		return true
	}
	switch n.state {
	case StateOnHold, StateDraft, "", StateReturned, StateWithdrawn, StateRevoked:
		return true
	}
	return false
}

// Eligible reports what Evaluate(def, n, facts, plan).Eligible reports, without building
// the reasons, their messages and the criteria's notes: a ranking asks it of every
// nomination of a campaign. It makes Evaluate's checks in Evaluate's way
// (TestEligibleAgreesWithEvaluate).
func Eligible(def Definition, n *Nomination, facts *FactSet, plan *PlanRef) bool {
	if StateRulesOut(n) {
		return false
	}
	if len(n.MissingParts(def)) > 0 {
		return false
	}
	if n.vote != nil {
		if q, a := VoteResult(def, n.vote.CouncilVoteData); !q || !a {
			return false
		}
	}
	if n.nominee.Kind == NomineeCollective && plan == nil {
		return false
	}
	for i := range def.Criteria {
		c := &def.Criteria[i]
		if !c.AppliesToNominee(n.nominee) {
			continue
		}
		switch judge(c, def.ID, n.rulings, facts, false).result {
		case ResultMet, ResultNotApplicable:
		default:
			return false
		}
	}
	return len(rankedConflicts(def, n.nominee, facts)) == 0
}

// priorityKnown reports whether a conflict of women_pct (the merged units' shares of
// women) leaves the collectives' priority (WomenPriorityPct) known all the same: every
// share recorded is below it (a share not recorded never gives the priority, so the merged
// unit has none, as when no unit recorded one), or every absorbed unit recorded one and
// all are at or above it (any mix of them is too).
func priorityKnown(c Conflict) bool {
	below, above := 0, 0
	for _, e := range c.Records {
		switch {
		case e.Data.Number == nil:
			return false
		case *e.Data.Number < WomenPriorityPct:
			below++
		default:
			above++
		}
	}
	return above == 0 || below == 0 && len(c.Unrecorded) == 0
}

// ConflictWaits reports whether a conflict of the merged units' facts (FactSet.Conflicts)
// keeps something of the unit waiting under def, as the eligibility reads it: a criterion
// that reads the fact (unless, under the rules' revision 3, the conflict is moot for it:
// FactSet.mootConflict), or a ranking key that reads it (unless its shares of women give
// the priority, or none, whichever is taken: priorityKnown). The unit page lists only
// those (review findings: it listed conflicts nothing waited for, and its first filter
// left out ones that something did).
func ConflictWaits(def Definition, facts *FactSet, c Conflict) bool {
	if len(c.Records) == 0 {
		return false
	}
	f := c.Records[0].Data.Fact
	for i := range def.Criteria {
		if r := def.Criteria[i].Rule; slices.Contains(ruleFacts(r), f) && !facts.mootConflict(r, f, c) {
			return true
		}
	}
	for _, k := range def.RankingKeys {
		if rankedFact(k) == f {
			return f != FactWomenPct || def.RulesRevision < 3 || !priorityKnown(c)
		}
	}
	return false
}

// rankedFact is the fact a ranking key reads of a unit ("" for none): the PAR INDEX score,
// the index components (improved_components) or the share of women (the collectives'
// priority).
func rankedFact(key string) string {
	switch key {
	case KeyParIndexScore:
		return FactParIndexScore
	case KeyImprovedComponents:
		return FactIndexComponent
	case KeyPriority:
		return FactWomenPct
	}
	return ""
}

// WomenPct returns the share of women the ranking reads of a unit's facts (Candidate.WomenPct):
// the one held, or, under the rules' revision 3, the least of merged units' shares that
// all give the priority (priorityKnown).
func WomenPct(def Definition, facts *FactSet) (float64, bool) {
	if v, ok := facts.Number(def.ID, FactWomenPct); ok {
		return v, true
	}
	if def.RulesRevision < 3 {
		return 0, false
	}
	for _, c := range facts.Conflicts(def.ID, FactWomenPct) {
		if !priorityKnown(c) || len(c.Records) == 0 || *c.Records[0].Data.Number < WomenPriorityPct {
			continue
		}
		least := *c.Records[0].Data.Number
		for _, e := range c.Records[1:] {
			least = min(least, *e.Data.Number)
		}
		return least, true
	}
	return 0, false
}

// factConflict is a fact the ranking reads that a merged unit's predecessors recorded
// differently: its name, the values and their events.
type factConflict struct {
	name, values, valuesVI string
	events                 []string
}

// rankedConflicts returns the conflicts (FactSet.Conflicts) in the facts that the
// definition's ranking keys read for the nominee and no criterion applying to it reads
// (a criterion that reads one is pending already, naming it).
func rankedConflicts(def Definition, nominee Nominee, facts *FactSet) []factConflict {
	if facts == nil || len(facts.conflicts) == 0 {
		return nil
	}
	var out []factConflict
	for _, k := range def.RankingKeys {
		f := rankedFact(k)
		if f == "" || k == KeyPriority && nominee.Kind != NomineeCollective {
			continue // an individual's priority is her own, not a unit's fact
		}
		read := false
		for i := range def.Criteria {
			if c := &def.Criteria[i]; c.AppliesToNominee(nominee) && slices.Contains(ruleFacts(c.Rule), f) {
				read = true
				break
			}
		}
		if read {
			continue
		}
		for _, c := range facts.Conflicts(def.ID, f) {
			if f == FactWomenPct && def.RulesRevision >= 3 && priorityKnown(c) {
				// Shares that give the merged unit the priority, or none, whichever is
				// taken rank it alike: no conflict for the ranking (rules' revision 3;
				// review findings: 40% and 55% kept the merged unit from eligibility, and
				// so did 75% and 80%).
				continue
			}
			fc := factConflict{name: f}
			fc.values, fc.valuesVI, fc.events = conflictValues(c)
			out = append(out, fc)
		}
	}
	return out
}
