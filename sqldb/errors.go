package sqldb

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The driver error classes kassa reacts to.
const (
	errOther = iota
	errUnique
	errForeignKey
	errRetry // serialization failure, deadlock or busy: try again
)

// classify sorts a driver error by its code.
func classify(err error) int {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch e.Code {
		case "23505":
			return errUnique
		case "23503":
			return errForeignKey
		case "40001", "40P01":
			return errRetry
		}
		return errOther
	}
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errForeignKey
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_SNAPSHOT, sqlite3.SQLITE_LOCKED:
			return errRetry
		}
	}
	return errOther
}

func retryable(err error) bool { return classify(err) == errRetry }

func isUnique(err error) bool { return classify(err) == errUnique }
