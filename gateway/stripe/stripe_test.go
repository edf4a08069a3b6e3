package stripe

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

const (
	visa       = "4242 4242 4242 4242"
	visaDigits = "4242424242424242"
)

// expYear is a year in which test cards are still valid.
var expYear = time.Now().Year() + 3

func testCard() kassa.Card {
	return kassa.Card{
		Number: visa, CVC: "737", ExpMonth: 12, ExpYear: expYear, Name: "Erik Svensson",
		Address: kassa.Address{Line1: "Drottninggatan 1", City: "Stockholm", PostalCode: "111 51", Country: "SE"},
	}
}

func TestNew(t *testing.T) {
	t.Run("NoKey", func(t *testing.T) {
		_, err := New(Config{})
		if err == nil || !strings.Contains(err.Error(), "KASSA_STRIPE_KEY") {
			t.Fatalf("New(Config{}) = %v, want an error naming KASSA_STRIPE_KEY", err)
		}
	})
}

func TestCreateCustomer(t *testing.T) {
	g, rec, _ := mockGateway(t)
	ref, err := g.CreateCustomer(t.Context(), kassa.Customer{
		Name: "Contoso AB", Email: "billing@contoso.se",
		Address: kassa.Address{Line1: "Storgatan 2", City: "Uppsala", PostalCode: "753 20", Country: "SE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, "cus_") {
		t.Errorf("CreateCustomer = %q, want a cus_ id", ref)
	}
	reqs := rec.all()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/customers" {
		t.Fatalf("requests = %+v, want one POST /v1/customers", reqs)
	}
	wantForm(t, reqs[0], map[string]string{
		"name": "Contoso AB", "email": "billing@contoso.se", "address[country]": "SE", "address[city]": "Uppsala",
	})
}

func TestSaveCard(t *testing.T) {
	g, rec, _ := mockGateway(t)

	t.Run("Saved", func(t *testing.T) {
		saved, err := g.SaveCard(t.Context(), testCard())
		if err != nil {
			t.Fatal(err)
		}
		// stripe-mock answers with its fixture, so check the shape.
		if !strings.HasPrefix(saved.Ref, "pm_") || saved.Brand != kassa.Visa || len(saved.Last4) != 4 ||
			saved.ExpMonth < 1 || saved.ExpMonth > 12 || saved.ExpYear < 2000 {
			t.Errorf("SaveCard = %+v, want a pm_ ref, a Visa, 4 digits and an expiry date", saved)
		}
		reqs := rec.all()
		if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/payment_methods" {
			t.Fatalf("requests = %+v, want one POST /v1/payment_methods", reqs)
		}
		wantForm(t, reqs[0], map[string]string{
			"type": "card", "card[number]": visaDigits, "card[cvc]": "737",
			"card[exp_month]": "12", "card[exp_year]": strconv.Itoa(expYear),
			"billing_details[name]": "Erik Svensson", "billing_details[address][postal_code]": "111 51",
		})
	})

	for _, tc := range []struct {
		name  string
		edit  func(*kassa.Card)
		field string
	}{
		{"BadLuhn", func(c *kassa.Card) { c.Number = "4242 4242 4242 4241" }, "card.number"},
		{"BadCVC", func(c *kassa.Card) { c.CVC = "12" }, "card.cvc"},
		{"Expired", func(c *kassa.Card) { c.ExpYear = 2001 }, "card.exp_year"},
		{"NoName", func(c *kassa.Card) { c.Name = " " }, "card.name"},
	} {
		t.Run(tc.name+"RefusedBeforeAnyRequest", func(t *testing.T) {
			before := len(rec.all())
			c := testCard()
			tc.edit(&c)
			_, err := g.SaveCard(t.Context(), c)
			if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != tc.field {
				t.Fatalf("SaveCard = %v (code %s, field %q), want Invalid naming %s",
					err, kassa.ErrorCode(err), kassa.ErrorField(err), tc.field)
			}
			if n := len(rec.all()) - before; n != 0 {
				t.Errorf("SaveCard made %d requests, want none", n)
			}
		})
	}
}

func TestUpdateCard(t *testing.T) {
	g, rec, _ := mockGateway(t)
	ptr := func(i int) *int { return &i }
	str := func(s string) *string { return &s }

	t.Run("Updated", func(t *testing.T) {
		err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{
			CVC: str("737"), ExpMonth: ptr(11), ExpYear: ptr(expYear + 1), Name: str("Erik S"),
			Address: &kassa.Address{Line1: "Vasagatan 3", City: "Göteborg", PostalCode: "411 24", Country: "SE"},
		})
		if err != nil {
			t.Fatal(err)
		}
		reqs := rec.all()
		if len(reqs) != 3 {
			t.Fatalf("requests = %+v, want retrieve, token, update", reqs)
		}
		if reqs[0].Method != "GET" || reqs[0].Path != "/v1/payment_methods/pm_123" {
			t.Errorf("first request = %s %s, want GET /v1/payment_methods/pm_123", reqs[0].Method, reqs[0].Path)
		}
		if reqs[1].Method != "POST" || reqs[1].Path != "/v1/tokens" {
			t.Errorf("second request = %s %s, want POST /v1/tokens", reqs[1].Method, reqs[1].Path)
		}
		wantForm(t, reqs[1], map[string]string{"cvc_update[cvc]": "737"})
		if reqs[2].Method != "POST" || reqs[2].Path != "/v1/payment_methods/pm_123" {
			t.Errorf("third request = %s %s, want POST /v1/payment_methods/pm_123", reqs[2].Method, reqs[2].Path)
		}
		wantForm(t, reqs[2], map[string]string{
			"card[exp_month]": "11", "card[exp_year]": strconv.Itoa(expYear + 1),
			"billing_details[name]": "Erik S", "billing_details[address][city]": "Göteborg",
		})
		if cvc := reqs[2].Form.Get("card[cvc]"); cvc != "" {
			t.Errorf("update sent card[cvc]=%q, want the code only in the token", cvc)
		}
	})

	t.Run("CVCOfWrongLengthRefused", func(t *testing.T) {
		before := len(rec.all())
		// The fixture card is a Visa: 3 digits.
		err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{CVC: str("7370")})
		if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "cvc" {
			t.Fatalf("UpdateCard = %v, want Invalid naming cvc", err)
		}
		for _, r := range rec.all()[before:] {
			if r.Method != "GET" {
				t.Errorf("UpdateCard sent %s %s after a bad code", r.Method, r.Path)
			}
		}
	})

	t.Run("ExpiredRefusedBeforeAnyRequest", func(t *testing.T) {
		before := len(rec.all())
		err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{ExpMonth: ptr(1), ExpYear: ptr(2001)})
		if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "exp_year" {
			t.Fatalf("UpdateCard = %v, want Invalid naming exp_year", err)
		}
		if n := len(rec.all()) - before; n != 0 {
			t.Errorf("UpdateCard made %d requests, want none", n)
		}
	})

	t.Run("HalfAnExpiryCheckedWithTheOtherHalf", func(t *testing.T) {
		// The fixture card's month, with a past year, is in the past.
		err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{ExpYear: ptr(2001)})
		if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "exp_year" {
			t.Fatalf("UpdateCard = %v, want Invalid naming exp_year", err)
		}
	})

	t.Run("NothingToChange", func(t *testing.T) {
		before := len(rec.all())
		if err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{}); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.all()) - before; n != 0 {
			t.Errorf("UpdateCard made %d requests, want none", n)
		}
	})
}

func TestAttachAndDetachCard(t *testing.T) {
	g, rec, _ := mockGateway(t)
	if err := g.AttachCard(t.Context(), "pm_123", "cus_123"); err != nil {
		t.Fatalf("AttachCard: %v", err)
	}
	if err := g.DetachCard(t.Context(), "pm_123"); err != nil {
		t.Fatalf("DetachCard: %v", err)
	}
	reqs := rec.all()
	if len(reqs) != 2 || reqs[0].Path != "/v1/payment_methods/pm_123/attach" || reqs[1].Path != "/v1/payment_methods/pm_123/detach" {
		t.Fatalf("requests = %+v, want attach then detach", reqs)
	}
	wantForm(t, reqs[0], map[string]string{"customer": "cus_123"})
}

func TestCharge(t *testing.T) {
	g, rec, _ := mockGateway(t)
	req := kassa.ChargeRequest{
		CustomerRef: "cus_123", CardRef: "pm_123", Amount: kassa.Money{Amount: 23900, Currency: "SEK"},
		Description: "Invoice K-2026-0001", IdempotencyKey: "charge-invoice-1",
	}

	t.Run("Succeeded", func(t *testing.T) {
		rec.setSucceed(true)
		defer rec.setSucceed(false)
		p, err := g.Charge(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Ref, "pi_") || p.Amount != req.Amount {
			t.Errorf("Charge = %+v, want a pi_ ref and %v", p, req.Amount)
		}
		reqs := rec.all()
		if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/payment_intents" {
			t.Fatalf("requests = %+v, want one POST /v1/payment_intents", reqs)
		}
		if reqs[0].IdempotencyKey != req.IdempotencyKey {
			t.Errorf("Idempotency-Key = %q, want %q", reqs[0].IdempotencyKey, req.IdempotencyKey)
		}
		wantForm(t, reqs[0], map[string]string{
			"amount": "23900", "currency": "sek", "customer": "cus_123", "payment_method": "pm_123",
			"confirm": "true", "off_session": "true", "description": "Invoice K-2026-0001",
		})
	})

	t.Run("NotSucceededIsDeclined", func(t *testing.T) {
		// stripe-mock's fixture is a PaymentIntent that requires a
		// payment method: the confirmation did not take the money.
		_, err := g.Charge(t.Context(), req)
		if kassa.ErrorCode(err) != kassa.PaymentFailed || kassa.DeclineReason(err) == "" {
			t.Fatalf("Charge = %v, want PaymentFailed with a decline reason", err)
		}
	})

	t.Run("NoIdempotencyKeyRefused", func(t *testing.T) {
		before := len(rec.all())
		r := req
		r.IdempotencyKey = ""
		if _, err := g.Charge(t.Context(), r); err == nil {
			t.Fatal("Charge without an idempotency key succeeded")
		}
		if n := len(rec.all()) - before; n != 0 {
			t.Errorf("Charge made %d requests, want none", n)
		}
	})
}

func TestRefund(t *testing.T) {
	g, rec, _ := mockGateway(t)
	req := kassa.RefundRequest{ChargeRef: "pi_123", Amount: kassa.Money{Amount: 5000, Currency: "SEK"}, IdempotencyKey: "refund-credit-1"}
	p, err := g.Refund(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Ref, "re_") || p.Amount != req.Amount {
		t.Errorf("Refund = %+v, want a re_ ref and %v", p, req.Amount)
	}
	reqs := rec.all()
	if len(reqs) != 1 || reqs[0].Path != "/v1/refunds" || reqs[0].IdempotencyKey != req.IdempotencyKey {
		t.Fatalf("requests = %+v, want one POST /v1/refunds with Idempotency-Key %q", reqs, req.IdempotencyKey)
	}
	wantForm(t, reqs[0], map[string]string{"payment_intent": "pi_123", "amount": "5000"})
}

// TestCardDataGoesOnlyToPaymentMethodCreate runs a card's whole life and
// checks that its number is sent once, in the request that saves it, that
// its code is sent only there and in the cvc_update token, and that neither
// reaches the log.
func TestCardDataGoesOnlyToPaymentMethodCreate(t *testing.T) {
	g, rec, logs := mockGateway(t)
	rec.setSucceed(true)
	c := testCard()
	c.Number, c.CVC = "5555 5555 5555 4444", "419"
	const digits = "5555555555554444"
	ctx := t.Context()

	cus, err := g.CreateCustomer(ctx, kassa.Customer{Name: c.Name, Email: "erik@contoso.se", Address: c.Address})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := g.SaveCard(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.AttachCard(ctx, saved.Ref, cus); err != nil {
		t.Fatal(err)
	}
	if err := g.UpdateCard(ctx, saved.Ref, kassa.CardUpdate{CVC: &c.CVC}); err != nil {
		t.Fatal(err)
	}
	p, err := g.Charge(ctx, kassa.ChargeRequest{CustomerRef: cus, CardRef: saved.Ref,
		Amount: kassa.Money{Amount: 100, Currency: "SEK"}, IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Refund(ctx, kassa.RefundRequest{ChargeRef: p.Ref, Amount: p.Amount, IdempotencyKey: "k2"}); err != nil {
		t.Fatal(err)
	}
	if err := g.DetachCard(ctx, saved.Ref); err != nil {
		t.Fatal(err)
	}

	numberSent := 0
	for _, r := range rec.all() {
		for key, values := range r.Form {
			for _, v := range values {
				if strings.Contains(strings.ReplaceAll(v, " ", ""), digits) {
					numberSent++
					if r.Path != "/v1/payment_methods" || key != "card[number]" {
						t.Errorf("%s %s sent the card number in %s", r.Method, r.Path, key)
					}
				}
				if v == c.CVC && key != "card[cvc]" && key != "cvc_update[cvc]" {
					t.Errorf("%s %s sent the security code in %s", r.Method, r.Path, key)
				}
			}
		}
	}
	if numberSent != 1 {
		t.Errorf("card number sent %d times, want once", numberSent)
	}
	log := logs.String()
	if log == "" {
		t.Error("the adapter logged nothing at debug level")
	}
	if strings.Contains(log, digits) || strings.Contains(log, "5555 5555") {
		t.Errorf("log holds the card number:\n%s", log)
	}
}

// wantForm checks that the request's form holds each of want's values.
func wantForm(t *testing.T, r request, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("%s %s: form %s = %q, want %q", r.Method, r.Path, k, got, v)
		}
	}
}
