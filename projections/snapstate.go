package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// The folded state a v3 snapshot stores beside the events (snapv3.go), so that loading
// it folds nothing: the units' and nominations' current state, the indexes the folds
// keep, the idempotency keys, the integrity findings and the counters. Campaigns and the
// user registry are not stored: they have few events, which the load folds again.

// snapMisc is everything but the aggregates' states.
type snapMisc struct {
	Newest    time.Time
	ByCamp    map[string][]string
	Docs      []snapDoc
	Keys      []snapKey
	KeyQueue  []snapStamp
	KeyCount  int
	Broken    []snapProblem
	Commits   int
	Events    int
	Unknown   map[string]int
	Malformed []MalformedRecord
	// Digest and Marks are the stream's digest and its marks (digest.go); format v5 on.
	Digest eventstore.Digest
	Marks  []eventstore.Digest
}

type snapDoc struct {
	SHA         string
	Noms, Units []string
}

type snapKey struct {
	Key, ID    string
	Seqs       []uint64
	Events     []string
	Aggregates []eventstore.Ref
	Last       int64
}

type snapStamp struct {
	Prefix string
	At     int64
	N      int
}

type snapProblem struct {
	Ref     eventstore.Ref
	Problem IntegrityProblem
	At      time.Time
	// LostTo is the last sequence of a loss (format v5 on).
	LostTo uint64
}

// captureMisc copies the model's indexes, findings and counters, but for the documents
// and the keys (captureV3 takes them in chunks, with captureDoc and captureKey); the key
// queue is queue, taken in chunks too, brought up to date (catchUpQueue). The caller holds
// the read lock. The lists
// it returns share their arrays with the model's: they are only ever appended to, so the
// elements within the captured lengths never change, and the copy under the lock stays
// short (it holds up every writer).
func (m *Model) captureMisc(queue []snapStamp) snapMisc {
	s := snapMisc{
		Newest: m.newest, ByCamp: make(map[string][]string, len(m.byCamp)), KeyCount: m.keyCount,
		Commits: m.stats.Commits, Events: m.stats.Events, Unknown: make(map[string]int, len(m.stats.Unknown)),
		Malformed: m.stats.Malformed[:len(m.stats.Malformed):len(m.stats.Malformed)],
		Digest:    m.digest, Marks: m.digestMarks[:len(m.digestMarks):len(m.digestMarks)],
	}
	for k, v := range m.byCamp {
		s.ByCamp[k] = v[:len(v):len(v)]
	}
	for k, v := range m.stats.Unknown {
		s.Unknown[k] = v
	}
	s.KeyQueue = m.catchUpQueue(queue)
	for ref, ps := range m.integrity.broken {
		for _, p := range ps {
			s.Broken = append(s.Broken, snapProblem{Ref: ref, Problem: p, At: p.at, LostTo: p.lostTo})
		}
	}
	return s
}

// queueAfter returns the entries of the queue of keys to forget whose n is above after
// (n only grows along the queue); the caller holds the read lock.
func (m *Model) queueAfter(after int) []keyStamp {
	q := m.keyQueue[m.keyHead:]
	return q[sort.Search(len(q), func(i int) bool { return q[i].n > after }):]
}

// catchUpQueue brings a copy of the queue of keys to forget, taken earlier, to the
// queue as it is: the entries forgotten since are dropped from its head, and those added
// since appended. The caller holds the read lock.
func (m *Model) catchUpQueue(queue []snapStamp) []snapStamp {
	live := m.keyQueue[m.keyHead:]
	if len(live) == 0 {
		return queue[:0]
	}
	first := live[0].n
	queue = queue[sort.Search(len(queue), func(i int) bool { return queue[i].N >= first }):]
	last := 0
	if len(queue) > 0 {
		last = queue[len(queue)-1].N
	}
	for _, k := range m.queueAfter(last) {
		queue = append(queue, k.snap())
	}
	return queue
}

// snap is the stamp as a snapshot stores it.
func (k keyStamp) snap() snapStamp { return snapStamp{Prefix: k.prefix, At: k.at, N: k.n} }

// captureKey takes one idempotency key's record; the caller holds the read lock.
func captureKey(ke *keyEntry) snapKey {
	r := &ke.rec
	return snapKey{
		Key: ke.key, ID: r.ID, Seqs: r.Seqs[:len(r.Seqs):len(r.Seqs)], Events: r.Events[:len(r.Events):len(r.Events)],
		Aggregates: r.Aggregates[:len(r.Aggregates):len(r.Aggregates)], Last: r.last,
	}
}

// captureDoc takes one document's owners; the caller holds the read lock.
func captureDoc(d *docOwners) snapDoc {
	return snapDoc{SHA: d.sha, Noms: d.noms[:len(d.noms):len(d.noms)], Units: d.units[:len(d.units):len(d.units)]}
}

// miscBlock is the size of encodeMisc's blocks.
const miscBlock = 1 << 20

// encodeMisc encodes the indexes, keys, findings and counters, and hands the encoding to
// emit in blocks of about miscBlock bytes (their concatenation is the encoding); emit
// must not keep a block, whose array is reused for the next. The first error of emit
// ends the encoding and is returned. The encoding is the same every time for the same
// state (maps are written in the order of their keys), so that a snapshot can encode
// it twice: once for its length and checksum, which come first in the file, and once to
// write it. For a million events the state is about 51 MiB: grown as one buffer, Go's
// appends (a quarter more at a time, past a few hundred KiB) allocated 280 MB for it, and
// held in blocks until it was written, 56 MB at the moment a save holds the most.
func encodeMisc(s *snapMisc, emit func(block []byte) error) (err error) {
	b := make([]byte, 0, miscBlock+miscBlock/8)
	// cut ends the current block once it is full: each item is small, so a block ends a
	// little past miscBlock.
	cut := func() {
		if len(b) >= miscBlock && err == nil {
			err = emit(b)
			b = b[:0]
		}
	}
	b = appendTime(b, s.Newest)
	b = binary.AppendUvarint(b, uint64(s.KeyCount))
	b = binary.AppendUvarint(b, uint64(s.Commits))
	b = binary.AppendUvarint(b, uint64(s.Events))
	b = binary.AppendUvarint(b, uint64(len(s.ByCamp)))
	for _, c := range slices.Sorted(maps.Keys(s.ByCamp)) {
		b = appendStrs(appendStr(b, c), s.ByCamp[c])
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.Docs)))
	for _, d := range s.Docs {
		b = appendStrs(appendStrs(appendStr(b, d.SHA), d.Noms), d.Units)
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.Keys)))
	for _, k := range s.Keys {
		b = appendStr(appendStr(b, k.Key), k.ID)
		b = binary.AppendUvarint(b, uint64(len(k.Seqs)))
		for _, q := range k.Seqs {
			b = binary.AppendUvarint(b, q)
		}
		b = appendStrs(b, k.Events)
		b = binary.AppendUvarint(b, uint64(len(k.Aggregates)))
		for _, r := range k.Aggregates {
			b = appendStr(appendStr(b, r.Kind), r.ID)
		}
		b = binary.AppendVarint(b, k.Last)
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.KeyQueue)))
	for _, q := range s.KeyQueue {
		b = appendStr(b, q.Prefix)
		b = binary.AppendVarint(b, q.At)
		b = binary.AppendUvarint(b, uint64(q.N))
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.Broken)))
	for _, p := range s.Broken {
		b = appendStr(appendStr(b, p.Ref.Kind), p.Ref.ID)
		b = binary.AppendUvarint(b, p.Problem.Seq)
		b = appendStr(b, p.Problem.EventID)
		b = appendStr(appendStr(b, p.Problem.Aggregate.Kind), p.Problem.Aggregate.ID)
		b = appendStr(appendStr(b, p.Problem.Problem), p.Problem.Detail)
		b = appendTime(b, p.At)
		b = binary.AppendUvarint(b, p.LostTo)
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.Unknown)))
	for _, t := range slices.Sorted(maps.Keys(s.Unknown)) {
		b = binary.AppendUvarint(appendStr(b, t), uint64(s.Unknown[t]))
		cut()
	}
	b = binary.AppendUvarint(b, uint64(len(s.Malformed)))
	for _, mr := range s.Malformed {
		b = binary.AppendUvarint(b, mr.Seq)
		b = appendStr(appendStr(b, mr.EventID), mr.Problem)
		cut()
	}
	b = appendDigest(b, s.Digest)
	b = binary.AppendUvarint(b, uint64(len(s.Marks)))
	for _, d := range s.Marks {
		b = appendDigest(b, d)
		cut()
	}
	if err != nil {
		return err
	}
	return emit(b)
}

// decodeMisc decodes what encodeMisc encoded. What is kept for good (the indexes) goes
// into arena; the keys, which the model forgets in time, are allocated on their own.
// withDigest is false for format v4 and v3, which did not record the stream's digest.
func decodeMisc(body []byte, arena *eventstore.Arena, withDigest bool) (s snapMisc, err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok && errors.Is(e, errSnapCorrupt) {
				err = fmt.Errorf("%w: state", errSnapCorrupt)
				return
			}
			panic(v)
		}
	}()
	r := &snapReader{b: body, tab: &eventstore.Interner{}, arena: arena}
	s.Newest = r.time()
	s.KeyCount, s.Commits, s.Events = int(r.uvarint()), int(r.uvarint()), int(r.uvarint())
	n := r.count()
	s.ByCamp = make(map[string][]string, n)
	for range n {
		c := r.interned()
		s.ByCamp[c] = r.strs()
	}
	s.Docs = make([]snapDoc, r.count())
	for i := range s.Docs {
		s.Docs[i] = snapDoc{SHA: r.str(), Noms: r.strs(), Units: r.strs()}
	}
	r.arena = nil
	s.Keys = make([]snapKey, r.count())
	for i := range s.Keys {
		k := &s.Keys[i]
		k.Key, k.ID = r.str(), r.str()
		k.Seqs = make([]uint64, r.count())
		for j := range k.Seqs {
			k.Seqs[j] = r.uvarint()
		}
		k.Events = r.strs()
		if n := r.count(); n > 0 {
			k.Aggregates = make([]eventstore.Ref, n)
			for j := range k.Aggregates {
				k.Aggregates[j] = eventstore.Ref{Kind: r.interned(), ID: r.str()}
			}
		}
		k.Last = r.varint()
	}
	s.KeyQueue = make([]snapStamp, r.count())
	for i := range s.KeyQueue {
		s.KeyQueue[i] = snapStamp{Prefix: r.str(), At: r.varint(), N: int(r.uvarint())}
	}
	if n := r.count(); n > 0 {
		s.Broken = make([]snapProblem, n)
		for i := range s.Broken {
			p := &s.Broken[i]
			p.Ref = eventstore.Ref{Kind: r.interned(), ID: r.str()}
			p.Problem.Seq, p.Problem.EventID = r.uvarint(), r.str()
			p.Problem.Aggregate = eventstore.Ref{Kind: r.interned(), ID: r.str()}
			p.Problem.Problem, p.Problem.Detail = r.str(), r.str()
			p.At = r.time()
			if withDigest {
				p.LostTo = r.uvarint()
			}
		}
	}
	n = r.count()
	s.Unknown = make(map[string]int, n)
	for range n {
		t := r.str()
		s.Unknown[t] = int(r.uvarint())
	}
	if n := r.count(); n > 0 {
		s.Malformed = make([]MalformedRecord, n)
		for i := range s.Malformed {
			s.Malformed[i] = MalformedRecord{Seq: r.uvarint(), EventID: r.str(), Problem: r.str()}
		}
	}
	if withDigest {
		s.Digest = r.digest()
		if n := r.count(); n > 0 {
			s.Marks = make([]eventstore.Digest, n)
			for i := range s.Marks {
				s.Marks[i] = r.digest()
				if i > 0 && s.Marks[i].Seq <= s.Marks[i-1].Seq {
					panic(errSnapCorrupt)
				}
			}
		}
	}
	if r.i != len(body) {
		return s, fmt.Errorf("%w: state", errSnapCorrupt)
	}
	return s, nil
}

// restoreMisc puts the stored indexes, keys, findings and counters into an empty model.
func (m *Model) restoreMisc(s *snapMisc) {
	m.newest = s.Newest
	if s.ByCamp != nil {
		m.byCamp = s.ByCamp
	}
	m.docs = make(map[string]*docOwners, len(s.Docs))
	m.docList = make([]*docOwners, len(s.Docs))
	for i, d := range s.Docs {
		m.docList[i] = &docOwners{sha: d.SHA, pos: i, noms: d.Noms, units: d.Units}
		m.docs[d.SHA] = m.docList[i]
	}
	m.keys = make(map[string]*keyEntry, len(s.Keys))
	for _, k := range s.Keys {
		m.keys[keyPrefix(k.Key)] = &keyEntry{key: k.Key, rec: KeyRecord{
			ID: k.ID, Seqs: k.Seqs, Events: k.Events, Aggregates: k.Aggregates, last: k.Last,
		}}
	}
	m.keyQueue = make([]keyStamp, len(s.KeyQueue))
	for i, k := range s.KeyQueue {
		// The queue's prefixes share the keys' memory.
		prefix := k.Prefix
		if ke := m.keys[k.Prefix]; ke != nil {
			prefix = keyPrefix(ke.key)
		}
		m.keyQueue[i] = keyStamp{prefix: prefix, at: k.At, n: k.N}
	}
	m.keyHead, m.keyCount = 0, s.KeyCount
	for _, p := range s.Broken {
		pr := p.Problem
		pr.at, pr.lostTo = p.At, p.LostTo
		m.integrity.add(p.Ref, pr)
	}
	m.stats.Commits, m.stats.Events, m.stats.Malformed = s.Commits, s.Events, s.Malformed
	m.digest, m.digestMarks = s.Digest, s.Marks
	if s.Unknown != nil {
		m.stats.Unknown = s.Unknown
	}
}

// The units' and nominations' states are encoded by hand, as the entries are: gob took
// longer to decode them than the rest of the load.

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

func (r *snapReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

// appendDigest appends a stream digest: uvarint sequence, then the 32 bytes of its sum.
func appendDigest(b []byte, d eventstore.Digest) []byte {
	return append(binary.AppendUvarint(b, d.Seq), d.Sum[:]...)
}

// digest reads what appendDigest wrote.
func (r *snapReader) digest() eventstore.Digest {
	d := eventstore.Digest{Seq: r.uvarint()}
	if len(r.b)-r.i < len(d.Sum) {
		panic(errSnapCorrupt)
	}
	r.i += copy(d.Sum[:], r.b[r.i:])
	return d
}

// count reads a length, at most the bytes left (each element takes one at least).
func (r *snapReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.i) {
		panic(errSnapCorrupt)
	}
	return int(n)
}

func appendDoc(b []byte, d domain.DocumentRef) []byte {
	b = appendStr(b, d.ID)
	b = appendStr(b, d.SHA256)
	b = binary.AppendVarint(b, d.Size)
	b = appendStr(b, d.Name)
	return appendStr(b, d.ContentType)
}

func (r *snapReader) doc() domain.DocumentRef {
	return domain.DocumentRef{ID: r.str(), SHA256: r.str(), Size: r.varint(), Name: r.str(), ContentType: r.interned()}
}

func appendUnitState(b []byte, u *domain.UnitState) []byte {
	b = appendStr(b, u.ID)
	b = appendStr(b, u.Name)
	b = appendStr(b, string(u.Kind))
	b = appendStr(b, u.Parent)
	b = appendStr(b, u.Status)
	b = appendStr(b, u.Successor)
	b = appendStr(b, u.MergedOn)
	b = appendStr(b, u.Reorganisation)
	b = appendStrs(b, u.Predecessors)
	b = binary.AppendUvarint(b, uint64(len(u.Plans)))
	for c, p := range u.Plans {
		b = appendStr(b, c)
		b = appendDoc(b, p.Document)
		b = appendStr(b, p.EventID)
	}
	return binary.AppendUvarint(b, u.Seq)
}

func readUnitState(r *snapReader) domain.UnitState {
	u := domain.UnitState{
		ID: r.str(), Name: r.str(), Kind: domain.UnitKind(r.interned()), Parent: r.str(), Status: r.interned(),
		Successor: r.str(), MergedOn: r.str(), Reorganisation: r.str(), Predecessors: r.strs(),
	}
	if n := r.count(); n > 0 {
		u.Plans = make(map[string]domain.PlanRef, n)
		for range n {
			c := r.interned()
			u.Plans[c] = domain.PlanRef{Document: r.doc(), EventID: r.str()}
		}
	}
	u.Seq = r.uvarint()
	return u
}

func appendNominationState(b []byte, n *domain.NominationState) []byte {
	for _, s := range []string{n.ID, n.Campaign, n.Unit, string(n.Nominee.Kind), n.Nominee.Name, n.Nominee.Position,
		n.Nominee.Gender, string(n.State), string(n.HeldFrom)} {
		b = appendStr(b, s)
	}
	// One byte of flags: 1 the head, 2 not the head (a snapshot written before NotHead
	// holds 0 or 1, read alike).
	var flags byte
	if n.Nominee.Head {
		flags |= 1
	}
	if n.Nominee.NotHead {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(n.Documents)))
	for _, kd := range n.Documents {
		b = appendStr(b, string(kd.Kind))
		b = binary.AppendUvarint(b, uint64(len(kd.Documents)))
		for _, d := range kd.Documents {
			b = appendDoc(b, d.Document)
			b = appendStr(b, d.EventID)
			b = appendTime(b, d.At)
		}
	}
	if v := n.Vote; v != nil {
		b = append(b, 1)
		b = appendStr(b, v.MeetingDate)
		b = binary.AppendVarint(b, int64(v.Members))
		b = binary.AppendVarint(b, int64(v.Present))
		b = binary.AppendVarint(b, int64(v.Approve))
		b = appendStr(b, v.EventID)
		b = appendTime(b, v.At)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(n.Rulings)))
	for _, cr := range n.Rulings {
		rl := cr.Ruling
		b = appendStr(b, cr.Criterion)
		b = appendStr(b, rl.Result)
		b = appendStr(b, rl.Note)
		if rl.Document != nil {
			b = appendDoc(append(b, 1), *rl.Document)
		} else {
			b = append(b, 0)
		}
		b = appendStr(b, rl.EventID)
		b = appendTime(b, rl.At)
	}
	b = appendStr(b, n.OpenedEvent)
	b = appendStr(b, n.OpenedBy)
	b = appendTime(b, n.OpenedAt)
	b = appendTime(b, n.SubmittedAt)
	b = binary.AppendUvarint(b, n.SubmittedSeq)
	for _, s := range []string{n.SubmittedEvent, n.SubmittedBy, n.HoldEvent, n.Award, n.AwardEvent, n.RevokeEvent} {
		b = appendStr(b, s)
	}
	b = appendStrs(b, n.UnitHistory)
	b = appendStr(b, n.LastReturn)
	b = appendStr(b, n.WithdrawEvent)
	b = binary.AppendUvarint(b, n.Seq)
	return binary.AppendUvarint(b, uint64(n.Events))
}

func readNominationState(r *snapReader) domain.NominationState {
	n := domain.NominationState{ID: r.str(), Campaign: r.interned(), Unit: r.str()}
	n.Nominee = domain.Nominee{Kind: domain.NomineeKind(r.interned()), Name: r.str(), Position: r.str(), Gender: r.interned()}
	n.State, n.HeldFrom = domain.State(r.interned()), domain.State(r.interned())
	flags := r.byte()
	n.Nominee.Head, n.Nominee.NotHead = flags&1 != 0, flags&2 != 0
	if k := r.count(); k > 0 {
		n.Documents = make([]domain.KindDocuments, k)
		for i := range n.Documents {
			kind := domain.DocKind(r.interned())
			ds := make([]domain.AttachedDocument, r.count())
			for j := range ds {
				ds[j] = domain.AttachedDocument{Document: r.doc(), EventID: r.str(), At: r.time()}
			}
			n.Documents[i] = domain.KindDocuments{Kind: kind, Documents: ds}
		}
	}
	if r.byte() == 1 {
		n.Vote = &domain.Vote{CouncilVoteData: domain.CouncilVoteData{
			MeetingDate: r.str(), Members: int(r.varint()), Present: int(r.varint()), Approve: int(r.varint()),
		}, EventID: r.str(), At: r.time()}
	}
	if k := r.count(); k > 0 {
		n.Rulings = make([]domain.CriterionRuling, k)
		for i := range n.Rulings {
			c := r.interned()
			rl := domain.Ruling{Result: r.interned(), Note: r.str()}
			if r.byte() == 1 {
				d := r.doc()
				rl.Document = &d
			}
			rl.EventID, rl.At = r.str(), r.time()
			n.Rulings[i] = domain.CriterionRuling{Criterion: c, Ruling: rl}
		}
	}
	n.OpenedEvent, n.OpenedBy, n.OpenedAt, n.SubmittedAt = r.str(), r.interned(), r.time(), r.time()
	n.SubmittedSeq = r.uvarint()
	n.SubmittedEvent, n.SubmittedBy, n.HoldEvent = r.str(), r.interned(), r.str()
	n.Award, n.AwardEvent, n.RevokeEvent = r.str(), r.str(), r.str()
	n.UnitHistory = r.strs()
	n.LastReturn, n.WithdrawEvent = r.str(), r.str()
	n.Seq = r.uvarint()
	n.Events = int(r.uvarint())
	return n
}
