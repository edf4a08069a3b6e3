package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/kassa-billing/kassa"
)

// FindLicenses returns the licenses of a subscription the actor may see,
// ordered by the holder's name.
func (db *DB) FindLicenses(ctx context.Context, subID string) ([]kassa.License, error) {
	if _, err := db.FindSubscriptionByID(ctx, subID); err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT `+userColumns+`, l.assigned_at, l.assigned_by FROM licenses l
		JOIN users u ON u.id = l.user_id
		WHERE l.subscription_id = $1 ORDER BY u.name, u.id`, subID)
	if err != nil {
		return nil, fmt.Errorf("find licenses: %w", err)
	}
	defer rows.Close()
	var out []kassa.License
	for rows.Next() {
		a := kassa.License{SubscriptionID: subID}
		u := &a.User
		if err := rows.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt,
			&a.AssignedAt, &a.AssignedBy); err != nil {
			return nil, fmt.Errorf("find licenses: %w", err)
		}
		a.AssignedAt = a.AssignedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

func marks(from, n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(m, ", ")
}

// Assign gives each user a license of the subscription, all or none, in one
// transaction: every user must be an active member of the actor's tenant
// without a license of it (else Invalid naming each), and the batch must fit
// the free licenses — which the database decides in one conditional update
// (else Conflict saying how many are free).
func (db *DB) Assign(ctx context.Context, subID string, userIDs []string) ([]kassa.License, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []kassa.License
	err = db.writeKeyed(ctx, subID, func(tx *Tx) error {
		out = nil
		if db.dialect == Postgres && len(userIDs) == 1 {
			if as, err := tx.assignOne(ctx, a, subID, userIDs[0]); err != nil || as != nil {
				out = as
				return err
			}
		}
		args := []any{a.Tenant.ID, subID}
		for _, id := range userIDs {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT `+userColumns+`, EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $2 AND l.user_id = u.id)
			FROM users u WHERE u.tenant_id = $1 AND u.id IN (`+marks(3, len(userIDs))+`)`, args...)
		if err != nil {
			return fmt.Errorf("find users to assign: %w", err)
		}
		found := map[string]*kassa.User{}
		has := map[string]bool{}
		for rows.Next() {
			u := &kassa.User{}
			var already bool
			if err := rows.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt, &already); err != nil {
				rows.Close()
				return fmt.Errorf("find users to assign: %w", err)
			}
			found[u.ID], has[u.ID] = u, already
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var refused []kassa.Refused
		for _, id := range userIDs {
			u := found[id]
			r := kassa.Refused{UserID: id}
			switch {
			case u == nil:
				r.Reason = kassa.RefusedNotFound
			case u.LicenseRefusal() != "":
				r.Name, r.Reason = u.Name, u.LicenseRefusal()
			case has[id]:
				r.Name, r.Reason = u.Name, kassa.RefusedHasLicense
			default:
				continue
			}
			refused = append(refused, r)
		}
		if len(refused) > 0 {
			return kassa.InvalidE("user_ids", "error.assign.refused", "Count", len(refused)).WithRefused(refused)
		}
		// The manager is checked here too, in the same statement, so that a
		// take-over committed since the caller's check is honoured.
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET assigned = assigned + $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND `+liveStatus+`
				AND assigned + $3 <= quantity AND `+managedBy(5),
			subID, a.Tenant.ID, len(userIDs), tx.now, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("count licenses: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			sub, err := tx.managedSubscription(ctx, a, subID)
			if err != nil {
				return err
			}
			if !sub.Status.Live() {
				return kassa.E(kassa.Conflict, "error.assign.status", "Status", sub.Status)
			}
			return kassa.E(kassa.Conflict, "error.assign.not_enough", "Count", sub.Available(), "Asked", len(userIDs))
		}
		for _, id := range userIDs {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, holder_name)
				VALUES ($1, $2, $3, $4, $5, (SELECT u.name FROM users u WHERE u.id = $2))`, subID, id, a.Tenant.ID, tx.now, a.User.ID); err != nil {
				if isUnique(err) {
					return kassa.InvalidE("user_ids", "error.assign.refused", "Count", 1).
						WithRefused([]kassa.Refused{{UserID: id, Name: found[id].Name, Reason: kassa.RefusedHasLicense}})
				}
				return fmt.Errorf("assign %s: %w", id, err)
			}
			out = append(out, kassa.License{SubscriptionID: subID, User: *found[id], AssignedAt: tx.now, AssignedBy: a.User.ID})
		}
		return tx.audit(ctx, a.Tenant.ID, "license.assigned", "subscription", subID, nil, map[string]any{"user_ids": userIDs})
	})
	return out, err
}

// assignOne is Assign's common case on PostgreSQL — one user who may have
// a license of a subscription with one free — in one statement instead of
// three, for the round trips a busy subscription's writes wait on each
// other for. It returns nil when it changed nothing: then Assign's steps
// find out why.
func (tx *Tx) assignOne(ctx context.Context, a *kassa.Actor, subID, userID string) ([]kassa.License, error) {
	u := &kassa.User{}
	err := tx.QueryRowContext(ctx, `
		WITH u AS (
			SELECT `+userColumns+` FROM users u
			WHERE u.tenant_id = $1 AND u.id = $3 AND `+licenseHolder+`
				AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $2 AND l.user_id = u.id)
		), s AS (
			UPDATE subscriptions SET assigned = assigned + 1, updated_at = $4
			WHERE id = $2 AND tenant_id = $1 AND `+liveStatus+`
				AND assigned + 1 <= quantity AND `+managedBy(5)+`
				AND EXISTS (SELECT 1 FROM u)
			RETURNING id
		), l AS (
			INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, holder_name)
			SELECT s.id, u.id, $1, $4, $5, u.name FROM u, s
			RETURNING user_id
		)
		SELECT `+userColumns+` FROM u JOIN l ON l.user_id = u.id`,
		a.Tenant.ID, subID, userID, tx.now, a.User.ID, a.User.IsAdmin()).
		Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if isUnique(err) {
		return nil, kassa.InvalidE("user_ids", "error.assign.refused", "Count", 1).
			WithRefused([]kassa.Refused{{UserID: userID, Reason: kassa.RefusedHasLicense}})
	} else if err != nil {
		return nil, fmt.Errorf("assign %s: %w", userID, err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return []kassa.License{{SubscriptionID: subID, User: *u, AssignedAt: tx.now, AssignedBy: a.User.ID}},
		tx.audit(ctx, a.Tenant.ID, "license.assigned", "subscription", subID, nil, map[string]any{"user_ids": []string{userID}})
}

// Unassign takes the subscription's licenses from the users, all or none:
// a user without one is Invalid, named.
func (db *DB) Unassign(ctx context.Context, subID string, userIDs []string) ([]kassa.License, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []kassa.License
	err = db.write(ctx, func(tx *Tx) error {
		out = nil
		if _, err := tx.managedSubscription(ctx, a, subID); err != nil {
			return err
		}
		args := []any{subID, a.Tenant.ID}
		for _, id := range userIDs {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `
			DELETE FROM licenses WHERE subscription_id = $1 AND tenant_id = $2 AND user_id IN (`+marks(3, len(userIDs))+`)
				AND NOT via_group
			RETURNING user_id, assigned_at, assigned_by`, args...)
		if err != nil {
			return fmt.Errorf("unassign: %w", err)
		}
		gone := map[string]kassa.License{}
		for rows.Next() {
			as := kassa.License{SubscriptionID: subID}
			if err := rows.Scan(&as.User.ID, &as.AssignedAt, &as.AssignedBy); err != nil {
				rows.Close()
				return fmt.Errorf("unassign: %w", err)
			}
			gone[as.User.ID] = as
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var refused []kassa.Refused
		for _, id := range userIDs {
			if _, ok := gone[id]; !ok {
				r, err := tx.unassignRefusal(ctx, subID, id)
				if err != nil {
					return err
				}
				refused = append(refused, r)
			}
		}
		if len(refused) > 0 {
			return kassa.InvalidE("user_ids", "error.unassign.refused", "Count", len(refused)).WithRefused(refused)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET assigned = assigned - $2, updated_at = $3 WHERE id = $1 AND `+managedBy(4),
			subID, len(gone), tx.now, a.User.ID, a.User.IsAdmin())
		if err != nil {
			return fmt.Errorf("count licenses: %w", err)
		}
		if err := tx.mustChange(ctx, res, a, subID, kassa.E(kassa.Conflict, "error.subscription.changed")); err != nil {
			return err
		}
		for _, id := range userIDs {
			as := gone[id]
			u, err := scanUserTx(ctx, tx, id)
			if err != nil {
				return err
			}
			as.User = *u
			as.AssignedAt = as.AssignedAt.UTC()
			out = append(out, as)
		}
		if err := tx.audit(ctx, a.Tenant.ID, "license.unassigned", "subscription", subID, map[string]any{"user_ids": userIDs}, nil); err != nil {
			return err
		}
		return tx.syncLinked(ctx, subID) // the licenses that came free go to the members waiting
	})
	return out, err
}

// unassignRefusal says why the user's license of the subscription was not
// taken: they hold none, or hold it through a linked group (which takes it
// back when they leave the group).
func (tx *Tx) unassignRefusal(ctx context.Context, subID, userID string) (kassa.Refused, error) {
	r := kassa.Refused{UserID: userID, Reason: kassa.RefusedNoLicense}
	var name string
	err := tx.QueryRowContext(ctx, `SELECT u.name FROM licenses l JOIN users u ON u.id = l.user_id
		WHERE l.subscription_id = $1 AND l.user_id = $2 AND l.via_group`, subID, userID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	} else if err != nil {
		return r, fmt.Errorf("find license of %s: %w", userID, err)
	}
	r.Name, r.Reason = name, kassa.RefusedViaGroup
	return r, nil
}

func scanUserTx(ctx context.Context, q querier, id string) (*kassa.User, error) {
	u := &kassa.User{}
	if err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id), u); err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return u, nil
}

// releaseLicenses removes every license of a subscription that ended.
func (tx *Tx) releaseLicenses(ctx context.Context, subID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM licenses WHERE subscription_id = $1`, subID); err != nil {
		return fmt.Errorf("release licenses of %s: %w", subID, err)
	}
	return nil
}
