package invoicepdf_test

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/invoicepdf"
)

// oddInputs are descriptions, amounts and the like that a PDF writer might
// trip on: text outside cp1252, control characters, invalid UTF-8, PDF
// syntax, very long words and texts, and the extreme amounts.
var oddInputs = []struct {
	description string
	amount      int64
	quantity    int
	taxRate     int
	currency    string
}{
	{"Mötesrum", 239000, 10, 2500, "SEK"},
	{"", 0, 0, 0, "SEK"},
	{"😀🎉 東京 Ελληνικά русский עברית العربية", -1, -1, 1250, "USD"},
	{"\x00\x01\x1b[31m\r\n\t\u2028\u200b\ufeff", math.MaxInt64, math.MaxInt32, math.MaxInt32, "JPY"},
	{"\xff\xfe invalid \xc3", math.MinInt64, math.MinInt32, math.MinInt32, "KWD"},
	{`) Tj /F1 99 Tf (\) \\ ( endstream %%EOF`, 1, 1, 1, "EUR"},
	{strings.Repeat("Säkert", 100), -239000, 1, 2500, "SEK"},
	{strings.Repeat("lång rad ", 2000), 5, 3, 2550, "XYZ"},
	{"\u2212\u202f\u00a0\u00ad", 100, 1, 0, ""},
}

func oddDocument(lang, description string, amount int64, quantity, taxRate int, currency string) invoicepdf.Document {
	d := swedishInvoice()
	inv := d.Invoice
	inv.Language = lang
	m := kassa.Money{Amount: amount, Currency: currency}
	line := kassa.InvoiceLine{Description: description, Quantity: quantity, UnitPrice: m,
		PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd, Amount: m}
	inv.Lines = []kassa.InvoiceLine{line, line}
	inv.Subtotal, inv.Tax, inv.Total, inv.TaxRate = m, m, m, taxRate
	d.Profile.Name, d.Profile.PONumber, d.Issuer.Name = description, description, description
	return d
}

// TestRenderOddInputs checks that pdftotext reads every PDF made of odd
// input: the PDF is whole, whatever went into it.
func TestRenderOddInputs(t *testing.T) {
	for _, lang := range []string{"sv", "en", "fr"} {
		for _, in := range oddInputs {
			d := oddDocument(lang, in.description, in.amount, in.quantity, in.taxRate, in.currency)
			got := extract(t, render(t, d))
			if !strings.Contains(got, "INV-2026-000042") {
				t.Errorf("pdftotext of the invoice for %.40q in %s lacks its number:\n%s", in.description, lang, got)
			}
		}
	}
}

func TestRenderManyLinesMakesPages(t *testing.T) {
	d := swedishInvoice()
	line := d.Invoice.Lines[0]
	d.Invoice.Lines = nil
	for range 120 {
		d.Invoice.Lines = append(d.Invoice.Lines, line)
	}
	got := extract(t, render(t, d))
	mustContain(t, got, "Sida 1 av ", near("Att betala", "3 293,75 kr"))
	if m := regexp.MustCompile(`Sida (\d+) av (\d+)\s*$`).FindStringSubmatch(got); m == nil || m[1] != m[2] || m[1] == "1" {
		t.Errorf("120 lines end on %q, want the last of several pages", m)
	}
}

func FuzzRender(f *testing.F) {
	for i, in := range oddInputs {
		f.Add(uint8(i), in.description, in.amount, in.quantity, in.taxRate, in.currency)
	}
	f.Fuzz(func(t *testing.T, lang uint8, description string, amount int64, quantity, taxRate int, currency string) {
		d := oddDocument([]string{"sv", "en", ""}[lang%3], description, amount, quantity, taxRate, currency)
		var buf bytes.Buffer
		if err := invoicepdf.Render(&buf, d); err != nil {
			t.Fatalf("Render(%q, %d %q) = %v", description, amount, currency, err)
		}
		pdf := bytes.TrimSpace(buf.Bytes())
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.HasSuffix(pdf, []byte("%%EOF")) {
			t.Fatalf("Render(%q, %d %q) wrote no whole PDF", description, amount, currency)
		}
	})
}
