package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// site is kassa serving the demo, history included, with a SCIM token for
// each tenant.
type site struct {
	t       *testing.T
	url     string
	db      *sqldb.DB
	auth    *auth.Auth
	nordvik string // the tokens
	harbor  string
	dsnOf   string
}

func (s *site) dsn() string { return s.dsnOf }

func newSite(t *testing.T) *site {
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
	if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log,
		Billing: billing.New(db, gw, clock, log), Licensing: licensing.New(db)}))
	t.Cleanup(ts.Close)
	s := &site{t: t, url: ts.URL, db: db, auth: a, dsnOf: dsn}
	s.nordvik, s.harbor = s.token("astrid@nordvik.example"), s.token("hannah@harbor.example")
	return s
}

// as is a context signed in as the user with the email.
func (s *site) as(email string) context.Context {
	c, err := s.db.FindCredentials(s.t.Context(), email)
	if err != nil {
		s.t.Fatal(err)
	}
	return kassa.NewContextWithActor(s.t.Context(), &kassa.Actor{User: c.User, Tenant: c.Tenant})
}

func (s *site) token(admin string) string {
	_, token, err := s.auth.NewSCIMToken(s.as(admin), "Entra ID")
	if err != nil {
		s.t.Fatal(err)
	}
	return token
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a SCIM request with the token and body (exactly as given).
func (s *site) do(method, path, token, body string) answer {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &a.body); err != nil {
			s.t.Fatalf("%s %s: %d %q is no JSON object", method, path, res.StatusCode, b)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			s.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return a
}

func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

// wantError checks SCIM's error schema: status as a string, and scimType.
func (a answer) wantError(t *testing.T, status int, scimType string) {
	t.Helper()
	a.want(t, status)
	schemas, _ := a.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" ||
		str(a.body["status"]) != strconv.Itoa(status) || a.body["detail"] == "" || str(a.body["scimType"]) != scimType {
		t.Fatalf("error %s, want status %d scimType %q", a.raw, status, scimType)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// list checks a ListResponse (integers, Resources a list) and returns its
// resources.
func (a answer) list(t *testing.T) []map[string]any {
	t.Helper()
	a.want(t, 200)
	total, ok1 := a.body["totalResults"].(float64)
	_, ok2 := a.body["startIndex"].(float64)
	perPage, ok3 := a.body["itemsPerPage"].(float64)
	res, ok4 := a.body["Resources"].([]any)
	if !ok1 || !ok2 || !ok3 || !ok4 || int(perPage) != len(res) || int(total) < len(res) {
		t.Fatalf("not a ListResponse: %s", a.raw)
	}
	out := make([]map[string]any, len(res))
	for i, r := range res {
		out[i] = r.(map[string]any)
	}
	return out
}

func filterQuery(f string) string { return "/scim/v2/Users?filter=" + url.QueryEscape(f) }
