package demo_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func TestHistory(t *testing.T) {
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	for range 2 { // the second time changes nothing
		if _, err := demo.Load(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
		if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
	}
	creds, err := db.FindCredentials(t.Context(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	subs, _ := db.FindSubscriptions(ctx, kassa.SubscriptionFilter{})
	statuses := map[kassa.SubscriptionStatus]int{}
	for _, s := range subs {
		statuses[s.Status]++
	}
	// The meeting rooms of the marketing team are past due: their card's
	// bank refused the renewal without erik, who is asked to pay it.
	if len(subs) != 5 || statuses[kassa.StatusActive] != 2 || statuses[kassa.StatusCanceled] != 1 || statuses[kassa.StatusTrialing] != 1 ||
		statuses[kassa.StatusPastDue] != 1 {
		t.Fatalf("erik's subscriptions: %v", statuses)
	}
	invs, _ := db.FindInvoices(ctx, kassa.InvoiceFilter{})
	unpaid := 0
	for _, inv := range invs {
		if inv.Status == kassa.InvoiceOpen && inv.ActionRequired {
			unpaid++
		}
	}
	if unpaid != 1 {
		t.Errorf("%d renewals wait for erik to pay them, want 1", unpaid)
	}
	months := map[string]bool{}
	credits := 0
	for _, inv := range invs {
		months[inv.IssuedAt.Format("2006-01")] = true
		if inv.Type == kassa.TypeCreditNote {
			credits++
		}
	}
	if len(invs) < 12 || len(months) < 8 || credits < 1 {
		t.Errorf("%d invoices over %d months, %d credit notes; want them spread over 8 months", len(invs), len(months), credits)
	}
	for i := 1; i < len(invs); i++ {
		if invs[i].Number >= invs[i-1].Number {
			t.Errorf("invoice numbers out of order: %s then %s", invs[i-1].Number, invs[i].Number)
		}
	}
	// Colleagues hold erik's licenses: the admins' view shows them.
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	view, _, err := db.FindSelfServicePurchases(kassa.NewContextWithActor(t.Context(),
		&kassa.Actor{User: astrid.User, Tenant: astrid.Tenant}), kassa.PurchaseFilter{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]int{}
	for _, p := range view {
		holders[p.ProductName.En] = len(p.AssignedUsers)
		if len(p.AssignedUsers) > p.Quantity {
			t.Errorf("%s: %d holders of %d licenses", p.ProductName.En, len(p.AssignedUsers), p.Quantity)
		}
	}
	// erik's Project Plan was taken over; anna's is the one listed.
	if holders["Analytics Pro"] != 7 || holders["Project Plan"] != 2 || holders["Diagram Studio"] != 2 {
		t.Errorf("holders in the admins' view: %v", holders)
	}
	// anna's two holders fit the organization's Project Plan: Move users
	// is there to try, buying nothing.
	admin := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	annas := view[slices.IndexFunc(view, func(p *kassa.SelfServicePurchase) bool { return p.ProductName.En == "Project Plan" })]
	managed := kassa.AdminManaged
	orgs, err := db.FindSubscriptions(admin, kassa.SubscriptionFilter{Channel: &managed, ProductID: &annas.ProductID})
	if err != nil || len(orgs) != 1 || orgs[0].PurchaserEmail != "erik@nordvik.example" {
		t.Fatalf("the organization's Project Plan: %v (%v)", orgs, err)
	}
	limits, spend, err := db.FindSpendLimits(admin)
	if err != nil || limits.Organization == nil || limits.PerPerson == nil || len(limits.People) != 1 || spend.Organization.Currency != "SEK" {
		t.Errorf("spend limits: %+v, %+v (%v)", limits, spend, err)
	}
	if reqs, err := db.FindLicenseRequests(admin, kassa.RequestPending); err != nil || len(reqs) != 1 || len(reqs[0].Users) != 2 {
		t.Errorf("pending license requests: %v (%v)", reqs, err)
	}
	b := billing.New(db, gw, clock, slog.New(slog.DiscardHandler))
	move, err := b.PreviewMoveUsers(admin, annas.ID, orgs[0].ID)
	if err != nil || move.Holders != 2 || move.LicensesToAdd != 0 || move.Credit.Amount <= 0 {
		t.Errorf("moving anna's users: %+v (%v)", move, err)
	}
	// Admin › All licenses sums them, each product once, and the trials
	// tab has erik's running trial.
	products, err := db.FindProductLicenses(kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant}))
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, p := range products {
		held += p.Assigned
		if len(p.Holders) == 0 && p.Assigned > 0 {
			t.Errorf("%s: %d assigned, no holders named", p.SKU, p.Assigned)
		}
	}
	if len(products) < 3 || held < 12 {
		t.Errorf("all licenses: %d products, %d licenses held", len(products), held)
	}
	trials, _, err := db.FindSelfServicePurchases(kassa.NewContextWithActor(t.Context(),
		&kassa.Actor{User: astrid.User, Tenant: astrid.Tenant}), kassa.PurchaseFilter{Trial: true}, 0, 10)
	if err != nil || len(trials) != 1 || trials[0].ProductName.En != "Diagram Studio" {
		t.Errorf("trials tab: %d rows (%v)", len(trials), err)
	}
}

// TestDirectory: Nordvik's Entra ID has provisioned its new hires and two
// groups through /scim/v2, and Directory sync shows the token and every
// request; loading again changes nothing.
func TestDirectory(t *testing.T) {
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	a, err := auth.New(db, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := demo.Load(t.Context(), db, simulator.New(clock)); err != nil {
			t.Fatal(err)
		}
		if err := demo.LoadDirectory(t.Context(), db, a); err != nil {
			t.Fatal(err)
		}
	}
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	tokens, err := db.FindSCIMTokens(ctx)
	if err != nil || len(tokens) != 1 || tokens[0].Name != "Microsoft Entra ID" {
		t.Fatalf("tokens %v (%v)", tokens, err)
	}
	requests, err := db.FindSCIMRequests(ctx, 100)
	if err != nil || len(requests) != 12 { // a GET and a POST per new hire, a GET, POST and PATCH per group
		t.Fatalf("%d requests (%v), want 12", len(requests), err)
	}
	for _, email := range []string{"sofia.berg@nordvik.example", "oskar.lund@nordvik.example", "leila.haddad@nordvik.example"} {
		c, err := db.FindCredentials(t.Context(), email)
		if err != nil {
			t.Fatalf("%s: %v", email, err)
		}
		if managed, err := db.DirectoryManaged(ctx, c.User.ID); err != nil || !managed[c.User.ID] || c.Tenant.ID != astrid.Tenant.ID {
			t.Errorf("%s: managed %v (%v) in %s", email, managed, err, c.Tenant.Name)
		}
	}
	groups, n, err := db.FindGroups(t.Context(), astrid.Tenant.ID, kassa.GroupFilter{}, 0, 10, true)
	if err != nil || n != 2 || len(groups[0].Members)+len(groups[1].Members) != 5 {
		t.Fatalf("groups %v (%d, %v)", groups, n, err)
	}
}

// TestApps: Nordvik's Diagram Studio is managed by its admins and
// registered as an app, which gave maria a license through /graph/v1.0;
// its vendor's endpoint has the ping and that license's event waiting;
// loading again changes nothing.
func TestApps(t *testing.T) {
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	a, err := auth.New(db, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		gw := simulator.New(clock)
		if _, err := demo.Load(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
		if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
			t.Fatal(err)
		}
		if err := demo.LoadApps(t.Context(), db, a); err != nil {
			t.Fatal(err)
		}
	}
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	apps, err := db.FindApps(ctx)
	if err != nil || len(apps) != 1 || apps[0].Name != demo.DemoAppName {
		t.Fatalf("apps %v (%v)", apps, err)
	}
	secrets, err := db.FindAppSecrets(ctx, apps[0].ID)
	if err != nil || len(secrets) != 1 || secrets[0].LastUsedAt == nil {
		t.Fatalf("secrets %v (%v): the app has not signed in", secrets, err)
	}
	hooks, err := db.FindWebhookEndpoints(ctx)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("endpoints %v (%v)", hooks, err)
	}
	ds, _, err := db.FindWebhookDeliveries(ctx, hooks[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range ds {
		types = append(types, d.Type)
		if d.Type == kassa.EventLicenseAssigned && !strings.Contains(d.Payload, `"user_email":"maria.nilsson@nordvik.example"`) {
			t.Errorf("license.assigned: %s", d.Payload)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{kassa.EventLicenseAssigned, kassa.WebhookPing}) {
		t.Errorf("deliveries %v", types)
	}
}
