package eventstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// TestFullStoreRefusesAnAtomicAppendWhole: an atomic append that the storage limit would
// cut is refused whole (ErrStoreFull), never stored in part. nats-server checks the limit
// before each message of a batch it commits, not before the batch, so that the first
// message of a batch could be stored and the next refused (in one run of this test before
// the fix, batch 243 of 2,000, its sizes varied so that the limit fell between them).
func TestFullStoreRefusesAnAtomicAppendWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.WithDataDir(t.TempDir()), eventstore.WithSyncAlways(false), eventstore.WithStorageLimit(1<<20))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	appendUntilFull(t, s)
}

// appendUntilFull appends two-part atomic batches, their parts' sizes varied so that the
// limit falls between them, until 200 are refused, and checks that each refused batch
// stored nothing.
func appendUntilFull(t *testing.T, s *eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	pad := strings.Repeat("x", 3000)
	refused := 0
	for i := 0; refused < 200 && i < 2000; i++ {
		before := lastSeq(t, s)
		a := eventstore.Ref{Kind: "unit", ID: fmt.Sprintf("A%d", i)}
		b := eventstore.Ref{Kind: "unit", ID: fmt.Sprintf("B%d", i)}
		cs, err := s.AppendAtomic(ctx, []eventstore.Part{
			{Ref: a, Events: ev("unit.registered", map[string]string{"pad": pad[:(i*997)%3000]})},
			{Ref: b, Events: ev("unit.registered", map[string]string{"pad": pad[:(i*389)%3000]})},
		}, eventstore.Meta{Actor: actor})
		after := lastSeq(t, s)
		if err != nil {
			require.ErrorIs(t, err, eventstore.ErrStoreFull)
			require.Equal(t, before, after, "batch %d: refused, yet %d of its messages stored", i, after-before)
			refused++
			continue
		}
		require.Len(t, cs, 2)
		assert.Equal(t, before+2, after)
	}
	require.Equal(t, 200, refused, "the limit was reached")
}

// TestExternalAccountLimitRefusesAnAtomicAppendWhole: on an external server whose account
// has a storage limit, an atomic append that the limit would cut is refused whole, as on
// the embedded server (the store reads the account's limit and usage before the append),
// and as ErrStoreFull (507). Before, only the embedded server's limit was checked, and the
// account's refusal (err_code 10002) was not read as a full store.
func TestExternalAccountLimitRefusesAnAtomicAppendWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	conf := filepath.Join(dir, "server.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `
jetstream { store_dir: %q, max_memory_store: 64MB, max_file_store: 256MB }
accounts { APP: { jetstream: { max_memory: 8MB, max_file: 1MB }, users: [ { user: app, password: app } ] } }
no_auth_user: app
`, filepath.Join(dir, "js")), 0o600))
	opts, err := server.ProcessConfigFile(conf)
	require.NoError(t, err)
	opts.DontListen, opts.NoLog, opts.NoSigs = true, true, true
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	require.True(t, ns.ReadyForConnections(20*time.Second))
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Timeout(30*time.Second))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	s, err := eventstore.Open(ctx, eventstore.WithConnection(nc))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	appendUntilFull(t, s)
}
