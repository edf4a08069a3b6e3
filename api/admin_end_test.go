package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

type movePreviewOut struct {
	Holders       int         `json:"holders"`
	FreeInTarget  int         `json:"free_in_target"`
	LicensesToAdd int         `json:"licenses_to_add"`
	AmountDue     kassa.Money `json:"amount_due"`
	Credit        kassa.Money `json:"credit"`
}

// adminSubscription has the admin buy a subscription and take it over:
// an admin-managed subscription, as the organization's own.
func (ts *testServer) adminSubscription(admin buyer, sku string, quantity int) subscriptionOut {
	ts.t.Helper()
	sub := ts.buy(admin, sku, quantity)
	if res := ts.do("POST", "/api/v1/admin/subscriptions/"+sub.ID+"/take-over", admin.token, nil); res.status != http.StatusOK {
		ts.t.Fatalf("take over: %d %s", res.status, res.body)
	}
	ts.payByOrganization(admin.token, sub.ID)
	return ts.subscriptionByID(admin.token, sub.ID)
}

// orgProfile returns the organization's billing profile, paying with a
// card of its own, made by the admin the first time.
func (ts *testServer) orgProfile(admin string) string {
	ts.t.Helper()
	var l struct{ Data []struct{ ID string } }
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/admin/billing-profiles", admin, nil).body, &l)
	if len(l.Data) > 0 {
		return l.Data[0].ID
	}
	var card, made struct{ ID string }
	res := ts.do("POST", "/api/v1/admin/payment-methods", admin, cardBody("4242424242424242", "123"))
	mustUnmarshal(ts.t, res.body, &card)
	res = ts.do("POST", "/api/v1/admin/billing-profiles", admin, map[string]any{"name": "Nordvik AB", "email": "billing@nordvik.example",
		"address": stockholm, "payment_method_id": card.ID})
	if res.status != http.StatusCreated {
		ts.t.Fatalf("the organization's profile: %d %s", res.status, res.body)
	}
	mustUnmarshal(ts.t, res.body, &made)
	return made.ID
}

// payByOrganization switches an admin-managed subscription to the
// organization's billing profile.
func (ts *testServer) payByOrganization(admin, subID string) {
	ts.t.Helper()
	res := ts.do("PATCH", "/api/v1/admin/subscriptions/"+subID, admin, map[string]any{"billing_profile_id": ts.orgProfile(admin)})
	if res.status != http.StatusOK {
		ts.t.Fatalf("switch %s to the organization's profile: %d %s", subID, res.status, res.body)
	}
}

// holderIDs returns who holds a license of the subscription, sorted.
func (ts *testServer) holderIDs(token, subID string) []string {
	ts.t.Helper()
	var l struct {
		Data []struct{ User struct{ ID string } }
	}
	res := ts.do("GET", "/api/v1/subscriptions/"+subID+"/licenses", token, nil)
	if res.status != http.StatusOK {
		ts.t.Fatalf("licenses of %s: %d %s", subID, res.status, res.body)
	}
	mustUnmarshal(ts.t, res.body, &l)
	var ids []string
	for _, a := range l.Data {
		ids = append(ids, a.User.ID)
	}
	slices.Sort(ids)
	return ids
}

// notified returns the notifications of a subscription as kind→email.
func (ts *testServer) notified(subID string) []string {
	ts.t.Helper()
	outbox, err := ts.db.FindOutbox(context.Background(), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	var got []string
	for _, n := range outbox {
		if n.Data.SubscriptionID == subID {
			got = append(got, fmt.Sprintf("%s→%s", n.Kind, n.To))
		}
	}
	slices.Sort(got)
	return got
}

// checkSeats fails unless every subscription's count of assigned licenses
// is its number of licenses, within its quantity.
func (ts *testServer) checkSeats() {
	ts.t.Helper()
	var bad int
	err := sqldbtest.Raw(ts.t, ts.dsn).QueryRow(`
		SELECT COUNT(*) FROM subscriptions s
		WHERE s.assigned > s.quantity OR s.assigned <> (SELECT COUNT(*) FROM licenses l WHERE l.subscription_id = s.id)`).Scan(&bad)
	if err != nil {
		ts.t.Fatal(err)
	}
	if bad != 0 {
		ts.t.Errorf("%d subscriptions whose assigned count is not their licenses, within their quantity", bad)
	}
}

func TestMoveUsers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := newBuyer(ts, "astrid@nordvik.example")
	astrid.profile = ts.newProfile(astrid.token)
	hannah := ts.login("hannah@harbor.example")
	people := ts.members(erik.token, 6)

	ts.clock.Set(ts.clock.Now().Add(10 * 24 * time.Hour)) // past §2's 7 days: the admin's move credits all the same
	src := ts.buy(erik, "ANALYTICS_PRO", 5)
	ts.assign(erik.token, src.ID, people[0], people[1], people[2])
	target := ts.adminSubscription(astrid, "ANALYTICS_PRO", 2)
	ts.assign(astrid.token, target.ID, people[0]) // holds a license of both
	other := ts.adminSubscription(astrid, "PROJECT_PLAN", 5)
	selfService := ts.buy(astrid, "ANALYTICS_PRO", 1)
	ts.clock.Set(ts.clock.Now().Add(5 * 24 * time.Hour))

	base := "/api/v1/admin/subscriptions/" + src.ID
	preview := func(t *testing.T, token, target string) response {
		t.Helper()
		return ts.do("GET", base+"/move-users-preview?target_subscription_id="+target, token, nil)
	}

	t.Run("Preview", func(t *testing.T) {
		res := preview(t, astrid.token, target.ID)
		var p movePreviewOut
		mustUnmarshal(t, res.body, &p)
		// Two holders move (the third holds one already), one license is
		// free: one to add, 239 kr × 26/31 days left (3 December to 3
		// January, from the 8th) = 200,45 kr + 25 % VAT = 250,56 kr. erik
		// gets 5 × 239 kr × 26/31 = 1 002,26 kr + VAT 250,56 kr = 1 252,82 kr
		// back.
		if res.status != 200 || p.Holders != 2 || p.FreeInTarget != 1 || p.LicensesToAdd != 1 ||
			p.AmountDue.Amount != 25056 || p.Credit.Amount != 125282 {
			t.Fatalf("preview = %d %s", res.status, res.body)
		}
	})

	t.Run("BadInputNamesTheField", func(t *testing.T) {
		for _, bad := range []string{other.ID, selfService.ID, "sub_nope", "", src.ID} {
			wantError(t, preview(t, astrid.token, bad), 422, kassa.Invalid, "target_subscription_id")
			wantError(t, ts.do("POST", base+"/move-users", astrid.token,
				map[string]any{"target_subscription_id": bad, "add_licenses": 5}), 422, kassa.Invalid, "target_subscription_id")
		}
		wantError(t, ts.do("POST", base+"/move-users", astrid.token,
			map[string]any{"target_subscription_id": target.ID, "add_licenses": -1}), 422, kassa.Invalid, "add_licenses")
		wantError(t, ts.do("POST", base+"/move-users", astrid.token,
			map[string]any{"target_subscription_id": target.ID, "add_licenses": "two"}), 422, kassa.Invalid, "add_licenses")
	})

	t.Run("RolesAndTenants", func(t *testing.T) {
		wantError(t, preview(t, erik.token, target.ID), 403, kassa.Forbidden, "")
		wantError(t, ts.do("POST", base+"/move-users", erik.token, map[string]any{"target_subscription_id": target.ID}),
			403, kassa.Forbidden, "")
		wantError(t, preview(t, hannah, target.ID), 404, kassa.NotFound, "")
		wantError(t, ts.do("POST", base+"/move-users", hannah, map[string]any{"target_subscription_id": target.ID}),
			404, kassa.NotFound, "")
		// Moving from the organization's own subscription is not a move.
		wantError(t, ts.do("GET", "/api/v1/admin/subscriptions/"+other.ID+"/move-users-preview?target_subscription_id="+target.ID,
			astrid.token, nil), 409, kassa.Conflict, "")
	})

	t.Run("TooFewLicensesChangesNothing", func(t *testing.T) {
		res := ts.do("POST", base+"/move-users", astrid.token, map[string]any{"target_subscription_id": target.ID})
		wantError(t, res, 409, kassa.Conflict, "")
		if !strings.Contains(string(res.body), "add 1 license first") {
			t.Errorf("refusal says %s", res.body)
		}
		if s := ts.subscriptionByID(astrid.token, src.ID); s.Status != "active" || s.Assigned != 3 {
			t.Errorf("source after a refusal: %+v", s)
		}
		if s := ts.subscriptionByID(astrid.token, target.ID); s.Quantity != 2 || s.Assigned != 1 {
			t.Errorf("target after a refusal: %+v", s)
		}
	})

	res := ts.do("POST", base+"/move-users", astrid.token, map[string]any{"target_subscription_id": target.ID, "add_licenses": 1})
	var moved subscriptionOut
	mustUnmarshal(t, res.body, &moved)
	if res.status != 200 || moved.ID != target.ID || moved.Quantity != 3 || moved.Assigned != 3 {
		t.Fatalf("move = %d %s", res.status, res.body)
	}

	t.Run("EveryoneMovedInOneStep", func(t *testing.T) {
		if got, want := ts.holderIDs(astrid.token, target.ID), slices.Sorted(slices.Values(people[:3])); !slices.Equal(got, want) {
			t.Errorf("target holders = %v, want %v", got, want)
		}
		s := ts.subscriptionByID(erik.token, src.ID)
		if s.Status != "canceled" || s.Assigned != 0 {
			t.Errorf("source = %+v", s)
		}
		var c cancelOut
		mustUnmarshal(t, ts.do("GET", "/api/v1/subscriptions/"+src.ID, erik.token, nil).body, &c)
		if c.CancelReason == nil || *c.CancelReason != "users_moved" || c.AutoRenew {
			t.Errorf("source = %+v", c)
		}
		if got := ts.holderIDs(erik.token, src.ID); len(got) != 0 {
			t.Errorf("source still has holders %v", got)
		}
		ts.checkSeats()
	})

	t.Run("PurchaserCreditedAndTold", func(t *testing.T) {
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
		if len(l.Data) == 0 || l.Data[0].Type != "credit_note" || l.Data[0].Total.Amount != -125282 || l.Data[0].Status != "paid" {
			t.Fatalf("erik's invoices = %+v", l.Data)
		}
		want := []string{
			"purchase→astrid@nordvik.example", "purchase→erik@nordvik.example",
			"users_moved→astrid@nordvik.example", "users_moved→erik@nordvik.example",
		}
		if got := ts.notified(src.ID); !slices.Equal(got, want) {
			t.Errorf("notified %v, want %v", got, want)
		}
	})

	t.Run("Audited", func(t *testing.T) {
		var l struct {
			Data []struct {
				Action string
				Object struct{ ID string }
			}
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?limit=10", astrid.token, nil).body, &l)
		var got []string
		for _, e := range l.Data {
			if e.Object.ID == src.ID || e.Object.ID == target.ID {
				got = append(got, e.Action)
			}
		}
		for _, want := range []string{"subscription.canceled", "license.released", "license.assigned", "subscription.quantity_changed"} {
			if !slices.Contains(got, want) {
				t.Errorf("audit log %v lacks %s", got, want)
			}
		}
	})

	t.Run("RetryBuysNothingAgain", func(t *testing.T) {
		res := ts.do("POST", base+"/move-users", astrid.token, map[string]any{"target_subscription_id": target.ID, "add_licenses": 1})
		wantError(t, res, 409, kassa.Conflict, "")
		if s := ts.subscriptionByID(astrid.token, target.ID); s.Quantity != 3 {
			t.Errorf("target after a retry: %+v", s)
		}
	})
}

// TestMoveUsersRacesAssignments moves holders into a subscription while
// its admin assigns its free licenses to others: whichever commits first
// wins the licenses, the other is refused whole, and no count passes its
// quantity (both engines).
func TestMoveUsersRacesAssignments(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := newBuyer(ts, "astrid@nordvik.example")
	astrid.profile = ts.newProfile(astrid.token)
	people := ts.members(erik.token, 20)
	target := ts.adminSubscription(astrid, "ANALYTICS_PRO", 8)
	var srcs []subscriptionOut
	for i := range 3 {
		s := ts.buy(erik, "ANALYTICS_PRO", 2)
		ts.assign(erik.token, s.ID, people[2*i], people[2*i+1])
		srcs = append(srcs, s)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i, s := range srcs {
		wg.Go(func() {
			statuses[i] = ts.do("POST", "/api/v1/admin/subscriptions/"+s.ID+"/move-users", astrid.token,
				map[string]any{"target_subscription_id": target.ID}).status
		})
	}
	for i := range 3 {
		wg.Go(func() {
			statuses[3+i] = ts.do("POST", "/api/v1/subscriptions/"+target.ID+"/licenses", astrid.token,
				map[string]any{"user_ids": people[10+2*i : 12+2*i]}).status
		})
	}
	wg.Wait()
	took := 0
	for i, st := range statuses {
		switch {
		case i < 3 && st == 200, i >= 3 && st == 201:
			took += 2
		case st != 409:
			t.Errorf("request %d answered %d", i, st)
		}
	}
	if took != 8 {
		t.Errorf("%d licenses taken of 8 (%v)", took, statuses)
	}
	for i, s := range srcs {
		got := ts.subscriptionByID(erik.token, s.ID)
		if moved := statuses[i] == 200; moved != (got.Status == "canceled") || moved != (got.Assigned == 0) {
			t.Errorf("source %d answered %d and is %+v", i, statuses[i], got)
		}
	}
	ts.checkSeats()
}

func TestAdminCancel(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	people := ts.members(erik.token, 3)
	sub := ts.buy(erik, "ANALYTICS_PRO", 4)
	ts.assign(erik.token, sub.ID, people[0], people[1])
	path := "/api/v1/admin/subscriptions/" + sub.ID + "/cancel"
	ts.clock.Set(ts.clock.Now().Add(20 * 24 * time.Hour))

	t.Run("BadInputNamesTheField", func(t *testing.T) {
		wantError(t, ts.do("POST", path, astrid, map[string]any{"reason": "bored"}), 422, kassa.Invalid, "reason")
		wantError(t, ts.do("POST", path, astrid, map[string]any{"reason": "users_moved"}), 422, kassa.Invalid, "reason")
		wantError(t, ts.do("POST", path, astrid, map[string]any{"reason": "other", "feedback": strings.Repeat("å", 5001)}),
			422, kassa.Invalid, "feedback")
		if s := ts.subscriptionByID(erik.token, sub.ID); s.Status != "active" || s.Assigned != 2 {
			t.Errorf("after bad input: %+v", s)
		}
	})
	t.Run("RolesAndTenants", func(t *testing.T) {
		wantError(t, ts.do("POST", path, erik.token, map[string]any{"reason": "other"}), 403, kassa.Forbidden, "")
		wantError(t, ts.do("POST", path, ts.login("hannah@harbor.example"), map[string]any{"reason": "other"}), 404, kassa.NotFound, "")
	})

	res := ts.do("POST", path, astrid, map[string]any{"reason": "switched_service", "feedback": "Vi har ett avtal för hela bolaget."})
	var c cancelOut
	mustUnmarshal(t, res.body, &c)
	if res.status != 200 || c.Status != "canceled" || c.Assigned != 0 || c.CancelReason == nil || *c.CancelReason != "switched_service" ||
		c.CancelFeedback == nil || *c.CancelFeedback != "Vi har ett avtal för hela bolaget." {
		t.Fatalf("cancel = %d %s", res.status, res.body)
	}
	if got := ts.holderIDs(erik.token, sub.ID); len(got) != 0 {
		t.Errorf("holders kept %v", got)
	}
	// 4 × 239 kr × 10/30 days left = 318,67 kr + VAT 79,67 kr = 398,34 kr,
	// refunded to the card: the balance stays 0.
	var l struct{ Data []invoiceOut }
	mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
	if len(l.Data) != 2 || l.Data[0].Type != "credit_note" || l.Data[0].Total.Amount != -39834 {
		t.Fatalf("invoices = %+v", l.Data)
	}
	var p profileOut
	mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles/"+erik.profile, erik.token, nil).body, &p)
	if p.Balance.Amount != 0 {
		t.Errorf("balance = %d, want the refund on the card", p.Balance.Amount)
	}
	want := []string{
		"admin_cancellation→astrid@nordvik.example", "admin_cancellation→erik@nordvik.example",
		"purchase→astrid@nordvik.example", "purchase→erik@nordvik.example",
	}
	if got := ts.notified(sub.ID); !slices.Equal(got, want) {
		t.Errorf("notified %v, want %v", got, want)
	}
	wantError(t, ts.do("POST", path, astrid, map[string]any{"reason": "other"}), 409, kassa.Conflict, "")
	ts.checkSeats()

	t.Run("Trial", func(t *testing.T) {
		order := erik.order("DIAGRAM_STUDIO", 3)
		order["trial"] = true
		var trial subscriptionOut
		mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, order).body, &trial)
		ts.assign(erik.token, trial.ID, people[2])
		res := ts.do("POST", "/api/v1/admin/subscriptions/"+trial.ID+"/cancel", astrid, map[string]any{"reason": "unused"})
		var c cancelOut
		mustUnmarshal(t, res.body, &c)
		if res.status != 200 || c.Status != "canceled" || c.Assigned != 0 {
			t.Fatalf("cancel trial = %d %s", res.status, res.body)
		}
		var after struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &after)
		if len(after.Data) != 2 {
			t.Errorf("a trial's cancellation issued %d documents", len(after.Data)-2)
		}
	})
}
