package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// TestAsOfAClockSteppedBack: the server's clock steps back in the middle of a nomination's
// history, so its events' recorded times do not increase. A time bound is then read as
// every as-of answer reads it, the nomination's events up to the first recorded after it:
// its eligibility, its view and its audit trail at one bound agree on the state (a review
// finding: the eligibility took the live state, which its last event's time allowed,
// holding the letter recorded after the bound, while the view and the trail stopped
// before it).
func TestAsOfAClockSteppedBack(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("CLK", domain.UnitDepartment)
	clerk := env.User(domain.RoleClerk, "CLK")
	env.Plan(clerk)
	base := *env.Now.Load()
	at := func(d time.Duration) { t := base.Add(d); env.Now.Store(&t) }
	upload := func(name string) workflows.Upload {
		return workflows.Upload{Name: name + ".pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 " + name)}
	}
	id := env.OK(env.Svc.OpenNomination(env.Ctx, clerk, wftest.Campaign, workflows.OpenNominationInput{Unit: "CLK", Nominee: domain.Nominee{Kind: domain.NomineeCollective}}, workflows.Options{})).ID
	at(10 * time.Minute) // the clock runs ahead…
	_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, domain.DocLetter, upload("letter"), workflows.Options{})
	require.NoError(t, err)
	at(2 * time.Minute) // …and is stepped back
	for _, k := range []domain.DocKind{domain.DocCouncilMinutes, domain.DocAchievementReport} {
		_, _, err := env.Svc.AttachDocument(env.Ctx, clerk, id, k, upload(string(k)), workflows.Options{})
		require.NoError(t, err)
	}
	env.OK(env.Svc.RecordVote(env.Ctx, clerk, id, domain.CouncilVoteData{MeetingDate: "2025-09-10", Members: 9, Present: 9, Approve: 8}, workflows.Options{}))
	env.OK(env.Svc.Submit(env.Ctx, clerk, id, workflows.Options{}))

	b := projections.Bound{Time: base.Add(5 * time.Minute)}
	el, err := env.Model.Eligibility(id, b)
	require.NoError(t, err)
	view, err := env.Model.NominationAt(id, b)
	require.NoError(t, err)
	trail, err := env.Model.NominationEvents(id, b)
	require.NoError(t, err)
	require.Len(t, trail, 1, "the trail stops before the letter recorded after the bound")
	require.Equal(t, string(domain.StateDraft), el.State, "the eligibility's state at the bound")
	require.Equal(t, string(domain.StateDraft), view.State, "the view's state at the bound")
	require.Empty(t, view.Documents)
	require.Equal(t, trail[0].Seq, view.Version)

	// Once the bound is past every event, the live state answers.
	live, err := env.Model.Eligibility(id, projections.Bound{Time: base.Add(11 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, string(domain.StateSubmitted), live.State)
}
