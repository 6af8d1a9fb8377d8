package projections

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"thidua/eventstore"
)

// Snapshot format v2: a magic line, a header, then chunks of commits in stream order,
// each chunk length-prefixed and checksummed so that the chunks decode on every core and
// a truncated or damaged file is refused (the caller then rebuilds). Strings and byte
// strings are length-prefixed (uvarint); times are time.Time's binary form.
//
//	magic   "thidua-projections-snapshot-v2\n"
//	header  uvarint applied, uvarint lastSeq, uvarint commits, str lastHash, varint written (unix ns)
//	chunk   uvarint length, uvarint commits, uint32 crc32c (of the body), body
//	commit  uvarint seq, str key, str result, uvarint events, events
//	event   str id, str type, varint schema, str kind, str id, str user, str role,
//	        time occurred, byte flags, [time recorded], str causation, str correlation,
//	        [str prevHash], str hash, bytes data
//
// flags: 1 recorded = occurred; 2 prevHash = the hash of the aggregate's previous event.
const snapshotMagicV2 = "thidua-projections-snapshot-v2\n"

const (
	snapChunkCommits = 512
	flagSameTimes    = 1
	flagChained      = 2
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// snapRef is one commit of the model, by its entries, with the hash of the event before
// it in its aggregate.
type snapRef struct {
	seq     uint64
	prev    string
	entries []*Entry
}

// snapshotRefs lists the commits applied up to the checkpoint, in stream order. Entries
// are never changed once applied, so the caller may encode them after releasing the
// lock; the caller holds the read lock here.
func (m *Model) snapshotRefs() []snapRef {
	var out []snapRef
	for _, a := range m.aggs {
		ents := a.Entries
		for i := 0; i < len(ents); {
			seq := ents[i].Rec.Seq
			if seq > m.applied {
				break
			}
			j := i + 1
			for j < len(ents) && ents[j].Rec.Seq == seq {
				j++
			}
			prev := ""
			if i > 0 {
				prev = ents[i-1].Hash()
			}
			out = append(out, snapRef{seq: seq, prev: prev, entries: ents[i:j:j]})
			i = j
		}
	}
	return out
}

// writeSnapshotV2 writes the model's commits up to the checkpoint. It holds the read
// lock only while it lists them.
func (m *Model) writeSnapshotV2(w io.Writer) (uint64, error) {
	m.awaitHistory()
	m.mu.RLock()
	applied := m.applied
	refs := m.snapshotRefs()
	results := make(map[string]string, len(m.keys))
	for _, ke := range m.keys {
		if ke.rec.ID != "" {
			results[ke.key] = ke.rec.ID
		}
	}
	keys := m.commitKeys()
	m.mu.RUnlock()
	sortRefs(refs)
	bw := bufio.NewWriterSize(w, 1<<20)
	var lastSeq uint64
	var lastHash string
	if n := len(refs); n > 0 {
		last := refs[n-1]
		lastSeq, lastHash = last.seq, last.entries[len(last.entries)-1].Hash()
	}
	if _, err := bw.Write(appendSnapHeader([]byte(snapshotMagicV2), applied, lastSeq, len(refs), lastHash)); err != nil {
		return 0, fmt.Errorf("snapshot header: %w", err)
	}
	if err := writeChunks(bw, refs, keys, results); err != nil {
		return 0, err
	}
	return applied, nil
}

// sortRefs puts commits in stream order.
func sortRefs(refs []snapRef) {
	slices.SortFunc(refs, func(a, b snapRef) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}

// appendSnapHeader appends the header of the v2 and v3 formats after the magic line in h:
// the checkpoint, the last commit's sequence, the number of commits (v2) or aggregates
// (v3) that follow, the last commit's last hash (LoadSnapshotFile checks it against the
// stream) and when it was written.
func appendSnapHeader(h []byte, applied, lastSeq uint64, count int, lastHash string) []byte {
	h = binary.AppendUvarint(h, applied)
	h = binary.AppendUvarint(h, lastSeq)
	h = binary.AppendUvarint(h, uint64(count))
	h = appendStr(h, lastHash)
	return binary.AppendVarint(h, time.Now().UnixNano())
}

// writeChunks writes the commits in chunks, encoded on every core and written in order
// (writeOrdered), then flushes bw.
func writeChunks(bw *bufio.Writer, refs []snapRef, keys map[uint64]string, results map[string]string) error {
	n := (len(refs) + snapChunkCommits - 1) / snapChunkCommits
	return writeOrdered(bw, n, func(i int, scratch *[]byte, dst []byte) []byte {
		return encodeChunk(scratch, dst, refs[i*snapChunkCommits:min((i+1)*snapChunkCommits, len(refs))], keys, results)
	})
}

// encodeChunk appends commits to dst as one chunk, with its framing (encodeAggChunk).
func encodeChunk(scratch *[]byte, dst []byte, refs []snapRef, keys map[uint64]string, results map[string]string) []byte {
	body := (*scratch)[:0]
	for _, r := range refs {
		key := keys[r.seq]
		body = binary.AppendUvarint(body, r.seq)
		body = appendStr(body, key)
		body = appendStr(body, results[key])
		body = binary.AppendUvarint(body, uint64(len(r.entries)))
		prev := r.prev
		for _, e := range r.entries {
			body = appendStr(body, e.Rec.ID)
			body = appendStr(body, e.Rec.Type)
			body = binary.AppendVarint(body, int64(e.schema))
			body = appendStr(body, e.Aggregate.Kind)
			body = appendStr(body, e.Aggregate.ID)
			body = appendStr(body, e.Rec.Actor.User)
			body = appendStr(body, string(e.Rec.Actor.Role))
			c := e.unpack()
			body = appendTime(body, c.occurred)
			var flags byte
			if e.Rec.At.Equal(c.occurred) && e.Rec.At.Location() == c.occurred.Location() {
				flags |= flagSameTimes
			}
			if c.chained || c.prevHash == prev {
				flags |= flagChained
			}
			prev = c.hash
			body = append(body, flags)
			if flags&flagSameTimes == 0 {
				body = appendTime(body, e.Rec.At)
			}
			body = appendStr(body, c.causation)
			body = appendStr(body, c.correlation)
			if flags&flagChained == 0 {
				body = appendStr(body, c.prevHash)
			}
			body = appendStr(body, c.hash)
			body = appendStr(body, c.raw)
		}
	}
	*scratch = body
	return appendFrame(dst, body, len(refs))
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	tb, err := t.MarshalBinary()
	if err != nil {
		// A time whose zone offset is not whole minutes: keep the instant in UTC.
		tb, _ = t.UTC().MarshalBinary()
	}
	b = binary.AppendUvarint(b, uint64(len(tb)))
	return append(b, tb...)
}

// errSnapCorrupt reports a damaged snapshot.
var errSnapCorrupt = errors.New("snapshot damaged")

// snapReader decodes one chunk.
type snapReader struct {
	b     []byte
	i     int
	tab   *eventstore.Interner
	arena *eventstore.Arena
	// local, when not nil, is the worker's own copy of what it interned: the shared
	// interner's lock is then taken once per string, not once per event.
	local map[string]string
}

func (r *snapReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		panic(errSnapCorrupt)
	}
	r.i += n
	return v
}

func (r *snapReader) varint() int64 {
	v, n := binary.Varint(r.b[r.i:])
	if n <= 0 {
		panic(errSnapCorrupt)
	}
	r.i += n
	return v
}

func (r *snapReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.i) {
		panic(errSnapCorrupt)
	}
	s := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}

func (r *snapReader) str() string { return r.arena.String(r.bytes()) }

func (r *snapReader) interned() string {
	b := r.bytes()
	if r.local == nil {
		return r.tab.Intern(b)
	}
	if s, ok := r.local[string(b)]; ok {
		return s
	}
	s := r.tab.Intern(b)
	if len(r.local) < 4096 {
		r.local[s] = s
	}
	return s
}

func (r *snapReader) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary(r.bytes()); err != nil {
		panic(errSnapCorrupt)
	}
	return t
}

func (r *snapReader) byte() byte {
	if r.i >= len(r.b) {
		panic(errSnapCorrupt)
	}
	c := r.b[r.i]
	r.i++
	return c
}

// decodeChunk decodes a chunk's commits into pipeline items, payloads included. Events
// whose previous hash is chained get it filled in when applied (Model.applyDecoded).
func decodeChunk(body []byte, n int, tab *eventstore.Interner, arena *eventstore.Arena) (items []pipeItem, err error) {
	defer recoverCorrupt(&err)
	r := &snapReader{b: body, tab: tab, arena: arena}
	items = make([]pipeItem, n)
	for k := 0; k < n; k++ {
		c := eventstore.Commit{Seq: r.uvarint(), Key: r.str()}
		c.Result = r.str()
		ne := r.uvarint()
		if ne == 0 || ne > uint64(len(body)) {
			panic(errSnapCorrupt)
		}
		c.Events = make([]eventstore.Event, ne)
		var chained uint64 // bit i: event i's previous hash is chained
		for i := range c.Events {
			e := &c.Events[i]
			e.ID = r.str()
			e.Type = r.interned()
			e.Schema = int(r.varint())
			e.Aggregate.Kind = r.interned()
			e.Aggregate.ID = r.str()
			e.Actor.User = r.interned()
			e.Actor.Role = r.interned()
			e.OccurredAt = r.time()
			flags := r.byte()
			e.RecordedAt = e.OccurredAt
			if flags&flagSameTimes == 0 {
				e.RecordedAt = r.time()
			}
			e.CausationID = r.str()
			e.CorrelationID = r.str()
			if flags&flagChained == 0 {
				e.PrevHash = r.str()
			} else if i < 64 {
				chained |= 1 << i
			} else {
				panic(errSnapCorrupt)
			}
			e.Hash = r.str()
			e.Data = arena.Bytes(r.bytes())
			e.Seq, e.Index, e.Key = c.Seq, i, c.Key
		}
		items[k] = pipeItem{c: c, pre: predecode(c), chained: chained}
	}
	if r.i != len(body) {
		return nil, errSnapCorrupt
	}
	return items, nil
}

// readSnapHeader reads the header after the magic line (appendSnapHeader).
func readSnapHeader(br *bufio.Reader, magic string) (snapHeader, error) {
	h := snapHeader{Magic: magic[:len(magic)-1]}
	var err error
	u := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(br)
		return v
	}
	h.Applied, h.LastSeq = u(), u()
	h.Commits = int(u())
	n := u()
	if err == nil && n <= 128 {
		b := make([]byte, n)
		_, err = io.ReadFull(br, b)
		h.LastHash = string(b)
	} else if err == nil {
		err = errSnapCorrupt
	}
	if err == nil {
		var w int64
		w, err = binary.ReadVarint(br)
		h.Written = time.Unix(0, w).UTC()
	}
	if err != nil {
		return h, fmt.Errorf("snapshot header: %w", err)
	}
	return h, nil
}

// readSnapshotV2 builds a model from a v2 snapshot (after its magic line).
func readSnapshotV2(br *bufio.Reader) (*Model, snapHeader, error) {
	h, err := readSnapHeader(br, snapshotMagicV2)
	if err != nil {
		return nil, h, err
	}
	m := NewModel()
	// What a snapshot holds is kept for good: each worker decodes into its own arena.
	err = readChunks(br, h, func(_ int, body []byte, n int, tab *eventstore.Interner, arena *eventstore.Arena) ([]pipeItem, error) {
		return decodeChunk(body, n, tab, arena)
	}, func(items []pipeItem) error {
		m.applyItems(items)
		return nil
	})
	if err != nil {
		return nil, h, err
	}
	m.mu.Lock()
	m.applied = h.Applied
	m.mu.Unlock()
	return m, h, nil
}

// readChunks reads the commits' chunks, decodes them on every core (each worker with its
// own W) and applies them in order. It returns the first error: a short or damaged file,
// a chunk that does not decode, or apply's.
func readChunks[T any, W any](br *bufio.Reader, h snapHeader, decode func(k int, body []byte, n int, tab *eventstore.Interner, w *W) (T, error), apply func(T) error) error {
	type chunk struct {
		k    int // its place in the file, from 0
		body []byte
		n    int
		out  T
		err  error
		done chan struct{}
	}
	jobs := make(chan *chunk, 8)
	ordered := make(chan *chunk, 8)
	// Chunks' bodies are reused once applied (decode copies what it keeps): a load then
	// allocates a few dozen buffers, not the size of the file.
	free := make(chan []byte, 32)
	tab := &eventstore.Interner{} // the snapshot's repeated strings, kept once
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := new(W)
			for c := range jobs {
				c.out, c.err = decode(c.k, c.body, c.n, tab, w)
				close(c.done)
			}
		}()
	}
	var readErr error
	go func() {
		defer close(jobs)
		defer close(ordered)
		for read, k := 0, 0; read < h.Commits; k++ {
			size, err := binary.ReadUvarint(br)
			var cnt uint64
			if err == nil {
				cnt, err = binary.ReadUvarint(br)
			}
			var crc [4]byte
			if err == nil {
				_, err = io.ReadFull(br, crc[:])
			}
			if err == nil && (size > 1<<30 || cnt == 0 || cnt > uint64(h.Commits-read)) {
				err = errSnapCorrupt
			}
			var body []byte
			if err == nil {
				select {
				case b := <-free:
					if uint64(cap(b)) >= size {
						body = b[:size]
					}
				default:
				}
				if body == nil {
					body = make([]byte, size)
				}
				_, err = io.ReadFull(br, body)
			}
			if err == nil && crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(crc[:]) {
				err = errSnapCorrupt
			}
			if err != nil {
				readErr = fmt.Errorf("snapshot after %d of %d commits: %w", read, h.Commits, err)
				return
			}
			c := &chunk{k: k, body: body, n: int(cnt), done: make(chan struct{})}
			jobs <- c
			ordered <- c
			read += int(cnt)
		}
		// The chunks end the file. The header's count has no checksum: one damaged byte
		// of it that fell on a chunk's end stopped the load there, the aggregates after
		// it dropped without a word (a review finding).
		if _, err := br.ReadByte(); err != io.EOF {
			readErr = fmt.Errorf("snapshot: %w: more after the %d aggregates or commits the header counts", errSnapCorrupt, h.Commits)
		}
	}()
	var decErr error
	for c := range ordered {
		<-c.done
		if c.err != nil && decErr == nil {
			decErr = c.err
		}
		if decErr == nil {
			decErr = apply(c.out)
		}
		select {
		case free <- c.body:
		default:
		}
		c.body = nil
	}
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if decErr != nil {
		return fmt.Errorf("snapshot: %w", decErr)
	}
	return nil
}
