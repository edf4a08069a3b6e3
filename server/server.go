// Package server puts kassa's HTTP parts together: the JSON API under /api/,
// the pages everywhere else, /healthz, and what wraps them all: cross-origin
// (CSRF) protection for every state-changing request, request logging and
// recovery from panics.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/api"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/graph"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/scim"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sso"
	"github.com/kassa-billing/kassa/telemetry"
	"github.com/kassa-billing/kassa/web"
)

// Config is what the server needs; Main builds it.
type Config struct {
	DB           *sqldb.DB
	Auth         *auth.Auth
	Billing      *billing.Service
	Licensing    *licensing.Service
	TestClock    *kassa.TestClock // set with --test-clock: POST /api/v1/test-clock moves it
	Log          *slog.Logger
	SupportEmail string            // shown on the Need help? page
	Issuer       invoicepdf.Issuer // the seller named on invoices
	// BaseURL is where people reach kassa (--base-url): links kassa makes
	// start with it. "" makes them from the request's own host.
	BaseURL string
	// SSO signs people in through their organization's identity provider;
	// nil makes one over DB and Auth.
	SSO *sso.Service
	// Gateway is what Billing moves money through, and GatewayName its
	// name ("stripe", "simulator"): its events come in at
	// /webhooks/{GatewayName}, and the simulator's pages are served.
	Gateway     kassa.Gateway
	GatewayName string
	// WebhookAllowPrivate lets webhook endpoints be http:// and private
	// addresses (KASSA_WEBHOOK_ALLOW_PRIVATE=1): for development and tests.
	WebhookAllowPrivate bool
	// Metrics counts the requests (nil: not counted), and Tracing wraps
	// each in a span (telemetry.StartTracing said it is on).
	Metrics *telemetry.Metrics
	Tracing bool
}

// New returns the handler of every route.
func New(cfg Config) http.Handler {
	if cfg.SSO == nil {
		cfg.SSO = sso.New(cfg.DB, cfg.Auth, kassa.SystemClock{})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := cfg.DB.Ping(ctx); err != nil {
			cfg.Log.Error("health check", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/api/", api.New(api.Config{DB: cfg.DB, Auth: cfg.Auth, Billing: cfg.Billing, Licensing: cfg.Licensing, TestClock: cfg.TestClock,
		Issuer: cfg.Issuer, Log: cfg.Log, BaseURL: cfg.BaseURL, SSO: cfg.SSO, WebhookAllowPrivate: cfg.WebhookAllowPrivate}))
	mountGateway(mux, cfg)
	mux.Handle(graph.Prefix+"/", graph.New(graph.Config{DB: cfg.DB, Auth: cfg.Auth, Log: cfg.Log, BaseURL: cfg.BaseURL}))
	mux.Handle(scim.Prefix+"/", scim.New(scim.Config{DB: cfg.DB, Log: cfg.Log, BaseURL: cfg.BaseURL}))
	mux.Handle("/", web.New(web.Config{
		DB: cfg.DB, Auth: cfg.Auth, Billing: cfg.Billing, Log: cfg.Log, SupportEmail: cfg.SupportEmail,
		Issuer: cfg.Issuer, Licensing: cfg.Licensing, BaseURL: cfg.BaseURL, SSO: cfg.SSO,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
	}))

	// Browsers say where a request comes from (Sec-Fetch-Site, Origin);
	// state-changing requests from another origin are refused. Clients
	// that are not browsers send neither header and pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const msg = "Cross-origin requests that change state are refused."
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.WriteError(w, r, kassa.Forbidden, msg)
			return
		}
		http.Error(w, msg, http.StatusForbidden)
	}))
	// Apps sign in at /{directory_id}/oauth2/v2.0/token, where Microsoft's
	// identity libraries look (a pattern for it would clash with /api/).
	token, protected := graph.TokenHandler(cfg.Auth, cfg.Log), cop.Handler(telemetry.Routed(mux))
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if graph.IsTokenPath(r.URL.Path) {
			telemetry.NoteRoute(r.Context(), "POST /{directory_id}/oauth2/v2.0/token")
			token.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
	h := observeRequests(cfg.Log, cfg.Metrics, recoverPanics(cfg.Log, routed))
	if cfg.Tracing {
		h = telemetry.Traced(h)
	}
	return withRequestID(h)
}

// RequestIDHeader names the request's id in requests and answers.
const RequestIDHeader = "X-Request-Id"

// withRequestID gives each request its id (SPEC §11): the client's
// X-Request-Id when it is a sane token (kassa.ValidRequestID), else a new
// one; it is in the request's context (so in its log lines, through
// kassa.LogHandler, and its error bodies) and in the answer's header.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !kassa.ValidRequestID(id) {
			id = kassa.NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(kassa.NewContextWithRequestID(r.Context(), id)))
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observeRequests logs each request's method, path (never its query or
// body, which may hold personal data), status and duration, counts it in m
// by its route (telemetry.Routed notes it), and names its span.
func observeRequests(log *slog.Logger, m *telemetry.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		ctx, route := telemetry.WithRoute(r.Context())
		next.ServeHTTP(rec, r.WithContext(ctx))
		took := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.Request(route(), r.Method, rec.status, took)
		telemetry.NameSpan(ctx, route(), kassa.RequestIDFromContext(ctx))
		log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", took))
	})
}

// recoverPanics answers a panicking handler with 500 and logs the panic, so
// that one bad request does not end the process.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if strings.HasPrefix(r.URL.Path, "/api/") {
					api.WriteError(w, r, kassa.Internal, "Internal error.")
					return
				}
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
