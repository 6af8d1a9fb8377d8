package workflows_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// launchAlongside launches the built-in definition again as campaign id, under the rules'
// revision rev: a special campaign running beside the test campaign.
func launchAlongside(env *wftest.Env, id string, rev int) {
	def := domain.BuiltinCampaign()
	def.ID, def.Version, def.RulesRevision = id, 1, rev
	def.NameVI += " (chuyên đề)"
	def.NameEN += " (special)"
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
}

// TestAHoldStandsInEveryCampaign: a hold is on the nominee (DESIGN section 2: no award while
// they are under discipline review, investigation or a pending complaint), so a person or a
// unit on hold in one campaign is granted nothing in another running beside it
// (person_on_hold, unit_on_hold, naming the campaign), and, under the rules' revision 4,
// that campaign's ranking withholds them; once the hold is released, or as of a moment
// before it, they are recommended and granted. A campaign launched under revision 3 ranks
// as its grants recorded. Before, the hold stopped at its own campaign: a review granted
// another campaign's award to a person under discipline review.
func TestAHoldStandsInEveryCampaign(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	const special, older = "chuyen-de-2025", "chuyen-de-cu-2025"
	launchAlongside(env, special, domain.CurrentRulesRevision)
	launchAlongside(env, older, 3)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	env.Unit("SHX", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "SHX")
	person := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tâm", Position: "Chuyên viên"}
	unit := domain.Nominee{Kind: domain.NomineeCollective}
	ids := map[string][2]string{} // campaign → the person's and the unit's nominations
	for _, camp := range []string{wftest.Campaign, special, older} {
		env.GoodFactsIn(camp, reviewer, "SHX", 90)
		p, u := env.DossierIn(camp, clerk, person), env.DossierIn(camp, clerk, unit)
		env.RuleAll(reviewer, p)
		env.RuleAll(reviewer, u)
		ids[camp] = [2]string{p, u}
	}
	env.RuleAll(reviewer, ids[wftest.Campaign][0]) // the test campaign's dossier moves last
	beforeHold := *env.Now.Load()
	seqBefore := env.Model.Applied()
	asOfBefore, err := env.Model.Ranking(special, projections.Bound{Seq: seqBefore})
	require.NoError(t, err)
	env.Advance(time.Minute)
	env.OK(env.Svc.Hold(env.Ctx, reviewer, ids[wftest.Campaign][0], "Đang xem xét kỷ luật", workflows.Options{}))
	env.OK(env.Svc.Hold(env.Ctx, reviewer, ids[wftest.Campaign][1], "Thanh tra tỉnh đang thanh tra đơn vị", workflows.Options{}))
	// A ranking as of a moment before the holds is the same after them, its as-of point
	// too (a review finding: a hold recorded later moved it).
	asOfAfter, err := env.Model.Ranking(special, projections.Bound{Seq: seqBefore})
	require.NoError(t, err)
	assert.Equal(t, asOfBefore.AsOfSeq, asOfAfter.AsOfSeq)
	assert.Equal(t, asOfBefore.Individual.Entries, asOfAfter.Individual.Entries)

	withheld := func(camp string, b projections.Bound) (string, string) {
		t.Helper()
		rk, err := env.Model.Ranking(camp, b)
		require.NoError(t, err)
		find := func(entries []projections.RankEntryView, id string) string {
			for _, e := range entries {
				if e.Nomination == id {
					if e.Recommended {
						return "recommended"
					}
					return e.Withheld
				}
			}
			return "not ranked"
		}
		return find(rk.Individual.Entries, ids[camp][0]), find(rk.Collective.Entries, ids[camp][1])
	}
	for _, camp := range []string{special, older} {
		for i, code := range []string{"person_on_hold", "unit_on_hold"} {
			re := refused(t, env, code, func() (workflows.Result, error) {
				return env.Svc.GrantAward(env.Ctx, council, camp, workflows.GrantInput{Nomination: ids[camp][i], Decision: "QĐ 1"}, workflows.Options{})
			})
			assert.Contains(t, re.Message, "in campaign "+wftest.Campaign, camp)
			assert.Contains(t, re.MessageVI, "trong đợt "+wftest.Campaign, camp)
		}
	}
	p, u := withheld(special, projections.Bound{})
	assert.Equal(t, domain.WithheldPersonOnHold, p, "revision 4: the person withheld")
	assert.Equal(t, domain.WithheldUnitOnHold, u, "revision 4: the unit withheld")
	// So does a model read from a snapshot, which did not fold the holds.
	var snap bytes.Buffer
	_, err = env.Model.WriteSnapshot(&snap)
	require.NoError(t, err)
	loaded, _, err := projections.ReadSnapshot(&snap)
	require.NoError(t, err)
	rk, err := loaded.Ranking(special, projections.Bound{})
	require.NoError(t, err)
	require.Len(t, rk.Individual.Entries, 1)
	assert.Equal(t, domain.WithheldPersonOnHold, rk.Individual.Entries[0].Withheld, "read from a snapshot")
	p, u = withheld(special, projections.Bound{Time: beforeHold})
	assert.Equal(t, "recommended", p, "as of a moment before the hold")
	assert.Equal(t, "recommended", u, "as of a moment before the hold")
	p, u = withheld(older, projections.Bound{})
	assert.Equal(t, "recommended", p, "revision 3 ranks as before")
	assert.Equal(t, "recommended", u, "revision 3 ranks as before")

	env.OK(env.Svc.Release(env.Ctx, reviewer, ids[wftest.Campaign][0], "Không có vi phạm", workflows.Options{}))
	env.OK(env.Svc.Release(env.Ctx, reviewer, ids[wftest.Campaign][1], "Kết thúc thanh tra", workflows.Options{}))
	p, u = withheld(special, projections.Bound{})
	assert.Equal(t, "recommended", p, "released")
	assert.Equal(t, "recommended", u, "released")
	for i := range 2 {
		env.OK(env.Svc.GrantAward(env.Ctx, council, special, workflows.GrantInput{Nomination: ids[special][i], Decision: "QĐ 2"}, workflows.Options{}))
	}
}

// TestAMergedUnitTakesNoFactOfALaterCampaign: a unit merged away before a campaign starts
// was no unit in its period: a fact of that campaign recorded on it is refused
// (unit_not_active, naming the successor) and changes nothing, where it judged the
// successor (a review finding); a fact of a campaign it took part in still corrects it.
func TestAMergedUnitTakesNoFactOfALaterCampaign(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("MLA", domain.UnitDistrict)
	env.Unit("MLB", domain.UnitDistrict)
	_, err := merge(env, []string{"MLA"}, "MLB", "2025-07-01")
	require.NoError(t, err)
	def := domain.BuiltinCampaign()
	def.ID, def.Version, def.Starts, def.Ends = "ninh-thuan-cchc-2026", 1, "2026-01-01", "2026-12-31"
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))

	re := refused(t, env, "unit_not_active", func() (workflows.Result, error) {
		return env.Svc.RecordFact(env.Ctx, reviewer, "MLA", domain.FactRecordedData{Campaign: def.ID, Fact: "par_index_score", Number: wftest.Num(95)}, workflows.Options{})
	})
	assert.Contains(t, re.Message, "record the fact on MLB")
	assert.Contains(t, re.MessageVI, "đơn vị đã không còn")
	env.OK(env.Svc.RecordFact(env.Ctx, reviewer, "MLB", domain.FactRecordedData{Campaign: def.ID, Fact: "par_index_score", Number: wftest.Num(95)}, workflows.Options{}))
	// A campaign starting on the merger's own day: the unit is gone that day too (a review
	// of the first version found it taking the facts that then judged the successor).
	sameDay := domain.BuiltinCampaign()
	sameDay.ID, sameDay.Version, sameDay.Starts = "chuyen-de-q3-2025", 1, "2025-07-01"
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, sameDay, workflows.Options{}))
	refused(t, env, "unit_not_active", func() (workflows.Result, error) {
		return env.Svc.RecordFact(env.Ctx, reviewer, "MLA", domain.FactRecordedData{Campaign: sameDay.ID, Fact: "par_index_score", Number: wftest.Num(95)}, workflows.Options{})
	})
	env.OK(env.Svc.RecordFact(env.Ctx, reviewer, "MLA", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "par_index_score", Number: wftest.Num(80)}, workflows.Options{}))
}

// TestAGrantBesideAnotherCampaignsHoldVerifies: a grant in one campaign recorded while (or
// after) a hold of another campaign withholds an entry of its ranking replays as recorded:
// the ranking's as-of point covers the other campaign's hold and release, so thidua verify
// finds the grant as decided (a review finding: the point was the campaign's own, and the
// replay at it left the hold out, or kept a hold released since).
func TestAGrantBesideAnotherCampaignsHoldVerifies(t *testing.T) {
	t.Parallel()
	for _, release := range []bool{false, true} {
		env := wftest.New(t, srv)
		const special = "chuyen-de-2025"
		launchAlongside(env, special, domain.CurrentRulesRevision)
		reviewer, council := env.User(domain.RoleReviewer, ""), env.User(domain.RoleCouncil, "")
		env.Unit("GHX", domain.UnitDepartment)
		env.Unit("GHY", domain.UnitDepartment)
		cx, cy := env.User(domain.RoleClerk, "GHX"), env.User(domain.RoleClerk, "GHY")
		px := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tâm", Position: "Chuyên viên"}
		py := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Thị Hoa", Position: "Chuyên viên"}
		ids := map[string][2]string{}
		for _, c := range []string{wftest.Campaign, special} {
			env.GoodFactsIn(c, reviewer, "GHX", 90)
			env.GoodFactsIn(c, reviewer, "GHY", 80)
			a := env.DossierIn(c, cx, px)
			env.RuleAll(reviewer, a)
			b := env.DossierIn(c, cy, py)
			env.RuleAll(reviewer, b)
			ids[c] = [2]string{a, b}
		}
		env.Advance(time.Minute)
		env.OK(env.Svc.Hold(env.Ctx, reviewer, ids[wftest.Campaign][0], "Đang xem xét kỷ luật", workflows.Options{}))
		if release {
			env.Fact(reviewer, "GHY", domain.FactRecordedData{Campaign: special, Fact: "par_index_score", Number: wftest.Num(81)})
			env.OK(env.Svc.Release(env.Ctx, reviewer, ids[wftest.Campaign][0], "Không có vi phạm", workflows.Options{}))
		}
		rk, err := env.Model.Ranking(special, projections.Bound{})
		require.NoError(t, err)
		again, err := env.Model.Ranking(special, projections.Bound{Seq: rk.AsOfSeq})
		require.NoError(t, err)
		assert.Equal(t, rk.Individual.Entries, again.Individual.Entries, "the ranking as of its own point, release %v", release)
		env.OK(env.Svc.GrantAward(env.Ctx, council, special, workflows.GrantInput{Nomination: ids[special][1], Decision: "QĐ 2"}, workflows.Options{}))
		assert.Empty(t, env.Model.GrantProblems(), "release %v", release)
	}
}

// TestARevisionCitedByTheReasonsItCauses: a revision that raises the council's approval
// threshold after the council met, or requires a dossier part the dossier lacks, is cited by
// the reason it causes (council_vote_failed, dossier_incomplete) beside the dossier's own
// events; they cited only the vote, or the opening, and the revision's summary names no
// threshold (a review finding).
func TestARevisionCitedByTheReasonsItCauses(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	id, _ := env.EligibleCollective("RVC", domain.UnitDepartment, reviewer, 90)
	var def domain.Definition
	env.Model.Read(func(st *projections.State) { c, _ := st.Campaign(wftest.Campaign); def = c.Definition() })
	def.Version++
	def.Council.ApprovePct = 95
	def.DossierParts = append(def.DossierParts, domain.DocSupporting)
	revised := env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	require.NotEmpty(t, revised.Events)
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	require.False(t, el.Eligible)
	cited := map[string][]string{}
	for _, r := range el.Reasons {
		cited[r.Code] = r.Events
	}
	require.Contains(t, cited, domain.ReasonCouncilVoteFailed)
	require.Contains(t, cited, domain.ReasonDossierIncomplete)
	assert.Contains(t, cited[domain.ReasonCouncilVoteFailed], revised.Events[0], "the revision that raised the threshold")
	assert.Len(t, cited[domain.ReasonCouncilVoteFailed], 2, "and the vote")
	assert.Contains(t, cited[domain.ReasonDossierIncomplete], revised.Events[0], "the revision that required the part")
	for _, r := range el.Reasons {
		if r.Code == domain.ReasonDossierIncomplete {
			assert.Contains(t, r.MessageVI, "tài liệu kèm theo", "the part named in Vietnamese, not by its code")
			assert.Contains(t, r.MessageEN, "the supporting documents")
		}
	}
}

// TestPlanAfterTheDeadlineForAReturnedDossier: a unit whose collective dossier, submitted in
// time without its plan, a reviewer returned after the deadline asking for the plan may
// still file it, and the dossier submitted again is eligible; it could never be (the plan
// refused deadline_passed, a review finding). A unit with nothing returned is refused.
func TestPlanAfterTheDeadlineForAReturnedDossier(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("PDL", domain.UnitDepartment)
	env.Unit("PDO", domain.UnitDepartment)
	clerk, other := env.User(domain.RoleClerk, "PDL"), env.User(domain.RoleClerk, "PDO")
	id := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "PDL", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
		_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, k, workflows.Upload{Name: string(k) + ".pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 " + string(k) + id)}, workflows.Options{})
		require.NoError(t, err)
	}
	env.OK(env.Svc.RecordVote(env.Ctx, clerk, id, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))
	env.GoodFacts(reviewer, "PDL", 80)
	env.RuleAll(reviewer, id)
	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, env.Now.Load().Add(time.Hour), workflows.Options{}))
	env.Advance(2 * time.Hour)
	plan := func(c workflows.Principal) error {
		_, _, err := env.Svc.SubmitPlan(env.Ctx, c, c.Unit, wftest.Campaign, workflows.Upload{Name: "ke-hoach.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 plan " + c.Unit)}, workflows.Options{})
		return err
	}
	require.ErrorContains(t, plan(other), "deadline", "nothing returned: the deadline stands")
	env.OK(env.Svc.Return(env.Ctx, reviewer, id, "Đơn vị bổ sung Kế hoạch phát động phong trào thi đua", workflows.Options{}))
	require.NoError(t, plan(clerk))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))
	env.RuleAll(reviewer, id) // a dossier submitted again is ruled again
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, el.Eligible, "%+v", el.Reasons)
}

// TestAnUnrelatedHoldElsewhereLeavesTheRankingAlone: a hold in another campaign of a
// nominee who is no candidate here leaves this campaign's ranking as it was, its as-of
// point and its live tag too; a hold of one who is moves them (a review finding: every hold
// elsewhere moved the as-of point and the ETag of every campaign, which told a clerk of
// another unit of a hold their trail hid).
func TestAnUnrelatedHoldElsewhereLeavesTheRankingAlone(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	const special = "chuyen-de-khac-2025"
	launchAlongside(env, special, domain.CurrentRulesRevision)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("UHA", domain.UnitDepartment)
	env.Unit("UHB", domain.UnitDepartment)
	clerkA, clerkB := env.User(domain.RoleClerk, "UHA"), env.User(domain.RoleClerk, "UHB")
	env.GoodFactsIn(special, reviewer, "UHA", 90)
	mine := env.DossierIn(special, clerkA, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Mai", Position: "Chuyên viên"})
	env.RuleAll(reviewer, mine)
	elsewhereOther := env.DossierIn(wftest.Campaign, clerkB, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phan Văn Bình", Position: "Chuyên viên"})
	elsewhereSame := env.DossierIn(wftest.Campaign, clerkA, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Mai", Position: "Chuyên viên"})
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	ranking := func() (projections.RankingView, uint64) {
		rk, tag, err := env.Model.LiveRanking(special)
		require.NoError(t, err)
		return rk, tag // the model's tag counts every commit; the API's digests the bytes
	}
	before, _ := ranking()
	require.Len(t, before.Individual.Entries, 1)

	env.OK(env.Svc.Hold(env.Ctx, reviewer, elsewhereOther, "Đang xem xét kỷ luật", workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	after, _ := ranking()
	// The whole view, and so its bytes and the API's ETag (a digest of them), unchanged.
	assert.Equal(t, before, after, "a hold of no candidate here")

	held := env.OK(env.Svc.Hold(env.Ctx, reviewer, elsewhereSame, "Đang xem xét kỷ luật", workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	after, _ = ranking()
	assert.Greater(t, after.AsOfSeq, before.AsOfSeq, "a hold of a candidate here is part of the ranking")
	assert.LessOrEqual(t, after.AsOfSeq, held.Seq)
	assert.Equal(t, domain.WithheldPersonOnHold, after.Individual.Entries[0].Withheld)
}

// TestAReleasedHoldElsewhereStaysInTheAsOfPoint: a hold in another campaign, released and
// its nominee's name then corrected, still joins the as-of point of the ranking of a
// campaign where the person was a candidate: the live ranking is the ranking as of its
// own as-of point, and a grant made on it verifies (a review of the first version, which
// read the released nominee as they are now, found the grant named by thidua verify).
func TestAReleasedHoldElsewhereStaysInTheAsOfPoint(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	const special = "chuyen-de-rls-2025"
	launchAlongside(env, special, domain.CurrentRulesRevision)
	reviewer, council := env.User(domain.RoleReviewer, ""), env.User(domain.RoleCouncil, "")
	env.Unit("RLU", domain.UnitDepartment)
	env.Unit("RLV", domain.UnitDepartment)
	clerkU, clerkV := env.User(domain.RoleClerk, "RLU"), env.User(domain.RoleClerk, "RLV")
	person := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tâm", Position: "Chuyên viên"}
	env.GoodFactsIn(special, reviewer, "RLU", 90)
	env.GoodFactsIn(special, reviewer, "RLV", 80)
	x := env.DossierIn(special, clerkU, person)
	env.RuleAll(reviewer, x)
	y := env.DossierIn(special, clerkV, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phan Văn Bình", Position: "Chuyên viên"})
	// H: the same person's draft in the other campaign.
	env.PlanIn(wftest.Campaign, clerkU)
	h := env.OK(env.Svc.OpenNomination(env.Ctx, clerkU, wftest.Campaign, workflows.OpenNominationInput{Unit: "RLU", Nominee: person}, workflows.Options{})).ID
	env.Advance(time.Minute)
	env.OK(env.Svc.Hold(env.Ctx, reviewer, h, "Đang xem xét kỷ luật", workflows.Options{}))
	env.RuleAll(reviewer, y) // the special campaign moves while the hold stands
	env.OK(env.Svc.Release(env.Ctx, reviewer, h, "Xong", workflows.Options{}))
	env.OK(env.Svc.CorrectNominee(env.Ctx, clerkU, h, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tám", Position: "Chuyên viên"}, "ghi nhầm tên", workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	live, _, err := env.Model.LiveRanking(special)
	require.NoError(t, err)
	asOf, err := env.Model.Ranking(special, projections.Bound{Seq: live.AsOfSeq})
	require.NoError(t, err)
	assert.Equal(t, live.Individual.Entries, asOf.Individual.Entries, "the live ranking is the ranking as of its own as-of point")
	env.OK(env.Svc.GrantAward(env.Ctx, council, special, workflows.GrantInput{Nomination: x, Decision: "QĐ 9/2025"}, workflows.Options{}))
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
	c, err := env.Svc.CheckGrants(env.Ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, c.Checked)
	assert.Empty(t, c.Problems)
}

// TestALiveRankingIsItsOwnAsOfRanking drives random holds, releases, renamings and
// rulings of one group of people's nominations in two campaigns and checks, after every
// step, that each campaign's live ranking is the ranking as of its own as-of point, which
// is what a grant records and what thidua verify replays (a review found a sequence of a
// hold elsewhere, a release and a renaming where it was not).
func TestALiveRankingIsItsOwnAsOfRanking(t *testing.T) {
	t.Parallel()
	people := []string{"Lê Văn Tâm", "Lê Văn Tám"}
	for seed := range 10 {
		rng := rand.New(rand.NewPCG(uint64(seed), 36))
		env := wftest.New(t, srv)
		special := fmt.Sprintf("chuyen-de-p%d-2025", seed)
		launchAlongside(env, special, domain.CurrentRulesRevision)
		camps := []string{wftest.Campaign, special}
		reviewer := env.User(domain.RoleReviewer, "")
		units := []string{fmt.Sprintf("PA%d", seed), fmt.Sprintf("PB%d", seed)}
		clerks := map[string]workflows.Principal{}
		for _, u := range units {
			env.Unit(u, domain.UnitDepartment)
			clerks[u] = env.User(domain.RoleClerk, u)
			for _, c := range camps {
				env.GoodFactsIn(c, reviewer, u, float64(80+rng.IntN(15)))
			}
		}
		type nom struct{ id, unit string }
		var noms []nom
		for step := range 16 {
			env.Advance(time.Minute)
			u := units[rng.IntN(len(units))]
			person := domain.Nominee{Kind: domain.NomineeIndividual, Name: people[rng.IntN(len(people))], Position: "Chuyên viên"}
			switch action := rng.IntN(6); {
			case action == 0 || len(noms) == 0:
				// A whole dossier, submitted and ruled (as wftest's DossierIn, but a person
				// nominated already is refused, not a failure).
				c := camps[rng.IntN(2)]
				env.PlanIn(c, clerks[u])
				r, err := env.Svc.OpenNomination(env.Ctx, clerks[u], c, workflows.OpenNominationInput{Unit: u, Nominee: person}, workflows.Options{})
				if err != nil {
					continue
				}
				for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
					_, _, err := env.Svc.AttachDocument(env.Ctx, clerks[u], r.ID, k, workflows.Upload{Name: "d.pdf", Body: strings.NewReader(string(k) + r.ID)}, workflows.Options{})
					require.NoError(t, err)
				}
				env.OK(env.Svc.RecordVote(env.Ctx, clerks[u], r.ID, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
				env.OK(env.Svc.Submit(env.Ctx, clerks[u], r.ID, workflows.Options{}))
				env.RuleAll(reviewer, r.ID)
				noms = append(noms, nom{r.ID, u})
			case action == 1:
				c := camps[rng.IntN(2)]
				env.PlanIn(c, clerks[u])
				r, err := env.Svc.OpenNomination(env.Ctx, clerks[u], c, workflows.OpenNominationInput{Unit: u, Nominee: person}, workflows.Options{})
				if err == nil {
					noms = append(noms, nom{r.ID, u})
				}
			case action == 2:
				n := noms[rng.IntN(len(noms))]
				_, _ = env.Svc.Hold(env.Ctx, reviewer, n.id, "Đang xem xét", workflows.Options{})
			case action == 3:
				n := noms[rng.IntN(len(noms))]
				_, _ = env.Svc.Release(env.Ctx, reviewer, n.id, "Xong", workflows.Options{})
			case action == 4:
				n := noms[rng.IntN(len(noms))]
				_, _ = env.Svc.CorrectNominee(env.Ctx, clerks[n.unit], n.id, person, "ghi nhầm tên", workflows.Options{})
			default:
				n := noms[rng.IntN(len(noms))]
				_, _ = env.Svc.RecordVote(env.Ctx, clerks[n.unit], n.id, domain.CouncilVoteData{MeetingDate: "2025-09-11", Members: 9, Present: 9, Approve: 7 + rng.IntN(3)}, workflows.Options{})
			}
			require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))
			for _, c := range camps {
				live, _, err := env.Model.LiveRanking(c)
				require.NoError(t, err)
				asOf, err := env.Model.Ranking(c, projections.Bound{Seq: live.AsOfSeq})
				require.NoError(t, err)
				require.Equal(t, live.Individual.Entries, asOf.Individual.Entries, "seed %d, step %d, %s: the live ranking as of %d", seed, step, c, live.AsOfSeq)
			}
		}
	}
}
