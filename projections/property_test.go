package projections_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// TestLiveEqualsRebuildEqualsAsOf drives random valid command sequences and checks that
// the live projections, a full rebuild and an as-of query at the last event agree byte for
// byte, and that an as-of query at any earlier sequence equals a rebuild of that prefix.
// Live rankings taken between the commands exercise the live evaluation cache.
func TestLiveEqualsRebuildEqualsAsOf(t *testing.T) {
	t.Parallel()
	checks := 0
	rapid.Check(t, func(rt *rapid.T) {
		checks++
		env := wftest.New(t, srv)
		reviewer := env.User(domain.RoleReviewer, "")
		units := []string{"A", "B", "C"}
		clerks := map[string]workflows.Principal{}
		for _, u := range units {
			env.Unit(u, domain.UnitDistrict)
			clerks[u] = env.User(domain.RoleClerk, u)
		}
		var noms []string
		criteria := []string{"C01", "C02", "C03", "C05", "C06", "C07", "C09", "C10", "I01", "I02", "H01"}
		facts := []domain.FactRecordedData{
			{Fact: "par_rating", Text: "Tốt"}, {Fact: "par_rating", Text: "Khá"},
			{Fact: "disbursement_pct", Number: num(100)}, {Fact: "disbursement_pct", Number: num(97), Cause: "subjective"},
			{Fact: "disbursement_pct", Number: num(95), Cause: "objective"}, {Fact: "late_dossiers", Number: num(0)},
			{Fact: "late_dossiers", Number: num(2)}, {Fact: "backlog_dossiers", Number: num(0)},
			{Fact: "staff_hours_violation_pct", Number: num(10)}, {Fact: "staff_hours_violation_pct", Number: num(10.5)},
			{Fact: "par_index_score", Number: num(70)}, {Fact: "par_index_score", Number: num(91)},
			{Fact: "index_component", Index: "PCI", Component: "x", Number: num(6), Previous: num(5)},
			{Fact: "index_component", Index: "PAPI", Component: "y", Status: "not_published"},
		}
		ctx := env.Ctx
		steps := rapid.IntRange(5, 40).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			env.Advance(time.Duration(rapid.IntRange(1, 600).Draw(rt, "minutes")) * time.Minute)
			u := rapid.SampledFrom(units).Draw(rt, "unit")
			clerk := clerks[u]
			pick := func() string {
				if len(noms) == 0 {
					return "none"
				}
				return rapid.SampledFrom(noms).Draw(rt, "nomination")
			}
			switch rapid.IntRange(0, 11).Draw(rt, "action") {
			case 0:
				kind := rapid.SampledFrom([]domain.NomineeKind{domain.NomineeCollective, domain.NomineeIndividual}).Draw(rt, "kind")
				n := domain.Nominee{Kind: kind}
				if kind == domain.NomineeIndividual {
					n.Name, n.Position, n.Head = "Nguyễn Thị "+u, "Chủ tịch", rapid.Bool().Draw(rt, "head")
					n.Gender = "female"
				}
				if r, err := env.Svc.OpenNomination(ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: u, Nominee: n}, workflows.Options{}); err == nil {
					noms = append(noms, r.ID)
				}
			case 1:
				_, _, _ = env.Svc.SubmitPlan(ctx, clerk, u, wftest.Campaign, workflows.Upload{Name: "p.pdf", Body: strings.NewReader("plan " + u)}, workflows.Options{})
			case 2:
				id := pick()
				for _, k := range []domain.DocKind{domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport} {
					_, _, _ = env.Svc.AttachDocument(ctx, clerks[unitOf(env, id)], id, k, workflows.Upload{Name: "d.pdf", Body: strings.NewReader(string(k) + id)}, workflows.Options{})
				}
			case 3:
				id := pick()
				approve := rapid.IntRange(0, 9).Draw(rt, "approve")
				_, _ = env.Svc.RecordVote(ctx, clerks[unitOf(env, id)], id, domain.CouncilVoteData{MeetingDate: "2025-09-01", Members: 9, Present: 9, Approve: approve}, workflows.Options{})
			case 4:
				id := pick()
				_, _ = env.Svc.Submit(ctx, clerks[unitOf(env, id)], id, workflows.Options{})
			case 5, 6:
				id := pick()
				c := rapid.SampledFrom(criteria).Draw(rt, "criterion")
				res := rapid.SampledFrom([]string{"met", "met", "not_met", "not_applicable"}).Draw(rt, "result")
				_, _ = env.Svc.Rule(ctx, reviewer, id, c, workflows.RuleInput{Result: res, Note: "ghi chú"}, workflows.Options{})
			case 7:
				f := rapid.SampledFrom(facts).Draw(rt, "fact")
				f.Campaign = wftest.Campaign
				_, _ = env.Svc.RecordFact(ctx, reviewer, u, f, workflows.Options{})
			case 8:
				id := pick()
				switch rapid.IntRange(0, 3).Draw(rt, "reviewer_action") {
				case 0:
					_, _ = env.Svc.Return(ctx, reviewer, id, "bổ sung", workflows.Options{})
				case 1:
					_, _ = env.Svc.Hold(ctx, reviewer, id, "khiếu nại", workflows.Options{})
				default:
					_, _ = env.Svc.Release(ctx, reviewer, id, "xong", workflows.Options{})
				}
			case 9:
				id := pick()
				_, _ = env.Svc.Withdraw(ctx, clerks[unitOf(env, id)], id, "rút", workflows.Options{})
			case 10:
				// Many facts and rulings at once make eligible nominations likely.
				env.GoodFacts(reviewer, u, float64(rapid.IntRange(50, 99).Draw(rt, "score")))
			case 11:
				// A live ranking now fills the live evaluation cache, which the next
				// commands must invalidate where they change something.
				_, _ = env.Model.Ranking(wftest.Campaign, projections.Bound{})
			}
		}
		last, err := env.Store.LastSeq(ctx)
		if err != nil {
			rt.Fatal(err)
		}
		rebuilt, err := projections.Rebuild(ctx, env.Store, eventstore.ReadOptions{}, nil)
		if err != nil {
			rt.Fatal(err)
		}
		for _, id := range noms {
			live, err1 := env.Model.Eligibility(id, projections.Bound{})
			rb, err2 := rebuilt.Eligibility(id, projections.Bound{})
			at, err3 := env.Model.Eligibility(id, projections.Bound{Seq: last})
			if err1 != nil || err2 != nil || err3 != nil {
				rt.Fatalf("eligibility of %s: %v %v %v", id, err1, err2, err3)
			}
			if a, b, c := jsonOf(t, live), jsonOf(t, rb), jsonOf(t, at); a != b || a != c {
				rt.Fatalf("nomination %s:\nlive    %s\nrebuilt %s\nas-of   %s", id, a, b, c)
			}
		}
		// A ranking holds exactly the nominations the full evaluation finds eligible.
		for _, b := range []projections.Bound{{}, {Seq: uint64(rapid.IntRange(1, int(last)).Draw(rt, "ranked_at"))}} {
			rk, err := env.Model.Ranking(wftest.Campaign, b)
			if errors.Is(err, projections.ErrNotFound) {
				continue // before the campaign's launch
			}
			if err != nil {
				rt.Fatal(err)
			}
			ranked := map[string]bool{}
			for _, e := range append(rk.Collective.Entries, rk.Individual.Entries...) {
				ranked[e.Nomination] = true
			}
			for _, id := range noms {
				el, err := env.Model.Eligibility(id, b)
				if err != nil {
					if ranked[id] {
						rt.Fatalf("nomination %s ranked at %+v but not found: %v", id, b, err)
					}
					continue
				}
				if el.Eligible != ranked[id] {
					rt.Fatalf("nomination %s at %+v: eligible %v, ranked %v", id, b, el.Eligible, ranked[id])
				}
			}
		}
		rl, _ := env.Model.Ranking(wftest.Campaign, projections.Bound{})
		rr, _ := rebuilt.Ranking(wftest.Campaign, projections.Bound{})
		ra, _ := env.Model.Ranking(wftest.Campaign, projections.Bound{Seq: last})
		if a, b, c := jsonOf(t, rl), jsonOf(t, rr), jsonOf(t, ra); a != b || a != c {
			rt.Fatalf("ranking:\nlive    %s\nrebuilt %s\nas-of   %s", a, b, c)
		}
		// An earlier point: as-of on the live model = rebuild of the prefix.
		k := uint64(rapid.IntRange(1, int(last)).Draw(rt, "prefix"))
		prefix, err := projections.Rebuild(ctx, env.Store, eventstore.ReadOptions{Until: k}, nil)
		if err != nil {
			rt.Fatal(err)
		}
		for _, id := range noms {
			want, errW := prefix.Eligibility(id, projections.Bound{})
			got, errG := env.Model.Eligibility(id, projections.Bound{Seq: k})
			if (errW != nil) != (errG != nil) {
				rt.Fatalf("nomination %s at %d: %v vs %v", id, k, errW, errG)
			}
			if errW == nil && jsonOf(t, want) != jsonOf(t, got) {
				rt.Fatalf("nomination %s at %d:\nprefix %s\nas-of  %s", id, k, jsonOf(t, want), jsonOf(t, got))
			}
		}
		pr, _ := prefix.Ranking(wftest.Campaign, projections.Bound{})
		ar, _ := env.Model.Ranking(wftest.Campaign, projections.Bound{Seq: k})
		if jsonOf(t, pr) != jsonOf(t, ar) {
			rt.Fatalf("ranking at %d:\nprefix %s\nas-of  %s", k, jsonOf(t, pr), jsonOf(t, ar))
		}
	})
	if checks == 0 {
		t.Fatal("no sequence was checked")
	}
}

func unitOf(env *wftest.Env, id string) string {
	unit := ""
	env.Model.Read(func(st *projections.State) {
		if n, _ := st.Nomination(id); n != nil {
			unit = n.Unit()
		}
	})
	return unit
}
