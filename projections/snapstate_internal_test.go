package projections

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// TestMiscRoundTrip: every field of the stored indexes, keys, findings and counters comes
// back as written, and a damaged body is refused.
func TestMiscRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 9, 15, 3, 0, 0, 0, time.UTC)
	ref := eventstore.Ref{Kind: "nomination", ID: "N1"}
	in := snapMisc{
		Newest: at, KeyCount: 7, Commits: 11, Events: 13,
		ByCamp: map[string][]string{"c1": {"N1", "N2"}},
		Docs:   []snapDoc{{SHA: "ab", Noms: []string{"N1"}, Units: []string{"U1", "U2"}}, {SHA: "cd"}},
		Keys: []snapKey{{Key: "u|k|f", ID: "N1", Seqs: []uint64{3, 4}, Events: []string{"e1", "e2"},
			Aggregates: []eventstore.Ref{ref, {Kind: "unit", ID: "U1"}}, Last: at.UnixNano()}},
		KeyQueue: []snapStamp{{Prefix: "u|k", At: at.UnixNano(), N: 7}},
		Broken: []snapProblem{{Ref: ref, At: at, Problem: IntegrityProblem{Seq: 9, EventID: "e9", Aggregate: ref,
			Problem: ProblemHashMismatch, Detail: "altered"}}},
		Unknown:   map[string]int{"unit.future_thing": 2},
		Malformed: []MalformedRecord{{Seq: 5, EventID: "e5", Problem: "bad json"}},
	}
	body := encodeMisc(&in)
	out, err := decodeMisc(body, &eventstore.Arena{})
	require.NoError(t, err)
	require.Equal(t, in, out)

	for _, cut := range []int{0, 1, len(body) / 2, len(body) - 1} {
		_, err := decodeMisc(body[:cut], nil)
		require.ErrorIs(t, err, errSnapCorrupt, "cut at %d", cut)
	}
	_, err = decodeMisc(append(append([]byte(nil), body...), 0), nil)
	require.ErrorIs(t, err, errSnapCorrupt, "trailing bytes")
}
