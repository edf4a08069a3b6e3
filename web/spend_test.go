package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSpendLimits(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	const path = "/admin/spend-limits"

	r := s.get(path, astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, "<h1>Utgiftsgränser</h1>", "Ingen har ett eget tak", `id="spend-organization"`, `inputmode="numeric"`,
		`<a href="/admin/spend-limits" aria-current="page">`)
	s.get(path, en).wantBody(t, "<h1>Spend limits</h1>", "Limit per person")
	s.get(path, erik).wantStatus(t, http.StatusNotFound)

	// Bad input: each error beside its field, everything typed kept.
	r = s.do("POST", path, url.Values{"organization": {"fem tusen"}, "per_person": {"-5"}, "add_email": {"nobody@nordvik.example"}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, `id="spend-organization-error"`, `id="spend-default-error"`, `id="spend-add-email-error"`,
		`value="fem tusen"`, `value="-5"`, `value="nobody@nordvik.example"`, "Ange ett helt belopp i SEK")
	s.get(path, astrid).wantBody(t, "Ingen har ett eget tak")

	r = s.do("POST", path, url.Values{"organization": {"50 000"}, "per_person": {"2000"},
		"add_email": {"Anna.Lindberg@nordvik.example"}, "add_limit": {""}}, astrid)
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, path+"?done=spend_saved")
	r = s.get(path+"?done=spend_saved", astrid)
	r.wantBody(t, "Utgiftsgränserna har sparats", `value="50000"`, `value="2000"`, "Anna Lindberg", "anna.lindberg@nordvik.example",
		"0,00\u00a0kr av 50\u00a0000,00\u00a0kr")

	// erik may spend 2 000 kr: 5 licenses (1 493,75 kr) go, 5 more do not.
	erikBuys(t, s, erik)
	buy := buyPath(t, s, erik, "Analytics Pro")
	form := url.Values{"term": {"monthly"}, "quantity": {"5"}, "billing_profile_id": {profileID(t, s, erik)}, "step": {"review"}}
	r = s.do("POST", buy, form, erik)
	form.Set("key", r.hidden(t, "key"))
	form.Set("step", "buy")
	r = s.do("POST", buy, form, erik)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, "Det här skulle överskrida din månadsgräns på 2\u00a0000,00\u00a0kr för självbetjäningsköp: 506,25\u00a0kr återstår den här månaden.")
	s.get(path, astrid).wantBody(t, "1\u00a0493,75\u00a0kr av 50\u00a0000,00\u00a0kr")

	// Remove anna's exception.
	r = s.do("POST", path, url.Values{"organization": {"50000"}, "per_person": {"2000"}, "remove": {s.userIDByEmail(t, "anna.lindberg@nordvik.example")}}, astrid)
	r.wantStatus(t, http.StatusSeeOther)
	s.get(path, astrid).wantNotBody(t, "anna.lindberg@nordvik.example")
}
