package sqldb_test

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestReadsTogether has 64 readers of two tenants look up users of both at
// once: on PostgreSQL their reads ride together in shared round trips, and
// each must still get its own row, with its own tenant's condition — a user
// of the other tenant is NotFound.
func TestReadsTogether(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("Läsare %02d", i))
	}
	ctxA, usersA := mustTenant(t, db, "Alfa", names...)
	ctxB, usersB := mustTenant(t, db, "Beta", names...)
	all := append(append([]*kassa.User(nil), usersA...), usersB...)
	ridesBefore, readsBefore := db.Rides()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	for w := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0))
			for range 30 {
				ctx, own := ctxA, usersA[0].TenantID
				if rng.IntN(2) == 1 {
					ctx, own = ctxB, usersB[0].TenantID
				}
				want := all[rng.IntN(len(all))]
				got, err := db.FindUserByID(ctx, want.ID)
				var problem string
				switch {
				case want.TenantID != own && kassa.ErrorCode(err) != kassa.NotFound:
					problem = fmt.Sprintf("tenant %s read %s of the other tenant: %v, %v", own, want.ID, got, err)
				case want.TenantID == own && err != nil:
					problem = fmt.Sprintf("tenant %s read its %s: %v", own, want.ID, err)
				case want.TenantID == own && (got.ID != want.ID || got.Email != want.Email):
					problem = fmt.Sprintf("tenant %s read %s and got %s (%s)", own, want.ID, got.ID, got.Email)
				}
				if problem != "" {
					mu.Lock()
					problems = append(problems, problem)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, p := range problems[:min(len(problems), 10)] {
		t.Error(p)
	}
	rides, reads := db.Rides()
	rides, reads = rides-ridesBefore, reads-readsBefore
	t.Logf("%d reads in %d round trips", reads, rides)
	if db.Dialect() == sqldb.Postgres && (reads != 64*30 || rides >= reads) {
		t.Errorf("PostgreSQL: %d reads in %d round trips; want all %d, some of them together", reads, rides, 64*30)
	}
}

// TestReadTogetherFailure runs a failing statement amid others in one round
// trip. In a pipeline the database skips what follows a failure; each read
// must still end as it would alone: its row, its own error, or no row.
func TestReadTogetherFailure(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	vals, errs := db.ReadTogether(t.Context(), []string{
		`SELECT CAST($1 AS BIGINT)`,
		`SELECT 1 / CAST($1 AS BIGINT)`,
		`SELECT CAST($1 AS BIGINT) + 2`,
		`SELECT CAST($1 AS BIGINT) WHERE 1 = 0`,
		`SELECT CAST($1 AS BIGINT) * 3`,
	}, [][]any{{5}, {0}, {5}, {1}, {5}})
	if errs[0] != nil || vals[0] != 5 {
		t.Errorf("the read before the failure: %d, %v; want 5", vals[0], errs[0])
	}
	if db.Dialect() == sqldb.Postgres && (errs[1] == nil || !strings.Contains(errs[1].Error(), "division by zero")) {
		t.Errorf("the failing read: %v; want its division by zero", errs[1])
	}
	if errs[2] != nil || vals[2] != 7 {
		t.Errorf("the read after the failure: %d, %v; want 7", vals[2], errs[2])
	}
	if !errors.Is(errs[3], sql.ErrNoRows) {
		t.Errorf("the read of no row: %v; want sql.ErrNoRows", errs[3])
	}
	if errs[4] != nil || vals[4] != 15 {
		t.Errorf("the last read: %d, %v; want 15", vals[4], errs[4])
	}
}
