//go:build unix

package bench

import (
	"fmt"
	"math"
	"syscall"
	"time"
)

// cpuSeconds returns the CPU time (user and system) this process has used so far, or NaN
// where the system does not say.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// flushWrites asks the kernel to write out every dirty page, and waits for it.
func flushWrites() { syscall.Sync() }

// touchFresh maps n bytes of anonymous memory outside the Go heap, writes one byte to each
// 4 KiB page (the first write makes the kernel, and under a hypervisor the host, provide
// the page), unmaps it, and returns how long the writes took. With huge, the mapping is
// first advised for transparent huge pages (adviseHuge), as thidua's loads advise the heap.
func touchFresh(n int, huge bool) (time.Duration, error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return 0, fmt.Errorf("bench: map %d bytes: %w", n, err)
	}
	if huge {
		if err := adviseHuge(b); err != nil {
			_ = syscall.Munmap(b)
			return 0, err
		}
	}
	t0 := time.Now()
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	took := time.Since(t0)
	if err := syscall.Munmap(b); err != nil {
		return took, fmt.Errorf("bench: unmap: %w", err)
	}
	return took, nil
}
