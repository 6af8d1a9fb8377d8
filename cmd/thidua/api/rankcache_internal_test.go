package api

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowRanking counts its encodings, each held until released.
type slowRanking struct {
	calls   *atomic.Int32
	release chan struct{}
}

// MarshalJSON implements json.Marshaler.
func (s slowRanking) MarshalJSON() ([]byte, error) {
	s.calls.Add(1)
	<-s.release
	return []byte(`{"collective":[]}`), nil
}

// TestRankingEncodedOnceForItsReaders: the readers of a new live ranking who ask while it
// is encoded share one encoding (about 70 ms for 100,000 nominations), and later readers
// of the same commits get the kept bytes; a later ranking is encoded again.
func TestRankingEncodedOnceForItsReaders(t *testing.T) {
	t.Parallel()
	var c encodedRankings
	var calls atomic.Int32
	v := slowRanking{calls: &calls, release: make(chan struct{})}
	const readers = 8
	var wg sync.WaitGroup
	bodies := make([][]byte, readers)
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := c.encode("c1", 7, v)
			assert.NoError(t, err)
			bodies[i] = e.body
		}()
	}
	for calls.Load() == 0 {
		runtime.Gosched() // until the first encoding starts; the others join it or find its bytes
	}
	close(v.release)
	wg.Wait()
	require.Equal(t, int32(1), calls.Load(), "one encoding for every reader")
	for _, b := range bodies {
		assert.Equal(t, "{\"collective\":[]}\n", string(b))
	}
	kept, err := c.encode("c1", 7, v)
	require.NoError(t, err)
	assert.Equal(t, "{\"collective\":[]}\n", string(kept.body))
	tag := kept.tag
	assert.Equal(t, int32(1), calls.Load(), "kept")
	e8, err := c.encode("c1", 8, v)
	tag8 := e8.tag
	require.NoError(t, err)
	assert.Equal(t, int32(2), calls.Load(), "a later ranking is encoded again")

	// The tag is the bytes': another server that counts the same ranking otherwise (a
	// problem it found late) gives it the same tag, and another ranking another.
	assert.Equal(t, tag, tag8)
	var other encodedRankings
	eOther, err := other.encode("c1", 9, v)
	tagOther := eOther.tag
	require.NoError(t, err)
	assert.Equal(t, tag, tagOther)
	eNew, err := other.encode("c1", 10, map[string]any{"collective": []int{1}})
	tagNew := eNew.tag
	require.NoError(t, err)
	assert.NotEqual(t, tag, tagNew)
}

// TestRankingGzippedOnceForItsReaders: the readers of a live ranking who accept gzip get
// one compression of its bytes, made by the first of them, which decodes to the bytes;
// a later ranking is compressed again.
func TestRankingGzippedOnceForItsReaders(t *testing.T) {
	t.Parallel()
	var c encodedRankings
	v := map[string]any{"collective": strings.Repeat("Ủy ban nhân dân xã ", 2000)}
	var wg sync.WaitGroup
	out := make([][]byte, 8)
	for i := range out {
		wg.Go(func() {
			if e, err := c.encode("c1", 7, v); assert.NoError(t, err) {
				out[i], err = e.gzipped()
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	e, err := c.encode("c1", 7, v)
	require.NoError(t, err)
	for _, gz := range out {
		require.Same(t, &out[0][0], &gz[0], "one compression for every reader")
	}
	zr, err := gzip.NewReader(bytes.NewReader(out[0]))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, e.body, plain)
	assert.Less(t, len(out[0]), len(e.body)/10)

	e8, err := c.encode("c1", 8, v)
	require.NoError(t, err)
	gz8, err := e8.gzipped()
	require.NoError(t, err)
	assert.NotSame(t, &out[0][0], &gz8[0], "a later ranking is compressed again")
}

// TestAcceptsGzip: Accept-Encoding accepts gzip when it names gzip (or x-gzip) with a
// weight above 0, or, naming neither, "*" with one; a malformed weight accepts nothing.
func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"identity"}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"br", "gzip;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"zstd, gzip;q=0, *"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"gzip;q=2"}, false},
		{[]string{"zstd"}, false},
	} {
		assert.Equal(t, tc.want, acceptsGzip(tc.values), "%q", tc.values)
	}
}
