package billing_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/sqldb"
)

// TestGroupSeatsAcrossProcesses: members joining a linked group (as SCIM
// adds them), assignments by hand and the admins lowering the licenses
// race for ten licenses through two *sqldb.DB on one database: every seat
// is taken once, and the count equals the licenses held, on SQLite and
// PostgreSQL.
func TestGroupSeatsAcrossProcesses(t *testing.T) {
	t.Parallel()
	p := newProcesses(t)
	db1, db2, admin, tenant, bs := p.db1, p.db2, p.admin, p.tenant, p.services

	// erik's Analytics Pro of ten licenses, which the admins take over.
	sub, people := takenOver(t, p, 10, 30)
	g := &kassa.Group{DisplayName: "Kapplöpning"}
	if err := db1.CreateGroup(admin, tenant, g, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db1.LinkGroup(admin, sub.ID, g.ID); err != nil {
		t.Fatal(err)
	}

	dbs := []*sqldb.DB{db1, db2}
	var wg sync.WaitGroup
	errs := make([]error, len(people)+2)
	// Seat changes race too: the admins lower the licenses to 8 and 9,
	// refused once more than that are held.
	for i, quantity := range []int{8, 9} {
		wg.Go(func() {
			_, _, err := bs[i].SetQuantity(admin, sub.ID, quantity, "")
			if kassa.ErrorCode(err) != kassa.Conflict {
				errs[len(people)+i] = err
			}
		})
	}
	for i, id := range people {
		wg.Go(func() {
			db := dbs[i%2]
			if i < 15 {
				_, errs[i] = db.UpdateGroup(admin, tenant, g.ID, kassa.GroupChange{Add: []string{id}})
				return
			}
			_, errs[i] = db.Assign(admin, sub.ID, []string{id})
			if kassa.ErrorCode(errs[i]) == kassa.Conflict {
				errs[i] = nil // no free license left: refused, as it should be
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
	after, err := db1.FindSubscriptionByID(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	held, err := db1.FindLicenses(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Assigned != after.Quantity || len(held) != after.Quantity || after.Quantity < 8 {
		t.Errorf("%d licenses, assigned %d, %d held: want every seat taken once", after.Quantity, after.Assigned, len(held))
	}
	link, err := db1.FindGroupLink(admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if link.Licensed+link.Waiting != 15 {
		t.Errorf("the group has %d licensed and %d waiting, want its 15 members", link.Licensed, link.Waiting)
	}
}

// TestGroupDeletedWhileLinked links a group to a subscription through one
// process while the other deletes the group (as SCIM would), twenty times:
// the link either comes first, and the deletion takes back the licenses
// it gave, or finds the group gone and says so by its field; never a
// server error, and never a license left from a group that is gone, on
// SQLite and PostgreSQL.
func TestGroupDeletedWhileLinked(t *testing.T) {
	t.Parallel()
	p := newProcesses(t)
	db1, db2, admin, tenant := p.db1, p.db2, p.admin, p.tenant

	sub, members := takenOver(t, p, 5, 3)
	for round := range 20 {
		g := &kassa.Group{DisplayName: fmt.Sprintf("Flyktig %d", round)}
		if err := db1.CreateGroup(admin, tenant, g, members); err != nil {
			t.Fatal(err)
		}
		var linkErr, deleteErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, linkErr = db1.LinkGroup(admin, sub.ID, g.ID) })
		wg.Go(func() { deleteErr = db2.DeleteGroup(t.Context(), tenant, g.ID) })
		wg.Wait()
		if linkErr != nil && !(kassa.ErrorCode(linkErr) == kassa.Invalid && kassa.ErrorField(linkErr) == "group_id") {
			t.Errorf("round %d: link: %v, want it made or the group unknown by its field", round, linkErr)
		}
		if deleteErr != nil {
			t.Errorf("round %d: delete: %v", round, deleteErr)
		}
		if _, err := db1.FindGroupLink(admin, sub.ID); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("round %d: the link of a deleted group: %v, want none", round, err)
		}
		held, err := db1.FindLicenses(admin, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		after, err := db1.FindSubscriptionByID(admin, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 0 || after.Assigned != 0 {
			t.Fatalf("round %d: %d licenses held (assigned %d) after their group was deleted, want none", round, len(held), after.Assigned)
		}
	}
}

// takenOver buys erik an Analytics Pro of quantity licenses, which the
// admins take over, and returns it with the first n of the tenant's people
// who may hold a license.
func takenOver(t *testing.T, p *processes, quantity, n int) (*kassa.Subscription, []string) {
	t.Helper()
	sub, _, err := p.services[0].Purchase(p.erik, billing.PurchaseRequest{ProductID: p.analytics, Term: kassa.Monthly,
		Quantity: quantity, BillingProfileID: p.profile}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.db1.TakeOver(p.admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	users, _, err := p.db1.FindUsers(p.admin, kassa.UserFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var people []string
	for _, u := range users {
		if u.CanHoldLicense() && len(people) < n {
			people = append(people, u.ID)
		}
	}
	return sub, people
}
