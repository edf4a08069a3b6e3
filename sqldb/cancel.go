package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// CancelNow ends one of the actor's subscriptions at once: it becomes
// canceled, its licenses are released, and the credit note for the unused
// part of the term, when there is one, is issued in the same transaction.
// refunded is what went back to the card; the rest of the credit goes to
// the billing profile's balance.
func (db *DB) CancelNow(ctx context.Context, sub *kassa.Subscription, note *kassa.Invoice, refunded kassa.Money) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = 'canceled', assigned = 0, auto_renew = FALSE,
				cancel_at_term_end = FALSE, cancel_reason = $3, cancel_feedback = $4, period_end = $5, updated_at = $5
			WHERE id = $1 AND tenant_id = $2 AND status IN ('active', 'trialing', 'past_due') AND `+managedBy(6),
			sub.ID, a.Tenant.ID, sub.CancelReason, sub.CancelFeedback, tx.now, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("cancel %s: %w", sub.ID, err)
		}
		if err := tx.mustChange(ctx, res, a, sub.ID, kassa.Errorf(kassa.Conflict, "The subscription has ended already.")); err != nil {
			return err
		}
		if err := tx.releaseLicenses(ctx, sub.ID); err != nil {
			return err
		}
		after := map[string]any{"status": kassa.StatusCanceled, "reason": sub.CancelReason, "expires_at": tx.now}
		if note != nil {
			number, err := tx.cancelNote(ctx, a, sub, note, refunded)
			if err != nil {
				return err
			}
			after["credit_note"], after["refunded"] = number, refunded
		}
		ended := *sub
		ended.ExpiresAt = tx.now
		if err := tx.notify(ctx, kassa.NotifyCancellation, &ended, notificationData(&ended, a.User.Name), true); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.canceled", "subscription", sub.ID,
			map[string]any{"status": sub.Status, "expires_at": sub.ExpiresAt}, after)
	})
}

// cancelNote issues the credit note of an immediate cancellation and
// credits what was not refunded to the balance; it returns its number.
func (tx *Tx) cancelNote(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription, note *kassa.Invoice, refunded kassa.Money) (string, error) {
	number, err := tx.nextInvoiceNumber(ctx)
	if err != nil {
		return "", err
	}
	note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, sub.PurchaserID, sub.ID
	note.Type, note.Status, note.Number, note.IssuedAt = kassa.TypeCreditNote, kassa.InvoicePaid, number, tx.now
	if err := tx.insertInvoice(ctx, note, "cancel", ""); err != nil {
		return "", err
	}
	toBalance := -note.Total.Amount - refunded.Amount
	if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET balance = balance + $2 WHERE id = $1`,
		note.BillingProfileID, toBalance); err != nil {
		return "", fmt.Errorf("credit balance: %w", err)
	}
	return number, nil
}

// SetCancelAtTermEnd records (or, with cancel false, undoes) a cancellation
// that takes effect when the current term ends.
func (db *DB) SetCancelAtTermEnd(ctx context.Context, sub *kassa.Subscription, cancel bool) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET cancel_at_term_end = $3, auto_renew = $4, cancel_reason = $5,
				cancel_feedback = $6, updated_at = $7
			WHERE id = $1 AND tenant_id = $2 AND status IN ('active', 'past_due') AND cancel_at_term_end = $4
				AND period_end > $7 AND `+managedBy(8),
			sub.ID, a.Tenant.ID, cancel, !cancel, sub.CancelReason, sub.CancelFeedback, tx.now, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("set cancel at term end of %s: %w", sub.ID, err)
		}
		if !cancel {
			if err := tx.mustChange(ctx, res, a, sub.ID,
				kassa.Errorf(kassa.Conflict, "The subscription is not set to end; there is nothing to reactivate.")); err != nil {
				return err
			}
			return tx.audit(ctx, a.Tenant.ID, "subscription.reactivated", "subscription", sub.ID,
				map[string]any{"cancel_at_term_end": true}, map[string]any{"cancel_at_term_end": false})
		}
		if err := tx.mustChange(ctx, res, a, sub.ID,
			kassa.Errorf(kassa.Conflict, "The subscription is cancelled or has ended already.")); err != nil {
			return err
		}
		if err := tx.notify(ctx, kassa.NotifyCancellation, sub, notificationData(sub, a.User.Name), true); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.cancel_scheduled", "subscription", sub.ID,
			map[string]any{"cancel_at_term_end": false},
			map[string]any{"cancel_at_term_end": true, "reason": sub.CancelReason, "expires_at": sub.ExpiresAt})
	})
}

// LastCharge returns the reference and amount of the charge that paid for
// the subscription's current term (its purchase or renewal invoice), or ""
// when the balance paid it.
func (db *DB) LastCharge(ctx context.Context, subID string) (string, kassa.Money, error) {
	var ref, currency string
	var amount int64
	err := db.reader(ctx).QueryRowContext(ctx, `
		SELECT i.charge_ref, i.total - i.balance_applied, i.currency FROM invoices i
		JOIN subscriptions s ON s.id = i.subscription_id
		WHERE i.subscription_id = $1 AND i.kind IN ('purchase', 'renewal') AND i.status = 'paid'
			AND i.period_start = s.period_start
		ORDER BY i.issued_at DESC LIMIT 1`, subID).Scan(&ref, &amount, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return "", kassa.Money{}, nil // no charge to refund: the credit goes to the balance
	} else if err != nil {
		return "", kassa.Money{}, fmt.Errorf("find last charge of %s: %w", subID, err)
	}
	return ref, kassa.Money{Amount: amount, Currency: currency}, nil
}

// managedBy is the condition, on a subscription s, that the actor manages
// it, with the actor's user id as parameter n and whether they are an admin
// as n+1. Changes check it in their conditional update, so that a take-over
// committed after the caller looked is honoured.
func managedBy(n int) string {
	return fmt.Sprintf(`((channel = 'self_service' AND purchaser_id = $%d) OR (channel = 'admin' AND $%d))`, n, n+1)
}

// mustChange returns nil when res changed a row. Else it explains why the
// subscription was not changed: NotFound, Forbidden when the actor does not
// manage it (any more), and otherwise the given error.
func (tx *Tx) mustChange(ctx context.Context, res sql.Result, a *kassa.Actor, subID string, otherwise error) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	if _, err := tx.managedSubscription(ctx, a, subID); err != nil {
		return err
	}
	return otherwise
}

// managedSubscription reads a subscription of the actor's tenant as the
// transaction sees it: NotFound for any other, Forbidden unless the actor
// manages it.
func (tx *Tx) managedSubscription(ctx context.Context, a *kassa.Actor, subID string) (*kassa.Subscription, error) {
	sub, err := findSubscriptionTx(ctx, tx, subID)
	if err == nil && sub.TenantID != a.Tenant.ID {
		err = kassa.Errorf(kassa.NotFound, "No subscription %s.", subID)
	}
	if err != nil {
		return nil, err
	}
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	return sub, nil
}
