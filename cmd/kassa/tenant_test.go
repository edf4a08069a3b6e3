package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var createFlags = []string{"tenant", "create", "--name", "Fjord AS", "--country", "NO", "--currency", "NOK",
	"--locale", "en", "--domain", "fjord.example,fjord.no", "--admin-email", "ingrid@fjord.example", "--admin-name", "Ingrid Berg"}

func TestTenantCreate(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	with := func(args ...string) []string {
		return append(append(append([]string{}, createFlags...), "--db", dsn, "--base-url", "https://kassa.fjord.example/"), args...)
	}
	t.Run("BadFlagsWriteNothing", func(t *testing.T) {
		for flag, args := range map[string][]string{
			"--admin-email": {"tenant", "create", "--name", "X", "--country", "NO", "--currency", "NOK", "--locale", "en",
				"--domain", "x.example", "--admin-name", "X", "--db", dsn},
			"--country":  with("--country", "Norway"),
			"--locale":   with("--locale", "fr"),
			"--domain":   with("--domain", "not a domain"),
			"--base-url": with("--base-url", "kassa.example"),
			"--wat":      with("--wat"),
		} {
			out, err := run(t, t.Context(), args...)
			if err == nil || exitCode(err) != 2 || !strings.Contains(inEnglish(err), flag) {
				t.Errorf("kassa %v: %v (exit %d), want exit 2 naming %s\n%s", flag, err, exitCode(err), flag, out)
			}
		}
		out, err := run(t, t.Context(), "tenant", "list", "--db", dsn)
		if err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("after refused creates, tenant list = %v\n%s", err, out)
		}
	})
	out, err := run(t, t.Context(), with()...)
	if err != nil {
		t.Fatalf("tenant create: %v\n%s", err, out)
	}
	link := regexp.MustCompile(`https://kassa\.fjord\.example/invitation/[A-Za-z0-9_-]{43}`).FindString(out)
	if link == "" || !strings.Contains(out, "Created Fjord AS") || !strings.Contains(out, "Ingrid Berg <ingrid@fjord.example>") {
		t.Fatalf("tenant create printed:\n%s", out)
	}
	t.Run("Listed", func(t *testing.T) {
		out, err := run(t, t.Context(), "tenant", "list", "--db", dsn)
		if err != nil || !strings.Contains(out, "Fjord AS") || !strings.Contains(out, "fjord.example,fjord.no") ||
			!regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`).MatchString(out) {
			t.Fatalf("tenant list = %v\n%s", err, out)
		}
	})
	t.Run("TakenDomainOrEmailIsExit1", func(t *testing.T) {
		for what, args := range map[string][]string{
			"domain": with("--name", "Other", "--domain", "other.example,fjord.no", "--admin-email", "a@other.example"),
			"email":  with("--name", "Other", "--domain", "other.example"),
		} {
			_, err := run(t, t.Context(), args...)
			if err == nil || exitCode(err) != 1 {
				t.Errorf("a taken %s: %v, want exit 1", what, err)
			}
		}
		out, _ := run(t, t.Context(), "tenant", "list", "--db", dsn)
		if strings.Contains(out, "Other") {
			t.Errorf("a refused create left a tenant:\n%s", out)
		}
	})
	t.Run("InvitationSignsTheAdminInOnce", func(t *testing.T) {
		srv := startServe(t, dsn, "")
		defer srv.stop()
		path := strings.TrimPrefix(link, "https://kassa.fjord.example")
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, body := get(t, c, srv.url+path)
		if res.StatusCode != 200 || !strings.Contains(body, "Ingrid Berg") || !strings.Contains(body, "Fjord AS") {
			t.Fatalf("GET the link: %d\n%s", res.StatusCode, body)
		}
		res, body = post(t, c, srv.url+path, url.Values{"password": {"short"}, "confirm": {"short"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Use 10 to 256 characters") {
			t.Fatalf("a short password: %d\n%s", res.StatusCode, body)
		}
		res, _ = post(t, c, srv.url+path, url.Values{"password": {"fjord and fjell"}, "confirm": {"fjord and fjell"}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/billing/products") {
			t.Fatalf("set the password: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		res, body = get(t, c, srv.url+"/billing/products?done=password_set")
		if res.StatusCode != 200 || !strings.Contains(body, "Ingrid Berg") || !strings.Contains(body, "Your password is saved") {
			t.Fatalf("signed in? %d\n%s", res.StatusCode, body)
		}
		// Used once, the link says so and signs no one in.
		other := &http.Client{CheckRedirect: c.CheckRedirect}
		res, body = post(t, other, srv.url+path, url.Values{"password": {"another one here"}, "confirm": {"another one here"}})
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link can") ||
			res.Header.Get("Set-Cookie") != "" {
			t.Fatalf("the link again: %d %v\n%s", res.StatusCode, res.Header, body)
		}
		// An altered link is the same.
		if res, _ := get(t, other, srv.url+path[:len(path)-1]+"x"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an altered link: %d", res.StatusCode)
		}
		// The password works for signing in.
		res, _ = post(t, other, srv.url+"/login", url.Values{"email": {"ingrid@fjord.example"}, "password": {"fjord and fjell"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign in with the new password: %d", res.StatusCode)
		}
	})
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return do(t, c, req)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	base, _ := url.Parse(u)
	req.Header.Set("Origin", base.Scheme+"://"+base.Host)
	return do(t, c, req)
}

// do sends req in English and returns the answer with its body read.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	req.Header.Set("Accept-Language", "en")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestCatalogApplyAndExport(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "catalog.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`products:
  - sku: WHITEBOARD
    name: {en: Whiteboard, sv: Whiteboard, de: Whiteboard}
    description: {en: Draw together.}
    trial: {days: 14}
    prices:
      monthly: {SEK: 4900, USD: 500}
  - sku: VAULT
    name: {en: Vault}
    prices: {annual: {SEK: 99000}}
`)
	out, err := run(t, t.Context(), "catalog", "apply", file, "--db", dsn, "--dry-run")
	if err != nil || !strings.Contains(out, "would add") || !strings.Contains(out, "Dry run, nothing applied: 2 added") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if out, _ := run(t, t.Context(), "catalog", "export", "--db", dsn); strings.Contains(out, "WHITEBOARD") {
		t.Fatalf("a dry run applied:\n%s", out)
	}
	out, err = run(t, t.Context(), "catalog", "apply", file, "--db", dsn)
	if err != nil || !strings.Contains(out, "2 added, 0 changed, 0 unchanged.") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	exported, err := run(t, t.Context(), "catalog", "export", "--db", dsn)
	if err != nil || !strings.Contains(exported, "sku_id:") || !strings.Contains(exported, "max_licenses: 25") {
		t.Fatalf("export: %v\n%s", err, exported)
	}
	write(exported)
	out, err = run(t, t.Context(), "catalog", "apply", file, "--db", dsn)
	if err != nil || !strings.Contains(out, "0 added, 0 changed, 2 unchanged.") {
		t.Fatalf("the export applied again: %v\n%s", err, out)
	}
	write(strings.Replace(exported, "4900", "5900", 1) + "  - sku: BROKEN\n    name: {en: B}\n    prices: {monthly: {SEK: -1}}\n    colour: red\n")
	_, err = run(t, t.Context(), "catalog", "apply", file, "--db", dsn)
	if err == nil || exitCode(err) != 1 || len(locale.In("en").Problems(err)) == 0 ||
		!strings.Contains(locale.In("en").Problems(err)[0], "colour") {
		t.Fatalf("a bad file: %v %v", err, locale.In("en").Problems(err))
	}
	if after, _ := run(t, t.Context(), "catalog", "export", "--db", dsn); after != exported {
		t.Errorf("a refused file changed the catalog:\n%s", after)
	}
}

// TestDisabledInOneProcessRefusedByAnother: two kassa serve on one database;
// an admin disables erik through the first, and the second, which has just
// trusted erik's session, refuses it within the second it trusts a session
// it has read (a minute is only the ceiling for a hang).
func TestDisabledInOneProcessRefusedByAnother(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	first := startServe(t, dsn, "")
	defer first.stop()
	second := startServe(t, dsn, "")
	defer second.stop()
	erik := apiLogin(t, second.url, "erik@nordvik.example")
	var me struct{ ID string }
	apiCall(t, second.url, "GET", "/api/v1/me", erik, nil, &me)
	astrid := apiLogin(t, first.url, "astrid@nordvik.example")
	apiCall(t, first.url, "PATCH", "/api/v1/admin/users/"+me.ID, astrid, map[string]string{"status": "disabled"}, nil)
	status := func() int {
		req, _ := http.NewRequest("GET", second.url+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+erik)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for deadline := time.Now().Add(time.Minute); status() != http.StatusUnauthorized; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the other process still lets the disabled user in after a minute")
		}
	}
}
