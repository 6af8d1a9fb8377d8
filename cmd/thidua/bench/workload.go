package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"thidua/domain"
)

// Seed is the fixed seed of the synthetic workload: the same seed and scale always give
// the same units, nominations and commands.
const Seed uint64 = 20250301

// Default sizes at scale 1.
const (
	defaultUnits       = 20000
	defaultNominations = 100000
)

// opCode names one command of a script.
type opCode uint8

const (
	opRegister opCode = iota + 1 // unit.registered
	opPlan                       // unit.plan_submitted
	opFact                       // unit.fact_recorded
	opOpen                       // nomination.opened
	opDoc                        // nomination.document_attached
	opVote                       // nomination.council_vote_recorded
	opSubmit                     // nomination.submitted
	opRule                       // [review_started] criterion_ruled [verified]
	opReturn                     // nomination.returned
	opHold                       // nomination.held
	opRelease                    // nomination.released
	opWithdraw                   // nomination.withdrawn
)

// Flags of an opRule's b.
const (
	ruleResultMask = 0x0f
	ruleFirst      = 0x10 // the first ruling: review_started precedes it
	ruleCompletes  = 0x20 // every applicable ruling is then positive: verified follows
)

// Rule results as an opRule stores them.
var ruleResults = [...]string{domain.ResultMet, domain.ResultNotMet, domain.ResultNotApplicable}

// Facts as an opFact stores them (a).
const (
	factParRating uint8 = iota
	factParIndexScore
	factDisbursement
	factLateDossiers
	factBacklogDossiers
	factIndexComponent
	factStaffHours
	factSubordinate
	factLateDirectives
	factOnlineService
	factWomen
)

var (
	parRatings = [...]string{"Tốt", "Khá", "Trung bình", "Yếu"}
	indexes    = [...]string{"PAR_INDEX", "PCI", "PAPI", "SIPAS"}
	components = [...]string{"Cải cách thủ tục hành chính", "Chi phí không chính thức", "Kiểm soát tham nhũng", "Mức độ hài lòng"}
	docKinds   = [...]domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport}
	families   = [...]string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middles    = [...]string{"Văn", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Đức", "Công", "Xuân", "Thu"}
	givens     = [...]string{"An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Việt", "Yến"}
	positions  = [...]string{"Phó Giám đốc", "Trưởng phòng", "Phó Trưởng phòng", "Chuyên viên chính", "Chuyên viên", "Công chức văn phòng"}
	places     = [...]string{"An", "Phước", "Hải", "Sơn", "Ninh", "Thuận", "Hòa", "Mỹ", "Tân", "Lợi", "Xuân", "Phú", "Bắc", "Nam", "Đông", "Tây", "Vĩnh", "Thạnh", "Lâm", "Hiệp"}
	depts      = [...]string{"Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Nông nghiệp và Môi trường", "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Văn phòng UBND tỉnh", "Thanh tra tỉnh", "Ban Dân tộc", "Ban Quản lý các khu công nghiệp", "Sở Ngoại vụ", "Đài Phát thanh và Truyền hình", "Ban Quản lý dự án đầu tư xây dựng", "Trường Chính trị", "Liên minh Hợp tác xã", "Sở Lao động"}
	verticals  = [...]string{"Công an tỉnh", "Bảo hiểm xã hội tỉnh", "Kho bạc Nhà nước tỉnh", "Cục Thuế tỉnh", "Cục Thống kê tỉnh"}
	// verticalIDs are the ids the built-in campaign names for them (eligible_units).
	verticalIDs = [...]string{"CA", "BHXH", "KBNN", "CT", "CTK"}
)

// op is one command of an aggregate's script, with its parameters.
type op struct {
	code opCode
	a, b uint8  // fact / document kind / criterion index; cause, index, result and flags
	v, w uint16 // values (scores ×10, vote numbers)
}

// Unit is one synthetic unit and the commands recorded about it.
type Unit struct {
	// ID is the unit's id.
	ID string
	// Name is its Vietnamese name.
	Name string
	// Kind is department, vertical, district or commune.
	Kind domain.UnitKind
	// Parent is a commune's district.
	Parent string
	// Bench marks a unit whose nominations are left for the measured commands.
	Bench  bool
	script []op
}

// Nomination is one synthetic nomination and the commands recorded on it.
type Nomination struct {
	// ID is the nomination's id (a ULID, as the workflow makes them).
	ID string
	// Unit is the index of its unit in Workload.Units.
	Unit int
	// Nominee is who is nominated.
	Nominee domain.Nominee
	// Bench marks a nomination left in draft with its dossier attached, for the measured commands.
	Bench bool
	// start is the round of its first command: nominations are opened over the months.
	start  int
	script []op
}

// Workload is the synthetic province: every unit and nomination with a script of the
// commands that built its history. It is a pure function of the seed and the scale.
type Workload struct {
	// Seed and Scale made it.
	Seed  uint64
	Scale float64
	// Units and Nominations, in id order.
	Units       []Unit
	Nominations []Nomination
	// Start is the recorded time of the first generated event; Step the simulated time between commits.
	Start time.Time
	Step  time.Duration

	def      domain.Definition
	rulesCol []string // ruling-judged criteria of collectives
	rulesInd []string // of individuals (heads have the same rulings)
}

// Generate builds the workload of a scale (1: 100,000 nominations over 20,000 units,
// about 1,000,000 events) from seed. benchUnits units (at most a quarter of them) keep
// their nominations in draft, dossier attached, for the measured commands.
func Generate(seed uint64, scale float64, benchUnits int) *Workload {
	w := &Workload{Seed: seed, Scale: scale, def: domain.BuiltinCampaign()}
	for _, c := range w.def.Criteria {
		if c.JudgedBy != domain.JudgedByRuling {
			continue
		}
		switch c.AppliesTo {
		case domain.AppliesCollective:
			w.rulesCol = append(w.rulesCol, c.ID)
		case domain.AppliesIndividual:
			w.rulesInd = append(w.rulesInd, c.ID)
		}
	}
	nUnits := max(int(math.Round(defaultUnits*scale)), 40)
	nNoms := max(int(math.Round(defaultNominations*scale)), nUnits)
	rng := rand.New(rand.NewPCG(seed, 0x7468696475610001))
	// Recorded times run from mid-March to late November 2025.
	w.Start = time.Date(2025, 3, 15, 1, 0, 0, 0, time.UTC)

	nDept, nVert := min(len(depts), nUnits/8), min(len(verticals), nUnits/8)
	nDistrict := max(1, (nUnits-nDept-nVert)/60)
	var districts []string
	for i := 0; i < nUnits; i++ {
		u := Unit{}
		switch {
		case i < nDept:
			u.ID, u.Name, u.Kind = fmt.Sprintf("SO-%02d", i+1), depts[i], domain.UnitDepartment
		case i < nDept+nVert:
			u.ID, u.Name, u.Kind = verticalIDs[i-nDept], verticals[i-nDept], domain.UnitVertical
		case i < nDept+nVert+nDistrict:
			u.ID, u.Kind = fmt.Sprintf("H-%04d", i-nDept-nVert+1), domain.UnitDistrict
			u.Name = "UBND huyện " + placeName(rng) + " " + strconv.Itoa(i-nDept-nVert+1)
			districts = append(districts, u.ID)
		default:
			u.ID, u.Kind = fmt.Sprintf("X-%05d", i-nDept-nVert-nDistrict+1), domain.UnitCommune
			u.Name = "UBND xã " + placeName(rng) + " " + strconv.Itoa(i-nDept-nVert-nDistrict+1)
			u.Parent = districts[rng.IntN(len(districts))]
		}
		u.script = unitScript(rng, u.Kind)
		w.Units = append(w.Units, u)
	}
	// Bench units: spread over the communes, from the end.
	benchUnits = min(benchUnits, nUnits/4)
	for i := 0; i < benchUnits; i++ {
		w.Units[nUnits-1-3*i].Bench = true
	}
	entropy := rand.New(rand.NewPCG(seed, 0x756c6964))
	for i := 0; i < nNoms; i++ {
		ui := i % nUnits
		u := &w.Units[ui]
		n := Nomination{Unit: ui, Bench: u.Bench}
		ms := ulid.Timestamp(w.Start.Add(time.Duration(i) * time.Second))
		var ent [10]byte
		binary.LittleEndian.PutUint64(ent[:8], entropy.Uint64())
		binary.LittleEndian.PutUint16(ent[8:], uint16(entropy.Uint32()))
		id, err := ulid.New(ms, bytesReader(ent[:]))
		if err != nil {
			panic(err) // cannot happen: the entropy reader always fills
		}
		n.ID = id.String()
		if i < nUnits {
			n.Nominee = domain.Nominee{Kind: domain.NomineeCollective, Name: u.Name}
		} else {
			n.Nominee = person(rng, i/nUnits == 1)
		}
		n.script = w.nominationScript(rng, &n)
		n.start = 1
		if !n.Bench {
			n.start += rng.IntN(12)
		}
		w.Nominations = append(w.Nominations, n)
	}
	// The history and the measured commands spread over 250 days.
	commits, _ := w.Counts()
	w.Step = time.Duration(float64(250*24*time.Hour) / float64(commits+30000))
	return w
}

// bytesReader reads the same bytes over and over (deterministic ULID entropy).
type bytesReader []byte

func (b bytesReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = b[i%len(b)]
	}
	return len(p), nil
}

func placeName(rng *rand.Rand) string {
	return places[rng.IntN(len(places))] + " " + places[rng.IntN(len(places))]
}

// person returns an individual nominee; the head of the unit when head.
func person(rng *rand.Rand, head bool) domain.Nominee {
	female := rng.IntN(100) < 45
	middle := middles[rng.IntN(len(middles))]
	if female {
		middle = "Thị"
	}
	n := domain.Nominee{Kind: domain.NomineeIndividual, Name: families[rng.IntN(len(families))] + " " + middle + " " + givens[rng.IntN(len(givens))],
		Position: positions[rng.IntN(len(positions))], Gender: "male", Head: head}
	if female {
		n.Gender = "female"
	}
	if head {
		n.Position = "Thủ trưởng đơn vị"
	}
	return n
}

// unitScript is a unit's history: registration, its emulation plan (most units) and
// the facts reviewers record, with an occasional correction.
func unitScript(rng *rand.Rand, kind domain.UnitKind) []op {
	s := []op{{code: opRegister}}
	if rng.IntN(100) < 96 {
		s = append(s, op{code: opPlan})
	}
	pct := func(lo, hi int) uint16 { return uint16(lo*10 + rng.IntN((hi-lo)*10+1)) }
	rating := uint16(0)
	switch r := rng.IntN(100); {
	case r >= 97:
		rating = 2
	case r >= 78:
		rating = 1
	}
	s = append(s, op{code: opFact, a: factParRating, v: rating}, op{code: opFact, a: factParIndexScore, v: pct(60, 99)})
	disb := op{code: opFact, a: factDisbursement, v: pct(100, 112)}
	if r := rng.IntN(100); r < 12 {
		disb.v, disb.b = pct(88, 99), 2 // objective cause
		if r < 4 {
			disb.b = 1 // subjective cause: excluded
		}
	}
	s = append(s, disb)
	count := func(zeroPct int) uint16 {
		if rng.IntN(100) < zeroPct {
			return 0
		}
		return uint16(1 + rng.IntN(6))
	}
	s = append(s, op{code: opFact, a: factLateDossiers, v: count(92)}, op{code: opFact, a: factBacklogDossiers, v: count(96)})
	// Index components: two for provincial agencies and districts, one for a commune.
	nComp := 2
	if kind == domain.UnitCommune {
		nComp = 1
	}
	for c := 0; c < nComp; c++ {
		ix := uint8(rng.IntN(len(indexes)))
		f := op{code: opFact, a: factIndexComponent, b: ix<<4 | uint8(c*2+rng.IntN(2)), v: pct(60, 99), w: pct(60, 99)}
		if rng.IntN(100) < 8 {
			f.b |= 0x08 // not yet published
		}
		s = append(s, f)
	}
	s = append(s, op{code: opFact, a: factStaffHours, v: pct(0, 12)})
	if kind == domain.UnitDistrict {
		s = append(s, op{code: opFact, a: factSubordinate, v: pct(0, 12)})
	}
	s = append(s, op{code: opFact, a: factLateDirectives, v: count(95)}, op{code: opFact, a: factOnlineService, v: 1000})
	if rng.IntN(100) < 10 {
		s[len(s)-1].v = pct(90, 99)
	}
	s = append(s, op{code: opFact, a: factWomen, v: pct(15, 85)})
	if rng.IntN(100) < 10 {
		// A correction: disbursement re-recorded in full.
		s = append(s, op{code: opFact, a: factDisbursement, v: 1000})
	}
	return s
}

// nominationScript is a nomination's history up to a state drawn at random: draft,
// submitted, under review, verified, returned, on hold or withdrawn. A bench
// nomination stops in draft with its dossier attached.
func (w *Workload) nominationScript(rng *rand.Rand, n *Nomination) []op {
	s := []op{{code: opOpen}}
	docs := func(k int) {
		for i := 0; i < k; i++ {
			s = append(s, op{code: opDoc, a: uint8(i)})
		}
	}
	if n.Bench {
		docs(3)
		return s
	}
	vote := func(pass bool) {
		members := 9 + rng.IntN(17)
		need := (members*70 + 99) / 100
		present := need + rng.IntN(members-need+1)
		approve := need + rng.IntN(present-need+1)
		if !pass {
			approve = rng.IntN(need)
		}
		s = append(s, op{code: opVote, v: uint16(members), w: uint16(present)<<8 | uint16(approve)})
	}
	rules := w.rulesCol
	if n.Nominee.Kind == domain.NomineeIndividual {
		rules = w.rulesInd
	}
	// rule appends k rulings (all positive when positive), marking the first and the completing one.
	ruled := 0
	positive := true
	rule := func(k int, allPositive bool) {
		for i := 0; i < k && ruled < len(rules); i++ {
			res := uint8(0)
			if !allPositive {
				if r := rng.IntN(100); r < 12 {
					res = 1
				} else if r < 15 {
					res = 2
				}
			} else if rng.IntN(100) < 3 {
				res = 2
			}
			b := res
			if ruled == 0 {
				b |= ruleFirst
			}
			positive = positive && res != 1
			ruled++
			if ruled == len(rules) && positive {
				b |= ruleCompletes
			}
			s = append(s, op{code: opRule, a: uint8(ruled - 1), b: b})
		}
	}
	full := func() {
		docs(3)
		vote(true)
		s = append(s, op{code: opSubmit})
	}
	switch r := rng.IntN(100); {
	case r < 18: // draft, dossier in progress
		docs(rng.IntN(4))
	case r < 20: // the council vote failed: cannot be submitted
		docs(3)
		vote(false)
	case r < 52: // submitted, waiting for review
		full()
	case r < 77: // under review
		full()
		rule(1+rng.IntN(len(rules)-1), false)
	case r < 93: // verified
		full()
		rule(len(rules), true)
	case r < 96: // returned for amendment
		full()
		rule(1+rng.IntN(2), false)
		s = append(s, op{code: opReturn})
	case r < 98: // on hold (a complaint), some released again
		full()
		rule(len(rules), true)
		s = append(s, op{code: opHold})
		if rng.IntN(2) == 0 {
			s = append(s, op{code: opRelease})
		}
	default: // withdrawn
		full()
		s = append(s, op{code: opWithdraw})
	}
	return s
}

// Counts returns the number of commits and events the workload's history holds (before
// the measured commands, the bootstrap and the users).
func (w *Workload) Counts() (commits, events int) {
	for i := range w.Units {
		for k := range w.Units[i].script {
			commits++
			events += len(w.unitEvents(i, k))
		}
	}
	for i := range w.Nominations {
		for _, o := range w.Nominations[i].script {
			commits++
			events++
			if o.code == opRule {
				if o.b&ruleFirst != 0 {
					events++
				}
				if o.b&ruleCompletes != 0 {
					events++
				}
			}
		}
	}
	return commits, events
}

// Rounds returns how many rounds the history has: round r holds the r-th command of
// every unit and the (r-start)-th of every nomination (nominations start in rounds 1 to 12).
func (w *Workload) Rounds() int {
	r := 0
	for i := range w.Units {
		r = max(r, len(w.Units[i].script))
	}
	for i := range w.Nominations {
		r = max(r, len(w.Nominations[i].script)+w.Nominations[i].start)
	}
	return r
}

func (w *Workload) sha(parts ...string) string {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w.Seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (w *Workload) doc(name string, parts ...string) domain.DocumentRef {
	sum := w.sha(parts...)
	size := int64(40000 + binary.BigEndian.Uint32([]byte(sum[:4]))%2000000)
	return domain.DocumentRef{ID: sum, SHA256: sum, Size: size, Name: name, ContentType: "application/pdf"}
}

func f64(v float64) *float64 { return &v }

// unitEvents returns the events of unit i's k-th command, as the domain decides them.
func (w *Workload) unitEvents(i, k int) []domain.Event {
	u := &w.Units[i]
	o := u.script[k]
	switch o.code {
	case opRegister:
		return []domain.Event{{Type: domain.UnitRegistered, Data: domain.UnitRegisteredData{ID: u.ID, Name: u.Name, Kind: u.Kind, Parent: u.Parent}}}
	case opPlan:
		return []domain.Event{{Type: domain.PlanSubmitted, Data: domain.PlanSubmittedData{Campaign: w.def.ID,
			Document: w.doc("ke-hoach-cchc-2025-"+u.ID+".pdf", "plan", u.ID)}}}
	case opFact:
		return []domain.Event{{Type: domain.FactRecorded, Data: w.fact(u, o)}}
	}
	panic(fmt.Sprintf("bench: unit op %d", o.code))
}

func (w *Workload) fact(u *Unit, o op) domain.FactRecordedData {
	d := domain.FactRecordedData{Campaign: w.def.ID, Note: "Số liệu theo báo cáo đánh giá năm 2025 của " + u.Name}
	tenth := func(v uint16) *float64 { return f64(float64(v) / 10) }
	switch o.a {
	case factParRating:
		d.Fact, d.Text = domain.FactParRating, parRatings[o.v]
	case factParIndexScore:
		d.Fact, d.Number = domain.FactParIndexScore, tenth(o.v)
	case factDisbursement:
		d.Fact, d.Number = domain.FactDisbursementPct, tenth(o.v)
		switch o.b {
		case 1:
			d.Cause, d.Note = domain.CauseSubjective, "Chậm giải ngân do công tác chuẩn bị đầu tư chưa tốt"
		case 2:
			d.Cause, d.Note = domain.CauseObjective, "Chậm giải phóng mặt bằng do vướng mắc về đất đai"
		}
	case factLateDossiers:
		d.Fact, d.Number = domain.FactLateDossiers, f64(float64(o.v))
	case factBacklogDossiers:
		d.Fact, d.Number = domain.FactBacklogDossiers, f64(float64(o.v))
	case factIndexComponent:
		d.Fact, d.Index, d.Component = domain.FactIndexComponent, indexes[o.b>>4], components[o.b&0x03]
		if o.b&0x08 != 0 {
			d.Status = domain.StatusNotPublished
		} else {
			d.Number, d.Previous = f64(float64(o.v)/100), f64(float64(o.w)/100)
		}
	case factStaffHours:
		d.Fact, d.Number = domain.FactStaffHoursViolationPct, tenth(o.v)
	case factSubordinate:
		d.Fact, d.Number = domain.FactSubordinateViolationPct, tenth(o.v)
	case factLateDirectives:
		d.Fact, d.Number = domain.FactLateDirectives, f64(float64(o.v))
	case factOnlineService:
		d.Fact, d.Number = domain.FactOnlineServicePct, tenth(o.v)
	case factWomen:
		d.Fact, d.Number = domain.FactWomenPct, tenth(o.v)
	}
	return d
}

// nominationEvents returns the events of nomination i's k-th command, as the domain
// decides them.
func (w *Workload) nominationEvents(i, k int) []domain.Event {
	n := &w.Nominations[i]
	o := n.script[k]
	switch o.code {
	case opOpen:
		return []domain.Event{{Type: domain.NominationOpened, Data: domain.NominationOpenedData{ID: n.ID, Campaign: w.def.ID, Unit: w.Units[n.Unit].ID, Nominee: n.Nominee}}}
	case opDoc:
		kind := docKinds[o.a]
		return []domain.Event{{Type: domain.DocumentAttached, Data: domain.DocumentAttachedData{Kind: kind,
			Document: w.doc(string(kind)+"-"+n.ID+".pdf", "doc", n.ID, string(kind))}}}
	case opVote:
		return []domain.Event{{Type: domain.CouncilVoteRecorded, Data: voteOf(o)}}
	case opSubmit:
		return []domain.Event{{Type: domain.NominationSubmitted, Data: domain.SubmittedData{}}}
	case opRule:
		rules := w.rulesCol
		if n.Nominee.Kind == domain.NomineeIndividual {
			rules = w.rulesInd
		}
		var out []domain.Event
		if o.b&ruleFirst != 0 {
			out = append(out, domain.Event{Type: domain.ReviewStarted, Data: domain.ReviewStartedData{}})
		}
		res := ruleResults[o.b&ruleResultMask]
		out = append(out, domain.Event{Type: domain.CriterionRuled, Data: domain.CriterionRuledData{Criterion: rules[o.a], Result: res, Note: ruleNote(res)}})
		if o.b&ruleCompletes != 0 {
			out = append(out, domain.Event{Type: domain.NominationVerified, Data: domain.VerifiedData{}})
		}
		return out
	case opReturn:
		return []domain.Event{{Type: domain.NominationReturned, Data: domain.ReasonData{Reason: "Bổ sung minh chứng kết quả thực hiện tiêu chí"}}}
	case opHold:
		return []domain.Event{{Type: domain.NominationHeld, Data: domain.ReasonData{Reason: "Đang giải quyết đơn khiếu nại liên quan"}}}
	case opRelease:
		return []domain.Event{{Type: domain.NominationReleased, Data: domain.ReasonData{Reason: "Đã giải quyết xong khiếu nại"}}}
	case opWithdraw:
		return []domain.Event{{Type: domain.NominationWithdrawn, Data: domain.ReasonData{Reason: "Đơn vị rút hồ sơ theo đề nghị của cá nhân"}}}
	}
	panic(fmt.Sprintf("bench: nomination op %d", o.code))
}

func voteOf(o op) domain.CouncilVoteData {
	return domain.CouncilVoteData{MeetingDate: "2025-06-20", Members: int(o.v), Present: int(o.w >> 8), Approve: int(o.w & 0xff)}
}

func ruleNote(result string) string {
	switch result {
	case domain.ResultNotMet:
		return "Chưa đạt theo kết quả thẩm định hồ sơ"
	case domain.ResultNotApplicable:
		return "Không áp dụng đối với đơn vị"
	}
	return "Đạt, có minh chứng kèm theo"
}

// historyReviewers is how many reviewers the generated history's rulings come from.
const historyReviewers = 12

// actorOf returns who issued a command: the unit's clerk, a reviewer, or the administrator.
func actorOf(code opCode, unit string, n int) (user, role string) {
	switch code {
	case opRegister:
		return "admin", string(domain.RoleAdmin)
	case opFact, opRule, opReturn, opHold, opRelease:
		return fmt.Sprintf("reviewer-%02d", n%historyReviewers+1), string(domain.RoleReviewer)
	}
	return "clerk-" + unit, string(domain.RoleClerk)
}
