package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kassa-billing/kassa"
)

// Backup writes a copy of a SQLite database to the file out while kassa
// serves (SPEC §11): VACUUM INTO, run in one read transaction, so the copy
// holds exactly the commits made before it began, compacted, and writers
// go on meanwhile (in WAL mode a reader holds nobody up). The copy is a
// database file: kassa opens it as it is (sqlite:OUT). An existing out is
// never overwritten. PostgreSQL is copied with pg_dump (the README says
// how). Errors: Invalid (PostgreSQL; an out that cannot be written),
// Conflict (out exists).
func (db *DB) Backup(ctx context.Context, out string) error {
	if db.dialect != SQLite {
		return kassa.InvalidE("db", "error.backup.postgres")
	}
	abs, err := filepath.Abs(out)
	if err != nil || out == "" {
		return kassa.InvalidE("out", "error.backup.out", "File", out)
	}
	if _, err := os.Lstat(abs); err == nil {
		return kassa.E(kassa.Conflict, "error.backup.exists", "File", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return kassa.InvalidE("out", "error.backup.out", "File", out)
	}
	// On a reading connection, which takes no write lock: VACUUM INTO
	// only reads the database, but query_only refuses it, so it is lifted
	// on this connection for the copy. SQLite itself refuses a file made
	// meanwhile that is not empty.
	conn, err := db.ro.Conn(ctx)
	if err != nil {
		return fmt.Errorf("back up: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = 0`); err != nil {
		return fmt.Errorf("back up: %w", err)
	}
	_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, abs)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA query_only = 1`); rerr != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // not back to the pool as a writer
	}
	if err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	return nil
}
