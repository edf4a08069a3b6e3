package billing_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// refunds is the simulator with refunds watched: while lose is set, a
// refund is made and its answer lost, as when kassa is killed right after
// the gateway refunded; while refuse is set, the gateway refuses it.
type refunds struct {
	*simulator.Gateway
	mu           sync.Mutex
	lose, refuse bool
	asked        []kassa.RefundRequest
}

func (g *refunds) Refund(ctx context.Context, r kassa.RefundRequest) (kassa.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, r)
	if g.refuse {
		return kassa.Payment{}, &kassa.Error{Code: kassa.Conflict, Message: "The charge was disputed."}
	}
	p, err := g.Gateway.Refund(ctx, r)
	if g.lose {
		return kassa.Payment{}, &kassa.Error{Code: kassa.Unavailable, Message: "connection reset"}
	}
	return p, err
}

func (g *refunds) set(lose, refuse bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lose, g.refuse = lose, refuse
}

// keys returns the refunds asked for, by key: the number of times and the
// amounts asked.
func (g *refunds) keys() map[string][]kassa.Money {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string][]kassa.Money{}
	for _, r := range g.asked {
		out[r.IdempotencyKey] = append(out[r.IdempotencyKey], r.Amount)
	}
	return out
}

type cancelWorld struct {
	t     *testing.T
	clock *kassa.TestClock
	db    *sqldb.DB
	gw    *refunds
	s     *billing.Service
	ctx   context.Context
	sub   *kassa.Subscription
}

// newCancelWorld has erik buy 10 licenses of a monthly subscription on
// 1 March, paid by card, and lets two days pass: a cancellation now
// refunds.
func newCancelWorld(t *testing.T) *cancelWorld {
	clock := kassa.NewTestClock(day(3, 1))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := &refunds{Gateway: simulator.New(clock)}
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	w := &cancelWorld{t: t, clock: clock, db: db, gw: gw, ctx: erikContext(t, db),
		s: billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	products, _ := db.FindProducts(w.ctx)
	profiles, _ := db.FindBillingProfiles(w.ctx)
	sub, _, err := w.s.Purchase(w.ctx, billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly,
		Quantity: 10, BillingProfileID: profiles[0].ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	w.sub = sub
	clock.Set(day(3, 3))
	return w
}

// lostRefund cancels with the refund's answer lost and checks that nothing
// but the pending cancellation was recorded; it returns the refund made.
func (w *cancelWorld) lostRefund() (string, kassa.Money) {
	w.t.Helper()
	w.gw.set(true, false)
	if _, err := w.s.Cancel(w.ctx, w.sub.ID, kassa.CancelReason("unused"), "lost"); kassa.ErrorCode(err) != kassa.Unavailable {
		w.t.Fatalf("cancel with the refund's answer lost: %v, want unavailable", err)
	}
	w.gw.set(false, false)
	if got, _ := w.db.FindSubscriptionByID(w.ctx, w.sub.ID); got.Status != kassa.StatusActive {
		w.t.Errorf("while its refund is pending the subscription is %s, want active", got.Status)
	}
	if notes := w.notes(); len(notes) != 0 {
		w.t.Errorf("a credit note was issued before its refund was known: %s", notes[0].Number)
	}
	keys := w.gw.keys()
	if len(keys) != 1 {
		w.t.Fatalf("refunds asked: %v, want one", keys)
	}
	for k, amounts := range keys {
		return k, amounts[0]
	}
	panic("unreachable")
}

func (w *cancelWorld) notes() []*kassa.Invoice {
	w.t.Helper()
	invs, err := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	var notes []*kassa.Invoice
	for _, inv := range invs {
		if inv.Type == kassa.TypeCreditNote {
			notes = append(notes, inv)
		}
	}
	return notes
}

// requireCancelledOnce checks the end state: the subscription canceled,
// one credit note of what was refunded, numbered after the purchase, and
// every refund asked for with one key and one amount.
func (w *cancelWorld) requireCancelledOnce(key string, refund kassa.Money) {
	w.t.Helper()
	sub, err := w.db.FindSubscriptionByID(w.ctx, w.sub.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if sub.Status != kassa.StatusCanceled || sub.Assigned != 0 || sub.CancelReason != "unused" || sub.CancelFeedback != "lost" {
		w.t.Errorf("subscription %s, %d assigned, reason %q %q; want canceled, 0, unused, lost",
			sub.Status, sub.Assigned, sub.CancelReason, sub.CancelFeedback)
	}
	notes := w.notes()
	if len(notes) != 1 {
		w.t.Fatalf("%d credit notes, want 1", len(notes))
	}
	if n := notes[0]; n.Number != "INV-2026-000002" || n.Total.Amount != -refund.Amount || n.QuantityDelta != -10 {
		w.t.Errorf("credit note %s of %v (%+d), want INV-2026-000002 of %d (-10)", n.Number, n.Total, n.QuantityDelta, -refund.Amount)
	}
	for k, amounts := range w.gw.keys() {
		for _, a := range amounts {
			if k != key || a != refund {
				w.t.Errorf("refund asked with %s for %v, want only %s for %v", k, a, key, refund)
			}
		}
	}
	if pending, err := w.db.FindPendingCancellations(w.ctx, w.clock.Now().Add(time.Hour)); err != nil || len(pending) != 0 {
		w.t.Errorf("still pending: %d, %v", len(pending), err)
	}
	if got, err := w.s.Reconcile(w.ctx, 0); err != nil || got != 0 {
		w.t.Errorf("a later reconcile finished %d, %v; want nothing", got, err)
	}
}

// TestLostRefundIsFinished kills, in effect, an immediate cancellation
// between the gateway's refund and the commit, and lets a day pass (which
// would price the refund anew): the reconciler, or a retry of the cancel,
// finishes it with the first refund's key and amount, once.
func TestLostRefundIsFinished(t *testing.T) {
	t.Parallel()
	t.Run("ByTheReconciler", func(t *testing.T) {
		w := newCancelWorld(t)
		key, refund := w.lostRefund()
		w.clock.Set(day(3, 4))
		if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 1 {
			t.Fatalf("reconcile = %d, %v; want 1", n, err)
		}
		w.requireCancelledOnce(key, refund)
		if _, err := w.s.Cancel(w.ctx, w.sub.ID, "unused", ""); kassa.ErrorCode(err) != kassa.Conflict {
			t.Errorf("cancel after the reconciler finished: %v, want conflict", err)
		}
		w.requireCancelledOnce(key, refund)
	})

	t.Run("ByARetry", func(t *testing.T) {
		w := newCancelWorld(t)
		key, refund := w.lostRefund()
		w.clock.Set(day(3, 4))
		sub, err := w.s.Cancel(w.ctx, w.sub.ID, "too_expensive", "")
		if err != nil || sub.Status != kassa.StatusCanceled {
			t.Fatalf("retry = %v, %v; want canceled", sub, err)
		}
		w.requireCancelledOnce(key, refund)
	})

	t.Run("RefusedLeavesItRunning", func(t *testing.T) {
		w := newCancelWorld(t)
		w.gw.set(false, true)
		if _, err := w.s.Cancel(w.ctx, w.sub.ID, "unused", "lost"); kassa.ErrorCode(err) != kassa.Conflict {
			t.Fatalf("cancel with the refund refused: %v, want conflict", err)
		}
		w.gw.set(false, false)
		if got, _ := w.db.FindSubscriptionByID(w.ctx, w.sub.ID); got.Status != kassa.StatusActive || len(w.notes()) != 0 {
			t.Fatalf("after a refused refund: %s with %d credit notes, want active with none", got.Status, len(w.notes()))
		}
		w.gw.asked = nil
		if _, err := w.s.Cancel(w.ctx, w.sub.ID, "unused", "lost"); err != nil {
			t.Fatalf("cancel again: %v", err)
		}
		var key string
		var refund kassa.Money
		for k, amounts := range w.gw.keys() {
			key, refund = k, amounts[0]
		}
		w.requireCancelledOnce(key, refund)
	})
}

// TestCancellingHoldsMoneyChanges changes the licenses of a subscription
// whose cancellation waits for its refund, and lets its term end meanwhile:
// a decrease would be credited twice (by its own credit note and by the
// cancellation's, priced from all 10 licenses), an increase charged and
// never refunded, a renewal charged for a subscription about to end. Each is
// refused or left alone until the cancellation has ended, which then
// credits exactly what was not refunded.
func TestCancellingHoldsMoneyChanges(t *testing.T) {
	t.Parallel()
	w := newCancelWorld(t)
	key, refund := w.lostRefund()
	balance, err := w.db.ProfileBalance(w.ctx, w.sub.BillingProfileID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []int{5, 12} {
		_, _, err := w.s.SetQuantity(w.ctx, w.sub.ID, q, "")
		if kassa.ErrorCode(err) != kassa.Conflict || !strings.Contains(locale.In("en").Error(err), "being cancelled") {
			t.Errorf("set quantity to %d while cancelling: %v; want a conflict saying it is being cancelled", q, err)
		}
	}
	// The refund stays unknown past the term's end: the billing clock
	// leaves the subscription alone.
	w.clock.Set(day(4, 2))
	if _, err := w.s.RunDue(w.ctx, w.clock.Now(), w.clock.Set); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.db.FindSubscriptionByID(w.ctx, w.sub.ID); got.Quantity != 10 || !got.ExpiresAt.Equal(w.sub.ExpiresAt) {
		t.Errorf("while cancelling: %d licenses until %s; want 10 until %s", got.Quantity, got.ExpiresAt, w.sub.ExpiresAt)
	}
	if invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{}); len(invs) != 1 {
		t.Errorf("%d invoices while cancelling; want only the purchase's", len(invs))
	}

	if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("reconcile = %d, %v; want 1", n, err)
	}
	w.requireCancelledOnce(key, refund)
	note := w.notes()[0]
	if after, _ := w.db.ProfileBalance(w.ctx, w.sub.BillingProfileID); after.Amount != balance.Amount-note.Total.Amount-refund.Amount {
		t.Errorf("balance %d after the cancellation; want %d + %d credited, the rest of %d refunded",
			after.Amount, balance.Amount, -note.Total.Amount-refund.Amount, -note.Total.Amount)
	}
}

// TestChargeHoldsCancellation starts a cancellation while a charge for more
// licenses is under way: the refund, priced from the licenses before, would
// leave the new ones paid for and never refunded. It is refused until the
// charge has ended.
func TestChargeHoldsCancellation(t *testing.T) {
	t.Parallel()
	w := newCancelWorld(t)
	inv := &kassa.Invoice{SubscriptionID: w.sub.ID, BillingProfileID: w.sub.BillingProfileID, QuantityDelta: 2}
	if _, err := w.db.CreateChargeInvoice(w.ctx, inv, "quantity", ""); err != nil {
		t.Fatal(err)
	}
	_, err := w.s.Cancel(w.ctx, w.sub.ID, "unused", "lost")
	if kassa.ErrorCode(err) != kassa.Conflict || !strings.Contains(locale.In("en").Error(err), "payment") {
		t.Fatalf("cancel while a charge is under way: %v; want a conflict naming the payment", err)
	}
	if len(w.gw.keys()) != 0 || len(w.notes()) != 0 {
		t.Fatalf("the refused cancellation asked for %d refunds, issued %d credit notes", len(w.gw.keys()), len(w.notes()))
	}
	if err := w.db.FailCharge(w.ctx, inv.ID, "card_declined"); err != nil {
		t.Fatal(err)
	}
	if sub, err := w.s.Cancel(w.ctx, w.sub.ID, "unused", "lost"); err != nil || sub.Status != kassa.StatusCanceled {
		t.Fatalf("cancel after the charge failed: %v, %v; want canceled", sub, err)
	}
}

// TestCancelWaitsForATrialsFirstPayment: a trial whose first paid term's
// charge went through unheard (a lost answer) cannot be cancelled until the
// billing clock has recorded it; then it is an active subscription that can.
// Before, the cancellation ended the trial and left the charge's invoice
// open: money taken for an invoice never paid.
func TestCancelWaitsForATrialsFirstPayment(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(day(3, 1))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := &unreachable{Gateway: simulator.New(clock)}
	w := newWorldWith(t, db, clock, gw)
	s, ctx := w.s, w.ctx
	trial, _, err := s.Purchase(ctx, billing.PurchaseRequest{ProductID: w.product["ANALYTICS_PRO"], Term: kassa.Monthly,
		Quantity: 2, BillingProfileID: w.profile, Trial: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	end := trial.ExpiresAt
	gw.down.Store(true) // the first payment goes through; its answer is lost
	if _, err := s.RunDue(ctx, end, clock.Set); err == nil {
		t.Fatal("the billing run heard of a charge whose answer was lost")
	}
	gw.down.Store(false)
	if _, err := s.Cancel(ctx, trial.ID, "unused", ""); !errors.Is(err, sqldb.ErrRenewing) {
		t.Fatalf("cancel while the first payment is unheard: %v, want ErrRenewing", err)
	}
	if _, err := s.RunDue(ctx, end, clock.Set); err != nil {
		t.Fatal(err)
	}
	sub, err := db.FindSubscriptionByID(ctx, trial.ID)
	if err != nil || sub.Status != kassa.StatusActive || gw.charges.Load() != 2 {
		t.Fatalf("after the next run: %v %+v, %d charges (the same one, asked twice)", err, sub, gw.charges.Load())
	}
	if sub, err = s.Cancel(ctx, trial.ID, "unused", ""); err != nil || sub.Status != kassa.StatusCanceled {
		t.Fatalf("cancel in the first week of the paid term: %v %+v", err, sub)
	}
}
