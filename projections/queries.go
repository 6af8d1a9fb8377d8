package projections

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"thidua/domain"
	"thidua/eventstore"
)

// UnitName returns a unit's current name ("" for no such unit): what a page naming the
// units of its rows needs, without a view of every unit in the store.
func (m *Model) UnitName(id string) string {
	m.rlock()
	defer m.mu.RUnlock()
	if u := m.units[id]; u != nil {
		return u.Name()
	}
	return ""
}

// Unit returns a unit's view as of the bound.
func (m *Model) Unit(id string, b Bound) (UnitView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	return m.unitView(id, m.pin(b))
}

func (m *Model) unitAt(id string, b Bound) (*domain.Unit, uint64) {
	ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: id})
	if b.Live() {
		if u := m.units[id]; u != nil {
			return u, m.aggs[eventstore.Ref{Kind: domain.KindUnit, ID: id}].Version.Seq
		}
		return nil, 0
	}
	u := domain.NewUnit()
	var seq uint64
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		if e.Known {
			u.Apply(e.Rec)
		}
		seq = e.Rec.Seq
	}
	if u.ID() == "" {
		return nil, 0
	}
	return u, seq
}

func (m *Model) unitView(id string, b Bound) (UnitView, error) {
	u, seq := m.unitAt(id, b)
	if u == nil {
		return UnitView{}, fmt.Errorf("%w: unit %s", ErrNotFound, id)
	}
	return UnitView{
		ID: u.ID(), Name: u.Name(), Kind: u.Kind(), Parent: u.Parent(), Status: u.Status(),
		Successor: u.Successor(), Predecessors: nonNil(u.Predecessors()), Lineage: m.lineage(id, b),
		Effective: u.MergedEffective(), Version: seq,
	}, nil
}

// UnitCount counts the units of a status (every unit for ""), from their current states.
func (m *Model) UnitCount(status string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, u := range m.units {
		if status == "" || u.Status() == status {
			n++
		}
	}
	return n
}

// Units lists units, filtered by kind and status when given, ordered by id.
func (m *Model) Units(kind, status string) []UnitView {
	list, _, _ := m.UnitList(UnitFilter{Kind: kind, Status: status}) // no cursor: no error
	return list
}

// UnitFilter selects units for UnitList.
type UnitFilter struct {
	// Kind and Status keep the units of that kind and status (any, when empty).
	Kind, Status string
	// Cursor starts the list after that unit id (the list is ordered by id).
	Cursor string
	// Limit is the most units listed (0: all of them).
	Limit int
}

// UnitList lists the units f selects, ordered by id, and the cursor of the next page (""
// when this is the last). Units are chosen from their current states and only the listed
// ones are viewed: at 20,000 units, viewing all of them to keep a page took most of a
// second. A cursor that is no unit's id is ErrUnknownCursor, as for Nominations (an
// empty page would read as the list's end).
func (m *Model) UnitList(f UnitFilter) ([]UnitView, string, error) {
	m.rlock()
	defer m.mu.RUnlock()
	if f.Cursor != "" && m.units[f.Cursor] == nil {
		return nil, "", fmt.Errorf("%w: %q is no unit: give the next_cursor of the page before", ErrUnknownCursor, f.Cursor)
	}
	out := []UnitView{}
	for _, id := range slices.Sorted(maps.Keys(m.units)) {
		u := m.units[id]
		if id <= f.Cursor || (f.Kind != "" && string(u.Kind()) != f.Kind) || (f.Status != "" && u.Status() != f.Status) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			return out, out[len(out)-1].ID, nil
		}
		v, err := m.unitView(id, Bound{})
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, "", nil
}

// UnitPage lists one page of the units whose id or name contains search (ignoring case,
// and diacritics when search has none: searchMatcher; every unit when search is empty),
// of kind and status when they are not empty (UnitFilter's Kind and Status; its Cursor
// and Limit are not read), ordered by id: limit of them (1 to 500) from offset on, as
// views, and the number that match in all. Only the page's units are viewed.
func (m *Model) UnitPage(search string, f UnitFilter, offset, limit int) ([]UnitView, int, error) {
	m.rlock()
	defer m.mu.RUnlock()
	limit = min(max(limit, 1), 500)
	offset = max(offset, 0)
	match := searchMatcher(search)
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(m.units)) {
		u := m.units[id]
		if (f.Kind != "" && string(u.Kind()) != f.Kind) || (f.Status != "" && u.Status() != f.Status) {
			continue
		}
		if match(id) || match(u.Name()) {
			ids = append(ids, id)
		}
	}
	out := []UnitView{}
	lo, hi := page(offset, limit, len(ids))
	for _, id := range ids[lo:hi] {
		v, err := m.unitView(id, Bound{})
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, len(ids), nil
}

// searchMatcher returns whether a text contains search, ignoring letter case and the form
// of Unicode it is written in. A search written without any diacritic ignores them too, as
// people type on a keyboard without Vietnamese input ("ha noi" finds "Hà Nội", "dong"
// finds "Đông"); one with diacritics matches them as written ("Hà" does not find "Hạ").
// An empty search matches everything.
func searchMatcher(search string) func(text string) bool {
	q := strings.ToLower(norm.NFC.String(strings.Join(strings.Fields(search), " ")))
	if q == "" {
		return func(string) bool { return true }
	}
	if isASCII(q) {
		return func(text string) bool {
			return strings.Contains(strings.ToLower(domain.Unaccented(text)), q)
		}
	}
	return func(text string) bool {
		return strings.Contains(strings.ToLower(norm.NFC.String(text)), q)
	}
}

// isASCII reports whether s holds only ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Campaign returns a campaign's view (live).
func (m *Model) Campaign(id string) (CampaignView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	c := m.camps[id]
	if c == nil {
		return CampaignView{}, fmt.Errorf("%w: campaign %s", ErrNotFound, id)
	}
	return m.campaignView(id, c), nil
}

// CampaignAwards returns a campaign's awards as they stood at the bound (the zero Bound:
// now), in the order granted, each with its revocation if one came by then. A campaign
// launched after the bound is ErrNotFound.
func (m *Model) CampaignAwards(id string, b Bound) ([]domain.AwardRef, error) {
	m.rlock()
	defer m.mu.RUnlock()
	c := m.campaignAt(id, m.pin(b), func(*Entry) {})
	if c == nil {
		return nil, fmt.Errorf("%w: campaign %s", ErrNotFound, id)
	}
	return c.Awards(), nil
}

// CampaignAt returns a campaign's view as of the bound (the zero Bound: now): its
// definition as revised by then, its deadline, and Seq its last event within the bound.
// A campaign launched after the bound is ErrNotFound.
func (m *Model) CampaignAt(id string, b Bound) (CampaignView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	b = m.pin(b)
	var last uint64
	c := m.campaignAt(id, b, func(e *Entry) { last = e.Rec.Seq })
	if c == nil {
		return CampaignView{}, fmt.Errorf("%w: campaign %s", ErrNotFound, id)
	}
	v := m.campaignView(id, c)
	v.Seq = last
	return v, nil
}

func (m *Model) campaignView(id string, c *domain.Campaign) CampaignView {
	def := c.Definition()
	v := CampaignView{
		ID: id, Version: def.Version, NameVI: def.NameVI, NameEN: def.NameEN, Starts: def.Starts, Ends: def.Ends,
		Quota:      QuotaView{Collective: def.Quota.Collective, Individual: def.Quota.Individual},
		Definition: def, Criteria: make([]CriterionDefView, 0, len(def.Criteria)),
		Seq: m.aggs[eventstore.Ref{Kind: domain.KindCampaign, ID: id}].Version.Seq,
	}
	if d, ok := c.Deadline(); ok {
		v.Deadline = &d
	}
	for _, cr := range def.Criteria {
		v.Criteria = append(v.Criteria, CriterionDefView{ID: cr.ID, AppliesTo: cr.AppliesTo, LabelVI: cr.LabelVI, LabelEN: cr.LabelEN, JudgedBy: cr.JudgedBy})
	}
	return v
}

// Absorbed reports whether unit is one that the unit of absorbed, transitively, by now
// (a predecessor of of's, in of's lineage).
func (m *Model) Absorbed(of, unit string) bool {
	if of == unit {
		return false
	}
	m.rlock()
	defer m.mu.RUnlock()
	return slices.Contains(m.lineage(of, Bound{}), unit)
}

// NominationPlan returns the emulation plan a nomination's eligibility relies on as of
// the bound (nil when none): the one its evaluation reads, of its own line of units, not
// that of a unit merged alongside it.
func (m *Model) NominationPlan(id string, b Bound) (*domain.PlanRef, error) {
	m.rlock()
	defer m.mu.RUnlock()
	r, err := m.evalAt(id, m.pin(b))
	if err != nil {
		return nil, err
	}
	return r.plan, nil
}

// Campaigns lists every campaign, ordered by id.
func (m *Model) Campaigns() []CampaignView {
	m.rlock()
	defer m.mu.RUnlock()
	out := []CampaignView{}
	for _, id := range slices.Sorted(maps.Keys(m.camps)) {
		out = append(out, m.campaignView(id, m.camps[id]))
	}
	return out
}

// Nomination returns a nomination's view (live): dossier, vote, criteria and verdict.
func (m *Model) Nomination(id string) (NominationView, error) {
	return m.NominationAt(id, Bound{})
}

// NominationAt returns a nomination's view as of the bound (the zero Bound: now): its
// state, documents, vote and criteria as they stood then; Version is its last event
// within the bound. A nomination opened after the bound is ErrNotFound.
func (m *Model) NominationAt(id string, b Bound) (NominationView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	return m.nominationView(id, m.pin(b))
}

func (m *Model) nominationView(id string, b Bound) (NominationView, error) {
	ents := m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id})
	if err := existed(ents, b, "nomination", id); err != nil {
		return NominationView{}, err
	}
	r, err := m.evalAt(id, b)
	if err != nil {
		return NominationView{}, err
	}
	n := r.nom
	v := NominationView{
		ID: id, Campaign: n.Campaign(), Unit: n.Unit(), UnitName: r.unitName, UnitHistory: n.UnitHistory(),
		Nominee: n.Nominee(), State: string(n.State()),
		Documents: []DocumentView{}, Criteria: criteriaViews(r.def, r.el), Eligible: r.el.Eligible, Award: n.AwardID(),
		Integrity: r.integrity,
	}
	v.OpenedAt, v.OpenedBy = ents[0].Rec.At, ents[0].Rec.Actor.User
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		v.Version = e.Rec.Seq
		switch d := e.Rec.Data.(type) {
		case domain.DocumentAttachedData:
			v.Documents = append(v.Documents, DocumentView{
				ID: d.Document.ID, Kind: string(d.Kind), SHA256: d.Document.SHA256, Size: d.Document.Size,
				Name: d.Document.Name, ContentType: d.Document.ContentType, Event: e.Rec.ID, At: e.Rec.At,
			})
		case domain.SubmittedData:
			at := e.Rec.At
			v.SubmittedAt, v.SubmittedBy = &at, e.Rec.Actor.User
		}
	}
	if b.Live() {
		v.Version = m.aggs[eventstore.Ref{Kind: domain.KindNomination, ID: id}].Version.Seq
	}
	v.Seq = v.Version
	if vote, ok := n.LatestVote(); ok {
		v.CouncilVote = &VoteView{
			MeetingDate: vote.MeetingDate, Members: vote.Members, Present: vote.Present, Approve: vote.Approve,
			Passes: domain.VotePasses(r.def, vote.CouncilVoteData), Event: vote.EventID,
		}
	}
	return v, nil
}

// KindCounts counts nominations of each nominee kind.
type KindCounts struct {
	// Collective and Individual count the nominations of each kind.
	Collective, Individual int
}

// NominationCounts counts a campaign's nominations by state (the keys are domain.State
// values) and nominee kind, of the units in units when it is not nil (a clerk's scope: the
// nominations their units hold or held before a merger, as the listing has it, inScope).
// It reads the current states only, evaluating nothing: a dashboard of a national
// campaign counts 100,000 nominations in milliseconds.
func (m *Model) NominationCounts(campaign string, units map[string]bool) (map[string]KindCounts, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.camps[campaign] == nil {
		return nil, fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	out := map[string]KindCounts{}
	for _, id := range m.byCamp[campaign] {
		n := m.noms[id]
		if n == nil || !inScope(n, units) {
			continue
		}
		c := out[string(n.State())]
		if n.Nominee().Kind == domain.NomineeIndividual {
			c.Individual++
		} else {
			c.Collective++
		}
		out[string(n.State())] = c
	}
	return out, nil
}

// NominationFilter selects nominations in a listing.
type NominationFilter struct {
	// State, Unit and Kind filter when not empty (Unit: the nomination's unit now).
	State, Unit, Kind string
	// Was, when not empty, keeps the nominations that are or were Was's: opened by it or
	// passed on to it, including those a merger has since passed on from it.
	Was string
	// Units, when not nil, restricts the listing to the nominations that are or were of
	// these units (a clerk's scope: a merged unit's clerk reads those their unit opened,
	// as workflows.CanReadNomination lets them).
	Units map[string]bool
	// Limit is the page size (default 50, at most 500).
	Limit int
	// Cursor is the id of the last nomination of the previous page.
	Cursor string
}

// Nominations lists a campaign's nominations, newest first, one page at a time; it
// returns the cursor of the next page ("" at the end). A cursor that names no nomination
// of the campaign is ErrUnknownCursor (an empty page would read as the list's end).
func (m *Model) Nominations(campaign string, f NominationFilter) ([]NominationView, string, error) {
	m.rlock()
	defer m.mu.RUnlock()
	if m.camps[campaign] == nil {
		return nil, "", fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	if f.Cursor != "" {
		if n := m.noms[f.Cursor]; n == nil || n.Campaign() != campaign {
			return nil, "", fmt.Errorf("%w: %q is no nomination of campaign %s: give the next_cursor of the page before", ErrUnknownCursor, f.Cursor, campaign)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	ids := m.byCamp[campaign]
	out := []NominationView{}
	started := f.Cursor == ""
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		if !started {
			started = id == f.Cursor
			continue
		}
		n := m.noms[id]
		if n == nil || (f.State != "" && string(n.State()) != f.State) || (f.Unit != "" && n.Unit() != f.Unit) ||
			(f.Kind != "" && string(n.Nominee().Kind) != f.Kind) || (f.Was != "" && !n.WasOf(f.Was)) || !inScope(n, f.Units) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		v, err := m.nominationView(id, Bound{})
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, "", nil
}

// inScope reports whether n is or was of one of units (every nomination when units is nil).
func inScope(n *domain.Nomination, units map[string]bool) bool {
	if units == nil || units[n.Unit()] {
		return true
	}
	for u := range units {
		if n.WasOf(u) {
			return true
		}
	}
	return false
}

// Queue lists a page of a campaign's review queue: its nominations awaiting review
// (submitted or under review), the longest waiting first (by their latest submission,
// then id), limit of them (at most 500) from offset on, as views; it returns the number
// awaiting in all. Only the page's nominations are evaluated.
func (m *Model) Queue(campaign string, offset, limit int) ([]NominationView, int, error) {
	m.rlock()
	defer m.mu.RUnlock()
	if m.camps[campaign] == nil {
		return nil, 0, fmt.Errorf("%w: campaign %s", ErrNotFound, campaign)
	}
	limit = min(max(limit, 1), 500)
	offset = max(offset, 0)
	type waiting struct {
		id string
		at time.Time
	}
	var all []waiting
	for _, id := range m.byCamp[campaign] {
		n := m.noms[id]
		if n != nil && (n.State() == domain.StateSubmitted || n.State() == domain.StateUnderReview) {
			all = append(all, waiting{id: id, at: n.SubmittedAt()})
		}
	}
	slices.SortFunc(all, func(a, b waiting) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := []NominationView{}
	lo, hi := page(offset, limit, len(all))
	for _, w := range all[lo:hi] {
		v, err := m.nominationView(w.id, Bound{})
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, len(all), nil
}

// NominationEvents returns a nomination's audit trail up to the bound.
func (m *Model) NominationEvents(id string, b Bound) ([]EventView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	b = m.pin(b)
	ents := m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id})
	if err := existed(ents, b, "nomination", id); err != nil {
		return nil, err
	}
	out := []EventView{}
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		out = append(out, m.eventView(e))
	}
	return out, nil
}

// CampaignEvents returns a campaign's audit trail up to the bound: its launch and
// revisions, the deadline, every grant (with the ranking it relied on) and revocation, and
// the mergers it noted.
func (m *Model) CampaignEvents(id string, b Bound) ([]EventView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	b = m.pin(b)
	ents := m.entries(eventstore.Ref{Kind: domain.KindCampaign, ID: id})
	if err := existed(ents, b, "campaign", id); err != nil {
		return nil, err
	}
	out := []EventView{}
	for _, e := range ents {
		if !b.includes(e.Rec.Seq, e.Rec.At) {
			break
		}
		out = append(out, m.eventView(e))
		if e.Rec.Type == domain.CampaignLaunched {
			out = m.appendClaim(out, domain.KindCampaign, id, b)
		}
	}
	return out, nil
}

// FactConflict is a fact that the units merged into a unit recorded differently, and the
// unit has not recorded itself (domain.CombineAbsorbed): its own nominations wait for it.
type FactConflict struct {
	// Campaign is the campaign the fact belongs to.
	Campaign string
	// Records are the differing records, in the order they were recorded.
	Records []domain.FactEntry
	// Unrecorded are the absorbed units that recorded the fact not at all (under the
	// rules' revision 3), sorted.
	Unrecorded []string
}

// UnitFactConflicts returns the facts of every campaign that the units merged into unit
// recorded differently and unit has not settled with its own, as of now, by campaign.
func (m *Model) UnitFactConflicts(unit string) []FactConflict {
	m.rlock()
	defer m.mu.RUnlock()
	ids := make([]string, 0, len(m.camps))
	for id := range m.camps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []FactConflict
	for _, c := range ids {
		def := m.camps[c].Definition()
		fs, _ := m.unitEvidence([]string{unit}, c, Bound{}, evidenceReadingOf(def), func(*Entry) {})
		for _, rs := range fs.AllConflicts() {
			if domain.ConflictWaits(def, fs, rs) {
				out = append(out, FactConflict{Campaign: c, Records: rs.Records, Unrecorded: rs.Unrecorded})
			}
		}
	}
	return out
}

// existed returns ErrNotFound unless an aggregate's first event (ents are its events) is
// within the bound: a trail asked for at a moment before its aggregate existed is not
// found then, as its other answers at that moment are not, rather than an empty trail
// that reads as "nothing happened".
func existed(ents []*Entry, b Bound, kind, id string) error {
	switch {
	case len(ents) == 0:
		return fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
	case !b.includes(ents[0].Rec.Seq, ents[0].Rec.At):
		return fmt.Errorf("%w: %s %s (as of that moment)", ErrNotFound, kind, id)
	}
	return nil
}

// appendClaim appends to a trail the claim of the id of the aggregate kind/id, recorded in
// the same atomic append as its creation (domain.ClaimID), when it is within the bound: the
// trail then shows every event its creation appended. The caller holds the read lock.
func (m *Model) appendClaim(out []EventView, kind, id string, b Bound) []EventView {
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindClaim, ID: domain.ClaimKey(kind, id)}) {
		if d, ok := e.Rec.Data.(domain.IDClaimedData); ok && d.ID == id && b.includes(e.Rec.Seq, e.Rec.At) {
			out = append(out, m.eventView(e))
		}
	}
	return out
}

// UnitEvents returns a unit's audit trail up to the bound; with inherited, the events of
// every unit it absorbed (transitively) too, marked with inherited_from and via, merged
// in stream order, and the revocations of the awards noted on them (appendRevocations).
// Limit > 0 keeps the last limit events.
func (m *Model) UnitEvents(id string, inherited bool, b Bound, limit int) ([]EventView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	b = m.pin(b)
	if m.units[id] == nil {
		return nil, fmt.Errorf("%w: unit %s", ErrNotFound, id)
	}
	if err := existed(m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: id}), b, "unit", id); err != nil {
		return nil, err
	}
	units := []string{id}
	if inherited {
		units = m.lineage(id, b)
	}
	out := []EventView{}
	for _, u := range units {
		var chain []string
		if u != id {
			chain = m.via(u, id, b)
		}
		start := len(out)
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: u}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			out = append(out, m.eventView(e))
		}
		if start < len(out) {
			out = m.appendClaim(out, domain.KindUnit, u, b)
		}
		if u != id {
			for i := start; i < len(out); i++ {
				out[i].InheritedFrom, out[i].Via = u, chain
			}
		}
	}
	if inherited {
		out = m.appendRevocations(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].Index < out[j].Index
	})
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// appendRevocations appends to a unit's whole trail (UnitEvents with inherited) the
// revocations, within the bound, of the awards its trail notes (unit.award_noted): a
// revocation is recorded on the campaign and the nomination, and the unit's trail showed
// the award in force for good, while a revocation for fraud bars the unit's lineage (a
// review finding). Each is marked inherited from the unit its award was noted on, when
// that is not the unit asked. The caller holds the read lock.
func (m *Model) appendRevocations(out []EventView, b Bound) []EventView {
	type noted struct {
		campaign, award, from string
		via                   []string
	}
	var awards []noted
	for _, e := range out {
		if e.Type != domain.UnitAwardNoted {
			continue
		}
		var d domain.UnitAwardNotedData
		if json.Unmarshal(e.Data, &d) == nil {
			awards = append(awards, noted{d.Campaign, d.Award, e.InheritedFrom, e.Via})
		}
	}
	for _, a := range awards {
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindCampaign, ID: a.campaign}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			if d, ok := e.Rec.Data.(domain.AwardRevokedData); ok && d.Award == a.award &&
				!slices.ContainsFunc(out, func(v EventView) bool { return v.ID == e.Rec.ID }) {
				v := m.eventView(e)
				v.InheritedFrom, v.Via = a.from, a.via
				out = append(out, v)
			}
		}
	}
	return out
}

// EventByID returns the event of that id, of any aggregate, if the model holds it. It
// walks every aggregate, so it is for a rare read (an explanation naming an event no
// trail it printed holds), not for queries.
func (m *Model) EventByID(id string) (EventView, bool) {
	m.rlock()
	defer m.mu.RUnlock()
	for _, a := range m.aggList {
		for _, e := range a.Entries {
			if e.Rec.ID == id {
				return m.eventView(e), true
			}
		}
	}
	return EventView{}, false
}

// EventsAt returns the events the model holds from stream sequence from to to, of every
// aggregate, in stream order. A model loaded from a snapshot holds what the stream said
// when the snapshot was taken: `thidua verify` shows with it what messages lost on disk
// since had held. It walks every aggregate, so it is for such rare reads, not for queries.
func (m *Model) EventsAt(from, to uint64) []EventView {
	m.rlock()
	defer m.mu.RUnlock()
	var ents []*Entry
	for _, a := range m.aggList {
		i := sort.Search(len(a.Entries), func(i int) bool { return a.Entries[i].Rec.Seq >= from })
		for ; i < len(a.Entries) && a.Entries[i].Rec.Seq <= to; i++ {
			ents = append(ents, a.Entries[i])
		}
	}
	slices.SortFunc(ents, func(x, y *Entry) int {
		if c := cmp.Compare(x.Rec.Seq, y.Rec.Seq); c != 0 {
			return c
		}
		return cmp.Compare(x.Index, y.Index)
	})
	out := make([]EventView, len(ents))
	for i, e := range ents {
		out[i] = m.eventView(e)
	}
	return out
}

// eventView shows an event with its actor's display name, which its summaries use too.
// A campaign event's times are shown in the campaign's time zone as it was at the event,
// so that a trail's line reads the same at every moment it is asked for, live, as of any
// later moment, or rebuilt. The caller holds the read lock.
func (m *Model) eventView(e *Entry) EventView {
	name := m.actorName(e.Rec.Actor.User)
	vi, en := summarize(e, name, func() *time.Location {
		if c := m.camps[e.Aggregate.ID]; c != nil && e.Aggregate.Kind == domain.KindCampaign {
			if def, ok := c.DefinitionAt(e.Rec.Seq); ok {
				if loc, err := def.Location(); err == nil {
					return loc
				}
			}
		}
		return nil
	})
	c := e.unpack()
	return EventView{
		ID: e.Rec.ID, Seq: e.Rec.Seq, Index: e.Index, Type: e.Rec.Type, At: e.Rec.At, OccurredAt: c.occurred,
		Actor: ActorView{User: e.Rec.Actor.User, Role: string(e.Rec.Actor.Role), Name: name}, Aggregate: e.Aggregate,
		Data: json.RawMessage(c.raw), SummaryVI: vi, SummaryEN: en, Hash: c.hash,
	}
}

// actorName returns the display name of the user an event names as its actor: "system"
// for the engine itself, "" for an id the registry does not know. The registry keeps every
// user ever registered (a disabled one too) under a name that never changes, so the live
// registry names the actors of past events as well. The caller holds the read lock.
func (m *Model) actorName(id string) string {
	if id == string(domain.RoleSystem) {
		return id
	}
	u, ok := m.registry.User(id)
	if !ok {
		return ""
	}
	return u.Name
}

// Award returns a granted award.
func (m *Model) Award(id string) (AwardView, error) { return m.AwardAt(id, Bound{}) }

// AwardAt returns an award as it stood at the bound (the zero Bound: now), with the
// version of its campaign then: a grant's answer replayed under its key says what the
// grant left, not that the award was revoked since. An award granted after the bound is
// ErrNotFound.
func (m *Model) AwardAt(id string, b Bound) (AwardView, error) {
	m.rlock()
	defer m.mu.RUnlock()
	camp, ok := m.awards[id]
	if !ok {
		return AwardView{}, fmt.Errorf("%w: award %s", ErrNotFound, id)
	}
	c, version := m.camps[camp], m.aggs[eventstore.Ref{Kind: domain.KindCampaign, ID: camp}].Version.Seq
	if !b.Live() {
		version = 0
		c = m.campaignAt(camp, m.pin(b), func(e *Entry) { version = e.Rec.Seq })
	}
	if c != nil {
		if a, ok := c.Award(id); ok {
			v := AwardView{ID: id, Campaign: camp, Nomination: a.Nomination, Unit: a.Unit, Kind: string(a.Kind), Decision: a.Decision, Revoked: a.Revoked,
				Event: a.EventID, GrantedAt: a.At, Version: version}
			m.awardEvents(&v, a)
			return v, nil
		}
	}
	return AwardView{}, fmt.Errorf("%w: award %s", ErrNotFound, id)
}

// awardEvents completes an award's view from its campaign's events: who granted it, the
// ranking it relied on, and its revocation. The caller holds the read lock.
func (m *Model) awardEvents(v *AwardView, a domain.AwardRef) {
	for _, e := range m.entries(eventstore.Ref{Kind: domain.KindCampaign, ID: v.Campaign}) {
		switch e.Rec.ID {
		case a.EventID:
			v.GrantedBy = ActorView{User: e.Rec.Actor.User, Role: string(e.Rec.Actor.Role), Name: m.actorName(e.Rec.Actor.User)}
			if d, ok := e.Rec.Data.(domain.AwardGrantedData); ok {
				v.RankingSeq = d.RankingSeq
			}
		case a.RevokedBy:
			if !a.Revoked {
				continue
			}
			r := &RevocationView{Event: e.Rec.ID, At: e.Rec.At, Ground: a.Ground,
				By: ActorView{User: e.Rec.Actor.User, Role: string(e.Rec.Actor.Role), Name: m.actorName(e.Rec.Actor.User)}}
			if d, ok := e.Rec.Data.(domain.AwardRevokedData); ok {
				r.Note = d.Note
			}
			v.Revocation = r
		}
	}
}

// User returns one registered user (never their token), and whether there is one.
func (m *Model) User(id string) (UserView, bool) { return m.UserAt(id, Bound{}) }

// UserAt returns a registered user as they stood at the bound (the zero Bound: now): a
// user's creation replayed under its key says what it created, not that the user was
// disabled since.
func (m *Model) UserAt(id string, b Bound) (UserView, bool) {
	m.rlock()
	defer m.mu.RUnlock()
	g := m.registry
	if !b.Live() {
		b = m.pin(b)
		g = domain.NewRegistry()
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}) {
			if !b.includes(e.Rec.Seq, e.Rec.At) {
				break
			}
			if e.Known {
				g.Apply(e.Rec)
			}
		}
	}
	u, ok := g.User(id)
	if !ok {
		return UserView{}, false
	}
	return UserView{ID: u.ID, Name: u.Name, Role: string(u.Role), Unit: u.Unit, Disabled: u.Disabled}, true
}

// UserPage returns the page of at most limit users from offset, in the order of their
// ids, among those whose id, name or unit contains search (matched as a unit's search
// is: searchMatcher), and how many there are.
func (m *Model) UserPage(search string, offset, limit int) ([]UserView, int) {
	match := searchMatcher(search)
	users := slices.DeleteFunc(m.Users(), func(u UserView) bool {
		return !match(u.ID) && !match(u.Name) && !match(u.Unit)
	})
	lo, hi := page(offset, limit, len(users))
	return users[lo:hi], len(users)
}

// Users lists the registered users (never their tokens).
func (m *Model) Users() []UserView {
	m.rlock()
	defer m.mu.RUnlock()
	out := []UserView{}
	for _, u := range m.registry.Users() {
		out = append(out, UserView{ID: u.ID, Name: u.Name, Role: string(u.Role), Unit: u.Unit, Disabled: u.Disabled})
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].ID, out[j].ID) < 0 })
	return out
}

// page returns the bounds of the page of at most limit items from offset in a list of n:
// an offset past the end (however large: a query's number) gives an empty page, and a
// negative one or limit counts as 0.
func page(offset, limit, n int) (lo, hi int) {
	lo = min(max(offset, 0), n)
	return lo, lo + min(max(limit, 0), n-lo)
}

// UnitLastEventType returns the type of unit id's last event ("" when it has none): a
// cheap look for what a reader's view of the unit might leave out at its end.
func (m *Model) UnitLastEventType(id string) string {
	m.rlock()
	defer m.mu.RUnlock()
	ents := m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: id})
	if len(ents) == 0 {
		return ""
	}
	return ents[len(ents)-1].Rec.Type
}
