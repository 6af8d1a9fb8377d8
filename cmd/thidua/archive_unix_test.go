//go:build unix

package main

import (
	"bytes"
	"context"
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
