package stripe

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/kassa-billing/kassa"
)

// expYear is a year in which test cards are still valid.
var expYear = time.Now().Year() + 3

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

func TestStartCardSession(t *testing.T) {
	g, rec, _ := mockGateway(t)
	cs, err := g.StartCardSession(t.Context(), kassa.CardSessionRequest{CustomerRef: "cus_123", Language: "sv",
		ReturnURL: "https://kassa.example/billing/cards/done?session={CHECKOUT_SESSION_ID}", CancelURL: "https://kassa.example/billing/payment-methods"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cs.Ref, "cs_") || cs.URL == "" {
		t.Errorf("StartCardSession = %+v, want a cs_ ref and Stripe's URL", cs)
	}
	reqs := rec.all()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/checkout/sessions" {
		t.Fatalf("requests = %+v, want one POST /v1/checkout/sessions", reqs)
	}
	wantForm(t, reqs[0], map[string]string{
		"mode": "setup", "customer": "cus_123", "payment_method_types[0]": "card", "billing_address_collection": "required",
		"success_url": "https://kassa.example/billing/cards/done?session={CHECKOUT_SESSION_ID}",
		"cancel_url":  "https://kassa.example/billing/payment-methods", "locale": "sv",
	})
}

func TestFindCardSession(t *testing.T) {
	g, rec, _ := mockGateway(t)
	t.Run("Open", func(t *testing.T) {
		rec.setEdit(func(path string, obj map[string]any) { obj["status"] = "open" })
		defer rec.setEdit(nil)
		got, err := g.FindCardSession(t.Context(), "cs_123")
		if err != nil || got.Status != kassa.CardSessionOpen || got.Card.Ref != "" {
			t.Fatalf("FindCardSession = %+v, %v; want open", got, err)
		}
		r := rec.all()[len(rec.all())-1]
		if r.Method != "GET" || r.Path != "/v1/checkout/sessions/cs_123" || r.Form.Get("expand[0]") != "setup_intent.payment_method" {
			t.Errorf("request %+v, want GET of the session with its setup intent's card expanded", r)
		}
	})
	t.Run("CompleteGivesTheCard", func(t *testing.T) {
		rec.setEdit(func(path string, obj map[string]any) {
			obj["status"] = "complete"
			obj["setup_intent"] = map[string]any{"id": "seti_123", "object": "setup_intent", "status": "succeeded",
				"payment_method": map[string]any{"id": "pm_123", "object": "payment_method", "type": "card",
					"card": map[string]any{"brand": "mastercard", "last4": "4444", "exp_month": 11, "exp_year": expYear},
					"billing_details": map[string]any{"name": "Erik Johansson", "address": map[string]any{
						"line1": "Storgatan 12", "city": "Stockholm", "postal_code": "111 22", "country": "SE"}}}}
		})
		defer rec.setEdit(nil)
		got, err := g.FindCardSession(t.Context(), "cs_123")
		want := kassa.SavedCard{Ref: "pm_123", Brand: kassa.Mastercard, Last4: "4444", ExpMonth: 11, ExpYear: expYear, Name: "Erik Johansson",
			Address: kassa.Address{Line1: "Storgatan 12", City: "Stockholm", PostalCode: "111 22", Country: "SE"}}
		if err != nil || got.Status != kassa.CardSessionComplete || got.Card != want {
			t.Fatalf("FindCardSession = %+v, %v; want complete with %+v", got, err, want)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		rec.setEdit(func(path string, obj map[string]any) { obj["status"] = "expired" })
		defer rec.setEdit(nil)
		if got, err := g.FindCardSession(t.Context(), "cs_123"); err != nil || got.Status != kassa.CardSessionExpired {
			t.Fatalf("FindCardSession = %+v, %v; want expired", got, err)
		}
	})
}

func TestUpdateCard(t *testing.T) {
	g, rec, _ := mockGateway(t)
	ptr := func(i int) *int { return &i }
	str := func(s string) *string { return &s }

	t.Run("Updated", func(t *testing.T) {
		err := g.UpdateCard(t.Context(), "pm_123", kassa.CardUpdate{
			ExpMonth: ptr(11), ExpYear: ptr(expYear + 1), Name: str("Erik S"),
			Address: &kassa.Address{Line1: "Vasagatan 3", City: "Göteborg", PostalCode: "411 24", Country: "SE"},
		})
		if err != nil {
			t.Fatal(err)
		}
		reqs := rec.all()
		if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/payment_methods/pm_123" {
			t.Fatalf("requests = %+v, want one POST /v1/payment_methods/pm_123", reqs)
		}
		wantForm(t, reqs[0], map[string]string{
			"card[exp_month]": "11", "card[exp_year]": strconv.Itoa(expYear + 1),
			"billing_details[name]": "Erik S", "billing_details[address][city]": "Göteborg",
		})
		if cvc := reqs[0].Form.Get("card[cvc]"); cvc != "" {
			t.Errorf("update sent card[cvc]=%q, want the code only in the token", cvc)
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

func TestDetachCard(t *testing.T) {
	g, rec, _ := mockGateway(t)
	if err := g.DetachCard(t.Context(), "pm_123"); err != nil {
		t.Fatal(err)
	}
	if r := rec.all(); len(r) != 1 || r[0].Path != "/v1/payment_methods/pm_123/detach" {
		t.Fatalf("requests = %+v", r)
	}
}

func TestCharge(t *testing.T) {
	g, rec, _ := mockGateway(t)
	req := kassa.ChargeRequest{
		CustomerRef: "cus_123", CardRef: "pm_123", Amount: kassa.Money{Amount: 23900, Currency: "SEK"},
		Description: "Invoice K-2026-0001", IdempotencyKey: "charge-invoice-1",
	}
	onSession := req
	onSession.OnSession, onSession.ReturnURL = true, "https://kassa.example/billing/payments/inv_1"
	last := func() request { r := rec.all(); return r[len(r)-1] }

	t.Run("OffSessionSucceeded", func(t *testing.T) {
		rec.setEdit(paymentStatus("succeeded"))
		defer rec.setEdit(nil)
		p, err := g.Charge(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Ref, "pi_") || p.Status != kassa.PaymentSucceeded {
			t.Errorf("Charge = %+v, want a succeeded pi_", p)
		}
		r := last()
		if r.Method != "POST" || r.Path != "/v1/payment_intents" || r.IdempotencyKey != req.IdempotencyKey {
			t.Fatalf("request = %+v, want POST /v1/payment_intents with Idempotency-Key %q", r, req.IdempotencyKey)
		}
		wantForm(t, r, map[string]string{
			"amount": "23900", "currency": "sek", "customer": "cus_123", "payment_method": "pm_123",
			"confirm": "true", "off_session": "true", "description": "Invoice K-2026-0001", "return_url": "",
		})
	})
	t.Run("OffSessionNeedingTheBankIsDeclined", func(t *testing.T) {
		rec.setEdit(paymentStatus("requires_action"))
		defer rec.setEdit(nil)
		if _, err := g.Charge(t.Context(), req); kassa.DeclineReason(err) != kassa.DeclineAuthenticationRequired {
			t.Fatalf("Charge = %v, want declined authentication_required", err)
		}
	})
	t.Run("OnSessionNeedingTheBankRedirects", func(t *testing.T) {
		rec.setEdit(paymentStatus("requires_action"))
		defer rec.setEdit(nil)
		p, err := g.Charge(t.Context(), onSession)
		if err != nil || p.Status != kassa.PaymentRequiresAction || !strings.HasPrefix(p.ActionURL, "https://hooks.stripe.com/") {
			t.Fatalf("Charge = %+v, %v; want requires_action with the bank's URL", p, err)
		}
		wantForm(t, last(), map[string]string{"confirm": "true", "return_url": onSession.ReturnURL,
			"use_stripe_sdk": "false", "off_session": "", "payment_method_types[0]": "card"})
	})
	t.Run("NotSucceededIsDeclined", func(t *testing.T) {
		// stripe-mock's fixture is a PaymentIntent that requires a
		// payment method: the confirmation did not take the money.
		_, err := g.Charge(t.Context(), req)
		if kassa.ErrorCode(err) != kassa.PaymentFailed || kassa.DeclineReason(err) == "" {
			t.Fatalf("Charge = %v, want PaymentFailed with a decline reason", err)
		}
	})
	t.Run("RefusedBeforeAnyRequest", func(t *testing.T) {
		before := len(rec.all())
		noKey, noReturn := req, onSession
		noKey.IdempotencyKey, noReturn.ReturnURL = "", ""
		for _, r := range []kassa.ChargeRequest{noKey, noReturn} {
			if _, err := g.Charge(t.Context(), r); err == nil {
				t.Errorf("Charge(%+v) succeeded", r)
			}
		}
		if n := len(rec.all()) - before; n != 0 {
			t.Errorf("Charge made %d requests, want none", n)
		}
	})
}

func TestFindAndCancelPayment(t *testing.T) {
	g, rec, _ := mockGateway(t)
	for status, want := range map[string]string{"succeeded": kassa.PaymentSucceeded, "requires_action": kassa.PaymentRequiresAction,
		"canceled": kassa.PaymentCanceled, "requires_payment_method": kassa.PaymentDeclined, "processing": kassa.PaymentProcessing} {
		rec.setEdit(paymentStatus(status))
		p, err := g.FindPayment(t.Context(), "pi_123")
		if err != nil || p.Status != want || (want == kassa.PaymentDeclined && p.Decline == "") {
			t.Errorf("FindPayment of a %s intent = %+v, %v; want %s", status, p, err, want)
		}
	}
	rec.setEdit(nil)
	if r := rec.all()[0]; r.Method != "GET" || r.Path != "/v1/payment_intents/pi_123" {
		t.Errorf("request %+v", r)
	}
	if err := g.CancelPayment(t.Context(), "pi_123"); err != nil {
		t.Fatal(err)
	}
	if r := rec.all(); r[len(r)-1].Method != "POST" || r[len(r)-1].Path != "/v1/payment_intents/pi_123/cancel" {
		t.Errorf("request %+v, want POST …/cancel", r[len(r)-1])
	}
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

// TestVerifyEvent checks Stripe's signature scheme with stripe-go's own
// test signer: a good signature is taken, a wrong or stale one refused.
func TestVerifyEvent(t *testing.T) {
	g, err := New(Config{Key: testKey, WebhookSecret: "whsec_test"})
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"id":"evt_1","object":"event","api_version":"2020-08-27","created":1,"type":"payment_intent.succeeded",` +
		`"data":{"object":{"id":"pi_123","object":"payment_intent","status":"succeeded"}}}`)
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_test"})
	ev, err := g.VerifyEvent(payload, signed.Header)
	if err != nil || ev.ID != "evt_1" || ev.Type != "payment_intent.succeeded" || ev.PaymentRef != "pi_123" {
		t.Fatalf("VerifyEvent = %+v, %v", ev, err)
	}
	dispute := []byte(`{"id":"evt_2","object":"event","type":"charge.dispute.created",` +
		`"data":{"object":{"id":"dp_1","object":"dispute","payment_intent":"pi_123","reason":"fraudulent"}}}`)
	signed = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: dispute, Secret: "whsec_test"})
	if ev, err := g.VerifyEvent(dispute, signed.Header); err != nil || ev.PaymentRef != "pi_123" || ev.Reason != "fraudulent" {
		t.Errorf("dispute = %+v, %v", ev, err)
	}
	for name, header := range map[string]string{
		"WrongSecret": webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_other"}).Header,
		"Stale": webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_test",
			Timestamp: time.Now().Add(-6 * time.Minute)}).Header,
		"None": "",
	} {
		if _, err := g.VerifyEvent(payload, header); kassa.ErrorCode(err) != kassa.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	tampered := []byte(strings.Replace(string(payload), "pi_123", "pi_999", 1))
	if _, err := g.VerifyEvent(tampered, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_test"}).Header); err == nil {
		t.Error("a changed payload was taken")
	}
}

// TestNoCardDataReachesStripe runs a card's whole life through the adapter
// and checks that no request carries a card number or security code (the
// card is entered on Stripe's page) and that nothing sensitive is logged.
func TestNoCardDataReachesStripe(t *testing.T) {
	g, rec, logs := mockGateway(t)
	rec.setEdit(paymentStatus("succeeded"))
	ctx := t.Context()
	cus, err := g.CreateCustomer(ctx, kassa.Customer{Name: "Erik", Email: "erik@contoso.se"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.StartCardSession(ctx, kassa.CardSessionRequest{CustomerRef: cus, ReturnURL: "https://k.example/r", CancelURL: "https://k.example/c"}); err != nil {
		t.Fatal(err)
	}
	month := 10
	if err := g.UpdateCard(ctx, "pm_123", kassa.CardUpdate{ExpMonth: &month, ExpYear: &expYear}); err != nil {
		t.Fatal(err)
	}
	p, err := g.Charge(ctx, kassa.ChargeRequest{CustomerRef: cus, CardRef: "pm_123", Amount: kassa.Money{Amount: 100, Currency: "SEK"},
		IdempotencyKey: "k1", OnSession: true, ReturnURL: "https://k.example/p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Refund(ctx, kassa.RefundRequest{ChargeRef: p.Ref, Amount: p.Amount, IdempotencyKey: "k2"}); err != nil {
		t.Fatal(err)
	}
	if err := g.DetachCard(ctx, "pm_123"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.all() {
		for key := range r.Form {
			if strings.Contains(key, "[number]") || strings.Contains(key, "cvc") {
				t.Errorf("%s %s sent %s", r.Method, r.Path, key)
			}
		}
		if r.Path == "/v1/payment_methods" || r.Path == "/v1/tokens" {
			t.Errorf("%s %s: kassa makes no cards itself", r.Method, r.Path)
		}
	}
	if logs.String() == "" {
		t.Error("the adapter logged nothing at debug level")
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
