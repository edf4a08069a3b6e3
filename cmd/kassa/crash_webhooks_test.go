package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
	"github.com/kassa-billing/kassa/webhook"
)

// hookReceiver is an app's endpoint for the crash test: it verifies every
// delivery with the Standard Webhooks library, keeps what each webhook-id
// brought, and refuses one id in ten with 500 the first time it comes.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string

	ahead atomic.Int64 // how far the receiver's clock is ahead of real time

	mu       sync.Mutex
	bodies   map[string]string // by webhook-id, the first body
	seen     map[string]int    // by webhook-id, how many times it came
	problems []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t, bodies: map[string]string{}, seen: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// The signature, and the timestamp against the receiver's clock,
	// which is the worker's.
	wh, err := standardwebhooks.NewWebhook(h.secret)
	if err == nil {
		err = wh.VerifyIgnoringTimestamp(body, r.Header)
	}
	if err == nil {
		err = checkTimestamp(r.Header, time.Now().Add(time.Duration(h.ahead.Load())))
	}
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.problems = append(h.problems, "a delivery failed verification: "+err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if first, ok := h.bodies[id]; ok && first != string(body) {
		h.problems = append(h.problems, "webhook-id "+id+" came with another body")
	}
	h.seen[id]++
	if h.seen[id] == 1 {
		h.bodies[id] = string(body)
		f := fnv.New32a()
		f.Write([]byte(id))
		if f.Sum32()%10 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkTimestamp checks webhook-timestamp as Standard Webhooks' receivers
// do: within five minutes of now.
func checkTimestamp(h http.Header, now time.Time) error {
	sec, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q", h.Get("webhook-timestamp"))
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %d is %v from the receiver's clock", sec, d)
	}
	return nil
}

// hookedTenant registers the receiver as a webhook endpoint of Nordvik for
// every event, before kassa serves, and returns the endpoint's id and the
// audit sequence number it starts after.
func hookedTenant(t *testing.T, dsn string, h *hookReceiver) (endpointID string, since int64) {
	t.Helper()
	db, err := sqldb.Open(t.Context(), dsn, kassa.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	creds, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	// The demo's endpoint, at an example address, is turned off: the
	// final rounds wait for no lookup of a name that does not exist.
	others, err := db.FindWebhookEndpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	for _, o := range others {
		if _, err := db.UpdateWebhookEndpoint(ctx, o.ID, sqldb.WebhookChange{Enabled: &off}, false); err != nil {
			t.Fatal(err)
		}
	}
	e := &kassa.WebhookEndpoint{URL: h.srv.URL + "/kassa", Events: []string{kassa.WebhookAll}}
	if err := db.CreateWebhookEndpoint(ctx, e, true); err != nil {
		t.Fatal(err)
	}
	h.secret = e.Secret
	if err := sqldbtest.Raw(t, dsn).QueryRowContext(t.Context(),
		`SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE tenant_id = $1`, creds.Tenant.ID).Scan(&since); err != nil {
		t.Fatal(err)
	}
	return e.ID, since
}

// requireHooksDelivered sends what the killed servers left claimed or
// waiting for a retry (a worker whose clock moves an hour a round, past
// their leases and the retries' times) until the endpoint has nothing
// pending, then checks that no
// event was lost: every purchase and every license assigned since the
// endpoint was made has its delivery, every delivery reached the receiver,
// and an id that came twice came with the same body.
func requireHooksDelivered(t *testing.T, dsn, endpointID string, since int64, h *hookReceiver) {
	t.Helper()
	db, err := sqldb.Open(t.Context(), dsn, kassa.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := sqldbtest.Raw(t, dsn)
	start, rounds := time.Now(), 0
	// An hour passes on each round, for the worker and the receiver alike:
	// leases end and retries come due.
	w := &webhook.Worker{Store: db, Client: webhook.NewClient(true), Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Now().Add(time.Duration(h.ahead.Load())) }}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var pending int
		if err := raw.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'delivered'`,
			endpointID).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			rows, _ := raw.QueryContext(t.Context(), `SELECT d.id, d.type, d.status, d.attempts, d.next_attempt_at, d.locked_until,
				(SELECT COUNT(*) FROM webhook_attempts a WHERE a.delivery_id = d.id), e.enabled, e.disabled_reason
				FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.endpoint_id = $1 AND d.status <> 'delivered'`, endpointID)
			for rows != nil && rows.Next() {
				var id, typ, status, reason string
				var attempts, made int
				var enabled bool
				var next, locked any
				_ = rows.Scan(&id, &typ, &status, &attempts, &next, &locked, &made, &enabled, &reason)
				t.Logf("%s %s %s attempts %d (%d recorded) next %v locked %v; endpoint on %v %q", id, typ, status, attempts, made, next, locked, enabled, reason)
			}
			t.Fatalf("%d deliveries not delivered after two minutes", pending)
		}
		h.ahead.Add(int64(time.Hour))
		rounds++
		r0 := time.Now()
		w.Poll(t.Context())
		w.Wait()
		t.Logf("round %d: %d pending, sent in %v", rounds, pending, time.Since(r0).Round(time.Millisecond))
	}

	rows, err := raw.QueryContext(t.Context(), `SELECT id, type FROM webhook_deliveries WHERE endpoint_id = $1`, endpointID)
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]int{}
	ids := map[string]bool{}
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
		delivered[typ]++
	}
	rows.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.problems {
		t.Error(p)
	}
	twice := 0
	for id := range ids {
		if h.seen[id] == 0 {
			t.Errorf("delivery %s never reached the receiver", id)
		}
	}
	for id, n := range h.seen {
		if !ids[id] {
			t.Errorf("the receiver got %s, which kassa never wrote", id)
		}
		if n > 1 {
			twice++
		}
	}

	// The load makes every kind of change the events tell of but people's.
	for _, typ := range []string{kassa.EventSubscriptionCreated, kassa.EventSubscriptionUpdated, kassa.EventSubscriptionCanceled,
		kassa.EventSubscriptionRenewed, kassa.EventLicenseAssigned, kassa.EventLicenseUnassigned, kassa.EventInvoiceIssued,
		kassa.EventInvoicePaid, kassa.EventCreditNoteIssued} {
		if delivered[typ] == 0 {
			t.Errorf("no %s was delivered", typ)
		}
	}

	// Each purchase and each license assigned has its event.
	var purchases, assigned int
	arows, err := raw.QueryContext(context.WithoutCancel(t.Context()), `
		SELECT action, "after" FROM audit_log a JOIN webhook_endpoints e ON e.tenant_id = a.tenant_id
		WHERE e.id = $1 AND a.seq > $2 AND a.action IN ('subscription.purchased', 'license.assigned')`, endpointID, since)
	if err != nil {
		t.Fatal(err)
	}
	for arows.Next() {
		var action string
		var after *string
		if err := arows.Scan(&action, &after); err != nil {
			t.Fatal(err)
		}
		if action == "subscription.purchased" {
			purchases++
			continue
		}
		var a struct {
			UserIDs []string `json:"user_ids"`
		}
		if after != nil {
			_ = json.Unmarshal([]byte(*after), &a)
		}
		assigned += len(a.UserIDs)
	}
	arows.Close()
	if delivered[kassa.EventSubscriptionCreated] != purchases || delivered[kassa.EventLicenseAssigned] != assigned {
		t.Errorf("%d subscription.created for %d purchases, %d license.assigned for %d licenses assigned",
			delivered[kassa.EventSubscriptionCreated], purchases, delivered[kassa.EventLicenseAssigned], assigned)
	}
	t.Logf("webhooks: %d deliveries (%d purchases, %d licenses assigned), all delivered; %d came more than once, each with its webhook-id; the rest sent in %d rounds, %v",
		len(ids), purchases, assigned, twice, rounds, time.Since(start).Round(time.Millisecond))
}
