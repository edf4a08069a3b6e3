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

// CreateSCIMToken stores a new token of the admin's tenant, its SHA-256
// only, and fills in t. Errors: Forbidden, Invalid (name), Conflict when
// the tenant has kassa.MaxSCIMTokens already.
func (db *DB) CreateSCIMToken(ctx context.Context, t *kassa.SCIMToken, tokenHash string) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.scim_tokens"))
	if err != nil {
		return err
	}
	if err := kassa.ValidateName("name", t.Name); err != nil {
		return err
	}
	t.Name = strings.TrimSpace(t.Name)
	return db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM scim_tokens WHERE tenant_id = $1`, a.Tenant.ID).Scan(&n); err != nil {
			return fmt.Errorf("count scim tokens: %w", err)
		}
		if n >= kassa.MaxSCIMTokens {
			return kassa.E(kassa.Conflict, "error.scim_token.too_many", "Max", kassa.MaxSCIMTokens)
		}
		t.ID, t.TenantID, t.CreatedAt = newID("scm"), a.Tenant.ID, tx.now
		t.CreatedBy = kassa.Person{ID: a.User.ID, Name: a.User.Name}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO scim_tokens (id, tenant_id, name, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.TenantID, t.Name, tokenHash, a.User.ID, t.CreatedAt); err != nil {
			return fmt.Errorf("insert scim token: %w", err)
		}
		return tx.audit(ctx, a.Tenant.ID, "scim_token.created", "scim_token", t.ID, nil, map[string]any{"name": t.Name})
	})
}

// FindSCIMTokens returns the admin's tenant's tokens, newest first (never
// the tokens themselves). Errors: Forbidden.
func (db *DB) FindSCIMTokens(ctx context.Context) ([]*kassa.SCIMToken, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.scim_tokens"))
	if err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT k.id, k.name, k.created_by, u.name, k.created_at, k.last_used_at
		FROM scim_tokens k JOIN users u ON u.id = k.created_by
		WHERE k.tenant_id = $1 ORDER BY k.created_at DESC, k.id DESC`, a.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("find scim tokens: %w", err)
	}
	defer rows.Close()
	tokens := []*kassa.SCIMToken{}
	for rows.Next() {
		t := &kassa.SCIMToken{TenantID: a.Tenant.ID}
		var used *time.Time
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedBy.ID, &t.CreatedBy.Name, &t.CreatedAt, &used); err != nil {
			return nil, fmt.Errorf("find scim tokens: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if used != nil {
			u := used.UTC()
			t.LastUsedAt = &u
		}
		tokens = append(tokens, t)
	}
	return tokens, rows.Err()
}

// RevokeSCIMToken deletes a token of the admin's tenant: the next request
// with it is refused. Errors: Forbidden, NotFound (another tenant's too).
func (db *DB) RevokeSCIMToken(ctx context.Context, id string) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.scim_tokens"))
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM scim_tokens WHERE tenant_id = $1 AND id = $2 RETURNING name`,
			a.Tenant.ID, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.scim_token.not_found", "Token", id)
		} else if err != nil {
			return fmt.Errorf("revoke scim token %s: %w", id, err)
		}
		return tx.audit(ctx, a.Tenant.ID, "scim_token.revoked", "scim_token", id, map[string]any{"name": name}, nil)
	})
}

// TenantOfSCIMToken returns the tenant a SCIM token (its SHA-256) reaches
// and the token's id. Errors: Unauthorized for a token nobody made or one
// revoked.
func (db *DB) TenantOfSCIMToken(ctx context.Context, tokenHash string) (*kassa.Tenant, string, error) {
	var tenantID, id string
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT tenant_id, id FROM scim_tokens WHERE token_hash = $1`,
		tokenHash).Scan(&tenantID, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", kassa.E(kassa.Unauthorized, "error.scim.token")
	} else if err != nil {
		return nil, "", fmt.Errorf("find scim token: %w", err)
	}
	t, err := findTenant(ctx, db.reader(ctx), tenantID)
	if err != nil {
		return nil, "", err
	}
	return t, id, nil
}

// SCIMRequest is the outcome of one SCIM request, as Admin › Directory sync
// shows it.
type SCIMRequest struct {
	At           time.Time
	Method, Path string
	Status       int
	Detail       string // the error's words, "" for a success
}

// scimRequestsKept is how many of a tenant's latest SCIM requests are kept.
const scimRequestsKept = 100

// RecordSCIMRequest keeps the outcome of a request made with the token: the
// tenant's latest scimRequestsKept or so are kept (older ones go every
// scimTrimEvery requests), and with markUsed, when the token was last used.
func (db *DB) RecordSCIMRequest(ctx context.Context, tenantID, tokenID string, r SCIMRequest, markUsed bool) error {
	return db.write(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO scim_requests (tenant_id, at, method, path, status, detail) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id`, tenantID, tx.now, r.Method, r.Path, r.Status, r.Detail).Scan(&id); err != nil {
			return fmt.Errorf("record scim request: %w", err)
		}
		if id%scimTrimEvery == 0 {
			if _, err := tx.ExecContext(ctx, `
				DELETE FROM scim_requests WHERE tenant_id = $1 AND id <= (
					SELECT id FROM scim_requests WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
				tenantID, scimRequestsKept); err != nil {
				return fmt.Errorf("trim scim requests: %w", err)
			}
		}
		if !markUsed {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1`, tokenID, tx.now)
		return err
	})
}

// scimTrimEvery is how often the log of SCIM requests loses its oldest.
const scimTrimEvery = 50

// FindSCIMRequests returns the admin's tenant's latest SCIM requests,
// newest first, at most limit. Errors: Forbidden.
func (db *DB) FindSCIMRequests(ctx context.Context, limit int) ([]SCIMRequest, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.scim_tokens"))
	if err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT at, method, path, status, detail FROM scim_requests WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2`,
		a.Tenant.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("find scim requests: %w", err)
	}
	defer rows.Close()
	var out []SCIMRequest
	for rows.Next() {
		var r SCIMRequest
		if err := rows.Scan(&r.At, &r.Method, &r.Path, &r.Status, &r.Detail); err != nil {
			return nil, fmt.Errorf("find scim requests: %w", err)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
