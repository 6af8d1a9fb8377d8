package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReissueToken: an administrator gives a user a new token; the old one stops working
// at once, the new one is the same user (the audit trail keeps one identity); a retry
// with the same key appends nothing and shows no token; unknown and disabled users are
// refused and nothing is appended.
func TestReissueToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	clerk := e.user("clerk", "U1")
	clerk.get("/api/v1/me").want(t, http.StatusOK)

	r := e.admin.post("/api/v1/users/"+clerk.id+"/token", nil, "Idempotency-Key", "lost-token-1").want(t, http.StatusOK)
	token := r.str(t, "token")
	require.NotEmpty(t, token)
	assert.NotEqual(t, clerk.token, token)
	assert.Equal(t, clerk.id, r.str(t, "id"))
	assert.Len(t, r.events(t), 1)
	_, hasHash := r.obj(t)["token_hash"]
	assert.False(t, hasHash, "the answer carries no hash")

	old := clerk.get("/api/v1/me")
	assert.Equal(t, http.StatusUnauthorized, old.status, "the old token: %s", old)
	renewed := &client{e: e, token: token, name: "clerk@U1", id: clerk.id}
	me := renewed.get("/api/v1/me").want(t, http.StatusOK)
	assert.Equal(t, clerk.id, me.str(t, "id"))
	assert.Equal(t, "clerk", me.str(t, "role"))

	// A retry of the same request: the same events, nothing appended, no token shown.
	before := e.lastSeq()
	again := e.admin.post("/api/v1/users/"+clerk.id+"/token", nil, "Idempotency-Key", "lost-token-1").want(t, http.StatusOK)
	assert.Equal(t, r.events(t), again.events(t))
	_, shown := again.obj(t)["token"]
	assert.False(t, shown)
	assert.Contains(t, again.str(t, "token_note"), "POST /api/v1/users/"+clerk.id+"/token", "the replay says how to get a token")
	_, noted := r.obj(t)["token_note"]
	assert.False(t, noted, "no note beside a token")
	assert.Equal(t, before, e.lastSeq())
	renewed.get("/api/v1/me").want(t, http.StatusOK)

	// Refusals change nothing.
	e.admin.post("/api/v1/users/u-nobody/token", nil).want(t, http.StatusNotFound)
	e.admin.post("/api/v1/users/u-nobody/disable", map[string]any{"reason": "nghỉ việc"}).want(t, http.StatusNotFound)
	gone := e.user("auditor", "")
	e.admin.post("/api/v1/users/"+gone.id+"/disable", map[string]any{"reason": "nghỉ việc"}, "Idempotency-Key", "disable-1").want(t, http.StatusOK)
	replayed := e.admin.post("/api/v1/users/"+gone.id+"/disable", map[string]any{"reason": "nghỉ việc"}, "Idempotency-Key", "disable-1").want(t, http.StatusOK)
	assert.Equal(t, "true", replayed.header.Get("Idempotent-Replayed"))
	_, noted = replayed.obj(t)["token_note"]
	assert.False(t, noted, "a disabling issues no token: its replay has no note")
	before = e.lastSeq()
	// A disabled user's state refuses both (409, a conflict with the user's state).
	refused := e.admin.post("/api/v1/users/"+gone.id+"/token", nil).want(t, http.StatusConflict)
	assert.Equal(t, "user_disabled", refused.errCode(t))
	twice := e.admin.post("/api/v1/users/"+gone.id+"/disable", map[string]any{"reason": "nghỉ việc"}).want(t, http.StatusConflict)
	assert.Equal(t, "user_disabled", twice.errCode(t))
	e.admin.post("/api/v1/users/bad..id/token", nil).want(t, http.StatusBadRequest)
	assert.Equal(t, before, e.lastSeq())
	gone.get("/api/v1/me").want(t, http.StatusUnauthorized)
}
