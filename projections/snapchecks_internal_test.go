package projections

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"thidua/eventstore"
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
	require.True(t, bytes.HasPrefix(data, []byte(snapshotMagicV5)))
	current := filepath.Join(t.TempDir(), "projections.snapshot")
	require.NoError(t, os.WriteFile(current, data, 0o600))
	s, err := ReadSnapshotFile(current)
	require.NoError(t, err, "this version's snapshot loads")
	require.NoError(t, s.Outdated())

	// Where the checks' version stands: right after the header.
	body := data[len(snapshotMagicV5):]
	br := bufio.NewReader(bytes.NewReader(body))
	_, err = readSnapHeader(br, snapshotMagicV5)
	require.NoError(t, err)
	at := len(snapshotMagicV5) + len(body) - br.Buffered()
	v, n := binary.Uvarint(data[at:])
	require.Equal(t, uint64(ChecksVersion), v)
	v4 := withoutDigest(t, data, at+n)

	for name, c := range map[string]struct {
		b        []byte
		outdated bool
	}{
		"another checks version": {slices.Concat(data[:at], binary.AppendUvarint(nil, ChecksVersion+1), data[at+n:]), true},
		"format v3":              {slices.Concat([]byte(snapshotMagicV3), v4[len(snapshotMagicV4):at], v4[at+n:]), true},
		"format v4":              {v4, false},
	} {
		path := filepath.Join(t.TempDir(), "projections.snapshot")
		require.NoError(t, os.WriteFile(path, c.b, 0o600))
		s, err := ReadSnapshotFile(path)
		require.NoError(t, err, "%s: it loads", name)
		if c.outdated {
			require.ErrorIs(t, s.Outdated(), ErrSnapshotOutdated, name)
		} else {
			require.NoError(t, s.Outdated(), name)
		}
		s.Discard()
		cp, err := CheckSnapshotHeader(t.Context(), path, nil)
		require.NoError(t, err, "%s: the header still reads", name)
		require.Zero(t, cp)
	}

	// A later version's format is named as such (not as a damaged v1 file, as it was).
	for _, v := range []string{"v6", "v10"} {
		later := slices.Concat([]byte("thidua-projections-snapshot-"+v+"\n"), data[len(snapshotMagicV5):])
		_, _, err = ReadSnapshot(bytes.NewReader(later))
		require.ErrorIs(t, err, ErrSnapshotMismatch)
		require.ErrorContains(t, err, "format "+v+", which this version does not read (it reads v1 to v5): written by a later version")
	}
}

// withoutDigest turns an empty model's v5 snapshot into the v4 one (misc, after the
// checks' version, at misc, ends with the stream's digest and marks from v5 on).
func withoutDigest(t *testing.T, data []byte, misc int) []byte {
	t.Helper()
	size, n := binary.Uvarint(data[misc:])
	body := data[misc+n+4 : misc+n+4+int(size)]
	section := append(appendDigest(nil, eventstore.Digest{}), 0) // no marks
	require.True(t, bytes.HasSuffix(body, section), "an empty model's digest ends its misc")
	body = body[:len(body)-len(section)]
	head := binary.AppendUvarint(nil, uint64(len(body)))
	head = binary.LittleEndian.AppendUint32(head, crc32.Checksum(body, crcTable))
	return slices.Concat([]byte(snapshotMagicV4), data[len(snapshotMagicV5):misc], head, body, data[misc+n+4+int(size):])
}
