//go:build crash || cluster

package main

// Helpers of the tests that run the thidua binary as child processes (crash_test.go,
// twoservers_test.go).

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildThidua builds the binary of this package into dir.
func buildThidua(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "thidua")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build thidua: %v\n%s", err, out)
	}
	return bin
}

// freeLoopbackAddr returns a free TCP address on 127.0.0.1.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// goodFacts are facts under which every fact-judged criterion of the built-in campaign is
// met, as API request bodies.
func goodFacts(parIndex float64) []map[string]any {
	return []map[string]any{
		{"fact": "par_rating", "value": "Tốt", "note": "Kết quả chấm điểm CCHC 2025"},
		{"fact": "par_index_score", "value": parIndex},
		{"fact": "disbursement_pct", "value": 100},
		{"fact": "late_dossiers", "value": 0},
		{"fact": "backlog_dossiers", "value": 0},
		{"fact": "index_component", "index": "PAR_INDEX", "component": "Cải cách thủ tục hành chính", "value": 9.1, "previous": 8.4},
		{"fact": "staff_hours_violation_pct", "value": 5},
		{"fact": "subordinate_violation_pct", "value": 0},
		{"fact": "late_directives", "value": 0},
		{"fact": "online_service_pct", "value": 100},
	}
}
