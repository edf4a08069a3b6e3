package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// maxRun bounds one RunDue, so that a bug cannot loop it forever.
const maxRun = 1_000_000

// RunDue runs, in time order, the billing work falling due up to until:
// renewals, retries of failed renewals, conversion or expiry of trials,
// cancellations at the end of a term, and expiry of suspended subscriptions.
// Before each piece it calls advance (when set) with the time the piece fell
// due, so that a test clock can stand at that moment. It returns how many
// pieces it ran; it stops at the first charge whose outcome is unknown.
func (s *Service) RunDue(ctx context.Context, until time.Time, advance func(time.Time) error) (int, error) {
	for n := 0; n < maxRun; n++ {
		d, err := s.db.NextDue(ctx, until)
		if err != nil || d == nil {
			return n, err
		}
		if advance != nil {
			if err := advance(d.At); err != nil {
				return n, err
			}
		}
		if err := s.runDue(ctx, d); err != nil {
			return n, fmt.Errorf("%s of %s: %w", d.Kind, d.Subscription.ID, err)
		}
	}
	return maxRun, fmt.Errorf("billing run stopped after %d pieces of work", maxRun)
}

func (s *Service) runDue(ctx context.Context, d *sqldb.Due) error {
	sub := d.Subscription
	switch {
	case d.Kind == sqldb.DueExpiry:
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusExpired)
	case d.Kind == sqldb.DueRetry:
		inv, err := s.db.FindOpenRenewal(ctx, sub)
		if err != nil {
			return err
		}
		return s.chargeRenewal(ctx, d, inv, sub.AnchorAt)
	case sub.CancelAtTermEnd || !sub.AutoRenew:
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusCanceled)
	case sub.Status == kassa.StatusTrialing && d.CardRef == "":
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusExpired)
	}
	// A term ends: the next one is invoiced and charged. A trial's first
	// paid term starts when the trial ends, and its day of month anchors
	// the terms after.
	anchor := sub.AnchorAt
	if sub.Status == kassa.StatusTrialing {
		anchor = sub.ExpiresAt
	}
	end := kassa.NextTermEnd(anchor, sub.ExpiresAt, sub.Term)
	line := kassa.InvoiceLine{
		Description: lineDescription(sub.ProductName.In(d.TenantLocale), sub.Term, d.TenantLocale),
		Quantity:    sub.Quantity, UnitPrice: sub.UnitPrice, PeriodStart: sub.ExpiresAt, PeriodEnd: end,
		Amount: kassa.Money{Amount: sub.UnitPrice.Amount * int64(sub.Quantity), Currency: sub.UnitPrice.Currency},
	}
	inv := &kassa.Invoice{Language: d.TenantLocale, PeriodStart: sub.ExpiresAt, PeriodEnd: end, Lines: []kassa.InvoiceLine{line}}
	if err := inv.Sum(sub.UnitPrice.Currency, kassa.VATRate(d.TenantCountry)); err != nil {
		return err
	}
	balance, err := s.db.ProfileBalance(ctx, sub.BillingProfileID)
	if err != nil {
		return err
	}
	inv.ApplyBalance(balance)
	if err := s.db.OpenRenewal(ctx, sub, inv); err != nil {
		return err
	}
	return s.chargeRenewal(ctx, d, inv, anchor)
}

// chargeRenewal charges an open renewal invoice, one attempt per
// idempotency key, and moves the subscription on (its terms counted from
// anchor) or into dunning.
func (s *Service) chargeRenewal(ctx context.Context, d *sqldb.Due, inv *kassa.Invoice, anchor time.Time) error {
	sub := d.Subscription
	if inv.Status == kassa.InvoicePaid {
		return s.db.RenewalPaid(ctx, sub, inv, inv.ChargeRef, anchor, inv.PeriodEnd)
	}
	attempt := d.FailedAttempts + 1
	ref := ""
	var err error
	if inv.AmountDue().Amount > 0 {
		if d.CardRef == "" {
			err = kassa.Declined("no_payment_method")
		} else {
			var p kassa.Payment
			p, err = s.gw.Charge(ctx, kassa.ChargeRequest{
				CustomerRef: d.CustomerRef, CardRef: d.CardRef, Amount: inv.AmountDue(),
				Description:    "kassa invoice " + inv.Number,
				IdempotencyKey: fmt.Sprintf("kassa-%s-%d", inv.ID, attempt),
			})
			ref = p.Ref
		}
	}
	if kassa.DeclineReason(err) != "" {
		var next *time.Time
		if attempt <= len(kassa.RetryDelays) {
			t := sub.ExpiresAt.Add(kassa.RetryDelays[attempt-1])
			next = &t
		}
		s.log.Info("renewal charge failed", "subscription", sub.ID, "invoice", inv.Number, "attempt", attempt,
			"reason", kassa.DeclineReason(err))
		return s.db.RenewalFailed(ctx, sub, attempt, next, anchor)
	} else if err != nil {
		return err // unknown: the next run tries again with the same key
	}
	return s.db.RenewalPaid(ctx, sub, inv, ref, anchor, inv.PeriodEnd)
}
