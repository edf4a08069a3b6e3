package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// site is the whole kassa server, as served by `kassa serve`, on a demo
// database of its own.
type site struct {
	t    *testing.T
	url  string
	db   *sqldb.DB
	auth *auth.Auth
	dsn  string // the database's address, for what tests change behind kassa's back
}

func newSite(t *testing.T) *site { return newSiteAt(t, kassa.SystemClock{}) }

// newSiteAt is newSite on the clock, a kassa.TestClock for tests that move
// time (a move past 12 hours ends the web sessions).
func newSiteAt(t *testing.T, clock kassa.Clock) *site {
	t.Helper()
	dsn := sqldbtest.DSN(t)
	db, err := sqldb.Open(context.Background(), dsn, clock)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := demo.Load(context.Background(), db, simulator.New(kassa.SystemClock{})); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	log := slog.New(untranslated{t, slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})})
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	gw := simulator.New(clock)
	ts := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, SupportEmail: "help@kassa.example",
		Billing: billing.New(db, gw, clock, log), Licensing: licensing.New(db), Gateway: gw, GatewayName: "simulator"}))
	t.Cleanup(ts.Close)
	return &site{t: t, url: ts.URL, db: db, auth: a, dsn: dsn}
}

// untranslated fails the test on a message the pages could not translate:
// a key missing in a language, or a message given the wrong placeholders.
type untranslated struct {
	t *testing.T
	slog.Handler
}

func (h untranslated) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "translate" {
		h.t.Errorf("a page could not translate a message (see the log)")
	}
	return h.Handler.Handle(ctx, r)
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body string
}

// do sends a request with the form (when not nil) and the headers, without
// following redirects.
func (s *site) do(method, path string, form url.Values, header http.Header) response {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{Response: resp, body: string(b)}
}

func (s *site) get(path string, header http.Header) response { return s.do("GET", path, nil, header) }

// signIn signs in with the demo password and returns the session cookie.
func (s *site) signIn(email string) *http.Cookie {
	s.t.Helper()
	r := s.do("POST", "/login", url.Values{"email": {email}, "password": {demo.Password}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in %s: status %d, want 303\n%s", email, r.StatusCode, r.body)
	}
	c := cookieNamed(r.Response, auth.CookieName)
	if c == nil {
		s.t.Fatalf("sign in %s: no %s cookie", email, auth.CookieName)
	}
	return c
}

func cookieNamed(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func withCookies(cs ...*http.Cookie) http.Header {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

func (r response) wantStatus(t *testing.T, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
}

func (r response) wantBody(t *testing.T, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(r.body, sub) {
			t.Errorf("%s %s: body lacks %q", r.Request.Method, r.Request.URL, sub)
		}
	}
}

func (r response) wantNotBody(t *testing.T, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(r.body, sub) {
			t.Errorf("%s %s: body has %q", r.Request.Method, r.Request.URL, sub)
		}
	}
}

func (r response) wantLocation(t *testing.T, want string) {
	t.Helper()
	if got := r.Header.Get("Location"); got != want {
		t.Errorf("%s %s: Location %q, want %q", r.Request.Method, r.Request.URL, got, want)
	}
}

// errorsOf returns the errors a page shows (beside fields and above forms),
// for a failure's message.
func errorsOf(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`class="(?:field-error|alert)"[^>]*>([^<]*)<`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}
