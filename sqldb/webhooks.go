package sqldb

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// Outgoing webhooks' endpoints, for admins. What a change sends is in
// webhook_events.go, and the worker's side in webhook_worker.go.

const endpointColumns = `e.id, e.tenant_id, e.url, e.events, e.enabled, e.disabled_reason, e.failing_since,
	e.secret, e.previous_secret, e.previous_until, e.created_at, e.updated_at`

func scanEndpoint(r row) (*kassa.WebhookEndpoint, error) {
	e := &kassa.WebhookEndpoint{}
	var events string
	var failing, until sql.NullTime
	if err := r.Scan(&e.ID, &e.TenantID, &e.URL, &events, &e.Enabled, &e.DisabledReason, &failing,
		&e.Secret, &e.PreviousSecret, &until, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.Events = strings.Split(strings.Trim(events, ","), ",")
	if failing.Valid {
		t := failing.Time.UTC()
		e.FailingSince = &t
	}
	e.PreviousUntil, e.CreatedAt, e.UpdatedAt = until.Time.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

func findEndpoints(ctx context.Context, q querier, cond string, args ...any) ([]*kassa.WebhookEndpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE `+cond+
		` ORDER BY e.created_at, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find webhook endpoints: %w", err)
	}
	defer rows.Close()
	var out []*kassa.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("find webhook endpoints: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// eventsColumn is how the events are kept: "*", or ",a,b," so that one
// is found with LIKE.
func eventsColumn(events []string) string {
	if slices.Contains(events, kassa.WebhookAll) {
		return kassa.WebhookAll
	}
	return "," + strings.Join(events, ",") + ","
}

// NewWebhookSecret returns a new signing secret in Standard Webhooks' form:
// "whsec_" and 32 random bytes in base64.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func endpointDenied() *kassa.Error { return kassa.E(kassa.Forbidden, "error.admin.webhooks") }

// CreateWebhookEndpoint registers an endpoint (checked; allowPrivate as
// kassa.CheckEndpoint takes it) with the admin's tenant and a new secret,
// and fills it in. Errors: Forbidden, Invalid, Conflict when the tenant has
// kassa.MaxWebhookEndpoints.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *kassa.WebhookEndpoint, allowPrivate bool) error {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return err
	}
	if err := e.CheckEndpoint(allowPrivate); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = $1`, a.Tenant.ID).Scan(&n); err != nil {
			return fmt.Errorf("count webhook endpoints: %w", err)
		}
		if n >= kassa.MaxWebhookEndpoints {
			return kassa.E(kassa.Conflict, "error.webhook.too_many", "Max", kassa.MaxWebhookEndpoints)
		}
		now := time.Now().UTC()
		e.ID, e.TenantID, e.Enabled, e.Secret, e.CreatedAt, e.UpdatedAt = newID("whe"), a.Tenant.ID, true, NewWebhookSecret(), now, now
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, e.ID, e.TenantID, e.URL, eventsColumn(e.Events), e.Secret, now); err != nil {
			return fmt.Errorf("insert webhook endpoint: %w", err)
		}
		return tx.audit(ctx, a.Tenant.ID, "webhook.created", "webhook", e.ID, nil, map[string]any{"url": e.URL, "events": e.Events})
	})
}

// FindWebhookEndpoints returns the admin's tenant's endpoints, oldest first.
func (db *DB) FindWebhookEndpoints(ctx context.Context) ([]*kassa.WebhookEndpoint, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	return findEndpoints(ctx, db.reads, `e.tenant_id = $1`, a.Tenant.ID)
}

// FindWebhookEndpoint returns one of the admin's tenant's endpoints.
// Errors: Forbidden, NotFound (another tenant's too).
func (db *DB) FindWebhookEndpoint(ctx context.Context, id string) (*kassa.WebhookEndpoint, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	return findEndpoint(ctx, db.reads, a.Tenant.ID, id)
}

func findEndpoint(ctx context.Context, q querier, tenantID, id string) (*kassa.WebhookEndpoint, error) {
	es, err := findEndpoints(ctx, q, `e.tenant_id = $1 AND e.id = $2`, tenantID, id)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, kassa.E(kassa.NotFound, "error.webhook.not_found", "ID", id)
	}
	return es[0], nil
}

// WebhookChange is a change to an endpoint; nil fields stay as they are.
type WebhookChange struct {
	URL     *string
	Events  []string
	Enabled *bool
}

// UpdateWebhookEndpoint changes an endpoint and returns it. Turning it on
// forgets why kassa turned it off and how long it had failed; what waited
// for it is sent. Errors: Forbidden, NotFound, Invalid.
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, id string, c WebhookChange, allowPrivate bool) (*kassa.WebhookEndpoint, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	var out *kassa.WebhookEndpoint
	err = db.write(ctx, func(tx *Tx) error {
		e, err := findEndpoint(ctx, tx, a.Tenant.ID, id)
		if err != nil {
			return err
		}
		before := map[string]any{"url": e.URL, "events": e.Events, "enabled": e.Enabled}
		if c.URL != nil {
			e.URL = *c.URL
		}
		if c.Events != nil {
			e.Events = c.Events
		}
		if err := e.CheckEndpoint(allowPrivate); err != nil {
			return err
		}
		if c.Enabled != nil && *c.Enabled != e.Enabled {
			e.Enabled, e.DisabledReason, e.FailingSince = *c.Enabled, "", nil
		}
		e.UpdatedAt = time.Now().UTC()
		if _, err := tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET url = $2, events = $3, enabled = $4, disabled_reason = $5, failing_since = $6,
				updated_at = $7 WHERE id = $1`,
			e.ID, e.URL, eventsColumn(e.Events), e.Enabled, e.DisabledReason, nullTimePtr(e.FailingSince), e.UpdatedAt); err != nil {
			return fmt.Errorf("update webhook endpoint: %w", err)
		}
		out = e
		return tx.audit(ctx, a.Tenant.ID, "webhook.updated", "webhook", e.ID, before,
			map[string]any{"url": e.URL, "events": e.Events, "enabled": e.Enabled})
	})
	return out, err
}

func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries.
// Errors: Forbidden, NotFound.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		e, err := findEndpoint(ctx, tx, a.Tenant.ID, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)`,
			`DELETE FROM webhook_deliveries WHERE endpoint_id = $1`,
			`DELETE FROM webhook_endpoints WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("delete webhook endpoint: %w", err)
			}
		}
		return tx.audit(ctx, a.Tenant.ID, "webhook.deleted", "webhook", id, map[string]any{"url": e.URL}, nil)
	})
}

// RotateWebhookSecret gives an endpoint a new secret and returns the
// endpoint with it; the previous one signs beside it for
// kassa.WebhookSecretOverlap. Errors: Forbidden, NotFound.
func (db *DB) RotateWebhookSecret(ctx context.Context, id string) (*kassa.WebhookEndpoint, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	var out *kassa.WebhookEndpoint
	err = db.write(ctx, func(tx *Tx) error {
		e, err := findEndpoint(ctx, tx, a.Tenant.ID, id)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		e.PreviousSecret, e.PreviousUntil, e.Secret, e.UpdatedAt = e.Secret, now.Add(kassa.WebhookSecretOverlap), NewWebhookSecret(), now
		if _, err := tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET secret = $2, previous_secret = $3, previous_until = $4, updated_at = $5 WHERE id = $1`,
			e.ID, e.Secret, e.PreviousSecret, e.PreviousUntil, now); err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		out = e
		return tx.audit(ctx, a.Tenant.ID, "webhook.secret_rotated", "webhook", e.ID, nil, nil)
	})
	return out, err
}

// PingWebhookEndpoint queues a ping to an endpoint, also a disabled one
// (an admin tries it before turning it on), and returns its delivery.
// Errors: Forbidden, NotFound.
func (db *DB) PingWebhookEndpoint(ctx context.Context, id string) (*kassa.WebhookDelivery, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	var d *kassa.WebhookDelivery
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := findEndpoint(ctx, tx, a.Tenant.ID, id); err != nil {
			return err
		}
		body, err := hookBody(kassa.WebhookPing, tx.now, map[string]string{"endpoint_id": id})
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		d = &kassa.WebhookDelivery{ID: newID("msg"), EndpointID: id, Type: kassa.WebhookPing, Status: kassa.DeliveryPending,
			Payload: string(body), CreatedAt: now, NextAttemptAt: &now, Attempts: []kassa.WebhookAttempt{}}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, type, payload, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, d.ID, a.Tenant.ID, id, d.Type, d.Payload, now)
		return err
	})
	return d, err
}

// RedeliverWebhook sends a delivery again, with the same webhook-id, as
// soon as the worker can: one more attempt, after which a failure is final
// again. Errors: Forbidden, NotFound.
func (db *DB) RedeliverWebhook(ctx context.Context, endpointID, deliveryID string) (*kassa.WebhookDelivery, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, locked_until = NULL,
				attempts = CASE WHEN status = 'pending' THEN attempts ELSE $5 END
			WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3`,
			deliveryID, endpointID, a.Tenant.ID, time.Now().UTC(), len(kassa.WebhookSchedule))
		if err != nil {
			return fmt.Errorf("redeliver %s: %w", deliveryID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kassa.E(kassa.NotFound, "error.webhook.delivery_not_found", "ID", deliveryID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ds, err := db.findDeliveries(ctx, db.reads, `d.id = $1 AND d.tenant_id = $2`, deliveryID, a.Tenant.ID)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return ds[0], nil
}

// WebhookDeliveryPage is the size of a page of an endpoint's delivery log.
const WebhookDeliveryPage = 50

// FindWebhookDeliveries returns a page of an endpoint's deliveries, newest
// first, with their attempts, and the cursor of the next page ("" at the
// last). Errors: Forbidden, NotFound, Invalid (a bad cursor).
func (db *DB) FindWebhookDeliveries(ctx context.Context, endpointID, cursor string) ([]*kassa.WebhookDelivery, string, error) {
	a, err := adminOf(ctx, endpointDenied())
	if err != nil {
		return nil, "", err
	}
	if _, err := findEndpoint(ctx, db.reads, a.Tenant.ID, endpointID); err != nil {
		return nil, "", err
	}
	cond, args := `d.endpoint_id = $1`, []any{endpointID}
	if cursor != "" {
		key, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		at, err := time.Parse(time.RFC3339Nano, key)
		if err != nil {
			return nil, "", kassa.InvalidE("cursor", "error.users.cursor")
		}
		cond += ` AND (d.created_at < $2 OR (d.created_at = $2 AND d.id < $3))`
		args = append(args, at, id)
	}
	ds, err := db.findDeliveries(ctx, db.reads, cond+fmt.Sprintf(` ORDER BY d.created_at DESC, d.id DESC LIMIT %d`, WebhookDeliveryPage+1), args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) > WebhookDeliveryPage {
		ds = ds[:WebhookDeliveryPage]
		last := ds[len(ds)-1]
		next = encodeCursor(last.CreatedAt.Format(time.RFC3339Nano), last.ID)
	}
	return ds, next, nil
}

// findDeliveries reads deliveries (cond may end in ORDER BY and LIMIT),
// each with its attempts, oldest first.
func (db *DB) findDeliveries(ctx context.Context, q querier, cond string, args ...any) ([]*kassa.WebhookDelivery, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT d.id, d.tenant_id, d.endpoint_id, d.type, d.status, d.payload, d.created_at, d.next_attempt_at, d.delivered_at
		FROM webhook_deliveries d WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("find webhook deliveries: %w", err)
	}
	var out []*kassa.WebhookDelivery
	byID := map[string]*kassa.WebhookDelivery{}
	for rows.Next() {
		d := &kassa.WebhookDelivery{Attempts: []kassa.WebhookAttempt{}}
		var next time.Time
		var delivered sql.NullTime
		if err := rows.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.Type, &d.Status, &d.Payload, &d.CreatedAt, &next, &delivered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find webhook deliveries: %w", err)
		}
		d.CreatedAt = d.CreatedAt.UTC()
		if d.Status == kassa.DeliveryPending {
			next = next.UTC()
			d.NextAttemptAt = &next
		}
		if delivered.Valid {
			t := delivered.Time.UTC()
			d.DeliveredAt = &t
		}
		out = append(out, d)
		byID[d.ID] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]any, len(out))
	for i, d := range out {
		ids[i] = d.ID
	}
	rows, err = q.QueryContext(ctx, `
		SELECT delivery_id, at, status_code, duration_ms, error FROM webhook_attempts
		WHERE delivery_id IN (`+marks(1, len(ids))+`) ORDER BY at`, ids...)
	if err != nil {
		return nil, fmt.Errorf("find webhook attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at kassa.WebhookAttempt
		if err := rows.Scan(&id, &at.At, &at.StatusCode, &at.DurationMS, &at.Error); err != nil {
			return nil, fmt.Errorf("find webhook attempts: %w", err)
		}
		at.At = at.At.UTC()
		byID[id].Attempts = append(byID[id].Attempts, at)
	}
	return out, rows.Err()
}
