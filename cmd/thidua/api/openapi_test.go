package api_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"thidua/cmd/thidua/api"
	"thidua/domain"
	"thidua/projections"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPI: the document served at /api/v1/openapi.json is OpenAPI 3.0, describes
// exactly the routes the handler serves, and each of them is really served.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	r := e.admin.get("/api/v1/openapi.json").want(t, http.StatusOK)
	r.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	served := api.Routes()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("served but not documented: %s", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("documented but not served: %s", d)
		}
	}
	// Every route answers from its own handler, not the mux's 404 or 405.
	for _, rt := range served {
		method, path, _ := strings.Cut(rt, " ")
		path = strings.ReplaceAll(path, "{criterion}", "C01")
		if strings.HasPrefix(path, "/api/v1/documents/") {
			path = strings.ReplaceAll(path, "{id}", strings.Repeat("0", 64))
		}
		path = strings.ReplaceAll(path, "{id}", "PROBE")
		var body any
		if method == http.MethodPost {
			body = "{}"
		}
		res := e.admin.do(method, path, body)
		if res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed {
			var v struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(res.body, &v)
			if v.Error.Code == "route_not_found" || v.Error.Code == "method_not_allowed" {
				t.Errorf("%s is documented but the mux does not serve it: %s", rt, res)
			}
		}
	}
	// Every $ref points at a component.
	var all any
	r.decode(t, &all)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && k == "$ref" {
					parts := strings.Split(strings.TrimPrefix(s, "#/components/"), "/")
					if len(parts) != 2 || doc.Components[parts[0]][parts[1]] == nil {
						t.Errorf("dangling $ref %s", s)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(all)
}

// TestOperations: health, readiness, metrics at the root without a token; unknown routes
// answer in the error shape.
func TestOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anon := e.anon()
	anon.get("/healthz").want(t, http.StatusOK)
	if s := anon.get("/readyz").want(t, http.StatusOK).str(t, "status"); s != "ready" {
		t.Fatalf("readyz: %s", s)
	}
	anon.get("/api/v1/campaigns").want(t, http.StatusUnauthorized).errCode(t)
	e.unit("U1", "commune")
	e.admin.post("/api/v1/units", map[string]any{"id": "U1", "name": "x", "kind": "commune"}).want(t, http.StatusConflict)
	m := anon.get("/metrics").want(t, http.StatusOK)
	for _, want := range []string{
		`thidua_http_requests_total{code="201",route="POST /api/v1/units"} 1`,
		`thidua_http_requests_total{code="401",route="GET /api/v1/campaigns"} 1`,
		`thidua_api_appends_total{route="POST /api/v1/units"} 1`,
		"thidua_http_request_duration_seconds_bucket",
		"go_goroutines",
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// No count of events appended: a hold appends two where the other commands on a
	// nomination append one, and /metrics answers without a token (a review finding).
	assert.NotContains(t, string(m.body), "appended_events")
	anon.get("/nope").want(t, http.StatusNotFound).errCode(t)
	anon.do(http.MethodPost, "/healthz", "{}").want(t, http.StatusMethodNotAllowed).errCode(t)
	// A GET route also answers HEAD; an unclean path is redirected, not refused.
	e.admin.do(http.MethodHead, "/api/v1/campaigns", nil).want(t, http.StatusOK)
}

// TestOpenAPIEnumsFollowTheCode: the document's enumerations of an integrity problem and of
// a ranking entry's withheld reason are the code's (before, they named 3 of 13 problems and
// 1 of 4 reasons).
func TestOpenAPIEnumsFollowTheCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.admin.get("/api/v1/openapi.json").want(t, http.StatusOK).decode(t, &doc)
	var problems, withheld []string
	for _, s := range doc.Components.Schemas {
		if p, ok := s.Properties["problem"]; ok && len(p.Enum) > 0 {
			problems = p.Enum
		}
		if w, ok := s.Properties["withheld"]; ok && len(w.Enum) > 0 {
			withheld = w.Enum
		}
	}
	assert.ElementsMatch(t, projections.ProblemKinds(), problems)
	assert.ElementsMatch(t, []string{domain.WithheldLineage, domain.WithheldPerson, domain.WithheldPersonOnHold, domain.WithheldUnitOnHold, domain.WithheldUndisclosed}, withheld)
}

// TestOpenAPIDescribesTheMinimalAnswer: every operation that takes Prefer documents both of
// its answers (oneOf the whole nomination and NominationMinimal), and NominationMinimal's
// properties, all required and no others, are the keys of a minimal answer
// (TestPreferReturnMinimal). Before, the document described the whole nomination alone,
// and a client generated from it refused a minimal answer: "campaign" is required.
func TestOpenAPIDescribesTheMinimalAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required             []string                   `json:"required"`
				Properties           map[string]json.RawMessage `json:"properties"`
				AdditionalProperties *bool                      `json:"additionalProperties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.admin.get("/api/v1/openapi.json").want(t, http.StatusOK).decode(t, &doc)
	minimal := doc.Components.Schemas["NominationMinimal"]
	assert.Equal(t, []string{"events", "id", "state", "version"}, slices.Sorted(slices.Values(minimal.Required)))
	assert.Equal(t, []string{"events", "id", "state", "version"}, slices.Sorted(maps.Keys(minimal.Properties)))
	require.NotNil(t, minimal.AdditionalProperties)
	assert.False(t, *minimal.AdditionalProperties)
	withPrefer := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []struct {
					Ref string `json:"$ref"`
				} `json:"parameters"`
				Responses map[string]struct {
					Content map[string]struct {
						Schema struct {
							OneOf []struct {
								Ref string `json:"$ref"`
							} `json:"oneOf"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil || !slices.ContainsFunc(op.Parameters, func(p struct {
				Ref string `json:"$ref"`
			}) bool {
				return p.Ref == "#/components/parameters/Prefer"
			}) {
				continue
			}
			withPrefer++
			for code, r := range op.Responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				refs := []string{}
				for _, o := range r.Content["application/json"].Schema.OneOf {
					refs = append(refs, o.Ref)
				}
				assert.Contains(t, refs, "#/components/schemas/NominationMinimal", "%s %s %s", method, path, code)
			}
		}
	}
	assert.Equal(t, 9, withPrefer, "the nomination commands")
}
