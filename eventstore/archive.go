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
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
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
const archiveDigestRule = "digest(0) = 32 zero bytes; digest(line) = SHA-256(digest(previous line) || uint64 big-endian seq || uint32 big-endian len(subject) || subject || SHA-256(body)), " +
	"where digest(previous line) and SHA-256(body) are the raw 32 bytes (the lines write them in hex), subject is the bytes of the line's subject in UTF-8 (or of subject_base64 decoded), " +
	"body the bytes of the line's body in UTF-8 (or of body_base64 decoded), and a sequence the stream no longer holds (the last line's missing) adds nothing; " +
	"a line's time and this header are not in the digest"

// ArchiveMessage is an archive's line for one message.
type ArchiveMessage struct {
	// Seq is the message's stream sequence.
	Seq uint64 `json:"seq"`
	// Subject is the message's subject, when it is UTF-8 (left out otherwise: a subject
	// is never empty).
	Subject string `json:"subject,omitempty"`
	// SubjectBase64 is the message's subject, when it is not UTF-8: written as a string,
	// it would be changed (each invalid byte to U+FFFD) and the line's digest would no
	// longer verify (a review finding: a message published with such a subject made a
	// genuine archive fail its own check).
	SubjectBase64 []byte `json:"subject_base64,omitempty"`
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

// subject returns the message's subject as stored.
func (m *ArchiveMessage) subject() string {
	if m.SubjectBase64 != nil {
		return string(m.SubjectBase64)
	}
	return m.Subject
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
			if !utf8.ValidString(rc.Subject) {
				line.Subject, line.SubjectBase64 = "", []byte(rc.Subject)
			}
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
// each line with its kind's members only, each once and in its letter case (read with
// the strict decoding of github.com/go-json-experiment/json: a line that says "body"
// twice, or "Body" beside "body", reads one way to one tool and another way to the next,
// and the check would vouch for what another reader does not see), the header's format,
// each message's body against its SHA-256 and the running digest against each line's,
// the sequences in order and within the header's, and the last line's count, missing
// runs and digest against what the lines hold, with nothing after it. It returns the
// header and the last line, or an *ArchiveError naming the first line found wrong. each,
// if given, hears every message line once it is checked.
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
	// next reads the next line into v, strictly; false: the file ended.
	next := func(v any) (bool, error) {
		line++
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			// The file could not be read: no finding about what it holds (a review
			// finding: a read error was reported as the archive's fault at that line).
			return false, fmt.Errorf("archive line %d: %w", line, err)
		}
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return false, nil
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if err := jsonv2.Unmarshal(b, v, jsonv2.RejectUnknownMembers(true)); err != nil {
			if line == 1 && !bytes.Contains(b, []byte(`"format"`)) {
				return false, fail("the first line does not name the archive's format")
			}
			return false, fail("not a line of an archive: %v", err)
		}
		return true, nil
	}
	var first archiveHeaderLine
	ok, err := next(&first)
	switch {
	case err != nil:
		return h, end, err
	case !ok || first.Format == nil:
		return h, end, fail("the first line does not name the archive's format")
	case *first.Format != ArchiveFormat:
		return h, end, fail("format %q is not %q", *first.Format, ArchiveFormat)
	}
	h = ArchiveHeader{Format: *first.Format, Stream: first.Stream, Until: first.Until, Written: first.Written, DigestRule: first.DigestRule}
	var d Digest
	var count uint64
	missing := [][2]uint64{}
	want := uint64(1)
	for {
		var l archiveLine
		ok, err := next(&l)
		if err != nil {
			return h, end, err
		}
		if !ok {
			return h, end, &ArchiveError{Problem: fmt.Sprintf("cut short after line %d: no last line (messages up to %d of %d)", line-1, d.Seq, h.Until)}
		}
		if l.End != nil {
			if err := l.endOnly(); err != nil {
				return h, end, fail("%v", err)
			}
			if want <= h.Until {
				missing = append(missing, [2]uint64{want, h.Until})
			}
			d.Seq = h.Until
			end = ArchiveEnd{End: *l.End, Messages: *l.Messages, Missing: *l.Missing}
			sd, err := l.StreamDigest.digest()
			if err != nil {
				return h, end, fail("stream_digest: %v", err)
			}
			end.StreamDigest = sd
			switch {
			case end.Messages != count:
				return h, end, fail("the last line counts %d messages, the archive holds %d", end.Messages, count)
			case !sameRuns(end.Missing, missing):
				return h, end, fail("the last line lists missing sequences %v, the archive lacks %v", end.Missing, missing)
			case sd != d:
				return h, end, fail("the last line's digest %s at %d is not the messages' %s at %d", sd.Hex(), sd.Seq, d.Hex(), d.Seq)
			}
			if b, _ := br.Peek(1); len(b) > 0 {
				line++
				return h, end, fail("a line after the last")
			}
			return h, end, nil
		}
		m, err := l.message()
		if err != nil {
			return h, end, fail("%v", err)
		}
		body, _ := m.body()
		switch {
		case m.Seq < want:
			return h, end, fail("sequence %d after %d: out of order", m.Seq, want-1)
		case m.Seq > h.Until:
			return h, end, fail("sequence %d past the header's last, %d", m.Seq, h.Until)
		}
		sum := BodySum(body)
		if got := hex.EncodeToString(sum[:]); got != m.BodySHA256 {
			return h, end, fail("message %d: its body's SHA-256 is %s, the line says %s", m.Seq, got, m.BodySHA256)
		}
		if m.Seq > want {
			missing = append(missing, [2]uint64{want, m.Seq - 1})
		}
		want = m.Seq + 1
		d = d.Next(m.Seq, m.subject(), sum)
		if d.Hex() != m.Digest {
			return h, end, fail("message %d: the digest up to it is %s, the line says %s (this line or one before it differs from what was archived)", m.Seq, d.Hex(), m.Digest)
		}
		count++
		if each != nil {
			each(m)
		}
	}
}

// archiveHeaderLine is an archive's first line as read: only its members, each once, in
// their letter case.
type archiveHeaderLine struct {
	Format     *string   `json:"format"`
	Stream     string    `json:"stream"`
	Until      uint64    `json:"until"`
	Written    time.Time `json:"written"`
	DigestRule string    `json:"digest_rule"`
}

// archiveLine is any other line as read: a message's members or the last line's, never
// both (message, endOnly).
type archiveLine struct {
	Seq          *uint64            `json:"seq"`
	Subject      *string            `json:"subject"`
	SubjectB64   *[]byte            `json:"subject_base64"`
	Time         *time.Time         `json:"time"`
	Body         *string            `json:"body"`
	BodyBase64   *[]byte            `json:"body_base64"`
	BodySHA256   *string            `json:"body_sha256"`
	Digest       *string            `json:"digest"`
	End          *bool              `json:"end"`
	Messages     *uint64            `json:"messages"`
	Missing      *[][2]uint64       `json:"missing"`
	StreamDigest *archiveDigestLine `json:"stream_digest"`
}

// archiveDigestLine is the last line's stream_digest as read.
type archiveDigestLine struct {
	Seq    *uint64 `json:"seq"`
	SHA256 *string `json:"sha256"`
}

// digest returns the digest the member states.
func (a *archiveDigestLine) digest() (Digest, error) {
	if a == nil || a.Seq == nil || a.SHA256 == nil {
		return Digest{}, errors.New("give seq and sha256")
	}
	sum, err := hex.DecodeString(*a.SHA256)
	if err != nil || len(sum) != len(Digest{}.Sum) {
		return Digest{}, fmt.Errorf("sha256 %q is not 64 hex digits", *a.SHA256)
	}
	d := Digest{Seq: *a.Seq}
	copy(d.Sum[:], sum)
	return d, nil
}

// endOnly checks that the last line has its members and no message's.
func (l *archiveLine) endOnly() error {
	switch {
	case l.Seq != nil || l.Subject != nil || l.SubjectB64 != nil || l.Time != nil || l.Body != nil || l.BodyBase64 != nil || l.BodySHA256 != nil || l.Digest != nil:
		return errors.New("the last line has a message's members")
	case !*l.End:
		return errors.New("end is false")
	case l.Messages == nil || l.Missing == nil || l.StreamDigest == nil:
		return errors.New("the last line lacks messages, missing or stream_digest")
	}
	return nil
}

// message returns the line as a message, checking that it has a message's members.
func (l *archiveLine) message() (ArchiveMessage, error) {
	switch {
	case l.Messages != nil || l.Missing != nil || l.StreamDigest != nil:
		return ArchiveMessage{}, errors.New("a message's line has the last line's members")
	case l.Seq == nil || (l.Subject == nil) == (l.SubjectB64 == nil) || l.Time == nil || l.BodySHA256 == nil || l.Digest == nil:
		return ArchiveMessage{}, errors.New("a message's line lacks seq, subject (or subject_base64: one of them), time, body_sha256 or digest")
	}
	m := ArchiveMessage{Seq: *l.Seq, Time: *l.Time, Body: l.Body, BodySHA256: *l.BodySHA256, Digest: *l.Digest}
	if l.Subject != nil {
		m.Subject = *l.Subject
	} else {
		m.SubjectBase64 = *l.SubjectB64
		if m.SubjectBase64 == nil {
			m.SubjectBase64 = []byte{}
		}
	}
	if l.BodyBase64 != nil {
		m.BodyBase64 = *l.BodyBase64
		if m.BodyBase64 == nil {
			m.BodyBase64 = []byte{}
		}
	}
	if _, err := m.body(); err != nil {
		return m, fmt.Errorf("message %d: %w", m.Seq, err)
	}
	return m, nil
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
