package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/sqldb"
)

const selfServicePath = "/admin/self-service"

// rowProducts returns the products of the self-service table's rows, in
// their order.
func (r response) rowProducts() []string {
	var names []string
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="[^"]+">([^<]+)</a>`).FindAllStringSubmatch(r.body, -1) {
		names = append(names, html.UnescapeString(m[1]))
	}
	return names
}

// subID is the id at the end of a subscription's page.
func subID(page string) string { return page[strings.LastIndex(page, "/")+1:] }

// expiry reads the expiry date a subscription's page shows.
func expiry(t *testing.T, s *site, who http.Header, page string) string {
	t.Helper()
	m := regexp.MustCompile(`<dt>Utgångsdatum</dt>\s*<dd>([^<]+)</dd>`).FindStringSubmatch(s.get(page, who).body)
	if m == nil {
		t.Fatalf("%s shows no expiry date", page)
	}
	return m[1]
}

// nordvikPurchases has erik buy Analytics Pro (5 a month, 2 of them assigned)
// and Projektplanering (2 a year), and anna Mötesrum (1 a month), and
// returns their pages.
func nordvikPurchases(t *testing.T, s *site, erik http.Header) (analytics, plan, meetings string) {
	t.Helper()
	analytics = erikBuys(t, s, erik)
	plan = buy(t, s, erik, buyPath(t, s, erik, "Projektplanering"),
		url.Values{"term": {"annual"}, "quantity": {"2"}, "billing_profile_id": {profileID(t, s, erik)}})
	anna := withCookies(s.signIn("anna.lindberg@nordvik.example"))
	meetings = buy(t, s, anna, buyPath(t, s, anna, "Mötesrum"), url.Values{"term": {"monthly"}, "quantity": {"1"},
		"billing_profile_id": {payingProfile(t, s, anna, "4242424242424242", "SE")}})
	holders := users(userNamed(t, s, erik, "anna lindberg"), userNamed(t, s, erik, "karl"))
	s.do("POST", "/billing/licenses/"+subID(analytics)+"/assign", holders, erik).wantStatus(t, http.StatusSeeOther)
	return analytics, plan, meetings
}

func TestSelfServicePurchases(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	analytics, plan, meetings := nordvikPurchases(t, s, erik)

	t.Run("TableHasTheSeedsColumns", func(t *testing.T) {
		r := s.get(selfServicePath, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Självbetjäningsköp</h1>", "De är skrivskyddade för dig",
			`aria-current="page">Självbetjäningsköp</a>`, "Visar 1–3 av 3 köp.",
			">Produkt<", ">Köparens namn<", ">Köpta licenser<", ">Utgångsdatum<", ">Inköpspris<", ">Tilldelade användare<",
			`<a href="`+analytics+`">Analytics Pro</a>`, `<a href="`+plan+`">Projektplanering</a>`, `<a href="`+meetings+`">Mötesrum</a>`,
			`<td class="purchaser" data-label="Köparens namn">Erik Johansson</td>`, `<td class="purchaser" data-label="Köparens namn">Anna Lindberg</td>`,
			`<td class="num" data-label="Köpta licenser">5</td>`, `<td class="num" data-label="Köpta licenser">2</td>`,
			`<td class="date" data-label="Utgångsdatum">`+expiry(t, s, erik, analytics)+`</td>`,
			`<td class="date" data-label="Utgångsdatum">`+expiry(t, s, erik, plan)+`</td>`,
			"1\u00a0195,00\u00a0kr/mån", "2\u00a0380,00\u00a0kr/år", "299,00\u00a0kr/mån",
			`href="`+analytics+`/take-over">Ta över<span class="visually-hidden"> – Analytics Pro, köpt av Erik Johansson</span>`,
			`href="/api/v1/admin/self-service-subscriptions?format=csv" download>Exportera (CSV)</a>`)
		// Newest first until sorted, and nothing claims to be sorted.
		if got, want := r.rowProducts(), []string{"Mötesrum", "Projektplanering", "Analytics Pro"}; !slices.Equal(got, want) {
			t.Errorf("rows %q, want %q", got, want)
		}
		r.wantNotBody(t, "aria-sort")
	})
	t.Run("AssignedUsersExpand", func(t *testing.T) {
		r := s.get(selfServicePath, astrid)
		r.wantBody(t, "<summary>2 användare</summary>", "<li>Anna Lindberg</li>", "<li>Karl Björk</li>",
			`<span class="muted">Inga</span>`)
	})
	t.Run("SortByEachColumnBothWays", func(t *testing.T) {
		for _, c := range []struct {
			sort, label string
			asc         []string // the order ascending; descending reverses it
		}{
			{"product", "Produkt", []string{"Analytics Pro", "Mötesrum", "Projektplanering"}},
			{"quantity", "Köpta licenser", []string{"Mötesrum", "Projektplanering", "Analytics Pro"}},
			{"purchase_price", "Inköpspris", []string{"Mötesrum", "Analytics Pro", "Projektplanering"}},
		} {
			asc := s.get(selfServicePath+"?sort="+c.sort+"&order=asc", astrid)
			if got := asc.rowProducts(); !slices.Equal(got, c.asc) {
				t.Errorf("sort=%s ascending: %q, want %q", c.sort, got, c.asc)
			}
			asc.wantBody(t, `<th scope="col" aria-sort="ascending"`, `href="/admin/self-service?order=desc&amp;sort=`+c.sort+`">`+
				c.label+`<span class="sort-arrow" aria-hidden="true">↑</span></a>`)
			desc := s.get(selfServicePath+"?sort="+c.sort+"&order=desc", astrid)
			want := slices.Clone(c.asc)
			slices.Reverse(want)
			if got := desc.rowProducts(); !slices.Equal(got, want) {
				t.Errorf("sort=%s descending: %q, want %q", c.sort, got, want)
			}
			desc.wantBody(t, `<th scope="col" aria-sort="descending"`, `href="/admin/self-service?order=asc&amp;sort=`+c.sort+`">`+
				c.label+`<span class="sort-arrow" aria-hidden="true">↓</span></a>`)
		}
		// Ties (erik bought two) keep an order of their own: check the one
		// that differs.
		if got := s.get(selfServicePath+"?sort=purchaser&order=asc", astrid).rowProducts(); got[0] != "Mötesrum" {
			t.Errorf("by purchaser ascending: %q, want Anna's Mötesrum first", got)
		}
		if got := s.get(selfServicePath+"?sort=purchaser&order=desc", astrid).rowProducts(); got[2] != "Mötesrum" {
			t.Errorf("by purchaser descending: %q, want Anna's Mötesrum last", got)
		}
		if got := s.get(selfServicePath+"?sort=expires_at&order=asc", astrid).rowProducts(); got[2] != "Projektplanering" {
			t.Errorf("by expiry ascending: %q, want the annual Projektplanering last", got)
		}
		if got := s.get(selfServicePath+"?sort=expires_at&order=desc", astrid).rowProducts(); got[0] != "Projektplanering" {
			t.Errorf("by expiry descending: %q, want the annual Projektplanering first", got)
		}
		// A sort the table does not offer is the newest first.
		if got := s.get(selfServicePath+"?sort=price;drop&order=up", astrid).rowProducts(); got[0] != "Mötesrum" {
			t.Errorf("unknown sort: %q, want newest first", got)
		}
	})
	t.Run("SearchNarrowsAndKeepsTheOrder", func(t *testing.T) {
		r := s.get(selfServicePath+"?search=anna", astrid)
		if got := r.rowProducts(); !slices.Equal(got, []string{"Mötesrum"}) {
			t.Errorf("search anna: %q, want Mötesrum", got)
		}
		r.wantBody(t, `name="search" type="search" value="anna"`, "Visar 1–1 av 1 köp som matchar ”anna”.",
			`<a href="/admin/self-service">Rensa sökningen</a>`,
			`href="/api/v1/admin/self-service-subscriptions?format=csv&amp;search=anna"`)
		r = s.get(selfServicePath+"?search=erik&sort=quantity&order=desc", astrid)
		if got := r.rowProducts(); !slices.Equal(got, []string{"Analytics Pro", "Projektplanering"}) {
			t.Errorf("search erik by quantity descending: %q", got)
		}
		r.wantBody(t, `<input type="hidden" name="sort" value="quantity">`, `<input type="hidden" name="order" value="desc">`,
			`href="/admin/self-service?order=asc&amp;search=erik&amp;sort=quantity"`)
		r = s.get(selfServicePath+"?search=zzz", astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Inga köp matchar ”zzz”.", `name="search" type="search" value="zzz"`)
		r.wantNotBody(t, "<table", "Exportera (CSV)")
	})
	t.Run("CSVDownloadsTheRows", func(t *testing.T) {
		r := s.get("/api/v1/admin/self-service-subscriptions?format=csv&sort=product&order=asc", astrid)
		r.wantStatus(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
		lines := strings.Split(strings.TrimSpace(r.body), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[1], subID(analytics)+",Analytics Pro,Erik Johansson,") ||
			!strings.Contains(lines[1], "Anna Lindberg; Karl Björk") {
			t.Errorf("CSV:\n%s", r.body)
		}
		r = s.get("/api/v1/admin/self-service-subscriptions?format=csv&search=anna", astrid)
		if n := strings.Count(strings.TrimSpace(r.body), "\n"); n != 1 {
			t.Errorf("CSV of search anna has %d rows, want 1:\n%s", n, r.body)
		}
	})
	t.Run("EnglishLabels", func(t *testing.T) {
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
		r := s.get(selfServicePath, en)
		r.wantBody(t, "<h1>Self-service purchases</h1>", "They are read-only for you", "Showing 1–3 of 3 purchases.",
			">Product<", ">Purchaser name<", ">Licenses purchased<", ">Expiry date<", ">Purchase price<", ">Assigned users<",
			"SEK\u00a01,195.00/month", "SEK\u00a02,380.00/year", "<summary>2 users</summary>", ">Take over<", "Export (CSV)")
		s.get(selfServicePath+"?search=zzz", en).wantBody(t, "No purchases match “zzz”.")
		hannah := withCookies(s.signIn("hannah@harbor.example"))
		s.get(selfServicePath, hannah).wantBody(t, "Nobody in your organization has bought a subscription themselves yet.")
	})
	t.Run("UsersAndOtherTenantsGet404", func(t *testing.T) {
		hannah := withCookies(s.signIn("hannah@harbor.example"))
		for _, who := range []http.Header{erik, withCookies(s.signIn("mike@harbor.example"))} {
			for _, path := range []string{selfServicePath, "/admin/purchase-policy", "/admin/audit-log", analytics + "/take-over"} {
				s.get(path, who).wantStatus(t, http.StatusNotFound)
			}
			s.do("POST", "/admin/purchase-policy", url.Values{"default": {"enabled"}}, who).wantStatus(t, http.StatusNotFound)
			s.do("POST", analytics+"/take-over", url.Values{}, who).wantStatus(t, http.StatusNotFound)
		}
		s.get(analytics+"/take-over", hannah).wantStatus(t, http.StatusNotFound)
		s.do("POST", analytics+"/take-over", url.Values{}, hannah).wantStatus(t, http.StatusNotFound)
	})
}

func TestSelfServicePaging(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	token := apiLogin(t, s, "erik@nordvik.example")
	erik := withCookies(s.signIn("erik@nordvik.example"))
	product, profile := productIDFromBuyPath(buyPath(t, s, erik, "Analytics Pro")), profileID(t, s, erik)
	for n := 1; n <= 51; n++ {
		apiBuy(t, s, token, product, profile, n)
	}

	r := s.get(selfServicePath+"?search=erik&sort=quantity&order=desc", astrid)
	if got := len(r.rowProducts()); got != 50 {
		t.Fatalf("first page has %d rows, want 50", got)
	}
	r.wantBody(t, "Visar 1–50 av 51 köp som matchar ”erik”.", `<td class="num" data-label="Köpta licenser">51</td>`,
		`href="/admin/self-service?order=desc&amp;page=2&amp;search=erik&amp;sort=quantity" rel="next">Nästa</a>`)
	r.wantNotBody(t, `rel="prev"`, `<td class="num" data-label="Köpta licenser">1</td>`)
	r = s.get(selfServicePath+"?order=desc&page=2&search=erik&sort=quantity", astrid)
	r.wantBody(t, "Visar 51–51 av 51 köp", `<td class="num" data-label="Köpta licenser">1</td>`,
		`href="/admin/self-service?order=desc&amp;search=erik&amp;sort=quantity" rel="prev">Föregående</a>`)
	r.wantNotBody(t, `rel="next"`)
	// A page past the last shows the last.
	s.get(selfServicePath+"?page=9", astrid).wantBody(t, "Visar 51–51 av 51 köp.")
}

// TestSelfServiceCountsAhead: past sqldb.CountAhead purchases the first
// page says "more than", and the next pages count on from where they start.
func TestSelfServiceCountsAhead(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	_, bought := erikBuysOne(t, s)
	subs := make([]*kassa.Subscription, sqldb.CountAhead+1)
	for i := range subs {
		sub := *bought
		sub.Channel, sub.Status = kassa.SelfService, kassa.StatusActive
		subs[i] = &sub
	}
	if err := s.db.SeedSubscriptions(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
	r := s.get(selfServicePath, astrid)
	r.wantBody(t, fmt.Sprintf("Visar 1–50 av fler än %d köp.", sqldb.CountAhead), `rel="next">Nästa</a>`)
	all := r.rowProducts()
	if len(all) != 50 {
		t.Fatalf("first page has %d rows, want 50", len(all))
	}
	r = s.get(selfServicePath+"?page=2", astrid)
	if !regexp.MustCompile(`Visar 51–100 av 100\d\d köp\.`).MatchString(r.body) {
		t.Errorf("the second page counts all: %s", regexp.MustCompile(`Visar[^<]*`).FindString(r.body))
	}
}

// erikBuysOne signs erik in, has him buy one Analytics Pro license through
// the API, and returns his session and the subscription, for tests that
// seed more like it.
func erikBuysOne(t *testing.T, s *site) (http.Header, *kassa.Subscription) {
	t.Helper()
	erik := withCookies(s.signIn("erik@nordvik.example"))
	product, profile := productIDFromBuyPath(buyPath(t, s, erik, "Analytics Pro")), profileID(t, s, erik)
	apiBuy(t, s, apiLogin(t, s, "erik@nordvik.example"), product, profile, 1)
	mine, err := s.db.FindSubscriptions(s.actorOf(t, erik), kassa.SubscriptionFilter{})
	if err != nil || len(mine) == 0 {
		t.Fatalf("erik's subscriptions: %v", err)
	}
	return erik, mine[0]
}

// apiLogin signs in through the API and returns the token.
func apiLogin(t *testing.T, s *site, email string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": demo.Password})
	resp, err := http.Post(s.url+"/api/v1/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var login struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.Token == "" {
		t.Fatalf("API login %s: %v (status %d)", email, err, resp.StatusCode)
	}
	return login.Token
}

// apiBuy buys n monthly licenses through the API: quicker than the form.
func apiBuy(t *testing.T, s *site, token, product, profile string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{"product_id":%q,"term":"monthly","quantity":%d,"billing_profile_id":%q}`, product, n, profile)
	req, _ := http.NewRequest("POST", s.url+"/api/v1/subscriptions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("buy %d through the API: status %d", n, resp.StatusCode)
	}
}

// productIDFromBuyPath is the product's id in its buy page's path.
func productIDFromBuyPath(path string) string {
	return strings.TrimSuffix(strings.TrimPrefix(path, "/billing/products/"), "/buy")
}

func TestSelfServiceMarksDisabledPurchasers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	sub := erikBuys(t, s, erik)
	status := kassa.Disabled
	if _, err := s.db.UpdateUser(s.actorOf(t, astrid), s.userIDByEmail(t, "erik@nordvik.example"),
		kassa.UserUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	r := s.get(selfServicePath, astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, `<a href="`+sub+`">Analytics Pro</a>`, `<span class="state state-suspended">Köparen är inaktiverad: ta över den</span>`)
	// Disabled behind this process's back, erik is signed out within the
	// second it trusts a session it has read (a minute is the hang ceiling).
	for deadline := time.Now().Add(time.Minute); s.get(productsPath, erik).StatusCode == http.StatusOK; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a disabled user still sees pages after a minute")
		}
	}
}

func TestSelfServiceTrials(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	_, _, meetings := nordvikPurchases(t, s, erik)
	trial := buy(t, s, erik, buyPath(t, s, erik, "Diagramstudio"), url.Values{"term": {"monthly"}, "quantity": {"3"},
		"trial": {"1"}, "billing_profile_id": {profileID(t, s, erik)}})

	// Purchases: every row, the trial marked as one.
	r := s.get(selfServicePath, astrid)
	r.wantBody(t, `<nav class="tabs" aria-label="Självbetjäningsköp och provperioder">`,
		`<a href="/admin/self-service" aria-current="page">Köp</a>`, `<a href="/admin/self-service?trial=true">Provperioder</a>`,
		"Visar 1–4 av 4 köp.", `<a href="`+trial+`">Diagramstudio</a><span class="state state-trialing">Kostnadsfri provperiod</span>`)

	// Trials: the trial alone, and sorting, searching and exporting stay on
	// the tab.
	r = s.get(selfServicePath+"?trial=true", astrid)
	r.wantStatus(t, http.StatusOK)
	if got := r.rowProducts(); !slices.Equal(got, []string{"Diagramstudio"}) {
		t.Errorf("trials tab: %q, want Diagramstudio alone", got)
	}
	r.wantBody(t, "<h1>Kostnadsfria provperioder</h1>", `<a href="/admin/self-service?trial=true" aria-current="page">Provperioder</a>`,
		`<input type="hidden" name="trial" value="true">`, "Visar 1–1 av 1 köp.",
		`href="/admin/self-service?order=asc&amp;sort=quantity&amp;trial=true"`,
		`href="/api/v1/admin/self-service-subscriptions?format=csv&amp;trial=true"`)
	r.wantNotBody(t, meetings)
	r = s.get(selfServicePath+"?trial=true&search=analytics", astrid)
	r.wantBody(t, `Inga köp matchar ”analytics”.`, `<a href="/admin/self-service?trial=true">Rensa sökningen</a>`)
	r = s.get(selfServicePath+"?trial=true&search=diagram&sort=product&order=desc", astrid)
	if got := r.rowProducts(); !slices.Equal(got, []string{"Diagramstudio"}) {
		t.Errorf("trials searched and sorted: %q", got)
	}
	csv := s.get("/api/v1/admin/self-service-subscriptions?format=csv&trial=true", astrid)
	if lines := strings.Split(strings.TrimSpace(csv.body), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], subID(trial)+",Diagramstudio,") {
		t.Errorf("trials as CSV:\n%s", csv.body)
	}

	// English and German, and a tenant with no trials.
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("hannah@harbor.example"))
	s.get(selfServicePath+"?trial=true", en).wantBody(t, "<h1>Self-service trials</h1>",
		`aria-current="page">Trials</a>`, "Nobody in your organization is trying a product right now.")
	de := withCookies(&http.Cookie{Name: "lang", Value: "de"}, s.signIn("astrid@nordvik.example"))
	s.get(selfServicePath+"?trial=true", de).wantBody(t, "<h1>Self-Service-Testversionen</h1>",
		`aria-current="page">Testversionen</a>`, ">Diagrammstudio<")
	// Users see neither tab.
	s.get(selfServicePath+"?trial=true", erik).wantStatus(t, http.StatusNotFound)
}
