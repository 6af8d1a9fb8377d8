package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMain runs main in a child process of the test binary with args, its standard output
// sent to stdout; it returns the exit status and the standard error.
func runMain(t *testing.T, stdout *os.File, args ...string) (int, string) {
	t.Helper()
	return runMainEnv(t, stdout, nil, args...)
}

// runMainEnv is runMain with env added to the child's environment.
func runMainEnv(t *testing.T, stdout *os.File, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(append(os.Environ(), env...), "THIDUA_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}

// TestMainProcess is main, when runMain starts the test binary as a child.
func TestMainProcess(t *testing.T) {
	args, ok := os.LookupEnv("THIDUA_TEST_MAIN_ARGS")
	if !ok {
		t.Skip("run by runMain only")
	}
	os.Args = append([]string{"thidua"}, strings.Split(args, "\x1f")...)
	main()
	os.Exit(0)
}

// TestReaderGoneEndsQuietly: when the output's reader goes away (thidua events | head),
// the command ends as any other, its store closed, and exits 141 without a word, as a
// process SIGPIPE ends; before, SIGPIPE killed it before it closed its store, so a
// read-only directory's copy was left behind.
func TestReaderGoneEndsQuietly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	r.Close()
	defer w.Close()
	code, stderr := runMain(t, w, "--data", dir, "--log-level", "error", "events", "--campaign", "ninh-thuan-cchc-2025")
	assert.Equal(t, 141, code, stderr)
	assert.Empty(t, stderr)
	// The store was closed: the next command opens it.
	code, stderr = runMain(t, nil, "--data", dir, "--log-level", "error", "digest")
	assert.Equal(t, 0, code, stderr)
}

// TestOutputCutShortFails: a report whose writing fails (here to a full device) ends the
// process with status 2 and says so; before, the text forms of digest, ranking, explain
// and verify exited 0 with their output lost. An unknown log level is refused likewise
// (before, taken as info without a word).
func TestOutputCutShortFails(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here")
	}
	defer full.Close()
	dir := t.TempDir()
	seedStore(t, dir)
	code, stderr := runMain(t, full, "--data", dir, "digest")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "writing the output")

	// A command that explains what the lost output means is heard: the reissue was
	// recorded, so the old token no longer works.
	code, stderr = runMain(t, full, "--data", dir, "reissue-token", "admin")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "the old one no longer works")
	assert.Contains(t, stderr, "run reissue-token admin again")

	code, stderr = runMain(t, nil, "--data", dir, "--log-level", "loud", "digest")
	assert.Equal(t, 80, code, stderr)
	assert.Contains(t, stderr, `--log-level "loud"`)

	// The command line's errors that only a command sees exit as the parser's do.
	// (`ranking --format xlsx` without -o is one only to a terminal: here standard output
	// is /dev/null, which takes the workbook.)
	for _, args := range [][]string{
		{"archive"},
		{"archive", "--check", "x.jsonl", "--expect", "499=00"},
		{"digest", "--at", "yesterday"},
		{"digest", "--at", "seq:abc"},
		{"digest", "--at", ""},
		{"explain", "a b/c"},
		{"events", "--nomination", "N1", "--inherited"},
		{"serve", "--trusted-proxy", "notacidr"},
	} {
		code, stderr = runMain(t, nil, append([]string{"--data", dir}, args...)...)
		assert.Equal(t, 80, code, "%v: %s", args, stderr)
		assert.NotContains(t, stderr, "exit status", args)
	}

	code, stderr = runMain(t, nil, "--data", dir, "digest")
	assert.Equal(t, 0, code, stderr)
}

// TestHelpArgs: "thidua help" and "thidua help CMD" ask for the help as --help does;
// anything else is kept as typed.
func TestHelpArgs(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want []string }{
		{[]string{"help"}, []string{"--help"}},
		{[]string{"help", "verify"}, []string{"verify", "--help"}},
		{[]string{"verify", "--json"}, []string{"verify", "--json"}},
		{[]string{"events", "help"}, []string{"events", "help"}},
		{nil, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, helpArgs(tt.in), "%q", tt.in)
	}
}

// TestEmptyEnvironmentMeansTheDefault: a THIDUA_ variable set to nothing is taken as unset:
// its flag's default applies. Before, THIDUA_LOG_LEVEL= failed every command with a usage
// error, THIDUA_DATA= took the current directory, and THIDUA_ADDR= made serve listen on
// every interface at a random port.
func TestEmptyEnvironmentMeansTheDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	out, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer out.Close()
	code, stderr := runMainEnv(t, out, []string{"THIDUA_LOG_LEVEL=", "THIDUA_ADDR= ", "THIDUA_REPLICAS="}, "digest", "--data", dir)
	require.Equal(t, 0, code, stderr)
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.Contains(t, string(b), "seq 11")
}

// TestUnsetEmptyEnv: the blank THIDUA_ variables are unset, the others kept (not
// parallel: it changes the process's environment).
func TestUnsetEmptyEnv(t *testing.T) {
	t.Setenv("THIDUA_ADDR", " ")
	t.Setenv("THIDUA_DATA", "/srv/thidua")
	assert.Contains(t, unsetEmptyEnv(), "THIDUA_ADDR")
	_, set := os.LookupEnv("THIDUA_ADDR")
	assert.False(t, set)
	assert.Equal(t, "/srv/thidua", os.Getenv("THIDUA_DATA"))
}

// TestEnvironmentErrorsAreUsageErrors: a THIDUA_ variable that is no valid value exits
// exitUsage, as the same mistake in a flag does. Before, it exited 1, the status verify
// gives a broken chain.
func TestEnvironmentErrorsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	code, stderr := runMainEnv(t, nil, []string{"THIDUA_REPLICAS=3x"}, "verify", "--data", dir)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "3x")
	code, stderr = runMain(t, nil, "verify", "--data", dir, "--replicas=abc")
	assert.Equal(t, exitUsage, code, stderr)
}

// TestAdminTokenNoClientCanPresentIsRefused: serve refuses an administrator's token with a
// space, a line end or a control character (exitUsage, before it opens the store), which
// no client could present: the API and the web trim the tokens they are given. Before, a
// token read from a CRLF env file locked the first administrator out without a word.
func TestAdminTokenNoClientCanPresentIsRefused(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"admin-token-long-enough-123\r", "admin-token-long-enough-123 ", " admin token long enough", "admin\ttoken-long-enough-123"} {
		dir := t.TempDir()
		code, stderr := runMainEnv(t, nil, []string{"THIDUA_ADMIN_TOKEN=" + tok}, "serve", "--data", dir, "--addr", "127.0.0.1:0")
		assert.Equal(t, exitUsage, code, "%q: %s", tok, stderr)
		assert.Contains(t, stderr, "THIDUA_ADMIN_TOKEN holds", "%q", tok)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "%q: nothing created", tok)
	}
	assert.NoError(t, presentableToken("admin-token-long-enough-123"))
	assert.NoError(t, presentableToken(""))
}

// TestRankingXLSXToAFile: `thidua ranking --format xlsx` with standard output sent to a file
// writes the workbook there, as DESIGN's command line has it (before, it asked for -o).
func TestRankingXLSXToAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	out, err := os.CreateTemp(t.TempDir(), "r-*.xlsx")
	require.NoError(t, err)
	defer out.Close()
	code, stderr := runMain(t, out, "ranking", "ninh-thuan-cchc-2025", "--data", dir, "--format", "xlsx")
	require.Equal(t, 0, code, stderr)
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("PK\x03\x04")), "a workbook (a zip): %.20q", b)
}
