package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// paidByOrganization is, in a statement on subscriptions, whether the
// organization's own billing profile pays for the subscription.
const paidByOrganization = `(SELECT b.organization FROM billing_profiles b WHERE b.id = subscriptions.billing_profile_id)`

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
		// The invoice is the purchaser's, whoever manages the subscription,
		// while it is charged to their billing profile.
		// Writing holds the row: a cancellation taken after this sees the
		// invoice, and one taken before is seen here (cancelling).
		var purchaser string
		var channel kassa.Channel
		var organization bool
		err := tx.QueryRowContext(ctx, `
			UPDATE subscriptions SET updated_at = $3 WHERE id = $1 AND tenant_id = $2 AND NOT cancelling AND `+
			managedBy(4)+` RETURNING purchaser_id, channel,
				(SELECT b.organization FROM billing_profiles b WHERE b.id = subscriptions.billing_profile_id)`,
			inv.SubscriptionID, a.Tenant.ID, tx.now, a.User.ID, a.User.IsAdmin()).Scan(&purchaser, &channel, &organization)
		if errors.Is(err, sql.ErrNoRows) {
			sub, err := tx.managedSubscription(ctx, a, inv.SubscriptionID)
			if err != nil {
				return err
			}
			if sub.Cancelling {
				return errCancelling()
			}
			return kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", inv.SubscriptionID)
		} else if err != nil {
			return fmt.Errorf("find purchaser: %w", err)
		}
		// Self-service spend has its ceilings; what admins add to the
		// subscriptions they manage is theirs to decide.
		if channel == kassa.SelfService {
			if err := tx.checkSpend(ctx, a.Tenant.ID, purchaser, inv.Total); err != nil {
				return err
			}
		}
		owner := purchaser
		switch {
		case organization:
			// The organization pays: the invoice is its admins', and the
			// admin adding the licenses answers the bank for its card.
			owner = a.User.ID
		case channel == kassa.AdminManaged && inv.Total.Amount > 0:
			// Admins never charge a person's card; the profile may have been
			// switched back after the caller read it.
			return kassa.E(kassa.Conflict, "error.subscription.person_pays", "ID", inv.SubscriptionID)
		}
		inv.ID, inv.TenantID, inv.OwnerID = newID("inv"), a.Tenant.ID, owner
		if owner != a.User.ID {
			inv.ReturnURL = "" // only the card's owner can answer their bank
		}
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
		from := quantity - note.QuantityDelta // the credit note is for exactly this change
		// The credit note is the purchaser's, whoever manages the subscription,
		// unless the organization pays for it.
		var purchaser string
		var organization bool
		err := tx.QueryRowContext(ctx, `
			UPDATE subscriptions SET quantity = $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND quantity = $5 AND quantity > $3 AND assigned <= $3 AND NOT cancelling
				AND `+managedBy(6)+`
			RETURNING purchaser_id, `+paidByOrganization,
			subID, a.Tenant.ID, quantity, tx.now, from, a.User.ID, a.User.IsAdmin()).Scan(&purchaser, &organization)
		if errors.Is(err, sql.ErrNoRows) {
			sub, err := tx.managedSubscription(ctx, a, subID)
			if err != nil {
				return err
			}
			if sub.Cancelling {
				return errCancelling()
			}
			if sub.Assigned > quantity {
				return kassa.E(kassa.Conflict, "error.quantity.assigned",
					"Assigned", sub.Assigned, "Count", sub.Assigned-quantity, "Quantity", quantity)
			}
			return kassa.E(kassa.Conflict, "error.quantity.changed", "Count", sub.Quantity)
		} else if err != nil {
			return fmt.Errorf("decrease quantity of %s: %w", subID, err)
		}
		number, err := tx.nextInvoiceNumber(ctx)
		if err != nil {
			return err
		}
		if organization {
			purchaser = a.User.ID
		}
		note.ID, note.TenantID, note.OwnerID, note.SubscriptionID = newID("inv"), a.Tenant.ID, purchaser, subID
		note.Type, note.Status, note.Number, note.IssuedAt = kassa.TypeCreditNote, kassa.InvoicePaid, number, tx.now
		if err := tx.insertInvoice(ctx, note, "quantity", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE billing_profiles SET balance = balance - $2 WHERE id = $1`,
			note.BillingProfileID, note.Total.Amount); err != nil { // a credit note's total is negative
			return fmt.Errorf("credit balance: %w", err)
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.quantity_changed", "subscription", subID,
			map[string]any{"quantity": from}, map[string]any{"quantity": quantity, "credit_note": number})
	})
}

// SetTrialQuantity sets the quantity of one of the actor's free trials:
// nothing is charged or credited, and never fewer than are assigned.
func (db *DB) SetTrialQuantity(ctx context.Context, subID string, from, quantity int) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET quantity = $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND status = 'trialing' AND quantity = $5 AND assigned <= $3 AND `+managedBy(6),
			subID, a.Tenant.ID, quantity, tx.now, from, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("set trial quantity of %s: %w", subID, err)
		}
		if err := tx.mustChange(ctx, res, a, subID, kassa.E(kassa.Conflict,
			"error.quantity.trial_changed", "Quantity", quantity)); err != nil {
			return err
		}
		if err := tx.audit(ctx, a.Tenant.ID, "subscription.quantity_changed", "subscription", subID,
			map[string]any{"quantity": from}, map[string]any{"quantity": quantity}); err != nil {
			return err
		}
		return tx.syncLinked(ctx, subID)
	})
}
