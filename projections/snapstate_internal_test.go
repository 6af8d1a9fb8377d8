package projections

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	body := bytes.Join(encodeMisc(&in), nil)
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

// TestMiscBlocks: a state of several MiB is encoded in blocks of about miscBlock bytes,
// none grown past it by more than one item, and their concatenation decodes to the state.
func TestMiscBlocks(t *testing.T) {
	t.Parallel()
	var in snapMisc
	in.ByCamp, in.Unknown = map[string][]string{}, map[string]int{}
	for i := range 40_000 {
		in.Docs = append(in.Docs, snapDoc{SHA: fmt.Sprintf("%064x", i), Noms: []string{fmt.Sprintf("N%d", i)}, Units: []string{"U1"}})
	}
	blocks := encodeMisc(&in)
	require.Greater(t, len(blocks), 2, "about 3.5 MiB: several blocks")
	for i, b := range blocks[:len(blocks)-1] {
		assert.GreaterOrEqual(t, len(b), miscBlock, "block %d is full", i)
		assert.Less(t, len(b), miscBlock+200, "block %d ends after one more item", i)
	}
	out, err := decodeMisc(bytes.Join(blocks, nil), &eventstore.Arena{})
	require.NoError(t, err)
	require.Equal(t, in.Docs, out.Docs)
}

// TestWriteOrderedReusesBuffers: chunks encoded on every core come out in order and whole,
// though each is encoded into a buffer of a chunk written before it, and each worker keeps
// its scratch space from one chunk to the next; a failing writer's error is returned.
func TestWriteOrderedReusesBuffers(t *testing.T) {
	t.Parallel()
	const n = 300 // several times the chunks in flight, so that buffers come back
	chunk := func(i int) []byte {
		b := make([]byte, 1+(i*7919)%5000) // sizes that grow and shrink
		for k := range b {
			b[k] = byte(i + k)
		}
		return b
	}
	var want bytes.Buffer
	for i := range n {
		want.Write(chunk(i))
	}
	var reused, scratchKept atomic.Int64
	var got bytes.Buffer
	bw := bufio.NewWriterSize(&got, 4096)
	err := writeOrdered(bw, n, func(i int, scratch *[]byte, dst []byte) []byte {
		if cap(dst) > 0 {
			reused.Add(1)
		}
		if cap(*scratch) > 0 {
			scratchKept.Add(1)
		}
		*scratch = append((*scratch)[:0], chunk(i)...)
		return append(dst, *scratch...)
	})
	require.NoError(t, err)
	require.Equal(t, want.Bytes(), got.Bytes())
	require.Positive(t, reused.Load(), "written chunks' buffers are used again")
	require.Positive(t, scratchKept.Load(), "a worker's scratch space is kept")

	bw = bufio.NewWriterSize(failingWriter{}, 16)
	err = writeOrdered(bw, n, func(i int, _ *[]byte, dst []byte) []byte { return append(dst, chunk(i)...) })
	require.ErrorIs(t, err, errDiskFull)
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }
