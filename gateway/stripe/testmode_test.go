package stripe

import (
	"os"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/kassa-billing/kassa"
)

// TestStripeTestMode runs the adapter against Stripe's own test mode, with
// the secret key in KASSA_STRIPE_TEST_KEY (sk_test_…). It needs the
// network, so make test does not run it: run it by hand with
//
//	KASSA_STRIPE_TEST_KEY=sk_test_… go test -run TestStripeTestMode ./gateway/stripe
//
// Stripe's test payment methods (pm_card_visa, pm_card_authenticationRequired
// for 4000 0027 6000 3184) stand for cards a person saved on Checkout;
// kassa itself has no way to send a card number.
func TestStripeTestMode(t *testing.T) {
	key := os.Getenv("KASSA_STRIPE_TEST_KEY")
	if key == "" {
		t.Skip("set KASSA_STRIPE_TEST_KEY to a test-mode secret key to run against Stripe")
	}
	if !strings.HasPrefix(key, "sk_test_") {
		t.Fatal("KASSA_STRIPE_TEST_KEY must be a test-mode key (sk_test_…)")
	}
	g, err := New(Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	customer, err := g.CreateCustomer(ctx, kassa.Customer{Name: "kassa test mode", Email: "test-mode@kassa.example"})
	if err != nil {
		t.Fatal(err)
	}
	raw := stripe.NewClient(key)
	attach := func(pm string) string {
		t.Helper()
		m, err := raw.V1PaymentMethods.Attach(ctx, pm, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
		if err != nil {
			t.Fatalf("attach %s: %v", pm, err)
		}
		return m.ID
	}
	visa, always := attach("pm_card_visa"), attach("pm_card_authenticationRequired")

	page, err := g.StartCardSession(ctx, kassa.CardSessionRequest{CustomerRef: customer, Language: "sv",
		ReturnURL: "https://kassa.example/back", CancelURL: "https://kassa.example/cancel"})
	if err != nil || !strings.HasPrefix(page.URL, "https://checkout.stripe.com/") {
		t.Fatalf("card page: %+v, %v", page, err)
	}
	if r, err := g.FindCardSession(ctx, page.Ref); err != nil || r.Status != kassa.CardSessionOpen {
		t.Errorf("a fresh card page: %+v, %v", r, err)
	}

	amount := kassa.Money{Amount: 23900, Currency: "SEK"}
	paid, err := g.Charge(ctx, kassa.ChargeRequest{CustomerRef: customer, CardRef: visa, Amount: amount, IdempotencyKey: "kassa-tm-" + customer + "-1"})
	if err != nil || paid.Status != kassa.PaymentSucceeded {
		t.Fatalf("a renewal with a Visa: %+v, %v", paid, err)
	}
	if _, err := g.Refund(ctx, kassa.RefundRequest{ChargeRef: paid.Ref, Amount: kassa.Money{Amount: 100, Currency: "SEK"},
		IdempotencyKey: "kassa-tm-" + customer + "-2"}); err != nil {
		t.Errorf("refund: %v", err)
	}
	held, err := g.Charge(ctx, kassa.ChargeRequest{CustomerRef: customer, CardRef: always, Amount: amount,
		IdempotencyKey: "kassa-tm-" + customer + "-3", OnSession: true, ReturnURL: "https://kassa.example/billing/payments/return"})
	if err != nil || held.Status != kassa.PaymentRequiresAction || !strings.HasPrefix(held.ActionURL, "https://") {
		t.Fatalf("a purchase the bank wants confirmed: %+v, %v", held, err)
	}
	if p, err := g.FindPayment(ctx, held.Ref); err != nil || p.Status != kassa.PaymentRequiresAction {
		t.Errorf("read again: %+v, %v", p, err)
	}
	if err := g.CancelPayment(ctx, held.Ref); err != nil {
		t.Errorf("give it up: %v", err)
	}
	if p, _ := g.FindPayment(ctx, held.Ref); p.Status != kassa.PaymentCanceled {
		t.Errorf("after giving up: %+v", p)
	}
	_, err = g.Charge(ctx, kassa.ChargeRequest{CustomerRef: customer, CardRef: always, Amount: amount, IdempotencyKey: "kassa-tm-" + customer + "-4"})
	if kassa.DeclineReason(err) != kassa.DeclineAuthenticationRequired {
		t.Errorf("a renewal the bank wants confirmed: %v, want authentication_required", err)
	}
	if err := g.DetachCard(ctx, visa); err != nil {
		t.Errorf("detach: %v", err)
	}
}
