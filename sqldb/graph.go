package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/kassa-billing/kassa"
)

// What the Graph-compatible API reads and changes (SPEC §9), for an app of
// a tenant: the system's view of that one tenant, given by the caller.

// SKU is a product the tenant holds subscriptions of, with their units as
// Graph counts them.
type SKU struct {
	SKUID, PartNumber string
	Enabled, Warning  int // licenses of live subscriptions: active or trialing, past due
	Suspended         int
	Consumed          int // licenses assigned
	SubscriptionIDs   []string
}

// GraphSKUs returns the products the tenant holds subscriptions of that
// have not ended, by SKU, in the order of their part numbers.
func (db *DB) GraphSKUs(ctx context.Context, tenantID string) ([]*SKU, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT p.sku_id, p.sku, s.id, s.status, s.quantity, s.assigned
		FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.tenant_id = $1 AND s.status IN ('trialing', 'active', 'past_due', 'suspended')
		ORDER BY p.sku, s.created_at, s.id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find skus: %w", err)
	}
	defer rows.Close()
	var skus []*SKU
	for rows.Next() {
		var skuID, part, subID string
		var status kassa.SubscriptionStatus
		var quantity, assigned int
		if err := rows.Scan(&skuID, &part, &subID, &status, &quantity, &assigned); err != nil {
			return nil, fmt.Errorf("find skus: %w", err)
		}
		if len(skus) == 0 || skus[len(skus)-1].SKUID != skuID {
			skus = append(skus, &SKU{SKUID: skuID, PartNumber: part})
		}
		k := skus[len(skus)-1]
		switch status {
		case kassa.StatusSuspended:
			k.Suspended += quantity
		case kassa.StatusPastDue:
			k.Warning += quantity
		default:
			k.Enabled += quantity
		}
		k.Consumed += assigned
		k.SubscriptionIDs = append(k.SubscriptionIDs, subID)
	}
	return skus, rows.Err()
}

// GraphUser is a user as Graph lists them: kassa's user and the SKUs and
// part numbers of the licenses they hold.
type GraphUser struct {
	kassa.User
	Licenses []GraphLicense
}

// GraphLicense is a license a user holds, by its product's SKU.
type GraphLicense struct{ SKUID, PartNumber string }

// GraphUsers returns up to limit of the tenant's users in the order of
// their ids, after the id after ("" from the first), holding a license of
// the SKU when sku is set.
func (db *DB) GraphUsers(ctx context.Context, tenantID, sku, after string, limit int) ([]*GraphUser, error) {
	q := `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND u.id > $2`
	args := []any{tenantID, after}
	if sku != "" {
		q += ` AND EXISTS (SELECT 1 FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
			JOIN products p ON p.id = s.product_id WHERE l.user_id = u.id AND p.sku_id = $3)`
		args = append(args, sku)
	}
	q += ` ORDER BY u.id LIMIT ` + strconv.Itoa(limit)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find graph users: %w", err)
	}
	var users []*GraphUser
	for rows.Next() {
		u := &GraphUser{}
		if err := scanUser(rows, &u.User); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find graph users: %w", err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return users, db.graphLicenses(ctx, tenantID, users)
}

// GraphUserByID returns the tenant's user by id or email. Errors: NotFound.
func (db *DB) GraphUserByID(ctx context.Context, tenantID, idOrEmail string) (*GraphUser, error) {
	u := &GraphUser{}
	err := scanUser(db.reader(ctx).QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u
		WHERE u.tenant_id = $1 AND (u.id = $2 OR u.email = lower($2))`, tenantID, idOrEmail), &u.User)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", idOrEmail)
	} else if err != nil {
		return nil, fmt.Errorf("find graph user: %w", err)
	}
	return u, db.graphLicenses(ctx, tenantID, []*GraphUser{u})
}

// graphLicenses reads the licenses the users hold, by SKU, once each.
func (db *DB) graphLicenses(ctx context.Context, tenantID string, users []*GraphUser) error {
	if len(users) == 0 {
		return nil
	}
	byID := map[string]*GraphUser{}
	args := []any{tenantID}
	for _, u := range users {
		byID[u.ID] = u
		args = append(args, u.ID)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT DISTINCT l.user_id, p.sku_id, p.sku FROM licenses l
		JOIN subscriptions s ON s.id = l.subscription_id JOIN products p ON p.id = s.product_id
		WHERE l.tenant_id = $1 AND l.user_id IN (`+marks(2, len(users))+`) ORDER BY l.user_id, p.sku`, args...)
	if err != nil {
		return fmt.Errorf("find graph licenses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var userID string
		var l GraphLicense
		if err := rows.Scan(&userID, &l.SKUID, &l.PartNumber); err != nil {
			return fmt.Errorf("find graph licenses: %w", err)
		}
		byID[userID].Licenses = append(byID[userID].Licenses, l)
	}
	return rows.Err()
}

// ErrNoFreeLicense is assignLicense's refusal when no admin-managed
// subscription of a SKU has a free license: its SKU in SKUID.
type ErrNoFreeLicense struct{ SKUID string }

func (e *ErrNoFreeLicense) Error() string { return "no free license of " + e.SKUID }

// ErrNoSuchLicense is assignLicense's refusal to remove a license the user
// does not hold from the admins' subscriptions.
type ErrNoSuchLicense struct{ SKUID string }

func (e *ErrNoSuchLicense) Error() string { return "the user holds no license of " + e.SKUID }

// AssignLicensesBySKU gives the user a license of each SKU of add and
// takes the one of each SKU of remove, all or nothing, in one transaction,
// from and to the tenant's admin-managed subscriptions only (self-service
// ones are their purchasers'): each license added comes from the first of
// them with a free one, decided by the same conditional update as Assign's
// (so no subscription ever holds more than it has). A SKU the user holds a
// license of already is left as it is. Errors: NotFound (no such user, or
// no such SKU), Invalid (a user who may not hold licenses),
// *ErrNoFreeLicense, *ErrNoSuchLicense.
func (db *DB) AssignLicensesBySKU(ctx context.Context, app *kassa.App, userID string, add, remove []string) error {
	return db.write(ctx, func(tx *Tx) error {
		u := &kassa.User{}
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`,
			app.TenantID, userID), u)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.user.not_found", "User", userID)
		} else if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		for _, sku := range remove {
			var subID string
			err := tx.QueryRowContext(ctx, `
				DELETE FROM licenses WHERE user_id = $2 AND subscription_id = (
					SELECT l.subscription_id FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
					JOIN products p ON p.id = s.product_id
					WHERE l.tenant_id = $1 AND l.user_id = $2 AND p.sku_id = $3 AND s.channel = 'admin' LIMIT 1)
				RETURNING subscription_id`, app.TenantID, userID, sku).Scan(&subID)
			if errors.Is(err, sql.ErrNoRows) {
				return &ErrNoSuchLicense{SKUID: sku}
			} else if err != nil {
				return fmt.Errorf("remove license of %s: %w", sku, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned - 1, updated_at = $2 WHERE id = $1`,
				subID, tx.now); err != nil {
				return fmt.Errorf("count licenses: %w", err)
			}
			if err := tx.audit(ctx, app.TenantID, "license.unassigned", "subscription", subID, map[string]any{"user_ids": []string{userID}},
				map[string]any{"app": app.Name}); err != nil {
				return err
			}
		}
		if len(add) > 0 && u.LicenseRefusal() != "" {
			return kassa.InvalidE("addLicenses", "error.graph.holder", "User", u.Name)
		}
		for _, sku := range add {
			var held, known int
			if err := tx.QueryRowContext(ctx, `
				SELECT (SELECT COUNT(*) FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
					JOIN products p ON p.id = s.product_id WHERE l.tenant_id = $1 AND l.user_id = $2 AND p.sku_id = $3),
					(SELECT COUNT(*) FROM products WHERE sku_id = $3)`, app.TenantID, userID, sku).Scan(&held, &known); err != nil {
				return fmt.Errorf("find license of %s: %w", sku, err)
			}
			if known == 0 {
				return kassa.E(kassa.NotFound, "error.graph.sku", "SKU", sku)
			}
			if held > 0 {
				continue
			}
			subID, err := tx.takeFreeLicense(ctx, app.TenantID, sku)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, assigned_by_app)
				VALUES ($1, $2, $3, $4, $5, $6)`, subID, userID, app.TenantID, tx.now, app.CreatedBy.ID, app.ID); err != nil {
				return fmt.Errorf("assign %s: %w", userID, err)
			}
			if err := tx.audit(ctx, app.TenantID, "license.assigned", "subscription", subID, nil,
				map[string]any{"user_ids": []string{userID}, "app": app.Name}); err != nil {
				return err
			}
		}
		return nil
	})
}

// takeFreeLicense counts a license more on the first admin-managed live
// subscription of the SKU that has one free, and returns it. Each step is
// one conditional update, as Assign's: a subscription another process
// filled meanwhile is passed over.
func (tx *Tx) takeFreeLicense(ctx context.Context, tenantID, sku string) (string, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT s.id FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.tenant_id = $1 AND p.sku_id = $2 AND s.channel = 'admin' AND s.`+liveStatus+` AND s.assigned < s.quantity
		ORDER BY s.created_at, s.id`, tenantID, sku)
	if err != nil {
		return "", fmt.Errorf("find free licenses: %w", err)
	}
	var candidates []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", err
		}
		candidates = append(candidates, id)
	}
	rows.Close()
	for _, id := range candidates {
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned + 1, updated_at = $2
			WHERE id = $1 AND `+liveStatus+` AND assigned + 1 <= quantity`, id, tx.now)
		if err != nil {
			return "", fmt.Errorf("count licenses: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return "", err
		} else if n == 1 {
			return id, nil
		}
	}
	return "", &ErrNoFreeLicense{SKUID: sku}
}
