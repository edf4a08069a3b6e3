package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// auditWorld is a tenant with a few audited changes: its creation, three
// users and two policy changes.
func auditWorld(t *testing.T) (*sqldb.DB, string, context.Context) {
	t.Helper()
	db, dsn := sqldbtest.MustOpen(t, kassa.NewTestClock(testNow))
	ctx, _ := mustTenant(t, db, "Nordvik", "Astrid Lund", "Erik Andersson", "Eva Berg")
	p := &kassa.Product{SKU: "MEETING_ROOMS", Name: kassa.Text{En: "Meeting rooms", Sv: "Mötesrum"}}
	if err := db.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for _, policy := range []kassa.PurchasePolicy{kassa.PolicyTrialsOnly, kassa.PolicyDisabled} {
		if err := db.SetPurchasePolicy(ctx, p.ID, policy); err != nil {
			t.Fatal(err)
		}
	}
	return db, dsn, ctx
}

func verify(t *testing.T, db *sqldb.DB) (int, []kassa.AuditBreak) {
	t.Helper()
	events, _, breaks, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return events, breaks
}

func TestAuditChainVerifies(t *testing.T) {
	t.Parallel()
	db, _, ctx := auditWorld(t)
	events, breaks := verify(t, db)
	if events != 6 || len(breaks) != 0 {
		t.Fatalf("verify: %d events, breaks %v; want 6 events and none", events, breaks)
	}
	got, err := db.FindAuditEvents(ctx, kassa.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		actions = append(actions, fmt.Sprintf("%d %s", e.Seq, e.Action))
	}
	want := "6 purchase_policy.updated,5 purchase_policy.updated,4 user.created,3 user.created,2 user.created,1 tenant.created"
	if strings.Join(actions, ",") != want {
		t.Errorf("events:\n got %s\nwant %s", strings.Join(actions, ","), want)
	}
	last := got[0]
	if string(last.Before) != `{"products":{"MEETING_ROOMS":"trials_only"}}` ||
		string(last.After) != `{"products":{"MEETING_ROOMS":"disabled"}}` || last.ActorName != "Astrid Lund" {
		t.Errorf("last event: %s → %s by %q", last.Before, last.After, last.ActorName)
	}
	if got[5].ActorID != "" || got[5].PrevHash != "" || got[4].PrevHash != got[5].Hash {
		t.Errorf("chain start: actor %q, prev %q, link %q vs %q", got[5].ActorID, got[5].PrevHash, got[4].PrevHash, got[5].Hash)
	}
}

func TestAuditTamperingIsFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sql string
		want      string
	}{
		{"an event edited", `UPDATE audit_log SET after = '{"products":{"MEETING_ROOMS":"enabled"}}' WHERE seq = 5`,
			"5: its hash does not match its fields"},
		{"an event edited and rehashed", `UPDATE audit_log SET actor_id = '', hash = 'f00d' WHERE seq = 3`,
			"3: its hash does not match its fields: it was changed; 4: its link does not match"},
		{"an event deleted", `DELETE FROM audit_log WHERE seq = 2`, "3: event 3 follows event 1"},
		{"the newest event deleted", `DELETE FROM audit_log WHERE seq = 6`, "6: the chain ends at event 5 but its head is event 6"},
		{"every event deleted", `DELETE FROM audit_log`, "6: the head names event 6 but the chain has no events"},
		{"events renumbered", `UPDATE audit_log SET seq = 100 - seq WHERE seq IN (3, 4)`, "5: event 5 follows event 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, dsn, _ := auditWorld(t)
			if _, err := sqldbtest.Raw(t, dsn).Exec(c.sql); err != nil {
				t.Fatal(err)
			}
			_, breaks := verify(t, db)
			var got []string
			for _, b := range breaks {
				got = append(got, fmt.Sprintf("%d: %s", b.Seq, b.Reason))
			}
			if !strings.Contains(strings.Join(got, "; "), c.want) {
				t.Errorf("breaks %q, want %q", got, c.want)
			}
		})
	}
}

// A tenant's events are numbered and linked in commit order however many
// changes commit at once, and a change that rolls back leaves none.
func TestAuditUnderConcurrency(t *testing.T) {
	t.Parallel()
	db, _, ctx := auditWorld(t)
	products, err := db.FindProducts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			policy := []kassa.PurchasePolicy{kassa.PolicyEnabled, kassa.PolicyTrialsOnly, kassa.PolicyDisabled}[i%3]
			if err := db.SetPurchasePolicy(ctx, products[0].ID, policy); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	err = db.Atomically(ctx, func(ctx context.Context) error {
		if err := db.SetPurchasePolicy(ctx, products[0].ID, kassa.PolicyEnabled); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	})
	if err == nil {
		t.Fatal("the rollback did not happen")
	}
	events, breaks := verify(t, db)
	if len(breaks) != 0 {
		t.Fatalf("breaks: %v", breaks)
	}
	all, err := db.FindAuditEvents(ctx, kassa.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if events != len(all) || all[0].Seq != int64(len(all)) {
		t.Errorf("%d events verified, %d listed, newest seq %d", events, len(all), all[0].Seq)
	}
	// Each change's "before" is the "after" of the change before it.
	last := `"disabled"` // what auditWorld left
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		if e.Action != "purchase_policy.updated" || e.Seq <= 6 {
			continue
		}
		before := strings.TrimSuffix(strings.TrimPrefix(string(e.Before), `{"products":{"MEETING_ROOMS":`), "}}")
		if before != last {
			t.Errorf("event %d: before %s, but the change before it left %s", e.Seq, e.Before, last)
		}
		last = strings.TrimSuffix(strings.TrimPrefix(string(e.After), `{"products":{"MEETING_ROOMS":`), "}}")
	}
}

func TestAuditFilters(t *testing.T) {
	t.Parallel()
	db, _, ctx := auditWorld(t)
	admin := kassa.ActorFromContext(ctx).User
	count := func(f kassa.AuditFilter) int {
		t.Helper()
		got, err := db.FindAuditEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	for _, c := range []struct {
		f    kassa.AuditFilter
		want int
	}{
		{kassa.AuditFilter{}, 6},
		{kassa.AuditFilter{Action: "user."}, 3},
		{kassa.AuditFilter{Action: "user"}, 0},
		{kassa.AuditFilter{Action: "purchase_policy.updated"}, 2},
		{kassa.AuditFilter{ActorID: admin.ID}, 2},
		{kassa.AuditFilter{ObjectType: "user"}, 3},
		{kassa.AuditFilter{ObjectID: admin.ID}, 1},
		{kassa.AuditFilter{BeforeSeq: 3}, 2},
		{kassa.AuditFilter{Limit: 4}, 4},
		{kassa.AuditFilter{From: testNow.Add(time.Microsecond)}, 0},
		{kassa.AuditFilter{To: testNow.Add(time.Microsecond)}, 6},
		{kassa.AuditFilter{Action: "%."}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%+v: %d events, want %d", c.f, got, c.want)
		}
	}
	// Only admins read it, and only their own tenant's.
	other, _ := mustTenant(t, db, "Harbor", "Hannah Reed", "Mike Chen")
	got, err := db.FindAuditEvents(other, kassa.AuditFilter{})
	if err != nil || len(got) != 3 {
		t.Errorf("the other tenant's admin reads %d events (%v), want its own 3", len(got), err)
	}
	users, _, _ := db.FindUsers(ctx, kassa.UserFilter{Search: "erik"})
	erik := kassa.NewContextWithActor(ctx, &kassa.Actor{User: users[0], Tenant: kassa.ActorFromContext(ctx).Tenant})
	if _, err := db.FindAuditEvents(erik, kassa.AuditFilter{}); kassa.ErrorCode(err) != kassa.Forbidden {
		t.Errorf("a user reads the audit log: %v", err)
	}
}
