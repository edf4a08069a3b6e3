package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/invoicepdf"
)

type invoiceJSON struct {
	ID               string              `json:"id"`
	Number           string              `json:"number"`
	Type             kassa.InvoiceType   `json:"type"`
	Status           kassa.InvoiceStatus `json:"status"`
	IssuedAt         time.Time           `json:"issued_at"`
	PeriodStart      time.Time           `json:"period_start"`
	PeriodEnd        time.Time           `json:"period_end"`
	Lines            []invoiceLineJSON   `json:"lines"`
	Subtotal         kassa.Money         `json:"subtotal"`
	TaxRate          int                 `json:"tax_rate"`
	Tax              kassa.Money         `json:"tax"`
	Total            kassa.Money         `json:"total"`
	BalanceApplied   kassa.Money         `json:"balance_applied"`
	AmountDue        kassa.Money         `json:"amount_due"`
	BillingProfileID string              `json:"billing_profile_id"`
	SubscriptionID   *string             `json:"subscription_id"`
	CreditOf         *string             `json:"credit_of"`
	// ActionRequired: the bank refused to let kassa charge this renewal
	// without the purchaser, who pays it with POST …/pay.
	ActionRequired bool `json:"action_required"`
}

type invoiceLineJSON struct {
	Description string      `json:"description"`
	Quantity    int         `json:"quantity"`
	UnitPrice   kassa.Money `json:"unit_price"`
	PeriodStart time.Time   `json:"period_start"`
	PeriodEnd   time.Time   `json:"period_end"`
	Amount      kassa.Money `json:"amount"`
}

func newInvoiceJSON(inv *kassa.Invoice) invoiceJSON {
	j := invoiceJSON{
		ID: inv.ID, Number: inv.Number, Type: inv.Type, Status: inv.Status, IssuedAt: inv.IssuedAt,
		PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd, Lines: []invoiceLineJSON{},
		Subtotal: inv.Subtotal, TaxRate: inv.TaxRate, Tax: inv.Tax, Total: inv.Total,
		BalanceApplied: inv.BalanceApplied, AmountDue: inv.AmountDue(), BillingProfileID: inv.BillingProfileID,
		ActionRequired: inv.ActionRequired && inv.Status == kassa.InvoiceOpen,
	}
	if inv.SubscriptionID != "" {
		j.SubscriptionID = &inv.SubscriptionID
	}
	if inv.CreditOf != "" {
		j.CreditOf = &inv.CreditOf
	}
	for _, l := range inv.Lines {
		j.Lines = append(j.Lines, invoiceLineJSON(l))
	}
	return j
}

func (s *Server) invoices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := kassa.InvoicePeriod(q.Get("period"), q.Get("from"), q.Get("to"), s.db.Now())
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return kassa.InvalidE("format", "error.query.format")
	}
	invs, err := s.db.FindInvoices(r.Context(), f)
	if err != nil {
		return err
	}
	if format == "csv" {
		return writeInvoicesCSV(w, invs)
	}
	data := make([]invoiceJSON, 0, len(invs))
	for _, inv := range invs {
		data = append(data, newInvoiceJSON(inv))
	}
	writeJSON(w, http.StatusOK, newList(data, ""))
	return nil
}

// payInvoice charges an open renewal invoice with the purchaser present:
// 200 with the invoice paid, or 202 with their bank's page.
func (s *Server) payInvoice(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.billing.PayInvoice(billing.Present(r.Context(), s.base(r)), r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.requiresAction(w, r, nil, inv) {
		return nil
	}
	writeJSON(w, http.StatusOK, newInvoiceJSON(inv))
	return nil
}

func (s *Server) invoice(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.db.FindInvoiceByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newInvoiceJSON(inv))
	return nil
}

// writeInvoicesCSV writes the invoices as CSV, amounts in major units.
func writeInvoicesCSV(w http.ResponseWriter, invs []*kassa.Invoice) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="invoices.csv"`)
	c := csv.NewWriter(w)
	_ = c.Write([]string{"number", "type", "status", "issued_at", "period_start", "period_end",
		"subtotal", "tax", "total", "balance_applied", "amount_due", "currency"})
	for _, inv := range invs {
		_ = c.Write([]string{inv.Number, string(inv.Type), string(inv.Status), inv.IssuedAt.Format(time.RFC3339),
			inv.PeriodStart.Format(time.DateOnly), inv.PeriodEnd.Format(time.DateOnly), inv.Subtotal.Decimal(),
			inv.Tax.Decimal(), inv.Total.Decimal(), inv.BalanceApplied.Decimal(), inv.AmountDue().Decimal(),
			inv.Total.Currency})
	}
	c.Flush()
	return c.Error()
}

func (s *Server) invoicePDF(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.db.FindInvoiceByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	profile, err := s.db.FindPayingProfile(r.Context(), inv.BillingProfileID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := invoicepdf.Render(&buf, invoicepdf.Document{Invoice: inv, Profile: profile, Issuer: s.issuer}); err != nil {
		return fmt.Errorf("render %s: %w", inv.Number, err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s.pdf"`, inv.Number))
	_, err = w.Write(buf.Bytes())
	return err
}
