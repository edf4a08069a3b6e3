package sqldb_test

import (
	"fmt"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// TestProductLicensesBounded: Admin › All licenses sums every live
// subscription and license of a product but names only the first
// ListedHolders holders, grouped by purchaser in name order, saying how
// many it leaves out; Export users streams every license.
func TestProductLicensesBounded(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	ctx := as(t, db, "astrid@nordvik.example")
	erik := as(t, db, "erik@nordvik.example")
	mine, err := db.FindSubscriptions(erik, kassa.SubscriptionFilter{})
	if err != nil || len(mine) == 0 {
		t.Fatalf("erik's subscriptions: %v", err)
	}
	a := kassa.ActorFromContext(ctx)
	var people []*kassa.User
	var ids []string
	for i := range sqldb.ListedHolders + 20 {
		people = append(people, &kassa.User{Name: fmt.Sprintf("Holder %03d", i), Email: fmt.Sprintf("h%d@nordvik.example", i),
			Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser})
	}
	if err := db.SeedUsers(t.Context(), a.Tenant.ID, people, "x"); err != nil {
		t.Fatal(err)
	}
	for _, u := range people {
		ids = append(ids, u.ID)
	}
	big := *mine[0]
	big.Status, big.Channel, big.Quantity = kassa.StatusActive, kassa.SelfService, len(people)
	if err := db.SeedSubscriptions(t.Context(), []*kassa.Subscription{&big}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Assign(erik, big.ID, ids); err != nil {
		t.Fatal(err)
	}

	products, err := db.FindProductLicenses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assigned := 0
	for _, p := range products {
		assigned += p.Assigned
		named := 0
		prev := ""
		for _, g := range p.Holders {
			if g.Purchaser.Name < prev {
				t.Errorf("%s: purchaser %q after %q", p.SKU, g.Purchaser.Name, prev)
			}
			prev = g.Purchaser.Name
			named += len(g.Users)
		}
		if named > sqldb.ListedHolders || len(p.Listed) > sqldb.ListedSubscriptions || len(p.Listed) > p.Subscriptions ||
			p.Available() != p.Quantity-p.Assigned {
			t.Errorf("%s: %d named, %d of %d subscriptions listed", p.SKU, named, len(p.Listed), p.Subscriptions)
		}
		if p.ProductID == big.ProductID {
			if named != sqldb.ListedHolders || p.HoldersLeft != p.Assigned-sqldb.ListedHolders || p.Assigned < len(people) {
				t.Errorf("%s: %d named, %d left, %d assigned", p.SKU, named, p.HoldersLeft, p.Assigned)
			}
		} else if p.HoldersLeft != 0 || named != p.Assigned {
			t.Errorf("%s: %d named of %d, %d left", p.SKU, named, p.Assigned, p.HoldersLeft)
		}
	}
	exported := 0
	if err := db.EachLicenseRow(ctx, func(rows []kassa.LicenseRow) error {
		exported += len(rows)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if exported != assigned {
		t.Errorf("Export users has %d licenses, the sums %d", exported, assigned)
	}
	if _, err := db.FindProductLicenses(erik); kassa.ErrorCode(err) != kassa.Forbidden {
		t.Errorf("erik reads all licenses: %v", err)
	}
	if err := db.EachLicenseRow(erik, func([]kassa.LicenseRow) error { return nil }); kassa.ErrorCode(err) != kassa.Forbidden {
		t.Errorf("erik exports all licenses: %v", err)
	}
}
