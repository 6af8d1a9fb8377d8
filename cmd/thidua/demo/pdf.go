package demo

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
)

// pdfDocument returns a small, valid one-page PDF: the title (kept with its diacritics in
// the document information, as UTF-16) and the lines of the page. The page uses a
// standard font without Vietnamese glyphs, so its text is written without diacritics.
// The bytes depend only on the arguments (no creation date, no random id), so that the
// demo's documents and their SHA-256 are the same on every run.
func pdfDocument(title string, lines []string) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 15 Tf\n56 790 Td\n20 TL\n")
	fmt.Fprintf(&content, "(%s) Tj\n/F1 11 Tf\n16 TL\nT*\n", pdfText(title))
	for _, l := range lines {
		fmt.Fprintf(&content, "T* (%s) Tj\n", pdfText(l))
	}
	content.WriteString("ET\n")

	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		fmt.Sprintf("<< /Title %s /Producer (thidua demo) >>", pdfUTF16(title)),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, len(objects), xref)
	return b.Bytes()
}

// pdfText folds a line to ASCII and escapes it for a PDF literal string.
func pdfText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
	return r.Replace(fold(s))
}

// pdfUTF16 returns s as a PDF text string in UTF-16BE with a byte-order mark (hex form).
func pdfUTF16(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// foldTable maps each Vietnamese letter with diacritics to its base letter.
var foldTable = func() map[rune]rune {
	groups := map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ", 'A': "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
		'e': "èéẻẽẹêềếểễệ", 'E': "ÈÉẺẼẸÊỀẾỂỄỆ",
		'i': "ìíỉĩị", 'I': "ÌÍỈĨỊ",
		'o': "òóỏõọôồốổỗộơờớởỡợ", 'O': "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
		'u': "ùúủũụưừứửữự", 'U': "ÙÚỦŨỤƯỪỨỬỮỰ",
		'y': "ỳýỷỹỵ", 'Y': "ỲÝỶỸỴ",
		'd': "đ", 'D': "Đ",
		'-': "–—", '"': "“”", '\'': "‘’", '%': "‰",
	}
	m := map[rune]rune{}
	for base, letters := range groups {
		for _, l := range letters {
			m[l] = base
		}
	}
	return m
}()

// fold writes s without Vietnamese diacritics; any other non-ASCII character becomes "?".
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch f, ok := foldTable[r]; {
		case ok:
			b.WriteRune(f)
		case r < 0x80:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// slug returns a lower-case ASCII file-name fragment of s.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(fold(s)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
