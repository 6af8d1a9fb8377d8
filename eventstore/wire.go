package eventstore

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The body of every message is a wireCommit in the JSON json.Marshal writes. Reading the
// stream decodes one per message, which made encoding/json's reflection the largest cost
// of a projection rebuild. decodeWire decodes that exact shape directly, and hands
// anything else — a syntax error, a member name in another case, a duplicate member,
// null where an object is due, a nesting deeper than it follows — to json.Unmarshal, so
// that what it returns (values and errors) is always what json.Unmarshal returns.

// decodeWire decodes data into w as json.Unmarshal(data, w) would; w must be zero. The
// short strings every message repeats are interned in tab (nil: none).
func decodeWire(data []byte, w *wireCommit, tab *Interner, arena *Arena) error {
	if wireFastOK {
		p := wireParser{b: data, tab: tab, arena: arena}
		if p.commit(w) {
			return nil
		}
		*w = wireCommit{}
	}
	return json.Unmarshal(data, w)
}

// wireFastOK is false when wireCommit or Event gained a field the fast path does not
// know: then every message goes through json.Unmarshal.
var wireFastOK = wireShapeKnown()

// The member names the fast path decodes, per object.
var (
	wireCommitFields = []string{"key", "result", "events"}
	wireEventFields  = []string{"id", "type", "schema", "aggregate", "actor", "occurred_at", "recorded_at",
		"causation_id", "correlation_id", "prev_hash", "hash", "data"}
	wireRefFields   = []string{"kind", "id"}
	wireActorFields = []string{"user", "role"}
)

// wireShapeKnown checks the JSON members of the wire types against the fast path's.
func wireShapeKnown() bool {
	return reflect.DeepEqual(jsonMembers(reflect.TypeFor[wireCommit]()), wireCommitFields) &&
		reflect.DeepEqual(jsonMembers(reflect.TypeFor[Event]()), wireEventFields) &&
		reflect.DeepEqual(jsonMembers(reflect.TypeFor[Ref]()), wireRefFields) &&
		reflect.DeepEqual(jsonMembers(reflect.TypeFor[Actor]()), wireActorFields)
}

// jsonMembers lists the JSON member names of a struct's fields, in order.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// wireParser walks one message body.
type wireParser struct {
	b   []byte
	i   int
	tab *Interner
	// arena holds the strings and payloads decoded (nil: each is allocated on its own).
	arena *Arena
}

const wireMaxDepth = 1000 // deeper payloads go to json.Unmarshal (whose limit is 10000)

func (p *wireParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c (and consumes it).
func (p *wireParser) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// commit parses the top-level object.
func (p *wireParser) commit(w *wireCommit) bool {
	if !p.next('{') {
		return false
	}
	var seen [3]bool
	for first := true; ; first = false {
		name, more, ok := p.member(first)
		if !ok {
			return false
		}
		if !more {
			break
		}
		switch string(name) {
		case "key":
			if seen[0] {
				return false
			}
			seen[0] = true
			if w.Key, ok = p.str(false); !ok {
				return false
			}
		case "result":
			if seen[1] {
				return false
			}
			seen[1] = true
			if w.Result, ok = p.str(false); !ok {
				return false
			}
		case "events":
			if seen[2] || !p.events(w) {
				return false
			}
			seen[2] = true
		default:
			if !p.unknown(name, wireCommitFields) {
				return false
			}
		}
	}
	p.ws()
	return p.i == len(p.b)
}

// member moves to the next member of an object whose '{' was consumed: it returns the
// member's name (the parser then at its value), or more false at the closing '}'. A name
// with escapes is left to json.Unmarshal (ok false).
func (p *wireParser) member(first bool) (name []byte, more, ok bool) {
	if first {
		if p.next('}') {
			return nil, false, true
		}
	} else {
		if p.next('}') {
			return nil, false, true
		}
		if !p.next(',') {
			return nil, false, false
		}
	}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, false
	}
	start := p.i + 1
	for p.i++; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if c == '"' {
			break
		}
		if c == '\\' || c < 0x20 {
			return nil, false, false
		}
	}
	if p.i >= len(p.b) {
		return nil, false, false
	}
	name = p.b[start:p.i]
	p.i++
	if !p.next(':') {
		return nil, false, false
	}
	p.ws()
	return name, true, true
}

// unknown skips the value of a member the type does not have, unless its name matches
// a field in another case (json.Unmarshal would then fill the field).
func (p *wireParser) unknown(name []byte, fields []string) bool {
	if !utf8.Valid(name) {
		return false
	}
	for _, f := range fields {
		if strings.EqualFold(f, string(name)) {
			return false
		}
	}
	return p.skip(0)
}

func (p *wireParser) events(w *wireCommit) bool {
	if !p.next('[') {
		return false
	}
	w.Events = make([]Event, 0, 1)
	if p.next(']') {
		return true
	}
	for {
		w.Events = append(w.Events, Event{})
		if !p.event(&w.Events[len(w.Events)-1]) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next(']')
	}
}

func (p *wireParser) event(e *Event) bool {
	if !p.next('{') {
		return false
	}
	var seen uint16
	for first := true; ; first = false {
		name, more, ok := p.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		bit := uint16(0)
		for i, f := range wireEventFields {
			if f == string(name) {
				bit = 1 << i
				break
			}
		}
		if bit == 0 {
			if !p.unknown(name, wireEventFields) {
				return false
			}
			continue
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch string(name) {
		case "id":
			e.ID, ok = p.str(false)
		case "type":
			e.Type, ok = p.str(true)
		case "schema":
			e.Schema, ok = p.integer()
		case "aggregate":
			ok = p.pair(&e.Aggregate.Kind, &e.Aggregate.ID, wireRefFields, false)
		case "actor":
			ok = p.pair(&e.Actor.User, &e.Actor.Role, wireActorFields, true)
		case "occurred_at":
			ok = p.time(&e.OccurredAt)
		case "recorded_at":
			ok = p.time(&e.RecordedAt)
		case "causation_id":
			e.CausationID, ok = p.str(false)
		case "correlation_id":
			e.CorrelationID, ok = p.str(false)
		case "prev_hash":
			e.PrevHash, ok = p.str(false)
		case "hash":
			e.Hash, ok = p.str(false)
		case "data":
			start := p.i
			if ok = p.skip(0); ok {
				e.Data = p.arena.Bytes(p.b[start:p.i])
			}
		}
		if !ok {
			return false
		}
	}
}

// pair parses an object of two string members (a Ref, an Actor). The first is interned
// (an aggregate's kind, a user); the second too when internBoth (a role, not an id).
func (p *wireParser) pair(a, b *string, names []string, internBoth bool) bool {
	if !p.next('{') {
		return false
	}
	var seen [2]bool
	for first := true; ; first = false {
		name, more, ok := p.member(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		k := -1
		switch string(name) {
		case names[0]:
			k = 0
		case names[1]:
			k = 1
		}
		if k < 0 {
			if !p.unknown(name, names) {
				return false
			}
			continue
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		s, ok := p.str(k == 0 || internBoth)
		if !ok {
			return false
		}
		if k == 0 {
			*a = s
		} else {
			*b = s
		}
	}
}

// time parses a time member as json.Unmarshal does: time.Time's UnmarshalJSON on the
// value's bytes.
func (p *wireParser) time(t interface{ UnmarshalJSON([]byte) error }) bool {
	start := p.i
	if !p.skip(0) {
		return false
	}
	return t.UnmarshalJSON(p.b[start:p.i]) == nil
}

// integer parses a JSON integer that fits an int (anything else: false).
func (p *wireParser) integer() (int, bool) {
	start := p.i
	if !p.number() {
		return 0, false
	}
	lit := p.b[start:p.i]
	for _, c := range lit {
		if c != '-' && (c < '0' || c > '9') {
			return 0, false
		}
	}
	if len(lit) > 18 {
		return 0, false
	}
	n, err := strconv.Atoi(string(lit))
	return n, err == nil
}

// str parses a JSON string value. Strings with escapes or invalid UTF-8 are unquoted by
// json.Unmarshal itself; intern keeps one copy of short repeated values.
func (p *wireParser) str(intern bool) (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	p.i++
	plain := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			body := p.b[start+1 : p.i-1]
			if plain && utf8.Valid(body) {
				if intern {
					return p.tab.Intern(body), true
				}
				return p.arena.String(body), true
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			if !p.escape() {
				return "", false
			}
			continue
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escape checks one escape sequence at p.i ('\\') and moves past it.
func (p *wireParser) escape() bool {
	if p.i+1 >= len(p.b) {
		return false
	}
	switch p.b[p.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.i += 2
		return true
	case 'u':
		if p.i+6 > len(p.b) {
			return false
		}
		for _, h := range p.b[p.i+2 : p.i+6] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return false
			}
		}
		p.i += 6
		return true
	}
	return false
}

// skip checks and skips one JSON value.
func (p *wireParser) skip(depth int) bool {
	if depth > wireMaxDepth {
		return false
	}
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		if p.next('}') {
			return true
		}
		for {
			p.ws()
			if !p.skipString() || !p.next(':') || !p.skip(depth+1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next('}')
		}
	case c == '[':
		p.i++
		if p.next(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next(']')
		}
	case c == '"':
		return p.skipString()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

func (p *wireParser) skipString() bool {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	p.i++
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c == '\\':
			if !p.escape() {
				return false
			}
			continue
		case c < 0x20:
			return false
		}
		p.i++
	}
	return false
}

func (p *wireParser) literal(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// number checks and skips a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *wireParser) number() bool {
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.b) {
		return false
	}
	if p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
