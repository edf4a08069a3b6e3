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

// TestSpendLimitAcrossProcesses has erik buy 5 licenses (1 493,75 kr with
// VAT) eight times at once, through two processes' databases, under a
// personal ceiling of 2 000 kr: one purchase fits, two do not, so exactly
// one goes through and the rest are refused naming quantity, on either
// engine.
func TestSpendLimitAcrossProcesses(t *testing.T) {
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
	astrid, err := db1.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	admin := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	if err := db1.SetSpendLimits(admin, kassa.SpendLimits{PerPerson: &kassa.Money{Amount: 200000, Currency: "SEK"}}); err != nil {
		t.Fatal(err)
	}
	erik := erikContext(t, db1)
	products, _ := db1.FindProducts(erik)
	profiles, _ := db1.FindBillingProfiles(erik)
	var analytics string
	for _, p := range products {
		if p.SKU == "ANALYTICS_PRO" {
			analytics = p.ID
		}
	}
	log := slog.New(slog.DiscardHandler)
	services := []*billing.Service{billing.New(db1, gw, clock, log), billing.New(db2, gw, clock, log)}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = services[i%2].Purchase(erik, billing.PurchaseRequest{ProductID: analytics, Term: kassa.Monthly,
				Quantity: 5, BillingProfileID: profiles[0].ID}, "")
		})
	}
	wg.Wait()
	bought := 0
	for _, err := range errs {
		switch {
		case err == nil:
			bought++
		case kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "quantity":
			t.Errorf("purchase refused with %v, want invalid quantity", err)
		}
	}
	if bought != 1 {
		t.Errorf("%d purchases went through, want 1", bought)
	}
	_, spend, err := db1.FindSpendLimits(admin)
	if err != nil || spend.Organization.Amount != 149375 {
		t.Errorf("spent %v (%v), want 149375", spend, err)
	}
	subs, _ := db1.FindSubscriptions(erik, kassa.SubscriptionFilter{})
	if len(subs) != 1 {
		t.Errorf("%d subscriptions, want 1", len(subs))
	}
}
