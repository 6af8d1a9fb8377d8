package projections

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSnapshotUnderOtherChecksIsOutdated: a snapshot carries the integrity findings of
// the checks it was written under, so one written under another ChecksVersion, or in
// format v3 (which did not record it), is Outdated (a server rebuilds instead); it still
// loads, for verify's comparison with the stream, and its header still reads for the
// diverged-stream check.
func TestSnapshotUnderOtherChecksIsOutdated(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	_, err := NewModel().WriteSnapshot(&buf)
	require.NoError(t, err)
	data := buf.Bytes()
	require.True(t, bytes.HasPrefix(data, []byte(snapshotMagicV3)))
	current := filepath.Join(t.TempDir(), "projections.snapshot")
	require.NoError(t, os.WriteFile(current, data, 0o600))
	s, err := ReadSnapshotFile(current)
	require.NoError(t, err, "this version's snapshot loads")
	require.NoError(t, s.Outdated())

	// Where the checks' version stands: right after the header.
	body := data[len(snapshotMagicV3):]
	br := bufio.NewReader(bytes.NewReader(body))
	_, err = readSnapHeader(br, snapshotMagicV3)
	require.NoError(t, err)
	at := len(snapshotMagicV3) + len(body) - br.Buffered()
	v, n := binary.Uvarint(data[at:])
	require.Equal(t, uint64(ChecksVersion), v)

	for name, b := range map[string][]byte{
		"another checks version": slices.Concat(data[:at], binary.AppendUvarint(nil, ChecksVersion+1), data[at+n:]),
		"format v3":              slices.Concat([]byte(snapshotMagicV3Unversioned), data[len(snapshotMagicV3):at], data[at+n:]),
	} {
		path := filepath.Join(t.TempDir(), "projections.snapshot")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		s, err := ReadSnapshotFile(path)
		require.NoError(t, err, "%s: it loads", name)
		require.ErrorIs(t, s.Outdated(), ErrSnapshotOutdated, name)
		s.Discard()
		cp, err := CheckSnapshotHeader(t.Context(), path, nil)
		require.NoError(t, err, "%s: the header still reads", name)
		require.Zero(t, cp)
	}

	// A later version's format is named as such (not as a damaged v1 file, as it was).
	for _, v := range []string{"v5", "v10"} {
		later := slices.Concat([]byte("thidua-projections-snapshot-"+v+"\n"), data[len(snapshotMagicV3):])
		_, _, err = ReadSnapshot(bytes.NewReader(later))
		require.ErrorIs(t, err, ErrSnapshotMismatch)
		require.ErrorContains(t, err, "format "+v+", which this version does not read (it reads v1 to v4): written by a later version")
	}
}
