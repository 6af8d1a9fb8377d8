package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"thidua/domain"
)

func FuzzParseDefinition(f *testing.F) {
	f.Add(domain.BuiltinCampaignJSON())
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`{"criteria":[{"rule":{"kind":"fact_number","op":"gte"}}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := domain.ParseDefinition(data)
		if err != nil {
			return
		}
		// Whatever parses must validate again and survive a round trip.
		if err := def.Validate(); err != nil {
			t.Fatalf("parsed definition does not validate: %v", err)
		}
		b, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := domain.ParseDefinition(b); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, spec := range domain.EventSpecs() {
		f.Add(spec.Type, []byte(`{}`))
	}
	f.Add(domain.FactRecorded, []byte(`{"campaign":"c","fact":"disbursement_pct","number":97,"cause":"subjective"}`))
	f.Add(domain.CampaignLaunched, []byte(`{"definition":{"id":"c","criteria":[]}}`))
	f.Add("nope", []byte(`{`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		v, err := domain.Decode(typ, data)
		if err == nil && v == nil {
			t.Fatalf("nil payload without error for %q", typ)
		}
		// Applying any decoded payload to fresh aggregates must not panic.
		r := domain.Recorded{ID: "E", Type: typ, Seq: 1, Data: v}
		domain.NewNomination().Apply(r)
		domain.NewUnit().Apply(r)
		domain.NewCampaign().Apply(r)
		domain.NewRegistry().Apply(r)
	})
}

func FuzzUpcastFactRecordedV1(f *testing.F) {
	f.Add([]byte(`{"campaign":"c","name":"par_rating","value":"Tốt"}`))
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := domain.UpcastFactRecordedV1(data)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("upcaster produced invalid JSON from %q", data)
		}
	})
}

func FuzzValidateID(f *testing.F) {
	for _, s := range []string{"SO-TC", "a.b", "a*", ">", "a b", "", "Đ", "\x00", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if domain.ValidateID(s) != nil {
			return
		}
		if strings.ContainsAny(s, ".*> \t\r\n/") || s == "" || len(s) > domain.MaxIDLength {
			t.Fatalf("accepted %q", s)
		}
	})
}
