package eventstore

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// wireSamples are message bodies of the shapes the store writes, and some it does not.
func wireSamples() [][]byte {
	now := time.Date(2025, 9, 15, 3, 4, 5, 123456789, time.UTC)
	e := Event{ID: "01K5A1B2C3D4E5F6G7H8J9K0MN", Type: "nomination.criterion_ruled", Schema: 1,
		Aggregate: Ref{Kind: "nomination", ID: "01K5A1B2C3D4E5F6G7H8J9K0MX"}, Actor: Actor{User: "u1", Role: "reviewer"},
		OccurredAt: now, RecordedAt: now.Add(time.Second), CausationID: "c", CorrelationID: "d",
		PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Hash: "ab",
		Data: json.RawMessage(`{"criterion":"C01","result":"met","note":"Đạt <có> minh chứng \u2028 \"x\"","n":[1,2.5e-3,-0,true,false,null,{}]}`)}
	two := e
	two.ID, two.Data = "second", json.RawMessage(`{}`)
	var out [][]byte
	for _, w := range []wireCommit{{Events: []Event{e}}, {Key: "u|k|fp", Result: "r", Events: []Event{e, two}}, {Events: []Event{}}} {
		b, _ := json.Marshal(w)
		out = append(out, b)
	}
	out = append(out,
		[]byte(` {"events":[{"id":"a","data":null}]} `),
		[]byte(`{"events":[{"ID":"a"}]}`),
		[]byte(`{"events":[{"id":"a","id":"b"}]}`),
		[]byte(`{"Key":"x","events":[{"id":"a"}]}`),
		[]byte(`{"events":[{"id":"a\u00e9\n","type":"t","schema":2.0}]}`),
		[]byte(`{"events":[{"id":"a","schema":01}]}`),
		[]byte(`{"events":[{"id":"a","recorded_at":"2025-13-01T00:00:00Z"}]}`),
		[]byte(`{"events":[{"id":"a","recorded_at":null,"aggregate":null}]}`),
		[]byte(`{"events":[{"id":"a","extra":{"deep":[1,{"x":"y"}]},"aggregate":{"kind":"unit","id":"U","more":1}}]}`),
		[]byte(`{"events":null}`),
		[]byte(`{"events":[null]}`),
		[]byte(`null`),
		[]byte(`{"events":[{"id":"a"}]} x`),
		[]byte(`{"events":[{"id":"a","data":{"x":"\ud800"}}]}`),
		[]byte("{\"events\":[{\"id\":\"\xff\xfe\"}]}"),
		[]byte(`{"events":[{"id":"a","data":{"x":1}}],}`),
		[]byte(`{"events":[{"id":"a","schema":99999999999999999999}]}`),
	)
	return out
}

// checkWire compares decodeWire with json.Unmarshal on one input.
func checkWire(t *testing.T, data []byte) {
	t.Helper()
	var fast, std wireCommit
	ferr := decodeWire(data, &fast, &Interner{}, &Arena{})
	serr := json.Unmarshal(data, &std)
	if (ferr == nil) != (serr == nil) || (ferr != nil && ferr.Error() != serr.Error()) {
		t.Fatalf("%q: decodeWire error %v, json.Unmarshal error %v", data, ferr, serr)
	}
	if ferr == nil && !reflect.DeepEqual(fast, std) {
		t.Fatalf("%q:\ndecodeWire   %#v\njson.Unmarshal %#v", data, fast, std)
	}
	// Decoding into a view of the message gives the same, copying nothing.
	var view wireCommit
	verr := decodeWire(data, &view, &Interner{}, ViewArena())
	if (verr == nil) != (ferr == nil) || (ferr == nil && !reflect.DeepEqual(fast, view)) {
		t.Fatalf("%q:\ninto an arena %#v (%v)\ninto a view    %#v (%v)", data, fast, ferr, view, verr)
	}
}

func TestDecodeWireIsJSONUnmarshal(t *testing.T) {
	t.Parallel()
	if !wireFastOK {
		t.Fatal("the fast path is off: wireCommit or Event changed; teach wire.go the new fields")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const mutants = "{}[]\":,\\ 0aeE-.nul\x00\xff"
	for _, s := range wireSamples() {
		checkWire(t, s)
		// Mutations: a byte changed, dropped or inserted anywhere.
		for i := 0; i < 3000; i++ {
			b := append([]byte(nil), s...)
			if len(b) == 0 {
				break
			}
			k := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[k] = mutants[rng.IntN(len(mutants))]
			case 1:
				b = append(b[:k], b[k+1:]...)
			default:
				b = append(b[:k], append([]byte{mutants[rng.IntN(len(mutants))]}, b[k:]...)...)
			}
			checkWire(t, b)
		}
	}
}

func FuzzDecodeWire(f *testing.F) {
	for _, s := range wireSamples() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkWire(t, data) })
}
