package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Actor is who caused an event: a user id and the role they acted in.
type Actor struct {
	// User is the user's id ("system" for the engine itself).
	User string `json:"user"`
	// Role is the role the user acted in.
	Role string `json:"role"`
}

// Event is the envelope of one immutable event, as stored and as read back.
type Event struct {
	// ID is the event's ULID.
	ID string `json:"id"`
	// Type names the event, such as "nomination.submitted".
	Type string `json:"type"`
	// Schema is the version of the payload's schema; old versions are upcast on read.
	Schema int `json:"schema"`
	// Aggregate is the aggregate the event belongs to.
	Aggregate Ref `json:"aggregate"`
	// Actor is who caused the event.
	Actor Actor `json:"actor"`
	// OccurredAt is when the fact happened, as the command stated it.
	OccurredAt time.Time `json:"occurred_at"`
	// RecordedAt is when the store recorded the event.
	RecordedAt time.Time `json:"recorded_at"`
	// CausationID is the id of the event or command that caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// CorrelationID ties together the events of one business transaction.
	CorrelationID string `json:"correlation_id,omitempty"`
	// PrevHash is the hash of the aggregate's previous event ("" for its first).
	PrevHash string `json:"prev_hash"`
	// Hash is this event's hash, computed by Event.ComputeHash.
	Hash string `json:"hash"`
	// Data is the event's payload, compact JSON.
	Data json.RawMessage `json:"data"`

	// Seq is the stream sequence of the message (commit) that carries the event.
	Seq uint64 `json:"-"`
	// Index is the event's position within its commit.
	Index int `json:"-"`
	// Subject is the subject the commit was stored on.
	Subject string `json:"-"`
	// Key is the idempotency key of the command that appended the event, if any.
	Key string `json:"-"`
	// StoredSchema is the schema version as stored, before any upcast.
	StoredSchema int `json:"-"`
	// StoredHashOK tells, for an event upcast on read (StoredSchema below Schema), whether
	// the event as stored hashed to its Hash: checked before the upcast replaced its
	// payload, so that an old schema does not exempt a forged event from the check.
	StoredHashOK bool `json:"-"`
}

// ComputeHash returns the hex SHA-256 of the event's content and its PrevHash, in a
// length-prefixed framing that does not depend on JSON formatting. Hash itself, and the
// read-side fields, are not part of it. Data must be the bytes as stored.
func (e *Event) ComputeHash() string {
	out := e.hexHash()
	return string(out[:])
}

// HashMatches reports whether Hash is the event's ComputeHash, without allocating.
func (e *Event) HashMatches() bool {
	out := e.hexHash()
	return string(out[:]) == e.Hash
}

// hexHash is ComputeHash's hex digits.
func (e *Event) hexHash() [2 * sha256.Size]byte {
	// The framing is built in one buffer (on the stack for a usual event) and hashed at
	// once: this runs for every event appended, verified or loaded.
	var stack [1024]byte
	var tmp [64]byte
	b := stack[:0]
	b = appendHashField(b, "thidua-event-v1")
	b = appendHashField(b, e.ID)
	b = appendHashField(b, e.Type)
	b = appendHashBytes(b, strconv.AppendInt(tmp[:0], int64(e.Schema), 10))
	b = appendHashField(b, e.Aggregate.Kind)
	b = appendHashField(b, e.Aggregate.ID)
	b = appendHashField(b, e.Actor.User)
	b = appendHashField(b, e.Actor.Role)
	occurred := e.OccurredAt.UTC().AppendFormat(tmp[:0], time.RFC3339Nano)
	b = appendHashBytes(b, occurred)
	if e.RecordedAt.Equal(e.OccurredAt) {
		// Most events are recorded when they occur: the same text, formatted once.
		b = appendHashBytes(b, occurred)
	} else {
		b = appendHashBytes(b, e.RecordedAt.UTC().AppendFormat(tmp[:0], time.RFC3339Nano))
	}
	b = appendHashField(b, e.CausationID)
	b = appendHashField(b, e.CorrelationID)
	b = appendHashField(b, e.PrevHash)
	b = appendHashBytes(b, e.Data)
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return out
}

// appendHashField appends one field of the hash framing: its length (8 bytes, big
// endian), then its bytes.
func appendHashField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendHashBytes(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// Pending is an event a command wants to append, before the store gives it an envelope.
type Pending struct {
	// Type names the event.
	Type string
	// Data is the payload; it is marshalled to JSON unless it already is a json.RawMessage.
	Data any
	// Schema is the payload's schema version; 0 means the registry's current version (or 1).
	Schema int
}

// Meta carries what is common to all events of one command.
type Meta struct {
	// Actor is who issued the command.
	Actor Actor
	// Key is the command's idempotency key: a retry with the same key appends nothing.
	Key string
	// DedupKey, when set, is what JetStream deduplicates a commit's message (an atomic
	// append's first message) on, instead of Key: the part of the key that names the
	// command whatever its request (the user and the client's key, without the request's
	// fingerprint). A second request under the same DedupKey within the stream's
	// duplicate window, a different request included, then gets the first one's commit
	// back (Duplicate, with the first one's Key), which the caller compares with its own
	// Key; an atomic append gets it, or ErrKeyUsed.
	DedupKey string
	// CausationID is the id of what caused the command, if anything.
	CausationID string
	// CorrelationID ties the command to a business transaction; it defaults to the first event's id.
	CorrelationID string
	// OccurredAt is when the fact happened; zero means the recording time.
	OccurredAt time.Time
	// Result is the id of what the command created or acted on, stored with the commit so
	// that a retried command can answer with it.
	Result string
}

// Version is the position of an aggregate in the stream: the stream sequence of its last
// commit (0 when it has none) and the hash of its last event.
type Version struct {
	// Seq is the stream sequence of the aggregate's last commit.
	Seq uint64 `json:"seq"`
	// Hash is the hash of the aggregate's last event.
	Hash string `json:"hash"`
}

// Commit is one stored message: the events one command appended to one aggregate.
type Commit struct {
	// Seq is the message's stream sequence.
	Seq uint64
	// Subject is the message's subject.
	Subject string
	// Time is the server's timestamp of the message.
	Time time.Time
	// Key is the command's idempotency key, if any.
	Key string
	// Events are the events, in order.
	Events []Event
	// Duplicate is true when an append found this commit already stored under the same key.
	Duplicate bool
	// Result is the id the command reported (Meta.Result).
	Result string
}

// Version returns the aggregate's version after this commit.
func (c Commit) Version() Version {
	if len(c.Events) == 0 {
		return Version{Seq: c.Seq}
	}
	return Version{Seq: c.Seq, Hash: c.Events[len(c.Events)-1].Hash}
}

// wireCommit is the JSON body of one message.
type wireCommit struct {
	Key    string  `json:"key,omitempty"`
	Result string  `json:"result,omitempty"`
	Events []Event `json:"events"`
}

// compactJSON marshals v (or compacts it when it already is JSON) so that the bytes hashed
// are exactly the bytes stored and read back.
func compactJSON(v any) (json.RawMessage, error) {
	var raw []byte
	switch d := v.(type) {
	case nil:
		raw = []byte("{}")
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("marshal payload: %w", err)
		}
		raw = b
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %w", err)
	}
	// As the commit's encoding will store it: encoding/json escapes <, >, &, U+2028 and
	// U+2029 inside a RawMessage too, and the hash is of the bytes stored. Without this, a
	// raw payload with "A <b> & C" was hashed as given and stored escaped, and verify took
	// the genuine event for a rewritten one.
	var out bytes.Buffer
	json.HTMLEscape(&out, buf.Bytes())
	return out.Bytes(), nil
}
