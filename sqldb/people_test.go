package sqldb_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// demoDB is the demo, history included, on a database of the test's own.
func demoDB(t *testing.T) *sqldb.DB {
	t.Helper()
	clock := kassa.NewTestClock(time.Now().UTC())
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	return db
}

// as returns a context signed in as the user with the email.
func as(t *testing.T, db *sqldb.DB, email string) context.Context {
	t.Helper()
	c, err := db.FindCredentials(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: c.User, Tenant: c.Tenant})
}

func ptr[T any](v T) *T { return &v }

func TestDisablingReleasesLicensesAndEndsSessions(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	astrid, erik := as(t, db, "astrid@nordvik.example"), as(t, db, "erik@nordvik.example")
	anna := kassa.ActorFromContext(as(t, db, "anna.lindberg@nordvik.example")).User
	subs, err := db.FindSubscriptions(erik, kassa.SubscriptionFilter{Status: ptr(kassa.StatusActive), Channel: ptr(kassa.SelfService)})
	if err != nil || len(subs) == 0 {
		t.Fatalf("erik's active subscriptions: %v %v", subs, err)
	}
	sub := subs[0]
	if _, err := db.Assign(erik, sub.ID, []string{anna.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(t.Context(), &sqldb.Session{TokenHash: "annas-session", UserID: anna.ID, Kind: "web",
		CreatedAt: db.Now(), LastSeenAt: db.Now(), ExpiresAt: db.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.FindOutbox(t.Context(), sub.TenantID)

	u, err := db.UpdateUser(astrid, anna.ID, kassa.UserUpdate{Status: ptr(kassa.Disabled)})
	if err != nil || u.Status != kassa.Disabled {
		t.Fatalf("disable: %+v %v", u, err)
	}
	after, err := db.FindSubscriptionByID(erik, sub.ID)
	if err != nil || after.Assigned != sub.Assigned {
		t.Errorf("assigned %d after, %d before the assignment: %v", after.Assigned, sub.Assigned, err)
	}
	if held, _ := db.FindLicenses(erik, sub.ID); slices.ContainsFunc(held, func(l kassa.License) bool { return l.User.ID == anna.ID }) {
		t.Error("the disabled user still holds the license")
	}
	if _, _, err := db.FindSession(t.Context(), "annas-session"); kassa.ErrorCode(err) != kassa.NotFound {
		t.Errorf("the disabled user's session: %v, want it gone", err)
	}
	out, _ := db.FindOutbox(t.Context(), sub.TenantID)
	var told []string
	for _, e := range out[len(before):] {
		if e.Kind == kassa.NotifyLicenseReleased {
			told = append(told, e.To+" "+e.Data.HolderName)
		}
	}
	if !slices.Equal(told, []string{"erik@nordvik.example Anna Lindberg"}) {
		t.Errorf("told %v, want erik that Anna's license came free", told)
	}
	t.Run("ListedForAdminsOnly", func(t *testing.T) {
		everyone, _, err := db.FindUsers(astrid, kassa.UserFilter{Everyone: true, Status: ptr(kassa.Disabled), Limit: 200})
		if err != nil || !slices.ContainsFunc(everyone, func(u *kassa.User) bool { return u.ID == anna.ID }) {
			t.Errorf("disabled users for admins: %v", err)
		}
		active, _, _ := db.FindUsers(astrid, kassa.UserFilter{Search: "anna lind"})
		if len(active) != 0 {
			t.Errorf("the typeahead finds a disabled user: %v", active)
		}
	})
	t.Run("OnlyAdmins", func(t *testing.T) {
		if _, err := db.UpdateUser(erik, anna.ID, kassa.UserUpdate{Status: ptr(kassa.Active)}); kassa.ErrorCode(err) != kassa.Forbidden {
			t.Errorf("a user changes a user: %v", err)
		}
		hannah := as(t, db, "hannah@harbor.example")
		if _, err := db.UpdateUser(hannah, anna.ID, kassa.UserUpdate{Status: ptr(kassa.Active)}); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("another tenant's admin changes Anna: %v", err)
		}
	})
}

func TestLastActiveAdmin(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	astrid := as(t, db, "astrid@nordvik.example")
	astridID := kassa.ActorFromContext(astrid).User.ID
	for name, up := range map[string]kassa.UserUpdate{
		"Demoted":  {Role: ptr(kassa.RoleUser)},
		"Disabled": {Status: ptr(kassa.Disabled)},
	} {
		if _, err := db.UpdateUser(astrid, astridID, up); kassa.ErrorCode(err) != kassa.Conflict {
			t.Errorf("%s, the last admin: %v, want conflict", name, err)
		}
	}
	// Two admins demote each other at once: one of them stays.
	erikID := kassa.ActorFromContext(as(t, db, "erik@nordvik.example")).User.ID
	if _, err := db.UpdateUser(astrid, erikID, kassa.UserUpdate{Role: ptr(kassa.RoleAdmin)}); err != nil {
		t.Fatal(err)
	}
	erik := as(t, db, "erik@nordvik.example")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []struct {
		ctx context.Context
		id  string
	}{{astrid, erikID}, {erik, astridID}} {
		wg.Go(func() { _, errs[i] = db.UpdateUser(c.ctx, c.id, kassa.UserUpdate{Role: ptr(kassa.RoleUser)}) })
	}
	wg.Wait()
	admins, _, err := db.FindUsers(astrid, kassa.UserFilter{Role: ptr(kassa.RoleAdmin)})
	if err != nil || len(admins) != 1 {
		t.Fatalf("after demoting each other: %d admins (%v), errors %v", len(admins), err, errs)
	}
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Errorf("exactly one demotion should succeed: %v", errs)
	}
}
