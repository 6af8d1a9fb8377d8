package projections

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"thidua/domain"
	"thidua/eventstore"
)

// TestEntryPacking checks that an entry's packed fields come back as they went in, for
// ordinary events and for the odd ones a forged or damaged stream holds.
func TestEntryPacking(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC)
	hexA, hexB := strings.Repeat("ab", 32), strings.Repeat("0f", 32)
	hcm := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		name    string
		e       eventstore.Event
		chained bool
	}{
		{"ordinary", eventstore.Event{ID: "01J0000000000000000000000A", OccurredAt: at, RecordedAt: at, Hash: hexA, PrevHash: hexB,
			CorrelationID: "01J0000000000000000000000A", Key: "u|k|fp", Data: []byte(`{"unit":"U1"}`)}, true},
		{"first of its aggregate", eventstore.Event{ID: "E1", OccurredAt: at, RecordedAt: at, Hash: hexA, Data: []byte(`{}`)}, true},
		{"stated time in another zone, causation, correlation", eventstore.Event{ID: "E2", OccurredAt: at.Add(-time.Hour).In(hcm), RecordedAt: at,
			Hash: hexA, PrevHash: hexB, CausationID: "C", CorrelationID: "R", Data: []byte(`{"x":[1,2]}`)}, false},
		{"hashes that are not hex", eventstore.Event{ID: "E3", OccurredAt: at, RecordedAt: at, Hash: "forged", PrevHash: strings.Repeat("AB", 32),
			Data: []byte(`null`)}, false},
		{"empty payload", eventstore.Event{ID: "E4", OccurredAt: at, RecordedAt: at, Hash: hexA, PrevHash: hexB}, false},
	}
	var arena eventstore.Arena
	var buf []byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			var cold string
			buf, cold = packCold(&arena, buf, &e, tt.chained)
			ent := &Entry{Rec: domain.Recorded{ID: e.ID, At: e.RecordedAt}, cold: cold}
			c := ent.unpack()
			assert.True(t, c.occurred.Equal(e.OccurredAt))
			_, wantOff := e.OccurredAt.Zone()
			_, gotOff := c.occurred.Zone()
			assert.Equal(t, wantOff, gotOff, "the zone offset is kept (its name is not, as in the snapshot)")
			assert.Equal(t, e.Hash, ent.Hash())
			assert.Equal(t, string(e.Data), string(ent.Raw()))
			assert.Equal(t, string(e.Data), ent.payload(), "the payload alone, without unpacking the rest")
			assert.Equal(t, e.CausationID, c.causation)
			assert.Equal(t, e.CorrelationID, c.correlation)
			assert.Equal(t, tt.chained, c.chained)
			if !tt.chained {
				assert.Equal(t, e.PrevHash, c.prevHash)
			}
		})
	}
}
