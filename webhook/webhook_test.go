package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
	"github.com/kassa-billing/kassa/webhook"
)

var _ webhook.Store = (*sqldb.DB)(nil)

// receiver is an app's webhook endpoint: it verifies every delivery with
// the Standard Webhooks library against the secrets it is given, counts
// deliveries by webhook-id, and answers as it is told: 200, 500, 410, a
// redirect, or only once release is closed.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	secrets  []string // each must verify every delivery
	answer   int      // status to answer; 0 is 200
	slow     chan struct{}
	got      []delivery
	bad      []string // what failed verification
	redirect atomic.Int32
	ahead    *atomic.Int64 // the receiver's clock is the site's worker's
}

type delivery struct {
	id, typ string
	status  int // what the receiver answered
	data    map[string]any
}

func newReceiver(t *testing.T, s *site) *receiver {
	rc := &receiver{t: t, ahead: &s.ahead}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.srv.Close()
		rc.deliveries() // reports what failed verification
	})
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/elsewhere" {
		rc.redirect.Add(1)
		return
	}
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	secrets, answer, slow := slices.Clone(rc.secrets), rc.answer, rc.slow
	rc.mu.Unlock()
	if slow != nil {
		<-slow
	}
	var bad []string
	// Each secret verifies the signature; the timestamp is checked
	// against the receiver's clock, which is the worker's.
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err == nil {
			err = wh.VerifyIgnoringTimestamp(body, r.Header)
		}
		if err != nil {
			bad = append(bad, err.Error())
		}
	}
	if sec, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64); err != nil {
		bad = append(bad, "webhook-timestamp: "+r.Header.Get("webhook-timestamp"))
	} else if d := time.Now().Add(time.Duration(rc.ahead.Load())).Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		bad = append(bad, fmt.Sprintf("webhook-timestamp %d is %v from the receiver's clock", sec, d))
	}
	var msg struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Type == "" || msg.Timestamp == "" {
		bad = append(bad, "body: "+string(body))
	}
	if answer == 0 {
		answer = http.StatusOK
	}
	rc.mu.Lock()
	rc.got = append(rc.got, delivery{id: r.Header.Get("webhook-id"), typ: msg.Type, status: answer, data: msg.Data})
	rc.bad = append(rc.bad, bad...)
	rc.mu.Unlock()
	if answer == http.StatusFound {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
		return
	}
	w.WriteHeader(answer)
}

func (rc *receiver) set(f func(rc *receiver)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	f(rc)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		rc.t.Errorf("deliveries that failed verification: %q", rc.bad)
		rc.bad = nil
	}
	return slices.Clone(rc.got)
}

// site is kassa serving the demo, with a webhook worker whose clock the
// test can move forward.
type site struct {
	t      *testing.T
	db     *sqldb.DB
	dsn    string
	url    string
	worker *webhook.Worker
	ahead  atomic.Int64 // how far the worker's clock is ahead of real time
}

func newSite(t *testing.T, allowPrivate bool) *site {
	clock := kassa.SystemClock{}
	db, dsn := sqldbtest.MustOpen(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, Billing: billing.New(db, gw, clock, log),
		Licensing: licensing.New(db), WebhookAllowPrivate: allowPrivate}))
	t.Cleanup(srv.Close)
	s := &site{t: t, db: db, dsn: dsn, url: srv.URL}
	s.worker = &webhook.Worker{Store: db, Client: webhook.NewClient(allowPrivate), Log: log,
		Now: func() time.Time { return time.Now().Add(time.Duration(s.ahead.Load())) }}
	return s
}

func (s *site) api(method, path, token string, body any) (int, map[string]any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (s *site) login(email string) string {
	s.t.Helper()
	_, out := s.api("POST", "/api/v1/login", "", map[string]string{"email": email, "password": demo.Password})
	token, _ := out["token"].(string)
	if token == "" {
		s.t.Fatalf("login %s: %v", email, out)
	}
	return token
}

// deliver runs the worker until cond holds, failing after a minute.
func (s *site) deliver(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within a minute", what)
		}
		s.worker.Poll(s.t.Context())
		s.worker.Wait()
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *site) endpoint(token, id string) map[string]any {
	s.t.Helper()
	status, e := s.api("GET", "/api/v1/admin/webhooks/"+id, token, nil)
	if status != 200 {
		s.t.Fatalf("endpoint %s: %d %v", id, status, e)
	}
	return e
}

func countType(ds []delivery, typ string) int {
	n := 0
	for _, d := range ds {
		if d.typ == typ {
			n++
		}
	}
	return n
}

// TestDeliveries: an admin registers an endpoint; the changes people make
// through kassa reach it as signed Standard Webhooks messages, each event
// once; a delivery refused with 500 comes again after 5 s with the same
// webhook-id; a redelivery too; after a rotation both secrets verify; a
// redirect is not followed; 410 turns the endpoint off; five days of
// failures turn it off and tell the admins.
func TestDeliveries(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	rc := newReceiver(t, s)
	astrid, erik := s.login("astrid@nordvik.example"), s.login("erik@nordvik.example")

	status, ep := s.api("POST", "/api/v1/admin/webhooks", astrid, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"*"}})
	if status != 201 {
		t.Fatalf("create endpoint: %d %v", status, ep)
	}
	id, secret := ep["id"].(string), ep["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	if _, again := s.endpoint(astrid, id)["secret"]; again {
		t.Error("the secret is shown again")
	}
	rc.set(func(rc *receiver) { rc.secrets = []string{secret} })

	// A person added, given a license by erik, then disabled: user.created,
	// license.assigned, user.disabled and license.unassigned, in order.
	status, u := s.api("POST", "/api/v1/admin/users", astrid, map[string]any{"name": "Ines Holm", "email": "ines.holm@nordvik.example"})
	if status != 201 {
		t.Fatalf("add user: %d %v", status, u)
	}
	userID := u["id"].(string)
	_, subs := s.api("GET", "/api/v1/subscriptions", erik, nil)
	var subID string
	for _, x := range subs["data"].([]any) {
		sub := x.(map[string]any)
		if sub["status"] == "active" && sub["channel"] == "self_service" && sub["available"].(float64) > 0 {
			subID = sub["id"].(string)
			break
		}
	}
	if subID == "" {
		t.Fatalf("erik has no subscription with a free license: %v", subs)
	}
	if status, out := s.api("POST", "/api/v1/subscriptions/"+subID+"/licenses", erik, map[string]any{"user_ids": []string{userID}}); status != 200 && status != 201 {
		t.Fatalf("assign: %d %v", status, out)
	}
	if status, out := s.api("PATCH", "/api/v1/admin/users/"+userID, astrid, map[string]any{"status": "disabled"}); status != 200 {
		t.Fatalf("disable: %d %v", status, out)
	}
	want := []string{kassa.EventUserCreated, kassa.EventLicenseAssigned, kassa.EventLicenseUnassigned, kassa.EventUserDisabled}
	s.deliver("events", func() bool { return len(rc.deliveries()) >= len(want) })
	got := rc.deliveries()
	var types []string
	ids := map[string]bool{}
	for _, d := range got {
		types = append(types, d.typ)
		if ids[d.id] {
			t.Errorf("webhook-id %s came twice", d.id)
		}
		ids[d.id] = true
	}
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	for _, d := range got {
		if d.typ == kassa.EventLicenseAssigned && (d.data["user_id"] != userID || d.data["subscription_id"] != subID || d.data["sku_id"] == "") {
			t.Errorf("license.assigned data %v", d.data)
		}
		if d.typ == kassa.EventUserDisabled && d.data["status"] != "disabled" {
			t.Errorf("user.disabled data %v", d.data)
		}
	}

	// Refused with 500, the ping comes again after 5 s with the same id.
	rc.set(func(rc *receiver) { rc.answer = 500 })
	if status, out := s.api("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil); status != 202 {
		t.Fatalf("test: %d %v", status, out)
	}
	s.deliver("ping", func() bool { return countType(rc.deliveries(), "ping") == 1 })
	s.worker.Poll(t.Context())
	s.worker.Wait()
	if n := countType(rc.deliveries(), "ping"); n != 1 {
		t.Fatalf("the ping came again %d times before its 5 s", n-1)
	}
	rc.set(func(rc *receiver) { rc.answer = 0 })
	s.ahead.Store(int64(6 * time.Second))
	s.deliver("ping again", func() bool { return countType(rc.deliveries(), "ping") == 2 })
	pings := slices.DeleteFunc(rc.deliveries(), func(d delivery) bool { return d.typ != "ping" })
	if pings[0].id != pings[1].id || pings[0].status != 500 || pings[1].status != 200 {
		t.Errorf("pings %+v", pings)
	}
	_, log := s.api("GET", "/api/v1/admin/webhooks/"+id+"/deliveries", astrid, nil)
	first := log["data"].([]any)[0].(map[string]any)
	attempts := first["attempts"].([]any)
	if first["id"] != pings[0].id || first["status"] != "delivered" || len(attempts) != 2 ||
		attempts[0].(map[string]any)["status_code"].(float64) != 500 || attempts[1].(map[string]any)["status_code"].(float64) != 200 {
		t.Errorf("the delivery log: %v", first)
	}

	// Sent again on request: the same webhook-id.
	if status, out := s.api("POST", "/api/v1/admin/webhooks/"+id+"/deliveries/"+pings[0].id+"/redeliver", astrid, nil); status != 202 {
		t.Fatalf("redeliver: %d %v", status, out)
	}
	s.deliver("redelivery", func() bool { return countType(rc.deliveries(), "ping") == 3 })
	if d := rc.deliveries(); d[len(d)-1].id != pings[0].id {
		t.Errorf("redelivered as %s, want %s", d[len(d)-1].id, pings[0].id)
	}

	// Rotated: each secret verifies the next delivery on its own.
	status, rotated := s.api("POST", "/api/v1/admin/webhooks/"+id+"/rotate-secret", astrid, nil)
	if status != 200 || rotated["secret"] == secret {
		t.Fatalf("rotate: %d %v", status, rotated)
	}
	rc.set(func(rc *receiver) { rc.secrets = []string{secret, rotated["secret"].(string)} })
	s.api("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil)
	s.deliver("ping after rotation", func() bool { return countType(rc.deliveries(), "ping") == 4 })
	// The overlap ends a day on: from then the new secret alone signs.
	rc.set(func(rc *receiver) { rc.secrets = []string{rotated["secret"].(string)} })

	// A redirect is not followed, and is a failure.
	rc.set(func(rc *receiver) { rc.answer = http.StatusFound })
	s.api("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil)
	s.deliver("redirected ping", func() bool { return countType(rc.deliveries(), "ping") == 5 })
	if n := rc.redirect.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}

	// 410 Gone turns the endpoint off.
	rc.set(func(rc *receiver) { rc.answer = http.StatusGone })
	s.ahead.Store(int64(time.Hour)) // the redirected ping is due again
	s.deliver("endpoint off", func() bool { return s.endpoint(astrid, id)["enabled"] == false })
	if e := s.endpoint(astrid, id); e["disabled_reason"] != kassa.EndpointGone {
		t.Errorf("turned off for %v", e["disabled_reason"])
	}

	// Five days of failures turn it off and tell the admins.
	rc.set(func(rc *receiver) { rc.answer = 503 })
	if status, out := s.api("PATCH", "/api/v1/admin/webhooks/"+id, astrid, map[string]any{"enabled": true}); status != 200 || out["disabled_reason"] != "" {
		t.Fatalf("turn on: %d %v", status, out)
	}
	s.ahead.Store(int64(2 * time.Hour))
	s.api("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil)
	s.deliver("failing", func() bool { return s.endpoint(astrid, id)["failing_since"] != nil })
	s.ahead.Store(int64(5*24*time.Hour + 3*time.Hour))
	s.api("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil)
	s.deliver("endpoint off after five days", func() bool { return s.endpoint(astrid, id)["enabled"] == false })
	if e := s.endpoint(astrid, id); e["disabled_reason"] != kassa.EndpointFailing {
		t.Errorf("turned off for %v", e["disabled_reason"])
	}
	tenant := tenantOf(t, s.db, "nordvik.example")
	out, err := s.db.FindOutbox(t.Context(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, n := range out {
		if n.Kind == kassa.NotifyWebhookDisabled && n.Data.URL == rc.srv.URL+"/hooks" && n.Data.Reason == kassa.EndpointFailing {
			told++
		}
	}
	if told == 0 {
		t.Error("no admin was told")
	}
}

func tenantOf(t *testing.T, db *sqldb.DB, domain string) string {
	t.Helper()
	tenant, err := db.FindTenantByDomain(t.Context(), domain)
	if err != nil {
		t.Fatal(err)
	}
	return tenant.ID
}

// TestSlowEndpointDelaysNoOther: one endpoint holds every request; the
// other still gets its deliveries at once.
func TestSlowEndpointDelaysNoOther(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	slow, fast := newReceiver(t, s), newReceiver(t, s)
	release := make(chan struct{})
	slow.set(func(rc *receiver) { rc.slow = release })
	astrid := s.login("astrid@nordvik.example")
	var ids []string
	for _, rc := range []*receiver{slow, fast} {
		status, ep := s.api("POST", "/api/v1/admin/webhooks", astrid, map[string]any{"url": rc.srv.URL, "events": []string{kassa.EventUserCreated}})
		if status != 201 {
			t.Fatalf("create: %d %v", status, ep)
		}
		ids = append(ids, ep["id"].(string))
		rc.set(func(rc *receiver) { rc.secrets = []string{ep["secret"].(string)} })
	}
	for i := range 3 {
		s.api("POST", "/api/v1/admin/users", astrid, map[string]any{"name": "New Hire", "email": "hire" + string(rune('a'+i)) + "@nordvik.example"})
	}
	ctx := t.Context()
	go s.worker.Run(ctx)
	deadline := time.Now().Add(time.Minute)
	for len(fast.deliveries()) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the fast endpoint waited for the slow one")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(slow.deliveries()); n > 3 {
		t.Errorf("the slow endpoint got %d", n)
	}
	close(release)
	for len(slow.deliveries()) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the slow endpoint got nothing after it answered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = ids
}

// TestPrivateAddressesRefused: without KASSA_WEBHOOK_ALLOW_PRIVATE an
// endpoint must be https on a public host, and a name that leads to a
// loopback address is refused when dialled.
func TestPrivateAddressesRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	astrid := s.login("astrid@nordvik.example")
	for _, u := range []string{
		"http://hooks.example.com/kassa", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://[::1]/x",
		"https://169.254.169.254/latest", "https://localhost/x", "https://[::ffff:192.168.0.1]/x", "ftp://hooks.example.com",
		"https://user:pw@hooks.example.com/", "not a url",
	} {
		status, out := s.api("POST", "/api/v1/admin/webhooks", astrid, map[string]any{"url": u, "events": []string{"*"}})
		if status != 422 || !strings.Contains(jsonString(out), `"url"`) {
			t.Errorf("%s: %d %v", u, status, out)
		}
	}
	if status, out := s.api("POST", "/api/v1/admin/webhooks", astrid, map[string]any{"url": "https://hooks.example.com/kassa", "events": []string{"invoice.voided"}}); status != 422 || !strings.Contains(jsonString(out), `"events"`) {
		t.Errorf("unknown event: %d %v", status, out)
	}
	_, list := s.api("GET", "/api/v1/admin/webhooks", astrid, nil)
	if n := len(list["data"].([]any)); n != 0 {
		t.Errorf("%d endpoints were saved", n)
	}

	// Saved while private addresses were allowed, the endpoint's name now
	// leads to 127.0.0.1: the dial is refused, and nothing reaches it.
	rc := newReceiver(t, s)
	u, _ := url.Parse(rc.srv.URL)
	e := &kassa.WebhookEndpoint{ID: "whe_x", URL: "http://localhost:" + u.Port() + "/", Secret: "whsec_" + strings.Repeat("A", 43) + "="}
	client := webhook.NewClient(false)
	req, _ := http.NewRequest("POST", e.URL, strings.NewReader("{}"))
	_, err := client.Do(req)
	if err == nil || !strings.Contains(err.Error(), webhook.ErrPrivateAddress.Error()) {
		t.Errorf("dial localhost: %v", err)
	}
	if n := len(rc.deliveries()); n != 0 {
		t.Errorf("the receiver got %d", n)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestOldDeliveriesPruned: the worker keeps an endpoint's finished
// deliveries for Retention and then deletes them, attempts and all, when it
// runs; a delivery still waiting for its endpoint stays whatever its age.
func TestOldDeliveriesPruned(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	ok, down := newReceiver(t, s), newReceiver(t, s)
	down.set(func(rc *receiver) { rc.answer = 503 })
	astrid := s.login("astrid@nordvik.example")
	endpoint := func(rc *receiver) string {
		status, ep := s.api("POST", "/api/v1/admin/webhooks", astrid, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"*"}})
		if status != 201 {
			t.Fatalf("create endpoint: %d %v", status, ep)
		}
		secret := ep["secret"].(string)
		rc.set(func(rc *receiver) { rc.secrets = []string{secret} })
		if status, out := s.api("POST", "/api/v1/admin/webhooks/"+ep["id"].(string)+"/test", astrid, nil); status != 202 {
			t.Fatalf("test: %d %v", status, out)
		}
		return ep["id"].(string)
	}
	delivered, waiting := endpoint(ok), endpoint(down)
	s.deliver("pings", func() bool { return len(ok.deliveries()) == 1 && len(down.deliveries()) == 1 })
	logOf := func(id string) []any {
		t.Helper()
		status, log := s.api("GET", "/api/v1/admin/webhooks/"+id+"/deliveries", astrid, nil)
		if status != 200 {
			t.Fatalf("deliveries of %s: %d %v", id, status, log)
		}
		return log["data"].([]any)
	}

	// A day short of Retention, both stay.
	s.ahead.Store(int64(webhook.Retention - 24*time.Hour))
	s.worker.Prune(t.Context())
	if n, m := len(logOf(delivered)), len(logOf(waiting)); n != 1 || m != 1 {
		t.Fatalf("before Retention: %d and %d deliveries logged, want 1 and 1", n, m)
	}

	// Past it, the worker deletes the delivered one as it starts; the one
	// that waits (its retries are still to come) stays.
	s.ahead.Store(int64(webhook.Retention + time.Hour))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.worker.Run(ctx); close(done) }()
	deadline := time.Now().Add(time.Minute)
	for len(logOf(delivered)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivered ping was not pruned within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if log := logOf(waiting); len(log) != 1 || log[0].(map[string]any)["status"] != "pending" {
		t.Errorf("the waiting delivery: %v, want it kept, pending", log)
	}
	// The pruned delivery's attempts went with it.
	var orphans int
	if err := sqldbtest.Raw(t, s.dsn).QueryRow(`SELECT COUNT(*) FROM webhook_attempts a
		WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = a.delivery_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d attempts left without their delivery", orphans)
	}
}
