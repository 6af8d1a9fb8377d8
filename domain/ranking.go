package domain

import (
	"fmt"
	"slices"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// WomenPriorityPct is the share of women from which a collective gets priority in a tie.
const WomenPriorityPct = 70

// Candidate is an eligible nomination with the values its ranking keys read.
type Candidate struct {
	Nomination string
	Unit       string
	Name       string
	// ParIndexScore is the unit's PAR INDEX score (nil when not recorded: ranked last).
	ParIndexScore *float64
	// ImprovedComponents is CountImproved of the unit's facts.
	ImprovedComponents int
	// ApprovalRatio is approve/members of the latest council vote.
	ApprovalRatio float64
	// Woman marks a female individual (priority).
	Woman bool
	// WomenPct is the unit's women_pct fact (collectives: priority from 70%).
	WomenPct     *float64
	SubmittedAt  time.Time
	SubmittedSeq uint64
	// Awarded marks a nomination granted the award (and not revoked): it holds its place.
	Awarded bool
	// PersonOnHold marks an individual nomination whose person (SamePerson) has another
	// nomination on hold in the same unit, as when a merger joined two units that had
	// both nominated them: the hold is on the person (WithheldPersonOnHold).
	PersonOnHold bool
	// UnitOnHold marks a collective nomination whose unit has another collective
	// nomination on hold, as when a merger passed a district's nomination to a district
	// under inspection: the hold is on the unit (WithheldUnitOnHold).
	UnitOnHold bool
}

// RankEntry is one line of a ranking. DecidedBy names the first ranking key that separated
// the entry from the one above ("" for the first; "nomination" when only the id did).
// Withheld says why an entry within the quota's reach is not recommended: WithheldLineage.
type RankEntry struct {
	Rank        int            `json:"rank"`
	Nomination  string         `json:"nomination"`
	Unit        string         `json:"unit"`
	Name        string         `json:"name"`
	Recommended bool           `json:"recommended"`
	Withheld    string         `json:"withheld,omitempty"`
	Keys        map[string]any `json:"keys"`
	DecidedBy   string         `json:"decided_by,omitempty"`
}

// Reasons an entry within the quota's reach is not recommended (RankEntry.Withheld).
const (
	// WithheldLineage marks a collective entry that is not recommended because another
	// nomination of the same unit ranks above it: one collective award per unit lineage
	// and campaign, so the place goes to the next unit.
	WithheldLineage = "lineage"
	// WithheldPerson marks an individual entry that is not recommended because another
	// nomination of the same person (SamePerson) in the same unit ranks above it or holds
	// the award, as when a merger joined two units that had both nominated them: one
	// achievement is not rewarded twice (Definition.OneAwardPerPerson).
	WithheldPerson = "person"
	// WithheldPersonOnHold marks an individual entry that is not recommended because
	// another nomination of the same person in the same unit is on hold (a discipline
	// review, an investigation or a complaint): the hold is on the person, not on one
	// dossier (Candidate.PersonOnHold). The grant is refused too (person_on_hold).
	WithheldPersonOnHold = "person_on_hold"
	// WithheldUnitOnHold marks a collective entry that is not recommended because another
	// collective nomination of its unit is on hold (an inspection or a complaint of the
	// unit): the hold is on the unit, not on one dossier (Candidate.UnitOnHold). The grant
	// is refused too (unit_on_hold).
	WithheldUnitOnHold = "unit_on_hold"
	// WithheldUndisclosed is what a reader who may not read the nomination (a clerk of
	// another unit) is shown of an entry withheld for any reason: one of them, a hold of the
	// person (WithheldPersonOnHold: a discipline review, an investigation or a complaint),
	// is not theirs to learn, and a stand-in for it alone would name it. The entry is not
	// recommended, and takes no place.
	WithheldUndisclosed = "undisclosed"
)

func (c Candidate) priority(kind NomineeKind) bool {
	if kind == NomineeIndividual {
		return c.Woman
	}
	return c.WomenPct != nil && *c.WomenPct >= WomenPriorityPct
}

// Rank orders the candidates of one kind by def.RankingKeys (par_index_score desc with
// missing last, improved_components desc, approval_ratio desc, priority first,
// submitted_at asc then sequence asc, name in Vietnamese collation), breaks any remaining
// tie by nomination id, and marks what the quota allows as recommended. held is the number
// of awards of the kind granted and not revoked: they take their places first (an awarded
// candidate is marked recommended wherever it ranks, since the council may grant any
// eligible nomination), and the places left go to the best-ranked others; of several
// collective nominations of one unit, only the first, and likewise of one person's
// individual nominations in one unit under OneAwardPerPerson (Withheld names the others'
// reason).
// So no more entries are recommended than the quota has places.
func Rank(def Definition, kind NomineeKind, cands []Candidate, held int) []RankEntry {
	col := collate.New(language.Vietnamese)
	cmpKey := func(key string, a, b *Candidate) int {
		switch key {
		case KeyParIndexScore:
			switch {
			case a.ParIndexScore == nil && b.ParIndexScore == nil:
				return 0
			case a.ParIndexScore == nil:
				return 1
			case b.ParIndexScore == nil:
				return -1
			}
			return cmpDesc(*a.ParIndexScore, *b.ParIndexScore)
		case KeyImprovedComponents:
			return cmpDesc(float64(a.ImprovedComponents), float64(b.ImprovedComponents))
		case KeyApprovalRatio:
			return cmpDesc(a.ApprovalRatio, b.ApprovalRatio)
		case KeyPriority:
			pa, pb := a.priority(kind), b.priority(kind)
			switch {
			case pa == pb:
				return 0
			case pa:
				return -1
			}
			return 1
		case KeySubmittedAt:
			if c := a.SubmittedAt.Compare(b.SubmittedAt); c != 0 {
				return c
			}
			switch {
			case a.SubmittedSeq < b.SubmittedSeq:
				return -1
			case a.SubmittedSeq > b.SubmittedSeq:
				return 1
			}
			return 0
		case KeyName:
			return col.CompareString(a.Name, b.Name)
		}
		return 0
	}
	decide := func(a, b *Candidate) (int, string) {
		for _, k := range def.RankingKeys {
			if c := cmpKey(k, a, b); c != 0 {
				return c, k
			}
		}
		switch {
		case a.Nomination < b.Nomination:
			return -1, "nomination"
		case a.Nomination > b.Nomination:
			return 1, "nomination"
		}
		return 0, ""
	}
	// The order is total (the nomination id breaks every tie), so any sort gives the same
	// one; sorting pointers spares each comparison a copy of two candidates.
	sorted := make([]*Candidate, len(cands))
	for i := range cands {
		sorted[i] = &cands[i]
	}
	slices.SortFunc(sorted, func(a, b *Candidate) int {
		c, _ := decide(a, b)
		return c
	})
	places := max(def.Quota.For(kind)-held, 0)
	out := make([]RankEntry, 0, len(sorted))
	var units map[string]bool // collectives' units awarded or recommended so far
	if kind == NomineeCollective {
		units = map[string]bool{}
		for _, c := range sorted {
			if c.Awarded {
				units[c.Unit] = true
			}
		}
	}
	var people map[string][]string // individuals awarded or recommended so far, per unit
	if kind == NomineeIndividual && def.OneAwardPerPerson {
		people = map[string][]string{}
		for _, c := range sorted {
			if c.Awarded {
				people[c.Unit] = append(people[c.Unit], c.Name)
			}
		}
	}
	samePerson := func(c *Candidate) bool {
		return slices.ContainsFunc(people[c.Unit], func(name string) bool { return SamePerson(name, c.Name) })
	}
	for i, c := range sorted {
		e := RankEntry{Rank: i + 1, Nomination: c.Nomination, Unit: c.Unit, Name: c.Name, Keys: make(map[string]any, len(def.RankingKeys))}
		switch {
		case c.Awarded:
			e.Recommended = true
		case places > 0:
			switch {
			case c.PersonOnHold:
				e.Withheld = WithheldPersonOnHold
			case c.UnitOnHold:
				e.Withheld = WithheldUnitOnHold
			case units != nil && units[c.Unit]:
				e.Withheld = WithheldLineage
			case people != nil && samePerson(c):
				e.Withheld = WithheldPerson
			default:
				e.Recommended = true
				places--
				if units != nil {
					units[c.Unit] = true
				}
				if people != nil {
					people[c.Unit] = append(people[c.Unit], c.Name)
				}
			}
		}
		for _, k := range def.RankingKeys {
			switch k {
			case KeyParIndexScore:
				if c.ParIndexScore != nil {
					e.Keys[k] = *c.ParIndexScore
				} else {
					e.Keys[k] = nil
				}
			case KeyImprovedComponents:
				e.Keys[k] = c.ImprovedComponents
			case KeyApprovalRatio:
				e.Keys[k] = c.ApprovalRatio
			case KeyPriority:
				e.Keys[k] = c.priority(kind)
			case KeySubmittedAt:
				e.Keys[k] = c.SubmittedAt
			case KeyName:
				e.Keys[k] = c.Name
			}
		}
		if i > 0 {
			_, e.DecidedBy = decide(sorted[i-1], c)
		}
		out = append(out, e)
	}
	return out
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// CheckNomineeNotOnHold refuses, with person_on_hold, to grant individual nomination n while
// another nomination of the same person (SamePerson) in its unit, among others, is on hold
// (a merger joins two units' nominations of one person): the hold is on the person, not on
// one dossier, as the ranking withholds n (WithheldPersonOnHold). It refuses, with
// unit_on_hold, to grant collective nomination n while another collective nomination of
// its unit is on hold (a review finding: a merger passed one district's collective
// nomination to a district under inspection, whose own was on hold, and the grant made the
// inspected district's collective award). others may hold other campaigns' nominations: a
// hold is on the nominee, in every campaign (a review finding: a person under discipline
// review in one campaign was granted another campaign's award).
func CheckNomineeNotOnHold(n *Nomination, others []*Nomination) error {
	if n == nil {
		return nil
	}
	for _, o := range others {
		if o == nil || o.id == n.id || o.state != StateOnHold || o.nominee.Kind != n.nominee.Kind || o.Unit() != n.Unit() {
			continue
		}
		where, whereVI := "", ""
		if o.campaign != n.campaign {
			where, whereVI = " in campaign "+o.campaign, " trong đợt "+o.campaign
		}
		if n.nominee.Kind == NomineeCollective {
			return ruleErr("unit_on_hold",
				fmt.Sprintf("unit %s has another collective nomination on hold%s (%s, event %s): the hold is on the unit until a reviewer releases it", n.Unit(), where, o.id, o.holdEvent),
				fmt.Sprintf("Đơn vị %s có hồ sơ đề nghị khen thưởng tập thể khác đang tạm dừng xét%s (hồ sơ %s): việc tạm dừng áp dụng cho đơn vị cho đến khi được gỡ bỏ", n.Unit(), whereVI, o.id))
		}
		if !SamePerson(o.nominee.Name, n.nominee.Name) {
			continue
		}
		return ruleErr("person_on_hold",
			fmt.Sprintf("%s has another nomination on hold in unit %s%s (%s, event %s): the hold is on the person until a reviewer releases it", n.nominee.Name, n.Unit(), where, o.id, o.holdEvent),
			fmt.Sprintf("%s có hồ sơ khác đang tạm dừng xét tại đơn vị %s%s (hồ sơ %s): việc tạm dừng áp dụng cho người được đề nghị cho đến khi được gỡ bỏ", n.nominee.Name, n.Unit(), whereVI, o.id))
	}
	return nil
}
