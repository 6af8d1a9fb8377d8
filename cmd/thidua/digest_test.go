package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/projections"
)

// TestDigestSealsTheExport: a ranking's export states the stream's digest at its
// sequence; `thidua digest --at seq:N`, from the stream alone, gives the same until the
// stream is rewritten, even when the rewrite keeps every chain verifying and leaves the
// snapshot alone; verify reports the whole stream's; bad input is refused naming it.
func TestDigestSealsTheExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	var out bytes.Buffer
	g := &Globals{Data: dir, Out: &out}

	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "csv"}).Run(ctx, g, quiet()))
	seqLine := regexp.MustCompile(`"Số thứ tự trong luồng sự kiện[^"]*","(\d+)"`).FindStringSubmatch(out.String())
	require.NotNil(t, seqLine, out.String())
	sealLine := regexp.MustCompile(`"Mã niêm phong dữ liệu[^"]*","([0-9a-f]{64})"`).FindStringSubmatch(out.String())
	require.NotNil(t, sealLine, "the export states its digest:\n%s", out.String())
	seq, err := strconv.ParseUint(seqLine[1], 10, 64)
	require.NoError(t, err)

	digest := func(at string) eventstore.Digest {
		t.Helper()
		out.Reset()
		require.NoError(t, (&DigestCmd{At: at, JSON: true}).Run(ctx, g, quiet()))
		var d eventstore.Digest
		require.NoError(t, json.Unmarshal(out.Bytes(), &d))
		return d
	}
	d := digest("seq:" + seqLine[1])
	assert.Equal(t, seq, d.Seq)
	assert.Equal(t, sealLine[1], d.Hex(), "the stream alone gives the export's digest")

	out.Reset()
	require.NoError(t, (&VerifyCmd{JSON: true}).Run(ctx, g, quiet()))
	var rep struct {
		Chains eventstore.ChainReport `json:"chains"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	whole := digest("")
	assert.Equal(t, rep.Chains.LastSeq, whole.Seq)
	assert.Equal(t, whole, rep.Chains.Digest, "verify reports the whole stream's")
	out.Reset()
	require.NoError(t, (&DigestCmd{}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), whole.Hex())

	// A same-length rewrite that every chain verifies: the digest tells, from the
	// altered sequence on and not before.
	before := map[uint64]eventstore.Digest{}
	for at := uint64(1); at <= whole.Seq; at++ {
		before[at] = digest("seq:" + strconv.FormatUint(at, 10))
	}
	altered := renameLetter(t, dir)
	require.LessOrEqual(t, altered, seq, "the export was made after the letter")
	for at := uint64(1); at <= whole.Seq; at++ {
		if at < altered {
			assert.Equal(t, before[at], digest("seq:"+strconv.FormatUint(at, 10)), "before the rewrite, at %d", at)
		} else {
			assert.NotEqual(t, before[at], digest("seq:"+strconv.FormatUint(at, 10)), "from the rewrite on, at %d", at)
		}
	}
	assert.NotEqual(t, sealLine[1], digest("seq:"+seqLine[1]).Hex(), "the rewritten stream no longer matches the export")

	for at, want := range map[string]string{
		"2025-09-01T00:00:00Z": "give seq:N", "seq:0": "give seq:N", "seq:x": "give seq:N", "42": "give seq:N",
		"seq:99999": "past the stream's last sequence",
	} {
		err := (&DigestCmd{At: at}).Run(ctx, g, quiet())
		assert.ErrorContains(t, err, want, at)
	}
}

// TestServeReadsTheDigestOnce: a model that came without the stream's digest (a
// snapshot of an earlier version; here a rebuild bounded by time) reads it once, in the
// background, and the snapshotter then saves even without new commits, so that the next
// start has it.
func TestServeReadsTheDigestOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: &bytes.Buffer{}}
	store, err := g.openStore(ctx, quiet(), eventstore.WithExistingOnly())
	require.NoError(t, err)
	defer store.Close()
	m, err := projections.Rebuild(ctx, store, eventstore.ReadOptions{UntilTime: time.Now()}, nil)
	require.NoError(t, err)
	_, ok := m.Digest()
	require.False(t, ok)
	s := &snapshotter{g: g, m: m, log: quiet()}
	s.save()
	require.Equal(t, m.Applied(), s.onDisk)

	require.True(t, fillDigest(ctx, store, m, quiet()), "read now")
	d, ok := m.Digest()
	require.True(t, ok)
	whole, err := store.DigestFrom(ctx, eventstore.Digest{}, m.Applied(), nil)
	require.NoError(t, err)
	assert.Equal(t, whole, d)
	assert.False(t, fillDigest(ctx, store, m, quiet()), "once")
	s.outdated()
	s.save()
	snap, err := projections.ReadSnapshotFile(projections.SnapshotPath(dir))
	require.NoError(t, err)
	loaded, err := snap.Check(ctx, store)
	require.NoError(t, err)
	d, ok = loaded.Digest()
	assert.True(t, ok, "the snapshot saved after the read carries it")
	assert.Equal(t, whole, d)
}
