package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeJSONRequest feeds arbitrary bodies to the decoder every JSON command goes
// through (readBody, checkJSON, then a strict decode into the command's input). It must
// never panic; a refusal is a client error (4xx) with a code; an accepted body is one
// valid UTF-8 JSON object, no deeper than MaxJSONDepth.
func FuzzDecodeJSONRequest(f *testing.F) {
	for _, seed := range []string{
		`{"unit":"U1","nominee":{"kind":"collective"}}`,
		`{"unit":"U1","nominee":{"kind":"individual","name":"Nguyễn Thị A","position":"Chủ tịch","gender":"female","head":true}}`,
		`{"result":"met","note":"đạt","document":"` + string(bytes.Repeat([]byte("ab"), 32)) + `"}`,
		`{"unit":"U1","unit":"U2"}`, `{"nominee":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
		"{\"unit\":\"\xff\"}", `{"unit":"a\u0000b"}`, `{"unknown":1}`, `[]`, `{} {}`, `{"unit":1}`, ``, `{`, `null`,
	} {
		f.Add([]byte(seed))
	}
	h := &handler{cfg: config{maxBody: 1 << 16}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var open struct {
			Unit    string `json:"unit"`
			Nominee *struct {
				Kind     string `json:"kind"`
				Name     string `json:"name"`
				Position string `json:"position"`
				Gender   string `json:"gender"`
				Head     bool   `json:"head"`
			} `json:"nominee"`
		}
		var rule struct {
			Result   string `json:"result"`
			Note     string `json:"note"`
			Document string `json:"document"`
		}
		for _, dst := range []any{&open, &rule} {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			got, err := h.decodeJSON(httptest.NewRecorder(), r, dst, false)
			if err != nil {
				var ae *apiError
				if !errors.As(err, &ae) || ae.status < 400 || ae.status > 499 || ae.body.Code == "" {
					t.Fatalf("refusal of %q is not a client error with a code: %#v", body, err)
				}
				continue
			}
			if !utf8.Valid(got) || !json.Valid(got) || bytes.TrimLeft(got, " \t\r\n")[0] != '{' {
				t.Fatalf("accepted a body that is not one valid JSON object: %q", got)
			}
			if depth(got) > MaxJSONDepth {
				t.Fatalf("accepted a body nesting %d levels: %q", depth(got), got)
			}
		}
	})
}

// depth returns the deepest nesting of objects and arrays in a valid JSON text.
func depth(b []byte) int {
	d, most, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			most = max(most, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return most
}
