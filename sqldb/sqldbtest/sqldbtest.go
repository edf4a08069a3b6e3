// Package sqldbtest opens a real, empty, migrated database for a test: a
// SQLite file in the test's temporary directory, or, when KASSA_TEST_POSTGRES
// names a PostgreSQL server, a schema of its own on that server, dropped when
// the test ends. `make test` runs the suite once each way.
package sqldbtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// PostgresEnv names the environment variable with the test server's URL.
const PostgresEnv = "KASSA_TEST_POSTGRES"

// MustOpenDB returns a migrated database for tb on the given clock, closed
// (and on PostgreSQL dropped) when tb ends.
func MustOpenDB(tb testing.TB, clock kassa.Clock) *sqldb.DB {
	tb.Helper()
	db, _ := MustOpen(tb, clock)
	return db
}

// MustOpen is MustOpenDB that also returns the database's address, for
// tests that reach behind kassa's back with Raw.
func MustOpen(tb testing.TB, clock kassa.Clock) (*sqldb.DB, string) {
	tb.Helper()
	dsn := DSN(tb)
	db, err := sqldb.Open(context.Background(), dsn, clock)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db, dsn
}

// checkHolderNames fails tb when a license's holder_name is not its
// holder's name, whatever gave the license or renamed the person: every
// test that makes a database (DSN) checks it when it ends. A database a test
// broke on purpose, which cannot answer, is left alone.
func checkHolderNames(tb testing.TB, dsn string) {
	raw, err := sql.Open(plain(dsn))
	if err != nil {
		return
	}
	defer raw.Close()
	var stale int
	err = raw.QueryRowContext(context.Background(), `
		SELECT COUNT(*) FROM licenses l JOIN users u ON u.id = l.user_id WHERE l.holder_name <> u.name`).Scan(&stale)
	if err == nil && stale > 0 {
		tb.Errorf("%d licenses do not carry their holder's name", stale)
	}
}

// plain returns the plain driver and its address for the database at dsn.
func plain(dsn string) (driver, conn string) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		return "sqlite", "file:" + path + "?_pragma=busy_timeout(10000)"
	}
	return "pgx", dsn
}

// Raw opens the database at dsn with the plain driver, closed when tb ends:
// for tests that tamper with it or read it the way an attacker would.
func Raw(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open(plain(dsn))
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// DSN returns the address of a new empty database for tb, in the form
// `--db` takes, for tests that run kassa as a separate process.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		base = "sqlite:" + filepath.Join(tb.TempDir(), "kassa.db")
	}
	dsn, drop, err := sqldb.Scratch(context.Background(), base, "test")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Logf("drop %s: %v", dsn, err)
		}
	})
	tb.Cleanup(func() { checkHolderNames(tb, dsn) }) // before the drop
	return dsn
}
