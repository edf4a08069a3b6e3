package billing_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestNeverBelowAssigned lowers a subscription with licenses assigned: below
// the assigned count it is refused, naming how many to unassign, and
// nothing changes.
func TestNeverBelowAssigned(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(day(3, 1))
	dsn := sqldbtest.DSN(t)
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	w := newWorldOn(t, db, clock)
	sub := w.buy("ANALYTICS_PRO", 10, w.profile, false)

	// Licenses arrive with their own issue; here six are assigned directly.
	driver, conn := "pgx", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, conn = "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)"
	}
	raw, err := sql.Open(driver, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE subscriptions SET assigned = 6 WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}

	_, _, err = w.s.SetQuantity(w.ctx, sub.ID, 4, "")
	if kassa.ErrorCode(err) != kassa.Conflict || !strings.Contains(locale.In("en").Error(err), "Unassign 2") {
		t.Fatalf("lowering to 4 with 6 assigned: %v", err)
	}
	if _, err := w.s.PreviewQuantity(w.ctx, sub.ID, 5); kassa.ErrorCode(err) != kassa.Conflict {
		t.Errorf("preview of 5 with 6 assigned: %v", err)
	}
	if got := w.sub(sub.ID); got.Quantity != 10 {
		t.Errorf("quantity = %d after a refused change", got.Quantity)
	}
	if _, _, err := w.s.SetQuantity(w.ctx, sub.ID, 6, ""); err != nil {
		t.Fatalf("lowering to exactly the assigned count: %v", err)
	}
	if got := w.sub(sub.ID); got.Quantity != 6 || got.Available() != 0 {
		t.Errorf("quantity %d, available %d", got.Quantity, got.Available())
	}
}
