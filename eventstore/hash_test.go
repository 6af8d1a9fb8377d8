package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// referenceHash is ComputeHash as first written (a hasher fed field by field): the
// framing of every stored hash, which must never change.
func referenceHash(e *Event) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field("thidua-event-v1")
	field(e.ID)
	field(e.Type)
	field(strconv.Itoa(e.Schema))
	field(e.Aggregate.Kind)
	field(e.Aggregate.ID)
	field(e.Actor.User)
	field(e.Actor.Role)
	field(e.OccurredAt.UTC().Format(time.RFC3339Nano))
	field(e.RecordedAt.UTC().Format(time.RFC3339Nano))
	field(e.CausationID)
	field(e.CorrelationID)
	field(e.PrevHash)
	field(string(e.Data))
	return hex.EncodeToString(h.Sum(nil))
}

func TestComputeHashFraming(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	str := func() string { return strings.Repeat("Đạt-x", rng.IntN(40)) }
	loc := time.FixedZone("ICT", 7*3600)
	for i := 0; i < 2000; i++ {
		e := Event{ID: str(), Type: str(), Schema: rng.IntN(2000) - 1000, Aggregate: Ref{Kind: str(), ID: str()},
			Actor: Actor{User: str(), Role: str()}, OccurredAt: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(loc),
			RecordedAt: time.Unix(rng.Int64N(4e9), 0), CausationID: str(), CorrelationID: str(), PrevHash: str(),
			Data: json.RawMessage(strings.Repeat(`{"a":"b"}`, rng.IntN(300)))}
		if i%2 == 1 {
			// Recorded when it occurred (as most events are), in another zone.
			e.RecordedAt = e.OccurredAt.UTC()
		}
		if i == 0 {
			e = Event{}
		}
		if got, want := e.ComputeHash(), referenceHash(&e); got != want {
			t.Fatalf("event %d: %s, want %s", i, got, want)
		}
	}
}

// HashMatches agrees with ComputeHash: true for the hash the event was stamped with,
// false once any hashed field changes, whether or not it was recorded when it occurred.
func TestHashMatches(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 1, 8, 30, 0, 123, time.UTC)
	for _, recorded := range []time.Time{at, at.Add(time.Minute), at.In(time.FixedZone("ICT", 7*3600))} {
		e := Event{ID: "01J00000000000000000000000", Type: "unit.registered", Schema: 1,
			Aggregate: Ref{Kind: "unit", ID: "SO-A"}, Actor: Actor{User: "u", Role: "admin"},
			OccurredAt: at, RecordedAt: recorded, PrevHash: "ab", Data: []byte(`{"x":1}`)}
		e.Hash = e.ComputeHash()
		if !e.HashMatches() {
			t.Fatalf("recorded %s: the stamped hash does not match", recorded)
		}
		for name, change := range map[string]func(*Event){
			"data":        func(e *Event) { e.Data = []byte(`{"x":2}`) },
			"recorded at": func(e *Event) { e.RecordedAt = e.RecordedAt.Add(time.Nanosecond) },
			"occurred at": func(e *Event) { e.OccurredAt = e.OccurredAt.Add(time.Nanosecond) },
			"prev hash":   func(e *Event) { e.PrevHash = "ac" },
		} {
			changed := e
			change(&changed)
			if changed.HashMatches() {
				t.Errorf("recorded %s: %s changed, the hash still matches", recorded, name)
			}
		}
	}
}
