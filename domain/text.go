package domain

import (
	"fmt"
	"strings"
	"unicode"
)

// Invisible reports whether r is a character a reader cannot see: a format character
// (zero-width space, soft hyphen, byte-order mark, bidirectional controls), another
// default-ignorable one (combining grapheme joiner, Hangul fillers) or a variation
// selector. Two names that differ only by them look the same.
func Invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// trimText trims white space and invisible characters from both ends of s: a reason,
// a note or a decision made of them alone is empty.
func trimText(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || Invisible(r) })
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
