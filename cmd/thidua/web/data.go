package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// This file gathers what the pages show from the read model's queries. Where the model
// has no query for something (the facts of a unit, the awards of a campaign), it is
// computed here from the queries that exist.

func (h *handler) model() *projections.Model { return h.svc.Model() }

// pageRanking returns campaign's ranking at b for a page that states no seal. Now, that
// is the live ranking as it is (projections.Model.LiveRanking), as the API serves it and
// as the page's other reads see the state: never a fold of the whole campaign, which
// Model.Ranking makes while the state has a gap (a commit applied ahead of an earlier one
// still on its way, for milliseconds), and which a page of the present would make with
// no replay place. At a past moment it is Model.Ranking, under the place the page took
// (replay).
func (h *handler) pageRanking(campaign string, b projections.Bound) (projections.RankingView, error) {
	if b.Live() {
		v, _, err := h.model().LiveRanking(campaign)
		return v, err
	}
	return h.model().Ranking(campaign, b)
}

// sealedRanking returns campaign's ranking at b for a page that states its sequence and
// the stream's digest there (Model.Ranking: never a state the stream never had). While
// the live state has a gap that is a fold of the whole campaign as of the sequence below
// it, as a page of a past moment makes: it takes a replay place as one does, unless the
// request holds one already.
func (h *handler) sealedRanking(q *req, campaign string, b projections.Bound) (projections.RankingView, error) {
	if b.Live() && !q.placed {
		if _, tag, err := h.model().LiveRanking(campaign); err == nil && tag == 0 {
			release, err := h.replays.Acquire(q.r.Context(), q.p.UserID)
			if err != nil {
				return projections.RankingView{}, err
			}
			defer release()
		}
	}
	return h.model().Ranking(campaign, b)
}

// clerkLineage returns the units whose history a clerk's unit carries (itself first).
func (h *handler) clerkLineage(p workflows.Principal) []string {
	u, err := h.model().Unit(p.Unit, projections.Bound{})
	if err != nil {
		return []string{p.Unit}
	}
	return u.Lineage
}

// mayReadUnit reports whether p may see a unit's nominations and documents: every role
// but a clerk, and a clerk for their own unit and the units it absorbed. (A unit's facts
// and history, its events, are every role's to read, as in the API.)
func (h *handler) mayReadUnit(p workflows.Principal, unit string) bool {
	if p.Role != domain.RoleClerk {
		return true
	}
	for _, u := range h.clerkLineage(p) {
		if u == unit {
			return true
		}
	}
	return false
}

// allNominations lists every nomination of a campaign that the filter selects.
func (h *handler) allNominations(campaign string, f projections.NominationFilter) ([]projections.NominationView, error) {
	f.Limit = 500
	var out []projections.NominationView
	for {
		list, next, err := h.model().Nominations(campaign, f)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// scopeFilter restricts a clerk's listings to their unit and the units it absorbed (the
// nominations a merger left on them, which the clerk reads: Service.CanReadNomination).
func (h *handler) scopeFilter(p workflows.Principal, f projections.NominationFilter) projections.NominationFilter {
	if p.Role == domain.RoleClerk {
		f.Units = map[string]bool{}
		for _, u := range h.clerkLineage(p) {
			f.Units[u] = true
		}
	}
	return f
}

// nameOf resolves an id to its current name ("" for none), one id at a time: a page looks
// up those of the rows it shows, not a map of every unit or user in the store, which
// took 28–77 MB and up to seconds a page at 20,000 units (a review finding).
type nameOf func(id string) string

// userNames names users, for the audit trail.
func (h *handler) userNames() nameOf {
	m := h.model()
	return func(id string) string {
		if id == "system" {
			return "system"
		}
		u, _ := m.User(id)
		return u.Name
	}
}

// unitNames names units.
func (h *handler) unitNames() nameOf { return h.model().UnitName }

// awardInfo is an award of a campaign as the pages show it.
type awardInfo struct {
	ID, Nomination, Unit, Kind, Decision string
	At                                   time.Time
	Revoked                              bool
	Ground                               string
	Name                                 string
}

// campaignAwards lists a campaign's awards as they stood at the bound (the zero Bound:
// now), in the order granted, as p may read them.
func (h *handler) campaignAwards(p workflows.Principal, campaign string, b projections.Bound) []awardInfo {
	awards, err := h.model().CampaignAwards(campaign, b)
	if err != nil {
		return nil
	}
	out := make([]awardInfo, 0, len(awards))
	for _, a := range awards {
		ground := a.Ground
		if a.Revoked && !h.svc.RevocationReadable(p, a.Nomination, string(a.Kind)) {
			ground = domain.WithheldUndisclosed // an individual's, for a clerk of another unit
		}
		out = append(out, awardInfo{ID: a.ID, Nomination: a.Nomination, Unit: a.Unit, Kind: string(a.Kind),
			Decision: a.Decision, At: a.At, Revoked: a.Revoked, Ground: ground})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// factRow is one recorded fact of a unit.
type factRow struct {
	Campaign, Fact, Index, Component string
	Value, Cause, Note               string
	Document                         *domain.DocumentRef
	Event, Actor                     string
	At                               time.Time
	InheritedFrom                    string
	Superseded                       bool
	// Conflict marks a fact the units merged into this one recorded differently: the
	// row shows the latest across them, which is not the unit's (factConflicts).
	Conflict bool
}

// unitFacts returns a unit's facts (its own and its lineage's) from its audit trail: the
// latest per (campaign, fact, index, component) and, separately, the superseded ones.
// (The model keeps a fact set per evaluation but has no query listing a unit's facts.)
func (h *handler) unitFacts(unit string, b projections.Bound, p *frame) (latest, superseded []factRow, err error) {
	evs, err := h.model().UnitEvents(unit, true, b, 0)
	if err != nil {
		return nil, nil, err
	}
	names := h.userNames()
	idx := map[string]int{}
	var all []factRow
	for _, e := range evs {
		if e.Type != domain.FactRecorded {
			continue
		}
		var d domain.FactRecordedData
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		row := factRow{Campaign: d.Campaign, Fact: d.Fact, Index: d.Index, Component: d.Component,
			Value: factValue(p, d), Cause: d.Cause, Note: d.Note, Document: d.Document, Event: e.ID,
			Actor: nameOr(names, e.Actor.User), At: e.At, InheritedFrom: e.InheritedFrom}
		key := d.Campaign + "|" + d.Fact + "|" + d.Index + "|" + d.Component
		if i, ok := idx[key]; ok {
			all[i].Superseded = true
		}
		idx[key] = len(all)
		all = append(all, row)
	}
	for _, r := range all {
		if r.Superseded {
			superseded = append(superseded, r)
		} else {
			latest = append(latest, r)
		}
	}
	sort.SliceStable(latest, func(i, j int) bool {
		if latest[i].Fact != latest[j].Fact {
			return latest[i].Fact < latest[j].Fact
		}
		return latest[i].Index+latest[i].Component < latest[j].Index+latest[j].Component
	})
	return latest, superseded, nil
}

// factValue formats a fact's value in the page's language.
func factValue(p *frame, d domain.FactRecordedData) string {
	var v string
	switch {
	case d.Status == domain.StatusNotPublished:
		v = p.T("fact.not_published")
	case d.Status == domain.StatusNotAssigned:
		v = p.T("fact.not_assigned.value")
	case d.Text != "":
		v = d.Text
	case d.Number != nil:
		v = p.Num(*d.Number)
	}
	if d.Index != "" {
		v = d.Index + " / " + d.Component + ": " + v
		if d.Previous != nil {
			v += " (" + p.T("fact.previous") + " " + p.Num(*d.Previous) + ")"
		}
	}
	return v
}

func nameOr(name nameOf, id string) string {
	if n := name(id); n != "" {
		return n
	}
	return id
}

// eventRow is one line of an audit trail.
type eventRow struct {
	ID, Type, Summary, Actor, Role string
	// UserID is the actor's user id, as the event records it.
	UserID         string
	Seq            uint64
	At, OccurredAt time.Time
	// StreamKind and Stream name the aggregate whose stream holds the event: its kind
	// (shown in the page's language) and id.
	StreamKind, Stream string
	InheritedFrom      string
	Via                []string
	Hash               string
	After              bool
	// RankingAt is, for a grant that records the sequence of the ranking it relied on,
	// the address of that ranking ("" otherwise).
	RankingAt string
}

func toEventRows(p *frame, name nameOf, evs []projections.EventView, b projections.Bound) []eventRow {
	out := make([]eventRow, 0, len(evs))
	for _, e := range evs {
		// The projections name the actor (in the summaries too); names covers a user the
		// registry did not know when the events were read.
		actor := e.Actor.Name
		if actor == "" {
			actor = nameOr(name, e.Actor.User)
		}
		role := e.Actor.Role
		if role == string(domain.RoleSystem) {
			// The engine itself: "bởi Hệ thống", not "bởi system (Hệ thống)".
			actor, role = p.L("role", role), ""
		}
		r := eventRow{ID: e.ID, Type: e.Type, Summary: p.Pick(e.SummaryVI, e.SummaryEN), Actor: actor, UserID: e.Actor.User,
			Role: role, Seq: e.Seq, At: e.At, OccurredAt: e.OccurredAt, StreamKind: e.Aggregate.Kind, Stream: e.Aggregate.ID,
			InheritedFrom: e.InheritedFrom, Via: e.Via, Hash: e.Hash}
		if (b.Seq != 0 && e.Seq > b.Seq) || (!b.Time.IsZero() && e.At.After(b.Time)) {
			r.After = true
		}
		if e.Type == domain.AwardGranted {
			var g struct {
				RankingSeq uint64 `json:"ranking_seq"`
			}
			if json.Unmarshal(e.Data, &g) == nil && g.RankingSeq != 0 {
				r.RankingAt = fmt.Sprintf("/campaigns/%s/ranking?seq=%d", url.PathEscape(e.Aggregate.ID), g.RankingSeq)
			}
		}
		out = append(out, r)
	}
	return out
}

// mergeEvents merges audit trails in stream order, without duplicates.
func mergeEvents(lists ...[]projections.EventView) []projections.EventView {
	seen := map[string]bool{}
	var out []projections.EventView
	for _, l := range lists {
		for _, e := range l {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].Index < out[j].Index
	})
	return out
}

// seqWait is how long a page as of a sequence waits for this server's projections to
// reach it (another server of a cluster may have just written it).
const seqWait = 2 * time.Second

// parseBound reads ?at= (a date-time picker value in the campaign's zone, or RFC 3339)
// and ?seq= (a stream sequence) into a bound. A moment still to come (the current
// minute's end, say) is taken as now, as the API does: the page's "as of" says so.

func (h *handler) parseBound(q *req) (projections.Bound, error) {
	var b projections.Bound
	v := q.r.URL.Query()
	if strings.TrimSpace(v.Get("at")) != "" && strings.TrimSpace(v.Get("seq")) != "" {
		// Each names a moment of its own, as the API says (invalid_bound).
		return b, invalid("err.form.bound")
	}
	if s := strings.TrimSpace(v.Get("at")); s != "" {
		t, err := parseDateTime(s, true)
		if err != nil || !api.InRange(t) {
			// Out of the API's years, as it refuses them: Go's zero time (0001-01-01
			// UTC) would otherwise read as no bound at all, the present (a review finding).
			return b, invalid("err.form.at", strings.Replace(s, "T", " ", 1))
		}
		if now := h.svc.Now(); t.After(now) {
			t = now
		}
		if err := h.svc.SettleTime(q.r.Context(), seqWait); err != nil {
			return b, err
		}
		b.Time = t
	}
	if s := strings.TrimSpace(v.Get("seq")); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return b, invalid("err.form.seq", s)
		}
		// Past the stream's end is refused too (a sequence still to come has no settled
		// answer); inside an atomic append, the bound is taken to the append's end.
		if n, err = h.svc.SettleSeq(q.r.Context(), n, seqWait); err != nil {
			if errors.Is(err, workflows.ErrInvalidInput) {
				return b, invalid("err.form.seq", s)
			}
			return b, err
		}
		b.Seq = n
	}
	return b, nil
}

// parseDateTime reads a datetime-local value (in the campaign's zone) or RFC 3339. With
// wholeMinute, a value without seconds means the end of that minute (for "as it stood
// at 10:05", events recorded during 10:05 count).
func parseDateTime(s string, wholeMinute bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if i := len(s) - len(" 07:00"); i > 0 && s[i] == ' ' && !strings.Contains(s[:i], " ") {
		// An address's "+07:00" typed as it is reads as " 07:00" (a + is a space in a
		// query string): taken as the offset it was, as the API takes it (a review
		// finding: the web showed the present instead).
		if t, err := time.Parse(time.RFC3339Nano, s[:i]+"+"+s[i+1:]); err == nil {
			return t, nil
		}
	}
	var last error
	// Year first, as a picker sends it, or day first, as Vietnamese writing puts it and a
	// deadline is typed (a review finding: "28/11/2025 17:00" was refused as no moment).
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04",
		"2/1/2006 15:04:05", "2/1/2006 15:04", "2.1.2006 15:04:05", "2.1.2006 15:04"} {
		t, err := time.ParseInLocation(layout, s, zone)
		if err == nil {
			// A picker's minute means "to the end of that minute", and its second "to the
			// end of that second": the picker shows a moment to the second, and an event
			// recorded at 10:00:01.5 is one of 10:00:01's (a review finding: "replay to
			// here" on it, sent back as 10:00:01, left the event out).
			switch {
			case wholeMinute && !strings.HasSuffix(layout, ":05"):
				t = t.Add(time.Minute - time.Nanosecond)
			case wholeMinute:
				t = t.Add(time.Second - time.Nanosecond)
			}
			return t, nil
		}
		last = err
	}
	return time.Time{}, last
}

// pickerValue formats a time for a datetime-local input, in the campaign's zone.
func pickerValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02T15:04:05")
}

// nominationHref is where a page links a nomination: its page, or, on a page showing a past
// moment (?at=, ?seq=), its timeline at that moment: its page shows the present only.
func nominationHref(q *req, id string) string {
	v := q.r.URL.Query()
	for _, k := range []string{"seq", "at"} {
		if s := strings.TrimSpace(v.Get(k)); s != "" {
			return "/nominations/" + url.PathEscape(id) + "/timeline?" + k + "=" + url.QueryEscape(s) + "#replay"
		}
	}
	return "/nominations/" + url.PathEscape(id)
}

// reasonRow is one reason against a nomination, with links to its events, each with who
// recorded it and when (story 1: "the exact events (ids, actors, times)").
type reasonRow struct {
	Code, Criterion, Message string
	Events                   []reasonEvent
}

// reasonEvent is an event a reason rests on: its id, and who recorded it and when ("" when
// the answer did not describe it); Href is the timeline that shows it, when not the
// nomination's (a campaign's grant or revocation, the merger of a unit merged alongside:
// before, their links led to the nomination's timeline, which does not hold them).
type reasonEvent struct{ ID, Who, When, Href string }

func reasonRows(p *frame, el projections.EligibilityView) []reasonRow {
	out := make([]reasonRow, 0, len(el.Reasons))
	// Criteria that merely await a ruling or facts are listed together when there are
	// many; the checklist shows what each one needs.
	var pending []string
	for _, r := range el.Reasons {
		if r.Code == domain.ReasonCriterionPending && len(r.Events) == 0 {
			pending = append(pending, r.Criterion)
		}
	}
	group := len(pending) >= 3
	for _, r := range el.Reasons {
		if group && r.Code == domain.ReasonCriterionPending && len(r.Events) == 0 {
			continue
		}
		row := reasonRow{Code: r.Code, Criterion: r.Criterion, Message: p.Pick(r.MessageVI, r.MessageEN)}
		details := map[string]projections.EventRefView{}
		for _, d := range r.EventDetails {
			details[d.ID] = d
		}
		for _, id := range r.Events {
			ev := reasonEvent{ID: id}
			if d, ok := details[id]; ok {
				ev.Who, ev.When = d.Actor.Name, p.Time(d.At)
				if ev.Who == "" {
					ev.Who = d.Actor.User
				}
				if key := "role." + d.Actor.Role; hasKey(key) {
					ev.Who += " (" + p.T(key) + ")"
				}
				switch d.Aggregate.Kind {
				case domain.KindCampaign:
					ev.Href = "/campaigns/" + d.Aggregate.ID + "/timeline"
				case domain.KindUnit:
					ev.Href = "/units/" + d.Aggregate.ID + "/timeline"
				}
			}
			row.Events = append(row.Events, ev)
		}
		out = append(out, row)
	}
	if group {
		out = append(out, reasonRow{Code: domain.ReasonCriterionPending, Message: p.T("verdict.pending", strings.Join(pending, ", "))})
	}
	return out
}

// rankKind is the ranking of one nominee kind, with the quota line.
type rankKind struct {
	Kind    string
	Quota   int
	Awarded int
	Rows    []rankRow
	// Short is true when fewer entries than the quota are eligible.
	Short bool
	// LineFirst is true when awards no longer ranked hold every place: the quota's line
	// comes before the first entry, as the CLI draws it.
	LineFirst bool
	// Total is the number of places in the ranking; Hidden the number not in Rows (a
	// table cut at its limit), and More where the whole ranking is.
	Total, Hidden int
	More          string
	// Unranked are the awards in force whose nomination is not eligible at the moment:
	// "name (unit) — decision", each holding a place until revoked.
	Unranked []string
	// Cols are the ranking keys the campaign ranks by that the table shows a column of
	// (its PAR INDEX, improved components, approval and priority columns), and Span the
	// table's columns: a campaign ranking by other keys showed empty columns of these (a
	// review finding).
	Cols map[string]bool
	Span int
}

// rankRow is one place in a ranking.
type rankRow struct {
	Rank                             int
	Nomination, Unit, UnitName, Name string
	// Href is where the nomination's link goes (nominationHref).
	Href                             string
	Recommended, Awarded, Link, Mine bool
	// Withheld says why an entry is not recommended though within the quota's reach
	// (domain.WithheldLineage, domain.WithheldPerson, domain.WithheldPersonOnHold, domain.WithheldUnitOnHold; "" when it is not withheld).
	Withheld string
	// Full marks an entry not awarded with every place of the quota awarded.
	Full        bool
	Par         any
	Improved    any
	Approval    any
	Priority    bool
	SubmittedAt time.Time
	DecidedBy   string
	QuotaLine   bool
	Highlight   bool
	// Gap is true when places before this row are left out of the table.
	Gap bool
}

// rankKinds builds the ranking tables of both nominee kinds, marking the nomination
// highlight (if any) and the viewer's own unit's.
//
// With limit > 0 a table shows the first limit places (never fewer than the quota), then
// only the nomination highlighted and the viewer's own unit's (a clerk's), after a gap;
// more is where the whole ranking is. A national campaign ranks tens of thousands of
// nominations: the whole table would be megabytes of HTML on every dashboard.
func (h *handler) rankKinds(q *req, rk projections.RankingView, highlight string, limit int, more string) []rankKind {
	rk, _ = h.svc.RankingFor(q.p, rk)
	names := h.unitNames()
	build := func(kind string, kv projections.RankingKindView) rankKind {
		// Awards in force no longer ranked hold places: the line comes after the entry
		// that takes the last free one, as the CLI draws it (a review finding: with such an
		// award the recommended never reached the quota, and no line was drawn).
		places := kv.Quota - len(kv.AwardedUnranked)
		k := rankKind{Kind: kind, Quota: kv.Quota, Awarded: kv.Awarded, Short: len(kv.Entries) < places, LineFirst: places <= 0 && len(kv.Entries) > 0,
			Total: len(kv.Entries), More: more, Cols: map[string]bool{}, Span: 3}
		// The keys the table has a column for, in its order.
		for _, key := range []string{domain.KeyParIndexScore, domain.KeyImprovedComponents, domain.KeyApprovalRatio, domain.KeyPriority} {
			if slices.Contains(rk.Keys, key) {
				k.Cols[key] = true
				k.Span++
			}
		}
		for _, a := range kv.AwardedUnranked {
			who := nameOr(names, a.Unit)
			if a.Name != "" {
				who = a.Name + " (" + who + ")"
			}
			k.Unranked = append(k.Unranked, who+" — "+a.Decision)
		}
		cut := len(kv.Entries)
		if limit > 0 {
			cut = min(cut, max(limit, kv.Quota))
		}
		gap := false
		recommended := 0
		for i, e := range kv.Entries {
			if e.Recommended {
				recommended++
			}
			mine := q.p.Role == domain.RoleClerk && e.Unit == q.p.Unit
			if i >= cut && e.Nomination != highlight && !mine {
				k.Hidden++
				gap = true
				continue
			}
			r := rankRow{Gap: gap, Rank: e.Rank, Nomination: e.Nomination, Href: nominationHref(q, e.Nomination), Unit: e.Unit, UnitName: nameOr(names, e.Unit), Name: e.Name,
				Recommended: e.Recommended, Awarded: e.Awarded, Link: workflows.CanRead(q.p, e.Unit),
				Mine: mine,
				Par:  e.Keys[domain.KeyParIndexScore], Improved: e.Keys[domain.KeyImprovedComponents],
				Approval: e.Keys[domain.KeyApprovalRatio], DecidedBy: e.DecidedBy,
				QuotaLine: e.Recommended && recommended == places,
				Withheld:  e.Withheld, Full: !e.Awarded && e.Withheld == "" && kv.Awarded >= kv.Quota,
				Highlight: e.Nomination == highlight}
			if b, ok := e.Keys[domain.KeyPriority].(bool); ok {
				r.Priority = b
			}
			if t, ok := e.Keys[domain.KeySubmittedAt].(time.Time); ok {
				r.SubmittedAt = t
			}
			k.Rows = append(k.Rows, r)
			gap = false
		}
		return k
	}
	return []rankKind{build(string(domain.NomineeCollective), rk.Collective), build(string(domain.NomineeIndividual), rk.Individual)}
}

// byName orders units for people to choose from: by name in Vietnamese collation, as a
// Vietnamese reader looks for them (Ban Quản lý…, Bảo hiểm xã hội tỉnh, …, Huyện Bác Ái),
// then by id; before, they came in the order of their ids (Huyện Bác Ái first, its id
// being BA).
func byName(units []projections.UnitView) []projections.UnitView {
	col := collate.New(language.Vietnamese)
	slices.SortStableFunc(units, func(a, b projections.UnitView) int {
		if c := col.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return units
}

// criterionFacts lists the facts a fact-judged criterion reads for a unit; parent tells
// whether the unit is a parent unit, for whom an exclusion that concerns parent units
// needs its fact too.
func criterionFacts(c domain.Criterion, parent bool) []string {
	var out []string
	add := func(f string) {
		for _, v := range out {
			if v == f {
				return
			}
		}
		if f != "" {
			out = append(out, f)
		}
	}
	add(c.Rule.Fact)
	for _, f := range c.Rule.Facts {
		add(f)
	}
	if c.Rule.Kind == domain.RuleIndexImproved {
		add(domain.FactIndexComponent)
	}
	for _, x := range c.Rule.Exclusions {
		if !x.ParentOnly || (x.ParentRequired && parent) {
			add(x.Fact)
		}
	}
	return out
}

// nominationStates lists the states in workflow order.
var nominationStates = []domain.State{
	domain.StateDraft, domain.StateSubmitted, domain.StateUnderReview, domain.StateReturned, domain.StateVerified,
	domain.StateOnHold, domain.StateAwarded, domain.StateWithdrawn, domain.StateRevoked,
}

// inStates reports whether s is one of the states.
func inStates(s string, states ...domain.State) bool {
	for _, x := range states {
		if string(x) == s {
			return true
		}
	}
	return false
}
