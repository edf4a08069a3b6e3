package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa/bench"
)

func (m *Main) benchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure kassa on this machine against the raw commit rate of its database",
		Long: `bench starts kassa on 127.0.0.1 over a scratch database beside --db (a new
SQLite file next to it, or a new PostgreSQL schema), loads a tenant of 10 000
users and 1 000 subscriptions (--users, --subscriptions), and measures over
HTTP: license assignments across many subscriptions and on one hot
subscription with 64 clients, a race for the last licenses, purchases, list
and read requests, the admins' view of every self-service purchase (its first
page, and all of it as CSV), a renewal run, and
an admin importing 10 000 new people from one CSV file, an identity
provider provisioning 10 000 users over SCIM and then syncing them once, a
group of them linked to a subscription of a license each (until every
member holds one), a reclamation run over every license held at the end
(its warnings, then its taking back), an
app assigning licenses through /graph/v1.0, and webhook deliveries of the
license events it makes to a receiver on 127.0.0.1, with and without a
dead endpoint beside it.
In the same run it measures the database's raw commit rate (single-row UPDATE
transactions) and a trivial net/http JSON handler, and reports each figure
beside them. It removes the scratch database when it is done.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	dsn := f.String("db", m.Getenv("KASSA_DB"), "database to measure beside: sqlite:PATH or postgres://… (default: a temporary SQLite file)")
	duration := f.Duration("duration", 10*time.Second, "time spent measuring, shared among the phases")
	clients := f.Int("clients", 64, "concurrent HTTP clients")
	imported := f.Int("import", bench.DefaultImport, "people the import phase adds from one CSV file")
	scimUsers := f.Int("scim", bench.DefaultSCIM, "users the SCIM phases provision and sync")
	users := f.Int("users", bench.DefaultUsers, "people in the measured tenant")
	subs := f.Int("subscriptions", bench.DefaultSubscriptions, "self-service subscriptions in the measured tenant (a multiple of 100)")
	asJSON := f.Bool("json", false, "print one JSON object with every figure")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the run to this file")
	heapProfile := f.String("heapprofile", "", "write a heap profile (go tool pprof), taken after the renewal run, to this file")
	soak := f.Duration("soak", 0, "instead of the phases, run a mixed load (reads, lists, assignments, purchases, renewals) this long and sample memory, goroutines and p99 (with 32 clients unless --clients says)")
	soakEvery := f.Duration("soak-interval", time.Minute, "time between the soak's samples")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *cpuProfile != "" {
			out, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer out.Close()
			if err := pprof.StartCPUProfile(out); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if *soak > 0 {
			c := *clients
			if !cmd.Flags().Changed("clients") {
				c = 32
			}
			if !cmd.Flags().Changed("subscriptions") {
				*subs = 10_000
			}
			return m.soak(cmd, bench.SoakConfig{DB: *dsn, Duration: *soak, Interval: *soakEvery, Clients: c,
				Users: *users, Subscriptions: *subs}, *asJSON)
		}
		var heap io.Writer
		if *heapProfile != "" {
			out, err := os.Create(*heapProfile)
			if err != nil {
				return err
			}
			defer out.Close()
			heap = out
		}
		r, err := bench.Run(cmd.Context(), bench.Config{HeapProfile: heap, DB: *dsn, Duration: *duration, Clients: *clients, Import: *imported, SCIM: *scimUsers,
			Users: *users, Subscriptions: *subs, Progress: m.Stderr})
		if r != nil {
			if *asJSON {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				printBench(m, r)
			}
		}
		return err
	}
	return cmd
}

// soak runs bench.Soak, printing each sample as it comes (a table), or
// every sample at the end (JSON).
func (m *Main) soak(cmd *cobra.Command, cfg bench.SoakConfig, asJSON bool) error {
	if !asJSON {
		fmt.Fprintf(m.Stdout, "kassa bench --soak %v: %d clients, %d users, %d subscriptions falling due over the soak\n\n",
			cfg.Duration, cfg.Clients, cfg.Users, cfg.Subscriptions)
		const row = "%8s %11s %7s %9s %9s %8s %9s %9s %11s\n"
		fmt.Fprintf(m.Stdout, row, "at", "requests/s", "failed", "p50", "p99", "renewed", "resident", "Go heap", "goroutines")
		cfg.Progress = func(s bench.Sample) {
			fmt.Fprintf(m.Stdout, row, fmt.Sprintf("%.0f s", s.AtS), fmt.Sprintf("%.0f", float64(s.Requests)/cfg.Interval.Seconds()),
				fmt.Sprint(s.Failed), fmt.Sprintf("%.1f ms", s.P50Ms), fmt.Sprintf("%.1f ms", s.P99Ms), fmt.Sprint(s.Renewed),
				fmt.Sprintf("%.0f MB", s.ResidentMB), fmt.Sprintf("%.1f MB", s.GoHeapMB), fmt.Sprint(s.Goroutines))
		}
	}
	r, err := bench.Soak(cmd.Context(), cfg)
	if r != nil && asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return err
}

// printBench prints the figures as a table for people.
func printBench(m *Main, r *bench.Result) {
	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "kassa bench on %s, %d clients, %v of measuring, %d users, %d subscriptions\t\n\n",
		r.Database, r.Clients, r.DurationS, r.Users, r.Subscriptions)
	row := func(what string, perS, p50, p99 float64, beside string) {
		fmt.Fprintf(w, "%s\t%.0f/s\t%.2f ms\t%.2f ms\t%s\t\n", what, perS, p50, p99, beside)
	}
	fmt.Fprintf(w, "\trate\tp50\tp99\t\t\n")
	row("raw commits (single-row UPDATE, one loop)", r.RawCommitsPerS, 0, 0, "")
	row(fmt.Sprintf("raw commits, %d loops", r.Clients), r.RawConcurrentPerS, 0, 0, "")
	row("trivial net/http JSON handler", r.TrivialReqPerS, 0, r.TrivialP99Ms, "")
	row("license assignments", r.AssignPerS, r.AssignP50Ms, r.AssignP99Ms,
		fmt.Sprintf("%.2f × raw (%.2f × %d loops)", r.AssignToRawRatio, r.AssignToRawConcurrentRatio, r.Clients))
	row("assignments, one subscription, 64 clients", r.HotAssignPerS, 0, r.HotAssignP99Ms, fmt.Sprintf("%.2f × raw", r.HotAssignToRawRatio))
	row("purchases", r.PurchasePerS, r.PurchaseP50Ms, r.PurchaseP99Ms, fmt.Sprintf("%.2f × raw", r.PurchaseToRawRatio))
	row("list subscriptions", r.ListReqPerS, r.ListP50Ms, r.ListP99Ms, fmt.Sprintf("%.2f × trivial", r.ListToTrivialRatio))
	row("read a subscription", r.ReadReqPerS, r.ReadP50Ms, r.ReadP99Ms, fmt.Sprintf("%.2f × trivial", r.ReadToTrivialRatio))
	row("admins' view, first page (4 admins)", r.AdminViewPerS, r.AdminViewP50Ms, r.AdminViewP99Ms, "")
	row(fmt.Sprintf("admins' view as CSV, %d rows (rows)", r.ExportRows), float64(r.ExportRows)/max(r.ExportMs, 0.001)*1000, 0, 0,
		fmt.Sprintf("%.0f ms", r.ExportMs))
	row("renewal run (subscriptions)", r.RenewalSubsPerS, 0, 0, fmt.Sprintf("%.2f × raw", r.RenewalToRawRatio))
	row(fmt.Sprintf("CSV import of %d people (people)", r.Imported), r.ImportPeoplePerS, 0, 0,
		fmt.Sprintf("%.2f × raw", r.ImportToRawRatio))
	row(fmt.Sprintf("SCIM: provisioning %d users", r.SCIMUsers), r.SCIMCreatePerS, 0, r.SCIMCreateP99Ms,
		fmt.Sprintf("%.2f × raw", r.SCIMCreateToRawRatio))
	row("SCIM: a sync cycle (users: filter GET + PATCH)", r.SCIMSyncUsersPerS, 0, 0, fmt.Sprintf("%.2f × raw", r.SCIMSyncToRawRatio))
	row(fmt.Sprintf("a group of %d linked: licenses given, in %.0f ms", r.GroupMembers, r.GroupLinkMs), r.GroupLicensesPerS, 0, 0,
		fmt.Sprintf("%.2f × raw", r.GroupToRawRatio))
	row("Graph: assignLicense", r.GraphAssignPerS, r.GraphAssignP50Ms, r.GraphAssignP99Ms, fmt.Sprintf("%.2f × raw", r.GraphAssignToRawRatio))
	row(fmt.Sprintf("webhooks: %d deliveries, change to arrival", r.WebhookEvents), r.WebhookDeliveriesPerS, r.WebhookP50Ms, r.WebhookP99Ms, "")
	row(fmt.Sprintf("webhooks: %d, a dead endpoint beside", r.WebhookDeadEvents), r.WebhookDeadDeliveriesPerS, r.WebhookDeadP50Ms,
		r.WebhookDeadP99Ms, fmt.Sprintf("%.2f × without", r.WebhookDeadToLiveRatio))
	row(fmt.Sprintf("reclamation: warning %d holders", r.ReclaimWarned), r.ReclaimWarnPerS, 0, 0, "")
	row(fmt.Sprintf("reclamation: taking %d licenses back", r.Reclaimed), r.ReclaimPerS, 0, 0, "")
	w.Flush()
	fmt.Fprintf(m.Stdout, "\n64 clients raced for %d licenses: %d assigned, %d refused, %d over-assigned.\n",
		r.LimitQuantity, r.LimitAssigned, r.LimitRefused, r.OverAssigned)
	fmt.Fprintf(m.Stdout, "Renewed %d subscriptions. Set-up %.1f s. Peak resident memory %.0f MB, %.0f MB while measuring.\n",
		r.Renewed, r.SetupS, r.PeakRSSMB, r.MeasuringRSSMB)
}
