package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/notify"
	"github.com/kassa-billing/kassa/notify/smtptest"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var _ notify.Store = (*sqldb.DB)(nil)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// nordvik creates a Swedish tenant with one admin, Åsa, in db.
func nordvik(t *testing.T, db *sqldb.DB) (tenantID, adminID string) {
	t.Helper()
	tenant := &kassa.Tenant{Name: "Nordvik", Country: "SE", Currency: "SEK", Locale: "sv"}
	if err := db.CreateTenant(t.Context(), tenant); err != nil {
		t.Fatal(err)
	}
	asa := &kassa.User{Name: "Åsa Öberg", Email: "asa@nordvik.example", Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleAdmin}
	if err := db.CreateUser(t.Context(), tenant.ID, asa, "hash"); err != nil {
		t.Fatal(err)
	}
	return tenant.ID, asa.ID
}

// enqueue writes n purchase notifications to the admin into the outbox.
func enqueue(t *testing.T, db *sqldb.DB, tenantID, adminID string, n int) []*kassa.Notification {
	t.Helper()
	var out []*kassa.Notification
	for i := range n {
		d := meetings()
		d.Quantity = i + 1
		ntf := &kassa.Notification{TenantID: tenantID, Kind: kassa.NotifyPurchase, RecipientID: adminID,
			To: "asa@nordvik.example", Locale: "sv", Data: d}
		if err := db.Enqueue(t.Context(), ntf); err != nil {
			t.Fatal(err)
		}
		out = append(out, ntf)
	}
	return out
}

// outbox returns the tenant's one notification.
func outbox(t *testing.T, db *sqldb.DB, tenantID string) sqldb.OutboxEntry {
	t.Helper()
	entries, err := db.FindOutbox(t.Context(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("outbox has %d entries, want 1", len(entries))
	}
	return entries[0]
}

// runOnce runs w once and checks what it did.
func runOnce(t *testing.T, w *notify.Worker, wantSent, wantFailed int) {
	t.Helper()
	sent, failed, err := w.RunOnce(t.Context())
	if err != nil || sent != wantSent || failed != wantFailed {
		t.Fatalf("RunOnce() = %d sent, %d failed, %v; want %d, %d, nil", sent, failed, err, wantSent, wantFailed)
	}
}

func set(t *testing.T, clock *kassa.TestClock, at time.Time) {
	t.Helper()
	if err := clock.Set(at); err != nil {
		t.Fatal(err)
	}
}

func TestWorkerDelivers(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	db := sqldbtest.MustOpenDB(t, clock)
	tenantID, adminID := nordvik(t, db)
	ntf := enqueue(t, db, tenantID, adminID, 1)[0]
	srv := smtptest.Start(t)
	w := &notify.Worker{Store: db, Sender: newSender(t, srv, "smtp", clock)}

	runOnce(t, w, 1, 0)
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server has %d messages, want 1", len(msgs))
	}
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "asa@nordvik.example" {
		t.Errorf("RCPT TO = %q, want asa@nordvik.example", msgs[0].To)
	}
	r := read(t, msgs[0])
	want := notify.Render(ntf)
	if got := r.subject(t); got != "Åsa Öberg köpte Kassa Möten" || got != want.Subject {
		t.Errorf("Subject = %q, want %q", got, want.Subject)
	}
	if r.body != want.Body {
		t.Errorf("body = %q, want %q", r.body, want.Body)
	}
	if got, want := r.header.Get("Message-Id"), "<"+ntf.ID+"@kassa>"; got != want || !strings.HasPrefix(got, "<ntf_") {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if got := r.header.Get("To"); got != "<asa@nordvik.example>" {
		t.Errorf("To = %q, want <asa@nordvik.example>", got)
	}

	e := outbox(t, db, tenantID)
	if e.SentAt == nil || !e.SentAt.Equal(t0) || e.Attempts != 1 || e.LastError != "" {
		t.Errorf("outbox entry = sent %v, %d attempts, error %q; want sent at %v, 1 attempt, no error",
			e.SentAt, e.Attempts, e.LastError, t0)
	}
	set(t, clock, t0.Add(24*time.Hour))
	runOnce(t, w, 0, 0)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages after another run, want 1", n)
	}
}

func TestWorkerRetries(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	db := sqldbtest.MustOpenDB(t, clock)
	tenantID, adminID := nordvik(t, db)
	enqueue(t, db, tenantID, adminID, 1)
	srv := smtptest.Start(t)
	srv.FailNext(2)
	var logs bytes.Buffer
	w := &notify.Worker{Store: db, Sender: newSender(t, srv, "smtp", clock), Log: slog.New(slog.NewTextHandler(&logs, nil))}

	runOnce(t, w, 0, 1)
	e := outbox(t, db, tenantID)
	if e.SentAt != nil || e.Attempts != 1 || !strings.Contains(e.LastError, "try again later") {
		t.Errorf("after a failure: sent %v, %d attempts, error %q; want unsent, 1 attempt, the server's reply", e.SentAt, e.Attempts, e.LastError)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "try again later") {
		t.Errorf("log = %q, want a warning with the error", logs.String())
	}
	if strings.Contains(logs.String(), "asa@") || strings.Contains(logs.String(), "Kassa Möten") {
		t.Errorf("log = %q, want the error without the message", logs.String())
	}

	// The first retry waits 30 s, the second 60 s.
	first := t0.Add(kassa.NotifyBackoff(1))
	second := first.Add(kassa.NotifyBackoff(2))
	if kassa.NotifyBackoff(1) != 30*time.Second || kassa.NotifyBackoff(2) != time.Minute {
		t.Fatalf("NotifyBackoff(1), (2) = %v, %v; want 30s, 1m", kassa.NotifyBackoff(1), kassa.NotifyBackoff(2))
	}
	set(t, clock, first.Add(-time.Second))
	runOnce(t, w, 0, 0)
	set(t, clock, first)
	runOnce(t, w, 0, 1)
	if e := outbox(t, db, tenantID); e.Attempts != 2 || e.SentAt != nil {
		t.Errorf("after the second failure: %d attempts, sent %v; want 2, unsent", e.Attempts, e.SentAt)
	}
	set(t, clock, second.Add(-time.Second))
	runOnce(t, w, 0, 0)
	set(t, clock, second)
	runOnce(t, w, 1, 0)

	e = outbox(t, db, tenantID)
	if e.SentAt == nil || !e.SentAt.Equal(second) || e.Attempts != 3 || e.LastError != "" {
		t.Errorf("after delivery: sent %v, %d attempts, error %q; want sent at %v, 3 attempts, no error",
			e.SentAt, e.Attempts, e.LastError, second)
	}
	set(t, clock, second.Add(2*time.Hour))
	runOnce(t, w, 0, 0)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want exactly 1", n)
	}
}

// crash is a sender that stops its goroutine mid-delivery, as a process that
// dies does: nothing after it runs, nothing is marked.
type crash struct{ called atomic.Bool }

func (c *crash) Send(context.Context, notify.Message) error {
	c.called.Store(true)
	runtime.Goexit()
	return nil
}

func TestWorkerRedeliversAfterCrash(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	dsn := sqldbtest.DSN(t)
	db1, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := db1.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	tenantID, adminID := nordvik(t, db1)
	enqueue(t, db1, tenantID, adminID, 1)

	crashed := &crash{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&notify.Worker{Store: db1, Sender: crashed}).RunOnce(t.Context())
	}()
	<-done
	if !crashed.called.Load() {
		t.Fatal("the crashing worker never tried to send")
	}
	db1.Close()

	db2, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	srv := smtptest.Start(t)
	w := &notify.Worker{Store: db2, Sender: newSender(t, srv, "smtp", clock)}
	runOnce(t, w, 0, 0)
	set(t, clock, t0.Add(notify.DefaultLease-time.Second))
	runOnce(t, w, 0, 0)
	set(t, clock, t0.Add(notify.DefaultLease))
	runOnce(t, w, 1, 0)
	set(t, clock, t0.Add(time.Hour))
	runOnce(t, w, 0, 0)

	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want exactly 1", n)
	}
	if e := outbox(t, db2, tenantID); e.SentAt == nil || e.Attempts != 2 {
		t.Errorf("outbox entry = sent %v, %d attempts; want sent, 2 attempts (the crashed one and this)", e.SentAt, e.Attempts)
	}
}

func TestWorkersDeliverEachOnce(t *testing.T) {
	const n = 50
	clock := kassa.NewTestClock(t0)
	dsn := sqldbtest.DSN(t)
	var dbs []*sqldb.DB
	for range 2 {
		db, err := sqldb.Open(t.Context(), dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if err := dbs[0].Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	tenantID, adminID := nordvik(t, dbs[0])
	want := map[string]bool{}
	for _, ntf := range enqueue(t, dbs[0], tenantID, adminID, n) {
		want["<"+ntf.ID+"@kassa>"] = true
	}
	srv := smtptest.Start(t)

	// Both workers claim from the same batch of due notifications at once;
	// the loser of a claim gets nothing that round and tries again.
	var wg sync.WaitGroup
	var sent [2]int
	var total atomic.Int32
	start := make(chan struct{})
	deadline := time.Now().Add(30 * time.Second)
	for i, db := range dbs {
		w := &notify.Worker{Store: db, Sender: newSender(t, srv, "smtp", clock), Batch: 4}
		wg.Go(func() {
			<-start
			for total.Load() < n && time.Now().Before(deadline) {
				s, f, err := w.RunOnce(t.Context())
				if err != nil || f != 0 {
					t.Errorf("worker %d: RunOnce() = %d sent, %d failed, %v", i, s, f, err)
					return
				}
				sent[i] += s
				total.Add(int32(s))
			}
		})
	}
	close(start)
	wg.Wait()

	msgs := srv.Messages()
	got := map[string]int{}
	for _, m := range msgs {
		got[read(t, m).header.Get("Message-Id")]++
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, got[id])
		}
	}
	if len(msgs) != n || sent[0]+sent[1] != n {
		t.Errorf("server has %d messages, workers sent %d + %d; want %d", len(msgs), sent[0], sent[1], n)
	}
	entries, err := dbs[1].FindOutbox(t.Context(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.SentAt == nil || e.Attempts != 1 {
			t.Errorf("outbox %s: sent %v, %d attempts; want sent on the one attempt", e.ID, e.SentAt, e.Attempts)
		}
	}
	t.Logf("worker 0 sent %d, worker 1 sent %d", sent[0], sent[1])
}

func TestWorkerRun(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	db := sqldbtest.MustOpenDB(t, clock)
	tenantID, adminID := nordvik(t, db)
	srv := smtptest.Start(t)
	// Batch 2 of 5 also checks that a full batch is followed at once.
	w := &notify.Worker{Store: db, Sender: newSender(t, srv, "smtp", clock), Batch: 2}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(ctx, 20*time.Millisecond)
	}()
	enqueue(t, db, tenantID, adminID, 5)
	deadline := time.Now().Add(time.Minute) // a ceiling for a hang
	for len(srv.Messages()) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
	if n := len(srv.Messages()); n != 5 {
		t.Errorf("server has %d messages, want 5", n)
	}
}

// TestWorkerShutdown ends the context during a delivery to a server that does
// not answer: the notification is not lost, and is due again at once.
func TestWorkerShutdown(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	db := sqldbtest.MustOpenDB(t, clock)
	tenantID, adminID := nordvik(t, db)
	enqueue(t, db, tenantID, adminID, 1)
	hung, err := notify.NewSMTPSender(fmt.Sprintf("smtp://%s?from=kassa@example.com", hungServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	started := &startedSender{Sender: hung, started: make(chan struct{})}
	w := &notify.Worker{Store: db, Sender: started, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started.started // the delivery is under way, waiting for the server
		cancel()
	}()
	if sent, failed, err := w.RunOnce(ctx); sent != 0 || failed != 1 || err != nil {
		t.Fatalf("RunOnce() canceled = %d sent, %d failed, %v; want 0, 1, nil", sent, failed, err)
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("log = %q, want no warning for a shutdown", logs.String())
	}

	srv := smtptest.Start(t)
	w.Sender = newSender(t, srv, "smtp", clock)
	runOnce(t, w, 1, 0) // the clock has not moved
	if e := outbox(t, db, tenantID); e.SentAt == nil || e.Attempts != 2 {
		t.Errorf("outbox entry = sent %v, %d attempts; want sent on the second attempt", e.SentAt, e.Attempts)
	}
}

// startedSender tells, by closing started, that a delivery has begun, then
// delivers through Sender.
type startedSender struct {
	notify.Sender
	started chan struct{}
	once    sync.Once
}

func (s *startedSender) Send(ctx context.Context, m notify.Message) error {
	s.once.Do(func() { close(s.started) })
	return s.Sender.Send(ctx, m)
}

// TestInvitationCarriesALinkMadeAsItIsSent: an invitation's outbox entry
// holds no link; the worker makes one as it sends, from its base URL, and
// that link works (once) for the person invited.
func TestInvitationCarriesALinkMadeAsItIsSent(t *testing.T) {
	clock := kassa.NewTestClock(t0)
	db := sqldbtest.MustOpenDB(t, clock)
	tenantID, adminID := nordvik(t, db)
	admin, err := db.FindCredentials(t.Context(), "asa@nordvik.example")
	if err != nil || admin.User.ID != adminID {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: admin.User, Tenant: admin.Tenant})
	nora := &kassa.User{Name: "Nora Nyberg", Email: "nora@nordvik.example", Type: kassa.Member, Role: kassa.RoleUser}
	if err := db.AddPerson(ctx, nora); err != nil {
		t.Fatal(err)
	}
	var invitation sqldb.OutboxEntry
	entries, _ := db.FindOutbox(t.Context(), tenantID)
	for _, e := range entries {
		if e.Kind == kassa.NotifyInvitation {
			invitation = e
		}
	}
	if invitation.To != "nora@nordvik.example" || invitation.Data.Link != "" {
		t.Fatalf("the invitation in the outbox: %+v", invitation)
	}
	links, err := auth.New(db, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	w := &notify.Worker{Store: db, Sender: newSender(t, srv, "smtp", clock), Links: links,
		BaseURL: "https://kassa.nordvik.example"}
	runOnce(t, w, 1, 0)
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent", len(msgs))
	}
	m := read(t, msgs[0])
	token := regexp.MustCompile(`https://kassa\.nordvik\.example/invitation/([A-Za-z0-9_-]{43})`).FindStringSubmatch(m.body)
	if token == nil || !strings.Contains(m.header.Get("Subject"), "Nordvik") || !strings.Contains(m.body, "Åsa Öberg") {
		t.Fatalf("the invitation says:\n%s\n%s", m.header.Get("Subject"), m.body)
	}
	u, _, err := links.LinkUser(t.Context(), token[1], sqldb.TokenInvitation)
	if err != nil || u.ID != nora.ID {
		t.Errorf("the mailed link is for %v (%v), want Nora", u, err)
	}
}
