package billing_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestGroupSeatsAcrossProcesses: members joining a linked group (as SCIM
// adds them), assignments by hand and the admins lowering the licenses
// race for ten licenses through two *sqldb.DB on one database: every seat
// is taken once, and the count equals the licenses held, on SQLite and
// PostgreSQL.
func TestGroupSeatsAcrossProcesses(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(day(3, 10))
	db1, dsn := sqldbtest.MustOpen(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db1, gw); err != nil {
		t.Fatal(err)
	}
	db2, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	creds, err := db1.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	admin := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	tenant := creds.Tenant.ID

	// erik's Analytics Pro of ten licenses, which the admins take over.
	erik := erikContext(t, db1)
	products, _ := db1.FindProducts(erik)
	profiles, _ := db1.FindBillingProfiles(erik)
	var analytics string
	for _, p := range products {
		if p.SKU == "ANALYTICS_PRO" {
			analytics = p.ID
		}
	}
	b := billing.New(db1, gw, clock, slog.New(slog.DiscardHandler))
	sub, _, err := b.Purchase(erik, billing.PurchaseRequest{ProductID: analytics, Term: kassa.Monthly, Quantity: 10,
		BillingProfileID: profiles[0].ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db1.TakeOver(admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	users, _, err := db1.FindUsers(admin, kassa.UserFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var people []string
	for _, u := range users {
		if u.CanHoldLicense() && len(people) < 30 {
			people = append(people, u.ID)
		}
	}
	g := &kassa.Group{DisplayName: "Kapplöpning"}
	if err := db1.CreateGroup(admin, tenant, g, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db1.LinkGroup(admin, sub.ID, g.ID); err != nil {
		t.Fatal(err)
	}

	dbs := []*sqldb.DB{db1, db2}
	bs := []*billing.Service{b, billing.New(db2, gw, clock, slog.New(slog.DiscardHandler))}
	var wg sync.WaitGroup
	errs := make([]error, len(people)+2)
	// Seat changes race too: the admins lower the licenses to 8 and 9,
	// refused once more than that are held.
	for i, quantity := range []int{8, 9} {
		wg.Go(func() {
			_, _, err := bs[i].SetQuantity(admin, sub.ID, quantity, "")
			if kassa.ErrorCode(err) != kassa.Conflict {
				errs[len(people)+i] = err
			}
		})
	}
	for i, id := range people {
		wg.Go(func() {
			db := dbs[i%2]
			if i < 15 {
				_, errs[i] = db.UpdateGroup(admin, tenant, g.ID, kassa.GroupChange{Add: []string{id}})
				return
			}
			_, errs[i] = db.Assign(admin, sub.ID, []string{id})
			if kassa.ErrorCode(errs[i]) == kassa.Conflict {
				errs[i] = nil // no free license left: refused, as it should be
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
	after, err := db1.FindSubscriptionByID(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	held, err := db1.FindLicenses(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Assigned != after.Quantity || len(held) != after.Quantity || after.Quantity < 8 {
		t.Errorf("%d licenses, assigned %d, %d held: want every seat taken once", after.Quantity, after.Assigned, len(held))
	}
	link, err := db1.FindGroupLink(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if link.Licensed+link.Waiting != 15 {
		t.Errorf("the group has %d licensed and %d waiting, want its 15 members", link.Licensed, link.Waiting)
	}
}
