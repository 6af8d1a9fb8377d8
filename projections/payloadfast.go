package projections

import (
	"strconv"
	"unicode/utf8"

	"thidua/domain"
)

// The payloads a rebuild decodes most (facts, rulings, documents, votes, reasons) are
// read here without reflection, when they are written as json.Marshal writes them:
// compact, members named exactly as their tags, each once, strings without escapes,
// valid UTF-8, no nulls. Anything else (or any doubt) is refused, and decodePayload
// decodes it the general way: so a value decoded here is always the one domain.Decode
// would give (decode_test.go checks values and errors on every type and on mutations).

// flat walks one JSON object of the shape above.
type flat struct {
	b []byte
	i int
}

// object reads an object at the cursor, calling member with each name; member reads
// the value (with str, number, integer or object) and reports whether it could. Names
// are told apart by their index in names, each allowed once.
func (p *flat) object(names []string, member func(k int) bool) bool {
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	p.i++
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return true
	}
	var seen uint32
	for {
		name, ok := p.rawString()
		if !ok || p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		k := -1
		for j, n := range names {
			if n == string(name) {
				k = j
				break
			}
		}
		if k < 0 || seen&(1<<k) != 0 || !member(k) {
			return false
		}
		seen |= 1 << k
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// rawString reads a string without escapes and returns its bytes.
func (p *flat) rawString() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			s := p.b[start:j]
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value into *s (a copy).
func (p *flat) str(s *string) bool {
	b, ok := p.rawString()
	if ok {
		*s = string(b)
	}
	return ok
}

// numberToken reads a JSON number and returns its text.
func (p *flat) numberToken() (string, bool) {
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return "", false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	p.i = i
	return string(b[start:i]), true
}

// number reads a number into a new *float64.
func (p *flat) number(f **float64) bool {
	t, ok := p.numberToken()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return false
	}
	*f = &v
	return true
}

// integer reads an integer (no fraction, no exponent) into *n.
func (p *flat) integer(n *int64) bool {
	t, ok := p.numberToken()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return false
	}
	*n = v
	return true
}

// int reads an integer into *n.
func (p *flat) int(n *int) bool {
	var v int64
	if !p.integer(&v) || int64(int(v)) != v {
		return false
	}
	*n = int(v)
	return true
}

// end reports whether the whole input was read.
func (p *flat) end() bool { return p.i == len(p.b) }

var docRefNames = []string{"id", "sha256", "size", "name", "content_type"}

func (p *flat) docRef(d *domain.DocumentRef) bool {
	return p.object(docRefNames, func(k int) bool {
		switch k {
		case 0:
			return p.str(&d.ID)
		case 1:
			return p.str(&d.SHA256)
		case 2:
			return p.integer(&d.Size)
		case 3:
			return p.str(&d.Name)
		default:
			return p.str(&d.ContentType)
		}
	})
}

var factNames = []string{"campaign", "fact", "number", "text", "index", "component", "previous", "status", "cause", "note", "document"}

func fastFact(b []byte) (any, bool) {
	var v domain.FactRecordedData
	p := flat{b: b}
	ok := p.object(factNames, func(k int) bool {
		switch k {
		case 0:
			return p.str(&v.Campaign)
		case 1:
			return p.str(&v.Fact)
		case 2:
			return p.number(&v.Number)
		case 3:
			return p.str(&v.Text)
		case 4:
			return p.str(&v.Index)
		case 5:
			return p.str(&v.Component)
		case 6:
			return p.number(&v.Previous)
		case 7:
			return p.str(&v.Status)
		case 8:
			return p.str(&v.Cause)
		case 9:
			return p.str(&v.Note)
		default:
			v.Document = &domain.DocumentRef{}
			return p.docRef(v.Document)
		}
	})
	return v, ok && p.end()
}

var rulingNames = []string{"criterion", "result", "note", "document"}

func fastRuling(b []byte) (any, bool) {
	var v domain.CriterionRuledData
	p := flat{b: b}
	ok := p.object(rulingNames, func(k int) bool {
		switch k {
		case 0:
			return p.str(&v.Criterion)
		case 1:
			return p.str(&v.Result)
		case 2:
			return p.str(&v.Note)
		default:
			v.Document = &domain.DocumentRef{}
			return p.docRef(v.Document)
		}
	})
	return v, ok && p.end()
}

var attachedNames = []string{"kind", "document"}

func fastAttached(b []byte) (any, bool) {
	var v domain.DocumentAttachedData
	p := flat{b: b}
	ok := p.object(attachedNames, func(k int) bool {
		if k == 0 {
			var s string
			if !p.str(&s) {
				return false
			}
			v.Kind = domain.DocKind(s)
			return true
		}
		return p.docRef(&v.Document)
	})
	return v, ok && p.end()
}

var voteNames = []string{"meeting_date", "members", "present", "approve"}

func fastVote(b []byte) (any, bool) {
	var v domain.CouncilVoteData
	p := flat{b: b}
	ok := p.object(voteNames, func(k int) bool {
		switch k {
		case 0:
			return p.str(&v.MeetingDate)
		case 1:
			return p.int(&v.Members)
		case 2:
			return p.int(&v.Present)
		default:
			return p.int(&v.Approve)
		}
	})
	return v, ok && p.end()
}

var reasonNames = []string{"reason"}

func fastReason(b []byte) (any, bool) {
	var v domain.ReasonData
	p := flat{b: b}
	ok := p.object(reasonNames, func(int) bool { return p.str(&v.Reason) })
	return v, ok && p.end()
}

// fastPayload decodes the payloads above; ok is false when it cannot.
func fastPayload(eventType string, data []byte) (v any, ok bool) {
	switch eventType {
	case domain.FactRecorded:
		return fastFact(data)
	case domain.CriterionRuled:
		return fastRuling(data)
	case domain.DocumentAttached:
		return fastAttached(data)
	case domain.CouncilVoteRecorded:
		return fastVote(data)
	case domain.NominationReturned, domain.NominationWithdrawn, domain.NominationHeld, domain.NominationReleased:
		return fastReason(data)
	case domain.NominationSubmitted:
		return domain.SubmittedData{}, string(data) == "{}"
	case domain.ReviewStarted:
		return domain.ReviewStartedData{}, string(data) == "{}"
	case domain.NominationVerified:
		return domain.VerifiedData{}, string(data) == "{}"
	}
	return nil, false
}
