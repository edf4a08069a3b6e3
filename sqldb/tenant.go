package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// CreateTenant validates and stores a new tenant with its domains and sets
// its ID, DirectoryID and CreatedAt. Tenants are made by the operator (kassa
// tenant create, the demo), not through the API, so it takes no actor.
// Errors: Invalid naming the field, Conflict when a domain is another
// tenant's.
func (db *DB) CreateTenant(ctx context.Context, t *kassa.Tenant) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.DefaultPolicy == "" {
		t.DefaultPolicy = kassa.PolicyEnabled
	}
	return db.write(ctx, func(tx *Tx) error {
		t.ID, t.DirectoryID, t.CreatedAt = newID("ten"), newGUID(), tx.now
		_, err := tx.ExecContext(ctx, `
			INSERT INTO tenants (id, name, country, currency, locale, default_policy, created_at, directory_id,
				vat_id, address_line1, address_line2, address_city, address_postal_code, address_country, support_email)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			t.ID, t.Name, t.Country, t.Currency, t.Locale, t.DefaultPolicy, t.CreatedAt, t.DirectoryID,
			t.VATID, t.Address.Line1, t.Address.Line2, t.Address.City, t.Address.PostalCode, t.Address.Country, t.SupportEmail)
		if err != nil {
			return fmt.Errorf("insert tenant %s: %w", t.Name, err)
		}
		if err := tx.addDomains(ctx, t.ID, t.Domains); err != nil {
			return err
		}
		return tx.audit(ctx, t.ID, "tenant.created", "tenant", t.ID, nil, tenantFields(t))
	})
}

// tenantFields are what the audit log keeps of a tenant.
func tenantFields(t *kassa.Tenant) map[string]any {
	return map[string]any{
		"name": t.Name, "country": t.Country, "currency": t.Currency, "locale": t.Locale,
		"default_policy": t.DefaultPolicy, "directory_id": t.DirectoryID, "vat_id": t.VATID,
		"address": t.Address, "support_email": t.SupportEmail, "domains": t.Domains,
	}
}

// addDomains gives the tenant the domains; Conflict naming a domain that is
// another tenant's.
func (tx *Tx) addDomains(ctx context.Context, tenantID string, domains []string) error {
	for _, d := range domains {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenant_domains (domain, tenant_id) VALUES ($1, $2)`, d, tenantID)
		if isUnique(err) {
			return &kassa.Error{Code: kassa.Conflict, Field: "domains", Key: "error.tenant.domain_taken", Args: []any{"Domain", d}}
		} else if err != nil {
			return fmt.Errorf("add domain %s: %w", d, err)
		}
	}
	return nil
}

// CountTenants returns how many tenants there are; zero means a new database.
func (db *DB) CountTenants(ctx context.Context) (int, error) {
	var n int
	if err := db.reader(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tenants: %w", err)
	}
	return n, nil
}

// TenantSummary is a tenant as the operator's list shows it.
type TenantSummary struct {
	kassa.Tenant
	Users, Admins int // active ones
}

// FindTenants returns every tenant, oldest first, with how many active
// users and admins each has: the operator's list (kassa tenant list).
func (db *DB) FindTenants(ctx context.Context) ([]*TenantSummary, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT `+tenantColumns+`,
			(SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id AND u.status = 'active'),
			(SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id AND u.status = 'active' AND u.role = 'admin')
		FROM tenants t ORDER BY t.created_at, t.id`)
	if err != nil {
		return nil, fmt.Errorf("find tenants: %w", err)
	}
	defer rows.Close()
	var out []*TenantSummary
	for rows.Next() {
		s := &TenantSummary{}
		if err := scanTenant(rows, &s.Tenant, &s.Users, &s.Admins); err != nil {
			return nil, fmt.Errorf("find tenants: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find tenants: %w", err)
	}
	for _, s := range out {
		if s.Domains, err = findDomains(ctx, db.reader(ctx), s.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const tenantColumns = `t.id, t.name, t.country, t.currency, t.locale, t.default_policy, t.created_at, t.directory_id,
	t.vat_id, t.address_line1, t.address_line2, t.address_city, t.address_postal_code, t.address_country, t.support_email`

func scanTenant(r row, t *kassa.Tenant, more ...any) error {
	err := r.Scan(append([]any{&t.ID, &t.Name, &t.Country, &t.Currency, &t.Locale, &t.DefaultPolicy, &t.CreatedAt,
		&t.DirectoryID, &t.VATID, &t.Address.Line1, &t.Address.Line2, &t.Address.City, &t.Address.PostalCode,
		&t.Address.Country, &t.SupportEmail}, more...)...)
	t.CreatedAt = t.CreatedAt.UTC()
	return err
}

func findDomains(ctx context.Context, q querier, tenantID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT domain FROM tenant_domains WHERE tenant_id = $1 ORDER BY domain`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find domains: %w", err)
	}
	defer rows.Close()
	domains := []string{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("find domains: %w", err)
		}
		domains = append(domains, d)
	}
	return domains, rows.Err()
}

func findTenant(ctx context.Context, q querier, id string) (*kassa.Tenant, error) {
	t := &kassa.Tenant{}
	err := scanTenant(q.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants t WHERE t.id = $1`, id), t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.tenant.not_found")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant %s: %w", id, err)
	}
	if t.Domains, err = findDomains(ctx, q, id); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTenantOf returns the tenant of a user: for the one who just proved
// who they are (a one-time link), before there is an actor.
func (db *DB) FindTenantOf(ctx context.Context, u *kassa.User) (*kassa.Tenant, error) {
	return findTenant(ctx, db.reader(ctx), u.TenantID)
}

// FindTenantByDomain returns the tenant that owns an email domain;
// NotFound when none does.
func (db *DB) FindTenantByDomain(ctx context.Context, domain string) (*kassa.Tenant, error) {
	var id string
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT tenant_id FROM tenant_domains WHERE domain = $1`, domain).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.tenant.not_found")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant of %s: %w", domain, err)
	}
	return findTenant(ctx, db.reader(ctx), id)
}

// querier is what *sql.DB, *sql.Tx and *Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// FindOrganization returns the admin's tenant, its details and domains.
// Errors: Forbidden for anyone but an admin.
func (db *DB) FindOrganization(ctx context.Context) (*kassa.Tenant, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.organization"))
	if err != nil {
		return nil, err
	}
	return findTenant(ctx, db.reader(ctx), a.Tenant.ID)
}

// UpdateOrganization changes the admin's tenant, all or nothing, and
// returns it as it is now. Its currency cannot change once anything was
// bought (Conflict): what was bought is priced in it. Its domains are
// replaced by the given ones, each another tenant's never (Conflict).
// Errors: Forbidden, Invalid naming the field, Conflict.
func (db *DB) UpdateOrganization(ctx context.Context, up kassa.TenantUpdate) (*kassa.Tenant, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.organization"))
	if err != nil {
		return nil, err
	}
	var out *kassa.Tenant
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET default_policy = default_policy WHERE id = $1`,
			a.Tenant.ID); err != nil {
			return fmt.Errorf("lock tenant: %w", err)
		}
		old, err := findTenant(ctx, tx, a.Tenant.ID)
		if err != nil {
			return err
		}
		t := *old
		t.Apply(up)
		if err := t.Validate(); err != nil {
			return err
		}
		if t.Currency != old.Currency {
			var bought bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM subscriptions WHERE tenant_id = $1)`,
				a.Tenant.ID).Scan(&bought); err != nil {
				return fmt.Errorf("find purchases: %w", err)
			}
			if bought {
				return &kassa.Error{Code: kassa.Conflict, Field: "currency", Key: "error.tenant.currency_locked",
					Args: []any{"Currency", old.Currency}}
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE tenants SET name = $2, country = $3, currency = $4, locale = $5, vat_id = $6, address_line1 = $7,
				address_line2 = $8, address_city = $9, address_postal_code = $10, address_country = $11, support_email = $12
			WHERE id = $1`, t.ID, t.Name, t.Country, t.Currency, t.Locale, t.VATID, t.Address.Line1, t.Address.Line2,
			t.Address.City, t.Address.PostalCode, t.Address.Country, t.SupportEmail); err != nil {
			return fmt.Errorf("update tenant: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_domains WHERE tenant_id = $1`, t.ID); err != nil {
			return fmt.Errorf("update domains: %w", err)
		}
		if err := tx.addDomains(ctx, t.ID, t.Domains); err != nil {
			return err
		}
		out = &t
		return tx.audit(ctx, t.ID, "tenant.updated", "tenant", t.ID, tenantFields(old), tenantFields(&t))
	})
	return out, err
}
