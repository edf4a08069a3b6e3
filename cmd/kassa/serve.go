package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/gateway/stripe"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/notify"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/telemetry"
	"github.com/kassa-billing/kassa/webhook"
)

func (m *Main) serveCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "serve", Short: "Serve the pages and the JSON API", Args: cobra.NoArgs}
	f := cmd.Flags()
	addr := f.String("addr", m.env("KASSA_ADDR", "127.0.0.1:8080"), "address to listen on (env KASSA_ADDR)")
	dsn := m.dbFlag(cmd)
	withDemo := f.Bool("demo", false, "load the demo data into an empty database and print how to sign in")
	testClock := f.Bool("test-clock", false, "run on a clock that only the API moves (for tests)")
	gateway := m.gatewayFlag(cmd)
	support := f.String("support-email", m.env("KASSA_SUPPORT_EMAIL", "support@kassa.example"),
		"support address shown on the Need help? page (env KASSA_SUPPORT_EMAIL)")
	base := m.baseURLFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var clock kassa.Clock = kassa.SystemClock{}
		if *testClock {
			clock = kassa.NewTestClock(time.Now())
		}
		gw, err := m.gateway(*gateway, clock)
		if err != nil {
			return err
		}
		if *base != "" {
			if _, err := m.baseURL(*base, ""); err != nil {
				return err
			}
		}
		return m.serve(cmd.Context(), *addr, *dsn, *withDemo, clock, gw, *gateway, *support, *base)
	}
	return cmd
}

func (m *Main) serve(ctx context.Context, addr, dsn string, withDemo bool, clock kassa.Clock, gw kassa.Gateway, gwName, support, baseURL string) error {
	log := m.logger()
	db, err := openDB(ctx, dsn, clock)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := auth.New(db, clock, log)
	if err != nil {
		return err
	}
	if withDemo {
		loaded, err := demo.Load(ctx, db, gw)
		if err != nil {
			return err
		}
		if err := demo.LoadHistory(ctx, db, gw); err != nil {
			return err
		}
		if err := demo.LoadDirectory(ctx, db, a); err != nil {
			return err
		}
		if err := demo.LoadApps(ctx, db, a); err != nil {
			return err
		}
		if loaded {
			log.Info("loaded the demo data")
		}
	}
	// Metrics are served on a listener of their own, never the main one
	// (SPEC §11); traces go out over OTLP when its endpoint is set.
	metrics := telemetry.New(db, log)
	db.Observe(metrics)
	stopTracing, tracing, err := telemetry.StartTracing(ctx, m.Getenv)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(flushCtx); err != nil {
			log.Error("flush traces", "err", err)
		}
	}()
	if metricsAddr := m.Getenv("KASSA_METRICS_ADDR"); metricsAddr != "" {
		mln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return fmt.Errorf("listen for metrics: %w", err)
		}
		msrv := &http.Server{Handler: metricsMux(metrics), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		log.Info("metrics are served", "addr", "http://"+mln.Addr().String()+"/metrics")
		if m.MetricsReady != nil {
			m.MetricsReady(mln.Addr().String())
		}
	}
	b := billing.New(db, telemetry.Gateway(gw, metrics), clock, log)
	b.Observe(metrics)
	// Webhooks may reach private addresses, and http://, only when the
	// operator says so: for development and tests (SPEC §9).
	allowPrivate := m.Getenv("KASSA_WEBHOOK_ALLOW_PRIVATE") == "1"

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base, err := m.baseURL(baseURL, ln.Addr().String())
	if err != nil {
		return err
	}
	given := "" // without --base-url, links follow the host each request came to
	if baseURL != "" {
		given = base
	}
	srv := &http.Server{
		Handler: server.New(server.Config{
			DB: db, Auth: a, Billing: b, Licensing: licensing.New(db), TestClock: testClockOf(clock), Log: log, SupportEmail: support,
			Issuer:  invoicepdf.Issuer{Name: m.env("KASSA_ISSUER_NAME", "kassa"), Email: support},
			BaseURL: given, Gateway: gw, GatewayName: gwName, WebhookAllowPrivate: allowPrivate,
			Metrics: metrics, Tracing: tracing,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(m.Stdout, "kassa is serving at %s (database: %s)\n", base, db.Dialect())
	if withDemo {
		m.printAccounts(base)
	}
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}

	go every(ctx, 15*time.Minute, log, "sweep sessions", a.Sweep)
	if testClockOf(clock) == nil { // on a test clock, POST /api/v1/test-clock runs the billing
		go every(ctx, time.Minute, log, "run billing", func(ctx context.Context) error {
			n, err := b.RunDue(ctx, clock.Now(), nil)
			if n > 0 {
				log.Info("ran billing", "pieces", n)
			}
			return err
		})
	}
	go every(ctx, 30*time.Second, log, "reconcile pending charges", func(ctx context.Context) error {
		n, err := b.Reconcile(ctx, time.Minute)
		if n > 0 {
			log.Info("finished pending charges", "count", n)
		}
		return err
	})
	sender, err := m.sender(log)
	if err != nil {
		return err
	}
	outbox := &notify.Worker{Store: db, Sender: sender, Log: log, Links: a, BaseURL: base}
	go outbox.Run(ctx, notify.DefaultInterval)
	hooks := &webhook.Worker{Store: db, Client: webhook.NewClient(allowPrivate), Log: log, Metrics: metrics}
	go hooks.Run(ctx)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// metricsMux serves the metrics at /metrics.
func metricsMux(metrics *telemetry.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	return mux
}

// every runs fn now and then every interval until ctx ends, logging its
// errors as what.
func every(ctx context.Context, interval time.Duration, log *slog.Logger, what string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			log.Error(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// gateway returns the payment gateway named by the --gateway flag. The
// simulator keeps its charges in memory, or, when KASSA_SIMULATOR_LEDGER
// names a file, in that file too, so that they outlive the process (and
// several processes share them).
func (m *Main) gateway(name string, clock kassa.Clock) (kassa.Gateway, error) {
	switch name {
	case "simulator":
		path := m.Getenv("KASSA_SIMULATOR_LEDGER")
		if path == "" {
			return simulator.New(clock), nil
		}
		gw, err := simulator.Open(clock, path)
		if err != nil {
			return nil, err
		}
		return gw, nil
	case "stripe":
		return stripe.New(stripe.Config{Key: m.Getenv("KASSA_STRIPE_KEY"), BaseURL: m.Getenv("KASSA_STRIPE_URL"), Log: m.logger(),
			WebhookSecret: m.Getenv("KASSA_STRIPE_WEBHOOK_SECRET")})
	}
	return nil, kassa.InvalidE("gateway", "error.cli.gateway", "Value", strconv.Quote(name))
}

// sender returns what delivers notifications: SMTP when KASSA_SMTP_URL is
// set, else the log.
func (m *Main) sender(log *slog.Logger) (notify.Sender, error) {
	u := m.Getenv("KASSA_SMTP_URL")
	if u == "" {
		log.Info("notifications go to the log; set KASSA_SMTP_URL to send them by email")
		return notify.LogSender{Log: log}, nil
	}
	s, err := notify.NewSMTPSender(u)
	if err != nil {
		return nil, err
	}
	log.Info("notifications go by email", "smtp", s.String())
	return s, nil
}

// testClockOf returns clock when it is a test clock, else nil.
func testClockOf(clock kassa.Clock) *kassa.TestClock {
	tc, _ := clock.(*kassa.TestClock)
	return tc
}
