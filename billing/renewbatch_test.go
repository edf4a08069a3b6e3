package billing_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
)

// TestRenewTogetherAsOneAtATime runs the same renewals twice, on two
// databases: one piece of work at a time with the clock standing at each
// (as `kassa bill` and the test clock do), and in batches, each billing
// batch's renewals issued and recorded together, across billing profiles
// (as `kassa serve` does). Every subscription must end in the same state
// with the same invoices: credits on two profiles' balances, each spent on
// its own profile's earliest renewals first, declined
// cards in dunning, a cancellation at term end, a trial converting, a
// second term renewed, and no number skipped.
func TestRenewTogetherAsOneAtATime(t *testing.T) {
	t.Parallel()
	until := day(3, 12) // two renewals of the monthly terms; the declined retried and suspended
	var got [2][]string
	for i, together := range []bool{false, true} {
		w := newWorld(t, day(1, 10))
		declining := w.profileWith("5555555555554444") // its card is swapped for one that fails below
		other := w.profileWith("4242424242424242")
		var subs []string
		for j, p := range []struct {
			sku      string
			quantity int
			profile  string
			trial    bool
		}{
			{"ANALYTICS_PRO", 10, w.profile, false},
			{"PROJECT_PLAN", 3, w.profile, false},
			{"MEETING_ROOMS", 7, w.profile, false},
			{"DIAGRAM_STUDIO", 2, w.profile, true},
			{"ANALYTICS_PRO", 1, w.profile, false},
			{"PROJECT_PLAN", 4, declining, false},
			{"MEETING_ROOMS", 1, declining, false},
			{"PROJECT_PLAN", 6, other, false},
			{"MEETING_ROOMS", 5, other, false},
		} {
			w.clock.Set(w.clock.Now().Add(time.Duration(j+1) * time.Minute))
			subs = append(subs, w.buy(p.sku, p.quantity, p.profile, p.trial).ID)
		}
		failing, err := w.s.AddPaymentMethod(w.ctx, kassa.Card{Number: "4000000000000341", CVC: "123", ExpMonth: 12,
			ExpYear: 2030, Name: "E", Address: kassa.Address{Line1: "x", City: "y", PostalCode: "1", Country: "SE"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.UpdateBillingProfile(w.ctx, declining, kassa.BillingProfileUpdate{PaymentMethodID: &failing.ID}); err != nil {
			t.Fatal(err)
		}
		// Credits: the first subscription goes from 10 to 4 mid-term, and
		// the other profile's first from 6 to 2.
		for _, c := range []struct {
			sub      string
			quantity int
		}{{subs[0], 4}, {subs[7], 2}} {
			change, err := w.s.PreviewQuantity(w.ctx, c.sub, c.quantity)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.db.DecreaseQuantity(w.ctx, c.sub, c.quantity, change.Invoice); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.s.Cancel(w.ctx, subs[4], kassa.CancelReason("too_expensive"), ""); err != nil {
			t.Fatal(err)
		}
		if together {
			w.clock.Set(until)
			if _, err := w.s.RunDue(w.ctx, until, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			w.run(until)
		}

		invs, err := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
		if err != nil {
			t.Fatal(err)
		}
		bySub := map[string][]*kassa.Invoice{}
		for k, inv := range invs {
			if want := fmt.Sprintf("INV-2026-%06d", len(invs)-k); inv.Number != want {
				t.Errorf("together=%v: invoice %d is %s, want %s", together, k, inv.Number, want)
			}
			bySub[inv.SubscriptionID] = append(bySub[inv.SubscriptionID], inv)
		}
		for j, id := range subs {
			s := w.sub(id)
			line := fmt.Sprintf("sub %d: %s %s–%s", j, s.Status, s.PeriodStart.Format(time.DateOnly), s.ExpiresAt.Format(time.DateOnly))
			for _, inv := range bySub[id] {
				line += fmt.Sprintf(" | %s %s %s total %d credit %d", inv.Type, inv.Status,
					inv.PeriodStart.Format(time.DateOnly), inv.Total.Amount, inv.BalanceApplied.Amount)
			}
			got[i] = append(got[i], line)
		}
		for _, p := range []string{w.profile, other} {
			balance, _ := w.db.ProfileBalance(w.ctx, p)
			got[i] = append(got[i], fmt.Sprintf("balance %d", balance.Amount))
		}
		if together && w.sub(subs[0]).Status != kassa.StatusActive {
			t.Fatalf("the run renewed nothing: %v", got[i])
		}
	}
	for j := range got[0] {
		if got[0][j] != got[1][j] {
			t.Errorf("one at a time: %s\n          together: %s", got[0][j], got[1][j])
		}
	}
	t.Logf("%d lines alike; e.g. %s", len(got[0]), got[1][0])
}

// losing is a gateway that makes the charge but loses its answer, for the
// charge numbered lose (from 1), while lose is set.
type losing struct {
	*simulator.Gateway
	mu   sync.Mutex
	n    int
	lose int
	keys map[string]int
}

func (g *losing) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	g.mu.Lock()
	g.n++
	lost := g.n == g.lose
	g.keys[r.IdempotencyKey]++
	g.mu.Unlock()
	p, err := g.Gateway.Charge(ctx, r)
	if lost {
		return kassa.Payment{}, &kassa.Error{Code: kassa.Unavailable, Message: "connection reset"}
	}
	return p, err
}

// TestRenewTogetherLosesNoCharge: when the answer to one charge of a batch
// is lost, the run stops there with the charges before it recorded; the
// next run charges the rest, the lost one again with the same key (so once),
// and every term ends renewed once with gapless numbers.
func TestRenewTogetherLosesNoCharge(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(1, 10))
	var subs []string
	for i := range 5 { // a minute apart: they fall due in this order
		w.clock.Set(w.clock.Now().Add(time.Minute))
		subs = append(subs, w.buy("PROJECT_PLAN", 1+i, w.profile, false).ID)
	}
	gw := &losing{Gateway: simulator.New(w.clock), lose: 3, keys: map[string]int{}}
	s := billing.New(w.db, gw, w.clock, slog.New(slog.DiscardHandler))
	until := day(2, 11)
	w.clock.Set(until)
	n, err := s.RunDue(w.ctx, until, nil)
	if kassa.ErrorCode(err) != kassa.Unavailable || n != 2 {
		t.Fatalf("run with the third answer lost = %d, %v; want 2 and unavailable", n, err)
	}
	for i, id := range subs {
		renewed := w.sub(id).ExpiresAt.After(until)
		if renewed != (i < 2) {
			t.Errorf("sub %d renewed = %v after the first run", i, renewed)
		}
	}
	if n, err := s.RunDue(w.ctx, until, nil); err != nil || n != 3 {
		t.Fatalf("second run = %d, %v; want the other 3", n, err)
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	refs := map[string]bool{}
	for k, inv := range invs {
		if want := fmt.Sprintf("INV-2026-%06d", len(invs)-k); inv.Number != want {
			t.Errorf("invoice %d is %s, want %s", k, inv.Number, want)
		}
		if inv.Status != kassa.InvoicePaid || inv.ChargeRef == "" || refs[inv.ChargeRef] {
			t.Errorf("invoice %s: %s, charge %q (seen before: %v)", inv.Number, inv.Status, inv.ChargeRef, refs[inv.ChargeRef])
		}
		refs[inv.ChargeRef] = true
	}
	if len(invs) != 10 {
		t.Errorf("%d invoices, want 5 purchases and 5 renewals", len(invs))
	}
	for i, id := range subs {
		if s := w.sub(id); s.Status != kassa.StatusActive || !s.ExpiresAt.After(until) {
			t.Errorf("sub %d: %s until %s", i, s.Status, s.ExpiresAt)
		}
	}
	asked := 0
	for _, n := range gw.keys {
		asked += n
		if n > 2 {
			t.Errorf("a key was asked %d times", n)
		}
	}
	if len(gw.keys) != 5 || asked != 6 {
		t.Errorf("%d keys asked %d times; want 5 keys, the lost one twice", len(gw.keys), asked)
	}
}
