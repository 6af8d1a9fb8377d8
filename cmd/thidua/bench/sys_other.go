//go:build !unix

package bench

import (
	"errors"
	"math"
	"time"
)

// cpuSeconds returns NaN: this system's CPU accounting is not read.
func cpuSeconds() float64 { return math.NaN() }

// flushWrites does nothing here.
func flushWrites() {}

// touchFresh is not measured here.
func touchFresh(int, bool) (time.Duration, error) {
	return 0, errors.New("bench: fresh memory is not measured on this system")
}
