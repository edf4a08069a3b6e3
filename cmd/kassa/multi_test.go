package main

import (
	"context"
	"fmt"
	kbilling "github.com/kassa-billing/kassa/billing"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestMultiInstance runs two `kassa serve --test-clock` processes on one
// database (a PostgreSQL schema, or a SQLite file shared through its locks)
// and one simulator ledger, with load on both. Again and again both test
// clocks move to the same time at once while `kassa bill --at` that time
// runs too: three billing runs overlap on the same renewals. Then the same
// invariants as after TestCrash must hold.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs kassa three times over")
	}
	start := time.Now()
	seed := uint64(start.UnixNano())
	t.Logf("load seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	dsn := sqldbtest.DSN(t)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledger)
	bin := buildKassa(t)
	a, b := newKassaServer(t, bin, dsn, ledger), newKassaServer(t, bin, dsn, ledger)
	a.start(t)
	b.start(t)
	w := newWorkload(t, a.url())
	clients := []*apiClient{newAPIClient(a.url(), w.tokens), newAPIClient(b.url(), w.tokens)}
	if !w.advance(t.Context(), clients, 3*time.Minute) {
		t.Fatal("a server does not answer")
	}

	ctx, cancel := context.WithCancel(t.Context())
	var load sync.WaitGroup
	for i := range 6 {
		c, r := clients[i%2], rand.New(rand.NewPCG(rng.Uint64(), 0))
		load.Go(func() { w.run(ctx, c, r) })
	}
	rounds, billed := 0, 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); rounds++ {
		time.Sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond)
		d := time.Duration(1+rng.IntN(7)) * 24 * time.Hour
		at := w.clock().Add(d).Format(time.RFC3339)
		var billing sync.WaitGroup
		billing.Go(func() { w.advance(ctx, clients, d) })
		billing.Go(func() {
			out, err := runKassa(ctx, bin, ledger, "bill", "--db", dsn, "--at", at)
			// Its log (a renewal the bank refused) comes before what it ran.
			var n int
			if i := strings.LastIndex(out, "Ran "); i >= 0 {
				out = out[i:]
			}
			if _, serr := fmt.Sscanf(out, "Ran %d pieces", &n); err != nil || serr != nil {
				w.problem(fmt.Sprintf("kassa bill --at %s: %v\n%s", at, err, out))
			}
			billed += n
		})
		billing.Wait()
	}
	cancel()
	load.Wait()
	w.retry(t.Context(), clients[0], rng, 1)
	a.stop(t)
	b.stop(t)
	// A day later: payments left at the bank's page are given up.
	reconcile(t, dsn, ledger, w.clock().Add(kbilling.AuthenticationLife))
	w.report(t)
	requireInvariants(t, dsn, ledger)
	t.Logf("%d rounds of 3 overlapping billing runs (kassa bill ran %d pieces); clock moved to %s; %v in all", rounds,
		billed, w.clock().Format(time.DateOnly), time.Since(start).Round(time.Millisecond))
}
