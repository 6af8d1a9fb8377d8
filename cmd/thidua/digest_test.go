package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
	"thidua/projections"
	"thidua/workflows"
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
		c := &DigestCmd{JSON: true}
		if at != "" {
			c.At = &at
		}
		require.NoError(t, c.Run(ctx, g, quiet()))
		var d eventstore.Digest
		require.NoError(t, json.Unmarshal(out.Bytes(), &d))
		return d
	}
	d := digest("seq:" + seqLine[1])
	assert.Equal(t, seq, d.Seq)
	assert.Equal(t, sealLine[1], d.Hex(), "the stream alone gives the export's digest")
	out.Reset()
	require.NoError(t, (&RankingCmd{Campaign: "ninh-thuan-cchc-2025", Format: "table"}).Run(ctx, g, quiet()))
	assert.Contains(t, out.String(), "Mã niêm phong dữ liệu / stream digest (SHA-256 đến / up to seq "+seqLine[1]+"): "+d.Hex(), "the table states it too")

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
		"":          "give seq:N", // given empty: refused, as ?at= is (before, the stream's end)
	} {
		err := (&DigestCmd{At: &at}).Run(ctx, g, quiet())
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

	filled, err := fillDigest(ctx, store, m, quiet())
	require.NoError(t, err)
	require.True(t, filled, "read now")
	d, ok := m.Digest()
	require.True(t, ok)
	whole, err := store.DigestFrom(ctx, eventstore.Digest{}, m.Applied(), nil)
	require.NoError(t, err)
	assert.Equal(t, whole, d)
	filled, err = fillDigest(ctx, store, m, quiet())
	require.NoError(t, err)
	assert.False(t, filled, "once")
	s.outdated()
	s.save()
	snap, err := projections.ReadSnapshotFile(projections.SnapshotPath(dir))
	require.NoError(t, err)
	loaded, err := snap.Check(ctx, store)
	require.NoError(t, err)
	_, ok = loaded.Digest()
	require.False(t, ok, "not stated before it is checked against the stream")
	res, err := loaded.CheckStream(ctx, store, loaded.Applied(), nil)
	require.NoError(t, err)
	assert.Equal(t, projections.StreamCheck{Digest: true}, res)
	d, ok = loaded.Digest()
	assert.True(t, ok, "the snapshot saved after the read carries it")
	assert.Equal(t, whole, d)
}

// streamDigest is the digest of the stream in st up to seq, from the stream alone.
func streamDigest(t *testing.T, st *eventstore.Store, seq uint64) eventstore.Digest {
	t.Helper()
	d, err := st.DigestFrom(context.Background(), eventstore.Digest{}, seq, nil)
	require.NoError(t, err)
	return d
}

// statedDigest returns what m states of the stream's digest once the start's checks are
// done (fillDigest reads what they dropped), checked against the stream alone, here and
// at every sequence through GET /digest's path (workflows.Service.DigestAt).
func statedDigest(t *testing.T, ctx context.Context, store *eventstore.Store, m *projections.Model) eventstore.Digest {
	t.Helper()
	_, err := fillDigest(ctx, store, m, quiet())
	require.NoError(t, err)
	d, ok := m.Digest()
	require.True(t, ok)
	assert.Equal(t, streamDigest(t, store, d.Seq), d, "the digest stated is the stream's")
	svc := workflows.New(store, m)
	for seq := uint64(1); seq <= d.Seq; seq++ {
		got, err := svc.DigestAt(ctx, seq)
		require.NoError(t, err)
		require.Equal(t, streamDigest(t, store, seq), got, "GET /digest?seq=%d", seq)
	}
	return d
}

// TestRewriteUnderASnapshotIsFound: a stream rewritten under a snapshot, its length and
// checkpoint kept and every chain valid, is found at the start by comparing it with the
// snapshot's digest and marks: a history_differs problem on the stream, from the start of
// the marks around the change, and a digest read again, so that the server states the
// stream's and not the snapshot's (a review finding: the API went on stating the digest
// of the history before the rewrite, which an old paper copy then matched).
func TestRewriteUnderASnapshotIsFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	altered := renameLetter(t, dir)
	store, m, err := openModel(ctx, &Globals{Data: dir, Out: io.Discard}, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	found := problemsOf(m, projections.ProblemHistoryDiffers)
	require.Len(t, found, 1, "%+v", m.IntegrityProblems())
	assert.Equal(t, projections.KindStream, found[0].Aggregate.Kind)
	assert.LessOrEqual(t, found[0].Seq, altered)
	assert.Contains(t, found[0].Detail, "rewritten since")
	statedDigest(t, ctx, store, m)
}

// TestLossesAfterASnapshotAreFound: messages lost on disk after a snapshot with the
// digest was written: the digest is not stated until the start's check has compared the
// stream with it (a review finding: it was, for the seconds before the check), the loss
// is recorded, and the digest stated then is the stream's; a loss that grows from the same
// sequence at the next start is recorded as all of it (before, it was left as the first).
func TestLossesAfterASnapshotAreFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedStore(t, dir)
	ctx := context.Background()
	g := &Globals{Data: dir, Out: io.Discard}
	seqs := factsThenSnapshot(t, dir, "MARK-AAAA-1", "MARK-BBBB-2", "")
	require.Equal(t, seqs[0]+1, seqs[1], "adjacent")

	lostProblems := func(m *projections.Model) []string {
		var out []string
		for _, p := range problemsOf(m, projections.ProblemMessagesLost) {
			out = append(out, p.Detail)
		}
		return out
	}
	// First start, as serve makes it: the check runs in the background after the start.
	estest.Damage(t, dir, "MARK-AAAA-1")
	store, err := g.openStore(ctx, quiet(), eventstore.WithExistingOnly())
	require.NoError(t, err)
	m, loaded, err := loadModel(ctx, g, store, quiet(), nil, nil, nil, false)
	require.NoError(t, err)
	require.True(t, loaded)
	feed, err := projections.StartFeed(ctx, store, m, quiet())
	require.NoError(t, err)
	_, ok := m.Digest()
	assert.False(t, ok, "not stated before the check")
	require.NoError(t, checkAgainstSnapshot(ctx, store, m, m.Applied(), quiet()))
	assert.Equal(t, []string{fmt.Sprintf("stream sequence %d is missing: a message lost on disk (the stream denies deletion); thidua verify reads the stream again", seqs[0])}, lostProblems(m))
	statedDigest(t, ctx, store, m)
	feed.Stop()
	_, err = m.SaveSnapshotFile(projections.SnapshotPath(dir))
	require.NoError(t, err)
	store.Close()

	// Second start: the loss grew.
	estest.Damage(t, dir, "MARK-BBBB-2")
	store, m, err = openModel(ctx, g, quiet(), false)
	require.NoError(t, err)
	defer store.Close()
	require.Len(t, lostProblems(m), 1)
	assert.Contains(t, lostProblems(m)[0], fmt.Sprintf("stream sequences %d to %d are missing", seqs[0], seqs[1]))
	statedDigest(t, ctx, store, m)
}
