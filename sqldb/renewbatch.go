package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// Renewing many subscriptions of one billing profile at once: the billing
// clock issues their invoices in one write and records the paid ones in
// another, a fraction of the statements of renewing them one at a time.
// Whatever is out of the ordinary (a term renewed already, a balance that
// changed) fails the whole write, and the caller renews one at a time.

// OpenRenewals issues the invoices renewing the subscriptions (invs[i]
// renews subs[i]) as OpenRenewal does, in one write: the next numbers in
// order, and the credit they use from their billing profiles' balances.
// Conflict when a term was renewed already or a balance changed: then
// nothing was issued.
func (db *DB) OpenRenewals(ctx context.Context, subs []*kassa.Subscription, invs []*kassa.Invoice) error {
	err := db.write(ctx, func(tx *Tx) error {
		numbers, err := tx.nextInvoiceNumbers(ctx, len(invs))
		if err != nil {
			return err
		}
		rows := make([][]any, len(invs))
		used := map[string]int64{} // credit by billing profile
		var profiles []string
		for i, inv := range invs {
			sub := subs[i]
			inv.ID, inv.TenantID, inv.OwnerID, inv.SubscriptionID = newID("inv"), sub.TenantID, sub.PurchaserID, sub.ID
			inv.BillingProfileID, inv.Type, inv.Status = sub.BillingProfileID, kassa.TypeInvoice, kassa.InvoiceOpen
			inv.Number, inv.IssuedAt = numbers[i], tx.now
			rows[i] = invoiceRow(inv, "renewal", "", tx.now)
			if inv.BalanceApplied.Amount > 0 {
				if _, ok := used[inv.BillingProfileID]; !ok {
					profiles = append(profiles, inv.BillingProfileID)
				}
				used[inv.BillingProfileID] += inv.BalanceApplied.Amount
			}
		}
		if err := tx.insertRows(ctx, "invoices", invoiceInsertColumns, rows); err != nil {
			return err
		}
		for _, p := range profiles {
			if err := tx.useBalance(ctx, p, used[p]); err != nil {
				return err
			}
		}
		return tx.insertRows(ctx, "invoice_lines", lineInsertColumns, lineRows(invs...))
	})
	if isUnique(err) {
		return kassa.Errorf(kassa.Conflict, "A term of these subscriptions was renewed already.")
	}
	return err
}

// PaidRenewal is a renewal invoice paid by a charge, and the term it pays
// for: the subscription's terms count from Anchor and the paid one ends at
// End.
type PaidRenewal struct {
	Subscription *kassa.Subscription
	Invoice      *kassa.Invoice
	ChargeRef    string
	Anchor, End  time.Time
}

// RenewalsPaid records, as RenewalPaid does, that the renewal invoices were
// paid, in one write; a subscription renewed meanwhile by another process
// is left as it is.
func (db *DB) RenewalsPaid(ctx context.Context, paid []PaidRenewal) error {
	return db.write(ctx, func(tx *Tx) error {
		var cases strings.Builder
		args := make([]any, 0, 2*len(paid))
		ids := make([]string, len(paid))
		for i, p := range paid {
			args = append(args, p.Invoice.ID, p.ChargeRef)
			fmt.Fprintf(&cases, " WHEN $%d THEN $%d", 2*i+1, 2*i+2)
			ids[i] = fmt.Sprintf("$%d", 2*i+1)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE invoices SET status = 'paid', charge_ref = CASE id`+cases.String()+` END
			WHERE id IN (`+strings.Join(ids, ", ")+`) AND status = 'open'`, args...); err != nil {
			return fmt.Errorf("pay renewals: %w", err)
		}
		// Subscriptions whose new terms have the same bounds move on in
		// one statement.
		type term struct{ start, anchor, end time.Time }
		var terms []term
		byTerm := map[term][]PaidRenewal{}
		for _, p := range paid {
			t := term{p.Invoice.PeriodStart, p.Anchor, p.End}
			if _, ok := byTerm[t]; !ok {
				terms = append(terms, t)
			}
			byTerm[t] = append(byTerm[t], p)
		}
		for _, t := range terms {
			group := byTerm[t]
			args := []any{t.start, t.anchor, t.end, tx.now}
			for _, p := range group {
				args = append(args, p.Subscription.ID)
			}
			rows, err := tx.QueryContext(ctx, `
				UPDATE subscriptions SET status = 'active', anchor_at = $2, period_start = $1, period_end = $3,
					failed_attempts = 0, next_retry_at = NULL, suspended_at = NULL, updated_at = $4
				WHERE id IN (`+marks(5, len(group))+`) AND period_end = $1
				RETURNING id`, args...)
			if err != nil {
				return fmt.Errorf("renew: %w", err)
			}
			renewed := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return fmt.Errorf("renew: %w", err)
				}
				renewed[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("renew: %w", err)
			}
			for _, p := range group {
				if !renewed[p.Subscription.ID] {
					continue // renewed by another process meanwhile
				}
				if err := tx.audit(ctx, p.Subscription.TenantID, "subscription.renewed", "subscription", p.Subscription.ID,
					map[string]any{"status": p.Subscription.Status, "expires_at": p.Invoice.PeriodStart},
					map[string]any{"status": kassa.StatusActive, "expires_at": p.End, "invoice": p.Invoice.Number}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
