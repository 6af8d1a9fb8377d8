package domain

import (
	"fmt"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Invisible reports whether r is a character a reader cannot see: a format character
// (zero-width space, soft hyphen, byte-order mark, bidirectional controls), another
// default-ignorable one (combining grapheme joiner, Hangul fillers) or a variation
// selector. Two names that differ only by them look the same.
func Invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// DateVI writes a date given as YYYY-MM-DD as Vietnamese readers write it, dd/mm/yyyy
// (anything else as it is), for the Vietnamese messages.
func DateVI(s string) string {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format("02/01/2006")
	}
	return s
}

// trimText trims white space and invisible characters from both ends of s: a reason,
// a note or a decision made of them alone is empty. It returns it composed (NFC), as
// every text thidua keeps, so that its length is counted in the characters a reader sees:
// a note pasted decomposed counted each letter's marks apart, and one of 1,800 letters
// was refused as longer than 2,000 (a review finding).
func trimText(s string) string {
	return norm.NFC.String(strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || Invisible(r) }))
}

// invisibleIn describes, in English and Vietnamese, the first control or invisible
// character of a name shown to people (a unit's, a user's, a nominee's, a position), or
// returns empty strings when there is none: such a character makes two names that look
// the same two names, and a name of them alone looks empty.
func invisibleIn(what, whatVI, s string) (en, vi string) {
	for i, r := range []rune(s) {
		if Invisible(r) || unicode.IsControl(r) {
			return fmt.Sprintf("the %s %q contains the invisible or control character %U at position %d: type the name again without it", what, s, r, i+1),
				fmt.Sprintf("%s %q chứa ký tự ẩn hoặc ký tự điều khiển %U ở vị trí %d: hãy gõ lại, bỏ ký tự này", whatVI, s, r, i+1)
		}
	}
	return "", ""
}

// TextError is a text refused because it cannot be shown or stored faithfully (CheckText).
type TextError struct {
	// Problem says what is wrong, in English.
	Problem string
	// ProblemVI says it in Vietnamese.
	ProblemVI string
}

// Error returns the problem, in English.
func (e *TextError) Error() string { return e.Problem }

// CheckText refuses text that cannot be shown or stored faithfully: invalid UTF-8, the
// replacement character U+FFFD (what a decoder makes of invalid bytes or of a lone
// surrogate escape such as \ud800), control characters other than tab, line feed and
// carriage return (an escape sequence stored in a reason would recolour or clear the
// terminal of an auditor reading the trail), and the bidirectional overrides that make a
// text display as another ("gnp.exe" read backwards). Every text a person enters goes
// through it, through the API and through the web forms alike.
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return &TextError{Problem: "not valid UTF-8", ProblemVI: "không phải văn bản UTF-8 hợp lệ"}
	}
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return &TextError{Problem: "contains U+FFFD: the text was not valid Unicode (invalid bytes or a lone surrogate)",
				ProblemVI: "chứa ký tự U+FFFD: văn bản gốc không phải Unicode hợp lệ"}
		case r == '\t' || r == '\n' || r == '\r':
		case unicode.IsControl(r):
			return &TextError{Problem: fmt.Sprintf("contains the control character %U", r), ProblemVI: fmt.Sprintf("chứa ký tự điều khiển %U", r)}
		case (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
			return &TextError{Problem: fmt.Sprintf("contains the bidirectional control %U", r), ProblemVI: fmt.Sprintf("chứa ký tự đảo chiều hiển thị %U", r)}
		}
	}
	return nil
}

// MaxFileNameBytes is the longest file name a document keeps, in bytes of UTF-8.
const MaxFileNameBytes = 255

// CleanFileName is the name a document keeps of the one it was uploaded under: in Unicode's
// composed form (NFC, as every text thidua keeps: a name from a system that decomposes
// letters would take more bytes and compare unlike its own), without control characters,
// quotes, backslashes and slashes (so that it is never a path, nor breaks a
// Content-Disposition), invalid UTF-8 dropped, and cut to MaxFileNameBytes between
// characters, never inside one (a cut Vietnamese letter became U+FFFD, which every check
// of text refuses). A name cut keeps its extension (up to 16 bytes), so that the file still
// opens as what it is (a review finding: a long PDF's name lost its ".pdf").
func CleanFileName(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				continue
			}
		}
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '/' || unicode.Is(unicode.Cc, r) {
			continue
		}
		b.WriteRune(r)
	}
	name := norm.NFC.String(b.String())
	if len(name) <= MaxFileNameBytes {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || len(ext) == len(name) {
		ext = ""
	}
	return cutText(name[:len(name)-len(ext)], MaxFileNameBytes-len(ext)) + ext
}

// cutText returns the longest start of s of at most n bytes that ends between characters,
// and not before a combining mark (which would leave its letter bare).
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	for n > 0 {
		if r, _ := utf8.DecodeRuneInString(s[n:]); !unicode.Is(unicode.Mn, r) {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:n])
		n -= size // the character the mark belongs to goes with it
	}
	return s[:n]
}

// CleanContentType is a document's media type as given when it is well formed and at
// most 200 bytes long (written again in its canonical form), else
// application/octet-stream.
func CleanContentType(s string) string {
	mt, params, err := mime.ParseMediaType(s)
	if err != nil || len(s) > 200 {
		return "application/octet-stream"
	}
	if out := mime.FormatMediaType(mt, params); out != "" {
		return out
	}
	return "application/octet-stream"
}
