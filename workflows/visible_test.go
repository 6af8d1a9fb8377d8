package workflows_test

import (
	"encoding/json"
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

// TestVisibleFailsClosed: a unit.nominated whose data cannot be read (a forgery, or a
// later version's shape) is shown to a clerk of another unit without its data and with a
// summary that names no one, not whole; to other roles, as it is.
func TestVisibleFailsClosed(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.UnitNamed("VA", "Sở A", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "VA")
	evs := []projections.EventView{{ID: "e1", Type: domain.UnitNominated, Data: json.RawMessage(`{"nomination":5,"name":"Nguyễn Văn Mật"}`),
		SummaryVI: "Văn thư lập đề nghị khen thưởng cá nhân Nguyễn Văn Mật", SummaryEN: "Clerk opened a nomination of individual Nguyễn Văn Mật"}}
	got := env.Svc.Visible(clerk, evs)
	assert.JSONEq(t, "null", string(got[0].Data))
	assert.NotContains(t, got[0].SummaryVI, "Mật")
	assert.NotContains(t, got[0].SummaryEN, "Mật")
	assert.Contains(t, string(evs[0].Data), "Mật", "the model's own view is not changed")
	assert.Equal(t, evs, env.Svc.Visible(env.Admin, evs))
}

// TestHoldNotedHiddenFromOtherClerks: an individual's hold, noted on its unit's trail, is not
// shown to a clerk of another unit, who may not read the nomination (a hold is a discipline
// review, an investigation or a complaint); the unit's own clerk and a reviewer see it.
func TestHoldNotedHiddenFromOtherClerks(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("DH", domain.UnitDepartment)
	env.Unit("SO", domain.UnitDepartment)
	clerk, other := env.User(domain.RoleClerk, "DH"), env.User(domain.RoleClerk, "SO")
	reviewer := env.User(domain.RoleReviewer, "")
	id := env.Dossier(clerk, domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn Dũng", Position: "Chuyên viên"})
	env.OK(env.Svc.Hold(env.Ctx, reviewer, id, "Đang xem xét kỷ luật", workflows.Options{}))
	evs, err := env.Model.UnitEvents("DH", true, projections.Bound{}, 0)
	require.NoError(t, err)
	holds := func(p workflows.Principal) int {
		n := 0
		for _, e := range env.Svc.Visible(p, evs) {
			if e.Type == domain.UnitHoldNoted {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 0, holds(other))
	assert.Equal(t, 1, holds(clerk))
	assert.Equal(t, 1, holds(reviewer))
	assert.Len(t, env.Svc.Visible(other, evs), len(evs)-1, "only the hold is left out")
}

// TestEvidenceNameHiddenFromOtherClerks: a fact citing a file of an individual's dossier
// shows another unit's clerk the file by its hash, not by the name its clerk gave it (often
// the nominee's); the unit's own clerk and the reviewer read the name. Before, every clerk
// read it in the unit's trail over the API.
func TestEvidenceNameHiddenFromOtherClerks(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("EH", domain.UnitDepartment)
	env.Unit("EO", domain.UnitDepartment)
	clerk, other := env.User(domain.RoleClerk, "EH"), env.User(domain.RoleClerk, "EO")
	reviewer := env.User(domain.RoleReviewer, "")
	env.Plan(clerk)
	r := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "EH",
		Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Phạm Văn Tài", Position: "Chuyên viên"}}, workflows.Options{}))
	_, doc, err := env.Svc.AttachDocument(env.Ctx, clerk, r.ID, domain.DocAchievementReport, workflows.Upload{Name: "Báo cáo thành tích - Phạm Văn Tài.pdf",
		ContentType: "application/pdf", Body: strings.NewReader("%PDF báo cáo")}, workflows.Options{})
	require.NoError(t, err)
	env.Fact(reviewer, "EH", domain.FactRecordedData{Campaign: wftest.Campaign, Fact: domain.FactLateDossiers, Number: wftest.Num(0),
		Document: &domain.DocumentRef{ID: doc.SHA256, SHA256: doc.SHA256}})
	evs, err := env.Model.UnitEvents("EH", true, projections.Bound{}, 0)
	require.NoError(t, err)
	evidence := func(p workflows.Principal) string {
		for _, e := range env.Svc.Visible(p, evs) {
			if e.Type == domain.FactRecorded {
				var d domain.FactRecordedData
				require.NoError(t, json.Unmarshal(e.Data, &d))
				if d.Document != nil {
					return d.Document.Name
				}
			}
		}
		return ""
	}
	assert.Equal(t, doc.SHA256[:12]+".pdf", evidence(other))
	assert.Equal(t, "Báo cáo thành tích - Phạm Văn Tài.pdf", evidence(clerk))
	assert.Equal(t, "Báo cáo thành tích - Phạm Văn Tài.pdf", evidence(reviewer))
}

// TestAnonymousName: a document's name for a reader who may not read its filer's is its
// hash's first twelve characters, with the extension when the name has one; what follows
// the last dot of a name without one is no extension (a review finding: it kept the end of
// the filer's name).
func TestAnonymousName(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("ab", 32)
	for name, want := range map[string]string{
		"Báo cáo thành tích.pdf":                "abababababab.pdf",
		"scan.JPEG":                             "abababababab.JPEG",
		"Bao cao dc Pham V. Tai - Truong phong": "abababababab",
		"no extension":                          "abababababab",
	} {
		assert.Equal(t, want, workflows.AnonymousName(sha, name), name)
	}
}

// TestRankingForTellsPlacesWithoutTheLeftOut: an entry withheld for a hold that a clerk may
// not read is left out of their ranking, the places below move up, and what placed the
// entry below it is told against the entry now above it, not the one left out (a review
// finding: "priority" between two entries without it named a woman left out above).
func TestRankingForTellsPlacesWithoutTheLeftOut(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("RFT", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "RFT")
	keys := []string{domain.KeyParIndexScore, domain.KeyPriority, domain.KeySubmittedAt, domain.KeyName}
	moment := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	entry := func(rank int, id string, par float64, priority bool, withheld, by string) projections.RankEntryView {
		return projections.RankEntryView{Rank: rank, Nomination: id, Unit: "X", Name: id, Withheld: withheld, DecidedBy: by,
			Keys: map[string]any{domain.KeyParIndexScore: par, domain.KeyPriority: priority}}
	}
	for _, tc := range []struct {
		name    string
		entries []projections.RankEntryView
		want    [][2]string // nomination, decided_by
	}{
		{"left out in the middle", []projections.RankEntryView{
			entry(1, "A", 95, false, "", ""),
			entry(2, "H", 93, true, domain.WithheldPersonOnHold, domain.KeyParIndexScore),
			entry(3, "B", 93, false, "", domain.KeyPriority),
			entry(4, "C", 90, false, "", domain.KeyParIndexScore),
		}, [][2]string{{"A", ""}, {"B", domain.KeyParIndexScore}, {"C", domain.KeyParIndexScore}}},
		{"left out first", []projections.RankEntryView{
			entry(1, "H", 95, true, domain.WithheldUnitOnHold, ""),
			entry(2, "B", 95, false, "", domain.KeyPriority),
		}, [][2]string{{"B", ""}}},
		{"submitted at one moment", []projections.RankEntryView{
			{Rank: 1, Nomination: "A", Keys: map[string]any{domain.KeyParIndexScore: 90.0, domain.KeyPriority: false, domain.KeySubmittedAt: moment, domain.KeyName: "Trần Văn Bảo"}},
			{Rank: 2, Nomination: "H", Withheld: domain.WithheldPersonOnHold, Keys: map[string]any{domain.KeyParIndexScore: 90.0, domain.KeyPriority: false, domain.KeySubmittedAt: moment, domain.KeyName: "Nguyễn Văn Hùng"}},
			{Rank: 3, Nomination: "C", Keys: map[string]any{domain.KeyParIndexScore: 90.0, domain.KeyPriority: false, domain.KeySubmittedAt: moment, domain.KeyName: "Lê Văn Cường"}},
		}, [][2]string{{"A", ""}, {"C", domain.KeySubmittedAt}}},
		{"only the id apart", []projections.RankEntryView{
			entry(1, "A", 93, false, "", ""),
			entry(2, "H", 93, true, domain.WithheldPersonOnHold, domain.KeyPriority),
			entry(3, "B", 93, false, "", domain.KeyPriority),
		}, [][2]string{{"A", ""}, {"B", "nomination"}}},
	} {
		rk := projections.RankingView{Keys: keys, Individual: projections.RankingKindView{Quota: 15, Entries: tc.entries}}
		theirs, changed := env.Svc.RankingFor(clerk, rk)
		require.True(t, changed, tc.name)
		var got [][2]string
		for i, e := range theirs.Individual.Entries {
			assert.Equal(t, i+1, e.Rank, tc.name)
			got = append(got, [2]string{e.Nomination, e.DecidedBy})
		}
		assert.Equal(t, tc.want, got, tc.name)
		for _, e := range rk.Individual.Entries {
			if e.Nomination == "H" {
				assert.NotEqual(t, domain.WithheldUndisclosed, e.Withheld, "%s: rk is not changed", tc.name)
			}
		}
		assert.Len(t, rk.Individual.Entries, len(tc.entries), "%s: rk is not changed", tc.name)
	}
}
