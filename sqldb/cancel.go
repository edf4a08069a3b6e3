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
			WHERE id = $1 AND tenant_id = $2 AND status IN ('active', 'trialing', 'past_due')`,
			sub.ID, a.Tenant.ID, sub.CancelReason, sub.CancelFeedback, tx.now)
		if err != nil {
			return fmt.Errorf("cancel %s: %w", sub.ID, err)
		}
		if err := mustAffect(res, kassa.Errorf(kassa.Conflict, "The subscription has ended already.")); err != nil {
			return err
		}
		if err := tx.releaseLicenses(ctx, sub.ID); err != nil {
			return err
		}
		if note == nil {
			return nil
		}
		number, err := tx.nextInvoiceNumber(ctx)
		if err != nil {
			return err
		}
		note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, sub.PurchaserID, sub.ID
		note.Type, note.Status, note.Number, note.IssuedAt = kassa.TypeCreditNote, kassa.InvoicePaid, number, tx.now
		if err := tx.insertInvoice(ctx, note, "cancel", ""); err != nil {
			return err
		}
		toBalance := -note.Total.Amount - refunded.Amount
		if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET balance = balance + $2 WHERE id = $1`,
			note.BillingProfileID, toBalance); err != nil {
			return fmt.Errorf("credit balance: %w", err)
		}
		return nil
	})
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
				AND period_end > $7`,
			sub.ID, a.Tenant.ID, cancel, !cancel, sub.CancelReason, sub.CancelFeedback, tx.now)
		if err != nil {
			return fmt.Errorf("set cancel at term end of %s: %w", sub.ID, err)
		}
		if cancel {
			return mustAffect(res, kassa.Errorf(kassa.Conflict, "The subscription is cancelled or has ended already."))
		}
		return mustAffect(res, kassa.Errorf(kassa.Conflict, "The subscription is not set to end; there is nothing to reactivate."))
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
