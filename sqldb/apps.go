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

// Apps registered with a tenant and their secrets and tokens (SPEC §9).

const appColumns = `a.id, a.tenant_id, a.name, a.client_id, a.permissions, a.created_by, u.name, a.created_at`

func scanApp(r row) (*kassa.App, error) {
	a := &kassa.App{}
	var perms string
	if err := r.Scan(&a.ID, &a.TenantID, &a.Name, &a.ClientID, &perms, &a.CreatedBy.ID, &a.CreatedBy.Name, &a.CreatedAt); err != nil {
		return nil, err
	}
	a.Permissions, a.CreatedAt = strings.Split(perms, ","), a.CreatedAt.UTC()
	return a, nil
}

// CreateApp registers an app (checked) with the admin's tenant, with its
// first secret (its SHA-256, and the hint shown of it), and fills in the
// app and the secret. Errors: Forbidden, Invalid, Conflict when the tenant
// has kassa.MaxApps already.
func (db *DB) CreateApp(ctx context.Context, app *kassa.App, secretHash, hint string) (*kassa.AppSecret, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return nil, err
	}
	if err := app.CheckApp(); err != nil {
		return nil, err
	}
	var secret *kassa.AppSecret
	err = db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apps WHERE tenant_id = $1`, a.Tenant.ID).Scan(&n); err != nil {
			return fmt.Errorf("count apps: %w", err)
		}
		if n >= kassa.MaxApps {
			return kassa.E(kassa.Conflict, "error.app.too_many", "Max", kassa.MaxApps)
		}
		app.ID, app.TenantID, app.ClientID, app.CreatedAt = newID("app"), a.Tenant.ID, newGUID(), tx.now
		app.CreatedBy = kassa.Person{ID: a.User.ID, Name: a.User.Name}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO apps (id, tenant_id, name, client_id, permissions, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			app.ID, app.TenantID, app.Name, app.ClientID, strings.Join(app.Permissions, ","), a.User.ID, app.CreatedAt); err != nil {
			return fmt.Errorf("insert app: %w", err)
		}
		if secret, err = tx.insertAppSecret(ctx, app.ID, secretHash, hint); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "app.created", "app", app.ID, nil,
			map[string]any{"name": app.Name, "client_id": app.ClientID, "permissions": app.Permissions})
	})
	return secret, err
}

func (tx *Tx) insertAppSecret(ctx context.Context, appID, secretHash, hint string) (*kassa.AppSecret, error) {
	s := &kassa.AppSecret{ID: newID("sec"), AppID: appID, Hint: hint, CreatedAt: tx.now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO app_secrets (id, app_id, secret_hash, hint, created_at) VALUES ($1, $2, $3, $4, $5)`,
		s.ID, appID, secretHash, hint, s.CreatedAt); err != nil {
		return nil, fmt.Errorf("insert app secret: %w", err)
	}
	return s, nil
}

// FindApps returns the admin's tenant's apps, oldest first. Errors:
// Forbidden.
func (db *DB) FindApps(ctx context.Context) ([]*kassa.App, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+appColumns+` FROM apps a JOIN users u ON u.id = a.created_by
		WHERE a.tenant_id = $1 ORDER BY a.created_at, a.id`, a.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("find apps: %w", err)
	}
	defer rows.Close()
	apps := []*kassa.App{}
	for rows.Next() {
		app, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("find apps: %w", err)
		}
		apps = append(apps, app)
	}
	return apps, rows.Err()
}

// FindApp returns one of the admin's tenant's apps. Errors: Forbidden,
// NotFound (another tenant's too).
func (db *DB) FindApp(ctx context.Context, id string) (*kassa.App, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return nil, err
	}
	return findApp(ctx, db.reader(ctx), a.Tenant.ID, id)
}

func findApp(ctx context.Context, q querier, tenantID, id string) (*kassa.App, error) {
	app, err := scanApp(q.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps a JOIN users u ON u.id = a.created_by
		WHERE a.tenant_id = $1 AND a.id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.app.not_found", "App", id)
	} else if err != nil {
		return nil, fmt.Errorf("find app %s: %w", id, err)
	}
	return app, nil
}

// DeleteApp deletes an app of the admin's tenant with its secrets and
// tokens: its next request is refused. Errors: Forbidden, NotFound.
func (db *DB) DeleteApp(ctx context.Context, id string) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		app, err := findApp(ctx, tx, a.Tenant.ID, id)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM app_tokens WHERE app_id = $1`, `DELETE FROM app_secrets WHERE app_id = $1`,
			`DELETE FROM apps WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("delete app %s: %w", id, err)
			}
		}
		return tx.audit(ctx, a.Tenant.ID, "app.deleted", "app", id, map[string]any{"name": app.Name, "client_id": app.ClientID}, nil)
	})
}

// AddAppSecret gives an app of the admin's tenant another secret (its
// SHA-256 and hint); the others work until deleted. Errors: Forbidden,
// NotFound, Conflict when it has kassa.MaxAppSecrets.
func (db *DB) AddAppSecret(ctx context.Context, appID, secretHash, hint string) (*kassa.AppSecret, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return nil, err
	}
	var secret *kassa.AppSecret
	err = db.write(ctx, func(tx *Tx) error {
		app, err := findApp(ctx, tx, a.Tenant.ID, appID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM app_secrets WHERE app_id = $1`, appID).Scan(&n); err != nil {
			return fmt.Errorf("count app secrets: %w", err)
		}
		if n >= kassa.MaxAppSecrets {
			return kassa.E(kassa.Conflict, "error.app.secrets", "Max", kassa.MaxAppSecrets)
		}
		if secret, err = tx.insertAppSecret(ctx, appID, secretHash, hint); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "app.secret_added", "app", appID, nil, map[string]any{"name": app.Name, "secret": secret.ID})
	})
	return secret, err
}

// FindAppSecrets returns the secrets of an app of the admin's tenant,
// oldest first (never the secrets). Errors: Forbidden, NotFound.
func (db *DB) FindAppSecrets(ctx context.Context, appID string) ([]*kassa.AppSecret, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return nil, err
	}
	if _, err := findApp(ctx, db.reader(ctx), a.Tenant.ID, appID); err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, hint, created_at, last_used_at FROM app_secrets
		WHERE app_id = $1 ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("find app secrets: %w", err)
	}
	defer rows.Close()
	secrets := []*kassa.AppSecret{}
	for rows.Next() {
		s := &kassa.AppSecret{AppID: appID}
		var used *time.Time
		if err := rows.Scan(&s.ID, &s.Hint, &s.CreatedAt, &used); err != nil {
			return nil, fmt.Errorf("find app secrets: %w", err)
		}
		s.CreatedAt = s.CreatedAt.UTC()
		if used != nil {
			u := used.UTC()
			s.LastUsedAt = &u
		}
		secrets = append(secrets, s)
	}
	return secrets, rows.Err()
}

// DeleteAppSecret deletes a secret of an app of the admin's tenant: tokens
// are no longer given for it. Errors: Forbidden, NotFound.
func (db *DB) DeleteAppSecret(ctx context.Context, appID, secretID string) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.apps"))
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		app, err := findApp(ctx, tx, a.Tenant.ID, appID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM app_secrets WHERE app_id = $1 AND id = $2`, appID, secretID)
		if err != nil {
			return fmt.Errorf("delete app secret: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return kassa.E(kassa.NotFound, "error.app.secret_not_found", "Secret", secretID)
		}
		return tx.audit(ctx, a.Tenant.ID, "app.secret_deleted", "app", appID, map[string]any{"name": app.Name, "secret": secretID}, nil)
	})
}

// IssueAppToken gives an access token (its SHA-256) lasting until
// expires to the app of the tenant with the directory id whose client id
// and secret (its SHA-256) match, and returns the app. Errors:
// Unauthorized (the client and secret do not match, as OAuth's
// invalid_client), NotFound (no such tenant).
func (db *DB) IssueAppToken(ctx context.Context, directoryID, clientID, secretHash, tokenHash string, expires time.Time) (*kassa.App, error) {
	var app *kassa.App
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		app, err = scanApp(tx.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps a JOIN users u ON u.id = a.created_by
			JOIN tenants t ON t.id = a.tenant_id
			WHERE t.directory_id = $1 AND a.client_id = $2`, directoryID, clientID))
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.Unauthorized, "error.app.client")
		} else if err != nil {
			return fmt.Errorf("find app: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE app_secrets SET last_used_at = $3 WHERE app_id = $1 AND secret_hash = $2`,
			app.ID, secretHash, tx.now)
		if err != nil {
			return fmt.Errorf("use app secret: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return kassa.E(kassa.Unauthorized, "error.app.client")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM app_tokens WHERE expires_at < $1`, tx.now.Add(-time.Hour)); err != nil {
			return fmt.Errorf("forget old app tokens: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO app_tokens (token_hash, app_id, expires_at) VALUES ($1, $2, $3)`,
			tokenHash, app.ID, expires)
		return err
	})
	return app, err
}

// AppOfToken returns the app an access token (its SHA-256) signs in, and
// its tenant. Errors: Unauthorized for a token nobody gave, expired, or of
// an app deleted.
func (db *DB) AppOfToken(ctx context.Context, tokenHash string) (*kassa.App, *kassa.Tenant, error) {
	var appID, tenantID string
	var expires time.Time
	err := db.readRow(ctx, func(r row) error { return r.Scan(&appID, &tenantID, &expires) }, `
		SELECT k.app_id, a.tenant_id, k.expires_at FROM app_tokens k JOIN apps a ON a.id = k.app_id
		WHERE k.token_hash = $1`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !db.Now().Before(expires)) {
		return nil, nil, kassa.E(kassa.Unauthorized, "error.app.token")
	} else if err != nil {
		return nil, nil, fmt.Errorf("find app token: %w", err)
	}
	app, err := findApp(ctx, db.reader(ctx), tenantID, appID)
	if err != nil {
		return nil, nil, err
	}
	t, err := findTenant(ctx, db.reader(ctx), tenantID)
	return app, t, err
}
