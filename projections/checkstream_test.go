package projections_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/eventstore"
	"thidua/projections"
	"thidua/workflows/wftest"
)

// checkEnv: an engine with n extra commits (payload {"n":i}) appended behind its back.
func checkEnv(t *testing.T, n int) *wftest.Env {
	t.Helper()
	env := wftest.New(t, srv)
	ref := eventstore.Ref{Kind: domain.KindUnit, ID: "U9"}
	v := eventstore.Version{}
	for i := range n {
		c, err := env.Store.Append(env.Ctx, ref, v, []eventstore.Pending{{Type: "unit.future_thing", Data: map[string]int{"n": i}}}, eventstore.Meta{})
		require.NoError(t, err)
		v = c.Version()
	}
	require.NoError(t, projections.WaitCaughtUp(env.Ctx, env.Store, env.Model, 10*time.Second))
	env.Feed.Stop()
	return env
}

// rewriteKeepingSeqs writes the stream again as someone with NATS access can (the README's
// threat model): every sequence kept, the message at seq passed through edit, the
// sequences in lose (and those already missing) left without a message, deny_delete set
// again at the end. To eventstore it looks like messages lost on disk.
func rewriteKeepingSeqs(t *testing.T, env *wftest.Env, edit func(seq uint64, data []byte) []byte, lose ...uint64) {
	t.Helper()
	ctx := env.Ctx
	js := env.Store.JetStream()
	st, err := js.Stream(ctx, env.Store.StreamName())
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	last := info.State.LastSeq
	type msg struct {
		subject string
		data    []byte
		missing bool
	}
	msgs := make([]msg, last+1)
	for seq := uint64(1); seq <= last; seq++ {
		rm, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			msgs[seq] = msg{subject: msgs[seq-1].subject, data: []byte("filler"), missing: true}
			continue
		}
		require.NoError(t, err)
		msgs[seq] = msg{subject: rm.Subject, data: edit(seq, rm.Data)}
	}
	cfg := info.Config
	require.NoError(t, js.DeleteStream(ctx, cfg.Name))
	cfg.DenyDelete = false
	_, err = js.CreateStream(ctx, cfg)
	require.NoError(t, err)
	for seq := uint64(1); seq <= last; seq++ {
		a, err := js.Publish(ctx, msgs[seq].subject, msgs[seq].data)
		require.NoError(t, err)
		require.Equal(t, seq, a.Sequence)
	}
	st, err = js.Stream(ctx, cfg.Name)
	require.NoError(t, err)
	for seq := uint64(1); seq <= last; seq++ {
		if msgs[seq].missing {
			require.NoError(t, st.DeleteMsg(ctx, seq))
		}
	}
	for _, seq := range lose {
		require.NoError(t, st.DeleteMsg(ctx, seq))
	}
	cfg.DenyDelete = true
	_, err = js.UpdateStream(ctx, cfg)
	require.NoError(t, err)
}

// payloadEdit replaces from with to in the message at seq at.
func payloadEdit(t *testing.T, at uint64, from, to string) func(uint64, []byte) []byte {
	return func(seq uint64, data []byte) []byte {
		if seq != at {
			return data
		}
		require.True(t, bytes.Contains(data, []byte(from)))
		return bytes.Replace(data, []byte(from), []byte(to), 1)
	}
}

// seqOfPayload returns the sequence of the first message holding payload.
func seqOfPayload(t *testing.T, env *wftest.Env, payload string) uint64 {
	var found uint64
	_, err := env.Store.ReadRaw(env.Ctx, eventstore.ReadOptions{}, func(rc eventstore.RawCommit) error {
		if found == 0 && bytes.Contains(rc.Data, []byte(payload)) {
			found = rc.Seq
		}
		return nil
	})
	require.NoError(t, err)
	require.NotZero(t, found, payload)
	return found
}

// path2model loads the snapshot at path, checked against the stream's checkpoint only.
func path2model(t *testing.T, env *wftest.Env, path string) *projections.Model {
	t.Helper()
	snap, err := projections.ReadSnapshotFile(path)
	require.NoError(t, err)
	loaded, err := snap.Check(env.Ctx, env.Store)
	require.NoError(t, err)
	return loaded
}

// historyDiffers returns m's history_differs problems.
func historyDiffers(m *projections.Model) []projections.IntegrityProblem {
	var out []projections.IntegrityProblem
	for _, p := range m.IntegrityProblems() {
		if p.Problem == projections.ProblemHistoryDiffers {
			out = append(out, p)
		}
	}
	return out
}

// TestRewriteAfterALossIsFound: a rewrite two marks past a loss (on disk, or a deletion
// made to look like one) is still reported: after a difference the loss explains, the
// comparison goes on from the snapshot's own mark (a review finding: one early loss hid
// any rewrite after it, and the digest was then read again from the rewritten stream).
func TestRewriteAfterALossIsFound(t *testing.T) {
	t.Parallel()
	env := checkEnv(t, 2300)
	m := rebuild(t, env, eventstore.ReadOptions{})
	path := filepath.Join(t.TempDir(), "snap")
	_, err := m.SaveSnapshotFile(path)
	require.NoError(t, err)
	lost := seqOfPayload(t, env, `{"n":50}`)        // in the first stretch (1..1024)
	rewritten := seqOfPayload(t, env, `{"n":2100}`) // past the mark at 2048
	require.Less(t, lost, uint64(1024))
	require.Greater(t, rewritten, uint64(2048))

	// Control: the rewrite alone is found.
	rewriteKeepingSeqs(t, env, payloadEdit(t, rewritten, `{"n":2100}`, `{"n":7777}`))
	ctl := path2model(t, env, path)
	res, err := ctl.CheckStream(env.Ctx, env.Store, ctl.Applied(), nil)
	require.NoError(t, err)
	t.Logf("rewrite alone: %+v, history_differs=%d", res, len(historyDiffers(ctl)))
	require.Len(t, historyDiffers(ctl), 1)

	// The same rewrite, and one message lost before it.
	rewriteKeepingSeqs(t, env, func(_ uint64, d []byte) []byte { return d }, lost)
	loaded := path2model(t, env, path)
	res, err = loaded.CheckStream(env.Ctx, env.Store, loaded.Applied(), nil)
	require.NoError(t, err)
	t.Logf("rewrite at %d + loss at %d: %+v, history_differs=%d", rewritten, lost, res, len(historyDiffers(loaded)))
	require.NoError(t, loaded.FillDigest(env.Ctx, env.Store))
	d, ok := loaded.Digest()
	t.Logf("digest stated afterwards: ok=%v seq=%d (the rewritten stream's)", ok, d.Seq)
	require.Len(t, historyDiffers(loaded), 1, "the rewrite at %d, past the marks at 1024 and 2048, is reported", rewritten)
}

// TestOldLossExplainsNoRewrite: a loss the snapshot already recorded (its digest skipped
// the message) does not explain a difference in its stretch: a rewrite there is reported
// (a review finding: any loss was taken as the explanation).
func TestOldLossExplainsNoRewrite(t *testing.T) {
	t.Parallel()
	env := checkEnv(t, 40)
	lost := seqOfPayload(t, env, `{"n":5}`)
	rewritten := seqOfPayload(t, env, `{"n":30}`)
	// An old loss, before the snapshot: the rebuilt model records it and its digest skips it.
	rewriteKeepingSeqs(t, env, func(_ uint64, d []byte) []byte { return d }, lost)
	m := rebuild(t, env, eventstore.ReadOptions{})
	d, ok := m.Digest()
	require.True(t, ok)
	path := filepath.Join(t.TempDir(), "snap")
	_, err := m.SaveSnapshotFile(path)
	require.NoError(t, err)

	// Nothing new lost since; one message rewritten.
	rewriteKeepingSeqs(t, env, payloadEdit(t, rewritten, `{"n":30}`, `{"n":99}`))
	loaded := path2model(t, env, path)
	res, err := loaded.CheckStream(env.Ctx, env.Store, loaded.Applied(), nil)
	require.NoError(t, err)
	now, err := env.Store.DigestFrom(env.Ctx, eventstore.Digest{}, d.Seq, nil)
	require.NoError(t, err)
	t.Logf("old loss at %d, rewrite at %d: %+v; snapshot digest %s.., stream now %s..", lost, rewritten, res, d.Hex()[:12], now.Hex()[:12])
	require.Len(t, historyDiffers(loaded), 1, "the loss was in the snapshot's digest already: it cannot explain the difference")
}

// TestLongLossIsNoRewrite: a loss spanning several marks is a loss, not a rewrite (no
// false alarm, which would make every answer say integrity_broken), and the digest then
// read is the stream's.
func TestLongLossIsNoRewrite(t *testing.T) {
	t.Parallel()
	env := checkEnv(t, 3300)
	m := rebuild(t, env, eventstore.ReadOptions{})
	path := filepath.Join(t.TempDir(), "snap")
	_, err := m.SaveSnapshotFile(path)
	require.NoError(t, err)
	var lose []uint64
	for s := uint64(1500); s <= 2600; s++ {
		lose = append(lose, s)
	}
	rewriteKeepingSeqs(t, env, func(_ uint64, d []byte) []byte { return d }, lose...)
	loaded := path2model(t, env, path)
	res, err := loaded.CheckStream(env.Ctx, env.Store, loaded.Applied(), nil)
	require.NoError(t, err)
	t.Logf("%+v", res)
	require.Empty(t, historyDiffers(loaded))
	require.NoError(t, loaded.FillDigest(env.Ctx, env.Store))
	d, ok := loaded.Digest()
	require.True(t, ok)
	want, err := env.Store.DigestFrom(env.Ctx, eventstore.Digest{}, d.Seq, nil)
	require.NoError(t, err)
	require.Equal(t, want, d)
}
