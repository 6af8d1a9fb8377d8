package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// step is how far the demo's clock moves with each command.
const step = time.Minute

// keyPrefix starts the idempotency key of every demo command.
const keyPrefix = "demo-2025/"

// seeder runs the demo's story: it walks the timeline, acts as the story's people and
// remembers the ids the service chose. The first error stops it (later calls do nothing),
// so that the story reads as a plain sequence of steps.
type seeder struct {
	ctx      context.Context
	svc      *workflows.Service
	setClock func(time.Time)
	now      time.Time
	err      error

	admin, reviewer, council workflows.Principal
	clerks                   map[string]workflows.Principal // by unit
	names                    map[string]string              // unit names, by unit
	noms                     map[string]string              // nomination ids, by story label
	people                   map[string]domain.Nominee      // nominees, by story label
	plans                    map[string]string              // SHA-256 of each unit's emulation plan
	preds                    map[string][]string            // successor -> sources
	commands                 int
	notes                    []string
}

func newSeeder(ctx context.Context, svc *workflows.Service, setClock func(time.Time)) *seeder {
	return &seeder{
		ctx: ctx, svc: svc, setClock: setClock, now: Start,
		clerks: map[string]workflows.Principal{}, names: map[string]string{}, noms: map[string]string{},
		people: map[string]domain.Nominee{}, plans: map[string]string{}, preds: map[string][]string{},
	}
}

func (s *seeder) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// at moves the timeline to t (in ICT); the timeline never goes back.
func (s *seeder) at(month time.Month, day, hour, minute int) {
	t := time.Date(2025, month, day, hour, minute, 0, 0, ICT)
	if s.err != nil {
		return
	}
	if t.Before(s.now) {
		s.fail(fmt.Errorf("the timeline would go back from %s to %s", s.now.Format(time.RFC3339), t.Format(time.RFC3339)))
		return
	}
	s.now = t
}

// tick sets the clock for the next command and moves the timeline on by one step.
func (s *seeder) tick() time.Time {
	t := s.now
	s.setClock(t)
	s.now = t.Add(step)
	return t
}

// today is the current date of the timeline, YYYY-MM-DD.
func (s *seeder) today() string { return s.now.Format(time.DateOnly) }

// do runs one command at the next tick with the idempotency key keyPrefix+label.
func (s *seeder) do(label string, cmd func(o workflows.Options) (workflows.Result, error)) workflows.Result {
	if s.err != nil {
		return workflows.Result{}
	}
	s.tick()
	s.commands++
	r, err := cmd(workflows.Options{Key: keyPrefix + label})
	if err != nil {
		s.fail(fmt.Errorf("%s: %w", label, err))
	}
	return r
}

// principal authenticates a demo account's token.
func (s *seeder) principal(token string) workflows.Principal {
	if s.err != nil {
		return workflows.Principal{}
	}
	p, err := s.svc.Authenticate(s.ctx, token)
	if err != nil {
		s.fail(fmt.Errorf("log in as %s: %w", account(token).Name, err))
	}
	return p
}

// user creates a demo account (as the system, which may choose the token) and logs in.
func (s *seeder) user(a Account) workflows.Principal {
	s.do("user/"+a.Token, func(o workflows.Options) (workflows.Result, error) {
		r, _, err := s.svc.CreateUser(s.ctx, workflows.System(), workflows.CreateUserInput{Name: a.Name, Role: a.Role, Unit: a.Unit, Token: a.Token}, o)
		return r, err
	})
	return s.principal(a.Token)
}

// clerk creates the clerk of a unit.
func (s *seeder) clerk(unit string) {
	s.clerks[unit] = s.user(account(ClerkToken(unit)))
}

// unit registers a unit (admin).
func (s *seeder) unit(u unitRow) {
	s.names[u.ID] = u.Name
	s.do("unit/"+u.ID, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.RegisterUnit(s.ctx, s.admin, workflows.RegisterUnitInput{ID: u.ID, Name: u.Name, Kind: u.Kind, Parent: u.Parent}, o)
	})
}

// merge records one merger of the reorganisation (admin).
func (s *seeder) merge(m merger) {
	s.names[m.Successor.ID] = m.Successor.Name
	s.preds[m.Successor.ID] = m.Sources
	s.do("merge/"+m.Successor.ID, func(o workflows.Options) (workflows.Result, error) {
		in := workflows.ReorganiseInput{Kind: "merge", Sources: m.Sources, Successor: m.Successor.ID, Effective: Effective, Decision: Decision}
		if m.New {
			in.SuccessorName, in.SuccessorKind = m.Successor.Name, m.Successor.Kind
		}
		return s.svc.Reorganise(s.ctx, s.admin, in, o)
	})
}

// skip takes the tick of a command that an interrupted seed already carried out.
func (s *seeder) skip() {
	if s.err == nil {
		s.tick()
		s.commands++
	}
}

// upload is a generated PDF and its SHA-256.
func upload(name, title string, lines []string) (workflows.Upload, string) {
	data := pdfDocument(title, lines)
	sum := sha256.Sum256(data)
	return workflows.Upload{Name: name, ContentType: "application/pdf", Body: bytes.NewReader(data)}, hex.EncodeToString(sum[:])
}

// plan submits a unit's own emulation plan for the campaign (the unit's clerk).
func (s *seeder) plan(unit string) {
	name := s.names[unit]
	up, sha := upload("ke-hoach-thi-dua-cchc-2025-"+slug(unit)+".pdf",
		"Kế hoạch phát động phong trào thi đua đẩy mạnh cải cách hành chính năm 2025",
		[]string{name, "Thực hiện Kế hoạch của UBND tỉnh Ninh Thuận (tháng 3/2025)", "Ngày " + s.today(),
			"Nội dung: tuyên truyền CCHC, cải cách TTHC gắn với chuyển đổi số, kỷ luật, kỷ cương hành chính",
			"Tài liệu mẫu của dữ liệu demo thidua"})
	// SubmitPlan checks the clerk's scope before it looks at the idempotency key: a plan
	// of a unit merged since would be refused on a retry. So a seed that resumes another
	// skips the plans that are there already.
	var have bool
	s.svc.Model().Read(func(st *projections.State) {
		if u, _ := st.Unit(unit); u != nil {
			p, ok := u.Plan(Campaign)
			have = ok && p.Document.SHA256 == sha
		}
	})
	if have {
		s.plans[unit] = sha
		s.skip()
		return
	}
	s.do("plan/"+unit, func(o workflows.Options) (workflows.Result, error) {
		r, doc, err := s.svc.SubmitPlan(s.ctx, s.clerks[unit], unit, Campaign, up, o)
		if err == nil {
			s.plans[unit] = doc.SHA256
		}
		return r, err
	})
}

// fact records a fact about a unit (reviewer).
func (s *seeder) fact(unit string, f domain.FactRecordedData) {
	f.Campaign = Campaign
	label := "fact/" + unit + "/" + f.Fact
	if f.Component != "" {
		label += "/" + f.Index + "/" + slug(f.Component)
	}
	label += "/" + s.today()
	s.do(label, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.RecordFact(s.ctx, s.reviewer, unit, f, o)
	})
}

// nomState is a nomination as it stood at the current moment of the timeline.
type nomState struct {
	unit       string          // its unit then (the successor after a merger)
	ruled      map[string]bool // the criteria ruled on
	supporting string          // the SHA-256 of the latest supporting document
}

// nomAt folds a nomination's events recorded before the timeline's current moment. The
// story asks the model "as of now on the timeline" rather than live, so that a seed that
// resumes an interrupted one takes exactly the steps an uninterrupted seed takes.
func (s *seeder) nomAt(label string) nomState {
	st := nomState{ruled: map[string]bool{}}
	if s.err != nil {
		return st
	}
	evs, err := s.svc.Model().NominationEvents(s.noms[label], projections.Bound{Time: s.now})
	if err != nil {
		s.fail(fmt.Errorf("nomination %s: %w", label, err))
		return st
	}
	for _, e := range evs {
		data, err := domain.Decode(e.Type, e.Data)
		if err != nil {
			continue
		}
		switch d := data.(type) {
		case domain.NominationOpenedData:
			st.unit = d.Unit
		case domain.TransferredData:
			st.unit = d.To
		case domain.CriterionRuledData:
			st.ruled[d.Criterion] = true
		case domain.DocumentAttachedData:
			if d.Kind == domain.DocSupporting {
				st.supporting = d.Document.SHA256
			}
		}
	}
	return st
}

// currentUnit returns the unit a nomination belongs to at the timeline's current moment.
func (s *seeder) currentUnit(label string) string { return s.nomAt(label).unit }

// open opens a nomination of a unit (the unit's clerk).
func (s *seeder) open(label, unit string, nominee domain.Nominee) {
	s.people[label] = nominee
	r := s.do("open/"+label, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.OpenNomination(s.ctx, s.clerks[unit], Campaign, workflows.OpenNominationInput{Unit: unit, Nominee: nominee}, o)
	})
	if s.err == nil {
		s.noms[label] = r.ID
	}
}

// docTitles are the dossier parts' titles (plan III.2).
var docTitles = map[domain.DocKind]string{
	domain.DocLetter:            "Tờ trình đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh",
	domain.DocCouncilMinutes:    "Biên bản họp Hội đồng Thi đua-Khen thưởng",
	domain.DocAchievementReport: "Báo cáo thành tích",
	domain.DocSupporting:        "Quyết định công nhận sáng kiến cải cách hành chính",
}

// attach attaches dossier documents to a nomination (the clerk of its current unit).
// version > 1 marks an amended document.
func (s *seeder) attach(label string, version int, kinds ...domain.DocKind) {
	for _, kind := range kinds {
		if s.err != nil {
			return
		}
		unit := s.currentUnit(label)
		nominee := s.people[label]
		who := nominee.Name
		if who == "" {
			who = "Tập thể " + s.names[unit]
		}
		title := docTitles[kind]
		lines := []string{"Đơn vị: " + s.names[unit], "Đối tượng: " + who}
		if nominee.Position != "" {
			lines = append(lines, "Chức vụ: "+nominee.Position)
		}
		lines = append(lines, "Phong trào thi đua đẩy mạnh cải cách hành chính tỉnh Ninh Thuận năm 2025", "Ngày "+s.today())
		name := slug(string(kind)) + "-" + slug(label)
		if version > 1 {
			title += fmt.Sprintf(" (bản bổ sung lần %d)", version-1)
			lines = append(lines, "Bổ sung kết quả đạt được trên từng tiêu chí theo yêu cầu của Sở Nội vụ")
			name += fmt.Sprintf("-v%d", version)
		}
		lines = append(lines, "Tài liệu mẫu của dữ liệu demo thidua")
		up, sha := upload(name+".pdf", title, lines)
		// As SubmitPlan, AttachDocument checks the clerk's scope before the idempotency
		// key: a seed that resumes another skips the documents attached already.
		if s.attached(label, kind, sha) {
			s.skip()
			continue
		}
		key := fmt.Sprintf("attach/%s/%s/v%d", label, kind, version)
		s.do(key, func(o workflows.Options) (workflows.Result, error) {
			r, _, err := s.svc.AttachDocument(s.ctx, s.clerks[unit], s.noms[label], kind, up, o)
			return r, err
		})
	}
}

// attached reports whether a nomination has the document among its documents of kind.
func (s *seeder) attached(label string, kind domain.DocKind, sha string) bool {
	found := false
	s.svc.Model().Read(func(st *projections.State) {
		if n, _ := st.Nomination(s.noms[label]); n != nil {
			for _, d := range n.Documents()[kind] {
				found = found || d.Document.SHA256 == sha
			}
		}
	})
	return found
}

// vote records the unit council's vote, held three days earlier (the clerk).
func (s *seeder) vote(label string, members, present, approve int) {
	unit := s.currentUnit(label)
	v := domain.CouncilVoteData{MeetingDate: s.now.AddDate(0, 0, -3).Format(time.DateOnly), Members: members, Present: present, Approve: approve}
	s.do("vote/"+label+"/"+s.today(), func(o workflows.Options) (workflows.Result, error) {
		return s.svc.RecordVote(s.ctx, s.clerks[unit], s.noms[label], v, o)
	})
}

// submit submits a nomination (the clerk of its current unit).
func (s *seeder) submit(label string) {
	unit := s.currentUnit(label)
	s.do("submit/"+label+"/"+s.today(), func(o workflows.Options) (workflows.Result, error) {
		return s.svc.Submit(s.ctx, s.clerks[unit], s.noms[label], o)
	})
}

// refusedSubmit tries to submit a nomination that the workflow must refuse with code, and
// notes the refusal (which appends nothing).
func (s *seeder) refusedSubmit(label, code string) {
	if s.err != nil {
		return
	}
	unit := s.currentUnit(label)
	s.tick()
	_, err := s.svc.Submit(s.ctx, s.clerks[unit], s.noms[label], workflows.Options{Key: keyPrefix + "submit/" + label + "/" + s.today()})
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Code != code {
		s.fail(fmt.Errorf("submit %s: want the refusal %s, got %v", label, code, err))
		return
	}
	who := s.people[label].Name
	if who == "" {
		who = "the collective"
	}
	s.notes = append(s.notes, fmt.Sprintf("refused as the rules require: submitting the dossier of %s (%s) → %s", who, s.names[unit], code))
}

// dossier prepares and submits a nomination in one sitting: the three parts of the
// dossier (and, for a collective, the decision recognising its initiative), the council
// vote and the submission.
func (s *seeder) dossier(label, unit string, nominee domain.Nominee, members, present, approve int) {
	s.open(label, unit, nominee)
	s.attach(label, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport)
	if nominee.Kind == domain.NomineeCollective {
		s.attach(label, 1, domain.DocSupporting)
	}
	s.vote(label, members, present, approve)
	s.submit(label)
}

// rulingNotes are the reviewer's notes on a met criterion.
var rulingNotes = map[string]string{
	"C01": "Hoàn thành xuất sắc nhiệm vụ năm 2025 (Báo cáo thành tích, mục 1)",
	"C02": "Hoàn thành đúng tiến độ các nhiệm vụ của Kế hoạch CCHC năm 2025",
	"C03": "Có Kế hoạch tuyên truyền CCHC năm 2025 với nhiều hình thức phù hợp",
	"C05": "Đạt chỉ tiêu TTHC gắn với chuyển đổi số theo Quyết định số 64/QĐ-UBND ngày 17/2/2025",
	"C06": "Triển khai tốt chuyển đổi số và Đề án 06/CP",
	"C07": "Sáng kiến CCHC được Hội đồng sáng kiến công nhận",
	"C09": "Tham mưu dự án, công trình động lực, trọng điểm đúng tiến độ",
	"C10": "Tuyên truyền, tạo đồng thuận trong sắp xếp tổ chức bộ máy",
	"I01": "Hoàn thành xuất sắc nhiệm vụ năm 2025",
	"I02": "Tham mưu tốt các nhiệm vụ của Kế hoạch CCHC năm 2025",
	"I03": "Thực hiện đúng thời hạn các văn bản chỉ đạo của Trung ương và UBND tỉnh",
	"I04": "Tham mưu dự án, công trình trọng điểm bảo đảm chất lượng, tiến độ",
	"I05": "Tham mưu tuyên truyền, tạo đồng thuận trong sắp xếp tổ chức bộ máy",
	"I06": "Có sáng kiến CCHC được Hội đồng sáng kiến công nhận",
	"I07": "Chấp hành nghiêm kỷ luật, kỷ cương; không có hồ sơ trễ hẹn trong phạm vi phụ trách",
}

// rule records one ruling (reviewer). C03 cites the unit's emulation plan, C07 the
// decision recognising the initiative, when there are such documents.
func (s *seeder) rule(label, criterion, result, note string) {
	if s.err != nil {
		return
	}
	in := workflows.RuleInput{Result: result, Note: note}
	if result == domain.ResultMet {
		in.Document = s.evidence(label, criterion)
	}
	s.do(fmt.Sprintf("rule/%s/%s/%s", label, criterion, s.today()), func(o workflows.Options) (workflows.Result, error) {
		return s.svc.Rule(s.ctx, s.reviewer, s.noms[label], criterion, in, o)
	})
}

// evidence returns the document a met ruling cites ("" for none).
func (s *seeder) evidence(label, criterion string) string {
	switch criterion {
	case "C03":
		return s.planOf(s.currentUnit(label))
	case "C07":
		return s.nomAt(label).supporting
	}
	return ""
}

// planOf returns the SHA-256 of the emulation plan a unit relies on: its own, else one
// of the units it absorbed.
func (s *seeder) planOf(unit string) string {
	if sha, ok := s.plans[unit]; ok {
		return sha
	}
	for _, p := range s.preds[unit] {
		if sha := s.planOf(p); sha != "" {
			return sha
		}
	}
	return ""
}

// ruleAll rules "met" on every ruling-judged criterion of the nomination that is not
// ruled yet, except the ones listed.
func (s *seeder) ruleAll(label string, except ...string) {
	if s.err != nil {
		return
	}
	ruled := s.nomAt(label).ruled
	var def domain.Definition
	s.svc.Model().Read(func(st *projections.State) {
		if c, _ := st.Campaign(Campaign); c != nil {
			def = c.Definition()
		}
	})
	var todo []string
	for _, cr := range domain.ApplicableCriteria(def, s.people[label]) {
		if cr.JudgedBy == domain.JudgedByRuling && !ruled[cr.ID] && !slices.Contains(except, cr.ID) {
			todo = append(todo, cr.ID)
		}
	}
	for _, id := range todo {
		s.rule(label, id, domain.ResultMet, rulingNotes[id])
	}
}

// reviewerAction returns, holds or releases a nomination (reviewer).
func (s *seeder) reviewerAction(action, label, reason string) {
	s.do(fmt.Sprintf("%s/%s/%s", action, label, s.today()), func(o workflows.Options) (workflows.Result, error) {
		id := s.noms[label]
		switch action {
		case "return":
			return s.svc.Return(s.ctx, s.reviewer, id, reason, o)
		case "hold":
			return s.svc.Hold(s.ctx, s.reviewer, id, reason, o)
		case "release":
			return s.svc.Release(s.ctx, s.reviewer, id, reason, o)
		}
		return workflows.Result{}, fmt.Errorf("unknown action %q", action)
	})
}

// withdraw withdraws a nomination (the clerk of its current unit).
func (s *seeder) withdraw(label, reason string) {
	unit := s.currentUnit(label)
	s.do("withdraw/"+label, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.Withdraw(s.ctx, s.clerks[unit], s.noms[label], reason, o)
	})
}

// grant grants the award to a nomination (council).
func (s *seeder) grant(label, decision string) {
	s.do("grant/"+label, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.GrantAward(s.ctx, s.council, Campaign, workflows.GrantInput{Nomination: s.noms[label], Decision: decision}, o)
	})
}

// recommended checks that the ranking recommends the nominations the council is about
// to grant (unless they hold an award already, granted by the seed this one resumes).
func (s *seeder) recommended(labels ...string) {
	if s.err != nil {
		return
	}
	rk, err := s.svc.Model().Ranking(Campaign, projections.Bound{})
	if err != nil {
		s.fail(err)
		return
	}
	rec := map[string]bool{}
	for _, e := range append(rk.Collective.Entries, rk.Individual.Entries...) {
		rec[e.Nomination] = e.Recommended
	}
	for _, l := range labels {
		if !rec[s.noms[l]] && s.awardOf(l) == "" {
			s.fail(fmt.Errorf("grant %s: the ranking does not recommend it", l))
		}
	}
}

// revoke revokes a nomination's award on a legal ground (council).
func (s *seeder) revoke(label, ground, note string) {
	if s.err != nil {
		return
	}
	award := s.awardOf(label)
	s.do("revoke/"+label, func(o workflows.Options) (workflows.Result, error) {
		return s.svc.RevokeAward(s.ctx, s.council, award, workflows.RevokeInput{Ground: ground, Note: note}, o)
	})
}

// awardOf returns the id of the award a nomination holds or held ("" when none).
func (s *seeder) awardOf(label string) string {
	var award string
	s.svc.Model().Read(func(st *projections.State) {
		if n, _ := st.Nomination(s.noms[label]); n != nil {
			award = n.AwardID()
		}
	})
	return award
}

// deadline sets the campaign's nomination deadline (admin).
func (s *seeder) deadline(closes time.Time) {
	s.do("deadline/"+closes.Format(time.DateOnly), func(o workflows.Options) (workflows.Result, error) {
		return s.svc.SetDeadline(s.ctx, s.admin, Campaign, closes, o)
	})
}

// num returns a pointer to v, for fact values.
func num(v float64) *float64 { return &v }

// person is an individual nominee.
func person(name, position, gender string, head bool) domain.Nominee {
	return domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: position, Gender: gender, Head: head}
}

// notHead is an individual nominee whose title reads as a head's, stated by the unit not
// to head it (the director of a centre under the provincial office, the chief of a
// district's office).
func notHead(n domain.Nominee) domain.Nominee {
	n.NotHead = true
	return n
}

// collective is the unit itself as nominee.
var collective = domain.Nominee{Kind: domain.NomineeCollective}

// labelOf makes a nomination's story label from its unit and nominee.
func labelOf(unit string, n domain.Nominee) string {
	if n.Kind == domain.NomineeCollective {
		return unit + "/tap-the"
	}
	return unit + "/" + slug(n.Name)
}
