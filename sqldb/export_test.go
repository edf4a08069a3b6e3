package sqldb

import "context"

// Groups returns how many transactions the group committer committed and
// how many writes they held.
func (db *DB) Groups() (groups, writes int64) { return db.groups.Load(), db.grouped.Load() }

// WriterPragma returns a PRAGMA's value on the connection SQLite writes on.
func (db *DB) WriterPragma(ctx context.Context, name string) (string, error) {
	var v string
	err := db.rw.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}
