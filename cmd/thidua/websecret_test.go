package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoredWebSecret: without --web-secret, serve's key is drawn at the first start and
// kept in the data directory (readable by its owner only), so that a restart signs nobody
// out; a damaged one is replaced, saying so; a directory that cannot keep one gives none
// (the handler draws its own), saying what that costs.
func TestStoredWebSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	first := storedWebSecret(dir, log)
	require.Len(t, first, 64)
	assert.Equal(t, first, storedWebSecret(dir, log), "the next start takes the same key")
	fi, err := os.Stat(filepath.Join(dir, webSecretFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Empty(t, logs.String())
	assert.NotEqual(t, first, storedWebSecret(t.TempDir(), log), "another store, another key")

	require.NoError(t, os.WriteFile(filepath.Join(dir, webSecretFile), []byte("short\n"), 0o600))
	replaced := storedWebSecret(dir, log)
	require.Len(t, replaced, 64)
	assert.NotEqual(t, first, replaced)
	assert.Contains(t, logs.String(), "too short")

	logs.Reset()
	assert.Nil(t, storedWebSecret(filepath.Join(dir, "no", "such", "dir"), log))
	assert.Contains(t, logs.String(), "a restart signs every user out")
}
