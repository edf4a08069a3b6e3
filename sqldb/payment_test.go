package sqldb_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var testAddress = kassa.Address{Line1: "Storgatan 1", City: "Stockholm", PostalCode: "111 22", Country: "SE"}

// TestDeleteRacesReplace deletes cards while other requests make profiles
// pay with them: whatever wins, no profile may point at a deleted card.
func TestDeleteRacesReplace(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx, _ := mustTenant(t, db, "Nordvik", "Erik Johansson")
	p := &kassa.BillingProfile{Name: "P", Email: "p@x.example", Address: testAddress, Currency: "SEK", CustomerRef: "c"}
	if err := db.CreateBillingProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		var cards []*kassa.PaymentMethod
		for i := range 4 {
			m := &kassa.PaymentMethod{GatewayRef: fmt.Sprintf("ref-%d-%d", round, i), Brand: kassa.Visa, Last4: "4242",
				ExpMonth: 1, ExpYear: 2030, Name: "E", Address: testAddress}
			if err := db.CreatePaymentMethod(ctx, m); err != nil {
				t.Fatal(err)
			}
			cards = append(cards, m)
		}
		var wg sync.WaitGroup
		for _, m := range cards {
			wg.Go(func() {
				next := *p
				next.PaymentMethodID = m.ID
				err := db.UpdateBillingProfile(ctx, &next)
				if err != nil && kassa.ErrorCode(err) != kassa.Invalid {
					t.Errorf("update: %v", err)
				}
			})
			wg.Go(func() {
				err := db.DeletePaymentMethod(ctx, m.ID)
				if err != nil && kassa.ErrorCode(err) != kassa.Conflict && kassa.ErrorCode(err) != kassa.NotFound {
					t.Errorf("delete: %v", err)
				}
			})
		}
		wg.Wait()
		got, err := db.FindBillingProfileByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PaymentMethodID != "" {
			if _, err := db.FindPaymentMethodByID(ctx, got.PaymentMethodID); err != nil {
				t.Fatalf("round %d: the profile pays with a deleted card %s: %v", round, got.PaymentMethodID, err)
			}
		}
	}
}

func TestOneCardPaysForOneProfile(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx, _ := mustTenant(t, db, "Nordvik", "Erik Johansson")
	m := &kassa.PaymentMethod{GatewayRef: "r", Brand: kassa.Visa, Last4: "4242", ExpMonth: 1, ExpYear: 2030, Name: "E", Address: testAddress}
	if err := db.CreatePaymentMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			errs <- db.CreateBillingProfile(ctx, &kassa.BillingProfile{Name: fmt.Sprint("P", i), Email: "p@x.example",
				Address: testAddress, Currency: "SEK", CustomerRef: "c", PaymentMethodID: m.ID})
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch kassa.ErrorCode(err) {
		case "":
			ok++
		case kassa.Invalid:
			if kassa.ErrorField(err) != "payment_method_id" {
				t.Errorf("err = %v", err)
			}
		default:
			t.Errorf("err = %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d profiles pay with one card, want 1", ok)
	}
}
