package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/kassa-billing/kassa"
)

// subscriptionRowColumns are the subscription's own; subscriptionColumns add
// its product's names and its purchaser's, from the tables subscriptionFrom
// joins.
const (
	subscriptionRowColumns = `s.id, s.tenant_id, s.product_id, s.purchaser_id, s.billing_profile_id, s.channel,
	s.status, s.term, s.quantity, s.assigned, s.unit_amount, s.currency, s.anchor_at, s.period_start,
	s.period_end, s.auto_renew, s.cancel_at_term_end, s.cancel_reason, s.cancel_feedback, s.cancelling, s.created_at,
	s.disputed`
	subscriptionColumns = subscriptionRowColumns + `, p.name_en, p.name_sv, p.name_de, u.name, u.email`
)

const subscriptionFrom = ` FROM subscriptions s
	JOIN products p ON p.id = s.product_id
	JOIN users u ON u.id = s.purchaser_id`

// scanSubscription reads subscriptionColumns, then any further columns into
// more.
func scanSubscription(r row, more ...any) (*kassa.Subscription, error) {
	s := &kassa.Subscription{}
	return s, scanSubscriptionRow(r, s, append([]any{&s.ProductName.En, &s.ProductName.Sv, &s.ProductName.De, &s.PurchaserName,
		&s.PurchaserEmail}, more...)...)
}

// scanSubscriptionRow reads subscriptionRowColumns into s, then any further
// columns into more.
func scanSubscriptionRow(r row, s *kassa.Subscription, more ...any) error {
	err := r.Scan(append([]any{&s.ID, &s.TenantID, &s.ProductID, &s.PurchaserID, &s.BillingProfileID, &s.Channel,
		&s.Status, &s.Term, &s.Quantity, &s.Assigned, &s.UnitPrice.Amount, &s.UnitPrice.Currency, &s.AnchorAt,
		&s.PeriodStart, &s.ExpiresAt, &s.AutoRenew, &s.CancelAtTermEnd, &s.CancelReason, &s.CancelFeedback,
		&s.Cancelling, &s.CreatedAt, &s.Disputed}, more...)...)
	s.AnchorAt, s.PeriodStart, s.ExpiresAt, s.CreatedAt = s.AnchorAt.UTC(), s.PeriodStart.UTC(), s.ExpiresAt.UTC(), s.CreatedAt.UTC()
	return err
}

// visible returns the condition and arguments that limit subscriptions to
// what the actor may see: their own purchases, or, for an admin, the
// tenant's. Pending purchases are nobody's yet.
func visible(a *kassa.Actor, args []any) (string, []any) {
	args = append(args, a.Tenant.ID)
	cond := fmt.Sprintf(`s.tenant_id = $%d AND s.status <> 'pending'`, len(args))
	if !a.User.IsAdmin() {
		args = append(args, a.User.ID)
		cond += fmt.Sprintf(` AND s.purchaser_id = $%d`, len(args))
	}
	return cond, args
}

// FindSubscriptions returns the subscriptions the actor may see that match
// the filter, newest first.
func (db *DB) FindSubscriptions(ctx context.Context, f kassa.SubscriptionFilter) ([]*kassa.Subscription, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := visible(a, nil)
	var q strings.Builder
	q.WriteString(`SELECT ` + subscriptionColumns + subscriptionFrom + ` WHERE ` + cond)
	if f.Channel != nil {
		args = append(args, *f.Channel)
		fmt.Fprintf(&q, ` AND s.channel = $%d`, len(args))
	}
	if f.Status != nil {
		args = append(args, *f.Status)
		fmt.Fprintf(&q, ` AND s.status = $%d`, len(args))
	}
	if f.ProductID != nil {
		args = append(args, *f.ProductID)
		fmt.Fprintf(&q, ` AND s.product_id = $%d`, len(args))
	}
	if f.Running {
		q.WriteString(` AND s.status NOT IN (` + quoted(kassa.EndedStatuses) + `)`)
	}
	q.WriteString(` ORDER BY s.created_at DESC, s.id DESC`) // an index's order (00019)
	if f.Limit > 0 {
		args = append(args, f.Limit, f.Offset)
		fmt.Fprintf(&q, ` LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find subscriptions: %w", err)
	}
	defer rows.Close()
	var subs []*kassa.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("find subscriptions: %w", err)
		}
		subs = append(subs, s)
	}
	return subs, rows.Err()
}

// FindSubscriptionByID returns a subscription the actor may see; any other
// is NotFound.
func (db *DB) FindSubscriptionByID(ctx context.Context, id string) (*kassa.Subscription, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	// The subscription's row alone where that is enough, as reads of one
	// subscription are many: its product's names come from memory, and a
	// member who is not an admin sees only their own purchases, so the
	// purchaser is the actor. An admin's read joins the purchaser.
	cond, args := visible(a, []any{id})
	admin := a.User.IsAdmin()
	query := `SELECT ` + subscriptionRowColumns + ` FROM subscriptions s WHERE s.id = $1 AND ` + cond
	if admin {
		query = `SELECT ` + subscriptionRowColumns + `, u.name, u.email
			FROM subscriptions s JOIN users u ON u.id = s.purchaser_id WHERE s.id = $1 AND ` + cond
	}
	s := &kassa.Subscription{}
	err = db.readRow(ctx, func(r row) error {
		if admin {
			return scanSubscriptionRow(r, s, &s.PurchaserName, &s.PurchaserEmail)
		}
		s.PurchaserName, s.PurchaserEmail = a.User.Name, a.User.Email
		return scanSubscriptionRow(r, s)
	}, query, args...)
	if err == nil {
		s.ProductName, err = db.productName(ctx, s.ProductID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find subscription %s: %w", id, err)
	}
	return s, nil
}

func (tx *Tx) insertSubscription(ctx context.Context, s *kassa.Subscription) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (id, tenant_id, product_id, purchaser_id, billing_profile_id, channel, status,
			term, quantity, assigned, unit_amount, currency, anchor_at, period_start, period_end, auto_renew,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $14, $15, $16, $16)`,
		s.ID, s.TenantID, s.ProductID, s.PurchaserID, s.BillingProfileID, s.Channel, s.Status, s.Term,
		s.Quantity, s.UnitPrice.Amount, s.UnitPrice.Currency, s.AnchorAt, s.PeriodStart, s.ExpiresAt,
		s.AutoRenew, s.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

// Payer is what charging a subscription's billing profile needs.
type Payer struct {
	Balance      kassa.Money
	CustomerRef  string
	CardRef      string // "" when the profile has no card
	Organization bool   // the organization's own profile pays
}

// FindPayer returns the billing profile paying for one of the subscriptions
// the actor may see — the purchaser's, also when an admin who took the
// subscription over changes it, until an admin switches it to one of the
// organization's.
func (db *DB) FindPayer(ctx context.Context, subID string) (*Payer, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := visible(a, []any{subID})
	return db.findPayer(ctx, subID, cond, args)
}

// FindPayerForSystem returns the billing profile paying for any
// subscription (the system's view, for the reconciler).
func (db *DB) FindPayerForSystem(ctx context.Context, subID string) (*Payer, error) {
	return db.findPayer(ctx, subID, "TRUE", []any{subID})
}

func (db *DB) findPayer(ctx context.Context, subID, cond string, args []any) (*Payer, error) {
	p := &Payer{}
	err := db.reader(ctx).QueryRowContext(ctx, `
		SELECT b.balance, b.currency, COALESCE(m.customer_ref, ''), COALESCE(m.gateway_ref, ''), b.organization
		FROM subscriptions s
		JOIN billing_profiles b ON b.id = s.billing_profile_id
		LEFT JOIN payment_methods m ON m.id = b.card_id
		WHERE s.id = $1 AND `+cond, args...).Scan(&p.Balance.Amount, &p.Balance.Currency, &p.CustomerRef, &p.CardRef,
		&p.Organization)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", subID)
	} else if err != nil {
		return nil, fmt.Errorf("find payer of %s: %w", subID, err)
	}
	return p, nil
}
