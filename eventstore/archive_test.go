package eventstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
	"thidua/eventstore/estest"
)

// archiveCheckPy is the README's check of an archive without thidua: it recomputes every
// line's digest from the line's sequence, subject and body, and prints the last.
const archiveCheckPy = `import base64, hashlib, json, struct, sys
d = bytes(32)
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    if "seq" not in m:
        continue  # the first and the last line
    body = m["body"].encode() if "body" in m else base64.b64decode(m["body_base64"])
    subject = m["subject"].encode() if "subject" in m else base64.b64decode(m["subject_base64"])
    d = hashlib.sha256(d + struct.pack(">QI", m["seq"], len(subject)) + subject + hashlib.sha256(body).digest()).digest()
    assert d.hex() == m["digest"], m["seq"]
print(d.hex())
`

// TestArchive: an archive holds every message the stream holds up to a sequence, as
// stored (commits, an atomic append, a body that is not JSON and one that is not even
// UTF-8), each line's digest is the stream's at its sequence (estest.ReferenceDigests),
// runs of lost sequences are listed, ReadArchive checks it whole, and the README's Python
// check, which needs nothing of thidua, computes the same digest. A sequence past the
// stream's end writes nothing.
func TestArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	ref := eventstore.Ref{Kind: "nomination", ID: "N"}
	c1, err := s.Append(ctx, ref, eventstore.Version{}, ev("nomination.opened", map[string]string{"unit": "U", "note": "Sở Tư pháp <&> \u2028"}), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: ref, Expect: c1.Version(), Events: ev("nomination.submitted", nil)},
		{Ref: eventstore.Ref{Kind: "unit", ID: "U"}, Events: ev("unit.registered", nil)},
	}, eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	subject, _ := s.Subject(eventstore.Ref{Kind: "unit", ID: "V"})
	for _, body := range [][]byte{[]byte("not json"), {0xff, 0xfe, 'x'}, {}, []byte("lost")} {
		_, err = s.JetStream().Publish(ctx, subject, body)
		require.NoError(t, err)
	}
	_, err = s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "W"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	last := lastSeq(t, s)
	require.Equal(t, uint64(8), last)
	loseMessages(t, s, 7, 8) // the last two: the stream still counts them
	want := estest.ReferenceDigests(t, s, last)

	var buf bytes.Buffer
	written := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	end, err := s.WriteArchive(ctx, &buf, 0, written)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), end.Messages)
	assert.Equal(t, [][2]uint64{{7, 8}}, end.Missing)
	assert.Equal(t, eventstore.Digest{Seq: last}.Seq, end.StreamDigest.Seq)
	assert.Equal(t, want[last], end.StreamDigest.Hex())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 8, "a header, 6 messages, the end")
	assert.Contains(t, lines[1], `"note\":\"Sở Tư pháp `, "the body as stored, readable")

	var seen []uint64
	h, got, err := eventstore.ReadArchive(bytes.NewReader(buf.Bytes()), func(m eventstore.ArchiveMessage) {
		seen = append(seen, m.Seq)
		assert.Equal(t, want[m.Seq], m.Digest, "line of %d", m.Seq)
	})
	require.NoError(t, err)
	assert.Equal(t, eventstore.ArchiveHeader{Format: eventstore.ArchiveFormat, Stream: s.StreamName(), Until: last, Written: written, DigestRule: h.DigestRule}, h)
	assert.NotEmpty(t, h.DigestRule)
	assert.Equal(t, end, got)
	assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6}, seen)

	// The bodies come back byte for byte: the one that is not UTF-8 as base64.
	var m5 eventstore.ArchiveMessage
	require.NoError(t, json.Unmarshal([]byte(lines[5]), &m5))
	assert.Nil(t, m5.Body)
	assert.Equal(t, []byte{0xff, 0xfe, 'x'}, m5.BodyBase64)
	var m6 eventstore.ArchiveMessage
	require.NoError(t, json.Unmarshal([]byte(lines[6]), &m6))
	require.NotNil(t, m6.Body, "an empty body is an empty string, not no body")
	assert.Empty(t, *m6.Body)

	// Up to a sequence inside the stream: that sequence's digest.
	buf.Reset()
	end, err = s.WriteArchive(ctx, &buf, 3, written)
	require.NoError(t, err)
	assert.Equal(t, want[3], end.StreamDigest.Hex())
	assert.Equal(t, uint64(3), end.Messages)
	_, _, err = eventstore.ReadArchive(bytes.NewReader(buf.Bytes()), nil)
	require.NoError(t, err)

	// Past the end: refused, nothing written.
	buf.Reset()
	_, err = s.WriteArchive(ctx, &buf, last+1, written)
	require.ErrorIs(t, err, eventstore.ErrPastEnd)
	assert.Zero(t, buf.Len())

	// The check that needs nothing of thidua.
	buf.Reset()
	_, err = s.WriteArchive(ctx, &buf, 0, written)
	require.NoError(t, err)
	assert.Equal(t, want[last], checkWithPython(t, buf.Bytes()))
}

// archiveOf is the archive of the whole of s's stream, as WriteArchive writes it now.
func archiveOf(t *testing.T, s *eventstore.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := s.WriteArchive(t.Context(), &buf, 0, time.Now())
	require.NoError(t, err)
	return buf.Bytes()
}

// checkWithPython runs the README's check of an archive (archiveCheckPy) on archive and
// returns the digest it prints; it skips the test when python3 is not installed.
func checkWithPython(t *testing.T, archive []byte) string {
	t.Helper()
	out, code := runPython(t, archiveCheckPy, archive)
	require.Zero(t, code, out)
	return out
}

// TestArchiveKeepsASubjectThatIsNotUTF8: a message published with a subject that is not
// UTF-8 (the stream's filter takes it) is archived with its subject as stored, in base64,
// so that the archive checks, by ReadArchive and by the README's Python alike (a review
// finding: the subject was written as a string, each invalid byte became U+FFFD, and a
// genuine archive failed its own check from that line on).
func TestArchiveKeepsASubjectThatIsNotUTF8(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	bad := s.SubjectPrefix() + ".unit.\xc3\x28bad"
	_, err := s.JetStream().Publish(ctx, bad, []byte("{}"))
	require.NoError(t, err)
	_, err = s.Append(ctx, eventstore.Ref{Kind: "unit", ID: "U"}, eventstore.Version{}, ev("unit.registered", nil), eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	want := estest.ReferenceDigests(t, s, 2)
	var buf bytes.Buffer
	end, err := s.WriteArchive(ctx, &buf, 0, time.Now())
	require.NoError(t, err)
	assert.Equal(t, want[2], end.StreamDigest.Hex())
	assert.Contains(t, buf.String(), `"subject_base64":"`)
	var subjects []string
	_, _, err = eventstore.ReadArchive(bytes.NewReader(buf.Bytes()), func(m eventstore.ArchiveMessage) {
		assert.Equal(t, want[m.Seq], m.Digest, "line of %d", m.Seq)
		subjects = append(subjects, m.Subject+string(m.SubjectBase64))
	})
	require.NoError(t, err)
	assert.Equal(t, bad, subjects[0])
	assert.Equal(t, want[2], checkWithPython(t, buf.Bytes()))
}

// TestArchiveTampered: ReadArchive names the first line where an archive differs from
// what was written: a body changed (with or without its SHA-256 recomputed), a line
// dropped, moved or added, the last line's count, runs or digest changed, a file cut
// short, another format, or a line that is not JSON.
func TestArchiveTampered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	for i, id := range []string{"A", "B", "C"} {
		_, err := s.Append(ctx, eventstore.Ref{Kind: "unit", ID: id}, eventstore.Version{}, ev("unit.registered", map[string]int{"n": i}), eventstore.Meta{Actor: actor})
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	_, err := s.WriteArchive(ctx, &buf, 0, time.Now())
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 5)
	edit := func(i int, f func(m map[string]any)) []string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &m))
		f(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		out := append([]string(nil), lines...)
		out[i] = string(b)
		return out
	}
	changedBody := func(m map[string]any) { m["body"] = strings.Replace(m["body"].(string), `"n":1`, `"n":7`, 1) }
	tests := []struct {
		name  string
		lines []string
		line  int
		says  string
	}{
		{"a body changed", edit(2, changedBody), 3, "body's SHA-256"},
		{"a body changed with its SHA-256", edit(2, func(m map[string]any) {
			changedBody(m)
			sum := eventstore.BodySum([]byte(m["body"].(string)))
			m["body_sha256"] = eventstore.Digest{Sum: sum}.Hex()
		}), 3, "the digest up to it"},
		{"a line dropped", append(append([]string{}, lines[:2]...), lines[3:]...), 3, "the digest up to it"},
		{"two lines swapped", []string{lines[0], lines[2], lines[1], lines[3], lines[4]}, 2, "the digest up to it"},
		{"a line added after the last", append(append([]string{}, lines...), lines[1]), 6, "after the last"},
		{"the count changed", edit(4, func(m map[string]any) { m["messages"] = 2 }), 5, "counts 2 messages"},
		{"a loss claimed", edit(4, func(m map[string]any) { m["missing"] = [][2]int{{2, 2}} }), 5, "missing sequences"},
		{"the digest changed", edit(4, func(m map[string]any) {
			m["stream_digest"].(map[string]any)["sha256"] = strings.Repeat("0", 64)
		}), 5, "the last line's digest"},
		{"cut short", lines[:3], 0, "cut short"},
		{"another format", edit(0, func(m map[string]any) { m["format"] = "x/9" }), 1, "format"},
		{"no header", lines[1:], 1, "format"},
		{"not JSON", []string{lines[0], "{oops", lines[2]}, 2, "not a line of an archive"},
		{"a message's line with the last line's members", edit(1, func(m map[string]any) { m["messages"] = 1 }), 2, "has the last line's members"},
		{"a last line with a message's members", edit(4, func(m map[string]any) { m["seq"] = 1 }), 5, "has a message's members"},
		{"a body given twice, in another case", []string{lines[0], strings.Replace(lines[1], `"body":`, `"Body":"{}","body":`, 1), lines[2], lines[3], lines[4]}, 2, `unknown object member name "Body"`},
		{"a body given twice", []string{lines[0], strings.Replace(lines[1], `"body":`, `"body":"{}","body":`, 1), lines[2], lines[3], lines[4]}, 2, `duplicate object member name "body"`},
		{"a key of no line", edit(1, func(m map[string]any) { m["note"] = "x" }), 2, `unknown object member name "note"`},
		{"a key in another case", []string{lines[0], strings.Replace(lines[1], `"digest":`, `"Digest":`, 1), lines[2], lines[3], lines[4]}, 2, `unknown object member name "Digest"`},
		{"two objects on a line", []string{lines[0], lines[1] + lines[2], lines[3], lines[4]}, 2, "after top-level value"},
		{"junk after the last line", append(append([]string{}, lines...), "]"), 6, "after the last"},
		{"an empty line", []string{lines[0], "", lines[1], lines[2], lines[3], lines[4]}, 2, "unexpected EOF"},
		{"a stream digest key in another case", edit(4, func(m map[string]any) {
			sd := m["stream_digest"].(map[string]any)
			sd["SHA256"] = sd["sha256"]
			delete(sd, "sha256")
		}), 5, `unknown object member name "SHA256"`},
		{"a body missing", edit(1, func(m map[string]any) { delete(m, "body") }), 2, "no body"},
		{"past the header's last", edit(0, func(m map[string]any) { m["until"] = 2 }), 4, "past the header's last"},
	}
	for _, tt := range tests {
		_, _, err := eventstore.ReadArchive(strings.NewReader(strings.Join(tt.lines, "\n")+"\n"), nil)
		var ae *eventstore.ArchiveError
		if !errors.As(err, &ae) {
			t.Errorf("%s: want an *ArchiveError, got %v", tt.name, err)
			continue
		}
		assert.Equal(t, tt.line, ae.Line, "%s: %v", tt.name, err)
		assert.Contains(t, ae.Error(), tt.says, tt.name)
	}
}

// loseMessages removes messages seqs from s's stream, as a loss on disk leaves them. The
// stream denies deletes, and JetStream lets no update lift that, so the stream is made
// again with the same messages, those deleted, and denies deletes again.
func loseMessages(t *testing.T, s *eventstore.Store, seqs ...uint64) {
	t.Helper()
	ctx := context.Background()
	js := s.JetStream()
	st, err := js.Stream(ctx, s.StreamName())
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	type msg struct {
		subject string
		data    []byte
	}
	var msgs []msg
	for n := uint64(1); n <= info.State.LastSeq; n++ {
		m, err := st.GetMsg(ctx, n)
		require.NoError(t, err)
		msgs = append(msgs, msg{m.Subject, m.Data})
	}
	cfg := info.Config
	cfg.DenyDelete = false
	st = estest.RecreateStream(t, ctx, js, cfg)
	for _, m := range msgs {
		_, err := js.Publish(ctx, m.subject, m.data)
		require.NoError(t, err)
	}
	for _, seq := range seqs {
		require.NoError(t, st.DeleteMsg(ctx, seq))
	}
	cfg.DenyDelete = true
	_, err = js.UpdateStream(ctx, cfg)
	require.NoError(t, err)
}
