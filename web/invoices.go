package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/invoicepdf"
)

// invoicesPath is where each invoice has its pane (…/{id}) and its PDF
// (…/{id}.pdf); the list is the Invoices tab, billsPath.
const (
	billsPath    = "/billing/bills"
	invoicesPath = billsPath + "/invoices"
)

// InvoicesPage is Billing › Bills & payments on its Invoices tab: the
// invoices and credit notes of the period chosen (past 3 months unless
// told otherwise), and beside them the pane of the one selected.
type InvoicesPage struct {
	Layout
	Period   PeriodFilter
	Invoices []InvoiceRow
	Selected *InvoiceView
	// Query is the period's query, which the links to each invoice keep;
	// CSV exports the list, "" when the period is wrong.
	Query, CSV string
}

func (*InvoicesPage) template() string { return "bills.html" }

// PeriodFilter is the invoice list's period: a select, and the dates of a
// range, shown when the select says so (by CSS; without it, always).
type PeriodFilter struct {
	Period   Field
	From, To Field
	Custom   bool
}

// Invalid reports whether the period was refused: the list is then empty
// for that reason, not for want of invoices.
func (f PeriodFilter) Invalid() bool {
	return f.Period.Error != "" || f.From.Error != "" || f.To.Error != ""
}

// InvoiceRow is an invoice or credit note as the list shows it.
type InvoiceRow struct {
	Href, PDF, Number       string
	Date, Period            string
	Type, Status, Total     string
	CreditNote, Current     bool
	StatusClass             kassa.InvoiceStatus
	AmountDue, BalanceUsed  string
	Subtotal, VATLabel, VAT string
	// Pay is the page that pays an unpaid renewal, and BankWants says the
	// purchaser's bank refused to let it be charged without them.
	Pay       string
	BankWants bool
}

// InvoiceView is the invoice of the pane, with its lines.
type InvoiceView struct {
	InvoiceRow
	Lines    []InvoiceLineView
	CreditOf string
}

// InvoiceLineView is a line of an invoice.
type InvoiceLineView struct {
	Description, Period string
	Quantity            int
	UnitPrice, Amount   string
}

var (
	invoiceTypeKeys = map[kassa.InvoiceType]string{
		kassa.TypeInvoice: msg("invoice.type.invoice"), kassa.TypeCreditNote: msg("invoice.type.credit_note"),
	}
	invoiceStatusKeys = map[kassa.InvoiceStatus]string{
		kassa.InvoicePending: msg("invoice.status.pending"), kassa.InvoiceOpen: msg("invoice.status.open"),
		kassa.InvoicePaid: msg("invoice.status.paid"), kassa.InvoiceVoid: msg("invoice.status.void"),
	}
)

// readPeriod reads the period of the list from the query and returns its
// filter, and the query that keeps it; a period with errors shows them
// beside its fields and returns ok false.
func readPeriod(l *Layout, q url.Values, now time.Time) (PeriodFilter, kassa.InvoiceFilter, string, bool) {
	period, from, to := q.Get("period"), strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if period == "" {
		period = "past_3_months"
	}
	f := PeriodFilter{Custom: period == "custom"}
	var opts []Option
	for _, o := range []struct{ value, key string }{
		{"past_3_months", msg("invoices.period.past_3_months")},
		{"past_6_months", msg("invoices.period.past_6_months")},
		{"custom", msg("invoices.period.custom")},
	} {
		opts = append(opts, Option{Value: o.value, Label: l.T(o.key), Selected: o.value == period})
	}
	f.Period = Field{ID: "invoice-period", Name: "period", Label: l.T("invoices.period"), Options: opts, Class: "medium"}
	f.From = Field{ID: "invoice-from", Name: "from", Label: l.T("invoices.from"), Type: "date", Value: from, Class: "short"}
	f.To = Field{ID: "invoice-to", Name: "to", Label: l.T("invoices.to"), Type: "date", Value: to, Class: "short"}

	filter, err := kassa.InvoicePeriod(period, from, to, now)
	switch kassa.ErrorField(err) {
	case "":
		if !f.Custom {
			// A range starts as the period shown, for the reader to adjust.
			f.From.Value, f.To.Value = filter.From.Format(time.DateOnly), kassa.Day(now).Format(time.DateOnly)
		}
		keep := url.Values{"period": {period}}
		if f.Custom {
			keep.Set("from", from)
			keep.Set("to", to)
		}
		return f, filter, keep.Encode(), true
	case "period":
		f.Period.Error = l.T("invoices.error.period")
	case "from":
		f.From.Error = dateError(l, from, msg("invoices.error.from_after_to"), f.From.Label)
	case "to":
		f.To.Error = dateError(l, to, "", f.To.Label)
	}
	focusFirstError(&f.Period, &f.From, &f.To)
	return f, filter, "", false
}

// dateError explains why a date of the range was refused: it is missing,
// not a date, or (when given afterKey) after the other date.
func dateError(l *Layout, value, afterKey, label string) string {
	_, err := time.Parse(time.DateOnly, value)
	switch {
	case value == "":
		return l.T("form.error.required", "Field", label)
	case err != nil || afterKey == "":
		return l.T("invoices.error.date")
	}
	return l.T(afterKey)
}

// invoicesPage loads the tab with the invoices of the period r's query
// chooses; it answers 422 when the period is wrong.
func (s *server) invoicesPage(r *http.Request) (*InvoicesPage, int, error) {
	p := &InvoicesPage{Layout: s.layout(r, msg("nav.bills"))}
	period, filter, query, ok := readPeriod(&p.Layout, r.URL.Query(), s.db.Now())
	p.Period, p.Query = period, query
	if !ok {
		return p, http.StatusUnprocessableEntity, nil
	}
	p.CSV = "/api/v1/invoices?format=csv&" + query
	invs, err := s.db.FindInvoices(r.Context(), filter)
	if err != nil {
		return nil, 0, err
	}
	money := s.amounts(p.Lang)
	for _, inv := range invs {
		p.Invoices = append(p.Invoices, invoiceRow(&p.Layout, money, inv, query))
	}
	return p, http.StatusOK, money.err
}

// invoiceRow is inv as the list shows it; its link keeps the list's query.
func invoiceRow(l *Layout, money *amounts, inv *kassa.Invoice, query string) InvoiceRow {
	row := InvoiceRow{
		Href: invoicesPath + "/" + inv.ID, PDF: invoicesPath + "/" + inv.ID + ".pdf", Number: inv.Number,
		Date: formatDate(l, inv.IssuedAt), Period: dateRange(l, inv.PeriodStart, inv.PeriodEnd),
		Type: l.T(invoiceTypeKeys[inv.Type]), Status: l.T(invoiceStatusKeys[inv.Status]), StatusClass: inv.Status,
		Total: money.of(inv.Total), CreditNote: inv.Type == kassa.TypeCreditNote,
		Subtotal: money.of(inv.Subtotal), VATLabel: vatLabel(l, inv.TaxRate), VAT: money.of(inv.Tax),
		AmountDue: money.of(inv.AmountDue()),
	}
	if inv.BalanceApplied.Amount != 0 {
		row.BalanceUsed = money.of(kassa.Money{Amount: -inv.BalanceApplied.Amount, Currency: inv.BalanceApplied.Currency})
	}
	if inv.Status == kassa.InvoiceOpen && inv.Type == kassa.TypeInvoice {
		row.Pay, row.BankWants = invoicesPath+"/"+inv.ID+"/pay", inv.ActionRequired
	}
	if query != "" {
		row.Href += "?" + query
	}
	return row
}

// dateRange writes a period of days, "" when it has no start.
func dateRange(l *Layout, start, end time.Time) string {
	if start.IsZero() {
		return ""
	}
	return formatDate(l, start) + " – " + formatDate(l, end)
}

func (s *server) bills(w http.ResponseWriter, r *http.Request) error {
	p, status, err := s.invoicesPage(r)
	if err != nil {
		return err
	}
	return s.render(w, status, p)
}

// invoice serves …/invoices/{id} (its pane beside the list) and
// …/invoices/{id}.pdf: ServeMux wildcards take whole segments, so one
// route has both.
func (s *server) invoice(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if id, ok := strings.CutSuffix(name, ".pdf"); ok {
		return s.invoicePDF(w, r, id)
	}
	inv, err := s.db.FindInvoiceByID(r.Context(), name)
	if err != nil {
		return err
	}
	p, status, err := s.invoicesPage(r)
	if err != nil {
		return err
	}
	for i := range p.Invoices {
		p.Invoices[i].Current = p.Invoices[i].Number == inv.Number
	}
	money := s.amounts(p.Lang)
	v := &InvoiceView{InvoiceRow: invoiceRow(&p.Layout, money, inv, p.Query), CreditOf: inv.CreditOf}
	for _, line := range inv.Lines {
		v.Lines = append(v.Lines, InvoiceLineView{Description: line.Description, Quantity: line.Quantity,
			Period:    dateRange(&p.Layout, line.PeriodStart, line.PeriodEnd),
			UnitPrice: money.of(line.UnitPrice), Amount: money.of(line.Amount)})
	}
	if money.err != nil {
		return money.err
	}
	p.Selected = v
	return s.render(w, status, p)
}

// invoicePDF sends the invoice as a PDF, in the language it was issued in.
// It is rendered whole before anything is sent, so that a failure shows an
// error page, not half a file.
func (s *server) invoicePDF(w http.ResponseWriter, r *http.Request, id string) error {
	inv, err := s.db.FindInvoiceByID(r.Context(), id)
	if err != nil {
		return err
	}
	bp, err := s.db.FindPayingProfile(r.Context(), inv.BillingProfileID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := invoicepdf.Render(&buf, invoicepdf.Document{Invoice: inv, Profile: bp, Issuer: s.issuer}); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="`+inv.Number+`.pdf"`)
	h.Set("Cache-Control", "private, no-store")
	_, _ = w.Write(buf.Bytes())
	return nil
}
