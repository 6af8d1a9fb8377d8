package memory

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases change the process's soft memory limit, so they do not run in parallel; each
// puts it back.
func TestSetMemoryLimit(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const gib = 1 << 30
	tests := []struct {
		name      string
		env       string
		limit     uint64
		noLimit   bool
		err       error
		want      int64
		wantCalls int
	}{
		{name: "a container limit of 2 GiB gives a soft limit of 90%", limit: 2 * gib, want: 2 * gib * 9 / 10, wantCalls: 1},
		{name: "no container limit: no soft limit", noLimit: true, want: 0, wantCalls: 1},
		{name: "not in a cgroup: no soft limit", err: memlimit.ErrNoCgroup, want: 0, wantCalls: 1},
		{name: "GOMEMLIMIT set by the operator wins: the container is not asked", env: "1GiB", limit: 2 * gib, want: 0, wantCalls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.env)
			t.Setenv("AUTOMEMLIMIT", "") // restored after the case
			os.Unsetenv("AUTOMEMLIMIT")
			before := debug.SetMemoryLimit(-1)
			t.Cleanup(func() { debug.SetMemoryLimit(before) })
			debug.SetMemoryLimit(math.MaxInt64)
			calls := 0
			provider := func() (uint64, error) {
				calls++
				if tt.noLimit {
					return 0, memlimit.ErrNoLimit
				}
				if tt.err != nil {
					return 0, tt.err
				}
				return tt.limit, nil
			}
			got := SetContainerLimit(quiet, provider)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantCalls, calls)
		})
	}
}

// gcPercent reads the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestWhileLoading turns GOGC off for the load, with a soft limit that follows the live
// heap (under a limit already in force), and puts both back; GOGC set by the operator
// is left alone.
func TestWhileLoading(t *testing.T) {
	beforePercent := debug.SetGCPercent(100)
	beforeLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(beforePercent)
		debug.SetMemoryLimit(beforeLimit)
	})
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")

	load := WhileLoading(slog.New(slog.DiscardHandler))
	assert.Equal(t, -1, gcPercent(), "no collection by growth during the load")
	// What the runtime holds besides the heap moves by a few MB between two reads, so the
	// limit is compared within 64 MiB.
	const slack = 64 << 20
	live, outside, _ := Use()
	limit := debug.SetMemoryLimit(-1)
	assert.InDelta(t, live+outside+LoadHeadroom, limit, slack, "the headroom above the live heap")

	// The limit follows the live heap as the model grows (1.5 GiB live, never written, so
	// that it costs no memory).
	model := make([][]byte, 0, 48)
	for range 48 {
		model = append(model, make([]byte, 32<<20))
	}
	runtime.GC()
	live, outside, _ = Use()
	require.Greater(t, live, int64(3<<29))
	assert.Eventually(t, func() bool {
		l := debug.SetMemoryLimit(-1)
		return l > loadLimit(live, outside)-slack && l < loadLimit(live, outside)+slack
	}, 40*loadEvery, loadEvery/5, "the limit follows the live heap")
	runtime.KeepAlive(model)
	model = nil
	load.End()
	assert.Equal(t, 100, gcPercent(), "after it")
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))

	// A limit in force is the ceiling, and stays after the load.
	debug.SetMemoryLimit(256 << 20)
	load = WhileLoading(slog.New(slog.DiscardHandler))
	assert.Equal(t, int64(256<<20), debug.SetMemoryLimit(-1))
	load.End()
	assert.Equal(t, int64(256<<20), debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	load = WhileLoading(slog.New(slog.DiscardHandler))
	assert.Equal(t, 50, gcPercent(), "the operator's GOGC wins")
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
	load.End()
	assert.Equal(t, 50, gcPercent())
}

// TestRebuildKeepsHugePages: a full rebuild keeps the huge-page advice unless a soft limit
// below twice the stream's size is in force.
func TestRebuildKeepsHugePages(t *testing.T) {
	t.Parallel()
	const gib = 1 << 30
	tests := []struct {
		name    string
		ceiling int64
		stored  uint64
		want    bool
	}{
		{"no limit", math.MaxInt64, 100 * gib, true},
		{"size unknown", 1 * gib, 0, true},
		{"1.5 GB container, 1M events (1.04 GB stored)", 1350 << 20, 1_040_166_409, false},
		{"2 GiB, the same stream", 2 * gib, 1_040_166_409, true},
		{"exactly twice", 2 * gib, gib, true},
		{"a byte short of twice", 2*gib - 1, gib, false},
		{"a small store under a container's limit", 1350 << 20, 200 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, rebuildKeepsHugePages(tt.ceiling, tt.stored))
		})
	}
}

// TestHugePagesRebuilding: Rebuilding takes the advice back (once) only when the rule says
// so, Stop acts once, and a nil advice does nothing.
func TestHugePagesRebuilding(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	advice := func(size, ceiling int64, stops *int) *HugePages {
		return &HugePages{stop: func() { *stops++ }, size: size, ceiling: ceiling, logger: logger}
	}
	var stops int
	h := advice(1350<<20, 1350<<20, &stops)
	h.Rebuilding(1 << 30)
	assert.Equal(t, 1, stops, "a limit below twice the stream: withdrawn at once")
	assert.Contains(t, logs.String(), "no huge pages")
	h.Stop()
	h.Rebuilding(1 << 30)
	assert.Equal(t, 1, stops, "withdrawn once only")

	stops = 0
	h = advice(4<<30, math.MaxInt64, &stops)
	h.Rebuilding(1 << 30)
	assert.Zero(t, stops, "no limit: kept")
	h.Stop()
	h.Stop()
	assert.Equal(t, 1, stops, "Stop acts once")

	stops = 0
	h = advice(0, 1350<<20, &stops)
	h.Rebuilding(1 << 30)
	assert.Zero(t, stops, "nothing was advised: nothing to withdraw")

	var none *HugePages
	assert.NotPanics(t, func() { none.Rebuilding(1 << 30); none.Stop() })
}

// TestLoadLimit is the limit's arithmetic.
func TestLoadLimit(t *testing.T) {
	tests := []struct {
		name          string
		live, outside int64
		want          int64
	}{
		{"an empty heap gets the headroom", 0, 0, LoadHeadroom},
		{"a small model: the headroom above it", 100 << 20, 10 << 20, 110<<20 + LoadHeadroom},
		{"a large model: half of it above it", 4 << 30, 10 << 20, 6<<30 + 10<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, loadLimit(tt.live, tt.outside))
		})
	}
}

// TestKeepHeapHeadroom: without a limit in force, the soft limit follows the live heap
// plus the headroom (never below what the runtime holds when it starts); a limit already
// in force, or a headroom of 0, is left alone.
func TestKeepHeapHeadroom(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	debug.SetMemoryLimit(1 << 30)
	assert.False(t, KeepHeadroom(t.Context(), 256, quiet), "GOMEMLIMIT or a container's limit wins")
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(math.MaxInt64)
	assert.False(t, KeepHeadroom(t.Context(), 0, quiet), "0 turns it off")
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, total := Use()
	assert.True(t, KeepHeadroom(ctx, 256, quiet))
	// What the runtime holds moves by a few MB between two reads (the test's and the
	// function's), so the limit is compared within slack.
	const slack = 64 << 20
	first := debug.SetMemoryLimit(-1)
	live, outside, _ := Use()
	assert.Greater(t, first, live+outside+256<<20-slack, "headroom above the live heap")
	assert.Greater(t, first, total-slack, "not below what the runtime held")

	// After a collection, the limit follows the live heap within a tick.
	runtime.GC()
	live, outside, _ = Use()
	assert.Eventually(t, func() bool {
		l := debug.SetMemoryLimit(-1)
		return l > live+outside+256<<20-slack && l < live+outside+256<<20+slack
	}, 5*heapHeadroomEvery, 50*time.Millisecond)
	cancel()
}
