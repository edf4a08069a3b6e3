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

// TestOneCardPaysForManyProfiles: a card a person saved pays for any of
// their billing profiles (SPEC §10), and a card stays while any profile
// pays with it, also when it is deleted while profiles are made with it.
func TestOneCardPaysForManyProfiles(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx, _ := mustTenant(t, db, "Nordvik", "Erik Johansson")
	m := &kassa.PaymentMethod{GatewayRef: "r", Brand: kassa.Visa, Last4: "4242", ExpMonth: 1, ExpYear: 2030, Name: "E", Address: testAddress}
	if err := db.CreatePaymentMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var deleted error
	for i := range 8 {
		wg.Go(func() {
			errs <- db.CreateBillingProfile(ctx, &kassa.BillingProfile{Name: fmt.Sprint("P", i), Email: "p@x.example",
				Address: testAddress, Currency: "SEK", PaymentMethodID: m.ID})
		})
	}
	wg.Go(func() { deleted = db.DeletePaymentMethod(ctx, m.ID) })
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
	profiles, err := db.FindBillingProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	paying := 0
	for _, p := range profiles {
		if p.PaymentMethodID == m.ID {
			paying++
		}
	}
	_, found := db.FindPaymentMethodByID(ctx, m.ID)
	switch {
	case paying != ok:
		t.Errorf("%d profiles made, %d pay with the card", ok, paying)
	case deleted == nil && (found == nil || ok > 0):
		t.Errorf("the card was deleted, yet %d profiles pay with it (found: %v)", ok, found)
	case deleted != nil && (kassa.ErrorCode(deleted) != kassa.Conflict || found != nil || ok == 0):
		t.Errorf("the card stayed: %v, %d profiles (found: %v)", deleted, ok, found)
	}
}
