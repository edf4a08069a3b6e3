package billing_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// unreachable is the simulator behind a network that loses the answers of
// charges while down is set: the charge happens, the caller never hears.
type unreachable struct {
	*simulator.Gateway
	down    atomic.Bool
	charges atomic.Int32
}

func (g *unreachable) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	g.charges.Add(1)
	p, err := g.Gateway.Charge(ctx, r)
	if g.down.Load() {
		return kassa.Payment{}, &kassa.Error{Code: kassa.Unavailable, Message: "connection reset"}
	}
	return p, err
}

func erikContext(t *testing.T, db *sqldb.DB) context.Context {
	t.Helper()
	creds, err := db.FindCredentials(t.Context(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	return kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
}

func TestReconcileFinishesALostCharge(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := &unreachable{Gateway: simulator.New(clock)}
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	s := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := erikContext(t, db)
	products, _ := db.FindProducts(ctx)
	profiles, _ := db.FindBillingProfiles(ctx)
	req := billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Annual, Quantity: 3, BillingProfileID: profiles[0].ID}

	gw.down.Store(true)
	if _, _, err := s.Purchase(ctx, req, "erik:k1"); kassa.ErrorCode(err) != kassa.Unavailable {
		t.Fatalf("purchase with the answer lost: %v, want unavailable", err)
	}
	if subs, _ := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{}); len(subs) != 0 {
		t.Fatalf("a pending purchase is listed: %+v", subs[0])
	}
	gw.down.Store(false)

	if n, err := s.Reconcile(ctx, time.Minute); err != nil || n != 0 {
		t.Fatalf("reconcile of a fresh purchase: %d, %v; want it left alone", n, err)
	}
	clock.Set(clock.Now().Add(2 * time.Minute))
	if n, err := s.Reconcile(ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("reconcile = %d, %v; want 1", n, err)
	}
	subs, _ := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{})
	invs, _ := db.FindInvoices(ctx, kassa.InvoiceFilter{})
	if len(subs) != 1 || subs[0].Status != kassa.StatusActive || len(invs) != 1 || invs[0].Number != "INV-2026-000001" {
		t.Fatalf("after reconcile: %d subscriptions, %d invoices", len(subs), len(invs))
	}
	// The retry of the client's request finds the finished purchase.
	sub, inv, err := s.Purchase(ctx, req, "erik:k1")
	if err != nil || sub.ID != subs[0].ID || inv.ID != invs[0].ID {
		t.Fatalf("retry = %v, %v, %v", sub, inv, err)
	}
	if n, _ := s.Reconcile(ctx, 0); n != 0 {
		t.Errorf("a second reconcile finished %d more", n)
	}
	// The gateway was asked twice with one key, so it charged once: the
	// simulator derives the charge from the key.
	if gw.charges.Load() != 2 {
		t.Errorf("the gateway was asked %d times, want 2", gw.charges.Load())
	}
	if invs[0].ChargeRef == "" {
		t.Error("the issued invoice has no charge reference")
	}
}

// TestManyReconcilersTakeOneNumber: reconcilers of several processes
// finishing one lost charge at once issue its invoice once, and the numbers
// stay gapless: the next invoice gets the next number.
func TestManyReconcilersTakeOneNumber(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db, dsn := sqldbtest.MustOpen(t, clock)
	gw := &unreachable{Gateway: simulator.New(clock)}
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := billing.New(db, gw, clock, log)
	ctx := erikContext(t, db)
	products, _ := db.FindProducts(ctx)
	profiles, _ := db.FindBillingProfiles(ctx)
	req := billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly, Quantity: 2, BillingProfileID: profiles[0].ID}
	gw.down.Store(true)
	if _, _, err := s.Purchase(ctx, req, "erik:lost"); kassa.ErrorCode(err) != kassa.Unavailable {
		t.Fatalf("purchase with the answer lost: %v", err)
	}
	gw.down.Store(false)
	clock.Set(clock.Now().Add(2 * time.Minute))

	// Eight processes, each with its own connections.
	var wg sync.WaitGroup
	for range 8 {
		other, err := sqldb.Open(t.Context(), dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		wg.Go(func() {
			if _, err := billing.New(other, gw, clock, log).Reconcile(t.Context(), time.Minute); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_, inv, err := s.Purchase(ctx, req, "erik:next")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "INV-2026-000002" {
		t.Fatalf("the next purchase's invoice is %s, want INV-2026-000002: a number was lost", inv.Number)
	}
}

// TestPurchasesShareABalance buys at once, on one billing profile with a
// balance, more than the balance pays for: each purchase is priced with the
// balance it reads, and one recorded after another used it up is priced
// again rather than refused. All succeed, and the balance applied across
// them is what the balance held.
func TestPurchasesShareABalance(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(3, 1))
	sub := w.buy("ANALYTICS_PRO", 10, w.profile, false)
	// Nine licenses back, the day they were bought: 9 × 239 kr + VAT.
	if _, _, err := w.s.SetQuantity(w.ctx, sub.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	balance := func() int64 {
		t.Helper()
		p, err := w.db.FindBillingProfileByID(w.ctx, w.profile)
		if err != nil {
			t.Fatal(err)
		}
		return p.Balance.Amount
	}
	start := balance()
	if start != 9*29875 {
		t.Fatalf("balance = %d, want 9 licenses' worth", start)
	}
	const n = 16 // 16 × 1 license of Analytics Pro outweigh 9 licenses of credit
	var wg sync.WaitGroup
	ready := make(chan struct{})
	applied := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-ready
			_, inv, err := w.s.Purchase(w.ctx, billing.PurchaseRequest{ProductID: w.product["ANALYTICS_PRO"],
				Term: kassa.Monthly, Quantity: 1, BillingProfileID: w.profile}, "")
			errs[i] = err
			if err == nil {
				applied[i] = inv.BalanceApplied.Amount
			}
		})
	}
	close(ready)
	wg.Wait()
	var used int64
	for i, err := range errs {
		if err != nil {
			t.Errorf("purchase %d: %v", i, err)
		}
		used += applied[i]
	}
	if left := balance(); left != 0 || used != start {
		t.Errorf("balance left %d, applied %d of %d", left, used, start)
	}
}
