package billing_test

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestTwoInstancesRenewOnce runs two billing services, each with its own
// connections to one database as two kassa processes would, over the same
// renewals at the same time: every term is renewed once and the invoice
// numbers have no gaps.
func TestTwoInstancesRenewOnce(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(day(1, 15))
	dsn := sqldbtest.DSN(t)
	var dbs []*sqldb.DB
	for range 2 {
		db, err := sqldb.Open(t.Context(), dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	w := newWorldOn(t, dbs[0], clock)
	var subs []string
	for i := range 12 {
		subs = append(subs, w.buy([]string{"ANALYTICS_PRO", "PROJECT_PLAN", "MEETING_ROOMS"}[i%3], 1+i, w.profile, false).ID)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	instances := []*billing.Service{
		billing.New(w.db, simulator.New(w.clock), w.clock, log),
		billing.New(dbs[1], simulator.New(w.clock), w.clock, log),
	}
	until := day(5, 20) // four renewals each
	w.clock.Set(until)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, s := range instances {
		wg.Go(func() {
			_, err := s.RunDue(w.ctx, until, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	perSub := map[string]int{}
	for i, inv := range invs {
		perSub[inv.SubscriptionID]++
		if want := fmt.Sprintf("INV-2026-%06d", len(invs)-i); inv.Number != want {
			t.Errorf("invoice %d is %s, want %s: a gap or a repeat", i, inv.Number, want)
		}
	}
	for _, id := range subs {
		if perSub[id] != 5 { // the purchase and four renewals
			t.Errorf("subscription %s has %d invoices, want 5", id, perSub[id])
		}
	}
}
