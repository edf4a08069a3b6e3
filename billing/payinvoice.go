package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// An open renewal invoice has one payer at a time (sqldb.ClaimInvoice): the
// billing clock's retry, or the purchaser paying it themselves. Each
// charges with keys of its own — a retry with the attempt's, the purchaser
// with one made of their claim's time — so the claim is what keeps the two
// from both taking the money.
const (
	claimRetry  = "retry"
	claimPerson = "person"
)

// staleClaim is how long a claim may stand before the reconciler looks at
// what its payer left behind.
const staleClaim = 10 * time.Minute

// personKey is the idempotency key of the purchaser's charge of an invoice
// they claimed at.
func personKey(invoiceID string, at time.Time) string {
	return fmt.Sprintf("kassa-%s-pay-%d", invoiceID, at.UnixMilli())
}

// PayInvoice charges an open renewal invoice of the actor's with them
// present: a renewal their bank would not let kassa charge without them
// (ActionRequired), or one overdue. It returns the invoice as it stands
// then: paid, or waiting at their bank (ActionURL). Errors: NotFound,
// Conflict (not open, no card, or being paid now), PaymentFailed naming
// the reason, Unavailable.
func (s *Service) PayInvoice(ctx context.Context, invoiceID string) (*kassa.Invoice, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := s.db.FindInvoiceByID(ctx, invoiceID)
	if err != nil {
		return nil, err
	}
	if inv.OwnerID != a.User.ID && !a.User.IsAdmin() {
		// An admin reads the organization's invoices, and may pay them.
		return nil, kassa.E(kassa.NotFound, "error.invoice.no_such")
	}
	if inv.Status != kassa.InvoiceOpen || inv.SubscriptionID == "" {
		return nil, kassa.E(kassa.Conflict, "error.invoice.not_open")
	}
	if inv.ChargeRef != "" && inv.ActionURL != "" {
		return inv, nil // at the bank already: go there
	}
	payer, err := s.db.FindPayer(ctx, inv.SubscriptionID)
	if err != nil {
		return nil, err
	}
	if payer.CardRef == "" {
		return nil, kassa.E(kassa.Conflict, "error.profile.no_payment_method")
	}
	back := returnURL(ctx, a.User.ID)
	at, err := s.db.ClaimInvoice(ctx, inv.ID, claimPerson, back)
	if err != nil {
		return nil, err
	}
	inv.ReturnURL = back
	if err := s.chargeClaimed(ctx, inv, payer.CustomerRef, payer.CardRef, personKey(inv.ID, at)); err != nil && kassa.DeclineReason(err) == "" {
		return nil, err
	} else if err != nil {
		return nil, err
	}
	return s.db.FindInvoiceByID(ctx, inv.ID)
}

// chargeClaimed charges an open invoice its payer claimed, under key, and
// records what it came to.
func (s *Service) chargeClaimed(ctx context.Context, inv *kassa.Invoice, customerRef, cardRef, key string) error {
	p, err := s.gw.Charge(ctx, kassa.ChargeRequest{CustomerRef: customerRef, CardRef: cardRef, Amount: inv.AmountDue(),
		Description: "kassa invoice " + inv.Number, IdempotencyKey: key, OnSession: inv.ReturnURL != "", ReturnURL: inv.ReturnURL})
	if reason := kassa.DeclineReason(err); reason != "" {
		if rerr := s.db.ReleaseInvoice(ctx, inv.ID); rerr != nil {
			return rerr
		}
		return err
	} else if err != nil {
		s.log.Warn("invoice payment left claimed", "invoice", inv.ID, "err", err)
		return kassa.E(kassa.Unavailable, "error.payment.pending")
	}
	return s.settleRenewal(ctx, inv, p)
}

// settleRenewal records what the purchaser's payment of an open renewal
// invoice came to: paid (the subscription moves on to the term it paid
// for), waiting at their bank, or declined (the invoice stays open and
// dunning goes on).
func (s *Service) settleRenewal(ctx context.Context, inv *kassa.Invoice, p kassa.Payment) error {
	switch p.Status {
	case kassa.PaymentSucceeded:
		sub, err := s.db.FindSubscriptionForSystem(ctx, inv.SubscriptionID)
		if err != nil {
			return err
		}
		return s.db.RenewalPaid(ctx, sub, inv, p.Ref, sub.AnchorAt, inv.PeriodEnd)
	case kassa.PaymentRequiresAction, kassa.PaymentProcessing:
		return s.db.HoldCharge(ctx, inv.ID, p.Ref, p.ActionURL)
	}
	if err := s.db.ReleaseInvoice(ctx, inv.ID); err != nil {
		return err
	}
	reason := p.Decline
	if reason == "" {
		reason = kassa.DeclineAuthenticationFailed
	}
	return kassa.Declined(reason)
}

// reconcileClaims finishes what payers of open invoices left behind: a
// retry that died (released: the next retry charges again with the same
// key), a purchaser whose charge's answer was lost (charged again with the
// same key and request, which finds the first charge), or a payment left
// at the bank for AuthenticationLife (given up).
func (s *Service) reconcileClaims(ctx context.Context) (int, error) {
	claimed, err := s.db.FindClaimedInvoices(ctx, s.clock.Now().Add(-staleClaim))
	if err != nil {
		return 0, err
	}
	done := 0
	for _, c := range claimed {
		inv := c.Invoice
		var err error
		switch {
		case inv.Claim == claimRetry:
			err = s.db.ReleaseInvoice(ctx, inv.ID)
		case inv.ChargeRef == "":
			var payer *sqldb.Payer
			if payer, err = s.db.FindPayerForSystem(ctx, inv.SubscriptionID); err == nil {
				err = s.chargeClaimed(ctx, inv, payer.CustomerRef, payer.CardRef, personKey(inv.ID, c.ClaimedAt))
			}
		default:
			var p kassa.Payment
			if p, err = s.gw.FindPayment(ctx, inv.ChargeRef); kassa.ErrorCode(err) == kassa.NotFound {
				p, err = kassa.Payment{Status: kassa.PaymentCanceled}, nil
			}
			if err == nil && p.Status == kassa.PaymentRequiresAction {
				if c.ClaimedAt.After(s.clock.Now().Add(-AuthenticationLife)) {
					continue
				}
				if err = s.gw.CancelPayment(ctx, inv.ChargeRef); err == nil {
					p.Status = kassa.PaymentCanceled
				}
			}
			if err == nil {
				err = s.settleRenewal(ctx, inv, p)
			}
		}
		switch kassa.ErrorCode(err) {
		case "", kassa.PaymentFailed:
			done++
		case kassa.Unavailable:
		default:
			return done, err
		}
	}
	return done, nil
}
