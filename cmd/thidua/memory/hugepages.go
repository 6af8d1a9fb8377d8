package memory

import "strings"

// HugeReserve is the most address space that PreferHugePages advises for huge pages: more
// than a rebuild of a million events writes (about 2.3 GiB).
const HugeReserve = 4 << 30

// hugeDirtyMax is the most free memory the heap may hold for PreferHugePages to act. The
// reservation is one allocation: placed on memory the heap has used before, the runtime
// would clear it page by page, the very cost the huge pages avoid. A fresh process holds
// a few MiB free; one that has loaded (or reserved) before holds far more.
const hugeDirtyMax = 256 << 20

// hugePlan is what PreferHugePages decides from what the system says.
type hugePlan struct {
	// size is how much to reserve (0: nothing to do).
	size int64
	// why says why nothing is done, when size is 0.
	why string
}

// hugeSettings is what PreferHugePages reads off the system and the process.
type hugeSettings struct {
	// thp is the content of /sys/kernel/mm/transparent_hugepage/enabled.
	thp string
	// overcommit is the content of /proc/sys/vm/overcommit_memory.
	overcommit string
	// available is the kernel's MemAvailable in bytes (0: unknown).
	available int64
	// godebug is the GODEBUG environment variable.
	godebug string
	// ceiling is the soft memory limit in force (math.MaxInt64: none).
	ceiling int64
	// free is the heap's free memory, used or released (free and released metrics).
	free int64
}

// planHugePages decides how much of the heap's next growth to advise for huge pages.
// Only a kernel whose transparent huge pages are "madvise" needs the advice: with
// "always" the heap gets them anyway, with "never" not at all. GODEBUG=disablethp=1 (the
// Go runtime's own switch for the heap) turns it off, and so does strict overcommit
// (mode 2), under which a large reservation could fail and the runtime would abort. The
// size is at most HugeReserve, half of the memory available and the soft limit in force.
func planHugePages(s hugeSettings) hugePlan {
	switch {
	case !strings.Contains(s.thp, "[madvise]"):
		return hugePlan{why: "transparent huge pages are not \"madvise\": " + strings.TrimSpace(s.thp)}
	case godebugSet(s.godebug, "disablethp"):
		return hugePlan{why: "GODEBUG=disablethp=1"}
	case strings.TrimSpace(s.overcommit) == "2":
		return hugePlan{why: "strict overcommit (vm.overcommit_memory=2)"}
	case s.free > hugeDirtyMax:
		return hugePlan{why: "the heap already holds free memory it has used"}
	}
	size := int64(HugeReserve)
	if s.available > 0 {
		size = min(size, s.available/2)
	}
	size = min(size, s.ceiling)
	if size < 64<<20 {
		return hugePlan{why: "too little memory to reserve"}
	}
	return hugePlan{size: size}
}

// godebugSet reports whether GODEBUG sets key to 1 (the last setting wins).
func godebugSet(godebug, key string) bool {
	on := false
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == key {
			on = v == "1"
		}
	}
	return on
}

// heapFree is the heap's free memory, used before or released to the system.
func heapFree() int64 {
	v := readBytes("/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes")
	return v[0] + v[1]
}
