package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa/telemetry"
)

// Observe has db count its commit groups in m (nil: no longer).
func (db *DB) Observe(m *telemetry.Metrics) { db.metrics.Store(m) }

// Backlog reads the work waiting in the database, for the metrics: the
// notifications not yet sent, the webhook deliveries of enabled endpoints
// not yet delivered, each with the age of the oldest, and the unexpired
// sessions by kind. Each count reads a partial index of the waiting rows
// (outbox_due, webhook_deliveries_due); sessions are read whole.
func (db *DB) Backlog(ctx context.Context) (telemetry.Backlog, error) {
	now := db.clock.Now()
	b := telemetry.Backlog{Sessions: map[string]int{}}
	var err error
	if b.OutboxPending, b.OutboxOldestAge, err = db.pending(ctx, now, `
		SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL`, `
		SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT 1`); err != nil {
		return b, fmt.Errorf("read the outbox's backlog: %w", err)
	}
	if b.WebhookPending, b.WebhookOldestAge, err = db.pending(ctx, now, `
		SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.status = 'pending' AND e.enabled`, `
		SELECT d.created_at FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.status = 'pending' AND e.enabled ORDER BY d.created_at LIMIT 1`); err != nil {
		return b, fmt.Errorf("read the webhooks' backlog: %w", err)
	}
	rows, err := db.reads.QueryContext(ctx, `SELECT kind, COUNT(*) FROM sessions WHERE expires_at > $1 GROUP BY kind`, now)
	if err != nil {
		return b, fmt.Errorf("count sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return b, fmt.Errorf("count sessions: %w", err)
		}
		b.Sessions[kind] = n
	}
	return b, rows.Err()
}

// pending counts the rows count finds and how long ago the oldest, which
// oldest finds, was made.
func (db *DB) pending(ctx context.Context, now time.Time, count, oldest string) (int, time.Duration, error) {
	var n int
	if err := db.reads.QueryRowContext(ctx, count).Scan(&n); err != nil {
		return 0, 0, err
	}
	var at time.Time
	switch err := db.reads.QueryRowContext(ctx, oldest).Scan(&at); {
	case errors.Is(err, sql.ErrNoRows):
		return n, 0, nil
	case err != nil:
		return 0, 0, err
	}
	return n, now.Sub(at), nil
}
