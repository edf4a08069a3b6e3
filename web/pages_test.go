package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa/auth"
)

func TestPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	mike := withCookies(s.signIn("mike@harbor.example"))

	pages := []struct {
		path, sv, en string
		admin        bool
	}{
		{"/billing/products", "Dina produkter", "Your products", false},
		{"/billing/licenses", "Licenser", "Licenses", false},
		{"/billing/bills", "Räkningar och betalningar", "Bills &amp; payments", false},
		{"/billing/profiles", "Faktureringsprofiler", "Billing profiles", false},
		{"/admin/self-service", "Självbetjäningsköp", "Self-service purchases", true},
		{"/admin/purchase-policy", "Köppolicy", "Purchase policy", true},
		{"/admin/audit-log", "Granskningslogg", "Audit log", true},
		{"/help", "Behöver du hjälp?", "Need help?", false},
	}
	for _, p := range pages {
		t.Run("Erik"+p.path, func(t *testing.T) {
			r := s.get(p.path, erik)
			if p.admin {
				r.wantStatus(t, http.StatusNotFound)
				r.wantBody(t, "<h1>Sidan hittades inte</h1>")
				return
			}
			r.wantStatus(t, http.StatusOK)
			r.wantBody(t, "<h1>"+p.sv+"</h1>", `<a href="`+p.path+`" aria-current="page">`+p.sv+`</a>`,
				"<title>"+p.sv+" – Nordvik AB – kassa</title>")
			r.wantNotBody(t, "/admin/")
		})
		t.Run("Astrid"+p.path, func(t *testing.T) {
			r := s.get(p.path, astrid)
			r.wantStatus(t, http.StatusOK)
			r.wantBody(t, "<h1>"+p.sv+"</h1>", `<a href="`+p.path+`" aria-current="page">`, "Administration",
				`href="/admin/self-service"`, `href="/admin/purchase-policy"`, `href="/admin/audit-log"`)
		})
		t.Run("Mike"+p.path, func(t *testing.T) {
			r := s.get(p.path, mike)
			if p.admin {
				r.wantStatus(t, http.StatusNotFound)
				r.wantBody(t, "<h1>Page not found</h1>")
				return
			}
			r.wantBody(t, `<html lang="en">`, "<h1>"+p.en+"</h1>")
		})
	}
	t.Run("HelpNamesSupport", func(t *testing.T) {
		r := s.get("/help", mike)
		r.wantBody(t, `href="mailto:help@kassa.example"`, "Email help@kassa.example", "Who pays for a self-service purchase?")
	})
	t.Run("UnknownPageIsTranslated404", func(t *testing.T) {
		r := s.get("/billing/nothing", erik)
		r.wantStatus(t, http.StatusNotFound)
		r.wantBody(t, `<html lang="sv">`, "<h1>Sidan hittades inte</h1>", "Fakturering")
		r = s.get("/billing/nothing", withCookies(append([]*http.Cookie{{Name: "lang", Value: "en"}},
			&http.Cookie{Name: auth.CookieName, Value: cookieValue(erik)})...))
		r.wantBody(t, `<html lang="en">`, "<h1>Page not found</h1>")
	})
	t.Run("WrongMethodIs405", func(t *testing.T) {
		s.do("POST", "/billing/products", url.Values{}, erik).wantStatus(t, http.StatusMethodNotAllowed)
	})
}

func cookieValue(h http.Header) string {
	_, v, _ := strings.Cut(h.Get("Cookie"), "=")
	return v
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	t.Run("RemembersChoiceAndGoesBack", func(t *testing.T) {
		r := s.do("POST", "/language", url.Values{"lang": {"sv"}, "next": {"/login?next=%2Fhelp"}}, nil)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, "/login?next=%2Fhelp")
		c := cookieNamed(r.Response, "lang")
		if c == nil || c.Value != "sv" || c.MaxAge != 365*24*60*60 || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Fatalf("lang cookie %+v: want sv for a year, SameSite=Lax, Path=/", c)
		}
		s.get("/login", http.Header{"Accept-Language": {"en"}, "Cookie": {"lang=sv"}}).wantBody(t, "<h1>Logga in</h1>")
	})
	t.Run("SignedIn", func(t *testing.T) {
		session := s.signIn("erik@nordvik.example")
		r := s.do("POST", "/language", url.Values{"lang": {"en"}, "next": {"/billing/licenses"}}, withCookies(session))
		r.wantLocation(t, "/billing/licenses")
		lang := cookieNamed(r.Response, "lang")
		p := s.get("/billing/licenses", withCookies(session, lang))
		p.wantBody(t, `<html lang="en">`, "<h1>Licenses</h1>", `<button type="submit" name="lang" value="en" lang="en" aria-pressed="true">English</button>`)
	})
	t.Run("FormOffersBothLanguages", func(t *testing.T) {
		r := s.get("/login?next=%2Fhelp", nil)
		r.wantBody(t, `<form class="langswitch" method="post" action="/language"`,
			`<input type="hidden" name="next" value="/login?next=%2Fhelp">`, `value="sv" lang="sv"`, ">Svenska</button>")
	})
	t.Run("UnknownLanguageRefused", func(t *testing.T) {
		s.do("POST", "/language", url.Values{"lang": {"fr"}, "next": {"/"}}, nil).wantStatus(t, http.StatusBadRequest)
	})
	t.Run("OpenRedirectIgnored", func(t *testing.T) {
		s.do("POST", "/language", url.Values{"lang": {"en"}, "next": {"//evil.example"}}, nil).wantLocation(t, "/")
	})
}

func TestInternalErrorPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	session := withCookies(s.signIn("erik@nordvik.example"))
	session.Set("Accept-Language", "sv")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.get("/billing/products", session)
	r.wantStatus(t, http.StatusInternalServerError)
	r.wantBody(t, `<html lang="sv">`, "<h1>Något gick fel</h1>")
	r.wantNotBody(t, "sql:", "database")
}
