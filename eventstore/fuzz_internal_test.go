package eventstore

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

func FuzzValidateToken(f *testing.F) {
	for _, s := range []string{"SO-TC", "a.b", "a*", ">", "a b", "", "Đơn", "\x00", "\u2028", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateToken(s) != nil {
			return
		}
		for _, r := range s {
			if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}

func FuzzDecodeCommit(f *testing.F) {
	f.Add([]byte(`{"events":[{"id":"01","type":"unit.registered","schema":1,"aggregate":{"kind":"unit","id":"U"},"data":{}}]}`))
	f.Add([]byte(`{"key":"k","events":[]}`))
	f.Add([]byte(`{"events":[{"type":"unit.fact_recorded","schema":1,"data":{"name":"x"}}]}`))
	f.Add([]byte(`not json`))
	reg := NewRegistry()
	_ = reg.Register("unit.fact_recorded", 2, map[int]Upcaster{1: func(b []byte) ([]byte, error) { return b, nil }})
	s := &Store{registry: reg}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := s.decodeCommit(data, 7, "thidua.unit.U", time.Unix(0, 0), false, &Arena{})
		if err != nil {
			return
		}
		if len(c.Events) == 0 {
			t.Fatal("a decoded commit has events")
		}
		for i, e := range c.Events {
			if e.Seq != 7 || e.Index != i {
				t.Fatalf("event %d: seq %d index %d", i, e.Seq, e.Index)
			}
			_ = e.ComputeHash()
		}
	})
}
