package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// notify writes the notification of a change to a subscription into the
// outbox, in the change's transaction: one message to each active admin of
// the tenant and, when toPurchaser, one to the purchaser.
func (tx *Tx) notify(ctx context.Context, kind kassa.NotificationKind, sub *kassa.Subscription, data kassa.NotificationData, toPurchaser bool) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.email, t.locale, u.role = 'admin'
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.status = 'active' AND u.role = 'admin'
		UNION
		SELECT u.id, u.email, t.locale, u.role = 'admin'
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.id = $2 AND u.tenant_id = $1 AND u.status = 'active'
		ORDER BY 1`, sub.TenantID, sub.PurchaserID)
	if err != nil {
		return fmt.Errorf("find whom to notify: %w", err)
	}
	type recipient struct {
		id, email, locale string
		admin             bool
	}
	var to []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.email, &r.locale, &r.admin); err != nil {
			rows.Close()
			return fmt.Errorf("find whom to notify: %w", err)
		}
		if r.admin || toPurchaser {
			to = append(to, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find whom to notify: %w", err)
	}
	data.SubscriptionID = sub.ID
	for _, r := range to {
		n := &kassa.Notification{TenantID: sub.TenantID, Kind: kind, RecipientID: r.id, To: r.email, Locale: r.locale, Data: data}
		n.Data.ForPurchaser = r.id == sub.PurchaserID
		if err := tx.enqueue(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// enqueue writes one notification into the outbox, due at once, and sets
// its ID and CreatedAt.
func (tx *Tx) enqueue(ctx context.Context, n *kassa.Notification) error {
	body, err := json.Marshal(n.Data)
	if err != nil {
		return err
	}
	n.ID, n.CreatedAt = newID("ntf"), tx.now
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO outbox (id, tenant_id, kind, recipient_id, email, locale, data, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		n.ID, n.TenantID, n.Kind, n.RecipientID, n.To, n.Locale, string(body), tx.now); err != nil {
		return fmt.Errorf("write notification: %w", err)
	}
	return nil
}

// enqueueAll writes notifications into the outbox in multi-row INSERTs, as
// enqueue does each: a reclamation run's mails, hundreds to a write.
func (tx *Tx) enqueueAll(ctx context.Context, ns []*kassa.Notification) error {
	rows := make([][]any, 0, len(ns))
	for _, n := range ns {
		body, err := json.Marshal(n.Data)
		if err != nil {
			return err
		}
		n.ID, n.CreatedAt = newID("ntf"), tx.now
		rows = append(rows, []any{n.ID, n.TenantID, n.Kind, n.RecipientID, n.To, n.Locale, string(body), tx.now, tx.now})
	}
	if err := tx.insertRows(ctx, "outbox", []string{"id", "tenant_id", "kind", "recipient_id", "email", "locale", "data",
		"created_at", "next_attempt_at"}, rows); err != nil {
		return fmt.Errorf("write notifications: %w", err)
	}
	return nil
}

// notificationData is what every message about sub says.
func notificationData(sub *kassa.Subscription, actorName string) kassa.NotificationData {
	return kassa.NotificationData{
		SubscriptionID: sub.ID, Product: sub.ProductName, PurchaserName: sub.PurchaserName,
		PurchaserEmail: sub.PurchaserEmail, ActorName: actorName, Quantity: sub.Quantity, Term: sub.Term,
		UnitPrice: sub.UnitPrice, Trial: sub.Status == kassa.StatusTrialing, CancelReason: sub.CancelReason,
		EndsAt: sub.ExpiresAt,
	}
}

// ClaimNotifications takes up to limit undelivered notifications that are
// due, for lease: until it ends no other worker (of this process or another)
// takes them. A worker that dies mid-delivery leaves them to be claimed again
// when the lease ends, so a message may go out twice but is never lost.
func (db *DB) ClaimNotifications(ctx context.Context, limit int, lease time.Duration) ([]*kassa.Notification, error) {
	now := db.clock.Now()
	rows, err := db.reads.QueryContext(ctx, `
		SELECT id FROM outbox
		WHERE sent_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
		ORDER BY next_attempt_at, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("find due notifications: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find due notifications: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find due notifications: %w", err)
	}
	var out []*kassa.Notification
	for _, id := range ids {
		var n *kassa.Notification
		err := db.write(ctx, func(tx *Tx) error {
			n = nil
			var data string
			row := tx.QueryRowContext(ctx, `
				UPDATE outbox SET locked_until = $3, attempts = attempts + 1
				WHERE id = $1 AND sent_at IS NULL AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2)
				RETURNING id, tenant_id, kind, recipient_id, email, locale, data, created_at, attempts`,
				id, now, now.Add(lease))
			c := &kassa.Notification{}
			err := row.Scan(&c.ID, &c.TenantID, &c.Kind, &c.RecipientID, &c.To, &c.Locale, &data, &c.CreatedAt, &c.Attempts)
			if err == sql.ErrNoRows {
				return nil // another worker took it
			} else if err != nil {
				return fmt.Errorf("claim notification %s: %w", id, err)
			}
			if err := json.Unmarshal([]byte(data), &c.Data); err != nil {
				return fmt.Errorf("read notification %s: %w", id, err)
			}
			c.CreatedAt = c.CreatedAt.UTC()
			n = c
			return nil
		})
		if err != nil {
			return out, err
		}
		if n != nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// NotificationSent records that a claimed notification was delivered.
func (db *DB) NotificationSent(ctx context.Context, id string) error {
	return db.exec(ctx, "mark notification sent", `
		UPDATE outbox SET sent_at = $2, locked_until = NULL, last_error = '' WHERE id = $1`, id, db.clock.Now())
}

// NotificationFailed records that delivering a claimed notification failed,
// and when to try again.
func (db *DB) NotificationFailed(ctx context.Context, id, reason string, retryAt time.Time) error {
	return db.exec(ctx, "mark notification failed", `
		UPDATE outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3
		WHERE id = $1 AND sent_at IS NULL`, id, retryAt, reason)
}

// OutboxEntry is a notification with its delivery state, for tests and
// operators.
type OutboxEntry struct {
	kassa.Notification
	SentAt    *time.Time
	LastError string
}

// FindOutbox returns every notification of the tenant, oldest first (the
// system's view).
func (db *DB) FindOutbox(ctx context.Context, tenantID string) ([]OutboxEntry, error) {
	rows, err := db.reads.QueryContext(ctx, `
		SELECT id, tenant_id, kind, recipient_id, email, locale, data, created_at, attempts, sent_at, last_error
		FROM outbox WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var data string
		var sent sql.NullTime
		if err := rows.Scan(&e.ID, &e.TenantID, &e.Kind, &e.RecipientID, &e.To, &e.Locale, &data, &e.CreatedAt,
			&e.Attempts, &sent, &e.LastError); err != nil {
			return nil, fmt.Errorf("find outbox: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("read notification %s: %w", e.ID, err)
		}
		if sent.Valid {
			t := sent.Time.UTC()
			e.SentAt = &t
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Enqueue writes one notification into the outbox (joining the transaction
// of Atomically when there is one) and sets its ID and CreatedAt.
func (db *DB) Enqueue(ctx context.Context, n *kassa.Notification) error {
	return db.write(ctx, func(tx *Tx) error { return tx.enqueue(ctx, n) })
}

// SettleOutbox marks the tenant's undelivered notifications made up to t as
// delivered without sending them: the demo loader's history is not news.
func (db *DB) SettleOutbox(ctx context.Context, tenantID string, t time.Time) error {
	return db.exec(ctx, "settle outbox", `
		UPDATE outbox SET sent_at = $3, last_error = 'not sent: demo history'
		WHERE tenant_id = $1 AND sent_at IS NULL AND created_at <= $2`, tenantID, t, db.clock.Now())
}
