package main

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryLimitRatio is the share of a container's memory limit that the Go runtime's soft
// limit is set to: the rest is left to the embedded JetStream server's buffers outside
// the Go heap and to the kernel.
const memoryLimitRatio = 0.9

// setMemoryLimit gives the Go runtime a soft memory limit below the memory limit of the
// container the process runs in (its cgroup), so that under memory pressure the garbage
// collector works harder instead of the kernel killing the process. GOMEMLIMIT, when set,
// wins (AUTOMEMLIMIT=off turns this off); without a container limit nothing changes. It
// returns the soft limit in force (0: none).
func setMemoryLimit(logger *slog.Logger, provider memlimit.Provider) int64 {
	limit, err := memlimit.Set(memlimit.WithRatio(memoryLimitRatio), memlimit.WithProvider(provider))
	// Not in a container, or on a system without cgroups: nothing to follow.
	quiet := errors.Is(err, memlimit.ErrNoLimit) || errors.Is(err, memlimit.ErrNoCgroup) || errors.Is(err, memlimit.ErrCgroupsNotSupported)
	if err != nil && !quiet {
		logger.Warn("memory limit: reading the container's limit failed; no soft limit set", "err", err)
	}
	limit = debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return 0
	}
	logger.Info("memory limit", "soft_limit_mib", limit>>20)
	return limit
}

// loadGCPercent is the garbage collector's target (GOGC) while the projections load.
const loadGCPercent = 200

// relaxGCWhileLoading lets the heap grow further between collections while the
// projections load, and returns the function that restores the setting. While a model
// loads, the heap only grows: a collection at every doubling finds little to free, and
// at the default target a million events spend a fifth of their load collecting. The
// peak memory of the load stays below that of the running server. GOGC, when set, wins.
func relaxGCWhileLoading() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(loadGCPercent)
	return func() { debug.SetGCPercent(old) }
}

// heapHeadroomEvery is how often keepHeapHeadroom follows the live heap.
const heapHeadroomEvery = time.Second

// memoryUse reads the live heap (as of the last collection), the memory the runtime holds
// besides the heap (stacks, metadata) and all it holds (what GOMEMLIMIT counts).
func memoryUse() (live, outside, total int64) {
	names := [...]string{
		"/gc/heap/live:bytes",
		"/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes",
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/unused:bytes",
		"/memory/classes/heap/free:bytes",
	}
	s := make([]metrics.Sample, len(names))
	for i, name := range names {
		s[i].Name = name
	}
	metrics.Read(s)
	v := func(i int) int64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[i].Value.Uint64())
	}
	return v(0), max(v(1)-v(2)-v(3)-v(4)-v(5), 0), v(1) - v(2)
}

// keepHeapHeadroom bounds the garbage the heap may hold: every second it sets the Go
// runtime's soft memory limit to the live heap, plus what the runtime holds besides the
// heap, plus headroom. By default the collector lets the heap reach twice its live size:
// with the projections of a million events live (about 1.1 GB), that is over 2 GB
// resident. With the limit, the collector runs once the garbage reaches the headroom,
// and the limit follows the live heap as the history grows, so the collector never
// chases a limit below what is live. The first limit is no lower than what the runtime
// holds now (the live figure is that of the last collection, which may be older than the
// load that just ended). It does nothing when a limit is already in force (GOMEMLIMIT,
// or a container's, see setMemoryLimit) or headroomMiB is 0, and stops with ctx. It
// returns whether it took over the limit.
func keepHeapHeadroom(ctx context.Context, headroomMiB int, logger *slog.Logger) bool {
	if headroomMiB <= 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return false
	}
	headroom := int64(headroomMiB) << 20
	live, outside, total := memoryUse()
	limit := max(live+outside+headroom, total)
	debug.SetMemoryLimit(limit)
	logger.Info("memory limit follows the live heap", "headroom_mib", headroomMiB, "soft_limit_mib", limit>>20)
	go every(ctx, heapHeadroomEvery, func() {
		live, outside, _ := memoryUse()
		debug.SetMemoryLimit(live + outside + headroom)
	})
	return true
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
