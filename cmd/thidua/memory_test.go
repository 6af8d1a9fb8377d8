package main

import (
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
			got := setMemoryLimit(quiet, provider)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantCalls, calls)
		})
	}
}

// TestRelaxGCWhileLoading raises GOGC for the load and puts it back; GOGC set by the
// operator is left alone.
func TestRelaxGCWhileLoading(t *testing.T) {
	gcPercent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	restore := relaxGCWhileLoading()
	assert.Equal(t, loadGCPercent, gcPercent(), "during the load")
	restore()
	assert.Equal(t, 100, gcPercent(), "after it")

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	restore = relaxGCWhileLoading()
	assert.Equal(t, 50, gcPercent(), "the operator's GOGC wins")
	restore()
	assert.Equal(t, 50, gcPercent())
}

// TestKeepHeapHeadroom: without a limit in force, the soft limit follows the live heap
// plus the headroom (never below what the runtime holds when it starts); a limit already
// in force, or a headroom of 0, is left alone.
func TestKeepHeapHeadroom(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	debug.SetMemoryLimit(1 << 30)
	assert.False(t, keepHeapHeadroom(t.Context(), 256, quiet), "GOMEMLIMIT or a container's limit wins")
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(math.MaxInt64)
	assert.False(t, keepHeapHeadroom(t.Context(), 0, quiet), "0 turns it off")
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, total := memoryUse()
	assert.True(t, keepHeapHeadroom(ctx, 256, quiet))
	first := debug.SetMemoryLimit(-1)
	live, outside, _ := memoryUse()
	assert.GreaterOrEqual(t, first, live+outside+256<<20, "headroom above the live heap")
	assert.GreaterOrEqual(t, first, total, "not below what the runtime held")

	// After a collection, the limit follows the live heap within a tick.
	runtime.GC()
	live, outside, _ = memoryUse()
	assert.Eventually(t, func() bool {
		l := debug.SetMemoryLimit(-1)
		return l >= live+outside+256<<20 && l <= live+outside+256<<20+64<<20
	}, 5*heapHeadroomEvery, 50*time.Millisecond)
	cancel()
}
