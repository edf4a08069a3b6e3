package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/kassa-billing/kassa"
)

// AddPerson adds a user to the admin's tenant, without a password: they set
// one through an invitation link. An email in use, in any tenant, is a
// Conflict (sign-in is by email alone). Errors: Forbidden for anyone but an
// admin, Invalid naming the field, Conflict.
func (db *DB) AddPerson(ctx context.Context, u *kassa.User) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.users"))
	if err != nil {
		return err
	}
	checked, err := kassa.NewPerson(u.Name, u.Email, u.Type, u.Role)
	if err != nil {
		return err
	}
	*u = *checked
	return db.write(ctx, func(tx *Tx) error {
		return tx.invite(ctx, a, u)
	})
}

// invite adds u to the admin's tenant and sends them their invitation, its
// link made as it is sent.
func (tx *Tx) invite(ctx context.Context, a *kassa.Actor, u *kassa.User) error {
	if err := tx.createUser(ctx, a.Tenant.ID, u, ""); err != nil {
		return err
	}
	return tx.enqueue(ctx, &kassa.Notification{TenantID: a.Tenant.ID, Kind: kassa.NotifyInvitation,
		RecipientID: u.ID, To: u.Email, Locale: a.Tenant.Locale,
		Data: kassa.NotificationData{ActorName: a.User.Name, Organization: a.Tenant.Name}})
}

// RequestPasswordReset mails the active user with the email a link to
// choose a new password (made as the mail is sent); for an email nobody
// has, or a disabled user, it does nothing, and says nothing different.
func (db *DB) RequestPasswordReset(ctx context.Context, email string) error {
	return db.write(ctx, func(tx *Tx) error {
		var n kassa.Notification
		err := tx.QueryRowContext(ctx, `
			SELECT u.id, u.tenant_id, u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
			WHERE u.email = $1 AND u.status = 'active'`, email).Scan(&n.RecipientID, &n.TenantID, &n.To, &n.Locale)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("find %s: %w", email, err)
		}
		n.Kind = kassa.NotifyPasswordReset
		return tx.enqueue(ctx, &n)
	})
}

// UpdateUser changes a user of the admin's tenant, in one transaction, and
// returns them as they are now. The tenant's last active admin cannot be
// demoted or disabled (Conflict): the tenant's row is locked first, so two
// admins demoting each other at once cannot both succeed. A user who may
// no longer hold a license (disabled, or a guest now) loses every license
// they hold, each purchaser told; one disabled loses their sessions and
// unused one-time links too (the caller forgets the sessions it remembers).
// Errors: Forbidden, NotFound, Invalid, Conflict.
func (db *DB) UpdateUser(ctx context.Context, id string, up kassa.UserUpdate) (*kassa.User, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.users"))
	if err != nil {
		return nil, err
	}
	var out *kassa.User
	err = db.write(ctx, func(tx *Tx) error {
		// The tenant's row orders changes of its admins (a row lock on
		// PostgreSQL; SQLite has one writer).
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET default_policy = default_policy WHERE id = $1`,
			a.Tenant.ID); err != nil {
			return fmt.Errorf("lock tenant: %w", err)
		}
		// The actor is checked again here: one demoted a moment ago (whose
		// session this process still trusts) is an admin no more.
		var still bool
		if err := tx.QueryRowContext(ctx, `SELECT role = 'admin' AND status = 'active' FROM users WHERE id = $1`,
			a.User.ID).Scan(&still); err != nil || !still {
			return kassa.E(kassa.Forbidden, "error.admin.users")
		}
		old := &kassa.User{}
		if err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`,
			a.Tenant.ID, id), old); err != nil {
			return kassa.E(kassa.NotFound, "error.user.not_found", "User", id)
		}
		u, err := old.Apply(up)
		if err != nil {
			return err
		}
		// The directory's people change there, but for kassa's role.
		var managed bool
		if err := tx.QueryRowContext(ctx, `SELECT scim_managed FROM users WHERE id = $1`, id).Scan(&managed); err != nil {
			return fmt.Errorf("find user %s: %w", id, err)
		}
		if managed {
			for field, changed := range map[string]bool{"name": u.Name != old.Name, "type": u.Type != old.Type,
				"status": u.Status != old.Status} {
				if changed {
					return &kassa.Error{Code: kassa.Conflict, Field: field, Key: "error.user.directory_managed",
						Args: []any{"Name", old.Name}}
				}
			}
		}
		out = u
		return tx.changeUser(ctx, a.Tenant.ID, a.User.Name, old, u)
	})
	return out, err
}

// changeUser writes u, changed from old, with what the change brings: the
// tenant's last active admin stays one (Conflict); a user who may no
// longer hold a license loses each they hold, its purchaser told (by
// actorName); one disabled loses their sessions and unused one-time links.
// The caller has locked the tenant's row and checked u's fields.
func (tx *Tx) changeUser(ctx context.Context, tenantID, actorName string, old, u *kassa.User) error {
	if isActiveAdmin(old) && !isActiveAdmin(u) {
		var others int
		if err := tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id <> $2 AND role = 'admin' AND status = 'active'`,
			tenantID, u.ID).Scan(&others); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if others == 0 {
			field := "role"
			if u.Status != kassa.Active {
				field = "status"
			}
			return &kassa.Error{Code: kassa.Conflict, Field: field, Key: "error.user.last_admin", Args: []any{"Name", old.Name}}
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET name = $2, email = $3, type = $4, role = $5, status = $6, updated_at = $7
		WHERE id = $1`, u.ID, u.Name, u.Email, u.Type, u.Role, u.Status, tx.now)
	if isUnique(err) {
		return &kassa.Error{Code: kassa.Conflict, Field: "email", Key: "error.user.email_taken", Args: []any{"Email", u.Email}}
	} else if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if u.Name != old.Name || u.Email != old.Email {
		if err := tx.indexUser(ctx, u); err != nil {
			return err
		}
	}
	if old.CanHoldLicense() && !u.CanHoldLicense() {
		if err := tx.releaseHolder(ctx, tenantID, actorName, u); err != nil {
			return err
		}
	}
	if !old.CanHoldLicense() && u.CanHoldLicense() {
		// Back: the groups they are in give them licenses again.
		if err := tx.syncMemberOf(ctx, u.ID); err != nil {
			return err
		}
	}
	if u.Status == kassa.Disabled && old.Status != kassa.Disabled {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
			u.ID, tx.now); err != nil {
			return fmt.Errorf("spend links: %w", err)
		}
	}
	return tx.audit(ctx, tenantID, "user.updated", "user", u.ID,
		map[string]any{"name": old.Name, "email": old.Email, "type": old.Type, "role": old.Role, "status": old.Status},
		map[string]any{"name": u.Name, "email": u.Email, "type": u.Type, "role": u.Role, "status": u.Status})
}

func isActiveAdmin(u *kassa.User) bool { return u.IsAdmin() && u.Status == kassa.Active }

// indexUser writes the search words of u again.
func (tx *Tx) indexUser(ctx context.Context, u *kassa.User) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_words WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("index user %s: %w", u.Email, err)
	}
	return tx.insertWords(ctx, u.TenantID, u)
}

// releaseHolder takes every license u holds back, lowers each
// subscription's count, and tells each purchaser (but u) which license came
// free and why.
func (tx *Tx) releaseHolder(ctx context.Context, tenantID, actorName string, u *kassa.User) error {
	rows, err := tx.QueryContext(ctx, `DELETE FROM licenses WHERE tenant_id = $2 AND user_id = $1 RETURNING subscription_id`,
		u.ID, tenantID)
	if err != nil {
		return fmt.Errorf("release licenses of %s: %w", u.ID, err)
	}
	var subs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("release licenses of %s: %w", u.ID, err)
		}
		subs = append(subs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, subID := range subs {
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned - 1, updated_at = $2 WHERE id = $1`,
			subID, tx.now); err != nil {
			return fmt.Errorf("count licenses of %s: %w", subID, err)
		}
		sub, err := findSubscriptionTx(ctx, tx, subID)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, tenantID, "license.released", "subscription", subID,
			map[string]any{"user_ids": []string{u.ID}}, nil); err != nil {
			return err
		}
		if sub.PurchaserID == u.ID {
			continue
		}
		data := notificationData(sub, actorName)
		data.HolderName, data.ForPurchaser = u.Name, true
		if err := tx.notifyPurchaser(ctx, kassa.NotifyLicenseReleased, sub, data); err != nil {
			return err
		}
	}
	// The licenses that came free go to the members waiting for them.
	slices.Sort(subs)
	return tx.syncLinked(ctx, subs...)
}

// notifyPurchaser tells the purchaser of sub alone, while they are active.
func (tx *Tx) notifyPurchaser(ctx context.Context, kind kassa.NotificationKind, sub *kassa.Subscription, data kassa.NotificationData) error {
	var email, lang string
	err := tx.QueryRowContext(ctx, `
		SELECT u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.id = $1 AND u.status = 'active'`, sub.PurchaserID).Scan(&email, &lang)
	if err != nil {
		return nil // a disabled purchaser reads no mail
	}
	data.SubscriptionID = sub.ID
	return tx.enqueue(ctx, &kassa.Notification{TenantID: sub.TenantID, Kind: kind, RecipientID: sub.PurchaserID,
		To: email, Locale: lang, Data: data})
}

// SendPasswordLink mails an active user of the admin's tenant a one-time
// link to choose a password, made as the mail is sent: their invitation
// again when they have not chosen one yet (the first may have expired),
// else a link to choose a new one (their password works until they use
// it). It returns the kind of mail sent. Errors: Forbidden, NotFound,
// Conflict for a disabled user.
func (db *DB) SendPasswordLink(ctx context.Context, id string) (kassa.NotificationKind, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.users"))
	if err != nil {
		return "", err
	}
	var kind kassa.NotificationKind
	err = db.write(ctx, func(tx *Tx) error {
		u := &kassa.User{}
		var invited bool
		err := tx.QueryRowContext(ctx, `
			SELECT u.id, u.name, u.email, u.status, u.password_hash = '' FROM users u WHERE u.tenant_id = $1 AND u.id = $2`,
			a.Tenant.ID, id).Scan(&u.ID, &u.Name, &u.Email, &u.Status, &invited)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.user.not_found", "User", id)
		} else if err != nil {
			return fmt.Errorf("find user %s: %w", id, err)
		}
		if u.Status != kassa.Active {
			return kassa.E(kassa.Conflict, "error.user.link_disabled", "Name", u.Name)
		}
		kind = kassa.NotifyPasswordReset
		data := kassa.NotificationData{}
		if invited {
			kind, data = kassa.NotifyInvitation, kassa.NotificationData{ActorName: a.User.Name, Organization: a.Tenant.Name}
		}
		if err := tx.enqueue(ctx, &kassa.Notification{TenantID: a.Tenant.ID, Kind: kind, RecipientID: u.ID,
			To: u.Email, Locale: a.Tenant.Locale, Data: data}); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "user.link_sent", "user", u.ID, nil, map[string]any{"kind": kind})
	})
	return kind, err
}
