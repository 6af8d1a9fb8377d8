package eventstore

// Micro-benchmarks of the commit decoder that a projection rebuild runs once per message:
// decodeWire against encoding/json and against the v1 semantics on the v2 engine.

import (
	"encoding/json"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

func BenchmarkDecodeStd(b *testing.B) {
	s := wireSamples()[0]
	for b.Loop() {
		var w wireCommit
		if err := json.Unmarshal(s, &w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeWire(b *testing.B) {
	s := wireSamples()[0]
	for b.Loop() {
		var w wireCommit
		if err := decodeWire(s, &w, &Interner{}, &Arena{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSONv1OnV2(b *testing.B) {
	s := wireSamples()[0]
	for b.Loop() {
		var w wireCommit
		if err := jsonv1.Unmarshal(s, &w); err != nil {
			b.Fatal(err)
		}
	}
}
