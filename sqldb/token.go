package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// Purposes of a one-time link to set a password.
const (
	TokenInvitation = "invitation" // a new user sets their first password
	TokenReset      = "reset"      // a user who forgot theirs sets a new one
)

// CreateUserToken stores a one-time token (its SHA-256 only) for the user,
// valid until expires. Making a new one leaves earlier ones valid until
// they expire or one of them is used: using any ends them all.
func (db *DB) CreateUserToken(ctx context.Context, userID, purpose, tokenHash string, expires time.Time) error {
	return db.exec(ctx, "create user token", `
		INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		tokenHash, userID, purpose, db.clock.Now(), expires)
}

// errTokenUnusable answers a token that is unknown, used, expired, of
// another purpose or of a disabled user: all alike, so that a guess learns
// nothing.
var errTokenUnusable = kassa.E(kassa.NotFound, "error.token.unusable")

// FindUserByToken returns the active user a one-time token of the purpose
// is for, while it is usable; NotFound (error.token.unusable) otherwise. It
// uses nothing up: the page that sets a password shows whose it is first.
func (db *DB) FindUserByToken(ctx context.Context, tokenHash, purpose string) (*kassa.User, *kassa.Tenant, error) {
	u := &kassa.User{}
	err := scanUser(db.reader(ctx).QueryRowContext(ctx, `
		SELECT `+userColumns+` FROM user_tokens k JOIN users u ON u.id = k.user_id
		WHERE k.token_hash = $1 AND k.purpose = $2 AND k.used_at IS NULL AND k.expires_at > $3 AND u.status = 'active'`,
		tokenHash, purpose, db.clock.Now()), u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errTokenUnusable
	} else if err != nil {
		return nil, nil, fmt.Errorf("find user by token: %w", err)
	}
	t, err := findTenant(ctx, db.reader(ctx), u.TenantID)
	if err != nil {
		return nil, nil, err
	}
	return u, t, nil
}

// UseUserToken spends a one-time token of the purpose and sets its user's
// password hash, in one transaction: the token's conditional update decides,
// so a link used twice at once sets one password. Every other token of the
// user is spent too, and every session of the user ends (a reset is for
// someone who lost control of the old password). It returns the user.
// Errors: NotFound (error.token.unusable) for a token that cannot be used.
func (db *DB) UseUserToken(ctx context.Context, tokenHash, purpose, passwordHash string) (*kassa.User, error) {
	u := &kassa.User{}
	err := db.write(ctx, func(tx *Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `
			UPDATE user_tokens SET used_at = $3
			WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
				AND user_id IN (SELECT id FROM users WHERE status = 'active')
			RETURNING user_id`, tokenHash, purpose, tx.now).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errTokenUnusable
		} else if err != nil {
			return fmt.Errorf("use token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
			userID, tx.now); err != nil {
			return fmt.Errorf("spend tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, passwordHash); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, userID), u); err != nil {
			return fmt.Errorf("find user %s: %w", userID, err)
		}
		action := "user.password_set"
		if purpose == TokenReset {
			action = "user.password_reset"
		}
		// The person who had the link did it: they are the actor.
		self := kassa.NewContextWithActor(ctx, &kassa.Actor{User: u, Tenant: &kassa.Tenant{ID: u.TenantID}})
		return tx.audit(self, u.TenantID, action, "user", u.ID, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ChangePassword sets the user's password hash, ends every session of
// theirs but the one keep names (the one that asked), and spends their
// unused links, in one transaction.
func (db *DB) ChangePassword(ctx context.Context, userID, passwordHash, keep string) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, passwordHash); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
			userID, tx.now); err != nil {
			return fmt.Errorf("spend links: %w", err)
		}
		a := kassa.ActorFromContext(ctx)
		tenantID := ""
		if a != nil && a.Tenant != nil {
			tenantID = a.Tenant.ID
		}
		return tx.audit(ctx, tenantID, "user.password_changed", "user", userID, nil, nil)
	})
}
