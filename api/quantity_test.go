package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

type previewOut struct {
	Quantity      int
	AmountDue     kassa.Money `json:"amount_due"`
	Credit        kassa.Money
	Subtotal, Tax kassa.Money
	Total         kassa.Money
	Lines         []struct{ Amount kassa.Money }
}

// quantityFixture is Erik's subscription of 5 Analytics Pro licenses,
// bought 23 Nov for 23 Nov – 23 Dec (30 days), ten days on: 20 are left.
type quantityFixture struct {
	ts    *testServer
	erik  buyer
	path  string
	start int // the quantity bought
}

func newQuantityFixture(t *testing.T) *quantityFixture {
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	var sub subscriptionOut
	mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 5)).body, &sub)
	ts.clock.Set(testStart.Add(10 * 24 * time.Hour))
	return &quantityFixture{ts: ts, erik: erik, path: "/api/v1/subscriptions/" + sub.ID, start: 5}
}

func (f *quantityFixture) preview(t *testing.T, q int) previewOut {
	t.Helper()
	res := f.ts.do("GET", fmt.Sprintf("%s/quantity-preview?quantity=%d", f.path, q), f.erik.token, nil)
	if res.status != 200 {
		t.Fatalf("preview %d = %d %s", q, res.status, res.body)
	}
	var p previewOut
	mustUnmarshal(t, res.body, &p)
	return p
}

func (f *quantityFixture) set(t *testing.T, q int) subscriptionOut {
	t.Helper()
	res := f.ts.do("PUT", f.path+"/quantity", f.erik.token, map[string]int{"quantity": q})
	if res.status != 200 {
		t.Fatalf("set %d = %d %s", q, res.status, res.body)
	}
	var s subscriptionOut
	mustUnmarshal(t, res.body, &s)
	return s
}

func (f *quantityFixture) balance(t *testing.T) int64 {
	t.Helper()
	var p profileOut
	mustUnmarshal(t, f.ts.do("GET", "/api/v1/billing-profiles/"+f.erik.profile, f.erik.token, nil).body, &p)
	return p.Balance.Amount
}

// TestQuantity changes a subscription's licenses; each subtest starts from
// a fixture of its own and makes the changes before it that it builds on.
func TestQuantity(t *testing.T) {
	t.Parallel()
	t.Run("MoreIsChargedAsPreviewed", func(t *testing.T) {
		t.Parallel()
		f := newQuantityFixture(t)
		// 5 × 239 kr × 20/30 = 796,666… → 796,67; VAT 199,1675 → 199,17.
		p := f.preview(t, 10)
		if p.Subtotal.Amount != 79667 || p.Tax.Amount != 19917 || p.AmountDue.Amount != 99584 || p.Credit.Amount != 0 {
			t.Fatalf("preview = %+v", p)
		}
		got := f.set(t, 10)
		var inv invoiceOut
		mustUnmarshal(t, f.ts.do("GET", "/api/v1/invoices/"+got.InvoiceID, f.erik.token, nil).body, &inv)
		if got.Quantity != 10 || inv.Total.Amount != p.AmountDue.Amount || inv.Status != "paid" || inv.Number != "INV-2026-000002" {
			t.Fatalf("after set: quantity %d, invoice %+v", got.Quantity, inv)
		}
	})

	t.Run("FewerAreCreditedToTheBalance", func(t *testing.T) {
		t.Parallel()
		f := newQuantityFixture(t)
		f.set(t, 10) // as MoreIsChargedAsPreviewed
		// 3 × 239 kr × 20/30 = 478 kr + VAT 119,50 = 597,50 kr back.
		p := f.preview(t, 7)
		if p.Credit.Amount != 59750 || p.AmountDue.Amount != 0 {
			t.Fatalf("preview = %+v", p)
		}
		if got := f.set(t, 7); got.Quantity != 7 {
			t.Fatalf("quantity = %d", got.Quantity)
		}
		if b := f.balance(t); b != 59750 {
			t.Errorf("balance = %d, want 59750", b)
		}
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, f.ts.do("GET", "/api/v1/invoices", f.erik.token, nil).body, &l)
		if len(l.Data) != 3 || l.Data[0].Type != "credit_note" || l.Data[0].Total.Amount != -59750 || l.Data[0].Number != "INV-2026-000003" {
			t.Fatalf("invoices = %+v", l.Data)
		}
	})

	t.Run("TheBalanceIsUsedFirst", func(t *testing.T) {
		t.Parallel()
		f := newQuantityFixture(t)
		f.set(t, 10)
		f.set(t, 7) // a balance of 597,50 kr, as FewerAreCreditedToTheBalance
		// 2 × 239 kr × 20/30 = 318,67 + VAT 79,67 = 398,34 kr, all from the balance.
		p := f.preview(t, 9)
		if p.Total.Amount != 39834 || p.AmountDue.Amount != 0 {
			t.Fatalf("preview = %+v", p)
		}
		f.set(t, 9)
		if b := f.balance(t); b != 59750-39834 {
			t.Errorf("balance = %d, want %d", b, 59750-39834)
		}
		// 3 more: 478 + 119,50 = 597,50 kr, 199,16 from the balance.
		p = f.preview(t, 12)
		if p.Total.Amount != 59750 || p.AmountDue.Amount != 59750-(59750-39834) {
			t.Fatalf("preview = %+v", p)
		}
		f.set(t, 12)
		if b := f.balance(t); b != 0 {
			t.Errorf("balance = %d, want 0", b)
		}
	})

	t.Run("OnlyThePurchaserChanges", func(t *testing.T) {
		t.Parallel()
		f := newQuantityFixture(t)
		ts, path := f.ts, f.path
		res := ts.do("PUT", path+"/quantity", ts.login("astrid@nordvik.example"), map[string]int{"quantity": 20})
		wantError(t, res, 403, kassa.Forbidden, "")
		if !strings.Contains(string(res.body), "read-only") {
			t.Errorf("the admin is not told it is read-only: %s", res.body)
		}
		wantError(t, ts.do("PUT", path+"/quantity", ts.login("mike@harbor.example"), map[string]int{"quantity": 20}), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", path+"/quantity-preview?quantity=20", ts.login("anna.lindberg@nordvik.example"), nil), 404, kassa.NotFound, "")
	})

	t.Run("BadQuantities", func(t *testing.T) {
		t.Parallel()
		f := newQuantityFixture(t)
		ts, path, erik := f.ts, f.path, f.erik
		for _, q := range []string{"0", "10001", "x", ""} {
			wantError(t, ts.do("GET", path+"/quantity-preview?quantity="+q, erik.token, nil), 422, kassa.Invalid, "quantity")
		}
		wantError(t, ts.do("PUT", path+"/quantity", erik.token, `{"quantity":-1}`), 422, kassa.Invalid, "quantity")
		wantError(t, ts.do("PUT", path+"/quantity", erik.token, `{"quantity":"12"}`), 422, kassa.Invalid, "quantity")
	})
}
