package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
)

// LoadHistory gives erik eight months of purchases, license changes, a
// cancellation and a trial, with colleagues holding the licenses, and the
// admins a take-over and anna's purchase to fold in (adminStory), made
// through billing itself on a clock that
// walks from eight months ago to now, renewing as it goes. It moves money,
// so it runs after Load, outside its transaction; it does nothing when erik
// has subscriptions already, so running it again is harmless.
func LoadHistory(ctx context.Context, db *sqldb.DB, gw kassa.Gateway) error {
	creds, err := db.FindCredentials(ctx, "erik@nordvik.example")
	if err != nil {
		return err
	}
	ctx = kassa.NewContextWithActor(ctx, &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	if subs, err := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{}); err != nil || len(subs) > 0 {
		return err
	}
	now := db.Now()
	clock := kassa.NewTestClock(now.AddDate(0, -8, 0))
	hdb := db.WithClock(clock)
	b := billing.New(hdb, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	products, err := hdb.FindProducts(ctx)
	if err != nil {
		return err
	}
	profiles, err := hdb.FindBillingProfiles(ctx)
	if err != nil || len(profiles) == 0 {
		return fmt.Errorf("erik's billing profile: %v", err)
	}
	sku, skuIDs := map[string]string{}, map[string]string{}
	for _, p := range products {
		sku[p.SKU], skuIDs[p.SKU] = p.ID, p.SKUID
	}
	buy := func(product string, term kassa.Term, quantity int, trial bool) (string, error) {
		sub, _, err := b.Purchase(ctx, billing.PurchaseRequest{ProductID: sku[product], Term: term, Quantity: quantity,
			BillingProfileID: profiles[0].ID, Trial: trial}, "")
		if err != nil {
			return "", err
		}
		return sub.ID, nil
	}
	var analytics, meetings, plan, diagrams string
	// The marketing team's profile pays with a card whose bank wants every
	// payment confirmed (4000 0027 6000 3184): erik confirmed the purchase at
	// the bank's page, and the renewal the bank then refused without him
	// waits for him to pay it (Bills & payments › Pay now).
	// Made after his own profile, which stays the one offered first.
	later := kassa.NewTestClock(now.Add(time.Minute))
	marketing, err := bankProfile(ctx, billing.New(db.WithClock(later), gw, later, slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	steps := []struct {
		at time.Time
		do func() error
	}{
		{now.AddDate(0, -8, 0), func() (err error) { analytics, err = buy("ANALYTICS_PRO", kassa.Monthly, 10, false); return }},
		{now.AddDate(0, -7, 3), func() (err error) { plan, err = buy("PROJECT_PLAN", kassa.Annual, 5, false); return }},
		// His colleagues got their licenses in the first weeks: the admins'
		// view shows who has each.
		{now.AddDate(0, -7, 5), func() error {
			return hold(ctx, db, hdb, analytics, "erik", "johan.berglund", "maria.nilsson", "lars.pettersson", "sofia.strand",
				"per.jonsson", "emma.lundqvist")
		}},
		{now.AddDate(0, -7, 6), func() error { return hold(ctx, db, hdb, plan, "erik", "malin.engstrom", "magnus.fransson") }},
		{now.AddDate(0, -5, 0), func() error { _, _, err := b.SetQuantity(ctx, analytics, 13, ""); return err }},
		{now.AddDate(0, -4, 0), func() (err error) { meetings, err = buy("MEETING_ROOMS", kassa.Monthly, 2, false); return }},
		{now.AddDate(0, -4, 10), func() error {
			_, err := b.Cancel(ctx, meetings, "too_expensive", "Vi använder Teams-rummen i stället.")
			return err
		}},
		{now.AddDate(0, -2, 0), func() error { _, _, err := b.SetQuantity(ctx, analytics, 12, ""); return err }},
		{now.AddDate(0, -1, -2), func() error { return buyAtTheBank(ctx, b, gw, sku["MEETING_ROOMS"], marketing) }},
		{now.AddDate(0, 0, -20), func() (err error) { diagrams, err = buy("DIAGRAM_STUDIO", kassa.Monthly, 5, true); return }},
		{now.AddDate(0, 0, -19), func() error { return hold(ctx, db, hdb, diagrams, "petra.blom", "sara.lindgren") }},
	}
	for _, s := range steps {
		if _, err := b.RunDue(ctx, s.at, clock.Set); err != nil {
			return err
		}
		if err := clock.Set(s.at); err != nil {
			return err
		}
		if err := s.do(); err != nil {
			return fmt.Errorf("demo history at %s: %w", s.at.Format(time.DateOnly), err)
		}
	}
	if _, err = b.RunDue(ctx, now, clock.Set); err != nil {
		return err
	}
	// Some holders used their licenses lately (an app's report); the
	// others have not since they got them, and Admin › Idle licenses
	// shows them with what they cost.
	for email, product := range map[string]string{"johan.berglund@nordvik.example": "ANALYTICS_PRO",
		"maria.nilsson@nordvik.example": "ANALYTICS_PRO", "lars.pettersson@nordvik.example": "ANALYTICS_PRO",
		"malin.engstrom@nordvik.example": "PROJECT_PLAN", "petra.blom@nordvik.example": "DIAGRAM_STUDIO"} {
		c, err := db.FindCredentials(ctx, email)
		if err != nil {
			return fmt.Errorf("demo holder %s: %w", email, err)
		}
		if err := db.RecordLicenseActivity(ctx, c.Tenant.ID, c.User.ID, skuIDs[product], now.AddDate(0, 0, -3)); err != nil {
			return fmt.Errorf("demo license activity: %w", err)
		}
	}
	if err := adminStory(ctx, db, gw, sku["PROJECT_PLAN"], plan); err != nil {
		return err
	}
	// The history's notifications are not news: nobody is mailed about it.
	return db.SettleOutbox(ctx, creds.Tenant.ID, now)
}

// hold gives the Nordvik people named (by their mail's local part) a
// license each of the subscription.
func hold(ctx context.Context, db, hdb *sqldb.DB, sub string, names ...string) error {
	var ids []string
	for _, n := range names {
		c, err := db.FindCredentials(ctx, n+"@nordvik.example")
		if err != nil {
			return fmt.Errorf("demo holder %s: %w", n, err)
		}
		ids = append(ids, c.User.ID)
	}
	if _, err := hdb.Assign(ctx, sub, ids); err != nil {
		return fmt.Errorf("demo licenses: %w", err)
	}
	return nil
}

// adminStory gives the admins something to steer (SPEC §12): astrid took
// erik's Project Plan over a month ago, so the organization manages it, and
// since then anna bought a Project Plan of her own for herself and karl.
// Her purchase is the one to fold in: Move users to the organization's,
// which has the two free licenses they need. Spend limits are set, and
// maria's request for Diagram Studio waits for an admin.
// cardProfile saves the card for the actor of ctx and makes the billing
// profile p pay with it.
func cardProfile(ctx context.Context, b *billing.Service, c kassa.Card, p *kassa.BillingProfile) error {
	card, err := b.AddPaymentMethod(ctx, c)
	if err != nil {
		return err
	}
	p.PaymentMethodID = card.ID
	return b.CreateBillingProfile(ctx, p)
}

// organizationPays gives Nordvik a billing profile of its own, with the
// company card, and makes it pay for the Project Plan astrid took over from
// erik, three weeks ago; she added two licenses since, invoiced to it.
func organizationPays(astrid context.Context, db *sqldb.DB, gw kassa.Gateway, now time.Time, plan string) error {
	clock := kassa.NewTestClock(now.AddDate(0, 0, -21))
	b := billing.New(db.WithClock(clock), gw, clock, slog.New(slog.DiscardHandler))
	org := kassa.ForOrganization(astrid)
	address := kassa.Address{Line1: "Sveavägen 44", City: "Stockholm", PostalCode: "111 34", Country: "SE"}
	profile := &kassa.BillingProfile{Name: "Nordvik AB – IT", Email: "it@nordvik.example", Address: address,
		Currency: "SEK", PONumber: "IT-2026-114"}
	if err := cardProfile(org, b, kassa.Card{Number: "5555 5555 5555 4444", CVC: "123", ExpMonth: 9,
		ExpYear: now.Year() + 2, Name: "Nordvik AB", Address: address}, profile); err != nil {
		return fmt.Errorf("demo organization's profile: %w", err)
	}
	if _, err := db.WithClock(clock).SetPayingProfile(astrid, plan, profile.ID); err != nil {
		return fmt.Errorf("demo organization pays: %w", err)
	}
	clock.Set(now.AddDate(0, 0, -9))
	sub, err := db.FindSubscriptionByID(astrid, plan)
	if err != nil {
		return err
	}
	if _, _, err := b.SetQuantity(astrid, plan, sub.Quantity+2, "demo-organization-licenses"); err != nil {
		return fmt.Errorf("demo organization licenses: %w", err)
	}
	return nil
}

func adminStory(ctx context.Context, db *sqldb.DB, gw kassa.Gateway, planProduct, erikPlan string) error {
	as := func(email string) (context.Context, error) {
		c, err := db.FindCredentials(ctx, email)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", email, err)
		}
		return kassa.NewContextWithActor(ctx, &kassa.Actor{User: c.User, Tenant: c.Tenant}), nil
	}
	astrid, err := as("astrid@nordvik.example")
	if err != nil {
		return err
	}
	now := db.Now()
	if _, err := db.WithClock(kassa.NewTestClock(now.AddDate(0, -1, 0))).TakeOver(astrid, erikPlan); err != nil {
		return fmt.Errorf("demo take-over: %w", err)
	}
	if err := organizationPays(astrid, db, gw, now, erikPlan); err != nil {
		return err
	}
	anna, err := as("anna.lindberg@nordvik.example")
	if err != nil {
		return err
	}
	clock := kassa.NewTestClock(now.AddDate(0, 0, -12))
	b := billing.New(db.WithClock(clock), gw, clock, slog.New(slog.DiscardHandler))
	address := kassa.Address{Line1: "Storgatan 12", City: "Stockholm", PostalCode: "111 22", Country: "SE"}
	profile := &kassa.BillingProfile{Name: "Nordvik AB – Ekonomi", Email: "ekonomi@nordvik.example", Address: address,
		Currency: "SEK"}
	if err := cardProfile(anna, b, kassa.Card{Number: "4242 4242 4242 4242", CVC: "123", ExpMonth: 4,
		ExpYear: now.Year() + 3, Name: "Anna Lindberg", Address: address}, profile); err != nil {
		return fmt.Errorf("demo anna's profile: %w", err)
	}
	sub, _, err := b.Purchase(anna, billing.PurchaseRequest{ProductID: planProduct, Term: kassa.Monthly, Quantity: 2,
		BillingProfileID: profile.ID}, "")
	if err != nil {
		return fmt.Errorf("demo purchase: %w", err)
	}
	var ids []string
	for _, email := range []string{"anna.lindberg@nordvik.example", "karl.bjork@nordvik.example"} {
		c, err := db.FindCredentials(ctx, email)
		if err != nil {
			return fmt.Errorf("demo holder %s: %w", email, err)
		}
		ids = append(ids, c.User.ID)
	}
	if _, err := db.WithClock(clock).Assign(anna, sub.ID, ids); err != nil {
		return fmt.Errorf("demo licenses: %w", err)
	}
	// Ceilings on self-service spend, set once the history is made: the
	// organization's, everyone's, and anna's, who buys for her team.
	sek := func(kr int64) *kassa.Money { return &kassa.Money{Amount: kr * 100, Currency: "SEK"} }
	limits := kassa.SpendLimits{Organization: sek(60_000), PerPerson: sek(15_000),
		People: []kassa.PersonLimit{{UserID: ids[0], Monthly: sek(25_000)}}}
	if err := db.SetSpendLimits(astrid, limits); err != nil {
		return fmt.Errorf("demo spend limits: %w", err)
	}
	// maria asks for Diagram Studio, which people may only try, for
	// herself and johan: the request waits under Admin › License requests.
	maria, err := as("maria.nilsson@nordvik.example")
	if err != nil {
		return err
	}
	johan, err := db.FindCredentials(ctx, "johan.berglund@nordvik.example")
	if err != nil {
		return fmt.Errorf("demo johan: %w", err)
	}
	products, err := db.FindProducts(maria)
	if err != nil {
		return err
	}
	for _, p := range products {
		if p.SKU == "DIAGRAM_STUDIO" {
			_, err = db.WithClock(kassa.NewTestClock(now.AddDate(0, 0, -2))).CreateLicenseRequest(maria, p.ID,
				[]string{kassa.ActorFromContext(maria).User.ID, johan.User.ID},
				"Vi ritar om processkartorna för ekonomi i december och behöver Diagramstudio efter provperioden.")
			if err != nil {
				return fmt.Errorf("demo license request: %w", err)
			}
		}
	}
	return nil
}

// bankProfile gives erik the marketing team's billing profile, paying with
// the simulator's card whose bank wants every payment confirmed.
func bankProfile(ctx context.Context, b *billing.Service) (string, error) {
	address := kassa.Address{Line1: "Storgatan 12", Line2: "Plan 3", City: "Stockholm", PostalCode: "111 22", Country: "SE"}
	m, err := b.AddPaymentMethod(ctx, kassa.Card{Number: "4000 0027 6000 3184", CVC: "123", ExpMonth: 9,
		ExpYear: time.Now().Year() + 2, Name: "Erik Johansson", Address: address})
	if err != nil {
		return "", err
	}
	p := &kassa.BillingProfile{Name: "Nordvik AB – Marknad", Email: "marknad@nordvik.example", Address: address,
		Currency: "SEK", PONumber: "PO-2026-204", PaymentMethodID: m.ID}
	if err := b.CreateBillingProfile(ctx, p); err != nil {
		return "", err
	}
	return p.ID, nil
}

// buyAtTheBank buys meeting rooms for the marketing team as erik does:
// present, sent to the bank's page (the simulator's), which he completes,
// and back.
func buyAtTheBank(ctx context.Context, b *billing.Service, gw kassa.Gateway, product, profile string) error {
	sim, ok := gw.(*simulator.Gateway)
	if !ok {
		return nil
	}
	ctx = billing.Present(ctx, "http://localhost:8080")
	_, inv, err := b.Purchase(ctx, billing.PurchaseRequest{ProductID: product, Term: kassa.Monthly, Quantity: 3,
		BillingProfileID: profile}, "")
	if err != nil {
		return err
	}
	if inv == nil || inv.ActionURL == "" {
		return fmt.Errorf("the purchase did not wait for the bank: %+v", inv)
	}
	r := httptest.NewRequestWithContext(ctx, "POST", inv.ActionURL, strings.NewReader("action=complete"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	sim.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther {
		return fmt.Errorf("the bank's page answered %d", w.Code)
	}
	_, err = b.SettlePayment(ctx, inv.ChargeRef)
	return err
}
