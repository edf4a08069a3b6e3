package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/kassa-billing/kassa"
)

// What `kassa bench` needs of the database besides kassa's own work: a
// tenant's people and subscriptions written in bulk (insertRows), the way a
// restore would write them (no audit events, invoices or notifications),
// and the raw commit loop every figure is compared with.

// seedBatch is how many rows a seeding write takes: a tenant of 100 000
// written in one transaction held every row's values at once (the bench's
// peak of memory).
const seedBatch = 5000

// inBatches calls write with each run of up to seedBatch of n items, from
// index i to j, and stops at the first error.
func inBatches(n int, write func(i, j int) error) error {
	for i := 0; i < n; i += seedBatch {
		if err := write(i, min(n, i+seedBatch)); err != nil {
			return err
		}
	}
	return nil
}

// SeedUsers writes members of a tenant in bulk, sharing one password hash,
// with the words that find them, seedBatch to a write. It sets their ids.
func (db *DB) SeedUsers(ctx context.Context, tenantID string, users []*kassa.User, passwordHash string) error {
	return inBatches(len(users), func(i, j int) error { return db.seedUsers(ctx, tenantID, users[i:j], passwordHash) })
}

func (db *DB) seedUsers(ctx context.Context, tenantID string, users []*kassa.User, passwordHash string) error {
	return db.write(ctx, func(tx *Tx) error {
		var rows, words [][]any
		for _, u := range users {
			u.ID, u.TenantID, u.CreatedAt = newID("usr"), tenantID, tx.now
			rows = append(rows, []any{u.ID, tenantID, u.Name, u.Email, u.Type, u.Status, u.Role, passwordHash, u.CreatedAt})
			for _, w := range kassa.SearchWords(u.Name, u.Email) {
				words = append(words, []any{tenantID, w, u.ID})
			}
		}
		if err := tx.insertRows(ctx, "users",
			[]string{"id", "tenant_id", "name", "email", "type", "status", "role", "password_hash", "created_at"}, rows); err != nil {
			return err
		}
		return tx.insertRows(ctx, "user_words", []string{"tenant_id", "word", "user_id"}, words)
	})
}

// SeedSubscriptions writes subscriptions in bulk as they are, without the
// invoices that bought them, seedBatch to a write. It sets their ids.
func (db *DB) SeedSubscriptions(ctx context.Context, subs []*kassa.Subscription) error {
	return inBatches(len(subs), func(i, j int) error { return db.seedSubscriptions(ctx, subs[i:j]) })
}

func (db *DB) seedSubscriptions(ctx context.Context, subs []*kassa.Subscription) error {
	return db.write(ctx, func(tx *Tx) error {
		var rows [][]any
		for _, s := range subs {
			s.ID, s.CreatedAt = newID("sub"), tx.now
			rows = append(rows, []any{s.ID, s.TenantID, s.ProductID, s.PurchaserID, s.BillingProfileID, s.Channel,
				s.Status, s.Term, s.Quantity, 0, s.UnitPrice.Amount, s.UnitPrice.Currency, s.AnchorAt, s.PeriodStart,
				s.ExpiresAt, s.AutoRenew, s.CreatedAt, s.CreatedAt})
		}
		return tx.insertRows(ctx, "subscriptions", []string{"id", "tenant_id", "product_id", "purchaser_id",
			"billing_profile_id", "channel", "status", "term", "quantity", "assigned", "unit_amount", "currency",
			"anchor_at", "period_start", "period_end", "auto_renew", "created_at", "updated_at"}, rows)
	})
}

// RawCommits is the yardstick of `kassa bench`: the smallest write
// transaction there is, one single-row UPDATE, on the same connections and
// settings as kassa's own writes.
type RawCommits struct{ db *DB }

// PrepareRawCommits makes the table of rows that Commit updates.
func (db *DB) PrepareRawCommits(ctx context.Context, rows int) (*RawCommits, error) {
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("create bench_raw: %w", err)
		}
		var rs [][]any
		for i := range rows {
			rs = append(rs, []any{i, 0})
		}
		return tx.insertRows(ctx, "bench_raw", []string{"id", "n"}, rs)
	})
	if err != nil {
		return nil, err
	}
	return &RawCommits{db: db}, nil
}

// Commit increments row's counter in a transaction of its own, begun and
// committed on kassa's writing connections but outside its group commit.
func (r *RawCommits) Commit(ctx context.Context, row int) error {
	const update = `UPDATE bench_raw SET n = n + 1 WHERE id = $1`
	stmt := r.db.writeStmts.get(ctx, update) // prepared once, as kassa's own are
	tx, err := r.db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("raw commit: %w", err)
	}
	if stmt != nil {
		_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, row)
	} else {
		_, err = tx.ExecContext(ctx, update, row)
	}
	if err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("raw commit: %w", err)
	}
	return tx.Commit()
}

// Settle readies a freshly loaded database for measuring in the state it
// reaches in use. PostgreSQL gets what autovacuum would do to its tables
// soon after a bulk load, done now as pgbench does before its runs: VACUUM
// ANALYZE of the tables in kassa's schema (no one else's), so that neither
// autovacuum nor a plan made without statistics runs in the measurements.
// SQLite gets a checkpoint of its write-ahead log. Nothing analyzes a SQLite
// file in use, and analyzing it would make it slower: with the samples
// ANALYZE gathers (sqlite_stat4) SQLite prepares a statement again each time
// its parameters change, which halved the reads (README).
func (db *DB) Settle(ctx context.Context) error {
	if db.dialect == SQLite {
		if _, err := db.rw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("settle the database: %w", err)
		}
		return nil
	}
	rows, err := db.rw.QueryContext(ctx, `
		SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return fmt.Errorf("settle the database: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return fmt.Errorf("settle the database: %w", err)
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("settle the database: %w", err)
	}
	if _, err := db.rw.ExecContext(ctx, `VACUUM (ANALYZE) `+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("settle the database: %w", err)
	}
	return nil
}

// SeedLicenses gives each user a license of the subscription in bulk,
// assigned by assignedBy at the transaction's time, seedBatch to a write,
// and counts them on the subscription.
func (db *DB) SeedLicenses(ctx context.Context, tenantID, subID, assignedBy string, userIDs []string) error {
	return inBatches(len(userIDs), func(i, j int) error {
		return db.write(ctx, func(tx *Tx) error {
			rows := make([][]any, 0, j-i)
			for _, u := range userIDs[i:j] {
				rows = append(rows, []any{subID, u, tenantID, tx.now, assignedBy})
			}
			if err := tx.insertRows(ctx, "licenses", []string{"subscription_id", "user_id", "tenant_id", "assigned_at", "assigned_by"},
				rows); err != nil {
				return err
			}
			// The holders' names, which the rows above leave empty.
			if _, err := tx.ExecContext(ctx, `UPDATE licenses SET holder_name = (SELECT u.name FROM users u WHERE u.id = licenses.user_id)
				WHERE subscription_id = $1 AND holder_name = ''`, subID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE subscriptions SET assigned = assigned + $2 WHERE id = $1`, subID, j-i)
			return err
		})
	})
}
