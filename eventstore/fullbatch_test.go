package eventstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
