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

	"thidua/domain"
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
			Problem: ProblemHashMismatch, Detail: "altered"}}, {Ref: streamRef(), At: at, LostTo: 12, Problem: IntegrityProblem{Seq: 10,
			Aggregate: streamRef(), Problem: ProblemMessagesLost, Detail: "stream sequences 10 to 12 are missing"}}},
		Unknown:   map[string]int{"unit.future_thing": 2},
		Malformed: []MalformedRecord{{Seq: 5, EventID: "e5", Problem: "bad json"}},
		Digest:    eventstore.Digest{Seq: 2100, Sum: [32]byte{1, 2, 3}},
		Marks:     []eventstore.Digest{{Seq: 1024, Sum: [32]byte{4}}, {Seq: 2048, Sum: [32]byte{5}}},
	}
	body := miscBytes(t, &in)
	out, err := decodeMisc(body, &eventstore.Arena{}, true)
	require.NoError(t, err)
	require.Equal(t, in, out)

	for _, cut := range []int{0, 1, len(body) / 2, len(body) - 1} {
		_, err := decodeMisc(body[:cut], nil, true)
		require.ErrorIs(t, err, errSnapCorrupt, "cut at %d", cut)
	}
	_, err = decodeMisc(append(append([]byte(nil), body...), 0), nil, true)
	require.ErrorIs(t, err, errSnapCorrupt, "trailing bytes")
	_, err = decodeMisc(body, nil, false)
	require.ErrorIs(t, err, errSnapCorrupt, "a digest where format v4 has none")

	// Marks out of order are damage.
	in.Marks[1].Seq = 1000
	_, err = decodeMisc(miscBytes(t, &in), nil, true)
	require.ErrorIs(t, err, errSnapCorrupt, "marks out of order")
}

// miscBlocks encodes s and returns copies of the blocks encodeMisc emitted.
func miscBlocks(t *testing.T, s *snapMisc) [][]byte {
	t.Helper()
	var out [][]byte
	require.NoError(t, encodeMisc(s, func(b []byte) error {
		out = append(out, bytes.Clone(b))
		return nil
	}))
	return out
}

// miscBytes encodes s whole.
func miscBytes(t *testing.T, s *snapMisc) []byte {
	t.Helper()
	return bytes.Join(miscBlocks(t, s), nil)
}

// TestMiscIsTheSameEveryTime: the encoding of one state does not depend on the order in
// which Go ranges over its maps (a snapshot encodes it twice: once for its length and
// checksum, once to write it), and an error of the writer ends it.
func TestMiscIsTheSameEveryTime(t *testing.T) {
	t.Parallel()
	in := snapMisc{ByCamp: map[string][]string{}, Unknown: map[string]int{}}
	for i := range 50 {
		in.ByCamp[fmt.Sprintf("c%d", i)] = []string{fmt.Sprintf("N%d", i)}
		in.Unknown[fmt.Sprintf("unit.future_%d", i)] = i
	}
	first := miscBytes(t, &in)
	for range 20 {
		require.Equal(t, first, miscBytes(t, &in))
	}
	out, err := decodeMisc(first, &eventstore.Arena{}, true)
	require.NoError(t, err)
	require.Equal(t, in.ByCamp, out.ByCamp)
	require.Equal(t, in.Unknown, out.Unknown)

	for range 40_000 {
		in.Docs = append(in.Docs, snapDoc{SHA: fmt.Sprintf("%064x", len(in.Docs))})
	}
	full := errors.New("disk full")
	calls := 0
	err = encodeMisc(&in, func([]byte) error { calls++; return full })
	require.ErrorIs(t, err, full)
	require.Equal(t, 1, calls, "nothing more is emitted after an error")
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
	blocks := miscBlocks(t, &in)
	require.Greater(t, len(blocks), 2, "about 3.5 MiB: several blocks")
	for i, b := range blocks[:len(blocks)-1] {
		assert.GreaterOrEqual(t, len(b), miscBlock, "block %d is full", i)
		assert.Less(t, len(b), miscBlock+200, "block %d ends after one more item", i)
	}
	out, err := decodeMisc(bytes.Join(blocks, nil), &eventstore.Arena{}, true)
	require.NoError(t, err)
	require.Equal(t, in.Docs, out.Docs)
}

// TestCatchUpQueue: a copy of the queue of keys to forget, taken in pieces while keys were
// forgotten from its head (the array compacted meanwhile) and added at its tail, comes out
// equal to the queue as it is.
func TestCatchUpQueue(t *testing.T) {
	t.Parallel()
	stamps := func(q []keyStamp) []snapStamp {
		out := []snapStamp{}
		for _, k := range q {
			out = append(out, k.snap())
		}
		return out
	}
	tests := []struct {
		name                 string
		forget, add, compact int // what happens between the pieces, at each step
	}{
		{"nothing happens", 0, 0, 0},
		{"keys come", 0, 3, 0},
		{"keys are forgotten", 4, 0, 0},
		{"both, the array compacted", 5, 2, 1},
		{"everything is forgotten", 100, 0, 1},
		{"everything is forgotten, then keys come", 100, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := NewModel()
			n := 0
			push := func(k int) {
				for range k {
					n++
					m.keyQueue = append(m.keyQueue, keyStamp{prefix: fmt.Sprintf("u|k%d", n), at: int64(n), n: n})
				}
			}
			step := func() {
				for range tt.forget {
					if m.keyHead < len(m.keyQueue) {
						m.keyQueue[m.keyHead] = keyStamp{}
						m.keyHead++
					}
				}
				if tt.compact > 0 {
					k := copy(m.keyQueue, m.keyQueue[m.keyHead:])
					clear(m.keyQueue[k:])
					m.keyQueue, m.keyHead = m.keyQueue[:k], 0
				}
				push(tt.add)
			}
			push(20)
			// The pieces, as captureV3 takes them, with changes between them.
			var queue []snapStamp
			for lastN := 0; ; {
				rest := m.queueAfter(lastN)
				queue = append(queue, stamps(rest[:min(len(rest), 6)])...)
				if len(rest) <= 6 {
					break
				}
				lastN = queue[len(queue)-1].N
				step()
			}
			step()
			assert.Equal(t, stamps(m.keyQueue[m.keyHead:]), m.catchUpQueue(queue))
		})
	}
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

// TestNomineeFlagsRoundTrip: a nomination's head and not-head flags survive a snapshot in
// the one byte of flags, and a snapshot written before NotHead (0 or 1) reads alike.
func TestNomineeFlagsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, nominee := range []domain.Nominee{
		{Kind: domain.NomineeIndividual, Name: "Trần Thị Ngọc Hân", Position: "Giám đốc Trung tâm", NotHead: true},
		{Kind: domain.NomineeIndividual, Name: "Lưu Văn Sơn", Position: "Giám đốc Sở", Head: true},
		{Kind: domain.NomineeIndividual, Name: "Lê Văn An", Position: "Chuyên viên"},
		{Kind: domain.NomineeCollective, Name: "Sở Tư pháp"},
	} {
		in := domain.NominationState{ID: "n1", Campaign: "c", Unit: "u", Nominee: nominee, State: domain.StateDraft}
		b := appendNominationState(nil, &in)
		r := &snapReader{b: b, tab: &eventstore.Interner{}, arena: &eventstore.Arena{}}
		out := readNominationState(r)
		assert.Equal(t, nominee, out.Nominee)
	}
}
