package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// PaymentPage is a payment as the person sees it around their bank's page
// (SPEC §10): after they come back from it (what the payment came to), or
// before paying a renewal invoice themselves.
type PaymentPage struct {
	Layout
	Invoice   string // its number, or "" while it has none
	Product   string
	Amount    string
	State     string // "paid", "declined", "waiting" or "due"
	Message   string // what the payment came to, or why it could not be made
	ActionURL string // the bank's page, while it waits for the person
	Pay       string // where "Pay now" posts, for a renewal invoice due
	Next      string // where to go on to
	NextLabel string
}

func (*PaymentPage) template() string { return "payment.html" }

// formActions lets "Pay now" lead to the bank's page.
func (*PaymentPage) formActions() string { return processorPages }

// paymentReturned is where the bank sends the person back: the payment is
// read again and the page says what it came to; one that went through
// goes on to the subscription it paid for.
func (s *server) paymentReturned(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.billing.SettlePayment(r.Context(), r.URL.Query().Get("payment_intent"))
	if err != nil {
		return err
	}
	if inv.Status == kassa.InvoicePaid && inv.SubscriptionID != "" {
		done := map[string]string{"purchase": "purchased", "quantity": "licenses_added", "renewal": "invoice_paid"}[inv.Kind]
		if done == "" {
			done = "invoice_paid"
		}
		return seeOther(w, r, subscriptionsPath+"/"+inv.SubscriptionID+"?done="+done)
	}
	p, err := s.paymentPage(r, inv)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// paymentPage describes inv's payment as it stands.
func (s *server) paymentPage(r *http.Request, inv *kassa.Invoice) (*PaymentPage, error) {
	p := &PaymentPage{Layout: s.layout(r, msg("payment.title")), Invoice: inv.Number}
	money := s.amounts(p.Lang)
	p.Amount = money.of(inv.AmountDue())
	if money.err != nil {
		return nil, money.err
	}
	if inv.SubscriptionID != "" {
		if sub, err := s.db.FindSubscriptionByID(r.Context(), inv.SubscriptionID); err == nil {
			p.Product = sub.ProductName.In(p.Lang)
			p.Next, p.NextLabel = subscriptionsPath+"/"+sub.ID, p.T("payment.to_subscription")
		} else if kassa.ErrorCode(err) != kassa.NotFound {
			return nil, err
		}
	}
	if p.Next == "" {
		p.Next, p.NextLabel = productsPath, p.T("payment.to_products")
	}
	switch {
	case inv.Status == kassa.InvoicePaid:
		p.State, p.Message = "paid", p.T("payment.paid")
	case inv.Status == kassa.InvoiceVoid:
		p.State = "declined"
		p.Message = declineText(&p.Layout, kassa.Declined(inv.Failure)) + " " + p.T("payment.nothing_bought")
	case inv.ChargeRef != "" && inv.ActionURL != "":
		p.State, p.ActionURL, p.Message = "waiting", inv.ActionURL, p.T("payment.waiting")
	case inv.Status == kassa.InvoiceOpen:
		p.State, p.Pay = "due", invoicesPath+"/"+inv.ID+"/pay"
		p.Message = p.T("payment.due")
		if inv.ActionRequired {
			p.Message = p.T("payment.due_bank")
		}
	default:
		p.State, p.Message = "waiting", p.T("payment.processing")
	}
	return p, nil
}

// payForm shows a renewal invoice to pay with the person present.
func (s *server) payForm(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.db.FindInvoiceByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.paymentPage(r, inv)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// pay charges a renewal invoice with the person present: on to the bank's
// page when it asks for them, else back with what the payment came to.
func (s *server) pay(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	inv, err := s.billing.PayInvoice(billing.Present(r.Context(), s.base(r)), r.PathValue("id"))
	switch kassa.ErrorCode(err) {
	case "":
		if inv.ActionURL != "" && inv.Status == kassa.InvoiceOpen {
			return seeOther(w, r, inv.ActionURL)
		}
		return seeOther(w, r, subscriptionsPath+"/"+inv.SubscriptionID+"?done=invoice_paid")
	case kassa.PaymentFailed, kassa.Conflict, kassa.Unavailable:
		inv, ferr := s.db.FindInvoiceByID(r.Context(), r.PathValue("id"))
		if ferr != nil {
			return ferr
		}
		p, ferr := s.paymentPage(r, inv)
		if ferr != nil {
			return ferr
		}
		status := map[kassa.Code]int{kassa.PaymentFailed: http.StatusPaymentRequired, kassa.Conflict: http.StatusConflict,
			kassa.Unavailable: http.StatusServiceUnavailable}[kassa.ErrorCode(err)]
		if reason := kassa.DeclineReason(err); reason != "" {
			p.Message = declineText(&p.Layout, err)
		} else {
			p.Message = p.tr.Error(err)
		}
		return s.render(w, status, p)
	}
	return err
}
