package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// State is a nomination's workflow state.
type State string

// Nomination states.
const (
	// StateDraft is a nomination being prepared by the unit's clerk.
	StateDraft State = "draft"
	// StateSubmitted is a submitted dossier awaiting review.
	StateSubmitted State = "submitted"
	// StateUnderReview is a dossier a reviewer has started ruling on.
	StateUnderReview State = "under_review"
	// StateReturned is a dossier returned to the unit for amendment.
	StateReturned State = "returned"
	// StateVerified is a dossier whose every ruled criterion is met or not applicable.
	StateVerified State = "verified"
	// StateOnHold is a nomination held (discipline review, investigation, complaint).
	StateOnHold State = "on_hold"
	// StateWithdrawn is a nomination withdrawn by its unit (terminal).
	StateWithdrawn State = "withdrawn"
	// StateAwarded is a nomination granted an award.
	StateAwarded State = "awarded"
	// StateRevoked is a nomination whose award was revoked (terminal).
	StateRevoked State = "revoked"
)

// Terminal reports whether a nomination in this state is finished: withdrawn, awarded or
// revoked. Such nominations no longer move with their unit in a merger (an awarded one can
// still have its award revoked).
func (s State) Terminal() bool {
	return s == StateWithdrawn || s == StateAwarded || s == StateRevoked
}

// Ruling results (CriterionRuledData.Result).
const (
	// ResultMet means the criterion is met.
	ResultMet = "met"
	// ResultNotMet means the criterion is not met.
	ResultNotMet = "not_met"
	// ResultNotApplicable means the criterion does not apply to this nominee.
	ResultNotApplicable = "not_applicable"
	// ResultPending means the criterion cannot be judged yet (evaluation only).
	ResultPending = "pending"
	// ResultExcluded means an exclusion applies (evaluation only).
	ResultExcluded = "excluded"
)

// Revocation grounds (Law on Emulation and Commendation 2022).
const (
	// GroundFalseDeclaration is a false declaration of achievements.
	GroundFalseDeclaration = "false_declaration"
	// GroundForgedDocuments is forged dossier documents.
	GroundForgedDocuments = "forged_documents"
	// GroundUnlawfulApproval is an approval against the rules.
	GroundUnlawfulApproval = "unlawful_approval"
	// GroundCriteriaUnmet is criteria later found unmet.
	GroundCriteriaUnmet = "criteria_unmet"
)

// ValidGround reports whether g is a known revocation ground.
func ValidGround(g string) bool {
	switch g {
	case GroundFalseDeclaration, GroundForgedDocuments, GroundUnlawfulApproval, GroundCriteriaUnmet:
		return true
	}
	return false
}

// MaxReasonLength is the longest reason, note or decision, in characters (runes).
const MaxReasonLength = 2000

// AttachedDocument is a document of a nomination's dossier with the event that attached it.
type AttachedDocument struct {
	Document DocumentRef
	EventID  string
	At       time.Time
}

// Vote is the latest council vote of a nomination with the event that recorded it.
type Vote struct {
	CouncilVoteData
	EventID string
	At      time.Time
}

// Ruling is a reviewer's latest ruling on one criterion.
type Ruling struct {
	Result   string
	Note     string
	Document *DocumentRef
	EventID  string
	At       time.Time
}

// KindDocuments are the documents of one kind of a dossier, in the order attached.
type KindDocuments struct {
	Kind      DocKind
	Documents []AttachedDocument
}

// CriterionRuling is the latest ruling on one criterion.
type CriterionRuling struct {
	Criterion string
	Ruling    Ruling
}

// findRuling returns the ruling on criterion id among rs.
func findRuling(rs []CriterionRuling, id string) (Ruling, bool) {
	for i := range rs {
		if rs[i].Criterion == id {
			return rs[i].Ruling, true
		}
	}
	return Ruling{}, false
}

// setRuling puts r as the ruling on criterion id, in place, and returns rs.
func setRuling(rs []CriterionRuling, id string, r Ruling) []CriterionRuling {
	for i := range rs {
		if rs[i].Criterion == id {
			rs[i].Ruling = r
			return rs
		}
	}
	return append(rs, CriterionRuling{Criterion: id, Ruling: r})
}

// Nomination is the nomination aggregate. Its zero value (NewNomination) is a nomination
// that does not exist yet; Apply evolves it and the decide methods return new events.
type Nomination struct {
	id, campaign, unit string
	nominee            Nominee
	state              State
	heldFrom           State
	documents          []KindDocuments // by kind, in the order first attached
	vote               *Vote
	rulings            []CriterionRuling // in the order first ruled
	openedEvent        string
	openedBy           string
	openedAt           time.Time
	submittedAt        time.Time
	submittedSeq       uint64
	submittedEvent     string
	submittedBy        string
	holdEvent          string
	award              string
	awardEvent         string
	revokeEvent        string
	unitHistory        []string
	lastReturn         string
	withdrawEvent      string
	seq                uint64
	events             int
}

// NewNomination returns an empty nomination, ready to apply its events.
func NewNomination() *Nomination {
	// The maps are made on first write: a ranking as of a past moment folds every
	// nomination of a campaign afresh.
	return &Nomination{}
}

// Reset makes n a nomination that does not exist yet, as NewNomination does, and keeps
// the room its lists of rulings, documents' kinds and former units took: a caller that
// folds many nominations one after the other (a ranking as of a past moment folds every
// nomination of a campaign afresh) reuses one instead of making one per nomination.
// Call it only on a nomination that shares none of its lists: one made by NewNomination
// and changed by Apply alone (a Snapshot of it shares nothing Reset keeps). What n held
// before is gone.
func (n *Nomination) Reset() {
	docs := n.documents[:0]
	clear(n.documents[:cap(n.documents)]) // the kinds' own lists are not kept (see Snapshot)
	*n = Nomination{documents: docs, rulings: n.rulings[:0], unitHistory: n.unitHistory[:0]}
}

// ID returns the nomination's id ("" before nomination.opened).
func (n *Nomination) ID() string { return n.id }

// Campaign returns the campaign id.
func (n *Nomination) Campaign() string { return n.campaign }

// Unit returns the current unit (the successor after a merger).
func (n *Nomination) Unit() string { return n.unit }

// Nominee returns who is nominated.
func (n *Nomination) Nominee() Nominee { return n.nominee }

// State returns the workflow state.
func (n *Nomination) State() State { return n.state }

// HeldFrom returns the state before the current hold ("" when not on hold).
func (n *Nomination) HeldFrom() State { return n.heldFrom }

// Documents returns a copy of the dossier by kind, each kind in the order attached.
func (n *Nomination) Documents() map[DocKind][]AttachedDocument {
	out := make(map[DocKind][]AttachedDocument, len(n.documents))
	for _, kd := range n.documents {
		out[kd.Kind] = append([]AttachedDocument(nil), kd.Documents...)
	}
	return out
}

// LatestVote returns the latest council vote, if one was recorded.
func (n *Nomination) LatestVote() (Vote, bool) {
	if n.vote == nil {
		return Vote{}, false
	}
	return *n.vote, true
}

// Rulings returns a copy of the latest ruling per criterion.
func (n *Nomination) Rulings() map[string]Ruling {
	out := make(map[string]Ruling, len(n.rulings))
	for _, cr := range n.rulings {
		out[cr.Criterion] = cr.Ruling
	}
	return out
}

// OpenedEvent returns the id of the nomination.opened event.
func (n *Nomination) OpenedEvent() string { return n.openedEvent }

// OpenedBy returns the user who opened the nomination.
func (n *Nomination) OpenedBy() string { return n.openedBy }

// OpenedAt returns when the nomination was opened.
func (n *Nomination) OpenedAt() time.Time { return n.openedAt }

// SubmittedAt returns the recorded time of the latest submission (zero if never submitted).
func (n *Nomination) SubmittedAt() time.Time { return n.submittedAt }

// SubmittedSeq returns the stream sequence of the latest submission.
func (n *Nomination) SubmittedSeq() uint64 { return n.submittedSeq }

// SubmittedEvent returns the id of the latest nomination.submitted event.
func (n *Nomination) SubmittedEvent() string { return n.submittedEvent }

// SubmittedBy returns the user who made the latest submission.
func (n *Nomination) SubmittedBy() string { return n.submittedBy }

// HoldEvent returns the id of the nomination.held event of the current hold.
func (n *Nomination) HoldEvent() string { return n.holdEvent }

// AwardID returns the id of the nomination's award ("" when none; kept after revocation).
func (n *Nomination) AwardID() string { return n.award }

// AwardEvent returns the id of the nomination.awarded event.
func (n *Nomination) AwardEvent() string { return n.awardEvent }

// RevokeEvent returns the id of the nomination.award_revoked event.
func (n *Nomination) RevokeEvent() string { return n.revokeEvent }

// UnitHistory returns the units the nomination belonged to before transfers, oldest first.
func (n *Nomination) UnitHistory() []string { return append([]string(nil), n.unitHistory...) }

// WasOf reports whether the nomination is or was unit's: its unit, or one a merger passed it
// on from.
func (n *Nomination) WasOf(unit string) bool {
	return n.unit == unit || slices.Contains(n.unitHistory, unit)
}

// EvidencePath returns the units whose own evidence the nomination is judged on, oldest
// first: the unit it was opened for, then each successor a merger passed it to, ending
// with its unit. A unit merged into a successor alongside the nomination's unit is not on
// the path: its facts describe another collective.
func (n *Nomination) EvidencePath() []string {
	return append(append(make([]string, 0, len(n.unitHistory)+1), n.unitHistory...), n.unit)
}

// Transferred reports whether a merger passed the nomination to a successor.
func (n *Nomination) Transferred() bool { return len(n.unitHistory) > 0 }

// LastReturn returns the id of the latest nomination.returned event.
func (n *Nomination) LastReturn() string { return n.lastReturn }

// WithdrawEvent returns the id of the nomination.withdrawn event.
func (n *Nomination) WithdrawEvent() string { return n.withdrawEvent }

// Version returns the stream sequence of the last applied event (0 before any).
func (n *Nomination) Version() uint64 { return n.seq }

// EventCount returns the number of events applied.
func (n *Nomination) EventCount() int { return n.events }

// Apply evolves the nomination by one recorded event. Events of other aggregates and
// unknown payloads are ignored; ordering is the caller's job.
func (n *Nomination) Apply(r Recorded) {
	switch d := r.Data.(type) {
	case NominationOpenedData:
		n.id = d.ID
		n.campaign, n.unit, n.nominee = d.Campaign, d.Unit, d.Nominee
		n.state = StateDraft
		n.openedEvent, n.openedBy, n.openedAt = r.ID, r.Actor.User, r.At
	case DocumentAttachedData:
		doc := AttachedDocument{Document: d.Document, EventID: r.ID, At: r.At}
		i := slices.IndexFunc(n.documents, func(kd KindDocuments) bool { return kd.Kind == d.Kind })
		if i < 0 {
			n.documents = append(n.documents, KindDocuments{Kind: d.Kind})
			i = len(n.documents) - 1
		}
		n.documents[i].Documents = append(n.documents[i].Documents, doc)
	case CouncilVoteData:
		n.vote = &Vote{CouncilVoteData: d, EventID: r.ID, At: r.At}
	case SubmittedData:
		if n.state == StateReturned {
			// An amended dossier is reviewed afresh: the rulings on the one it replaces
			// no longer stand (a new slice: a copy of the state may share the old one).
			n.rulings = nil
		}
		n.state = StateSubmitted
		n.submittedAt, n.submittedSeq, n.submittedEvent, n.submittedBy = r.At, r.Seq, r.ID, r.Actor.User
	case ReviewStartedData:
		n.state = StateUnderReview
	case CriterionRuledData:
		n.rulings = setRuling(n.rulings, d.Criterion, Ruling{Result: d.Result, Note: d.Note, Document: d.Document, EventID: r.ID, At: r.At})
	case VerifiedData:
		n.state = StateVerified
	case ReviewReopenedData:
		n.state = StateUnderReview
	case ReasonData:
		switch r.Type {
		case NominationReturned:
			n.state, n.lastReturn = StateReturned, r.ID
		case NominationWithdrawn:
			n.state, n.withdrawEvent, n.heldFrom, n.holdEvent = StateWithdrawn, r.ID, "", ""
		case NominationHeld:
			n.heldFrom, n.state, n.holdEvent = n.state, StateOnHold, r.ID
		case NominationReleased:
			n.state, n.heldFrom, n.holdEvent = n.heldFrom, "", ""
			if n.state == "" {
				n.state = StateDraft
			}
		}
	case NominationAwardedData:
		n.state, n.award, n.awardEvent = StateAwarded, d.Award, r.ID
	case NominationAwardRevokedData:
		n.state, n.revokeEvent = StateRevoked, r.ID
	case TransferredData:
		n.unitHistory = append(n.unitHistory, d.From)
		n.unit = d.To
	case NomineeCorrectedData:
		n.nominee = d.Nominee
	default:
		return
	}
	n.events++
	if r.Seq > n.seq {
		n.seq = r.Seq
	}
}

func (n *Nomination) refuse(action string) error {
	return &TransitionError{From: n.state, Action: action}
}

func (n *Nomination) in(states ...State) bool {
	for _, s := range states {
		if n.state == s {
			return true
		}
	}
	return false
}

// OpenNomination decides the opening of nomination id in a campaign for a unit. The unit
// must exist, be active and of a kind the campaign admits; an individual needs a name and
// a position; only individuals can be heads; the gender is "", "female" or "male". A
// collective nominee without a name takes the unit's name. now is accepted for symmetry
// with the other decisions: opening is not time-limited (Submit enforces the deadline).
//
// lineage is the unit's and every unit it absorbed (nil: the unit alone), for a campaign
// that names the units of a kind that take part (Definition.EligibleUnits).
func OpenNomination(id string, def Definition, unit *Unit, lineage []string, nominee Nominee, now time.Time) ([]Event, error) {
	_ = now
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("nomination id: %w", err)
	}
	if def.ID == "" {
		return nil, ruleErr("unknown_campaign", "the campaign does not exist", "Đợt thi đua không tồn tại")
	}
	if unit == nil || unit.ID() == "" {
		return nil, ruleErr("unknown_unit", "the unit does not exist", "Đơn vị không tồn tại")
	}
	if unit.Status() != UnitActive {
		return nil, conflictErr("unit_not_active",
			fmt.Sprintf("unit %s was merged into %s and can no longer nominate", unit.ID(), unit.Successor()),
			fmt.Sprintf("Đơn vị %s đã hợp nhất vào %s, không thể đề nghị khen thưởng", unit.ID(), unit.Successor()))
	}
	if !def.EligibleKind(unit.Kind()) {
		return nil, ruleErr("unit_kind_not_eligible",
			fmt.Sprintf("units of kind %s do not take part in campaign %s", unit.Kind(), def.ID),
			fmt.Sprintf("Đơn vị loại %s không thuộc đối tượng thi đua của %s", TermVI(string(unit.Kind())), def.NameVI))
	}
	if lineage == nil {
		lineage = []string{unit.ID()}
	}
	if !def.EligibleUnit(unit.Kind(), lineage) {
		// The plan names the vertical agencies that take part (II.1.b): another registered
		// as one took part (a review finding: a customs office nominated and ranked).
		named := strings.Join(def.EligibleUnits[unit.Kind()], ", ")
		return nil, ruleErr("unit_not_eligible",
			fmt.Sprintf("unit %s is not one of the units of kind %s that take part in campaign %s (%s)", unit.ID(), unit.Kind(), def.ID, named),
			fmt.Sprintf("Đơn vị %s không thuộc các %s là đối tượng thi đua của %s (%s)", unit.ID(), TermVI(string(unit.Kind())), def.NameVI, named))
	}
	nominee, err := validNominee(nominee, unit.Name())
	if err != nil {
		return nil, err
	}
	return []Event{{Type: NominationOpened, Data: NominationOpenedData{ID: id, Campaign: def.ID, Unit: unit.ID(), Nominee: nominee}}}, nil
}

// validNominee normalises a nominee (trimmed, NFC) and checks it: an individual needs a
// name and a position, a collective has neither position, gender nor head flag (and takes
// unitName when it has no name), the gender is "", "female" or "male", and names and
// positions hold no invisible characters and at most 300 characters.
func validNominee(nominee Nominee, unitName string) (Nominee, error) {
	nominee.Name = norm.NFC.String(strings.TrimSpace(nominee.Name))
	nominee.Position = norm.NFC.String(strings.TrimSpace(nominee.Position))
	for _, f := range []struct{ en, vi, s string }{{"name", "Họ tên", nominee.Name}, {"position", "Chức vụ", nominee.Position}} {
		if en, vi := invisibleIn(f.en, f.vi, f.s); en != "" {
			return Nominee{}, fieldErr("nominee."+f.en, "invalid_nominee", en, vi)
		}
	}
	switch nominee.Kind {
	case NomineeCollective:
		if nominee.Head || nominee.NotHead || nominee.Position != "" || nominee.Gender != "" {
			return Nominee{}, ruleErr("invalid_nominee", "a collective nominee has no position, gender or head flag",
				"Tập thể không có chức vụ, giới tính hay vai trò người đứng đầu")
		}
		// A collective's nominee is its unit: a name given must be the unit's (spaces
		// and case aside), and the unit's is recorded, as the registry spells it. A
		// collective cannot be renamed afterwards (CorrectNominee).
		if nominee.Name != "" && nameKey(nominee.Name) != nameKey(norm.NFC.String(unitName)) {
			return Nominee{}, fieldErr("nominee.name", "invalid_nominee",
				fmt.Sprintf("a collective nominee is its unit: %q is not the unit's name %q (leave the name out)", nominee.Name, unitName),
				fmt.Sprintf("Tập thể được đề nghị là chính đơn vị: %q không phải tên đơn vị %q (để trống tên)", nominee.Name, unitName))
		}
		nominee.Name = unitName
	case NomineeIndividual:
		if nominee.Name == "" || nominee.Position == "" {
			field := "nominee.name"
			if nominee.Name != "" {
				field = "nominee.position"
			}
			return Nominee{}, fieldErr(field, "invalid_nominee", "an individual nominee needs a name and a position",
				"Cá nhân được đề nghị phải có họ tên và chức vụ")
		}
		// A stray mark ("Trần Thị Em.", "Trần. Thị Em", "(Trần Thị Em)") made another person
		// of the same one for every check of one person (SamePerson), so that one person
		// held two awards (review findings).
		nominee.Name = personName(nominee.Name)
		if err := checkPersonName(nominee.Name); err != nil {
			return Nominee{}, err
		}
		switch nominee.Gender {
		case "", "female", "male":
		default:
			return Nominee{}, malformedErr("nominee.gender", "invalid_nominee", fmt.Sprintf("gender %q is not female or male", nominee.Gender),
				fmt.Sprintf("Giới tính %q không hợp lệ", nominee.Gender))
		}
		if nominee.Head && nominee.NotHead {
			return Nominee{}, fieldErr("nominee.head", "invalid_nominee", "a nominee is the head of the unit (head) or not (not_head), not both",
				"Người được đề nghị hoặc là người đứng đầu đơn vị, hoặc không: không chọn cả hai")
		}
	default:
		return Nominee{}, malformedErr("nominee.kind", "invalid_nominee", fmt.Sprintf("nominee kind %q is not collective or individual", nominee.Kind),
			fmt.Sprintf("Loại đối tượng %q không hợp lệ (tập thể hoặc cá nhân)", nominee.Kind))
	}
	if utf8.RuneCountInString(nominee.Name) > 300 || utf8.RuneCountInString(nominee.Position) > 300 {
		field := "nominee.name"
		if utf8.RuneCountInString(nominee.Name) <= 300 {
			field = "nominee.position"
		}
		return Nominee{}, fieldErr(field, "invalid_nominee", "name and position are at most 300 characters", "Họ tên và chức vụ tối đa 300 ký tự")
	}
	if err := CheckHeadDeclared(nominee); err != nil {
		return Nominee{}, err
	}
	return nominee, nil
}

// CorrectNominee decides correcting an individual nominee's declared details (name,
// position, gender, head flag) while the dossier is the unit's to amend: in draft, or
// returned. A reviewer who finds a detail wrong (a head not declared as one, a misspelt
// name) returns the dossier; the unit corrects it and submits again, and the amended
// dossier is reviewed afresh. The nominee is checked as at opening; its kind cannot
// change (a collective's nominee is its unit: nothing to correct), a correction must change
// something (nothing_to_correct), and a reason is required. Whether the corrected
// nominee collides with another nomination of the campaign is CheckNewNomination's,
// given the campaign's other nominations of the unit.
func (n *Nomination) CorrectNominee(nominee Nominee, reason string) ([]Event, error) {
	if !n.in(StateDraft, StateReturned) {
		return nil, n.refuse("correct the nominee of")
	}
	if n.nominee.Kind != NomineeIndividual {
		return nil, ruleErr("invalid_nominee", "a collective's nominee is its unit: only an individual nominee's details can be corrected",
			"Đối tượng tập thể là chính đơn vị: chỉ sửa được thông tin cá nhân được đề nghị")
	}
	if nominee.Kind == "" {
		nominee.Kind = NomineeIndividual
	}
	if nominee.Kind != NomineeIndividual {
		return nil, ruleErr("invalid_nominee", "a nominee's kind cannot change: withdraw the nomination and open another",
			"Không thể đổi loại đối tượng: rút hồ sơ và lập hồ sơ mới")
	}
	nominee, err := validNominee(nominee, "")
	if err != nil {
		return nil, err
	}
	if nominee == n.nominee {
		return nil, ruleErr("nothing_to_correct", "the corrected nominee is the nominee as recorded: nothing changes",
			"Thông tin sửa trùng với thông tin đã ghi nhận: không có gì thay đổi")
	}
	reason, err = validReason(reason)
	if err != nil {
		return nil, err
	}
	return []Event{{Type: NomineeCorrected, Data: NomineeCorrectedData{Nominee: nominee, Reason: reason}}}, nil
}

// checkPersonName refuses an individual's name that holds anything but words (letters with
// their marks, digits, an apostrophe or a hyphen between letters) separated by spaces,
// then, when two people of one name need telling apart, one group in parentheses at the
// end ("Nguyễn Văn An (1975)"): a stray mark made another person of the same one for
// SamePerson. It judges new names only (opening, correction): names recorded before are
// read as they are.
func checkPersonName(name string) error {
	main := name
	if strings.HasSuffix(name, ")") {
		open := strings.LastIndex(name, "(")
		inner := ""
		if open > 0 {
			inner = name[open+1 : len(name)-1]
		}
		if open <= 0 || strings.TrimSpace(inner) == "" || strings.ContainsAny(inner, "()") {
			return personNameErr(name)
		}
		main = strings.TrimSpace(name[:open])
		if main == "" {
			return personNameErr(name)
		}
	}
	runes := []rune(main)
	for i, r := range runes {
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), unicode.IsDigit(r), r == ' ':
		case (r == '\'' || r == '-') && i > 0 && i < len(runes)-1 &&
			(unicode.IsLetter(runes[i-1]) || unicode.IsMark(runes[i-1])) && unicode.IsLetter(runes[i+1]):
		default:
			return personNameErr(name)
		}
	}
	return nil
}

// personName is an individual's name as it is recorded: its spaces (a no-break space
// pasted from a document among them) one ASCII space each, one before a final group in
// parentheses, and its apostrophes, which a word processor curls (’) or writes as a
// letter (ʼ), the ASCII one: "H’Hen Niê" and
// "H'Hen Niê" were two people for SamePerson (a review finding).
func personName(name string) string {
	name = strings.Join(strings.FieldsFunc(name, unicode.IsSpace), " ")
	name = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'", "＇", "'").Replace(name)
	// One space before the final group in parentheses, as it is written: "An(1975)" and
	// "An (1975)" are one person (a review finding: they were two).
	return strings.TrimSpace(finalGroup.ReplaceAllString(name, " ($1)"))
}

// finalGroup matches a name's final group in parentheses and the spaces before it.
var finalGroup = regexp.MustCompile(`\s*\(([^()]*)\)$`)

func personNameErr(name string) error {
	return fieldErr("nominee.name", "invalid_nominee",
		fmt.Sprintf("the name %q holds a punctuation mark or a symbol: write the name alone, its words separated by spaces; what tells two people of one name apart goes in parentheses at the end, e.g. the year of birth: \"Nguyễn Văn An (1975)\"", name),
		fmt.Sprintf("Họ tên %q có dấu câu hay ký hiệu: chỉ ghi họ tên, các chữ cách nhau bằng dấu cách; thông tin phân biệt người trùng tên ghi trong ngoặc ở cuối, ví dụ năm sinh: \"Nguyễn Văn An (1975)\"", name))
}

// NomineeKey is the form of a person's name that duplicates are found by: Unicode
// canonical decomposition, without invisible characters (Invisible: zero-width spaces,
// soft hyphens, byte-order marks, the combining grapheme joiner, Hangul fillers), "Ð",
// "Ɖ" and their small letters read as "đ", lower case, single spaces, and each word's Vietnamese tone
// mark moved to the word's end, so that the old and new placements of a tone are one
// spelling ("Trần  Văn Hưng" and "trần văn hưng", "Lê Thị Hoà" and "Lê Thị Hòa" are one
// person). SamePerson compares two names with it.
func NomineeKey(name string) string {
	var b strings.Builder
	var tones []rune
	endWord := func() {
		b.WriteString(string(tones))
		tones = tones[:0]
	}
	for _, r := range norm.NFD.String(name) {
		switch {
		case Invisible(r):
		case r == 'Ð' || r == 'ð' || r == 'Ɖ' || r == 'ɖ':
			// Look-alikes of "Đ" that text converted from old Vietnamese encodings holds.
			b.WriteRune('đ')
		case vietTone(r):
			tones = append(tones, r)
		case unicode.IsSpace(r):
			endWord()
			b.WriteByte(' ')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	endWord()
	return strings.Join(strings.Fields(b.String()), " ")
}

// CheckHeadDeclared refuses, with head_undeclared, an individual nominee whose position
// reads as the head of a unit (LooksLikeHead) but who is declared neither the head (Head:
// H01–H05 apply too) nor not the head (NotHead). The plan (II.2) has heads meet H01–H05
// besides the individuals' criteria: a head left undeclared escaped them. The unit now
// says which, and what it says is recorded with the nomination.
func CheckHeadDeclared(nominee Nominee) error {
	if nominee.Kind != NomineeIndividual || nominee.Head || nominee.NotHead || !LooksLikeHead(nominee.Position) {
		return nil
	}
	return fieldErr("nominee.head", "head_undeclared",
		fmt.Sprintf("the position %q reads as the head of a unit: declare whether the nominee heads the unit nominating them (head: criteria H01–H05 apply too) or not (not_head, e.g. the director of a centre under a department)", nominee.Position),
		fmt.Sprintf("Chức vụ %q là chức danh người đứng đầu: hãy xác nhận người được đề nghị có phải là người đứng đầu đơn vị đề nghị hay không (nếu có, xét thêm tiêu chí H01–H05; nếu không, ví dụ Giám đốc Trung tâm thuộc Sở, chọn \"Không phải người đứng đầu đơn vị\")", nominee.Position))
}

// LooksLikeHead reports whether an individual's position reads as the head of a unit the
// campaign admits: a provincial department's or agency's director (Giám đốc, Thủ trưởng,
// Cục trưởng, Chi cục trưởng, Chánh Thanh tra, Chánh Văn phòng, Trưởng ban, Trưởng Thuế)
// or a People's Committee's chairman (Chủ tịch UBND). A deputy (Phó …) is not. The head flag
// is the clerk's declaration; this is a hint for whoever reads the dossier, never a rule:
// titles vary, and a chairman of the trade union is no head of the unit.
//
// A position often joins several offices: the party's first ("Phó Bí thư Huyện ủy, Chủ tịch
// UBND huyện"), or two held at once ("… kiêm …"). Each office is read, and an acting head
// (Quyền …) reads as one (a review finding: only a head title at the very start was seen,
// so those heads were never asked to declare, and escaped H01–H05).
func LooksLikeHead(position string) bool {
	p := " " + strings.Join(strings.Fields(strings.ToLower(Unaccented(position))), " ") + " "
	// "P." abbreviates Phó (deputy) and "Q." Quyền (acting): read as the words, before the
	// full stops split offices (a review finding: "P. Giám đốc", a deputy, read as a head).
	p = abbreviatedDeputy.ReplaceAllString(p, "${1}pho ")
	p = abbreviatedActing.ReplaceAllString(p, "${1}quyen ")
	p = strings.NewReplacer(" kiem ", ",").Replace(p)
	// Offices are joined by commas, dashes of any length, slashes, full stops ("Huyện
	// ủy. Chủ tịch …") and "kiêm".
	offices := strings.FieldsFunc(p, func(r rune) bool { return strings.ContainsRune(",;/()-–—.", r) })
	for _, office := range offices {
		o := strings.TrimSpace(office)
		// A rank before the title (Đại tá Giám đốc Công an tỉnh: a review finding).
		for _, rank := range militaryRanks {
			if strings.HasPrefix(o, rank+" ") {
				o = strings.TrimPrefix(o, rank+" ")
				break
			}
		}
		o = strings.TrimPrefix(o, "quyen ")
		if strings.Contains(o, "cong doan") {
			continue // an office of the trade union (Trưởng ban Nữ công Công đoàn) heads no unit
		}
		// "Chủ tịch" names the people's committee's head when the committee is written
		// out, or when the administrative unit follows it at once (Chủ tịch xã Phước Nam,
		// a review finding); not the council's (Chủ tịch HĐND) nor the union's.
		for _, title := range []string{"giam doc", "thu truong", "cuc truong", "chi cuc truong", "chanh thanh tra",
			"chanh van phong", "truong ban", "truong thue", "chu tich ubnd", "chu tich uy ban nhan dan",
			"chu tich xa", "chu tich phuong", "chu tich thi tran", "chu tich huyen", "chu tich thi xa",
			"chu tich thanh pho", "chu tich tinh"} {
			if o == title || strings.HasPrefix(o, title+" ") {
				return true
			}
		}
	}
	return false
}

// militaryRanks are the ranks of the army and the police that may precede a title, written
// as LooksLikeHead reads them (lower case, without diacritics), the longer first.
var militaryRanks = []string{"dai tuong", "thuong tuong", "trung tuong", "thieu tuong",
	"dai ta", "thuong ta", "trung ta", "thieu ta", "dai uy", "thuong uy", "trung uy", "thieu uy"}

// abbreviatedDeputy and abbreviatedActing match "P." (Phó) and "Q." (Quyền) at the start
// of an office, the character before them captured (a dash of any length is a character of
// three bytes: a review finding read "–Q." by its bytes, as "quyen", and lost the dash).
var (
	abbreviatedDeputy = regexp.MustCompile(`([ ,;/(–—-])p\. ?`)
	abbreviatedActing = regexp.MustCompile(`([ ,;/(–—-])q\. ?`)
)

// vietTone reports whether r is a combining Vietnamese tone mark: huyền, sắc, ngã, hỏi,
// nặng (the vowels' own marks, circumflex, breve and horn, are not tones).
func vietTone(r rune) bool {
	switch r {
	case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
		return true
	}
	return false
}

// SamePerson reports whether two nominees' names name one person for the rule that one
// achievement is not rewarded twice: their NomineeKeys are equal, or one of them is
// written without any diacritic ("Nguyen Van An") and matches the other with its
// diacritics taken away. Two names that both carry diacritics and differ in them ("Tâm",
// "Tám") are different people.
func SamePerson(a, b string) bool {
	ka, kb := NomineeKey(a), NomineeKey(b)
	if ka == "" || kb == "" {
		return false
	}
	if ka == kb {
		return true
	}
	if !withoutDiacritics(ka) && !withoutDiacritics(kb) {
		return false
	}
	return Unaccented(ka) == Unaccented(kb)
}

// CheckVoteNominee refuses a submission whose council vote was recorded when the
// individual nominee bore the name of another person (vote_for_another_name,
// CorrectedSpelling): the council voted on the person named then, and a correction since
// named someone else. The clerk records the council's vote again, on the nominee as now
// named; a corrected spelling of the same name needs nothing.
func CheckVoteNominee(voted, now Nominee) error {
	if voted.Kind != NomineeIndividual || now.Kind != NomineeIndividual || CorrectedSpelling(voted.Name, now.Name) {
		return nil
	}
	return &RuleError{Code: "vote_for_another_name", Field: "council_vote",
		Message:   fmt.Sprintf("the council's vote was recorded when the nominee was %q, and the nominee is now %q: record the council's vote on %q again before submitting", voted.Name, now.Name, now.Name),
		MessageVI: fmt.Sprintf("Kết quả biểu quyết của Hội đồng được ghi khi người được đề nghị là «%s», nay là «%s»: ghi lại kết quả biểu quyết cho «%s» trước khi nộp", voted.Name, now.Name, now.Name)}
}

// CheckCorrectionAfterDeadline refuses, once the nomination deadline has passed, a
// correction that names another person rather than the same one spelt right
// (person_change_after_deadline, CorrectedSpelling): a new person after the deadline is a
// new nomination, which the deadline closes.
func CheckCorrectionAfterDeadline(old, corrected Nominee) error {
	if CorrectedSpelling(old.Name, corrected.Name) {
		return nil
	}
	return &RuleError{Code: "person_change_after_deadline", Field: "name",
		Message:   fmt.Sprintf("the nomination deadline has passed: %q is not a corrected spelling of %q but another person, whom only a new nomination could name", corrected.Name, old.Name),
		MessageVI: fmt.Sprintf("Đã hết hạn nộp hồ sơ: «%s» không phải là cách viết đúng của «%s» mà là người khác, chỉ có thể đề nghị bằng hồ sơ mới", corrected.Name, old.Name)}
}

// CorrectedSpelling reports whether name b can be name a spelt right: the same name in
// another spelling (SamePerson: letter case, spacing, diacritics), or, diacritics aside,
// the same words with at most one letter wrong in each and two in all (a misspelling:
// "Nguyễn Văn Anh" for "Nguyễn Văn An"). Anything further names another person:
// "Nguyễn Văn Bảo" is not "Nguyễn Văn An" spelt right, though two letters away.
func CorrectedSpelling(a, b string) bool {
	wa, wb := strings.Fields(Unaccented(NomineeKey(a))), strings.Fields(Unaccented(NomineeKey(b)))
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	if SamePerson(a, b) {
		return true
	}
	if len(wa) != len(wb) {
		return false
	}
	total := 0
	for i := range wa {
		d := letterDistance(wa[i], wb[i])
		if d > 1 {
			return false
		}
		total += d
	}
	return total <= 2
}

// letterDistance returns the Levenshtein distance between a and b, in runes.
func letterDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// withoutDiacritics reports whether a key has no diacritic (only ASCII).
func withoutDiacritics(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Unaccented returns s without its diacritics, in Unicode canonical decomposition: the
// combining marks are dropped and "đ", "Đ" become "d", "D" ("Hòa Đông" becomes "Hoa Dong").
func Unaccented(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckNewNomination decides whether a nomination of nominee may be opened beside the
// campaign's nominations of the same unit (others). One achievement is not rewarded twice,
// so it refuses: nomination_exists while a collective nomination of the unit is in
// progress or awarded (a withdrawn one, or one whose award was revoked, does not count);
// nominee_already_nominated likewise for an individual of the same name (SamePerson), and
// head_already_nominated for a second head of the unit. origin is the unit that opened the
// nomination (the unit itself for a new one): a head is of the unit that nominated them,
// so a head a merger passed on from a predecessor is not the unit's own, and neither
// stops the other's opening or correction (a review finding: the successor could not
// nominate its own head, nor anyone correct the head passed on). The campaign's deadline
// is Campaign.CheckDeadline's.
func CheckNewNomination(nominee Nominee, origin string, others []*Nomination) error {
	for _, o := range others {
		if o.state == StateWithdrawn || o.state == StateRevoked || o.nominee.Kind != nominee.Kind {
			continue
		}
		switch {
		case nominee.Kind == NomineeCollective && o.state == StateAwarded:
			return ruleErr("nomination_exists",
				fmt.Sprintf("unit %s already holds this campaign's collective award (nomination %s): one collective award per unit", o.unit, o.id),
				fmt.Sprintf("Đơn vị %s đã được khen thưởng tập thể trong đợt này (hồ sơ %s): mỗi đơn vị một khen thưởng tập thể", o.unit, o.id))
		case nominee.Kind == NomineeCollective:
			return ruleErr("nomination_exists",
				fmt.Sprintf("unit %s already has collective nomination %s in this campaign (%s): one collective award per unit; withdraw it first to start again", o.unit, o.id, o.state),
				fmt.Sprintf("Đơn vị %s đã có hồ sơ đề nghị khen thưởng tập thể %s trong đợt này (%s): mỗi đơn vị một khen thưởng tập thể; rút hồ sơ đó trước nếu muốn lập lại", o.unit, o.id, o.state.LabelVI()))
		case SamePerson(nominee.Name, o.nominee.Name):
			return ruleErr("nominee_already_nominated",
				fmt.Sprintf("%s is already nominated by unit %s in this campaign (%s, %s): one achievement is not rewarded twice; if this is another person of the same name, add what tells them apart to the name (e.g. the year of birth)", o.nominee.Name, o.unit, o.id, o.state),
				fmt.Sprintf("%s đã được đơn vị %s đề nghị trong đợt này (%s, %s): một thành tích không khen thưởng hai lần; nếu là người khác trùng họ tên, ghi thêm thông tin phân biệt vào họ tên (ví dụ năm sinh)", o.nominee.Name, o.unit, o.id, o.state.LabelVI()))
		case nominee.Head && o.nominee.Head && o.EvidencePath()[0] == origin:
			return ruleErr("head_already_nominated",
				fmt.Sprintf("unit %s already nominates its head, %s, in this campaign (%s, %s): a unit has one head; withdraw that nomination first if the head has changed", o.unit, o.nominee.Name, o.id, o.state),
				fmt.Sprintf("Đơn vị %s đã đề nghị người đứng đầu là %s trong đợt này (%s, %s): mỗi đơn vị một người đứng đầu; nếu đã thay người đứng đầu, rút hồ sơ đó trước", o.unit, o.nominee.Name, o.id, o.state.LabelVI()))
		}
	}
	return nil
}

// CheckLineageNomination decides whether a nomination of nominee may be opened (or its
// nominee corrected to nominee) beside the campaign's nominations that stayed on the
// units its unit absorbed (predecessors: a merger passes the open ones on, so what stays
// is awarded, withdrawn or revoked). One achievement is not rewarded twice within a
// lineage either: nomination_exists when a predecessor holds the collective award,
// nominee_already_nominated when a predecessor's nomination of the same person
// (SamePerson) holds the award or is in progress. A predecessor's head is not the unit's.
func CheckLineageNomination(nominee Nominee, predecessors []*Nomination) error {
	for _, o := range predecessors {
		if o.state == StateWithdrawn || o.state == StateRevoked || o.nominee.Kind != nominee.Kind {
			continue
		}
		switch {
		case nominee.Kind == NomineeCollective && o.state == StateAwarded:
			return ruleErr("nomination_exists",
				fmt.Sprintf("unit %s, merged into this unit, holds this campaign's collective award (nomination %s): one collective award per unit and the units it absorbed", o.unit, o.id),
				fmt.Sprintf("Đơn vị %s (đã hợp nhất vào đơn vị này) đã được khen thưởng tập thể trong đợt này (hồ sơ %s): mỗi đơn vị, kể cả các đơn vị đã hợp nhất vào, một khen thưởng tập thể", o.unit, o.id))
		case nominee.Kind == NomineeIndividual && SamePerson(nominee.Name, o.nominee.Name):
			return ruleErr("nominee_already_nominated",
				fmt.Sprintf("%s was nominated by unit %s, merged into this unit, in this campaign (%s, %s): one achievement is not rewarded twice; if this is another person of the same name, add what tells them apart to the name (e.g. the year of birth)", o.nominee.Name, o.unit, o.id, o.state),
				fmt.Sprintf("%s đã được đơn vị %s (đã hợp nhất vào đơn vị này) đề nghị trong đợt này (%s, %s): một thành tích không khen thưởng hai lần; nếu là người khác trùng họ tên, ghi thêm thông tin phân biệt vào họ tên (ví dụ năm sinh)", o.nominee.Name, o.unit, o.id, o.state.LabelVI()))
		}
	}
	return nil
}

// LabelVI names the state in Vietnamese, as users read it ("đã thẩm định": the review is
// finished, which says nothing of eligibility).
func (s State) LabelVI() string {
	switch s {
	case StateDraft:
		return "đang lập"
	case StateSubmitted:
		return "đã trình"
	case StateUnderReview:
		return "đang thẩm định"
	case StateReturned:
		return "trả lại bổ sung"
	case StateVerified:
		return "đã thẩm định"
	case StateOnHold:
		return "tạm dừng xét"
	case StateWithdrawn:
		return "đã rút"
	case StateAwarded:
		return "đã khen thưởng"
	case StateRevoked:
		return "đã thu hồi"
	}
	return string(s)
}

// AttachDocument decides attaching a dossier document; allowed in draft or returned.
func (n *Nomination) AttachDocument(kind DocKind, doc DocumentRef) ([]Event, error) {
	if err := n.CheckAttach(kind); err != nil {
		return nil, err
	}
	if doc.SHA256 == "" {
		return nil, ruleErr("invalid_document", "the document has no sha256", "Tài liệu thiếu mã SHA-256")
	}
	return []Event{{Type: DocumentAttached, Data: DocumentAttachedData{Kind: kind, Document: doc}}}, nil
}

// CheckAttach is AttachDocument's decision before the document is known: whether the
// nomination takes a document of kind now. A caller stores an upload only once it passes,
// so that a refused upload leaves nothing behind.
func (n *Nomination) CheckAttach(kind DocKind) error {
	if !n.in(StateDraft, StateReturned) {
		return n.refuse("attach a document to")
	}
	return ValidateDocKind(kind)
}

// VoteResult reports whether a council vote reaches the quorum (present ≥
// ceil(members × quorum_num / quorum_den)) and the approval threshold (approve × 100 ≥
// approve_pct × members).
func VoteResult(def Definition, v CouncilVoteData) (quorum, approval bool) {
	c := def.Council
	if v.Members < 1 || c.QuorumDen < 1 {
		return false, false
	}
	need := (v.Members*c.QuorumNum + c.QuorumDen - 1) / c.QuorumDen
	return v.Present >= need, v.Approve*100 >= c.ApprovePct*v.Members
}

// VotePasses reports whether a council vote reaches both the quorum and the approval
// threshold of the campaign.
func VotePasses(def Definition, v CouncilVoteData) bool {
	q, a := VoteResult(def, v)
	return q && a
}

// MaxCouncilMembers is the most members a unit's council may be recorded with: a unit's
// Emulation-Commendation Council has tens of members, and 99,999,999,999 is a typing
// error, not a council.
const MaxCouncilMembers = 1000

// validateVote checks a vote's numbers and date.
func validateVote(v CouncilVoteData) error {
	if v.Members > MaxCouncilMembers {
		return fieldErr("members", "invalid_vote", fmt.Sprintf("a council of %d members: at most %d", v.Members, MaxCouncilMembers),
			fmt.Sprintf("Hội đồng %d thành viên: tối đa %d", v.Members, MaxCouncilMembers))
	}
	if _, err := time.Parse(time.DateOnly, v.MeetingDate); err != nil {
		return fieldErr("meeting_date", "invalid_vote", fmt.Sprintf("meeting_date %q is not a date YYYY-MM-DD", v.MeetingDate),
			fmt.Sprintf("Ngày họp «%s» không hợp lệ: cần một ngày có thật, viết năm-tháng-ngày (ví dụ 2025-10-01)", v.MeetingDate))
	}
	if v.Members < 1 || v.Present < 0 || v.Approve < 0 || v.Present > v.Members || v.Approve > v.Present {
		field := "approve" // the first number that breaks 0 ≤ approve ≤ present ≤ members, members ≥ 1
		switch {
		case v.Members < 1:
			field = "members"
		case v.Present < 0 || v.Present > v.Members:
			field = "present"
		}
		return fieldErr(field, "invalid_vote",
			fmt.Sprintf("the vote needs members ≥ 1 and 0 ≤ approve ≤ present ≤ members (got members %d, present %d, approve %d)", v.Members, v.Present, v.Approve),
			fmt.Sprintf("Số liệu biểu quyết không hợp lệ: cần 0 ≤ tán thành ≤ có mặt ≤ thành viên, thành viên ≥ 1 (thành viên %d, có mặt %d, tán thành %d)", v.Members, v.Present, v.Approve))
	}
	return nil
}

// RecordVote decides recording the unit council's vote; allowed in draft or returned. The
// minutes are recorded even when the vote fails (Submit refuses a failing vote); a later
// vote supersedes an earlier one. def is the campaign whose rules the vote serves. A
// meeting dated after today (now, in the campaign's time zone) has not been held:
// meeting_in_future; one dated before the campaign starts is not its vote:
// meeting_before_campaign.
func (n *Nomination) RecordVote(vote CouncilVoteData, def Definition, now time.Time) ([]Event, error) {
	if !n.in(StateDraft, StateReturned) {
		return nil, n.refuse("record a council vote on")
	}
	if err := validateVote(vote); err != nil {
		return nil, err
	}
	loc, err := def.Location()
	if err != nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	if def.Starts != "" && vote.MeetingDate < def.Starts {
		return nil, fieldErr("meeting_date", "meeting_before_campaign",
			fmt.Sprintf("the meeting of %s is before campaign %s starts (%s): the vote on a nomination of the campaign comes after", vote.MeetingDate, def.ID, def.Starts),
			fmt.Sprintf("Cuộc họp ngày %s trước ngày bắt đầu đợt thi đua %s (%s): Hội đồng biểu quyết đề nghị khen thưởng sau khi phát động", DateVI(vote.MeetingDate), def.ID, DateVI(def.Starts)))
	}
	if today := now.In(loc).Format(time.DateOnly); vote.MeetingDate > today {
		return nil, fieldErr("meeting_date", "meeting_in_future",
			fmt.Sprintf("the meeting of %s has not been held yet (today is %s): record the vote once the council has met", vote.MeetingDate, today),
			fmt.Sprintf("Cuộc họp ngày %s chưa diễn ra (hôm nay là %s): ghi kết quả biểu quyết sau khi Hội đồng đã họp", DateVI(vote.MeetingDate), DateVI(today)))
	}
	return []Event{{Type: CouncilVoteRecorded, Data: vote}}, nil
}

// MissingParts returns the dossier parts the campaign requires that are not attached,
// followed by "council_vote" when no vote is recorded.
func (n *Nomination) MissingParts(def Definition) []string {
	var missing []string
	for _, p := range def.DossierParts {
		if !slices.ContainsFunc(n.documents, func(kd KindDocuments) bool { return kd.Kind == p && len(kd.Documents) > 0 }) {
			missing = append(missing, string(p))
		}
	}
	if n.vote == nil {
		missing = append(missing, "council_vote")
	}
	return missing
}

// Submit decides the submission of the dossier, from draft or returned. It refuses with
// deadline_passed after the nomination deadline when one is set. The emulation period's
// end does not close submissions: the plan (III.3) has nominations made at the conference
// analysing the year's indices, after the period, on a deadline Sở Nội vụ sets. It refuses
// with campaign_not_started before its first day (both in the campaign's time zone), with
// dossier_incomplete listing the missing parts (and "council_vote"), and with
// council_vote_failed when the latest vote misses the quorum or the approval threshold,
// and with head_undeclared for an individual whose position reads as a head's, declared
// neither head nor not (CheckHeadDeclared).
func (n *Nomination) Submit(def Definition, deadline *time.Time, now time.Time) ([]Event, error) {
	if !n.in(StateDraft, StateReturned) {
		return nil, n.refuse("submit")
	}
	start, _, err := def.Window()
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", def.ID, err)
	}
	if now.Before(start) {
		return nil, ruleErr("campaign_not_started",
			fmt.Sprintf("campaign %s starts on %s", def.ID, def.Starts),
			fmt.Sprintf("Đợt thi đua %s bắt đầu từ ngày %s", def.ID, DateVI(def.Starts)))
	}
	// A dossier returned for amendment was submitted in time: it may come back after the
	// deadline (the reviewer asked for it).
	if deadline != nil && !(n.state == StateReturned && n.submittedEvent != "") {
		if now.After(*deadline) {
			return nil, ruleErr("deadline_passed",
				fmt.Sprintf("the nomination deadline %s has passed", def.LocalTime(*deadline, false)),
				fmt.Sprintf("Đã hết hạn nộp hồ sơ (%s)", def.LocalTime(*deadline, true)))
		}
	}
	if missing := n.MissingParts(def); len(missing) > 0 {
		e := ruleErr("dossier_incomplete",
			"the dossier is incomplete, missing: "+strings.Join(missingEN(missing), ", "),
			"Hồ sơ chưa đầy đủ, còn thiếu: "+strings.Join(missingVI(missing), ", "))
		e.Missing = missing
		return nil, e
	}
	if q, a := VoteResult(def, n.vote.CouncilVoteData); !q || !a {
		en, vi := voteMessages(def, n.vote.CouncilVoteData, q, a)
		return nil, ruleErr("council_vote_failed", en, vi)
	}
	// A dossier opened before the unit had to say whether a head-like title heads the
	// unit says so before it goes to review (CorrectNominee).
	if err := CheckHeadDeclared(n.nominee); err != nil {
		return nil, err
	}
	return []Event{{Type: NominationSubmitted, Data: SubmittedData{}}}, nil
}

func voteMessages(def Definition, v CouncilVoteData, quorum, approval bool) (en, vi string) {
	c := def.Council
	var ens, vis []string
	if !quorum {
		ens = append(ens, fmt.Sprintf("no quorum: %d of %d members present, %d/%d needed", v.Present, v.Members, c.QuorumNum, c.QuorumDen))
		vis = append(vis, fmt.Sprintf("không đủ số thành viên dự họp: %d/%d có mặt, cần %d/%d", v.Present, v.Members, c.QuorumNum, c.QuorumDen))
	}
	if !approval {
		ens = append(ens, fmt.Sprintf("%d of %d members approved, at least %d%% of members needed", v.Approve, v.Members, c.ApprovePct))
		vis = append(vis, fmt.Sprintf("%d/%d thành viên tán thành, cần ít nhất %d%% tổng số thành viên", v.Approve, v.Members, c.ApprovePct))
	}
	return "the council vote failed: " + strings.Join(ens, "; "), "Kết quả biểu quyết của Hội đồng không đạt: " + strings.Join(vis, "; ")
}

// partName names a dossier part or the council vote (MissingParts) in English and in
// Vietnamese; ok is false for another code.
func partName(part string) (en, vi string, ok bool) {
	switch part {
	case string(DocLetter):
		return "the nomination letter", "văn bản đề nghị khen thưởng", true
	case string(DocCouncilMinutes):
		return "the minutes of the unit's Emulation-Commendation Council", "biên bản họp Hội đồng Thi đua-Khen thưởng", true
	case string(DocAchievementReport):
		return "the achievement report", "báo cáo thành tích", true
	case string(DocSupporting):
		// A definition may require it (a review finding: it was named by its code).
		return "the supporting documents", TermVI(part), true
	case "council_vote":
		return "the council's vote", "kết quả biểu quyết của Hội đồng", true
	}
	return part, part, false
}

// missingEN names missing dossier parts (MissingParts) in English, each with its code.
func missingEN(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p
		if en, _, ok := partName(p); ok {
			out[i] = en + " (" + p + ")"
		}
	}
	return out
}

// missingVI names missing dossier parts in Vietnamese.
func missingVI(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		_, out[i], _ = partName(p)
	}
	return out
}

// Rule decides a reviewer's ruling on a criterion, allowed in submitted, under_review and
// verified (a ruling that is itself invalid is refused as such first, in any state). It
// emits review_started first when the nomination was submitted, verified when every
// ruling-judged criterion applicable to the nominee is then met or not applicable, and
// review_reopened when a verified nomination gets a not_met ruling.
// Refusals: unknown_criterion, criterion_not_applicable, criterion_judged_by_facts,
// invalid_result, invalid_note.
func (n *Nomination) Rule(def Definition, criterion, result, note string, doc *DocumentRef) ([]Event, error) {
	c, ok := def.Criterion(criterion)
	if !ok {
		e := ruleErr("unknown_criterion", fmt.Sprintf("campaign %s has no criterion %q", def.ID, criterion),
			fmt.Sprintf("Đợt thi đua %s không có tiêu chí %q", def.ID, criterion))
		e.Unknown = true
		return nil, e
	}
	if !c.AppliesToNominee(n.nominee) {
		return nil, ruleErr("criterion_not_applicable",
			fmt.Sprintf("criterion %s applies to %s nominees, not to this one", c.ID, c.AppliesTo),
			fmt.Sprintf("Tiêu chí %s không áp dụng cho đối tượng này", c.ID))
	}
	if c.JudgedBy != JudgedByRuling {
		return nil, ruleErr("criterion_judged_by_facts",
			fmt.Sprintf("criterion %s is judged from the unit's recorded facts, not ruled on", c.ID),
			fmt.Sprintf("Tiêu chí %s được xét theo số liệu của đơn vị, không kết luận trực tiếp", c.ID))
	}
	switch result {
	case ResultMet, ResultNotMet, ResultNotApplicable:
	default:
		return nil, malformedErr("result", "invalid_result", fmt.Sprintf("result %q is not met, not_met or not_applicable", result),
			fmt.Sprintf("Kết luận %q không hợp lệ (met, not_met, not_applicable)", result))
	}
	note = trimText(note)
	if utf8.RuneCountInString(note) > MaxReasonLength {
		return nil, fieldErr("note", "invalid_note", "the note is at most 2,000 characters", "Ghi chú tối đa 2.000 ký tự")
	}
	if result == ResultNotMet && note == "" {
		return nil, fieldErr("note", "note_required", fmt.Sprintf("a not_met ruling on %s states its grounds in the note: the unit and the auditors read why", c.ID),
			fmt.Sprintf("Kết luận không đạt tiêu chí %s phải nêu lý do trong ghi chú: đơn vị và thanh tra cần biết vì sao", c.ID))
	}
	if result == ResultNotApplicable && note == "" {
		// The plan lists every criterion as required of the nominee: one set aside counts
		// as met, so why it does not apply is on record.
		return nil, fieldErr("note", "note_required", fmt.Sprintf("a not_applicable ruling on %s states in the note why the criterion does not apply: it counts as met, and the auditors read why", c.ID),
			fmt.Sprintf("Kết luận tiêu chí %s không áp dụng phải nêu lý do trong ghi chú: tiêu chí được tính như đạt, thanh tra cần biết vì sao", c.ID))
	}
	if doc != nil && doc.SHA256 == "" {
		return nil, ruleErr("invalid_document", "the cited document has no sha256", "Tài liệu dẫn chứng thiếu mã SHA-256")
	}
	// The ruling itself is checked first: a criterion or a result that does not exist is
	// named as such whatever the nomination's state.
	if !n.in(StateSubmitted, StateUnderReview, StateVerified) {
		return nil, n.refuse("rule on")
	}
	var out []Event
	if n.state == StateSubmitted {
		out = append(out, Event{Type: ReviewStarted, Data: ReviewStartedData{}})
	}
	out = append(out, Event{Type: CriterionRuled, Data: CriterionRuledData{Criterion: c.ID, Result: result, Note: note, Document: doc}})
	if n.state == StateVerified {
		if result == ResultNotMet {
			out = append(out, Event{Type: ReviewReopened, Data: ReviewReopenedData{Criterion: c.ID}})
		}
		return out, nil
	}
	rulings := setRuling(slices.Clone(n.rulings), c.ID, Ruling{Result: result})
	if allRulingsPositive(def, n.nominee, rulings) {
		out = append(out, Event{Type: NominationVerified, Data: VerifiedData{}})
	}
	return out, nil
}

// allRulingsPositive reports whether every ruling-judged criterion applicable to the
// nominee has a ruling met or not_applicable.
func allRulingsPositive(def Definition, nominee Nominee, rulings []CriterionRuling) bool {
	return len(unmetRulings(def, nominee, rulings)) == 0
}

// unmetRulings lists the ruling-judged criteria applicable to the nominee that have no
// ruling met or not_applicable (nil when there is none).
func unmetRulings(def Definition, nominee Nominee, rulings []CriterionRuling) []string {
	var out []string
	for i := range def.Criteria {
		c := &def.Criteria[i]
		if c.JudgedBy != JudgedByRuling || !c.AppliesToNominee(nominee) {
			continue
		}
		if r, ok := findRuling(rulings, c.ID); !ok || (r.Result != ResultMet && r.Result != ResultNotApplicable) {
			out = append(out, c.ID)
		}
	}
	return out
}

// validReason trims a reason and checks it: required, at most 2,000 characters.
func validReason(reason string) (string, error) {
	reason = trimText(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonLength {
		return "", fieldErr("reason", "reason_required", "a reason of 1 to 2,000 characters is required", "Phải nêu lý do (tối đa 2.000 ký tự)")
	}
	return reason, nil
}

func (n *Nomination) reasoned(action, eventType, reason string, from ...State) ([]Event, error) {
	if !n.in(from...) {
		return nil, n.refuse(action)
	}
	reason, err := validReason(reason)
	if err != nil {
		return nil, err
	}
	return []Event{{Type: eventType, Data: ReasonData{Reason: reason}}}, nil
}

// Return decides returning the dossier for amendment, from submitted, under_review or
// verified.
func (n *Nomination) Return(reason string) ([]Event, error) {
	return n.reasoned("return", NominationReturned, reason, StateSubmitted, StateUnderReview, StateVerified)
}

// Withdraw decides withdrawing the nomination, from any state except awarded, revoked
// and withdrawn, and on_hold: a hold (discipline review, investigation, complaint) is on
// the nominee, so withdrawing the nomination and opening another must not shed it; it is
// refused (on_hold) until a reviewer releases the hold.
func (n *Nomination) Withdraw(reason string) ([]Event, error) {
	if n.state == StateOnHold {
		return nil, conflictErr("on_hold",
			fmt.Sprintf("nomination %s is on hold (discipline review, investigation or a pending complaint): it cannot be withdrawn, and the nominee nominated again, until a reviewer releases the hold", n.id),
			fmt.Sprintf("Hồ sơ %s đang tạm dừng xét (xem xét kỷ luật, điều tra hoặc giải quyết khiếu nại): không thể rút hồ sơ để đề nghị lại cho đến khi chuyên viên thẩm định bỏ tạm dừng", n.id))
	}
	return n.reasoned("withdraw", NominationWithdrawn, reason,
		StateDraft, StateSubmitted, StateUnderReview, StateReturned, StateVerified)
}

// Hold decides putting the nomination on hold (discipline review, investigation or a
// pending complaint), from draft, submitted, under_review, verified or returned; Release
// goes back to the state before the hold.
func (n *Nomination) Hold(reason string) ([]Event, error) {
	return n.reasoned("hold", NominationHeld, reason, StateDraft, StateSubmitted, StateUnderReview, StateVerified, StateReturned)
}

// Release decides releasing a hold, from on_hold.
func (n *Nomination) Release(reason string) ([]Event, error) {
	return n.reasoned("release", NominationReleased, reason, StateOnHold)
}

// PlanPart names, in DossierUnreadable, the unit's emulation plan a collective
// nomination's eligibility reads: no dossier part, but a file the grant relies on.
const PlanPart DocKind = "plan"

// DossierUnreadable is the refusal, document_unreadable (a conflict with the state of the
// document store, not a rule of the campaign), of a grant to a nomination whose dossier
// part kind, the document sha, the store no longer holds whole: the council would award
// on a file nobody can read. Its original, restored, repairs it.
func DossierUnreadable(kind DocKind, sha string) error {
	short := sha
	if len(short) > 12 {
		short = short[:12]
	}
	what, whatVI := "the dossier's "+string(kind), TermVI(string(kind))+" của hồ sơ"
	if kind == PlanPart {
		what, whatVI = "the unit's emulation plan", "Kế hoạch thi đua của đơn vị"
	}
	e := ruleErr("document_unreadable",
		fmt.Sprintf("%s (document %s) cannot be read from the document store: before the award is granted, an administrator (on the integrity page) or the unit's clerk restores it from its original (POST /api/v1/documents), which changes nothing in the dossier", what, sha),
		fmt.Sprintf("Không đọc được %s (tài liệu %s…) từ kho tài liệu: trước khi quyết định khen thưởng, quản trị viên (trang Toàn vẹn dữ liệu) hoặc văn thư của đơn vị khôi phục tài liệu từ bản gốc; hồ sơ không thay đổi", whatVI, short))
	e.Conflict = true
	return e
}

// Award decides recording the award on the nomination; only a verified nomination can be
// awarded (one on hold never can). The campaign's Grant checks quota and eligibility.
//
// A nomination submitted or under review whose review is complete under def, the
// definition in force (every ruling-judged criterion applicable to the nominee ruled met
// or not_applicable, ReviewComplete), is awarded too: a revision that dropped the criterion
// the review waited on, or a campaign with no criterion a reviewer rules on for the
// nominee's kind, leaves nothing for a reviewer to rule, and the ranking recommends the
// nomination all the same (a review finding: such a nomination was eligible and
// recommended, and every grant was refused, invalid_transition). The award is the one
// event, by the council: an audit checks it against the definition as it checks a
// verification (Refuses). def nil awards a verified nomination only.
func (n *Nomination) Award(awardID, decision string, def *Definition) ([]Event, error) {
	if n.state != StateVerified && (!n.in(StateSubmitted, StateUnderReview) || def == nil || !n.ReviewComplete(*def)) {
		return nil, n.refuse("award")
	}
	if err := ValidateID(awardID); err != nil {
		return nil, fmt.Errorf("award id: %w", err)
	}
	return []Event{{Type: NominationAwarded, Data: NominationAwardedData{Award: awardID, Decision: trimText(decision)}}}, nil
}

// ReviewComplete reports whether every ruling-judged criterion of def applicable to the
// nominee is ruled met or not_applicable.
func (n *Nomination) ReviewComplete(def Definition) bool {
	return allRulingsPositive(def, n.nominee, n.rulings)
}

// RevokeAward decides revoking the nomination's award, from awarded. The ground must be
// false_declaration, forged_documents, unlawful_approval or criteria_unmet.
func (n *Nomination) RevokeAward(award, ground, note string) ([]Event, error) {
	if n.state != StateAwarded {
		return nil, n.refuse("revoke the award of")
	}
	if award != n.award {
		return nil, ruleErr("award_mismatch", fmt.Sprintf("the nomination's award is %q, not %q", n.award, award),
			fmt.Sprintf("Khen thưởng của hồ sơ là %q, không phải %q", n.award, award))
	}
	if !ValidGround(ground) {
		return nil, invalidGround(ground)
	}
	note = trimText(note)
	if utf8.RuneCountInString(note) > MaxReasonLength {
		return nil, fieldErr("note", "invalid_note", "the note is at most 2,000 characters", "Ghi chú tối đa 2.000 ký tự")
	}
	return []Event{{Type: NominationAwardRevoked, Data: NominationAwardRevokedData{Award: award, Ground: ground, Note: note}}}, nil
}

func invalidGround(ground string) *RuleError {
	return malformedErr("ground", "invalid_ground",
		fmt.Sprintf("ground %q is not false_declaration, forged_documents, unlawful_approval or criteria_unmet", ground),
		fmt.Sprintf("Căn cứ thu hồi %q không hợp lệ; dùng một trong: false_declaration (khai man thành tích); forged_documents (giả mạo hồ sơ); unlawful_approval (đề nghị, xét duyệt khen thưởng trái quy định); criteria_unmet (sau đó phát hiện không đạt tiêu chuẩn)", ground))
}

// Admits reports whether an event of eventType can come next in the nomination's
// history, as its decisions make them: opened first, documents, votes, corrections and a
// submission in draft or returned, a review's events in their order, a return, hold or
// withdrawal from the states that allow one, an award of a verified nomination, its
// revocation, a transfer of one still in progress. An audit (thidua verify) checks every
// recorded event with it: an event appended behind the engine's back, well-formed and by
// an actor in a role that records its type, may still be one no command could have made
// (a "submission" of a verified nomination). Types that are not the nomination's are not
// admitted.
func (n *Nomination) Admits(eventType string) bool {
	if n.id == "" {
		return eventType == NominationOpened
	}
	switch eventType {
	case DocumentAttached, CouncilVoteRecorded, NominationSubmitted, NomineeCorrected:
		return n.in(StateDraft, StateReturned)
	case ReviewStarted:
		return n.in(StateSubmitted)
	case CriterionRuled:
		return n.in(StateUnderReview, StateVerified)
	case NominationVerified:
		return n.in(StateUnderReview)
	case ReviewReopened:
		return n.in(StateVerified)
	case NominationReturned:
		return n.in(StateSubmitted, StateUnderReview, StateVerified)
	case NominationWithdrawn:
		return n.in(StateDraft, StateSubmitted, StateUnderReview, StateReturned, StateVerified)
	case NominationHeld:
		return n.in(StateDraft, StateSubmitted, StateUnderReview, StateVerified, StateReturned)
	case NominationReleased:
		return n.in(StateOnHold)
	case NominationAwarded:
		// From a review left with nothing to rule too (Award); Refuses checks that it is.
		return n.in(StateVerified, StateSubmitted, StateUnderReview)
	case NominationAwardRevoked:
		return n.in(StateAwarded)
	case NominationTransferred:
		return !n.in(StateWithdrawn, StateRevoked, StateAwarded)
	}
	return false
}

// RefusesUnder is Refuses under each definition of campaign c that the command which made
// r could have decided on: a command reads the campaign's state, decides, and appends
// with the nomination's sequence checked, not the campaign's, so a revision may land
// between its read and its append (a ruling on a criterion the revision drops, a
// submission after a vote the revision's threshold fails, both honest). Those are the
// definition in force at after, the nomination's last sequence before r's commit (0: none),
// and each version recorded since, up to r's sequence; a version recorded after r (a
// model that applied its own revision ahead of an earlier commit) is none of them. It is
// "" when one of them admits r, else why the latest refuses it; with none (c nil, or not
// launched by r), Refuses(r, nil). It depends on the stream alone, so that the running
// server, a rebuild and thidua verify name the same events.
func (n *Nomination) RefusesUnder(r Recorded, c *Campaign, after uint64) string {
	why := ""
	if c != nil && r.Type == NominationAwarded && n.state != StateVerified {
		// An award of a review left with nothing to rule is decided by the grant, which
		// appends to the campaign at the version it read: no revision lands between, so
		// the definition is the one in force at its sequence, not any since the
		// nomination's last event (a review finding: a revision that dropped a pending
		// criterion, then one that put it back, let a forged award pass).
		if def, ok := c.DefinitionAt(r.Seq); ok {
			return n.Refuses(r, &def)
		}
	}
	if c != nil {
		for i := len(c.versions) - 1; i >= 0; i-- {
			v := &c.versions[i]
			if v.Seq > r.Seq {
				continue
			}
			w := n.Refuses(r, &v.Definition)
			if w == "" {
				return ""
			}
			if why == "" {
				why = w
			}
			if v.Seq <= after {
				break // in force at after: the oldest the command could have read
			}
		}
	}
	if why == "" {
		return n.Refuses(r, nil)
	}
	return why
}

// Refuses says why no decision of the nomination's could have made event r where the
// nomination stands ("" when one could). Beyond Admits (the event's type in the
// nomination's state) it applies, when def is the campaign's definition in force at r's
// sequence (nil when it is not known), the rules the decision checked against the state:
// a submission needs every dossier part the campaign requires and a council vote that
// passed; a ruling is on a criterion of the campaign that applies to the nominee and is
// judged by ruling, with a valid result; a verification of a dossier never returned needs
// every ruling-judged criterion applicable to the nominee ruled met or not_applicable; a
// reopening follows a not_met ruling on its criterion. These are rules every version of
// the engine applied: rules added since (a not_met ruling's grounds, rulings reset on
// resubmission) would name an earlier version's honest history as forged. An audit (thidua
// verify) and the running server check every nomination event with it: an event appended
// behind the engine's back, well-formed and by an actor in a role that records its type,
// may still be one no command makes (the submission of an incomplete dossier). Time rules
// (the campaign's start, the deadline) are not checked: a history may be written with a
// simulated clock.
func (n *Nomination) Refuses(r Recorded, def *Definition) string {
	if !n.Admits(r.Type) {
		state := string(n.state)
		if state == "" {
			state = "not opened"
		}
		return fmt.Sprintf("recorded while the nomination is %s", state)
	}
	if def == nil {
		return ""
	}
	switch d := r.Data.(type) {
	case SubmittedData:
		if missing := n.MissingParts(*def); len(missing) > 0 {
			return "a submission of a dossier missing " + strings.Join(missing, ", ")
		}
		if q, a := VoteResult(*def, n.vote.CouncilVoteData); !q || !a {
			en, _ := voteMessages(*def, n.vote.CouncilVoteData, q, a)
			return "a submission after " + en
		}
	case CriterionRuledData:
		c, ok := def.Criterion(d.Criterion)
		switch {
		case !ok:
			return fmt.Sprintf("a ruling on criterion %q, which campaign %s (version %d) does not have", d.Criterion, def.ID, def.Version)
		case c.JudgedBy != JudgedByRuling:
			return fmt.Sprintf("a ruling on criterion %s, which is judged from the unit's recorded facts", c.ID)
		case !c.AppliesToNominee(n.nominee):
			return fmt.Sprintf("a ruling on criterion %s, which does not apply to the nominee", c.ID)
		case d.Result != ResultMet && d.Result != ResultNotMet && d.Result != ResultNotApplicable:
			return fmt.Sprintf("a ruling with result %q, not met, not_met or not_applicable", d.Result)
		}
	case VerifiedData:
		// After a return, versions of thidua before the rulings were reset on
		// resubmission verified on the rulings of the dossier replaced: such a
		// verification, honest in its day, is not named.
		if unmet := unmetRulings(*def, n.nominee, n.rulings); n.lastReturn == "" && len(unmet) > 0 {
			return "a verification while criteria applicable to the nominee are not all ruled met or not_applicable: " +
				strings.Join(unmet, ", ")
		}
	case NominationAwardedData:
		if n.state != StateVerified {
			if unmet := unmetRulings(*def, n.nominee, n.rulings); len(unmet) > 0 {
				return "an award of a dossier not verified, whose criteria applicable to the nominee are not all ruled met or not_applicable: " +
					strings.Join(unmet, ", ")
			}
		}
	case ReviewReopenedData:
		if ru, ok := findRuling(n.rulings, d.Criterion); !ok || ru.Result != ResultNotMet {
			return fmt.Sprintf("a reopening on criterion %q, which is not ruled not_met", d.Criterion)
		}
	}
	return ""
}

// Transfer decides moving the nomination to the successor unit of a merger. Withdrawn,
// revoked and awarded nominations stay where they are (the unit lineage covers awarded
// ones); every other state transfers and keeps its state.
func (n *Nomination) Transfer(to, reorganisation, effective string) ([]Event, error) {
	if n.id == "" || n.in(StateWithdrawn, StateRevoked, StateAwarded) {
		return nil, n.refuse("transfer")
	}
	if err := ValidateID(to); err != nil {
		return nil, fmt.Errorf("successor: %w", err)
	}
	if to == n.unit {
		return nil, ruleErr("transfer_same_unit", fmt.Sprintf("the nomination already belongs to %s", to),
			fmt.Sprintf("Hồ sơ đã thuộc đơn vị %s", to))
	}
	if _, err := time.Parse(time.DateOnly, effective); err != nil {
		return nil, fieldErr("effective", "invalid_effective", fmt.Sprintf("effective %q is not a date YYYY-MM-DD", effective),
			fmt.Sprintf("Ngày hiệu lực %q không hợp lệ", effective))
	}
	return []Event{{Type: NominationTransferred, Data: TransferredData{From: n.unit, To: to, Reorganisation: reorganisation, Effective: effective}}}, nil
}
