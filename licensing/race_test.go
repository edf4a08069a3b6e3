package licensing_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestTwoInstancesNeverOverAssign races 64 assignments for 3 free licenses
// through two database handles, as two kassa processes on one database
// would: exactly 3 win, every round.
func TestTwoInstancesNeverOverAssign(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	dsn := sqldbtest.DSN(t)
	var dbs []*sqldb.DB
	for range 2 {
		db, err := sqldb.Open(t.Context(), dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), dbs[0], gw); err != nil {
		t.Fatal(err)
	}
	creds, _ := dbs[0].FindCredentials(t.Context(), "erik@nordvik.example")
	ctx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	users, _, _ := dbs[0].FindUsers(ctx, kassa.UserFilter{Limit: 200})
	var people []string
	for _, u := range users {
		if u.Type == kassa.Member {
			people = append(people, u.ID)
		}
	}
	products, _ := dbs[0].FindProducts(ctx)
	profiles, _ := dbs[0].FindBillingProfiles(ctx)
	b := billing.New(dbs[0], gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	instances := []*licensing.Service{licensing.New(dbs[0]), licensing.New(dbs[1])}
	for round := range 5 {
		sub, _, err := b.Purchase(ctx, billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly,
			Quantity: 3, BillingProfileID: profiles[0].ID}, "")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wins := make(chan bool, 64)
		for i := range 64 {
			wg.Go(func() {
				_, err := instances[i%2].Assign(ctx, sub.ID, []string{people[i%len(people)]})
				wins <- err == nil
			})
		}
		wg.Wait()
		close(wins)
		n := 0
		for w := range wins {
			if w {
				n++
			}
		}
		got, _ := dbs[1].FindSubscriptionByID(ctx, sub.ID)
		as, _ := dbs[1].FindLicenses(ctx, sub.ID)
		if n != 3 || got.Assigned != 3 || len(as) != 3 {
			t.Fatalf("round %d: %d won, %d assigned, %d licenses; want 3", round, n, got.Assigned, len(as))
		}
	}
}
