package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// Billing work falls due in three ways.
const (
	DueTermEnd = "term_end" // a term (or a trial) ends
	DueRetry   = "retry"    // a failed renewal charge is retried
	DueExpiry  = "expiry"   // a suspended subscription expires
)

// Due is the next piece of billing work: what, for which subscription, when.
type Due struct {
	Kind           string
	At             time.Time
	Subscription   *kassa.Subscription
	FailedAttempts int
	TenantCountry  string
	TenantLocale   string
	CustomerRef    string
	CardRef        string // "" when the billing profile has no card
}

// dueGap is the least time between a piece of billing work and any piece it
// leads to: a renewal's next term ends at least 28 days later, the first
// retry of a failed one a day after the term ended, each further retry days
// after the one before, and a suspension expires 30 days after it began.
const dueGap = 24 * time.Hour

// DueWork returns up to limit pieces of the earliest billing work due at or
// before until, in time order. It is the system's view: every tenant's
// subscriptions. Pieces fall due less than dueGap after the first of them,
// so none of the work they lead to can fall due before any of them: they
// can be run in the order given, or all at once, before asking again.
func (db *DB) DueWork(ctx context.Context, until time.Time, limit int) ([]*Due, error) {
	queries := []struct {
		kind, at, cond string
		arg            time.Time
	}{
		{DueTermEnd, "s.period_end", `s.status = 'active' AND s.period_end <= $1`, until},
		{DueTermEnd, "s.period_end", `s.status = 'trialing' AND s.period_end <= $1`, until},
		{DueRetry, "s.next_retry_at", `s.status = 'past_due' AND s.next_retry_at <= $1`, until},
		{DueExpiry, "s.suspended_at", `s.status = 'suspended' AND s.suspended_at <= $1`, until.Add(-kassa.SuspendedLife)},
	}
	var due []*Due
	for _, q := range queries {
		rows, err := db.reader(ctx).QueryContext(ctx, `
			SELECT `+subscriptionColumns+`, `+q.at+`, s.failed_attempts, t.country, t.locale, b.customer_ref,
				COALESCE(m.gateway_ref, '')`+subscriptionFrom+`
			JOIN tenants t ON t.id = s.tenant_id
			JOIN billing_profiles b ON b.id = s.billing_profile_id
			LEFT JOIN payment_methods m ON m.id = b.payment_method_id
			WHERE `+q.cond+` ORDER BY `+q.at+`, s.id LIMIT $2`, q.arg, limit)
		if err != nil {
			return nil, fmt.Errorf("find due %s: %w", q.kind, err)
		}
		for rows.Next() {
			d := &Due{Kind: q.kind}
			d.Subscription, err = scanSubscription(rows, &d.At, &d.FailedAttempts, &d.TenantCountry, &d.TenantLocale,
				&d.CustomerRef, &d.CardRef)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("find due %s: %w", q.kind, err)
			}
			d.At = d.At.UTC()
			if q.kind == DueExpiry {
				d.At = d.At.Add(kassa.SuspendedLife)
			}
			due = append(due, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find due %s: %w", q.kind, err)
		}
	}
	slices.SortFunc(due, func(a, b *Due) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Subscription.ID, b.Subscription.ID)
	})
	due = due[:min(len(due), limit)]
	for i, d := range due {
		if !d.At.Before(due[0].At.Add(dueGap)) {
			return due[:i], nil
		}
	}
	return due, nil
}

// EndSubscription ends a subscription as canceled or expired and releases
// its licenses.
func (db *DB) EndSubscription(ctx context.Context, subID string, status kassa.SubscriptionStatus) error {
	return db.write(ctx, func(tx *Tx) error {
		sub, err := findSubscriptionTx(ctx, tx, subID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = $2, assigned = 0, auto_renew = FALSE, next_retry_at = NULL, updated_at = $3
			WHERE id = $1 AND status = $4`, subID, status, tx.now, sub.Status)
		if err != nil {
			return fmt.Errorf("end subscription %s: %w", subID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // ended, or changed, by another process meanwhile
		}
		if err := tx.releaseLicenses(ctx, subID); err != nil {
			return err
		}
		return tx.audit(ctx, sub.TenantID, "subscription."+string(status), "subscription", subID,
			map[string]any{"status": sub.Status, "assigned": sub.Assigned},
			map[string]any{"status": status, "assigned": 0})
	})
}

// OpenRenewal issues the invoice renewing a subscription for the term that
// starts at inv.PeriodStart, unpaid ('open'), with the next number, taking
// the credit it uses from the balance. The unique key on subscription and
// period start makes a second renewal of one term impossible: then the one
// issued first is returned.
func (db *DB) OpenRenewal(ctx context.Context, sub *kassa.Subscription, inv *kassa.Invoice) error {
	err := db.write(ctx, func(tx *Tx) error {
		number, err := tx.nextInvoiceNumber(ctx)
		if err != nil {
			return err
		}
		inv.ID, inv.TenantID, inv.OwnerID, inv.SubscriptionID = newID("inv"), sub.TenantID, sub.PurchaserID, sub.ID
		inv.BillingProfileID, inv.Type, inv.Status = sub.BillingProfileID, kassa.TypeInvoice, kassa.InvoiceOpen
		inv.Number, inv.IssuedAt = number, tx.now
		return tx.insertInvoice(ctx, inv, "renewal", "")
	})
	if isUnique(err) { // renewed already, by this process or another
		prior, ferr := findInvoice(ctx, db.reader(ctx), `i.subscription_id = $1 AND i.kind = 'renewal' AND i.period_start = $2`,
			sub.ID, inv.PeriodStart)
		if ferr != nil {
			return ferr
		}
		*inv = *prior
		return nil
	}
	return err
}

// FindOpenRenewal returns the unpaid renewal invoice of the subscription's
// next term.
func (db *DB) FindOpenRenewal(ctx context.Context, sub *kassa.Subscription) (*kassa.Invoice, error) {
	return findInvoice(ctx, db.reader(ctx), `i.subscription_id = $1 AND i.kind = 'renewal' AND i.period_start = $2`,
		sub.ID, sub.ExpiresAt)
}

// RenewalPaid records that the renewal invoice was paid: the subscription
// moves on to the term it paid for and is active again.
func (db *DB) RenewalPaid(ctx context.Context, sub *kassa.Subscription, inv *kassa.Invoice, chargeRef string, anchor, end time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE invoices SET status = 'paid', charge_ref = $2 WHERE id = $1 AND status = 'open'`,
			inv.ID, chargeRef); err != nil {
			return fmt.Errorf("pay renewal %s: %w", inv.ID, err)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = 'active', anchor_at = $3, period_start = $2, period_end = $4,
				failed_attempts = 0, next_retry_at = NULL, suspended_at = NULL, updated_at = $5
			WHERE id = $1 AND period_end = $2`, sub.ID, inv.PeriodStart, anchor, end, tx.now)
		if err != nil {
			return fmt.Errorf("renew %s: %w", sub.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // renewed by another process meanwhile
		}
		return tx.audit(ctx, sub.TenantID, "subscription.renewed", "subscription", sub.ID,
			map[string]any{"status": sub.Status, "expires_at": inv.PeriodStart},
			map[string]any{"status": kassa.StatusActive, "expires_at": end, "invoice": inv.Number})
	})
}

// RenewalFailed records a failed renewal charge: past due until nextRetry,
// or, when there is none, suspended. anchor is what the subscription's
// terms count from (for a trial, its end).
func (db *DB) RenewalFailed(ctx context.Context, sub *kassa.Subscription, attempts int, nextRetry *time.Time, anchor time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		status, retry, suspended := kassa.StatusSuspended, sql.NullTime{}, sql.NullTime{Time: tx.now, Valid: true}
		if nextRetry != nil {
			status, retry, suspended = kassa.StatusPastDue, sql.NullTime{Time: *nextRetry, Valid: true}, sql.NullTime{}
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = $2, failed_attempts = $3, next_retry_at = $4, anchor_at = $5,
				suspended_at = $6, updated_at = $7
			WHERE id = $1 AND failed_attempts = $8 AND status IN ('active', 'trialing', 'past_due')`,
			sub.ID, status, attempts, retry, anchor, suspended, tx.now, attempts-1)
		if err != nil {
			return fmt.Errorf("record failed renewal of %s: %w", sub.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // recorded by another process meanwhile
		}
		after := map[string]any{"status": status, "failed_attempts": attempts}
		if nextRetry != nil {
			after["next_retry_at"] = *nextRetry
		}
		return tx.audit(ctx, sub.TenantID, "subscription."+string(status), "subscription", sub.ID,
			map[string]any{"status": sub.Status, "failed_attempts": attempts - 1}, after)
	})
}
