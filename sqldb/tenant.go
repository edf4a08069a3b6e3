package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// CreateTenant stores a new tenant and sets its ID and CreatedAt. Tenants are
// made by the operator (the demo loader, later an operator CLI), not through
// the API, so it takes no actor.
func (db *DB) CreateTenant(ctx context.Context, t *kassa.Tenant) error {
	if t.DefaultPolicy == "" {
		t.DefaultPolicy = kassa.PolicyEnabled
	}
	return db.write(ctx, func(tx *Tx) error {
		t.ID, t.CreatedAt = newID("ten"), tx.now
		_, err := tx.ExecContext(ctx, `
			INSERT INTO tenants (id, name, country, currency, locale, default_policy, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.Name, t.Country, t.Currency, t.Locale, t.DefaultPolicy, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert tenant %s: %w", t.Name, err)
		}
		return tx.audit(ctx, t.ID, "tenant.created", "tenant", t.ID, nil, map[string]any{
			"name": t.Name, "country": t.Country, "currency": t.Currency, "locale": t.Locale, "default_policy": t.DefaultPolicy,
		})
	})
}

// CountTenants returns how many tenants there are; zero means a new database.
func (db *DB) CountTenants(ctx context.Context) (int, error) {
	var n int
	if err := db.reader(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tenants: %w", err)
	}
	return n, nil
}

func findTenant(ctx context.Context, q querier, id string) (*kassa.Tenant, error) {
	t := &kassa.Tenant{}
	err := q.QueryRowContext(ctx, `
		SELECT id, name, country, currency, locale, default_policy, created_at
		FROM tenants WHERE id = $1`, id).
		Scan(&t.ID, &t.Name, &t.Country, &t.Currency, &t.Locale, &t.DefaultPolicy, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.tenant.not_found")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant %s: %w", id, err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, nil
}

// querier is what *sql.DB, *sql.Tx and *Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
