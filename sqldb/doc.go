// Package sqldb is the only package that speaks SQL. It keeps kassa's data in
// SQLite (one file, zero set-up) or PostgreSQL (several kassa processes on one
// database) with one SQL text for both engines: placeholders are $1, $2, …,
// which modernc's SQLite driver binds by number, and the few differences live
// in the per-dialect migrations under migrations/.
//
// Every query on tenant-owned data takes the tenant from the kassa.Actor in
// its context (see actorOf): callers cannot name another tenant. Check-then-act
// happens inside the database, in one conditional statement or one
// transaction. Each transaction reads the clock once.
//
// Driver errors are mapped by code, never by text: unique violations become
// kassa.Conflict, and a PostgreSQL serialization failure retries the
// transaction.
package sqldb
