package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/demo"
)

// TestOrganizationBillingProfiles: the organization's cards and billing
// profiles are its admins' together and nobody's own; a take-over keeps
// the purchaser's profile until an admin switches it; what the
// organization pays for is invoiced to it, read by every admin and no
// longer by the purchaser; and no admin charges a person's card.
func TestOrganizationBillingProfiles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	hannah := ts.login("hannah@harbor.example")
	people := ts.members(erik.token, 3)
	// malin is a second admin of Nordvik.
	hash, err := auth.HashPassword(demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	tenant := kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID
	if err := ts.db.CreateUser(t.Context(), tenant, &kassa.User{Name: "Malin Admin", Email: "malin@nordvik.example",
		Type: kassa.Member, Role: kassa.RoleAdmin, Status: kassa.Active}, hash); err != nil {
		t.Fatal(err)
	}
	malin := ts.login("malin@nordvik.example")

	t.Run("BadInputNamesTheFieldAndChangesNothing", func(t *testing.T) {
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"email": "billing@nordvik.example", "address": stockholm}, "name"},
			{map[string]any{"name": "Nordvik AB", "email": "not an email", "address": stockholm}, "email"},
			// erik's own card is not the organization's.
			{map[string]any{"name": "Nordvik AB", "email": "billing@nordvik.example", "address": stockholm,
				"payment_method_id": ts.addCard(erik.token, "4242424242424242", "123").ID}, "payment_method_id"},
		} {
			wantError(t, ts.do("POST", "/api/v1/admin/billing-profiles", astrid, c.body), 422, kassa.Invalid, c.field)
		}
		var l struct{ Data []profileOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/billing-profiles", astrid, nil).body, &l)
		if len(l.Data) != 0 {
			t.Errorf("refusals made profiles: %+v", l.Data)
		}
	})

	org := ts.orgProfile(astrid)

	t.Run("TheOrganizationsNotAnyonesOwn", func(t *testing.T) {
		// Every admin keeps the same ones...
		var l struct{ Data []profileOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/billing-profiles", malin, nil).body, &l)
		if len(l.Data) != 1 || l.Data[0].ID != org || l.Data[0].Name != "Nordvik AB" || l.Data[0].PaymentMethodID == nil {
			t.Fatalf("malin reads %+v", l.Data)
		}
		var cards struct{ Data []paymentMethodOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/payment-methods", malin, nil).body, &cards)
		if len(cards.Data) != 1 || cards.Data[0].ID != *l.Data[0].PaymentMethodID {
			t.Errorf("the organization's cards: %+v", cards.Data)
		}
		if res := ts.do("PATCH", "/api/v1/admin/billing-profiles/"+org, malin, map[string]any{"po_number": "PO-2026-12"}); res.status != 200 {
			t.Errorf("malin edits it: %d %s", res.status, res.body)
		}
		// ...and they are not among anyone's own, admins' included.
		for _, token := range []string{astrid, malin, erik.token} {
			var own struct{ Data []profileOut }
			mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles", token, nil).body, &own)
			for _, p := range own.Data {
				if p.ID == org {
					t.Errorf("the organization's profile is listed as someone's own")
				}
			}
			wantError(t, ts.do("GET", "/api/v1/billing-profiles/"+org, token, nil), 404, kassa.NotFound, "")
		}
		wantError(t, ts.do("GET", "/api/v1/admin/billing-profiles/"+erik.profile, astrid, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", "/api/v1/admin/billing-profiles/"+org, hannah, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", "/api/v1/admin/billing-profiles", erik.token, nil), 403, kassa.Forbidden, "")
		// Nobody buys for themselves with it.
		order := erik.order("ANALYTICS_PRO", 1)
		order["billing_profile_id"] = org
		wantError(t, ts.do("POST", "/api/v1/subscriptions", astrid, order), 422, kassa.Invalid, "billing_profile_id")
	})

	sub := ts.buy(erik, "ANALYTICS_PRO", 2)
	path := "/api/v1/admin/subscriptions/" + sub.ID
	switchTo := func(token, profile string) response {
		return ts.do("PATCH", path, token, map[string]any{"billing_profile_id": profile})
	}

	t.Run("SwitchRefusals", func(t *testing.T) {
		wantError(t, switchTo(astrid, org), 409, kassa.Conflict, "") // self-service: erik pays
		ts.do("POST", path+"/take-over", astrid, nil)
		for _, bad := range []string{erik.profile, "bp_nope", ""} {
			wantError(t, switchTo(astrid, bad), 422, kassa.Invalid, "billing_profile_id")
		}
		wantError(t, ts.do("PATCH", path, astrid, map[string]any{}), 422, kassa.Invalid, "billing_profile_id")
		wantError(t, switchTo(erik.token, org), 403, kassa.Forbidden, "")
		wantError(t, switchTo(hannah, org), 404, kassa.NotFound, "")
		if got := ts.subscriptionByID(astrid, sub.ID); got.BillingProfileID != erik.profile {
			t.Errorf("refusals switched it to %s", got.BillingProfileID)
		}
		// Taken over, erik's card still renews it, but admins add nothing to it.
		for _, req := range []struct{ method, path string }{
			{"PUT", path[len("/api/v1/admin"):] + "/quantity"},
		} {
			wantError(t, ts.do(req.method, "/api/v1"+req.path, astrid, map[string]any{"quantity": 3}), 409, kassa.Conflict, "")
		}
	})

	res := switchTo(malin, org)
	var switched subscriptionOut
	mustUnmarshal(t, res.body, &switched)
	if res.status != 200 || switched.BillingProfileID != org {
		t.Fatalf("switch = %d %s", res.status, res.body)
	}

	orgSpent := func() int64 {
		var l struct {
			OrganizationSpent kassa.Money `json:"organization_spent"`
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/spend-limits", astrid, nil).body, &l)
		return l.OrganizationSpent.Amount
	}
	spentBefore := orgSpent()
	res = ts.do("PUT", "/api/v1/subscriptions/"+sub.ID+"/quantity", astrid, map[string]any{"quantity": 4})
	var more subscriptionOut
	mustUnmarshal(t, res.body, &more)
	if res.status != 200 || more.Quantity != 4 || more.InvoiceID == "" {
		t.Fatalf("add licenses = %d %s", res.status, res.body)
	}
	ts.assign(astrid, sub.ID, people[0], people[1], people[2])
	// What the organization's own profile pays is not self-service spend.
	if got := orgSpent(); got != spentBefore {
		t.Errorf("the organization's charge counted as self-service spend: %d → %d", spentBefore, got)
	}

	t.Run("InvoicesAreTheOrganizations", func(t *testing.T) {
		for _, token := range []string{astrid, malin} {
			if res := ts.do("GET", "/api/v1/invoices/"+more.InvoiceID, token, nil); res.status != 200 {
				t.Errorf("an admin reads the organization's invoice: %d %s", res.status, res.body)
			}
			if res := ts.do("GET", "/api/v1/invoices/"+more.InvoiceID+"/pdf", token, nil); res.status != 200 {
				t.Errorf("an admin reads its PDF: %d", res.status)
			}
		}
		wantError(t, ts.do("GET", "/api/v1/invoices/"+more.InvoiceID, erik.token, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", "/api/v1/invoices/"+more.InvoiceID, hannah, nil), 404, kassa.NotFound, "")
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", malin, nil).body, &l)
		if !slices.ContainsFunc(l.Data, func(i invoiceOut) bool { return i.ID == more.InvoiceID }) {
			t.Errorf("malin's invoice list lacks the organization's: %+v", l.Data)
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
		if slices.ContainsFunc(l.Data, func(i invoiceOut) bool { return i.ID == more.InvoiceID }) {
			t.Errorf("erik's invoice list holds the organization's")
		}
	})

	t.Run("Audited", func(t *testing.T) {
		var l struct {
			Data []struct {
				Action string
				After  map[string]any
			}
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?object_id="+sub.ID, astrid, nil).body, &l)
		if !slices.ContainsFunc(l.Data, func(e struct {
			Action string
			After  map[string]any
		}) bool {
			return e.Action == "subscription.billing_profile_changed" && e.After["billing_profile"] == org
		}) {
			t.Errorf("no switch in the audit log: %+v", l.Data)
		}
	})

	// The renewal is charged to the organization's card and invoiced to it.
	if res := ts.do("POST", "/api/v1/test-clock", astrid, map[string]string{"now": "2027-01-10T00:00:00Z"}); res.status != http.StatusOK {
		t.Fatalf("test clock = %d %s", res.status, res.body)
	}
	astrid, erik.token = ts.login("astrid@nordvik.example"), ts.login("erik@nordvik.example")
	if got := ts.subscriptionByID(astrid, sub.ID); got.Status != "active" || got.Quantity != 4 {
		t.Fatalf("after the renewal: %+v", got)
	}
	renewals := func(token string) int {
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices?period=custom&from=2026-12-01&to=2027-01-31", token, nil).body, &l)
		return len(l.Data)
	}
	if got := renewals(astrid); got != 1 {
		t.Errorf("astrid reads %d invoices since December, want the organization's renewal", got)
	}
	if got := renewals(erik.token); got != 0 {
		t.Errorf("erik reads %d invoices since December, want none: the organization pays", got)
	}
	ts.checkSeats()
}
