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

	InvoiceOpen InvoiceStatus = "open"
	InvoicePaid InvoiceStatus = "paid"
	InvoiceVoid InvoiceStatus = "void"
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
