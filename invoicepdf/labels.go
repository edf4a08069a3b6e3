package invoicepdf

import (
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// labels holds every fixed text of the PDF in one language.
type labels struct {
	Invoice, CreditNote     string // the titles
	Number, IssueDate       string
	Period, Status          string
	CreditOf                string // the invoice a credit note corrects
	VATNumber, Email        string
	BillTo, PONumber        string
	Description, Quantity   string
	UnitPrice, Amount       string
	Subtotal                string
	VAT                     string // followed by the rate
	TotalDue, TotalCredited string
	Open, Paid, Void        string // invoice statuses
	Credited                string // a settled credit note
	Page                    string // "{current}" and "{total}" are replaced
	decimalComma            bool   // 12,5 rather than 12.5
	percentSpace            string // between a rate and "%"
}

// labelsFor returns the labels in lang; languages kassa does not speak get
// English.
func labelsFor(lang string) labels {
	if lang == locale.Swedish {
		return labels{
			Invoice: "Faktura", CreditNote: "Kreditfaktura",
			Number: "Fakturanummer", IssueDate: "Fakturadatum",
			Period: "Period", Status: "Status",
			CreditOf:  "Krediterar faktura",
			VATNumber: "Momsreg.nr", Email: "E-post",
			BillTo: "Faktureras till", PONumber: "Köparens referens / PO-nummer",
			Description: "Beskrivning", Quantity: "Antal",
			UnitPrice: "À-pris", Amount: "Belopp",
			Subtotal: "Delsumma", VAT: "Moms",
			TotalDue: "Att betala", TotalCredited: "Att återfå",
			Open: "Obetald", Paid: "Betald", Void: "Makulerad", Credited: "Krediterad",
			Page:         "Sida {current} av {total}",
			decimalComma: true, percentSpace: "\u00a0",
		}
	}
	return labels{
		Invoice: "Invoice", CreditNote: "Credit note",
		Number: "Invoice number", IssueDate: "Date of issue",
		Period: "Period", Status: "Status",
		CreditOf:  "Credit note for invoice",
		VATNumber: "VAT number", Email: "Email",
		BillTo: "Bill to", PONumber: "Buyer's reference / PO number",
		Description: "Description", Quantity: "Qty",
		UnitPrice: "Unit price", Amount: "Amount",
		Subtotal: "Subtotal", VAT: "VAT",
		TotalDue: "Total due", TotalCredited: "Total credited",
		Open: "Open", Paid: "Paid", Void: "Void", Credited: "Credited",
		Page: "Page {current} of {total}",
	}
}

// title names the document: an invoice or a credit note.
func (l labels) title(inv *kassa.Invoice) string {
	if inv.Type == kassa.TypeCreditNote {
		return l.CreditNote
	}
	return l.Invoice
}

// total is the label of the amount the buyer pays, or gets back.
func (l labels) total(inv *kassa.Invoice) string {
	if inv.Type == kassa.TypeCreditNote {
		return l.TotalCredited
	}
	return l.TotalDue
}

// status translates the invoice's status; one kassa does not know yet is
// shown as it is stored.
func (l labels) status(inv *kassa.Invoice) string {
	switch inv.Status {
	case kassa.InvoiceOpen:
		return l.Open
	case kassa.InvoicePaid:
		if inv.Type == kassa.TypeCreditNote {
			return l.Credited
		}
		return l.Paid
	case kassa.InvoiceVoid:
		return l.Void
	}
	return string(inv.Status)
}

// vat labels the VAT line with its rate, given in basis points:
// 2500 → "VAT 25%" or "Moms 25 %", 1250 → "VAT 12.5%" or "Moms 12,5 %".
func (l labels) vat(basisPoints int) string {
	return l.VAT + " " + l.percent(basisPoints)
}

// percent writes basis points as a percentage with as few decimals as the
// rate needs (at most two).
func (l labels) percent(basisPoints int) string {
	sign, bp := "", uint64(basisPoints)
	if basisPoints < 0 {
		sign, bp = "-", -bp // two's complement: the magnitude, even of the smallest int
	}
	s := strconv.FormatUint(bp/100, 10)
	if frac := strings.TrimRight(strconv.FormatUint(100+bp%100, 10)[1:], "0"); frac != "" {
		sep := "."
		if l.decimalComma {
			sep = ","
		}
		s += sep + frac
	}
	return sign + s + l.percentSpace + "%"
}
