package kassa

import "time"

// InvoiceType tells invoices from credit notes.
type InvoiceType string

// InvoiceStatus says whether an invoice has been settled.
type InvoiceStatus string

// The invoice types and statuses.
const (
	TypeInvoice    InvoiceType = "invoice"
	TypeCreditNote InvoiceType = "credit_note" // negative amounts

	InvoicePending InvoiceStatus = "pending" // its charge is under way; not yet issued
	InvoiceOpen    InvoiceStatus = "open"
	InvoicePaid    InvoiceStatus = "paid"
	InvoiceVoid    InvoiceStatus = "void"
)

// Invoice is immutable once issued: corrections are credit notes.
type Invoice struct {
	ID               string
	TenantID         string
	Number           string // INV-YYYY-NNNNNN, gapless
	Type             InvoiceType
	Status           InvoiceStatus
	SubscriptionID   string
	BillingProfileID string
	IssuedAt         time.Time
	PeriodStart      time.Time
	PeriodEnd        time.Time
	Language         string // "en" or "sv": what its lines and PDF are written in
	Lines            []InvoiceLine
	Subtotal         Money
	TaxRate          int // VAT in basis points: 2500 is 25 %
	Tax              Money
	Total            Money
	CreditOf         string // for a credit note: the number of the invoice it corrects
	BalanceApplied   Money  // the billing profile's credit it used; the card pays Total - BalanceApplied
	QuantityDelta    int    // licenses it adds (an invoice) or removes (a credit note)
	OwnerID          string // who it bills: the subscription's purchaser
	ChargeRef        string // the gateway's payment
	Failure          string // why the charge of a void invoice failed
	// ActionURL is the bank's page of a payment waiting for the person
	// (3-D Secure); ActionRequired marks an open renewal invoice whose
	// charge without the person the bank refused (authentication_required):
	// the purchaser pays it themselves.
	ActionURL      string
	ActionRequired bool
	// ReturnURL is where the bank sends the person back to kassa: set
	// before a charge with the person present, so that a retry asks the
	// gateway what the first attempt asked.
	ReturnURL string
	// Claim says who charges an open renewal invoice now ("retry" or
	// "person"), "" when nobody does.
	Claim string
	// Kind is what the invoice is for: "purchase", "renewal", "quantity"
	// (more licenses) or "cancel" (a credit note).
	Kind string
}

// InvoiceFilter selects issued invoices by issue date: From inclusive, To
// exclusive; zero times are open ends.
type InvoiceFilter struct {
	From, To time.Time
}

// InvoiceLine is one row of an invoice; its Amount is rounded once.
type InvoiceLine struct {
	Description string
	Quantity    int
	UnitPrice   Money
	PeriodStart time.Time
	PeriodEnd   time.Time
	Amount      Money
}

// InvoicePeriod turns the invoice list's period choice into a filter at
// now: "past_3_months" (the default), "past_6_months", or "custom" from one
// day to another, both YYYY-MM-DD and both included. Errors name the field.
func InvoicePeriod(period, from, to string, now time.Time) (InvoiceFilter, error) {
	switch period {
	case "", "past_3_months":
		return InvoiceFilter{From: Day(now).AddDate(0, -3, 0)}, nil
	case "past_6_months":
		return InvoiceFilter{From: Day(now).AddDate(0, -6, 0)}, nil
	case "custom":
	default:
		return InvoiceFilter{}, InvalidE("period", "error.invoices.period")
	}
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return InvoiceFilter{}, InvalidE("from", "error.invoices.date", "Field", "from")
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return InvoiceFilter{}, InvalidE("to", "error.invoices.date", "Field", "to")
	}
	if f.After(t) {
		return InvoiceFilter{}, InvalidE("from", "error.invoices.from_after_to")
	}
	end := t.AddDate(0, 0, 1)
	if end.Year() > 9999 {
		// Up to 9999-12-31 has no end: the day after cannot be written
		// with four digits, as storage compares times.
		end = time.Time{}
	}
	return InvoiceFilter{From: f, To: end}, nil
}

// AmountDue is what the card is charged: the total less the credit used.
func (inv *Invoice) AmountDue() Money {
	return Money{Amount: inv.Total.Amount - inv.BalanceApplied.Amount, Currency: inv.Total.Currency}
}

// ApplyBalance uses as much of balance as the invoice's total takes.
func (inv *Invoice) ApplyBalance(balance Money) {
	inv.BalanceApplied = Money{Amount: max(0, min(balance.Amount, inv.Total.Amount)), Currency: inv.Total.Currency}
}
