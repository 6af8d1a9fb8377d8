// Package memory is the thidua process's memory policy: a soft limit below its
// container's, the collector's setting while the projections load, and a bound on the
// garbage the running server's heap may hold.
package memory

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryLimitRatio is the share of a container's memory limit that the Go runtime's soft
// limit is set to: the rest is left to the embedded JetStream server's buffers outside
// the Go heap and to the kernel.
const memoryLimitRatio = 0.9

// SetContainerLimit gives the Go runtime a soft memory limit below the memory limit of the
// container the process runs in (its cgroup), so that under memory pressure the garbage
// collector works harder instead of the kernel killing the process. GOMEMLIMIT, when set,
// wins (AUTOMEMLIMIT=off turns this off); without a container limit nothing changes. It
// returns the soft limit in force (0: none).
func SetContainerLimit(logger *slog.Logger, provider memlimit.Provider) int64 {
	_, err := memlimit.Set(memlimit.WithRatio(memoryLimitRatio), memlimit.WithProvider(provider))
	// Not in a container, or on a system without cgroups: nothing to follow.
	quiet := errors.Is(err, memlimit.ErrNoLimit) || errors.Is(err, memlimit.ErrNoCgroup) || errors.Is(err, memlimit.ErrCgroupsNotSupported)
	if err != nil && !quiet {
		logger.Warn("memory limit: reading the container's limit failed; no soft limit set", "err", err)
	}
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return 0
	}
	logger.Info("memory limit", "soft_limit_mib", limit>>20)
	return limit
}

// LoadHeadroom is the least garbage the heap may hold while the projections load.
const LoadHeadroom = 1 << 30

// loadEvery is how often the soft limit follows the live heap while the projections load.
const loadEvery = 50 * time.Millisecond

// WhileLoading sets the collector for a load of the projections (a rebuild, or a snapshot
// and its tail), and returns the load, whose End puts the previous settings back.
//
// While a model loads its heap only grows. At Go's default (a collection whenever the heap
// doubles) a million events spend a fifth of their load collecting. At GOGC=200, this
// function's setting until 2026-12-05, a rebuild's heap reached three times the model it
// was building: 2.6–2.9 GB for 1M events. Instead, during the load the collector runs when
// the heap reaches the live heap plus half of it (at least LoadHeadroom) above it: GOGC is
// off and the soft limit follows the live heap every loadEvery. A rebuild of 1M events then
// peaks at about 2.2 GB, as fast (on a machine that charges much for fresh memory, faster:
// it writes less of it). A limit already in force (GOMEMLIMIT, or a container's:
// SetContainerLimit) stays the ceiling. GOGC, when set, wins: then the collector's
// setting does not change.
//
// The heap's growth during the load is also advised for huge pages (HugePagesWhileLoading):
// GODEBUG=disablethp=1 turns that off; a caller whose load turns out to be a full rebuild
// says so (Load.Huge's Rebuilding), which may take the advice back. What was done is
// logged to logger.
func WhileLoading(logger *slog.Logger) *Load {
	huge := HugePagesWhileLoading(logger)
	return &Load{Huge: huge, restoreGC: CollectWhileLoading()}
}

// Load is the memory policy of one load of the projections (WhileLoading).
type Load struct {
	// Huge is the load's huge-page advice.
	Huge      *HugePages
	restoreGC func()
}

// End puts the collector's settings back and takes the huge-page advice back.
func (l *Load) End() {
	l.restoreGC()
	l.Huge.Stop()
}

// HugePagesWhileLoading advises the heap's growth for huge pages (PreferHugePages), logs
// what it did, and returns the advice, to be stopped at the load's end. WhileLoading calls
// it; a caller whose load goes on after the collector's setting is put back (serve, whose
// history is read after it is ready) calls it and CollectWhileLoading apart.
func HugePagesWhileLoading(logger *slog.Logger) *HugePages {
	h := &HugePages{stop: func() {}, ceiling: debug.SetMemoryLimit(-1), logger: logger}
	stop, size, why := PreferHugePages()
	if size > 0 {
		h.stop, h.size = stop, size
		logger.Info("loading: the heap's growth is advised for huge pages", "reserved_mib", size>>20)
	} else {
		logger.Debug("loading: no huge pages advised", "why", why)
	}
	return h
}

// HugePages is the huge-page advice of one load (HugePagesWhileLoading).
type HugePages struct {
	stop    func()
	size    int64 // what the advice covers (0: nothing was advised)
	ceiling int64 // the soft memory limit in force when it was given (math.MaxInt64: none)
	logger  *slog.Logger
	once    sync.Once
}

// Stop takes the advice back; only the first call acts (a nil *HugePages does nothing).
func (h *HugePages) Stop() {
	if h != nil {
		h.once.Do(h.stop)
	}
}

// Rebuilding tells the advice that the load is a full rebuild of a stream of storedBytes
// (0: unknown). Under a soft memory limit too low for the rebuild's heap to grow freely,
// it takes the advice back at once (rebuildKeepsHugePages), and the rebuild's memory
// comes in ordinary pages. A nil *HugePages does nothing.
func (h *HugePages) Rebuilding(storedBytes uint64) {
	if h == nil || h.size == 0 || rebuildKeepsHugePages(h.ceiling, storedBytes) {
		return
	}
	h.Stop()
	h.logger.Info("loading: a full rebuild under a soft memory limit below twice the stream's size: no huge pages",
		"soft_limit_mib", h.ceiling>>20, "stream_mib", storedBytes>>20)
}

// rebuildKeepsHugePages reports whether a full rebuild of a stream of storedBytes keeps the
// huge-page advice under the soft memory limit ceiling: when there is no limit, when the
// stream's size is unknown (0), or when the limit is at least twice the stream's size.
//
// A rebuild's live heap ends at about 1.1 times the stream's stored bytes (1.13 GB for the
// bench's 1M events, 1.04 GB stored). Under a limit not far above that, the collector
// runs again and again near the limit, and in huge pages each of its cycles took two to
// three times as long: a rebuild of those 1M events took 44.5–46.9 s with the advice
// against 27.5 s without under GOMEMLIMIT=1350MiB (what a 1.5 GB container gets), and
// 36.8 s with only 600 MiB advised. With room it is the other way: 15.3 s against 21.7 s
// under 2 GiB, 16.0 s against 16.6 s under 4 GiB (thidua bench --read-only --read rebuild,
// 2026-12-05). A snapshot's load keeps the advice under any limit: its heap stays well
// below the ceiling, and without huge pages a start-up under GOMEMLIMIT=1400MiB took
// 2.9–3.1 s against 1.1–1.6 s.
func rebuildKeepsHugePages(ceiling int64, storedBytes uint64) bool {
	return ceiling == math.MaxInt64 || ceiling <= 0 || storedBytes == 0 || uint64(ceiling)/2 >= storedBytes
}

// CollectWhileLoading sets the collector for a load (see WhileLoading) and returns the
// function that puts the previous settings back. GOGC, when set, wins: then it changes
// nothing.
func CollectWhileLoading() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	ceiling := debug.SetMemoryLimit(-1)
	follow := func() {
		live, outside, _ := Use()
		debug.SetMemoryLimit(min(ceiling, loadLimit(live, outside)))
	}
	follow()
	percent := debug.SetGCPercent(-1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, loadEvery, follow)
	}()
	return func() {
		cancel()
		<-done
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(ceiling)
	}
}

// loadLimit is the soft limit while loading, for a live heap and what the runtime holds
// besides it.
func loadLimit(live, outside int64) int64 {
	return live + outside + max(LoadHeadroom, live/2)
}

// heapHeadroomEvery is how often KeepHeadroom follows the live heap.
const heapHeadroomEvery = time.Second

// Use reads the live heap (as of the last collection), the memory the runtime holds
// besides the heap (stacks, metadata) and all it holds (what GOMEMLIMIT counts).
func Use() (live, outside, total int64) {
	v := readBytes(
		"/gc/heap/live:bytes",
		"/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes",
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/unused:bytes",
		"/memory/classes/heap/free:bytes",
	)
	return v[0], max(v[1]-v[2]-v[3]-v[4]-v[5], 0), v[1] - v[2]
}

// readBytes reads the runtime's metrics of the given names (0 for one it does not give).
func readBytes(names ...string) []int64 {
	s := make([]metrics.Sample, len(names))
	for i, name := range names {
		s[i].Name = name
	}
	metrics.Read(s)
	out := make([]int64, len(names))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			out[i] = int64(s[i].Value.Uint64())
		}
	}
	return out
}

// KeepHeadroom bounds the garbage the heap may hold: every second it sets the Go
// runtime's soft memory limit to the live heap, plus what the runtime holds besides the
// heap, plus headroom. By default the collector lets the heap reach twice its live size:
// with the projections of a million events live (about 1.1 GB), that is over 2 GB
// resident. With the limit, the collector runs once the garbage reaches the headroom,
// and the limit follows the live heap as the history grows, so the collector never
// chases a limit below what is live. The first limit is no lower than what the runtime
// holds now (the live figure is that of the last collection, which may be older than the
// load that just ended). It does nothing when a limit is already in force (GOMEMLIMIT,
// or a container's, see SetContainerLimit) or headroomMiB is 0, and stops with ctx. It
// returns whether it took over the limit.
func KeepHeadroom(ctx context.Context, headroomMiB int, logger *slog.Logger) bool {
	if headroomMiB <= 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return false
	}
	headroom := int64(headroomMiB) << 20
	live, outside, total := Use()
	limit := max(live+outside+headroom, total)
	debug.SetMemoryLimit(limit)
	logger.Info("memory limit follows the live heap", "headroom_mib", headroomMiB, "soft_limit_mib", limit>>20)
	go Every(ctx, heapHeadroomEvery, func() {
		live, outside, _ := Use()
		debug.SetMemoryLimit(live + outside + headroom)
	})
	return true
}

// Every calls fn every d until ctx ends, on the calling goroutine: the loop that the memory
// policies run, and that serve's periodic snapshots share.
func Every(ctx context.Context, d time.Duration, fn func()) {
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
