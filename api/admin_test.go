package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

type purchaseOut struct {
	SubscriptionID string `json:"subscription_id"`
	Product        struct{ ID, Name string }
	Purchaser      struct{ ID, Name, Email string }
	Quantity       int
	ExpiresAt      time.Time                   `json:"expires_at"`
	PurchasePrice  kassa.Money                 `json:"purchase_price"`
	AssignedUsers  []struct{ ID, Name string } `json:"assigned_users"`
}

type purchaseList struct {
	Data       []purchaseOut
	NextCursor *string `json:"next_cursor"`
}

func (ts *testServer) purchases(token, query string) purchaseList {
	ts.t.Helper()
	res := ts.do("GET", "/api/v1/admin/self-service-subscriptions"+query, token, nil)
	if res.status != http.StatusOK {
		ts.t.Fatalf("self-service purchases%s: %d %s", query, res.status, res.body)
	}
	var l purchaseList
	mustUnmarshal(ts.t, res.body, &l)
	return l
}

// newProfile gives the user a billing profile paying with a new Visa card
// and returns its id.
func (ts *testServer) newProfile(token string) string {
	ts.t.Helper()
	card := ts.addCard(token, "4242424242424242", "123")
	res := ts.do("POST", "/api/v1/billing-profiles", token, map[string]any{
		"name": "Team", "email": "team@example.com", "address": stockholm, "payment_method_id": card.ID,
	})
	if res.status != http.StatusCreated {
		ts.t.Fatalf("create profile: %d %s", res.status, res.body)
	}
	var p profileOut
	mustUnmarshal(ts.t, res.body, &p)
	return p.ID
}

func (ts *testServer) buy(b buyer, sku string, quantity int) subscriptionOut {
	ts.t.Helper()
	res := ts.do("POST", "/api/v1/subscriptions", b.token, b.order(sku, quantity))
	if res.status != http.StatusCreated {
		ts.t.Fatalf("buy %s: %d %s", sku, res.status, res.body)
	}
	var sub subscriptionOut
	mustUnmarshal(ts.t, res.body, &sub)
	return sub
}

func TestSelfServiceView(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	mike := newBuyer(ts, "mike@harbor.example")
	mike.profile = ts.newProfile(mike.token)
	sub := ts.buy(erik, "ANALYTICS_PRO", 5)
	people := ts.members(erik.token, 3)
	if res := ts.do("POST", "/api/v1/subscriptions/"+sub.ID+"/licenses", erik.token,
		map[string]any{"user_ids": people[1:3]}); res.status != http.StatusCreated {
		t.Fatalf("assign: %d %s", res.status, res.body)
	}
	if err := ts.clock.Set(testStart.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	small := ts.buy(erik, "MEETING_ROOMS", 2)
	ts.buy(mike, "ANALYTICS_PRO", 1) // another tenant's: never shown to astrid

	l := ts.purchases(astrid, "")
	if len(l.Data) != 2 || l.NextCursor != nil {
		t.Fatalf("astrid sees %d rows, next %v; want erik's 2", len(l.Data), l.NextCursor)
	}
	got := l.Data[1] // newest first
	if got.SubscriptionID != sub.ID || got.Product.Name != "Analytics Pro" || got.Purchaser.Name != "Erik Johansson" ||
		got.Quantity != 5 || !got.ExpiresAt.Equal(time.Date(2026, 12, 23, 9, 0, 0, 0, time.UTC)) ||
		got.PurchasePrice != (kassa.Money{Amount: 5 * 23900, Currency: "SEK"}) || len(got.AssignedUsers) != 2 {
		t.Errorf("row = %+v", got)
	}

	t.Run("SortSearchPage", func(t *testing.T) {
		ids := func(l purchaseList) []string {
			var s []string
			for _, p := range l.Data {
				s = append(s, p.SubscriptionID)
			}
			return s
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"?sort=quantity", []string{small.ID, sub.ID}},
			{"?sort=quantity&order=desc", []string{sub.ID, small.ID}},
			{"?sort=purchase_price&order=desc", []string{sub.ID, small.ID}},
			{"?sort=product&order=asc", []string{sub.ID, small.ID}},
			{"?sort=expires_at&order=desc", []string{small.ID, sub.ID}},
			{"?sort=purchaser", []string{small.ID, sub.ID}}, // a tie keeps id order
			{"?search=analytics", []string{sub.ID}},
			{"?search=M%C3%B6tesrum", []string{small.ID}},
			{"?search=motesrum", []string{small.ID}},
			{"?search=erik%20rooms", []string{small.ID}},
			{"?search=mike", nil},
		} {
			if c.query == "?sort=purchaser" {
				c.want = []string{min(sub.ID, small.ID), max(sub.ID, small.ID)}
			}
			if got := ids(ts.purchases(astrid, c.query)); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.query, got, c.want)
			}
		}
		first := ts.purchases(astrid, "?sort=quantity&limit=1")
		if len(first.Data) != 1 || first.NextCursor == nil {
			t.Fatalf("page 1: %+v", first)
		}
		second := ts.purchases(astrid, "?sort=quantity&limit=1&cursor="+*first.NextCursor)
		if ids(second)[0] != sub.ID || second.NextCursor != nil {
			t.Errorf("page 2: %+v", second)
		}
		for query, field := range map[string]string{
			"?sort=price": "sort", "?order=up": "order", "?limit=0": "limit", "?limit=201": "limit",
			"?cursor=-1": "cursor", "?cursor=x": "cursor", "?format=xml": "format",
		} {
			wantError(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions"+query, astrid, nil), 422, kassa.Invalid, field)
		}
	})

	t.Run("CSV", func(t *testing.T) {
		res := ts.doRaw("GET", "/api/v1/admin/self-service-subscriptions?format=csv&sort=quantity&order=desc", astrid, nil)
		var names []string
		for _, u := range got.AssignedUsers {
			names = append(names, u.Name)
		}
		want := "subscription_id,product,purchaser,purchaser_email,quantity,expires_at,purchase_price,currency,assigned_users\n" +
			sub.ID + ",Analytics Pro,Erik Johansson,erik@nordvik.example,5,2026-12-23T09:00:00Z,1195.00,SEK," + strings.Join(names, "; ") + "\n" +
			small.ID + ",Mötesrum,Erik Johansson,erik@nordvik.example,2,2026-12-23T10:00:00Z," +
			fmt.Sprintf("%d.00", 2*small.UnitPrice.Amount/100) + ",SEK,\n"
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") || string(res.body) != want {
			t.Errorf("csv = %d %s\n%s\nwant\n%s", res.status, res.header.Get("Content-Type"), res.body, want)
		}
		// The language chosen on the pages names the products.
		res = ts.doRaw("GET", "/api/v1/admin/self-service-subscriptions?format=csv", astrid, nil, "Cookie", "lang=en")
		if !strings.Contains(string(res.body), ",Meeting Rooms,") {
			t.Errorf("csv in English:\n%s", res.body)
		}
	})

	t.Run("Trials", func(t *testing.T) {
		order := erik.order("DIAGRAM_STUDIO", 3)
		order["trial"] = true
		res := ts.do("POST", "/api/v1/subscriptions", erik.token, order)
		var trial subscriptionOut
		mustUnmarshal(t, res.body, &trial)
		if res.status != http.StatusCreated || trial.Status != "trialing" {
			t.Fatalf("trial: %d %s", res.status, res.body)
		}
		if l := ts.purchases(astrid, "?trial=true"); len(l.Data) != 1 || l.Data[0].SubscriptionID != trial.ID {
			t.Errorf("trial=true lists %+v, want the trial alone", l.Data)
		}
		if l := ts.purchases(astrid, "?trial=false"); len(l.Data) != 3 {
			t.Errorf("trial=false lists %d rows, want every purchase (3)", len(l.Data))
		}
		if l := ts.purchases(astrid, "?trial=true&search=analytics"); len(l.Data) != 0 {
			t.Errorf("trial=true&search=analytics lists %+v", l.Data)
		}
		res = ts.doRaw("GET", "/api/v1/admin/self-service-subscriptions?format=csv&trial=true", astrid, nil)
		if lines := strings.Count(string(res.body), "\n"); res.status != 200 || lines != 2 || !strings.Contains(string(res.body), trial.ID) {
			t.Errorf("trials as CSV: %d\n%s", res.status, res.body)
		}
		wantError(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions?trial=soon", astrid, nil), 422, kassa.Invalid, "trial")
	})

	t.Run("UsersAreForbidden", func(t *testing.T) {
		wantError(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions", erik.token, nil), 403, kassa.Forbidden, "")
		if l := ts.purchases(ts.login("hannah@harbor.example"), ""); len(l.Data) != 1 || l.Data[0].Purchaser.Email != "mike@harbor.example" {
			t.Errorf("hannah sees %+v", l.Data)
		}
	})
}

func TestTakeOver(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	hannah := ts.login("hannah@harbor.example")
	sub := ts.buy(erik, "ANALYTICS_PRO", 5)
	path := "/api/v1/subscriptions/" + sub.ID
	people := ts.members(erik.token, 4)

	changes := []struct{ method, path string }{
		{"PUT", path + "/quantity"},
		{"GET", path + "/quantity-preview?quantity=6"},
		{"POST", path + "/licenses"},
		{"POST", path + "/licenses/unassign"},
		{"POST", path + "/cancel"},
		{"POST", path + "/reactivate"},
	}
	bodies := map[string]any{
		path + "/quantity": map[string]any{"quantity": 6}, path + "/licenses": map[string]any{"user_ids": people[1:2]},
		path + "/licenses/unassign": map[string]any{"user_ids": people[1:2]}, path + "/cancel": map[string]any{"reason": "unused"},
	}
	forbidden := func(token, says string) {
		t.Helper()
		for _, c := range changes {
			res := ts.do(c.method, c.path, token, bodies[c.path])
			wantError(t, res, 403, kassa.Forbidden, "")
			if !strings.Contains(string(res.body), says) {
				t.Errorf("%s %s: %s, want it to say %q", c.method, c.path, res.body, says)
			}
		}
	}
	// Before: the admin reads it but changes nothing.
	if res := ts.do("GET", path, astrid, nil); res.status != 200 {
		t.Fatalf("astrid reads: %d", res.status)
	}
	forbidden(astrid, "read-only for admins. Take it over")

	wantError(t, ts.do("POST", "/api/v1/admin/subscriptions/"+sub.ID+"/take-over", erik.token, nil), 403, kassa.Forbidden, "")
	wantError(t, ts.do("POST", "/api/v1/admin/subscriptions/"+sub.ID+"/take-over", hannah, nil), 404, kassa.NotFound, "")
	wantError(t, ts.do("POST", "/api/v1/admin/subscriptions/sub_nope/take-over", astrid, nil), 404, kassa.NotFound, "")
	res := ts.do("POST", "/api/v1/admin/subscriptions/"+sub.ID+"/take-over", astrid, nil)
	var taken subscriptionOut
	mustUnmarshal(t, res.body, &taken)
	if res.status != 200 || taken.Channel != "admin" || taken.Purchaser.Email != "erik@nordvik.example" {
		t.Fatalf("take over = %d %s", res.status, res.body)
	}
	wantError(t, ts.do("POST", "/api/v1/admin/subscriptions/"+sub.ID+"/take-over", astrid, nil), 409, kassa.Conflict, "")
	if l := ts.purchases(astrid, ""); len(l.Data) != 0 {
		t.Errorf("a taken-over subscription is still listed as self-service: %+v", l.Data)
	}

	// After: the purchaser reads it but changes nothing; the admin manages it.
	if got := ts.subscriptionByID(erik.token, sub.ID); got.Channel != "admin" {
		t.Errorf("erik reads %+v", got)
	}
	forbidden(erik.token, "admins have taken this subscription over")
	// erik's profile still pays, and admins never charge a person's card:
	// the organization's profile pays for the licenses they add.
	res = ts.do("PUT", path+"/quantity", astrid, map[string]any{"quantity": 6})
	wantError(t, res, 409, kassa.Conflict, "")
	if !strings.Contains(string(res.body), "switch it to one of the organization's billing profiles") {
		t.Errorf("astrid adding to erik's card is told %s", res.body)
	}
	if got := ts.subscriptionByID(astrid, sub.ID); got.Quantity != 5 || got.BillingProfileID != erik.profile {
		t.Errorf("after the refusal: %+v", got)
	}
	ts.payByOrganization(astrid, sub.ID)
	res = ts.do("PUT", path+"/quantity", astrid, map[string]any{"quantity": 6})
	var more subscriptionOut
	mustUnmarshal(t, res.body, &more)
	if res.status != 200 || more.Quantity != 6 || more.InvoiceID == "" {
		t.Fatalf("astrid buys a license: %d %s", res.status, res.body)
	}
	// The invoice is the organization's: its admins read it, erik no longer.
	if res := ts.do("GET", "/api/v1/invoices/"+more.InvoiceID, astrid, nil); res.status != 200 {
		t.Errorf("astrid reads the invoice: %d %s", res.status, res.body)
	}
	wantError(t, ts.do("GET", "/api/v1/invoices/"+more.InvoiceID, erik.token, nil), 404, kassa.NotFound, "")
	if res := ts.do("POST", path+"/licenses", astrid, map[string]any{"user_ids": people[1:3]}); res.status != 201 {
		t.Errorf("astrid assigns: %d %s", res.status, res.body)
	}
	if res := ts.do("POST", path+"/cancel", astrid, map[string]any{"reason": "unused"}); res.status != 200 {
		t.Errorf("astrid cancels: %d %s", res.status, res.body)
	}

	t.Run("Notified", func(t *testing.T) {
		outbox, err := ts.db.FindOutbox(context.Background(), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range outbox {
			if n.Data.SubscriptionID == sub.ID {
				got = append(got, fmt.Sprintf("%s→%s(%v)", n.Kind, n.To, n.Data.ForPurchaser))
			}
		}
		want := []string{
			"purchase→astrid@nordvik.example(false)", "purchase→erik@nordvik.example(true)",
			"take_over→astrid@nordvik.example(false)", "take_over→erik@nordvik.example(true)",
			"cancellation→astrid@nordvik.example(false)", "cancellation→erik@nordvik.example(true)",
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("notifications:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("Audited", func(t *testing.T) {
		var l struct {
			Data []struct {
				Action string
				Actor  *struct{ ID, Name string }
				Before map[string]any
				After  map[string]any
			}
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?object_id="+sub.ID, astrid, nil).body, &l)
		var got []string
		for _, e := range l.Data {
			got = append(got, e.Action+" by "+e.Actor.Name)
		}
		want := []string{
			"subscription.canceled by Astrid Lindqvist", "license.assigned by Astrid Lindqvist",
			"subscription.quantity_changed by Astrid Lindqvist", "subscription.billing_profile_changed by Astrid Lindqvist",
			"subscription.taken_over by Astrid Lindqvist", "subscription.purchased by Erik Johansson",
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit:\n got %v\nwant %v", got, want)
		}
		if q := l.Data[2]; q.Before["quantity"] != 5.0 || q.After["quantity"] != 6.0 {
			t.Errorf("quantity change recorded as %v → %v", q.Before, q.After)
		}
		if _, _, breaks, err := ts.db.VerifyAudit(context.Background()); err != nil || len(breaks) > 0 {
			t.Errorf("verify: %v %v", breaks, err)
		}
	})
}

// actor returns a context acting as the demo user with the email.
func (ts *testServer) actor(email string) context.Context {
	ts.t.Helper()
	c, err := ts.db.FindCredentials(context.Background(), email)
	if err != nil {
		ts.t.Fatal(err)
	}
	return kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: c.User, Tenant: c.Tenant})
}
