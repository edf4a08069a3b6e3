package billing_test

import (
	"context"
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
	p := newProcesses(t)
	admin, erik, services := p.admin, p.erik, p.services
	if err := p.db1.SetSpendLimits(admin, kassa.SpendLimits{PerPerson: &kassa.Money{Amount: 200000, Currency: "SEK"}}); err != nil {
		t.Fatal(err)
	}
	analytics, profile, db1 := p.analytics, p.profile, p.db1
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = services[i%2].Purchase(erik, billing.PurchaseRequest{ProductID: analytics, Term: kassa.Monthly,
				Quantity: 5, BillingProfileID: profile}, "")
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

// processes is the demo on one database, as two kassa processes see it:
// each with its *sqldb.DB and billing, and the people and product the
// cross-process races use.
type processes struct {
	db1, db2           *sqldb.DB
	services           []*billing.Service // on db1 and db2
	admin, erik        context.Context    // astrid's and erik's
	tenant             string
	analytics, profile string // Analytics Pro, and erik's billing profile
}

func newProcesses(t *testing.T) *processes {
	t.Helper()
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
	p := &processes{db1: db1, db2: db2, tenant: astrid.Tenant.ID, erik: erikContext(t, db1),
		admin: kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})}
	products, _ := db1.FindProducts(p.erik)
	profiles, _ := db1.FindBillingProfiles(p.erik)
	for _, pr := range products {
		if pr.SKU == "ANALYTICS_PRO" {
			p.analytics = pr.ID
		}
	}
	p.profile = profiles[0].ID
	log := slog.New(slog.DiscardHandler)
	p.services = []*billing.Service{billing.New(db1, gw, clock, log), billing.New(db2, gw, clock, log)}
	return p
}
