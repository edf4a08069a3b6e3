package billing

import (
	"context"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// Cancel cancels a subscription for a reason, with optional feedback.
// Within kassa.CancelWindow of the start of its term it ends at once: the
// unused days are refunded pro rata (to the card, up to what the term's
// charge took, the rest to the balance) on a credit note, and its licenses
// are released; while its refund is under way it stays as it was, and
// cancelling it again finishes that cancellation. Later it ends with the
// term (cancel_at_term_end) and can be reactivated until then. Errors:
// NotFound, Forbidden, Invalid, Conflict (also a refund the gateway
// refused), Unavailable (the refund is under way; retrying finishes it).
func (s *Service) Cancel(ctx context.Context, subID string, reason kassa.CancelReason, feedback string) (*kassa.Subscription, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	if !reason.Valid() {
		return nil, kassa.InvalidE("reason", "error.cancel.reason")
	}
	if utf8.RuneCountInString(feedback) > kassa.MaxFeedback {
		return nil, kassa.InvalidE("feedback", "error.cancel.feedback", "Max", kassa.MaxFeedback)
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, err
	}
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	// A cancellation under way is finished as it was begun, whatever this
	// request asks: its refund is fixed.
	if c, err := s.db.FindPendingCancellation(ctx, subID); err == nil {
		if err := s.refund(ctx, c); err != nil {
			return nil, err
		}
		return s.db.FindSubscriptionByID(ctx, subID)
	} else if kassa.ErrorCode(err) != kassa.NotFound {
		return nil, err
	}
	sub.CancelReason, sub.CancelFeedback = reason, feedback
	now := s.clock.Now()
	switch {
	case sub.Status == kassa.StatusTrialing:
		err = s.db.CancelNow(ctx, sub, nil, kassa.Money{})
	case sub.Status != kassa.StatusActive && sub.Status != kassa.StatusPastDue:
		return nil, kassa.E(kassa.Conflict, "error.cancel.status", "Status", sub.Status)
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

// cancelNow ends a subscription at once with a credit note for the unused
// days. When part of it goes back to the card, the cancellation is recorded
// first with its credit note pending, so that the refund's amount and key
// are fixed; then the refund is made with no transaction open, and one
// transaction issues the credit note and ends the subscription (refund).
// Else one transaction does it all.
func (s *Service) cancelNow(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription) error {
	note, err := s.creditNote(a, sub)
	if err != nil {
		return err
	}
	none := kassa.Money{Currency: sub.UnitPrice.Currency}
	if note == nil {
		return s.db.CancelNow(ctx, sub, nil, none) // nothing left to credit
	}
	ref, charged, err := s.db.LastCharge(ctx, sub.ID)
	if err != nil {
		return err
	}
	refund := kassa.Money{Amount: min(-note.Total.Amount, charged.Amount), Currency: note.Total.Currency}
	if ref == "" || refund.Amount <= 0 {
		return s.db.CancelNow(ctx, sub, note, none) // all of it to the balance
	}
	c, err := s.db.CreateCancellation(ctx, sub, note, ref, refund)
	if err != nil {
		return err
	}
	return s.refund(ctx, c)
}

// refund makes the refund of a pending cancellation and records the
// outcome. Its idempotency key names the subscription and the credit note,
// so a retry, the reconciler or another process refunds once, the same
// amount. A refund the gateway refuses voids the credit note and leaves the
// subscription as it was; one of unknown outcome stays pending (Unavailable).
func (s *Service) refund(ctx context.Context, c *sqldb.PendingCancellation) error {
	p, err := s.gw.Refund(ctx, kassa.RefundRequest{
		ChargeRef: c.ChargeRef, Amount: c.Refund,
		IdempotencyKey: "kassa-cancel-" + c.Note.SubscriptionID + "-" + c.Note.ID,
	})
	switch kassa.ErrorCode(err) {
	case "":
		return s.db.CompleteCancellation(ctx, c.Note.ID, p.Ref)
	case kassa.Conflict, kassa.NotFound, kassa.Invalid, kassa.PaymentFailed:
		s.log.Warn("refund refused", "credit_note", c.Note.ID, "err", err)
		if ferr := s.db.FailCancellation(ctx, c.Note.ID, string(kassa.ErrorCode(err))); ferr != nil {
			return ferr
		}
		return err
	default:
		s.log.Warn("refund left pending", "credit_note", c.Note.ID, "err", err)
		return kassa.E(kassa.Unavailable, "error.refund.pending")
	}
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
