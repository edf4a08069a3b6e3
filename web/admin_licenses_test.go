package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAdminLicenses(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	// erik's Analytics Pro (5, Anna and Karl) and Projektplanering (2);
	// anna's Mötesrum (1), which she then holds; erik's plan taken over.
	analytics, plan, meetings := nordvikPurchases(t, s, erik)
	anna := withCookies(s.signIn("anna.lindberg@nordvik.example"))
	s.do("POST", "/billing/licenses/"+subID(meetings)+"/assign", users(userNamed(t, s, anna, "anna lindberg")), anna).
		wantStatus(t, http.StatusSeeOther)
	s.do("POST", plan+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	trial := buy(t, s, erik, buyPath(t, s, erik, "Diagramstudio"), url.Values{"term": {"monthly"}, "quantity": {"2"},
		"trial": {"1"}, "billing_profile_id": {profileID(t, s, erik)}})

	r := s.get("/admin/licenses", astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, "<h1>Alla licenser</h1>", `aria-current="page">Alla licenser</a>`,
		`href="/api/v1/admin/licenses?format=csv" download>Exportera användare</a>`,
		`<td class="num" data-label="Licenser">5</td>`, `<td class="num available" data-label="Lediga">3</td>`,
		"<summary>1 prenumeration</summary>", `<a href="`+analytics+`">Erik Johansson</a>: 2 av 5 tilldelade`,
		`<a href="`+plan+`">Erik Johansson</a>: 0 av 2 tilldelade <span class="state state-admin">Hanteras av administratör</span>`,
		`<a href="`+meetings+`">Anna Lindberg</a>: 1 av 1 tilldelade`,
		`<p class="holders-of">Köpta av Erik Johansson</p>`, `<li>Karl Björk <span class="muted">`,
		`<p class="holders-of">Köpta av Anna Lindberg</p>`,
		`<a href="`+trial+`">Erik Johansson</a>: 0 av 2 tilldelade <span class="state state-trialing">Kostnadsfri provperiod</span>`)
	var products []string
	for _, m := range regexp.MustCompile(`<th scope="row">([^<]+) <code class="sku">`).FindAllStringSubmatch(r.body, -1) {
		products = append(products, m[1])
	}
	if want := []string{"Analytics Pro", "Diagramstudio", "Mötesrum", "Projektplanering"}; !slices.Equal(products, want) {
		t.Errorf("products %q, want %q by name", products, want)
	}

	csv := s.get("/api/v1/admin/licenses?format=csv", astrid)
	if lines := strings.Split(strings.TrimSpace(csv.body), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "Analytics Pro,Anna Lindberg,") {
		t.Errorf("Export users:\n%s", csv.body)
	}

	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	s.get("/admin/licenses", en).wantBody(t, "<h1>All licenses</h1>", ">Export users</a>", "<summary>1 subscription</summary>",
		"2 of 5 assigned", "Bought by Erik Johansson", ">Meeting Rooms <code")
	de := withCookies(&http.Cookie{Name: "lang", Value: "de"}, s.signIn("astrid@nordvik.example"))
	s.get("/admin/licenses", de).wantBody(t, "<h1>Alle Lizenzen</h1>", ">Benutzer exportieren</a>", "2 von 5 zugewiesen")
	hannah := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("hannah@harbor.example"))
	s.get("/admin/licenses", hannah).wantBody(t, "Nobody in your organization has a subscription yet.")
	s.get("/admin/licenses", erik).wantStatus(t, http.StatusNotFound)
}
