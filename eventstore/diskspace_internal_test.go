package eventstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

func TestStoreLimit(t *testing.T) {
	t.Parallel()
	const gib = int64(1) << 30
	for _, c := range []struct {
		name             string
		used, free, size int64
		want             int64
	}{
		{"a large disk keeps 1 GiB free", 30 * gib, 20 * gib, 100 * gib, 30*gib + 20*gib - gib},
		{"a small disk keeps 5 % free", 100 << 20, 400 << 20, 1 * gib, (100 << 20) + (400 << 20) - gib/20},
		// nats-server's default would be 0.75 × 20 GiB = 15 GiB here: under the 30 GiB held.
		{"what the store holds counts", 30 * gib, 20 * gib, 60 * gib, 49 * gib},
		{"no room left: what it holds, no more", 10 << 20, 1 << 20, 1 * gib, 10 << 20},
		{"a new store on a full disk can still be made", 0, 0, 1 * gib, minStoreLimit},
	} {
		assert.Equal(t, c.want, storeLimit(c.used, c.free, c.size), c.name)
	}
}

// TestFullStoreRefusesWritesAndKeepsServing: an embedded store at its storage limit
// refuses a write with ErrStoreFull, stores nothing of it, and goes on serving reads and
// refusing writes cleanly (nats-server shuts JetStream down when the disk itself runs
// out); reopened with room, it takes writes again, and its limit counts what it holds.
func TestFullStoreRefusesWritesAndKeepsServing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	const size = int64(1) << 30
	disk := func(free int64) Option {
		return func(o *options) {
			o.diskSpace = func(string) (int64, int64, error) { return free, size, nil }
		}
	}
	s, err := Open(ctx, WithDataDir(dir), WithSyncAlways(false), disk(storeReserve(size)+2<<20))
	require.NoError(t, err)
	assert.Equal(t, int64(2<<20), s.StorageLimit())
	// A web sign-out is recorded under a small limit (a review finding: its bucket's byte
	// limit, 64 MiB, was reserved against the store's, and could not be).
	require.NoError(t, s.EndSessions(ctx, "token-hash", time.Now()))

	ref := Ref{Kind: "unit", ID: "U1"}
	big := map[string]string{"note": strings.Repeat("đủ dữ liệu ", 1000)} // about 13 KB
	var v Version
	var full error
	n := 0
	for ; n < 1000; n++ {
		c, err := s.Append(ctx, ref, v, []Pending{{Type: "unit.fact_recorded", Data: big}}, Meta{})
		if err != nil {
			full = err
			break
		}
		v = c.Version()
	}
	require.ErrorIs(t, full, ErrStoreFull, "after %d appends", n)
	require.Greater(t, n, 50)
	assert.Contains(t, full.Error(), "insufficient resources")

	// Nothing of the refused write was stored; reads go on; so do clean refusals.
	last, err := s.LastVersion(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, v, last)
	events, _, err := s.Load(ctx, ref)
	require.NoError(t, err)
	assert.Len(t, events, n)
	_, err = s.Append(ctx, Ref{Kind: "unit", ID: "U2"}, Version{}, []Pending{{Type: "unit.registered", Data: big}}, Meta{})
	require.ErrorIs(t, err, ErrStoreFull)
	_, err = s.PutDocument(ctx, "big.pdf", "application/pdf", strings.NewReader(strings.Repeat("%PDF-1.7 ", 300_000)))
	require.ErrorIs(t, err, ErrStoreFull)
	s.Close()

	// With room again (space freed, a larger disk), the limit starts from what it holds.
	s, err = Open(ctx, WithDataDir(dir), WithSyncAlways(false), disk(storeReserve(size)+64<<20))
	require.NoError(t, err)
	defer s.Close()
	used, err := dirUsage(dir + "/jetstream")
	require.NoError(t, err)
	assert.InDelta(t, used+64<<20, s.StorageLimit(), 1<<20)
	u, err := s.Usage(ctx)
	require.NoError(t, err)
	assert.Equal(t, s.StorageLimit(), u.Limit)
	assert.Equal(t, storeReserve(size)+64<<20, u.DiskFree)
	assert.Greater(t, u.Used, int64(1<<20), "the events and the document stored before")
	c, err := s.Append(ctx, ref, v, []Pending{{Type: "unit.fact_recorded", Data: big}}, Meta{})
	require.NoError(t, err)
	assert.Equal(t, v.Seq+1, c.Seq)
}

// TestStoreDownAfterCriticalWriteError: when the embedded server reports the write error
// that leaves a stream unable to store anything until a restart (its disk full), the
// store says so (Failed, Healthy), refuses writes at once with ErrStoreDown instead of
// waiting for answers that never come, and goes on serving reads. The error is fed to
// the server's own logger as nats-server words it (stream.go, setWriteErrLocked).
func TestStoreDownAfterCriticalWriteError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, WithDataDir(t.TempDir()), WithSyncAlways(false))
	require.NoError(t, err)
	defer s.Close()
	ref := Ref{Kind: "unit", ID: "U1"}
	c, err := s.Append(ctx, ref, Version{}, []Pending{{Type: "unit.registered"}}, Meta{})
	require.NoError(t, err)
	require.NoError(t, s.Failed())
	require.NoError(t, s.Healthy(ctx))

	// Other errors do not count.
	s.ns.Logger().Errorf("JetStream failed to store a msg on stream '%s > %s': %v", "$G", "THIDUA", "write x: no space left on device")
	require.NoError(t, s.Failed())

	s.ns.Logger().Errorf("JetStream stream '%s > %s' critical write error: %v", "$G", "THIDUA", "write /data/jetstream/THIDUA/msgs/2.blk: no space left on device")
	require.ErrorIs(t, s.Failed(), ErrStoreDown)
	assert.Contains(t, s.Failed().Error(), "no space left on device")
	require.ErrorIs(t, s.Healthy(ctx), ErrStoreDown)

	t0 := time.Now()
	_, err = s.Append(ctx, ref, c.Version(), []Pending{{Type: "unit.renamed"}}, Meta{})
	require.ErrorIs(t, err, ErrStoreDown)
	_, err = s.AppendAtomic(ctx, []Part{{Ref: ref, Expect: c.Version(), Events: []Pending{{Type: "unit.renamed"}}}, {Ref: Ref{Kind: "unit", ID: "U2"}, Events: []Pending{{Type: "unit.registered"}}}}, Meta{})
	require.ErrorIs(t, err, ErrStoreDown)
	_, err = s.PutDocument(ctx, "a.pdf", "application/pdf", strings.NewReader("%PDF-1.7"))
	require.ErrorIs(t, err, ErrStoreDown)
	assert.Less(t, time.Since(t0), time.Second, "refused at once")

	events, v, err := s.Load(ctx, ref)
	require.NoError(t, err)
	assert.Len(t, events, 1)
	assert.Equal(t, c.Version(), v)
}

// TestIncompleteBatchOnAFullDisk: an atomic batch the embedded server leaves incomplete
// while its disk is full is ErrStoreFull (507), at once: the server cannot make the file
// store it keeps a batch in, and says only "incomplete", which on a cluster means a
// leader change and is retried. Before, every command of several aggregates waited out
// its deadline for a 503. With room on the disk, or another error, nothing changes.
func TestIncompleteBatchOnAFullDisk(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), WithDataDir(t.TempDir()), WithSyncAlways(false))
	require.NoError(t, err)
	defer s.Close()
	incomplete := &jetstream.APIError{ErrorCode: 10176, Description: "atomic publish batch is incomplete"}
	free := int64(0)
	s.opts.diskSpace = func(string) (int64, int64, error) { return free, 1 << 30, nil }
	err = s.diskFullFor(incomplete)
	require.ErrorIs(t, err, ErrStoreFull)
	assert.Contains(t, err.Error(), "disk is full")
	require.ErrorIs(t, s.diskFullFor(fmt.Errorf("publish: %w", jetstreamext.ErrBatchPublishIncomplete)), ErrStoreFull)
	assert.NoError(t, s.diskFullFor(&jetstream.APIError{ErrorCode: 10071}), "another error")
	free = 64 << 20
	assert.NoError(t, s.diskFullFor(incomplete), "a disk with room: transient, as before")
}

// TestDocumentWriteStopsWhenTheStoreGoesDown: a document being written when the server
// reports its critical write error stops waiting for its answer and is refused with
// ErrStoreDown, as a command is, rather than waiting out the client's timeout and being
// told to try again (a review finding: 10 s, then store_unavailable).
func TestDocumentWriteStopsWhenTheStoreGoesDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, WithDataDir(t.TempDir()), WithSyncAlways(false))
	require.NoError(t, err)
	defer s.Close()
	data := make([]byte, DefaultMaxDocumentSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.PutDocumentBytes(ctx, "big.pdf", "application/pdf", data)
		done <- err
	}()
	// Once its first chunks are stored, the server fails.
	info, err := s.docs.Status(ctx)
	require.NoError(t, err)
	stream := info.(*jetstream.ObjectBucketStatus).StreamInfo().Config.Name
	require.Eventually(t, func() bool {
		st, err := s.js.Stream(ctx, stream)
		return err == nil && st.CachedInfo().State.Msgs > 0
	}, 10*time.Second, time.Millisecond)
	s.ns.Logger().Errorf("JetStream stream '%s > %s' critical write error: %v", "$G", stream, "write /data/jetstream/OBJ/msgs/2.blk: no space left on device")
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrStoreDown)
	case <-time.After(5 * time.Second):
		t.Fatal("the write went on waiting")
	}
}
