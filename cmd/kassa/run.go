package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/sqldb"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// Main is the kassa program: its commands, and where it reads its
// configuration and writes its output. Tests run it in-process.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, is called with the address serve listens on.
	Ready func(addr string)
	// MetricsReady, when set, is called with the address the metrics are
	// served on (KASSA_METRICS_ADDR).
	MetricsReady func(addr string)
}

// Run runs the command named by args until it is done or ctx ends.
func (m *Main) Run(ctx context.Context, args []string) error {
	root := &cobra.Command{
		Use:           "kassa",
		Short:         "Self-service purchasing of subscriptions, licenses and invoices",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(m.serveCommand(), m.migrateCommand(), m.backupCommand(), m.demoCommand(), m.tenantCommand(), m.catalogCommand(),
		m.billCommand(), m.auditCommand(), m.benchCommand(), m.versionCommand())
	return root.ExecuteContext(ctx)
}

// env returns the environment variable name, or def when it is unset.
func (m *Main) env(name, def string) string {
	if v := m.Getenv(name); v != "" {
		return v
	}
	return def
}

func (m *Main) dbFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("db", m.env("KASSA_DB", "sqlite:kassa.db"),
		"database: sqlite:PATH or postgres://… (env KASSA_DB)")
}

func (m *Main) gatewayFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("gateway", m.env("KASSA_GATEWAY", "simulator"),
		"payment gateway: simulator or stripe (env KASSA_GATEWAY; stripe reads KASSA_STRIPE_KEY)")
}

func (m *Main) logger() *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(m.env("KASSA_LOG_LEVEL", "info")))
	return slog.New(kassa.LogHandler{Handler: slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level})})
}

// openDB opens and migrates the database.
func openDB(ctx context.Context, dsn string, clock kassa.Clock) (*sqldb.DB, error) {
	db, err := sqldb.Open(ctx, dsn, clock)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// withDB opens and migrates the database at dsn on the system clock, runs
// fn on it, and closes it: what an operator's command does.
func withDB(ctx context.Context, dsn string, fn func(*sqldb.DB) error) error {
	db, err := openDB(ctx, dsn, kassa.SystemClock{})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func (m *Main) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Bring the database schema up to date", Args: cobra.NoArgs}
	dsn := m.dbFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withDB(cmd.Context(), *dsn, func(*sqldb.DB) error {
			fmt.Fprintln(m.Stdout, "The database is up to date.")
			return nil
		})
	}
	return cmd
}

func (m *Main) demoCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "demo", Short: "Load the demo data set (idempotent)", Args: cobra.NoArgs}
	dsn := m.dbFlag(cmd)
	gateway := m.gatewayFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		clock := kassa.SystemClock{}
		gw, err := m.gateway(*gateway, clock)
		if err != nil {
			return err
		}
		db, err := openDB(cmd.Context(), *dsn, clock)
		if err != nil {
			return err
		}
		defer db.Close()
		loaded, err := demo.Load(cmd.Context(), db, gw)
		if err != nil {
			return err
		}
		if err := demo.LoadHistory(cmd.Context(), db, gw); err != nil {
			return err
		}
		a, err := auth.New(db, clock, m.logger())
		if err != nil {
			return err
		}
		if err := demo.LoadDirectory(cmd.Context(), db, a); err != nil {
			return err
		}
		if err := demo.LoadApps(cmd.Context(), db, a); err != nil {
			return err
		}
		if loaded {
			fmt.Fprintln(m.Stdout, "Loaded the demo data.")
		} else {
			fmt.Fprintln(m.Stdout, "The demo data is there already.")
		}
		m.printAccounts("")
		return nil
	}
	return cmd
}

// printAccounts prints who to sign in as, at base when known.
func (m *Main) printAccounts(base string) {
	if base != "" {
		fmt.Fprintf(m.Stdout, "\nSign in at %s/login (API: POST %s/api/v1/login)\n", base, base)
	}
	fmt.Fprintf(m.Stdout, "Every demo user's password is %q.\n", demo.Password)
	for _, a := range demo.Accounts {
		fmt.Fprintf(m.Stdout, "  %-24s %-6s %-17s %s\n", a.Email, a.Role, a.Tenant, a.Note)
	}
	fmt.Fprintln(m.Stdout)
}

func (m *Main) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print kassa's version", Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(m.Stdout, "kassa", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value[:min(12, len(s.Value))]
		}
	}
	return strings.TrimSpace(v)
}
