package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
)

// TestRestoreArchive: an archive restored into a new data directory is the stream again:
// every message at its sequence with its subject and body (the digest at every sequence
// is the original's), the runs the archive lacks lost again (VerifyChains names the same
// problems), deletion denied again (a store opens on it with its checks), an atomic
// append's and a malformed message's bodies as they were; and the restored store takes
// new appends after them.
func TestRestoreArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	unit := eventstore.Ref{Kind: "unit", ID: "SNV"}
	c1, err := s.Append(ctx, unit, eventstore.Version{}, ev("unit.registered", map[string]string{"name": "Sở Nội vụ <&>"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	lostRef := eventstore.Ref{Kind: "unit", ID: "LOST"}
	_, err = s.Append(ctx, lostRef, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: eventstore.Ref{Kind: "nomination", ID: "N1"}, Events: ev("nomination.opened", map[string]string{"unit": "SNV"})},
		{Ref: unit, Expect: c1.Version(), Events: ev("unit.nominated", map[string]string{"nomination": "N1"})},
	}, eventstore.Meta{Actor: actor, Key: "k1"})
	require.NoError(t, err)
	subject, err := s.Subject(unit)
	require.NoError(t, err)
	_, err = s.JetStream().Publish(ctx, subject, []byte("not a commit"))
	require.NoError(t, err)
	for _, id := range []string{"E1", "E2"} {
		_, err = s.Append(ctx, eventstore.Ref{Kind: "unit", ID: id}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
		require.NoError(t, err)
	}
	last := lastSeq(t, s)
	require.Equal(t, uint64(7), last)
	loseMessages(t, s, 2, 6, 7) // one in the middle, the last two
	archive := archiveOf(t, s)
	before, err := s.VerifyChains(ctx)
	require.NoError(t, err)

	dir := filepath.Join(t.TempDir(), "restored")
	same := eventstore.WithStream(s.StreamName(), s.SubjectPrefix())
	h, end, err := eventstore.RestoreArchive(ctx, dir, bytes.NewReader(archive), eventstore.RestoreHooks{}, same)
	require.NoError(t, err)
	assert.Equal(t, last, h.Until)
	assert.Equal(t, [][2]uint64{{2, 2}, {6, 7}}, end.Missing)

	r, err := eventstore.Open(ctx, eventstore.WithDataDir(dir), same)
	require.NoError(t, err, "a store opens on it: deletion is denied again")
	defer r.Close()
	assert.Equal(t, last, lastSeq(t, r))
	assert.Equal(t, estest.ReferenceDigests(t, s, last), estest.ReferenceDigests(t, r, last), "the digest at every sequence")
	after, err := r.VerifyChains(ctx)
	require.NoError(t, err)
	assert.Equal(t, before.Problems, after.Problems, "the same losses and the same malformed message")
	assert.Equal(t, before.Digest, after.Digest)
	st, err := r.JetStream().Stream(ctx, r.StreamName())
	require.NoError(t, err)
	assert.Error(t, st.DeleteMsg(ctx, 1), "deletion is denied")

	c, err := r.Append(ctx, eventstore.Ref{Kind: "unit", ID: "NEW"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	assert.Equal(t, last+1, c.Seq)
	entries, err := os.ReadDir(filepath.Dir(dir))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing left beside it")
	inside, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range inside {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"jetstream", eventstore.LockFileName}, names, "the store and its lock (it is open), nothing of the restore's own")
}

// TestRestoreArchiveRefuses: an archive is restored only into an empty data directory,
// and only whole: a directory that holds anything, an archive changed on one line or cut
// short leave the directory as it was and nothing beside it.
func TestRestoreArchiveRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	for _, id := range []string{"A", "B", "C"} {
		_, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: id}, eventstore.Version{}, ev("unit.registered", map[string]string{"name": id}), eventstore.Meta{Actor: actor})
		require.NoError(t, err)
	}
	archive := archiveOf(t, s)
	same := eventstore.WithStream(s.StreamName(), s.SubjectPrefix())

	parent := t.TempDir()
	full := filepath.Join(parent, "full")
	require.NoError(t, os.MkdirAll(full, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(full, "keep.txt"), []byte("x"), 0o600))
	_, _, err := eventstore.RestoreArchive(ctx, full, bytes.NewReader(archive), eventstore.RestoreHooks{}, same)
	require.ErrorIs(t, err, eventstore.ErrRestoreTarget)
	assert.Contains(t, err.Error(), "keep.txt")

	changed := strings.Replace(string(archive), `\"name\":\"B\"`, `\"name\":\"X\"`, 1)
	require.NotEqual(t, string(archive), changed)
	cut := string(archive)[:len(archive)-10]
	for name, a := range map[string]string{"changed": changed, "cut": cut} {
		_, _, err = eventstore.RestoreArchive(ctx, filepath.Join(parent, name), strings.NewReader(a), eventstore.RestoreHooks{}, same)
		var ae *eventstore.ArchiveError
		require.ErrorAs(t, err, &ae, name)
	}
	// A caller's refusal once all is read (a digest recorded elsewhere, not carried).
	refusal := errors.New("not the digest recorded")
	seen := 0
	_, _, err = eventstore.RestoreArchive(ctx, filepath.Join(parent, "refused"), bytes.NewReader(archive), eventstore.RestoreHooks{
		Each:   func(eventstore.ArchiveMessage) { seen++ },
		Accept: func(eventstore.ArchiveHeader, eventstore.ArchiveEnd) error { return refusal },
	}, same)
	require.ErrorIs(t, err, refusal)
	assert.Equal(t, 3, seen, "every message heard in the one read")
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the full directory, as it was")
	kept, err := os.ReadDir(full)
	require.NoError(t, err)
	assert.Len(t, kept, 1)

	// A restore interrupted (killed) leaves its working directory: named, not taken for
	// a store nor removed under a restore that may still run.
	left := filepath.Join(parent, "left")
	require.NoError(t, os.MkdirAll(filepath.Join(left, ".restoring-123", "jetstream"), 0o750))
	_, _, err = eventstore.RestoreArchive(ctx, left, bytes.NewReader(archive), eventstore.RestoreHooks{}, same)
	require.ErrorIs(t, err, eventstore.ErrRestoreTarget)
	assert.Contains(t, err.Error(), ".restoring-123, left by a restore that was interrupted")

	// A link to an empty directory: the store is made where it leads, and the link stays.
	target := filepath.Join(parent, "target")
	require.NoError(t, os.Mkdir(target, 0o750))
	link := filepath.Join(parent, "link")
	require.NoError(t, os.Symlink(target, link))
	_, _, err = eventstore.RestoreArchive(ctx, link, bytes.NewReader(archive), eventstore.RestoreHooks{}, same)
	require.NoError(t, err)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "still a link")
	assert.DirExists(t, filepath.Join(target, "jetstream"))
}
