//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// TestArchiveToAPipe: `thidua archive -o` a pipe (or a device) writes into it, and leaves
// it a pipe: the rename that makes a file appear whole would have put a regular file in
// its place (run as root, -o /dev/null replaced /dev/null).
func TestArchiveToAPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	fifo := filepath.Join(t.TempDir(), "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	require.NoError(t, (&ArchiveCmd{Out: fifo}).Run(context.Background(), &Globals{Data: dir, Out: io.Discard}, quiet()))
	// Looked at first: a pipe replaced would leave its reader waiting for good.
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	require.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "still a pipe")
	_, end, err := eventstore.ReadArchive(bytes.NewReader(<-got), nil)
	require.NoError(t, err)
	assert.Positive(t, end.Messages)
}

// TestRestoreWithExpectReadsOnce: `archive --restore FILE --expect` checks the digest in
// the one read that restores, so that a pipe (read once) restores, and what is restored is
// what carried the digest (a review finding: a first read checked it, a second restored,
// and a pipe gave the second nothing, or another archive).
func TestRestoreWithExpectReadsOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}
	require.NoError(t, (&DigestCmd{At: ptr("seq:5"), JSON: true}).Run(ctx, g, quiet()))
	var d eventstore.Digest
	require.NoError(t, json.Unmarshal(out.Bytes(), &d))
	hexAt5 := d.Hex()
	file := filepath.Join(t.TempDir(), "a.jsonl")
	require.NoError(t, (&ArchiveCmd{Out: file}).Run(ctx, g, quiet()))
	archive, err := os.ReadFile(file)
	require.NoError(t, err)

	fifo := filepath.Join(t.TempDir(), "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		_, _ = f.Write(archive)
		f.Close()
	}()
	restored := &Globals{Data: filepath.Join(t.TempDir(), "r"), Out: &out}
	out.Reset()
	require.NoError(t, (&ArchiveCmd{Restore: fifo, Expect: []string{"seq:5=" + hexAt5}}).Run(ctx, restored, quiet()), out.String())
	assert.Contains(t, out.String(), "carries the digest recorded at sequence 5")
	assert.DirExists(t, filepath.Join(restored.Data, "jetstream"))
}
