package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/telemetry"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names a database engine.
type Dialect string

// The engines kassa runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is kassa's database. It is safe for concurrent use.
type DB struct {
	// rw takes every write. On SQLite it is a single connection, so writers
	// in this process queue in Go instead of spinning on SQLITE_BUSY; on
	// PostgreSQL rw and ro are the same pool.
	rw      *sql.DB
	ro      *sql.DB
	dialect Dialect
	clock   kassa.Clock

	reads      readPool   // ro, through its statement cache on SQLite
	writeStmts *stmtCache // rw's statement cache on SQLite; nil on PostgreSQL

	// The group committer (commit.go).
	writes        chan *pendingWrite
	lanes         []chan *pendingWrite // a committer's own: writes keyed to it
	stop, stopped chan struct{}
	closing       *sync.Once
	groups        *atomic.Int64                      // transactions committed
	grouped       *atomic.Int64                      // writes in them
	waiting       *atomic.Int64                      // writes waiting for a committer to take them
	metrics       *atomic.Pointer[telemetry.Metrics] // counts the groups (Observe); shared by copies

	// The names of the products read so far, by id (product.go).
	productNames *sync.Map

	// The lanes of single-row reads (readbatch.go); nil on SQLite.
	rowReads      chan *rowRead
	rides, ridden *atomic.Int64 // round trips of the lanes, and reads in them

	// countAhead bounds how far past a page a list's total is counted
	// (Total); walkHoldersFrom is when a page's holders are walked to by
	// name (WalkHoldersFrom). Tests set them lower.
	countAhead, walkHoldersFrom int
}

// Open connects to the database named by dsn: "sqlite:PATH" or
// "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, clock kassa.Clock) (*DB, error) {
	db := &DB{clock: clock, productNames: &sync.Map{}, metrics: &atomic.Pointer[telemetry.Metrics]{},
		countAhead: CountAhead, walkHoldersFrom: WalkHoldersFrom}
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		db.dialect = SQLite
		err = db.openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db.dialect = Postgres
		err = db.openPostgres(dsn)
	default:
		return nil, kassa.InvalidE("db", "error.db.dsn", "Value", strconv.Quote(dsn))
	}
	if err != nil {
		return nil, err
	}
	db.startCommitter()
	if err := db.rw.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.dialect, err)
	}
	return db, nil
}

func (db *DB) openSQLite(path string) error {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "?") {
		return kassa.InvalidE("db", "error.db.sqlite_path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	params := url.Values{}
	params.Set("_time_format", "sqlite")
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	// FULL: a commit is on disk before kassa answers (NORMAL in WAL mode
	// may lose the last commits to a power cut: a charge's invoice among
	// them). Group commit (commit.go) pays for it.
	params.Add("_pragma", "synchronous(FULL)")
	params.Add("_pragma", "foreign_keys(1)")
	// The savepoints of group commit keep the pages they change in a
	// sub-journal, spilled to a temporary file past 64 KiB: in memory, a
	// group's writes make no system calls until it commits (renewals
	// ~1 350 -> ~2 100/s, purchases +40%).
	params.Add("_pragma", "temp_store(MEMORY)")
	params.Set("_txlock", "immediate")
	rw, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	rw.SetMaxOpenConns(1)
	rw.SetConnMaxIdleTime(0)
	params.Set("_txlock", "deferred")
	params.Add("_pragma", "query_only(1)")
	ro, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
	if err != nil {
		rw.Close()
		return fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	ro.SetMaxOpenConns(n)
	ro.SetMaxIdleConns(n)
	db.rw, db.ro = rw, ro
	db.reads = readPool{DB: ro, stmts: newStmtCache(ro)}
	db.writeStmts = newStmtCache(rw)
	return nil
}

func (db *DB) openPostgres(dsn string) error {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	n := max(8, 4*runtime.GOMAXPROCS(0)) + committers
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db.rw, db.ro = p, p
	db.reads = readPool{DB: p}
	return nil
}

// Dialect returns the engine db runs on.
func (db *DB) Dialect() Dialect { return db.dialect }

// Now returns the database's clock reading.
func (db *DB) Now() time.Time { return db.clock.Now() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.ro.PingContext(ctx) }

// Close closes the connections.
func (db *DB) Close() error {
	db.closing.Do(func() {
		close(db.stop)
		<-db.stopped
	})
	db.reads.stmts.close()
	db.writeStmts.close()
	err := db.rw.Close()
	if db.ro != db.rw {
		err = errors.Join(err, db.ro.Close())
	}
	return err
}

// Tx is a write transaction with the instant it acts at. Its *sql.Tx is
// unexported, and its own methods, which run every statement without the
// caller's cancellation, are the only way to it: the transaction may be a
// group's (commit.go), which only the committer commits or rolls back, and
// a caller going away must not interrupt the others' writes.
type Tx struct {
	stx    *sql.Tx
	bound  boundStmts // stx's statements, shared by the writes of its group; never nil
	db     *DB
	now    time.Time
	events *[]kassa.AuditEvent // the write's, appended when its group commits
	hooks  *[]hookEvent        // the write's events for apps not in the audit log
}

type txKey struct{}

// Atomically runs fn so that the writes it makes through db, with the context
// it is given, commit together or not at all.
func (db *DB) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.write(ctx, func(tx *Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

// write runs fn in a transaction at one instant of the clock and commits it
// when fn returns nil; inside Atomically it joins that transaction. The
// transaction may be shared with other writes (group commit, commit.go),
// each of which fn's changes see or not as if they ran one after the other.
// A PostgreSQL serialization failure or deadlock is retried a few times, so
// fn must not have effects outside the transaction.
func (db *DB) write(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeVia(ctx, db.writes, 1, fn)
}

// reader returns what reads should go through: the transaction of
// Atomically when there is one, so that they see its writes, else the pool
// of readers.
func (db *DB) reader(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return tx
	}
	return db.reads
}

// actorOf returns the actor of ctx. Every query on tenant-owned data starts
// here, which is what keeps tenants apart.
func actorOf(ctx context.Context) (*kassa.Actor, error) {
	a := kassa.ActorFromContext(ctx)
	if a == nil || a.User == nil || a.Tenant == nil {
		return nil, kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	return a, nil
}

// exec runs one writing statement; what names it in errors.
func (db *DB) exec(ctx context.Context, what, query string, args ...any) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// WithClock returns db reading time from clock instead, sharing its
// connections: the demo loader writes history at past instants with it.
func (db *DB) WithClock(clock kassa.Clock) *DB {
	cp := *db
	cp.clock = clock
	return &cp
}

// insertRows inserts rows into table: on SQLite one prepared row at a time,
// which costs no more than a row of a long statement; on PostgreSQL many
// rows to a statement, to save round trips.
func (tx *Tx) insertRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	per := 1
	if tx.db.dialect == Postgres {
		per = max(1, 1000/len(columns))
	}
	var stmt *txStmt // SQLite's one-row statement, prepared once for all rows
	for len(rows) > 0 {
		n := min(len(rows), per)
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(columns, ", "))
		args := make([]any, 0, n*len(columns))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + marks(len(args)+1, len(r)) + ")")
			args = append(args, r...)
		}
		var err error
		switch {
		case stmt != nil:
			_, err = stmt.ExecContext(ctx, args...)
		case per == 1 && len(rows) > 1 && tx.db.writeStmts.lookup(q.String()) == nil:
			if stmt, err = tx.prepare(ctx, q.String()); err == nil {
				defer stmt.Close()
				_, err = stmt.ExecContext(ctx, args...)
			}
		default:
			_, err = tx.ExecContext(ctx, q.String(), args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}
