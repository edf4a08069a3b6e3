package sqldb

import (
	"context"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// Ending is how an admin ends a self-service subscription at once (SPEC
// §12): Cancel, when Target is "", takes its licenses from their holders;
// Move users gives each holder a license of Target, an admin-managed
// subscription of the same product, instead. Either way the subscription
// is canceled with Reason and Message, its purchaser and the admins are
// told, and the unused part of its term is credited on Note.
type Ending struct {
	Sub     *kassa.Subscription // as it was priced: the ending is refused if it changed since
	Target  string
	Reason  kassa.CancelReason
	Message string // the admin's words to the purchaser (the subscription's cancel_feedback)
	// Note is the credit note for the unused days, nil when there are
	// none. Refund of it goes back to ChargeRef's card once the ending
	// has committed (PendingCancellation); the rest goes to the balance.
	Note      *kassa.Invoice
	ChargeRef string
	Refund    kassa.Money
}

// Ended is what an Ending did.
type Ended struct {
	Holders []string // who lost or moved their licenses
	Moved   int      // of them, how many got a license of the target (the others held one already)
	// Pending is the refund still to make, nil when there is none.
	Pending *PendingCancellation
}

// endable is the condition, on a subscription, that an admin may end it at
// once: self-service, in a term that is paid or free, with no money moving.
// past_due and suspended ones wait for their renewal to be settled, or
// expire by themselves.
var endable = `channel = '` + string(kassa.SelfService) + `' AND status IN ('trialing', 'active')
	AND NOT cancelling AND NOT ` + renewalUnderWay

// EndSelfService ends a self-service subscription of the admin's tenant
// as e says, in one transaction: the subscription, its holders' licenses,
// the target's count of assigned licenses, the credit note, the messages
// and the audit log all change together, or nothing does. Errors:
// Forbidden, NotFound, Conflict (it changed since it was priced, cannot be
// ended now, or the target lacks free licenses: error.move.not_enough with
// Count), Invalid naming target_subscription_id (not a live admin-managed
// subscription of the same product of the tenant).
func (db *DB) EndSelfService(ctx context.Context, e Ending) (*Ended, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.end"))
	if err != nil {
		return nil, err
	}
	var out *Ended
	err = db.write(ctx, func(tx *Tx) error {
		out = &Ended{}
		sub := e.Sub
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = 'canceled', assigned = 0, auto_renew = FALSE,
				cancel_at_term_end = FALSE, cancel_reason = $3, cancel_feedback = $4, period_end = $5, updated_at = $5
			WHERE id = $1 AND tenant_id = $2 AND `+endable+`
				AND status = $6 AND quantity = $7 AND period_start = $8 AND period_end = $9`,
			sub.ID, a.Tenant.ID, e.Reason, e.Message, tx.now, sub.Status, sub.Quantity, sub.PeriodStart, sub.ExpiresAt)
		if err != nil {
			return fmt.Errorf("end %s: %w", sub.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tx.whyNotEndable(ctx, a, sub)
		}
		// A charge under way for more licenses was priced from the
		// subscription too; its invoice was written holding this row.
		var charging bool
		if err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM invoices WHERE subscription_id = $1 AND status = 'pending')`,
			sub.ID).Scan(&charging); err != nil {
			return fmt.Errorf("find charges of %s: %w", sub.ID, err)
		} else if charging {
			return kassa.E(kassa.Conflict, "error.cancel.payment_pending")
		}
		if out.Holders, err = tx.holderIDs(ctx, sub.ID); err != nil {
			return err
		}
		if e.Target != "" {
			if out.Moved, err = tx.moveHolders(ctx, a, sub, e.Target); err != nil {
				return err
			}
		} else if err := tx.releaseLicenses(ctx, sub.ID); err != nil {
			return err
		}
		if len(out.Holders) > 0 {
			if err := tx.audit(ctx, a.Tenant.ID, "license.released", "subscription", sub.ID,
				map[string]any{"user_ids": out.Holders}, nil); err != nil {
				return err
			}
		}
		after := map[string]any{"status": kassa.StatusCanceled, "reason": e.Reason, "expires_at": tx.now}
		if e.Target != "" {
			after["moved_to"] = e.Target
		}
		var credit kassa.Money
		switch {
		case e.Note != nil && e.Refund.Amount > 0:
			c, err := tx.pendingNote(ctx, a, sub, e)
			if err != nil {
				return err
			}
			out.Pending, credit = c, kassa.Money{Amount: -e.Note.Total.Amount, Currency: e.Note.Total.Currency}
			after["refund"] = e.Refund
		case e.Note != nil:
			number, err := tx.cancelNote(ctx, a, sub, e.Note, kassa.Money{Currency: e.Note.Total.Currency})
			if err != nil {
				return err
			}
			credit = kassa.Money{Amount: -e.Note.Total.Amount, Currency: e.Note.Total.Currency}
			after["credit_note"] = number
		}
		ended := *sub
		ended.ExpiresAt, ended.CancelReason = tx.now, e.Reason
		kind := kassa.NotifyAdminCancellation
		if e.Target != "" {
			kind = kassa.NotifyUsersMoved
		}
		data := notificationData(&ended, a.User.Name)
		data.Holders, data.Message, data.Amount = len(out.Holders), e.Message, credit
		data.Trial = sub.Status == kassa.StatusTrialing
		if err := tx.notify(ctx, kind, &ended, data, true); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.canceled", "subscription", sub.ID,
			map[string]any{"status": sub.Status, "expires_at": sub.ExpiresAt}, after)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// whyNotEndable says why EndSelfService changed nothing.
func (tx *Tx) whyNotEndable(ctx context.Context, a *kassa.Actor, was *kassa.Subscription) error {
	sub, err := findSubscriptionTx(ctx, tx, was.ID)
	if err == nil && (sub.TenantID != a.Tenant.ID || sub.Status == kassa.StatusPending) {
		err = kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", was.ID)
	}
	switch {
	case err != nil:
		return err
	case sub.Channel == kassa.AdminManaged:
		return kassa.E(kassa.Conflict, "error.end.managed")
	case sub.Status != kassa.StatusTrialing && sub.Status != kassa.StatusActive:
		return kassa.E(kassa.Conflict, "error.end.status", "Status", sub.Status)
	case sub.Cancelling:
		return errCancelling()
	case tx.renewing(ctx, sub.ID):
		return ErrRenewing
	}
	return kassa.E(kassa.Conflict, "error.cancel.changed")
}

// holderIDs returns who holds a license of the subscription, in id order.
func (tx *Tx) holderIDs(ctx context.Context, subID string) ([]string, error) {
	ids, err := queryStrings(ctx, tx, `SELECT user_id FROM licenses WHERE subscription_id = $1 ORDER BY user_id`, subID)
	if err != nil {
		return nil, fmt.Errorf("find holders of %s: %w", subID, err)
	}
	return ids, nil
}

// moveHolders gives the holders of sub's licenses licenses of target
// instead, in the transaction that ends sub: those who hold one of target
// already keep it. target takes them in one conditional statement, so its
// count never passes its quantity; it returns how many it took.
func (tx *Tx) moveHolders(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription, target string) (int, error) {
	var moved []string
	rows, err := tx.QueryContext(ctx, `
		SELECT l.user_id FROM licenses l
		WHERE l.subscription_id = $1
			AND NOT EXISTS (SELECT 1 FROM licenses t WHERE t.subscription_id = $2 AND t.user_id = l.user_id)
		ORDER BY l.user_id`, sub.ID, target)
	if err != nil {
		return 0, fmt.Errorf("find holders to move: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find holders to move: %w", err)
		}
		moved = append(moved, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if took, err := tx.takeManagedSeats(ctx, a.Tenant.ID, target, sub.ProductID, len(moved)); err != nil {
		return 0, err
	} else if !took {
		return 0, tx.whyNotTarget(ctx, a, sub, target, len(moved))
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE licenses SET subscription_id = $2, assigned_at = $3, assigned_by = $4
		WHERE subscription_id = $1
			AND NOT EXISTS (SELECT 1 FROM licenses t WHERE t.subscription_id = $2 AND t.user_id = licenses.user_id)`,
		sub.ID, target, tx.now, a.User.ID); err != nil {
		return 0, fmt.Errorf("move licenses to %s: %w", target, err)
	}
	if err := tx.releaseLicenses(ctx, sub.ID); err != nil { // those who held one of the target already
		return 0, err
	}
	if len(moved) > 0 {
		if err := tx.audit(ctx, a.Tenant.ID, "license.assigned", "subscription", target, nil,
			map[string]any{"user_ids": moved, "moved_from": sub.ID}); err != nil {
			return 0, err
		}
	}
	return len(moved), nil
}

// takeManagedSeats counts n more assigned licenses on subID, in one
// conditional statement: only while it is a live admin-managed
// subscription of the tenant and the product with n free. It reports
// whether it took them.
func (tx *Tx) takeManagedSeats(ctx context.Context, tenantID, subID, productID string, n int) (bool, error) {
	res, err := tx.ExecContext(ctx, `
		UPDATE subscriptions SET assigned = assigned + $3, updated_at = $4
		WHERE id = $1 AND tenant_id = $2 AND channel = $5 AND `+liveStatus+` AND product_id = $6
			AND assigned + $3 <= quantity`,
		subID, tenantID, n, tx.now, kassa.AdminManaged, productID)
	if err != nil {
		return false, fmt.Errorf("count licenses of %s: %w", subID, err)
	}
	took, err := res.RowsAffected()
	return took > 0, err
}

// whyNotTarget says why target did not take n licenses.
func (tx *Tx) whyNotTarget(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription, target string, n int) error {
	t, err := findSubscriptionTx(ctx, tx, target)
	switch {
	case kassa.ErrorCode(err) == kassa.NotFound, err == nil && (t.TenantID != a.Tenant.ID || t.Status == kassa.StatusPending):
		return kassa.InvalidE("target_subscription_id", "error.move.target_not_found", "ID", target)
	case err != nil:
		return err
	case t.ProductID != sub.ProductID:
		return kassa.InvalidE("target_subscription_id", "error.move.target_product")
	case t.Channel != kassa.AdminManaged:
		return kassa.InvalidE("target_subscription_id", "error.move.target_self_service")
	case !t.Status.Live():
		return kassa.InvalidE("target_subscription_id", "error.move.target_status", "Status", t.Status)
	}
	return kassa.E(kassa.Conflict, "error.move.not_enough", "Count", n-t.Available(), "Free", t.Available(), "Holders", n)
}

// pendingNote records the credit note of an ending whose refund is still
// to be made: pending, without a number, until CompleteCancellation.
func (tx *Tx) pendingNote(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription, e Ending) (*PendingCancellation, error) {
	note := e.Note
	note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, sub.PurchaserID, sub.ID
	note.Type, note.Status, note.Number = kassa.TypeCreditNote, kassa.InvoicePending, ""
	if err := tx.insertInvoice(ctx, note, "cancel", ""); err != nil {
		return nil, err
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO cancellations (invoice_id, subscription_id, actor_id, reason, feedback, charge_ref, refund, created_at, ended)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE)`,
		note.ID, sub.ID, a.User.ID, e.Reason, e.Message, e.ChargeRef, e.Refund.Amount, tx.now)
	if isUnique(err) {
		return nil, errCancelling()
	} else if err != nil {
		return nil, fmt.Errorf("record cancellation of %s: %w", sub.ID, err)
	}
	return &PendingCancellation{Note: note, ChargeRef: e.ChargeRef, Refund: e.Refund}, nil
}

// CountMovers returns how many holders of the subscription's licenses hold
// none of target's: the licenses target must have free for Move users.
func (db *DB) CountMovers(ctx context.Context, subID, target string) (int, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.end"))
	if err != nil {
		return 0, err
	}
	var n int
	err = db.reader(ctx).QueryRowContext(ctx, `
		SELECT COUNT(*) FROM licenses l
		WHERE l.subscription_id = $1 AND l.tenant_id = $3
			AND NOT EXISTS (SELECT 1 FROM licenses t WHERE t.subscription_id = $2 AND t.user_id = l.user_id)`,
		subID, target, a.Tenant.ID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count holders of %s: %w", subID, err)
	}
	return n, nil
}
