package main

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestBackupUnderLoad: `kassa backup` copies the SQLite database while
// kassa serves purchases and license assignments; the copy opens,
// migrates, passes the audit check and holds no more licenses than any
// subscription has, each counted. A second backup to the same file is
// refused (exit 1) and leaves it as it was. PostgreSQL is refused, pointing
// at pg_dump.
func TestBackupUnderLoad(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs kassa")
	}
	dsn := sqldbtest.DSN(t)
	out := filepath.Join(t.TempDir(), "copy.db")
	if !strings.HasPrefix(dsn, "sqlite:") {
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		err := m.Run(t.Context(), []string{"backup", "--db", dsn, "--out", out})
		if kassa.ErrorField(err) != "db" || exitCode(err) != 1 {
			t.Fatalf("backup of PostgreSQL: %v", err)
		}
		return
	}
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledger)
	bin := buildKassa(t)
	srv := newKassaServer(t, bin, dsn, ledger)
	srv.start(t)
	w := newWorkload(t, srv.url())
	c := newAPIClient(srv.url(), w.tokens)
	ctx, cancel := context.WithCancel(t.Context())
	var load sync.WaitGroup
	for i := range 3 {
		load.Go(func() { w.run(ctx, c, rand.New(rand.NewPCG(uint64(i), 1))) })
	}
	// The copy is made once the load has changed things.
	for deadline := time.Now().Add(time.Minute); w.answered() < 100; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the load got no answers")
		}
	}
	report, err := runKassa(t.Context(), bin, ledger, "backup", "--db", dsn, "--out", out)
	if err != nil || !strings.Contains(report, "Backed up to "+out) {
		t.Fatalf("backup: %v\n%s", err, report)
	}
	cancel()
	load.Wait()
	c.close()
	srv.stop(t)

	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	again, err := runKassa(t.Context(), bin, ledger, "backup", "--db", dsn, "--out", out)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(again, "exists already") {
		t.Errorf("a backup over the copy: %v\n%s", err, again)
	}
	if after, err := os.Stat(out); err != nil || after.Size() != info.Size() || !after.ModTime().Equal(info.ModTime()) {
		t.Errorf("the copy was touched: %v", err)
	}

	copied, err := sqldb.Open(t.Context(), "sqlite:"+out, kassa.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	if err := copied.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	events, chains, breaks, err := copied.VerifyAudit(t.Context())
	if err != nil || len(breaks) > 0 || events == 0 {
		t.Fatalf("the copy's audit log: %d events in %d chains, breaks %v (%v)", events, chains, breaks, err)
	}
	var wrong, subs int
	if err := sqldbtest.Raw(t, "sqlite:"+out).QueryRowContext(t.Context(), `
		SELECT COUNT(*), COALESCE(SUM(CASE WHEN assigned > quantity
			OR assigned <> (SELECT COUNT(*) FROM licenses l WHERE l.subscription_id = s.id) THEN 1 ELSE 0 END), 0)
		FROM subscriptions s`).Scan(&subs, &wrong); err != nil {
		t.Fatal(err)
	}
	if wrong > 0 {
		t.Errorf("%d of %d subscriptions in the copy hold more licenses than they have, or miscount them", wrong, subs)
	}
	t.Logf("copied %d bytes under load after %d answers: %d subscriptions, %d audit events in %d chains, all intact",
		info.Size(), w.answered(), subs, events, chains)
}
