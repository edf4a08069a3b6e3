// Package telemetry is what an operator watches kassa with (SPEC §11):
// Prometheus metrics, served on a listener of their own
// (KASSA_METRICS_ADDR), and OpenTelemetry traces, sent over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set.
//
// Metrics are a *Metrics that Main makes and hands to the parts that count
// (sqldb, billing, webhook, server); a nil *Metrics counts nothing, so
// tests and commands that do not serve need none. Every name follows
// Prometheus' conventions (kassa_…, _total for counters, base units such
// as _seconds), and every label has few values: routes are the patterns
// the muxes matched ("GET /api/v1/subscriptions/{id}"), never raw paths
// or ids.
//
// The families:
//
//	kassa_http_requests_total{route,method,code}
//	kassa_http_request_duration_seconds{route,method}
//	kassa_db_commit_groups_total{engine}
//	kassa_db_commit_group_size{engine}               writes per group
//	kassa_db_commit_wait_seconds{engine}             a write's wait for its group
//	kassa_db_commit_group_duration_seconds{engine}   a group's transaction
//	kassa_outbox_pending, kassa_outbox_oldest_pending_age_seconds
//	kassa_webhook_deliveries_pending, kassa_webhook_oldest_pending_age_seconds
//	kassa_webhook_attempts_total{outcome}, kassa_webhook_attempt_duration_seconds
//	kassa_billing_runs_total{outcome}, kassa_billing_run_duration_seconds
//	kassa_billing_pieces_due_total, _done_total, _failed_total
//	kassa_gateway_calls_total{operation,outcome}, kassa_gateway_call_duration_seconds{operation}
//	kassa_sessions{kind}                             unexpired sessions
//	go_…, process_…                                  the Go runtime and the process
//
// The backlogs and sessions are read from the database when scraped, so
// they are the database's, shared by every kassa process on it.
package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds kassa's metrics and the registry that serves them.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	commitGroups   *prometheus.CounterVec
	commitSize     *prometheus.HistogramVec
	commitWait     *prometheus.HistogramVec
	commitDuration *prometheus.HistogramVec

	webhookAttempts *prometheus.CounterVec
	webhookDuration prometheus.Histogram

	billingRuns     *prometheus.CounterVec
	billingDuration prometheus.Histogram
	billingDue      prometheus.Counter
	billingDone     prometheus.Counter
	billingFailed   prometheus.Counter

	gatewayCalls    *prometheus.CounterVec
	gatewayDuration *prometheus.HistogramVec
}

// Backlog is what the database says of the work waiting in it.
type Backlog struct {
	OutboxPending    int
	OutboxOldestAge  time.Duration // 0 when none waits
	WebhookPending   int           // of enabled endpoints
	WebhookOldestAge time.Duration
	Sessions         map[string]int // unexpired sessions by kind (web, api)
}

// BacklogReader reads the backlog (sqldb.DB does).
type BacklogReader interface {
	Backlog(ctx context.Context) (Backlog, error)
}

// latency buckets, in seconds: from a read of the cache to a slow gateway.
var latency = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns metrics registered with a registry of their own, beside the
// Go runtime's and the process's collectors and, when backlog is not nil,
// the backlog read from the database at each scrape.
func New(backlog BacklogReader, log *slog.Logger) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kassa_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.", Buckets: latency,
	}, []string{"route", "method"})
	m.commitGroups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_db_commit_groups_total", Help: "Transactions the group committer committed (or tried to).",
	}, []string{"engine"})
	m.commitSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kassa_db_commit_group_size", Help: "Writes committed together in one transaction.", Buckets: []float64{1, 2, 4, 8, 16, 32},
	}, []string{"engine"})
	m.commitWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kassa_db_commit_wait_seconds", Help: "Time a write waited before its group began.", Buckets: latency,
	}, []string{"engine"})
	m.commitDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kassa_db_commit_group_duration_seconds", Help: "Time a group's transaction took, begin to commit.", Buckets: latency,
	}, []string{"engine"})
	m.webhookAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_webhook_attempts_total", Help: "Webhook delivery attempts, by outcome: delivered (2xx), refused (another status) or failed (no answer).",
	}, []string{"outcome"})
	m.webhookDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "kassa_webhook_attempt_duration_seconds", Help: "Time a webhook delivery attempt took.", Buckets: latency,
	})
	m.billingRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_billing_runs_total", Help: "Billing runs (renewals, dunning retries, cancellations at period end), by outcome: ok or error.",
	}, []string{"outcome"})
	m.billingDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "kassa_billing_run_duration_seconds", Help: "Time a billing run took.", Buckets: latency,
	})
	m.billingDue = prometheus.NewCounter(prometheus.CounterOpts{Name: "kassa_billing_pieces_due_total", Help: "Pieces of billing work billing runs found due."})
	m.billingDone = prometheus.NewCounter(prometheus.CounterOpts{Name: "kassa_billing_pieces_done_total", Help: "Pieces of billing work billing runs finished."})
	m.billingFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "kassa_billing_pieces_failed_total", Help: "Pieces of billing work that failed (to be run again)."})
	m.gatewayCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kassa_gateway_calls_total", Help: "Calls to the payment gateway, by operation and outcome (ok, declined, requires_action, error).",
	}, []string{"operation", "outcome"})
	m.gatewayDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kassa_gateway_call_duration_seconds", Help: "Time a call to the payment gateway took, by operation.", Buckets: latency,
	}, []string{"operation"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.commitGroups, m.commitSize, m.commitWait, m.commitDuration,
		m.webhookAttempts, m.webhookDuration, m.billingRuns, m.billingDuration, m.billingDue, m.billingDone, m.billingFailed,
		m.gatewayCalls, m.gatewayDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if backlog != nil {
		m.reg.MustRegister(&backlogCollector{read: backlog, log: log})
	}
	return m
}

// Handler serves the metrics in Prometheus' text format (or OpenMetrics,
// when asked for).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Request counts an HTTP request answered.
func (m *Metrics) Request(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	method = methodLabel(method)
	m.httpRequests.WithLabelValues(route, method, statusLabel(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// CommitGroup counts a group the committer ran: its writes' waits, its
// size and its duration.
func (m *Metrics) CommitGroup(engine string, waits []time.Duration, d time.Duration) {
	if m == nil {
		return
	}
	m.commitGroups.WithLabelValues(engine).Inc()
	m.commitSize.WithLabelValues(engine).Observe(float64(len(waits)))
	wait := m.commitWait.WithLabelValues(engine)
	for _, w := range waits {
		wait.Observe(w.Seconds())
	}
	m.commitDuration.WithLabelValues(engine).Observe(d.Seconds())
}

// The outcomes of a webhook attempt.
const (
	WebhookDelivered = "delivered" // a 2xx answer
	WebhookRefused   = "refused"   // any other status
	WebhookFailed    = "failed"    // no answer: refused connection, timeout, a private address
)

// WebhookAttempt counts a webhook delivery attempt.
func (m *Metrics) WebhookAttempt(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.webhookAttempts.WithLabelValues(outcome).Inc()
	m.webhookDuration.Observe(d.Seconds())
}

// BillingRun counts a billing run: how many pieces it found due, how many
// it finished, how many failed, and whether it ended in an error.
func (m *Metrics) BillingRun(due, done, failed int, err error, d time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.billingRuns.WithLabelValues(outcome).Inc()
	m.billingDuration.Observe(d.Seconds())
	m.billingDue.Add(float64(due))
	m.billingDone.Add(float64(done))
	m.billingFailed.Add(float64(failed))
}

// GatewayCall counts a call to the payment gateway.
func (m *Metrics) GatewayCall(operation, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.gatewayCalls.WithLabelValues(operation, outcome).Inc()
	m.gatewayDuration.WithLabelValues(operation).Observe(d.Seconds())
}

// methodLabel keeps the method label's values few: a method HTTP does not
// define counts as "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusLabel is a status code's label; codes are three digits, so there
// are few of them.
func statusLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}

// backlogCollector reads the backlog from the database at each scrape.
type backlogCollector struct {
	read BacklogReader
	log  *slog.Logger
}

var (
	outboxPendingDesc = prometheus.NewDesc("kassa_outbox_pending", "Notifications waiting to be sent.", nil, nil)
	outboxOldestDesc  = prometheus.NewDesc("kassa_outbox_oldest_pending_age_seconds",
		"Age of the oldest notification waiting to be sent (0 when none waits).", nil, nil)
	webhookPendingDesc = prometheus.NewDesc("kassa_webhook_deliveries_pending", "Webhook deliveries waiting to be delivered, of enabled endpoints.", nil, nil)
	webhookOldestDesc  = prometheus.NewDesc("kassa_webhook_oldest_pending_age_seconds",
		"Age of the oldest webhook delivery waiting (0 when none waits).", nil, nil)
	sessionsDesc = prometheus.NewDesc("kassa_sessions", "Unexpired sessions, by kind: web (signed in in a browser) or api (an API token).", []string{"kind"}, nil)
)

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxPendingDesc, outboxOldestDesc, webhookPendingDesc, webhookOldestDesc, sessionsDesc} {
		ch <- d
	}
}

// Collect reads the backlog; when the database does not answer in time,
// the scrape goes on without these metrics (and the log says why).
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := c.read.Backlog(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Error("read the backlog for metrics", "err", err)
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(b.OutboxPending))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, max(0, b.OutboxOldestAge.Seconds()))
	ch <- prometheus.MustNewConstMetric(webhookPendingDesc, prometheus.GaugeValue, float64(b.WebhookPending))
	ch <- prometheus.MustNewConstMetric(webhookOldestDesc, prometheus.GaugeValue, max(0, b.WebhookOldestAge.Seconds()))
	for _, kind := range []string{"web", "api"} {
		ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(b.Sessions[kind]), kind)
	}
}
