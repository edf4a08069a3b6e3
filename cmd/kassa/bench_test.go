package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestBench runs `kassa bench --json` briefly on the suite's database and
// checks that it reports every figure, gave out no license too many and
// left nothing behind. How long it takes is the machine's business: the
// figures are what bench is for, and a hang is go test's timeout's.
func TestBench(t *testing.T) {
	t.Parallel()
	db := os.Getenv(sqldbtest.PostgresEnv)
	dir := t.TempDir()
	if db == "" {
		db = "sqlite:" + filepath.Join(dir, "kassa.db")
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := m.Run(t.Context(), []string{"bench", "--db", db, "--duration", "2s", "--clients", "8", "--import", "500", "--scim", "200", "--json"})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}

	var figures map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &figures); err != nil {
		t.Fatalf("bench --json printed no JSON object: %v\n%s", err, stdout.String())
	}
	for _, name := range []string{
		"raw_commits_per_s", "raw_concurrent_commits_per_s", "trivial_req_per_s", "assign_per_s", "assign_p50_ms", "assign_p99_ms",
		"hot_assign_per_s", "purchase_per_s", "purchase_p99_ms", "list_req_per_s", "list_p50_ms", "list_p99_ms",
		"read_req_per_s", "read_p50_ms", "read_p99_ms", "admin_view_p99_ms", "export_rows", "export_ms", "renewal_subs_per_s", "import_people_per_s", "imported", "scim_create_per_s", "scim_sync_users_per_s", "scim_users", "peak_rss_mb",
		"assign_to_raw_ratio", "assign_to_raw_concurrent_ratio", "read_to_trivial_ratio", "hot_assign_to_raw_ratio", "renewal_to_raw_ratio",
	} {
		if v, ok := figures[name].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive figure", name, figures[name])
		}
	}
	if figures["users"].(float64) < 10_000 || figures["subscriptions"].(float64) < 1_000 {
		t.Errorf("the tenant has %v users and %v subscriptions", figures["users"], figures["subscriptions"])
	}
	if figures["over_assigned"] != 0.0 || figures["limit_assigned"] != figures["limit_quantity"] {
		t.Errorf("over-assigned %v; %v of %v licenses given out in the race", figures["over_assigned"],
			figures["limit_assigned"], figures["limit_quantity"])
	}

	// Nothing is left behind: no scratch file beside the SQLite database,
	// no scratch schema on PostgreSQL.
	if os.Getenv(sqldbtest.PostgresEnv) == "" {
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("bench left %s behind", left[0].Name())
		}
		return
	}
	raw, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var schemas int
	if err := raw.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'kassa_bench_%'`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas > 0 {
		t.Errorf("bench left %d schemas behind", schemas)
	}
}

// TestSoak runs `kassa bench --soak` briefly: every interval gives a
// sample with requests of each kind, the process's memory and goroutines;
// the seeded subscriptions fall due during the soak and are renewed; no
// request fails.
func TestSoak(t *testing.T) {
	t.Parallel()
	db := os.Getenv(sqldbtest.PostgresEnv)
	if db == "" {
		db = "sqlite:" + filepath.Join(t.TempDir(), "kassa.db")
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := m.Run(t.Context(), []string{"bench", "--db", db, "--soak", "4s", "--soak-interval", "1s", "--clients", "4",
		"--users", "1000", "--subscriptions", "200", "--json"})
	if err != nil {
		t.Fatalf("soak: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var r struct {
		Samples []struct {
			Requests, Reads, Lists, Assignments, Purchases, Renewed, Failed int64
			ResidentMB                                                      float64 `json:"resident_mb"`
			Goroutines                                                      int
			P99Ms                                                           float64 `json:"p99_ms"`
		}
		Failures int64
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("--soak --json printed no JSON object: %v\n%s", err, stdout.String())
	}
	if len(r.Samples) < 3 || r.Failures != 0 {
		t.Fatalf("%d samples, %d failures: %s", len(r.Samples), r.Failures, stdout.String())
	}
	var kinds [5]int64
	for i, s := range r.Samples {
		if s.Requests == 0 || s.ResidentMB <= 0 || s.Goroutines == 0 || s.P99Ms <= 0 ||
			s.Requests != s.Reads+s.Lists+s.Assignments+s.Purchases {
			t.Errorf("sample %d: %+v", i, s)
		}
		for k, n := range []int64{s.Reads, s.Lists, s.Assignments, s.Purchases, s.Renewed} {
			kinds[k] += n
		}
	}
	if slices.Contains(kinds[:], 0) {
		t.Errorf("reads, lists, assignments, purchases, renewals: %v", kinds)
	}
}
