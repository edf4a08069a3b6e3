package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The seed's three procedures about payment details, walked as a person
// does: by clicking the links and buttons the seed names, in Swedish as
// erik (who has a billing profile) and in English as mike (who starts with
// nothing, so he adds a card and makes a profile first).

// paymentWords are the texts of the seed that the procedures click.
type paymentWords struct {
	lang, acceptLanguage                 string
	bills, profiles, paymentMethodsTab   string
	profileDetails, paymentMethod        string
	add, addTitle, edit, editTitle, save string
	replace, replaceTitle, delete        string
	addProfile, addProfileTitle          string
	toCardPage, saveCard, declined       string
}

var swedish = paymentWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9",
	bills: "Räkningar och betalningar", profiles: "Faktureringsprofiler", paymentMethodsTab: "Betalningsmetoder",
	profileDetails: "Information om faktureringsprofil", paymentMethod: "Betalningsmetod",
	add: "Lägg till", addTitle: "Lägg till en betalningsmetod", edit: "Redigera", editTitle: "Redigera betalningsmetod",
	save: "Spara", replace: "Ersätt", replaceTitle: "Ersätt betalningsmetod", delete: "Ta bort",
	toCardPage: "Fortsätt till kortsidan", saveCard: "Spara kortet",
	declined: "Kortet nekades. Använd ett annat kort eller kontakta din bank.",
}

var english = paymentWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9",
	bills: "Bills & payments", profiles: "Billing profiles", paymentMethodsTab: "Payment methods",
	profileDetails: "Billing profile details", paymentMethod: "Payment method",
	add: "Add", addTitle: "Add a payment method", edit: "Edit", editTitle: "Edit payment method",
	save: "Save", replace: "Replace", replaceTitle: "Replace payment method", delete: "Delete",
	addProfile: "Add", addProfileTitle: "Add a billing profile",
	toCardPage: "Continue to the card page", saveCard: "Save card",
}

// onCardPage checks that the tab is on the processor's card page (the
// simulator's), in the language kassa opened it in.
func onCardPage(t *testing.T, tab context.Context, lang string) {
	t.Helper()
	if got := readPage(t, tab); !strings.HasPrefix(got.Path, "/simulator/cards/") || got.Lang != lang {
		t.Fatalf("not on the card page in %s: %+v", lang, got)
	}
}

func TestPaymentDetails(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)
	year := time.Now().Year()

	// erik and mike share nothing, so they walk at the same time, each in a
	// tab of his own.
	t.Run("SwedishErik", func(t *testing.T) {
		t.Parallel()
		w := swedish
		tab := newTab(t, browser, w.acceptLanguage)
		signIn(t, tab, base, "erik@nordvik.example")

		// Manage your payment details: Billing › Billing profiles → the
		// profile → under Payment method, Edit, then Replace.
		follow(t, tab, "//nav", w.profiles)
		follow(t, tab, "//main", "Nordvik AB – Erik Johansson")
		wantHeading(t, tab, w.profileDetails)
		wantTexts(t, tab, "#payment-method dd", "Visa •••• 4242", "Erik Johansson")
		screenshot(t, tab, "profile-sv")
		follow(t, tab, `//section[@id="payment-method"]`, w.edit)
		wantPane(t, tab, w.editTitle)
		screenshot(t, tab, "profile-edit-card-sv")
		fill(t, tab, map[string]string{"card-name": "Erik J. Johansson", "card-exp-month": "11", "card-exp-year": strconv.Itoa(year + 4)})
		follow(t, tab, "//aside", w.save)
		wantTexts(t, tab, "#payment-method dd", "Visa •••• 4242", fmt.Sprintf("11/%d", year+4), "Erik J. Johansson")

		// A new card is typed on the processor's card page, never on kassa's.
		follow(t, tab, `//section[@id="payment-method"]`, w.replace)
		wantPane(t, tab, w.replaceTitle)
		screenshot(t, tab, "profile-replace-sv")
		follow(t, tab, "//aside", w.toCardPage)
		onCardPage(t, tab, w.lang)
		fill(t, tab, map[string]string{"number": "5555 5555 5555 4444", "exp_month": "08",
			"exp_year": strconv.Itoa(year + 2), "cvc": "123", "name": "Erik Johansson",
			"line1": "Storgatan 12", "postal_code": "111 22", "city": "Stockholm", "country": "SE"})
		screenshot(t, tab, "card-page-sv")
		follow(t, tab, "//main", w.saveCard)
		wantTexts(t, tab, "#payment-method dd", "Mastercard •••• 4444", fmt.Sprintf("08/%d", year+2))
		screenshot(t, tab, "profile-replaced-sv")

		// Update an existing payment method: Billing › Bills & payments →
		// Payment methods tab → the card → Edit in the right pane.
		follow(t, tab, "//nav", w.bills)
		follow(t, tab, "//main", w.paymentMethodsTab)
		wantTexts(t, tab, "table.data tbody th", "Visa •••• 4242", "Mastercard •••• 4444")
		screenshot(t, tab, "payment-methods-sv")
		follow(t, tab, "//main//table", "Visa •••• 4242")
		wantPane(t, tab, "Visa •••• 4242")
		screenshot(t, tab, "payment-method-sv")
		follow(t, tab, "//aside", w.edit)
		wantPane(t, tab, w.editTitle)
		fill(t, tab, map[string]string{"card-exp-month": "10", "card-exp-year": strconv.Itoa(year + 5),
			"card-name": "Erik Johansson", "address-line1": "Drottninggatan 5", "address-line2": "",
			"address-city": "Göteborg", "address-postal-code": "411 03"})
		screenshot(t, tab, "payment-method-edit-sv")
		follow(t, tab, "//aside", w.save)
		wantPane(t, tab, "Visa •••• 4242")
		wantTexts(t, tab, "aside dd", fmt.Sprintf("10/%d", year+5), "Drottninggatan 5\n411 03 Göteborg\nSverige")

		// Add a new payment method: Payment methods tab → Add a payment
		// method → the pane → on to the processor's card page. A refused
		// card first: the error is beside the number, which has to be
		// typed again.
		follow(t, tab, "//main", w.addTitle)
		wantPane(t, tab, w.addTitle)
		screenshot(t, tab, "payment-method-add-sv")
		follow(t, tab, "//aside", w.toCardPage)
		onCardPage(t, tab, w.lang)
		fill(t, tab, map[string]string{"number": "4000 0000 0000 0002", "exp_month": "05",
			"exp_year": strconv.Itoa(year + 3), "cvc": "123", "name": "Erik Johansson",
			"line1": "Storgatan 12", "city": "Stockholm", "postal_code": "111 22", "country": "SE"})
		submit(t, tab, 422, "//main", w.saveCard)
		wantTexts(t, tab, "#number-error", w.declined)
		if v := value(t, tab, "number") + value(t, tab, "cvc"); v != "" {
			t.Errorf("number and code typed again: %q, want them empty", v)
		}
		if v := value(t, tab, "name"); v != "Erik Johansson" {
			t.Errorf("name on card after the error: %q, want it kept", v)
		}
		screenshot(t, tab, "card-page-declined-sv")
		fill(t, tab, map[string]string{"number": "3782 822463 10005", "cvc": "1234"})
		follow(t, tab, "//main", w.saveCard)
		wantPane(t, tab, "American Express •••• 0005")
		wantTexts(t, tab, "table.data tbody th", "Visa •••• 4242", "Mastercard •••• 4444", "American Express •••• 0005")

		// A card no profile uses can be deleted, after a confirmation.
		follow(t, tab, "//main//table", "Visa •••• 4242")
		follow(t, tab, "//aside", w.delete)
		follow(t, tab, "//aside", w.delete)
		wantTexts(t, tab, "table.data tbody th", "Mastercard •••• 4444", "American Express •••• 0005")
	})

	t.Run("EnglishMike", func(t *testing.T) {
		t.Parallel()
		w := english
		tab := newTab(t, browser, w.acceptLanguage)
		signIn(t, tab, base, "mike@harbor.example")

		// Add a new payment method.
		follow(t, tab, "//nav", w.bills)
		follow(t, tab, "//main", w.paymentMethodsTab)
		follow(t, tab, "//main", w.addTitle)
		follow(t, tab, "//aside", w.toCardPage)
		onCardPage(t, tab, w.lang)
		fill(t, tab, map[string]string{"number": "4242 4242 4242 4242", "exp_month": "3",
			"exp_year": strconv.Itoa(year + 2), "cvc": "424", "name": "Mike Alvarez",
			"line1": "1 Harbor Way", "city": "Seattle", "postal_code": "98101", "country": "US"})
		screenshot(t, tab, "card-page-en")
		follow(t, tab, "//main", w.saveCard)
		wantTexts(t, tab, "table.data tbody th", "Visa •••• 4242")

		// Update an existing payment method.
		follow(t, tab, "//main//table", "Visa •••• 4242")
		follow(t, tab, "//aside", w.edit)
		fill(t, tab, map[string]string{"card-exp-year": strconv.Itoa(year + 6), "card-name": "Mike J. Alvarez",
			"address-line2": "Suite 400"})
		follow(t, tab, "//aside", w.save)
		wantTexts(t, tab, "aside dd", "Visa •••• 4242", fmt.Sprintf("03/%d", year+6), "Mike J. Alvarez",
			"1 Harbor Way\nSuite 400\nSeattle 98101\nUnited States")

		// A billing profile paying with that card.
		follow(t, tab, "//nav", w.profiles)
		follow(t, tab, "//main", w.addProfileTitle)
		fill(t, tab, map[string]string{"profile-name": "Harbor Labs – Mike", "address-line1": "1 Harbor Way",
			"address-city": "Seattle", "address-postal-code": "98101", "profile-po-number": "PO-7"})
		selectOption(t, tab, "profile-payment-method", "Visa •••• 4242")
		follow(t, tab, "//aside", w.addProfile)
		wantHeading(t, tab, w.profileDetails)
		wantTexts(t, tab, "#payment-method dd", "Visa •••• 4242", fmt.Sprintf("03/%d", year+6))

		// Manage your payment details: Edit, then Replace.
		follow(t, tab, "//nav", w.profiles)
		follow(t, tab, "//main//table", "Harbor Labs – Mike")
		follow(t, tab, `//section[@id="payment-method"]`, w.edit)
		fill(t, tab, map[string]string{"card-name": "Mike Alvarez", "card-exp-month": "12"})
		follow(t, tab, "//aside", w.save)
		wantTexts(t, tab, "#payment-method dd", fmt.Sprintf("12/%d", year+6), "Mike Alvarez")
		follow(t, tab, `//section[@id="payment-method"]`, w.replace)
		wantPane(t, tab, w.replaceTitle)
		follow(t, tab, "//aside", w.toCardPage)
		onCardPage(t, tab, w.lang)
		fill(t, tab, map[string]string{"number": "5555555555554444", "exp_month": "09",
			"exp_year": strconv.Itoa(year + 1), "cvc": "555", "name": "Mike Alvarez",
			"line1": "1 Harbor Way", "city": "Seattle", "postal_code": "98101", "country": "US"})
		follow(t, tab, "//main", w.saveCard)
		wantTexts(t, tab, "#payment-method dd", "Mastercard •••• 4444", fmt.Sprintf("09/%d", year+1))
		screenshot(t, tab, "profile-en")
	})
}

// follow clicks the link or button with the text inside the element of the
// XPath scope, and waits for the page it leads to.
func follow(t *testing.T, tab context.Context, scope, text string) {
	t.Helper()
	submit(t, tab, 200, scope, text)
}

// submit clicks like follow and wants the page it leads to to answer status.
func submit(t *testing.T, tab context.Context, status int, scope, text string) {
	t.Helper()
	sel := fmt.Sprintf(`%s//*[self::a or self::button][normalize-space()=%s]`, scope, xpathString(text))
	ctx, cancel := context.WithTimeout(tab, stepCeiling) // a missing link fails, not hangs
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("click %q in %s: %v", text, scope, err)
	}
	if int(resp.Status) != status {
		t.Fatalf("click %q in %s: status %d at %s, want %d", text, scope, resp.Status, resp.URL, status)
	}
}

func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `'` + s + `'`
}

// fill types into the inputs named by id, after emptying them.
func fill(t *testing.T, tab context.Context, values map[string]string) {
	t.Helper()
	for id, v := range values {
		js := fmt.Sprintf(`(() => { const e = document.getElementById(%q); if (!e) return false; e.value = ""; return true; })()`, id)
		if !run(t, tab, "empty "+id, chromedp.Evaluate[bool](js)) {
			t.Fatalf("no input %s", id)
		}
		if v != "" {
			run(t, tab, "type into "+id, chromedp.SendKeys(chromedp.ID(id), v))
		}
	}
}

// selectOption chooses the option of the select id whose text starts with label.
func selectOption(t *testing.T, tab context.Context, id, label string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const s = document.getElementById(%q);
		const o = [...s.options].find(o => o.text.startsWith(%q));
		if (!o) return false;
		s.value = o.value;
		return true;
	})()`, id, label)
	if !run(t, tab, "choose "+label, chromedp.Evaluate[bool](js)) {
		t.Fatalf("select %s has no option %q", id, label)
	}
}

func value(t *testing.T, tab context.Context, id string) string {
	t.Helper()
	return run(t, tab, "read "+id, chromedp.Value(chromedp.ID(id)))
}

func wantHeading(t *testing.T, tab context.Context, want string) {
	t.Helper()
	if got := readPage(t, tab).Heading; got != want {
		t.Fatalf("heading %q, want %q", got, want)
	}
}

func wantPane(t *testing.T, tab context.Context, want string) {
	t.Helper()
	if got := texts(t, tab, "aside.pane h2"); !slices.Equal(got, []string{want}) {
		t.Fatalf("pane %q, want %q", got, want)
	}
}

// wantTexts checks that the elements of the CSS selector include the texts.
func wantTexts(t *testing.T, tab context.Context, css string, want ...string) {
	t.Helper()
	got := texts(t, tab, css)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %q, want %q among them", css, got, w)
		}
	}
}

// texts returns the text of each element of the CSS selector, as shown.
func texts(t *testing.T, tab context.Context, css string) []string {
	t.Helper()
	sel, _ := json.Marshal(css)
	return run(t, tab, "read "+css, chromedp.Evaluate[[]string](
		fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.innerText.trim())`, sel)))
}
