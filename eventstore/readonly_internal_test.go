package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// treeDigests returns the SHA-256 of every file under dir, by path.
func treeDigests(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, dir)] = hex.EncodeToString(sum[:])
		return nil
	}))
	return out
}

// readOnly makes every directory under root unwritable to the store, as a read-only
// mount is (a test run as root can write anywhere, so the check is faked).
func readOnly(root string) Option {
	return func(o *options) {
		o.canWrite = func(dir string) error {
			if dir == root || strings.HasPrefix(dir, root+string(filepath.Separator)) {
				return &fs.PathError{Op: "open", Path: dir, Err: syscall.EROFS}
			}
			return writable(dir)
		}
	}
}

// TestReadOnlyDataDirIsReadFromACopy: a read-only command on a data directory it cannot
// write (a read-only mount, an inspector's copy of the evidence) reads the store from a
// copy, which goes when the store closes, and leaves every file of the directory as it
// was: no lock file, no index rewritten. Before, it failed ("the store directory cannot
// be written"). A server holding the directory is still refused.
func TestReadOnlyDataDirIsReadFromACopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, WithDataDir(dir), WithSyncAlways(false))
	require.NoError(t, err)
	ref := Ref{Kind: "unit", ID: "U1"}
	var v Version
	for i := range 5 {
		c, err := s.Append(ctx, ref, v, []Pending{{Type: "unit.fact_recorded", Data: map[string]int{"n": i}}}, Meta{})
		require.NoError(t, err)
		v = c.Version()
	}
	s.Close()
	require.NoError(t, os.Remove(filepath.Join(dir, LockFileName)))
	before := treeDigests(t, dir)

	var log bytes.Buffer
	ro, err := Open(ctx, WithDataDir(dir), WithReadOnly(), readOnly(dir), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	require.NoError(t, err)
	events, got, err := ro.Load(ctx, ref)
	require.NoError(t, err)
	assert.Len(t, events, 5)
	assert.Equal(t, v.Seq, got.Seq)
	require.Contains(t, log.String(), "read from a copy")
	_, rest, _ := strings.Cut(log.String(), "copy=")
	copyDir, _, _ := strings.Cut(rest, " ")
	require.DirExists(t, copyDir)
	ro.Close()
	assert.NoDirExists(t, copyDir, "the copy goes with the store")
	assert.Equal(t, before, treeDigests(t, dir), "the data directory is left as it was")
	assert.NoFileExists(t, filepath.Join(dir, LockFileName))

	// An opener that does not only read (replay, which saves a snapshot there) is refused
	// as before, nothing copied.
	_, err = Open(ctx, WithDataDir(dir), WithExistingOnly(), readOnly(dir))
	require.Error(t, err)

	// A writable directory is read in place, as before: nothing copied.
	log.Reset()
	in, err := Open(ctx, WithDataDir(dir), WithReadOnly(), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	require.NoError(t, err)
	assert.NotContains(t, log.String(), "read from a copy")

	// While a server holds the directory, a read-only one is refused, not copied mid-write.
	_, err = Open(ctx, WithDataDir(dir), WithReadOnly(), readOnly(dir))
	require.ErrorIs(t, err, ErrDataDirInUse)
	in.Close()

	// While a read-only command copies it (holding the directory alone: it cannot write
	// the lock file), a server is refused without naming the lock file's earlier holder.
	require.NoError(t, os.WriteFile(filepath.Join(dir, LockFileName), []byte("999999\n"), 0o640))
	d, err := os.Open(dir)
	require.NoError(t, err)
	held, err := tryLock(d)
	require.NoError(t, err)
	require.True(t, held)
	_, err = Open(ctx, WithDataDir(dir))
	require.ErrorIs(t, err, ErrDataDirInUse)
	assert.NotContains(t, err.Error(), "999999", "the file names a holder gone")
	assert.Contains(t, err.Error(), "another process")
	d.Close()
}

// TestStaleCopiesSwept: a copy left behind by a process killed before it closed its store
// (no lock held) is removed by the next read-only open, once it is old enough; one whose
// store is open, or one just made, is kept.
func TestStaleCopiesSwept(t *testing.T) {
	// Not parallel: it sweeps the temporary directory the other tests' copies live in.
	stale, err := os.MkdirTemp("", copyPrefix)
	require.NoError(t, err)
	defer os.RemoveAll(stale)
	fresh, err := os.MkdirTemp("", copyPrefix)
	require.NoError(t, err)
	defer os.RemoveAll(fresh)
	held, err := os.MkdirTemp("", copyPrefix)
	require.NoError(t, err)
	defer os.RemoveAll(held)
	lock, err := lockDataDir(held)
	require.NoError(t, err)
	defer lock.release()
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, os.Chtimes(held, old, old))

	sweepCopies(slog.New(slog.DiscardHandler), time.Hour)
	assert.NoDirExists(t, stale, "left behind, old: removed")
	assert.DirExists(t, fresh, "just made (being copied): kept")
	assert.DirExists(t, held, "its store open: kept")
}
