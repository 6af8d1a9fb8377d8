package projections

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// ErrNotFound is returned (wrapped) for an unknown nomination, unit, campaign or award, or
// one that did not exist yet at the moment asked about.
var ErrNotFound = errors.New("not found")

// ErrIncomplete is returned (wrapped) for an aggregate whose history in the stream lacks
// what an answer needs: a nomination whose opening event is not in the stream (lost on
// disk), so that its campaign and unit are unknown. Its audit trail can still be read.
var ErrIncomplete = errors.New("history incomplete")

// ErrUnknownCursor is returned by a paged listing for a cursor that names nothing of the
// list.
var ErrUnknownCursor = errors.New("unknown cursor")

// evalResult is everything an evaluation of one nomination at one moment used.
type evalResult struct {
	nom      *domain.Nomination
	camp     *domain.Campaign
	def      domain.Definition
	facts    *domain.FactSet
	plan     *domain.PlanRef
	el       domain.Eligibility
	lastSeq  uint64
	lastAt   time.Time
	unitName string
	// integrity is what flagIntegrity found (integrity.go).
	integrity IntegrityView
}

// Eligibility answers whether a nomination is eligible at a moment (the zero Bound: now),
// with every reason and the events behind it.
func (m *Model) Eligibility(id string, b Bound) (EligibilityView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	return m.eligibility(id, m.pin(b))
}

func (m *Model) eligibility(id string, b Bound) (EligibilityView, error) {
	r, err := m.evalAt(id, b)
	if err != nil {
		return EligibilityView{}, err
	}
	return m.eligibilityView(id, b, r), nil
}

func (m *Model) eligibilityView(id string, b Bound, r *evalResult) EligibilityView {
	v := EligibilityView{
		Nomination:        id,
		AsOf:              r.lastAt,
		AsOfSeq:           r.lastSeq,
		State:             string(r.nom.State()),
		Unit:              r.nom.Unit(),
		Eligible:          r.el.Eligible,
		Reasons:           make([]ReasonView, 0, len(r.el.Reasons)),
		Criteria:          criteriaViews(r.def, r.el),
		DefinitionVersion: r.def.Version,
		Integrity:         r.integrity,
	}
	if !b.Time.IsZero() {
		v.AsOf = b.Time.UTC()
	}
	var refs map[string]EventRefView
	for _, rs := range r.el.Reasons {
		if len(rs.Events) > 0 && refs == nil {
			refs = m.reasonEvents(r, b)
		}
		details := make([]EventRefView, 0, len(rs.Events))
		for _, id := range rs.Events {
			if d, ok := refs[id]; ok {
				details = append(details, d)
			}
		}
		v.Reasons = append(v.Reasons, ReasonView{
			Code: rs.Code, Criterion: rs.Criterion, MessageVI: rs.MessageVI, MessageEN: rs.MessageEN,
			Events: nonNil(rs.Events), EventDetails: details,
		})
	}
	return v
}

// reasonEvents returns the events, within the bound, that a nomination's reasons can
// name: those of the nomination, of its campaign and of the units whose evidence it reads
// (its line and their lineage), and the registrations of those units' subordinates (C13
// of a parent unit). It reads nothing else: a reason's event it does not hold is named
// by its id alone. The caller holds the read lock.
func (m *Model) reasonEvents(r *evalResult, b Bound) map[string]EventRefView {
	refs := []eventstore.Ref{{Kind: domain.KindNomination, ID: r.nom.ID()}, {Kind: domain.KindCampaign, ID: r.nom.Campaign()}}
	seen := map[string]bool{}
	for _, u := range append(r.nom.EvidencePath(), m.lineage(r.nom.Unit(), b)...) {
		if !seen[u] {
			seen[u] = true
			refs = append(refs, eventstore.Ref{Kind: domain.KindUnit, ID: u})
		}
	}
	out := map[string]EventRefView{}
	for _, ref := range refs {
		for _, e := range m.entries(ref) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			out[e.Rec.ID] = m.eventRef(e)
		}
	}
	for u := range seen {
		for _, c := range m.children[u] {
			if ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: c}); len(ents) > 0 && b.includes(ents[0].Rec.Seq, ents[0].Rec.At) {
				out[ents[0].Rec.ID] = m.eventRef(ents[0])
			}
		}
	}
	return out
}

// eventRef describes an entry as a reason names it. The caller holds the read lock.
func (m *Model) eventRef(e *Entry) EventRefView {
	return EventRefView{ID: e.Rec.ID, Seq: e.Rec.Seq, Type: e.Rec.Type, At: e.Rec.At, Aggregate: e.Aggregate,
		Actor: ActorView{User: e.Rec.Actor.User, Role: string(e.Rec.Actor.Role), Name: m.actorName(e.Rec.Actor.User)}}
}

func criteriaViews(def domain.Definition, el domain.Eligibility) map[string]CriterionView {
	out := make(map[string]CriterionView, len(el.Criteria))
	for id, c := range el.Criteria {
		// The definition's criteria are a few dozen: looked up in place, not copied into
		// a map for every view.
		var d *domain.Criterion
		for i := range def.Criteria {
			if def.Criteria[i].ID == id {
				d = &def.Criteria[i]
				break
			}
		}
		v := CriterionView{Result: c.Result, Note: c.Note, NoteVI: c.NoteVI, Events: nonNil(c.Events)}
		if d != nil {
			v.LabelVI, v.LabelEN, v.JudgedBy = d.LabelVI, d.LabelEN, d.JudgedBy
		}
		out[id] = v
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// evalAt folds a nomination and the evidence about its unit up to the bound, and
// evaluates the campaign's rules in force then. The caller holds the read lock.
func (m *Model) evalAt(id string, b Bound) (*evalResult, error) { return m.evalAtWith(id, b, nil) }

// evalAtWith is evalAt sharing the campaign and unit folds of one bound through cache
// (nil: none); see evalcache.go.
func (m *Model) evalAtWith(id string, b Bound, cache *evalCache) (*evalResult, error) {
	n, last, err := m.nominationAt(id, b)
	if err != nil {
		return nil, err
	}
	return m.evalFolded(id, n, last, b, cache, true)
}

// nominationAt returns a nomination as of the bound (the live state for the zero bound
// or when all its events are within the bound; a fresh fold otherwise) and the latest of
// its events up to the bound. The caller holds the read lock and must not change it.
func (m *Model) nominationAt(id string, b Bound) (*domain.Nomination, *Entry, error) {
	return m.nominationInto(id, b, nil)
}

// nominationInto is nominationAt folding into scratch, reset first, when the bound needs
// a fresh fold (nil: a new nomination); the caller must be done with what scratch held.
func (m *Model) nominationInto(id string, b Bound, scratch *domain.Nomination) (*domain.Nomination, *Entry, error) {
	ents := m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id})
	if b.Live() {
		n := m.noms[id]
		if n == nil {
			return nil, nil, fmt.Errorf("%w: nomination %s", ErrNotFound, id)
		}
		var last *Entry
		if len(ents) > 0 {
			last = ents[len(ents)-1]
		}
		return n, last, nil
	}
	if k := len(ents); k > 0 && allWithin(ents, b) {
		// Every event is within the bound: the live state is that fold.
		if n := m.noms[id]; n != nil {
			return n, ents[k-1], nil
		}
	}
	n := scratch
	if n == nil {
		n = domain.NewNomination()
	} else {
		n.Reset()
	}
	var last *Entry
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if e.Known {
			n.Apply(e.Rec)
		}
		last = e
	}
	if n.ID() == "" {
		return nil, nil, fmt.Errorf("%w: nomination %s (as of that moment)", ErrNotFound, id)
	}
	return n, last, nil
}

// allWithin reports whether every one of an aggregate's entries is within the bound. Their
// sequences increase, so the last tells for a sequence; their recorded times need not (a
// clock stepped back, servers' skew), and the fold of a time bound stops at the first
// entry after it, as every other as-of answer does: were the last entry alone read, an
// eligibility would take in an event recorded after the bound that the same moment's
// nomination view and audit trail leave out (a review finding).
func allWithin(ents []*Entry, b Bound) bool {
	k := len(ents)
	if k == 0 || !b.includes(ents[k-1].Rec.Seq, ents[k-1].Rec.At) {
		return false
	}
	if !b.Time.IsZero() {
		for _, e := range ents[:k-1] {
			if e.Rec.At.After(b.Time) {
				return false
			}
		}
	}
	return true
}

// evalFolded evaluates a nomination folded to the bound (last: its latest event then)
// against the campaign and its unit's evidence at the bound. Unless full, only whether it
// is eligible is worked out (r.el has no reasons nor criteria): what a ranking needs.
func (m *Model) evalFolded(id string, n *domain.Nomination, last *Entry, b Bound, cache *evalCache, full bool) (*evalResult, error) {
	r := &evalResult{}
	if err := m.evalInto(r, id, n, last, b, cache, full); err != nil {
		return nil, err
	}
	return r, nil
}

// evalInto is evalFolded into r, which it overwrites: a ranking evaluates a campaign's
// nominations one after the other into one result per worker.
func (m *Model) evalInto(r *evalResult, id string, n *domain.Nomination, last *Entry, b Bound, cache *evalCache, full bool) error {
	*r = evalResult{nom: n}
	if n.Campaign() == "" {
		return fmt.Errorf("%w: nomination %s has no opening event in the stream (lost on disk?), so its campaign and unit are unknown; its audit trail can be read, and thidua verify names what broke", ErrIncomplete, id)
	}
	note := func(e *Entry) {
		if e.Rec.Seq > r.lastSeq {
			r.lastSeq, r.lastAt = e.Rec.Seq, e.Rec.At
		}
	}
	if last != nil {
		note(last)
	}
	camp := m.campaignAtCached(r.nom.Campaign(), b, note, cache)
	if camp == nil {
		return fmt.Errorf("%w: campaign %s of nomination %s", ErrNotFound, r.nom.Campaign(), id)
	}
	r.camp = camp
	r.def = camp.Definition()
	subs := evidenceReadingOf(r.def)
	if r.nom.State() == domain.StateAwarded {
		// An award in force is judged on its unit's evidence as the readings before the
		// rules' revision 3 combine it: a merger recorded after its grant, into the unit
		// that holds it, brings facts the unit never recorded, which under revision 3 wait
		// for the merged unit's own, and made the lawful award ineligible, no longer ranked
		// (a review finding). Without those waits, and with what revision 3 lets pass
		// (AbsorbedReading.Moot: a review of the first version found an award met on it
		// turned ineligible at its own grant), an award eligible at its grant stays so.
		subs.absorbed.Gaps = false
	}
	r.facts, r.plan = m.unitEvidenceCached(r.nom, b, subs, note, cache)
	if full {
		r.el = domain.Evaluate(r.def, r.nom, r.facts, r.plan)
	} else {
		r.el.Eligible = domain.Eligible(r.def, r.nom, r.facts, r.plan)
	}
	if full {
		citeRevisions(r)
		explainRevocation(r)
	}
	m.flagLineageAward(id, r, b, full)
	m.flagUnitKind(r, b, full)
	m.flagIntegrity(id, r, b)
	if u := m.units[r.nom.Unit()]; u != nil {
		r.unitName = u.Name()
	}
	return nil
}

// citeRevisions adds to a failed council vote's reason, and to an incomplete dossier's,
// the campaign revision that set the threshold or required the missing part, when one did:
// the reason is the revision's as much as the dossier's (a review finding: a threshold
// raised after the council met failed dossiers, awarded ones among them, citing only the
// vote, and the revision's own summary names no threshold).
func citeRevisions(r *evalResult) {
	if r.camp == nil {
		return
	}
	for i := range r.el.Reasons {
		reason := &r.el.Reasons[i]
		switch reason.Code {
		case domain.ReasonCouncilVoteFailed:
			if id := r.camp.CouncilSetBy(); id != "" && !slices.Contains(reason.Events, id) {
				reason.Events = append(reason.Events, id)
			}
		case domain.ReasonDossierIncomplete:
			for _, part := range r.nom.MissingParts(r.def) {
				if id := r.camp.PartRequiredBy(domain.DocKind(part)); id != "" && !slices.Contains(reason.Events, id) {
					reason.Events = append(reason.Events, id)
				}
			}
		}
	}
}

// explainRevocation names, in a revoked nomination's award_revoked reason, the ground of
// the revocation and what it means for the nominee in the campaign: barred from another
// award of it (a false declaration, forged documents), or free to be nominated again (a
// review finding: the clerk learnt of the bar only when a new opening was refused).
func explainRevocation(r *evalResult) {
	if r.camp == nil {
		return
	}
	a, ok := r.camp.Award(r.nom.AwardID())
	if !ok || !a.Revoked || a.Ground == "" {
		return
	}
	for i := range r.el.Reasons {
		reason := &r.el.Reasons[i]
		if reason.Code != domain.ReasonAwardRevoked {
			continue
		}
		if domain.BarringGround(a.Ground) {
			reason.MessageVI += fmt.Sprintf(" (căn cứ: %s); không được xét khen thưởng lại trong đợt thi đua này", domain.TermVI(a.Ground))
			reason.MessageEN += fmt.Sprintf(" (ground: %s); no other award of the campaign may be granted to the nominee", a.Ground)
		} else {
			// Only while the campaign takes nominations: after its deadline an opening is
			// refused (a review of the first version found the reason promising one). The
			// deadline is named when one is set, so that a reader after it learns the
			// door is shut rather than that it may be open (a review finding); the
			// reason stays a fold of events, the same whenever it is read.
			if d, ok := r.camp.Deadline(); ok {
				reason.MessageVI += fmt.Sprintf(" (căn cứ: %s); có thể lập hồ sơ đề nghị mới trước hạn nộp hồ sơ của đợt thi đua (%s)", domain.TermVI(a.Ground), r.def.LocalTime(d, true))
				reason.MessageEN += fmt.Sprintf(" (ground: %s); a new nomination may be opened until the campaign's nomination deadline (%s)", a.Ground, r.def.LocalTime(d, false))
			} else {
				reason.MessageVI += fmt.Sprintf(" (căn cứ: %s); có thể lập hồ sơ đề nghị mới khi đợt thi đua còn nhận hồ sơ (trước hạn nộp)", domain.TermVI(a.Ground))
				reason.MessageEN += fmt.Sprintf(" (ground: %s); a new nomination may be opened while the campaign takes nominations (before its deadline)", a.Ground)
			}
		}
	}
}

// flagUnitKind makes a nomination ineligible, with the reason unit_kind_not_eligible, when
// the definition in force (the rules' revision 2 and later) no longer admits the kind of
// the unit it was opened for: a revision dropped it. Opening refuses such a unit already;
// before, a nomination opened under the earlier definition stayed eligible and grantable
// (a review finding). The unit it was opened for, not a successor a merger passed it to:
// its nominations continue under the successor (DESIGN, story 3).
//
// So does a revision that names the only units of the kind that take part
// (Definition.EligibleUnits) without the nomination's unit or one it absorbed: reason
// unit_not_eligible, citing the revision that named them (a review finding: opening alone
// checked it, and a vertical unit the plan does not name, opened before the revision,
// stayed ranked and was granted).
func (m *Model) flagUnitKind(r *evalResult, b Bound, full bool) {
	if r.def.RulesRevision < 2 || (!r.el.Eligible && !full) {
		return
	}
	path := r.nom.EvidencePath()
	u := m.units[path[0]]
	if u == nil {
		return
	}
	if r.def.EligibleKind(u.Kind()) {
		if _, named := r.def.EligibleUnits[u.Kind()]; !named || r.def.EligibleUnit(u.Kind(), m.lineage(path[0], b)) {
			return
		}
		r.el.Eligible = false
		if full {
			var evs []string
			if id := r.camp.UnitsNamedBy(u.Kind()); id != "" {
				evs = []string{id}
			}
			named := strings.Join(r.def.EligibleUnits[u.Kind()], ", ")
			r.el.Reasons = append(r.el.Reasons, domain.Reason{Code: "unit_not_eligible", Events: evs,
				MessageVI: fmt.Sprintf("Đơn vị %s không thuộc các %s là đối tượng thi đua của %s (phiên bản %d: %s)", path[0], domain.TermVI(string(u.Kind())), r.def.NameVI, r.def.Version, named),
				MessageEN: fmt.Sprintf("Unit %s is not one of the units of kind %s that take part in campaign %s (version %d: %s)", path[0], u.Kind(), r.def.ID, r.def.Version, named)})
		}
		return
	}
	r.el.Eligible = false
	if full {
		// It cites the revision that dropped the kind (a review finding: it cited nothing).
		var evs []string
		if id := r.camp.KindDroppedBy(u.Kind()); id != "" {
			evs = []string{id}
		}
		r.el.Reasons = append(r.el.Reasons, domain.Reason{Code: "unit_kind_not_eligible", Events: evs,
			MessageVI: fmt.Sprintf("Đơn vị loại %s không còn thuộc đối tượng thi đua của %s (phiên bản %d)", domain.TermVI(string(u.Kind())), r.def.NameVI, r.def.Version),
			MessageEN: fmt.Sprintf("Units of kind %s no longer take part in campaign %s (version %d)", u.Kind(), r.def.ID, r.def.Version)})
	}
}

// flagLineageAward makes a collective nomination ineligible, with the reason
// lineage_already_awarded, while another nomination of its unit's lineage holds the
// campaign's collective award at the bound, an individual one, with the reason
// person_already_awarded, while its nominee holds an award of the campaign within the
// lineage (under a definition with OneAwardPerPerson), and any nomination, with the reason
// barred_by_revocation, whose holder's award in the campaign was revoked for a false
// declaration or forged documents (domain.Campaign.BarringRevocation): it could not be
// granted (Campaign.Grant), so it takes no place in the ranking either.
func (m *Model) flagLineageAward(id string, r *evalResult, b Bound, full bool) {
	if !r.el.Eligible && !full {
		return
	}
	nominee := r.nom.Nominee()
	if r.nom.State() == domain.StateAwarded {
		// Its own award was weighed against the lineage's when granted; one that a later
		// merger joined to it is the merger's to weigh (Campaign.NoteMerger), and both
		// stay in force (a review finding: an existing successor's own award turned
		// lineage_already_awarded once an awarded unit merged into it, where a new
		// successor's did not). So is a revocation that bars a unit merged into it later
		// (another finding: it turned barred_by_revocation, a new successor's did not).
		// A bar in force at its own grant is named (a grant an earlier version recorded,
		// which had no bar).
		m.flagBarredAtGrant(id, r, b, full)
		return
	}
	if r.camp.HasBarringRevocation() {
		if a, barred := r.camp.BarringRevocation(id, nominee.Kind, nominee.Name, m.lineage(r.nom.Unit(), b)); barred {
			r.el.Eligible = false
			if !full {
				return
			}
			r.el.Reasons = append(r.el.Reasons, m.withMergers(domain.BarredReason(a), a.Unit, r.nom, b))
		}
	}
	if nominee.Kind == domain.NomineeIndividual && r.def.OneAwardPerPerson && r.camp.ActiveAwards(domain.NomineeIndividual) > 0 {
		if a, held := r.camp.PersonAward(id, nominee.Name, m.lineage(r.nom.Unit(), b)); held {
			r.el.Eligible = false
			if full {
				r.el.Reasons = append(r.el.Reasons, m.withMergers(domain.PersonAwardReason(a), a.Unit, r.nom, b))
			}
		}
		return
	}
	if nominee.Kind != domain.NomineeCollective || r.camp.ActiveAwards(domain.NomineeCollective) == 0 {
		return
	}
	a, held := r.camp.LineageAward(id, m.lineage(r.nom.Unit(), b))
	if !held {
		return
	}
	r.el.Eligible = false
	if full {
		r.el.Reasons = append(r.el.Reasons, m.withMergers(domain.LineageAwardReason(a, r.nom.Unit()), a.Unit, r.nom, b))
	}
}

// flagBarredAtGrant makes an awarded nomination ineligible, barred_by_revocation, when a
// revocation barred its holder when it was granted (its lineage and the campaign's awards
// as they stood just before its grant): a grant no command of this version makes, which an
// earlier version, without the bar, recorded. The caller holds the read lock.
func (m *Model) flagBarredAtGrant(id string, r *evalResult, b Bound, full bool) {
	if !r.camp.HasBarringRevocation() {
		return
	}
	var granted uint64
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id}) {
		if e.Rec.ID == r.nom.AwardEvent() {
			granted = e.Rec.Seq
		}
	}
	if granted <= 1 {
		return
	}
	then := Bound{Seq: granted - 1}
	camp := m.campaignAt(r.nom.Campaign(), then, func(*Entry) {})
	if camp == nil {
		return
	}
	nominee := r.nom.Nominee()
	if a, barred := camp.BarringRevocation(id, nominee.Kind, nominee.Name, m.lineage(r.nom.Unit(), then)); barred {
		r.el.Eligible = false
		if full {
			r.el.Reasons = append(r.el.Reasons, m.withMergers(domain.BarredReason(a), a.Unit, r.nom, b))
		}
	}
}

// withMergers adds to reason, which rests on an award of unit holder, the mergers that put
// holder and the nomination in one lineage up to the bound: those that took holder into
// the nomination's unit, and those that passed the nomination to it from the unit that
// opened it. Before the mergers the nomination was eligible, so they caused the reason as
// much as the award did (a review finding: the reason cited the grant or revocation alone).
// The caller holds the read lock.
func (m *Model) withMergers(reason domain.Reason, holder string, n *domain.Nomination, b Bound) domain.Reason {
	ids := m.mergedInto(holder, n.Unit(), b)
	for _, id := range m.mergedInto(n.EvidencePath()[0], n.Unit(), b) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		reason.Events = append(slices.Clone(reason.Events), ids...)
	}
	return reason
}

// mergedInto returns the ids of the unit.merged events that took unit from, merger by
// merger, into unit to, up to the bound; none when from is to or does not lead to it. The
// caller holds the read lock.
func (m *Model) mergedInto(from, to string, b Bound) []string {
	var ids []string
	cur := from
	for i := 0; i < 64 && cur != to; i++ {
		next, id := "", ""
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: cur}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			if d, ok := e.Rec.Data.(domain.UnitMergedData); ok {
				next, id = d.Successor, e.Rec.ID
			}
		}
		if next == "" {
			return nil
		}
		ids = append(ids, id)
		cur = next
	}
	if cur != to {
		return nil
	}
	return ids
}

// campaignAt folds a campaign's events up to the bound (the live state for the zero bound).
func (m *Model) campaignAt(id string, b Bound, note func(*Entry)) *domain.Campaign {
	ents := m.entries(eventstore.Ref{Kind: domain.KindCampaign, ID: id})
	if b.Live() {
		for _, e := range ents {
			note(e)
		}
		return m.camps[id]
	}
	c := domain.NewCampaign()
	seen := false
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if e.Known {
			c.Apply(e.Rec)
			seen = true
		}
		note(e)
	}
	if !seen {
		return nil
	}
	return c
}

// unitEvidence gathers the facts and the emulation plan a nomination can rely on in a
// campaign up to the bound, given its path of units (domain.Nomination.EvidencePath: the
// unit it was opened for, then each successor a merger passed it to). In two layers:
//
//   - below, the facts of the units the first unit had absorbed (transitively: each
//     one's own over those it had absorbed), a fact they recorded differently held as a
//     conflict that leaves what reads it pending (domain.CombineAbsorbed), not the one
//     recorded last;
//   - above, taking precedence whenever it holds a fact, the nomination's own line: every
//     fact of the first unit (a correction recorded after its merger too), and each
//     successor's facts recorded after the merger that passed the nomination to it, the
//     latest of each fact winning.
//
// So a nomination is never judged on another collective's facts: not on those of a unit
// merged alongside its own (a later 100 % there does not lift its exclusion), nor on
// what a successor that already existed recorded about itself before the merger; and a
// unit's own nomination is judged on its own facts before those of the units it absorbed.
// Plans follow the same layers. subs says how the definition in force at the bound reads
// a parent unit's subordinates: the one of the moment asked, not today's, so that a past
// moment is judged by the rules then.
func (m *Model) unitEvidence(path []string, campaign string, b Bound, subs evidenceReading, note func(*Entry)) (*domain.FactSet, *domain.PlanRef) {
	first := path[0]
	// A unit's facts are most of its events: the set is made at about its final size
	// (a fact corrected many times takes one place, hence the cap).
	own := domain.NewFactSetSize(min(len(m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: first})), 32))
	var ownPlan, inheritedPlan *domain.PlanRef
	read := func(u string, after uint64, facts *domain.FactSet, plan **domain.PlanRef) {
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: u}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			if !e.Known || e.Rec.Seq <= after {
				continue
			}
			switch d := e.Rec.Data.(type) {
			case domain.FactRecordedData:
				if d.Campaign == campaign {
					facts.ApplyShared(campaign, &e.Rec) // entries never change once applied
					note(e)
				}
			case domain.PlanSubmittedData:
				if d.Campaign == campaign {
					*plan = &domain.PlanRef{Document: d.Document, EventID: e.Rec.ID}
					note(e)
				}
			}
		}
	}
	read(first, 0, own, &ownPlan)
	for i := 1; i < len(path); i++ {
		read(path[i], m.absorbedAt(path[i], path[i-1], b), own, &ownPlan)
	}
	seen := []string{first}
	inherited, inheritedPlan := m.absorbedEvidence(first, b, subs.absorbed, read, &seen)
	if inherited != nil {
		if subs.absorbed.Gaps && m.existedBeforeMerging(first, b) {
			inherited.NotRecordedBy(domain.Absorbed{Unit: first, Facts: own, Parent: m.directParent(m.lineParents(path, b), b)}, subs.absorbed)
		}
		inherited.Override(own)
		own = inherited
		if ownPlan == nil {
			ownPlan = inheritedPlan
		}
	}
	if subs.read {
		// Only a definition that needs a parent unit's fact reads the registrations under
		// it (and rests its answers on them): a campaign launched before it does not.
		own.NoteSubordinates(m.subordinatesOf(path, b, subs.withLineage, subs.absorbed.Gaps, note)...)
	}
	return own, ownPlan
}

// SubordinateEvents returns the events, up to the bound, that registered units under a
// nomination's path of units (or a unit one of them absorbed): what a parent unit's C13
// cites (subordinatesOf), for a trail that shows them beside the nomination's own.
func (m *Model) SubordinateEvents(path []string, b Bound) []EventView {
	if len(path) == 0 {
		return nil
	}
	m.rlock()
	defer m.mu.RUnlock()
	var out []EventView
	// Every unit of the path's lineage: what a campaign under the rules' revision 3 cites
	// (subordinatesOf), and a superset of what one before cites.
	m.subordinatesOf(path, m.pin(b), false, true, func(e *Entry) { out = append(out, m.eventView(e)) })
	return out
}

// evidenceReading is how a definition reads a unit's evidence: a parent unit's
// subordinates (C13), and the facts of the units a merged unit absorbed.
type evidenceReading struct {
	// read is true when the definition needs a parent unit's share of subordinates in
	// breach (Definition.NeedsParentUnits).
	read bool
	// withLineage counts a unit of the nomination's own lineage among them (a commune
	// that absorbed its district, registered under it), as definitions before rules
	// revision 1 did.
	withLineage bool
	// absorbed is how the facts of the units a merged unit absorbed combine
	// (domain.CombineAbsorbed): with gaps from rules revision 3.
	absorbed domain.AbsorbedReading
}

// evidenceReadingOf is how def reads a unit's evidence.
func evidenceReadingOf(def domain.Definition) evidenceReading {
	return evidenceReading{read: def.NeedsParentUnits(), withLineage: def.RulesRevision < 1, absorbed: domain.AbsorbedReadingOf(def)}
}

// ParentUnit reports whether unit is a parent unit at the bound: a unit is registered
// under it, or under a unit it absorbed (as an evaluation finds it: unitSubordinates).
func (m *Model) ParentUnit(unit string, b Bound) bool {
	m.rlock()
	defer m.mu.RUnlock()
	if m.units[unit] == nil {
		return false
	}
	return len(m.unitSubordinates([]string{unit}, m.pin(b), false, func(*Entry) {})) > 0
}

// unitSubordinates returns the ids of the events that registered units, up to the bound,
// with one of the units of a nomination's path (or a unit the first of them absorbed) as
// their parent, in the order of the stream: they make its unit a parent unit (đơn vị chủ
// quản), whose share of subordinate units in breach of discipline C13 needs. A unit of
// the lineage itself (a commune that absorbed its district) is not its own subordinate,
// unless withLineage (a definition before rules revision 1, read as it was decided).
func (m *Model) unitSubordinates(path []string, b Bound, withLineage bool, note func(*Entry)) []string {
	return m.subordinatesOf(path, b, withLineage, false, note)
}

// subordinatesOf is unitSubordinates; with pathLineage (the rules' revision 3) the units
// every unit of the path absorbed up to the bound count too, not only the first's: a
// nomination passed on to a successor is of a parent unit when a unit merged into that
// successor alongside its own had subordinates, as the successor's page says (a review
// finding: it never needed the share).
func (m *Model) subordinatesOf(path []string, b Bound, withLineage, pathLineage bool, note func(*Entry)) []string {
	units := path
	for i, p := range path {
		if i > 0 && !pathLineage {
			break
		}
		if u := m.units[p]; u != nil && len(u.Predecessors()) > 0 {
			// The units it absorbed up to the bound (a merger recorded later does not count).
			if len(units) == len(path) {
				units = slices.Clone(path)
			}
			for _, a := range m.lineage(p, b) {
				if !slices.Contains(units, a) {
					units = append(units, a)
				}
			}
		}
	}
	var regs []*Entry
	for _, u := range units {
		for _, c := range m.children[u] {
			if !withLineage && slices.Contains(units, c) {
				// A unit of the lineage itself (a commune that absorbed its district) is
				// not its own subordinate (from rules revision 1).
				continue
			}
			ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: c})
			if len(ents) == 0 || !ents[0].Known || !b.includes(ents[0].Rec.Seq, ents[0].Rec.At) {
				continue
			}
			if d, ok := ents[0].Rec.Data.(domain.UnitRegisteredData); ok && d.Parent == u {
				regs = append(regs, ents[0])
			}
		}
	}
	if len(regs) == 0 {
		return nil
	}
	slices.SortFunc(regs, func(a, b *Entry) int { return cmp.Compare(a.Rec.Seq, b.Rec.Seq) })
	out := make([]string, len(regs))
	for i, e := range regs {
		out[i] = e.Rec.ID
		note(e)
	}
	return out
}

// absorbedEvidence combines the evidence of the units u absorbed up to the bound: each
// one's own facts over those it had absorbed itself, and, between them, a fact they
// recorded differently held as a conflict (domain.CombineAbsorbed), not the one recorded
// last. It returns nil when u absorbed none. read reads one unit's facts and plan; seen
// are the units already taken, which are skipped.
func (m *Model) absorbedEvidence(u string, b Bound, reading domain.AbsorbedReading, read func(string, uint64, *domain.FactSet, **domain.PlanRef), seen *[]string) (*domain.FactSet, *domain.PlanRef) {
	var sets []domain.Absorbed
	var plan *domain.PlanRef
	m.eachAbsorbed(u, b, func(p string) {
		if slices.Contains(*seen, p) {
			return
		}
		*seen = append(*seen, p)
		own := domain.NewFactSet()
		var ownPlan *domain.PlanRef
		read(p, 0, own, &ownPlan)
		parent := reading.Gaps && m.isParent(p, b)
		if inh, inhPlan := m.absorbedEvidence(p, b, reading, read, seen); inh != nil {
			if reading.Gaps && m.existedBeforeMerging(p, b) {
				inh.NotRecordedBy(domain.Absorbed{Unit: p, Facts: own, Parent: m.directParent([]string{p}, b)}, reading)
			}
			inh.Override(own)
			own = inh
			if ownPlan == nil {
				ownPlan = inhPlan
			}
		}
		sets = append(sets, domain.Absorbed{Unit: p, Facts: own, Parent: parent})
		if ownPlan != nil {
			plan = ownPlan
		}
	})
	if len(sets) == 0 {
		return nil, nil
	}
	return domain.CombineAbsorbed(reading, sets...), plan
}

// isParent reports whether units were registered under unit (or under a unit it
// absorbed), up to the bound: it is a parent unit, which alone records a parent unit's
// facts (domain.AbsorbedReading.ParentFacts).
func (m *Model) isParent(unit string, b Bound) bool {
	return len(m.unitSubordinates([]string{unit}, b, false, func(*Entry) {})) > 0
}

// lineParents returns the units whose subordinates make a nomination's line a parent unit
// apart from what its first unit absorbed: the units of the path and every unit a later
// unit of the path absorbed (subordinatesOf with pathLineage), but the first unit's own
// lineage (a review finding: a dossier passed to a successor made with a parent unit was
// met on a 0% its first unit had inherited from a unit with no subordinates).
func (m *Model) lineParents(path []string, b Bound) []string {
	own := m.lineage(path[0], b)[1:]
	units := slices.Clone(path)
	for _, p := range path[1:] {
		for _, a := range m.lineage(p, b) {
			if !slices.Contains(units, a) && !slices.Contains(own, a) {
				units = append(units, a)
			}
		}
	}
	return units
}

// directParent reports whether units were registered directly under one of units (a
// nomination's path), up to the bound, not under a unit they absorbed: whether those
// units themselves record a parent unit's facts. A unit with no subordinates of its own
// that absorbed a parent did not record the parent's share, and that it did not is no gap
// (FactSet.NotRecordedBy; a review finding: it waited for a share it never had, where a
// new successor took the parent's).
func (m *Model) directParent(units []string, b Bound) bool {
	for _, u := range units {
		for _, c := range m.children[u] {
			if slices.Contains(units, c) {
				continue
			}
			ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: c})
			if len(ents) == 0 || !ents[0].Known || !b.includes(ents[0].Rec.Seq, ents[0].Rec.At) {
				continue
			}
			if d, ok := ents[0].Rec.Data.(domain.UnitRegisteredData); ok && d.Parent == u {
				return true
			}
		}
	}
	return false
}

// existedBeforeMerging reports whether unit was registered before the first merger by
// which it absorbed others, up to the bound: not by that merger, as a successor the
// merger creates is (its registration and its absorption are one commit). A successor an
// administrator registered beforehand is one that existed: its figures wait for its own,
// the safe side. (A heuristic that told such a successor from a unit with a history of
// its own by what its stream held before the merger was tried and, a review found,
// judged an existing commune with no plan yet on the absorbed district's figures.)
func (m *Model) existedBeforeMerging(unit string, b Bound) bool {
	ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: unit})
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if _, ok := e.Rec.Data.(domain.UnitAbsorbedData); ok {
			return ents[0].Rec.Seq < e.Rec.Seq
		}
	}
	return false
}

// absorbedAt returns the stream sequence of the merger by which unit absorbed pred (0
// when none is found at the bound): the successor's facts recorded after it are the
// merged unit's.
func (m *Model) absorbedAt(unit, pred string, b Bound) uint64 {
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: unit}) {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if d, ok := e.Rec.Data.(domain.UnitAbsorbedData); ok && slices.Contains(d.Sources, pred) {
			return e.Rec.Seq
		}
	}
	return 0
}

// lineage returns unit followed by every unit it absorbed, transitively, as of the bound,
// in a stable order (breadth first, sources in the order the mergers named them).
func (m *Model) lineage(unit string, b Bound) []string {
	out := []string{unit}
	for i := 0; i < len(out); i++ {
		m.eachAbsorbed(out[i], b, func(s string) {
			// A lineage is a handful of units: a scan costs less than a map.
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		})
	}
	return out
}

// eachAbsorbed calls fn with each unit that unit absorbed up to the bound, in the order
// of the mergers.
func (m *Model) eachAbsorbed(unit string, b Bound, fn func(string)) {
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: unit}) {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		// A merger is in force from its recording, whatever its effective date: the
		// nominations pass, the sources stop taking new ones and grants are checked on
		// the merged lineage from then on, so a moment after it, given by time or by
		// sequence, is answered as it was then.
		if d, ok := e.Rec.Data.(domain.UnitAbsorbedData); ok {
			for _, s := range d.Sources {
				fn(s)
			}
		}
	}
}

// via returns the chain of successors from a predecessor up to unit, as of the bound.
func (m *Model) via(pred, unit string, b Bound) []string {
	var chain []string
	cur := pred
	for i := 0; i < 64 && cur != unit; i++ {
		next := ""
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: cur}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			if d, ok := e.Rec.Data.(domain.UnitMergedData); ok {
				next = d.Successor
			}
		}
		if next == "" {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}
