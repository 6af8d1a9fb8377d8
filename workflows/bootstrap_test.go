package workflows_test

import (
	"errors"
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

// TestLastAdminStays: the last enabled administrator cannot be disabled (last_admin),
// and a store whose every administrator was disabled anyway (older versions allowed it,
// after which `serve` would not start: the first administrator's id was taken) gets a new
// one from Bootstrap, under the next free id and name.
func TestLastAdminStays(t *testing.T) {
	t.Parallel()
	e := wftest.New(t, srv)
	_, err := e.Svc.DisableUser(e.Ctx, e.Admin, workflows.AdminID, "thử khóa chính mình", workflows.Options{})
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.Equal(t, "last_admin", re.Code)
	_, err = e.Svc.Authenticate(e.Ctx, wftest.AdminToken)
	require.NoError(t, err, "the admin is still enabled")

	// The state older versions could reach: the only administrator disabled.
	ref := eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
	v, err := e.Store.LastVersion(e.Ctx, ref)
	require.NoError(t, err)
	_, err = e.Store.Append(e.Ctx, ref, v, []eventstore.Pending{{Type: domain.UserDisabled, Data: domain.UserDisabledData{ID: workflows.AdminID, Reason: "khóa nhầm"}}},
		eventstore.Meta{Actor: eventstore.Actor{User: workflows.AdminID, Role: string(domain.RoleAdmin)}})
	require.NoError(t, err)
	require.NoError(t, projections.WaitCaughtUp(e.Ctx, e.Store, e.Model, 5*time.Second))
	_, err = e.Svc.Authenticate(e.Ctx, wftest.AdminToken)
	require.Error(t, err)

	_, err = e.Svc.Bootstrap(e.Ctx, "recovery-admin-token-0123456789")
	require.NoError(t, err)
	p, err := e.Svc.Authenticate(e.Ctx, "recovery-admin-token-0123456789")
	require.NoError(t, err)
	assert.Equal(t, workflows.AdminID+"-2", p.UserID)
	assert.Equal(t, domain.RoleAdmin, p.Role)
	assert.Equal(t, "Quản trị hệ thống (2)", p.Name)
	// Once there is one, Bootstrap adds none.
	_, err = e.Svc.Bootstrap(e.Ctx, "another-admin-token-0123456789")
	require.NoError(t, err)
	_, err = e.Svc.Authenticate(e.Ctx, "another-admin-token-0123456789")
	require.Error(t, err)
}
