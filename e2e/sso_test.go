package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/sso/ssotest"
)

// Sign-in through the organization's identity provider, walked in
// Chromium: erik of Nordvik in Swedish and hannah of Harbor in English
// type their email on kassa's sign-in page, go on to a real OpenID
// provider (zitadel's example provider on 127.0.0.1), mistype their
// password there and then sign in, and come back to kassa signed in.
// Harbor keeps passwords for admins only, and hannah, an admin, signs in
// with hers through "Sign in with a password instead".

type ssoWalk struct {
	lang, acceptLanguage, email, name, password string
	next, products, withPassword, signIn        string
	signOut                                     string
}

func TestSignInThroughTheProviderInChromium(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	op := ssotest.Start(t, []ssotest.User{
		{ID: "e1", Username: "erik@nordvik.example", Password: "provider-pw-erik", FirstName: "Erik", LastName: "Johansson",
			Email: "erik@nordvik.example", EmailVerified: true, PreferredLanguage: "sv"},
		{ID: "h1", Username: "hannah@harbor.example", Password: "provider-pw-hannah", FirstName: "Hannah", LastName: "Reed",
			Email: "hannah@harbor.example", EmailVerified: true, PreferredLanguage: "en"},
	}, "kassa", "kassa-secret", site.url+"/login/oidc/callback")
	// Each organization's admin turns it on: Nordvik keeps passwords open,
	// Harbor keeps them for admins.
	turnOnSSO(t, site.url, "astrid@nordvik.example", op.Issuer, true)
	turnOnSSO(t, site.url, "hannah@harbor.example", op.Issuer, false)

	for _, w := range []ssoWalk{
		{lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9", email: "erik@nordvik.example", name: "Erik Johansson",
			password: "provider-pw-erik", next: "Nästa", products: "Dina produkter",
			withPassword: "Logga in med lösenord i stället", signIn: "Logga in", signOut: "Logga ut"},
		{lang: "en", acceptLanguage: "en-US,en;q=0.9", email: "hannah@harbor.example", name: "Hannah Reed",
			password: "provider-pw-hannah", next: "Next", products: "Your products",
			withPassword: "Sign in with a password instead", signIn: "Sign in", signOut: "Sign out"},
	} {
		t.Run(w.lang, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, browser, w.acceptLanguage)
			load(t, tab, "open /billing/bills", chromedp.Navigate(site.url+"/billing/bills"))
			if got := readPage(t, tab); got.Path != "/login" || got.Heading != w.signIn {
				t.Fatalf("before signing in: %+v", got)
			}
			screenshot(t, tab, "sso-email-"+w.lang)
			fill(t, tab, map[string]string{"email": w.email})
			follow(t, tab, "//main//form", w.next)

			// The provider's own page, which knows nothing of kassa.
			here := run(t, tab, "read the address", chromedp.Evaluate[string](`location.href`))
			if !strings.HasPrefix(here, op.Issuer+"login/username") {
				t.Fatalf("after the email: at %s, want the provider's sign-in page", here)
			}
			fill(t, tab, map[string]string{"username": w.email, "password": "not-the-password"})
			load(t, tab, "a wrong password at the provider", chromedp.Click(chromedp.CSS(`button[type=submit]`)))
			if here := run(t, tab, "read the address", chromedp.Evaluate[string](`location.href`)); !strings.HasPrefix(here, op.Issuer) {
				t.Fatalf("a wrong password at the provider led to %s", here)
			}
			screenshot(t, tab, "sso-provider-"+w.lang)
			fill(t, tab, map[string]string{"username": w.email, "password": w.password})
			load(t, tab, "sign in at the provider", chromedp.Click(chromedp.CSS(`button[type=submit]`)))

			// Back at kassa, signed in, where they were going.
			got := readPage(t, tab)
			if got.Lang != w.lang || got.Path != "/billing/bills" {
				t.Fatalf("after the provider: %+v", got)
			}
			if who := texts(t, tab, "header a.user"); len(who) != 1 || !strings.HasPrefix(who[0], w.name) {
				t.Errorf("signed in as %q, want %s", who, w.name)
			}
			screenshot(t, tab, "sso-signed-in-"+w.lang)

			// The way in with a password, which Harbor leaves to admins.
			follow(t, tab, "//header", w.signOut)
			follow(t, tab, "//main", w.withPassword)
			fill(t, tab, map[string]string{"email": w.email, "password": demo.Password})
			follow(t, tab, "//main//form", w.signIn)
			if got := readPage(t, tab); got.Heading != w.products {
				t.Fatalf("signed in with a password: %+v", got)
			}
		})
	}
}

// turnOnSSO makes the admin's organization sign in through the issuer, as
// the admin would with PUT /api/v1/admin/sso.
func turnOnSSO(t *testing.T, base, admin, issuer string, passwordSignIn bool) {
	t.Helper()
	call := func(method, path, token string, body any) []byte {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out bytes.Buffer
		_, _ = out.ReadFrom(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out.Bytes())
		}
		return out.Bytes()
	}
	var session struct{ Token string }
	if err := json.Unmarshal(call("POST", "/api/v1/login", "", map[string]string{"email": admin, "password": demo.Password}), &session); err != nil {
		t.Fatal(err)
	}
	call("PUT", "/api/v1/admin/sso", session.Token, map[string]any{"issuer": issuer, "client_id": "kassa",
		"client_secret": "kassa-secret", "password_sign_in": passwordSignIn})
}
