package eventstore

import "sync"

// Interner keeps one copy of the short strings that every decoded event repeats (event
// types, aggregate kinds, users' ids, roles), so that a model of a million events holds
// each of them once. A Store has one for the envelopes it decodes; a snapshot reader
// takes its own. It stops growing at internMax strings (a few MB at most), which a
// ministry's users fit in: past it, each further string is copied where it is used. The
// zero value is ready for use, and it is safe for concurrent use.
type Interner struct {
	mu sync.RWMutex
	m  map[string]string
}

// internMax bounds an Interner. It was 16,384 until a workload of 20,000 clerks filled it
// and a fifth of their events allocated their user's id again.
const internMax = 1 << 17

// Intern returns b as a string: the interner's copy when it holds one. Strings longer than
// 64 bytes are copied, not kept. A nil Interner copies.
func (t *Interner) Intern(b []byte) string {
	if t == nil || len(b) > 64 {
		return string(b)
	}
	t.mu.RLock()
	s, ok := t.m[string(b)]
	n := len(t.m)
	t.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	if n < internMax {
		t.mu.Lock()
		if t.m == nil {
			t.m = map[string]string{}
		}
		if u, ok := t.m[s]; ok {
			s = u
		} else {
			t.m[s] = s
		}
		t.mu.Unlock()
	}
	return s
}
