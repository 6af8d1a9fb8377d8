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
//
// Each write is judged on its own: the commands write whole strings (fmt, and tabwriter,
// which cuts text only at tabs and line feeds), so a character cut in two by a write's end
// is invalid bytes, written as escapes, never held back and lost.
func terminalSafe(w io.Writer) io.Writer { return &safeWriter{w: w} }

type safeWriter struct {
	w   io.Writer
	out []byte
}

func (s *safeWriter) Write(p []byte) (int, error) {
	s.out = s.out[:0]
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			s.out = fmt.Appendf(s.out, `\x%02X`, p[i])
		case r == '\n' || r == '\t':
			s.out = append(s.out, byte(r))
		case unicode.IsControl(r), (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
			s.out = fmt.Appendf(s.out, `\u%04X`, r)
		default:
			s.out = append(s.out, p[i:i+size]...)
		}
		i += size
	}
	if _, err := s.w.Write(s.out); err != nil {
		return 0, err
	}
	return len(p), nil
}
