package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/gateway/stripe"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestStripeWebhook: Stripe's events come in at /webhooks/stripe signed as
// Stripe signs them (made here with stripe-go's own test signer). A
// dispute flags the subscription its charge paid for and tells the admins,
// once however often Stripe sends it; a bad or stale signature is refused
// with 400 and changes nothing.
func TestStripeWebhook(t *testing.T) {
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	sim := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, sim); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadHistory(t.Context(), db, sim); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	// Stripe's gateway checks the events; it is asked nothing over the
	// network for a dispute.
	gw, err := stripe.New(stripe.Config{Key: "sk_test_kassa", BaseURL: "http://127.0.0.1:1", WebhookSecret: "whsec_kassa"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log,
		Billing: billing.New(db, gw, clock, log), Gateway: gw, GatewayName: "stripe"}))
	defer srv.Close()

	creds, err := db.FindCredentials(t.Context(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	erik := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	invs, err := db.FindInvoices(erik, kassa.InvoiceFilter{})
	if err != nil || len(invs) == 0 {
		t.Fatal(err)
	}
	var paid *kassa.Invoice
	for _, inv := range invs {
		if inv.Type == kassa.TypeInvoice && inv.ChargeRef != "" && inv.SubscriptionID != "" {
			paid = inv
		}
	}
	if paid == nil {
		t.Fatal("erik has no paid invoice")
	}
	// Notifications so far are the history's: the dispute's come after.
	if _, err := db.ClaimNotifications(t.Context(), 1000, time.Hour); err != nil {
		t.Fatal(err)
	}

	post := func(payload []byte, signature string, path string) int {
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", signature)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	dispute := []byte(fmt.Sprintf(`{"id":"evt_dispute_1","object":"event","api_version":"2025-03-31.basil","created":%d,"type":"charge.dispute.created",`+
		`"data":{"object":{"id":"dp_1","object":"dispute","payment_intent":%q,"reason":"fraudulent","amount":%d,"currency":"sek"}}}`,
		time.Now().Unix(), paid.ChargeRef, paid.Total.Amount))
	sign := func(payload []byte, secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
	}
	disputed := func() bool {
		sub, err := db.FindSubscriptionForSystem(t.Context(), paid.SubscriptionID)
		if err != nil {
			t.Fatal(err)
		}
		return sub.Disputed
	}
	told := func() int {
		ns, err := db.ClaimNotifications(t.Context(), 1000, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range ns {
			if m.Kind == kassa.NotifyDispute {
				n++
				if m.To != "astrid@nordvik.example" || m.Data.Reason != "fraudulent" || m.Data.InvoiceID != paid.ID {
					t.Errorf("the dispute is told as %+v", m)
				}
			}
		}
		return n
	}

	for name, header := range map[string]string{
		"WrongSecret": sign(dispute, "whsec_other", time.Now()),
		"Stale":       sign(dispute, "whsec_kassa", time.Now().Add(-10*time.Minute)),
		"None":        "",
	} {
		if status := post(dispute, header, "/webhooks/stripe"); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, status)
		}
	}
	if disputed() || told() != 0 {
		t.Fatal("a refused event changed something")
	}
	if status := post(dispute, sign(dispute, "whsec_kassa", time.Now()), "/webhooks/simulator"); status != http.StatusNotFound {
		t.Errorf("another gateway's path: %d, want 404", status)
	}
	for range 3 { // Stripe sends an event again until it hears 2xx, and at times twice
		if status := post(dispute, sign(dispute, "whsec_kassa", time.Now()), "/webhooks/stripe"); status != http.StatusOK {
			t.Fatalf("the dispute: %d", status)
		}
	}
	if !disputed() {
		t.Error("the subscription is not flagged")
	}
	if n := told(); n != 1 {
		t.Errorf("the admins were told %d times, want once", n)
	}
	// An event of a payment kassa does not know changes nothing and is taken.
	unknown := []byte(`{"id":"evt_2","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_nobodys","object":"payment_intent"}}}`)
	if status := post(unknown, sign(unknown, "whsec_kassa", time.Now()), "/webhooks/stripe"); status != http.StatusOK {
		t.Errorf("an unknown payment's event: %d", status)
	}
	if seen, err := db.EventSeen(context.Background(), "evt_2"); err != nil || !seen {
		t.Errorf("the event was not recorded: %v", err)
	}
}
