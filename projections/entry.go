package projections

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"

	"thidua/domain"
	"thidua/eventstore"
)

// Entry is one event held by the model: what the folds read (the domain's record of it)
// in fields, and what only the audit trail and the snapshot read (when it occurred, its
// hashes, its causation, its payload as stored) packed into one string
// (see packCold), so that a model of a million events holds a 176-byte entry and one
// packed string per event.
type Entry struct {
	// Rec is the event as the domain's evolve functions take it.
	Rec domain.Recorded
	// Aggregate is the aggregate whose stream holds it.
	Aggregate eventstore.Ref
	// Index is the event's position in its commit.
	Index int
	// schema is the payload's schema version (after upcasting).
	schema int32
	// Known is false for an event type the model does not know (kept for the audit trail).
	Known bool
	// cold holds the packed fields (packCold); it lives in the model's arena.
	cold string
}

// OccurredAt returns when the fact happened, as the command stated it.
func (e *Entry) OccurredAt() time.Time { return e.unpack().occurred }

// Raw returns the payload as stored (after upcasting).
func (e *Entry) Raw() json.RawMessage { return json.RawMessage(e.unpack().raw) }

// Hash returns the event's hash.
func (e *Entry) Hash() string { return e.unpack().hash }

// coldFields are an entry's packed fields, unpacked.
type coldFields struct {
	occurred               time.Time
	hash                   string
	causation, correlation string
	// prevHash is the previous event's hash when the entry does not chain to the entry
	// before it in its aggregate; chained says it does (prevHash is then "").
	prevHash string
	chained  bool
	raw      string
}

// The flags of a packed entry.
const (
	coldSameTimes   = 1 << iota // occurred = recorded: no time follows
	coldChained                 // the previous hash is the hash of the entry before
	coldHashBin                 // the hash is 64 lowercase hex digits, packed as 32 bytes
	coldPrevBin                 // the same for the previous hash
	coldCorrelateID             // the correlation id is the event's own id
)

// packCold packs an event's cold fields: a flags byte, [occurred time], hash,
// [previous hash], causation, [correlation], then the payload to the end. Hex hashes are
// kept as bytes (half the size); anything else (a forged or damaged event) is kept as it
// came, so that the audit trail shows what is stored.
func packCold(arena *eventstore.Arena, buf []byte, e *eventstore.Event, chained bool) ([]byte, string) {
	var flags byte
	if e.OccurredAt.Equal(e.RecordedAt) && e.OccurredAt.Location() == e.RecordedAt.Location() {
		flags |= coldSameTimes
	}
	if chained {
		flags |= coldChained
	}
	if hexHash(e.Hash) {
		flags |= coldHashBin
	}
	if !chained && hexHash(e.PrevHash) {
		flags |= coldPrevBin
	}
	if e.CorrelationID == e.ID {
		flags |= coldCorrelateID
	}
	b := append(buf[:0], flags)
	if flags&coldSameTimes == 0 {
		b = appendTime(b, e.OccurredAt)
	}
	b = appendHash(b, e.Hash, flags&coldHashBin != 0)
	if !chained {
		b = appendHash(b, e.PrevHash, flags&coldPrevBin != 0)
	}
	b = appendStr(b, e.CausationID)
	if flags&coldCorrelateID == 0 {
		b = appendStr(b, e.CorrelationID)
	}
	b = append(b, e.Data...)
	return b, arena.String(b)
}

func hexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func appendHash(b []byte, h string, bin bool) []byte {
	if !bin {
		return appendStr(b, h)
	}
	var raw [32]byte
	_, _ = hex.Decode(raw[:], []byte(h))
	return append(b, raw[:]...)
}

// unpack decodes the packed fields. The packing is the model's own, made in this process,
// so a failure is a bug: it panics.
func (e *Entry) unpack() coldFields {
	s := e.cold
	var c coldFields
	if s == "" {
		return c
	}
	i := 0
	uv := func() int {
		v, n := binary.Uvarint([]byte(s[i:min(len(s), i+binary.MaxVarintLen64)]))
		if n <= 0 {
			panic("projections: damaged entry")
		}
		i += n
		return int(v)
	}
	str := func() string {
		n := uv()
		v := s[i : i+n]
		i += n
		return v
	}
	hash := func(bin bool) string {
		if !bin {
			return str()
		}
		v := hex.EncodeToString([]byte(s[i : i+32]))
		i += 32
		return v
	}
	flags := s[0]
	i = 1
	if flags&coldSameTimes == 0 {
		tb := str()
		if err := c.occurred.UnmarshalBinary([]byte(tb)); err != nil {
			panic("projections: damaged entry time")
		}
	} else {
		c.occurred = e.Rec.At
	}
	c.hash = hash(flags&coldHashBin != 0)
	c.chained = flags&coldChained != 0
	if !c.chained {
		c.prevHash = hash(flags&coldPrevBin != 0)
	}
	c.causation = str()
	if flags&coldCorrelateID != 0 {
		c.correlation = e.Rec.ID
	} else {
		c.correlation = str()
	}
	c.raw = s[i:]
	return c
}

// payload returns the packed payload, skipping the other packed fields without decoding
// them (unpack builds strings for the hashes).
func (e *Entry) payload() string {
	s := e.cold
	if s == "" {
		return ""
	}
	i := 1
	skip := func() {
		var n uint64
		for shift := 0; ; shift += 7 {
			if i >= len(s) || shift > 63 {
				panic("projections: damaged entry")
			}
			c := s[i]
			i++
			n |= uint64(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		i += int(n)
	}
	flags := s[0]
	if flags&coldSameTimes == 0 {
		skip()
	}
	if flags&coldHashBin != 0 {
		i += 32
	} else {
		skip()
	}
	if flags&coldChained == 0 {
		if flags&coldPrevBin != 0 {
			i += 32
		} else {
			skip()
		}
	}
	skip() // causation
	if flags&coldCorrelateID == 0 {
		skip()
	}
	if i > len(s) {
		panic("projections: damaged entry")
	}
	return s[i:]
}
