package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/telemetry"
)

// maxGroup bounds the writes committed together, and so the savepoints of
// a transaction: PostgreSQL slows down past 64 subtransactions, and SQLite
// keeps the pages each savepoint changes in memory (temp_store=MEMORY)
// until the group ends: groups of 128 renewals made the renewal run the
// peak of kassa bench's memory (95-99 MB); with groups of 32 it is not, and
// the throughput held.
func (db *DB) maxGroup() int { return 32 }

// pendingWrite is a write waiting for the committer.
type pendingWrite struct {
	db   *DB // the caller's: a copy made by WithClock has a clock of its own
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
	at   time.Time // when it was handed over
	// size is how many writes it counts as towards maxGroup (writeSized).
	size int
	// span is the write's own span, when its caller's is recording (the
	// group's span links to it, and it to the group's).
	span trace.Span
}

// committers is how many groups commit at once on PostgreSQL, each on a
// connection of its own. (SQLite has one writer: one committer.) Groups
// overlap their statements' round trips and wait for each other only
// where they touch the same rows, and at the audit chain's head, which a
// group takes last, just before it commits.
const committers = 4

// startCommitter starts the goroutines that commit db's writes; Close
// stops them.
func (db *DB) startCommitter() {
	db.writes = make(chan *pendingWrite)
	db.stop = make(chan struct{})
	db.stopped = make(chan struct{})
	db.closing = &sync.Once{}
	db.groups, db.grouped, db.waiting = &atomic.Int64{}, &atomic.Int64{}, &atomic.Int64{}
	n := 1
	if db.dialect == Postgres {
		n = committers
	}
	var wg sync.WaitGroup
	db.lanes = make([]chan *pendingWrite, n)
	for i := range n {
		db.lanes[i] = make(chan *pendingWrite)
		wg.Go(func() { db.commitLoop(db.lanes[i]) })
	}
	if db.dialect == Postgres {
		db.startReadLanes()
	}
	go func() {
		wg.Wait()
		close(db.stopped)
	}()
}

// commitLoop is one committer: it takes a write from its lane or from
// db.writes, gathers every other write waiting at that moment (up to
// maxGroup) and commits them as one group (commitGroup), until db is
// closed. The package doc says why (Group commit).
func (db *DB) commitLoop(lane chan *pendingWrite) {
	var next *pendingWrite // taken, but too large for the group before
	for {
		var group []*pendingWrite
		if next != nil {
			group, next = append(group, next), nil
		} else {
			select {
			case w := <-db.writes:
				group = append(group, w)
			case w := <-lane:
				group = append(group, w)
			case <-db.stop:
				return
			}
		}
		size := group[0].size
	gather:
		for size < db.maxGroup() {
			var w *pendingWrite
			select {
			case w = <-lane:
			case w = <-db.writes:
			default:
				break gather
			}
			if size+w.size > db.maxGroup() {
				next = w
				break
			}
			group, size = append(group, w), size+w.size
		}
		db.commitGroup(group)
	}
}

// errClosed answers writes sent after Close.
var errClosed = errors.New("the database is closed")

// writeKeyed is write for writes that change a row named by key: they all
// go to one committer, so that writes of a busy row share its groups
// instead of waiting, group after group, for each other's locks.
func (db *DB) writeKeyed(ctx context.Context, key string, fn func(tx *Tx) error) error {
	h := fnv.New32a()
	h.Write([]byte(key))
	return db.writeVia(ctx, db.lanes[h.Sum32()%uint32(len(db.lanes))], 1, fn)
}

// writeSized is write for a write that does the work of size ordinary ones
// (a renewal of that many subscriptions): it counts as that many towards
// the bound of its group (maxGroup), so that the pages a group changes, and
// with them the memory it takes, stay bounded.
func (db *DB) writeSized(ctx context.Context, size int, fn func(tx *Tx) error) error {
	return db.writeVia(ctx, db.writes, size, fn)
}

// writeVia hands fn to the committer that takes writes from to (or runs it
// in the transaction of Atomically) and waits for the outcome. size is
// writeSized's.
func (db *DB) writeVia(ctx context.Context, to chan *pendingWrite, size int, fn func(tx *Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return fn(tx)
	}
	w := &pendingWrite{db: db, ctx: ctx, fn: fn, done: make(chan error, 1), at: time.Now(), size: max(1, size)}
	if trace.SpanFromContext(ctx).IsRecording() {
		w.ctx, w.span = telemetry.Tracer().Start(ctx, "sqldb.write")
		defer w.span.End()
	}
	db.waiting.Add(1)
	select {
	case to <- w:
		db.waiting.Add(-1)
	case <-ctx.Done():
		db.waiting.Add(-1)
		return ctx.Err()
	case <-db.stop:
		db.waiting.Add(-1)
		return errClosed
	}
	// Once taken, the write runs to its end: waiting for the outcome even
	// when ctx ends is what keeps a caller from reporting a failure for
	// a change that committed.
	return <-w.done
}

// commitGroup runs the group's writes in one transaction and commits it.
func (db *DB) commitGroup(group []*pendingWrite) {
	db.groups.Add(1)
	db.grouped.Add(int64(len(group)))
	// The transaction is the group's, not any one caller's: a caller that
	// goes away must not roll back the others.
	ctx := context.Background()
	start := time.Now()
	ctx, span := db.groupSpan(ctx, group)
	defer span.End()
	results := make([]error, len(group))
	if len(group) == 1 {
		results[0] = db.runAlone(ctx, group[0])
	} else {
		err := db.runGroup(ctx, group, results)
		for i, w := range group {
			if err != nil && results[i] == nil {
				results[i] = err
			}
			// A write that met a deadlock or a serialization failure
			// runs again alone, now that the group's locks are gone:
			// retried inside the group, it would wait for them once more.
			if retryable(results[i]) {
				results[i] = db.runAlone(ctx, w)
			}
		}
	}
	db.writeStmts.prepareWanted(ctx)
	if m := db.metrics.Load(); m != nil {
		waits := make([]time.Duration, len(group))
		for i, w := range group {
			waits[i] = start.Sub(w.at)
		}
		m.CommitGroup(string(db.dialect), waits, time.Since(start))
	}
	for i, w := range group {
		w.done <- results[i]
	}
}

// groupSpan starts the group's span when any write in it has one of its
// own: linked to each write's span, and each write's to it.
func (db *DB) groupSpan(ctx context.Context, group []*pendingWrite) (context.Context, trace.Span) {
	var links []trace.Link
	for _, w := range group {
		if w.span != nil {
			links = append(links, trace.Link{SpanContext: w.span.SpanContext()})
		}
	}
	if links == nil {
		return ctx, trace.SpanFromContext(ctx) // not recording: ending it does nothing
	}
	ctx, span := telemetry.Tracer().Start(ctx, "sqldb.commit_group", trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("db.system", string(db.dialect)), attribute.Int("kassa.group.size", len(group))))
	for _, w := range group {
		if w.span != nil {
			w.span.AddLink(trace.Link{SpanContext: span.SpanContext()})
		}
	}
	return ctx, span
}

// runGroup runs the writes, each in a savepoint, records each one's error
// in results, and commits; an error it returns is every write's that did
// not fail on its own.
func (db *DB) runGroup(ctx context.Context, group []*pendingWrite, results []error) error {
	stx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var events []kassa.AuditEvent // of the writes that succeeded
	var hooks []hookEvent
	bound := boundStmts{}
	for i, w := range group {
		if err := w.ctx.Err(); err != nil {
			results[i] = err // given up on before its turn: never ran
			continue
		}
		if _, err := stx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			_ = stx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		mine, myHooks, err := w.run(stx, bound)
		if err == nil {
			// Its savepoint stays: COMMIT keeps what every savepoint
			// holds, and a RELEASE would cost a round trip.
			events, hooks = append(events, mine...), append(hooks, myHooks...)
			continue
		}
		results[i] = err
		// The newest savepoint named w is this write's.
		if _, rerr := stx.ExecContext(ctx, `ROLLBACK TO w`); rerr != nil {
			_ = stx.Rollback()
			return fmt.Errorf("roll back to savepoint: %w", rerr)
		}
	}
	return db.commit(ctx, stx, bound, events, hooks)
}

// runAlone runs one write in a transaction of its own, again when
// PostgreSQL reports a deadlock or a serialization failure, and returns its
// error.
func (db *DB) runAlone(ctx context.Context, w *pendingWrite) error {
	if err := w.ctx.Err(); err != nil {
		return err // given up on before its turn: never ran
	}
	for attempt := 1; ; attempt++ {
		stx, err := db.rw.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		bound := boundStmts{}
		events, hooks, err := w.run(stx, bound)
		if err == nil {
			return db.commit(ctx, stx, bound, events, hooks)
		}
		_ = stx.Rollback()
		if !retryable(err) || attempt == retries {
			return err
		}
		time.Sleep(retryPause(attempt))
	}
}

// run runs the write in stx, whose statements bound holds, and returns the
// audit events and the events for apps it recorded.
func (w *pendingWrite) run(stx *sql.Tx, bound boundStmts) ([]kassa.AuditEvent, []hookEvent, error) {
	var events []kassa.AuditEvent
	var hooks []hookEvent
	err := w.fn(&Tx{stx: stx, bound: bound, db: w.db, now: w.db.clock.Now(), events: &events, hooks: &hooks})
	return events, hooks, err
}

// commit appends the events to their audit chains, writes the webhook
// deliveries of the changes, and commits stx.
func (db *DB) commit(ctx context.Context, stx *sql.Tx, bound boundStmts, events []kassa.AuditEvent, hooks []hookEvent) error {
	if len(events) > 0 || len(hooks) > 0 {
		tx := &Tx{stx: stx, bound: bound, db: db}
		if err := tx.appendAudit(ctx, events); err != nil {
			_ = stx.Rollback()
			return err
		}
		if err := tx.appendWebhooks(ctx, events, hooks); err != nil {
			_ = stx.Rollback()
			return err
		}
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// A PostgreSQL serialization failure or deadlock is retried this often.
const retries = 5

func retryPause(attempt int) time.Duration {
	return time.Duration(attempt*attempt) * 5 * time.Millisecond
}
