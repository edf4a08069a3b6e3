package stripe

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// unavailableMessage is the English of error.payment.unavailable: what
// people read when Stripe cannot answer now.
const unavailableMessage = "The payment service is unavailable; try again."

// fakeStripe returns a Gateway whose every request is answered with status
// and body, as Stripe answers errors.
func fakeStripe(t *testing.T, status int, body string) (*Gateway, *syncBuffer) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_test")
		// Real Stripe may ask for retries; these answers are final, which
		// keeps stripe-go from sleeping between attempts.
		w.Header().Set("Stripe-Should-Retry", "false")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	g, err := New(Config{Key: testKey, BaseURL: srv.URL,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return g, logs
}

func TestErrorMapping(t *testing.T) {
	ptr := func(i int) *int { return &i }
	charge := func(ctx context.Context, g *Gateway) error {
		_, err := g.Charge(ctx, kassa.ChargeRequest{CustomerRef: "cus_1", CardRef: "pm_1",
			Amount: kassa.Money{Amount: 100, Currency: "SEK"}, IdempotencyKey: "k"})
		return err
	}
	rename := func(ctx context.Context, g *Gateway) error {
		name := "Erik"
		return g.UpdateCard(ctx, "pm_1", kassa.CardUpdate{Name: &name})
	}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		call   func(context.Context, *Gateway) error
		code   kassa.Code
		reason string // of a decline
		field  string // of an Invalid
	}{
		{name: "InsufficientFunds", status: 402, call: charge, code: kassa.PaymentFailed, reason: "insufficient_funds",
			body: `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}`},
		{name: "ExpiredCardWithoutDeclineCode", status: 402, call: charge, code: kassa.PaymentFailed, reason: "expired_card",
			body: `{"error":{"type":"card_error","code":"expired_card","param":"exp_month","message":"Your card has expired."}}`},
		{name: "IncorrectCVC", status: 402, call: charge, code: kassa.PaymentFailed, reason: "incorrect_cvc",
			body: `{"error":{"type":"card_error","code":"incorrect_cvc","param":"cvc","message":"Your card's security code is incorrect."}}`},
		{name: "PostalCodeParam", status: 400, call: rename, code: kassa.Invalid, field: "address.postal_code",
			body: `{"error":{"type":"invalid_request_error","param":"billing_details[address][postal_code]","message":"Invalid."}}`},
		{name: "ExpiryParamOnUpdate", status: 400, code: kassa.Invalid, field: "exp_month",
			call: func(ctx context.Context, g *Gateway) error {
				return g.UpdateCard(ctx, "pm_1", kassa.CardUpdate{ExpMonth: ptr(12), ExpYear: ptr(expYear)})
			},
			body: `{"error":{"type":"invalid_request_error","param":"card[exp_month]","message":"Invalid."}}`},
		{name: "IdempotencyKeyReused", status: 400, call: charge, code: kassa.Conflict,
			body: `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`},
		{name: "ServerError", status: 500, call: charge, code: kassa.Unavailable,
			body: `{"error":{"type":"api_error","message":"An unknown error occurred."}}`},
		{name: "RateLimited", status: 429, call: charge, code: kassa.Unavailable,
			body: `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests."}}`},
		{name: "UnknownPayment", status: 404, code: kassa.NotFound,
			call: func(ctx context.Context, g *Gateway) error { _, err := g.FindPayment(ctx, "pi_gone"); return err },
			body: `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":"No such payment_intent: 'pi_gone'"}}`},
		{name: "DetachedCardGone", status: 404, code: "",
			call: func(ctx context.Context, g *Gateway) error { return g.DetachCard(ctx, "pm_gone") },
			body: `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"payment_method","message":"No such PaymentMethod: 'pm_gone'"}}`},
		{name: "BadKeyIsInternal", status: 401, call: charge, code: kassa.Internal,
			body: `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_***123"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, logs := fakeStripe(t, tc.status, tc.body)
			err := tc.call(t.Context(), g)
			if got := kassa.ErrorCode(err); got != tc.code {
				t.Fatalf("error = %v, code %q, want %q", err, got, tc.code)
			}
			if got := kassa.DeclineReason(err); got != tc.reason {
				t.Errorf("DeclineReason = %q, want %q", got, tc.reason)
			}
			if got := kassa.ErrorField(err); got != tc.field {
				t.Errorf("ErrorField = %q, want %q", got, tc.field)
			}
			if tc.code == kassa.Unavailable && locale.In("en").Error(err) != unavailableMessage {
				t.Errorf("ErrorMessage = %q, want %q", locale.In("en").Error(err), unavailableMessage)
			}
			// Stripe's messages may quote what was sent: kassa shows none.
			if err != nil && strings.Contains(err.Error(), "Your card") {
				t.Errorf("error %q holds Stripe's message", err)
			}
			_ = logs
		})
	}
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	g, err := New(Config{Key: testKey, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Refund(t.Context(), kassa.RefundRequest{ChargeRef: "pi_1",
		Amount: kassa.Money{Amount: 100, Currency: "SEK"}, IdempotencyKey: "k"})
	if kassa.ErrorCode(err) != kassa.Unavailable || locale.In("en").Error(err) != unavailableMessage {
		t.Fatalf("Refund = %v (code %q), want Unavailable", err, kassa.ErrorCode(err))
	}
}

func TestCardField(t *testing.T) {
	for _, tc := range []struct{ prefix, param, want string }{
		{"card.", "card[number]", "card.number"},
		{"card.", "number", "card.number"},
		{"card.", "card[exp_year]", "card.exp_year"},
		{"card.", "card[cvc]", "card.cvc"},
		{"", "cvc_update[cvc]", "cvc"},
		{"card.", "billing_details[name]", "card.name"},
		{"card.", "billing_details[address][line1]", "card.address.line1"},
		{"", "billing_details[address]", "address"},
		{"card.", "amount", ""},
		{"card.", "customer", ""},
		{"card.", "card[networks][preferred]", ""},
		{"card.", "metadata[number]", ""},
		{"card.", "", ""},
	} {
		if got := cardField(tc.prefix, tc.param); got != tc.want {
			t.Errorf("cardField(%q, %q) = %q, want %q", tc.prefix, tc.param, got, tc.want)
		}
	}
}
