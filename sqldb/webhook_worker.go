package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/kassa-billing/kassa"
)

// The worker's side: it runs for the system, in real time (now is its).

// DueWebhookEndpoints returns the enabled endpoints that have deliveries
// due at now and not claimed, at most limit of them.
func (db *DB) DueWebhookEndpoints(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := db.reads.QueryContext(ctx, `
		SELECT e.id FROM webhook_endpoints e
		WHERE e.enabled AND EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= $1
				AND (d.locked_until IS NULL OR d.locked_until <= $1))
		ORDER BY e.id LIMIT $2`, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("find due webhook endpoints: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClaimWebhookDeliveries takes up to limit of an endpoint's due
// deliveries, oldest first, for lease: until it ends no other worker (of
// this process or another) takes them, and a worker that dies meanwhile
// leaves them to be taken again, so a delivery may go out twice but is
// never lost. Each is given the endpoint (nil deliveries when it was
// disabled or deleted meanwhile).
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, endpointID string, now time.Time, limit int, lease time.Duration) ([]*kassa.WebhookDelivery, error) {
	now = now.UTC()
	var out []*kassa.WebhookDelivery
	err := db.writeKeyed(ctx, endpointID, func(tx *Tx) error {
		out = nil
		es, err := findEndpoints(ctx, tx, `e.id = $1 AND e.enabled`, endpointID)
		if err != nil || len(es) == 0 {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			UPDATE webhook_deliveries SET locked_until = $3, attempts = attempts + 1
			WHERE id IN (SELECT id FROM webhook_deliveries
					WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at <= $2
						AND (locked_until IS NULL OR locked_until <= $2)
					ORDER BY next_attempt_at, id LIMIT $4)
				AND status = 'pending' AND (locked_until IS NULL OR locked_until <= $2)
			RETURNING id, tenant_id, type, payload, created_at, attempts`, endpointID, now, now.Add(lease), limit)
		if err != nil {
			return fmt.Errorf("claim webhook deliveries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			d := &kassa.WebhookDelivery{EndpointID: endpointID, Endpoint: es[0], Status: kassa.DeliveryPending}
			if err := rows.Scan(&d.ID, &d.TenantID, &d.Type, &d.Payload, &d.CreatedAt, &d.Tries); err != nil {
				return fmt.Errorf("claim webhook deliveries: %w", err)
			}
			d.CreatedAt = d.CreatedAt.UTC()
			out = append(out, d)
		}
		return rows.Err()
	})
	slices.SortFunc(out, func(a, b *kassa.WebhookDelivery) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// WebhookResult is the outcome of one attempt of a claimed delivery.
type WebhookResult struct {
	Delivery *kassa.WebhookDelivery
	Attempt  kassa.WebhookAttempt
}

// RecordWebhookAttempts records attempts of an endpoint's deliveries, in
// one write: a delivery taken is delivered; one refused waits its turn of
// kassa.WebhookSchedule (with jitter) or, after the last, has failed. An
// endpoint that answered 410 Gone is turned off at once; one that has
// failed everything for kassa.WebhookFailingLimit is turned off and its
// tenant's admins are told. It reports whether the endpoint was turned off.
func (db *DB) RecordWebhookAttempts(ctx context.Context, endpointID string, results []WebhookResult) (disabled bool, err error) {
	if len(results) == 0 {
		return false, nil
	}
	err = db.writeKeyed(ctx, endpointID, func(tx *Tx) error {
		disabled = false
		rows := make([][]any, len(results))
		var ok, gone bool
		var firstFailure, lastAt time.Time
		for i, r := range results {
			at := r.Attempt
			rows[i] = []any{r.Delivery.ID, at.At.UTC(), at.StatusCode, at.DurationMS, at.Error}
			var err error
			switch {
			case at.OK():
				ok = true
				_, err = tx.ExecContext(ctx, `
					UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2, locked_until = NULL WHERE id = $1`,
					r.Delivery.ID, at.At.UTC())
			case at.StatusCode == 410 || r.Delivery.Tries > len(kassa.WebhookSchedule):
				gone = gone || at.StatusCode == 410
				_, err = tx.ExecContext(ctx, `
					UPDATE webhook_deliveries SET status = 'failed', locked_until = NULL WHERE id = $1`, r.Delivery.ID)
			default:
				wait := kassa.WebhookSchedule[max(r.Delivery.Tries, 1)-1]
				wait += time.Duration((rand.Float64()*2 - 1) * 0.1 * float64(wait))
				_, err = tx.ExecContext(ctx, `
					UPDATE webhook_deliveries SET next_attempt_at = $2, locked_until = NULL WHERE id = $1`,
					r.Delivery.ID, at.At.Add(wait).UTC())
			}
			if err != nil {
				return fmt.Errorf("record webhook attempt: %w", err)
			}
			if !at.OK() && (firstFailure.IsZero() || at.At.Before(firstFailure)) {
				firstFailure = at.At
			}
			if at.At.After(lastAt) {
				lastAt = at.At
			}
		}
		if err := tx.insertRows(ctx, "webhook_attempts", []string{"delivery_id", "at", "status_code", "duration_ms", "error"}, rows); err != nil {
			return fmt.Errorf("record webhook attempts: %w", err)
		}
		if ok {
			_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, endpointID)
			return err
		}
		var failing sql.NullTime
		var tenantID, url string
		err := tx.QueryRowContext(ctx, `
			UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 AND enabled
			RETURNING failing_since, tenant_id, url`, endpointID, firstFailure.UTC()).Scan(&failing, &tenantID, &url)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // turned off or deleted meanwhile
		} else if err != nil {
			return fmt.Errorf("mark webhook endpoint failing: %w", err)
		}
		reason := ""
		if gone {
			reason = kassa.EndpointGone
		} else if lastAt.Sub(failing.Time) >= kassa.WebhookFailingLimit {
			reason = kassa.EndpointFailing
		}
		if reason == "" {
			return nil
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $2, updated_at = $3 WHERE id = $1 AND enabled`,
			endpointID, reason, lastAt.UTC())
		if err != nil {
			return fmt.Errorf("turn webhook endpoint off: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		disabled = true
		if err := tx.audit(ctx, tenantID, "webhook.disabled", "webhook", endpointID, nil, map[string]any{"reason": reason}); err != nil {
			return err
		}
		return tx.notifyAdmins(ctx, tenantID, kassa.NotifyWebhookDisabled, kassa.NotificationData{URL: url, Reason: reason})
	})
	return disabled, err
}

// notifyAdmins writes a message to each active admin of the tenant into
// the outbox.
func (tx *Tx) notifyAdmins(ctx context.Context, tenantID string, kind kassa.NotificationKind, data kassa.NotificationData) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.status = 'active' AND u.role = 'admin' ORDER BY u.id`, tenantID)
	if err != nil {
		return fmt.Errorf("find the admins: %w", err)
	}
	var ns []*kassa.Notification
	for rows.Next() {
		n := &kassa.Notification{TenantID: tenantID, Kind: kind, Data: data}
		if err := rows.Scan(&n.RecipientID, &n.To, &n.Locale); err != nil {
			rows.Close()
			return fmt.Errorf("find the admins: %w", err)
		}
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find the admins: %w", err)
	}
	for _, n := range ns {
		if err := tx.enqueue(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// pruneBatch is how many deliveries one write of PruneWebhookDeliveries
// deletes.
const pruneBatch = 1000

// PruneWebhookDeliveries deletes the finished deliveries (delivered, or
// failed after their last retry) made before before, with their attempts:
// endpoint by endpoint, through the delivery log's index, pruneBatch to a
// write, so that no write holds the database long. A delivery still
// pending stays whatever its age (its endpoint may be off, to send what
// waited when turned on). It returns how many went.
func (db *DB) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	endpoints, err := queryStrings(ctx, db.reads, `SELECT id FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("find webhook endpoints: %w", err)
	}
	total := 0
	for _, id := range endpoints {
		for {
			var n int64
			err := db.write(ctx, func(tx *Tx) error {
				res, err := tx.ExecContext(ctx, `
					DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
						WHERE endpoint_id = $1 AND created_at < $2 AND status <> 'pending'
						ORDER BY created_at LIMIT $3)`, id, before.UTC(), pruneBatch)
				if err != nil {
					return fmt.Errorf("prune deliveries of %s: %w", id, err)
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, err
			}
			total += int(n)
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}
