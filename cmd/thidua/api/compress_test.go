package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"thidua/cmd/thidua/api"
)

// TestCompressLargeAnswers: behind api.Compress, an answer of at least CompressMinSize
// bytes of JSON goes in the coding the client accepts (zstd preferred, else gzip) and
// decodes to the same bytes as the plain answer; a small answer, a client that accepts
// no coding and a stored PDF go as they are; every answer says Vary: Accept-Encoding,
// and the live ranking's ETag still gets a 304.
func TestCompressLargeAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := api.Compress(e.http.Config.Handler)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path, accept string, headers ...string) (*http.Response, []byte) {
		t.Helper()
		resp, b := getCoded(t, srv.URL+path, accept, headers...)
		if v := resp.Header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept-Encoding") {
			t.Errorf("GET %s (Accept-Encoding %q): Vary %q", path, accept, v)
		}
		return resp, b
	}
	decode := map[string]func([]byte) ([]byte, error){
		"gzip": func(b []byte) ([]byte, error) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
		"zstd": func(b []byte) ([]byte, error) {
			zr, err := zstd.NewReader(nil)
			if err != nil {
				return nil, err
			}
			defer zr.Close()
			return zr.DecodeAll(b, nil)
		},
	}

	const large = "/api/v1/openapi.json"
	resp, plain := get(large, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || len(plain) < api.CompressMinSize {
		t.Fatalf("plain %s: %d, coding %q, %d bytes", large, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(plain))
	}
	for _, tc := range []struct{ accept, want string }{
		{"gzip", "gzip"},
		{"zstd", "zstd"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip;q=1, zstd;q=0", "gzip"},
	} {
		resp, body := get(large, tc.accept)
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Errorf("Accept-Encoding %q: coding %q, want %q", tc.accept, got, tc.want)
			continue
		}
		if len(body) >= len(plain)/3 {
			t.Errorf("Accept-Encoding %q: %d bytes for %d plain", tc.accept, len(body), len(plain))
		}
		got, err := decode[tc.want](body)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Accept-Encoding %q: decodes to %d bytes (err %v), not the plain answer", tc.accept, len(got), err)
		}
	}

	// A small answer stays as it is.
	if resp, body := get("/healthz", "gzip, zstd"); resp.Header.Get("Content-Encoding") != "" || !bytes.Contains(body, []byte(`"ok"`)) {
		t.Errorf("/healthz: coding %q: %s", resp.Header.Get("Content-Encoding"), body)
	}

	// A stored PDF larger than the threshold goes byte for byte.
	e.unit("SO-GZIP", "department")
	clerk := e.user("clerk", "SO-GZIP")
	nom := clerk.post("/api/v1/campaigns/"+campaign+"/nominations", map[string]any{"unit": "SO-GZIP", "nominee": map[string]any{"kind": "collective"}}).
		want(t, http.StatusCreated).str(t, "id")
	big := append([]byte("%PDF-1.4 "), bytes.Repeat([]byte("biên bản họp hội đồng "), 2000)...)
	clerk.upload("/api/v1/nominations/"+nom+"/documents", map[string]string{"kind": "supporting"}, "big.pdf", big).want(t, http.StatusCreated)
	var nv struct {
		Documents []struct {
			SHA256 string `json:"sha256"`
		} `json:"documents"`
	}
	e.admin.get("/api/v1/nominations/"+nom).want(t, http.StatusOK).decode(t, &nv)
	if len(nv.Documents) != 1 {
		t.Fatalf("documents: %+v", nv.Documents)
	}
	if resp, body := get("/api/v1/documents/"+nv.Documents[0].SHA256, "gzip, zstd"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, big) {
		t.Errorf("document: %d, coding %q, %d bytes of %d", resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(big))
	}

	// The live ranking's ETag works through the coding.
	path := "/api/v1/campaigns/" + campaign + "/ranking"
	resp, _ = get(path, "gzip")
	tag := resp.Header.Get("ETag")
	if tag == "" {
		t.Fatalf("live ranking without an ETag")
	}
	if resp, body := get(path, "gzip", "If-None-Match", tag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match %s: %d with %d bytes", tag, resp.StatusCode, len(body))
	}
}

// TestLiveRankingCompressedOnce: a live ranking goes compressed with gzip from the bytes
// kept for its version when the client accepts gzip, with the same ETag, decoding to the
// plain answer; behind Compress it is not compressed again (a client that accepts zstd
// and gzip gets the kept gzip), and a client that accepts zstd alone gets what Compress
// gives.
// (The threshold is lowered to the test's small ranking; in service it is
// CompressMinSize.)
func TestLiveRankingCompressedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.WithRankGzipMin(1))
	e.unit("SNV-GZ", "department")
	reviewer := e.user("reviewer", "SNV-GZ")
	e.eligibleCollective(reviewer, "DGZ1")
	e.eligibleCollective(reviewer, "DGZ2")
	wrapped, err := api.Compress(e.http.Config.Handler)
	if err != nil {
		t.Fatal(err)
	}
	behind := httptest.NewServer(wrapped)
	t.Cleanup(behind.Close)
	path := "/api/v1/campaigns/" + campaign + "/ranking"
	get := func(base, accept string) (*http.Response, []byte) {
		t.Helper()
		resp, b := getCoded(t, base+path, accept)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s (Accept-Encoding %q): %d %s", path, accept, resp.StatusCode, b)
		}
		return resp, b
	}
	gunzip := func(b []byte) []byte {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	resp, plain := get(e.url, "")
	tag := resp.Header.Get("ETag")
	if resp.Header.Get("Content-Encoding") != "" || tag == "" || !bytes.Contains(plain, []byte(`"DGZ2"`)) {
		t.Fatalf("plain: coding %q, tag %q, %s", resp.Header.Get("Content-Encoding"), tag, plain)
	}
	// The plain answer varies with Accept-Encoding too, without Compress around it.
	if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
		t.Errorf("plain: Vary %q", v)
	}
	var first []byte
	for _, tc := range []struct{ base, accept string }{
		{e.url, "gzip"},
		{e.url, "gzip"},
		{behind.URL, "gzip, deflate, br, zstd"},
	} {
		resp, body := get(tc.base, tc.accept)
		if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("Accept-Encoding %q: coding %q, want gzip", tc.accept, got)
		}
		if resp.Header.Get("ETag") != tag || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: ETag %q (plain %q), Vary %q", tc.accept, resp.Header.Get("ETag"), tag, resp.Header.Values("Vary"))
		}
		if !bytes.Equal(gunzip(body), plain) {
			t.Errorf("Accept-Encoding %q: does not decode to the plain answer", tc.accept)
		}
		if first == nil {
			first = body
		} else if !bytes.Equal(body, first) {
			t.Errorf("Accept-Encoding %q: other compressed bytes than the first reader's", tc.accept)
		}
	}
	// A client that accepts zstd alone gets what Compress gives it: this small ranking
	// as it is (a large one in zstd), never the kept gzip.
	if resp, body := get(behind.URL, "zstd"); resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
		t.Errorf("zstd alone: coding %q, %d bytes", resp.Header.Get("Content-Encoding"), len(body))
	}
}

// getCoded GETs url as the administrator with Accept-Encoding accept, set by hand so that
// the transport neither asks for gzip itself nor decodes, and the other headers given as
// name, value pairs; it returns the answer and its body as sent.
func getCoded(t *testing.T, url, accept string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Accept-Encoding", accept)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
