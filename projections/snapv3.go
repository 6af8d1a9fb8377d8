package projections

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"thidua/domain"
	"thidua/eventstore"
)

// Snapshot format v3 stores the model as it is in memory: each aggregate with its
// entries (their packed fields as they are, entry.go) and, for units and nominations, its
// folded state; then the indexes, keys, integrity findings and counters (snapstate.go).
// A load therefore folds, hashes and decodes nothing but the campaigns' and the
// registry's few events, and aggregates decode on every core, in any order.
//
//	magic   "thidua-projections-snapshot-v5\n"
//	header  as in v2 (appendSnapHeader), counting aggregates instead of commits
//	checks  uvarint ChecksVersion
//	misc    uvarint length, uint32 crc32c, snapMisc (encodeMisc; ending with the
//	        stream's digest and its marks from v5 on)
//	chunks  uvarint length, uvarint aggregates, uint32 crc32c (of the body), body
//	agg     str kind, str id, uvarint entries, entries, byte state (0 none, 1 unit,
//	        2 nomination), [state]
//	entry   uvarint seq, uvarint index, str id, str type, varint schema,
//	        time recorded, str user, str role, byte other, [str kind, str id], bytes cold
//
// other is 1 when the event names another aggregate than the one it is stored with (a
// forged event, kept as it came). The entries' payloads are decoded after the load, in
// the background, once StartFeed has caught the model up or the first query needs them
// (Model.DecodeHistory); until they are, the queries that read them wait. Hashes are not
// recomputed: the snapshot is the model's own file, written after it checked every event
// it holds, and it carries what that check found: so a snapshot written under other
// checks (another ChecksVersion, or format v3, which did not record it) is Outdated, and a
// server rebuilds the model instead, every event checked by this version. `thidua verify`
// checks the stream itself.
const snapshotMagicV5 = "thidua-projections-snapshot-v5\n"

// snapshotMagicV4 starts a snapshot of format v4: v5 without the stream's digest, which
// the model then reads from the stream once (Model.FillDigest).
const snapshotMagicV4 = "thidua-projections-snapshot-v4\n"

// snapshotMagicV3 starts a snapshot of format v3: v4 without the checks'
// version. It loads as v4 does, and is Outdated.
const snapshotMagicV3 = "thidua-projections-snapshot-v3\n"

// ChecksVersion numbers the checks the model makes of every event it applies: its actor,
// its payload, its recorded time against its storage (ProblemForwardDated, from 2), and
// whether its aggregate's rules admit it where it stands (the campaign definition in
// force, the state machine, the award rules every version applied). A v4 snapshot
// records the number it was written under, since the integrity findings it carries are
// those checks'; a model is not loaded from a snapshot written under another number, but
// rebuilt (Snapshot.Outdated). Increase it with every change to those checks, and with
// every change to what the fold keeps that decides who may read what: 3 gives a
// document a ruling cites to the nomination's unit at the ruling, no longer to every unit
// of the nomination's history; 4 checks a nomination event against every definition its
// command could have decided on (domain.Nomination.RefusesUnder), no longer against the
// latest the model had applied, and keeps a campaign's nominations in the order of their
// openings in the stream; 5 records a message that is no commit as an integrity problem
// of its aggregate (it was only counted), and refuses a second registration of a user id
// (the first stands, as thidua verify keeps it); 6 reads campaign.launched and
// campaign.revised of schema 2 (domain.CampaignSchema) as current, where 5 names them
// schema_newer, so that a version before 6 does not load a snapshot holding a campaign
// under a rules revision it does not know, but rebuilds and names the events.
const ChecksVersion = 6

// ErrSnapshotOutdated is returned (wrapped) by Snapshot.Outdated for a snapshot written
// under other integrity checks than this version's (ChecksVersion): its findings are not
// this version's, so a model that answers with them is rebuilt from the stream instead.
var ErrSnapshotOutdated = errors.New("snapshot written under other integrity checks")

// snapAggsPerChunk is the number of aggregates in one chunk of a v3 snapshot.
const snapAggsPerChunk = 1024

// capAggsPerHold is the number of aggregates a snapshot takes per hold of the model's
// read lock (four times as many keys or documents): a few milliseconds' worth.
const capAggsPerHold = 256

// v3Capture is the model taken at one moment for a v3 snapshot.
type v3Capture struct {
	applied  uint64
	lastSeq  uint64
	lastHash string
	aggs     []v3Agg
	misc     snapMisc
}

// v3Agg is one aggregate as captured: its entries, and its state, which is taken only
// when its chunk is encoded (takeStates).
type v3Agg struct {
	ref     eventstore.Ref
	entries []*Entry
	unit    *domain.UnitState
	nom     *domain.NominationState
}

// captureV3 takes the model at one moment. The state must not include commits the feed
// has not delivered (ApplyCommitted runs ahead of it), so it waits, briefly, for a moment
// without them; ok is false when none came (the caller then writes v2, which needs no
// state).
//
// Taking a million events' aggregates at once would hold the read lock for a third of a
// second, and every command waits behind a held lock. So the aggregates are taken a chunk
// at a time, the lock released between chunks, while the model notes which aggregates
// commits change meanwhile (capDirty). At the end, under the lock, those are taken again
// with the indexes and counters: every aggregate is then as it was at that last moment,
// since the ones not taken again have not changed since they were taken. Entries never
// change once applied, so only their list is taken. The folded states are not taken
// here: from that last moment on, commits keep the ones they change (keepPreImage), and
// each chunk takes its states as it is encoded (takeStates).
//
// The caller holds capMu.
func (m *Model) captureV3() (c v3Capture, ok bool) {
	var longest time.Duration // the longest hold of the lock
	var since time.Time
	rlock := func() { m.mu.RLock(); since = time.Now() }
	runlock := func() { longest = max(longest, time.Since(since)); m.mu.RUnlock() }
	defer func() { m.capHold.Store(int64(longest)) }()
	// The lists are made outside the lock (an allocation may have to help the collector),
	// a little larger than the model's maps were a moment before.
	m.mu.RLock()
	nKeys, nQueue := len(m.keys), len(m.keyQueue)-m.keyHead
	m.mu.RUnlock()
	keys := make([]*keyEntry, 0, nKeys+nKeys/64+64)
	queue := make([]snapStamp, 0, nQueue+nQueue/64+64)
	rlock()
	// Only writers read capDirty, and they are held off by the read lock.
	m.capDirty = map[eventstore.Ref]struct{}{}
	// The aggregates and documents are lists that only grow: taken as they are now.
	all := m.aggList[:len(m.aggList):len(m.aggList)]
	docs := m.docList[:len(m.docList):len(m.docList)]
	for _, ke := range m.keys {
		keys = append(keys, ke)
	}
	runlock()
	// The idempotency keys, likewise; the prefixes that commits (or forgetting) change
	// meanwhile are noted in capKeys.
	keyAt := make(map[string]int, len(keys))
	capKeys := make([]snapKey, len(keys), len(keys)+len(keys)/64)
	for i := 0; i < len(keys); i += 4 * m.capChunk {
		rlock()
		for j := i; j < min(i+4*m.capChunk, len(keys)); j++ {
			capKeys[j] = captureKey(keys[j])
		}
		runlock()
		for j := i; j < min(i+4*m.capChunk, len(keys)); j++ {
			keyAt[keyPrefix(capKeys[j].Key)] = j
		}
	}
	// The queue of keys to forget, likewise: its entries' n only grow, so each chunk is
	// found by n wherever forgetting and compaction moved it, and the last hold only trims
	// what was forgotten meanwhile and adds what came (captureMisc). Copied there whole, a
	// million events' queue of 100,000 entries held the lock for 30 ms.
	for lastN := 0; ; {
		rlock()
		rest := m.queueAfter(lastN)
		for _, k := range rest[:min(len(rest), 4*m.capChunk)] {
			queue = append(queue, k.snap())
		}
		done := len(rest) <= 4*m.capChunk
		runlock()
		if len(queue) > 0 {
			lastN = queue[len(queue)-1].N
		}
		if done {
			break
		}
	}
	// The documents, likewise in chunks; the ones that gain an owner meanwhile are noted
	// in capDocs, and the ones first seen meanwhile are past len(docs).
	c.misc.Docs = make([]snapDoc, len(docs), len(docs)+len(docs)/64)
	for i := 0; i < len(docs); i += 4 * m.capChunk {
		rlock()
		for j := i; j < min(i+4*m.capChunk, len(docs)); j++ {
			c.misc.Docs[j] = captureDoc(docs[j])
		}
		runlock()
	}
	c.aggs = make([]v3Agg, 0, len(all)+len(all)/64)
	at := make(map[eventstore.Ref]int, len(all))
	for i := 0; i < len(all); i += m.capChunk {
		rlock()
		for _, a := range all[i:min(i+m.capChunk, len(all))] {
			if va, ok := m.captureAgg(a); ok {
				at[a.Ref] = len(c.aggs)
				c.aggs = append(c.aggs, va)
			}
		}
		runlock()
		if m.capHook != nil {
			m.capHook()
		}
	}
	deadline := time.Now().Add(m.snapWait)
	for {
		rlock()
		if len(m.ahead) == 0 && m.lastSeq <= m.applied {
			m.retake(&c, at, len(docs), &capKeys, keyAt)
			misc := m.captureMisc(queue)
			misc.Docs = c.misc.Docs
			c.applied, c.misc = m.applied, misc
			// The moment: from now on a commit keeps the state of each aggregate it
			// changes first (keepPreImage), until the snapshot is written (endPreImages).
			m.capPre = map[eventstore.Ref]preImage{}
			runlock()
			c.misc.Keys = capKeys[:0]
			for _, k := range capKeys {
				if k.Key != "" {
					c.misc.Keys = append(c.misc.Keys, k)
				}
			}
			c.lastSeq, c.lastHash = lastOf(c.aggs)
			return c, true
		}
		ch := m.changed
		wait := time.Until(deadline)
		if wait <= 0 {
			m.capDirty, m.capDocs, m.capKeys = nil, nil, nil
			runlock()
			return v3Capture{}, false
		}
		runlock()
		select {
		case <-ch:
		case <-time.After(min(wait, 100*time.Millisecond)):
		}
	}
}

// retake takes again what commits changed while the capture ran (capDirty, capDocs,
// capKeys) and what they added: aggregates into c.aggs (at: their index there), the
// documents past the nDocs first, the keys into keys (keyAt: their index; a key forgotten
// meanwhile is left empty, to be dropped). It stops the noting; the caller holds the read
// lock at a moment without commits ahead of the feed.
func (m *Model) retake(c *v3Capture, at map[eventstore.Ref]int, nDocs int, keys *[]snapKey, keyAt map[string]int) {
	for ref := range m.capDirty {
		a := m.aggs[ref]
		if a == nil {
			continue
		}
		va, ok := m.captureAgg(a)
		switch i, seen := at[ref]; {
		case !ok:
		case seen:
			c.aggs[i] = va
		default:
			c.aggs = append(c.aggs, va)
		}
	}
	for _, d := range m.capDocs {
		if d.pos < nDocs {
			c.misc.Docs[d.pos] = captureDoc(d)
		}
	}
	for _, d := range m.docList[nDocs:] {
		c.misc.Docs = append(c.misc.Docs, captureDoc(d))
	}
	for _, prefix := range m.capKeys {
		i, seen := keyAt[prefix]
		switch ke := m.keys[prefix]; {
		case ke != nil && seen:
			(*keys)[i] = captureKey(ke)
		case ke != nil:
			keyAt[prefix] = len(*keys)
			*keys = append(*keys, captureKey(ke))
		case seen:
			(*keys)[i] = snapKey{} // forgotten meanwhile
		}
	}
	m.capDirty, m.capDocs, m.capKeys = nil, nil, nil
}

// lastOf returns the sequence and hash of the latest entry of the aggregates taken.
func lastOf(aggs []v3Agg) (uint64, string) {
	var last *Entry
	for i := range aggs {
		if e := aggs[i].entries[len(aggs[i].entries)-1]; last == nil || e.Rec.Seq > last.Rec.Seq {
			last = e
		}
	}
	if last == nil {
		return 0, ""
	}
	return last.Rec.Seq, last.Hash()
}

// LastSnapshotHold returns the longest the last snapshot of the folded state held the
// model's read lock at once (commands that apply a commit wait that long at most).
func (m *Model) LastSnapshotHold() time.Duration { return time.Duration(m.capHold.Load()) }

// captureAgg takes one aggregate's entries; the caller holds the read lock. ok is false
// for an aggregate without entries.
func (m *Model) captureAgg(a *Aggregate) (va v3Agg, ok bool) {
	if len(a.Entries) == 0 {
		return v3Agg{}, false
	}
	return v3Agg{ref: a.Ref, entries: a.Entries[:len(a.Entries):len(a.Entries)]}, true
}

// preImage is an aggregate's folded state as a snapshot's moment left it (stateOf).
type preImage struct {
	unit *domain.UnitState
	nom  *domain.NominationState
}

// stateOf copies the folded state of the aggregate ref (none for other kinds, or when it
// has none); the caller holds the lock.
func (m *Model) stateOf(ref eventstore.Ref) preImage {
	switch ref.Kind {
	case domain.KindUnit:
		if u := m.units[ref.ID]; u != nil {
			st := u.Snapshot()
			return preImage{unit: &st}
		}
	case domain.KindNomination:
		if n := m.noms[ref.ID]; n != nil {
			st := n.Snapshot()
			return preImage{nom: &st}
		}
	}
	return preImage{}
}

// keepPreImage keeps the state of the aggregate ref as the snapshot being written needs
// it, before a commit changes it for the first time since the snapshot's moment; the
// caller holds the write lock, and capPre is not nil.
func (m *Model) keepPreImage(ref eventstore.Ref) {
	if _, kept := m.capPre[ref]; !kept {
		m.capPre[ref] = m.stateOf(ref)
	}
}

// takeStates fills in the states of aggs, a chunk about to be encoded, as they were at
// the snapshot's moment: the state kept before a later commit changed it (capPre), or
// else the current one. It takes them m.capChunk at a time under the read lock, and
// raises *longest to its longest hold.
func (m *Model) takeStates(aggs []v3Agg, longest *atomic.Int64) {
	for i := 0; i < len(aggs); i += m.capChunk {
		m.mu.RLock()
		t0 := time.Now()
		for j := i; j < min(i+m.capChunk, len(aggs)); j++ {
			a := &aggs[j]
			p, kept := m.capPre[a.ref]
			if !kept {
				p = m.stateOf(a.ref)
			}
			a.unit, a.nom = p.unit, p.nom
		}
		held := int64(time.Since(t0))
		m.mu.RUnlock()
		for {
			if old := longest.Load(); held <= old || longest.CompareAndSwap(old, held) {
				break
			}
		}
	}
}

// writeSnapshotV3 writes the v3 format; ok is false when the model could not be taken
// at a moment without commits ahead of the feed (see captureV3).
func (m *Model) writeSnapshotV3(w io.Writer) (applied uint64, ok bool, err error) {
	m.awaitHistory()
	// One snapshot at a time, from its capture to its last byte: the states kept for it
	// (capPre) are its moment's.
	m.capMu.Lock()
	defer m.capMu.Unlock()
	c, ok := m.captureV3()
	if !ok {
		return 0, false, nil
	}
	var longest atomic.Int64
	defer m.endPreImages(&longest)
	// The misc section's length and checksum come before it: it is encoded twice, once
	// for them and once to write it, so that it is never held whole.
	size, crc := 0, uint32(0)
	_ = encodeMisc(&c.misc, func(b []byte) error {
		size, crc = size+len(b), crc32.Update(crc, crcTable, b)
		return nil
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	h := appendSnapHeader([]byte(snapshotMagicV5), c.applied, c.lastSeq, len(c.aggs), c.lastHash)
	h = binary.AppendUvarint(h, ChecksVersion)
	h = binary.AppendUvarint(h, uint64(size))
	h = binary.LittleEndian.AppendUint32(h, crc)
	if _, err := bw.Write(h); err != nil {
		return 0, true, fmt.Errorf("snapshot header: %w", err)
	}
	written, check := 0, uint32(0)
	err = encodeMisc(&c.misc, func(b []byte) error {
		written, check = written+len(b), crc32.Update(check, crcTable, b)
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return 0, true, fmt.Errorf("snapshot state: %w", err)
	}
	if written != size || check != crc {
		// Only a change of the captured state between the two encodings could do it.
		return 0, true, fmt.Errorf("snapshot state: encoded twice, %d then %d bytes (crc %08x then %08x)", size, written, crc, check)
	}
	c.misc = snapMisc{} // written: what it held may go before the chunks are encoded
	err = writeOrdered(bw, (len(c.aggs)+snapAggsPerChunk-1)/snapAggsPerChunk, func(i int, scratch *[]byte, dst []byte) []byte {
		aggs := c.aggs[i*snapAggsPerChunk : min((i+1)*snapAggsPerChunk, len(c.aggs))]
		if m.writeHook != nil {
			m.writeHook()
		}
		m.takeStates(aggs, &longest)
		out := encodeAggChunk(scratch, dst, aggs)
		clear(aggs) // encoded: the states captured may go before the snapshot's end
		return out
	})
	if err != nil {
		return 0, true, err
	}
	return c.applied, true, nil
}

// endPreImages ends the keeping of states that writeSnapshotV3's capture began, and
// raises the longest hold of the lock LastSnapshotHold reports to longest.
func (m *Model) endPreImages(longest *atomic.Int64) {
	m.mu.Lock()
	m.capPre = nil
	m.mu.Unlock()
	if l := longest.Load(); l > m.capHold.Load() {
		m.capHold.Store(l)
	}
}

// writeOrdered encodes n chunks on every core and writes them in order, then flushes.
// encode appends chunk i, framed, to dst (a buffer of a chunk already written, handed back
// for reuse, or nil) and may keep its worker's scratch space in *scratch from one chunk to
// the next. A snapshot of a million events is 470 MB of chunks: buffers grown anew for
// every chunk allocated three times that, and the collector of a running server had to
// clear it up beside the commands.
func writeOrdered(bw *bufio.Writer, n int, encode func(i int, scratch *[]byte, dst []byte) []byte) error {
	type chunk struct {
		i    int
		out  []byte
		done chan struct{}
	}
	// Encoding is the slow side (a file takes the chunks faster than the cores make them),
	// so a couple of chunks queued per core keep the writer busy; every chunk queued is
	// 4 MB or so held until written.
	inFlight := 2 * runtime.GOMAXPROCS(0)
	jobs := make(chan *chunk, inFlight)
	ordered := make(chan *chunk, inFlight)
	free := make(chan []byte, inFlight+runtime.GOMAXPROCS(0)+1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			for c := range jobs {
				var dst []byte
				select {
				case dst = <-free:
				default:
				}
				c.out = encode(c.i, &scratch, dst[:0])
				close(c.done)
			}
		}()
	}
	go func() {
		for i := range n {
			c := &chunk{i: i, done: make(chan struct{})}
			jobs <- c
			ordered <- c
		}
		close(jobs)
		close(ordered)
	}()
	var werr error
	for c := range ordered {
		<-c.done
		if werr == nil {
			_, werr = bw.Write(c.out)
		}
		select {
		case free <- c.out:
		default:
		}
		c.out = nil
	}
	wg.Wait()
	if werr == nil {
		werr = bw.Flush()
	}
	if werr != nil {
		return fmt.Errorf("snapshot: %w", werr)
	}
	return nil
}

// encodeAggChunk appends aggregates to dst as one chunk, with its framing; the body is
// encoded in *scratch first, which it keeps for the next chunk.
func encodeAggChunk(scratch *[]byte, dst []byte, aggs []v3Agg) []byte {
	body := (*scratch)[:0]
	for _, a := range aggs {
		body = appendStr(body, a.ref.Kind)
		body = appendStr(body, a.ref.ID)
		body = binary.AppendUvarint(body, uint64(len(a.entries)))
		for _, e := range a.entries {
			body = binary.AppendUvarint(body, e.Rec.Seq)
			body = binary.AppendUvarint(body, uint64(e.Index))
			body = appendStr(body, e.Rec.ID)
			body = appendStr(body, e.Rec.Type)
			body = binary.AppendVarint(body, int64(e.schema))
			body = appendTime(body, e.Rec.At)
			body = appendStr(body, e.Rec.Actor.User)
			body = appendStr(body, string(e.Rec.Actor.Role))
			if e.Aggregate == a.ref {
				body = append(body, 0)
			} else {
				body = append(body, 1)
				body = appendStr(body, e.Aggregate.Kind)
				body = appendStr(body, e.Aggregate.ID)
			}
			body = appendStr(body, e.cold)
		}
		switch {
		case a.unit != nil:
			body = appendUnitState(append(body, 1), a.unit)
		case a.nom != nil:
			body = appendNominationState(append(body, 2), a.nom)
		default:
			body = append(body, 0)
		}
	}
	*scratch = body
	return appendFrame(dst, body, len(aggs))
}

// appendFrame appends a chunk's framing to dst, then its body: the body's length, the
// number of items in it, the body's checksum.
func appendFrame(dst, body []byte, items int) []byte {
	dst = slices.Grow(dst, len(body)+24)
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	dst = binary.AppendUvarint(dst, uint64(items))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(body, crcTable))
	return append(dst, body...)
}

// loadedAgg is one aggregate of a v3 snapshot, decoded on a worker.
type loadedAgg struct {
	agg  *Aggregate
	unit *domain.Unit
	nom  *domain.Nomination
	// span is where its entries lie in the chunk, when they are left for later (n 0:
	// they are loaded, or it has none).
	span histSpan
}

// histSpan is where one aggregate's entries lie in the body of its chunk, for a load
// that reads the history after the rest (readSnapshotV3 with a history source).
type histSpan struct {
	agg        *Aggregate
	start, end int
	n          int
	last       uint64 // the last entry's sequence
}

// entrySlabber allocates entries in slabs, as Model.newEntry does, for one worker.
type entrySlabber struct{ slab []Entry }

func (s *entrySlabber) next() *Entry {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]Entry, 0, entrySlab)
	}
	s.slab = s.slab[:len(s.slab)+1]
	return &s.slab[len(s.slab)-1]
}

// v3Worker is what one loading worker keeps: where its entries and strings go.
type v3Worker struct {
	arena eventstore.Arena
	slab  entrySlabber
	local map[string]string
}

// recoverCorrupt turns a panic with errSnapCorrupt (the snapReader's way out of a damaged
// chunk) into an error; any other panic goes on.
func recoverCorrupt(err *error) {
	if v := recover(); v != nil {
		if e, ok := v.(error); ok && errors.Is(e, errSnapCorrupt) {
			*err = e // errSnapCorrupt itself, or wrapping it with what was found
			return
		}
		panic(v)
	}
}

// entries decodes an aggregate's entries into ents (their payloads left packed).
func (r *snapReader) entries(ref eventstore.Ref, ents []*Entry, w *v3Worker) {
	for i := range ents {
		e := w.slab.next()
		e.Rec.Seq = r.uvarint()
		e.Index = int(r.uvarint())
		e.Rec.ID = r.str()
		e.Rec.Type = r.interned()
		e.schema = int32(r.varint())
		e.Rec.At = r.time()
		e.Rec.Actor = domain.Actor{User: r.interned(), Role: domain.Role(r.interned())}
		e.Aggregate = ref
		if r.byte() != 0 {
			e.Aggregate = eventstore.Ref{Kind: r.interned(), ID: r.str()}
		}
		e.cold = r.str()
		if e.cold == "" || (i > 0 && e.Rec.Seq < ents[i-1].Rec.Seq) {
			panic(errSnapCorrupt)
		}
		ents[i] = e
	}
}

// skipEntries passes over n entries, checking what entries checks but keeping nothing;
// it returns the last one's sequence and packed fields (a view of the chunk's body).
func (r *snapReader) skipEntries(n int) (lastSeq uint64, lastCold []byte) {
	for i := 0; i < n; i++ {
		seq := r.uvarint()
		r.uvarint()
		r.bytes() // id
		r.bytes() // type
		r.varint()
		r.bytes() // recorded time
		r.bytes() // user
		r.bytes() // role
		if r.byte() != 0 {
			r.bytes()
			r.bytes()
		}
		cold := r.bytes()
		if len(cold) == 0 || (i > 0 && seq < lastSeq) {
			panic(errSnapCorrupt)
		}
		lastSeq, lastCold = seq, cold
	}
	return lastSeq, lastCold
}

// decodeAggChunk decodes a chunk's aggregates with their entries (payloads left packed)
// and states. With deferHistory, the entries of units and nominations (nearly all of
// them) are only checked and located (loadedAgg.span), to be decoded later.
func decodeAggChunk(body []byte, n int, tab *eventstore.Interner, w *v3Worker, deferHistory bool) (out []loadedAgg, err error) {
	defer recoverCorrupt(&err)
	if w.local == nil {
		w.local = map[string]string{}
	}
	r := &snapReader{b: body, tab: tab, arena: &w.arena, local: w.local}
	out = make([]loadedAgg, n)
	for k := range out {
		ref := eventstore.Ref{Kind: r.interned(), ID: r.str()}
		ne := r.uvarint()
		if ne == 0 || ne > uint64(len(body)) {
			panic(errSnapCorrupt)
		}
		a := &Aggregate{Ref: ref}
		la := loadedAgg{agg: a}
		if deferHistory && ref.Kind != domain.KindCampaign && ref.Kind != domain.KindRegistry && ref.Kind != domain.KindClaim {
			start := r.i
			seq, cold := r.skipEntries(int(ne))
			la.span = histSpan{agg: a, start: start, end: r.i, n: int(ne), last: seq}
			last := Entry{cold: unsafe.String(unsafe.SliceData(cold), len(cold))}
			a.Version = eventstore.Version{Seq: seq, Hash: w.arena.Clone(last.Hash())}
		} else {
			a.Entries = make([]*Entry, ne)
			r.entries(ref, a.Entries, w)
			last := a.Entries[ne-1]
			a.Version = eventstore.Version{Seq: last.Rec.Seq, Hash: w.arena.Clone(last.Hash())}
		}
		switch r.byte() {
		case 0:
		case 1:
			la.unit = domain.RestoreUnit(readUnitState(r))
		case 2:
			nom, err := domain.RestoreNomination(readNominationState(r))
			if err != nil {
				panic(fmt.Errorf("%w: %s: %v", errSnapCorrupt, ref, err))
			}
			la.nom = nom
		default:
			panic(errSnapCorrupt)
		}
		out[k] = la
	}
	if r.i != len(body) {
		return nil, errSnapCorrupt
	}
	return out, nil
}

// histLoaded is one aggregate's history, decoded by the second pass of a load.
type histLoaded struct {
	agg     *Aggregate
	entries []*Entry
}

// decodeHistoryChunk decodes the entries the first pass left in a chunk (spans).
func decodeHistoryChunk(body []byte, spans []histSpan, tab *eventstore.Interner, w *v3Worker) (out []histLoaded, err error) {
	defer recoverCorrupt(&err)
	if w.local == nil {
		w.local = map[string]string{}
	}
	out = make([]histLoaded, len(spans))
	for k, sp := range spans {
		if sp.end > len(body) {
			return nil, errSnapCorrupt
		}
		r := &snapReader{b: body[:sp.end], i: sp.start, tab: tab, arena: &w.arena, local: w.local}
		ents := make([]*Entry, sp.n)
		r.entries(sp.agg.Ref, ents, w)
		if r.i != sp.end || ents[sp.n-1].Rec.Seq != sp.last {
			return nil, errSnapCorrupt
		}
		out[k] = histLoaded{agg: sp.agg, entries: ents}
	}
	return out, nil
}

// applyLoadedAggs puts a chunk's aggregates into the model.
func (m *Model) applyLoadedAggs(las []loadedAgg) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, la := range las {
		ref := la.agg.Ref
		if m.aggs[ref] != nil {
			return fmt.Errorf("%w: aggregate %s twice", errSnapCorrupt, ref)
		}
		m.aggs[ref] = la.agg
		m.aggList = append(m.aggList, la.agg)
		m.lastSeq = max(m.lastSeq, la.agg.Version.Seq)
		switch {
		case la.unit != nil:
			m.units[ref.ID] = la.unit
			m.addChild(la.unit.Parent(), ref.ID, la.unit.Name())
		case la.nom != nil:
			m.noms[ref.ID] = la.nom
		}
	}
	return nil
}

// historySource is where a load reads a v3 snapshot's history after the rest: the same
// bytes, readable again from the start, and what to call once they have been read.
type historySource struct {
	at      io.ReaderAt
	release func()
}

// readSnapshotV3 builds a model from a v3 snapshot (after its magic line). The model it
// returns has its history's payloads still packed: DecodeHistory decodes them in the
// background (StartFeed calls it once caught up; so does the first query that needs them).
//
// With a history source (hist not nil), the entries of units and nominations, about half
// of what a model holds, are not even decoded: the first pass checks them and notes where
// they are, and DecodeHistory reads them from the source in a second pass before it
// decodes their payloads. Until then the model holds the aggregates' versions and states,
// the keys and the indexes: what commands need, and half the memory to write before the
// server is ready. Nothing reads the history before the second pass ends: queries wait as
// they wait for the payloads (Model.rlock), snapshots too (WriteSnapshot), and commands
// only append to it (the second pass puts the history before what they appended, under
// Model.histMu). The first pass has checked every chunk's checksum; the second checks them
// again, and if the source no longer holds what the first pass read (the file was
// rewritten in place under the running server, or the disk failed), it panics: the model
// would otherwise answer with a history it does not have.
func readSnapshotV3(br *bufio.Reader, hist *historySource, magic string) (*Model, snapHeader, error) {
	h, err := readV3Header(br, magic) // Commits counts the aggregates here
	if err != nil {
		return nil, h, err
	}
	body, err := readFramed(br)
	if err != nil {
		return nil, h, fmt.Errorf("snapshot state: %w", err)
	}
	// The indexes and keys decode beside the aggregates, into a model of their own.
	aside := NewModel()
	miscErr := make(chan error, 1)
	go func() {
		misc, err := decodeMisc(body, &aside.arena, h.digest)
		if err == nil {
			aside.restoreMisc(&misc)
		}
		miscErr <- err
	}()
	m := NewModel()
	// The header counts the aggregates: the maps are made that large at once.
	m.aggs = make(map[eventstore.Ref]*Aggregate, h.Commits)
	m.noms = make(map[string]*domain.Nomination, h.Commits)
	m.units = make(map[string]*domain.Unit, h.Commits/4)
	var spans [][]histSpan // per chunk, with a history source
	err = readChunks(br, h, func(_ int, body []byte, n int, tab *eventstore.Interner, w *v3Worker) ([]loadedAgg, error) {
		return decodeAggChunk(body, n, tab, w, hist != nil)
	}, func(las []loadedAgg) error {
		if hist != nil {
			var sp []histSpan
			for _, la := range las {
				if la.span.n > 0 {
					sp = append(sp, la.span)
				}
			}
			spans = append(spans, sp)
		}
		return m.applyLoadedAggs(las)
	})
	if merr := <-miscErr; err == nil && merr != nil {
		err = fmt.Errorf("snapshot: %w", merr)
	}
	if err != nil {
		return nil, h, err
	}
	if err := checkHeaderAgainstBody(h, m.aggs); err != nil {
		return nil, h, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.newest, m.byCamp, m.docs, m.docList, m.keys = aside.newest, aside.byCamp, aside.docs, aside.docList, aside.keys
	m.keyQueue, m.keyHead, m.keyCount = aside.keyQueue, aside.keyHead, aside.keyCount
	m.integrity, m.stats = aside.integrity, aside.stats
	m.digest, m.digestMarks, m.snapDigest = aside.digest, aside.digestMarks, aside.digest
	m.applied = h.Applied
	var pending [][]*Entry
	for ref, agg := range m.aggs {
		switch ref.Kind {
		case domain.KindCampaign, domain.KindRegistry, domain.KindClaim:
			// Few events: folded again here, so that their state needs no codec.
			for _, e := range agg.Entries {
				if decodeEntry(e) {
					m.fold(e.Aggregate, e)
				}
			}
		default:
			if hist == nil {
				pending = append(pending, agg.Entries)
			}
		}
	}
	m.payloads = make(chan struct{})
	if hist == nil {
		m.decodeHistory = sync.OnceFunc(func() { go decodeEntries(pending, m.payloads) })
		return m, h, nil
	}
	m.histSpans = spans
	m.decodeHistory = sync.OnceFunc(func() {
		go func() {
			pending, err := m.readHistoryV3(hist.at, m.histSpans)
			m.histSpans = nil // read only here, once
			hist.release()
			if err != nil {
				panic(fmt.Sprintf("projections: the snapshot's history could not be read again after the server started (was the file rewritten in place?): %v", err))
			}
			decodeEntries(pending, m.payloads)
		}()
	})
	return m, h, nil
}

// checkHeaderAgainstBody compares the header's checkpoint (its last commit's sequence and
// hash, which no checksum covers) with the last commit the checksummed body holds. One
// damaged byte there made the checkpoint differ from the stream's commit, and an intact
// stream was taken for a rewritten one (ErrStreamDiverged): the snapshot set aside as
// evidence, every answer integrity_broken. A header that disagrees with its own body is a
// damaged snapshot (ErrSnapshotMismatch alone), rebuilt from the stream.
func checkHeaderAgainstBody(h snapHeader, aggs map[eventstore.Ref]*Aggregate) error {
	var last eventstore.Version
	for _, a := range aggs {
		if a.Version.Seq > last.Seq {
			last = a.Version
		}
	}
	if last.Seq != h.LastSeq || last.Hash != h.LastHash {
		return fmt.Errorf("%w: the header's checkpoint (sequence %d, hash %s) is not the snapshot's own last commit (sequence %d, hash %s): a damaged header", ErrSnapshotMismatch, h.LastSeq, h.LastHash, last.Seq, last.Hash)
	}
	return nil
}

// readV3Header reads the header of a v3 or v4 snapshot after its magic line, with a v4
// snapshot's checks' version.
func readV3Header(br *bufio.Reader, magic string) (snapHeader, error) {
	h, err := readSnapHeader(br, magic)
	if err != nil {
		return h, err
	}
	h.findings = true
	h.digest = magic == snapshotMagicV5
	if magic == snapshotMagicV5 || magic == snapshotMagicV4 {
		if h.checks, err = binary.ReadUvarint(br); err != nil {
			return h, fmt.Errorf("snapshot header: %w", err)
		}
	}
	return h, nil
}

// readHistoryV3 is the second pass of a load with a history source (readSnapshotV3): it
// reads the snapshot again, decodes the entries the first pass located (spans, per chunk)
// and puts each aggregate's before the entries applied since, a chunk per hold of histMu
// (not of the model's lock: see Model.histMu). It returns the entries it decoded, whose
// payloads are still packed, or why the source no longer holds what the first pass read.
func (m *Model) readHistoryV3(at io.ReaderAt, spans [][]histSpan) ([][]*Entry, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(at, 0, math.MaxInt64), 1<<20)
	var pending [][]*Entry
	err := func() error {
		magic, err := br.Peek(len(snapshotMagicV5))
		if err != nil {
			return err
		}
		first := string(magic) // before the reads that follow reuse the buffer
		_, _ = br.Discard(len(first))
		h, err := readV3Header(br, first)
		if err != nil {
			return err
		}
		// The indexes and keys, loaded already.
		size, err := binary.ReadUvarint(br)
		if err == nil {
			_, err = br.Discard(4 + int(min(size, 1<<30)))
		}
		if err != nil {
			return err
		}
		return readChunks(br, h, func(k int, body []byte, _ int, tab *eventstore.Interner, w *v3Worker) ([]histLoaded, error) {
			if k >= len(spans) {
				return nil, errSnapCorrupt
			}
			return decodeHistoryChunk(body, spans[k], tab, w)
		}, func(hl []histLoaded) error {
			m.histMu.Lock()
			defer m.histMu.Unlock()
			for _, l := range hl {
				l.agg.Entries = append(l.entries, l.agg.Entries...)
				pending = append(pending, l.entries)
			}
			return nil
		})
	}()
	if err != nil {
		return nil, err
	}
	want := 0
	for _, sp := range spans {
		want += len(sp)
	}
	if want != len(pending) {
		return nil, fmt.Errorf("%w: %d aggregates' histories read again, %d expected", errSnapCorrupt, len(pending), want)
	}
	return pending, nil
}

// decodeEntry decodes an entry's payload from its packed form; it reports whether the
// model knows it (an unknown or malformed payload was counted when first applied).
func decodeEntry(e *Entry) bool {
	raw := e.payload()
	var b []byte
	if raw != "" {
		b = unsafe.Slice(unsafe.StringData(raw), len(raw))
	}
	data, err := decodePayload(e.Rec.Type, b)
	if err != nil {
		return false
	}
	e.Rec.Data, e.Known = data, true
	return true
}

// decodeEntries decodes the payloads of a loaded snapshot on every core, then closes
// done. Nothing reads an entry's payload before done closes (Model.rlock), and nothing
// else writes these entries, so the workers need no lock.
func decodeEntries(aggs [][]*Entry, done chan struct{}) {
	defer close(done)
	work := make(chan []*Entry, 1024)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ents := range work {
				for _, e := range ents {
					decodeEntry(e)
				}
			}
		}()
	}
	for _, ents := range aggs {
		work <- ents
	}
	close(work)
	wg.Wait()
}

// readFramed reads one length-prefixed, checksummed body.
func readFramed(br *bufio.Reader) ([]byte, error) {
	size, err := binary.ReadUvarint(br)
	if err == nil && size > 1<<30 {
		err = errSnapCorrupt
	}
	var crc [4]byte
	if err == nil {
		_, err = io.ReadFull(br, crc[:])
	}
	var body []byte
	if err == nil {
		body = make([]byte, size)
		_, err = io.ReadFull(br, body)
	}
	if err == nil && crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(crc[:]) {
		err = errSnapCorrupt
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return body, err
}
