package sqldb

import (
	"context"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// CreateChargeInvoice records a pending invoice of the kind ("quantity") for
// one of the actor's subscriptions, taking the credit it uses from the
// billing profile's balance, and sets its ID, owner and status. A requestKey
// already used returns that request's invoice instead, with reused true.
func (db *DB) CreateChargeInvoice(ctx context.Context, inv *kassa.Invoice, kind, requestKey string) (reused bool, err error) {
	a, err := actorOf(ctx)
	if err != nil {
		return false, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if requestKey != "" {
			prior, err := findInvoice(ctx, tx, `i.request_key = $1 AND i.tenant_id = $2 AND i.owner_id = $3`,
				requestKey, a.Tenant.ID, a.User.ID)
			if err == nil {
				*inv, reused = *prior, true
				return loadLines(ctx, tx, inv)
			} else if kassa.ErrorCode(err) != kassa.NotFound {
				return err
			}
		}
		inv.ID, inv.TenantID, inv.OwnerID = newID("inv"), a.Tenant.ID, a.User.ID
		inv.Type, inv.Status = kassa.TypeInvoice, kassa.InvoicePending
		return tx.insertInvoice(ctx, inv, kind, requestKey)
	})
	return reused, err
}

// DecreaseQuantity lowers one of the actor's subscriptions to quantity and
// issues the credit note for the licenses removed, adding its amount to the
// billing profile's balance, in one transaction. The database decides
// whether enough licenses are free: when more than quantity are assigned it
// is a Conflict saying how many to unassign first.
func (db *DB) DecreaseQuantity(ctx context.Context, subID string, quantity int, note *kassa.Invoice) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET quantity = $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND quantity > $3 AND assigned <= $3`,
			subID, a.Tenant.ID, quantity, tx.now)
		if err != nil {
			return fmt.Errorf("decrease quantity of %s: %w", subID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			sub, err := findSubscriptionTx(ctx, tx, subID)
			if err != nil {
				return err
			}
			if sub.Assigned > quantity {
				return kassa.Errorf(kassa.Conflict,
					"%d licenses are assigned. Unassign %d first, then lower the total to %d.",
					sub.Assigned, sub.Assigned-quantity, quantity)
			}
			return kassa.Errorf(kassa.Conflict, "The subscription has %d licenses now; preview the change again.", sub.Quantity)
		}
		number, err := tx.nextInvoiceNumber(ctx)
		if err != nil {
			return err
		}
		note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, a.User.ID, subID
		note.Type, note.Status, note.Number, note.IssuedAt = kassa.TypeCreditNote, kassa.InvoicePaid, number, tx.now
		if err := tx.insertInvoice(ctx, note, "quantity", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE billing_profiles SET balance = balance - $2 WHERE id = $1`,
			note.BillingProfileID, note.Total.Amount); err != nil { // a credit note's total is negative
			return fmt.Errorf("credit balance: %w", err)
		}
		return nil
	})
}

// SetTrialQuantity sets the quantity of one of the actor's free trials:
// nothing is charged or credited, and never fewer than are assigned.
func (db *DB) SetTrialQuantity(ctx context.Context, subID string, quantity int) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET quantity = $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND status = 'trialing' AND assigned <= $3`,
			subID, a.Tenant.ID, quantity, tx.now)
		if err != nil {
			return fmt.Errorf("set trial quantity of %s: %w", subID, err)
		}
		return mustAffect(res, kassa.Errorf(kassa.Conflict, "More licenses are assigned than %d; unassign some first.", quantity))
	})
}
