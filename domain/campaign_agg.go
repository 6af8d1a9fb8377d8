package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DefinitionVersion is one version of a campaign's definition with the event that
// brought it into force.
type DefinitionVersion struct {
	Definition Definition
	Seq        uint64
	At         time.Time
	EventID    string
}

// AwardRef is an award granted by a campaign.
type AwardRef struct {
	ID         string
	Nomination string
	Unit       string
	Lineage    []string
	Kind       NomineeKind
	// Nominee is an individual's name, when the grant recorded it.
	Nominee   string
	Decision  string
	EventID   string
	At        time.Time
	Revoked   bool
	Ground    string
	RevokedBy string
}

// NominationSummary is what Grant needs to know of the nomination: its id, unit, kind,
// the unit's lineage (the unit and every unit it absorbed) and an individual's name.
type NominationSummary struct {
	ID      string
	Unit    string
	Kind    NomineeKind
	Lineage []string
	Name    string
}

// Campaign is the campaign aggregate: the definition's versions, the deadline and the
// awards. It owns the quota and the one-collective-award-per-lineage invariant.
type Campaign struct {
	versions []DefinitionVersion
	deadline *time.Time
	awards   map[string]*AwardRef
	order    []string
	seq      uint64
}

// NewCampaign returns an empty campaign, ready to apply its events.
func NewCampaign() *Campaign { return &Campaign{awards: map[string]*AwardRef{}} }

// ID returns the campaign's id ("" before campaign.launched).
func (c *Campaign) ID() string { return c.Definition().ID }

// Exists reports whether the campaign was launched.
func (c *Campaign) Exists() bool { return len(c.versions) > 0 }

// Definition returns the definition in force (the latest version); the zero Definition
// before launch.
func (c *Campaign) Definition() Definition {
	if len(c.versions) == 0 {
		return Definition{}
	}
	return c.versions[len(c.versions)-1].Definition
}

// DefinitionAt returns the definition in force at stream sequence seq: the latest
// version recorded at or before seq.
func (c *Campaign) DefinitionAt(seq uint64) (Definition, bool) {
	for i := len(c.versions) - 1; i >= 0; i-- {
		if c.versions[i].Seq <= seq {
			return c.versions[i].Definition, true
		}
	}
	return Definition{}, false
}

// KindDroppedBy returns the id of the event of the version that stopped admitting units of
// kind, when the campaign's latest version does not admit them: the first of the latest
// versions that all leave it out ("" when the latest admits it, or none ever did).
func (c *Campaign) KindDroppedBy(kind UnitKind) string {
	id := ""
	for i := len(c.versions) - 1; i >= 0 && !c.versions[i].Definition.EligibleKind(kind); i-- {
		id = c.versions[i].EventID
	}
	return id
}

// UnitsNamedBy returns the id of the event of the version that named the only units of
// kind that take part (Definition.EligibleUnits), when the latest version names them: the
// first of the latest versions that all name them ("" when the latest does not).
func (c *Campaign) UnitsNamedBy(kind UnitKind) string {
	id := ""
	for i := len(c.versions) - 1; i >= 0; i-- {
		if _, ok := c.versions[i].Definition.EligibleUnits[kind]; !ok {
			break
		}
		id = c.versions[i].EventID
	}
	return id
}

// CouncilSetBy returns the id of the event of the version that set the council's quorum
// and approval threshold in force, when a revision changed them ("" when the first
// version's stand): a dossier whose vote fails on them cites it beside the vote (a review
// finding: a threshold raised after the vote failed dossiers already awarded, citing only
// the vote).
func (c *Campaign) CouncilSetBy() string {
	return c.changedBy(func(a, b Definition) bool { return a.Council == b.Council })
}

// PartRequiredBy returns the id of the event of the version that made the dossier part
// required, when a revision added it ("" when the first version required it, or the
// latest does not): a dossier missing it cites it.
func (c *Campaign) PartRequiredBy(part DocKind) string {
	n := len(c.versions)
	if n == 0 || !slices.Contains(c.versions[n-1].Definition.DossierParts, part) {
		return ""
	}
	return c.changedBy(func(a, b Definition) bool {
		return slices.Contains(a.DossierParts, part) == slices.Contains(b.DossierParts, part)
	})
}

// changedBy returns the id of the event of the first of the latest versions that are all
// the same as the latest by same, when an earlier version is not ("" otherwise).
func (c *Campaign) changedBy(same func(a, b Definition) bool) string {
	n := len(c.versions)
	if n < 2 {
		return ""
	}
	latest := c.versions[n-1].Definition
	i := n - 1
	for i > 0 && same(c.versions[i-1].Definition, latest) {
		i--
	}
	if i == 0 {
		return ""
	}
	return c.versions[i].EventID
}

// Deadline returns the nomination deadline, if one was set.
func (c *Campaign) Deadline() (time.Time, bool) {
	if c.deadline == nil {
		return time.Time{}, false
	}
	return *c.deadline, true
}

// Awards returns every award, in the order granted (revoked ones included, marked).
func (c *Campaign) Awards() []AwardRef {
	out := make([]AwardRef, 0, len(c.order))
	for _, id := range c.order {
		a := *c.awards[id]
		a.Lineage = append([]string(nil), a.Lineage...)
		out = append(out, a)
	}
	return out
}

// Award returns one award by id.
func (c *Campaign) Award(id string) (AwardRef, bool) {
	a, ok := c.awards[id]
	if !ok {
		return AwardRef{}, false
	}
	cp := *a
	cp.Lineage = append([]string(nil), a.Lineage...)
	return cp, true
}

// CheckDeadline refuses with deadline_passed once the campaign's nomination deadline, if
// one is set, is past: what a dossier relies on (a unit's emulation plan, a new
// nomination) is no longer accepted, as the dossiers themselves are not.
func (c *Campaign) CheckDeadline(now time.Time) error {
	if d, ok := c.Deadline(); ok && now.After(d) {
		return ruleErr("deadline_passed",
			fmt.Sprintf("the nomination deadline %s has passed", c.Definition().LocalTime(d, false)),
			fmt.Sprintf("Đã hết hạn nộp hồ sơ (%s)", c.Definition().LocalTime(d, true)))
	}
	return nil
}

// LineageAward returns the active collective award held by a unit of lineage for another
// nomination than nomination, if any: one collective award per unit lineage and campaign.
func (c *Campaign) LineageAward(nomination string, lineage []string) (AwardRef, bool) {
	for _, id := range c.order {
		a := c.awards[id]
		if a.Revoked || a.Kind != NomineeCollective || a.Nomination == nomination {
			continue
		}
		for _, u := range a.Lineage {
			if slices.Contains(lineage, u) {
				return *a, true
			}
		}
	}
	return AwardRef{}, false
}

// PersonAward returns the award in force, other than nomination's, that the person named
// name holds in the campaign within lineage (SamePerson; one achievement is not rewarded
// twice), if any.
func (c *Campaign) PersonAward(nomination, name string, lineage []string) (AwardRef, bool) {
	if NomineeKey(name) == "" {
		return AwardRef{}, false
	}
	for _, id := range c.order {
		a := c.awards[id]
		if a.Revoked || a.Kind != NomineeIndividual || a.Nomination == nomination || !SamePerson(a.Nominee, name) {
			continue
		}
		if slices.ContainsFunc(a.Lineage, func(u string) bool { return slices.Contains(lineage, u) }) {
			return *a, true
		}
	}
	return AwardRef{}, false
}

// PersonAwardReason is the reason an individual nomination is not eligible while its
// nominee holds award a of the campaign within its unit's lineage (PersonAward).
func PersonAwardReason(a AwardRef) Reason {
	return Reason{Code: "person_already_awarded", Events: []string{a.EventID},
		MessageVI: fmt.Sprintf("%s (đơn vị %s) đã được khen thưởng trong đợt này (%s, hồ sơ %s): một thành tích không khen thưởng hai lần", a.Nominee, a.Unit, a.ID, a.Nomination),
		MessageEN: fmt.Sprintf("%s of unit %s already holds award %s in this campaign (nomination %s): one achievement is not rewarded twice", a.Nominee, a.Unit, a.ID, a.Nomination)}
}

// LineageAwardReason is the reason a collective nomination is not eligible while
// another nomination of its unit's lineage holds the campaign's collective award.
func LineageAwardReason(a AwardRef, unit string) Reason {
	return Reason{Code: "lineage_already_awarded", Events: []string{a.EventID},
		MessageVI: fmt.Sprintf("Đơn vị %s đã được khen thưởng tập thể trong đợt này (%s, hồ sơ %s của đơn vị %s): mỗi đơn vị chỉ được một khen thưởng tập thể", unit, a.ID, a.Nomination, a.Unit),
		MessageEN: fmt.Sprintf("Unit %s already holds collective award %s in this campaign (nomination %s of unit %s): one collective award per unit", unit, a.ID, a.Nomination, a.Unit)}
}

// BarringGround reports whether an award revoked on ground bars its holder from the
// campaign's awards: a false declaration of achievements or forged documents. An award
// revoked because its approval was unlawful, or because the criteria were later found
// unmet, makes room for a new nomination, decided properly.
func BarringGround(ground string) bool {
	return ground == GroundFalseDeclaration || ground == GroundForgedDocuments
}

// BarringRevocation returns an award of the campaign, held by another nomination than
// nomination, revoked on a barring ground (BarringGround) from the same holder: for a
// collective nominee, a collective award to a unit of lineage; for an individual, an
// individual award to the same person (SamePerson, name) in a unit of lineage. Such a
// holder is not nominated, found eligible or granted again in the campaign.
func (c *Campaign) BarringRevocation(nomination string, kind NomineeKind, name string, lineage []string) (AwardRef, bool) {
	for _, id := range c.order {
		a := c.awards[id]
		if !a.Revoked || !BarringGround(a.Ground) || a.Kind != kind || a.Nomination == nomination {
			continue
		}
		if kind == NomineeIndividual && !SamePerson(a.Nominee, name) {
			continue
		}
		if slices.ContainsFunc(a.Lineage, func(u string) bool { return slices.Contains(lineage, u) }) {
			return *a, true
		}
	}
	return AwardRef{}, false
}

// HasBarringRevocation reports whether any award of the campaign was revoked on a barring
// ground (a quick test before BarringRevocation).
func (c *Campaign) HasBarringRevocation() bool {
	for _, a := range c.awards {
		if a.Revoked && BarringGround(a.Ground) {
			return true
		}
	}
	return false
}

// CheckNotBarred refuses, with barred_by_revocation, a nominee of kind and name (an
// individual's) in a unit of lineage whose award in the campaign was revoked on a barring
// ground (BarringRevocation): the opening of a nomination, a nominee's correction, a
// grant. nomination is the nomination's own id ("" for a new one).
func (c *Campaign) CheckNotBarred(nomination string, kind NomineeKind, name string, lineage []string) error {
	if a, barred := c.BarringRevocation(nomination, kind, name, lineage); barred {
		r := BarredReason(a)
		return ruleErr(r.Code, r.MessageEN, r.MessageVI)
	}
	return nil
}

// BarredReason is the reason a nomination is not eligible, nor opened, nor granted, when
// its holder's award in the campaign was revoked on a barring ground (a).
func BarredReason(a AwardRef) Reason {
	holder, holderVI := "unit "+a.Unit, "đơn vị "+a.Unit
	if a.Kind == NomineeIndividual && a.Nominee != "" {
		holder, holderVI = fmt.Sprintf("%s of unit %s", a.Nominee, a.Unit), fmt.Sprintf("%s (đơn vị %s)", a.Nominee, a.Unit)
	}
	return Reason{Code: "barred_by_revocation", Events: []string{a.RevokedBy},
		MessageVI: fmt.Sprintf("Khen thưởng %s của %s (hồ sơ %s) đã bị thu hồi vì %s: không xét khen thưởng lại trong đợt này", a.ID, holderVI, a.Nomination, TermVI(a.Ground)),
		MessageEN: fmt.Sprintf("Award %s of %s (nomination %s) was revoked for %s: not considered again in this campaign", a.ID, holder, a.Nomination, strings.ReplaceAll(a.Ground, "_", " "))}
}

// ActiveAwards returns the number of awards of that kind not revoked.
func (c *Campaign) ActiveAwards(kind NomineeKind) int {
	n := 0
	for _, a := range c.awards {
		if !a.Revoked && a.Kind == kind {
			n++
		}
	}
	return n
}

// Version returns the stream sequence of the last applied event.
func (c *Campaign) Version() uint64 { return c.seq }

// Apply evolves the campaign by one recorded event; other payloads are ignored.
func (c *Campaign) Apply(r Recorded) {
	if c.awards == nil {
		c.awards = map[string]*AwardRef{}
	}
	switch d := r.Data.(type) {
	case CampaignLaunchedData:
		c.versions = append(c.versions, DefinitionVersion{Definition: d.Definition, Seq: r.Seq, At: r.At, EventID: r.ID})
	case CampaignRevisedData:
		c.versions = append(c.versions, DefinitionVersion{Definition: d.Definition, Seq: r.Seq, At: r.At, EventID: r.ID})
	case DeadlineSetData:
		t := d.Closes
		c.deadline = &t
	case AwardGrantedData:
		if _, ok := c.awards[d.Award]; !ok {
			c.order = append(c.order, d.Award)
		}
		c.awards[d.Award] = &AwardRef{ID: d.Award, Nomination: d.Nomination, Unit: d.Unit, Lineage: append([]string(nil), d.Lineage...),
			Kind: d.Kind, Nominee: d.Nominee, Decision: d.Decision, EventID: r.ID, At: r.At}
	case AwardRevokedData:
		if a, ok := c.awards[d.Award]; ok {
			a.Revoked, a.Ground, a.RevokedBy = true, d.Ground, r.ID
		}
	case UnitsMergedNotedData:
		// Nothing to keep: the version moves, which is the point (NoteMerger).
	default:
		return
	}
	if r.Seq > c.seq {
		c.seq = r.Seq
	}
}

// Refuses says why no decision of the campaign's could have made event r where the
// campaign stands ("" when one could): a second launch, a revision that does not raise the
// version or changes the id, anything before the launch, a grant under an award id already
// used, to a nomination that holds an award in force, or past the kind's quota, and the
// revocation of an award unknown or already revoked. An audit (thidua verify) and the
// running server check every recorded campaign event with it: an event appended behind the
// engine's back, well-formed and by an actor in a role that records its type, may still
// be one no command makes (a grant past the quota). Events of other aggregates are refused.
// Rules added later than the engine's first version (the bar of a revocation for fraud, a
// quota below the awards in force) are not checked here: an earlier version's honest
// grant or revision would read as a forgery, and a campaign's problem marks every one of
// its nominations.
func (c *Campaign) Refuses(r Recorded) string {
	switch r.Data.(type) {
	case CampaignLaunchedData:
		if c.Exists() {
			return "a second launch of the campaign"
		}
		return ""
	case CampaignRevisedData, DeadlineSetData, UnitsMergedNotedData, AwardGrantedData, AwardRevokedData:
		if !c.Exists() {
			return "an event of a campaign not launched"
		}
	default:
		return "not an event of a campaign"
	}
	switch d := r.Data.(type) {
	case CampaignRevisedData:
		cur := c.Definition()
		if d.Definition.ID != cur.ID {
			return fmt.Sprintf("a revision that changes the campaign's id to %q", d.Definition.ID)
		}
		if d.Definition.Version <= cur.Version {
			return fmt.Sprintf("a revision to version %d, not above the current version %d", d.Definition.Version, cur.Version)
		}

	case AwardGrantedData:
		if _, dup := c.awards[d.Award]; dup {
			return fmt.Sprintf("a grant under award id %s, already used", d.Award)
		}
		for _, id := range c.order {
			if a := c.awards[id]; !a.Revoked && a.Nomination == d.Nomination {
				return fmt.Sprintf("a grant to nomination %s, which holds award %s in force", d.Nomination, a.ID)
			}
		}
		if quota := c.Definition().Quota.For(d.Kind); c.ActiveAwards(d.Kind) >= quota {
			return fmt.Sprintf("a grant past the quota of %d %s awards", quota, d.Kind)
		}

	case AwardRevokedData:
		a, ok := c.awards[d.Award]
		switch {
		case !ok:
			return fmt.Sprintf("the revocation of award %s, which does not exist", d.Award)
		case a.Revoked:
			return fmt.Sprintf("the revocation of award %s, already revoked", d.Award)
		}
	}
	return ""
}

// Launch decides launching the campaign with a valid definition, its texts recorded in
// Unicode NFC (Definition.composed); campaign_exists when it was launched already.
func (c *Campaign) Launch(def Definition) ([]Event, error) {
	def = def.composed()
	if c.Exists() {
		return nil, ruleErr("campaign_exists", fmt.Sprintf("campaign %s already exists", c.ID()), fmt.Sprintf("Đợt thi đua %s đã tồn tại", c.ID()))
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	if err := ValidateNewID(def.ID); err != nil {
		return nil, defErr("id", "%v", err)
	}
	return []Event{{Type: CampaignLaunched, Data: CampaignLaunchedData{Definition: def}}}, nil
}

// Revise decides a new version of the definition: same id, a higher version, valid; its
// texts recorded in Unicode NFC, as Launch records them.
func (c *Campaign) Revise(def Definition) ([]Event, error) {
	def = def.composed()
	if !c.Exists() {
		return nil, ruleErr("unknown_campaign", "the campaign does not exist", "Đợt thi đua không tồn tại")
	}
	cur := c.Definition()
	if def.rulesRevisionOmitted {
		// A revision that does not state the reading keeps the campaign's: an older file
		// edited for its quota neither opts in to a newer reading nor falls back to 0.
		def.RulesRevision = cur.RulesRevision
	}
	if def.ID != cur.ID {
		return nil, &DefinitionError{Field: "id", Problem: fmt.Sprintf("a revision of %s cannot change the id to %q", cur.ID, def.ID)}
	}
	if def.Version <= cur.Version {
		return nil, ruleErr("version_not_increased", fmt.Sprintf("version %d is not above the current version %d", def.Version, cur.Version),
			fmt.Sprintf("Phiên bản %d phải lớn hơn phiên bản hiện hành %d", def.Version, cur.Version))
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	if why := c.quotaBelowAwards(def); why != nil {
		return nil, why
	}
	if d, ok := c.Deadline(); ok {
		// The rule SetDeadline keeps holds whichever command comes second (a review
		// finding: a revision moved the start past the deadline set).
		if start, _, err := def.Window(); err == nil && d.Before(start) {
			return nil, fieldErr("starts", "starts_after_deadline",
				fmt.Sprintf("the campaign cannot start on %s, after its nomination deadline %s: move the deadline first", def.Starts, def.LocalTime(d, false)),
				fmt.Sprintf("Đợt thi đua không thể bắt đầu ngày %s, sau hạn nộp hồ sơ %s: hãy dời hạn nộp hồ sơ trước", DateVI(def.Starts), def.LocalTime(d, true)))
		}
	}
	return []Event{{Type: CampaignRevised, Data: CampaignRevisedData{Definition: def}}}, nil
}

// quotaBelowAwards refuses, with quota_below_awards, a definition whose quota of a kind is
// below the awards of that kind in force: a revision cannot take back an award, which
// only a revocation does, and the ranking would list more awards than places.
func (c *Campaign) quotaBelowAwards(def Definition) *RuleError {
	for _, k := range []NomineeKind{NomineeCollective, NomineeIndividual} {
		if q, held := def.Quota.For(k), c.ActiveAwards(k); q < held {
			return ruleErr("quota_below_awards",
				fmt.Sprintf("the quota of %d %s awards is below the %d in force: revoke awards first", q, k, held),
				fmt.Sprintf("Số lượng khen thưởng %s tối đa %d thấp hơn số đã khen thưởng (%d): thu hồi khen thưởng trước", TermVI(string(k)), q, held))
		}
	}
	return nil
}

// SetDeadline decides setting or moving the nomination deadline; the deadline already set
// is refused (deadline_unchanged).
func (c *Campaign) SetDeadline(t time.Time) ([]Event, error) {
	if !c.Exists() {
		return nil, ruleErr("unknown_campaign", "the campaign does not exist", "Đợt thi đua không tồn tại")
	}
	if t.IsZero() {
		return nil, fieldErr("closes", "invalid_deadline", "the deadline is required", "Phải nêu hạn nộp hồ sơ")
	}
	if y := t.UTC().Year(); y < 2000 || y > 2099 {
		// The range is the engine's, in UTC, as the API's (api.InRange) and the CLI's
		// --at: an instant, wherever it is read. The message gives the deadline in the
		// campaign's zone, as the user typed it (before, in UTC: 9999-01-01 00:00 typed
		// in Vietnam read 9998-12-31T17:00:00Z).
		return nil, fieldErr("closes", "invalid_deadline", fmt.Sprintf("the deadline %s is outside the years 2000 to 2099", c.Definition().LocalTime(t, false)),
			fmt.Sprintf("Hạn nộp hồ sơ %s nằm ngoài các năm 2000 đến 2099", c.Definition().LocalTime(t, true)))
	}
	if start, _, err := c.Definition().Window(); err == nil && t.Before(start) {
		return nil, fieldErr("closes", "invalid_deadline",
			fmt.Sprintf("the deadline %s is before the campaign starts (%s)", c.Definition().LocalTime(t, false), c.Definition().Starts),
			fmt.Sprintf("Hạn nộp hồ sơ %s trước ngày bắt đầu đợt thi đua (%s)", c.Definition().LocalTime(t, true), DateVI(c.Definition().Starts)))
	}
	if d, ok := c.Deadline(); ok && d.Equal(t) {
		// The deadline already set: nothing would change, and an event would move the
		// campaign's version (its ETag, the council's If-Match) for nothing (a review
		// finding). A refusal, not a silent success: a success records nothing a retry
		// under the same Idempotency-Key could find, so a retry after another deadline
		// would set this one again (another finding), where a refusal is an answer
		// clients do not retry, as nothing_to_correct is for a correction.
		return nil, fieldErr("closes", "deadline_unchanged",
			fmt.Sprintf("the nomination deadline is already %s", c.Definition().LocalTime(t, false)),
			fmt.Sprintf("Hạn nộp hồ sơ đã là %s", c.Definition().LocalTime(t, true)))
	}
	return []Event{{Type: DeadlineSet, Data: DeadlineSetData{Closes: t.UTC()}}}, nil
}

// Grant decides granting an award to a nomination. Refusals: not_eligible when the
// nomination is not eligible at the moment of the decision, already_awarded when it holds
// an active award, quota_exceeded when the kind's active awards reached the quota, and
// lineage_already_awarded when a collective award is active for a unit of the same
// lineage, barred_by_revocation when the holder's award in the campaign was revoked for a
// false declaration or forged documents (CheckNotBarred); decision_required without the decision (its number and date). The ranking relied
// on is recorded with the grant, and the stream sequence it was computed as of when known.
func (c *Campaign) Grant(awardID string, nom NominationSummary, eligible bool, decision string, ranking RankingRelied) ([]Event, error) {
	if !c.Exists() {
		return nil, ruleErr("unknown_campaign", "the campaign does not exist", "Đợt thi đua không tồn tại")
	}
	if err := ValidateID(awardID); err != nil {
		return nil, fmt.Errorf("award id: %w", err)
	}
	if _, dup := c.awards[awardID]; dup {
		return nil, ruleErr("award_exists", fmt.Sprintf("award %s already exists", awardID), fmt.Sprintf("Khen thưởng %s đã tồn tại", awardID))
	}
	if !nom.Kind.Valid() || nom.ID == "" || nom.Unit == "" {
		return nil, ruleErr("invalid_nomination", "the nomination's id, unit and kind are required", "Thiếu mã hồ sơ, đơn vị hoặc loại đối tượng")
	}
	if decision = trimText(decision); decision == "" || utf8.RuneCountInString(decision) > MaxReasonLength {
		return nil, fieldErr("decision", "decision_required", "the award decision (its number and date, 1 to 2,000 characters) is required",
			"Phải nêu quyết định khen thưởng (số, ngày; tối đa 2.000 ký tự)")
	}
	for _, id := range c.order {
		if a := c.awards[id]; !a.Revoked && a.Nomination == nom.ID {
			return nil, conflictErr("already_awarded", fmt.Sprintf("nomination %s already holds award %s", nom.ID, a.ID),
				fmt.Sprintf("Hồ sơ %s đã được khen thưởng (%s)", nom.ID, a.ID))
		}
	}
	lineage := nom.Lineage
	if len(lineage) == 0 {
		lineage = []string{nom.Unit}
	}
	// Before eligibility: an evaluation gives such a nomination this reason too, and the
	// refusal names the rule rather than not_eligible.
	if nom.Kind == NomineeCollective {
		if a, held := c.LineageAward(nom.ID, lineage); held {
			r := LineageAwardReason(a, nom.Unit)
			return nil, ruleErr("lineage_already_awarded", r.MessageEN, r.MessageVI)
		}
	}
	if err := c.CheckNotBarred(nom.ID, nom.Kind, nom.Name, lineage); err != nil {
		return nil, err
	}
	if nom.Kind == NomineeIndividual {
		if a, held := c.PersonAward(nom.ID, nom.Name, lineage); held {
			r := PersonAwardReason(a)
			return nil, ruleErr("person_already_awarded", r.MessageEN, r.MessageVI)
		}
	}
	if !eligible {
		return nil, ruleErr("not_eligible", fmt.Sprintf("nomination %s is not eligible", nom.ID), fmt.Sprintf("Hồ sơ %s chưa đủ điều kiện khen thưởng", nom.ID))
	}
	def := c.Definition()
	if quota := def.Quota.For(nom.Kind); c.ActiveAwards(nom.Kind) >= quota {
		return nil, ruleErr("quota_exceeded", fmt.Sprintf("the quota of %d %s awards is used up", quota, nom.Kind),
			fmt.Sprintf("Đã đủ chỉ tiêu %d %s được khen thưởng", quota, kindVI(nom.Kind)))
	}
	return []Event{{Type: AwardGranted, Data: AwardGrantedData{
		Award: awardID, Nomination: nom.ID, Unit: nom.Unit, Lineage: append([]string(nil), lineage...), Kind: nom.Kind,
		Nominee:  individualName(nom),
		Decision: trimText(decision), Ranking: append([]RankingRef(nil), ranking.Entries...), RankingSeq: ranking.Seq,
	}}}, nil
}

// NoteMerger decides noting a merger on the campaign. groups are the lineages the merger
// joins, each once: the successor's (when it exists already), and each source's with
// what it had absorbed; effective is the day the merger takes effect (YYYY-MM-DD).
//
// Awards granted before that day went to units that were apart: they were lawful, the
// merger records what the province decided, and the successor's lineage keeps them as
// its history (no new award of the kind comes to it: lineage_already_awarded,
// person_already_awarded). But when the later of two awards in force that would lie in
// one lineage was granted on or after that day, it went to a unit already merged, and
// the merger is refused (merger_double_award) until the council revokes it: two
// collective awards, or two individual awards to one person (SamePerson). A merger
// recorded after the awards it follows is never refused for them: the council is not
// made to revoke a lawful award on a ground that is not true to record a reorganisation.
// Only awards of two of the lineages this merger joins are weighed against each other:
// two that one lineage already held, joined by an earlier merger the campaign accepted,
// are not this merger's doing (a review finding: a unit with no award could not be
// merged into a successor holding two lawful ones).
func (c *Campaign) NoteMerger(reorg, successor string, sources []string, groups [][]string, effective string) ([]Event, error) {
	if !c.Exists() {
		return nil, ruleErr("unknown_campaign", "the campaign does not exist", "Đợt thi đua không tồn tại")
	}
	loc, err := c.Definition().Location()
	if err != nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	// grantedMerged reports whether the later of awards was granted on or after the
	// merger's day: to units that were one already.
	grantedMerged := func(awards ...*AwardRef) bool {
		for _, a := range awards {
			if a.At.In(loc).Format(time.DateOnly) >= effective {
				return true
			}
		}
		return false
	}
	group := map[string]int{} // unit → the lineage it is of, from 1
	for i, g := range groups {
		for _, u := range g {
			if group[u] == 0 {
				group[u] = i + 1
			}
		}
	}
	// groupOf is the lineage an award lies in (0: none the merger joins).
	groupOf := func(a *AwardRef) int {
		for _, u := range a.Lineage {
			if g := group[u]; g != 0 {
				return g
			}
		}
		return 0
	}
	var held []*AwardRef
	double := false
	for _, id := range c.order {
		a := c.awards[id]
		if a.Revoked || a.Kind != NomineeCollective || groupOf(a) == 0 {
			continue
		}
		// The later of two awards of two lineages, granted to them as one.
		double = double || (grantedMerged(a) && slices.ContainsFunc(held, func(b *AwardRef) bool { return groupOf(b) != groupOf(a) }))
		held = append(held, a)
	}
	if double {
		ids, units := make([]string, len(held)), make([]string, len(held))
		for i, a := range held {
			ids[i], units[i] = a.ID, a.Unit
		}
		return nil, ruleErr("merger_double_award",
			fmt.Sprintf("units %s hold collective awards %s in campaign %s, granted on or after %s, when the merger into %s took effect: one lineage would hold %d collective awards in one campaign; the council revokes those granted after the merger first",
				strings.Join(units, ", "), strings.Join(ids, ", "), c.ID(), effective, successor, len(held)),
			fmt.Sprintf("Các đơn vị %s đã được khen thưởng tập thể (%s) trong đợt %s, có khen thưởng từ ngày %s, khi việc hợp nhất vào %s đã có hiệu lực: một đơn vị sẽ có %d khen thưởng tập thể trong cùng một đợt; Hội đồng cần thu hồi khen thưởng đã trao sau khi hợp nhất trước khi ghi nhận hợp nhất",
				strings.Join(units, ", "), strings.Join(ids, ", "), c.ID(), DateVI(effective), successor, len(held)))
	}
	// Nor the same person twice: awards granted apart, in two units, would lie in one
	// lineage (a grant after the merger is refused, person_already_awarded).
	var people []*AwardRef
	for _, id := range c.order {
		a := c.awards[id]
		if a.Revoked || a.Kind != NomineeIndividual || groupOf(a) == 0 {
			continue
		}
		for _, b := range people {
			if SamePerson(a.Nominee, b.Nominee) && grantedMerged(a) && groupOf(a) != groupOf(b) {
				return nil, ruleErr("merger_double_award",
					fmt.Sprintf("%s (award %s, unit %s) and %s (award %s, unit %s) are one person, the second award granted on or after %s, when the merger into %s took effect: one lineage would hold two awards of one person in campaign %s; the council revokes one first",
						b.Nominee, b.ID, b.Unit, a.Nominee, a.ID, a.Unit, effective, successor, c.ID()),
					fmt.Sprintf("%s (khen thưởng %s, đơn vị %s) và %s (khen thưởng %s, đơn vị %s) là một người: nếu hợp nhất vào %s, một đơn vị sẽ có hai khen thưởng cho cùng một người trong đợt %s; Hội đồng cần thu hồi một khen thưởng trước khi ghi nhận hợp nhất",
						b.Nominee, b.ID, b.Unit, a.Nominee, a.ID, a.Unit, successor, c.ID()))
			}
		}
		people = append(people, a)
	}
	return []Event{{Type: UnitsMergedNoted, Data: UnitsMergedNotedData{
		Reorganisation: reorg, Successor: successor, Sources: append([]string(nil), sources...), Effective: effective}}}, nil
}

// Revoke decides revoking an award, which frees its place in the quota.
func (c *Campaign) Revoke(awardID, ground, note string) ([]Event, error) {
	a, ok := c.awards[awardID]
	if !ok {
		return nil, ruleErr("unknown_award", fmt.Sprintf("award %s does not exist", awardID), fmt.Sprintf("Không có khen thưởng %s", awardID))
	}
	if a.Revoked {
		return nil, conflictErr("award_already_revoked", fmt.Sprintf("award %s was already revoked", awardID), fmt.Sprintf("Khen thưởng %s đã bị thu hồi", awardID))
	}
	if !ValidGround(ground) {
		return nil, invalidGround(ground)
	}
	note = trimText(note)
	if note == "" {
		return nil, fieldErr("note", "note_required", "a revocation states its grounds in the note: the unit and the auditors read why",
			"Quyết định thu hồi phải nêu lý do trong ghi chú: đơn vị và thanh tra cần biết vì sao")
	}
	if utf8.RuneCountInString(note) > MaxReasonLength {
		return nil, fieldErr("note", "invalid_note", "the note is at most 2,000 characters", "Ghi chú tối đa 2.000 ký tự")
	}
	return []Event{{Type: AwardRevoked, Data: AwardRevokedData{Award: awardID, Nomination: a.Nomination, Ground: ground, Note: note}}}, nil
}

// individualName is an individual nominee's name, which a grant records ("" for a collective).
func individualName(nom NominationSummary) string {
	if nom.Kind == NomineeIndividual {
		return nom.Name
	}
	return ""
}

func kindVI(k NomineeKind) string {
	if k == NomineeCollective {
		return "tập thể"
	}
	return "cá nhân"
}
