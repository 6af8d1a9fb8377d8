package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestUsersReadableByAuditor: the administrator and the auditor list the users and get
// one by id; every other role is refused (403), no token is 401, an unknown id is 404
// and an id that could change a subject is 400. No answer carries a token or its hash.
func TestUsersReadableByAuditor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	who := map[string]*client{
		"admin":    e.admin,
		"auditor":  e.user("auditor", ""),
		"clerk":    e.user("clerk", "U1"),
		"reviewer": e.user("reviewer", ""),
		"council":  e.user("council", ""),
		"none":     e.anon(),
	}
	target := who["clerk"]
	tests := []struct {
		who, path string
		status    int
	}{
		{"admin", "/api/v1/users", http.StatusOK},
		{"admin", "/api/v1/users/" + target.id, http.StatusOK},
		{"auditor", "/api/v1/users", http.StatusOK},
		{"auditor", "/api/v1/users/" + target.id, http.StatusOK},
		{"auditor", "/api/v1/users/admin", http.StatusOK},
		{"auditor", "/api/v1/users/u-nobody", http.StatusNotFound},
		{"auditor", "/api/v1/users/a.b", http.StatusBadRequest},
		{"clerk", "/api/v1/users", http.StatusForbidden},
		{"clerk", "/api/v1/users/" + target.id, http.StatusForbidden},
		{"reviewer", "/api/v1/users", http.StatusForbidden},
		{"reviewer", "/api/v1/users/" + target.id, http.StatusForbidden},
		{"council", "/api/v1/users/" + target.id, http.StatusForbidden},
		{"none", "/api/v1/users", http.StatusUnauthorized},
		{"none", "/api/v1/users/" + target.id, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.who+" "+tc.path, func(t *testing.T) {
			before := e.lastSeq()
			r := who[tc.who].get(tc.path).want(t, tc.status)
			if tc.status != http.StatusOK {
				r.errCode(t)
			}
			for _, c := range who {
				if c.token != "" && strings.Contains(string(r.body), c.token) {
					t.Fatalf("%s: the answer carries a token", r)
				}
			}
			if strings.Contains(string(r.body), `"token`) || strings.Contains(string(r.body), "hash") {
				t.Fatalf("%s: the answer names a token or a hash", r)
			}
			if after := e.lastSeq(); after != before {
				t.Fatalf("a read moved the stream from %d to %d", before, after)
			}
		})
	}
	var u struct {
		ID, Name, Role, Unit string
		Disabled             bool
	}
	who["auditor"].get("/api/v1/users/"+target.id).want(t, http.StatusOK).decode(t, &u)
	if u.ID != target.id || u.Role != "clerk" || u.Unit != "U1" || !strings.HasPrefix(u.Name, "clerk ") || u.Disabled {
		t.Fatalf("GET /users/%s: %+v", target.id, u)
	}
	var list struct {
		Users []struct{ ID, Name string } `json:"users"`
	}
	who["auditor"].get("/api/v1/users").want(t, http.StatusOK).decode(t, &list)
	if len(list.Users) != len(who)-1 { // the first administrator and the four registered above
		t.Fatalf("GET /users lists %d users: %+v", len(list.Users), list.Users)
	}
}

// TestEventsNameTheirActors: every event view of the API carries its actor's display
// name beside the user id and role (nomination and unit audit trails, inherited events
// too), and the readable summaries name the actor instead of the id.
func TestEventsNameTheirActors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.unit("U1", "department")
	e.unit("U2", "department")
	reviewer := e.user("reviewer", "")
	clerk := e.user("clerk", "U1")
	names := map[string]string{"admin": "", "system": "system"}
	for _, c := range []*client{reviewer, clerk} {
		names[c.id] = e.admin.get("/api/v1/users/"+c.id).want(t, http.StatusOK).str(t, "name")
	}
	names["admin"] = e.admin.get("/api/v1/users/admin").want(t, http.StatusOK).str(t, "name")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "U1", "nominee": map[string]any{"kind": "collective"}}).want(t, http.StatusCreated).str(t, "id")
	reviewer.post("/api/v1/units/U2/facts", map[string]any{"campaign": campaign, "fact": "late_dossiers", "value": 0}).want(t, http.StatusCreated)
	e.admin.post("/api/v1/reorganisations", map[string]any{"kind": "merge", "sources": []string{"U2"}, "successor": "U1",
		"effective": "2025-07-01", "decision": "Nghị quyết 1"}).want(t, http.StatusCreated)

	type event struct {
		ID            string `json:"id"`
		Type          string `json:"type"`
		SummaryVI     string `json:"summary_vi"`
		SummaryEN     string `json:"summary_en"`
		InheritedFrom string `json:"inherited_from"`
		Actor         struct {
			User string  `json:"user"`
			Role string  `json:"role"`
			Name *string `json:"name"`
		} `json:"actor"`
	}
	for _, tc := range []struct {
		name, path string
		reader     *client
		inherited  bool
	}{
		{"nomination", "/api/v1/nominations/" + nom + "/events", clerk, false},
		{"unit, inherited", "/api/v1/units/U1/events?inherited=true", e.user("auditor", ""), true},
		{"unit, as of a sequence", "/api/v1/units/U2/events?seq=" + strconv.FormatUint(e.lastSeq(), 10), clerk, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v struct {
				Events []event `json:"events"`
			}
			tc.reader.get(tc.path).want(t, http.StatusOK).decode(t, &v)
			if len(v.Events) == 0 {
				t.Fatal("no events")
			}
			sawInherited := false
			for _, ev := range v.Events {
				want, ok := names[ev.Actor.User]
				if !ok || ev.Actor.Role == "" {
					t.Fatalf("event %s (%s): unexpected actor %+v", ev.ID, ev.Type, ev.Actor)
				}
				if ev.Actor.Name == nil || *ev.Actor.Name != want || want == "" {
					t.Fatalf("event %s (%s) by %s: name %v, want %q", ev.ID, ev.Type, ev.Actor.User, ev.Actor.Name, want)
				}
				if by := ev.Actor.User + " (" + ev.Actor.Role + ")"; want != ev.Actor.User && (strings.Contains(ev.SummaryVI, by) || strings.Contains(ev.SummaryEN, by)) {
					t.Errorf("event %s: the summary names the actor by id: %q / %q", ev.ID, ev.SummaryVI, ev.SummaryEN)
				}
				sawInherited = sawInherited || ev.InheritedFrom != ""
			}
			if sawInherited != tc.inherited {
				t.Errorf("inherited events: %v, want %v", sawInherited, tc.inherited)
			}
		})
	}
}
