package billing_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

type world struct {
	t       *testing.T
	clock   *kassa.TestClock
	db      *sqldb.DB
	s       *billing.Service
	ctx     context.Context // erik
	product map[string]string
	profile string
}

func newWorld(t *testing.T, start time.Time) *world {
	clock := kassa.NewTestClock(start)
	return newWorldOn(t, sqldbtest.MustOpenDB(t, clock), clock)
}

func newWorldOn(t *testing.T, db *sqldb.DB, clock *kassa.TestClock) *world {
	return newWorldWith(t, db, clock, simulator.New(clock))
}

// newWorldWith is newWorldOn paying through gw.
func newWorldWith(t *testing.T, db *sqldb.DB, clock *kassa.TestClock, gw kassa.Gateway) *world {
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, clock: clock, db: db, s: billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil))),
		ctx: erikContext(t, db), product: map[string]string{}}
	products, _ := db.FindProducts(w.ctx)
	for _, p := range products {
		w.product[p.SKU] = p.ID
	}
	profiles, _ := db.FindBillingProfiles(w.ctx)
	w.profile = profiles[0].ID
	return w
}

func (w *world) buy(sku string, quantity int, profile string, trial bool) *kassa.Subscription {
	w.t.Helper()
	sub, _, err := w.s.Purchase(w.ctx, billing.PurchaseRequest{ProductID: w.product[sku], Term: kassa.Monthly,
		Quantity: quantity, BillingProfileID: profile, Trial: trial}, "")
	if err != nil {
		w.t.Fatalf("buy %s: %v", sku, err)
	}
	return sub
}

// profileWith makes a billing profile paying with the card, or none.
func (w *world) profileWith(number string) string {
	w.t.Helper()
	p := &kassa.BillingProfile{Name: "P " + number, Email: "erik@nordvik.example", Address: kassa.Address{
		Line1: "Storgatan 1", City: "Stockholm", PostalCode: "111 22", Country: "SE"}}
	if number != "" {
		m, err := w.s.AddPaymentMethod(w.ctx, kassa.Card{Number: number, CVC: "123", ExpMonth: 12, ExpYear: 2030,
			Name: "Erik", Address: p.Address})
		if err != nil {
			w.t.Fatal(err)
		}
		p.PaymentMethodID = m.ID
	}
	if err := w.s.CreateBillingProfile(w.ctx, p); err != nil {
		w.t.Fatal(err)
	}
	return p.ID
}

func (w *world) run(until time.Time) int {
	w.t.Helper()
	n, err := w.s.RunDue(w.ctx, until, w.clock.Set)
	if err != nil {
		w.t.Fatalf("run to %s: %v", until, err)
	}
	if w.clock.Now().Before(until) {
		w.clock.Set(until)
	}
	return n
}

func (w *world) sub(id string) *kassa.Subscription {
	w.t.Helper()
	s, err := w.db.FindSubscriptionByID(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, time.UTC) }

func TestRenewals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(1, 31))
	sub := w.buy("ANALYTICS_PRO", 2, w.profile, false)

	if n := w.run(day(4, 1)); n != 2 {
		t.Fatalf("%d pieces of work to 1 April, want 2 renewals", n)
	}
	got := w.sub(sub.ID)
	// Terms anchored on the 31st: 28 Feb, 31 Mar, 30 Apr.
	if got.Status != kassa.StatusActive || !got.PeriodStart.Equal(day(3, 31)) || !got.ExpiresAt.Equal(day(4, 30)) {
		t.Fatalf("after renewals: %s, %s – %s", got.Status, got.PeriodStart, got.ExpiresAt)
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	if len(invs) != 3 || invs[0].Number != "INV-2026-000003" || !invs[0].PeriodStart.Equal(day(3, 31)) || invs[0].Total.Amount != 2*23900*125/100 {
		t.Fatalf("invoices: %d, newest %+v", len(invs), invs[0])
	}
	if n := w.run(day(4, 1)); n != 0 {
		t.Errorf("a second run renewed %d more", n)
	}
}

func TestDunning(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(1, 31))
	profile := w.profileWith("4242424242424242")
	sub := w.buy("PROJECT_PLAN", 3, profile, false)
	failing, err := w.s.AddPaymentMethod(w.ctx, kassa.Card{Number: "4000000000000341", CVC: "123", ExpMonth: 12,
		ExpYear: 2030, Name: "Erik", Address: kassa.Address{Line1: "x", City: "y", PostalCode: "1", Country: "SE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.UpdateBillingProfile(w.ctx, profile, kassa.BillingProfileUpdate{PaymentMethodID: &failing.ID}); err != nil {
		t.Fatal(err)
	}

	w.run(day(2, 28))
	if s := w.sub(sub.ID); s.Status != kassa.StatusPastDue {
		t.Fatalf("after a failed renewal: %s", s.Status)
	}
	for _, step := range []struct {
		until  time.Time
		status kassa.SubscriptionStatus
	}{
		{day(3, 1).Add(-time.Minute), kassa.StatusPastDue},
		{day(3, 6), kassa.StatusPastDue}, // retried 1 and 3 days after
		{day(3, 7), kassa.StatusSuspended},
		{day(4, 6).Add(-time.Minute), kassa.StatusSuspended},
		{day(4, 6), kassa.StatusExpired}, // 30 days suspended
	} {
		w.run(step.until)
		if s := w.sub(sub.ID); s.Status != step.status {
			t.Fatalf("at %s: %s, want %s", step.until, s.Status, step.status)
		}
	}
	if s := w.sub(sub.ID); s.Assigned != 0 || s.AutoRenew {
		t.Errorf("expired but %d assigned, auto-renew %v", s.Assigned, s.AutoRenew)
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	if len(invs) != 2 || invs[0].Status != kassa.InvoiceOpen {
		t.Errorf("invoices = %d, newest %s; want the purchase and one open renewal", len(invs), invs[0].Status)
	}
}

func TestPaidAfterAFailureIsActive(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(1, 31))
	profile := w.profileWith("5555555555554444")
	sub := w.buy("PROJECT_PLAN", 1, profile, false)
	p, _ := w.db.FindBillingProfileByID(w.ctx, profile)
	goodCard := p.PaymentMethodID
	failing, err := w.s.AddPaymentMethod(w.ctx, kassa.Card{Number: "4000000000000341", CVC: "123", ExpMonth: 12,
		ExpYear: 2030, Name: "E", Address: kassa.Address{Line1: "x", City: "y", PostalCode: "1", Country: "SE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.UpdateBillingProfile(w.ctx, profile, kassa.BillingProfileUpdate{PaymentMethodID: &failing.ID}); err != nil {
		t.Fatal(err)
	}
	w.run(day(3, 1).Add(-time.Hour))
	if s := w.sub(sub.ID); s.Status != kassa.StatusPastDue {
		t.Fatalf("%s, want past_due", s.Status)
	}
	// The buyer puts the good card back before the retry.
	if _, err := w.s.UpdateBillingProfile(w.ctx, profile, kassa.BillingProfileUpdate{PaymentMethodID: &goodCard}); err != nil {
		t.Fatal(err)
	}
	w.run(day(3, 1)) // the retry a day after the term's end
	s := w.sub(sub.ID)
	if s.Status != kassa.StatusActive || !s.PeriodStart.Equal(day(2, 28)) || !s.ExpiresAt.Equal(day(3, 31)) {
		t.Fatalf("after paying: %s %s – %s", s.Status, s.PeriodStart, s.ExpiresAt)
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	if len(invs) != 2 || invs[0].Status != kassa.InvoicePaid {
		t.Errorf("invoices = %d, newest %s; want the renewal paid", len(invs), invs[0].Status)
	}
}

func TestTrialsAndCancellationsEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(1, 5))
	noCard := w.profileWith("")
	converts := w.buy("DIAGRAM_STUDIO", 5, w.profile, true)
	lapses := w.buy("ANALYTICS_PRO", 5, noCard, true)
	ends := w.buy("MEETING_ROOMS", 1, w.profile, false)
	w.clock.Set(day(1, 20))
	if _, err := w.s.Cancel(w.ctx, ends.ID, "unused", ""); err != nil {
		t.Fatal(err)
	}
	w.run(day(2, 10))
	if s := w.sub(converts.ID); s.Status != kassa.StatusActive || !s.PeriodStart.Equal(day(2, 4)) || !s.ExpiresAt.Equal(day(3, 4)) {
		t.Errorf("trial with a card: %s %s – %s, want active from 4 Feb", s.Status, s.PeriodStart, s.ExpiresAt)
	}
	if s := w.sub(lapses.ID); s.Status != kassa.StatusExpired {
		t.Errorf("trial without a card: %s, want expired", s.Status)
	}
	if s := w.sub(ends.ID); s.Status != kassa.StatusCanceled {
		t.Errorf("cancelled at term end: %s, want canceled", s.Status)
	}
}
