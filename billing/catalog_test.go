package billing_test

import (
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
)

// applyDemoCatalog applies the demo's catalog file with change made to
// the product sku, as an operator applying an edited file would.
func (w *world) applyDemoCatalog(sku string, change func(*kassa.Product)) {
	w.t.Helper()
	products, err := demo.Catalog()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range products {
		if p.SKU == sku {
			change(p)
		}
	}
	if _, err := w.db.ApplyCatalog(w.t.Context(), products, false); err != nil {
		w.t.Fatal(err)
	}
}

func setPrice(term kassa.Term, currency string, amount int64) func(*kassa.Product) {
	return func(p *kassa.Product) {
		for i := range p.Prices {
			if p.Prices[i].Term == term && p.Prices[i].Currency == currency {
				p.Prices[i].UnitAmount = amount
			}
		}
	}
}

// TestPriceChange: a price change applies to purchases made after it and to
// terms that start after it; the term already paid keeps its price, and so
// do licenses added within it.
func TestPriceChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(3, 1))
	sub := w.buy("ANALYTICS_PRO", 2, w.profile, false) // 239 kr a month, 1 Mar – 1 Apr
	w.applyDemoCatalog("ANALYTICS_PRO", setPrice(kassa.Monthly, "SEK", 25900))

	// Within the paid term, more licenses cost the term's price.
	w.clock.Set(day(3, 1).Add(12 * time.Hour))
	_, inv, err := w.s.SetQuantity(w.ctx, sub.ID, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Lines[0].UnitPrice.Amount; got != 23900 {
		t.Errorf("a license added within the paid term costs %d, want the term's 23900", got)
	}
	// A purchase after the change costs the new price.
	_, inv, err = w.s.Purchase(w.ctx, billing.PurchaseRequest{ProductID: w.product["ANALYTICS_PRO"], Term: kassa.Monthly,
		Quantity: 1, BillingProfileID: w.profile}, "")
	if err != nil || inv.Lines[0].UnitPrice.Amount != 25900 {
		t.Fatalf("a purchase after the change: %v, %+v", err, inv)
	}
	// The next term costs the new price, and so do licenses added in it.
	w.run(day(4, 1))
	invs, err := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var renewal *kassa.Invoice
	for _, i := range invs {
		if i.SubscriptionID == sub.ID && i.PeriodStart.Equal(day(4, 1)) {
			renewal = i
		}
	}
	if renewal == nil {
		t.Fatalf("no renewal of %s among %d invoices", sub.ID, len(invs))
	}
	full, err := w.db.FindInvoiceByID(w.ctx, renewal.ID)
	if err != nil || full.Lines[0].UnitPrice.Amount != 25900 || full.Subtotal.Amount != 3*25900 {
		t.Fatalf("renewal = %+v, %v; want 3 licenses at 259 kr", full, err)
	}
	if got := w.sub(sub.ID); got.UnitPrice.Amount != 25900 {
		t.Errorf("the subscription's price in the new term = %d, want 25900", got.UnitPrice.Amount)
	}
}

// TestRetiredProduct: a retired product cannot be bought, and what was
// bought of it renews.
func TestRetiredProduct(t *testing.T) {
	t.Parallel()
	w := newWorld(t, day(3, 1))
	sub := w.buy("PROJECT_PLAN", 2, w.profile, false)
	w.applyDemoCatalog("PROJECT_PLAN", func(p *kassa.Product) { p.Retired = true })
	_, _, err := w.s.Purchase(w.ctx, billing.PurchaseRequest{ProductID: w.product["PROJECT_PLAN"], Term: kassa.Monthly,
		Quantity: 1, BillingProfileID: w.profile}, "")
	if kassa.ErrorCode(err) != kassa.Forbidden {
		t.Fatalf("buying a retired product: %v, want forbidden", err)
	}
	w.run(day(4, 1))
	if got := w.sub(sub.ID); got.Status != kassa.StatusActive || !got.ExpiresAt.Equal(day(5, 1)) {
		t.Errorf("after its term: %s until %v, want renewed to 1 May", got.Status, got.ExpiresAt)
	}
}
