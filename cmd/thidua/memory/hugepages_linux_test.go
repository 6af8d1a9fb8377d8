package memory

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestMemAvailable(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int64(22_000_000)<<10, memAvailable("MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   22000000 kB\n"))
	assert.Zero(t, memAvailable("MemTotal:       24000000 kB\n"))
	assert.Zero(t, memAvailable("MemAvailable: lots\n"))
	assert.Zero(t, memAvailable(""))
}

// vmFlags returns the VmFlags of the mapping of this process that holds addr.
func vmFlags(t *testing.T, addr uintptr) []string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uint64(addr) >= l && uint64(addr) < h
				continue
			}
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.Fields(rest)
		}
	}
	require.NoError(t, sc.Err())
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

// TestReserveHugeAdvisesTheHeapRange allocates a reservation on the heap, and checks that
// the kernel flags its mapping for huge pages ("hg"), then, once taken back, against them
// ("nh"). It needs a kernel with transparent huge pages, whatever their mode.
func TestReserveHugeAdvisesTheHeapRange(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages")
	}
	ranges := reserveHuge(64 << 20)
	require.Len(t, ranges, 1, "the advice failed")
	start, n := ranges[0].start, ranges[0].n
	assert.Equal(t, uintptr(64<<20), n)
	mid := start + n/2
	assert.Contains(t, vmFlags(t, mid), "hg", fmt.Sprintf("mapping of %#x", mid))
	require.NoError(t, madvise(start, n, unix.MADV_NOHUGEPAGE))
	flags := vmFlags(t, mid)
	assert.Contains(t, flags, "nh")
	assert.NotContains(t, flags, "hg")
}

// anonHuge reads how much of this process's memory is in transparent huge pages.
func anonHuge(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			kb, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no AnonHugePages in smaps_rollup")
	return 0
}

// TestPreferHugePagesOnThisMachine runs the whole policy on this machine: it does
// something exactly when the plan says so, the reservation is not held, and where it
// acts, the heap's next growth is in huge pages.
func TestPreferHugePagesOnThisMachine(t *testing.T) {
	stop, size, why := PreferHugePages()
	defer stop()
	if size == 0 {
		assert.NotEmpty(t, why, "nothing done needs a reason")
		t.Log("no huge pages here:", why)
		return
	}
	assert.Empty(t, why)
	assert.LessOrEqual(t, size, int64(HugeReserve))
	// The reservation is freed and handed back at once: the heap does not hold it.
	live, _, total := Use()
	assert.Less(t, live, size)
	assert.Less(t, total, size)

	// The heap grows by 256 MiB of small objects (more than any free memory an earlier
	// test left below the reservation): most of it comes in huge pages.
	before := anonHuge(t)
	keep := make([][]byte, 0, 256)
	for range 256 {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	grown := anonHuge(t) - before
	t.Logf("reserved %d MiB; huge pages grew by %d MiB", size>>20, grown>>20)
	assert.GreaterOrEqual(t, grown, int64(128<<20))
	runtime.KeepAlive(keep)
}
