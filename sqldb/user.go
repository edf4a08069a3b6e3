package sqldb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// DefaultUserLimit and MaxUserLimit bound one page of FindUsers.
const (
	DefaultUserLimit = 20
	MaxUserLimit     = 200
	maxSearchTerms   = 5
)

// CreateUser stores a new user of tenantID with an already hashed password
// and sets ID, TenantID and CreatedAt. The email must be normalized; an email
// in use (in any tenant: it signs in) is a Conflict error.
func (db *DB) CreateUser(ctx context.Context, tenantID string, u *kassa.User, passwordHash string) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.createUser(ctx, tenantID, u, passwordHash)
	})
}

func (tx *Tx) createUser(ctx context.Context, tenantID string, u *kassa.User, passwordHash string) error {
	return tx.insertUser(ctx, tenantID, u, passwordHash, nil)
}

// insertUser adds u to the tenant; with dir, as the organization's
// directory has them (SPEC §8).
func (tx *Tx) insertUser(ctx context.Context, tenantID string, u *kassa.User, passwordHash string, dir *kassa.DirectoryUser) error {
	u.ID, u.TenantID, u.CreatedAt = newID("usr"), tenantID, tx.now
	var userName, externalID, workEmail, given, family string
	managed := dir != nil
	if managed {
		userName, externalID, workEmail, given, family = dir.UserName, dir.ExternalID, dir.WorkEmail, dir.GivenName, dir.FamilyName
		if strings.EqualFold(userName, u.Email) {
			userName = "" // the email is the userName
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO users (id, tenant_id, name, email, type, status, role, password_hash, created_at,
			scim_user_name, external_id, work_email, given_name, family_name, scim_managed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		u.ID, tenantID, u.Name, u.Email, u.Type, u.Status, u.Role, passwordHash, u.CreatedAt,
		userName, externalID, workEmail, given, family, managed)
	if isUnique(err) {
		return &kassa.Error{Code: kassa.Conflict, Field: "email", Key: "error.user.email_taken", Args: []any{"Email", u.Email}}
	} else if err != nil {
		return fmt.Errorf("insert user %s: %w", u.Email, err)
	}
	if err := tx.insertWords(ctx, tenantID, u); err != nil {
		return err
	}
	return tx.audit(ctx, tenantID, "user.created", "user", u.ID, nil, map[string]any{
		"name": u.Name, "email": u.Email, "type": u.Type, "status": u.Status, "role": u.Role,
	})
}

// insertWords writes the search words of u, in one statement.
func (tx *Tx) insertWords(ctx context.Context, tenantID string, u *kassa.User) error {
	words := kassa.SearchWords(u.Name, u.Email)
	if len(words) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO user_words (tenant_id, word, user_id) VALUES `)
	args := []any{tenantID, u.ID}
	for i, w := range words {
		if i > 0 {
			q.WriteString(", ")
		}
		args = append(args, w)
		fmt.Fprintf(&q, "($1, $%d, $2)", len(args))
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("index user %s: %w", u.Email, err)
	}
	return nil
}

const userColumns = `u.id, u.tenant_id, u.name, u.email, u.type, u.status, u.role, u.created_at`

func scanUser(r row, u *kassa.User) error {
	err := r.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &u.Type, &u.Status, &u.Role, &u.CreatedAt)
	u.CreatedAt = u.CreatedAt.UTC()
	return err
}

// FindUserByID returns a user of the actor's tenant. Users of other tenants
// are NotFound, like users that do not exist.
func (db *DB) FindUserByID(ctx context.Context, id string) (*kassa.User, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	u := &kassa.User{}
	err = db.readRow(ctx, func(r row) error { return scanUser(r, u) }, `
		SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`, a.Tenant.ID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", id)
	} else if err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return u, nil
}

// FindUsers returns the active users (members and guests) of the actor's
// tenant that match the filter, ordered by name, and the cursor of the next
// page ("" at the end). A malformed cursor or a search of more than five
// words is an Invalid error.
func (db *DB) FindUsers(ctx context.Context, f kassa.UserFilter) ([]*kassa.User, string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, "", err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultUserLimit
	}
	limit = min(limit, MaxUserLimit)
	afterName, afterID, err := decodeCursor(f.After)
	if err != nil {
		return nil, "", err
	}

	var q strings.Builder
	args := []any{a.Tenant.ID, afterName, afterID}
	q.WriteString(`SELECT ` + userColumns + ` FROM users u
		WHERE u.tenant_id = $1 AND (u.name > $2 OR (u.name = $2 AND u.id > $3))`)
	if !f.Everyone {
		q.WriteString(` AND u.status = 'active'`)
	}
	where := func(column, value string) {
		args = append(args, value)
		fmt.Fprintf(&q, ` AND %s = $%d`, column, len(args))
	}
	if f.Status != nil {
		where("u.status", string(*f.Status))
	}
	if f.Type != nil {
		where("u.type", string(*f.Type))
	}
	if f.Role != nil {
		where("u.role", string(*f.Role))
	}
	terms := kassa.SearchTerms(f.Search)
	if len(terms) > maxSearchTerms {
		// Dropping words would find more than was asked for.
		return nil, "", kassa.InvalidE("search", "error.users.search_words", "Max", maxSearchTerms)
	}
	for _, t := range terms {
		args = append(args, t, t+"\U0010FFFF")
		fmt.Fprintf(&q, `
		AND u.id IN (SELECT w.user_id FROM user_words w
			WHERE w.tenant_id = $1 AND w.word >= $%d AND w.word < $%d)`, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	fmt.Fprintf(&q, ` ORDER BY u.name, u.id LIMIT $%d`, len(args))

	rows, err := db.reader(ctx).QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var users []*kassa.User
	for rows.Next() {
		u := &kassa.User{}
		if err := scanUser(rows, u); err != nil {
			return nil, "", fmt.Errorf("find users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find users: %w", err)
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		last := users[limit-1]
		next = encodeCursor(last.Name, last.ID)
	}
	return users, next, nil
}

// encodeCursor makes an opaque cursor of a sort key and an id.
func encodeCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

func decodeCursor(c string) (key, id string, err error) {
	if c == "" {
		return "", "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var ok bool
		// What storage cannot compare (invalid UTF-8, U+0000) is no
		// cursor this server gave out.
		if key, id, ok = strings.Cut(string(b), "\x00"); ok && utf8.ValidString(key) && utf8.ValidString(id) &&
			!strings.ContainsRune(id, 0) {
			return key, id, nil
		}
	}
	return "", "", kassa.InvalidE("cursor", "error.users.cursor")
}

// FindUserByEmail returns the user of the actor's tenant with the email
// address, in any case. Users of other tenants are NotFound, like
// addresses nobody has.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*kassa.User, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	u := &kassa.User{}
	err = db.readRow(ctx, func(r row) error { return scanUser(r, u) }, `
		SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.email = $2`, a.Tenant.ID, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.user.not_found", "User", email)
	} else if err != nil {
		return nil, fmt.Errorf("find user %s: %w", email, err)
	}
	return u, nil
}
