package api_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// smokePath is the contract test, relative to this package's directory.
var smokePath = filepath.Join("..", "..", "..", "..", "shared", "contract", "smoke.py")

// TestSmokeContract runs the API contract's smoke test (DESIGN.md section 6) against the
// handler on a fresh store; every check must pass.
func TestSmokeContract(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if _, err := os.Stat(smokePath); err != nil {
		t.Skipf("contract test not found: %v", err)
	}
	e := newEnv(t)
	// The contract's council meets on 2026-01-10, after the campaign's period (the plan has
	// nominations made in the new year): a meeting is recorded once held, so the business
	// clock is moved past it.
	e.offset.Store(int64(time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC).Sub(clockStart)))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, smokePath, e.url, adminToken).CombinedOutput()
	text := strings.TrimSpace(string(out))
	lines := strings.Split(text, "\n")
	last := lines[len(lines)-1]
	if err != nil || !regexp.MustCompile(`^\d+ passed, 0 failed$`).MatchString(last) {
		t.Fatalf("smoke contract failed (%v):\n%s", err, text)
	}
	t.Log(last)
}
