package invoicepdf_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/invoicepdf"
)

func TestRenderSwedishInvoice(t *testing.T) {
	got := extract(t, render(t, swedishInvoice()))
	mustContain(t, got,
		"Kassa Billing AB", "Sveavägen 44", "Momsreg.nr SE556677889901",
		"Faktura",
		near("Fakturanummer", "INV-2026-000042"),
		near("Fakturadatum", "2026-11-23"),
		near("Period", "2026-11-23 – 2026-12-23"),
		near("Status", "Betald"),
		"Faktureras till", "Åsa Öberg", "Storgatan 12", "Våning 3", "411 38 Göteborg",
		"asa.oberg@nordvik.example",
		near("Köparens referens / PO-nummer", "PO-4711"),
		"Beskrivning", "Antal", "À-pris", "Belopp",
		near("Mötesrum Pro, månadslicens", "2026-11-23 – 2026-12-23", "10", "239,00 kr", "2 390,00 kr"),
		near("Säkert e-postarkiv", "2026-11-23 – 2026-12-23", "5", "49,00 kr", "245,00 kr"),
		near("Delsumma", "2 635,00 kr"),
		near("Moms 25 %", "658,75 kr"),
		near("Att betala", "3 293,75 kr"),
		"Sida 1 av 1",
	)
	mustNotContain(t, got, "Invoice", "Total due", "VAT", "Kreditfaktura", "?")
}

func TestRenderGermanInvoice(t *testing.T) {
	d := swedishInvoice()
	d.Invoice.Language = "de"
	d.Invoice.Lines[0].Quantity, d.Invoice.Lines[0].Amount = 1000, sek(23900000)
	d.Invoice.Subtotal, d.Invoice.Tax, d.Invoice.Total = sek(23924500), sek(5981125), sek(29905625)
	got := extract(t, render(t, d))
	mustContain(t, got,
		"Rechnung", "USt-IdNr. SE556677889901",
		near("Rechnungsnummer", "INV-2026-000042"),
		near("Rechnungsdatum", "23.11.2026"),
		near("Leistungszeitraum", "23.11.2026 – 23.12.2026"),
		near("Status", "Bezahlt"),
		"Rechnungsempfänger", "Åsa Öberg",
		near("Referenz des Käufers / Bestellnummer", "PO-4711"),
		"Beschreibung", "Menge", "Einzelpreis", "Betrag",
		near("Mötesrum Pro, månadslicens", "23.11.2026 – 23.12.2026", "1000", "239,00 SEK", "239.000,00 SEK"),
		near("Zwischensumme", "239.245,00 SEK"),
		near("MwSt. 25 %", "59.811,25 SEK"),
		near("Gesamtbetrag", "299.056,25 SEK"),
		"Seite 1 von 1",
	)
	mustNotContain(t, got, "Invoice", "Faktura", "Moms", "VAT", "?")
}

func TestRenderEnglishCreditNote(t *testing.T) {
	got := extract(t, render(t, englishCreditNote()))
	mustContain(t, got,
		"Credit note",
		near("Invoice number", "INV-2026-000043"),
		near("Date of issue", "Dec 5, 2026"),
		near("Period", "Dec 5, 2026 – Dec 23, 2026"),
		near("Status", "Credited"),
		near("Credit note for invoice", "INV-2026-000042"),
		"Bill to", "Harbor Labs Inc.", "97201 Portland",
		"Description", "Qty", "Unit price", "Amount",
		near("Meeting Rooms Pro — 3 licenses", "Dec 5, 2026 – Dec 23, 2026", "3", "$19.00", "-$28.50"),
		near("Subtotal", "-$28.50"),
		near("VAT 12.5%", "-$3.56"),
		near("Total credited", "-$32.06"),
		"Page 1 of 1",
	)
	mustNotContain(t, got, "Faktura", "Moms", "Total due", "PO number")
}

func TestRenderSwedishCreditNote(t *testing.T) {
	d := swedishInvoice()
	inv := d.Invoice
	inv.Type, inv.Status, inv.CreditOf = kassa.TypeCreditNote, kassa.InvoiceOpen, "INV-2026-000041"
	inv.TaxRate = 1250
	for i := range inv.Lines {
		inv.Lines[i].Amount.Amount = -inv.Lines[i].Amount.Amount
	}
	inv.Subtotal, inv.Tax, inv.Total = sek(-263500), sek(-32938), sek(-296438)
	got := extract(t, render(t, d))
	// Swedish writes a negative amount with U+2212, which cp1252 lacks: the
	// PDF has the hyphen-minus instead.
	mustContain(t, got,
		"Kreditfaktura",
		near("Krediterar faktura", "INV-2026-000041"),
		near("Status", "Obetald"),
		near("Mötesrum Pro, månadslicens", "2026-11-23 – 2026-12-23", "10", "239,00 kr", "-2 390,00 kr"),
		near("Delsumma", "-2 635,00 kr"),
		near("Moms 12,5 %", "-329,38 kr"),
		near("Att återfå", "-2 964,38 kr"),
	)
	mustNotContain(t, got, "Att betala")
}

func TestRenderReplacesWhatCP1252Lacks(t *testing.T) {
	d := swedishInvoice()
	d.Invoice.Lines[0].Description = "Ölkyl 😀 Łódź ﬁka Ｘ 東京 tab\there"
	got := extract(t, render(t, d))
	mustContain(t, got, near("Ölkyl ? Lódz fika X ?? tab here"))
}

func TestRenderNeedsInvoiceAndBuyer(t *testing.T) {
	d := swedishInvoice()
	d.Profile = nil
	if err := invoicepdf.Render(&bytes.Buffer{}, d); err == nil {
		t.Errorf("Render(no billing profile) = nil, want an error")
	}
	if err := invoicepdf.Render(&bytes.Buffer{}, invoicepdf.Document{}); err == nil {
		t.Errorf("Render(no invoice) = nil, want an error")
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderReportsWriteError(t *testing.T) {
	if err := invoicepdf.Render(failingWriter{}, swedishInvoice()); !errors.Is(err, errDiskFull) {
		t.Errorf("Render(failing writer) = %v, want %v", err, errDiskFull)
	}
}

func TestRenderConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			d := swedishInvoice()
			if i%2 == 1 {
				d = englishCreditNote()
			}
			var buf bytes.Buffer
			if err := invoicepdf.Render(&buf, d); err != nil {
				t.Errorf("Render(%s) = %v", d.Invoice.Number, err)
			}
		})
	}
	wg.Wait()
}

// render returns d as a PDF, failing the test if Render fails.
func render(t testing.TB, d invoicepdf.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := invoicepdf.Render(&buf, d); err != nil {
		t.Fatalf("Render(%s) = %v", d.Invoice.Number, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Render(%s) wrote %.20q, want a PDF", d.Invoice.Number, buf.Bytes())
	}
	return buf.Bytes()
}

// extract returns the text pdftotext reads from pdf, laid out, with
// non-breaking spaces as plain ones (poppler versions differ in that). The
// test is skipped when pdftotext is missing, unless KASSA_REQUIRE_BROWSER=1
// (make test's "every tool is required") makes that a failure.
func extract(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("KASSA_REQUIRE_BROWSER") == "1" {
			t.Fatalf("pdftotext is required (KASSA_REQUIRE_BROWSER=1): %v", err)
		}
		t.Skipf("pdftotext (poppler-utils) is missing: %v", err)
	}
	file := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	return strings.ReplaceAll(string(out), "\u00a0", " ")
}

// near matches the texts in order on one line, separated by spaces only.
func near(texts ...string) *regexp.Regexp {
	quoted := make([]string, len(texts))
	for i, s := range texts {
		quoted[i] = regexp.QuoteMeta(s)
	}
	return regexp.MustCompile(strings.Join(quoted, ` +`))
}

func mustContain(t *testing.T, text string, wants ...any) {
	t.Helper()
	for _, w := range wants {
		switch w := w.(type) {
		case string:
			if !strings.Contains(text, w) {
				t.Errorf("pdftotext output lacks %q:\n%s", w, text)
			}
		case *regexp.Regexp:
			if !w.MatchString(text) {
				t.Errorf("pdftotext output does not match %s:\n%s", w, text)
			}
		}
	}
}

func mustNotContain(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("pdftotext output has %q:\n%s", u, text)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	d := swedishInvoice()
	for b.Loop() {
		if err := invoicepdf.Render(&bytes.Buffer{}, d); err != nil {
			b.Fatal(err)
		}
	}
}
