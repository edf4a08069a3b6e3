package api

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
)

type subscriptionOut struct {
	ID, Status, Channel, Term string
	Quantity, Assigned        int
	Available                 int
	InvoiceID                 string `json:"invoice_id"`
	Product                   struct{ ID, Name string }
	Purchaser                 struct{ ID, Name, Email string }
	UnitPrice                 kassa.Money `json:"unit_price"`
	BillingProfileID          string      `json:"billing_profile_id"`
}

type invoiceOut struct {
	ID, Number, Type, Status string
	TaxRate                  int `json:"tax_rate"`
	Subtotal, Tax, Total     kassa.Money
	Lines                    []struct {
		Description string
		Quantity    int
		Amount      kassa.Money
	}
}

// buyer is erik with his demo billing profile, and the catalog by SKU.
type buyer struct {
	token, profile string
	products       map[string]string
}

func newBuyer(ts *testServer, email string) buyer {
	ts.t.Helper()
	b := buyer{token: ts.login(email), products: map[string]string{}}
	var profiles struct{ Data []profileOut }
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/billing-profiles", b.token, nil).body, &profiles)
	if len(profiles.Data) > 0 {
		b.profile = profiles.Data[0].ID
	}
	var products struct{ Data []struct{ ID, SKU string } }
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/products", b.token, nil).body, &products)
	for _, p := range products.Data {
		b.products[p.SKU] = p.ID
	}
	return b
}

func (b buyer) order(sku string, quantity int) map[string]any {
	return map[string]any{"product_id": b.products[sku], "term": "monthly", "quantity": quantity, "billing_profile_id": b.profile}
}

func TestPurchase(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")

	res := ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 5))
	var sub subscriptionOut
	mustUnmarshal(t, res.body, &sub)
	if res.status != 201 || sub.Status != "active" || sub.Quantity != 5 || sub.Available != 5 || sub.InvoiceID == "" ||
		sub.Channel != "self_service" || sub.Purchaser.Email != "erik@nordvik.example" || sub.UnitPrice.Amount != 23900 {
		t.Fatalf("purchase = %d %s", res.status, res.body)
	}
	var inv invoiceOut
	mustUnmarshal(t, ts.do("GET", "/api/v1/invoices/"+sub.InvoiceID, erik.token, nil).body, &inv)
	// 5 × 239 kr = 1 195 kr, VAT 25 % = 298,75 kr.
	if inv.Number != "INV-2026-000001" || inv.Status != "paid" || inv.Type != "invoice" || inv.TaxRate != 2500 ||
		inv.Subtotal.Amount != 119500 || inv.Tax.Amount != 29875 || inv.Total.Amount != 149375 || len(inv.Lines) != 1 {
		t.Fatalf("invoice = %+v", inv)
	}

	t.Run("PolicyDecides", func(t *testing.T) {
		wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("MAIL_ARCHIVE", 1)), 403, kassa.Forbidden, "")
		wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("DIAGRAM_STUDIO", 1)), 403, kassa.Forbidden, "")
		trial := erik.order("DIAGRAM_STUDIO", 3)
		trial["trial"] = true
		res := ts.do("POST", "/api/v1/subscriptions", erik.token, trial)
		var got subscriptionOut
		mustUnmarshal(t, res.body, &got)
		if res.status != 201 || got.Status != "trialing" || got.InvoiceID != "" {
			t.Errorf("trial = %d %s", res.status, res.body)
		}
		trial["quantity"] = 26
		wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, trial), 422, kassa.Invalid, "quantity")
	})

	t.Run("BadInputNamesTheField", func(t *testing.T) {
		mike := newBuyer(ts, "mike@harbor.example")
		for _, tt := range []struct {
			change map[string]any
			field  string
		}{
			{map[string]any{"quantity": 0}, "quantity"},
			{map[string]any{"quantity": 10001}, "quantity"},
			{map[string]any{"term": "weekly"}, "term"},
			{map[string]any{"product_id": "prd_nope"}, "product_id"},
			{map[string]any{"billing_profile_id": "bp_nope"}, "billing_profile_id"},
			{map[string]any{"quantity": "5"}, "quantity"},
		} {
			body := erik.order("ANALYTICS_PRO", 1)
			for k, v := range tt.change {
				body[k] = v
			}
			wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, body), 422, kassa.Invalid, tt.field)
		}
		// Erik's profile is not Mike's to pay with.
		body := mike.order("ANALYTICS_PRO", 1)
		body["billing_profile_id"] = erik.profile
		wantError(t, ts.do("POST", "/api/v1/subscriptions", mike.token, body), 422, kassa.Invalid, "billing_profile_id")
		wantError(t, ts.do("GET", "/api/v1/subscriptions/"+sub.ID, mike.token, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", "/api/v1/invoices/"+sub.InvoiceID, mike.token, nil), 404, kassa.NotFound, "")
	})

	t.Run("DeclinedChargeLeavesNothing", func(t *testing.T) {
		card := ts.addCard(erik.token, "4000 0000 0000 0341", "123")
		res := ts.do("POST", "/api/v1/billing-profiles", erik.token, map[string]any{
			"name": "Failing", "email": "erik@nordvik.example", "address": stockholm, "payment_method_id": card.ID})
		var p profileOut
		mustUnmarshal(t, res.body, &p)
		before := len(ts.subscriptions(erik.token, ""))
		body := erik.order("PROJECT_PLAN", 2)
		body["billing_profile_id"] = p.ID
		res = ts.do("POST", "/api/v1/subscriptions", erik.token, body)
		wantError(t, res, 402, kassa.PaymentFailed, "")
		if !strings.Contains(string(res.body), "card_declined") {
			t.Errorf("402 does not name the reason: %s", res.body)
		}
		if after := len(ts.subscriptions(erik.token, "")); after != before {
			t.Errorf("a declined purchase left a subscription: %d → %d", before, after)
		}
		// The next invoice takes the next number: no gap for the decline.
		mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("PROJECT_PLAN", 1)).body, &sub)
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices/"+sub.InvoiceID, erik.token, nil).body, &inv)
		if inv.Number != "INV-2026-000002" {
			t.Errorf("next number = %s, want INV-2026-000002", inv.Number)
		}
	})

	t.Run("ListsAndFilters", func(t *testing.T) {
		// Its own server: Erik's active purchase, a trial and another purchase.
		ts := newTestServer(t)
		erik := newBuyer(ts, "erik@nordvik.example")
		trial := erik.order("DIAGRAM_STUDIO", 3)
		trial["trial"] = true
		for _, order := range []map[string]any{erik.order("ANALYTICS_PRO", 5), trial, erik.order("PROJECT_PLAN", 1)} {
			if res := ts.do("POST", "/api/v1/subscriptions", erik.token, order); res.status != 201 {
				t.Fatalf("buy %v = %d %s", order, res.status, res.body)
			}
		}
		if got := ts.subscriptions(erik.token, "?status=trialing"); len(got) != 1 || got[0].Status != "trialing" {
			t.Errorf("status=trialing gave %+v", got)
		}
		if got := ts.subscriptions(erik.token, "?channel=self_service"); len(got) != 3 {
			t.Errorf("channel=self_service gave %d", len(got))
		}
		if got := ts.subscriptions(erik.token, "?channel=admin"); len(got) != 0 {
			t.Errorf("channel=admin gave %d", len(got))
		}
		wantError(t, ts.do("GET", "/api/v1/subscriptions?status=pending", erik.token, nil), 422, kassa.Invalid, "status")
		// Pages of two, newest first, follow next_cursor to the end.
		var walked []string
		for query := "?limit=2"; ; {
			var l struct {
				Data       []subscriptionOut
				NextCursor string `json:"next_cursor"`
			}
			mustUnmarshal(t, ts.do("GET", "/api/v1/subscriptions"+query, erik.token, nil).body, &l)
			for _, s := range l.Data {
				walked = append(walked, s.ID)
			}
			if l.NextCursor == "" {
				break
			}
			query = "?limit=2&cursor=" + l.NextCursor
		}
		var whole []string
		for _, s := range ts.subscriptions(erik.token, "") {
			whole = append(whole, s.ID)
		}
		if len(whole) != 3 || !slices.Equal(walked, whole) {
			t.Errorf("pages of two gave %v, the whole list %v", walked, whole)
		}
		wantError(t, ts.do("GET", "/api/v1/subscriptions?limit=0", erik.token, nil), 422, kassa.Invalid, "limit")
		wantError(t, ts.do("GET", "/api/v1/subscriptions?cursor=-1", erik.token, nil), 422, kassa.Invalid, "cursor")
		wantError(t, ts.do("GET", "/api/v1/subscriptions?channel=x", erik.token, nil), 422, kassa.Invalid, "channel")
		if got := ts.subscriptions(ts.login("astrid@nordvik.example"), ""); len(got) != 3 {
			t.Errorf("the admin sees %d of the tenant's subscriptions, want 3", len(got))
		}
		if got := ts.subscriptions(ts.login("anna.lindberg@nordvik.example"), ""); len(got) != 0 {
			t.Errorf("another user sees %d of erik's subscriptions", len(got))
		}
	})

	t.Run("InvoicePeriods", func(t *testing.T) {
		// Its own server: two invoices, issued today.
		ts := newTestServer(t)
		erik := newBuyer(ts, "erik@nordvik.example")
		for range 2 {
			if res := ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("PROJECT_PLAN", 1)); res.status != 201 {
				t.Fatalf("buy = %d %s", res.status, res.body)
			}
		}
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
		if len(l.Data) != 2 || l.Data[0].Number != "INV-2026-000002" {
			t.Errorf("past 3 months = %+v", l.Data)
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-11-23&to=2026-11-23", erik.token, nil).body, &l)
		if len(l.Data) != 2 {
			t.Errorf("custom today = %d invoices", len(l.Data))
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-01-01&to=2026-11-22", erik.token, nil).body, &l)
		if len(l.Data) != 0 {
			t.Errorf("custom before today = %d invoices", len(l.Data))
		}
		wantError(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-11-24&to=2026-11-23", erik.token, nil), 422, kassa.Invalid, "from")
		wantError(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-11-01&to=soon", erik.token, nil), 422, kassa.Invalid, "to")
		wantError(t, ts.do("GET", "/api/v1/invoices?period=last_year", erik.token, nil), 422, kassa.Invalid, "period")
	})
}

func (ts *testServer) subscriptions(token, query string) []subscriptionOut {
	ts.t.Helper()
	var l struct{ Data []subscriptionOut }
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/subscriptions"+query, token, nil).body, &l)
	return l.Data
}

func TestPurchaseIdempotency(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	order := erik.order("MEETING_ROOMS", 4)

	first := ts.do("POST", "/api/v1/subscriptions", erik.token, order, "Idempotency-Key", "buy-1")
	again := ts.do("POST", "/api/v1/subscriptions", erik.token, order, "Idempotency-Key", "buy-1")
	if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %d %s, first %d %s", again.status, again.body, first.status, first.body)
	}
	other := erik.order("MEETING_ROOMS", 5)
	wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, other, "Idempotency-Key", "buy-1"), 409, kassa.Conflict, "")
	if n := len(ts.subscriptions(erik.token, "")); n != 1 {
		t.Fatalf("%d subscriptions after a replay, want 1", n)
	}

	t.Run("FiftyAtOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make(chan int, 50)
		for range 50 {
			wg.Go(func() {
				statuses <- ts.doRaw("POST", "/api/v1/subscriptions", erik.token, order, "Idempotency-Key", "buy-50").status
			})
		}
		wg.Wait()
		close(statuses)
		counts := map[int]int{}
		for s := range statuses {
			counts[s]++
		}
		if counts[201] < 1 || counts[201]+counts[409] != 50 {
			t.Errorf("answers = %v, want 201s and 409s (in progress) only", counts)
		}
		if n := len(ts.subscriptions(erik.token, "")); n != 2 {
			t.Errorf("%d subscriptions after 50 requests with one key, want 2", n)
		}
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
		if len(l.Data) != 2 {
			t.Errorf("%d invoices (charges), want 2", len(l.Data))
		}
		if res := ts.do("POST", "/api/v1/subscriptions", erik.token, order, "Idempotency-Key", "buy-50"); res.status != 201 {
			t.Errorf("after the race, a retry answers %d", res.status)
		}
	})

	t.Run("KeysAreTheUsers", func(t *testing.T) {
		mike := newBuyer(ts, "mike@harbor.example")
		res := ts.do("POST", "/api/v1/subscriptions", mike.token, mike.order("MEETING_ROOMS", 1), "Idempotency-Key", "buy-1")
		if res.status != 422 { // mike has no billing profile: his own request ran
			t.Errorf("mike's buy-1 = %d %s", res.status, res.body)
		}
	})
}

func TestInvoicePDF(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	var sub subscriptionOut
	mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("MEETING_ROOMS", 5)).body, &sub)
	res := ts.do("GET", "/api/v1/invoices/"+sub.InvoiceID+"/pdf", erik.token, nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf = %d %s", res.status, res.header.Get("Content-Type"))
	}
	text := pdfText(t, res.body)
	for _, want := range []string{"Faktura", "INV-2026-000001", "Mötesrum (månadsvis)", "1 495,00 kr", "Moms 25 %", "373,75 kr", "1 868,75 kr", "Nordvik AB – Erik Johansson", "2026-11-23"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	wantError(t, ts.do("GET", "/api/v1/invoices/"+sub.InvoiceID+"/pdf", ts.login("mike@harbor.example"), nil), 404, kassa.NotFound, "")
}
