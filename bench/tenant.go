package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
)

// The realistic tenant: a Swedish company of 10 000 people (Config.Users)
// with 1 000 subscriptions (Config.Subscriptions), ten for each of the 100
// people who buy for their teams (a larger tenant has more purchasers, not
// more subscriptions each), whose terms have all just ended (so that the
// renewal run has every one of them to do).
const (
	DefaultUsers         = 10_000
	DefaultSubscriptions = 1_000
	subsEach             = 10 // seeded subscriptions per purchaser
	admins               = 3
	seededQty            = 500 // licenses of a seeded subscription: room to assign
	hotQuantity          = 10_000
	limitQuantity        = 50 // the subscription the over-assignment check fills
	password             = "bench-password"
)

// tenant is what setUp made: who signs in and what they manage.
type tenant struct {
	// The members' ids, purchasers first. Only ids are kept, packed (ids),
	// and of the seeded subscriptions only their ids: at 100 000 of each,
	// whole rows would be most of the heap, and the collector's work would
	// slow every figure.
	userIDs     ids
	admin       *kassa.User // signs in for the admins' phases
	purchasers  []*purchaser
	product     *kassa.Product
	hot, limit  *kassa.Subscription // owned by the first purchaser
	directoryID string              // in the apps' token path
	// managed is the admins' own subscription of the second product, a
	// license for everyone: apps assign from it through /graph/v1.0.
	managed struct{ id, skuID string }
}

type purchaser struct {
	user      *kassa.User
	profileID string
	subs      ids    // of its seeded subscriptions, each of seededQty licenses
	token     string // set by signIn
}

// setUp writes the tenant into db: people and subscriptions in bulk, the
// billing profiles and cards the way the service makes them.
//
// The seeded subscriptions' terms have just ended, so that a renewal run has
// all of them to do; with a spread, the i-th of n ends i/n of it from now
// instead, so that they fall due one after another (the soak).
func setUp(ctx context.Context, db *sqldb.DB, gw kassa.Gateway, now time.Time, users, subscriptions int, spread time.Duration) (*tenant, error) {
	t := &tenant{}
	purchasers := subscriptions / subsEach
	ten := &kassa.Tenant{Name: "Bench AB", Country: "SE", Currency: "SEK", Locale: "sv"}
	if err := db.CreateTenant(ctx, ten); err != nil {
		return nil, err
	}
	t.directoryID = ten.DirectoryID
	var products []*kassa.Product
	for i, name := range []string{"Mötesrum", "Projektplan", "Kundkort"} {
		p := &kassa.Product{
			SKU:  fmt.Sprintf("BENCH-%d", i+1),
			Name: kassa.Text{En: name, Sv: name}, Description: kassa.Text{En: name, Sv: name},
			Prices: []kassa.Price{
				{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 9900 + int64(i)*2000},
				{Term: kassa.Annual, Currency: "SEK", UnitAmount: 99000 + int64(i)*20000},
			},
		}
		if err := db.CreateProduct(ctx, p); err != nil {
			return nil, err
		}
		products = append(products, p)
		if t.product == nil {
			t.product = p
		}
	}

	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	people := make([]*kassa.User, 0, users)
	for i := range users {
		u := &kassa.User{Name: personName(i), Email: fmt.Sprintf("user%05d@bench.example", i),
			Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser}
		if i >= purchasers && i < purchasers+admins {
			u.Role = kassa.RoleAdmin
		}
		people = append(people, u)
	}
	if err := db.SeedUsers(ctx, ten.ID, people, hash); err != nil {
		return nil, err
	}
	t.userIDs.b = make([]byte, 0, len(people)*len(people[0].ID))
	for _, u := range people {
		if err := t.userIDs.add(u.ID); err != nil {
			return nil, err
		}
	}
	t.admin = people[purchasers]

	// The purchasers' billing profiles are made side by side, 64 at a time,
	// as their owners would: their writes commit in groups.
	t.purchasers = make([]*purchaser, purchasers)
	errs := make([]error, purchasers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i, u := range people[:purchasers] {
		t.purchasers[i] = &purchaser{user: u}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			actx := kassa.NewContextWithActor(ctx, &kassa.Actor{User: u, Tenant: ten})
			t.purchasers[i].profileID, errs[i] = newProfile(actx, db, gw, u, i)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	var subs []*kassa.Subscription
	anchor := now.AddDate(0, -1, 0).Add(-time.Hour)
	for _, p := range t.purchasers {
		u := p.user
		for range subsEach {
			s := &kassa.Subscription{
				TenantID: ten.ID, ProductID: t.product.ID, PurchaserID: u.ID, BillingProfileID: p.profileID,
				Channel: kassa.SelfService, Status: kassa.StatusActive, Term: kassa.Monthly, Quantity: seededQty,
				UnitPrice: kassa.Money{Amount: t.product.Prices[0].UnitAmount, Currency: "SEK"},
				AnchorAt:  anchor, PeriodStart: anchor, ExpiresAt: now.Add(-time.Hour), AutoRenew: true,
			}
			if spread > 0 {
				end := now.Add(spread * time.Duration(len(subs)) / time.Duration(subscriptions))
				s.ExpiresAt, s.AnchorAt = end, end.AddDate(0, -1, 0)
				s.PeriodStart = s.AnchorAt
			}
			subs = append(subs, s)
		}
	}
	// The hot and the limit subscription are the first purchaser's and not
	// due: the renewal run renews exactly the seeded ones.
	hot, limit := *subs[0], *subs[0]
	hot.Quantity, limit.Quantity = hotQuantity, limitQuantity
	t.hot, t.limit = &hot, &limit
	managed := hot
	managed.ProductID, managed.Channel, managed.PurchaserID = products[1].ID, kassa.AdminManaged, t.admin.ID
	managed.UnitPrice.Amount, managed.Quantity = products[1].Prices[0].UnitAmount, min(users, kassa.MaxQuantity)
	for _, s := range []*kassa.Subscription{t.hot, t.limit, &managed} {
		s.PeriodStart, s.ExpiresAt = now.Add(-time.Hour), now.AddDate(0, 1, 0)
	}
	if err := db.SeedSubscriptions(ctx, append(subs, t.hot, t.limit, &managed)); err != nil {
		return nil, err
	}
	for i, s := range subs {
		p := t.purchasers[i/subsEach]
		if err := p.subs.add(s.ID); err != nil {
			return nil, err
		}
	}
	t.managed.id, t.managed.skuID = managed.ID, products[1].SKUID
	return t, nil
}

// newProfile saves a card with the gateway and makes the purchaser's billing
// profile paying with it.
func newProfile(ctx context.Context, db *sqldb.DB, gw kassa.Gateway, u *kassa.User, i int) (string, error) {
	addr := kassa.Address{Line1: fmt.Sprintf("Storgatan %d", i+1), City: "Stockholm", PostalCode: "111 22", Country: "SE"}
	c := kassa.Card{Number: "4242424242424242", CVC: "123", ExpMonth: 12, ExpYear: time.Now().Year() + 3, Name: u.Name, Address: addr}
	saver, ok := gw.(kassa.CardSaver)
	if !ok {
		return "", fmt.Errorf("the benchmark's cards are the simulator's test cards")
	}
	customer, err := gw.CreateCustomer(ctx, kassa.Customer{Name: u.Name, Email: u.Email})
	if err != nil {
		return "", err
	}
	if _, err := db.SetCustomer(ctx, customer); err != nil {
		return "", err
	}
	saved, err := saver.SaveCard(ctx, customer, c)
	if err != nil {
		return "", err
	}
	p := &kassa.BillingProfile{Name: "Bench AB – " + u.Name, Email: u.Email, Address: addr, Currency: "SEK"}
	m := &kassa.PaymentMethod{GatewayRef: saved.Ref, CustomerRef: customer, Brand: saved.Brand, Last4: saved.Last4,
		ExpMonth: saved.ExpMonth, ExpYear: saved.ExpYear, Name: c.Name, Address: addr}
	if err := db.CreatePaymentMethod(ctx, m); err != nil {
		return "", err
	}
	p.PaymentMethodID = m.ID
	if err := db.CreateBillingProfile(ctx, p); err != nil {
		return "", err
	}
	return p.ID, nil
}

var firstNames = []string{"Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sofia", "Anders", "Åsa", "Örjan",
	"Elin", "Oskar", "Ingrid", "Magnus", "Linnea", "Per", "Ebba", "Gustav", "Malin", "Björn"}
var lastNames = []string{"Lindberg", "Holm", "Sjöberg", "Nyström", "Sandberg", "Wallin", "Lundqvist", "Hedlund",
	"Berglund", "Åkesson", "Ekström", "Dahl", "Nilsson", "Öhman", "Fransson", "Engström", "Björk", "Strand"}

// personName gives user i a name; names repeat, as they do.
func personName(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	return firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
}
