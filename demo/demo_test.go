package demo_test

import (
	"context"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func TestHistory(t *testing.T) {
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	for range 2 { // the second time changes nothing
		if _, err := demo.Load(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
		if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
	}
	creds, err := db.FindCredentials(t.Context(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	subs, _ := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{})
	statuses := map[kassa.SubscriptionStatus]int{}
	for _, s := range subs {
		statuses[s.Status]++
	}
	if len(subs) != 4 || statuses[kassa.StatusActive] != 2 || statuses[kassa.StatusCanceled] != 1 || statuses[kassa.StatusTrialing] != 1 {
		t.Fatalf("erik's subscriptions: %v", statuses)
	}
	invs, _ := db.FindInvoices(ctx, kassa.InvoiceFilter{})
	months := map[string]bool{}
	credits := 0
	for _, inv := range invs {
		months[inv.IssuedAt.Format("2006-01")] = true
		if inv.Type == kassa.TypeCreditNote {
			credits++
		}
	}
	if len(invs) < 12 || len(months) < 8 || credits < 1 {
		t.Errorf("%d invoices over %d months, %d credit notes; want them spread over 8 months", len(invs), len(months), credits)
	}
	for i := 1; i < len(invs); i++ {
		if invs[i].Number >= invs[i-1].Number {
			t.Errorf("invoice numbers out of order: %s then %s", invs[i-1].Number, invs[i].Number)
		}
	}
	// Colleagues hold erik's licenses: the admins' view shows them.
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	view, err := db.FindSelfServicePurchases(kassa.NewContextWithActor(t.Context(),
		&kassa.Actor{User: astrid.User, Tenant: astrid.Tenant}))
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]int{}
	for _, p := range view {
		holders[p.ProductName.En] = len(p.AssignedUsers)
		if len(p.AssignedUsers) > p.Quantity {
			t.Errorf("%s: %d holders of %d licenses", p.ProductName.En, len(p.AssignedUsers), p.Quantity)
		}
	}
	if holders["Analytics Pro"] != 7 || holders["Project Plan"] != 3 || holders["Diagram Studio"] != 2 {
		t.Errorf("holders in the admins' view: %v", holders)
	}
}
