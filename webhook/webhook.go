// Package webhook sends a tenant's events to its webhook endpoints (SPEC
// §9) in the Standard Webhooks format: each delivery is a POST of
// {"type","timestamp","data"} with the headers webhook-id (the same on
// every attempt of a delivery), webhook-timestamp and webhook-signature
// ("v1," and the base64 HMAC-SHA256 of "id.timestamp.body", once for each
// secret that signs: two during a rotation).
//
// The deliveries are written by storage in the transaction of the change
// they tell of; the Worker claims them for a lease, sends them and records
// the outcome, so a delivery may go out twice (a worker dying between the
// send and the record) but is never lost. Each endpoint is served by a
// goroutine of its own, so a slow or dead one never delays another's
// deliveries. Failed deliveries are retried on kassa.WebhookSchedule with
// jitter; a 410 Gone turns the endpoint off, and so do five days of
// failures, telling the admins. Deliveries run on real time, also under a
// test clock: receivers check webhook-timestamp against their own clocks.
//
// The Client dials only public addresses (kassa.PublicAddr), checked on
// the address actually dialled, so a name that resolves to a private
// address, or changes to one after the URL was saved, is refused; redirects
// are not followed, and an attempt has 15 seconds.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/telemetry"
)

// Timeout bounds one attempt, from dialling to the end of the answer.
const Timeout = 15 * time.Second

// ErrPrivateAddress is why a dial to a loopback, private or link-local
// address is refused.
var ErrPrivateAddress = errors.New("the address is not a public one")

// NewClient returns the HTTP client deliveries are sent with: a 15-second
// timeout, no redirects followed, no proxy, and, unless allowPrivate, no
// connection to an address that is not public (checked on each address
// dialled, after name resolution).
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !kassa.PublicAddr(ap.Addr()) {
				return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			ForceAttemptHTTP2:   true,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: Parallel,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Sign returns the webhook-signature header of a delivery: one "v1,…" per
// secret, separated by spaces.
func Sign(secrets []string, id string, at time.Time, body []byte) (string, error) {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return "", fmt.Errorf("webhook secret: %w", err)
		}
		if sigs[i], err = wh.Sign(id, at, body); err != nil {
			return "", err
		}
	}
	return strings.Join(sigs, " "), nil
}

// Store is storage as the Worker uses it; *sqldb.DB is one.
type Store interface {
	DueWebhookEndpoints(ctx context.Context, now time.Time, limit int) ([]string, error)
	ClaimWebhookDeliveries(ctx context.Context, endpointID string, now time.Time, limit int, lease time.Duration) ([]*kassa.WebhookDelivery, error)
	RecordWebhookAttempts(ctx context.Context, endpointID string, results []sqldb.WebhookResult) (bool, error)
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// The Worker's defaults.
const (
	// Parallel is how many of one endpoint's deliveries are under way at
	// once.
	Parallel = 8
	// Batch is the most deliveries of one endpoint claimed at once.
	Batch = 4 * Parallel
	// Lease is how long claimed deliveries are one worker's alone: enough
	// for a batch sent Parallel at a time, each taking Timeout.
	Lease = time.Duration(Batch/Parallel+1) * Timeout
	// Interval is how often the Worker looks for due deliveries.
	Interval = 100 * time.Millisecond
	// MaxEndpoints is the most endpoints served at once by one worker.
	MaxEndpoints = 256
	// Retention is how long a finished delivery stays in its endpoint's
	// log (GET …/deliveries), as Stripe keeps its events 30 days: then it
	// goes, with its attempts, so the log does not grow without end.
	Retention = 30 * 24 * time.Hour
	// PruneEvery is how often the Worker deletes what is past Retention.
	PruneEvery = time.Hour
)

// recordTimeout bounds recording outcomes, which goes on after ctx ends: a
// delivery made during shutdown is still marked delivered.
const recordTimeout = 10 * time.Second

// Worker sends deliveries. Any number of workers, in one process or
// several, may run on one database.
type Worker struct {
	Store  Store
	Client *http.Client                                       // nil: NewClient(false)
	Log    *slog.Logger                                       // nil: slog's default
	Now    func() time.Time                                   // real time; nil: time.Now
	Sent   func(*kassa.WebhookDelivery, kassa.WebhookAttempt) // if set, told of every attempt (benchmarks)
	// Metrics counts the attempts (nil: not counted).
	Metrics *telemetry.Metrics

	mu      sync.Mutex
	serving map[string]bool // endpoints with a goroutine
	wg      sync.WaitGroup
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Run sends deliveries until ctx ends, then waits for the attempts under
// way.
func (w *Worker) Run(ctx context.Context) {
	var pruning sync.WaitGroup
	defer pruning.Wait()
	pruning.Go(func() { // beside the sends: a long first prune delays none
		t := time.NewTicker(PruneEvery)
		defer t.Stop()
		for {
			w.Prune(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		w.Poll(ctx)
		select {
		case <-ctx.Done():
			w.wg.Wait()
			return
		case <-t.C:
		}
	}
}

// Prune deletes the finished deliveries older than Retention (Run does it
// when it starts and every PruneEvery, beside the sends). Workers in other
// processes may prune at the same time: each deletes what is still there.
func (w *Worker) Prune(ctx context.Context) {
	n, err := w.Store.PruneWebhookDeliveries(ctx, w.now().Add(-Retention))
	if err != nil {
		if ctx.Err() == nil {
			w.log().Error("prune webhook deliveries", "err", err)
		}
		return
	}
	if n > 0 {
		w.log().Info("pruned webhook deliveries", "deliveries", n, "older_than", Retention.String())
	}
}

// Poll starts a goroutine for each endpoint with due deliveries that has
// none yet; each sends until its endpoint has nothing due.
func (w *Worker) Poll(ctx context.Context) {
	ids, err := w.Store.DueWebhookEndpoints(ctx, w.now(), MaxEndpoints)
	if err != nil {
		if ctx.Err() == nil {
			w.log().Error("find due webhook deliveries", "err", err)
		}
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.serving == nil {
		w.serving = map[string]bool{}
	}
	for _, id := range ids {
		if w.serving[id] {
			continue
		}
		w.serving[id] = true
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() {
				w.mu.Lock()
				delete(w.serving, id)
				w.mu.Unlock()
			}()
			for ctx.Err() == nil {
				n, err := w.SendDue(ctx, id)
				if err != nil {
					if ctx.Err() == nil {
						w.log().Error("send webhook deliveries", "endpoint", id, "err", err)
					}
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
}

// Wait waits for the endpoints' goroutines Poll started.
func (w *Worker) Wait() { w.wg.Wait() }

// SendDue claims a batch of an endpoint's due deliveries, sends them,
// Parallel at a time, and records the outcomes in one write. It returns how
// many it sent.
func (w *Worker) SendDue(ctx context.Context, endpointID string) (int, error) {
	ds, err := w.Store.ClaimWebhookDeliveries(ctx, endpointID, w.now(), Batch, Lease)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	client := w.Client
	if client == nil {
		client = NewClient(false)
	}
	results := make([]sqldb.WebhookResult, len(ds))
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, d := range ds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = sqldb.WebhookResult{Delivery: d, Attempt: w.observed(ctx, client, d)}
		}()
	}
	wg.Wait()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	disabled, err := w.Store.RecordWebhookAttempts(rctx, endpointID, results)
	if err != nil {
		return 0, err
	}
	if disabled {
		w.log().Warn("webhook endpoint turned off", "endpoint", endpointID, "url", ds[0].Endpoint.URL)
	}
	if w.Sent != nil {
		for _, r := range results {
			w.Sent(r.Delivery, r.Attempt)
		}
	}
	return len(ds), nil
}

// observed is attempt counted in w.Metrics and traced in a span.
func (w *Worker) observed(ctx context.Context, client *http.Client, d *kassa.WebhookDelivery) kassa.WebhookAttempt {
	ctx, span := telemetry.Tracer().Start(ctx, "webhook.deliver", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("kassa.webhook.id", d.ID), attribute.String("kassa.webhook.type", d.Type)))
	defer span.End()
	start := time.Now()
	a := w.attempt(ctx, client, d)
	outcome := telemetry.WebhookDelivered
	switch {
	case a.StatusCode == 0:
		outcome = telemetry.WebhookFailed
		span.SetStatus(codes.Error, a.Error)
	case a.StatusCode < 200 || a.StatusCode > 299:
		outcome = telemetry.WebhookRefused
		span.SetAttributes(attribute.Int("http.response.status_code", a.StatusCode))
	default:
		span.SetAttributes(attribute.Int("http.response.status_code", a.StatusCode))
	}
	w.Metrics.WebhookAttempt(outcome, time.Since(start))
	return a
}

// attempt sends one delivery and says how it went.
func (w *Worker) attempt(ctx context.Context, client *http.Client, d *kassa.WebhookDelivery) kassa.WebhookAttempt {
	start, t0 := w.now(), time.Now()
	a := kassa.WebhookAttempt{At: start.UTC()}
	fail := func(err error) kassa.WebhookAttempt {
		a.Error = err.Error()
		if len(a.Error) > 500 {
			a.Error = a.Error[:500]
		}
		a.DurationMS = time.Since(t0).Milliseconds()
		return a
	}
	body := []byte(d.Payload)
	sig, err := Sign(d.Endpoint.Secrets(start), d.ID, start, body)
	if err != nil {
		return fail(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kassa-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, d.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(start.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := client.Do(req)
	if uerr, ok := errors.AsType[*url.Error](err); ok {
		err = uerr.Err // the log names the endpoint: say only what went wrong
	}
	if err != nil {
		return fail(err)
	}
	// Read a little of the answer, so the connection can be used again.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
	a.StatusCode, a.DurationMS = resp.StatusCode, time.Since(t0).Milliseconds()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		a.Error = "redirects are not followed"
	}
	return a
}
