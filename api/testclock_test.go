package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
)

func TestTestClock(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	var sub subscriptionOut
	mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 2)).body, &sub)
	astrid := ts.login("astrid@nordvik.example")

	wantError(t, ts.do("POST", "/api/v1/test-clock", erik.token, map[string]string{"now": "2027-01-01T00:00:00Z"}), 403, kassa.Forbidden, "")
	res := ts.do("POST", "/api/v1/test-clock", astrid, map[string]string{"now": "2027-01-01T00:00:00Z"})
	if res.status != 200 || !strings.Contains(string(res.body), `"ran":1`) {
		t.Fatalf("test clock = %d %s, want the renewal of 23 December run", res.status, res.body)
	}
	erik.token = ts.login("erik@nordvik.example") // 39 days idle ended the session
	astrid = ts.login("astrid@nordvik.example")
	var got subscriptionOut
	mustUnmarshal(t, ts.do("GET", "/api/v1/subscriptions/"+sub.ID, erik.token, nil).body, &got)
	var l struct{ Data []invoiceOut }
	mustUnmarshal(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-01-01&to=2027-12-31", erik.token, nil).body, &l)
	if got.Status != "active" || len(l.Data) != 2 || l.Data[0].Number != "INV-2026-000002" {
		t.Fatalf("after the clock moved: %s, %d invoices", got.Status, len(l.Data))
	}
	wantError(t, ts.do("POST", "/api/v1/test-clock", astrid, map[string]string{"now": "2026-12-01T00:00:00Z"}), 422, kassa.Invalid, "now")
	wantError(t, ts.do("POST", "/api/v1/test-clock", astrid, map[string]string{"now": "tomorrow"}), 422, kassa.Invalid, "now")

	t.Run("AbsentWithoutTestClock", func(t *testing.T) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, err := auth.New(ts.db, ts.clock, log)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(New(Config{DB: ts.db, Auth: a, Log: log}))
		defer srv.Close()
		other := &testServer{t: t, url: srv.URL}
		wantError(t, other.do("POST", "/api/v1/test-clock", astrid, `{"now":"2028-01-01T00:00:00Z"}`), 404, kassa.NotFound, "")
	})
}
