package memory

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPlanHugePages(t *testing.T) {
	t.Parallel()
	const gib = 1 << 30
	madvise := "always [madvise] never\n"
	tests := []struct {
		name     string
		s        hugeSettings
		wantSize int64
		wantWhy  string
	}{
		{name: "madvise: the whole reservation", s: hugeSettings{thp: madvise, overcommit: "0\n", available: 20 * gib, ceiling: math.MaxInt64}, wantSize: HugeReserve},
		{name: "madvise, unknown available memory", s: hugeSettings{thp: madvise, ceiling: math.MaxInt64}, wantSize: HugeReserve},
		{name: "at most half the memory available", s: hugeSettings{thp: madvise, available: 3 * gib, ceiling: math.MaxInt64}, wantSize: 3 * gib / 2},
		{name: "at most the soft limit in force", s: hugeSettings{thp: madvise, available: 20 * gib, ceiling: 1400 << 20}, wantSize: 1400 << 20},
		{name: "always: the heap gets them anyway", s: hugeSettings{thp: "[always] madvise never\n", ceiling: math.MaxInt64}, wantWhy: "not \"madvise\""},
		{name: "never", s: hugeSettings{thp: "always madvise [never]\n", ceiling: math.MaxInt64}, wantWhy: "not \"madvise\""},
		{name: "a kernel without them", s: hugeSettings{thp: "", ceiling: math.MaxInt64}, wantWhy: "not \"madvise\""},
		{name: "GODEBUG=disablethp=1", s: hugeSettings{thp: madvise, godebug: "madvdontneed=1,disablethp=1", ceiling: math.MaxInt64}, wantWhy: "disablethp"},
		{name: "GODEBUG=disablethp=0 changes nothing", s: hugeSettings{thp: madvise, godebug: "disablethp=1,disablethp=0", ceiling: math.MaxInt64}, wantSize: HugeReserve},
		{name: "strict overcommit", s: hugeSettings{thp: madvise, overcommit: "2\n", ceiling: math.MaxInt64}, wantWhy: "overcommit"},
		{name: "a heap with free memory it has used", s: hugeSettings{thp: madvise, free: 300 << 20, ceiling: math.MaxInt64}, wantWhy: "free memory"},
		{name: "too little memory", s: hugeSettings{thp: madvise, available: 100 << 20, ceiling: math.MaxInt64}, wantWhy: "too little"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := planHugePages(tt.s)
			assert.Equal(t, tt.wantSize, p.size)
			if tt.wantWhy == "" {
				assert.Empty(t, p.why)
			} else {
				assert.Contains(t, p.why, tt.wantWhy)
			}
		})
	}
}
