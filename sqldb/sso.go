package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// Sign-in with the organization's identity provider (SPEC §8).

// SetSSO sets the admin's tenant's sign-in through its identity provider
// (checked by the caller against the issuer's discovery document). A new
// issuer unlinks every user from the old one's subjects. Errors:
// Forbidden, Invalid.
func (db *DB) SetSSO(ctx context.Context, s *kassa.SSO) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.sso"))
	if err != nil {
		return err
	}
	if err := s.Check(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT issuer FROM tenant_sso WHERE tenant_id = $1`, a.Tenant.ID).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find sso: %w", err)
		}
		s.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO tenant_sso (tenant_id, issuer, client_id, client_secret, password_sign_in, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
				client_secret = excluded.client_secret, password_sign_in = excluded.password_sign_in,
				updated_at = excluded.updated_at`,
			a.Tenant.ID, s.Issuer, s.ClientID, s.ClientSecret, s.PasswordSignIn, tx.now); err != nil {
			return fmt.Errorf("set sso: %w", err)
		}
		if old != "" && old != s.Issuer {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET oidc_subject = '' WHERE tenant_id = $1`, a.Tenant.ID); err != nil {
				return fmt.Errorf("unlink subjects: %w", err)
			}
		}
		return tx.audit(ctx, a.Tenant.ID, "sso.updated", "tenant", a.Tenant.ID, nil,
			map[string]any{"issuer": s.Issuer, "client_id": s.ClientID, "password_sign_in": s.PasswordSignIn})
	})
}

// FindSSO returns the admin's tenant's sign-in settings. Errors:
// Forbidden, NotFound when it has none.
func (db *DB) FindSSO(ctx context.Context) (*kassa.SSO, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.sso"))
	if err != nil {
		return nil, err
	}
	return db.SSOOfTenant(ctx, a.Tenant.ID)
}

// SSOOfTenant returns a tenant's sign-in settings. Errors: NotFound.
func (db *DB) SSOOfTenant(ctx context.Context, tenantID string) (*kassa.SSO, error) {
	s := &kassa.SSO{}
	err := db.readRow(ctx, func(r row) error {
		return r.Scan(&s.Issuer, &s.ClientID, &s.ClientSecret, &s.PasswordSignIn, &s.UpdatedAt)
	}, `SELECT issuer, client_id, client_secret, password_sign_in, updated_at FROM tenant_sso WHERE tenant_id = $1`, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.sso.none")
	} else if err != nil {
		return nil, fmt.Errorf("find sso: %w", err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// DeleteSSO turns the admin's tenant's sign-in through its identity
// provider off; everyone signs in with a password again. Errors:
// Forbidden, NotFound.
func (db *DB) DeleteSSO(ctx context.Context) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.sso"))
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tenant_sso WHERE tenant_id = $1`, a.Tenant.ID)
		if err != nil {
			return fmt.Errorf("delete sso: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kassa.E(kassa.NotFound, "error.sso.none")
		}
		return tx.audit(ctx, a.Tenant.ID, "sso.deleted", "tenant", a.Tenant.ID, nil, nil)
	})
}

// SSOForEmail returns the tenant whose domain the email has, and its
// sign-in settings. Errors: NotFound when the domain is no tenant's or its
// tenant signs in with passwords.
func (db *DB) SSOForEmail(ctx context.Context, email string) (string, *kassa.SSO, error) {
	var tenantID string
	err := db.readRow(ctx, func(r row) error { return r.Scan(&tenantID) },
		`SELECT d.tenant_id FROM tenant_domains d JOIN tenant_sso s ON s.tenant_id = d.tenant_id WHERE d.domain = $1`,
		kassa.EmailDomain(email))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, kassa.E(kassa.NotFound, "error.sso.none")
	} else if err != nil {
		return "", nil, fmt.Errorf("find sso of %s: %w", email, err)
	}
	s, err := db.SSOOfTenant(ctx, tenantID)
	return tenantID, s, err
}

// SSOLogin is a sign-in under way: what the callback checks the
// provider's answer against.
type SSOLogin struct {
	TenantID, Nonce, Verifier, Next string
	ExpiresAt                       time.Time
}

// CreateSSOLogin keeps a sign-in under way under its state's SHA-256.
func (db *DB) CreateSSOLogin(ctx context.Context, stateHash string, l SSOLogin) error {
	return db.exec(ctx, "create sso login", `
		INSERT INTO sso_logins (state_hash, tenant_id, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		stateHash, l.TenantID, l.Nonce, l.Verifier, l.Next, l.ExpiresAt)
}

// TakeSSOLogin spends a sign-in under way: a state is used once (it is
// deleted whether or not it is still good), and before it expires; the
// abandoned ones go with it. Errors: NotFound (error.sso.state) for a
// state unknown, used or expired.
func (db *DB) TakeSSOLogin(ctx context.Context, stateHash string) (*SSOLogin, error) {
	l := &SSOLogin{}
	var now time.Time
	err := db.write(ctx, func(tx *Tx) error {
		now = tx.now
		err := tx.QueryRowContext(ctx, `
			DELETE FROM sso_logins WHERE state_hash = $1 RETURNING tenant_id, nonce, verifier, next, expires_at`,
			stateHash).Scan(&l.TenantID, &l.Nonce, &l.Verifier, &l.Next, &l.ExpiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.sso.state")
		} else if err != nil {
			return fmt.Errorf("take sso login: %w", err)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sso_logins WHERE expires_at <= $1`, tx.now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !now.Before(l.ExpiresAt) {
		return nil, kassa.E(kassa.NotFound, "error.sso.state")
	}
	return l, nil
}

// SSOUser finds the person the identity provider signed in: by its subject
// once linked, else (the first time) by its verified email, when it is an
// active member or guest of the tenant, and links the subject. Nobody is
// made on the fly. Errors: NotFound (error.sso.unknown_person), Forbidden
// for a disabled person.
func (db *DB) SSOUser(ctx context.Context, tenantID, subject, verifiedEmail string) (*kassa.User, *kassa.Tenant, error) {
	u := &kassa.User{}
	err := db.write(ctx, func(tx *Tx) error {
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.oidc_subject = $2`,
			tenantID, subject), u)
		if errors.Is(err, sql.ErrNoRows) && verifiedEmail != "" {
			err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u
				WHERE u.tenant_id = $1 AND u.email = lower($2) AND u.oidc_subject = ''`, tenantID, verifiedEmail), u)
			if err == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET oidc_subject = $2 WHERE id = $1`, u.ID, subject); err != nil {
					return fmt.Errorf("link %s: %w", u.ID, err)
				}
			}
		}
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.sso.unknown_person")
		} else if err != nil {
			return fmt.Errorf("find person of %s: %w", subject, err)
		}
		if u.Status != kassa.Active {
			return kassa.E(kassa.Forbidden, "error.login.disabled")
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	t, err := findTenant(ctx, db.reader(ctx), tenantID)
	return u, t, err
}

// PasswordSignInClosed reports whether the tenant lets only its admins
// sign in with a password.
func (db *DB) PasswordSignInClosed(ctx context.Context, tenantID string) (bool, error) {
	var open bool
	err := db.readRow(ctx, func(r row) error { return r.Scan(&open) },
		`SELECT password_sign_in FROM tenant_sso WHERE tenant_id = $1`, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return !open, err
}
