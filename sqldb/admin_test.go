package sqldb_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// TestAdminViewAsTheRule: the admins' view, filtered, sorted and paged by
// the database, gives page for page what kassa.PurchaseFilter.Apply gives
// over every purchase, for each order both ways, searches with and
// without accents and capitals, and the disabled-purchaser filter. The
// demo's purchases are joined by people whose names differ only in
// accents and case, and by subscriptions made in one transaction (so their
// creation times tie).
func TestAdminViewAsTheRule(t *testing.T) {
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
	for i, name := range []string{"Åsa Öberg", "ÅSA GRÖN", "asa berg", "Zoë Ångström", "Émile Ærø", "Ölof Ek", "olof ek", "Aron_100%"} {
		people = append(people, &kassa.User{Name: name, Email: fmt.Sprintf("p%d@nordvik.example", i), Type: kassa.Member,
			Status: kassa.Active, Role: kassa.RoleUser})
	}
	if err := db.SeedUsers(t.Context(), a.Tenant.ID, people, "x"); err != nil {
		t.Fatal(err)
	}
	var subs []*kassa.Subscription
	for i, u := range people {
		s := *mine[i%len(mine)]
		s.PurchaserID, s.Channel, s.Status = u.ID, kassa.SelfService, kassa.StatusActive
		s.Quantity = 1 + i%3
		if i%3 == 1 {
			s.Status = kassa.StatusTrialing
		}
		s.UnitPrice.Amount = int64(1000 * (1 + i%4))
		s.ExpiresAt = s.ExpiresAt.Add(time.Duration(i%2) * time.Hour)
		subs = append(subs, &s)
	}
	if err := db.SeedSubscriptions(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
	// One subscription with more holders than a row names, some of whose
	// names differ only in case and accents.
	var holders []*kassa.User
	for i := range 40 {
		holders = append(holders, &kassa.User{Name: []string{"Holder ", "holder ", "Hölder "}[i%3] + fmt.Sprint(i%7),
			Email: fmt.Sprintf("h%d@nordvik.example", i), Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser})
	}
	if err := db.SeedUsers(t.Context(), a.Tenant.ID, holders, "x"); err != nil {
		t.Fatal(err)
	}
	big := *subs[0]
	big.Quantity = 40
	if err := db.SeedSubscriptions(t.Context(), []*kassa.Subscription{&big}); err != nil {
		t.Fatal(err)
	}
	holderIDs := make([]string, len(holders))
	for i, u := range holders {
		holderIDs[i] = u.ID
	}
	if _, err := db.Assign(kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: people[0], Tenant: a.Tenant}),
		big.ID, holderIDs); err != nil {
		t.Fatal(err)
	}

	var all []*kassa.SelfServicePurchase
	if err := db.EachSelfServicePurchase(ctx, kassa.PurchaseFilter{}, func(ps []*kassa.SelfServicePurchase) error {
		all = append(all, ps...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) < len(people)+3 {
		t.Fatalf("the view has %d purchases", len(all))
	}
	if trials := len(kassa.PurchaseFilter{Trial: true}.Apply(all)); trials == 0 || trials == len(all) {
		t.Fatalf("%d of %d purchases are trials: the trials tab is not put to the test", trials, len(all))
	}
	yes, no := true, false
	checked := 0
	for _, sort := range append([]string{""}, kassa.PurchaseSorts...) {
		for _, desc := range []bool{false, true} {
			for _, search := range []string{"", "asa", "ÅSA", "å", "ö ek", "zoe", "ærø", "aeroe", "100%", "_", "nordvik", "nobody"} {
				for _, disabled := range []*bool{nil, &yes, &no} {
					for _, v := range []struct {
						lang  string
						trial bool
					}{{"en", false}, {"sv", false}, {"en", true}} {
						f := kassa.PurchaseFilter{Search: search, Sort: sort, Desc: desc, Lang: v.lang, PurchaserDisabled: disabled,
							Trial: v.trial}
						want := ids(f.Apply(all))
						var got []string
						for offset := 0; ; offset += 7 {
							page, total, err := db.FindSelfServicePurchases(ctx, f, offset, 7)
							if err != nil {
								t.Fatal(err)
							}
							if total.N != len(want) || total.More {
								t.Fatalf("%+v: %+v in all, want %d", f, total, len(want))
							}
							got = append(got, ids(page)...)
							if len(page) < 7 {
								break
							}
						}
						if !slices.Equal(got, want) {
							t.Errorf("%+v:\n got %v\nwant %v", f, got, want)
						}
						var streamed []string
						if err := db.EachSelfServicePurchase(ctx, f, func(ps []*kassa.SelfServicePurchase) error {
							streamed = append(streamed, ids(ps)...)
							return nil
						}); err != nil || !slices.Equal(streamed, want) {
							t.Errorf("%+v: streamed %v (%v), want %v", f, streamed, err, want)
						}
						checked++
					}
				}
			}
		}
	}
	// Totals are counted CountAhead rows past a page's start, and say
	// "more" beyond.
	db.SetCountAhead(5)
	for _, search := range []string{"", "asa", "nobody"} {
		f := kassa.PurchaseFilter{Search: search}
		n := len(f.Apply(all))
		for offset := 0; offset <= n; offset += 3 {
			_, total, err := db.FindSelfServicePurchases(ctx, f, offset, 3)
			if err != nil {
				t.Fatal(err)
			}
			want := sqldb.Total{N: n}
			if n > offset+5 {
				want = sqldb.Total{N: offset + 5, More: true}
			}
			if total != want {
				t.Errorf("%q from %d: total %+v, want %+v (%d in all)", search, offset, total, want, n)
			}
		}
	}
	db.SetCountAhead(sqldb.CountAhead)

	// Holders come with each row, as in the whole view, the first
	// ViewHolders of them by name: ranked, or walked to through the
	// people by name (from any number of holders here).
	for _, walkFrom := range []int{sqldb.WalkHoldersFrom, 1} {
		db.SetWalkHoldersFrom(walkFrom)
		for _, p := range all {
			page, _, err := db.FindSelfServicePurchases(ctx, kassa.PurchaseFilter{Search: p.PurchaserEmail}, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(page, func(q *kassa.SelfServicePurchase) bool { return q.ID == p.ID })
			want := p.AssignedUsers[:min(len(p.AssignedUsers), sqldb.ViewHolders)]
			if i < 0 || !slices.Equal(page[i].AssignedUsers, want) || page[i].PurchaserDisabled != p.PurchaserDisabled {
				t.Errorf("walk from %d: %s not as in the whole view", walkFrom, p.ID)
			}
		}
	}
	db.SetWalkHoldersFrom(sqldb.WalkHoldersFrom)
	t.Logf("%d filters checked over %d purchases", checked, len(all))
}

func ids(ps []*kassa.SelfServicePurchase) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// TestHoldersFollowRenames renames holders after their licenses were
// given, through an assignment and in bulk: the admins' view names them by
// their new names, in the new order, whether a subscription's holders are
// ranked with the page's or read from the index on their own.
func TestHoldersFollowRenames(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	ctx := as(t, db, "astrid@nordvik.example")
	a := kassa.ActorFromContext(ctx)
	var people []*kassa.User
	for i, name := range []string{"Bo Ek", "Cia Ek", "Dan Ek", "Eva Ek"} {
		people = append(people, &kassa.User{Name: name, Email: fmt.Sprintf("r%d@nordvik.example", i), Type: kassa.Member,
			Status: kassa.Active, Role: kassa.RoleUser})
	}
	if err := db.SeedUsers(t.Context(), a.Tenant.ID, people, "x"); err != nil {
		t.Fatal(err)
	}
	mine, err := db.FindSubscriptions(as(t, db, "erik@nordvik.example"), kassa.SubscriptionFilter{})
	if err != nil || len(mine) == 0 {
		t.Fatalf("erik's subscriptions: %v", err)
	}
	s := *mine[0]
	s.PurchaserID, s.Channel, s.Status, s.Quantity = people[0].ID, kassa.SelfService, kassa.StatusActive, 4
	if err := db.SeedSubscriptions(t.Context(), []*kassa.Subscription{&s}); err != nil {
		t.Fatal(err)
	}
	// Two licenses given by an assignment, two in bulk.
	if _, err := db.Assign(kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: people[0], Tenant: a.Tenant}),
		s.ID, []string{people[0].ID, people[1].ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedLicenses(t.Context(), a.Tenant.ID, s.ID, people[0].ID, []string{people[2].ID, people[3].ID}); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		page, _, err := db.FindSelfServicePurchases(ctx, kassa.PurchaseFilter{Search: people[0].Email}, 0, 10)
		if err != nil || len(page) != 1 {
			t.Fatalf("the view: %d rows, %v", len(page), err)
		}
		var out []string
		for _, u := range page[0].AssignedUsers {
			out = append(out, u.Name)
		}
		return out
	}
	for _, from := range []int{sqldb.WalkHoldersFrom, 1} {
		db.SetWalkHoldersFrom(from)
		if got, want := names(), []string{"Bo Ek", "Cia Ek", "Dan Ek", "Eva Ek"}; !slices.Equal(got, want) {
			t.Errorf("from %d, before the renames: %v, want %v", from, got, want)
		}
	}
	for _, r := range []struct {
		who  *kassa.User
		name string
	}{{people[0], "Öst Ek"}, {people[3], "Ada Ek"}} {
		if _, err := db.UpdateUser(ctx, r.who.ID, kassa.UserUpdate{Name: &r.name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []int{sqldb.WalkHoldersFrom, 1} {
		db.SetWalkHoldersFrom(from)
		if got, want := names(), []string{"Ada Ek", "Cia Ek", "Dan Ek", "Öst Ek"}; !slices.Equal(got, want) {
			t.Errorf("from %d, after the renames: %v, want %v", from, got, want)
		}
	}
}
