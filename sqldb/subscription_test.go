package sqldb_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestFindSubscriptionByIDAsTheList reads each subscription by id, which
// takes its product's names from memory and a member's own name from the
// actor, and finds it exactly as the list (which joins both) shows it, for
// the admin and each member; what the list leaves out — another member's
// purchase, a pending one, another tenant's — is NotFound.
func TestFindSubscriptionByIDAsTheList(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	nordvik, users := mustTenant(t, db, "Nordvik", "Astrid Lund", "Erik Andersson", "Eva Berg")
	harbor, mikes := mustTenant(t, db, "Harbor", "Mike Chen")
	var products []string
	for _, name := range []kassa.Text{{En: "Meeting rooms", Sv: "Mötesrum"}, {En: "Sign", Sv: "Signera"}} {
		p := &kassa.Product{SKU: name.En, Name: name}
		if err := db.CreateProduct(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		products = append(products, p.ID)
	}

	var subs []*kassa.Subscription
	buy := func(ctx context.Context, purchaser *kassa.User, product string, status kassa.SubscriptionStatus) {
		t.Helper()
		as := kassa.NewContextWithActor(ctx, &kassa.Actor{User: purchaser, Tenant: kassa.ActorFromContext(ctx).Tenant})
		profile := &kassa.BillingProfile{Name: purchaser.Name, Email: purchaser.Email, Address: testAddress, Currency: "SEK"}
		if err := db.CreateBillingProfile(as, profile); err != nil {
			t.Fatal(err)
		}
		s := &kassa.Subscription{TenantID: purchaser.TenantID, ProductID: product, PurchaserID: purchaser.ID,
			BillingProfileID: profile.ID, Channel: kassa.SelfService, Status: status, Term: kassa.Monthly, Quantity: 3,
			UnitPrice: kassa.Money{Amount: 9900, Currency: "SEK"}, AnchorAt: testNow, PeriodStart: testNow,
			ExpiresAt: testNow.AddDate(0, 1, 0), AutoRenew: true}
		if err := db.SeedSubscriptions(context.Background(), []*kassa.Subscription{s}); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	buy(nordvik, users[1], products[0], kassa.StatusActive)
	buy(nordvik, users[1], products[1], kassa.StatusTrialing)
	buy(nordvik, users[1], products[1], kassa.StatusPending)
	buy(nordvik, users[2], products[0], kassa.StatusCanceled)
	buy(nordvik, users[0], products[1], kassa.StatusActive)
	buy(harbor, mikes[0], products[0], kassa.StatusActive)

	for _, who := range []struct {
		ctx  context.Context
		user *kassa.User
		sees int
	}{{nordvik, users[0], 4}, {nordvik, users[1], 2}, {nordvik, users[2], 1}, {harbor, mikes[0], 1}} {
		ctx := kassa.NewContextWithActor(who.ctx, &kassa.Actor{User: who.user, Tenant: kassa.ActorFromContext(who.ctx).Tenant})
		list, err := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != who.sees {
			t.Errorf("%s lists %d subscriptions, want %d", who.user.Name, len(list), who.sees)
		}
		listed := map[string]*kassa.Subscription{}
		for _, s := range list {
			listed[s.ID] = s
		}
		for _, s := range subs {
			got, err := db.FindSubscriptionByID(ctx, s.ID)
			want, ok := listed[s.ID]
			switch {
			case !ok && kassa.ErrorCode(err) != kassa.NotFound:
				t.Errorf("%s reads %s (%s of %s) that the list leaves out: %v, %v", who.user.Name, s.ID, s.Status,
					s.PurchaserID, got, err)
			case ok && err != nil:
				t.Errorf("%s reads %s: %v", who.user.Name, s.ID, err)
			case ok && !reflect.DeepEqual(got, want):
				t.Errorf("%s reads %s as\n%+v\nand lists it as\n%+v", who.user.Name, s.ID, got, want)
			case ok && (got.PurchaserName == "" || got.ProductName.Sv == ""):
				t.Errorf("%s reads %s without names: %+v", who.user.Name, s.ID, got)
			}
		}
	}
}
