package main

// Tests of the commands on a data directory they may read but not write (an inspector's
// read-only copy), run as the built binary: as root, as nobody over a tree left to root.
// They come from a review of the command line: each failed on the code before its fix.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
)

// binaryForAnyone copies the test binary, which is thidua's main when runMain's variable
// is set (TestMainProcess), where any user may run it; it returns the command line to
// run it with.
func binaryForAnyone(t *testing.T) []string {
	t.Helper()
	dir, err := os.MkdirTemp("", "thidua-ro-bin-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	self, err := os.ReadFile(os.Args[0])
	require.NoError(t, err)
	bin := filepath.Join(dir, "thidua.test")
	require.NoError(t, os.WriteFile(bin, self, 0o755))
	return []string{bin, "-test.run=^TestMainProcess$"}
}

// command is the binary of binaryForAnyone run as thidua with args.
func command(bin []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin[0], bin[1:]...)
	cmd.Env = append(os.Environ(), "THIDUA_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

// dataDirForAnyone returns a new directory, under one any user can traverse, for a store.
func dataDirForAnyone(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "thidua-ro-data-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(parent, 0o755))
	t.Cleanup(func() { os.RemoveAll(parent) })
	dir := filepath.Join(parent, "data")
	require.NoError(t, os.Mkdir(dir, 0o755))
	return dir
}

// runOnReadOnlyCopy runs the binary on dir as a user who can read every file of dir but
// write none (an inspector's read-only copy): as root, as nobody over a tree left to root;
// otherwise the tree is made read-only. It returns stdout, stderr and the exit status.
func runOnReadOnlyCopy(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	bin := binaryForAnyone(t)
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o444)
		if d.IsDir() {
			mode = 0o555
		}
		return os.Chmod(p, mode)
	}))
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	cmd := command(bin, append([]string{"--data", dir}, args...)...)
	cmd.Env = append(cmd.Env, "THIDUA_LOG_LEVEL=warn")
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

// makeWritable makes dir's tree writable again.
func makeWritable(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, 0o755)
	}))
}

// TestVerifyOnAReadOnlyCopyOfARewrittenStream: the stream written again without its
// last commit (chains recomputed), the data directory's snapshot recording that commit.
// On a writable directory verify says BROKEN history and exits 1, and every answer says
// integrity_broken (TestRewrittenStreamIsNamed, TestDivergedSnapshotBreaksEveryAnswer).
// On an inspector's read-only copy of the same directory they must say the same.
func TestVerifyOnAReadOnlyCopyOfARewrittenStream(t *testing.T) {
	dir := dataDirForAnyone(t)
	seedStore(t, dir)
	dropLastCommit(t, dir)

	// The ranking: integrity_broken, as on a writable directory.
	stdout, stderr, code := runOnReadOnlyCopy(t, dir, "ranking", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var rk projections.RankingView
	require.NoError(t, json.Unmarshal([]byte(stdout), &rk))
	assert.Equal(t, projections.IntegrityBroken, rk.Integrity.Status, "the stream no longer holds what the snapshot recorded")

	stdout, stderr, code = runOnReadOnlyCopy(t, dir, "verify")
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	assert.Equal(t, 1, code, "the stream no longer holds what the snapshot recorded")
	assert.Contains(t, stdout, "BROKEN history")
	assert.NotContains(t, stdout, "OK: every hash chain")
	kept, _ := filepath.Glob(filepath.Join(dir, projections.DivergedPrefix+"*"))
	assert.Empty(t, kept, "the read-only directory is left as it was")
	require.FileExists(t, projections.SnapshotPath(dir))
}

// TestReissueTokenOnAReadOnlyDataDir: reissue-token run on a data directory it cannot
// write (the operator not the service's user, a read-only mount) must fail, not print a
// "new token" that was appended to a temporary copy and thrown away.
func TestReissueTokenOnAReadOnlyDataDir(t *testing.T) {
	dir := dataDirForAnyone(t)
	seedStore(t, dir)

	stdout, stderr, code := runOnReadOnlyCopy(t, dir, "reissue-token", "admin")
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)

	// The data directory as the running server will read it: is the printed token the admin's?
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	printed := ""
	if len(lines) >= 2 {
		printed = lines[1]
	}
	ctx := context.Background()
	makeWritable(t, dir)
	store, m, err := openModel(ctx, &Globals{Data: dir, Out: io.Discard}, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	svc := workflows.New(store, m)
	_, oldErr := svc.Authenticate(ctx, "admin-token-0123456789")
	// It cannot record the reissue, so it fails, and prints no token; the old one works.
	assert.NotEqual(t, 0, code, "a reissue it could not record")
	assert.Empty(t, printed, "no token printed")
	assert.NoError(t, oldErr, "the old token still works")
	assert.Contains(t, stderr, "permission denied")
}

// The tests below come from the same review, on what the commands write and read.

// TestRankingTableQuotaLine: the table's quota line comes after the entry that takes the
// quota's last place, as the web draws it: an entry withheld (its unit ranked above)
// takes none and says why, and an award no longer ranked holds a place. The line came
// after the quota-th row, a recommended entry below it.
func TestRankingTableQuotaLine(t *testing.T) {
	t.Parallel()
	entries := []projections.RankEntryView{
		{Rank: 1, Nomination: "N1", Unit: "TB", Name: "Huyện Thuận Bắc", Recommended: true},
		{Rank: 2, Nomination: "N2", Unit: "TB", Name: "Huyện Thuận Bắc", Withheld: domain.WithheldLineage},
		{Rank: 3, Nomination: "N3", Unit: "NH", Name: "Huyện Ninh Hải", Recommended: true},
		{Rank: 4, Nomination: "N4", Unit: "NP", Name: "Huyện Ninh Phước"},
	}
	for _, tc := range []struct {
		name      string
		unranked  int
		lineAfter string
	}{
		{"withheld", 0, "N3"},
		{"an award no longer ranked", 1, "N1"},
	} {
		var table bytes.Buffer
		kv := projections.RankingKindView{Quota: 2, Entries: entries, AwardedUnranked: make([]projections.UnrankedAwardView, tc.unranked)}
		require.NoError(t, writeRankingTable(&table, projections.RankingView{Campaign: "c", Collective: kv}, nil))
		out := table.String()
		lines := strings.Split(out, "\n")
		at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, " "+tc.lineAfter+" ") })
		require.True(t, at >= 0 && at+1 < len(lines) && strings.Contains(lines[at+1], "— chỉ tiêu —"), "%s: the line after %s:\n%s", tc.name, tc.lineAfter, out)
		assert.Equal(t, 1, strings.Count(out, "— chỉ tiêu —"), tc.name)
		assert.Contains(t, out, "Không: đơn vị đã có hồ sơ xếp trên", tc.name)
	}
}

// TestArchiveCheckOfAFileItCannotRead: archive --check exits 2 for a file it cannot read
// (a directory, an I/O error), as for one that is not there: 1 is for what it finds wrong
// in an archive, and a read error was reported as the archive's fault.
func TestArchiveCheckOfAFileItCannotRead(t *testing.T) {
	t.Parallel()
	paths := []string{t.TempDir()}
	if _, err := os.Stat("/proc/self/mem"); err == nil {
		paths = append(paths, "/proc/self/mem")
	}
	for _, path := range paths {
		err := (&ArchiveCmd{Check: path}).Run(context.Background(), &Globals{Data: t.TempDir(), Out: io.Discard}, quiet())
		require.Error(t, err, path)
		assert.Equal(t, 2, exitCode(err), "%s cannot be read: %v", path, err)
	}
}

// TestOutputToDevStdoutPipe: -o /dev/stdout into a pipe writes the pipe, for the archive
// and the ranking's files, as -o /dev/null writes the device; /dev/stdout's link names a
// pipe as "pipe:[N]", which was taken for a file beside it.
func TestOutputToDevStdoutPipe(t *testing.T) {
	dir := dataDirForAnyone(t)
	seedStore(t, dir)
	bin := binaryForAnyone(t)
	for _, args := range [][]string{
		{"archive", "-o", "/dev/stdout"},
		{"ranking", "--format", "csv", "-o", "/dev/stdout"},
	} {
		cmd := command(bin, append([]string{"--data", dir}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr // pipes, as in a shell pipeline
		require.NoError(t, cmd.Run(), "%v: %s", args, stderr.String())
		assert.NotEmpty(t, stdout.String(), "%v", args)
	}
}

// TestRankingToStandardOutputWithDash: ranking -o - writes to standard output, as
// archive -o - does (a file named "-" was written), xlsx too; reissue-token refuses an
// invalid id before it opens the store, as the read commands do.
func TestRankingToStandardOutputWithDash(t *testing.T) {
	dir := dataDirForAnyone(t)
	seedStore(t, dir)
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}
	t.Chdir(t.TempDir())
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "csv", Output: "-"}).Run(context.Background(), g, quiet()))
	assert.True(t, strings.HasPrefix(out.String(), "\uFEFF\"Danh sách xếp hạng đề nghị khen thưởng\""), "%.80q", out.String())
	out.Reset()
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "xlsx", Output: "-"}).Run(context.Background(), g, quiet()))
	assert.True(t, strings.HasPrefix(out.String(), "PK"), "an xlsx file")
	_, err := os.Stat("-")
	assert.True(t, errors.Is(err, fs.ErrNotExist), "no file named -")

	err = (&ReissueTokenCmd{User: "a.b"}).Run(context.Background(), &Globals{Data: filepath.Join(t.TempDir(), "none"), Out: io.Discard}, quiet())
	require.Error(t, err)
	assert.Equal(t, 80, exitCode(err), "%v", err)
}
