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
	// NextUnitPrice is what a license costs in the term that follows: the
	// catalog's price now (a price change applies to terms that start
	// after it), or the subscription's own when the catalog has none.
	NextUnitPrice kassa.Money
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
		// A subscription cancelling waits for its refund, renewed by
		// nobody. (An immediate cancellation starts within a week of its
		// term's start, so only a refund pending for weeks meets a renewal.)
		{DueTermEnd, "s.period_end", `s.status = 'active' AND s.period_end <= $1 AND NOT s.cancelling`, until},
		{DueTermEnd, "s.period_end", `s.status = 'trialing' AND s.period_end <= $1`, until},
		// A renewal being paid (by its purchaser, or a retry that died: the
		// reconciler releases it) waits.
		{DueRetry, "s.next_retry_at", `s.status = 'past_due' AND s.next_retry_at <= $1 AND NOT s.cancelling
			AND NOT EXISTS (SELECT 1 FROM invoices ci WHERE ci.subscription_id = s.id AND ci.status = 'open' AND ci.claim <> '')`, until},
		{DueExpiry, "s.suspended_at", `s.status = 'suspended' AND s.suspended_at <= $1`, until.Add(-kassa.SuspendedLife)},
	}
	var due []*Due
	for _, q := range queries {
		rows, err := db.reader(ctx).QueryContext(ctx, `
			SELECT `+subscriptionColumns+`, `+q.at+`, s.failed_attempts, t.country, t.locale, COALESCE(m.customer_ref, ''),
				COALESCE(m.gateway_ref, ''), COALESCE(pr.unit_amount, s.unit_amount)`+subscriptionFrom+`
			JOIN tenants t ON t.id = s.tenant_id
			JOIN billing_profiles b ON b.id = s.billing_profile_id
			LEFT JOIN payment_methods m ON m.id = b.card_id
			LEFT JOIN prices pr ON pr.product_id = s.product_id AND pr.term = s.term AND pr.currency = s.currency
			WHERE `+q.cond+` ORDER BY `+q.at+`, s.id LIMIT $2`, q.arg, limit)
		if err != nil {
			return nil, fmt.Errorf("find due %s: %w", q.kind, err)
		}
		for rows.Next() {
			d := &Due{Kind: q.kind}
			d.Subscription, err = scanSubscription(rows, &d.At, &d.FailedAttempts, &d.TenantCountry, &d.TenantLocale,
				&d.CustomerRef, &d.CardRef, &d.NextUnitPrice.Amount)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("find due %s: %w", q.kind, err)
			}
			d.At = d.At.UTC()
			d.NextUnitPrice.Currency = d.Subscription.UnitPrice.Currency
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
		return tx.openRenewals(ctx, []*kassa.Subscription{sub}, []*kassa.Invoice{inv})
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

// OpenRenewals issues, as OpenRenewal does, the invoices renewing the
// subscriptions (invs[i] renews subs[i]) in one write: the next numbers in
// order, and the credit they use from their billing profiles' balances.
// Conflict when a term was renewed already or a balance changed: then
// nothing was issued.
func (db *DB) OpenRenewals(ctx context.Context, subs []*kassa.Subscription, invs []*kassa.Invoice) error {
	err := db.writeSized(ctx, len(invs), func(tx *Tx) error { return tx.openRenewals(ctx, subs, invs) })
	if isUnique(err) {
		return kassa.E(kassa.Conflict, "error.renewal.already")
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
	return db.RenewalsPaid(ctx, []PaidRenewal{{Subscription: sub, Invoice: inv, ChargeRef: chargeRef, Anchor: anchor, End: end}})
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
			WHERE id = $1 AND failed_attempts = $8 AND `+liveStatus,
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

// organizationPayers returns, of the billing profiles paying for subs, the
// organization's, each with the admin who made it: a renewal they pay is
// the organization's invoice, kept under that admin (every admin reads it)
// rather than the purchaser's.
func (tx *Tx) organizationPayers(ctx context.Context, subs []*kassa.Subscription) (map[string]string, error) {
	ids := make([]any, 0, len(subs))
	seen := map[string]bool{}
	for _, sub := range subs {
		if !seen[sub.BillingProfileID] {
			seen[sub.BillingProfileID] = true
			ids = append(ids, sub.BillingProfileID)
		}
	}
	payers := map[string]string{}
	if len(ids) == 0 {
		return payers, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, owner_id FROM billing_profiles
		WHERE organization AND id IN (`+marks(1, len(ids))+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("find the organization's profiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner string
		if err := rows.Scan(&id, &owner); err != nil {
			return nil, fmt.Errorf("find the organization's profiles: %w", err)
		}
		payers[id] = owner
	}
	return payers, rows.Err()
}

// openRenewals issues the renewal invoices (invs[i] renews subs[i]) in tx:
// numbers, rows, lines and the credit taken from the balances.
func (tx *Tx) openRenewals(ctx context.Context, subs []*kassa.Subscription, invs []*kassa.Invoice) error {
	numbers, err := tx.nextInvoiceNumbers(ctx, len(invs))
	if err != nil {
		return err
	}
	payers, err := tx.organizationPayers(ctx, subs)
	if err != nil {
		return err
	}
	rows := make([][]any, len(invs))
	used := map[string]int64{} // credit by billing profile
	var profiles []string
	for i, inv := range invs {
		sub := subs[i]
		owner, ok := payers[sub.BillingProfileID]
		if !ok {
			owner = sub.PurchaserID
		}
		inv.ID, inv.TenantID, inv.OwnerID, inv.SubscriptionID = newID("inv"), sub.TenantID, owner, sub.ID
		inv.BillingProfileID, inv.Type, inv.Status = sub.BillingProfileID, kassa.TypeInvoice, kassa.InvoiceOpen
		inv.Number, inv.IssuedAt = numbers[i], tx.now
		rows[i] = invoiceRow(inv, "renewal", "", tx.now)
		tx.invoiceIssued(inv)
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
	// In the order of their ids, so that two processes renewing for the
	// same profiles cannot wait for each other's.
	slices.Sort(profiles)
	for _, p := range profiles {
		if err := tx.useBalance(ctx, p, used[p]); err != nil {
			return err
		}
	}
	return tx.insertRows(ctx, "invoice_lines", lineInsertColumns, lineRows(invs...))
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
	return db.writeSized(ctx, len(paid), func(tx *Tx) error {
		var cases strings.Builder
		args := make([]any, 0, 2*len(paid))
		ids := make([]string, len(paid))
		for i, p := range paid {
			args = append(args, p.Invoice.ID, p.ChargeRef)
			fmt.Fprintf(&cases, " WHEN $%d THEN $%d", 2*i+1, 2*i+2)
			ids[i] = fmt.Sprintf("$%d", 2*i+1)
		}
		rows, err := tx.QueryContext(ctx, `
			UPDATE invoices SET status = 'paid', charge_ref = CASE id`+cases.String()+` END
			WHERE id IN (`+strings.Join(ids, ", ")+`) AND status = 'open' RETURNING id, tenant_id`, args...)
		if err != nil {
			return fmt.Errorf("pay renewals: %w", err)
		}
		newlyPaid := make(map[string]bool, len(paid))
		for rows.Next() {
			var id, tenantID string
			if err := rows.Scan(&id, &tenantID); err != nil {
				rows.Close()
				return fmt.Errorf("pay renewals: %w", err)
			}
			newlyPaid[id] = true
			tx.event(tenantID, kassa.EventInvoicePaid, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
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
			// Active ones stay active: leaving status out of the SET
			// leaves the indexes holding it as they are. The rest (a
			// trial converting) become active.
			renewed, err := tx.moveTerms(ctx, group, t.start, t.anchor, t.end, true)
			if err != nil {
				return err
			}
			var rest []PaidRenewal
			for _, p := range group {
				if !renewed[p.Subscription.ID] {
					rest = append(rest, p)
				}
			}
			if len(rest) > 0 {
				more, err := tx.moveTerms(ctx, rest, t.start, t.anchor, t.end, false)
				if err != nil {
					return err
				}
				for id := range more {
					renewed[id] = true
				}
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
		return tx.noteRenewalSpend(ctx, paid, newlyPaid)
	})
}

// noteRenewalSpend tells of the self-service renewals just paid that took a
// spend ceiling past kassa.SpendWarnAt percent (noteSpend): one read for
// the batch's tenants, the sums only for tenants that have limits.
func (tx *Tx) noteRenewalSpend(ctx context.Context, paid []PaidRenewal, newlyPaid map[string]bool) error {
	var tenants []any
	seen := map[string]bool{}
	for _, p := range paid {
		if id := p.Subscription.TenantID; p.Subscription.Channel == kassa.SelfService && newlyPaid[p.Invoice.ID] && !seen[id] {
			seen[id] = true
			tenants = append(tenants, id)
		}
	}
	if len(tenants) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id FROM spend_limits WHERE tenant_id IN (`+marks(1, len(tenants))+`)`, tenants...)
	if err != nil {
		return fmt.Errorf("find spend limits: %w", err)
	}
	limited := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("find spend limits: %w", err)
		}
		limited[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find spend limits: %w", err)
	}
	from, _ := kassa.MonthOf(tx.now)
	for _, p := range paid {
		sub := p.Subscription
		// A renewal issued last month counts there, not in this month's spend.
		if !limited[sub.TenantID] || sub.Channel != kassa.SelfService || !newlyPaid[p.Invoice.ID] || p.Invoice.IssuedAt.Before(from) {
			continue
		}
		if err := tx.noteSpend(ctx, sub.TenantID, sub.PurchaserID, p.Invoice.Total); err != nil {
			return err
		}
	}
	return nil
}

// moveTerms moves the subscriptions paid for on to their new term, from
// start (where their term ends now) to end, counted from anchor, and returns
// those it moved: a subscription renewed meanwhile by another process is
// left as it is. With active, only those active now, else any, which
// become active.
func (tx *Tx) moveTerms(ctx context.Context, paid []PaidRenewal, start, anchor, end time.Time, active bool) (map[string]bool, error) {
	args := []any{start, anchor, end, tx.now}
	for _, p := range paid {
		args = append(args, p.Subscription.ID)
	}
	set, cond := `status = 'active', `, ``
	if active {
		set, cond = ``, ` AND status = 'active'`
	}
	rows, err := tx.QueryContext(ctx, `
		UPDATE subscriptions SET `+set+`anchor_at = $2, period_start = $1, period_end = $3,
			failed_attempts = 0, next_retry_at = NULL, suspended_at = NULL, updated_at = $4,
			-- the term's price, which licenses added within it cost too
			unit_amount = COALESCE((SELECT l.unit_amount FROM invoices i
				JOIN invoice_lines l ON l.invoice_id = i.id AND l.position = 0
				WHERE i.subscription_id = subscriptions.id AND i.kind = 'renewal' AND i.period_start = $1), unit_amount)
		WHERE id IN (`+marks(5, len(paid))+`) AND period_end = $1`+cond+`
		RETURNING id`, args...)
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	defer rows.Close()
	moved := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("renew: %w", err)
		}
		moved[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	return moved, nil
}
