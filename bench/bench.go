// Package bench is `kassa bench`: it starts kassa on 127.0.0.1 over a
// scratch database beside the one it is given, loads a realistic tenant,
// measures license assignment, purchases, reads and a renewal run over HTTP,
// and measures in the same run the yardsticks they are compared with: the
// database's raw commit rate and a trivial net/http JSON handler.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/people"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
)

// Config says what to measure.
type Config struct {
	// DB names the database to measure: the bench works in a scratch
	// database beside it (sqlite:PATH: a new file next to PATH; postgres:
	// a new schema) and removes it afterwards. "" is a SQLite file in the
	// temporary directory.
	DB       string
	Duration time.Duration // the measuring, shared among the phases but the renewal run
	Clients  int           // concurrent HTTP clients (the hot subscription always gets 64)
	Import   int           // people the import phase adds in one CSV file (at most people.MaxLines)
	SCIM     int           // users the SCIM phases provision and sync
	// Users and Subscriptions size the tenant: its people, and the
	// self-service subscriptions its purchasers hold, ten each (a multiple
	// of 10). 0 is DefaultUsers, DefaultSubscriptions.
	Users, Subscriptions int
	Progress             io.Writer // told what is being measured; nil for nothing
	// HeapProfile, when set, is given a heap profile (go tool pprof)
	// taken after the renewal run, while the server and the tenant live.
	HeapProfile io.Writer
}

// Result is every figure of one run. Rates are per second, latencies in
// milliseconds.
type Result struct {
	Database      string  `json:"database"`
	DurationS     float64 `json:"duration_s"`
	Clients       int     `json:"clients"`
	Users         int     `json:"users"`
	Subscriptions int     `json:"subscriptions"`
	SetupS        float64 `json:"setup_s"`

	RawCommitsPerS    float64 `json:"raw_commits_per_s"`            // one loop of single-row UPDATE transactions
	RawConcurrentPerS float64 `json:"raw_concurrent_commits_per_s"` // as many loops as clients
	TrivialReqPerS    float64 `json:"trivial_req_per_s"`
	TrivialP99Ms      float64 `json:"trivial_p99_ms"`
	AssignPerS        float64 `json:"assign_per_s"`
	AssignP50Ms       float64 `json:"assign_p50_ms"`
	AssignP99Ms       float64 `json:"assign_p99_ms"`
	HotAssignPerS     float64 `json:"hot_assign_per_s"`
	HotAssignP99Ms    float64 `json:"hot_assign_p99_ms"`
	HotAssigned       int     `json:"hot_assigned"`
	LimitQuantity     int     `json:"limit_quantity"`
	LimitAssigned     int     `json:"limit_assigned"`
	LimitRefused      int     `json:"limit_refused"`
	OverAssigned      int     `json:"over_assigned"`
	PurchasePerS      float64 `json:"purchase_per_s"`
	PurchaseP50Ms     float64 `json:"purchase_p50_ms"`
	PurchaseP99Ms     float64 `json:"purchase_p99_ms"`
	ListReqPerS       float64 `json:"list_req_per_s"`
	ListP50Ms         float64 `json:"list_p50_ms"`
	ListP99Ms         float64 `json:"list_p99_ms"`
	ReadReqPerS       float64 `json:"read_req_per_s"`
	ReadP50Ms         float64 `json:"read_p50_ms"`
	ReadP99Ms         float64 `json:"read_p99_ms"`
	// The admins' view of every self-service purchase: its first page
	// (GET /api/v1/admin/self-service-subscriptions), asked by a few
	// admins at once, and the whole of it as CSV, once.
	AdminViewPerS     float64 `json:"admin_view_per_s"`
	AdminViewP50Ms    float64 `json:"admin_view_p50_ms"`
	AdminViewP99Ms    float64 `json:"admin_view_p99_ms"`
	ExportRows        int64   `json:"export_rows"`
	ExportMs          float64 `json:"export_ms"`
	Renewed           int64   `json:"renewed"`
	RenewalSubsPerS   float64 `json:"renewal_subs_per_s"`
	Imported          int64   `json:"imported"`
	ImportPeoplePerS  float64 `json:"import_people_per_s"` // one CSV file through the API, all in one transaction
	SCIMUsers         int64   `json:"scim_users"`
	SCIMCreatePerS    float64 `json:"scim_create_per_s"` // POST /scim/v2/Users
	SCIMCreateP99Ms   float64 `json:"scim_create_p99_ms"`
	SCIMSyncUsersPerS float64 `json:"scim_sync_users_per_s"` // a filter GET and a PATCH per user
	// A directory group of the SCIM users linked to a subscription of a
	// license each: the link's request, until every member holds one.
	GroupMembers      int     `json:"group_members"`
	GroupLinkMs       float64 `json:"group_link_ms"`
	GroupLicensesPerS float64 `json:"group_licenses_per_s"`
	GroupToRawRatio   float64 `json:"group_to_raw_ratio"`
	// A reclamation run over every license held at the end: the pass that
	// warns each holder, then the one that takes each license back.
	ReclaimWarned    int     `json:"reclaim_warned"`
	ReclaimWarnPerS  float64 `json:"reclaim_warn_per_s"`
	Reclaimed        int     `json:"reclaimed"`
	ReclaimPerS      float64 `json:"reclaim_per_s"`
	GraphAssignPerS  float64 `json:"graph_assign_per_s"` // POST /graph/v1.0/users/{id}/assignLicense
	GraphAssignP50Ms float64 `json:"graph_assign_p50_ms"`
	GraphAssignP99Ms float64 `json:"graph_assign_p99_ms"`
	// Webhook deliveries of license events to a receiver on 127.0.0.1,
	// per second from the first change to the last arrival, and the lag
	// from each change to its arrival; then the same with a second,
	// dead endpoint beside the live one.
	WebhookEvents             int64   `json:"webhook_events"`
	WebhookDeliveriesPerS     float64 `json:"webhook_deliveries_per_s"`
	WebhookP50Ms              float64 `json:"webhook_p50_ms"`
	WebhookP99Ms              float64 `json:"webhook_p99_ms"`
	WebhookDeadEvents         int64   `json:"webhook_dead_events"`
	WebhookDeadDeliveriesPerS float64 `json:"webhook_dead_deliveries_per_s"`
	WebhookDeadP50Ms          float64 `json:"webhook_dead_p50_ms"`
	WebhookDeadP99Ms          float64 `json:"webhook_dead_p99_ms"`
	PeakRSSMB                 float64 `json:"peak_rss_mb"`           // of the whole run, loading the tenant included
	MeasuringRSSMB            float64 `json:"measuring_peak_rss_mb"` // while measuring (0 where the peak cannot be reset)

	AssignToRawRatio           float64 `json:"assign_to_raw_ratio"`
	AssignToRawConcurrentRatio float64 `json:"assign_to_raw_concurrent_ratio"`
	HotAssignToRawRatio        float64 `json:"hot_assign_to_raw_ratio"`
	PurchaseToRawRatio         float64 `json:"purchase_to_raw_ratio"`
	RenewalToRawRatio          float64 `json:"renewal_to_raw_ratio"`
	ImportToRawRatio           float64 `json:"import_to_raw_ratio"`
	SCIMCreateToRawRatio       float64 `json:"scim_create_to_raw_ratio"`
	SCIMSyncToRawRatio         float64 `json:"scim_sync_to_raw_ratio"`
	GraphAssignToRawRatio      float64 `json:"graph_assign_to_raw_ratio"`
	WebhookDeadToLiveRatio     float64 `json:"webhook_dead_to_live_ratio"` // deliveries/s with a dead endpoint beside, to without
	ReadToTrivialRatio         float64 `json:"read_to_trivial_ratio"`
	ListToTrivialRatio         float64 `json:"list_to_trivial_ratio"`

	// Failures counts answers no correct server gives, per phase, with
	// the first few of them; a run with failures is an error.
	Failures map[string]int64 `json:"failures"`
	Errors   []string         `json:"errors"`
}

// run is one bench run's moving parts.
type run struct {
	cfg     Config
	client  *client
	tenant  *tenant
	billing *billing.Service
}

// comparedRounds is how many turns the trivial handler, the lists and the
// reads take.
const comparedRounds = 4

// Run measures kassa as cfg says. It returns the figures even when some
// requests failed, with an error saying so.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Duration < time.Second {
		return nil, kassa.InvalidE("duration", "error.bench.duration")
	}
	if cfg.Clients < 1 || cfg.Clients > 1024 {
		return nil, kassa.InvalidE("clients", "error.bench.clients")
	}
	if cfg.SCIM < 1 || cfg.SCIM > 100_000 {
		return nil, kassa.InvalidE("scim", "error.bench.scim")
	}
	if cfg.Users == 0 {
		cfg.Users = DefaultUsers
	}
	if cfg.Subscriptions == 0 {
		cfg.Subscriptions = DefaultSubscriptions
	}
	if err := checkSize(cfg.Users, cfg.Subscriptions); err != nil {
		return nil, err
	}
	if cfg.Import < 1 || cfg.Import > people.MaxLines {
		return nil, kassa.InvalidE("import", "error.bench.import", "Max", people.MaxLines)
	}
	began := time.Now()
	b, db, stop, err := start(ctx, cfg, "kassa_bench", 0)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := b.signIn(ctx); err != nil {
		return nil, err
	}
	rc, err := db.PrepareRawCommits(ctx, cfg.Clients)
	if err != nil {
		return nil, err
	}
	cfg.progress("settling the loaded database (VACUUM ANALYZE on PostgreSQL, a checkpoint on SQLite)")
	if err := db.Settle(ctx); err != nil {
		return nil, err
	}
	trivialBase, stopTrivial, err := listen(http.HandlerFunc(trivialJSON))
	if err != nil {
		return nil, err
	}
	defer stopTrivial()

	setupPeak := peakRSSMB()
	resetPeakRSS := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	r := &Result{Database: string(db.Dialect()), DurationS: cfg.Duration.Seconds(), Clients: cfg.Clients,
		Users: cfg.Users, Subscriptions: cfg.Subscriptions + 3, SetupS: time.Since(began).Seconds(),
		Failures: map[string]int64{}}
	share := func(f float64) time.Duration { return time.Duration(f * float64(cfg.Duration)) }
	phase := func(name, what string, fn func() stats) stats {
		cfg.progress("%s", what)
		s := fn()
		if s.Failed > 0 {
			r.Failures[name] += s.Failed
			r.Errors = append(r.Errors, s.errors...)
		}
		return s
	}

	s := phase("raw", "committing single-row UPDATEs in one loop (the raw commit rate)", func() stats { return b.raw(ctx, share(0.0625), 1, rc) })
	r.RawCommitsPerS = s.perSecond()
	s = phase("raw_concurrent", fmt.Sprintf("committing single-row UPDATEs in %d loops at once", cfg.Clients),
		func() stats { return b.raw(ctx, share(0.0625), cfg.Clients, rc) })
	r.RawConcurrentPerS = s.perSecond()
	s = phase("assign", "assigning licenses across the subscriptions", func() stats { return b.assignMany(ctx, share(0.15)) })
	r.AssignPerS, r.AssignP50Ms, r.AssignP99Ms = s.perSecond(), s.quantile(0.5), s.quantile(0.99)
	s = phase("hot", "assigning licenses of one subscription with 64 clients", func() stats { return b.assignHot(ctx, share(0.15)) })
	r.HotAssignPerS, r.HotAssignP99Ms = s.perSecond(), s.quantile(0.99)
	if err := b.checkHot(ctx, r, s); err != nil {
		return r, err
	}
	s = phase("limit", "racing 64 clients for 50 licenses", func() stats { return b.fillLimit(ctx) })
	r.LimitRefused = int(s.Refused)
	if err := b.checkLimit(ctx, r, s); err != nil {
		return r, err
	}
	// The trivial handler, the lists and the reads take turns, a slice of
	// each per round, so that a machine whose speed drifts during the run
	// (a busy neighbour on a shared host) slows all three alike and the
	// ratios between them hold.
	var trivial, list, read stats
	for round := 1; round <= comparedRounds; round++ {
		slice, of := share(0.125/comparedRounds), fmt.Sprintf(" (%d of %d)", round, comparedRounds)
		trivial.add(phase("trivial", "asking a trivial JSON handler"+of, func() stats { return b.trivial(ctx, slice, trivialBase) }))
		list.add(phase("list", "listing subscriptions"+of, func() stats { return b.list(ctx, slice) }))
		read.add(phase("read", "reading subscriptions"+of, func() stats { return b.read(ctx, slice) }))
	}
	r.TrivialReqPerS, r.TrivialP99Ms = trivial.perSecond(), trivial.quantile(0.99)
	r.ListReqPerS, r.ListP50Ms, r.ListP99Ms = list.perSecond(), list.quantile(0.5), list.quantile(0.99)
	r.ReadReqPerS, r.ReadP50Ms, r.ReadP99Ms = read.perSecond(), read.quantile(0.5), read.quantile(0.99)
	if admin, err := b.adminToken(ctx); err != nil {
		r.Failures["admin_view"]++
		r.Errors = append(r.Errors, err.Error())
	} else {
		s = phase("admin_view", "reading the first page of the admins' view of self-service purchases",
			func() stats { return b.adminView(ctx, share(0.05), admin) })
		r.AdminViewPerS, r.AdminViewP50Ms, r.AdminViewP99Ms = s.perSecond(), s.quantile(0.5), s.quantile(0.99)
		s = phase("export", "exporting the admins' view as CSV", func() stats { return b.export(ctx, admin) })
		r.ExportRows, r.ExportMs = s.Done, float64(s.Elapsed.Microseconds())/1000
	}
	s = phase("purchase", "buying subscriptions", func() stats { return b.purchase(ctx, share(0.2)) })
	r.PurchasePerS, r.PurchaseP50Ms, r.PurchaseP99Ms = s.perSecond(), s.quantile(0.5), s.quantile(0.99)
	s = phase("renewal", "renewing the subscriptions whose term ended", func() stats { return b.renew(ctx, 5*time.Minute) })
	r.Renewed, r.RenewalSubsPerS = s.Done, s.perSecond()
	if cfg.HeapProfile != nil {
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(cfg.HeapProfile, 0); err != nil {
			return r, err
		}
	}
	s = phase("import", fmt.Sprintf("importing %d people from one CSV file", cfg.Import),
		func() stats { return b.importPeople(ctx, cfg.Import) })
	r.Imported, r.ImportPeoplePerS = s.Done, s.perSecond()
	if token, err := b.scimToken(ctx); err != nil {
		r.Failures["scim"]++
		r.Errors = append(r.Errors, err.Error())
	} else {
		ids := make([]string, cfg.SCIM)
		s = phase("scim_create", fmt.Sprintf("provisioning %d users by SCIM, as Entra ID sends them", cfg.SCIM),
			func() stats { return b.scimCreate(ctx, token, cfg.SCIM, ids) })
		r.SCIMUsers, r.SCIMCreatePerS, r.SCIMCreateP99Ms = s.Done, s.perSecond(), s.quantile(0.99)
		if s.Failed == 0 {
			s = phase("scim_sync", "an Entra ID sync cycle over them: a filter GET and a PATCH each",
				func() stats { return b.scimSync(ctx, token, ids) })
			r.SCIMSyncUsersPerS = s.perSecond()
			s = phase("group", fmt.Sprintf("linking a group of the %d to a subscription of as many licenses", len(ids)),
				func() stats { return b.groupPhase(ctx, db, token, ids) })
			r.GroupMembers, r.GroupLinkMs, r.GroupLicensesPerS = int(s.Done), float64(s.Elapsed.Microseconds())/1000, s.perSecond()
		}
	}

	if err := b.appPhases(ctx, r, db, phase); err != nil {
		r.Failures["apps"]++
		r.Errors = append(r.Errors, err.Error())
	}
	var take stats
	s = phase("reclaim", "a reclamation run a year on: warning every holder, then taking every license back", func() stats {
		var warn stats
		warn, take = b.reclaimPhase(ctx, db)
		return warn
	})
	if take.Failed > 0 {
		r.Failures["reclaim"] += take.Failed
		r.Errors = append(r.Errors, take.errors...)
	}
	r.ReclaimWarned, r.ReclaimWarnPerS, r.Reclaimed, r.ReclaimPerS = int(s.Done), s.perSecond(), int(take.Done), take.perSecond()

	r.PeakRSSMB = max(setupPeak, peakRSSMB())
	if resetPeakRSS {
		r.MeasuringRSSMB = peakRSSMB()
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return float64(int(a/b*1000+0.5)) / 1000
	}
	r.AssignToRawRatio = ratio(r.AssignPerS, r.RawCommitsPerS)
	r.AssignToRawConcurrentRatio = ratio(r.AssignPerS, r.RawConcurrentPerS)
	r.HotAssignToRawRatio = ratio(r.HotAssignPerS, r.RawCommitsPerS)
	r.PurchaseToRawRatio = ratio(r.PurchasePerS, r.RawCommitsPerS)
	r.RenewalToRawRatio = ratio(r.RenewalSubsPerS, r.RawCommitsPerS)
	r.ImportToRawRatio = ratio(r.ImportPeoplePerS, r.RawCommitsPerS)
	r.SCIMCreateToRawRatio = ratio(r.SCIMCreatePerS, r.RawCommitsPerS)
	r.SCIMSyncToRawRatio = ratio(r.SCIMSyncUsersPerS, r.RawCommitsPerS)
	r.GroupToRawRatio = ratio(r.GroupLicensesPerS, r.RawCommitsPerS)
	r.GraphAssignToRawRatio = ratio(r.GraphAssignPerS, r.RawCommitsPerS)
	r.WebhookDeadToLiveRatio = ratio(r.WebhookDeadDeliveriesPerS, r.WebhookDeliveriesPerS)
	r.ReadToTrivialRatio = ratio(r.ReadReqPerS, r.TrivialReqPerS)
	r.ListToTrivialRatio = ratio(r.ListReqPerS, r.TrivialReqPerS)
	if len(r.Failures) > 0 {
		return r, fmt.Errorf("requests failed: %s", strings.Join(r.Errors, "; "))
	}
	return r, ctx.Err()
}

// start brings up what a bench or a soak measures: the Go heap's allowance
// (allowFor), a scratch database beside cfg.DB named after name, migrated,
// cfg's tenant loaded into it (spread as setUp takes it), and kassa serving
// it on 127.0.0.1 with b.client, of cfg.Clients connections (the hot
// subscription's 64 at least), pointed at it. stop undoes it all.
func start(ctx context.Context, cfg Config, name string, spread time.Duration) (b *run, db *sqldb.DB, stop func(), err error) {
	var undo []func()
	stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	undo = append(undo, allowFor(cfg.Users, cfg.Subscriptions))
	dsn, drop, err := sqldb.Scratch(ctx, cfg.DB, name)
	if err != nil {
		return nil, nil, nil, err
	}
	undo = append(undo, func() { _ = drop() })
	clock := kassa.SystemClock{}
	if db, err = sqldb.Open(ctx, dsn, clock); err != nil {
		return nil, nil, nil, err
	}
	undo = append(undo, func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		return nil, nil, nil, err
	}
	log := slog.New(slog.DiscardHandler)
	gw := simulator.New(clock)
	b = &run{cfg: cfg, billing: billing.New(db, gw, clock, log)}
	cfg.progress("loading a tenant of %d users and %d subscriptions", cfg.Users, cfg.Subscriptions)
	if b.tenant, err = setUp(ctx, db, gw, clock.Now(), cfg.Users, cfg.Subscriptions, spread); err != nil {
		return nil, nil, nil, fmt.Errorf("load the tenant: %w", err)
	}
	a, err := auth.New(db, clock, log)
	if err != nil {
		return nil, nil, nil, err
	}
	base, stopServer, err := listen(server.New(server.Config{
		DB: db, Auth: a, Billing: b.billing, Licensing: licensing.New(db), Log: log,
		Issuer: invoicepdf.Issuer{Name: "kassa bench"}, WebhookAllowPrivate: true, // its receivers are on 127.0.0.1
	}))
	if err != nil {
		return nil, nil, nil, err
	}
	undo = append(undo, stopServer)
	b.client = newClient(base, max(cfg.Clients, hotClients))
	return b, db, stop, nil
}

// allowFor raises the Go heap's soft limit (set by main, 48 MiB unless
// GOMEMLIMIT says) by what the bench's process holds that kassa serve's
// does not: the simulator's charges, all in memory, and the bench's own ids,
// tokens and seats, about 128 bytes for each person and each subscription
// (a heap profile after the renewal run of 100 000 of each: 46 MB live, 22
// of them those; 40 of 52 before the simulator kept digests of its requests
// instead of their text). Without it the collector ran nearly all the time
// at 100 000 and every figure fell to a third. It returns what restores the
// limit. With GOMEMLIMIT set, the limit is left as it says.
func allowFor(users, subscriptions int) func() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(limit + 128*int64(users+subscriptions))
	return func() { debug.SetMemoryLimit(limit) }
}

// checkSize checks a tenant's size: enough people for the purchasers (one
// for ten subscriptions) and the admins, and a number of them that
// userStride walks whole.
func checkSize(users, subscriptions int) error {
	if subscriptions < 100 || subscriptions > 1_000_000 || subscriptions%subsEach != 0 {
		return kassa.InvalidE("subscriptions", "error.bench.subscriptions")
	}
	if users < 1_000 || users > 1_000_000 || users%userStride == 0 || users < subscriptions/subsEach+admins+1 {
		return kassa.InvalidE("users", "error.bench.users")
	}
	return nil
}

// checkHot compares what the hot phase was told with what the database
// holds.
func (b *run) checkHot(ctx context.Context, r *Result, s stats) error {
	q, assigned, listed, err := b.licenseCount(ctx, b.tenant.hot)
	if err != nil {
		return err
	}
	r.HotAssigned = assigned
	r.OverAssigned += max(0, assigned-q)
	if assigned != listed || int64(assigned) != s.Done {
		return fmt.Errorf("hot subscription: %d assigned, %d licenses listed, %d assignments answered 201", assigned, listed, s.Done)
	}
	return nil
}

// checkLimit checks that the race for the limit subscription gave out
// exactly its licenses.
func (b *run) checkLimit(ctx context.Context, r *Result, s stats) error {
	q, assigned, listed, err := b.licenseCount(ctx, b.tenant.limit)
	if err != nil {
		return err
	}
	r.LimitQuantity, r.LimitAssigned = q, assigned
	r.OverAssigned += max(0, assigned-q)
	if assigned != q || listed != q || s.Done != int64(q) {
		return fmt.Errorf("limit subscription of %d: %d assigned, %d listed, %d answered 201", q, assigned, listed, s.Done)
	}
	return nil
}

// signIn signs the purchasers that clients act for in over the API, a few
// at a time.
func (b *run) signIn(ctx context.Context) error {
	var wg sync.WaitGroup
	active := b.tenant.purchasers[:min(len(b.tenant.purchasers), b.cfg.Clients)]
	errs := make([]error, len(active))
	sem := make(chan struct{}, 4)
	for i, p := range active {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/login", "",
				map[string]string{"email": p.user.Email, "password": password})
			if err = expect(status, body, err, http.StatusOK, "sign in "+p.user.Email); err != nil {
				errs[i] = err
				return
			}
			var out struct{ Token string }
			errs[i] = json.Unmarshal(body, &out)
			p.token = out.Token
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listen serves h on a free port of 127.0.0.1 and returns its base URL and
// what stops it.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func trivialJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		OK   bool   `json:"ok"`
		Path string `json:"path"`
	}{true, r.URL.Path})
}

func (cfg Config) progress(format string, args ...any) {
	if cfg.Progress != nil {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(cfg.Progress, "bench: "+format+" (resident %.0f MB, peak %.0f MB, Go heap %.0f MB)\n",
			append(args, procStatusMB("VmRSS:"), peakRSSMB(), float64(m.HeapInuse)/(1<<20))...)
	}
}

// peakRSSMB returns the process's peak resident memory (VmHWM) in MB, or 0
// where /proc does not tell.
func peakRSSMB() float64 { return procStatusMB("VmHWM:") }

// procStatusMB returns the figure of /proc/self/status on the line that
// starts with key, in MB, or 0 where /proc does not tell.
func procStatusMB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return float64(int(kb/1024*10+0.5)) / 10
		}
	}
	return 0
}
