package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kassa-billing/kassa"
)

// Unused licenses come back (SPEC §12). A license is idle since the latest
// of its assignment, its use an app reported (used_at, never before the
// assignment) and its holder's last sign-in.

// lastUse is when the license l of user u was last used.
const lastUse = `CASE WHEN COALESCE(u.signed_in_at, l.assigned_at) > COALESCE(l.used_at, l.assigned_at)
	THEN COALESCE(u.signed_in_at, l.assigned_at) ELSE COALESCE(l.used_at, l.assigned_at) END`

// reclaimBatch is how many licenses one write of a reclamation run warns of
// or takes back.
const reclaimBatch = 500

// FindReclaimPolicy returns the admin's tenant's policy: the days, or nil
// when licenses are not reclaimed.
func (db *DB) FindReclaimPolicy(ctx context.Context) (*int, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.reclaim"))
	if err != nil {
		return nil, err
	}
	var days int
	err = db.readRow(ctx, func(r row) error { return r.Scan(&days) }, `SELECT days FROM reclaim_policies WHERE tenant_id = $1`, a.Tenant.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find reclaim policy: %w", err)
	}
	return &days, nil
}

// SetReclaimPolicy sets the admin's tenant's policy, already checked
// (kassa.CheckReclaimDays): nil turns it off, and clears the warnings given.
func (db *DB) SetReclaimPolicy(ctx context.Context, days *int) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.reclaim"))
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		var before any
		var old int
		if err := tx.QueryRowContext(ctx, `SELECT days FROM reclaim_policies WHERE tenant_id = $1`, a.Tenant.ID).Scan(&old); err == nil {
			before = map[string]any{"days": old}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find reclaim policy: %w", err)
		}
		var after any
		if days == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM reclaim_policies WHERE tenant_id = $1`, a.Tenant.ID); err != nil {
				return fmt.Errorf("turn reclaiming off: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE licenses SET reclaim_warned_at = NULL
				WHERE tenant_id = $1 AND reclaim_warned_at IS NOT NULL`, a.Tenant.ID); err != nil {
				return fmt.Errorf("clear warnings: %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `INSERT INTO reclaim_policies (tenant_id, days, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (tenant_id) DO UPDATE SET days = $2, updated_at = $3`, a.Tenant.ID, *days, tx.now); err != nil {
				return fmt.Errorf("set reclaim policy: %w", err)
			}
			after = map[string]any{"days": *days}
		}
		return tx.audit(ctx, a.Tenant.ID, "reclaim_policy.updated", "tenant", a.Tenant.ID, before, after)
	})
}

// recordSignIn notes that the user signed in: their licenses count as used,
// and warnings of their reclaiming no longer hold.
func (tx *Tx) recordSignIn(ctx context.Context, userID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET signed_in_at = $2 WHERE id = $1`, userID, tx.now); err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	// By tenant and user, as the licenses' index has them.
	if _, err := tx.ExecContext(ctx, `UPDATE licenses SET reclaim_warned_at = NULL
		WHERE tenant_id = (SELECT tenant_id FROM users WHERE id = $1) AND user_id = $1 AND reclaim_warned_at IS NOT NULL`,
		userID); err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// RecordLicenseActivity records an app's report that the user of the
// tenant used their license of the SKU at at (which the caller checked is
// not in the future): it is used, and no longer warned of. Errors: Invalid
// naming user_id (no such user, or no license of the SKU) or sku_id.
func (db *DB) RecordLicenseActivity(ctx context.Context, tenantID, userID, skuID string, at time.Time) error {
	at = at.UTC()
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE licenses SET used_at = $4, reclaim_warned_at = NULL
			WHERE tenant_id = $1 AND user_id = $2 AND $4 > COALESCE(used_at, assigned_at) AND subscription_id IN (
				SELECT s.id FROM subscriptions s JOIN products p ON p.id = s.product_id
				WHERE s.tenant_id = $1 AND p.sku_id = $3)`, tenantID, userID, skuID, at)
		if err != nil {
			return fmt.Errorf("record license activity: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		// Nothing changed: a use no later than the one known, or a wrong
		// user or SKU.
		var users, skus, held int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id = $2),
			(SELECT COUNT(*) FROM products WHERE sku_id = $3),
			(SELECT COUNT(*) FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id JOIN products p ON p.id = s.product_id
				WHERE l.tenant_id = $1 AND l.user_id = $2 AND p.sku_id = $3)`, tenantID, userID, skuID).Scan(&users, &skus, &held); err != nil {
			return fmt.Errorf("record license activity: %w", err)
		}
		switch {
		case users == 0:
			return kassa.InvalidE("user_id", "error.activity.user")
		case skus == 0:
			return kassa.InvalidE("sku_id", "error.activity.sku")
		case held == 0:
			return kassa.InvalidE("user_id", "error.activity.no_license")
		}
		return nil
	})
}

// FindIdleLicenses returns, for the admin's tenant, up to limit licenses of
// live subscriptions not used for at least days days, the longest idle
// first after the first offset, with how many there are in all and what
// they all cost a month.
func (db *DB) FindIdleLicenses(ctx context.Context, days, offset, limit int) ([]kassa.IdleLicense, int, kassa.Money, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.reclaim"))
	if err != nil {
		return nil, 0, kassa.Money{}, err
	}
	now := db.Now()
	cutoff := now.AddDate(0, 0, -days)
	total := kassa.Money{Currency: a.Tenant.Currency}
	from := ` FROM licenses l JOIN users u ON u.id = l.user_id JOIN subscriptions s ON s.id = l.subscription_id
		WHERE l.tenant_id = $1 AND s.` + liveStatus + ` AND ` + lastUse + ` <= $2`
	var n int
	err = db.readRow(ctx, func(r row) error { return r.Scan(&n, &total.Amount) }, `
		SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.term = 'annual' THEN (s.unit_amount * 2 + 12) / 24 ELSE s.unit_amount END), 0)`+from,
		a.Tenant.ID, cutoff)
	if err != nil {
		return nil, 0, total, fmt.Errorf("count idle licenses: %w", err)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT l.user_id, u.name, u.email, l.subscription_id, p.name_en, p.name_sv, p.name_de, s.term, s.unit_amount, s.currency,
			l.assigned_at, l.used_at, u.signed_in_at, l.via_group, l.reclaim_warned_at`+
		` FROM licenses l JOIN users u ON u.id = l.user_id JOIN subscriptions s ON s.id = l.subscription_id
			JOIN products p ON p.id = s.product_id
		WHERE l.tenant_id = $1 AND s.`+liveStatus+` AND `+lastUse+` <= $2
		ORDER BY `+lastUse+`, l.subscription_id, l.user_id LIMIT $3 OFFSET $4`, a.Tenant.ID, cutoff, limit, offset)
	if err != nil {
		return nil, 0, total, fmt.Errorf("find idle licenses: %w", err)
	}
	defer rows.Close()
	var out []kassa.IdleLicense
	for rows.Next() {
		var il kassa.IdleLicense
		var term kassa.Term
		var price kassa.Money
		var assigned time.Time
		var used, signedIn, warned sql.NullTime
		if err := rows.Scan(&il.UserID, &il.UserName, &il.UserEmail, &il.SubscriptionID, &il.Product.En, &il.Product.Sv, &il.Product.De,
			&term, &price.Amount, &price.Currency, &assigned, &used, &signedIn, &il.ViaGroup, &warned); err != nil {
			return nil, 0, total, fmt.Errorf("find idle licenses: %w", err)
		}
		il.LastUsedAt = assigned.UTC()
		for _, t := range []sql.NullTime{used, signedIn} {
			if t.Valid && t.Time.After(il.LastUsedAt) {
				il.LastUsedAt = t.Time.UTC()
			}
		}
		il.IdleDays = int(now.Sub(il.LastUsedAt) / (24 * time.Hour))
		il.MonthlyCost = kassa.MonthlyCost(price, term)
		if warned.Valid {
			w := warned.Time.UTC()
			il.WarnedAt = &w
		}
		out = append(out, il)
	}
	return out, n, total, rows.Err()
}

// ReclaimIdle runs every tenant's reclaim policy at now (the system's view,
// for the billing clock): it warns the holders (and, of a self-service
// subscription, its purchaser) of licenses idle for days-7 days, and takes
// back those idle for days whose warning went out at least 7 days before,
// with the reason in the audit log; their seats go to linked groups'
// waiting members. Licenses a group gave are never reclaimed. It returns
// how many licenses it warned of and took back.
func (db *DB) ReclaimIdle(ctx context.Context, now time.Time) (warned, reclaimed int, err error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT tenant_id, days FROM reclaim_policies ORDER BY tenant_id`)
	if err != nil {
		return 0, 0, fmt.Errorf("find reclaim policies: %w", err)
	}
	type policy struct {
		tenant string
		days   int
	}
	var policies []policy
	for rows.Next() {
		var p policy
		if err := rows.Scan(&p.tenant, &p.days); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("find reclaim policies: %w", err)
		}
		policies = append(policies, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	for _, p := range policies {
		idleFor := func(days int) time.Time { return now.AddDate(0, 0, -days) }
		n, err := db.reclaimPass(ctx, p.tenant, `l.reclaim_warned_at IS NULL`, idleFor(p.days-kassa.ReclaimWarnDays), time.Time{},
			func(batch map[string][]string) (int, error) { return db.warnIdle(ctx, p.days, now, batch) })
		warned += n
		if err != nil {
			return warned, reclaimed, err
		}
		n, err = db.reclaimPass(ctx, p.tenant, `l.reclaim_warned_at <= $5`, idleFor(p.days), idleFor(kassa.ReclaimWarnDays),
			func(batch map[string][]string) (int, error) {
				return db.takeBackIdle(ctx, p.tenant, p.days, now, batch)
			})
		reclaimed += n
		if err != nil {
			return warned, reclaimed, err
		}
	}
	return warned, reclaimed, nil
}

// reclaimPass walks the licenses of the tenant's live subscriptions once,
// each subscription's in the order of its key, and hands do the ones not
// given by a group, idle since before idleSince and matching cond ($5 is
// warnedBefore), reclaimBatch at a time. It returns what do counted.
func (db *DB) reclaimPass(ctx context.Context, tenantID, cond string, idleSince, warnedBefore time.Time,
	do func(batch map[string][]string) (int, error)) (int, error) {
	subs, err := queryStrings(ctx, db.reader(ctx), `SELECT id FROM subscriptions WHERE tenant_id = $1 AND `+liveStatus+`
		AND assigned > 0 ORDER BY id`, tenantID)
	if err != nil {
		return 0, fmt.Errorf("find subscriptions to reclaim from: %w", err)
	}
	done, size := 0, 0
	batch := map[string][]string{}
	flush := func() error {
		if size == 0 {
			return nil
		}
		n, err := do(batch)
		done += n
		batch, size = map[string][]string{}, 0
		return err
	}
	for _, sub := range subs {
		for after := ""; ; {
			args := []any{sub, after, idleSince, reclaimBatch - size}
			if !warnedBefore.IsZero() {
				args = append(args, warnedBefore)
			}
			users, err := queryStrings(ctx, db.reader(ctx), `
				SELECT l.user_id FROM licenses l JOIN users u ON u.id = l.user_id
				WHERE l.subscription_id = $1 AND l.user_id > $2 AND NOT l.via_group AND `+cond+` AND `+lastUse+` <= $3
				ORDER BY l.user_id LIMIT $4`, args...)
			if err != nil {
				return done, fmt.Errorf("find idle licenses: %w", err)
			}
			if len(users) == 0 {
				break
			}
			batch[sub] = append(batch[sub], users...)
			size += len(users)
			if size == reclaimBatch {
				after = users[len(users)-1]
				if err := flush(); err != nil {
					return done, err
				}
				continue
			}
			break
		}
	}
	return done, flush()
}

// subsOf returns the subscriptions of a batch, sorted.
func subsOf(batch map[string][]string) []string {
	subs := make([]string, 0, len(batch))
	for s := range batch {
		subs = append(subs, s)
	}
	slices.Sort(subs)
	return subs
}

// warnIdle marks the batch's licenses warned and tells their holders (and
// a self-service subscription's purchaser) when they go, in one write.
func (db *DB) warnIdle(ctx context.Context, days int, now time.Time, batch map[string][]string) (int, error) {
	warned := 0
	err := db.writeSized(ctx, reclaimBatch, func(tx *Tx) error {
		warned = 0
		for _, subID := range subsOf(batch) {
			users := batch[subID]
			args := []any{subID, now}
			for _, u := range users {
				args = append(args, u)
			}
			ids, err := queryStrings(ctx, tx, `UPDATE licenses SET reclaim_warned_at = $2
				WHERE subscription_id = $1 AND reclaim_warned_at IS NULL AND user_id IN (`+marks(3, len(users))+`) RETURNING user_id`, args...)
			if err != nil {
				return fmt.Errorf("warn of idle licenses: %w", err)
			}
			if err := tx.tellIdle(ctx, kassa.NotifyReclaimWarning, subID, ids, days, now.AddDate(0, 0, kassa.ReclaimWarnDays)); err != nil {
				return err
			}
			warned += len(ids)
		}
		return nil
	})
	return warned, err
}

// takeBackIdle unassigns the batch's licenses, still warned, in one write:
// the seats come free (to a linked group's waiting members), the audit log
// says why, and holders and purchasers are told.
func (db *DB) takeBackIdle(ctx context.Context, tenantID string, days int, now time.Time, batch map[string][]string) (int, error) {
	taken := 0
	err := db.writeSized(ctx, reclaimBatch, func(tx *Tx) error {
		taken = 0
		for _, subID := range subsOf(batch) {
			users := batch[subID]
			args := []any{subID}
			for _, u := range users {
				args = append(args, u)
			}
			ids, err := queryStrings(ctx, tx, `DELETE FROM licenses WHERE subscription_id = $1 AND reclaim_warned_at IS NOT NULL
				AND NOT via_group AND user_id IN (`+marks(2, len(users))+`) RETURNING user_id`, args...)
			if err != nil {
				return fmt.Errorf("reclaim licenses: %w", err)
			}
			if len(ids) == 0 {
				continue
			}
			slices.Sort(ids)
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned - $2, updated_at = $3 WHERE id = $1`,
				subID, len(ids), tx.now); err != nil {
				return fmt.Errorf("count licenses of %s: %w", subID, err)
			}
			if err := tx.audit(ctx, tenantID, "license.reclaimed", "subscription", subID,
				map[string]any{"user_ids": ids}, map[string]any{"reason": "unused", "days": days}); err != nil {
				return err
			}
			if err := tx.tellIdle(ctx, kassa.NotifyReclaimed, subID, ids, days, now); err != nil {
				return err
			}
			if err := tx.syncLinked(ctx, subID); err != nil {
				return err
			}
			taken += len(ids)
		}
		return nil
	})
	return taken, err
}

// tellIdle tells each holder of the subscription's licenses named, and the
// purchaser of a self-service subscription, of a warning or a reclaiming.
func (tx *Tx) tellIdle(ctx context.Context, kind kassa.NotificationKind, subID string, holders []string, days int, when time.Time) error {
	if len(holders) == 0 {
		return nil
	}
	sub, err := findSubscriptionTx(ctx, tx, subID)
	if err != nil {
		return err
	}
	args := []any{sub.TenantID}
	for _, h := range holders {
		args = append(args, h)
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.name, u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.status = 'active' AND u.id IN (`+marks(2, len(holders))+`) ORDER BY u.id`, args...)
	if err != nil {
		return fmt.Errorf("find holders: %w", err)
	}
	type holder struct{ id, name, email, locale string }
	var hs []holder
	for rows.Next() {
		var h holder
		if err := rows.Scan(&h.id, &h.name, &h.email, &h.locale); err != nil {
			rows.Close()
			return fmt.Errorf("find holders: %w", err)
		}
		hs = append(hs, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var purchaser struct{ email, locale string }
	if sub.Channel == kassa.SelfService {
		if err := tx.QueryRowContext(ctx, `SELECT u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
			WHERE u.id = $1 AND u.status = 'active'`, sub.PurchaserID).Scan(&purchaser.email, &purchaser.locale); err != nil &&
			!errors.Is(err, sql.ErrNoRows) { // a disabled purchaser reads no mail
			return fmt.Errorf("find purchaser: %w", err)
		}
	}
	var ns []*kassa.Notification
	for _, h := range hs {
		data := notificationData(sub, "")
		data.HolderName, data.EndsAt, data.IdleDays = h.name, when, days
		ns = append(ns, &kassa.Notification{TenantID: sub.TenantID, Kind: kind, RecipientID: h.id, To: h.email,
			Locale: h.locale, Data: data})
		if purchaser.email != "" && h.id != sub.PurchaserID {
			data.ForPurchaser = true
			ns = append(ns, &kassa.Notification{TenantID: sub.TenantID, Kind: kind, RecipientID: sub.PurchaserID,
				To: purchaser.email, Locale: purchaser.locale, Data: data})
		}
	}
	if len(ns) == 0 {
		return nil
	}
	return tx.enqueueAll(ctx, ns)
}
