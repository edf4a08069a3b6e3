package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// The directory's side of users (SPEC §8): what SCIM lists, provisions,
// changes and deprovisions. These take the tenant a SCIM token reached;
// no user acts, so the audit log names no actor.

const directoryColumns = userColumns + `, u.scim_user_name, u.external_id, u.work_email, u.given_name, u.family_name,
	u.scim_managed, u.updated_at`

func scanDirectoryUser(r row, d *kassa.DirectoryUser) error {
	var updated sql.NullTime
	err := r.Scan(&d.ID, &d.TenantID, &d.Name, &d.Email, &d.Type, &d.Status, &d.Role, &d.CreatedAt,
		&d.UserName, &d.ExternalID, &d.WorkEmail, &d.GivenName, &d.FamilyName, &d.Managed, &updated)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.CreatedAt.UTC()
	if updated.Valid {
		d.UpdatedAt = updated.Time.UTC()
	}
	if d.UserName == "" {
		d.UserName = d.Email
	}
	return err
}

// FindDirectoryUsers returns the tenant's users the filter keeps, but those
// the directory deleted, in the order they were added, from offset on (at
// most limit), and how many the filter keeps in all.
func (db *DB) FindDirectoryUsers(ctx context.Context, tenantID string, f kassa.DirectoryFilter, offset, limit int) ([]*kassa.DirectoryUser, int, error) {
	where := []string{`u.tenant_id = $1`, `NOT u.scim_hidden`}
	args := []any{tenantID}
	add := func(cond string, v string) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.UserName != nil {
		// A userName that is an email is the sign-in email (kassa.DirectoryUser.Check),
		// any other is kept apart: either way one index finds it.
		if email, err := kassa.NormalizeEmail("userName", *f.UserName); err == nil {
			add(`u.email = $? AND u.scim_user_name = ''`, email)
		} else {
			add(`lower(u.scim_user_name) = lower($?) AND u.scim_user_name <> ''`, *f.UserName)
		}
	}
	if f.ExternalID != nil {
		add(`u.external_id = $?`, *f.ExternalID)
	}
	if f.Email != nil {
		add(`(u.email = lower($?) OR (lower(u.work_email) = lower($?) AND u.work_email <> ''))`, *f.Email)
	}
	if f.DisplayName != nil {
		add(`u.name = $?`, *f.DisplayName)
	}
	cond := strings.Join(where, " AND ")
	q := db.reader(ctx)
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count directory users: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+directoryColumns+` FROM users u WHERE `+cond+
		fmt.Sprintf(` ORDER BY u.created_at, u.id LIMIT %d OFFSET %d`, limit, offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("find directory users: %w", err)
	}
	defer rows.Close()
	users := []*kassa.DirectoryUser{}
	for rows.Next() {
		d := &kassa.DirectoryUser{}
		if err := scanDirectoryUser(rows, d); err != nil {
			return nil, 0, fmt.Errorf("find directory users: %w", err)
		}
		users = append(users, d)
	}
	return users, total, rows.Err()
}

// FindDirectoryUser returns a user of the tenant the directory has not
// deleted. Errors: NotFound.
func (db *DB) FindDirectoryUser(ctx context.Context, tenantID, id string) (*kassa.DirectoryUser, error) {
	return findDirectoryUser(ctx, db.reader(ctx), tenantID, id)
}

func findDirectoryUser(ctx context.Context, q querier, tenantID, id string) (*kassa.DirectoryUser, error) {
	d := &kassa.DirectoryUser{}
	err := scanDirectoryUser(q.QueryRowContext(ctx, `SELECT `+directoryColumns+` FROM users u
		WHERE u.tenant_id = $1 AND u.id = $2 AND NOT u.scim_hidden`, tenantID, id), d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", id)
	} else if err != nil {
		return nil, fmt.Errorf("find directory user %s: %w", id, err)
	}
	return d, nil
}

// ProvisionUser adds the directory's user d (checked) to the tenant, as
// the directory manages it, and fills in its id. One the directory
// deleted comes back with d's details; anyone else with its email or
// userName, in this tenant or another, makes a Conflict (SCIM's
// uniqueness: the directory finds people by userName before it adds them).
// No invitation is mailed: the organization signs in through its identity
// provider, or an admin sends a link from the person's page.
func (db *DB) ProvisionUser(ctx context.Context, tenantID string, d *kassa.DirectoryUser) error {
	return db.write(ctx, func(tx *Tx) error {
		var id string
		var hidden bool
		err := tx.QueryRowContext(ctx, `SELECT id, scim_hidden FROM users WHERE tenant_id = $1 AND email = $2`,
			tenantID, d.Email).Scan(&id, &hidden)
		switch {
		case err == nil && hidden:
			old, err := findHiddenUser(ctx, tx, id)
			if err != nil {
				return err
			}
			d.ID, d.TenantID, d.CreatedAt = id, tenantID, old.CreatedAt
			return tx.writeDirectoryUser(ctx, tenantID, old, d)
		case err == nil:
			return userNameTaken(d.UserName)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find %s: %w", d.Email, err)
		}
		err = tx.insertUser(ctx, tenantID, &d.User, "", d)
		if kassa.ErrorCode(err) == kassa.Conflict || isUnique(err) {
			return userNameTaken(d.UserName)
		} else if err != nil {
			return err
		}
		d.Managed, d.UpdatedAt = true, tx.now
		return nil
	})
}

func userNameTaken(userName string) error {
	return &kassa.Error{Code: kassa.Conflict, Field: "userName", Key: "error.scim.user_name_taken", Args: []any{"UserName", userName}}
}

// findHiddenUser reads a user the directory deleted.
func findHiddenUser(ctx context.Context, q querier, id string) (*kassa.DirectoryUser, error) {
	d := &kassa.DirectoryUser{}
	if err := scanDirectoryUser(q.QueryRowContext(ctx, `SELECT `+directoryColumns+` FROM users u WHERE u.id = $1`, id), d); err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return d, nil
}

// setDirectoryFields writes what the directory says of d beyond kassa's
// own fields, d now the directory's.
func (tx *Tx) setDirectoryFields(ctx context.Context, d *kassa.DirectoryUser) error {
	userName := d.UserName
	if strings.EqualFold(userName, d.Email) {
		userName = "" // the email is the userName
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE users SET scim_user_name = $2, external_id = $3, work_email = $4, given_name = $5, family_name = $6,
			scim_managed = TRUE, scim_hidden = FALSE, updated_at = $7
		WHERE id = $1`, d.ID, userName, d.ExternalID, d.WorkEmail, d.GivenName, d.FamilyName, tx.now)
	if isUnique(err) {
		return userNameTaken(d.UserName)
	} else if err != nil {
		return fmt.Errorf("write directory fields of %s: %w", d.ID, err)
	}
	d.Managed, d.UpdatedAt = true, tx.now
	return nil
}

// writeDirectoryUser writes d, changed from old, with what the change
// brings (tx.changeUser).
func (tx *Tx) writeDirectoryUser(ctx context.Context, tenantID string, old, d *kassa.DirectoryUser) error {
	// Only a change that may take the tenant's last active admin away
	// orders itself behind the tenant's row lock; a sync's thousands of
	// other changes need not wait for each other.
	if isActiveAdmin(&old.User) && !isActiveAdmin(&d.User) {
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET default_policy = default_policy WHERE id = $1`, tenantID); err != nil {
			return fmt.Errorf("lock tenant: %w", err)
		}
	}
	if err := tx.changeUser(ctx, tenantID, "", &old.User, &d.User); err != nil {
		if e, ok := errors.AsType[*kassa.Error](err); ok && e.Field == "email" {
			return userNameTaken(d.UserName)
		}
		return err
	}
	return tx.setDirectoryFields(ctx, d)
}

// UpdateDirectoryUser changes a user of the tenant as change says, in one
// transaction: change gets the user as stored and edits it (it must call
// no other system), the result is checked and written with what it
// brings (a user disabled loses their sessions and licenses). A user the
// directory did not manage is its from then on. Errors: NotFound, Invalid,
// Conflict (a userName taken, the last active admin), and change's own.
func (db *DB) UpdateDirectoryUser(ctx context.Context, tenantID, id string, change func(*kassa.DirectoryUser) error) (*kassa.DirectoryUser, error) {
	return db.updateDirectoryUser(ctx, tenantID, id, change, false)
}

// updateDirectoryUser is UpdateDirectoryUser, and with hide hides the user
// from the directory in the same transaction.
func (db *DB) updateDirectoryUser(ctx context.Context, tenantID, id string, change func(*kassa.DirectoryUser) error, hide bool) (*kassa.DirectoryUser, error) {
	var out *kassa.DirectoryUser
	err := db.write(ctx, func(tx *Tx) error {
		old, err := findDirectoryUser(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		d := *old
		if err := change(&d); err != nil {
			return err
		}
		if err := d.Check(); err != nil {
			return err
		}
		d.ID, d.TenantID, d.CreatedAt = old.ID, old.TenantID, old.CreatedAt
		if err := tx.writeDirectoryUser(ctx, tenantID, old, &d); err != nil {
			return err
		}
		out = &d
		if hide {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET scim_hidden = TRUE WHERE id = $1`, id); err != nil {
				return fmt.Errorf("hide user %s: %w", id, err)
			}
		}
		return nil
	})
	return out, err
}

// DeleteDirectoryUser deprovisions a user of the tenant: disabled (their
// sessions end, their licenses come free) and hidden from the directory,
// kept for invoices and the audit log. Errors: NotFound, Conflict (the
// last active admin).
func (db *DB) DeleteDirectoryUser(ctx context.Context, tenantID, id string) error {
	_, err := db.updateDirectoryUser(ctx, tenantID, id, func(d *kassa.DirectoryUser) error {
		d.Status = kassa.Disabled
		return nil
	}, true)
	return err
}

// DirectoryManaged returns which of the users, of the actor's tenant, the
// organization's directory manages; users of other tenants are not in it.
func (db *DB) DirectoryManaged(ctx context.Context, ids ...string) (map[string]bool, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	managed := map[string]bool{}
	if len(ids) == 0 {
		return managed, nil
	}
	args, marks := []any{a.Tenant.ID}, make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id FROM users WHERE tenant_id = $1 AND scim_managed AND id IN (`+
		strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find directory's users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find directory's users: %w", err)
		}
		managed[id] = true
	}
	err = rows.Err()
	if err != nil {
		return nil, fmt.Errorf("find directory's users: %w", err)
	}
	return managed, nil
}
