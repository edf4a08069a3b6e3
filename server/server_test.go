package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	db := sqldbtest.MustOpenDB(t, kassa.SystemClock{})
	if _, err := demo.Load(t.Context(), db, simulator.New(kassa.SystemClock{})); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(db, kassa.SystemClock{}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, SupportEmail: "help@example.com"}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHealthz(t *testing.T) {
	srv := newServer(t)
	res, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || string(b) != "ok\n" {
		t.Errorf("healthz = %d %q", res.StatusCode, b)
	}
}

func TestCrossOriginRequestsAreRefused(t *testing.T) {
	srv := newServer(t)
	login := `{"email":"erik@nordvik.example","password":"kassa-demo"}`
	for _, tt := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"CrossSiteBrowser", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"ForeignOrigin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"SameOriginBrowser", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"NotABrowser", nil, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/login", strings.NewReader(login))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d %s, want %d", res.StatusCode, b, tt.status)
			}
			if tt.status == 403 && !strings.Contains(string(b), `"code":"forbidden"`) {
				t.Errorf("refusal is not in the API's error format: %s", b)
			}
		})
	}
}
