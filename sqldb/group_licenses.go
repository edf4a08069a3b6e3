package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// Licenses by group (SPEC §12). A group linked to an admin-managed
// subscription gives its members the subscription's licenses while there
// are free ones (via_group marks those), in the order of their names, and
// takes them back when they leave the group or it is unlinked.
// syncGroupLicenses does both for one subscription, in the transaction of
// whatever changed it: the link, the group's members (SCIM), a person's
// status, the subscription's licenses. It first takes the subscription's
// row, as every change of its seats does, so that group changes, seat
// changes and assignments by hand wait for each other and none of them
// together pass quantity, on either engine and across processes.

// LinkGroup links the directory group to an admin-managed subscription of
// the admin's tenant (replacing the group linked before, whose licenses go)
// and gives the members theirs. Errors: Forbidden, NotFound, Invalid naming
// group_id, Conflict (self-service, or not live).
func (db *DB) LinkGroup(ctx context.Context, subID, groupID string) (*kassa.GroupLink, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.group_link"))
	if err != nil {
		return nil, err
	}
	err = db.writeKeyed(ctx, subID, func(tx *Tx) error {
		sub, err := tx.linkable(ctx, a, subID)
		if err != nil {
			return err
		}
		// The group's row is taken first, as DeleteGroup and UpdateGroup
		// take it before reading its links: a group deleted meanwhile is
		// unknown here, never a link to a group that is gone (a foreign
		// key's error on PostgreSQL), and a deletion that waited for this
		// link takes back what it gave.
		var name string
		err = tx.QueryRowContext(ctx, `UPDATE directory_groups SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2
			RETURNING display_name`, groupID, a.Tenant.ID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.InvalidE("group_id", "error.group_link.unknown")
		} else if err != nil {
			return fmt.Errorf("find group %s: %w", groupID, err)
		}
		var before string
		if err := tx.QueryRowContext(ctx, `SELECT group_id FROM group_licenses WHERE subscription_id = $1`, subID).
			Scan(&before); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find link of %s: %w", subID, err)
		}
		if before == groupID {
			return tx.syncGroupLicenses(ctx, sub.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_licenses WHERE subscription_id = $1`, subID); err != nil {
			return fmt.Errorf("unlink %s: %w", subID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_licenses (subscription_id, tenant_id, group_id, linked_by, linked_at)
			VALUES ($1, $2, $3, $4, $5)`, subID, a.Tenant.ID, groupID, a.User.ID, tx.now); err != nil {
			return fmt.Errorf("link %s: %w", subID, err)
		}
		var old any
		if before != "" {
			old = map[string]any{"group": before}
		}
		if err := tx.audit(ctx, a.Tenant.ID, "subscription.group_linked", "subscription", subID, old,
			map[string]any{"group": groupID, "group_name": name}); err != nil {
			return err
		}
		return tx.syncGroupLicenses(ctx, sub.ID)
	})
	if err != nil {
		return nil, err
	}
	return db.FindGroupLink(ctx, subID)
}

// UnlinkGroup unlinks the group of a subscription of the admin's tenant:
// the licenses it gave go, those assigned by hand stay. Errors: Forbidden,
// NotFound (no such subscription, or no group linked).
func (db *DB) UnlinkGroup(ctx context.Context, subID string) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.group_link"))
	if err != nil {
		return err
	}
	return db.writeKeyed(ctx, subID, func(tx *Tx) error {
		var groupID string
		err := tx.QueryRowContext(ctx, `DELETE FROM group_licenses WHERE subscription_id = $1 AND tenant_id = $2 RETURNING group_id`,
			subID, a.Tenant.ID).Scan(&groupID)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.group_link.none")
		} else if err != nil {
			return fmt.Errorf("unlink %s: %w", subID, err)
		}
		if err := tx.audit(ctx, a.Tenant.ID, "subscription.group_unlinked", "subscription", subID,
			map[string]any{"group": groupID}, nil); err != nil {
			return err
		}
		return tx.syncGroupLicenses(ctx, subID)
	})
}

// linkable reads a subscription of a's tenant a group may be linked to:
// admin-managed and live. Errors: NotFound, Conflict.
func (tx *Tx) linkable(ctx context.Context, a *kassa.Actor, subID string) (*kassa.Subscription, error) {
	sub, err := findSubscriptionTx(ctx, tx, subID)
	if kassa.ErrorCode(err) == kassa.NotFound || err == nil && (sub.TenantID != a.Tenant.ID || sub.Status == kassa.StatusPending) {
		return nil, kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", subID)
	} else if err != nil {
		return nil, err
	}
	if sub.Channel != kassa.AdminManaged {
		return nil, kassa.E(kassa.Conflict, "error.group_link.self_service")
	}
	if !sub.Status.Live() {
		return nil, kassa.E(kassa.Conflict, "error.group_link.status", "Status", sub.Status)
	}
	return sub, nil
}

// FindGroupLink returns the group linked to a subscription of the
// actor's tenant, with how many members are licensed and waiting.
// Errors: NotFound (no group linked).
func (db *DB) FindGroupLink(ctx context.Context, subID string) (*kassa.GroupLink, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	l := &kassa.GroupLink{SubscriptionID: subID}
	err = db.readRow(ctx, func(r row) error {
		return r.Scan(&l.GroupID, &l.GroupName, &l.LinkedBy, &l.LinkedAt, &l.Licensed, &l.Waiting)
	}, `
		SELECT g.group_id, d.display_name, g.linked_by, g.linked_at,
			(SELECT COUNT(*) FROM directory_group_members m JOIN licenses l ON l.subscription_id = g.subscription_id
				AND l.user_id = m.user_id WHERE m.group_id = g.group_id),
			(SELECT COUNT(*) FROM directory_group_members m WHERE m.group_id = g.group_id
				AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = g.subscription_id AND l.user_id = m.user_id))
		FROM group_licenses g JOIN directory_groups d ON d.id = g.group_id
		WHERE g.subscription_id = $1 AND g.tenant_id = $2`, subID, a.Tenant.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.group_link.none")
	} else if err != nil {
		return nil, fmt.Errorf("find link of %s: %w", subID, err)
	}
	l.LinkedAt = l.LinkedAt.UTC()
	return l, nil
}

// FindGroupMembers returns up to limit members of the group linked to a
// subscription of the actor's tenant, in the order of their names after
// the member after ("" from the first), each licensed or why not; waiting
// only leaves out those licensed. Errors: NotFound (no group linked).
func (db *DB) FindGroupMembers(ctx context.Context, subID, after string, limit int, waiting bool) ([]kassa.GroupMember, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var groupID string
	err = db.readRow(ctx, func(r row) error { return r.Scan(&groupID) },
		`SELECT group_id FROM group_licenses WHERE subscription_id = $1 AND tenant_id = $2`, subID, a.Tenant.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.group_link.none")
	} else if err != nil {
		return nil, fmt.Errorf("find link of %s: %w", subID, err)
	}
	q := `SELECT u.id, u.name, u.email, u.type, u.status,
			EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $2 AND l.user_id = u.id) AS held
		FROM directory_group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1 AND (u.name, u.id) > ($3, $4)`
	args := []any{groupID, subID, "", ""}
	if after != "" {
		var name string
		if err := db.readRow(ctx, func(r row) error { return r.Scan(&name) }, `SELECT name FROM users WHERE id = $1`, after); err == nil {
			args[2], args[3] = name, after
		}
	}
	if waiting {
		q += ` AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $2 AND l.user_id = u.id)`
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+fmt.Sprintf(` ORDER BY u.name, u.id LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("find members of %s: %w", groupID, err)
	}
	defer rows.Close()
	var out []kassa.GroupMember
	for rows.Next() {
		var m kassa.GroupMember
		var typ kassa.UserType
		var status kassa.UserStatus
		var held bool
		if err := rows.Scan(&m.ID, &m.Name, &m.Email, &typ, &status, &held); err != nil {
			return nil, fmt.Errorf("find members of %s: %w", groupID, err)
		}
		m.State = memberState(held, typ, status)
		out = append(out, m)
	}
	return out, rows.Err()
}

// memberState is a linked group's member's state.
func memberState(held bool, typ kassa.UserType, status kassa.UserStatus) kassa.MemberState {
	switch {
	case held:
		return kassa.MemberLicensed
	case status != kassa.Active:
		return kassa.MemberDisabled
	case typ != kassa.Member:
		return kassa.MemberGuest
	}
	return kassa.MemberNoFreeLicense
}

// syncGroupLicenses brings the licenses of a subscription in line with the
// group linked to it: the licenses the group gave to people no longer in
// it (or to anyone, once unlinked) go, and members who may hold a license
// get the free ones, in the order of their names. It takes the
// subscription's row first (see above).
func (tx *Tx) syncGroupLicenses(ctx context.Context, subID string) error {
	var tenantID string
	var free int
	var live bool
	err := tx.QueryRowContext(ctx, `
		UPDATE subscriptions SET updated_at = updated_at WHERE id = $1
		RETURNING tenant_id, quantity - assigned, `+liveStatus, subID).Scan(&tenantID, &free, &live)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("take %s: %w", subID, err)
	}
	gone, err := queryStrings(ctx, tx, `
		DELETE FROM licenses WHERE subscription_id = $1 AND via_group AND NOT EXISTS (
			SELECT 1 FROM group_licenses g JOIN directory_group_members m ON m.group_id = g.group_id
			WHERE g.subscription_id = licenses.subscription_id AND m.user_id = licenses.user_id)
		RETURNING user_id`, subID)
	if err != nil {
		return fmt.Errorf("take back group licenses of %s: %w", subID, err)
	}
	if len(gone) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned - $2 WHERE id = $1`, subID, len(gone)); err != nil {
			return fmt.Errorf("count licenses of %s: %w", subID, err)
		}
		free += len(gone)
		if err := tx.audit(ctx, tenantID, "license.unassigned", "subscription", subID,
			map[string]any{"user_ids": gone, "reason": "group"}, nil); err != nil {
			return err
		}
	}
	if !live || free <= 0 {
		return nil
	}
	var linkedBy string
	err = tx.QueryRowContext(ctx, `SELECT linked_by FROM group_licenses WHERE subscription_id = $1`, subID).Scan(&linkedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("find link of %s: %w", subID, err)
	}
	waiting, names, err := queryPairs(ctx, tx, `
		SELECT u.id, u.name FROM group_licenses g JOIN directory_group_members m ON m.group_id = g.group_id
		JOIN users u ON u.id = m.user_id
		WHERE g.subscription_id = $1 AND `+licenseHolder+`
			AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $1 AND l.user_id = u.id)
		ORDER BY u.name, u.id LIMIT `+fmt.Sprint(free), subID)
	if err != nil {
		return fmt.Errorf("find waiting members of %s: %w", subID, err)
	}
	if len(waiting) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned + $2 WHERE id = $1 AND assigned + $2 <= quantity`,
		subID, len(waiting))
	if err != nil {
		return fmt.Errorf("count licenses of %s: %w", subID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // cannot be: the row is held since the count was read
	}
	rows := make([][]any, len(waiting))
	for i, id := range waiting {
		rows[i] = []any{subID, id, tenantID, tx.now, linkedBy, true, names[i]}
	}
	if err := tx.insertRows(ctx, "licenses", []string{"subscription_id", "user_id", "tenant_id", "assigned_at", "assigned_by", "via_group", "holder_name"},
		rows); err != nil {
		return fmt.Errorf("give group licenses of %s: %w", subID, err)
	}
	return tx.audit(ctx, tenantID, "license.assigned", "subscription", subID, nil,
		map[string]any{"user_ids": waiting, "reason": "group"})
}

// syncLinks syncs the subscriptions with a group linked that the rest of
// the query on group_licenses g (joins and a WHERE) finds, in the order of
// their ids.
func (tx *Tx) syncLinks(ctx context.Context, rest string, args ...any) error {
	subs, err := queryStrings(ctx, tx, `SELECT g.subscription_id FROM group_licenses g `+rest+` ORDER BY g.subscription_id`, args...)
	if err != nil {
		return fmt.Errorf("find group links: %w", err)
	}
	return tx.syncAll(ctx, subs)
}

// syncLinkedTo syncs the subscriptions the group is linked to.
func (tx *Tx) syncLinkedTo(ctx context.Context, groupID string) error {
	return tx.syncLinks(ctx, `WHERE g.group_id = $1`, groupID)
}

// syncMemberOf syncs the subscriptions linked to the groups the user is in:
// after their status or type changed.
func (tx *Tx) syncMemberOf(ctx context.Context, userID string) error {
	return tx.syncLinks(ctx, `JOIN directory_group_members m ON m.group_id = g.group_id WHERE m.user_id = $1`, userID)
}

// syncLinked syncs the subscriptions among subIDs that have a group linked.
func (tx *Tx) syncLinked(ctx context.Context, subIDs ...string) error {
	if len(subIDs) == 0 {
		return nil
	}
	args := make([]any, len(subIDs))
	for i, id := range subIDs {
		args[i] = id
	}
	return tx.syncLinks(ctx, `WHERE g.subscription_id IN (`+marks(1, len(args))+`)`, args...)
}

// syncAll syncs each subscription, in the order given (sorted by their
// callers, so that two transactions take the rows in the same order).
func (tx *Tx) syncAll(ctx context.Context, subs []string) error {
	for _, s := range subs {
		if err := tx.syncGroupLicenses(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// queryStrings returns the first column of the rows a query returns.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// queryPairs runs a query of two text columns and returns each column's
// values.
func queryPairs(ctx context.Context, q querier, query string, args ...any) (firsts, seconds []string, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, nil, err
		}
		firsts, seconds = append(firsts, a), append(seconds, b)
	}
	return firsts, seconds, rows.Err()
}
