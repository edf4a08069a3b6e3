package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query text of a pool. SQLite's
// driver parses every statement it is handed anew, and parsing is most of
// what a short statement costs; with the cache each text is parsed once per
// connection. (pgx caches prepared statements by itself.)
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool // texts seen in transactions, prepared after them
}

// maxCachedStmts bounds the cache; texts beyond it are parsed every time.
const maxCachedStmts = 1000

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// lookup returns the prepared statement of query, or nil when there is none
// yet; a text seen for the first time is remembered for prepareWanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.m[query]
	if s == nil && len(c.m)+len(c.wanted) < maxCachedStmts {
		c.wanted[query] = true
	}
	return s
}

// prepareWanted prepares the texts lookup missed. Preparing takes a
// connection of the pool, so it must be called holding none: a transaction
// on SQLite's one writing connection cannot prepare for itself, and
// prepares after it ends.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // running it unprepared reports the error
		}
		c.mu.Lock()
		if c.m == nil || c.m[q] != nil {
			s.Close()
		} else {
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

// get returns the prepared statement of query, preparing it when it is not
// cached yet, or nil when it cannot be cached. It must be called holding no
// connection of the pool.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if s := c.lookup(query); s != nil || c == nil {
		return s
	}
	c.prepareWanted(ctx)
	return c.lookup(query)
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// readPool is the pool of readers, through the cache when there is one.
type readPool struct {
	*sql.DB
	stmts *stmtCache
}

func (p readPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// boundStmts holds the cached statements a transaction has bound to
// itself, one per text. database/sql's Tx.StmtContext makes a new statement
// each time it is called, and the transaction keeps every one until it
// ends: one for every statement it ran. An import of 10 000 people, one
// transaction, held tens of thousands: kassa bench's Go heap at its peak
// was 11 MB larger (BENCHMARKS.md, "Scale").
type boundStmts map[string]*sql.Stmt

// stmt returns query's cached statement bound to the transaction, or nil
// when the cache has none yet.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := tx.bound[query]; s != nil {
		return s
	}
	s := tx.db.writeStmts.lookup(query)
	if s == nil {
		return nil
	}
	s = tx.stx.StmtContext(ctx, s)
	tx.bound[query] = s
	return s
}

// ExecContext runs a statement in the transaction, prepared once.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.stx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, prepared once.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.stx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction, prepared once.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.stx.QueryRowContext(ctx, query, args...)
}

// prepare prepares query for this transaction alone; the statement it
// returns runs without the caller's cancellation, like the transaction's
// other statements.
func (tx *Tx) prepare(ctx context.Context, query string) (*txStmt, error) {
	s, err := tx.stx.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	return &txStmt{s}, nil
}

// txStmt is a statement prepared in a transaction.
type txStmt struct{ s *sql.Stmt }

// ExecContext runs the statement without the caller's cancellation.
func (st *txStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return st.s.ExecContext(context.WithoutCancel(ctx), args...)
}

// Close releases the statement.
func (st *txStmt) Close() error { return st.s.Close() }
