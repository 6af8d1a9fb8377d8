//go:build unix

package bench

import (
	"math"
	"syscall"
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
