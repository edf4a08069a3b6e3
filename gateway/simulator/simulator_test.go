package simulator

import (
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testCard(number string) kassa.Card {
	cvc := "123"
	if number[:2] == "37" {
		cvc = "1234"
	}
	return kassa.Card{Number: number, CVC: cvc, ExpMonth: 12, ExpYear: 2030, Name: "Erik Johansson"}
}

func TestSaveCard(t *testing.T) {
	g := New(kassa.NewTestClock(now))
	for _, tt := range []struct {
		number string
		brand  kassa.Brand
		reason string
	}{
		{"4242 4242 4242 4242", kassa.Visa, ""},
		{"5555 5555 5555 4444", kassa.Mastercard, ""},
		{"378282246310005", kassa.Amex, ""},
		{"4000 0000 0000 0341", kassa.Visa, ""},
		{"4000 0000 0000 0002", "", kassa.DeclineCardDeclined},
		{"4000 0000 0000 9995", "", kassa.DeclineInsufficientFunds},
	} {
		saved, err := g.SaveCard(t.Context(), "sim_cus_1", testCard(tt.number))
		if tt.reason != "" {
			if kassa.ErrorCode(err) != kassa.PaymentFailed || kassa.DeclineReason(err) != tt.reason {
				t.Errorf("SaveCard(%s) err = %v, want decline %s", tt.number, err, tt.reason)
			}
			continue
		}
		if err != nil || saved.Brand != tt.brand || saved.Last4 != kassa.Last4(tt.number) || saved.Ref == "" {
			t.Errorf("SaveCard(%s) = %+v, %v", tt.number, saved, err)
		}
	}

	t.Run("InvalidCardsNameTheField", func(t *testing.T) {
		for field, c := range map[string]kassa.Card{
			"card.number":   {Number: "4242424242424241", CVC: "123", ExpMonth: 1, ExpYear: 2030, Name: "E"},
			"card.exp_year": {Number: "4242424242424242", CVC: "123", ExpMonth: 10, ExpYear: 2026, Name: "E"},
			"card.cvc":      {Number: "378282246310005", CVC: "123", ExpMonth: 1, ExpYear: 2030, Name: "E"},
			"card.name":     {Number: "4242424242424242", CVC: "123", ExpMonth: 1, ExpYear: 2030},
		} {
			if _, err := g.SaveCard(t.Context(), "sim_cus_1", c); kassa.ErrorField(err) != field {
				t.Errorf("SaveCard(bad %s) = %v", field, err)
			}
		}
	})
}

func TestCharge(t *testing.T) {
	g := New(kassa.NewTestClock(now))
	good, _ := g.SaveCard(t.Context(), "sim_cus_1", testCard("4242424242424242"))
	bad, _ := g.SaveCard(t.Context(), "sim_cus_1", testCard("4000000000000341"))
	amount := kassa.Money{Amount: 23900, Currency: "SEK"}

	p1, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: good.Ref, Amount: amount, IdempotencyKey: "k1"})
	if err != nil || p1.Amount != amount {
		t.Fatalf("Charge = %+v, %v", p1, err)
	}
	t.Run("SameKeyReplays", func(t *testing.T) {
		p2, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: good.Ref, Amount: amount, IdempotencyKey: "k1"})
		if err != nil || p2.Ref != p1.Ref {
			t.Errorf("retry = %+v, %v; want %s", p2, err, p1.Ref)
		}
		// A new simulator (a restart) derives the same reference.
		p3, err := New(kassa.NewTestClock(now)).Charge(t.Context(), kassa.ChargeRequest{CardRef: good.Ref, Amount: amount, IdempotencyKey: "k1"})
		if err != nil || p3.Ref != p1.Ref {
			t.Errorf("after restart = %+v, %v; want %s", p3, err, p1.Ref)
		}
	})
	t.Run("SameKeyOtherRequestConflicts", func(t *testing.T) {
		_, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: good.Ref, Amount: kassa.Money{Amount: 1, Currency: "SEK"}, IdempotencyKey: "k1"})
		if kassa.ErrorCode(err) != kassa.Conflict {
			t.Errorf("err = %v, want conflict", err)
		}
	})
	t.Run("CardThatFailsCharges", func(t *testing.T) {
		_, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: bad.Ref, Amount: amount, IdempotencyKey: "k2"})
		if kassa.DeclineReason(err) != kassa.DeclineCardDeclined {
			t.Errorf("err = %v, want card_declined", err)
		}
	})
	t.Run("RefundAtMostTheCharge", func(t *testing.T) {
		half := kassa.Money{Amount: 11950, Currency: "SEK"}
		for _, key := range []string{"r1", "r1", "r2"} { // r1 twice: a retry
			if _, err := g.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: half, IdempotencyKey: key}); err != nil {
				t.Fatalf("refund %s: %v", key, err)
			}
		}
		_, err := g.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: kassa.Money{Amount: 1, Currency: "SEK"}, IdempotencyKey: "r3"})
		if kassa.ErrorCode(err) != kassa.Conflict {
			t.Errorf("over-refund err = %v, want conflict", err)
		}
	})
	t.Run("UpdateChecksExpiryAndName", func(t *testing.T) {
		month, past, future, blank := 1, 2020, 2031, " "
		if err := g.UpdateCard(t.Context(), good.Ref, kassa.CardUpdate{ExpMonth: &month, ExpYear: &future}); err != nil {
			t.Error(err)
		}
		if err := g.UpdateCard(t.Context(), good.Ref, kassa.CardUpdate{ExpMonth: &month, ExpYear: &past}); kassa.ErrorCode(err) != kassa.Invalid {
			t.Errorf("an expiry in the past: %v", err)
		}
		if err := g.UpdateCard(t.Context(), good.Ref, kassa.CardUpdate{Name: &blank}); kassa.ErrorField(err) != "name" {
			t.Errorf("a blank name: %v", err)
		}
	})
}
