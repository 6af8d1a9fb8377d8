package workflows_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/domain"
	"thidua/projections"
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
