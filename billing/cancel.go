package billing

import (
	"context"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// Cancel cancels a subscription for a reason, with optional feedback.
// Within kassa.CancelWindow of the start of its term it ends at once: the
// unused days are refunded pro rata (to the card, up to what the term's
// charge took, the rest to the balance) on a credit note, and its licenses
// are released. Later it ends with the term (cancel_at_term_end) and can be
// reactivated until then. Errors: NotFound, Forbidden, Invalid, Conflict,
// Unavailable.
func (s *Service) Cancel(ctx context.Context, subID string, reason kassa.CancelReason, feedback string) (*kassa.Subscription, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	if !reason.Valid() {
		return nil, kassa.Invalidf("reason", "reason must be one of too_expensive, missing_features, switched_service, unused, too_complex, low_quality, customer_service or other.")
	}
	if utf8.RuneCountInString(feedback) > kassa.MaxFeedback {
		return nil, kassa.Invalidf("feedback", "feedback may be at most %d characters.", kassa.MaxFeedback)
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, err
	}
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	sub.CancelReason, sub.CancelFeedback = reason, feedback
	now := s.clock.Now()
	switch {
	case sub.Status == kassa.StatusTrialing:
		err = s.db.CancelNow(ctx, sub, nil, kassa.Money{})
	case sub.Status != kassa.StatusActive && sub.Status != kassa.StatusPastDue:
		return nil, kassa.Errorf(kassa.Conflict, "A %s subscription cannot be cancelled.", sub.Status)
	case now.Before(sub.PeriodStart.Add(kassa.CancelWindow)):
		err = s.cancelNow(ctx, a, sub)
	default:
		err = s.db.SetCancelAtTermEnd(ctx, sub, true)
	}
	if err != nil {
		return nil, err
	}
	return s.db.FindSubscriptionByID(ctx, subID)
}

// cancelNow refunds the unused days, with no transaction open, then records
// the cancellation and its credit note in one. The refund's idempotency key
// is the subscription and term, so a retry after a failure refunds once.
func (s *Service) cancelNow(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription) error {
	line := kassa.ProratedLine(lineDescription(sub.ProductName.In(a.Tenant.Locale), sub.Term, a.Tenant.Locale),
		sub.UnitPrice, sub.Quantity, s.clock.Now(), sub.ExpiresAt, kassa.Days(sub.PeriodStart, sub.ExpiresAt))
	line.Amount.Amount = -line.Amount.Amount
	note := &kassa.Invoice{
		SubscriptionID: sub.ID, BillingProfileID: sub.BillingProfileID, Language: a.Tenant.Locale,
		PeriodStart: line.PeriodStart, PeriodEnd: sub.ExpiresAt, QuantityDelta: -sub.Quantity,
		Lines: []kassa.InvoiceLine{line},
	}
	if err := note.Sum(sub.UnitPrice.Currency, kassa.VATRate(a.Tenant.Country)); err != nil {
		return err
	}
	refund := kassa.Money{Currency: note.Total.Currency}
	if note.Total.Amount < 0 {
		ref, charged, err := s.db.LastCharge(ctx, sub.ID)
		if err != nil {
			return err
		}
		if ref != "" {
			refund.Amount = min(-note.Total.Amount, charged.Amount)
			if _, err := s.gw.Refund(ctx, kassa.RefundRequest{
				ChargeRef: ref, Amount: refund,
				IdempotencyKey: "kassa-cancel-" + sub.ID + "-" + sub.PeriodStart.Format("20060102T150405"),
			}); err != nil {
				return err
			}
		}
	} else {
		note = nil // nothing left to credit
	}
	return s.db.CancelNow(ctx, sub, note, refund)
}

// Reactivate undoes a cancellation that waits for the end of the term.
// Errors: NotFound, Forbidden, Conflict.
func (s *Service) Reactivate(ctx context.Context, subID string) (*kassa.Subscription, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, err
	}
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	sub.CancelReason, sub.CancelFeedback = "", ""
	if err := s.db.SetCancelAtTermEnd(ctx, sub, false); err != nil {
		return nil, err
	}
	return s.db.FindSubscriptionByID(ctx, subID)
}
