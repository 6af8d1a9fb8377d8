package domain_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"golang.org/x/text/unicode/norm"

	"thidua/domain"
)

// TestCleanFileName: a document keeps its name without what could make it a path or
// break a header, and cut between characters: a name of Vietnamese letters cut at its
// 255th byte kept half a letter (U+FFFD once stored, which every check of text refuses).
func TestCleanFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Báo cáo thành tích ", 20) + ".pdf" // ă, á: two bytes each
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "To trinh.pdf", "To trinh.pdf"},
		{"a path", "../../etc/passwd", "....etcpasswd"},
		{"a Windows path", `C:\Users\vt\Báo cáo.pdf`, "C:UsersvtBáo cáo.pdf"},
		{"quotes and controls", "a\"b\r\nc\x00d\x7fe\u0085f.pdf", "abcdef.pdf"},
		{"invalid UTF-8", "bi\xffên bản.pdf", "biên bản.pdf"},
		{"a replacement character typed as such", "a\uFFFDb", "a\uFFFDb"},
	} {
		assert.Equal(t, tt.want, domain.CleanFileName(tt.in), tt.name)
	}
	got := domain.CleanFileName(long)
	assert.LessOrEqual(t, len(got), domain.MaxFileNameBytes)
	assert.Greater(t, len(got), domain.MaxFileNameBytes-4, "cut at the last whole character")
	assert.True(t, utf8.ValidString(got))
	// A name cut keeps its extension, so that the file opens as what it is (a review
	// finding: the ".pdf" was cut away).
	assert.True(t, strings.HasSuffix(got, ".pdf"), got)
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(got, ".pdf")))

	// A decomposed name (as some systems write it) is kept composed, as every text is,
	// and cut never between a letter and its mark.
	nfd := norm.NFD.String(long)
	got = domain.CleanFileName(nfd)
	assert.Equal(t, domain.CleanFileName(long), got)
	assert.True(t, norm.NFC.IsNormalString(got))
	marks := strings.Repeat("ậ", 200) + ".pdf" // ậ decomposed, which NFC composes
	assert.Equal(t, strings.Repeat("ậ", 83)+".pdf", domain.CleanFileName(marks))
	bare := strings.Repeat("x̶", 200) + ".pdf" // a mark no letter composes with
	got = domain.CleanFileName(bare)
	assert.True(t, strings.HasSuffix(strings.TrimSuffix(got, ".pdf"), "x̶"), "cut before a letter, not between it and its mark")
	// A long extension is no extension: the name is cut as it is.
	assert.Len(t, domain.CleanFileName(strings.Repeat("a", 300)+"."+strings.Repeat("b", 20)), domain.MaxFileNameBytes)
}

// TestCleanContentType: a media type is kept in its canonical form, or named
// application/octet-stream when it is none.
func TestCleanContentType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"application/pdf":              "application/pdf",
		"Text/Plain; Charset=UTF-8":    "text/plain; charset=UTF-8",
		"":                             "application/octet-stream",
		"not a type":                   "application/octet-stream",
		"text/html\r\nX-Injected: yes": "application/octet-stream",
		"application/" + strings.Repeat("x", 300): "application/octet-stream",
	} {
		assert.Equal(t, want, domain.CleanContentType(in), in)
	}
}
