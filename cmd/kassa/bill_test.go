package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestBill buys a subscription on 31 January, then runs `kassa bill --at`
// twice for 1 April: the first run renews it twice, the second finds
// nothing left to do.
func TestBill(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	clock := kassa.NewTestClock(time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC))
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	creds, _ := db.FindCredentials(t.Context(), "erik@nordvik.example")
	ctx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	products, _ := db.FindProducts(ctx)
	profiles, _ := db.FindBillingProfiles(ctx)
	b := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sub, _, err := b.Purchase(ctx, billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly, Quantity: 1,
		BillingProfileID: profiles[0].ID}, "")
	if err != nil {
		t.Fatal(err)
	}

	for _, want := range []string{"Ran 2 pieces", "Ran 0 pieces"} {
		out, err := run(t, t.Context(), "bill", "--db", dsn, "--at", "2026-04-01T00:00:00Z")
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("bill: %v\n%s", err, out)
		}
	}
	got, err := db.FindSubscriptionByID(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 4, 30, 12, 0, 0, 0, time.UTC); !got.ExpiresAt.Equal(want) {
		t.Errorf("expires %s, want %s", got.ExpiresAt, want)
	}
	if _, err := run(t, t.Context(), "bill", "--db", dsn, "--at", "soon"); kassa.ErrorField(err) != "at" {
		t.Errorf("bill --at soon: %v", err)
	}
}
