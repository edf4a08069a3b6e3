package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// The directory's groups (SPEC §8), kept as SCIM sends them, for the
// tenant a SCIM token reached.

const groupColumns = `g.id, g.tenant_id, g.display_name, g.external_id, g.created_at, g.updated_at`

func scanGroup(r row, g *kassa.Group) error {
	err := r.Scan(&g.ID, &g.TenantID, &g.DisplayName, &g.ExternalID, &g.CreatedAt, &g.UpdatedAt)
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return err
}

// FindGroups returns the tenant's groups the filter keeps, in the order
// they were made, from offset on (at most limit), with their members when
// members is set, and how many the filter keeps in all.
func (db *DB) FindGroups(ctx context.Context, tenantID string, f kassa.GroupFilter, offset, limit int, members bool) ([]*kassa.Group, int, error) {
	where, args := []string{`g.tenant_id = $1`}, []any{tenantID}
	if f.DisplayName != nil {
		args = append(args, *f.DisplayName)
		where = append(where, `lower(g.display_name) = lower($`+strconv.Itoa(len(args))+`)`)
	}
	if f.ExternalID != nil {
		args = append(args, *f.ExternalID)
		where = append(where, `g.external_id = $`+strconv.Itoa(len(args)))
	}
	cond := strings.Join(where, " AND ")
	q := db.reader(ctx)
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM directory_groups g WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count groups: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+groupColumns+` FROM directory_groups g WHERE `+cond+
		fmt.Sprintf(` ORDER BY g.created_at, g.id LIMIT %d OFFSET %d`, limit, offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("find groups: %w", err)
	}
	groups := []*kassa.Group{}
	for rows.Next() {
		g := &kassa.Group{}
		if err := scanGroup(rows, g); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("find groups: %w", err)
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if members {
		for _, g := range groups {
			if g.Members, err = groupMembers(ctx, q, g.ID); err != nil {
				return nil, 0, err
			}
		}
	}
	return groups, total, nil
}

func groupMembers(ctx context.Context, q querier, groupID string) ([]kassa.Person, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT u.id, u.name FROM directory_group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1 ORDER BY u.name, u.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("find members of %s: %w", groupID, err)
	}
	defer rows.Close()
	members := []kassa.Person{}
	for rows.Next() {
		var p kassa.Person
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return nil, fmt.Errorf("find members of %s: %w", groupID, err)
		}
		members = append(members, p)
	}
	return members, rows.Err()
}

// FindGroup returns a group of the tenant, with its members when members
// is set. Errors: NotFound.
func (db *DB) FindGroup(ctx context.Context, tenantID, id string, members bool) (*kassa.Group, error) {
	return findGroup(ctx, db.reader(ctx), tenantID, id, members)
}

func findGroup(ctx context.Context, q querier, tenantID, id string, members bool) (*kassa.Group, error) {
	g := &kassa.Group{}
	err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM directory_groups g WHERE g.tenant_id = $1 AND g.id = $2`,
		tenantID, id), g)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.group.not_found", "Group", id)
	} else if err != nil {
		return nil, fmt.Errorf("find group %s: %w", id, err)
	}
	if members {
		if g.Members, err = groupMembers(ctx, q, id); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// CreateGroup makes a group of the tenant with the members, and fills in
// g. Errors: Invalid (the name; a member who is no user of the tenant),
// Conflict (the name is another group's).
func (db *DB) CreateGroup(ctx context.Context, tenantID string, g *kassa.Group, members []string) error {
	name, err := kassa.CheckGroupName(g.DisplayName)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		g.ID, g.TenantID, g.DisplayName, g.CreatedAt, g.UpdatedAt = newID("grp"), tenantID, name, tx.now, tx.now
		_, err := tx.ExecContext(ctx, `
			INSERT INTO directory_groups (id, tenant_id, display_name, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5)`, g.ID, tenantID, g.DisplayName, g.ExternalID, tx.now)
		if isUnique(err) {
			return groupNameTaken(name)
		} else if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		if err := tx.addMembers(ctx, tenantID, g.ID, members); err != nil {
			return err
		}
		if g.Members, err = groupMembers(ctx, tx, g.ID); err != nil {
			return err
		}
		return tx.audit(ctx, tenantID, "group.created", "group", g.ID, nil,
			map[string]any{"display_name": g.DisplayName, "members": len(g.Members)})
	})
}

func groupNameTaken(name string) error {
	return &kassa.Error{Code: kassa.Conflict, Field: "displayName", Key: "error.group.name_taken", Args: []any{"Name", name}}
}

// addMembers puts the users into the group; each must be a user of the
// tenant the directory has not deleted.
func (tx *Tx) addMembers(ctx context.Context, tenantID, groupID string, userIDs []string) error {
	for _, id := range userIDs {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO directory_group_members (group_id, user_id)
			SELECT $1, u.id FROM users u WHERE u.id = $2 AND u.tenant_id = $3 AND NOT u.scim_hidden
			ON CONFLICT DO NOTHING`, groupID, id, tenantID)
		if err != nil {
			return fmt.Errorf("add member %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var there bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM directory_group_members WHERE group_id = $1 AND user_id = $2)`,
				groupID, id).Scan(&there); err != nil {
				return fmt.Errorf("add member %s: %w", id, err)
			}
			if !there {
				return kassa.InvalidE("members", "error.group.member", "User", id)
			}
		}
	}
	return nil
}

// UpdateGroup changes a group of the tenant as change says, in one
// transaction, and returns it with its members. Members removed who are
// not in it are no error. Errors: NotFound, Invalid, Conflict (the name).
func (db *DB) UpdateGroup(ctx context.Context, tenantID, id string, change kassa.GroupChange) (*kassa.Group, error) {
	var out *kassa.Group
	err := db.write(ctx, func(tx *Tx) error {
		old, err := findGroup(ctx, tx, tenantID, id, true)
		if err != nil {
			return err
		}
		g := *old
		if change.DisplayName != nil {
			if g.DisplayName, err = kassa.CheckGroupName(*change.DisplayName); err != nil {
				return err
			}
		}
		if change.ExternalID != nil {
			g.ExternalID = *change.ExternalID
		}
		_, err = tx.ExecContext(ctx, `UPDATE directory_groups SET display_name = $2, external_id = $3, updated_at = $4 WHERE id = $1`,
			id, g.DisplayName, g.ExternalID, tx.now)
		if isUnique(err) {
			return groupNameTaken(g.DisplayName)
		} else if err != nil {
			return fmt.Errorf("update group %s: %w", id, err)
		}
		if change.Replace != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM directory_group_members WHERE group_id = $1`, id); err != nil {
				return fmt.Errorf("set members of %s: %w", id, err)
			}
			if err := tx.addMembers(ctx, tenantID, id, *change.Replace); err != nil {
				return err
			}
		}
		if err := tx.addMembers(ctx, tenantID, id, change.Add); err != nil {
			return err
		}
		for _, u := range change.Remove {
			if _, err := tx.ExecContext(ctx, `DELETE FROM directory_group_members WHERE group_id = $1 AND user_id = $2`, id, u); err != nil {
				return fmt.Errorf("remove member %s: %w", u, err)
			}
		}
		if g.Members, err = groupMembers(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.syncLinkedTo(ctx, id); err != nil {
			return err
		}
		g.UpdatedAt = tx.now
		out = &g
		return tx.audit(ctx, tenantID, "group.updated", "group", id,
			map[string]any{"display_name": old.DisplayName, "members": personIDs(old.Members)},
			map[string]any{"display_name": g.DisplayName, "members": personIDs(g.Members)})
	})
	return out, err
}

func personIDs(ps []kassa.Person) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	slices.Sort(ids)
	return ids
}

// DeleteGroup deletes a group of the tenant and who was in it, and takes
// back the licenses it gave through its links. Errors: NotFound.
func (db *DB) DeleteGroup(ctx context.Context, tenantID, id string) error {
	return db.write(ctx, func(tx *Tx) error {
		// The row first, then its links: a link made meanwhile (LinkGroup
		// takes the row too) is committed by then, and read here.
		var name string
		err := tx.QueryRowContext(ctx, `UPDATE directory_groups SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2
			RETURNING display_name`, tenantID, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.group.not_found", "Group", id)
		} else if err != nil {
			return fmt.Errorf("take group %s: %w", id, err)
		}
		linked, err := queryStrings(ctx, tx, `SELECT subscription_id FROM group_licenses WHERE group_id = $1 ORDER BY subscription_id`, id)
		if err != nil {
			return fmt.Errorf("find links of %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM directory_groups WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete group %s: %w", id, err)
		}
		if err := tx.audit(ctx, tenantID, "group.deleted", "group", id, map[string]any{"display_name": name}, nil); err != nil {
			return err
		}
		// Its links went with it, and so do the licenses it gave.
		return tx.syncAll(ctx, linked)
	})
}
