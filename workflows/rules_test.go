package workflows_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// outcomes runs every one of runs at once and counts how they ended: "ok", the code of a
// refusal (a *domain.RuleError's or a *workflows.Error's), or the error's text.
func outcomes(runs []func() error) map[string]int {
	var wg sync.WaitGroup
	codes := make(chan string, len(runs))
	for _, run := range runs {
		wg.Go(func() {
			err := run()
			var re *domain.RuleError
			var we *workflows.Error
			switch {
			case err == nil:
				codes <- "ok"
			case errors.As(err, &re):
				codes <- re.Code
			case errors.As(err, &we):
				codes <- we.Code
			default:
				codes <- err.Error()
			}
		})
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	return count
}

// refused asserts a rule refusal with code that appended nothing.
func refused(t *testing.T, env *wftest.Env, code string, run func() (workflows.Result, error)) *domain.RuleError {
	t.Helper()
	before, _ := env.Store.LastSeq(env.Ctx)
	_, err := run()
	re := &domain.RuleError{}
	if assert.True(t, errors.As(err, &re), "want %s, got %v", code, err) {
		assert.Equal(t, code, re.Code)
	}
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "%s appended nothing", code)
	return re
}

// One achievement is not rewarded twice: a unit has one collective nomination in a
// campaign at a time, and a person one nomination (names compared in NFC, case and
// spacing aside); a withdrawn one makes room again; nothing opens after the deadline.
func TestOneNominationPerUnitAndPerson(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DU", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "DU")
	open := func(n domain.Nominee) (workflows.Result, error) {
		return env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DU", Nominee: n}, workflows.Options{})
	}
	collective := domain.Nominee{Kind: domain.NomineeCollective}
	first := env.OK(open(collective))
	refused(t, env, "nomination_exists", func() (workflows.Result, error) { return open(collective) })
	env.OK(open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Hưng", Position: "Phó Giám đốc"}))
	refused(t, env, "nominee_already_nominated", func() (workflows.Result, error) {
		return open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "  trần  VĂN hưng ", Position: "Trưởng phòng"})
	})
	// The same name written with combining marks (NFD) is the same person.
	refused(t, env, "nominee_already_nominated", func() (workflows.Result, error) {
		return open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Hu\u031bng", Position: "Trưởng phòng"})
	})
	env.OK(open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Trần Văn Hùng", Position: "Chuyên viên"}))
	// A unit has one head.
	env.OK(open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Đỗ Minh Quang", Position: "Giám đốc", Head: true}))
	refused(t, env, "head_already_nominated", func() (workflows.Result, error) {
		return open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phan Thị Hoa", Position: "Giám đốc", Head: true})
	})

	env.OK(env.Svc.Withdraw(env.Ctx, clerk, first.ID, "lập lại hồ sơ", workflows.Options{}))
	env.OK(open(collective))

	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, env.Now.Load().Add(-time.Hour), workflows.Options{}))
	refused(t, env, "deadline_passed", func() (workflows.Result, error) {
		return open(domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Thị Mai", Position: "Chuyên viên"})
	})
}

// Two collective nominations of one unit (a merger passed both to the successor): the
// ranking recommends the better one only, the other is withheld and leaves its place to
// the next unit; once one is awarded, the other is not eligible (lineage_already_awarded)
// and a grant is refused.
func TestOneCollectiveAwardPerUnitInTheRanking(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nomA, _ := env.EligibleCollective("RA", domain.UnitDistrict, reviewer, 95)
	nomB, _ := env.EligibleCollective("RB", domain.UnitDistrict, reviewer, 94)
	_, err := merge(env, []string{"RA", "RB"}, "RAB", "2025-07-01")
	require.NoError(t, err)

	rk, err := env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	byNom := map[string]projections.RankEntryView{}
	for _, e := range rk.Collective.Entries {
		byNom[e.Nomination] = e
	}
	require.Contains(t, byNom, nomA)
	require.Contains(t, byNom, nomB)
	assert.True(t, byNom[nomA].Recommended)
	assert.False(t, byNom[nomB].Recommended)
	assert.Equal(t, domain.WithheldLineage, byNom[nomB].Withheld)

	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomA, Decision: "QĐ 7"}, workflows.Options{}))
	el, err := env.Model.Eligibility(nomB, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	found := false
	for _, r := range el.Reasons {
		if r.Code == "lineage_already_awarded" {
			found = true
			// The grant (to RAB, after the merger), and RB's merger, which passed this
			// nomination to RAB.
			require.Len(t, r.EventDetails, 2, "%+v", r)
			assert.Equal(t, domain.AwardGranted, r.EventDetails[0].Type)
			assert.Equal(t, domain.UnitMergedEvent, r.EventDetails[1].Type)
			assert.Equal(t, "RB", r.EventDetails[1].Aggregate.ID)
			assert.NotEmpty(t, r.MessageVI)
		}
	}
	assert.True(t, found, "%+v", el.Reasons)
	rk, err = env.Model.Ranking(wftest.Campaign, projections.Bound{})
	require.NoError(t, err)
	for _, e := range rk.Collective.Entries {
		assert.NotEqual(t, nomB, e.Nomination, "not eligible: not ranked")
	}
	refused(t, env, "lineage_already_awarded", func() (workflows.Result, error) {
		return env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nomB, Decision: "QĐ 8"}, workflows.Options{})
	})
}

// After the deadline a unit's emulation plan is no longer accepted either: a late plan
// would make an already reviewed collective nomination eligible without a review.
func TestNoPlanAfterTheDeadline(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("PU", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "PU")
	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, env.Now.Load().Add(-time.Minute), workflows.Options{}))
	refused(t, env, "deadline_passed", func() (workflows.Result, error) {
		r, _, err := env.Svc.SubmitPlan(env.Ctx, clerk, "PU", wftest.Campaign, workflows.Upload{Name: "ke-hoach.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 muộn")}, workflows.Options{})
		return r, err
	})
}

// A grant refused as not_eligible says why, in both languages, as the eligibility does.
func TestNotEligibleGrantSaysWhy(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("NU", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "NU")
	council := env.User(domain.RoleCouncil, "")
	r := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "NU", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{}))
	el, err := env.Model.Eligibility(r.ID, projections.Bound{})
	require.NoError(t, err)
	require.NotEmpty(t, el.Reasons)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: r.ID, Decision: "QĐ 1"}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "not_eligible", re.Code)
	assert.Contains(t, re.Message, el.Reasons[0].MessageEN)
	assert.Contains(t, re.MessageVI, el.Reasons[0].MessageVI)
}

// Nothing new is attached to a unit a merger dissolved: neither a clerk nor a subordinate.
func TestNothingAttachedToAMergedUnit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("MA", domain.UnitDistrict)
	_, err := merge(env, []string{"MA"}, "MB", "2025-07-01")
	require.NoError(t, err)
	refused(t, env, "unit_not_active", func() (workflows.Result, error) {
		r, _, err := env.Svc.CreateUser(env.Ctx, env.Admin, workflows.CreateUserInput{Name: "Cán bộ MA", Role: domain.RoleClerk, Unit: "MA"}, workflows.Options{})
		return r, err
	})
	refused(t, env, "unit_not_active", func() (workflows.Result, error) {
		return env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "XA", Name: "Xã A", Kind: domain.UnitCommune, Parent: "MA"}, workflows.Options{})
	})
	env.OK(env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "XA", Name: "Xã A", Kind: domain.UnitCommune, Parent: "MB"}, workflows.Options{}))
	// After a second merger, the refusal names the unit at the end of the chain.
	_, err = merge(env, []string{"MB"}, "MC", "2025-08-01")
	require.NoError(t, err)
	_, _, err = env.Svc.CreateUser(env.Ctx, env.Admin, workflows.CreateUserInput{Name: "Cán bộ MA 2", Role: domain.RoleClerk, Unit: "MA"}, workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Contains(t, re.Message, "attach to MC instead")
	assert.Contains(t, re.MessageVI, "chọn MC thay thế")
}

// Ids are compared exactly, so a new unit or campaign whose id differs from an existing
// one's only in letter case is refused: it would read as the same one. Another id, or the
// same letters in another order, is fine.
func TestIDsDifferingOnlyInCaseRefused(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("SO-NOI-VU", domain.UnitDepartment)
	for _, id := range []string{"so-noi-vu", "So-Noi-Vu"} {
		refused(t, env, "unit_exists", func() (workflows.Result, error) {
			return env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: id, Name: "Sở Nội vụ", Kind: domain.UnitDepartment}, workflows.Options{})
		})
	}
	_, err := env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "so-a", Name: "Sở A", Kind: domain.UnitDepartment}, workflows.Options{})
	var re *domain.RuleError
	require.NoError(t, err)
	_, err = env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "SO-A", Name: "Sở A", Kind: domain.UnitDepartment}, workflows.Options{})
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Contains(t, re.Message, "as so-a")
	assert.Contains(t, re.MessageVI, "với mã so-a")

	// A merger's new successor too; an existing successor is named exactly.
	env.Unit("MA", domain.UnitDistrict)
	refused(t, env, "unit_exists", func() (workflows.Result, error) { return merge(env, []string{"MA"}, "so-noi-vu", "2025-07-01") })

	def := domain.BuiltinCampaign()
	def.ID = strings.ToUpper(wftest.Campaign)
	refused(t, env, "campaign_exists", func() (workflows.Result, error) {
		return env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{})
	})
}

// A burst of openings of different nominees in one unit all meet the unit's sequence check
// (unit.nominated); the losers of each race decide again one after the other
// (workflows' raceLocks), so all thirty open. Before, eight of thirty got 409 conflict,
// having lost eight races in a row.
func TestBurstOfOpeningsInOneUnit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DB", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "DB")
	const n = 30
	runs := make([]func() error, n)
	for i := range runs {
		runs[i] = func() error {
			nominee := domain.Nominee{Kind: domain.NomineeIndividual, Name: fmt.Sprintf("Người số %d", i+1), Position: "Chuyên viên"}
			_, err := env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DB", Nominee: nominee}, workflows.Options{})
			return err
		}
	}
	assert.Equal(t, map[string]int{"ok": n}, outcomes(runs))
	env.Model.Read(func(st *projections.State) { assert.Len(t, st.NominationsOf(wftest.Campaign, "DB"), n) })
}

// Ids differing only in letter case, created at the same instant, make one aggregate:
// each creation claims its folded id in the same atomic append (domain.ClaimID), so the
// others meet its sequence check and are decided again, seeing the claim. Before, all
// variants of a unit, a campaign or a merger's new successor were created.
func TestConcurrentCaseVariantsCreateOne(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	variants := []string{"CASE0", "case0", "Case0", "cASE0", "CaSe0", "cAsE0"}
	source := map[string]string{}
	for i, id := range variants {
		source[id] = fmt.Sprintf("M%d", i)
		env.Unit(source[id], domain.UnitDistrict)
	}
	tries := map[string]func(id string) (workflows.Result, error){
		"unit": func(id string) (workflows.Result, error) {
			return env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: "U-" + id, Name: "Sở " + id, Kind: domain.UnitDepartment}, workflows.Options{})
		},
		"campaign": func(id string) (workflows.Result, error) {
			def := domain.BuiltinCampaign()
			def.ID = "C-" + id
			return env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{})
		},
		"successor": func(id string) (workflows.Result, error) {
			return merge(env, []string{source[id]}, "S-"+id, "2025-07-01")
		},
	}
	for what, try := range tries {
		runs := make([]func() error, len(variants))
		for i, id := range variants {
			runs[i] = func() error { _, err := try(id); return err }
		}
		exists := "unit_exists"
		if what == "campaign" {
			exists = "campaign_exists"
		}
		assert.Equal(t, map[string]int{"ok": 1, exists: len(variants) - 1}, outcomes(runs), what)
	}
	env.Model.Read(func(st *projections.State) {
		var units, camps int
		for _, id := range variants {
			for _, prefix := range []string{"U-", "S-"} {
				if u, _ := st.Unit(prefix + id); u != nil {
					units++
				}
			}
			if c, _ := st.Campaign("C-" + id); c != nil {
				camps++
			}
		}
		assert.Equal(t, 2, units, "one unit and one successor")
		assert.Equal(t, 1, camps)
	})
}

// A hold is on the nominee, not on one dossier: a nomination on hold cannot be withdrawn
// (on_hold), so the clerk cannot shed the hold by withdrawing it and nominating the same
// nominee again; once a reviewer releases the hold, it can.
func TestHoldCannotBeShed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DH", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "DH")
	reviewer := env.User(domain.RoleReviewer, "")
	head := domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn Dũng", Position: "Giám đốc", Head: true}
	id := env.Dossier(clerk, head)
	env.OK(env.Svc.Hold(env.Ctx, reviewer, id, "Đang xem xét kỷ luật", workflows.Options{}))
	refused(t, env, "on_hold", func() (workflows.Result, error) {
		return env.Svc.Withdraw(env.Ctx, clerk, id, "rút để lập lại", workflows.Options{})
	})
	refused(t, env, "nominee_already_nominated", func() (workflows.Result, error) {
		return env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DH", Nominee: head}, workflows.Options{})
	})
	env.OK(env.Svc.Release(env.Ctx, reviewer, id, "Không có vi phạm", workflows.Options{}))
	env.OK(env.Svc.Withdraw(env.Ctx, clerk, id, "rút để lập lại", workflows.Options{}))
}

// After the nomination deadline, a draft takes nothing more (deadline_passed: it could
// never be submitted), but a dossier submitted in time and returned for amendment may be
// amended and submitted again: the reviewer asked for it.
func TestAfterTheDeadline(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DL", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "DL")
	reviewer := env.User(domain.RoleReviewer, "")
	submitted := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeCollective})
	draft := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DL",
		Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Lê Văn Tâm", Position: "Chuyên viên"}}, workflows.Options{})).ID
	env.OK(env.Svc.SetDeadline(env.Ctx, env.Admin, wftest.Campaign, env.Now.Load().Add(time.Hour), workflows.Options{}))
	env.Advance(2 * time.Hour)

	env.OK(env.Svc.Return(env.Ctx, reviewer, submitted, "Bổ sung báo cáo thành tích", workflows.Options{}))
	_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, submitted, domain.DocAchievementReport, workflows.Upload{Name: "bao-cao-bo-sung.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 amended")}, workflows.Options{})
	require.NoError(t, err)
	env.OK(env.Svc.Submit(env.Ctx, clerk, submitted, workflows.Options{}))

	refused(t, env, "deadline_passed", func() (workflows.Result, error) {
		r, _, err := env.Svc.AttachDocument(env.Ctx, clerk, draft, domain.DocLetter, workflows.Upload{Name: "to-trinh.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 late")}, workflows.Options{})
		return r, err
	})
	refused(t, env, "deadline_passed", func() (workflows.Result, error) {
		return env.Svc.RecordVote(env.Ctx, clerk, draft, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 9}, workflows.Options{})
	})
	refused(t, env, "deadline_passed", func() (workflows.Result, error) {
		return env.Svc.Submit(env.Ctx, clerk, draft, workflows.Options{})
	})
}

// Openings at once: ten clerks' requests for the unit's collective nomination, and ten for
// one person, sent together, open one of each. The unit records every opening under its
// sequence check (unit.nominated), so concurrent openings decide one after the other.
func TestConcurrentOpeningsOpenOne(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DC", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "DC")
	nominees := []domain.Nominee{
		{Kind: domain.NomineeCollective},
		{Kind: domain.NomineeIndividual, Name: "Võ Văn Phúc", Position: "Chuyên viên"},
	}
	const tries = 10
	var runs []func() error
	for _, n := range nominees {
		for range tries {
			runs = append(runs, func() error {
				_, err := env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "DC", Nominee: n}, workflows.Options{})
				return err
			})
		}
	}
	assert.Equal(t, map[string]int{"ok": 2, "nomination_exists": tries - 1, "nominee_already_nominated": tries - 1}, outcomes(runs))
	var open int
	env.Model.Read(func(st *projections.State) { open = len(st.NominationsOf(wftest.Campaign, "DC")) })
	assert.Equal(t, 2, open)
}

// TestGrantRacingAnExcludingFact: a grant and a fact that excludes its nomination, sent at
// once, never both stand with the fact first: the grant also records unit.award_noted on
// the unit whose facts its eligibility read, at the version it read, so a fact recorded
// meanwhile makes it decide again, and refuse. Before, the grant checked only the
// campaign's and the nomination's versions, and was stored right after the fact that had
// excluded its nomination (3 to 10 times in 10 in the reviewer's runs).
func TestGrantRacingAnExcludingFact(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	for i := range 8 {
		unit := fmt.Sprintf("GR%d", i)
		nom, _ := env.EligibleCollective(unit, domain.UnitDistrict, reviewer, 80)
		var wg sync.WaitGroup
		var grant, fact workflows.Result
		var grantErr, factErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			grant, grantErr = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ " + unit}, workflows.Options{})
		}()
		go func() {
			defer wg.Done()
			fact, factErr = env.Svc.RecordFact(env.Ctx, reviewer, unit, domain.FactRecordedData{Campaign: wftest.Campaign,
				Fact: "disbursement_pct", Number: wftest.Num(80), Cause: "subjective", Note: "chậm giải ngân"}, workflows.Options{})
		}()
		wg.Wait()
		require.NoError(t, factErr, unit)
		if grantErr != nil {
			var re *domain.RuleError
			require.ErrorAs(t, grantErr, &re, unit)
			assert.Equal(t, "not_eligible", re.Code, "%s: refused because the fact came first", unit)
			continue
		}
		assert.Less(t, grant.Seq, fact.Seq, "%s: a grant stands only when it came before the fact", unit)
		el, err := env.Model.Eligibility(nom, projections.Bound{Seq: grant.Seq - 1})
		require.NoError(t, err)
		assert.True(t, el.Eligible, "%s: eligible just before the grant", unit)
	}
}

// One request per idempotency key: requests sent at once under one key, each a different
// request, carry out one of them; the others are refused as a key reused and append
// nothing, and afterwards the winner's retry gets its answer while the others' are still
// refused. Before, all ten ran (ten units registered under one key), and nine of the ten
// retries were then refused.
func TestOneRequestPerIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	before, _ := env.Store.LastSeq(env.Ctx)
	register := func(i int) (workflows.Result, error) {
		return env.Svc.RegisterUnit(env.Ctx, env.Admin, workflows.RegisterUnitInput{ID: fmt.Sprintf("IK%02d", i), Name: fmt.Sprintf("Xã IK%02d", i), Kind: domain.UnitCommune},
			workflows.Options{Key: "race-key", Fingerprint: fmt.Sprintf("body-%d", i)})
	}
	var runs []func() error
	for i := range 10 {
		runs = append(runs, func() error { _, err := register(i); return err })
	}
	assert.Equal(t, map[string]int{"ok": 1, "idempotency_key_reused": 9}, outcomes(runs))
	after, _ := env.Store.LastSeq(env.Ctx)
	var registered []string
	for i := range 10 {
		if _, err := env.Model.Unit(fmt.Sprintf("IK%02d", i), projections.Bound{}); err == nil {
			registered = append(registered, fmt.Sprintf("IK%02d", i))
		}
	}
	require.Len(t, registered, 1, "one unit registered under the key")
	assert.Equal(t, before+2, after, "one command's atomic append (the unit and its id's claim), nothing else")
	for i := range 10 {
		r, err := register(i)
		if fmt.Sprintf("IK%02d", i) == registered[0] {
			require.NoError(t, err)
			assert.True(t, r.Duplicate, "the winner's retry gets its answer")
			assert.Equal(t, registered[0], r.ID)
			continue
		}
		var we *workflows.Error
		require.True(t, errors.As(err, &we), "%v", err)
		assert.Equal(t, "idempotency_key_reused", we.Code)
	}
	last, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, after, last, "retries append nothing")
}

// One index component is counted once: a name recorded again with other spacing or in
// another case is the same component, recorded under the name it has (also across a
// merger: the successor's record of a component of a unit it absorbed), one with an
// invisible character or a score outside 0–1000 is refused, and the unit holds one
// component under one name. Before, five spellings of one component counted as five
// improvements (the ranking's second key).
func TestIndexComponentCountedOnce(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("IC", domain.UnitDepartment)
	rec := func(component string, now, prev float64) error {
		_, err := env.Svc.RecordFact(env.Ctx, reviewer, "IC", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactIndexComponent,
			Index: "PCI", Component: component, Number: &now, Previous: &prev}, workflows.Options{})
		return err
	}
	require.NoError(t, rec("Chỉ số X", 9, 1))
	require.NoError(t, rec("  Chỉ số   X ", 9, 1), "the same name, spaced otherwise, supersedes it")
	code := func(err error) string {
		var re *domain.RuleError
		if errors.As(err, &re) {
			return re.Code
		}
		return fmt.Sprint(err)
	}
	require.NoError(t, rec("chỉ số x", 9, 2), "another case: the same component")
	before, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, "invalid_fact", code(rec("Chỉ số\u200bX", 9, 1)))
	assert.Equal(t, "invalid_fact", code(rec("Chỉ số Y", 9, -1e308)))
	assert.Equal(t, "invalid_fact", code(rec("Chỉ số Y", 1e6, 1)))
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before, after, "refusals append nothing")
	require.NoError(t, rec("Chi\u0309 sô\u0301 X", 9, 1), "decomposed marks: the same name")

	var names []string
	env.Model.Read(func(st *projections.State) { names = st.ComponentNames("IC", wftest.Campaign, "PCI") })
	assert.Equal(t, []string{"Chỉ số X"}, names, "one component, under one name")

	// Across a merger: a district's component, recorded again on the successor in
	// another case, keeps its name, so the successor's nominations count it once.
	env.Unit("KA", domain.UnitDistrict)
	env.Unit("KB", domain.UnitDistrict)
	now, prev := 9.0, 1.0
	env.OK(env.Svc.RecordFact(env.Ctx, reviewer, "KA", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactIndexComponent,
		Index: "PCI", Component: "Chỉ số X", Number: &now, Previous: &prev}, workflows.Options{}))
	env.OK(env.Svc.Reorganise(env.Ctx, env.Admin, workflows.ReorganiseInput{Kind: "merge", Sources: []string{"KA", "KB"}, Successor: "KC",
		SuccessorName: "UBND KC", SuccessorKind: domain.UnitDistrict, Effective: "2025-10-01", Decision: "Nghị quyết 3/2025"}, workflows.Options{}))
	env.OK(env.Svc.RecordFact(env.Ctx, reviewer, "KC", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactIndexComponent,
		Index: "PCI", Component: "chỉ số  x", Number: &now, Previous: &prev}, workflows.Options{}))
	env.Model.Read(func(st *projections.State) { names = st.ComponentNames("KC", wftest.Campaign, "PCI") })
	assert.Equal(t, []string{"Chỉ số X"}, names, "the successor records the component under the name its predecessor gave it")
}

// TestCommandOnAnAggregateEndingInAMessageThatIsNoCommit: a message appended behind the
// engine's back to a unit's subject that is no commit is the subject's last for the
// stream, and the model skips it, so the stream refuses every append to that unit: a
// command on it ends with store_damaged naming the message, not with "keeps changing; try
// again" for ever; nothing is appended.
func TestCommandOnAnAggregateEndingInAMessageThatIsNoCommit(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	env.Unit("D7", domain.UnitDistrict)
	subject, err := env.Store.Subject(eventstore.Ref{Kind: domain.KindUnit, ID: "D7"})
	require.NoError(t, err)
	ack, err := env.Store.JetStream().Publish(env.Ctx, subject, []byte("not a commit"))
	require.NoError(t, err)
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 5*time.Second))

	v := 1.0
	_, err = env.Svc.RecordFact(env.Ctx, reviewer, "D7", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: "late_dossiers", Number: &v}, workflows.Options{})
	require.ErrorIs(t, err, workflows.ErrDamaged)
	var we *workflows.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "store_damaged", we.Code)
	assert.Contains(t, we.Message, fmt.Sprintf("sequence %d", ack.Sequence))
	assert.Contains(t, we.Message, "is no commit the engine can read")
	last, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	assert.Equal(t, ack.Sequence, last, "nothing appended")
}

// TestReviseCampaign: a definition of a campaign launched already, with a higher version,
// revises it (campaign.revised; the quota raised applies from then on, the version before
// stays the one of earlier moments); the same version again is campaign_exists, a lower
// one version_not_increased, a quota below the awards in force quota_below_awards, a
// non-admin is refused; each refusal appends nothing.
func TestReviseCampaign(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nom, _ := env.EligibleCollective("RV", domain.UnitDistrict, reviewer, 80)
	env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ 1"}, workflows.Options{}))
	before, _ := env.Store.LastSeq(env.Ctx)

	def := domain.BuiltinCampaign()
	refused(t, env, "campaign_exists", func() (workflows.Result, error) {
		return env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{})
	})
	v2 := def
	v2.Version, v2.Quota.Collective = 2, 10
	r := env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, v2, workflows.Options{}))
	evs, _, err := env.Store.Load(env.Ctx, eventstore.Ref{Kind: domain.KindCampaign, ID: wftest.Campaign})
	require.NoError(t, err)
	assert.Equal(t, domain.CampaignRevised, evs[len(evs)-1].Type)
	assert.Equal(t, r.Events, []string{evs[len(evs)-1].ID})
	now, err := env.Model.Campaign(wftest.Campaign)
	require.NoError(t, err)
	assert.Equal(t, 10, now.Quota.Collective)
	then, err := env.Model.CampaignAt(wftest.Campaign, projections.Bound{Seq: before})
	require.NoError(t, err)
	assert.Equal(t, 9, then.Quota.Collective)

	v1 := def
	refused(t, env, "version_not_increased", func() (workflows.Result, error) {
		return env.Svc.LaunchCampaign(env.Ctx, env.Admin, v1, workflows.Options{})
	})
	v3 := def
	v3.Version, v3.Quota.Collective = 3, 0
	refused(t, env, "quota_below_awards", func() (workflows.Result, error) {
		return env.Svc.LaunchCampaign(env.Ctx, env.Admin, v3, workflows.Options{})
	})
	v3.Quota.Collective = 11
	_, err = env.Svc.LaunchCampaign(env.Ctx, council, v3, workflows.Options{})
	assert.ErrorIs(t, err, workflows.ErrForbidden)
}

// TestRevisionDroppingAUnitKind: a revision that no longer admits a unit kind makes the
// nominations opened for units of that kind ineligible from its event on
// (unit_kind_not_eligible), and their grant refused; as of a moment before it, they are
// eligible as they were. Before, they stayed eligible and grantable.
func TestRevisionDroppingAUnitKind(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	nom, _ := env.EligibleCollective("RVD", domain.UnitDistrict, reviewer, 80)
	before, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)
	var def domain.Definition
	env.Model.Read(func(st *projections.State) { c, _ := st.Campaign(wftest.Campaign); def = c.Definition() })
	def.Version++
	def.EligibleUnitKinds = []domain.UnitKind{domain.UnitDepartment, domain.UnitVertical, domain.UnitCommune}
	revised := env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))

	el, err := env.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool {
		// In Vietnamese, the kind and the campaign by their names, not their codes; it
		// cites the revision (before, it cited no event).
		return r.Code == "unit_kind_not_eligible" && strings.Contains(r.MessageVI, "UBND cấp huyện") && !strings.Contains(r.MessageVI, "district") &&
			slices.Equal(r.Events, revised.Events) && len(r.EventDetails) == 1 && r.EventDetails[0].Type == domain.CampaignRevised
	}), "%+v", el.Reasons)
	// A later revision that still leaves the kind out: the reason still cites the one
	// that dropped it.
	def.Version++
	def.NameEN += " (revised)"
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	el, err = env.Model.Eligibility(nom, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool {
		return r.Code == "unit_kind_not_eligible" && slices.Equal(r.Events, revised.Events)
	}), "%+v", el.Reasons)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: nom, Decision: "QĐ 1/2025"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "not_eligible", re.Code)
	then, err := env.Model.Eligibility(nom, projections.Bound{Seq: before})
	require.NoError(t, err)
	assert.True(t, then.Eligible, "as of before the revision: %+v", then.Reasons)
}

// TestGrantCompletesAReviewLeftWithNothingToRule: a nomination under review whose last
// pending criterion a revision dropped, and one of a campaign with no criterion a reviewer
// rules on for its kind (still submitted), are eligible and recommended; the council's
// grant awards each, one event on the nomination, and a rebuild finds no problem with it.
// Before, every grant of them was refused (invalid_transition), for good.
func TestGrantCompletesAReviewLeftWithNothingToRule(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")

	// A revision drops the criterion the review waited on.
	env.Unit("GR", domain.UnitDepartment)
	id := env.Dossier(env.User(domain.RoleClerk, "GR"), domain.Nominee{Kind: domain.NomineeCollective})
	env.GoodFacts(reviewer, "GR", 85)
	def := domain.BuiltinCampaign()
	var last string
	for _, c := range domain.ApplicableCriteria(def, domain.Nominee{Kind: domain.NomineeCollective}) {
		if c.JudgedBy == domain.JudgedByRuling {
			last = c.ID
		}
	}
	for _, c := range domain.ApplicableCriteria(def, domain.Nominee{Kind: domain.NomineeCollective}) {
		if c.JudgedBy == domain.JudgedByRuling && c.ID != last {
			env.OK(env.Svc.Rule(env.Ctx, reviewer, id, c.ID, workflows.RuleInput{Result: "met", Note: "đạt"}, workflows.Options{}))
		}
	}
	def.Version = 2
	def.Criteria = slices.DeleteFunc(slices.Clone(def.Criteria), func(c domain.Criterion) bool { return c.ID == last })
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	n, err := env.Model.Nomination(id)
	require.NoError(t, err)
	require.Equal(t, string(domain.StateUnderReview), n.State)
	el, err := env.Model.Eligibility(id, projections.Bound{})
	require.NoError(t, err)
	require.True(t, el.Eligible, "%+v", el.Reasons)
	g := env.OK(env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: id, Decision: "QĐ 7"}, workflows.Options{}))
	evs, _, err := env.Store.Load(env.Ctx, eventstore.Ref{Kind: domain.KindNomination, ID: id})
	require.NoError(t, err)
	final := evs[len(evs)-1]
	assert.Equal(t, domain.NominationAwarded, final.Type)
	assert.Equal(t, council.UserID, final.Actor.User)
	assert.False(t, slices.ContainsFunc(evs, func(e eventstore.Event) bool { return e.Type == domain.NominationVerified }),
		"no verification is recorded: the award is the one event")
	assert.NotEmpty(t, g.Events)

	// A campaign with no criterion ruled on for collectives.
	facts := domain.BuiltinCampaign()
	facts.ID, facts.Version = "facts-only", 1
	facts.Criteria = slices.DeleteFunc(slices.Clone(facts.Criteria), func(c domain.Criterion) bool {
		return c.JudgedBy == domain.JudgedByRuling && c.AppliesTo == domain.AppliesCollective
	})
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, facts, workflows.Options{}))
	env.Unit("GF", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "GF")
	pdf := func(name string) workflows.Upload {
		return workflows.Upload{Name: name + ".pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF " + name)}
	}
	_, _, err = env.Svc.SubmitPlan(env.Ctx, clerk, "GF", "facts-only", pdf("plan-GF-facts"), workflows.Options{})
	require.NoError(t, err)
	env.GoodFactsIn("facts-only", reviewer, "GF", 85)
	r := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, "facts-only", workflows.OpenNominationInput{Unit: "GF", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{}))
	for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
		_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, r.ID, k, pdf(string(k)+"-GF"), workflows.Options{})
		require.NoError(t, err)
	}
	env.OK(env.Svc.RecordVote(env.Ctx, clerk, r.ID, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, r.ID, workflows.Options{}))
	env.OK(env.Svc.GrantAward(env.Ctx, council, "facts-only", workflows.GrantInput{Nomination: r.ID, Decision: "QĐ 8"}, workflows.Options{}))
	n, err = env.Model.Nomination(r.ID)
	require.NoError(t, err)
	assert.Equal(t, string(domain.StateAwarded), n.State)

	rebuilt, err := projections.Rebuild(env.Ctx, env.Store, eventstore.ReadOptions{}, nil)
	require.NoError(t, err)
	assert.Empty(t, rebuilt.IntegrityProblems())
	assert.Empty(t, rebuilt.ActorProblems())
}

// TestOnePersonWhateverTheSpelling: a name typed with a curled apostrophe, or without the
// space before its year in parentheses, is one person with the name as recorded: the second
// opening is refused (nominee_already_nominated), in either order. Before, the checks read
// the name as typed, and two dossiers of one person stood, recorded alike.
func TestOnePersonWhateverTheSpelling(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("SP", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "SP")
	open := func(name string) error {
		_, err := env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "SP",
			Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: "Chuyên viên"}}, workflows.Options{})
		return err
	}
	for _, pair := range [][2]string{{"H'Hen Niê", "H’Hen Niê"}, {"Y’Bih Êban", "Y'Bih Êban"}, {"Nguyễn Văn An (1975)", "Nguyễn Văn An(1975)"}} {
		require.NoError(t, open(pair[0]), pair[0])
		var re *domain.RuleError
		require.ErrorAs(t, open(pair[1]), &re, pair[1])
		assert.Equal(t, "nominee_already_nominated", re.Code, pair[1])
	}
}

// TestRevisionNamingTheEligibleUnits: a revision that names the only units of a kind that
// take part (eligible_units) makes a nomination opened before it for another unit of the
// kind ineligible (unit_not_eligible, citing the revision), so that it is neither ranked
// nor granted; one of a named unit's stays eligible; and as of before the revision the
// other read as it did (a review finding: opening alone checked it, and a store launched
// before the rule kept a customs office ranked and grantable).
func TestRevisionNamingTheEligibleUnits(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	reviewer := env.User(domain.RoleReviewer, "")
	council := env.User(domain.RoleCouncil, "")
	var def domain.Definition
	env.Model.Read(func(st *projections.State) { c, _ := st.Campaign(wftest.Campaign); def = c.Definition() })
	def.Version++
	def.EligibleUnits = nil // as a store launched before the rule
	env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))
	other, _ := env.EligibleCollective("RNU-HQ", domain.UnitVertical, reviewer, 80)
	named, _ := env.EligibleCollective("CTK", domain.UnitVertical, reviewer, 81)
	before, err := env.Store.LastSeq(env.Ctx)
	require.NoError(t, err)

	def.Version++
	def.EligibleUnits = map[domain.UnitKind][]string{domain.UnitVertical: {"CA", "BHXH", "KBNN", "CT", "CTK"}}
	revised := env.OK(env.Svc.LaunchCampaign(env.Ctx, env.Admin, def, workflows.Options{}))

	el, err := env.Model.Eligibility(other, projections.Bound{})
	require.NoError(t, err)
	assert.False(t, el.Eligible)
	assert.True(t, slices.ContainsFunc(el.Reasons, func(r projections.ReasonView) bool {
		return r.Code == "unit_not_eligible" && strings.Contains(r.MessageVI, "cơ quan ngành dọc") && slices.Equal(r.Events, revised.Events)
	}), "%+v", el.Reasons)
	ok, err := env.Model.Eligibility(named, projections.Bound{})
	require.NoError(t, err)
	assert.True(t, ok.Eligible, "%+v", ok.Reasons)
	_, err = env.Svc.GrantAward(env.Ctx, council, wftest.Campaign, workflows.GrantInput{Nomination: other, Decision: "QĐ 2/2025"}, workflows.Options{})
	var re *domain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "not_eligible", re.Code)
	then, err := env.Model.Eligibility(other, projections.Bound{Seq: before})
	require.NoError(t, err)
	assert.True(t, then.Eligible, "as of before the revision: %+v", then.Reasons)
}
