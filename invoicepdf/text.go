package invoicepdf

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Limits that keep any text inside the layout.
const (
	maxTextRunes = 500 // longer texts are cut, ending in "…"
	maxWordRunes = 32  // longer words are broken so that they wrap in their column
)

// pdfText returns s encoded in cp1252, the encoding of the PDF's standard
// fonts, with what cp1252 lacks replaced: Swedish and other Western European
// letters pass unchanged; the minus sign and odd spaces become their plain
// forms; a letter with an accent cp1252 lacks loses the accent (ő → o);
// compatibility forms are unfolded (ﬁ → fi, full width Ａ → A); control
// characters become spaces and invisible formatting characters go; anything
// else, and invalid UTF-8, becomes "?". The result is cut to maxTextRunes
// and its long words are broken at maxWordRunes.
func pdfText(s string) string {
	t := breakWords(truncate(cp1252Text(s), maxTextRunes), maxWordRunes)
	// Every rune of t is in cp1252, so encoding cannot fail.
	b, _ := charmap.Windows1252.NewEncoder().String(t)
	return b
}

// metadataText is s made safe for the document's title and author, which
// gofpdf writes as UTF-16 and which it cannot do for invalid UTF-8 or
// characters beyond the Basic Multilingual Plane: the characters pdfText
// keeps, without breaking words.
func metadataText(s string) string {
	return truncate(cp1252Text(s), maxTextRunes)
}

// cp1252Text replaces the characters of s that cp1252 lacks, as described
// at pdfText.
func cp1252Text(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				b.WriteByte('?')
				continue
			}
		}
		writeRune(&b, r)
	}
	return b.String()
}

// writeRune writes r, or what stands for it in cp1252, to b.
func writeRune(b *strings.Builder, r rune) {
	switch {
	case r == '\u2212' || r == '\u2010' || r == '\u2011': // minus sign, hyphens
		b.WriteByte('-')
		return
	case r == '\u202f' || r == '\u2007': // narrow and figure no-break spaces
		b.WriteRune('\u00a0')
		return
	case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
		b.WriteByte(' ')
		return
	case unicode.Is(unicode.Cf, r): // zero-width and directional marks, soft hyphen
		return
	case unicode.IsSpace(r) && r != '\u00a0':
		b.WriteByte(' ')
		return
	case inCP1252(r):
		b.WriteRune(r)
		return
	}
	if s, ok := strokeLetters[r]; ok {
		b.WriteString(s)
		return
	}
	// Unfold compatibility forms and take the accents off; keep what cp1252
	// has of the result, if that is anything but marks.
	var kept strings.Builder
	for _, d := range norm.NFKD.String(string(r)) {
		switch {
		case unicode.Is(unicode.Mn, d):
		case inCP1252(d) && !unicode.IsControl(d):
			kept.WriteRune(d)
		default:
			b.WriteByte('?')
			return
		}
	}
	if kept.Len() == 0 {
		b.WriteByte('?')
		return
	}
	b.WriteString(kept.String())
}

// strokeLetters are letters with a stroke, which Unicode does not decompose
// into a base letter and a mark: their plain forms.
var strokeLetters = map[rune]string{
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'Ŧ': "T", 'ŧ': "t",
}

// inCP1252 reports whether the cp1252 (WinAnsi) encoding has r.
func inCP1252(r rune) bool {
	_, ok := charmap.Windows1252.EncodeRune(r)
	return ok
}

// truncate cuts s to at most n runes, the last of them "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// breakWords puts a space into every run of more than n runes without one,
// so that the PDF can wrap it inside its column instead of letting it run
// over the next one.
func breakWords(s string, n int) string {
	var b strings.Builder
	run := 0
	for _, r := range s {
		if r == ' ' {
			run = 0
		} else if run++; run > n {
			b.WriteByte(' ')
			run = 1
		}
		b.WriteRune(r)
	}
	return b.String()
}
