//go:build !unix

package bench

import "math"

// cpuSeconds returns NaN: this system's CPU accounting is not read.
func cpuSeconds() float64 { return math.NaN() }

// flushWrites does nothing here.
func flushWrites() {}
