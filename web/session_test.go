package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/demo"
)

func TestSignInPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	sv := []string{`<html lang="sv">`, "<title>Logga in", "<h1>Logga in</h1>", ">E-postadress</label>", ">Nästa</button>",
		`<a href="/login?password=1">Logga in med lösenord i stället</a>`}
	en := []string{`<html lang="en">`, "<title>Sign in", "<h1>Sign in</h1>", ">Email address</label>", ">Next</button>",
		`<a href="/login?password=1">Sign in with a password instead</a>`}

	t.Run("SwedishFromAcceptLanguage", func(t *testing.T) {
		r := s.get("/login", http.Header{"Accept-Language": {"sv-SE,sv;q=0.9,en;q=0.5"}})
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, sv...)
	})
	t.Run("EnglishFromAcceptLanguage", func(t *testing.T) {
		r := s.get("/login", http.Header{"Accept-Language": {"en-US,en;q=0.9"}})
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, en...)
	})
	t.Run("CookieBeatsAcceptLanguage", func(t *testing.T) {
		r := s.get("/login", http.Header{"Accept-Language": {"en-US"}, "Cookie": {"lang=sv"}})
		r.wantBody(t, sv...)
		r = s.get("/login", http.Header{"Accept-Language": {"sv"}, "Cookie": {"lang=en"}})
		r.wantBody(t, en...)
	})
	t.Run("EnglishWithoutPreference", func(t *testing.T) {
		s.get("/login", nil).wantBody(t, en...)
	})
	t.Run("EmailFirst", func(t *testing.T) {
		// The first step asks for the email alone.
		s.get("/login", nil).wantNotBody(t, `name="password"`, "Forgot your password?")
		// An email of an organization without its own sign-in is asked
		// for its password next, the email kept and the password focused.
		r := s.do("POST", "/login", url.Values{"email": {" erik@nordvik.example "}, "next": {"/help"}}, nil)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `value="erik@nordvik.example"`, `name="next" value="/help"`,
			`autocomplete="current-password" required autofocus>`, ">Sign in</button>", `href="/forgot-password"`)
		r.wantNotBody(t, "password-error")
		// A malformed email stays on the first step, its error beside it.
		r = s.do("POST", "/login", url.Values{"email": {"erik at nordvik"}}, http.Header{"Accept-Language": {"sv"}})
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `value="erik at nordvik"`, `id="email-error">Ange en e-postadress som namn@example.com.</p>`, ">Nästa</button>")
		r.wantNotBody(t, `name="password"`)
		// "Sign in with a password instead" keeps where to go next.
		g := s.get("/login?next=%2Fbilling%2Fbills", nil)
		g.wantBody(t, `<a href="/login?next=%2Fbilling%2Fbills&amp;password=1">`)
		g = s.get("/login?next=%2Fbilling%2Fbills&password=1", nil)
		g.wantBody(t, `name="password"`, `name="next" value="/billing/bills"`, ">Sign in</button>")
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		r := s.get("/login", nil)
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
			"Cache-Control":           "no-store",
			"Content-Type":            "text/html; charset=utf-8",
		} {
			if got := r.Header.Get(name); !strings.Contains(got, want) {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
		}
		r.wantNotBody(t, "<script", "style=")
		// The sign-in form's redirect may go on to an identity provider;
		// every other page's forms stay on kassa.
		if got := r.Header.Get("Content-Security-Policy"); !strings.Contains(got, "form-action 'self' https: http://localhost:* http://127.0.0.1:*;") {
			t.Errorf("sign-in page's policy %q", got)
		}
		if got := s.get("/forgot-password", nil).Header.Get("Content-Security-Policy"); !strings.Contains(got, "form-action 'self';") {
			t.Errorf("another page's policy %q", got)
		}
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t)

	t.Run("WrongPasswordShownBesideFieldKeepsEmail", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {"not-the-password"}},
			http.Header{"Accept-Language": {"en"}})
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `value="erik@nordvik.example"`, `aria-describedby="password-error"`,
			`<p class="field-error" id="password-error">The email address or password is wrong.</p>`)
		r.wantNotBody(t, "not-the-password")
		if c := cookieNamed(r.Response, auth.CookieName); c != nil {
			t.Errorf("failed sign-in set a session cookie")
		}
	})
	t.Run("WrongPasswordInSwedish", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {"fel"}},
			http.Header{"Accept-Language": {"sv"}})
		r.wantBody(t, `id="password-error">E-postadressen eller lösenordet är fel.</p>`)
	})
	t.Run("DisabledAccountIsToldSo", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"former@nordvik.example"}, "password": {"kassa-demo"}},
			http.Header{"Accept-Language": {"sv"}})
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `Det här kontot är inaktiverat.`, `value="former@nordvik.example"`)
		if c := cookieNamed(r.Response, auth.CookieName); c != nil {
			t.Errorf("a disabled user got a session cookie")
		}
	})
	t.Run("EmptyFieldsEachGetAnError", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {""}, "password": {""}}, http.Header{"Accept-Language": {"sv"}})
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `id="email-error">Ange din e-postadress.</p>`, `id="password-error">Ange ditt lösenord.</p>`)
	})
	t.Run("MalformedEmailKeptWithError", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik at nordvik"}, "password": {"x"}}, nil)
		r.wantBody(t, `value="erik at nordvik"`, `id="email-error">Enter an email address like name@example.com.</p>`)
	})
	t.Run("SuccessSetsSessionCookieAndListsProducts", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password}}, nil)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, "/")
		c := cookieNamed(r.Response, auth.CookieName)
		if c == nil {
			t.Fatal("no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 0 || c.Secure {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Max-Age, not Secure over HTTP", c)
		}
		s.get("/", withCookies(c)).wantLocation(t, "/billing/products")

		// Erik's tenant speaks Swedish and pays in SEK.
		p := s.get("/billing/products", withCookies(c))
		p.wantStatus(t, http.StatusOK)
		p.wantBody(t, `<html lang="sv">`, "<h1>Dina produkter</h1>", "Nordvik AB", "Erik Johansson",
			"Analytics Pro", "Projektplanering", "Säkert e-postarkiv", "Planer, tidslinjer och delade uppgiftstavlor.",
			"239,00\u00a0kr", "2\u00a0390,00\u00a0kr", "Endast kostnadsfri provperiod", "Inte tillgänglig",
			"30 dagars kostnadsfri provperiod")
		if got := p.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", got)
		}
	})
	t.Run("EnglishTenantInDollars", func(t *testing.T) {
		c := s.signIn("mike@harbor.example")
		p := s.get("/billing/products", withCookies(c))
		p.wantBody(t, `<html lang="en">`, "<h1>Your products</h1>", "Harbor Labs Inc.", "Project Plan",
			"Secure Mail Archive", "$22.00", "$220.00", "30-day free trial")
		p.wantNotBody(t, "Not available", "\u00a0kr") // amounts in kronor end so
	})
	t.Run("SecureCookieBehindHTTPSProxy", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password}},
			http.Header{"X-Forwarded-Proto": {"https"}})
		if c := cookieNamed(r.Response, auth.CookieName); c == nil || !c.Secure {
			t.Errorf("cookie %+v: want Secure", c)
		}
	})
	t.Run("GoesToSafeNext", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password},
			"next": {"/billing/bills?x=1"}}, nil)
		r.wantLocation(t, "/billing/bills?x=1")
	})
	t.Run("OpenRedirectIgnored", func(t *testing.T) {
		for _, next := range []string{"//evil.example", "https://evil.example/", `/\evil.example`, "evil.example", "/\r\nX: evil.example"} {
			r := s.do("POST", "/login", url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password},
				"next": {next}}, nil)
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("next=%q: Location %q, want /", next, loc)
			}
			g := s.get("/login?next="+url.QueryEscape(next), nil)
			g.wantNotBody(t, "evil.example")
		}
	})
	t.Run("SignedInLoginPageLeadsOn", func(t *testing.T) {
		c := s.signIn("erik@nordvik.example")
		s.get("/login?next=/help", withCookies(c)).wantLocation(t, "/help")
	})
	t.Run("RateLimited", func(t *testing.T) {
		for range auth.AccountLimit {
			s.do("POST", "/login", url.Values{"email": {"hannah@harbor.example"}, "password": {"wrong"}}, nil)
		}
		r := s.do("POST", "/login", url.Values{"email": {"hannah@harbor.example"}, "password": {demo.Password}},
			http.Header{"Accept-Language": {"sv"}})
		r.wantStatus(t, http.StatusTooManyRequests)
		r.wantBody(t, `role="alert">För många misslyckade inloggningar. Försök igen om 15 minuter.</p>`,
			`value="hannah@harbor.example"`)
	})
	t.Run("BodyOver1MiBRefused", func(t *testing.T) {
		r := s.do("POST", "/login", url.Values{"email": {strings.Repeat("a", 2<<20)}, "password": {"x"}}, nil)
		r.wantStatus(t, http.StatusBadRequest)
	})
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	c := s.signIn("erik@nordvik.example")
	s.get("/billing/products", withCookies(c)).wantStatus(t, http.StatusOK)

	r := s.do("POST", "/logout", url.Values{}, withCookies(c))
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, "/login")
	if cleared := cookieNamed(r.Response, auth.CookieName); cleared == nil || cleared.MaxAge >= 0 {
		t.Errorf("cookie %+v: want it cleared", cleared)
	}
	r = s.get("/billing/products", withCookies(c))
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, "/login?next=%2Fbilling%2Fproducts")

	t.Run("WithoutSession", func(t *testing.T) {
		s.do("POST", "/logout", url.Values{}, nil).wantLocation(t, "/login")
	})
}

func TestNotSignedIn(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	t.Run("PagesRedirectToLogin", func(t *testing.T) {
		for path, want := range map[string]string{
			"/":                      "/login",
			"/billing/licenses":      "/login?next=%2Fbilling%2Flicenses",
			"/help?q=1":              "/login?next=%2Fhelp%3Fq%3D1",
			"/admin/purchase-policy": "/login?next=%2Fadmin%2Fpurchase-policy",
			"/no/such/page":          "/login?next=%2Fno%2Fsuch%2Fpage",
		} {
			r := s.get(path, nil)
			r.wantStatus(t, http.StatusSeeOther)
			r.wantLocation(t, want)
		}
	})
	t.Run("UnknownSessionRedirectsAndClearsCookie", func(t *testing.T) {
		r := s.get("/billing/products", http.Header{"Cookie": {auth.CookieName + "=forged"}})
		r.wantStatus(t, http.StatusSeeOther)
		if c := cookieNamed(r.Response, auth.CookieName); c == nil || c.MaxAge >= 0 {
			t.Errorf("cookie %+v: want it cleared", c)
		}
	})
	t.Run("StaticIsPublicAndCached", func(t *testing.T) {
		r := s.get("/static/style.css", nil)
		r.wantStatus(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("Content-Type %q, want text/css", ct)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("Cache-Control %q, want a year", cc)
		}
		for _, path := range []string{"/static/", "/static/nothing.css"} {
			r := s.get(path, nil)
			r.wantStatus(t, http.StatusNotFound)
			if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "max-age") {
				t.Errorf("%s: Cache-Control %q on a missing file", path, cc)
			}
		}
	})
	t.Run("PagesLinkFingerprintedStylesheet", func(t *testing.T) {
		s.get("/login", nil).wantBody(t, `<link rel="stylesheet" href="/static/style.css?v=`)
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	session := s.signIn("erik@nordvik.example")
	crossSite := withCookies(session)
	crossSite.Set("Sec-Fetch-Site", "cross-site")
	for _, path := range []string{"/login", "/logout", "/language"} {
		r := s.do("POST", path, url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password}, "lang": {"en"}}, crossSite)
		r.wantStatus(t, http.StatusForbidden)
		if c := cookieNamed(r.Response, auth.CookieName); c != nil {
			t.Errorf("%s: cross-site request set a session cookie", path)
		}
	}
	// The refused sign-out did not end the session.
	s.get("/billing/products", withCookies(session)).wantStatus(t, http.StatusOK)
}
