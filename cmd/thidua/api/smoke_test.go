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
