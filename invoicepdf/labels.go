package invoicepdf

import (
	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// labels holds every fixed text of the PDF in one language, from the
// catalog (package locale, keys pdf.*).
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
	TotalDue, TotalCredited string
	Open, Paid, Void        string // invoice statuses
	Credited                string // a settled credit note
	Page                    string // "{current}" and "{total}" are replaced
	w                       locale.Words
}

// labelsFor returns the labels in lang; languages kassa does not speak get
// English.
func labelsFor(lang string) labels {
	w := locale.In(lang)
	return labels{
		Invoice: w.T("pdf.invoice"), CreditNote: w.T("pdf.credit_note"),
		Number: w.T("pdf.number"), IssueDate: w.T("pdf.issue_date"),
		Period: w.T("pdf.period"), Status: w.T("pdf.status"),
		CreditOf:  w.T("pdf.credit_of"),
		VATNumber: w.T("pdf.vat_number"), Email: w.T("pdf.email"),
		BillTo: w.T("pdf.bill_to"), PONumber: w.T("pdf.po_number"),
		Description: w.T("pdf.description"), Quantity: w.T("pdf.quantity"),
		UnitPrice: w.T("pdf.unit_price"), Amount: w.T("pdf.amount"),
		Subtotal: w.T("pdf.subtotal"),
		TotalDue: w.T("pdf.total_due"), TotalCredited: w.T("pdf.total_credited"),
		Open: w.T("pdf.status.open"), Paid: w.T("pdf.status.paid"), Void: w.T("pdf.status.void"),
		Credited: w.T("pdf.status.credited"),
		Page:     w.T("pdf.page"),
		w:        w,
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
	return l.w.T("pdf.vat", "Rate", locale.FormatRate(basisPoints, l.w.Lang()))
}
