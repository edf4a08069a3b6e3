package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

// TestAdminEndRefund ends erik's subscription as an admin while the
// gateway refuses, or loses the answer of, the refund. The subscription
// has ended either way (its holders' licenses went in the same
// transaction); the credit is never lost nor given twice: a refused refund
// goes whole to the balance, a lost one is finished once by the reconciler.
func TestAdminEndRefund(t *testing.T) {
	t.Parallel()
	// The admin acts; erik reads his credit notes.
	admin := func(w *cancelWorld) (*cancelWorld, context.Context) {
		creds, err := w.db.FindCredentials(t.Context(), "astrid@nordvik.example")
		if err != nil {
			t.Fatal(err)
		}
		return w, kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	}
	// 10 × 239 kr × 29/31 days left of March (the 3rd to the 31st) = 2 235,81 kr
	// + VAT 558,95 kr.
	const credit = 279476

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		w, astrid := admin(newCancelWorld(t))
		w.gw.set(false, true)
		sub, err := w.s.AdminCancel(astrid, w.sub.ID, "other", "Vi har ett avtal.")
		if err != nil || sub.Status != kassa.StatusCanceled {
			t.Fatalf("admin cancel with the refund refused = %v, %v; want canceled", sub, err)
		}
		notes := w.notes()
		if len(notes) != 1 || notes[0].Number == "" || notes[0].Status != kassa.InvoicePaid || notes[0].Total.Amount != -credit {
			t.Fatalf("credit notes = %+v, want one issued for %d", *notes[0], credit)
		}
		balance, err := w.db.ProfileBalance(w.ctx, w.sub.BillingProfileID)
		if err != nil || balance.Amount != credit {
			t.Errorf("balance = %d, %v; want the whole credit, %d", balance.Amount, err, credit)
		}
	})

	t.Run("LostThenReconciled", func(t *testing.T) {
		t.Parallel()
		w, astrid := admin(newCancelWorld(t))
		w.gw.set(true, false)
		sub, err := w.s.AdminCancel(astrid, w.sub.ID, "other", "")
		if err != nil || sub.Status != kassa.StatusCanceled || sub.Assigned != 0 {
			t.Fatalf("admin cancel with the refund's answer lost = %v, %v; want canceled", sub, err)
		}
		w.gw.set(false, false)
		if notes := w.notes(); len(notes) != 0 {
			t.Fatalf("a credit note was issued before its refund was known: %+v", notes[0])
		}
		w.clock.Set(day(3, 4))
		if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 1 {
			t.Fatalf("reconcile = %d, %v; want 1", n, err)
		}
		if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 0 {
			t.Fatalf("reconcile again = %d, %v; want 0", n, err)
		}
		notes := w.notes()
		if len(notes) != 1 || notes[0].Status != kassa.InvoicePaid || notes[0].Total.Amount != -credit {
			t.Fatalf("credit notes = %+v", *notes[0])
		}
		keys := w.gw.keys()
		if len(keys) != 1 {
			t.Errorf("refunds asked %v, want one key", keys)
		}
		for _, amounts := range keys {
			for _, a := range amounts {
				if a.Amount != credit {
					t.Errorf("refund of %d, want %d", a.Amount, credit)
				}
			}
		}
		if balance, err := w.db.ProfileBalance(w.ctx, w.sub.BillingProfileID); err != nil || balance.Amount != 0 {
			t.Errorf("balance = %d, %v; want 0: the card got it back", balance.Amount, err)
		}
	})
}
