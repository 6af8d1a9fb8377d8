package eventstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// An archive is the stream as an inspectorate takes it into custody: every message the
// stream holds up to a sequence, as stored, in a text file that needs neither thidua nor
// NATS to read and check. It is JSON Lines (one JSON object a line, UTF-8):
//
//   - the first line, ArchiveHeader, names the format, the stream and the last sequence;
//   - then a line per message held, in sequence order, ArchiveMessage: its sequence,
//     subject, server time and body as stored (the exact bytes: a JSON string when they are
//     UTF-8, which a commit always is, base64 otherwise), the body's SHA-256, and the
//     stream digest (Digest) up to and including it, so that the digest an export states
//     for a sequence can be found on that sequence's line;
//   - the last line, ArchiveEnd, counts the messages, lists the runs of sequences the
//     stream no longer holds, and gives the digest of the whole.
//
// A file cut short has no last line; ReadArchive checks all of it.

// ArchiveFormat is the format an archive's first line names.
const ArchiveFormat = "thidua-stream-archive/1"

// ArchiveHeader is an archive's first line.
type ArchiveHeader struct {
	// Format is ArchiveFormat.
	Format string `json:"format"`
	// Stream is the name of the stream archived.
	Stream string `json:"stream"`
	// Until is the last sequence the archive covers.
	Until uint64 `json:"until"`
	// Written is when the archive was written.
	Written time.Time `json:"written"`
	// DigestRule states how each line's digest is computed, for a reader without thidua.
	DigestRule string `json:"digest_rule"`
}

// archiveDigestRule is ArchiveHeader.DigestRule.
const archiveDigestRule = "digest(0) = 32 zero bytes; digest(line) = SHA-256(digest(previous line) || uint64 big-endian seq || uint32 big-endian len(subject) || subject || SHA-256(body))"

// ArchiveMessage is an archive's line for one message.
type ArchiveMessage struct {
	// Seq is the message's stream sequence.
	Seq uint64 `json:"seq"`
	// Subject is the message's subject.
	Subject string `json:"subject"`
	// Time is the server's timestamp of the message.
	Time time.Time `json:"time"`
	// Body is the body as stored, when it is UTF-8 (nil otherwise).
	Body *string `json:"body,omitempty"`
	// BodyBase64 is the body as stored, when it is not UTF-8.
	BodyBase64 []byte `json:"body_base64,omitempty"`
	// BodySHA256 is the SHA-256 of the body, in hex.
	BodySHA256 string `json:"body_sha256"`
	// Digest is the stream's digest up to and including this message, in hex.
	Digest string `json:"digest"`
}

// ArchiveEnd is an archive's last line.
type ArchiveEnd struct {
	// End is true: it marks the last line.
	End bool `json:"end"`
	// Messages counts the message lines.
	Messages uint64 `json:"messages"`
	// Missing lists the runs of sequences, first and last, up to the header's Until that
	// the stream no longer holds (lost on disk); never null.
	Missing [][2]uint64 `json:"missing"`
	// StreamDigest is the stream's digest up to the header's Until.
	StreamDigest Digest `json:"stream_digest"`
}

// body returns the message's body as stored, or an error when the line has none.
func (m *ArchiveMessage) body() ([]byte, error) {
	switch {
	case m.Body != nil && m.BodyBase64 != nil:
		return nil, errors.New("both body and body_base64")
	case m.Body != nil:
		return []byte(*m.Body), nil
	case m.BodyBase64 != nil:
		return m.BodyBase64, nil
	}
	return nil, errors.New("no body")
}

// WriteArchive writes the stream up to until (0: its last sequence when the write starts)
// to w as an archive, reading it with one ordered consumer, and returns its last line.
// A sequence past the stream's end is ErrPastEnd, before anything is written. now stamps
// the header.
func (s *Store) WriteArchive(ctx context.Context, w io.Writer, until uint64, now time.Time) (ArchiveEnd, error) {
	end := ArchiveEnd{End: true, Missing: [][2]uint64{}}
	last, err := s.LastSeq(ctx)
	if err != nil {
		return end, err
	}
	if until == 0 {
		until = last
	}
	if until > last {
		return end, fmt.Errorf("archive: sequence %d lies past the stream's last, %d: %w", until, last, ErrPastEnd)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ArchiveHeader{Format: ArchiveFormat, Stream: s.StreamName(), Until: until, Written: now.UTC(), DigestRule: archiveDigestRule}); err != nil {
		return end, fmt.Errorf("archive: %w", err)
	}
	var d Digest
	next := uint64(1)
	if until > 0 {
		_, err = s.ReadRaw(ctx, ReadOptions{From: 1, Until: until}, func(rc RawCommit) error {
			if rc.Seq > next {
				end.Missing = append(end.Missing, [2]uint64{next, rc.Seq - 1})
			}
			next = rc.Seq + 1
			sum := BodySum(rc.Data)
			d = d.Next(rc.Seq, rc.Subject, sum)
			line := ArchiveMessage{Seq: rc.Seq, Subject: rc.Subject, Time: rc.Time.UTC(), BodySHA256: hex.EncodeToString(sum[:]), Digest: d.Hex()}
			if utf8.Valid(rc.Data) {
				b := string(rc.Data)
				line.Body = &b
			} else {
				line.BodyBase64 = rc.Data
			}
			end.Messages++
			return enc.Encode(line)
		})
		if err != nil {
			return end, fmt.Errorf("archive: %w", err)
		}
	}
	if next <= until {
		end.Missing = append(end.Missing, [2]uint64{next, until})
	}
	d.Seq = until
	end.StreamDigest = d
	if err := enc.Encode(end); err != nil {
		return end, fmt.Errorf("archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return end, fmt.Errorf("archive: %w", err)
	}
	return end, nil
}

// ArchiveError is what ReadArchive found wrong, and on which line (from 1).
type ArchiveError struct {
	// Line is the line of the archive, from 1 (0: the archive as a whole).
	Line int
	// Problem says what is wrong.
	Problem string
}

// Error implements error.
func (e *ArchiveError) Error() string {
	if e.Line == 0 {
		return "archive: " + e.Problem
	}
	return fmt.Sprintf("archive line %d: %s", e.Line, e.Problem)
}

// ReadArchive reads an archive from r and checks every line of it: one JSON object on
// each line with its kind's keys only, each once and in its letter case (strictLine), the
// header's format, each message's body against its SHA-256 and the running digest
// against each line's, the sequences in order and within the header's, and the last
// line's count, missing runs and digest against what the lines hold, with nothing after
// it. It returns the header and the last line, or an *ArchiveError naming the first line
// found wrong. each, if given, hears every message line once it is checked.
//
// It proves that the file agrees with itself, not that it is the stream: whoever rewrites
// a message can compute every line after it again. What anchors an archive is a digest
// recorded elsewhere (a ranking export, the council's minutes, GET /api/v1/digest on
// another day): the line of that sequence must carry it (thidua archive --check FILE
// --expect seq:N=HEX).
func ReadArchive(r io.Reader, each func(ArchiveMessage)) (ArchiveHeader, ArchiveEnd, error) {
	var h ArchiveHeader
	var end ArchiveEnd
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	fail := func(format string, args ...any) error {
		return &ArchiveError{Line: line, Problem: fmt.Sprintf(format, args...)}
	}
	// anyLine is a line of any kind; which it is, its fields say.
	type anyLine struct {
		ArchiveMessage
		Format       *string     `json:"format"`
		Stream       string      `json:"stream"`
		Until        uint64      `json:"until"`
		Written      time.Time   `json:"written"`
		Rule         string      `json:"digest_rule"`
		End          bool        `json:"end"`
		Messages     uint64      `json:"messages"`
		Missing      [][2]uint64 `json:"missing"`
		StreamDigest *Digest     `json:"stream_digest"`
	}
	// read reads the next line into v: one JSON object on one line, of one kind's keys,
	// each given once, in their letter case (strictLine). false: the file ended.
	read := func(v *anyLine) (bool, error) {
		line++
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return false, &ArchiveError{Line: line, Problem: err.Error()}
		}
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return false, nil
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if perr := strictLine(b, line == 1); perr != nil {
			return false, fail("%v", perr)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return false, fail("not a line of an archive: %v", err)
		}
		return true, nil
	}
	var first anyLine
	ok, err := read(&first)
	if err != nil {
		return h, end, err
	}
	if !ok || first.Format == nil {
		return h, end, fail("the first line does not name the archive's format")
	}
	if *first.Format != ArchiveFormat {
		return h, end, fail("format %q is not %q", *first.Format, ArchiveFormat)
	}
	h = ArchiveHeader{Format: *first.Format, Stream: first.Stream, Until: first.Until, Written: first.Written, DigestRule: first.Rule}
	var d Digest
	var count uint64
	missing := [][2]uint64{}
	next := uint64(1)
	for {
		var l anyLine
		ok, err := read(&l)
		if err != nil {
			return h, end, err
		}
		if !ok {
			return h, end, &ArchiveError{Problem: fmt.Sprintf("cut short after line %d: no last line (messages up to %d of %d)", line-1, d.Seq, h.Until)}
		}
		if l.End {
			end = ArchiveEnd{End: true, Messages: l.Messages, Missing: l.Missing}
			if l.StreamDigest != nil {
				end.StreamDigest = *l.StreamDigest
			}
			if next <= h.Until {
				missing = append(missing, [2]uint64{next, h.Until})
			}
			d.Seq = h.Until
			switch {
			case l.StreamDigest == nil:
				return h, end, fail("the last line has no stream_digest")
			case l.Messages != count:
				return h, end, fail("the last line counts %d messages, the archive holds %d", l.Messages, count)
			case !sameRuns(l.Missing, missing):
				return h, end, fail("the last line lists missing sequences %v, the archive lacks %v", l.Missing, missing)
			case *l.StreamDigest != d:
				return h, end, fail("the last line's digest %s at %d is not the messages' %s at %d", l.StreamDigest.Hex(), l.StreamDigest.Seq, d.Hex(), d.Seq)
			}
			if b, _ := br.Peek(1); len(b) > 0 {
				line++
				return h, end, fail("a line after the last")
			}
			return h, end, nil
		}
		m := l.ArchiveMessage
		body, err := m.body()
		switch {
		case err != nil:
			return h, end, fail("message %d: %v", m.Seq, err)
		case m.Seq < next:
			return h, end, fail("sequence %d after %d: out of order", m.Seq, next-1)
		case m.Seq > h.Until:
			return h, end, fail("sequence %d past the header's last, %d", m.Seq, h.Until)
		}
		sum := BodySum(body)
		if got := hex.EncodeToString(sum[:]); got != m.BodySHA256 {
			return h, end, fail("message %d: its body's SHA-256 is %s, the line says %s", m.Seq, got, m.BodySHA256)
		}
		if m.Seq > next {
			missing = append(missing, [2]uint64{next, m.Seq - 1})
		}
		next = m.Seq + 1
		d = d.Next(m.Seq, m.Subject, sum)
		if d.Hex() != m.Digest {
			return h, end, fail("message %d: the digest up to it is %s, the line says %s (this line or one before it differs from what was archived)", m.Seq, d.Hex(), m.Digest)
		}
		count++
		if each != nil {
			each(m)
		}
	}
}

// The keys each kind of line has, in their letter case: a reader that matches keys in
// any case (Go's encoding/json) and one that does not (jq, Python) read the same line.
var (
	headerKeys  = map[string]bool{"format": true, "stream": true, "until": true, "written": true, "digest_rule": true}
	messageKeys = map[string]bool{"seq": true, "subject": true, "time": true, "body": true, "body_base64": true, "body_sha256": true, "digest": true}
	endKeys     = map[string]bool{"end": true, "messages": true, "missing": true, "stream_digest": true}
	digestKeys  = map[string]bool{"seq": true, "sha256": true}
)

// strictLine checks that b is one JSON object with the keys of one kind of line (the
// header's when header), each given once, and the same of its stream_digest: an archive
// whose line says "body" twice, or "Body" beside "body", reads one way to one tool and
// another way to the next, and the check would vouch for what another reader does not
// see.
func strictLine(b []byte, header bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var top []string
	var nested []string
	if err := strictValue(dec, 0, "", &top, &nested); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value on the line")
	}
	if len(top) == 0 {
		return errors.New("not a JSON object with keys")
	}
	allowed := messageKeys
	switch {
	case header && !slices.Contains(top, "format"):
		return errors.New("the first line does not name the archive's format")
	case header:
		allowed = headerKeys
	case slices.Contains(top, "end"):
		allowed = endKeys
	}
	for _, k := range top {
		if !allowed[k] {
			return fmt.Errorf("key %q is not one of this line's", k)
		}
	}
	for _, k := range nested {
		if !digestKeys[k] {
			return fmt.Errorf("key %q is not one of stream_digest's", k)
		}
	}
	return nil
}

// strictValue reads one JSON value from dec, refusing an object with a key given twice
// in any letter case, and collects the keys of the line's object (depth 0) into top and
// those of its stream_digest into nested.
func strictValue(dec *json.Decoder, depth int, parent string, top, nested *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("not JSON: %w", err)
			}
			key, _ := kt.(string)
			if seen[strings.ToLower(key)] {
				return fmt.Errorf("key %q is given twice (letter case aside)", key)
			}
			seen[strings.ToLower(key)] = true
			switch {
			case depth == 0:
				*top = append(*top, key)
			case depth == 1 && parent == "stream_digest":
				*nested = append(*nested, key)
			}
			if err := strictValue(dec, depth+1, key, top, nested); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
	case json.Delim('['):
		for dec.More() {
			if err := strictValue(dec, depth+1, "", top, nested); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
	default:
		if depth == 0 {
			return errors.New("not a JSON object")
		}
	}
	return nil
}

// sameRuns reports whether two lists of runs are equal (nil and empty alike).
func sameRuns(a, b [][2]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
