package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Criterion applicability (Criterion.AppliesTo).
const (
	// AppliesCollective marks a criterion for collectives.
	AppliesCollective = "collective"
	// AppliesIndividual marks a criterion for every individual.
	AppliesIndividual = "individual"
	// AppliesHead marks a criterion for individuals who head their unit, in addition.
	AppliesHead = "head"
)

// How a criterion is judged (Criterion.JudgedBy).
const (
	// JudgedByRuling means a reviewer rules on the criterion.
	JudgedByRuling = "ruling"
	// JudgedByFacts means the criterion follows from the unit's recorded facts.
	JudgedByFacts = "facts"
)

// Ranking keys (Definition.RankingKeys).
const (
	// KeyParIndexScore orders by the unit's PAR INDEX score, highest first (missing last).
	KeyParIndexScore = "par_index_score"
	// KeyImprovedComponents orders by the number of improved index components, most first.
	KeyImprovedComponents = "improved_components"
	// KeyApprovalRatio orders by the council's approve/members ratio, highest first.
	KeyApprovalRatio = "approval_ratio"
	// KeyPriority puts women (individuals) and collectives with at least 70% women first.
	KeyPriority = "priority"
	// KeySubmittedAt orders by the latest submission, earliest first.
	KeySubmittedAt = "submitted_at"
	// KeyName orders by the name in Vietnamese collation.
	KeyName = "name"
)

// MaxQuota bounds a campaign's quota of each kind: a national campaign awards hundreds,
// not a trillion (a typing error).
const MaxQuota = 100000

// DefaultTimezone is the campaigns' time zone when a definition names none.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// Definition is a campaign's rules as data. It is versioned: a revision carries a higher
// Version and applies from the event that records it.
type Definition struct {
	// ID is the campaign id (it reaches a subject).
	ID string `json:"id"`
	// Version increases with every revision, from 1.
	Version int `json:"version"`
	// NameVI and NameEN name the campaign; AwardVI names the award (Bằng khen ...).
	NameVI  string `json:"name_vi"`
	NameEN  string `json:"name_en"`
	AwardVI string `json:"award_vi"`
	// Starts and Ends are the first and last day (YYYY-MM-DD) in Timezone.
	Starts   string `json:"starts"`
	Ends     string `json:"ends"`
	Timezone string `json:"timezone"`
	// Quota caps the awards of each kind.
	Quota Quota `json:"quota"`
	// OneAwardPerPerson makes eligibility and the ranking apply the rule every grant
	// applies: one person holds one award of the campaign within a unit's lineage. A person
	// who holds one is not eligible on another nomination (person_already_awarded), and of
	// two nominations of one person in one unit (a merger joined them) only the first is
	// recommended (WithheldPerson). A definition without it, as every campaign launched
	// before it existed, ranks as its grants recorded.
	OneAwardPerPerson bool `json:"one_award_per_person,omitempty"`
	// RulesRevision is the revision of thidua's reading of the rules the definition was
	// launched under. A campaign launched before a reading changed keeps the one its
	// decisions were made under, so that its past moments, and the rankings its grants
	// recorded, replay as they were decided. 0: before the twenty-fifth session; 1: a unit
	// that absorbed the unit it was registered under (a commune taking over its district)
	// is not its own subordinate for C13's parent-unit share; 2 (the thirty-first
	// session): an individual nomination whose person has another nomination on hold in
	// the unit is not recommended (WithheldPersonOnHold), and a nomination of a unit of a
	// kind the definition in force no longer admits is not eligible; 3 (the thirty-third
	// session): a collective nomination whose unit has another collective nomination on
	// hold is not recommended (WithheldUnitOnHold), as its grant is refused, and merged
	// units' shares of women that are all below the priority's threshold are no conflict;
	// 4 (the thirty-fourth session): a hold is on the nominee in every campaign, so a
	// nomination whose person or unit has a nomination on hold in another campaign is
	// withheld as one on hold in its own is (WithheldPersonOnHold, WithheldUnitOnHold).
	RulesRevision int `json:"rules_revision,omitempty"`
	// rulesRevisionOmitted records that the definition parsed (ParseDefinition) did not
	// state its rules_revision: a new campaign then takes the current one, a revision keeps
	// its campaign's (Campaign.Revise), where an omitted field read as 0, the oldest
	// reading (a review finding).
	rulesRevisionOmitted bool
	// EligibleUnitKinds lists the unit kinds that take part.
	EligibleUnitKinds []UnitKind `json:"eligible_unit_kinds"`
	// EligibleUnits names, for a kind it lists, the only units of that kind that take part,
	// by id: the plan's five vertical agencies (II.1.b: "Công an tỉnh, Bảo hiểm xã hội
	// tỉnh, Kho bạc nhà nước tỉnh, Cục Thuế tỉnh và Cục Thống kê tỉnh"). A unit that
	// absorbed one of them by a merger takes part too. A kind it does not list takes every
	// unit of the kind. Checked when a nomination is opened.
	EligibleUnits map[UnitKind][]string `json:"eligible_units,omitempty"`
	// DossierParts lists the documents a complete dossier holds.
	DossierParts []DocKind `json:"dossier_parts"`
	// Council is the unit council's vote rule.
	Council CouncilPolicy `json:"council"`
	// RankingKeys orders eligible nominations (see the Key constants).
	RankingKeys []string `json:"ranking_keys"`
	// Criteria are the emulation criteria, judged by Evaluate.
	Criteria []Criterion `json:"criteria"`
}

// CurrentRulesRevision is the latest revision of thidua's reading of the rules
// (Definition.RulesRevision).
const CurrentRulesRevision = 4

// Quota is the most awards of each kind a campaign grants.
type Quota struct {
	Collective int `json:"collective"`
	Individual int `json:"individual"`
}

// For returns the quota of a nominee kind (0 for an unknown kind).
func (q Quota) For(kind NomineeKind) int {
	switch kind {
	case NomineeCollective:
		return q.Collective
	case NomineeIndividual:
		return q.Individual
	}
	return 0
}

// CouncilPolicy is the unit council's vote rule: a quorum of QuorumNum/QuorumDen of the
// members present, and at least ApprovePct percent of the members approving.
type CouncilPolicy struct {
	QuorumNum  int `json:"quorum_num"`
	QuorumDen  int `json:"quorum_den"`
	ApprovePct int `json:"approve_pct"`
}

// Criterion is one emulation criterion of a campaign.
type Criterion struct {
	// ID is the criterion's id (C01, I01, H01 ...).
	ID string `json:"id"`
	// AppliesTo is AppliesCollective, AppliesIndividual or AppliesHead.
	AppliesTo string `json:"applies_to"`
	// LabelVI quotes the plan; LabelEN translates it.
	LabelVI string `json:"label_vi"`
	LabelEN string `json:"label_en"`
	// JudgedBy is JudgedByRuling or JudgedByFacts.
	JudgedBy string `json:"judged_by"`
	// RequiresDocument is informational: the reviewer is expected to cite evidence.
	RequiresDocument bool `json:"requires_document,omitempty"`
	Rule             Rule `json:"rule"`
}

// Rule kinds (Rule.Kind).
const (
	// RuleRuling: a reviewer's ruling decides.
	RuleRuling = "ruling"
	// RuleFactTextEq: the text fact Fact equals Text.
	RuleFactTextEq = "fact_text_eq"
	// RuleFactNumber: the number fact Fact compares with Number by Op.
	RuleFactNumber = "fact_number"
	// RuleFactsZero: every fact in Facts is recorded and zero.
	RuleFactsZero = "facts_zero"
	// RuleIndexImproved: every recorded index_component improved on the previous year.
	RuleIndexImproved = "index_improved"
	// RuleExclusionsOnly: met unless an exclusion applies, once each exclusion's fact is
	// recorded (a ParentOnly one only when ParentRequired, and for a parent unit).
	RuleExclusionsOnly = "exclusions_only"
)

// Rule is how a criterion is judged, interpreted by Evaluate. Exclusions apply to every
// kind: an applicable exclusion makes the criterion "excluded" with the exclusion's code.
// ExcusedCauses lists the causes that make a shortfall of a fact_number rule count as
// met (C08: a disbursement below 100% for an objective cause).
type Rule struct {
	// Kind is one of the Rule* constants.
	Kind string `json:"kind"`
	// Fact is the fact read by fact_text_eq and fact_number rules.
	Fact string `json:"fact,omitempty"`
	// Facts are the facts that must all be zero in a facts_zero rule.
	Facts []string `json:"facts,omitempty"`
	// Op (gte, gt, lte, lt, eq) and Number are the comparison of a fact_number rule.
	Op     string   `json:"op,omitempty"`
	Number *float64 `json:"number,omitempty"`
	// Text is the value a fact_text_eq rule expects.
	Text string `json:"text,omitempty"`
	// ExcusedCauses are causes that make a fact_number shortfall count as met.
	ExcusedCauses []string `json:"excused_causes,omitempty"`
	// Exclusions disqualify the nominee whatever the rule's kind.
	Exclusions []Exclusion `json:"exclusions,omitempty"`
}

// Exclusion disqualifies a nominee when the number fact Fact compares with Number by Op
// ("gt" or "lt") and, when Cause is set, the fact's cause equals Cause. Code is the
// stable reason code. ParentOnly marks an exclusion that concerns parent units only: its
// fact is not needed of other units. ParentRequired, with ParentOnly, needs the fact of a
// parent unit, one that has units registered under it (FactSet.NoteSubordinates): until
// it is recorded the criterion is pending for such a unit. Without ParentRequired a
// ParentOnly fact is never needed, as campaigns launched before it existed read it: a
// campaign is judged by the definition it was launched or revised with, so that a past
// moment replays under the rules then in force.
type Exclusion struct {
	Fact           string  `json:"fact"`
	Op             string  `json:"op"`
	Number         float64 `json:"number"`
	Cause          string  `json:"cause,omitempty"`
	Code           string  `json:"code"`
	ParentOnly     bool    `json:"parent_only,omitempty"`
	ParentRequired bool    `json:"parent_required,omitempty"`
}

// NeedsParentUnits reports whether a criterion's exclusion needs its fact of a parent
// unit (Exclusion.ParentRequired): only then does an evaluation look for the units
// registered under the nominee's unit (FactSet.NoteSubordinates).
func (d Definition) NeedsParentUnits() bool {
	for _, c := range d.Criteria {
		for _, x := range c.Rule.Exclusions {
			if x.ParentOnly && x.ParentRequired {
				return true
			}
		}
	}
	return false
}

// ParseDefinition decodes a campaign definition strictly (unknown fields are errors) and
// validates it. Errors name the offending field.
func ParseDefinition(data []byte) (Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		field := jsonField(err)
		if strings.Contains(err.Error(), "unknown field ") {
			if path := unknownFieldPath(data, reflect.TypeFor[Definition](), "", field); path != "" {
				field = path // a nested unknown field, named by its path
			}
		}
		return Definition{}, &DefinitionError{Field: field, Problem: err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Definition{}, defErr("", "trailing data after the definition")
	}
	if err := checkNewDefinition(d, data); err != nil {
		return Definition{}, err
	}
	if d.Timezone != "" && d.Timezone != DefaultTimezone {
		// The web shows and reads every time in the province's zone: a campaign in another
		// read its deadline there one way and in its trail another (a review finding).
		return Definition{}, defErr("timezone", "%q: campaigns are kept in %s, the zone thidua's pages show and read times in (or leave timezone out)", d.Timezone, DefaultTimezone)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err == nil {
		if !hasField(fields, "rules_revision") {
			d.RulesRevision, d.rulesRevisionOmitted = CurrentRulesRevision, true
		}
	}
	d = d.composed()
	if err := d.Validate(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// hasField reports whether a JSON object's members name the field, in any letter case, as
// encoding/json matches them (a review finding: "Rules_Revision" stated was read as left
// out), with a value other than null (another: a null rules_revision launched under 0).
func hasField(fields map[string]json.RawMessage, name string) bool {
	for k, v := range fields {
		if strings.EqualFold(k, name) && string(bytes.TrimSpace(v)) != "null" {
			return true // a null states nothing: encoding/json leaves the field as it was
		}
	}
	return false
}

// MaxDefinitionVersion is the highest version a definition given may have: one far above
// (a typing error) would leave no version above it for the next revision.
const MaxDefinitionVersion = 1_000_000

// checkNewDefinition refuses, in a definition given (ParseDefinition, data its JSON), what
// Validate leaves to the records made before these checks: no quota, or one of 0 for both
// kinds (a campaign that can award nothing), and a version past MaxDefinitionVersion
// (review findings).
func checkNewDefinition(d Definition, data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err == nil {
		if !hasField(fields, "quota") {
			return defErr("quota", "is required: the most awards of each kind, e.g. {\"collective\": 9, \"individual\": 15}")
		}
	}
	if d.Quota.Collective == 0 && d.Quota.Individual == 0 {
		return defErr("quota", "is 0 for both kinds: the campaign could award nothing")
	}
	if d.Version > MaxDefinitionVersion {
		return defErr("version", "must be at most %d, got %d", MaxDefinitionVersion, d.Version)
	}
	return nil
}

// jsonField extracts a field name from a JSON decoding error, when it has one.
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	// encoding/json names an unknown field in its message alone (it has no error type
	// for it): the one place its text is read.
	msg := err.Error()
	if i := strings.Index(msg, "unknown field "); i >= 0 {
		return strings.Trim(msg[i+len("unknown field "):], `"`)
	}
	return ""
}

// unknownFieldPath returns the path, as DefinitionError names fields ("criteria[3].rule.x"),
// of a member named name of the JSON value data that no field of t takes (matched without
// regard to letter case, as encoding/json matches them), or "" when there is none or data
// is no JSON. encoding/json names the member alone, which in a definition of dozens of
// criteria leaves the administrator searching; another unknown member is passed over, so
// that the path is the one the error names (a review finding).
func unknownFieldPath(data []byte, t reflect.Type, at, name string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return "" // a type that decodes itself names its own members
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return ""
		}
		keys := slices.Sorted(maps.Keys(members))
		for _, k := range keys {
			f, ok := jsonMember(t, k)
			path := k
			if at != "" {
				path = at + "." + k
			}
			if !ok {
				if k == name {
					return path
				}
				continue
			}
			if p := unknownFieldPath(members[k], f.Type, path, name); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return ""
		}
		for i, item := range items {
			if p := unknownFieldPath(item, t.Elem(), fmt.Sprintf("%s[%d]", at, i), name); p != "" {
				return p
			}
		}
	case reflect.Map:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return ""
		}
		for _, k := range slices.Sorted(maps.Keys(members)) {
			if p := unknownFieldPath(members[k], t.Elem(), at+"."+k, name); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonMember returns the exported field of the struct type t that encoding/json decodes the
// member name into: the one its tag (or, untagged, its name) spells exactly, else the first
// that matches without regard to letter case.
func jsonMember(t reflect.Type, name string) (reflect.StructField, bool) {
	var folded *reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f, true
		}
		if folded == nil && strings.EqualFold(tag, name) {
			folded = &f
		}
	}
	if folded != nil {
		return *folded, true
	}
	return reflect.StructField{}, false
}

// Location returns the campaign's time zone (Asia/Ho_Chi_Minh when none is named).
// Asia/Ho_Chi_Minh falls back to a fixed UTC+7 zone when the system has no zone database
// (Vietnam has kept UTC+7 without daylight saving since 1975).
func (d Definition) Location() (*time.Location, error) {
	tz := d.Timezone
	if tz == "" {
		tz = DefaultTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		if tz == DefaultTimezone {
			return time.FixedZone("ICT", 7*3600), nil
		}
		return nil, fmt.Errorf("loading time zone %q: %w", tz, err)
	}
	return loc, nil
}

// LocalTime writes t in the campaign's time zone, as users read it: "17:00 28/11/2025"
// for the Vietnamese messages (vi), RFC 3339 with the zone's offset for the English ones.
func (d Definition) LocalTime(t time.Time, vi bool) string {
	if loc, err := d.Location(); err == nil {
		t = t.In(loc)
	}
	if vi {
		return t.Format("15:04 02/01/2006")
	}
	return t.Format(time.RFC3339)
}

// Window returns the campaign's period: from 00:00 on Starts to the end of Ends (the
// first instant after 23:59:59.999… on Ends), in the campaign's time zone.
func (d Definition) Window() (start, end time.Time, err error) {
	loc, err := d.Location()
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	start, err = time.ParseInLocation(time.DateOnly, d.Starts, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("starts: %w", err)
	}
	e, err := time.ParseInLocation(time.DateOnly, d.Ends, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("ends: %w", err)
	}
	return start, e.AddDate(0, 0, 1), nil
}

// Criterion returns the criterion with the given id.
func (d Definition) Criterion(id string) (Criterion, bool) {
	for _, c := range d.Criteria {
		if c.ID == id {
			return c, true
		}
	}
	return Criterion{}, false
}

// EligibleUnit reports whether a unit of kind k whose lineage (the unit's id first, then
// every unit it absorbed) is lineage may take part: its kind does, and EligibleUnits, when
// it lists the kind, names one of the lineage.
func (d Definition) EligibleUnit(k UnitKind, lineage []string) bool {
	if !d.EligibleKind(k) {
		return false
	}
	named, ok := d.EligibleUnits[k]
	if !ok {
		return true
	}
	for _, id := range lineage {
		if slices.Contains(named, id) {
			return true
		}
	}
	return false
}

// EligibleKind reports whether units of kind k may take part.
func (d Definition) EligibleKind(k UnitKind) bool {
	for _, e := range d.EligibleUnitKinds {
		if e == k {
			return true
		}
	}
	return false
}

// AppliesToNominee reports whether the criterion applies to the nominee: collective criteria to
// collectives, individual criteria to individuals, and head criteria to individuals who
// head their unit.
func (c *Criterion) AppliesToNominee(n Nominee) bool {
	switch c.AppliesTo {
	case AppliesCollective:
		return n.Kind == NomineeCollective
	case AppliesIndividual:
		return n.Kind == NomineeIndividual
	case AppliesHead:
		return n.Kind == NomineeIndividual && n.Head
	}
	return false
}

// ApplicableCriteria returns the criteria of def that apply to the nominee, in the
// definition's order.
func ApplicableCriteria(def Definition, n Nominee) []Criterion {
	k := 0 // counted first: one allocation of the right size, on every command's path
	for i := range def.Criteria {
		if def.Criteria[i].AppliesToNominee(n) {
			k++
		}
	}
	out := make([]Criterion, 0, k)
	for i := range def.Criteria {
		if def.Criteria[i].AppliesToNominee(n) {
			out = append(out, def.Criteria[i])
		}
	}
	return out
}

// composed returns d with its texts (names, the award, the criteria's labels and the text
// a rule expects of a fact) in Unicode NFC, as unit, nominee and user names and facts'
// texts are recorded: a definition
// written with decomposed Vietnamese (NFD, as some editors save it) would otherwise put
// names in the exports that a search typed in composed form does not find (a review
// finding). d is not changed.
func (d Definition) composed() Definition {
	d.NameVI, d.NameEN, d.AwardVI = norm.NFC.String(d.NameVI), norm.NFC.String(d.NameEN), norm.NFC.String(d.AwardVI)
	d.Criteria = slices.Clone(d.Criteria)
	for i := range d.Criteria {
		c := &d.Criteria[i]
		c.LabelVI, c.LabelEN, c.Rule.Text = norm.NFC.String(c.LabelVI), norm.NFC.String(c.LabelEN), norm.NFC.String(c.Rule.Text)
	}
	return d
}

// Validate checks the definition and returns a *DefinitionError naming the first invalid
// field, such as `criteria[3].rule.fact: unknown fact "x"`.
func (d Definition) Validate() error {
	if err := ValidateID(d.ID); err != nil {
		return defErr("id", "%v", err)
	}
	if d.Version < 1 {
		return defErr("version", "must be at least 1, got %d", d.Version)
	}
	if d.RulesRevision < 0 || d.RulesRevision > CurrentRulesRevision {
		return defErr("rules_revision", "must be from 0 to %d (this version of thidua's readings), got %d", CurrentRulesRevision, d.RulesRevision)
	}
	if strings.TrimSpace(d.NameVI) == "" {
		return defErr("name_vi", "is required")
	}
	if d.Timezone == "Local" {
		// time.LoadLocation reads "Local" as the server's own zone: one campaign, two
		// calendars on two servers.
		return defErr("timezone", "%q is the server's own zone: name a zone, e.g. %s", d.Timezone, DefaultTimezone)
	}
	if _, err := d.Location(); err != nil {
		return defErr("timezone", "%v", err)
	}
	for _, t := range []struct{ field, text string }{{"name_vi", d.NameVI}, {"name_en", d.NameEN}, {"award_vi", d.AwardVI}} {
		if utf8.RuneCountInString(t.text) > MaxReasonLength {
			return defErr(t.field, "is at most 2,000 characters")
		}
	}
	s, err := time.Parse(time.DateOnly, d.Starts)
	if err != nil {
		return defErr("starts", "%q is not a date YYYY-MM-DD", d.Starts)
	}
	e, err := time.Parse(time.DateOnly, d.Ends)
	if err != nil {
		return defErr("ends", "%q is not a date YYYY-MM-DD", d.Ends)
	}
	if e.Before(s) {
		return defErr("ends", "%s is before starts %s", d.Ends, d.Starts)
	}
	// The engine's dates lie within 2000–2099 (the API's bounds, and the web UI's): a
	// campaign of year 1 or 9999 is a typing error, whichever way it came in.
	if s.Year() < 2000 || e.Year() > 2099 {
		return defErr("starts", "the campaign's period %s to %s is outside the years 2000 to 2099", d.Starts, d.Ends)
	}
	if d.Quota.Collective < 0 || d.Quota.Collective > MaxQuota {
		return defErr("quota.collective", "must be from 0 to %d, got %d", MaxQuota, d.Quota.Collective)
	}
	if d.Quota.Individual < 0 || d.Quota.Individual > MaxQuota {
		return defErr("quota.individual", "must be from 0 to %d, got %d", MaxQuota, d.Quota.Individual)
	}
	if len(d.EligibleUnitKinds) == 0 {
		return defErr("eligible_unit_kinds", "must list at least one unit kind")
	}
	seenKinds := map[UnitKind]bool{}
	for i, k := range d.EligibleUnitKinds {
		f := fmt.Sprintf("eligible_unit_kinds[%d]", i)
		if !k.Valid() {
			return defErr(f, "unknown unit kind %q", k)
		}
		if seenKinds[k] {
			return defErr(f, "duplicate unit kind %q", k)
		}
		seenKinds[k] = true
	}
	for k, ids := range d.EligibleUnits {
		f := fmt.Sprintf("eligible_units.%s", k)
		if !seenKinds[k] {
			return defErr(f, "names units of kind %q, which eligible_unit_kinds does not list", k)
		}
		if len(ids) == 0 {
			return defErr(f, "must name at least one unit (leave the kind out to take every unit of it)")
		}
		for i, id := range ids {
			if err := ValidateID(id); err != nil {
				return defErr(fmt.Sprintf("%s[%d]", f, i), "%v", err)
			}
			if slices.Contains(ids[:i], id) {
				return defErr(fmt.Sprintf("%s[%d]", f, i), "duplicate unit %q", id)
			}
		}
	}
	if len(d.DossierParts) == 0 {
		return defErr("dossier_parts", "must list at least one document kind")
	}
	seenParts := map[DocKind]bool{}
	for i, k := range d.DossierParts {
		f := fmt.Sprintf("dossier_parts[%d]", i)
		if !k.Valid() {
			return defErr(f, "unknown document kind %q", k)
		}
		if seenParts[k] {
			return defErr(f, "duplicate document kind %q", k)
		}
		seenParts[k] = true
	}
	c := d.Council
	if c.QuorumDen < 1 || c.QuorumDen > 100 {
		// Bounded as approve_pct is: a share of a council, and the quorum's arithmetic
		// (members × num) cannot overflow (a review finding: 2^62/2^62 was taken, and a
		// quorum of everyone met with 7 of 9).
		return defErr("council.quorum_den", "must be from 1 to 100")
	}
	if c.QuorumNum < 1 || c.QuorumNum > c.QuorumDen {
		return defErr("council.quorum_num", "must be between 1 and quorum_den (%d)", c.QuorumDen)
	}
	if c.ApprovePct < 1 || c.ApprovePct > 100 {
		return defErr("council.approve_pct", "must be between 1 and 100")
	}
	if len(d.RankingKeys) == 0 {
		return defErr("ranking_keys", "must list at least one key")
	}
	seenKeys := map[string]bool{}
	for i, k := range d.RankingKeys {
		f := fmt.Sprintf("ranking_keys[%d]", i)
		if !knownRankingKey(k) {
			return defErr(f, "unknown ranking key %q", k)
		}
		if seenKeys[k] {
			return defErr(f, "duplicate ranking key %q", k)
		}
		seenKeys[k] = true
	}
	if len(d.Criteria) == 0 {
		return defErr("criteria", "must list at least one criterion")
	}
	seen := map[string]bool{}
	for i, cr := range d.Criteria {
		if err := cr.validate(fmt.Sprintf("criteria[%d]", i)); err != nil {
			return err
		}
		if seen[cr.ID] {
			return defErr(fmt.Sprintf("criteria[%d].id", i), "duplicate criterion id %q", cr.ID)
		}
		seen[cr.ID] = true
	}
	return nil
}

func knownRankingKey(k string) bool {
	switch k {
	case KeyParIndexScore, KeyImprovedComponents, KeyApprovalRatio, KeyPriority, KeySubmittedAt, KeyName:
		return true
	}
	return false
}

func (c Criterion) validate(f string) error {
	if err := ValidateID(c.ID); err != nil {
		return defErr(f+".id", "%v", err)
	}
	switch c.AppliesTo {
	case AppliesCollective, AppliesIndividual, AppliesHead:
	default:
		return defErr(f+".applies_to", "must be collective, individual or head, got %q", c.AppliesTo)
	}
	if strings.TrimSpace(c.LabelVI) == "" {
		return defErr(f+".label_vi", "is required")
	}
	if strings.TrimSpace(c.LabelEN) == "" {
		return defErr(f+".label_en", "is required")
	}
	if utf8.RuneCountInString(c.LabelVI) > MaxReasonLength || utf8.RuneCountInString(c.LabelEN) > MaxReasonLength {
		return defErr(f+".label_vi", "a label is at most 2,000 characters")
	}
	switch c.JudgedBy {
	case JudgedByRuling:
		if c.Rule.Kind != RuleRuling {
			return defErr(f+".rule.kind", "a criterion judged by ruling needs rule kind %q, got %q", RuleRuling, c.Rule.Kind)
		}
	case JudgedByFacts:
		if c.Rule.Kind == RuleRuling {
			return defErr(f+".rule.kind", "a criterion judged by facts cannot have rule kind %q", RuleRuling)
		}
	default:
		return defErr(f+".judged_by", "must be ruling or facts, got %q", c.JudgedBy)
	}
	return c.Rule.validate(f + ".rule")
}

func (r Rule) validate(f string) error {
	cat := factCatalogue()
	needFact := func(kinds ...factType) error {
		spec, ok := cat[r.Fact]
		if !ok {
			return defErr(f+".fact", "unknown fact %q", r.Fact)
		}
		for _, k := range kinds {
			if spec.typ == k {
				return nil
			}
		}
		return defErr(f+".fact", "fact %q has the wrong type for rule kind %q", r.Fact, r.Kind)
	}
	// A field the rule's kind does not read is refused, as an unknown one is: a fact
	// named there is read by nothing (a review finding: facts_zero with "fact":
	// "no_such_fact" was taken), and would still count among the rule's facts.
	stray := map[string]bool{"fact": r.Fact != "", "facts": len(r.Facts) > 0, "op": r.Op != "", "number": r.Number != nil, "text": r.Text != ""}
	reads := map[string][]string{
		RuleFactTextEq: {"fact", "text"}, RuleFactNumber: {"fact", "op", "number"}, RuleFactsZero: {"facts"},
		RuleIndexImproved: {"fact"}, RuleExclusionsOnly: nil,
	}
	if used, ok := reads[r.Kind]; ok {
		for _, name := range []string{"fact", "facts", "op", "number", "text"} {
			if stray[name] && !slices.Contains(used, name) {
				return defErr(f+"."+name, "a %s rule does not read %s", r.Kind, name)
			}
		}
	}
	switch r.Kind {
	case RuleRuling:
		if r.Fact != "" || len(r.Facts) > 0 || len(r.Exclusions) > 0 || r.Number != nil || r.Text != "" {
			return defErr(f, "a ruling rule takes no facts, numbers, texts or exclusions")
		}
	case RuleFactTextEq:
		if err := needFact(factText); err != nil {
			return err
		}
		if !cat[r.Fact].allows(r.Text) {
			return defErr(f+".text", "%q is not a value of fact %q (%s)", r.Text, r.Fact, strings.Join(cat[r.Fact].values, ", "))
		}
	case RuleFactNumber:
		if err := needFact(factNumber, factInteger); err != nil {
			return err
		}
		if !validOp(r.Op, "gte", "gt", "lte", "lt", "eq") {
			return defErr(f+".op", "must be gte, gt, lte, lt or eq, got %q", r.Op)
		}
		if r.Number == nil || math.IsNaN(*r.Number) || math.IsInf(*r.Number, 0) {
			return defErr(f+".number", "a finite number is required")
		}
		if why := thresholdProblem(cat[r.Fact], r.Fact, r.Op, *r.Number, false); why != "" {
			return defErr(f+".number", "%s", why)
		}
		for i, c := range r.ExcusedCauses {
			if c != CauseSubjective && c != CauseObjective {
				return defErr(fmt.Sprintf("%s.excused_causes[%d]", f, i), "unknown cause %q", c)
			}
		}
	case RuleFactsZero:
		if len(r.Facts) == 0 {
			return defErr(f+".facts", "must list at least one fact")
		}
		for i, name := range r.Facts {
			spec, ok := cat[name]
			if !ok {
				return defErr(fmt.Sprintf("%s.facts[%d]", f, i), "unknown fact %q", name)
			}
			if spec.typ != factInteger && spec.typ != factNumber {
				return defErr(fmt.Sprintf("%s.facts[%d]", f, i), "fact %q is not a number", name)
			}
		}
	case RuleIndexImproved:
		if r.Fact != "" && r.Fact != FactIndexComponent {
			return defErr(f+".fact", "an index_improved rule reads %q facts, not %q", FactIndexComponent, r.Fact)
		}
	case RuleExclusionsOnly:
		if len(r.Exclusions) == 0 {
			return defErr(f+".exclusions", "an exclusions_only rule needs at least one exclusion")
		}
	default:
		return defErr(f+".kind", "unknown rule kind %q", r.Kind)
	}
	if r.Kind != RuleFactNumber && len(r.ExcusedCauses) > 0 {
		return defErr(f+".excused_causes", "only a fact_number rule takes excused causes")
	}
	for i, x := range r.Exclusions {
		xf := fmt.Sprintf("%s.exclusions[%d]", f, i)
		spec, ok := cat[x.Fact]
		if !ok {
			return defErr(xf+".fact", "unknown fact %q", x.Fact)
		}
		if spec.typ != factNumber && spec.typ != factInteger {
			return defErr(xf+".fact", "fact %q is not a number", x.Fact)
		}
		if !validOp(x.Op, "gt", "lt") {
			return defErr(xf+".op", "must be gt or lt, got %q", x.Op)
		}
		if math.IsNaN(x.Number) || math.IsInf(x.Number, 0) {
			return defErr(xf+".number", "must be finite")
		}
		if why := thresholdProblem(spec, x.Fact, x.Op, x.Number, true); why != "" {
			return defErr(xf+".number", "%s", why)
		}
		if x.Cause != "" && x.Cause != CauseSubjective && x.Cause != CauseObjective {
			return defErr(xf+".cause", "unknown cause %q", x.Cause)
		}
		if err := ValidateID(x.Code); err != nil || !strings.HasPrefix(x.Code, "excluded_") {
			return defErr(xf+".code", "must be an id starting with excluded_, got %q", x.Code)
		}
		if x.ParentRequired && !x.ParentOnly {
			return defErr(xf+".parent_required", "applies to a parent_only exclusion only")
		}
	}
	return nil
}

// thresholdProblem says what is wrong with comparing fact (of spec) to n with op, given the
// values the fact can take: a criterion no value can meet, or an exclusion that no value,
// or every value, brings about ("" when the comparison can go either way). A review
// finding: H04 requiring online_service_pct ≥ 101 was taken, and no head could ever be
// eligible.
func thresholdProblem(spec factSpec, fact, op string, n float64, exclusion bool) string {
	lo, hi := spec.min, spec.max
	rng := fmt.Sprintf("%s takes values from %s to %s", fact, FormatNumber(lo, false), FormatNumber(hi, false))
	if spec.typ == factInteger && op == "eq" && n != math.Trunc(n) {
		return fmt.Sprintf("%s counts whole numbers: it never equals %s", fact, FormatNumber(n, false))
	}
	var never, always bool
	switch op {
	case "gte":
		never, always = n > hi, n <= lo
	case "gt":
		never, always = n >= hi, n < lo
	case "lte":
		never, always = n < lo, n >= hi
	case "lt":
		never, always = n <= lo, n > hi
	case "eq":
		never = n < lo || n > hi
	}
	switch {
	case never && exclusion:
		return fmt.Sprintf("the exclusion never applies: %s", rng)
	case always && exclusion:
		return fmt.Sprintf("the exclusion applies to every unit: %s", rng)
	case never:
		return fmt.Sprintf("no value can meet it: %s", rng)
	}
	return ""
}

func validOp(op string, allowed ...string) bool {
	for _, a := range allowed {
		if op == a {
			return true
		}
	}
	return false
}

// compare reports whether v op n holds.
func compare(v float64, op string, n float64) bool {
	switch op {
	case "gte":
		return v >= n
	case "gt":
		return v > n
	case "lte":
		return v <= n
	case "lt":
		return v < n
	case "eq":
		return v == n
	}
	return false
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
