package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

const invoiceColumns = `i.id, i.tenant_id, i.owner_id, i.billing_profile_id, COALESCE(i.subscription_id, ''),
	COALESCE(i.number, ''), i.type, i.status, i.language, i.issued_at, i.period_start, i.period_end,
	i.subtotal, i.tax_rate, i.tax, i.total, i.currency, i.credit_of, i.charge_ref, i.failure,
	i.balance_applied, i.quantity_delta, i.action_url, i.action_required, i.return_url, i.claim, i.kind`

// scanInvoice reads invoiceColumns, then any further columns into more.
func scanInvoice(r row, more ...any) (*kassa.Invoice, error) {
	inv := &kassa.Invoice{}
	var issued sql.NullTime
	var currency string
	err := r.Scan(append([]any{&inv.ID, &inv.TenantID, &inv.OwnerID, &inv.BillingProfileID, &inv.SubscriptionID,
		&inv.Number, &inv.Type, &inv.Status, &inv.Language, &issued, &inv.PeriodStart, &inv.PeriodEnd,
		&inv.Subtotal.Amount, &inv.TaxRate, &inv.Tax.Amount, &inv.Total.Amount, &currency, &inv.CreditOf,
		&inv.ChargeRef, &inv.Failure, &inv.BalanceApplied.Amount, &inv.QuantityDelta, &inv.ActionURL, &inv.ActionRequired, &inv.ReturnURL, &inv.Claim, &inv.Kind}, more...)...)
	inv.Subtotal.Currency, inv.Tax.Currency, inv.Total.Currency = currency, currency, currency
	inv.BalanceApplied.Currency = currency
	inv.IssuedAt = issued.Time.UTC()
	inv.PeriodStart, inv.PeriodEnd = inv.PeriodStart.UTC(), inv.PeriodEnd.UTC()
	return inv, err
}

// loadLines reads the lines of the invoices.
func loadLines(ctx context.Context, q querier, invoices ...*kassa.Invoice) error {
	if len(invoices) == 0 {
		return nil
	}
	byID := map[string]*kassa.Invoice{}
	args := make([]any, len(invoices))
	marks := make([]string, len(invoices))
	for i, inv := range invoices {
		byID[inv.ID], args[i], marks[i] = inv, inv.ID, fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `
		SELECT invoice_id, description, quantity, unit_amount, period_start, period_end, amount
		FROM invoice_lines WHERE invoice_id IN (`+strings.Join(marks, ", ")+`)
		ORDER BY invoice_id, position`, args...)
	if err != nil {
		return fmt.Errorf("find invoice lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l kassa.InvoiceLine
		if err := rows.Scan(&id, &l.Description, &l.Quantity, &l.UnitPrice.Amount, &l.PeriodStart, &l.PeriodEnd, &l.Amount.Amount); err != nil {
			return fmt.Errorf("find invoice lines: %w", err)
		}
		inv := byID[id]
		l.UnitPrice.Currency, l.Amount.Currency = inv.Total.Currency, inv.Total.Currency
		l.PeriodStart, l.PeriodEnd = l.PeriodStart.UTC(), l.PeriodEnd.UTC()
		inv.Lines = append(inv.Lines, l)
	}
	return rows.Err()
}

func (tx *Tx) insertInvoice(ctx context.Context, inv *kassa.Invoice, kind, requestKey string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO invoices (`+strings.Join(invoiceInsertColumns, ", ")+`)
		VALUES (`+marks(1, len(invoiceInsertColumns))+`)`, invoiceRow(inv, kind, requestKey, tx.now)...)
	if isUnique(err) && requestKey != "" {
		return kassa.E(kassa.Conflict, "error.idempotency.in_progress")
	} else if err != nil {
		return fmt.Errorf("insert invoice: %w", err)
	}
	tx.invoiceIssued(inv)
	if inv.BalanceApplied.Amount > 0 {
		if err := tx.useBalance(ctx, inv.BillingProfileID, inv.BalanceApplied.Amount); err != nil {
			return err
		}
	}
	if err := tx.insertRows(ctx, "invoice_lines", lineInsertColumns, lineRows(inv)); err != nil {
		return fmt.Errorf("insert invoice line: %w", err)
	}
	return nil
}

// invoiceInsertColumns are what invoiceRow gives values for.
var invoiceInsertColumns = []string{"id", "tenant_id", "owner_id", "billing_profile_id", "subscription_id", "kind",
	"type", "status", "language", "period_start", "period_end", "subtotal", "tax_rate", "tax", "total", "currency",
	"credit_of", "request_key", "balance_applied", "quantity_delta", "number", "issued_at", "created_at", "return_url"}

func invoiceRow(inv *kassa.Invoice, kind, requestKey string, now time.Time) []any {
	return []any{inv.ID, inv.TenantID, inv.OwnerID, inv.BillingProfileID, nullable(inv.SubscriptionID), kind, inv.Type,
		inv.Status, inv.Language, inv.PeriodStart, inv.PeriodEnd, inv.Subtotal.Amount, inv.TaxRate,
		inv.Tax.Amount, inv.Total.Amount, inv.Total.Currency, inv.CreditOf, nullable(requestKey),
		inv.BalanceApplied.Amount, inv.QuantityDelta, nullable(inv.Number), nullTime(inv.IssuedAt), now, inv.ReturnURL}
}

var lineInsertColumns = []string{"invoice_id", "position", "description", "quantity", "unit_amount",
	"period_start", "period_end", "amount"}

func lineRows(invoices ...*kassa.Invoice) [][]any {
	var rows [][]any
	for _, inv := range invoices {
		for i, l := range inv.Lines {
			rows = append(rows, []any{inv.ID, i, l.Description, l.Quantity, l.UnitPrice.Amount, l.PeriodStart,
				l.PeriodEnd, l.Amount.Amount})
		}
	}
	return rows
}

// ErrBalanceChanged is the Conflict of an invoice priced with a balance
// that another change used meanwhile: price it again and retry.
var ErrBalanceChanged = kassa.E(kassa.Conflict, "error.profile.balance_changed")

// useBalance takes amount from the billing profile's balance;
// ErrBalanceChanged when the balance no longer holds it.
func (tx *Tx) useBalance(ctx context.Context, profileID string, amount int64) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE billing_profiles SET balance = balance - $2 WHERE id = $1 AND balance >= $2`, profileID, amount)
	if err != nil {
		return fmt.Errorf("use balance: %w", err)
	}
	return mustAffect(res, ErrBalanceChanged)
}

// CreatePurchase records a purchase as the actor: the subscription, and, for
// a paid one, its pending invoice, in one transaction; it sets their IDs,
// tenant, purchaser and times. A requestKey already used returns the
// purchase made with it instead, with reused true.
func (db *DB) CreatePurchase(ctx context.Context, s *kassa.Subscription, inv *kassa.Invoice, requestKey string) (reused bool, err error) {
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
				if err := loadLines(ctx, tx, inv); err != nil {
					return err
				}
				if prior.SubscriptionID == "" {
					return nil // a purchase that failed: the invoice says why
				}
				prev, err := findSubscriptionTx(ctx, tx, prior.SubscriptionID)
				if err != nil {
					return err
				}
				*s = *prev
				return nil
			} else if kassa.ErrorCode(err) != kassa.NotFound {
				return err
			}
		}
		s.ID, s.TenantID, s.PurchaserID, s.CreatedAt = newID("sub"), a.Tenant.ID, a.User.ID, tx.now
		if err := tx.insertSubscription(ctx, s); err != nil {
			return err
		}
		if inv == nil || len(inv.Lines) == 0 { // a free trial
			sub, err := findSubscriptionTx(ctx, tx, s.ID)
			if err != nil {
				return err
			}
			return tx.purchased(ctx, sub, "")
		}
		if err := tx.checkSpend(ctx, a.Tenant.ID, a.User.ID, inv.Total); err != nil {
			return err
		}
		inv.ID, inv.TenantID, inv.OwnerID, inv.SubscriptionID = newID("inv"), a.Tenant.ID, a.User.ID, s.ID
		inv.BillingProfileID, inv.Type, inv.Status = s.BillingProfileID, kassa.TypeInvoice, kassa.InvoicePending
		return tx.insertInvoice(ctx, inv, "purchase", requestKey)
	})
	return reused, err
}

func findSubscriptionTx(ctx context.Context, q querier, id string) (*kassa.Subscription, error) {
	s, err := scanSubscription(q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+subscriptionFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find subscription %s: %w", id, err)
	}
	return s, nil
}

func findInvoice(ctx context.Context, q querier, cond string, args ...any) (*kassa.Invoice, error) {
	inv, err := scanInvoice(q.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices i WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.invoice.no_such")
	} else if err != nil {
		return nil, fmt.Errorf("find invoice: %w", err)
	}
	return inv, nil
}

// CompleteCharge issues a pending invoice as paid by the charge — giving it
// the next number of its year — and does what it paid for, in one
// transaction: a purchase activates its subscription, a quantity invoice
// adds its licenses. An invoice no longer pending is left as it is: another
// process finished it. It works for the system (the reconciler calls it),
// not for an actor.
func (db *DB) CompleteCharge(ctx context.Context, invoiceID, chargeRef string) error {
	return db.write(ctx, func(tx *Tx) error {
		inv, err := findInvoice(ctx, tx, `i.id = $1`, invoiceID)
		if err != nil || inv.Status != kassa.InvoicePending {
			return err
		}
		// Claim the invoice before taking a number: one finished by
		// another process since the read takes none, so none is lost.
		res, err := tx.ExecContext(ctx, `
			UPDATE invoices SET status = 'paid', issued_at = $2, charge_ref = $3, action_url = ''
			WHERE id = $1 AND status = 'pending'`, invoiceID, tx.now, chargeRef)
		if err != nil {
			return fmt.Errorf("issue invoice %s: %w", invoiceID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // finished by another process since the read
		}
		number, err := tx.nextInvoiceNumber(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET number = $2 WHERE id = $1`, invoiceID, number); err != nil {
			return fmt.Errorf("number invoice %s: %w", invoiceID, err)
		}
		tx.event(inv.TenantID, kassa.EventInvoiceIssued, invoiceID)
		tx.event(inv.TenantID, kassa.EventInvoicePaid, invoiceID)
		var kind string
		if err := tx.QueryRowContext(ctx, `SELECT kind FROM invoices WHERE id = $1`, invoiceID).Scan(&kind); err != nil {
			return fmt.Errorf("read invoice %s: %w", invoiceID, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = CASE WHEN status = 'pending' THEN 'active' ELSE status END,
				quantity = quantity + $3, updated_at = $2
			WHERE id = $1`, inv.SubscriptionID, tx.now, inv.QuantityDelta); err != nil {
			return fmt.Errorf("complete subscription %s: %w", inv.SubscriptionID, err)
		}
		sub, err := findSubscriptionTx(ctx, tx, inv.SubscriptionID)
		if err != nil {
			return err
		}
		if kind == "purchase" {
			return tx.purchased(ctx, sub, number)
		}
		if err := tx.audit(ctx, sub.TenantID, "subscription.quantity_changed", "subscription", sub.ID,
			map[string]any{"quantity": sub.Quantity - inv.QuantityDelta},
			map[string]any{"quantity": sub.Quantity, "invoice": number}); err != nil {
			return err
		}
		return tx.syncLinked(ctx, sub.ID) // the members waiting get the licenses added
	})
}

// purchased notifies the admins and the purchaser of a purchase that went
// through and records it in the audit log; invoice is the number of the
// invoice that paid for it, "" for a trial.
func (tx *Tx) purchased(ctx context.Context, sub *kassa.Subscription, invoice string) error {
	if err := tx.notify(ctx, kassa.NotifyPurchase, sub, notificationData(sub, sub.PurchaserName), true); err != nil {
		return err
	}
	after := subscriptionState(sub)
	if invoice != "" {
		after["invoice"] = invoice
	}
	return tx.audit(ctx, sub.TenantID, "subscription.purchased", "subscription", sub.ID, nil, after)
}

// subscriptionState is what the audit log records of a new subscription.
func subscriptionState(s *kassa.Subscription) map[string]any {
	return map[string]any{
		"product": s.ProductID, "purchaser": s.PurchaserID, "billing_profile": s.BillingProfileID,
		"channel": s.Channel, "status": s.Status, "term": s.Term, "quantity": s.Quantity,
		"unit_price": s.UnitPrice, "expires_at": s.ExpiresAt,
	}
}

// FailCharge voids a pending invoice whose charge failed, with the reason,
// gives back the balance it used, and removes the subscription a purchase
// would have paid for: no charge, no subscription. Like CompleteCharge it
// works for the system.
func (db *DB) FailCharge(ctx context.Context, invoiceID, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		inv, err := findInvoice(ctx, tx, `i.id = $1`, invoiceID)
		if err != nil || inv.Status != kassa.InvoicePending {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE invoices SET status = 'void', failure = $2, action_url = '',
				subscription_id = CASE WHEN kind = 'purchase' THEN NULL ELSE subscription_id END
			WHERE id = $1 AND status = 'pending'`, invoiceID, reason); err != nil {
			return fmt.Errorf("void invoice %s: %w", invoiceID, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE billing_profiles SET balance = balance + $2 WHERE id = $1`,
			inv.BillingProfileID, inv.BalanceApplied.Amount); err != nil {
			return fmt.Errorf("give back balance: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = $1 AND status = 'pending'`,
			inv.SubscriptionID); err != nil {
			return fmt.Errorf("remove subscription %s: %w", inv.SubscriptionID, err)
		}
		return nil
	})
}

// HoldCharge records that an invoice's payment waits for the person's
// bank: the gateway's payment and the bank's page ("" while the processor
// finishes it alone). The invoice stays as it is otherwise: pending (a
// purchase, more licenses) or open (a renewal the purchaser pays). Like
// CompleteCharge it works for the system.
func (db *DB) HoldCharge(ctx context.Context, invoiceID, chargeRef, actionURL string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE invoices SET charge_ref = $2, action_url = $3
			WHERE id = $1 AND status IN ('pending', 'open')`, invoiceID, chargeRef, actionURL)
		if err != nil {
			return fmt.Errorf("hold charge of %s: %w", invoiceID, err)
		}
		return nil
	})
}

// ClaimInvoice makes claim ("retry" or "person") the one payer of an open
// renewal invoice, with the return URL its charge uses, and returns when it
// was claimed (the charge's key is made of it); a claim of another payer
// stands, as a Conflict, until it is released (the reconciler releases one
// its payer left behind, once it knows what its charge came to).
func (db *DB) ClaimInvoice(ctx context.Context, invoiceID, claim, returnURL string) (time.Time, error) {
	var at time.Time
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invoices SET claim = $2, claimed_at = $3, return_url = $4
			WHERE id = $1 AND status = 'open' AND claim = ''`,
			invoiceID, claim, tx.now, returnURL)
		if err != nil {
			return fmt.Errorf("claim invoice %s: %w", invoiceID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return kassa.E(kassa.Conflict, "error.invoice.being_paid")
		}
		at = tx.now
		return nil
	})
	return at, err
}

// ReleaseInvoice ends the claim on an open invoice, and the payment it
// held: nobody is paying it now.
func (db *DB) ReleaseInvoice(ctx context.Context, invoiceID string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE invoices SET claim = '', claimed_at = NULL, charge_ref = '', action_url = ''
			WHERE id = $1 AND status = 'open'`, invoiceID)
		return err
	})
}

// Claimed is an open invoice a payer claimed.
type Claimed struct {
	Invoice   *kassa.Invoice
	ClaimedAt time.Time
}

// FindClaimedInvoices returns open invoices claimed before t, for the
// reconciler: a payer that died left them so.
func (db *DB) FindClaimedInvoices(ctx context.Context, before time.Time) ([]Claimed, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+invoiceColumns+`, i.claimed_at FROM invoices i
		WHERE i.status = 'open' AND i.claim <> '' AND i.claimed_at < $1 ORDER BY i.claimed_at LIMIT 500`, before)
	if err != nil {
		return nil, fmt.Errorf("find claimed invoices: %w", err)
	}
	defer rows.Close()
	var out []Claimed
	for rows.Next() {
		var c Claimed
		var err error
		if c.Invoice, err = scanInvoice(rows, &c.ClaimedAt); err != nil {
			return nil, fmt.Errorf("find claimed invoices: %w", err)
		}
		c.ClaimedAt = c.ClaimedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// MarkActionRequired marks an open renewal invoice whose charge without
// the purchaser their bank refused (authentication_required), and asks the
// purchaser to pay it themselves, once.
func (db *DB) MarkActionRequired(ctx context.Context, invoiceID string) error {
	return db.write(ctx, func(tx *Tx) error {
		inv, err := findInvoice(ctx, tx, `i.id = $1`, invoiceID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE invoices SET action_required = TRUE WHERE id = $1 AND status = 'open' AND NOT action_required`, invoiceID)
		if err != nil {
			return fmt.Errorf("mark invoice %s: %w", invoiceID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		sub, err := findSubscriptionTx(ctx, tx, inv.SubscriptionID)
		if err != nil {
			return err
		}
		data := notificationData(sub, sub.PurchaserName)
		data.InvoiceID, data.Amount = inv.ID, inv.AmountDue()
		return tx.notifyPurchaser(ctx, kassa.NotifyPaymentAction, sub, data)
	})
}

// FindSubscriptionForSystem returns any subscription by its id (the
// system's view). Errors: NotFound.
func (db *DB) FindSubscriptionForSystem(ctx context.Context, id string) (*kassa.Subscription, error) {
	return findSubscriptionTx(ctx, db.reader(ctx), id)
}

// FindInvoiceForSystem returns any invoice by its id (the system's view:
// billing reads what it recorded). Errors: NotFound.
func (db *DB) FindInvoiceForSystem(ctx context.Context, id string) (*kassa.Invoice, error) {
	return findInvoice(ctx, db.reader(ctx), `i.id = $1`, id)
}

// FindInvoiceByCharge returns the invoice the gateway's payment is for
// (the system's view, for the gateway's events). Errors: NotFound.
func (db *DB) FindInvoiceByCharge(ctx context.Context, chargeRef string) (*kassa.Invoice, error) {
	if chargeRef == "" {
		return nil, kassa.E(kassa.NotFound, "error.invoice.no_such")
	}
	return findInvoice(ctx, db.reader(ctx), `i.charge_ref = $1`, chargeRef)
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// nextInvoiceNumber takes the next number of the current year,
// INV-YYYY-NNNNNN. The counter row stays locked until the transaction ends,
// so numbers are given out in commit order and a rolled-back one is reused.
func (tx *Tx) nextInvoiceNumber(ctx context.Context) (string, error) {
	numbers, err := tx.nextInvoiceNumbers(ctx, 1)
	if err != nil {
		return "", err
	}
	return numbers[0], nil
}

// nextInvoiceNumbers takes the next n numbers of the current year, in order.
func (tx *Tx) nextInvoiceNumbers(ctx context.Context, n int) ([]string, error) {
	year := tx.now.Year()
	var last int
	err := tx.QueryRowContext(ctx, `
		INSERT INTO invoice_numbers (year, last) VALUES ($1, $2)
		ON CONFLICT (year) DO UPDATE SET last = invoice_numbers.last + $2
		RETURNING last`, year, n).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("next invoice number: %w", err)
	}
	numbers := make([]string, n)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("INV-%d-%06d", year, last-n+1+i)
	}
	return numbers, nil
}

// PendingCharge is a pending invoice with what charging it needs.
type PendingCharge struct {
	Invoice     *kassa.Invoice
	CustomerRef string
	CardRef     string
	Since       time.Time // when it was recorded
}

// FindPendingCharges returns invoices pending since before t, oldest first,
// with their billing profile's customer and card (the system's view, for the
// reconciler). Credit notes waiting for a refund are FindPendingCancellations'.
func (db *DB) FindPendingCharges(ctx context.Context, before time.Time) ([]PendingCharge, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT `+invoiceColumns+`, COALESCE(m.customer_ref, ''), COALESCE(m.gateway_ref, ''), i.created_at
		FROM invoices i
		JOIN billing_profiles b ON b.id = i.billing_profile_id
		LEFT JOIN payment_methods m ON m.id = b.card_id
		WHERE i.status = 'pending' AND i.created_at < $1 AND i.kind <> 'cancel'
		ORDER BY i.created_at, i.id LIMIT 500`, before)
	if err != nil {
		return nil, fmt.Errorf("find pending charges: %w", err)
	}
	defer rows.Close()
	var out []PendingCharge
	for rows.Next() {
		var pc PendingCharge
		var err error
		if pc.Invoice, err = scanInvoice(rows, &pc.CustomerRef, &pc.CardRef, &pc.Since); err != nil {
			return nil, fmt.Errorf("find pending charges: %w", err)
		}
		out = append(out, pc)
	}
	return out, rows.Err()
}

// readable is the condition on invoices i that a reads, with the tenant as
// $1 and the user as $2: their own, and an admin's also the organization's
// profiles' (SPEC §12).
func readable(a *kassa.Actor) string {
	if a.User.IsAdmin() {
		return `i.tenant_id = $1 AND (i.owner_id = $2 OR i.billing_profile_id IN
			(SELECT b.id FROM billing_profiles b WHERE b.tenant_id = $1 AND b.organization))`
	}
	return `i.tenant_id = $1 AND i.owner_id = $2`
}

// FindInvoices returns the actor's issued invoices and credit notes in the
// filter's period, newest first, with their lines: an admin's take in the
// organization's.
func (db *DB) FindInvoices(ctx context.Context, f kassa.InvoiceFilter) ([]*kassa.Invoice, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{a.Tenant.ID, a.User.ID}
	q := `SELECT ` + invoiceColumns + ` FROM invoices i
		WHERE ` + readable(a) + ` AND i.number IS NOT NULL`
	if !f.From.IsZero() {
		args = append(args, f.From)
		q += fmt.Sprintf(` AND i.issued_at >= $%d`, len(args))
	}
	if !f.To.IsZero() {
		args = append(args, f.To)
		q += fmt.Sprintf(` AND i.issued_at < $%d`, len(args))
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+` ORDER BY i.issued_at DESC, i.number DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("find invoices: %w", err)
	}
	defer rows.Close()
	var out []*kassa.Invoice
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("find invoices: %w", err)
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find invoices: %w", err)
	}
	return out, loadLines(ctx, db.reader(ctx), out...)
}

// FindInvoiceByID returns one of the actor's issued invoices with its lines;
// anyone else's, or one not issued, is NotFound.
func (db *DB) FindInvoiceByID(ctx context.Context, id string) (*kassa.Invoice, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := findInvoice(ctx, db.reader(ctx),
		readable(a)+` AND i.id = $3 AND i.number IS NOT NULL`, a.Tenant.ID, a.User.ID, id)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil, kassa.E(kassa.NotFound, "error.invoice.not_found", "ID", id)
	} else if err != nil {
		return nil, err
	}
	return inv, loadLines(ctx, db.reader(ctx), inv)
}
