package main

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// terminalSafe returns a writer for what the text commands print (explain, events, the
// ranking table, verify): it writes the control characters other than line feed and tab,
// the bidirectional controls and invalid bytes as visible escapes (\u001B, \x9B), so that
// a text inside an event (a reason stored with an escape sequence, by a forger writing to
// NATS or before the web forms checked their text) cannot clear or recolour the reader's
// terminal, or make a line display as another. JSON output needs none of it: its encoder
// escapes control characters already, and the exports are files.
func terminalSafe(w io.Writer) io.Writer { return &safeWriter{w: w} }

type safeWriter struct {
	w io.Writer
	// pending holds the start of a character cut by the end of the last write.
	pending []byte
	out     []byte
}

func (s *safeWriter) Write(p []byte) (int, error) {
	buf := append(s.pending, p...)
	s.out = s.out[:0]
	i := 0
	for i < len(buf) {
		if !utf8.FullRune(buf[i:]) {
			break // the rest of the character comes with the next write
		}
		r, size := utf8.DecodeRune(buf[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			s.out = fmt.Appendf(s.out, `\x%02X`, buf[i])
		case r == '\n' || r == '\t':
			s.out = append(s.out, byte(r))
		case unicode.IsControl(r), (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
			s.out = fmt.Appendf(s.out, `\u%04X`, r)
		default:
			s.out = append(s.out, buf[i:i+size]...)
		}
		i += size
	}
	s.pending = append(s.pending[:0], buf[i:]...)
	if _, err := s.w.Write(s.out); err != nil {
		return 0, err
	}
	return len(p), nil
}
