package billing_test

import (
	"testing"

	"github.com/kassa-billing/kassa"
)

// TestStaleChangesAreRefused makes changes from what was read before
// something else committed, as a request racing another would: the
// database refuses each in its own statement and nothing changes.
func TestStaleChangesAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(3, 1))
	sub := w.buy("ANALYTICS_PRO", 10, w.profile, false)

	t.Run("TwoDecreasesFromOneReading", func(t *testing.T) {
		to8, err := w.s.PreviewQuantity(w.ctx, sub.ID, 8)
		if err != nil {
			t.Fatal(err)
		}
		to5, err := w.s.PreviewQuantity(w.ctx, sub.ID, 5) // priced from 10, like to8
		if err != nil {
			t.Fatal(err)
		}
		if err := w.db.DecreaseQuantity(w.ctx, sub.ID, 8, to8.Invoice); err != nil {
			t.Fatal(err)
		}
		balance, _ := w.db.ProfileBalance(w.ctx, w.profile)
		err = w.db.DecreaseQuantity(w.ctx, sub.ID, 5, to5.Invoice)
		if kassa.ErrorCode(err) != kassa.Conflict {
			t.Fatalf("a decrease priced from 10 after another made it 8: %v", err)
		}
		if got := w.sub(sub.ID); got.Quantity != 8 {
			t.Errorf("quantity %d, want 8", got.Quantity)
		}
		if after, _ := w.db.ProfileBalance(w.ctx, w.profile); after != balance {
			t.Errorf("the refused decrease credited %v", after.Amount-balance.Amount)
		}
	})

	t.Run("TakeOverWinsOverTheChangesItRaces", func(t *testing.T) {
		astrid, err := w.db.FindCredentials(t.Context(), "astrid@nordvik.example")
		if err != nil {
			t.Fatal(err)
		}
		before := w.sub(sub.ID) // what erik's requests read before the take-over
		actx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
		if _, err := w.db.TakeOver(actx, sub.ID); err != nil {
			t.Fatal(err)
		}
		lower, err := w.s.PreviewQuantity(actx, sub.ID, 6)
		if err != nil {
			t.Fatal(err)
		}
		people, _, _ := w.db.FindUsers(w.ctx, kassa.UserFilter{Search: "anna", Limit: 1})
		before.CancelReason = "unused"
		for name, change := range map[string]func() error{
			"decrease":      func() error { return w.db.DecreaseQuantity(w.ctx, sub.ID, 6, lower.Invoice) },
			"cancel now":    func() error { return w.db.CancelNow(w.ctx, before, nil, kassa.Money{}) },
			"cancel at end": func() error { return w.db.SetCancelAtTermEnd(w.ctx, before, true) },
			"charge invoice": func() error {
				_, err := w.db.CreateChargeInvoice(w.ctx, &kassa.Invoice{SubscriptionID: sub.ID}, "quantity", "")
				return err
			},
			"assign": func() error { _, err := w.db.Assign(w.ctx, sub.ID, []string{people[0].ID}); return err },
		} {
			if err := change(); kassa.ErrorCode(err) != kassa.Forbidden {
				t.Errorf("%s by the purchaser after the take-over: %v, want forbidden", name, err)
			}
		}
		if got := w.sub(sub.ID); got.Quantity != 8 || got.Status != kassa.StatusActive || got.CancelAtTermEnd || got.Assigned != 0 {
			t.Errorf("after refused changes: %+v", got)
		}
	})
}
