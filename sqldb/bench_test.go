package sqldb_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestSettle readies kassa's own tables and nothing else: on PostgreSQL each
// of them is vacuumed and analyzed and another schema's on the same server
// is not; a SQLite file gets its write-ahead log checkpointed and no
// statistics, with which SQLite would prepare statements again on every
// change of their parameters.
func TestSettle(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(testNow)
	db, dsn := sqldbtest.MustOpen(t, clock)
	mustTenant(t, db, "Settle", "Sara Sättare")
	other, otherDSN := sqldbtest.MustOpen(t, clock)
	mustTenant(t, other, "Other", "Olle Annan")

	if err := db.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}

	raw := sqldbtest.Raw(t, dsn)
	if db.Dialect() == sqldb.SQLite {
		var stats int
		if err := raw.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'`).Scan(&stats); err != nil {
			t.Fatal(err)
		}
		if stats > 0 {
			t.Errorf("settling made %d statistics tables", stats)
		}
		if wal, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:") + "-wal"); err != nil {
			t.Error(err)
		} else if wal.Size() != 0 {
			t.Errorf("the write-ahead log holds %d bytes after settling", wal.Size())
		}
		return
	}

	// Vacuumed and analyzed tables of the schema that dsn uses, and all its
	// tables. The statistics reach other sessions within moments.
	settled := func(dsn string) (done, tables int) {
		t.Helper()
		err := sqldbtest.Raw(t, dsn).QueryRow(`
			SELECT count(*) FILTER (WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL), count(*)
			FROM pg_stat_user_tables WHERE schemaname = current_schema()`).Scan(&done, &tables)
		if err != nil {
			t.Fatal(err)
		}
		return done, tables
	}
	done, tables := settled(dsn)
	for deadline := time.Now().Add(time.Minute); done < tables && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		done, tables = settled(dsn)
	}
	if tables < 10 || done != tables {
		t.Errorf("%d of kassa's %d tables vacuumed and analyzed", done, tables)
	}
	if done, tables := settled(otherDSN); done != 0 {
		t.Errorf("%d of another schema's %d tables vacuumed and analyzed", done, tables)
	}
}
