package sqldb

import "context"

// Groups returns how many transactions the group committer committed and
// how many writes they held.
func (db *DB) Groups() (groups, writes int64) { return db.groups.Load(), db.grouped.Load() }

// SetCountAhead sets how far past a page's start db's lists count their
// totals (CountAhead).
func (db *DB) SetCountAhead(n int) { db.countAhead = n }

// SetWalkHoldersFrom sets from how many holders db walks to a page's
// holders by name (WalkHoldersFrom).
func (db *DB) SetWalkHoldersFrom(n int) { db.walkHoldersFrom = n }

// Waiting returns how many writes wait for a committer to take them.
func (db *DB) Waiting() int64 { return db.waiting.Load() }

// WriterPragma returns a PRAGMA's value on the connection SQLite writes on.
func (db *DB) WriterPragma(ctx context.Context, name string) (string, error) {
	var v string
	err := db.rw.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// Rides returns how many round trips the lanes of single-row reads made on
// PostgreSQL and how many reads they carried (0, 0 on SQLite).
func (db *DB) Rides() (rides, reads int64) {
	if db.rides == nil {
		return 0, 0
	}
	return db.rides.Load(), db.ridden.Load()
}

// ReadTogether runs queries of one integer each in one round trip, as a lane
// would on PostgreSQL (one after the other on SQLite), and returns each
// one's value or error.
func (db *DB) ReadTogether(ctx context.Context, queries []string, args [][]any) ([]int64, []error) {
	vals, errs := make([]int64, len(queries)), make([]error, len(queries))
	rides := make([]*rowRead, len(queries))
	for i, q := range queries {
		rides[i] = &rowRead{ctx: ctx, query: q, args: args[i], done: make(chan error, 1),
			scan: func(r row) error { return r.Scan(&vals[i]) }}
	}
	if db.rowReads == nil {
		for i, r := range rides {
			errs[i] = r.scan(db.reads.QueryRowContext(ctx, r.query, r.args...))
		}
		return vals, errs
	}
	db.readTogether(rides)
	for i, r := range rides {
		errs[i] = <-r.done
	}
	return vals, errs
}

// NewID, RandomID and ValidID expose how db makes and checks ids.
var (
	NewID    = newID
	RandomID = randomID
	ValidID  = validID
)

// BoundAfter runs query n times in one write and returns how many
// statements the write's transaction bound to itself.
func (db *DB) BoundAfter(ctx context.Context, query string, n int) (int, error) {
	var bound int
	err := db.write(ctx, func(tx *Tx) error {
		for range n {
			if _, err := tx.ExecContext(ctx, query); err != nil {
				return err
			}
		}
		bound = len(tx.bound)
		return nil
	})
	return bound, err
}
