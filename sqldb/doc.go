// Package sqldb is the only package that speaks SQL. It keeps kassa's data in
// SQLite (one file, zero set-up) or PostgreSQL (several kassa processes on one
// database) with one SQL text for both engines: placeholders are $1, $2, …,
// which modernc's SQLite driver binds by number, and the few differences live
// in the per-dialect migrations under migrations/.
//
// Every query on tenant-owned data takes the tenant from the kassa.Actor in
// its context (see actorOf): callers cannot name another tenant. Check-then-act
// happens inside the database, in one conditional statement or one
// transaction. Each transaction reads the clock once. The domain's rules
// that statements apply — which statuses are live, who may hold a license,
// who manages a subscription — are written once, as named conditions built
// from the domain's own values (rules.go).
//
// Driver errors are mapped by code, never by text: unique violations become
// kassa.Conflict, and a PostgreSQL serialization failure retries the
// transaction.
//
// # SQLite
//
// SQLite runs in WAL mode with a busy timeout, foreign keys on and
// synchronous=FULL: a commit is on disk before kassa answers, and survives a
// power cut (NORMAL in WAL mode may lose the last commits to one: a charge's
// invoice among them). Group commit pays for it. One connection writes, and
// a pool of read-only connections reads. Savepoints keep the pages they
// change in memory (temp_store=MEMORY), so a group's writes make no system
// calls until it commits.
//
// # Group commit
//
// Every write of a process goes to a committer, which runs the writes
// waiting at that moment in one transaction, each inside a savepoint of its
// own, and commits them together: one flush to disk for the group instead of
// one per write. A write that fails is rolled back to its savepoint and told
// its error; the others still commit. A write is told it committed only
// after the group's COMMIT did. While a group commits, the next one gathers,
// so under load groups grow by themselves and when idle a write commits
// alone at once.
//
// It is what lets kassa keep SQLite durable and still take thousands of
// writes a second, and on PostgreSQL it keeps a tenant's audit chain, whose
// head row every change locks until it commits, from putting the process's
// writes in single file behind each commit's flush.
//
// SQLite has one writer, so one committer. On PostgreSQL four groups commit
// at once, and the assignments of one subscription go to one of them
// (writeKeyed), so that a busy subscription's writes share groups rather
// than wait for each other's locks. The code is in commit.go.
//
// # Reads ride together on PostgreSQL
//
// Reads of one row by key (a subscription, a user, a billing profile, a
// session) ride together on PostgreSQL. Each costs little in the database
// and much in the round trip to it: a network write, a wake-up of the
// server's backend and of the reader, and the backend's own bookkeeping per
// message. A read waits for a free lane (as many lanes as cores); a lane
// sends every read waiting at that moment in one round trip, pipelined
// (pgx.Batch), each its own statement with its own parameters and its own
// tenant's conditions, and hands each its row. One that fails runs again
// alone. With no read waiting a read goes alone, as it would without lanes.
// On SQLite there is no round trip, and reads go straight to the pool. The
// code is in readbatch.go.
//
// # Prepared statements
//
// Statements are prepared once per connection. SQLite's driver parses every
// statement it is handed anew, and parsing is most of what a short statement
// costs, so each pool keeps a prepared statement per query text (stmtCache);
// pgx caches prepared statements by itself.
//
// # No ANALYZE on SQLite
//
// Nothing analyzes a SQLite file kassa uses, and no one should: ANALYZE (or
// PRAGMA optimize) leaves samples in sqlite_stat4, with which SQLite
// prepares a statement again whenever its parameters change; reads fell to
// half in kassa bench. DELETE FROM sqlite_stat4 undoes it. PostgreSQL is
// analyzed as usual (autovacuum; [DB.Settle] before measuring).
//
// # The audit chain
//
// Every change records its audit events in the transaction that makes it;
// they join their tenant's chain just before the write's group commits, and
// only if the write does. A tenant's events are numbered 1, 2, 3… and
// chained: an event's hash is SHA-256 over its length-prefixed fields and
// the hash of the event before (kassa.AuditEvent.ComputeHash). The chain's
// head, its newest number and hash, is kept in audit_heads; taking the head
// locks its row until the transaction ends, which orders a tenant's appends,
// so events get their numbers and links in commit order. A group takes the
// heads last, just before it commits, in the order of the tenants' ids, so
// that two groups cannot wait for each other. [DB.VerifyAudit] recomputes
// every chain and reports each break.
//
// A renewal of many subscriptions is one write of that size (writeSized):
// it counts as that many writes towards a group's bound of 32, so a group
// of SQLite's changes, kept in memory until it commits, stays small.
//
// # Licenses never exceed the quantity
//
// [DB.Assign] changes the seats and the count in one transaction, behind
// one conditional statement,
//
//	UPDATE subscriptions SET assigned = assigned + n
//	WHERE … AND assigned + n <= quantity
//
// which also checks the subscription is live and that the actor still
// manages it (a take-over committed meanwhile wins). When it changes no row,
// nothing is assigned. A CHECK constraint (assigned <= quantity) is the
// backstop, so no concurrency — goroutines, or several processes on one
// PostgreSQL — can assign more than was bought.
//
// # Several processes
//
// Several kassa serve processes may share one PostgreSQL database:
// migrations take a session lock so that only one applies them, and unique
// keys make what must happen once happen once (one renewal per subscription
// and term start, one card per billing profile).
package sqldb
