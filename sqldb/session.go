package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// Credentials are what sign-in checks a password against.
type Credentials struct {
	User         *kassa.User
	Tenant       *kassa.Tenant
	PasswordHash string
}

// FindCredentials returns the user with the (normalized) email, any tenant,
// with its tenant and password hash; NotFound when there is none.
func (db *DB) FindCredentials(ctx context.Context, email string) (*Credentials, error) {
	c := &Credentials{User: &kassa.User{}}
	row := db.reader(ctx).QueryRowContext(ctx, `
		SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.email = $1`, email)
	u := c.User
	err := row.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt, &c.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", email)
	} else if err != nil {
		return nil, fmt.Errorf("find credentials: %w", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	if c.Tenant, err = findTenant(ctx, db.reader(ctx), u.TenantID); err != nil {
		return nil, err
	}
	return c, nil
}

// Session is a signed-in client: a browser (kind "web") or an API token
// ("api"). Only the SHA-256 of its token is stored.
type Session struct {
	TokenHash  string
	UserID     string
	Kind       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a session.
// A session begins with a sign-in, which counts as use of the user's
// licenses (SPEC §12).
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (token_hash, user_id, kind, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			s.TokenHash, s.UserID, s.Kind, s.CreatedAt, s.LastSeenAt, s.ExpiresAt); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return tx.recordSignIn(ctx, s.UserID)
	})
}

// FindSession returns the session with the token hash and the actor it signs
// in; NotFound when there is none or its user is disabled.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*Session, *kassa.Actor, error) {
	s := &Session{TokenHash: tokenHash}
	u, t := &kassa.User{}, &kassa.Tenant{}
	err := db.readRow(ctx, func(r row) error {
		return r.Scan(&s.Kind, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt,
			&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt,
			&t.ID, &t.Name, &t.Country, &t.Currency, &t.Locale, &t.DefaultPolicy, &t.CreatedAt)
	}, `
		SELECT s.kind, s.created_at, s.last_seen_at, s.expires_at, `+userColumns+`,
			t.id, t.name, t.country, t.currency, t.locale, t.default_policy, t.created_at
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		JOIN tenants t ON t.id = u.tenant_id
		WHERE s.token_hash = $1 AND u.status = 'active'`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, kassa.E(kassa.NotFound, "error.session.not_found")
	} else if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	s.UserID = u.ID
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return s, &kassa.Actor{User: u, Tenant: t}, nil
}

// TouchSession records that the session was used at t.
func (db *DB) TouchSession(ctx context.Context, tokenHash string, t time.Time) error {
	return db.exec(ctx, "touch session", `
		UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2`,
		tokenHash, t)
}

// DeleteSession ends a session. Ending one that is gone is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return db.exec(ctx, "delete session", `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
}

// DeleteSessionsBefore removes the sessions that expired before t or were
// last used before idleSince, and returns how many.
func (db *DB) DeleteSessionsBefore(ctx context.Context, t, idleSince time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`, t, idleSince)
		if err != nil {
			return fmt.Errorf("delete old sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// LoginFailures returns the failed sign-ins counted for key since the start
// of a window that began at or after since.
func (db *DB) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.reader(ctx).QueryRowContext(ctx, `
		SELECT failures FROM login_failures WHERE key = $1 AND window_start >= $2`, key, since).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("count login failures: %w", err)
	}
	return n, nil
}

// RecordLoginFailure counts one failed sign-in for key at now, in a window
// that restarts when the last one began before since, and returns the count.
func (db *DB) RecordLoginFailure(ctx context.Context, key string, now, since time.Time) (int, error) {
	var n int
	err := db.write(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `
		INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start < $3 THEN 1
				ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start < $3 THEN excluded.window_start
				ELSE login_failures.window_start END
		RETURNING failures`, key, now, since).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// ClearLoginFailures forgets the failures of key, after a good sign-in.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	return db.exec(ctx, "clear login failures", `DELETE FROM login_failures WHERE key = $1`, key)
}
