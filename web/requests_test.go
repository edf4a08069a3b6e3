package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

func TestLicenseRequests(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("erik@nordvik.example"))
	// The organization's Analytics Pro (erik's, taken over); then nobody
	// may buy it.
	org := erikBuys(t, s, erik)
	s.do("POST", org+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	selects, form := policyForm(t, s.get(policyPath, astrid))
	form.Set(selects["ANALYTICS_PRO"], "disabled")
	s.do("POST", policyPath, form, astrid).wantStatus(t, http.StatusSeeOther)

	products := s.get(productsPath, erik)
	m := regexp.MustCompile(`href="(/billing/products/prd_[0-9a-z]+/request)">Be om licenser<span class="visually-hidden"> – Analytics Pro`).
		FindStringSubmatch(products.body)
	if m == nil {
		t.Fatalf("no Request licenses for Analytics Pro:\n%s", products.body)
	}
	path := m[1]
	r := s.get(path, erik)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, "<h1>Be om licenser för Analytics Pro</h1>", `name="for_me" value="1" checked`, `id="request-others"`)
	s.get(path, en).wantBody(t, "<h1>Request licenses of Analytics Pro</h1>", "Send request")

	// A wrong line is named; what was typed stays.
	r = s.do("POST", path, url.Values{"for_me": {"1"}, "others": {"anna.lindberg@nordvik.example\nnobody@nordvik.example"},
		"message": {"Till kvartalsrapporten."}}, erik)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, "Rad 2: ingen i er organisation har adressen nobody@nordvik.example.", ">Till kvartalsrapporten.</textarea>",
		"anna.lindberg@nordvik.example\nnobody@nordvik.example</textarea>")
	r = s.do("POST", path, url.Values{"others": {""}}, erik)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, `id="request-for-error"`)

	r = s.do("POST", path, url.Values{"for_me": {"1"}, "others": {"anna.lindberg@nordvik.example\nkarl.bjork@nordvik.example"},
		"message": {"Till kvartalsrapporten."}}, erik)
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, "/billing/license-requests?done=request_sent")
	s.get("/billing/license-requests?done=request_sent", erik).wantBody(t, "Din förfrågan har skickats", "Väntar på administratör",
		"Anna Lindberg", "Karl Björk", "Erik Johansson")
	s.get("/billing/license-requests", withCookies(s.signIn("anna.lindberg@nordvik.example"))).wantBody(t, "Du har inte bett om några licenser")

	// The admin decides: two of the three, from the organization's
	// subscription; the pane says which.
	list := s.get("/admin/license-requests", astrid)
	list.wantBody(t, "Väntar på administratör", "Erik Johansson")
	d := regexp.MustCompile(`href="(/admin/license-requests/lrq_[0-9a-z]+)"`).FindStringSubmatch(list.body)
	if d == nil {
		t.Fatalf("no Decide link:\n%s", list.body)
	}
	pane := s.get(d[1], astrid)
	pane.wantStatus(t, http.StatusOK)
	pane.wantBody(t, `<h2 id="pane-heading">Besluta om förfrågan</h2>`, `<option value="`+subID(org)+`"`, "Godkänn de markerade",
		`id="decide-add"`, "Köp fler om för få är lediga (högst)")
	s.get(d[1], erik).wantStatus(t, http.StatusNotFound)
	anna, karl := s.userIDByEmail(t, "anna.lindberg@nordvik.example"), s.userIDByEmail(t, "karl.bjork@nordvik.example")
	r = s.do("POST", d[1], url.Values{"approve": {anna, karl}, "subscription_id": {subID(org)}, "step": {"approve"},
		"message": {"Två licenser räcker."}}, astrid)
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, "/admin/license-requests?done=request_decided")
	s.get("/admin/license-requests?done=request_decided", astrid).wantBody(t, "Förfrågan har avgjorts", "Delvis godkänd",
		"av Astrid Lindqvist: Två licenser räcker.")
	s.get(org, astrid).wantBody(t, "<dd>2 (3 lediga)</dd>")
	r = s.do("POST", d[1], url.Values{"step": {"decline"}}, astrid) // decided: nothing to do
	r.wantStatus(t, http.StatusConflict)
	r.wantBody(t, "Förfrågan är redan avgjord.")
	s.get(org, astrid).wantBody(t, "<dd>2 (3 lediga)</dd>")

	// Four more: buying the missing one would charge erik's card, which the
	// admins never do; the pane says so and offers the switch.
	s.do("POST", path, url.Values{"for_me": {"1"}, "others": {"maria.nilsson@nordvik.example\njohan.berglund@nordvik.example\n" +
		"malin.engstrom@nordvik.example"}}, erik).wantStatus(t, http.StatusSeeOther)
	d = regexp.MustCompile(`href="(/admin/license-requests/lrq_[0-9a-z]+)"`).FindStringSubmatch(s.get("/admin/license-requests", astrid).body)
	var four []string
	for _, email := range []string{"erik@nordvik.example", "maria.nilsson@nordvik.example", "johan.berglund@nordvik.example",
		"malin.engstrom@nordvik.example"} {
		four = append(four, s.userIDByEmail(t, email))
	}
	r = s.do("POST", d[1], url.Values{"approve": four, "subscription_id": {subID(org)}, "add_licenses": {"1"}, "step": {"approve"}}, astrid)
	r.wantStatus(t, http.StatusConflict)
	r.wantBody(t, "administratörer debiterar aldrig en persons kort",
		`<a class="button" href="`+org+`/billing-profile">Välj organisationens faktureringsprofil</a>`)
	s.get(org, astrid).wantBody(t, "<dd>5</dd>", "<dd>2 (3 lediga)</dd>")

	// Elsewhere: the form gives way to the organization's process.
	r = s.do("POST", "/admin/license-requests", url.Values{"mode": {"external"}, "url": {"http://it.nordvik.example"}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, `id="settings-url-error"`)
	s.do("POST", "/admin/license-requests", url.Values{"mode": {"external"}, "message": {"Beställ i IT-portalen."},
		"url": {"https://it.nordvik.example/bestall"}}, astrid).wantStatus(t, http.StatusSeeOther)
	r = s.get(path, erik)
	r.wantBody(t, "Beställ i IT-portalen.", `href="https://it.nordvik.example/bestall"`)
	r.wantNotBody(t, `name="for_me"`)
}
