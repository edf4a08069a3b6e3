package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// States are Graph's licenseAssignmentStates, read for one user only
	// (GraphLicenseStates): nil elsewhere.
	States []GraphLicenseState
}

// GraphLicenseState is how a user came by a license of a SKU, or why a
// group linked to a subscription of it has not given them one: Graph's
// licenseAssignmentState.
type GraphLicenseState struct {
	SKUID   string
	GroupID string // the group that gave it, "" when assigned directly
	State   string // "Active", or "Error" while the group cannot give it
	Error   string // "None", "CountViolation" (no free license) or "Other" (guests, disabled accounts)
	Updated time.Time
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

// userByIDOrEmail finds the tenant's ($1) user by id or email ($2), each
// by its own index.
const userByIDOrEmail = `u.tenant_id = $1 AND u.id = (SELECT x.id FROM users x WHERE x.id = $2
	UNION ALL SELECT x.id FROM users x WHERE x.email = lower($2) LIMIT 1)`

// GraphUserByID returns the tenant's user by id or email. Errors: NotFound.
func (db *DB) GraphUserByID(ctx context.Context, tenantID, idOrEmail string) (*GraphUser, error) {
	if !strings.Contains(idOrEmail, "@") {
		return db.graphUserWithLicenses(ctx, tenantID, idOrEmail)
	}
	u := &GraphUser{}
	err := scanUser(db.reader(ctx).QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+userByIDOrEmail,
		tenantID, idOrEmail), &u.User)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", idOrEmail)
	} else if err != nil {
		return nil, fmt.Errorf("find graph user: %w", err)
	}
	return u, db.graphLicenses(ctx, tenantID, []*GraphUser{u})
}

// graphUserWithLicenses reads the tenant's user by id and the licenses
// they hold, in one query. Errors: NotFound.
func (db *DB) graphUserWithLicenses(ctx context.Context, tenantID, id string) (*GraphUser, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT DISTINCT `+userColumns+`, p.sku_id, p.sku FROM users u
		LEFT JOIN licenses l ON l.tenant_id = u.tenant_id AND l.user_id = u.id
		LEFT JOIN subscriptions s ON s.id = l.subscription_id LEFT JOIN products p ON p.id = s.product_id
		WHERE u.tenant_id = $1 AND u.id = $2 ORDER BY p.sku`, tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("find graph user: %w", err)
	}
	defer rows.Close()
	var u *GraphUser
	for rows.Next() {
		var x kassa.User
		var skuID, part sql.NullString
		if err := rows.Scan(&x.ID, &x.TenantID, &x.Name, &x.Email, &x.Type, &x.Status, &x.Role, &x.CreatedAt, &skuID, &part); err != nil {
			return nil, fmt.Errorf("find graph user: %w", err)
		}
		if u == nil {
			x.CreatedAt = x.CreatedAt.UTC()
			u = &GraphUser{User: x}
		}
		if skuID.Valid {
			u.Licenses = append(u.Licenses, GraphLicense{SKUID: skuID.String, PartNumber: part.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find graph user: %w", err)
	}
	if u == nil {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", id)
	}
	return u, nil
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

// GraphLicenseStates reads the licenseAssignmentStates of u, a user of the
// tenant: each license they hold, directly or by a group, and each linked
// group they are in whose subscription has given them none.
func (db *DB) GraphLicenseStates(ctx context.Context, tenantID string, u *GraphUser) error {
	u.States = []GraphLicenseState{}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT p.sku_id, CASE WHEN l.via_group THEN COALESCE(g.group_id, '') ELSE '' END, l.assigned_at
		FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id JOIN products p ON p.id = s.product_id
		LEFT JOIN group_licenses g ON g.subscription_id = l.subscription_id
		WHERE l.tenant_id = $1 AND l.user_id = $2 ORDER BY p.sku, l.assigned_at`, tenantID, u.ID)
	if err != nil {
		return fmt.Errorf("find license states: %w", err)
	}
	for rows.Next() {
		st := GraphLicenseState{State: "Active", Error: "None"}
		if err := rows.Scan(&st.SKUID, &st.GroupID, &st.Updated); err != nil {
			rows.Close()
			return fmt.Errorf("find license states: %w", err)
		}
		u.States = append(u.States, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find license states: %w", err)
	}
	rows, err = db.reader(ctx).QueryContext(ctx, `
		SELECT p.sku_id, g.group_id, g.linked_at FROM group_licenses g
		JOIN directory_group_members m ON m.group_id = g.group_id
		JOIN subscriptions s ON s.id = g.subscription_id JOIN products p ON p.id = s.product_id
		WHERE g.tenant_id = $1 AND m.user_id = $2 AND s.`+liveStatus+`
			AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = g.subscription_id AND l.user_id = m.user_id)
		ORDER BY p.sku, g.linked_at`, tenantID, u.ID)
	if err != nil {
		return fmt.Errorf("find license states: %w", err)
	}
	defer rows.Close()
	reason := "CountViolation"
	if !u.CanHoldLicense() {
		reason = "Other"
	}
	for rows.Next() {
		st := GraphLicenseState{State: "Error", Error: reason}
		if err := rows.Scan(&st.SKUID, &st.GroupID, &st.Updated); err != nil {
			return fmt.Errorf("find license states: %w", err)
		}
		u.States = append(u.States, st)
	}
	return rows.Err()
}

// ErrNoFreeLicense is assignLicense's refusal when no admin-managed
// subscription of a SKU has a free license: its SKU in SKUID.
type ErrNoFreeLicense struct{ SKUID string }

func (e *ErrNoFreeLicense) Error() string { return "no free license of " + e.SKUID }

// ErrNoSuchLicense is assignLicense's refusal to remove a license the user
// does not hold from the admins' subscriptions.
// ViaGroup says the user holds one, given by a linked group: it goes when
// they leave the group or the group is unlinked, never on its own (as in
// Entra ID, whose group-based licenses cannot be removed from the user).
type ErrNoSuchLicense struct {
	SKUID    string
	ViaGroup bool
}

func (e *ErrNoSuchLicense) Error() string {
	if e.ViaGroup {
		return "the user's license of " + e.SKUID + " is a group's"
	}
	return "the user holds no license of " + e.SKUID
}

// AssignLicensesBySKU gives the user a license of each SKU of add and
// takes the one of each SKU of remove, all or nothing, in one transaction,
// from and to the tenant's admin-managed subscriptions only (self-service
// ones are their purchasers'): each license added comes from the first of
// them with a free one, decided by the same conditional update as Assign's
// (so no subscription ever holds more than it has). A SKU the user holds a
// license of already is left as it is. Errors: NotFound (no such user, or
// no such SKU), Invalid (a user who may not hold licenses),
// *ErrNoFreeLicense, *ErrNoSuchLicense.
func (db *DB) AssignLicensesBySKU(ctx context.Context, app *kassa.App, idOrEmail string, add, remove []string) (userID string, err error) {
	// Calls for one SKU change the same subscriptions' rows: one committer
	// takes them all, so that they share groups rather than wait for each
	// other's locks (as Assign's for one subscription).
	key := app.TenantID
	if skus := append(slices.Clone(add), remove...); len(skus) > 0 {
		key += " " + skus[0]
	}
	err = db.writeKeyed(ctx, key, func(tx *Tx) error {
		// The common call, one license for a user named by id, is one
		// statement on PostgreSQL (a round trip each costs there); when it
		// gives none, the steps below find out why.
		if db.dialect == Postgres && len(add) == 1 && len(remove) == 0 && !strings.Contains(idOrEmail, "@") {
			if subID, err := tx.assignOneBySKU(ctx, app, idOrEmail, add[0]); err != nil || subID != "" {
				userID = idOrEmail
				return err
			}
		}
		u := &kassa.User{}
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+userByIDOrEmail,
			app.TenantID, idOrEmail), u)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.user.not_found", "User", idOrEmail)
		} else if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		userID = u.ID
		for _, sku := range remove {
			var subID string
			err := tx.QueryRowContext(ctx, `
				DELETE FROM licenses WHERE user_id = $2 AND subscription_id = (
					SELECT l.subscription_id FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
					JOIN products p ON p.id = s.product_id
					WHERE l.tenant_id = $1 AND l.user_id = $2 AND p.sku_id = $3 AND s.channel = 'admin'
						AND NOT l.via_group LIMIT 1) -- a group's license goes through the group, as in Entra
				RETURNING subscription_id`, app.TenantID, userID, sku).Scan(&subID)
			if errors.Is(err, sql.ErrNoRows) {
				e := &ErrNoSuchLicense{SKUID: sku}
				if err := tx.QueryRowContext(ctx, `
					SELECT EXISTS (SELECT 1 FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
						JOIN products p ON p.id = s.product_id
						WHERE l.tenant_id = $1 AND l.user_id = $2 AND p.sku_id = $3 AND l.via_group)`,
					app.TenantID, userID, sku).Scan(&e.ViaGroup); err != nil {
					return fmt.Errorf("find group license of %s: %w", sku, err)
				}
				return e
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
			if err := tx.syncLinked(ctx, subID); err != nil {
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
				INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, assigned_by_app, holder_name)
				VALUES ($1, $2, $3, $4, $5, $6, (SELECT u.name FROM users u WHERE u.id = $2))`, subID, userID, app.TenantID, tx.now, app.CreatedBy.ID, app.ID); err != nil {
				return fmt.Errorf("assign %s: %w", userID, err)
			}
			if err := tx.audit(ctx, app.TenantID, "license.assigned", "subscription", subID, nil,
				map[string]any{"user_ids": []string{userID}, "app": app.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	return userID, err
}

// assignOneBySKU gives the user a license of the SKU from the first
// admin-managed subscription with a free one, in one statement, and
// returns the subscription; "" when it gave none (no such user, one who
// may not hold a license or holds one of the SKU, no free license, or the
// chosen subscription filled meanwhile).
func (tx *Tx) assignOneBySKU(ctx context.Context, app *kassa.App, userID, sku string) (string, error) {
	var subID string
	err := tx.QueryRowContext(ctx, `
		WITH p AS (SELECT id FROM products WHERE sku_id = $3),
		u AS (
			SELECT u.id, u.name FROM users u
			WHERE u.tenant_id = $1 AND u.id = $2 AND `+licenseHolder+`
				AND NOT EXISTS (SELECT 1 FROM licenses l JOIN subscriptions s ON s.id = l.subscription_id
					WHERE l.tenant_id = $1 AND l.user_id = u.id AND s.product_id = (SELECT id FROM p))
		), s AS (
			UPDATE subscriptions SET assigned = assigned + 1, updated_at = $4
			WHERE id = (SELECT x.id FROM subscriptions x
					WHERE x.tenant_id = $1 AND x.product_id = (SELECT id FROM p) AND x.channel = 'admin'
						AND x.`+liveStatus+` AND x.assigned < x.quantity
					ORDER BY x.created_at, x.id LIMIT 1)
				AND `+liveStatus+` AND assigned + 1 <= quantity AND EXISTS (SELECT 1 FROM u)
			RETURNING id
		), l AS (
			INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, assigned_by_app, holder_name)
			SELECT s.id, u.id, $1, $4, $5, $6, u.name FROM u, s
			RETURNING subscription_id
		)
		SELECT subscription_id FROM l`, app.TenantID, userID, sku, tx.now, app.CreatedBy.ID, app.ID).Scan(&subID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("assign %s: %w", userID, err)
	}
	return subID, tx.audit(ctx, app.TenantID, "license.assigned", "subscription", subID, nil,
		map[string]any{"user_ids": []string{userID}, "app": app.Name})
}

// takeFreeLicense counts a license more on the first admin-managed live
// subscription of the SKU that has one free, and returns it. Each step is
// one conditional update, as Assign's: a subscription another process
// filled meanwhile is passed over.
func (tx *Tx) takeFreeLicense(ctx context.Context, tenantID, sku string) (string, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT s.id FROM subscriptions s
		WHERE s.tenant_id = $1 AND s.product_id = (SELECT id FROM products WHERE sku_id = $2) AND s.channel = 'admin'
			AND s.`+liveStatus+` AND s.assigned < s.quantity
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
