package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestGroupCommit holds the committer on one write while twenty more queue
// behind it, so that they commit as a group: the ones that fail — by
// returning an error after writing, or by a statement the database refuses
// (which on PostgreSQL spoils the whole transaction but for the savepoint)
// — leave nothing behind, and the others all commit, their audit events
// in one unbroken chain.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx := t.Context()
	ten := &kassa.Tenant{Name: "Grupp AB", Country: "SE", Currency: "SEK", Locale: "sv"}
	if err := db.CreateTenant(ctx, ten); err != nil {
		t.Fatal(err)
	}
	user := func(name string) *kassa.User {
		return &kassa.User{Name: name, Email: name + "@grupp.example", Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser}
	}
	groupsBefore, groupedBefore := db.Groups()

	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Atomically(ctx, func(ctx context.Context) error {
			if err := db.CreateUser(ctx, ten.ID, user("first"), "x"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	errPlanned := errors.New("planned failure")
	results := make([]error, 21)
	var wg sync.WaitGroup
	for i := range 21 {
		wg.Go(func() {
			results[i] = db.Atomically(ctx, func(ctx context.Context) error {
				u := user(fmt.Sprintf("u%02d", i))
				if i == 20 {
					u.Email = "first@grupp.example" // taken: the database refuses it
				}
				if err := db.CreateUser(ctx, ten.ID, u, "x"); err != nil {
					return err
				}
				if i%2 == 1 {
					return errPlanned
				}
				return nil
			})
		})
	}
	// Let them queue behind the first: every write waits for a committer,
	// or one took it (PostgreSQL's other committers are free).
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		_, grouped := db.Groups()
		if db.Waiting()+grouped-groupedBefore-1 >= 21 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes wait, %d were taken: not all 21 came", db.Waiting(), grouped-groupedBefore-1)
		}
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	for i, err := range results {
		_, ferr := db.FindCredentials(ctx, fmt.Sprintf("u%02d@grupp.example", i))
		switch {
		case i == 20:
			if kassa.ErrorCode(err) != kassa.Conflict {
				t.Errorf("write %d with a taken email: %v, want conflict", i, err)
			}
		case i%2 == 1:
			if !errors.Is(err, errPlanned) || kassa.ErrorCode(ferr) != kassa.NotFound {
				t.Errorf("failing write %d: %v, and its user is there (%v)", i, err, ferr)
			}
		default:
			if err != nil || ferr != nil {
				t.Errorf("write %d: %v; its user: %v", i, err, ferr)
			}
		}
	}
	groups, _ := db.Groups()
	if groups-groupsBefore >= 22 {
		t.Errorf("%d transactions for 22 writes: none were grouped", groups-groupsBefore)
	}
	events, _, breaks, err := db.VerifyAudit(ctx)
	if err != nil || len(breaks) > 0 {
		t.Fatalf("audit: %v %v", err, breaks)
	}
	if want := 1 + 1 + 10; events != want { // the tenant, the first user, the ten even ones
		t.Errorf("%d audit events, want %d", events, want)
	}
}

// TestGroupCommitOutlivesItsCaller: a caller that goes away while its write
// runs neither interrupts the write nor the others of its group; a write
// after Close is refused, not lost.
func TestGroupCommitOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	db, dsn := sqldbtest.MustOpen(t, kassa.NewTestClock(testNow))
	ten := &kassa.Tenant{Name: "Borta AB", Country: "SE", Currency: "SEK", Locale: "sv"}
	if err := db.CreateTenant(t.Context(), ten); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	err := db.Atomically(ctx, func(ctx context.Context) error {
		u := &kassa.User{Name: "Kvar", Email: "kvar@borta.example", Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser}
		cancel() // the client hangs up mid-write
		return db.CreateUser(ctx, ten.ID, u, "x")
	})
	if err != nil {
		t.Fatalf("a write whose caller went away: %v", err)
	}
	if _, err := db.FindCredentials(t.Context(), "kvar@borta.example"); err != nil {
		t.Fatalf("the write did not commit: %v", err)
	}

	other, err := sqldb.Open(t.Context(), dsn, kassa.NewTestClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	done := make(chan error, 1)
	go func() {
		done <- other.CreateTenant(t.Context(), &kassa.Tenant{Name: "Sen AB", Country: "SE", Currency: "SEK", Locale: "sv"})
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a write after Close succeeded")
		}
	case <-time.After(time.Minute):
		t.Fatal("a write after Close hangs")
	}
}

// TestSQLiteSettings checks the settings durability and group commit's
// speed rest on, as SQLite reports them on the connection it writes on.
func TestSQLiteSettings(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	if db.Dialect() != sqldb.SQLite {
		t.Skip("SQLite only")
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"temp_store":   "2", // MEMORY: savepoints' sub-journals stay in memory
		"foreign_keys": "1",
	} {
		got, err := db.WriterPragma(t.Context(), pragma)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestTransactionBindsAStatementOnce runs one statement many times in a
// write: its transaction binds the cached statement once, instead of once
// a run (database/sql keeps each until the transaction ends, so an import
// of 10 000 people held tens of thousands).
func TestTransactionBindsAStatementOnce(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	const query = `UPDATE tenants SET name = name WHERE id = 'nobody'`
	// The first write sees the text and the cache prepares it after; the
	// second runs it prepared (SQLite: pgx keeps its own statements).
	for write, want := range []int{0, 1} {
		if db.Dialect() == sqldb.Postgres {
			want = 0
		}
		got, err := db.BoundAfter(t.Context(), query, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("write %d: %d statements bound for 1 000 runs of one, want %d", write+1, got, want)
		}
	}
}
