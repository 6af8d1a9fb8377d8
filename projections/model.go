package projections

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"thidua/domain"
	"thidua/eventstore"
)

// Aggregate is one aggregate's events and version.
type Aggregate struct {
	// Ref names it.
	Ref eventstore.Ref
	// Version is its version after the last applied commit.
	Version eventstore.Version
	// Entries are its events in order.
	Entries []*Entry
}

// KeyRecord is what the model remembers of a command sent with an idempotency key.
type KeyRecord struct {
	// ID is the id the command reported (what it created or acted on).
	ID string
	// Seqs are the stream sequences of the commits the command appended.
	Seqs []uint64
	// Events are the ids of the events it appended.
	Events []string
	// Aggregates are the aggregates it touched.
	Aggregates []eventstore.Ref

	// last is when its latest commit was recorded, in Unix nanoseconds (see
	// IdempotencyWindow).
	last int64
}

// keyEntry is a remembered key: the whole key ("user|key|fingerprint") and its record. The
// model finds it by the key up to its last '|' ("user|key"), so that one lookup answers
// both whether the command was carried out and with which request fingerprint.
type keyEntry struct {
	key string
	rec KeyRecord
	// One commit of one event, inline: the lists of most records (a command appends one
	// commit, mostly of one event) need no allocations of their own.
	seq1 [1]uint64
	agg1 [1]eventstore.Ref
	ev1  [1]string
}

// newKeyEntry returns the entry of a key first seen in a commit of n events that reported
// result; key and result share one allocation, and the record's lists start inline.
func newKeyEntry(key, result string, n int) *keyEntry {
	// Copied (key + result would be key itself when result is empty, and key may be a
	// view of the message the commit was decoded from).
	var sb strings.Builder
	sb.Grow(len(key) + len(result))
	sb.WriteString(key)
	sb.WriteString(result)
	both := sb.String()
	ke := &keyEntry{key: both[:len(key)]}
	ke.rec.ID = both[len(key):]
	ke.rec.Seqs, ke.rec.Aggregates = ke.seq1[:0], ke.agg1[:0]
	if n == 1 {
		ke.rec.Events = ke.ev1[:0]
	}
	return ke
}

// keyPrefix returns key up to its last '|' (all of it when it has none).
func keyPrefix(key string) string {
	if i := strings.LastIndexByte(key, '|'); i >= 0 {
		return key[:i]
	}
	return key
}

// IdempotencyWindow and IdempotencyKeep bound how long the model remembers a command's
// idempotency key. A retry with a remembered key gets the original answer and appends
// nothing. A key is forgotten once both hold: its latest command was recorded more than
// IdempotencyWindow before the newest event (the stream's recorded time, not the clock of
// the process asking), and more than IdempotencyKeep keyed commands came after it. Both
// are read from the stream, so every process following it forgets a key at the same
// point, and a small store (a demonstration seeded on a past timeline, say) forgets
// nothing. JetStream's own duplicate window (2 minutes) is far shorter: the model's
// memory of keys is what makes retries safe across restarts; without a bound it would
// grow with every command (about 350 bytes each).
const (
	IdempotencyWindow = 7 * 24 * time.Hour
	IdempotencyKeep   = 100_000
)

// keyStamp is one keyed commit in the order applied, for forgetting keys (forgetKeys).
type keyStamp struct {
	prefix string
	at     int64 // Unix nanoseconds
	n      int   // its place among the keyed commits applied
}

// MalformedRecord notes an event the model could not decode.
type MalformedRecord struct {
	// Seq is the message's stream sequence.
	Seq uint64 `json:"seq"`
	// EventID is the event's id, when known.
	EventID string `json:"event_id,omitempty"`
	// Problem says what is wrong.
	Problem string `json:"problem"`
}

// Stats counts what the model has applied.
type Stats struct {
	// Commits is the number of commits applied.
	Commits int `json:"commits"`
	// Events is the number of events applied.
	Events int `json:"events"`
	// Applied is the highest stream sequence applied by the feed, in order.
	Applied uint64 `json:"applied"`
	// Unknown counts skipped events by type.
	Unknown map[string]int `json:"unknown"`
	// Malformed lists events that could not be decoded.
	Malformed []MalformedRecord `json:"malformed"`
}

// Model is the in-memory read model. It is safe for concurrent use.
type Model struct {
	mu      sync.RWMutex
	applied uint64
	// lastSeq is the highest commit sequence applied, by the feed or ahead of it.
	lastSeq uint64
	aggs    map[eventstore.Ref]*Aggregate
	// aggList holds the aggregates in the order first seen (they are never removed): a
	// snapshot lists them from it without walking the map under the lock.
	aggList []*Aggregate
	units   map[string]*domain.Unit
	// children maps a unit to the units registered with it as their parent, in the order
	// registered (unitSubordinates).
	children map[string][]string
	// named maps a unit's name (domain.UnitNameKey) to the units registered under it, in
	// the order registered (Namesakes).
	named    map[string][]string
	noms     map[string]*domain.Nomination
	camps    map[string]*domain.Campaign
	registry *domain.Registry
	byCamp   map[string][]string
	keys     map[string]*keyEntry // by keyPrefix
	// keyQueue lists keyed commits in the order applied, from keyHead on; newest is the
	// latest commit time seen (forgetKeys).
	keyQueue []keyStamp
	keyHead  int
	keyCount int
	newest   time.Time
	// keyWindow and keyKeep are IdempotencyWindow and IdempotencyKeep (tests shorten them).
	keyWindow time.Duration
	keyKeep   int
	awards    map[string]string // award id -> campaign
	claims    map[string]string // claim aggregate id (domain.ClaimKey) -> the id claimed
	docs      map[string]*docOwners
	// docList holds the documents in the order first seen (a snapshot takes them in
	// chunks from it).
	docList   []*docOwners
	stats     Stats
	changed   chan struct{}
	rankCache map[string]rankCacheEntry
	// digest is the stream's digest as the feed delivered it, and digestMarks the digest
	// every digestEvery sequences (digest.go). snapDigest is the digest a snapshot brought,
	// until CheckStream has compared it with the stream (Seq 0: none to compare); the
	// digest and marks are not stated until then.
	digest      eventstore.Digest
	digestMarks []eventstore.Digest
	snapDigest  eventstore.Digest
	// lateProblems counts the problems recorded after their sequence was applied
	// (CheckStream): the live ranking's version counts them beside the commits.
	lateProblems int
	// rankFlight shares concurrent computations of one live ranking (ranking.go).
	rankFlight singleflight.Group
	// rankBufs holds the buffers live rankings take their evaluations into (rankBuf).
	rankBufs sync.Pool
	// held lists the nominations whose history holds a hold (heldIndex): a ranking under
	// the rules' revision 4 reads other campaigns' holds from these only. It is built on
	// first use (heldBuilt, under heldMu and the read lock), and kept by fold after.
	held      map[string]bool
	heldBuilt bool
	heldMu    sync.Mutex
	// ahead holds the commits applied by ApplyCommitted that the feed has not delivered
	// yet, by sequence: the feed skips them without decoding (pipeline.go), but for the
	// check of their recorded time against their storage, which only the feed knows.
	ahead map[uint64]aheadCommit

	// slab is where new entries are allocated (newEntry).
	slab []Entry
	// arena holds the entries' packed fields, packBuf is where they are packed first.
	arena   eventstore.Arena
	packBuf []byte

	// payloads closes once every entry's payload is decoded: at once, except after a v3
	// snapshot load, which decodes them in the background (snapv3.go). Queries that
	// read payloads wait for it (rlock).
	payloads chan struct{}
	// decodeHistory starts that decoding, once (nil when there is none to do); after a
	// load that reads the history after the rest, it reads it first, from where
	// histSpans say (snapv3.go).
	decodeHistory func()
	histSpans     [][]histSpan
	// histMu guards the aggregates' entry lists against that second pass, which puts each
	// aggregate's history before the entries applied since without taking mu: a reader
	// waiting for the history under the read lock (State.Eligibility, in a command's
	// Model.Read) must not hold it up. applyDecoded takes it inside mu.
	histMu sync.Mutex

	// snapWait bounds how long a snapshot waits for a moment without commits ahead of
	// the feed (snapv3.go).
	snapWait time.Duration
	// capMu lets one snapshot be taken and written at a time. While its capture runs,
	// capDirty, capDocs and capKeys collect the aggregates, documents and key prefixes
	// that commits change (captureV3 takes them again at its end); capHold is its longest
	// hold of the read lock. capChunk is how many aggregates it takes under one hold,
	// capHook (tests) runs after each such hold.
	//
	// Once the capture has its moment, and until the snapshot is written, capPre keeps
	// the state each aggregate had at that moment, taken just before a commit first
	// changes it (keepPreImage): the states are taken as each chunk is encoded
	// (takeStates), not copied all at once (a million events' units and nominations, 105
	// MB held through the save). writeHook (tests) runs before each chunk takes them.
	capMu     sync.Mutex
	capPre    map[eventstore.Ref]preImage
	capDirty  map[eventstore.Ref]struct{}
	capDocs   []*docOwners
	capKeys   []string     // key prefixes
	capHold   atomic.Int64 // LastSnapshotHold, in nanoseconds
	capChunk  int
	capHook   func()
	writeHook func()
	// rankHook (tests) runs between a live ranking's filling of the cache and its taking
	// of the inputs (rankingOnce), where commits may apply; rankInline is how many
	// evaluations the taking may make (liveInline, unless a test sets it).
	rankHook   func()
	rankInline int

	// integrity records broken hash chains per aggregate (integrity.go).
	integrity integrityState
	// live caches the live evaluations of rankings (liveeval.go).
	live liveEvals
	// liveBases holds, per campaign, the inputs of its latest live ranking, which the
	// next one starts from (livebase.go); reorders counts the openings inserted into a
	// campaign's list before its end (inOpeningOrder), which move the places of its
	// nominations. Both change under the write lock.
	liveBases map[string]*liveBase
	reorders  uint64
	// baseStamp numbers the bases installed; baseLimit is how many campaigns keep one
	// (0: liveBaseLimit; tests lower it).
	baseStamp uint64
	baseLimit int
}

type rankCacheEntry struct {
	commits int
	view    RankingView
	// gapped says the state had a gap when the view was computed (prefixSeq).
	gapped bool
}

// NewModel returns an empty model.
func NewModel() *Model {
	decoded := make(chan struct{})
	close(decoded)
	return &Model{
		payloads:   decoded,
		aggs:       map[eventstore.Ref]*Aggregate{},
		units:      map[string]*domain.Unit{},
		children:   map[string][]string{},
		named:      map[string][]string{},
		noms:       map[string]*domain.Nomination{},
		camps:      map[string]*domain.Campaign{},
		registry:   domain.NewRegistry(),
		byCamp:     map[string][]string{},
		keys:       map[string]*keyEntry{},
		awards:     map[string]string{},
		claims:     map[string]string{},
		docs:       map[string]*docOwners{},
		stats:      Stats{Unknown: map[string]int{}},
		changed:    make(chan struct{}),
		rankCache:  map[string]rankCacheEntry{},
		liveBases:  map[string]*liveBase{},
		rankInline: liveInline,
		keyWindow:  IdempotencyWindow,
		keyKeep:    IdempotencyKeep,
		snapWait:   5 * time.Second,
		capChunk:   capAggsPerHold,
	}
}

// PayloadsDecoded returns a channel that is closed once every event's payload is decoded.
// A model loaded from a snapshot answers commands' version checks and key lookups at
// once, and decodes the payloads of its history in the background once started
// (DecodeHistory); queries that read them (eligibility, rankings, audit trails, the
// history-reading State methods) start it if need be and wait until then.
func (m *Model) PayloadsDecoded() <-chan struct{} { return m.payloads }

// DecodeHistory starts decoding the payloads of the history a snapshot load left packed,
// in the background, if it has not started yet (StartFeed does once it has caught up;
// so does the first query that needs them).
func (m *Model) DecodeHistory() {
	if m.decodeHistory != nil {
		m.decodeHistory()
	}
}

// awaitPayloads waits until the payloads are decoded, starting their decoding if need be.
func (m *Model) awaitPayloads() {
	select {
	case <-m.payloads:
	default:
		m.DecodeHistory()
		<-m.payloads
	}
}

// awaitHistory waits until the model holds its whole history (a snapshot's is read after
// the rest, readSnapshotV3), starting the read if need be: before that, a snapshot of the
// model would leave it out. The history is complete once the payloads are decoded.
func (m *Model) awaitHistory() { m.awaitPayloads() }

// rlock takes the read lock once the payloads are decoded.
func (m *Model) rlock() {
	m.awaitPayloads()
	m.mu.RLock()
}

// Applied returns the highest stream sequence the feed has applied in order.
func (m *Model) Applied() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.applied
}

// Stats returns a copy of the model's counters.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.stats
	s.Applied = m.applied
	s.Unknown = make(map[string]int, len(m.stats.Unknown))
	for k, v := range m.stats.Unknown {
		s.Unknown[k] = v
	}
	s.Malformed = append([]MalformedRecord(nil), m.stats.Malformed...)
	return s
}

// ApplyFeed applies a commit delivered by the stream feed, in stream order, and advances
// the checkpoint. The stream's digest does not take it in (it needs the message's body):
// FillDigest reads it.
func (m *Model) ApplyFeed(c eventstore.Commit) { m.applyFeedDecoded(c, predecode(c), nil) }

// applyFeedDecoded is ApplyFeed with the payloads decoded (outside the lock), and body
// the SHA-256 of the message's body (nil: unknown) for the stream's digest.
func (m *Model) applyFeedDecoded(c eventstore.Commit, pre []decoded, body *[sha256.Size]byte) {
	m.mu.Lock()
	m.applyFeedLocked(c, pre, body)
	ch := m.changed
	m.changed = make(chan struct{})
	m.mu.Unlock()
	close(ch)
}

// applyFeedLocked is applyFeedDecoded under the write lock, which the caller holds.
func (m *Model) applyFeedLocked(c eventstore.Commit, pre []decoded, body *[sha256.Size]byte) {
	if a, ok := m.ahead[c.Seq]; ok {
		delete(m.ahead, c.Seq)
		m.checkStoredTime(a, c.Seq, c.Time)
	}
	m.skipLost(c.Seq)
	m.applyDecoded(c, pre, 0)
	if body != nil {
		m.chain(c.Seq, c.Subject, *body)
	}
	m.advance(c.Seq)
}

// ApplyCommitted applies a commit the caller just appended, before the feed brings it, so
// that the caller's next command sees it. The checkpoint does not move.
func (m *Model) ApplyCommitted(cs ...eventstore.Commit) {
	pre := make([][]decoded, len(cs))
	for i, c := range cs {
		pre[i] = predecode(c)
	}
	m.mu.Lock()
	for i, c := range cs {
		m.applyDecoded(c, pre[i], 0)
		m.noteAhead(c)
	}
	m.mu.Unlock()
}

// NoteMalformed records a message the feed could not decode, and moves past it.
func (m *Model) NoteMalformed(me *eventstore.MalformedError) { m.noteMalformed(me, nil) }

// noteMalformed is NoteMalformed with the SHA-256 of the message's body (nil: unknown)
// for the stream's digest.
func (m *Model) noteMalformed(me *eventstore.MalformedError, body *[sha256.Size]byte) {
	m.mu.Lock()
	m.recordMalformed(me)
	if body != nil {
		m.chain(me.Seq, me.Subject, *body)
	}
	m.advance(me.Seq)
	ch := m.changed
	m.changed = make(chan struct{})
	m.mu.Unlock()
	close(ch)
}

// recordMalformed records a message that is no commit the engine can read: in the
// statistics, and as an integrity problem of the aggregate its subject names (the
// stream's pseudo-aggregate when it names none), whose answers then say integrity_broken:
// what the message held of the aggregate is missing from them. The caller holds the
// write lock.
func (m *Model) recordMalformed(me *eventstore.MalformedError) {
	m.stats.Malformed = append(m.stats.Malformed, MalformedRecord{Seq: me.Seq, Problem: me.Err.Error()})
	ref := me.Aggregate
	if ref.Kind == "" {
		ref = streamRef()
	}
	m.integrity.add(ref, IntegrityProblem{Seq: me.Seq, Aggregate: ref, Problem: ProblemMalformed, at: me.Time,
		Detail: fmt.Sprintf("the message at sequence %d (%s) is no commit the engine can read: %v; what it held is missing from the answers", me.Seq, me.Subject, me.Err)})
}

// advance moves the feed's checkpoint to seq, a message the feed delivered in stream
// order; the caller holds the write lock. The stream denies deletion, so a sequence the
// feed went past without a message is a message lost on disk (nats-server drops one it
// finds damaged as it starts): it is recorded as an integrity problem of the stream
// (ProblemMessagesLost), which GET /integrity lists, /metrics counts and serve logs.
func (m *Model) advance(seq uint64) {
	if seq <= m.applied {
		return
	}
	if from := m.applied + 1; seq > from {
		m.noteLost(from, seq-1)
	}
	m.applied = seq
}

// noteLost records stream sequences from to to, which the feed went past without a
// message, as lost (ProblemMessagesLost). Every answer relies on the stream being whole,
// so every cached evaluation and ranking is dropped, as recordLost and SkipLost drop
// them: a live ranking listed as eligible what every fresh evaluation then called
// integrity_broken. The caller holds the write lock.
func (m *Model) noteLost(from, to uint64) {
	m.integrity.add(streamRef(), lostProblem(from, to))
	// A commit of this server's, applied ahead, that the stream lost: the feed will never
	// deliver it, and a snapshot would wait for it for good (captureV3).
	for seq := range m.ahead {
		if seq >= from && seq <= to {
			delete(m.ahead, seq)
		}
	}
	m.lateProblems++
	m.live.clear()
	clear(m.rankCache)
}

// skipLost records the sequences between the feed's checkpoint and seq, which the feed
// went past without a message, as lost (as advance would), and moves the checkpoint to
// just before seq: called before the commit at seq is applied, so that its chain check
// can name the loss (lossBefore). The caller holds the write lock.
func (m *Model) skipLost(seq uint64) {
	if from := m.applied + 1; seq > from {
		m.noteLost(from, seq-1)
		m.skipDigest(seq - 1)
		m.applied = seq - 1
	}
}

// lostProblem is the problem of stream sequences from to to lost on disk.
func lostProblem(from, to uint64) IntegrityProblem {
	detail := fmt.Sprintf("stream sequence %d is missing: a message lost on disk (the stream denies deletion); thidua verify reads the stream again", from)
	if to > from {
		detail = fmt.Sprintf("stream sequences %d to %d are missing: messages lost on disk (the stream denies deletion); thidua verify reads the stream again", from, to)
	}
	return IntegrityProblem{Seq: from, Aggregate: streamRef(), Problem: ProblemMessagesLost, Detail: detail, lostTo: to}
}

// recordLost records stream sequences from to to, which the model applied from a snapshot
// but the stream no longer holds, as lost (ProblemMessagesLost), as the feed does for a
// gap it meets; a loss already recorded is not recorded twice, and one that grew from the
// same first sequence is recorded as all of it. Every cached evaluation and ranking is
// dropped, so that every answer from from on says integrity_broken, as after a rebuild:
// the snapshot still holds what those messages said, but the stream, the record, does
// not. Only CheckStream records such losses, under the same hold of the write lock as
// its drop of the digest they change: a snapshot never holds a loss beside a digest
// that still counts the lost message. The caller holds the write lock; it reports
// whether the loss (or part of it) is new.
func (m *Model) recordLost(from, to uint64) bool {
	p := lostProblem(from, to)
	ps := m.integrity.broken[streamRef()]
	if len(ps) == 0 {
		m.integrity.add(streamRef(), p)
	} else {
		// The losses this run covers (recorded before in pieces, or a loss that grew)
		// give way to it.
		kept := make([]IntegrityProblem, 0, len(ps)+1)
		for _, q := range ps {
			if q.Problem == ProblemMessagesLost {
				if qf, qt := q.lostRun(); qf == from && qt == to {
					return false
				} else if qf >= from && qt <= to {
					continue
				}
			}
			kept = append(kept, q)
		}
		m.integrity.broken[streamRef()] = append(kept, p)
	}
	m.lateProblems++
	m.live.clear()
	clear(m.rankCache)
	return true
}

// SkipLost moves the feed's checkpoint to seq, the stream's last sequence, over messages
// lost on disk at the stream's end (eventstore.Store.LastStored: nats-server dropped them,
// damaged, and still counts their sequences): they are recorded as lost
// (ProblemMessagesLost), as a gap the feed goes past is, so that whatever waits for the
// stream's last sequence does not wait for good. The caller has applied every message
// the stream holds up to seq.
func (m *Model) SkipLost(seq uint64) {
	m.mu.Lock()
	if seq <= m.applied {
		m.mu.Unlock()
		return
	}
	m.noteLost(m.applied+1, seq)
	m.skipDigest(seq)
	m.applied = seq
	ch := m.changed
	m.changed = make(chan struct{})
	m.mu.Unlock()
	close(ch)
}

// WaitFor blocks until the feed has applied sequence seq, or ctx ends.
func (m *Model) WaitFor(ctx context.Context, seq uint64) error {
	for {
		m.mu.RLock()
		done, ch := m.applied >= seq, m.changed
		m.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for sequence %d: %w", seq, ctx.Err())
		case <-ch:
		}
	}
}

// decoded is one event's payload decoded ahead of applying it.
type decoded struct {
	data any
	err  error
	// hash is the event's content hash, checked with the decoding (checkIntegrity).
	hash hashCheck
}

// hashCheck is the outcome of checking an event's content hash before the fold.
type hashCheck uint8

const (
	// hashUnchecked leaves the check to the fold: the event's previous hash is not known
	// yet (a snapshot left it out), or its payload was upcast.
	hashUnchecked hashCheck = iota
	// hashMatches: the event hashes to the hash it claims.
	hashMatches
	// hashDiffers: it does not.
	hashDiffers
)

// predecode decodes a commit's payloads and checks its events' content hashes; it needs
// no lock, so it can run on other cores.
func predecode(c eventstore.Commit) []decoded {
	out := make([]decoded, len(c.Events))
	for i := range c.Events {
		e := &c.Events[i]
		out[i].data, out[i].err = decodePayload(e.Type, e.Data)
		// An empty previous hash is either the aggregate's first event or one whose link a
		// snapshot left out, filled in by the fold: checked there.
		if e.PrevHash != "" {
			out[i].hash = storedHash(e)
		}
	}
	return out
}

// applyDecoded is apply with the payloads already decoded.
// chained marks (bit i) the events whose previous hash a snapshot left out: it is the
// hash of the aggregate's event before, filled in here (snapcodec.go).
func (m *Model) applyDecoded(c eventstore.Commit, pre []decoded, chained uint64) {
	if len(c.Events) == 0 {
		return
	}
	ref := c.Events[0].Aggregate
	agg := m.aggs[ref]
	if agg == nil {
		// The model keeps its own copies of what it holds for good: a decoded commit's
		// strings may share an arena block with much that is not kept.
		ref = eventstore.Ref{Kind: ref.Kind, ID: m.arena.Clone(ref.ID)}
		agg = &Aggregate{Ref: ref}
		m.aggs[ref] = agg
		m.aggList = append(m.aggList, agg)
	}
	if c.Seq <= agg.Version.Seq {
		return
	}
	if c.Seq > m.lastSeq {
		m.lastSeq = c.Seq
	}
	if m.capDirty != nil {
		// A snapshot is being taken: it takes this aggregate again at its end.
		m.capDirty[agg.Ref] = struct{}{}
		for i := range c.Events {
			if r := c.Events[i].Aggregate; r != agg.Ref {
				m.capDirty[r] = struct{}{}
			}
		}
	}
	if m.capPre != nil {
		// A snapshot is being written: it needs these aggregates' states as they are.
		m.keepPreImage(agg.Ref)
		for i := range c.Events {
			if r := c.Events[i].Aggregate; r != agg.Ref {
				m.keepPreImage(r)
			}
		}
	}
	if chained != 0 {
		p := agg.Version.Hash
		for i := range c.Events {
			if chained&(1<<i) != 0 {
				c.Events[i].PrevHash = p
			}
			p = c.Events[i].Hash
		}
	}
	problems := m.integrity.added
	// Hash chain check, before the commit moves the aggregate's version (integrity.go).
	m.checkIntegrity(agg, c, pre)
	m.stats.Commits++
	prev := agg.Version.Hash
	lineage := false
	// A campaign's commit that only grants or revokes awards changes the evaluations of
	// the nominations whose lineage meets the awards' (liveEvals.invalidate).
	var awards []string
	onlyAwards := agg.Ref.Kind == domain.KindCampaign
	m.histMu.Lock()
	defer m.histMu.Unlock()
	for i := range c.Events {
		e := &c.Events[i]
		m.stats.Events++
		// The aggregate's reference is shared rather than kept once per event.
		ref := agg.Ref
		if e.Aggregate != agg.Ref {
			ref = eventstore.Ref{Kind: e.Aggregate.Kind, ID: m.arena.Clone(e.Aggregate.ID)}
		}
		chained := e.PrevHash == prev
		prev = e.Hash
		entry := m.newEntry()
		*entry = Entry{
			Rec: domain.Recorded{
				ID: m.arena.Clone(e.ID), Type: e.Type, Seq: c.Seq, At: e.RecordedAt,
				Actor: domain.Actor{User: e.Actor.User, Role: domain.Role(e.Actor.Role)},
			},
			Index: i, Aggregate: ref, schema: int32(e.Schema),
		}
		m.packBuf, entry.cold = packCold(&m.arena, m.packBuf, e, chained)
		data, err := pre[i].data, pre[i].err
		switch {
		case errors.Is(err, domain.ErrUnknownEventType):
			m.stats.Unknown[e.Type]++
		case err != nil:
			m.stats.Malformed = append(m.stats.Malformed, MalformedRecord{Seq: c.Seq, EventID: strings.Clone(e.ID), Problem: err.Error()})
			// A payload that cannot be read: the record is damaged or forged, and what
			// relies on the aggregate says so (its chain may verify all the same).
			m.integrity.add(agg.Ref, IntegrityProblem{Seq: c.Seq, EventID: strings.Clone(e.ID), Aggregate: agg.Ref, Problem: ProblemMalformed,
				Detail: "the event's payload cannot be read: " + err.Error(), at: e.RecordedAt})
		default:
			entry.Rec.Data = data
			entry.Known = true
			if cur := domain.SchemaVersion(e.Type); e.Schema > cur {
				m.integrity.add(agg.Ref, IntegrityProblem{Seq: c.Seq, EventID: strings.Clone(e.ID), Aggregate: agg.Ref, Problem: ProblemSchemaNewer, at: e.RecordedAt,
					Detail: fmt.Sprintf("%s is stored under schema version %d, newer than the %d this version of thidua reads: written by a later version, or forged; it is read as if it were current", e.Type, e.Schema, cur)})
			}
		}
		m.checkRecordedAt(agg.Ref, c.Seq, e.ID, e.RecordedAt, c.Time)
		agg.Entries = append(agg.Entries, entry)
		if !entry.Known {
			onlyAwards = false
		}
		if entry.Known {
			m.checkActorAndTransition(ref, entry)
			m.fold(ref, entry)
			switch d := entry.Rec.Data.(type) {
			case domain.AwardGrantedData:
				awards = append(awards, d.Lineage...)
			case domain.AwardRevokedData:
				if c := m.camps[agg.Ref.ID]; c != nil {
					if a, ok := c.Award(d.Award); ok {
						awards = append(awards, a.Lineage...)
						break
					}
				}
				onlyAwards = false
			default:
				onlyAwards = false
			}
			switch d := entry.Rec.Data.(type) {
			case domain.UnitAbsorbedData:
				lineage = true
			case domain.UnitRegisteredData:
				// A unit registered under a parent makes the parent a parent unit,
				// whose C13 then needs its subordinates' share in breach: the parent's
				// readers and those of its successors are all of them.
				lineage = lineage || d.Parent != ""
			}
		}
	}
	if m.integrity.added != problems {
		// A problem recorded on the campaign (a forward-dated grant, one by an actor who
		// could not have made it, one stored by a later version) flags every nomination
		// of it, not only the awards' lineage.
		onlyAwards = false
	}
	if !onlyAwards {
		awards = nil
	} else if awards == nil {
		awards = []string{}
	}
	m.live.invalidate(agg.Ref, lineage, awards)
	agg.Version = c.Version()
	agg.Version.Hash = strings.Clone(agg.Version.Hash)
	at := c.Events[0].RecordedAt
	if at.After(m.newest) {
		m.newest = at
	}
	if c.Key != "" {
		ke := m.keys[keyPrefix(c.Key)]
		if ke == nil || ke.key != c.Key {
			// A new key, or the same "user|key" with another request (only a race between
			// processes stores that): the latest is the one remembered.
			ke = newKeyEntry(c.Key, c.Result, len(c.Events))
			m.keys[keyPrefix(ke.key)] = ke
		}
		prefix := keyPrefix(ke.key)
		kr := &ke.rec
		if kr.ID == "" {
			kr.ID = strings.Clone(c.Result)
		}
		if ns := at.UnixNano(); ns > kr.last {
			kr.last = ns
		}
		m.keyCount++
		m.keyQueue = append(m.keyQueue, keyStamp{prefix: prefix, at: at.UnixNano(), n: m.keyCount})
		kr.Seqs = append(kr.Seqs, c.Seq)
		kr.Aggregates = append(kr.Aggregates, agg.Ref)
		for _, e := range agg.Entries[len(agg.Entries)-len(c.Events):] {
			kr.Events = append(kr.Events, e.Rec.ID)
		}
		if n := len(kr.Seqs); n > 1 && kr.Seqs[n-2] > c.Seq {
			m.keyInStreamOrder(kr)
		}
		if m.capDirty != nil {
			m.capKeys = append(m.capKeys, prefix)
		}
	}
	m.forgetKeys()
}

// keyInStreamOrder puts a key record's commits, and their events, in stream order, after
// a commit applied ahead of an earlier one of the same command (an atomic append's
// messages applied as another server's feed and this server's own command delivered
// them): every server then answers a replay of the key alike. The caller holds the write
// lock.
func (m *Model) keyInStreamOrder(kr *KeyRecord) {
	order := make([]int, len(kr.Seqs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(kr.Seqs[a], kr.Seqs[b]) })
	seqs := make([]uint64, 0, len(order))
	refs := make([]eventstore.Ref, 0, len(order))
	events := make([]string, 0, len(kr.Events))
	for _, i := range order {
		seq, ref := kr.Seqs[i], kr.Aggregates[i]
		seqs, refs = append(seqs, seq), append(refs, ref)
		ents := m.entries(ref)
		j := sort.Search(len(ents), func(j int) bool { return ents[j].Rec.Seq >= seq })
		for ; j < len(ents) && ents[j].Rec.Seq == seq; j++ {
			events = append(events, ents[j].Rec.ID)
		}
	}
	kr.Seqs, kr.Aggregates, kr.Events = seqs, refs, events
}

// forgetKeys forgets the keys past both bounds (IdempotencyWindow, IdempotencyKeep); the
// caller holds the write lock.
func (m *Model) forgetKeys() {
	cutoff := m.newest.Add(-m.keyWindow).UnixNano()
	for m.keyHead < len(m.keyQueue) && m.keyCount-m.keyQueue[m.keyHead].n >= m.keyKeep &&
		m.keyQueue[m.keyHead].at < cutoff {
		prefix := m.keyQueue[m.keyHead].prefix
		m.keyQueue[m.keyHead] = keyStamp{}
		m.keyHead++
		if ke := m.keys[prefix]; ke != nil && ke.rec.last < cutoff {
			delete(m.keys, prefix)
			if m.capDirty != nil {
				m.capKeys = append(m.capKeys, prefix)
			}
		}
	}
	if m.keyHead > 1024 && m.keyHead > len(m.keyQueue)/2 {
		// In place: the queue's array is reused rather than grown anew (snapshots copy
		// the queue under the lock).
		n := copy(m.keyQueue, m.keyQueue[m.keyHead:])
		clear(m.keyQueue[n:])
		m.keyQueue, m.keyHead = m.keyQueue[:n], 0
	}
}

// commitKeys maps the sequence of every commit whose key the model remembers to that
// key; the caller holds the read lock.
func (m *Model) commitKeys() map[uint64]string {
	out := make(map[uint64]string, len(m.keys))
	for _, ke := range m.keys {
		for _, seq := range ke.rec.Seqs {
			out[seq] = ke.key
		}
	}
	return out
}

// entrySlab is the number of entries allocated at once.
const entrySlab = 256

// newEntry returns a zeroed entry from the model's current slab. Entries are never freed
// (the history only grows), so allocating them 256 at a time costs nothing in memory and
// gives the garbage collector one object to find instead of 256; the caller holds the
// write lock.
func (m *Model) newEntry() *Entry {
	if len(m.slab) == cap(m.slab) {
		m.slab = make([]Entry, 0, entrySlab)
	}
	m.slab = m.slab[:len(m.slab)+1]
	return &m.slab[len(m.slab)-1]
}

// Subordinates returns the units registered with unit as their parent, in the order
// registered.
func (m *Model) Subordinates(unit string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.children[unit])
}

// Namesakes returns the ids, in order, of the active units other than unit itself whose
// name is the unit's (domain.SameUnitName) and whose parent is the same, as the model
// stands now; nil when none or when the unit is unknown. Parents are compared as they
// stand: one merged away is read as its successor, and a unit whose parent was merged
// away matches one of the top level too, since the province registers again the communes
// of an abolished district under the province (a review finding: those went unnamed).
// Two such units are most likely one unit registered twice under two ids (the province's
// list imported over the demo's): registering the second is taken, and its answer and
// page name the first, so that an administrator sees it (a review finding: it was taken
// without a word).
func (m *Model) Namesakes(unit string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u := m.units[unit]
	if u == nil || u.Status() != domain.UnitActive {
		return nil
	}
	mine, mineGone := m.standingParent(u.Parent())
	var out []string
	for _, id := range m.named[domain.UnitNameKey(u.Name())] {
		o := m.units[id]
		if id == unit || o == nil || o.Status() != domain.UnitActive {
			continue
		}
		theirs, theirsGone := m.standingParent(o.Parent())
		if theirs == mine || (mineGone && o.Parent() == "") || (theirsGone && u.Parent() == "") {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// standingParent returns the unit that stands for parent now: parent itself while it is
// active, else the active successor its mergers lead to (followed at most a hundred
// steps); and whether parent was merged away. The caller holds the read lock.
func (m *Model) standingParent(parent string) (string, bool) {
	gone := false
	for range 100 {
		p := m.units[parent]
		if parent == "" || p == nil || p.Status() == domain.UnitActive || p.Successor() == "" {
			break
		}
		parent, gone = p.Successor(), true
	}
	return parent, gone
}

// addChild notes that child, named name, was registered with parent as its parent (""
// for none).
func (m *Model) addChild(parent, child, name string) {
	if parent != "" && !slices.Contains(m.children[parent], child) {
		m.children[parent] = append(m.children[parent], child)
	}
	if k := domain.UnitNameKey(name); !slices.Contains(m.named[k], child) {
		m.named[k] = append(m.named[k], child)
	}
}

// fold evolves the aggregate's current state by one event and keeps the indexes.
func (m *Model) fold(ref eventstore.Ref, e *Entry) {
	switch ref.Kind {
	case domain.KindUnit:
		u := m.units[ref.ID]
		if u == nil {
			u = domain.NewUnit()
			m.units[ref.ID] = u
		}
		u.Apply(e.Rec)
		switch d := e.Rec.Data.(type) {
		case domain.UnitRegisteredData:
			m.addChild(d.Parent, ref.ID, d.Name)
		case domain.PlanSubmittedData:
			m.addDocOwner(d.Document.SHA256, ref.ID, "")
		case domain.FactRecordedData:
			if d.Document != nil {
				m.addDocOwner(d.Document.SHA256, ref.ID, "")
			}
		}
	case domain.KindNomination:
		n := m.noms[ref.ID]
		if n == nil {
			n = domain.NewNomination()
			m.noms[ref.ID] = n
		}
		n.Apply(e.Rec)
		if e.Rec.Type == domain.NominationHeld && m.heldBuilt {
			m.held[ref.ID] = true
		}
		switch d := e.Rec.Data.(type) {
		case domain.NominationOpenedData:
			m.byCamp[d.Campaign] = m.inOpeningOrder(m.byCamp[d.Campaign], ref.ID, e.Rec.Seq)
		case domain.DocumentAttachedData:
			m.addDocOwner(d.Document.SHA256, "", ref.ID)
		case domain.CriterionRuledData:
			if d.Document != nil {
				// The unit the nomination belongs to when the ruling cites it (and so its
				// successors), not every unit of its history: after a merger, a ruling
				// on the successor's nomination may cite another merged unit's plan,
				// which the first unit's clerk never had (ChecksVersion 3).
				m.addDocOwner(d.Document.SHA256, n.Unit(), "")
			}
		}
	case domain.KindCampaign:
		c := m.camps[ref.ID]
		if c == nil {
			c = domain.NewCampaign()
			m.camps[ref.ID] = c
		}
		c.Apply(e.Rec)
		if d, ok := e.Rec.Data.(domain.AwardGrantedData); ok {
			m.awards[d.Award] = ref.ID
		}
	case domain.KindRegistry:
		m.registry.Apply(e.Rec)
	case domain.KindClaim:
		if d, ok := e.Rec.Data.(domain.IDClaimedData); ok {
			m.claims[ref.ID] = d.ID
		}
	}
}

// KeyUsed reports whether the model remembers a command sent under prefix, a user's id
// and their idempotency key ("user|key"), whatever its request's fingerprint.
func (m *Model) KeyUsed(prefix string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.keys[prefix] != nil
}

// Key returns what the model knows of a command sent with key.
func (m *Model) Key(key string) (KeyRecord, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ke := m.keys[keyPrefix(key)]
	if ke == nil || ke.key != key {
		return KeyRecord{}, false
	}
	return ke.rec, true
}

// KeyFingerprint returns the request fingerprint recorded with a "user|key" prefix.
func (m *Model) KeyFingerprint(prefix string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ke := m.keys[prefix]
	if ke == nil || len(ke.key) <= len(prefix) {
		return "", false
	}
	return ke.key[len(prefix)+1:], true
}

// Version returns an aggregate's current version (zero when unknown).
func (m *Model) Version(ref eventstore.Ref) eventstore.Version {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if a := m.aggs[ref]; a != nil {
		return a.Version
	}
	return eventstore.Version{}
}

// Read runs fn with the model's current state under its read lock. fn must not keep
// references to what it is given, nor call other Model methods. The aggregates' current
// state is there at once after a snapshot load; the State methods that read the history
// (Eligibility, Lineage, Ranking) wait until its payloads are decoded (PayloadsDecoded).
func (m *Model) Read(fn func(v *State)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	fn(&State{m: m})
}

// State is the model's current state, valid only inside Model.Read.
type State struct{ m *Model }

// Unit returns a unit's current state and version, or nil.
func (s *State) Unit(id string) (*domain.Unit, eventstore.Version) {
	u := s.m.units[id]
	if u == nil {
		return nil, eventstore.Version{}
	}
	return u, s.m.aggs[eventstore.Ref{Kind: domain.KindUnit, ID: id}].Version
}

// UnitIDLike returns the id of an existing unit that differs from id only in letter case
// ("" when none): ids are compared exactly everywhere, so a second unit "a-b" beside "A-B"
// would be a different unit that reads as the same one. It reads the id's claim
// (domain.ClaimID), which a creation racing this one may have recorded before its unit
// reached the model, and scans every unit for those registered before claims were
// recorded (registering a unit is rare).
func (s *State) UnitIDLike(id string) string {
	return idLike(s.m.claims[domain.ClaimKey(domain.KindUnit, id)], s.m.units, id)
}

// CampaignIDLike is UnitIDLike for campaigns.
func (s *State) CampaignIDLike(id string) string {
	return idLike(s.m.claims[domain.ClaimKey(domain.KindCampaign, id)], s.m.camps, id)
}

// idLike returns the id claimed (claimed, "" when none) or a key of m equal to id under
// Unicode case folding but not equal to it.
func idLike[V any](claimed string, m map[string]V, id string) string {
	if claimed != "" && claimed != id {
		return claimed
	}
	for k := range m {
		if k != id && strings.EqualFold(k, id) {
			return k
		}
	}
	return ""
}

// Nomination returns a nomination's current state and version, or nil.
func (s *State) Nomination(id string) (*domain.Nomination, eventstore.Version) {
	n := s.m.noms[id]
	if n == nil {
		return nil, eventstore.Version{}
	}
	return n, s.m.aggs[eventstore.Ref{Kind: domain.KindNomination, ID: id}].Version
}

// Campaign returns a campaign's current state and version, or nil.
func (s *State) Campaign(id string) (*domain.Campaign, eventstore.Version) {
	c := s.m.camps[id]
	if c == nil {
		return nil, eventstore.Version{}
	}
	return c, s.m.aggs[eventstore.Ref{Kind: domain.KindCampaign, ID: id}].Version
}

// Registry returns the user registry and its version.
func (s *State) Registry() (*domain.Registry, eventstore.Version) {
	ref := eventstore.Ref{Kind: domain.KindRegistry, ID: domain.RegistryID}
	if a := s.m.aggs[ref]; a != nil {
		return s.m.registry, a.Version
	}
	return s.m.registry, eventstore.Version{}
}

// AwardCampaign returns the campaign an award belongs to.
func (s *State) AwardCampaign(award string) (string, bool) {
	c, ok := s.m.awards[award]
	return c, ok
}

// Eligibility evaluates a nomination on the live state (see Model.Eligibility).
func (s *State) Eligibility(id string) (EligibilityView, error) {
	s.m.awaitPayloads()
	return s.m.eligibility(id, Bound{})
}

// EvidencePlan returns the emulation plan a nomination's eligibility reads, live (its
// unit's, or one a merger brought), and false when it reads none.
func (s *State) EvidencePlan(id string) (domain.DocumentRef, bool) {
	s.m.awaitPayloads()
	r, err := s.m.evalAt(id, Bound{})
	if err != nil || r.plan == nil {
		return domain.DocumentRef{}, false
	}
	return r.plan.Document, true
}

// Lineage returns the units whose history unit carries (itself first), live.
func (s *State) Lineage(unit string) []string {
	s.m.awaitPayloads()
	return s.m.lineage(unit, Bound{})
}

// ComponentNames returns the index component names a unit's own facts record in a
// campaign under index, each once, in the order first recorded.
func (s *State) ComponentNames(unit, campaign, index string) []string {
	s.m.awaitPayloads()
	var out []string
	for _, e := range s.m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: unit}) {
		d, ok := e.Rec.Data.(domain.FactRecordedData)
		if !ok || d.Fact != domain.FactIndexComponent || d.Campaign != campaign || d.Index != index || d.Component == "" {
			continue
		}
		if !slices.Contains(out, d.Component) {
			out = append(out, d.Component)
		}
	}
	return out
}

// OpenNominations returns the ids of a unit's nominations that are not finished.
func (s *State) OpenNominations(unit string) []string {
	var out []string
	for id, n := range s.m.noms {
		if n.Unit() == unit && !n.State().Terminal() {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// NominationsOf returns a campaign's nominations whose unit is unit now, in the order
// they were opened. It scans the campaign's nominations: opening one is rare next to the
// commands that run on it.
func (s *State) NominationsOf(campaign, unit string) []*domain.Nomination {
	var out []*domain.Nomination
	for _, id := range s.m.byCamp[campaign] {
		if n := s.m.noms[id]; n != nil && n.Unit() == unit {
			out = append(out, n)
		}
	}
	return out
}

// NominationsOfUnitEverywhere returns every campaign's nominations whose unit is unit now:
// a hold is on the nominee, whichever campaign's dossier it was put on (the grant's check).
// It scans every nomination: a grant is rare next to the commands that run on a dossier.
func (s *State) NominationsOfUnitEverywhere(unit string) []*domain.Nomination {
	var out []*domain.Nomination
	for _, camp := range slices.Sorted(maps.Keys(s.m.byCamp)) {
		for _, id := range s.m.byCamp[camp] {
			if n := s.m.noms[id]; n != nil && n.Unit() == unit {
				out = append(out, n)
			}
		}
	}
	return out
}

// NominationsOfUnits returns the campaign's nominations whose unit is one of units (a
// unit's predecessors, say: the nominations a merger left on them, its awarded ones).
func (s *State) NominationsOfUnits(campaign string, units []string) []*domain.Nomination {
	var out []*domain.Nomination
	if len(units) == 0 {
		return out
	}
	for _, id := range s.m.byCamp[campaign] {
		if n := s.m.noms[id]; n != nil && slices.Contains(units, n.Unit()) {
			out = append(out, n)
		}
	}
	return out
}

// inOpeningOrder adds nomination id, opened at sequence seq, to ids, a campaign's
// nominations in the order of their openings in the stream: at the end, but for a
// nomination opened in a commit applied ahead of an earlier one (a command's own, before
// the feed brings another's), which goes before those opened later. So the live model,
// another server's and a rebuild list a campaign's nominations, and page through them,
// alike. The caller holds the write lock.
func (m *Model) inOpeningOrder(ids []string, id string, seq uint64) []string {
	i := len(ids)
	for i > 0 {
		prev := m.aggs[eventstore.Ref{Kind: domain.KindNomination, ID: ids[i-1]}]
		if prev == nil || len(prev.Entries) == 0 || prev.Entries[0].Rec.Seq < seq {
			break
		}
		i--
	}
	if i < len(ids) {
		m.reorders++
	}
	return slices.Insert(ids, i, id)
}

// entries returns an aggregate's entries (nil when unknown); caller holds the lock.
func (m *Model) entries(ref eventstore.Ref) []*Entry {
	if a := m.aggs[ref]; a != nil {
		return a.Entries
	}
	return nil
}

// NomineeAtVote returns the nominee as recorded when the nomination's last council vote was
// recorded; false when no vote is recorded.
func (s *State) NomineeAtVote(id string) (domain.Nominee, bool) {
	s.m.awaitPayloads()
	var cur, voted domain.Nominee
	found := false
	for _, e := range s.m.entries(eventstore.Ref{Kind: domain.KindNomination, ID: id}) {
		switch d := e.Rec.Data.(type) {
		case domain.NominationOpenedData:
			cur = d.Nominee
		case domain.NomineeCorrectedData:
			cur = d.Nominee
		case domain.CouncilVoteData:
			voted, found = cur, true
		}
	}
	return voted, found
}

// Gapped reports whether the state holds a commit above one it has not applied yet (a
// command's own, applied ahead of the feed, over another server's still on its way): a
// state the stream never had, for milliseconds (Model.Ranking).
func (s *State) Gapped() bool { return s.m.gapped() }

// Ranking computes a campaign's live ranking (see Model.Ranking), or takes it from the
// cache when the cached one is of the state as it is.
func (s *State) Ranking(campaign string) (RankingView, error) {
	s.m.awaitPayloads()
	if c, ok := s.m.rankCache[campaign]; ok && c.commits == s.m.rankVersion() {
		return c.view, nil
	}
	return s.m.ranking(campaign, Bound{})
}

// CampaignIDs lists the campaigns' ids in order.
func (s *State) CampaignIDs() []string { return slices.Sorted(maps.Keys(s.m.camps)) }

// docOwners records which nominations and units a document was filed with or cited by
// (a plan, an attachment, a fact's or a ruling's evidence). Its lists are only ever
// appended to. pos is its place in Model.docList.
type docOwners struct {
	sha         string
	pos         int
	noms, units []string
}

// addDocOwner records that a document belongs to a unit or to a nomination (the other
// one empty); the caller holds the write lock.
func (m *Model) addDocOwner(sha, unit, nomination string) {
	d := m.docs[sha]
	if d == nil {
		d = &docOwners{sha: sha, pos: len(m.docList)}
		m.docs[sha] = d
		m.docList = append(m.docList, d)
	}
	if unit != "" {
		d.units = append(d.units, unit)
	}
	if nomination != "" {
		d.noms = append(d.noms, nomination)
	}
	if m.capDirty != nil {
		m.capDocs = append(m.capDocs, d)
	}
}

// CitedDocuments returns the SHA-256 of every document the events refer to (a plan, an
// attachment, a fact's or a ruling's evidence), in the order they were first cited.
func (m *Model) CitedDocuments() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, len(m.docList))
	for i, d := range m.docList {
		out[i] = d.sha
	}
	return out
}

// DocumentCited reports whether an event the model has applied cites the document whose
// SHA-256 is sha (a plan, an attachment, a fact's or a ruling's evidence).
func (m *Model) DocumentCited(sha string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.docs[sha]
	return ok
}

// UnreadEvents counts what the model holds of the stream but could not read: events of a
// type this version does not know (a later version's) or whose payload cannot be read,
// messages that are no commit, and the stream's own problems (messages lost on disk, a
// history that differs from a snapshot's). Any of them may cite a document DocumentCited does not
// know of, so that a sweep of uncited documents must not run (it would remove evidence).
func (m *Model) UnreadEvents() int {
	m.rlock()
	defer m.mu.RUnlock()
	n := 0
	for _, agg := range m.aggs {
		for _, e := range agg.Entries {
			if !e.Known {
				n++
			}
		}
	}
	for _, ps := range m.integrity.broken {
		for _, p := range ps {
			if p.Problem == ProblemMalformed && p.EventID == "" {
				n++ // a message that is no commit (recordMalformed)
			}
		}
	}
	// The stream's own problems: messages lost on disk, history the stream no longer holds
	// as a snapshot recorded it. What they held may have cited a document (a review
	// finding: a rebuild past a lost plan_submitted let the sweep remove the plan).
	n += len(m.integrity.of(streamRef()))
	return n
}

// DocumentUnits returns the units a document belongs to: the units whose plan it is or
// whose facts cite it, and the units (current and former) of the nominations it was filed
// with or whose rulings cite it (nil when it is unknown).
func (m *Model) DocumentUnits(sha string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.documentUnits(sha)
}

// DocumentCiters returns the nominations that filed or cite the document with the SHA-256
// sha (a dossier's part, a ruling's evidence) and the units that cite it apart from a
// nomination (a plan, a fact's evidence), each once, in the order first cited: whom a
// document missing from the store concerns.
func (m *Model) DocumentCiters(sha string) (nominations, units []string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d := m.docs[sha]
	if d == nil {
		return nil, nil
	}
	once := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	return once(d.noms), once(d.units)
}

// DocumentFiled returns the document with the SHA-256 sha as one of units filed it (a
// dossier document of a nomination of theirs, or a plan), with its name and type as that
// filing recorded them, and false when none of them filed it. The document store keeps
// the first upload's name and type, which may be another unit's (the same bytes filed by
// two units).
func (m *Model) DocumentFiled(sha string, units []string) (domain.DocumentRef, bool) {
	m.rlock()
	defer m.mu.RUnlock()
	return m.documentFiled(sha, units)
}

// DocumentFiled is Model.DocumentFiled within a command's read of the model.
func (s *State) DocumentFiled(sha string, units []string) (domain.DocumentRef, bool) {
	return s.m.documentFiled(sha, units)
}

// FirstFiling returns the document with the SHA-256 sha as the first filing the model
// holds recorded it (a nomination's document, else a unit's plan), with its name and type,
// and false when no event files it. A reader who may read every filing (any role but a
// clerk) is given these rather than the document store's, which keep the first upload's
// (another upload of the same bytes may have been filed under another name) and which
// anyone with access to the store can change without a trace in the events (a review
// finding: the auditor downloaded a plan as "renamed-by-intruder.exe", text/html).
func (m *Model) FirstFiling(sha string) (domain.DocumentRef, bool) {
	m.rlock()
	defer m.mu.RUnlock()
	return m.documentFiledBy(sha, func(string) bool { return true })
}

// documentFiled is DocumentFiled; the caller holds the lock.
func (m *Model) documentFiled(sha string, units []string) (domain.DocumentRef, bool) {
	return m.documentFiledBy(sha, func(u string) bool { return slices.Contains(units, u) })
}

// documentFiledBy is the filing of the document sha by the first unit of which of
// reports true (a nomination's unit or one of its former units, else a plan's unit); the
// caller holds the lock. A filing under a name is preferred; one without (an upload that
// gave none) is returned when there is no other, so that the file is still served under
// the type its filing recorded, never the store's (a review finding).
func (m *Model) documentFiledBy(sha string, of func(unit string) bool) (domain.DocumentRef, bool) {
	d := m.docs[sha]
	if d == nil {
		return domain.DocumentRef{}, false
	}
	var blank *domain.DocumentRef // the first filing without a name
	filed := func(ref domain.DocumentRef) bool {
		if ref.SHA256 != sha {
			return false
		}
		if ref.Name == "" && blank == nil {
			blank = &ref
		}
		return ref.Name != ""
	}
	for _, id := range d.noms {
		n := m.noms[id]
		if n == nil || !of(n.Unit()) && !slices.ContainsFunc(n.UnitHistory(), of) {
			continue
		}
		for _, docs := range n.Documents() {
			for _, a := range docs {
				if filed(a.Document) {
					return a.Document, true
				}
			}
		}
	}
	for _, id := range d.units {
		u := m.units[id]
		if u == nil || !of(id) {
			continue
		}
		for _, p := range u.Plans() {
			if filed(p.Document) {
				return p.Document, true
			}
		}
	}
	// A plan replaced by a later one of its campaign is no longer the unit's (Plans): its
	// filing is in the unit's history, once that is decoded (a review finding: a replaced
	// plan was named as the store named it).
	decoded := false
	select {
	case <-m.payloads:
		decoded = true
	default:
	}
	for _, id := range d.units {
		if !decoded || m.units[id] == nil || !of(id) {
			continue
		}
		for _, e := range m.entries(eventstore.Ref{Kind: domain.KindUnit, ID: id}) {
			if p, ok := e.Rec.Data.(domain.PlanSubmittedData); ok && filed(p.Document) {
				return p.Document, true
			}
		}
	}
	if blank != nil {
		return *blank, true
	}
	return domain.DocumentRef{}, false
}

// DocumentUnits is Model.DocumentUnits within a command's read of the model.
func (s *State) DocumentUnits(sha string) []string { return s.m.documentUnits(sha) }

// documentUnits is DocumentUnits; the caller holds the lock.
func (m *Model) documentUnits(sha string) []string {
	d := m.docs[sha]
	if d == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, u := range d.units {
		add(u)
	}
	for _, id := range d.noms {
		if n := m.noms[id]; n != nil {
			add(n.Unit())
			for _, h := range n.UnitHistory() {
				add(h)
			}
		}
	}
	return out
}
