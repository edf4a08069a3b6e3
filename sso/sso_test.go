package sso_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
	"github.com/kassa-billing/kassa/sso/ssotest"
)

// world is kassa serving the demo and a real OpenID provider (zitadel's
// example provider) on 127.0.0.1, with Nordvik signing in through it.
type world struct {
	t      *testing.T
	kassa  string // base URLs
	issuer string
	op     *ssotest.Provider
	logs   *logBuffer // kassa's warnings
	db     *sqldb.DB
	dsn    string
}

// providerUsers are the provider's people: erik and anna are Nordvik's;
// stranger is nobody kassa knows; unverified's email is not verified.
var providerUsers = []ssotest.User{
	{ID: "u1", Username: "erik@nordvik.example", Password: "provider-pw-erik", FirstName: "Erik", LastName: "Johansson",
		Email: "erik@nordvik.example", EmailVerified: true, PreferredLanguage: "sv"},
	{ID: "u2", Username: "stranger@nordvik.example", Password: "provider-pw-stranger", FirstName: "Stranger",
		LastName: "Danger", Email: "stranger@nordvik.example", EmailVerified: true, PreferredLanguage: "sv"},
	{ID: "u3", Username: "anna.lindberg@nordvik.example", Password: "provider-pw-anna", FirstName: "Anna",
		LastName: "Lindberg", Email: "anna.lindberg@nordvik.example", EmailVerified: false, PreferredLanguage: "sv"},
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := kassa.SystemClock{}
	dsn := sqldbtest.DSN(t)
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log,
		Billing: billing.New(db, gw, clock, log), Licensing: licensing.New(db)}))
	t.Cleanup(site.Close)

	op := ssotest.Start(t, providerUsers, "kassa", "kassa-secret", site.URL+"/login/oidc/callback")
	return &world{t: t, kassa: site.URL, issuer: op.Issuer, op: op, logs: logs, db: db, dsn: dsn}
}

// logBuffer keeps what a logger wrote.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was written since the last take.
func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// browser is a client that keeps cookies and follows no redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// api sends a JSON request to kassa's API.
func (w *world) api(method, path, token string, body any) (int, []byte) {
	w.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.kassa+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (w *world) adminToken() string {
	w.t.Helper()
	status, body := w.api("POST", "/api/v1/login", "", map[string]string{"email": "astrid@nordvik.example", "password": demo.Password})
	var out struct{ Token string }
	if status != 200 || json.Unmarshal(body, &out) != nil {
		w.t.Fatalf("astrid signs in: %d %s", status, body)
	}
	return out.Token
}

// turnOn sets Nordvik's sign-in through the provider.
func (w *world) turnOn(passwordSignIn bool) {
	w.t.Helper()
	status, body := w.api("PUT", "/api/v1/admin/sso", w.adminToken(), map[string]any{"issuer": w.issuer,
		"client_id": "kassa", "client_secret": "kassa-secret", "password_sign_in": passwordSignIn})
	if status != 200 {
		w.t.Fatalf("turn SSO on: %d %s", status, body)
	}
}

// begin asks kassa to sign the email in and follows it to the provider's
// login form, returning the auth request's id there.
func (w *world) begin(c *http.Client, email string) string {
	w.t.Helper()
	res, err := c.PostForm(w.kassa+"/login", url.Values{"email": {email}})
	if err != nil || res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), w.issuer) {
		w.t.Fatalf("POST /login %s: %v %v", email, res, err)
	}
	to, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		w.t.Fatal(err)
	}
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		w.t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", to)
	}
	res, err = c.Get(to.String())
	if err != nil || res.StatusCode != 302 {
		w.t.Fatalf("authorize: %v %v", res, err)
	}
	login, _ := url.Parse(res.Header.Get("Location"))
	return login.Query().Get("authRequestID")
}

// signInAtProvider logs in on the provider's form and returns kassa's
// callback URL it sends the browser to ("" when it sends none).
func (w *world) signInAtProvider(c *http.Client, id, username, password string) string {
	w.t.Helper()
	res, err := c.PostForm(w.issuer+"login/username", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		w.t.Fatal(err)
	}
	if res.StatusCode != 302 {
		return ""
	}
	res, err = c.Get(res.Header.Get("Location"))
	if err != nil || res.StatusCode != 302 {
		w.t.Fatalf("provider callback: %v %v", res, err)
	}
	return res.Header.Get("Location")
}

// callback follows the provider back to kassa.
func (w *world) callback(c *http.Client, to string) *http.Response {
	w.t.Helper()
	res, err := c.Get(to)
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

// signedInAs reports who c's session is (its name on the products page), or "".
func (w *world) signedInAs(c *http.Client) string {
	w.t.Helper()
	res, err := c.Get(w.kassa + "/billing/products")
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return ""
	}
	for _, name := range []string{"Erik Johansson", "Anna Lindberg", "Astrid Lindqvist"} {
		if strings.Contains(string(b), `title="`) && strings.Contains(string(b), ">"+name+"<") {
			return name
		}
	}
	return "someone"
}

func TestSignInThroughTheProvider(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.turnOn(false)
	c := browser()
	id := w.begin(c, "erik@nordvik.example")
	back := w.signInAtProvider(c, id, "erik@nordvik.example", "provider-pw-erik")
	if !strings.HasPrefix(back, w.kassa+"/login/oidc/callback?") {
		t.Fatalf("the provider sends the browser to %q", back)
	}
	res := w.callback(c, back)
	if res.StatusCode != 303 {
		t.Fatalf("callback: %d", res.StatusCode)
	}
	if who := w.signedInAs(c); who != "Erik Johansson" {
		t.Fatalf("signed in as %q", who)
	}

	t.Run("TheStateIsUsedOnce", func(t *testing.T) {
		other := browser()
		if res := w.callback(other, back); res.StatusCode != 404 || w.signedInAs(other) != "" {
			t.Errorf("the callback again: %d", res.StatusCode)
		}
	})
	t.Run("AnAlteredStateSignsNobodyIn", func(t *testing.T) {
		c := browser()
		back := w.signInAtProvider(c, w.begin(c, "erik@nordvik.example"), "erik@nordvik.example", "provider-pw-erik")
		altered := strings.Replace(back, "state=", "state=x", 1)
		if res := w.callback(c, altered); res.StatusCode != 404 || w.signedInAs(c) != "" {
			t.Errorf("an altered state: %d", res.StatusCode)
		}
	})
	t.Run("AWrongPasswordAtTheProviderSignsNobodyIn", func(t *testing.T) {
		c := browser()
		if back := w.signInAtProvider(c, w.begin(c, "erik@nordvik.example"), "erik@nordvik.example", "wrong"); back != "" {
			t.Errorf("a wrong password at the provider sent the browser to %s", back)
		}
		if w.signedInAs(c) != "" {
			t.Error("signed in")
		}
	})
	t.Run("AWrongVerifierIsRefused", func(t *testing.T) {
		c := browser()
		back := w.signInAtProvider(c, w.begin(c, "erik@nordvik.example"), "erik@nordvik.example", "provider-pw-erik")
		raw := sqldbtest.Raw(t, w.dsn)
		if _, err := raw.Exec(`UPDATE sso_logins SET verifier = 'not-the-verifier-the-challenge-was-made-of-at-all-0123'`); err != nil {
			t.Fatal(err)
		}
		if res := w.callback(c, back); res.StatusCode != 401 || w.signedInAs(c) != "" {
			t.Errorf("a wrong PKCE verifier: %d", res.StatusCode)
		}
	})
	t.Run("NobodyIsMadeOnTheFly", func(t *testing.T) {
		c := browser()
		back := w.signInAtProvider(c, w.begin(c, "stranger@nordvik.example"), "stranger@nordvik.example", "provider-pw-stranger")
		res := w.callback(c, back)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 404 || !strings.Contains(string(b), "ask your admin") || w.signedInAs(c) != "" {
			t.Errorf("a stranger: %d", res.StatusCode)
		}
		if _, err := w.db.FindCredentials(t.Context(), "stranger@nordvik.example"); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("the stranger has an account: %v", err)
		}
	})
	t.Run("AnUnverifiedEmailFindsNobody", func(t *testing.T) {
		c := browser()
		back := w.signInAtProvider(c, w.begin(c, "anna.lindberg@nordvik.example"), "anna.lindberg@nordvik.example", "provider-pw-anna")
		if res := w.callback(c, back); res.StatusCode != 404 || w.signedInAs(c) != "" {
			t.Errorf("an unverified email: %d", res.StatusCode)
		}
	})
	t.Run("PasswordsAreForAdminsOnly", func(t *testing.T) {
		status, body := w.api("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": demo.Password})
		if status != 401 || !strings.Contains(string(body), "identity provider") {
			t.Errorf("erik with a password: %d %s", status, body)
		}
		res, err := browser().PostForm(w.kassa+"/login", url.Values{"email": {"erik@nordvik.example"}, "password": {demo.Password}})
		if err != nil || res.StatusCode != 422 {
			t.Errorf("erik with a password on the page: %v %v", res, err)
		}
		w.adminToken() // astrid still may
	})
}

func TestSSOSettings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	astrid := w.adminToken()
	if status, _ := w.api("GET", "/api/v1/admin/sso", astrid, nil); status != 404 {
		t.Errorf("no settings yet: %d", status)
	}
	for _, bad := range []map[string]any{
		{"issuer": "http://idp.example.com/", "client_id": "kassa", "client_secret": "s"}, // http, not loopback
		{"issuer": w.issuer, "client_id": "", "client_secret": "s"},
		{"issuer": "http://127.0.0.1:1/", "client_id": "kassa", "client_secret": "s"}, // no provider there
	} {
		if status, body := w.api("PUT", "/api/v1/admin/sso", astrid, bad); status != 422 {
			t.Errorf("PUT %v: %d %s", bad, status, body)
		}
	}
	w.turnOn(true)
	status, body := w.api("GET", "/api/v1/admin/sso", astrid, nil)
	if status != 200 || strings.Contains(string(body), "kassa-secret") || !strings.Contains(string(body), w.kassa+"/login/oidc/callback") ||
		!strings.Contains(string(body), `"password_sign_in":true`) {
		t.Errorf("GET: %d %s", status, body)
	}
	// Erik may still use his password; then it is turned off again.
	if status, _ := w.api("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": demo.Password}); status != 200 {
		t.Errorf("erik with a password while passwords are allowed: %d", status)
	}
	if status, _ := w.api("DELETE", "/api/v1/admin/sso", astrid, nil); status != 204 {
		t.Errorf("DELETE: %d", status)
	}
	res, err := browser().PostForm(w.kassa+"/login", url.Values{"email": {"erik@nordvik.example"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(page, []byte(`name="password"`)) {
		t.Errorf("no SSO: an email alone asks for the password, got %d", res.StatusCode)
	}
}

// TestSingleSignOnPage: an admin turns single sign-on on, changes it
// without typing the secret again (the saved one stays), and turns it off.
func TestSingleSignOnPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := browser()
	res, err := admin.PostForm(w.kassa+"/login", url.Values{"email": {"astrid@nordvik.example"}, "password": {demo.Password}})
	if err != nil || res.StatusCode != 303 {
		t.Fatalf("astrid signs in: %v %v", res, err)
	}
	page := func(method string, form url.Values) (int, string) {
		t.Helper()
		var res *http.Response
		var err error
		if method == "GET" {
			res, err = admin.Get(w.kassa + "/admin/single-sign-on")
		} else {
			res, err = admin.PostForm(w.kassa+"/admin/single-sign-on", form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := page("GET", nil); status != 200 || !strings.Contains(body, w.kassa+"/login/oidc/callback") {
		t.Fatalf("the page: %d", status)
	}
	if status, body := page("POST", url.Values{"issuer": {"http://127.0.0.1:1/"}, "client_id": {"kassa"},
		"client_secret": {"kassa-secret"}}); status != 422 || !strings.Contains(body, `id="sso-issuer-error"`) ||
		strings.Contains(body, "kassa-secret") {
		t.Fatalf("an issuer nobody answers at: %d", status)
	}
	if status, _ := page("POST", url.Values{"issuer": {w.issuer}, "client_id": {"kassa"}, "client_secret": {"kassa-secret"},
		"password_sign_in": {"on"}}); status != 303 {
		t.Fatalf("turn on: %d", status)
	}
	// Saved again without the secret: the saved one stays, and sign-in works.
	if status, _ := page("POST", url.Values{"issuer": {w.issuer}, "client_id": {"kassa"}}); status != 303 {
		t.Fatalf("save without the secret: %d", status)
	}
	c := browser()
	back := w.signInAtProvider(c, w.begin(c, "erik@nordvik.example"), "erik@nordvik.example", "provider-pw-erik")
	if res := w.callback(c, back); res.StatusCode != 303 || w.signedInAs(c) != "Erik Johansson" {
		t.Fatalf("sign-in after saving without the secret: %d", res.StatusCode)
	}
	// Passwords are closed for erik now (the box was left unticked).
	if status, _ := w.api("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": demo.Password}); status != 401 {
		t.Errorf("erik with a password: %d", status)
	}
	res, err = admin.PostForm(w.kassa+"/admin/single-sign-on/off", url.Values{})
	if err != nil || res.StatusCode != 303 {
		t.Fatalf("turn off: %v %v", res, err)
	}
	if status, _ := w.api("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": demo.Password}); status != 200 {
		t.Errorf("erik with a password once it is off: %d", status)
	}
}

// TestUntrustedIDTokensAreRefused: the provider (through its proxy) hands
// out ID tokens kassa must not trust, each for erik after he signed in
// there with the right password; nobody is signed in.
func TestUntrustedIDTokensAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.turnOn(true)
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func() (*http.Client, int) {
		c := browser()
		back := w.signInAtProvider(c, w.begin(c, "erik@nordvik.example"), "erik@nordvik.example", "provider-pw-erik")
		if back == "" {
			t.Fatal("the provider did not send the browser back")
		}
		return c, w.callback(c, back).StatusCode
	}
	// The proxy's rewriting alone, re-signed with the provider's key, is
	// trusted: what follows fails for what it changes.
	w.op.RewriteIDTokens(func(map[string]any) *rsa.PrivateKey { return nil })
	if c, status := signIn(); status != 303 || w.signedInAs(c) != "Erik Johansson" {
		t.Fatalf("a re-signed token: %d", status)
	}
	now := time.Now().Unix()
	for _, c := range []struct {
		name, reason string // the reason kassa logs
		change       func(claims map[string]any) *rsa.PrivateKey
	}{
		{"Forged", "failed to verify signature", func(map[string]any) *rsa.PrivateKey { return forger }},
		{"Expired", "token is expired", func(c map[string]any) *rsa.PrivateKey {
			c["iat"], c["exp"] = now-7200, now-3600
			return nil
		}},
		{"WrongAudience", `expected audience \"kassa\"`, func(c map[string]any) *rsa.PrivateKey {
			c["aud"] = []string{"another-app"}
			return nil
		}},
		{"WrongIssuer", "issued by a different provider", func(c map[string]any) *rsa.PrivateKey {
			c["iss"] = "http://127.0.0.1:1/"
			return nil
		}},
		{"WrongNonce", "check the nonce", func(c map[string]any) *rsa.PrivateKey {
			c["nonce"] = "a-nonce-of-another-sign-in"
			return nil
		}},
		{"AnotherSubject", `subject \"u1\", not \"u2\"`, func(c map[string]any) *rsa.PrivateKey {
			// The userinfo answer is of u1: the two must agree.
			c["sub"] = "u2"
			return nil
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.op.RewriteIDTokens(c.change)
			w.logs.take()
			if client, status := signIn(); status != 401 || w.signedInAs(client) != "" {
				t.Errorf("status %d, want 401 with nobody signed in", status)
			}
			if logged := w.logs.take(); !strings.Contains(logged, c.reason) {
				t.Errorf("refused for another reason than %q:\n%s", c.reason, logged)
			}
		})
	}
}
