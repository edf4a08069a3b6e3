package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// rowRead is one single-row read waiting for a lane.
type rowRead struct {
	ctx   context.Context
	query string
	args  []any
	scan  func(row) error
	done  chan error // told the read's outcome once; buffered
}

// row is what a scan function reads one row from: *sql.Row or pgx.Row.
type row interface{ Scan(dest ...any) error }

// maxRideTogether bounds one round trip's reads: the backend runs them one
// after the other, and the last waits for all before it.
const maxRideTogether = 32

// rideTimeout bounds a lane's round trip, which no caller's context does
// (a caller may go away; the others still want their rows).
const rideTimeout = time.Minute

// startReadLanes starts the lanes of db's single-row reads on PostgreSQL,
// as many as cores (at least two); Close stops them.
func (db *DB) startReadLanes() {
	db.rowReads = make(chan *rowRead)
	db.rides, db.ridden = &atomic.Int64{}, &atomic.Int64{}
	for range max(2, runtime.GOMAXPROCS(0)) {
		go db.readLane()
	}
}

// readLane takes a waiting read and every other one waiting with it (up to
// maxRideTogether), and runs them together in one round trip, until db is
// closed. The package doc says why (Reads ride together on PostgreSQL).
func (db *DB) readLane() {
	rides := make([]*rowRead, 0, maxRideTogether)
	for {
		select {
		case r := <-db.rowReads:
			rides = append(rides[:0], r)
		case <-db.stop:
			return
		}
	gather:
		for len(rides) < maxRideTogether {
			select {
			case r := <-db.rowReads:
				rides = append(rides, r)
			default:
				break gather
			}
		}
		db.readTogether(rides)
	}
}

// readTogether runs reads in one round trip. A read whose statement failed
// (or that a failed round trip left unanswered) runs again alone, on its own
// context, so that it ends as it would have alone: one failed statement
// aborts those after it in a pipeline.
func (db *DB) readTogether(rides []*rowRead) {
	db.rides.Add(1)
	db.ridden.Add(int64(len(rides)))
	answered := make([]bool, len(rides))
	ctx, cancel := context.WithTimeout(context.Background(), rideTimeout)
	defer cancel()
	if conn, err := db.ro.Conn(ctx); err == nil {
		_ = conn.Raw(func(driverConn any) error {
			b := &pgx.Batch{}
			for i, r := range rides {
				b.Queue(r.query, r.args...).QueryRow(func(row pgx.Row) error {
					if err := r.scan(row); err == nil || errors.Is(err, sql.ErrNoRows) {
						answered[i] = true
						r.done <- err
					}
					return nil
				})
			}
			return driverConn.(*stdlib.Conn).Conn().SendBatch(ctx, b).Close()
		})
		conn.Close()
	}
	for i, r := range rides {
		if !answered[i] {
			r.done <- r.scan(db.reads.QueryRowContext(r.ctx, r.query, r.args...))
		}
	}
}

// readRow reads one row with scan: with others on PostgreSQL (readLane), in
// the transaction of ctx if it has one, and alone otherwise. scan sees an
// error that is sql.ErrNoRows when there is no row.
func (db *DB) readRow(ctx context.Context, scan func(row) error, query string, args ...any) error {
	q := db.reader(ctx)
	if db.rowReads == nil || q != querier(db.reads) {
		return scan(q.QueryRowContext(ctx, query, args...))
	}
	r := &rowRead{ctx: ctx, query: query, args: args, scan: scan, done: make(chan error, 1)}
	select {
	case db.rowReads <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return scan(q.QueryRowContext(ctx, query, args...))
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
