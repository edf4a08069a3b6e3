package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa/demo"
)

// The admin's side of self-service purchases, walked by clicking: astrid in
// Swedish and hannah in English open Self-service purchases and its trials
// tab, sort, search, expand who holds the licenses, take a subscription over
// after its confirmation, give a product the policy "trials only", and find
// all of it in the audit log. The purchases were made through the API beforehand.

// adminWords are the texts the walk clicks and reads.
type adminWords struct {
	lang, acceptLanguage                string
	selfService, policy, auditLog       string
	quantityCol, search, purchaser      string
	product, holders, takeOverRow       string
	takeOver, takeOverPane, takenOver   string
	managed, buyLicenses, save, saved   string
	trialsOnly, policyProduct, apply    string
	subscriptions, bought, tookOver     string
	changedPolicy, readOnly             string
	purchasesTab, trialsTab, trials     string
	trialProduct, allLicenses, boughtBy string
	mover, moveUsers, review, moves     string
	moved, cancel, cancelPane, canceled string
	plan, spendLimits, perPerson        string
	spendSaved                          string
	// The organization's billing profile: Admin › its page, the profile
	// typed, the card page, and the switch on the subscription's page.
	orgProfiles, addProfile, add       string
	orgName, orgLine1, orgCity, orgZip string
	orgCountry                         string
	toCardPage, saveCard, change       string
	paying, orgPays, personPays        string
	switchFirst, chargedToOrg          string
}

var swedishAdmin = adminWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9",
	selfService: "Självbetjäningsköp", policy: "Köppolicy", auditLog: "Granskningslogg",
	quantityCol: "Köpta licenser", search: "Sök", purchaser: "Erik Johansson", product: "Analytics Pro",
	holders: "2 användare", takeOverRow: "Ta över – Analytics Pro, köpt av Erik Johansson",
	takeOver: "Ta över", takeOverPane: "Ta över prenumerationen?",
	takenOver: "Du har tagit över prenumerationen: administratörerna hanterar den nu, och köparen har fått ett meddelande.",
	managed:   "Hanteras av administratör", buyLicenses: "Köp licenser", save: "Spara",
	saved:      "Köppolicyn har sparats. Den gäller köp som görs från och med nu.",
	trialsOnly: "Endast kostnadsfri provperiod", policyProduct: "PROJECT_PLAN", apply: "Använd",
	subscriptions: "Prenumerationer", bought: "Köpte en prenumeration", tookOver: "Tog över en prenumeration",
	changedPolicy: "Ändrade köppolicyn",
	readOnly:      "Din administratör hanterar nu den här prenumerationen, så du kan inte ändra den.",
	purchasesTab:  "Köp", trialsTab: "Provperioder", trials: "Kostnadsfria provperioder", trialProduct: "Diagramstudio",
	allLicenses: "Alla licenser", boughtBy: "Köpta av Erik Johansson",
	mover: "Malin Engström", moveUsers: "Flytta användare", review: "Granska",
	moves:  "1 person flyttas till den prenumerationen; ingen förlorar åtkomst.",
	moved:  "Användarna flyttades till den här prenumerationen, och självbetjäningsprenumerationen avbröts.",
	cancel: "Avbryt prenumeration", cancelPane: "Avsluta prenumeration", plan: "Projektplanering",
	spendLimits: "Utgiftsgränser", perPerson: "Tak per person", spendSaved: "Utgiftsgränserna har sparats. De gäller köp från och med nu.",
	canceled:    "Prenumerationen avbröts, och dess licensinnehavare har inte längre licenser. Köparen har informerats.",
	orgProfiles: "Organisationens faktureringsprofiler", addProfile: "Lägg till en faktureringsprofil", add: "Lägg till",
	orgName: "Nordvik AB – IT", orgLine1: "Sveavägen 44", orgCity: "Stockholm", orgZip: "111 34", orgCountry: "SE",
	toCardPage: "Fortsätt till kortsidan", saveCard: "Spara kortet", change: "Ändra", paying: "Faktureringsprofil",
	orgPays:      "Organisationens faktureringsprofil betalar nu för den här prenumerationen.",
	personPays:   "Den här prenumerationen betalas fortfarande via en persons faktureringsprofil, och administratörer debiterar aldrig en persons kort: byt först till en av organisationens faktureringsprofiler.",
	switchFirst:  "Välj organisationens faktureringsprofil",
	chargedToOrg: "Debiteras nu kortet i organisationens faktureringsprofil Nordvik AB – IT:",
}

var englishAdmin = adminWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9",
	selfService: "Self-service purchases", policy: "Purchase policy", auditLog: "Audit log",
	quantityCol: "Licenses purchased", search: "Search", purchaser: "Mike Alvarez", product: "Analytics Pro",
	holders: "2 users", takeOverRow: "Take over – Analytics Pro, bought by Mike Alvarez",
	takeOver: "Take over", takeOverPane: "Take over this subscription?",
	takenOver: "You took the subscription over: your admins manage it now, and its purchaser has been told.",
	managed:   "Admin-managed", buyLicenses: "Buy licenses", save: "Save",
	saved:      "The purchase policy was saved. It applies to purchases made from now on.",
	trialsOnly: "Free trial only", policyProduct: "MEETING_ROOMS", apply: "Apply",
	subscriptions: "Subscriptions", bought: "Bought a subscription", tookOver: "Took a subscription over",
	changedPolicy: "Changed the purchase policy",
	readOnly:      "Your admin manages this subscription now, so you can't change it.",
	purchasesTab:  "Purchases", trialsTab: "Trials", trials: "Self-service trials", trialProduct: "Diagram Studio",
	allLicenses: "All licenses", boughtBy: "Bought by Mike Alvarez",
	mover: "Ava Sullivan", moveUsers: "Move users", review: "Review",
	moves:  "1 person moves to that subscription; nobody loses access.",
	moved:  "The users were moved to this subscription, and the self-service subscription was cancelled.",
	cancel: "Cancel subscription", cancelPane: "Cancel subscription", plan: "Project Plan",
	spendLimits: "Spend limits", perPerson: "Limit per person", spendSaved: "The spend limits were saved. They apply to purchases from now on.",
	canceled:    "The subscription was cancelled, and its holders no longer have licenses. The purchaser was told.",
	orgProfiles: "Organization billing profiles", addProfile: "Add a billing profile", add: "Add",
	orgName: "Harbor Labs – IT", orgLine1: "1 Harbor Way", orgCity: "Seattle", orgZip: "98101", orgCountry: "US",
	toCardPage: "Continue to the card page", saveCard: "Save card", change: "Change", paying: "Billing profile",
	orgPays:      "The organization's billing profile now pays for this subscription.",
	personPays:   "This subscription is still paid by a person's billing profile, and admins never charge a person's card: switch it to one of the organization's billing profiles first.",
	switchFirst:  "Choose the organization's billing profile",
	chargedToOrg: "Charged now to the card of the organization's billing profile Harbor Labs – IT:",
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)
	givePaymentDetails(t, base, "mike@harbor.example")
	for _, c := range []struct {
		name, admin, buyer string
		holders            []string
		w                  adminWords
	}{
		{"SwedishAstrid", "astrid@nordvik.example", "erik@nordvik.example", []string{"Anna Lindberg", "Karl Björk"}, swedishAdmin},
		{"EnglishHannah", "hannah@harbor.example", "mike@harbor.example", []string{"Olivia Parker", "Noah Bennett"}, englishAdmin},
	} {
		// The buyer's Analytics Pro, with two licenses assigned, and a
		// Project Plan, bought after it.
		buyer := apiLogin(t, base, c.buyer)
		sub := apiBuy(t, base, buyer, "ANALYTICS_PRO", 5)
		var ids []string
		for _, name := range c.holders {
			var found struct{ Data []struct{ ID string } }
			api(t, base, "GET", "/api/v1/users?search="+url.QueryEscape(name), buyer, nil, &found)
			ids = append(ids, found.Data[0].ID)
		}
		api(t, base, "POST", "/api/v1/subscriptions/"+sub+"/licenses", buyer, map[string]any{"user_ids": ids}, &struct{}{})
		apiBuy(t, base, buyer, "PROJECT_PLAN", 3)
		apiOrder(t, base, buyer, "DIAGRAM_STUDIO", 2, true)
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			walkAdmin(t, browser, base, c.admin, c.buyer, c.w)
		})
	}
}

func walkAdmin(t *testing.T, browser context.Context, base, admin, buyer string, w adminWords) {
	tab := newTab(t, browser, w.acceptLanguage)
	signIn(t, tab, base, admin)
	shot := func(name string) { screenshot(t, tab, "admin-"+name+"-"+w.lang) }

	// Admin › All licenses: each product once; who holds its licenses,
	// by purchaser, opens without script.
	follow(t, tab, "//nav", w.allLicenses)
	if got := readPage(t, tab); got.Heading != w.allLicenses || got.Current != w.allLicenses {
		t.Errorf("all licenses: %+v", got)
	}
	if got := texts(t, tab, "table.product-licenses tbody th"); len(got) != 3 {
		t.Errorf("all licenses lists %q, want the three products bought", got)
	}
	run(t, tab, "open the holders", chromedp.Click(`//table[contains(@class, "product-licenses")]//details[@class="holders-list"]/summary`,
		chromedp.NodeVisible))
	wantTexts(t, tab, "table.product-licenses details[open] p.holders-of", w.boughtBy)
	shot("all-licenses")

	// Admin › Self-service purchases: every purchase, newest first.
	follow(t, tab, "//nav", w.selfService)
	if got := readPage(t, tab); got.Heading != w.selfService || got.Current != w.selfService ||
		!slices.Contains(got.Nav, w.policy) || !slices.Contains(got.Nav, w.auditLog) {
		t.Errorf("self-service page: %+v", got)
	}
	shot("self-service")

	// The trials tab: the free trial alone; then back to every purchase.
	follow(t, tab, "//nav[@class='tabs']", w.trialsTab)
	if got := readPage(t, tab); got.Heading != w.trials {
		t.Errorf("trials tab: %+v", got)
	}
	wantTexts(t, tab, `nav.tabs a[aria-current="page"]`, w.trialsTab)
	if got := texts(t, tab, "table.purchases tbody th a"); !slices.Equal(got, []string{w.trialProduct}) {
		t.Errorf("trials tab lists %q, want %s alone", got, w.trialProduct)
	}
	shot("self-service-trials")
	follow(t, tab, "//nav[@class='tabs']", w.purchasesTab)

	// Sort by the licenses purchased, both ways.
	follow(t, tab, "//table/thead", w.quantityCol)
	if got := texts(t, tab, "table.purchases tbody td.num:nth-of-type(2)"); !slices.Equal(got, []string{"2", "3", "5"}) {
		t.Errorf("ascending by licenses: %q, want 2, 3 then 5", got)
	}
	follow(t, tab, "//table/thead", w.quantityCol+"↑")
	if got := texts(t, tab, "table.purchases tbody td.num:nth-of-type(2)"); !slices.Equal(got, []string{"5", "3", "2"}) {
		t.Errorf("descending by licenses: %q, want 5, 3 then 2", got)
	}
	wantTexts(t, tab, `th[aria-sort="descending"]`, w.quantityCol+"↓")

	// Search for the purchaser: the order stays.
	fill(t, tab, map[string]string{"purchase-search": w.purchaser[:4]})
	follow(t, tab, "//form[@role='search']", w.search)
	if got := texts(t, tab, "table.purchases tbody th a"); len(got) != 3 || got[0] != w.product {
		t.Errorf("search %s: %q", w.purchaser[:4], got)
	}
	wantTexts(t, tab, `th[aria-sort="descending"]`, w.quantityCol+"↓")

	// Who holds the licenses: the row's details open without script.
	run(t, tab, "open "+w.holders, chromedp.Click(`//details[@class="holders-list"]/summary`, chromedp.NodeVisible))
	wantTexts(t, tab, "details.holders-list[open] summary", w.holders)
	if got := texts(t, tab, "details.holders-list[open] li"); len(got) != 2 {
		t.Errorf("holders shown: %q, want 2", got)
	}
	shot("self-service-sorted")

	// Take over: the row's action opens the confirmation pane; the page
	// comes back admin-managed, with the changes the admin may now make.
	follow(t, tab, "//main//table", w.takeOverRow)
	wantPane(t, tab, w.takeOverPane)
	shot("take-over")
	follow(t, tab, "//aside", w.takeOver)
	wantTexts(t, tab, ".notice", w.takenOver)
	wantTexts(t, tab, "dl.details dd", w.managed)
	subPath := run(t, tab, "read location", chromedp.Evaluate[string](`location.pathname`))
	follow(t, tab, "//main", w.buyLicenses)
	wantPane(t, tab, w.buyLicenses)
	shot("taken-over")

	// The purchaser's card still pays, and admins never charge it: the
	// review says to choose the organization's billing profile first.
	fill(t, tab, map[string]string{"total-licenses": "6"})
	submit(t, tab, http.StatusConflict, "//aside", w.review)
	wantTexts(t, tab, "aside .field-error", w.personPays)
	shot("person-pays")
	follow(t, tab, "//aside", w.switchFirst)
	wantPane(t, tab, w.paying)

	// Admin › Organization billing profiles: the organization's own, its
	// card entered on the processor's card page.
	follow(t, tab, "//nav", w.orgProfiles)
	wantHeading(t, tab, w.orgProfiles)
	follow(t, tab, "//main", w.addProfile)
	fill(t, tab, map[string]string{"profile-name": w.orgName, "address-line1": w.orgLine1, "address-city": w.orgCity,
		"address-postal-code": w.orgZip})
	follow(t, tab, "//aside", w.add)
	follow(t, tab, `//section[@id="payment-method"]`, w.add)
	follow(t, tab, "//aside", w.toCardPage)
	onCardPage(t, tab, w.lang)
	fill(t, tab, map[string]string{"number": "4242 4242 4242 4242", "exp_month": "09",
		"exp_year": strconv.Itoa(time.Now().Year() + 3), "cvc": "123", "name": w.orgName,
		"line1": w.orgLine1, "postal_code": w.orgZip, "city": w.orgCity, "country": w.orgCountry})
	follow(t, tab, "//main", w.saveCard)
	wantTexts(t, tab, "#payment-method dd", "Visa •••• 4242")
	shot("organization-profile")

	// Back on the subscription: Change, pick the profile, Save; then the
	// licenses are added, charged to the organization's card.
	load(t, tab, "open the taken-over subscription", chromedp.Navigate(base+subPath))
	follow(t, tab, "//main//dl", w.change)
	wantPane(t, tab, w.paying)
	selectOption(t, tab, "paying-profile", w.orgName)
	shot("paying-profile")
	follow(t, tab, "//aside", w.save)
	wantTexts(t, tab, ".notice", w.orgPays)
	follow(t, tab, "//main", w.buyLicenses)
	fill(t, tab, map[string]string{"total-licenses": "6"})
	follow(t, tab, "//aside", w.review)
	if got := texts(t, tab, "aside p.amount strong"); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, w.chargedToOrg) }) {
		t.Errorf("the preview says %q, want %q", got, w.chargedToOrg)
	}
	shot("charged-to-organization")
	follow(t, tab, "//aside", w.save)
	wantTexts(t, tab, "dl.details dd", "6")

	// The purchaser reads it only.
	other := newTab(t, browser, w.acceptLanguage)
	signIn(t, other, base, buyer)
	load(t, other, "open the subscription", chromedp.Navigate(base+subPath))
	wantTexts(t, other, ".note.read-only", w.readOnly)
	if got := texts(t, other, "main .actions a.button"); len(got) != 0 {
		t.Errorf("the purchaser is offered %q", got)
	}

	// Purchase policy: one product trials only, then Save.
	follow(t, tab, "//nav", w.policy)
	choosePolicy(t, tab, w.policyProduct, w.trialsOnly)
	follow(t, tab, "//main//form", w.save)
	wantTexts(t, tab, ".notice", w.saved)
	shot("purchase-policy")

	// Audit log: the purchase, the take-over, the organization's profile
	// and the policy, newest first;
	// then only the subscriptions' events, with a change opened.
	follow(t, tab, "//nav", w.auditLog)
	if got := texts(t, tab, ".audit-what"); len(got) < 3 || got[0] != w.changedPolicy || !slices.Contains(got, w.tookOver) ||
		!slices.Contains(got, w.bought) {
		t.Errorf("audit log: %q", got)
	}
	selectOption(t, tab, "audit-action", w.subscriptions)
	follow(t, tab, "//main//form", w.apply)
	wantTexts(t, tab, ".audit-what", w.tookOver, w.bought)
	run(t, tab, "open the take-over's change", chromedp.Click(`//details[@class="diff"]/summary`, chromedp.NodeVisible))
	shot("audit-log")

	// Move users: the buyer buys Analytics Pro again and gives one license
	// away; its holder moves to the subscription the admins now manage,
	// after a review of what it takes, and the purchase ends.
	token := apiLogin(t, base, buyer)
	second := apiBuy(t, base, token, "ANALYTICS_PRO", 1)
	var found struct{ Data []struct{ ID string } }
	api(t, base, "GET", "/api/v1/users?search="+url.QueryEscape(w.mover), token, nil, &found)
	api(t, base, "POST", "/api/v1/subscriptions/"+second+"/licenses", token, map[string]any{"user_ids": []string{found.Data[0].ID}}, &struct{}{})
	load(t, tab, "open the second purchase", chromedp.Navigate(base+"/billing/products/subscriptions/"+second))
	follow(t, tab, "//main", w.moveUsers)
	wantPane(t, tab, w.moveUsers)
	js := fmt.Sprintf(`(() => { const s = document.getElementById("move-target"); s.value = %q; return s.value === %q; })()`,
		path.Base(subPath), path.Base(subPath))
	if !run(t, tab, "pick the taken-over subscription", chromedp.Evaluate[bool](js)) {
		t.Fatalf("the taken-over subscription %s is not offered", subPath)
	}
	follow(t, tab, "//aside", w.review)
	wantTexts(t, tab, "aside .preview li", w.moves)
	shot("move-users")
	follow(t, tab, "//aside//form[@method='post']", w.moveUsers)
	wantTexts(t, tab, ".notice", w.moved)
	if at := run(t, tab, "read location", chromedp.Evaluate[string](`location.pathname`)); at != subPath {
		t.Errorf("after the move the admin is at %s, want %s", at, subPath)
	}

	// Cancel: the buyer's Project Plan, with a reason and a message; its
	// holders lose their licenses.
	var subs struct {
		Data []struct {
			ID      string
			Product struct{ Name string }
			Channel string
		}
	}
	api(t, base, "GET", "/api/v1/subscriptions?limit=100", token, nil, &subs)
	i := slices.IndexFunc(subs.Data, func(s struct {
		ID      string
		Product struct{ Name string }
		Channel string
	}) bool {
		return s.Channel == "self_service" && s.Product.Name == w.plan
	})
	if i < 0 {
		t.Fatalf("no self-service %s to cancel", w.plan)
	}
	load(t, tab, "open the Project Plan", chromedp.Navigate(base+"/billing/products/subscriptions/"+subs.Data[i].ID))
	follow(t, tab, "//main", w.cancel)
	wantPane(t, tab, w.cancelPane)
	run(t, tab, "pick a reason", chromedp.Click(`//input[@name="reason"][@value="switched_service"]`, chromedp.NodeVisible))
	fill(t, tab, map[string]string{"admin-cancel-message": "Vi har ett avtal för hela bolaget."})
	shot("admin-cancel")
	follow(t, tab, "//aside", w.cancel)
	wantTexts(t, tab, ".notice", w.canceled)
	shot("admin-canceled")

	// Spend limits: a ceiling per person, which the buyer's next purchase
	// would pass.
	follow(t, tab, "//nav", w.spendLimits)
	wantHeading(t, tab, w.spendLimits)
	fill(t, tab, map[string]string{"spend-default": "1 00"})
	follow(t, tab, "//main//form", w.save)
	wantTexts(t, tab, ".notice", w.spendSaved)
	if got := value(t, tab, "spend-default"); got != "100" {
		t.Errorf("the limit per person reads %q, want 100", got)
	}
	shot("spend-limits")
	var refused struct{ Error struct{ Field string } }
	apiStatus(t, base, "POST", "/api/v1/subscriptions", token, orderBody(t, base, token, "ANALYTICS_PRO", 5), http.StatusUnprocessableEntity, &refused)
	if refused.Error.Field != "quantity" {
		t.Errorf("a purchase past the limit was refused naming %q, want quantity", refused.Error.Field)
	}
}

// orderBody is the body of a monthly purchase of the product with the SKU,
// paid with the token's user's only billing profile.
func orderBody(t *testing.T, base, token, sku string, quantity int) map[string]any {
	t.Helper()
	var products struct{ Data []struct{ ID, SKU string } }
	api(t, base, "GET", "/api/v1/products", token, nil, &products)
	var profiles struct{ Data []struct{ ID string } }
	api(t, base, "GET", "/api/v1/billing-profiles", token, nil, &profiles)
	i := slices.IndexFunc(products.Data, func(p struct{ ID, SKU string }) bool { return p.SKU == sku })
	if i < 0 || len(profiles.Data) != 1 {
		t.Fatalf("no product %s or not one billing profile", sku)
	}
	return map[string]any{"product_id": products.Data[i].ID, "term": "monthly", "quantity": quantity,
		"billing_profile_id": profiles.Data[0].ID}
}

// choosePolicy chooses the policy of the product with the SKU.
func choosePolicy(t *testing.T, tab context.Context, sku, label string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const row = [...document.querySelectorAll("table.policy-table tbody tr")].find(r => r.querySelector("code.sku").textContent === %q);
		const s = row && row.querySelector("select");
		const o = s && [...s.options].find(o => o.text === %q);
		if (!o) return false;
		s.value = o.value;
		return true;
	})()`, sku, label)
	if !run(t, tab, "choose "+label+" for "+sku, chromedp.Evaluate[bool](js)) {
		t.Fatalf("no policy %q for %s", label, sku)
	}
}

// api calls the JSON API with the token and decodes the answer into out.
func api(t *testing.T, base, method, path, token string, body, out any) {
	t.Helper()
	apiStatus(t, base, method, path, token, body, 0, out)
}

// apiStatus is api wanting the answer's status (any 2xx when 0).
func apiStatus(t *testing.T, base, method, path, token string, body any, status int, out any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if (status == 0 && resp.StatusCode/100 != 2) || (status != 0 && resp.StatusCode != status) {
		t.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

func apiLogin(t *testing.T, base, email string) string {
	t.Helper()
	var login struct{ Token string }
	api(t, base, "POST", "/api/v1/login", "", map[string]string{"email": email, "password": demo.Password}, &login)
	return login.Token
}

// apiBuy buys monthly licenses of the product for the token's user, paid
// with their only billing profile, and returns the subscription's id.
func apiBuy(t *testing.T, base, token, sku string, quantity int) string {
	t.Helper()
	return apiOrder(t, base, token, sku, quantity, false)
}

// apiOrder buys, or starts a free trial of when trial, quantity licenses
// of the product with the SKU through the API and returns the
// subscription's id.
func apiOrder(t *testing.T, base, token, sku string, quantity int, trial bool) string {
	t.Helper()
	body := orderBody(t, base, token, sku, quantity)
	body["trial"] = trial
	var sub struct{ ID string }
	api(t, base, "POST", "/api/v1/subscriptions", token, body, &sub)
	return sub.ID
}
