package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestRequestID: a sane X-Request-Id is kept, anything else replaced by a
// new id; the id comes back in the answer's header and in an API error's
// body, and it is in the request's log lines (the request's own, and a
// refused processor event's warning).
func TestRequestID(t *testing.T) {
	t.Parallel()
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	var logged lockedBuffer
	log := slog.New(kassa.LogHandler{Handler: slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})})
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, Gateway: gw, GatewayName: "simulator",
		Billing: billing.New(db, gw, clock, log)}))
	defer srv.Close()

	do := func(method, path, id string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body := map[string]any{}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res, body
	}
	res, body := do("GET", "/api/v1/subscriptions", "ticket-4711.a_B")
	errBody, _ := body["error"].(map[string]any)
	if res.StatusCode != 401 || res.Header.Get("X-Request-Id") != "ticket-4711.a_B" || errBody["request_id"] != "ticket-4711.a_B" {
		t.Errorf("kept id: %d %q %v", res.StatusCode, res.Header.Get("X-Request-Id"), body)
	}
	made := regexp.MustCompile(`^[0-9a-z]{16}$`)
	for _, bad := range []string{"", "two words", "<script>", strings.Repeat("x", 65), "ä"} {
		res, body := do("GET", "/api/v1/subscriptions", bad)
		id := res.Header.Get("X-Request-Id")
		errBody, _ := body["error"].(map[string]any)
		if !made.MatchString(id) || errBody["request_id"] != id {
			t.Errorf("%q: answered with id %q, body %v", bad, id, body)
		}
	}
	if res, _ := do("POST", "/webhooks/simulator", "hook-1"); res.StatusCode != 400 {
		t.Errorf("an unsigned event: %d", res.StatusCode)
	}
	logged.mu.Lock()
	out := logged.b.String()
	logged.mu.Unlock()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`msg=request method=GET path=/api/v1/subscriptions status=401 .*request_id=ticket-4711\.a_B`),
		regexp.MustCompile(`msg="processor event refused" .*request_id=hook-1`),
	} {
		if !want.MatchString(out) {
			t.Errorf("no log line like %s in:\n%s", want, out)
		}
	}
}
