package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa/demo"
)

// The seed's four procedures about subscriptions and invoices, walked by
// clicking what the seed names: erik in Swedish, mike in English (who first
// gets a card and a billing profile through the API, as the payment
// procedures are walked elsewhere). Each buys a subscription first.

// purchaseWords are the texts of the seed and the pages that the
// procedures click and read.
type purchaseWords struct {
	lang, acceptLanguage               string
	products, productsTab, bills       string
	buy, review, filter, selfService   string
	apply, buyLicenses, removeLicenses string
	totalLicenses, save, moreActions   string
	cancel, cancelPane, reason         string
	invoicesTab, past6, dateRange      string
	total, due, credit, purchased      string
	canceled, ended, feedback          string
}

var swedishPurchase = purchaseWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9",
	products: "Dina produkter", productsTab: "Produkter", bills: "Räkningar och betalningar",
	buy: "Köp", review: "Granska", filter: "Filter", selfService: "Självbetjäning", apply: "Använd",
	buyLicenses: "Köp licenser", removeLicenses: "Ta bort licenser", totalLicenses: "Totalt antal licenser",
	save: "Spara", moreActions: "Fler åtgärder", cancel: "Avbryt prenumeration", cancelPane: "Avsluta prenumeration",
	reason:      "Jag använder det inte",
	invoicesTab: "Fakturor", past6: "Senaste 6 månaderna", dateRange: "Ange ett datumintervall",
	total: "1\u00a0493,75\u00a0kr", due: "Debiteras ditt kort nu: 597,50\u00a0kr",
	credit:    "Krediteras din faktureringsprofil: 298,75\u00a0kr",
	purchased: "Tack för ditt köp. Prenumerationen är aktiv och fakturan finns under Räkningar och betalningar.", canceled: "Prenumerationen har avbrutits och upphört. Återbetalningen för de oanvända dagarna finns på en kreditfaktura under Räkningar och betalningar.", ended: "Avbruten",
	feedback: "Vi behöver det inte längre.\nTack!",
}

var englishPurchase = purchaseWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9",
	products: "Your products", productsTab: "Products", bills: "Bills & payments",
	buy: "Buy", review: "Review", filter: "Filter", selfService: "Self-service", apply: "Apply",
	buyLicenses: "Buy licenses", removeLicenses: "Remove licenses", totalLicenses: "Total licenses",
	save: "Save", moreActions: "More actions", cancel: "Cancel subscription", cancelPane: "Cancel subscription",
	reason:      "It's too expensive",
	invoicesTab: "Invoices", past6: "Past 6 months", dateRange: "Specify a date range",
	total: "$110.00", due: "Charged to your card now: $44.00", credit: "Credited to your billing profile: $22.00",
	purchased: "Thank you for your purchase. The subscription is active, and its invoice is under Bills & payments.", canceled: "The subscription was canceled and has ended. The refund for the unused days is on a credit note under Bills & payments.", ended: "Canceled",
	feedback: "We don't need it any more.\nThanks!",
}

func TestSelfServicePurchases(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)
	givePaymentDetails(t, base, "mike@harbor.example")
	for _, c := range []struct {
		name, email string
		w           purchaseWords
	}{
		{"SwedishErik", "erik@nordvik.example", swedishPurchase},
		{"EnglishMike", "mike@harbor.example", englishPurchase},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			walkPurchases(t, newTab(t, browser, c.w.acceptLanguage), base, c.email, c.w)
		})
	}
}

func walkPurchases(t *testing.T, tab context.Context, base, email string, w purchaseWords) {
	signIn(t, tab, base, email)
	shot := func(name string) {
		if w.lang == "sv" {
			screenshot(t, tab, name+"-sv")
		}
	}

	// Buy 5 monthly licenses of Analytics Pro from the catalog.
	follow(t, tab, "//nav", w.products)
	follow(t, tab, `//section[@id="catalog"]`, w.buy+" – Analytics Pro")
	fill(t, tab, map[string]string{"buy-quantity": "5"})
	shot("buy")
	follow(t, tab, "//main", w.review)
	wantTexts(t, tab, "table.totals td", w.total)
	shot("buy-review")
	follow(t, tab, "//main", w.buy)
	wantTexts(t, tab, ".notice", w.purchased)

	// View your subscriptions: Billing › Your products → Products tab →
	// the filter icon → Self-service.
	follow(t, tab, "//nav", w.products)
	follow(t, tab, `//nav[@class="tabs"]`, w.productsTab)
	run(t, tab, "open the filter", chromedp.Click(chromedp.CSS("details.filter > summary")))
	run(t, tab, "choose "+w.selfService, chromedp.Click(chromedp.CSS(`input[name="channel"][value="self_service"]`)))
	shot("your-products-filter")
	follow(t, tab, "//main//form", w.apply)
	wantTexts(t, tab, "table.subscriptions tbody th", "Analytics Pro")
	wantTexts(t, tab, "table.subscriptions tbody td", w.selfService)
	shot("your-products")

	// How to buy more or reduce licenses: the subscription → Buy licenses
	// → the Total licenses box in the right pane → the price → Save.
	follow(t, tab, "//main//table", "Analytics Pro")
	follow(t, tab, "//main", w.buyLicenses)
	wantPane(t, tab, w.buyLicenses)
	wantTexts(t, tab, "aside label", w.totalLicenses)
	fill(t, tab, map[string]string{"total-licenses": "7"})
	follow(t, tab, "//aside", w.review)
	wantTexts(t, tab, ".preview strong", w.due)
	shot("subscription-licenses")
	follow(t, tab, "//aside", w.save)
	wantTexts(t, tab, "dl.details dd", "7")
	follow(t, tab, "//main", w.removeLicenses)
	wantPane(t, tab, w.removeLicenses)
	fill(t, tab, map[string]string{"total-licenses": "6"})
	follow(t, tab, "//aside", w.review)
	wantTexts(t, tab, ".preview strong", w.credit)
	follow(t, tab, "//aside", w.save)
	wantTexts(t, tab, "dl.details dd", "6")

	// Cancel a subscription: Products tab → More actions → Cancel
	// subscription → a reason and feedback in the pane → Save.
	follow(t, tab, "//nav", w.products)
	run(t, tab, "open "+w.moreActions, chromedp.Click(chromedp.CSS("table.subscriptions details.menu > summary")))
	follow(t, tab, "//table//details", w.cancel)
	wantPane(t, tab, w.cancelPane)
	run(t, tab, "choose a reason", chromedp.Click(fmt.Sprintf(`//aside//label[normalize-space()=%s]/input`, xpathString(w.reason)), chromedp.NodeVisible))
	run(t, tab, "give feedback", chromedp.SendKeys(chromedp.ID("cancel-feedback"), w.feedback))
	shot("cancel")
	follow(t, tab, "//aside", w.save)
	wantTexts(t, tab, ".notice", w.canceled)
	wantTexts(t, tab, "dl.details dd", w.ended, w.reason)
	shot("subscription-canceled")

	// View your invoices: Bills & payments → Invoices tab → Past 6 months,
	// then a date range.
	follow(t, tab, "//nav", w.bills)
	follow(t, tab, `//nav[@class="tabs"]`, w.invoicesTab)
	wantInvoices(t, tab, 4)
	shot("invoices")
	selectOption(t, tab, "invoice-period", w.past6)
	follow(t, tab, "//main//form", w.apply)
	wantInvoices(t, tab, 4)
	selectOption(t, tab, "invoice-period", w.dateRange)
	today := time.Now().UTC()
	setDates(t, tab, today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
	follow(t, tab, "//main//form", w.apply)
	wantInvoices(t, tab, 4)
	number := texts(t, tab, "a.invoice-number")[0]
	follow(t, tab, "//main//table", number)
	if h := texts(t, tab, "aside.pane h2"); len(h) != 1 || !strings.HasSuffix(h[0], " "+number) {
		t.Errorf("invoice pane %q, want one for %s", h, number)
	}
	shot("invoice")
}

// wantInvoices checks how many invoices the list shows.
func wantInvoices(t *testing.T, tab context.Context, n int) {
	t.Helper()
	if got := texts(t, tab, "a.invoice-number"); len(got) != n {
		t.Errorf("invoices listed: %q, want %d", got, n)
	}
}

// setDates types the date range into the date inputs, as a date picker does.
func setDates(t *testing.T, tab context.Context, from, to time.Time) {
	t.Helper()
	js := fmt.Sprintf(`document.getElementById("invoice-from").value = %q; document.getElementById("invoice-to").value = %q; true`,
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	run(t, tab, "set the dates", chromedp.Evaluate[bool](js))
}

// givePaymentDetails gives the user a Visa and a billing profile paying
// with it, through the API.
func givePaymentDetails(t *testing.T, base, email string) {
	t.Helper()
	cardProfile(t, base, email, "4242424242424242", "Harbor Labs – Mike",
		map[string]string{"line1": "1 Harbor Way", "city": "Seattle", "postal_code": "98101", "country": "US"})
}

// cardProfile gives the user a card of the simulator's (its test-mode
// shortcut) and a billing profile named name paying with it, through the
// API.
func cardProfile(t *testing.T, base, email, number, name string, address map[string]string) {
	t.Helper()
	call := func(path, token string, body any, out any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: status %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	var login struct{ Token string }
	call("/api/v1/login", "", map[string]string{"email": email, "password": demo.Password}, &login)
	var card struct{ ID string }
	call("/api/v1/payment-methods", login.Token, map[string]any{"address": address, "card": map[string]any{
		"number": number, "exp_month": 12, "exp_year": time.Now().Year() + 3, "cvc": "123", "name": "Card Holder"}}, &card)
	var profile struct{ ID string }
	call("/api/v1/billing-profiles", login.Token, map[string]any{"name": name, "email": email,
		"address": address, "payment_method_id": card.ID}, &profile)
}
