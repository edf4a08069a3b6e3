package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
			WHERE id = $1 AND tenant_id = $2 AND `+liveStatus+` AND NOT cancelling
				AND `+managedBy(6)+` AND NOT `+renewalUnderWay,
			sub.ID, a.Tenant.ID, sub.CancelReason, sub.CancelFeedback, tx.now, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("cancel %s: %w", sub.ID, err)
		}
		otherwise := error(kassa.E(kassa.Conflict, "error.cancel.ended"))
		if n, err := res.RowsAffected(); err == nil && n == 0 && tx.renewing(ctx, sub.ID) {
			otherwise = ErrRenewing
		}
		if err := tx.mustChange(ctx, res, a, sub.ID, otherwise); err != nil {
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

// renewalUnderWay is the condition, on a subscription, that the invoice of
// its next term (a renewal, or a trial's first paid term) is open: its
// charge may be under way, or may have gone through unheard (a lost answer,
// a crash), to be recorded by the billing clock's next run. Ending the
// subscription then would leave money taken for an invoice never paid.
const renewalUnderWay = `EXISTS (SELECT 1 FROM invoices i
	WHERE i.subscription_id = subscriptions.id AND i.kind = 'renewal' AND i.status = 'open')`

// ErrRenewing refuses to end a subscription whose next term's invoice is
// open (renewalUnderWay): once the billing clock has settled it, the
// subscription can be cancelled as its new term allows.
var ErrRenewing = kassa.E(kassa.Conflict, "error.cancel.renewing")

// renewing reports whether the subscription's next term is being invoiced.
func (tx *Tx) renewing(ctx context.Context, subID string) bool {
	var open bool
	err := tx.QueryRowContext(ctx, `SELECT `+renewalUnderWay+` FROM subscriptions WHERE id = $1`, subID).Scan(&open)
	return err == nil && open
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
				kassa.E(kassa.Conflict, "error.reactivate.not_ending")); err != nil {
				return err
			}
			return tx.audit(ctx, a.Tenant.ID, "subscription.reactivated", "subscription", sub.ID,
				map[string]any{"cancel_at_term_end": true}, map[string]any{"cancel_at_term_end": false})
		}
		if err := tx.mustChange(ctx, res, a, sub.ID,
			kassa.E(kassa.Conflict, "error.cancel.already")); err != nil {
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

// errCancelling answers a change that moves money while the subscription's
// cancellation waits for its refund.
func errCancelling() error {
	return kassa.E(kassa.Conflict, "error.cancel.in_progress")
}

// managedSubscription reads a subscription of the actor's tenant as the
// transaction sees it: NotFound for any other, Forbidden unless the actor
// manages it.
func (tx *Tx) managedSubscription(ctx context.Context, a *kassa.Actor, subID string) (*kassa.Subscription, error) {
	sub, err := findSubscriptionTx(ctx, tx, subID)
	if err == nil && sub.TenantID != a.Tenant.ID {
		err = kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", subID)
	}
	if err != nil {
		return nil, err
	}
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	return sub, nil
}

// PendingCancellation is an immediate cancellation recorded before its
// refund was made: its credit note, pending (without a number) until the
// refund is, and the refund, both fixed when it was recorded.
type PendingCancellation struct {
	Note      *kassa.Invoice
	ChargeRef string      // the charge refunded
	Refund    kassa.Money // to the card; the rest of the credit goes to the balance
}

const cancellationColumns = invoiceColumns + `, c.charge_ref, c.refund`

const cancellationFrom = ` FROM cancellations c JOIN invoices i ON i.id = c.invoice_id`

func scanCancellation(r row) (*PendingCancellation, error) {
	c := &PendingCancellation{}
	var err error
	c.Note, err = scanInvoice(r, &c.ChargeRef, &c.Refund.Amount)
	if c.Note != nil {
		c.Refund.Currency = c.Note.Total.Currency
	}
	return c, err
}

// CreateCancellation records, as the actor, an immediate cancellation of
// one of their subscriptions whose credit note refunds part of the charge
// ref: the credit note, pending, and what to refund, in one transaction.
// The subscription is left as it is until CompleteCancellation. It is a
// Conflict when the subscription changed since note was priced from it, or
// a cancellation of it is under way (FindPendingCancellation finds that).
func (db *DB) CreateCancellation(ctx context.Context, sub *kassa.Subscription, note *kassa.Invoice, chargeRef string, refund kassa.Money) (*PendingCancellation, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	c := &PendingCancellation{Note: note, ChargeRef: chargeRef, Refund: refund}
	err = db.write(ctx, func(tx *Tx) error {
		// The subscription is cancelling until the refund's outcome is
		// recorded: changes that move money wait (on PostgreSQL, for this
		// row's lock) and then are refused, so the credit note priced from
		// it stays right.
		var purchaser string
		err := tx.QueryRowContext(ctx, `
			UPDATE subscriptions SET cancelling = TRUE, updated_at = $3
			WHERE id = $1 AND tenant_id = $2 AND status IN ('active', 'past_due') AND quantity = $4
				AND period_start = $5 AND period_end = $6 AND `+managedBy(7)+`
			RETURNING purchaser_id`,
			sub.ID, a.Tenant.ID, tx.now, sub.Quantity, sub.PeriodStart, sub.ExpiresAt, a.User.ID, a.User.IsAdmin()).Scan(&purchaser)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.managedSubscription(ctx, a, sub.ID); err != nil {
				return err
			}
			return kassa.E(kassa.Conflict, "error.cancel.changed")
		} else if err != nil {
			return fmt.Errorf("hold %s for cancellation: %w", sub.ID, err)
		}
		// A charge under way (more licenses) was priced from the
		// subscription too. Its invoice was written holding this row, so
		// this statement, after the one above, sees it.
		var charging bool
		if err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM invoices WHERE subscription_id = $1 AND status = 'pending' AND kind <> 'cancel')`,
			sub.ID).Scan(&charging); err != nil {
			return fmt.Errorf("find charges of %s: %w", sub.ID, err)
		} else if charging {
			return kassa.E(kassa.Conflict, "error.cancel.payment_pending")
		}
		note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, purchaser, sub.ID
		note.Type, note.Status, note.Number, note.IssuedAt = kassa.TypeCreditNote, kassa.InvoicePending, "", time.Time{}
		if err := tx.insertInvoice(ctx, note, "cancel", ""); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO cancellations (invoice_id, subscription_id, actor_id, reason, feedback, charge_ref, refund, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			note.ID, sub.ID, a.User.ID, sub.CancelReason, sub.CancelFeedback, chargeRef, refund.Amount, tx.now)
		if isUnique(err) {
			return kassa.E(kassa.Conflict, "error.cancel.in_progress")
		} else if err != nil {
			return fmt.Errorf("record cancellation of %s: %w", sub.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// FindPendingCancellation returns the cancellation under way of one of the
// actor's tenant's subscriptions: NotFound when there is none.
func (db *DB) FindPendingCancellation(ctx context.Context, subID string) (*PendingCancellation, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := scanCancellation(db.reader(ctx).QueryRowContext(ctx, `SELECT `+cancellationColumns+cancellationFrom+`
		WHERE c.subscription_id = $1 AND i.tenant_id = $2 AND i.status = 'pending'`, subID, a.Tenant.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.cancel.not_found", "ID", subID)
	} else if err != nil {
		return nil, fmt.Errorf("find cancellation of %s: %w", subID, err)
	}
	return c, nil
}

// FindPendingCancellations returns the cancellations recorded before t and
// still waiting for their refund, oldest first (the system's view, for the
// reconciler).
func (db *DB) FindPendingCancellations(ctx context.Context, before time.Time) ([]*PendingCancellation, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+cancellationColumns+cancellationFrom+`
		WHERE i.status = 'pending' AND i.created_at < $1
		ORDER BY i.created_at, i.id LIMIT 500`, before)
	if err != nil {
		return nil, fmt.Errorf("find pending cancellations: %w", err)
	}
	defer rows.Close()
	var out []*PendingCancellation
	for rows.Next() {
		c, err := scanCancellation(rows)
		if err != nil {
			return nil, fmt.Errorf("find pending cancellations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CompleteCancellation records that a pending cancellation's refund was
// made (refundRef) and finishes it in one transaction: its credit note is
// issued with the next number, the credit not refunded goes to the
// balance, and the subscription, unless it ended otherwise meanwhile, is
// canceled and its licenses released, in the name of who cancelled it. One
// no longer pending is left as it is: another process finished it. It
// works for the system (the reconciler calls it), not for an actor.
func (db *DB) CompleteCancellation(ctx context.Context, noteID, refundRef string) error {
	return db.write(ctx, func(tx *Tx) error { return tx.completeCancellation(ctx, noteID, refundRef, true) })
}

// completeCancellation is CompleteCancellation's transaction; refunded
// false issues the credit note with all of it to the balance (a refund
// refused for a subscription that ended already, EndSelfService).
func (tx *Tx) completeCancellation(ctx context.Context, noteID, refundRef string, refunded bool) error {
	// Taken first, the note's row decides which process finishes it;
	// the number is taken only by that one, so none is lost.
	var tenantID string
	err := tx.QueryRowContext(ctx, `
		UPDATE invoices SET status = 'paid', issued_at = $2 WHERE id = $1 AND status = 'pending' AND kind = 'cancel'
		RETURNING tenant_id`, noteID, tx.now).Scan(&tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("issue credit note %s: %w", noteID, err)
	}
	tx.event(tenantID, kassa.EventCreditNoteIssued, noteID)
	number, err := tx.nextInvoiceNumber(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invoices SET number = $2 WHERE id = $1`, noteID, number); err != nil {
		return fmt.Errorf("number credit note %s: %w", noteID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cancellations SET refund_ref = $2 WHERE invoice_id = $1`,
		noteID, refundRef); err != nil {
		return fmt.Errorf("record refund of %s: %w", noteID, err)
	}
	var c struct{ subID, actorID, actorName, reason, feedback, profileID string }
	var refund, total int64
	var byAdmin bool
	err = tx.QueryRowContext(ctx, `
		SELECT c.subscription_id, c.actor_id, u.name, c.reason, c.feedback, c.refund, i.total, i.billing_profile_id, c.ended
		FROM cancellations c JOIN invoices i ON i.id = c.invoice_id JOIN users u ON u.id = c.actor_id
		WHERE c.invoice_id = $1`, noteID).Scan(&c.subID, &c.actorID, &c.actorName, &c.reason, &c.feedback,
		&refund, &total, &c.profileID, &byAdmin)
	if err != nil {
		return fmt.Errorf("find cancellation %s: %w", noteID, err)
	}
	if !refunded {
		refund = 0
	}
	if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET balance = balance + $2 WHERE id = $1`,
		c.profileID, -total-refund); err != nil { // a credit note's total is negative
		return fmt.Errorf("credit balance: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET cancelling = FALSE WHERE id = $1`, c.subID); err != nil {
		return fmt.Errorf("end cancelling of %s: %w", c.subID, err)
	}
	sub, err := findSubscriptionTx(ctx, tx, c.subID)
	if err != nil {
		return err
	}
	by := kassa.NewContextWithActor(ctx, &kassa.Actor{User: &kassa.User{ID: c.actorID, Name: c.actorName}})
	if byAdmin {
		// An admin ended it when the cancellation was recorded: only
		// the money was left to settle.
		return tx.audit(by, sub.TenantID, "subscription.refunded", "subscription", sub.ID, nil,
			map[string]any{"credit_note": number, "refunded": kassa.Money{Amount: refund, Currency: sub.UnitPrice.Currency}})
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE subscriptions SET status = 'canceled', assigned = 0, auto_renew = FALSE,
			cancel_at_term_end = FALSE, cancel_reason = $2, cancel_feedback = $3, period_end = $4, updated_at = $4
		WHERE id = $1 AND `+liveStatus,
		sub.ID, c.reason, c.feedback, tx.now)
	if err != nil {
		return fmt.Errorf("cancel %s: %w", sub.ID, err)
	}
	ended := *sub
	ended.CancelReason, ended.CancelFeedback = kassa.CancelReason(c.reason), c.feedback
	after := map[string]any{"status": sub.Status, "credit_note": number, "refunded": kassa.Money{Amount: refund, Currency: sub.UnitPrice.Currency}}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n > 0 {
		if err := tx.releaseLicenses(ctx, sub.ID); err != nil {
			return err
		}
		ended.ExpiresAt = tx.now
		if err := tx.notify(ctx, kassa.NotifyCancellation, &ended, notificationData(&ended, c.actorName), true); err != nil {
			return err
		}
		after["status"], after["reason"], after["expires_at"] = kassa.StatusCanceled, ended.CancelReason, tx.now
	}
	// The audit log names who cancelled, whichever process finishes it.
	return tx.audit(by, sub.TenantID, "subscription.canceled", "subscription", sub.ID,
		map[string]any{"status": sub.Status, "expires_at": sub.ExpiresAt}, after)
}

// FailCancellation voids the pending credit note of a cancellation whose
// refund the gateway refused, with the reason, and forgets the
// cancellation: the subscription goes on as it was, and may be cancelled
// again. Like CompleteCancellation it works for the system.
func (db *DB) FailCancellation(ctx context.Context, noteID, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		var ended bool
		err := tx.QueryRowContext(ctx, `SELECT ended FROM cancellations WHERE invoice_id = $1`, noteID).Scan(&ended)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // forgotten by another process
		} else if err != nil {
			return fmt.Errorf("find cancellation %s: %w", noteID, err)
		}
		if ended {
			// The subscription cannot go on as it was: the credit note is
			// issued all the same, all of it to the balance (unless another
			// process finished it).
			return tx.completeCancellation(ctx, noteID, "", false)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE invoices SET status = 'void', failure = $2 WHERE id = $1 AND status = 'pending' AND kind = 'cancel'`,
			noteID, reason)
		if err != nil {
			return fmt.Errorf("void credit note %s: %w", noteID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		var subID string
		if err := tx.QueryRowContext(ctx, `DELETE FROM cancellations WHERE invoice_id = $1 RETURNING subscription_id`,
			noteID).Scan(&subID); err != nil {
			return fmt.Errorf("forget cancellation %s: %w", noteID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET cancelling = FALSE WHERE id = $1`, subID); err != nil {
			return fmt.Errorf("end cancelling of %s: %w", subID, err)
		}
		return nil
	})
}
