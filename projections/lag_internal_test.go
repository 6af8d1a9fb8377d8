package projections

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLagWatch: a model a few sequences behind at every look, but reaching what each look
// found before the next, is never behind for long; one that stops applying is behind from
// the first look that found a sequence it never reached.
func TestLagWatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name  string
		looks [][3]float64 // applied, last, seconds
		want  []time.Duration
	}{
		{"caught up", [][3]float64{{5, 5, 0}, {9, 9, 10}}, []time.Duration{0, 0}},
		{"busy, keeping up", [][3]float64{{5, 7, 0}, {8, 12, 6}, {13, 15, 12}, {16, 16, 20}}, []time.Duration{0, 0, 0, 0}},
		{"stalled", [][3]float64{{5, 7, 0}, {6, 9, 3}, {6, 12, 8}}, []time.Duration{0, 3 * time.Second, 8 * time.Second}},
		{"stalled, then caught up", [][3]float64{{5, 7, 0}, {6, 9, 6}, {9, 9, 7}, {9, 11, 8}}, []time.Duration{0, 6 * time.Second, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w lagWatch
			for i, l := range tc.looks {
				assert.Equal(t, tc.want[i], w.observe(uint64(l[0]), uint64(l[1]), at(l[2])), "look %d", i)
			}
		})
	}
}
