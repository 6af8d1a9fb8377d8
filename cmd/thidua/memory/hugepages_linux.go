package memory

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PreferHugePages asks Linux to back the heap's next growth with transparent huge pages
// (2 MiB instead of 4 KiB), and returns the function that stops asking and reports the
// size advised (0: nothing was done, and why).
//
// Why: a load writes a gigabyte or more of memory the process has never touched, and each
// 4 KiB page of it costs a fault; under a hypervisor that provides guest memory on first
// use (this project's machines) about 2.4 s per GiB. With 2 MiB pages a 1M-event snapshot
// loads with 7,000 faults instead of 248,000, in 0.9–1.6 s instead of 2.8–3.4 s. Go's heap
// never asks for huge pages itself, and most distributions' kernels give them only to
// memory that asks ("madvise").
//
// How: the runtime places a large allocation at the end of its heap, on address space it
// maps for it and has not written. This allocates up to HugeReserve bytes without writing
// them, in chunks of hugeChunk, advises their ranges (MADV_HUGEPAGE, a flag on the
// mapping), and frees them at once (debug.FreeOSMemory, which also gives its pages back to the runtime's count): the
// runtime takes the next memory it needs from the lowest free addresses, which are that
// range, and the kernel backs them with huge pages as they are first written. Stop takes
// the advice back (MADV_NOHUGEPAGE), so that the running server's later growth does not
// wait for the kernel to compact memory into huge pages; the pages already huge stay so.
// See planHugePages for when it does nothing.
func PreferHugePages() (stop func(), size int64, why string) {
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
	plan := planHugePages(hugeSettings{
		thp:        read("/sys/kernel/mm/transparent_hugepage/enabled"),
		overcommit: read("/proc/sys/vm/overcommit_memory"),
		available:  memAvailable(read("/proc/meminfo")),
		godebug:    os.Getenv("GODEBUG"),
		ceiling:    debug.SetMemoryLimit(-1),
		free:       heapFree(),
	})
	if plan.size == 0 {
		return func() {}, 0, plan.why
	}
	ranges := reserveHuge(plan.size)
	if len(ranges) == 0 {
		return func() {}, 0, "the kernel refused the advice"
	}
	var advised int64
	for _, r := range ranges {
		advised += int64(r.n)
	}
	return func() {
		for _, r := range ranges {
			_ = madvise(r.start, r.n, unix.MADV_NOHUGEPAGE)
		}
	}, advised, ""
}

// hugeChunk is the size of each allocation of a reservation (reserveHuge). The runtime
// clears an allocation whole when any of it lies on memory the heap has used before (a
// few MiB freed at the heap's end, in a process that has run a while): in one piece, a
// 4 GiB reservation was then written page by page, 14 s on this project's machines. In
// chunks, only the chunks on such memory are cleared.
const hugeChunk = 64 << 20

// hugeRange is an address range advised for huge pages.
type hugeRange struct{ start, n uintptr }

// reserveHuge allocates size bytes on the heap without writing them (but for chunks on
// memory the heap used before), in chunks of hugeChunk, advises their ranges for huge
// pages and frees them; it returns the ranges advised, adjacent chunks merged (none: the
// advice failed).
func reserveHuge(size int64) []hugeRange {
	chunks := make([][]byte, 0, (size+hugeChunk-1)/hugeChunk)
	for left := size; left > 0; left -= hugeChunk {
		chunks = append(chunks, make([]byte, min(left, hugeChunk)))
	}
	var ranges []hugeRange
	for _, b := range chunks {
		start, n := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))
		if k := len(ranges) - 1; k >= 0 && ranges[k].start+ranges[k].n == start {
			ranges[k].n += n
		} else {
			ranges = append(ranges, hugeRange{start, n})
		}
	}
	runtime.KeepAlive(chunks)
	chunks = nil
	advised := ranges[:0]
	for _, r := range ranges {
		if madvise(r.start, r.n, unix.MADV_HUGEPAGE) == nil {
			advised = append(advised, r)
		}
	}
	debug.FreeOSMemory()
	return advised
}

// madvise advises the kernel about a range of the heap, given by address (the runtime
// never unmaps its heap, so the range stays valid once freed).
func madvise(start, n uintptr, advice int) error {
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, start, n, uintptr(advice)); errno != 0 {
		return errno
	}
	return nil
}

// memAvailable reads MemAvailable (in bytes) from the content of /proc/meminfo; 0 when
// it is not there.
func memAvailable(meminfo string) int64 {
	for line := range strings.Lines(meminfo) {
		rest, ok := strings.CutPrefix(line, "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
