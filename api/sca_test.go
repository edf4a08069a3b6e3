package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

// bank answers the simulator's bank page at u ("complete" or "fail") as a
// browser posts it, and returns where it sends the person back.
func (ts *testServer) bank(u, answer string) string {
	ts.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(u, url.Values{"action": {answer}})
	if err != nil {
		ts.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		ts.t.Fatalf("the bank's page answered %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// TestSetupSessions: the card page at the processor, opened by the API,
// saves the card typed there, and the session says so; bad targets are
// refused naming their field.
func TestSetupSessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := ts.login("erik@nordvik.example")
	var page struct{ ID, URL, Status string }
	res := ts.do("POST", "/api/v1/payment-methods/setup-sessions", erik, map[string]any{"return_url": "/billing/bills/payment-methods"})
	mustUnmarshal(t, res.body, &page)
	if res.status != http.StatusCreated || page.Status != "open" || !strings.HasPrefix(page.URL, ts.url+"/simulator/cards/") {
		t.Fatalf("setup session: %d %s", res.status, res.body)
	}
	res = ts.do("GET", "/api/v1/payment-methods/setup-sessions/"+page.ID, erik, nil)
	if res.status != 200 || !strings.Contains(string(res.body), `"status":"open"`) {
		t.Fatalf("before the card: %d %s", res.status, res.body)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cardPage, err := c.PostForm(page.URL, url.Values{"number": {"5555 5555 5555 4444"}, "exp_month": {"11"}, "exp_year": {"2031"},
		"cvc": {"123"}, "name": {"Erik Johansson"}, "line1": {"Storgatan 12"}, "postal_code": {"111 22"}, "city": {"Stockholm"}, "country": {"SE"}})
	if err != nil {
		t.Fatal(err)
	}
	cardPage.Body.Close()
	if cardPage.StatusCode != http.StatusSeeOther || !strings.HasSuffix(cardPage.Header.Get("Location"), "/billing/bills/card-pages/"+page.ID) {
		t.Fatalf("the card page: %d to %q", cardPage.StatusCode, cardPage.Header.Get("Location"))
	}
	var done struct {
		Status        string
		PaymentMethod paymentMethodOut `json:"payment_method"`
	}
	res = ts.do("GET", "/api/v1/payment-methods/setup-sessions/"+page.ID, erik, nil)
	mustUnmarshal(t, res.body, &done)
	if res.status != 200 || done.Status != "complete" || done.PaymentMethod.Last4 != "4444" || done.PaymentMethod.Name != "Erik Johansson" {
		t.Fatalf("after the card: %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), "5555") {
		t.Errorf("the answer holds the number: %s", res.body)
	}
	wantError(t, ts.do("GET", "/api/v1/payment-methods/setup-sessions/"+page.ID, ts.login("anna.lindberg@nordvik.example"), nil),
		404, kassa.NotFound, "")
	for field, body := range map[string]map[string]any{
		"return_url":         {"return_url": "https://evil.example/"},
		"replaces":           {"replaces": "pm_nothing"},
		"billing_profile_id": {"billing_profile_id": "bp_nothing"},
	} {
		wantError(t, ts.do("POST", "/api/v1/payment-methods/setup-sessions", erik, body), 422, kassa.Invalid, field)
	}
	wantError(t, ts.do("POST", "/api/v1/payment-methods/setup-sessions", ts.login("gast@partner.example"), map[string]any{}),
		403, kassa.Forbidden, "")
}

// TestPurchaseRequiresAction: a purchase and more licenses with the card
// whose bank wants every payment confirmed answer 202 with the bank's page;
// completed there, they are bought.
func TestPurchaseRequiresAction(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	card := ts.addCard(erik.token, "4000 0027 6000 3184", "123")
	res := ts.do("POST", "/api/v1/billing-profiles", erik.token, map[string]any{"name": "Bank", "email": "erik@nordvik.example",
		"address": stockholm, "payment_method_id": card.ID})
	var profile profileOut
	mustUnmarshal(t, res.body, &profile)
	erik.profile = profile.ID

	var action struct {
		Status         string
		NextAction     struct{ Type, URL string } `json:"next_action"`
		SubscriptionID string                     `json:"subscription_id"`
		InvoiceID      string                     `json:"invoice_id"`
	}
	res = ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 2))
	mustUnmarshal(t, res.body, &action)
	if res.status != http.StatusAccepted || action.Status != "requires_action" || action.NextAction.Type != "redirect" ||
		!strings.HasPrefix(action.NextAction.URL, ts.url+"/simulator/pay/") || action.SubscriptionID == "" {
		t.Fatalf("purchase: %d %s", res.status, res.body)
	}
	wantError(t, ts.do("GET", "/api/v1/subscriptions/"+action.SubscriptionID, erik.token, nil), 404, kassa.NotFound, "")
	ts.bank(action.NextAction.URL, "complete")
	var sub subscriptionOut
	mustUnmarshal(t, ts.do("GET", "/api/v1/subscriptions/"+action.SubscriptionID, erik.token, nil).body, &sub)
	if sub.Status != "active" || sub.Quantity != 2 {
		t.Fatalf("after the bank: %+v", sub)
	}
	res = ts.do("PUT", "/api/v1/subscriptions/"+sub.ID+"/quantity", erik.token, map[string]any{"quantity": 4})
	mustUnmarshal(t, res.body, &action)
	if res.status != http.StatusAccepted || action.SubscriptionID != sub.ID {
		t.Fatalf("more licenses: %d %s", res.status, res.body)
	}
	ts.bank(action.NextAction.URL, "fail")
	mustUnmarshal(t, ts.do("GET", "/api/v1/subscriptions/"+sub.ID, erik.token, nil).body, &sub)
	if sub.Quantity != 2 {
		t.Errorf("licenses after failing at the bank: %d, want 2", sub.Quantity)
	}
}
