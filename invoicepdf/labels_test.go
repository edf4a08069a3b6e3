package invoicepdf

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestVATLabel(t *testing.T) {
	sv, en, de := labelsFor("sv"), labelsFor("en"), labelsFor("de")
	for _, tc := range []struct {
		basisPoints int
		sv, en, de  string
	}{
		{2500, "Moms 25\u00a0%", "VAT 25%", "MwSt. 25\u00a0%"},
		{1250, "Moms 12,5\u00a0%", "VAT 12.5%", "MwSt. 12,5\u00a0%"},
		{2550, "Moms 25,5\u00a0%", "VAT 25.5%", "MwSt. 25,5\u00a0%"},
		{605, "Moms 6,05\u00a0%", "VAT 6.05%", "MwSt. 6,05\u00a0%"},
		{0, "Moms 0\u00a0%", "VAT 0%", "MwSt. 0\u00a0%"},
		{-1250, "Moms -12,5\u00a0%", "VAT -12.5%", "MwSt. -12,5\u00a0%"},
	} {
		if got := de.vat(tc.basisPoints); got != tc.de {
			t.Errorf("de vat(%d) = %q, want %q", tc.basisPoints, got, tc.de)
		}
		if got := sv.vat(tc.basisPoints); got != tc.sv {
			t.Errorf("sv vat(%d) = %q, want %q", tc.basisPoints, got, tc.sv)
		}
		if got := en.vat(tc.basisPoints); got != tc.en {
			t.Errorf("en vat(%d) = %q, want %q", tc.basisPoints, got, tc.en)
		}
	}
}

func TestPDFText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Åsa Öberg, Mötesrum, Säkert", "Åsa Öberg, Mötesrum, Säkert"},
		{"€ – — „“ … œ", "€ – — „“ … œ"},
		{"\u22122\u00a0390,00\u202fkr", "-2\u00a0390,00\u00a0kr"},
		{"ő ł ﬁ Ｘ", "o l fi X"},
		{"😀 東", "? ?"},
		{"a\tb\nc\x00d", "a b c d"},
		{"zero\u200bwidth\u00adsoft", "zerowidthsoft"},
		{"bad \xff utf8", "bad ? utf8"},
		{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "abcdefghijklmnopqrstuvwxyzABCDEF GHIJ"},
	} {
		if got := decode(t, pdfText(tc.in)); got != tc.want {
			t.Errorf("pdfText(%q) = %q in cp1252, want %q", tc.in, got, tc.want)
		}
	}
	if got := []rune(decode(t, pdfText(string(make([]byte, 2000))))); len(got) != maxTextRunes || got[len(got)-1] != '…' {
		t.Errorf("pdfText(2000 NULs) has %d runes ending %q, want %d ending …", len(got), got[len(got)-1], maxTextRunes)
	}
}

// decode reads cp1252 text back into UTF-8.
func decode(t *testing.T, cp1252 string) string {
	t.Helper()
	s, err := charmap.Windows1252.NewDecoder().String(cp1252)
	if err != nil {
		t.Fatalf("decode %q from cp1252: %v", cp1252, err)
	}
	return s
}
