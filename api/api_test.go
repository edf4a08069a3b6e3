package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var testIssuer = invoicepdf.Issuer{Name: "Kassa Demo AB", Email: "billing@kassa.example", VATNumber: "SE556677889901",
	Address: kassa.Address{Line1: "Sveavägen 1", City: "Stockholm", PostalCode: "111 57", Country: "SE"}}

var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// testServer is the API on a real database with the demo data, served over
// HTTP on 127.0.0.1.
type testServer struct {
	t     testing.TB
	url   string
	clock *kassa.TestClock
	db    *sqldb.DB
	dsn   string
	logs  *syncBuffer // everything logged, at debug level
	auth  *auth.Auth
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	clock := kassa.NewTestClock(testStart)
	dsn := sqldbtest.DSN(t)
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(t.Context(), db, simulator.New(clock)); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's pages (its card page, its bank's page) are served
	// beside the API, and its events reach billing as the webhook hands
	// them on.
	gw := simulator.New(clock)
	b := billing.New(db, gw, clock, log)
	gw.Deliver("whsec_test", func(ctx context.Context, payload []byte, signature string) error {
		ev, err := gw.VerifyEvent(payload, signature)
		if err != nil {
			return err
		}
		return b.HandleEvent(ctx, ev)
	}, log)
	mux := http.NewServeMux()
	mux.Handle("/api/", New(Config{DB: db, Auth: a, Billing: b, Licensing: licensing.New(db), TestClock: clock, Issuer: testIssuer, Log: log}))
	mux.Handle(simulator.Prefix, gw.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testServer{t: t, url: srv.URL, clock: clock, db: db, dsn: dsn, logs: logs, auth: a}
}

// syncBuffer is a bytes.Buffer that handlers may write to concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request to a documented route and checks the answer against
// openapi.json.
func (ts *testServer) do(method, path, token string, body any, header ...string) response {
	ts.t.Helper()
	res := ts.doRaw(method, path, token, body, header...)
	checkResponse(ts.t, method, strings.SplitN(path, "?", 2)[0], res.status, res.body)
	return res
}

// doRaw sends a request and returns the answer unchecked.
func (ts *testServer) doRaw(method, path, token string, body any, header ...string) response {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case csvBody:
		r = strings.NewReader(string(b))
		header = append([]string{"Content-Type", "text/csv"}, header...)
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.url+path, r)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// csvBody is a request body sent as text/csv.
type csvBody string

func (ts *testServer) login(email string) string {
	ts.t.Helper()
	res := ts.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": demo.Password})
	if res.status != http.StatusOK {
		ts.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	var out struct{ Token string }
	mustUnmarshal(ts.t, res.body, &out)
	return out.Token
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

// wantError checks that res is the error format with the status and code,
// and, when field is given, that it names the field.
func wantError(t testing.TB, res response, status int, code kassa.Code, field string) {
	t.Helper()
	var e errorBody
	mustUnmarshal(t, res.body, &e)
	if res.status != status || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("got %d %s, want %d %s", res.status, res.body, status, code)
	}
	if field != "" && (e.Error.Field != field || !strings.Contains(e.Error.Message, field)) {
		t.Fatalf("got %s, want the message and field to name %q", res.body, field)
	}
}
