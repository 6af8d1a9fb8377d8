package main

import (
	"errors"
	"log/slog"
	"math"
	"os"
	"runtime/debug"

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
