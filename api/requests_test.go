package api

import (
	"slices"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

type requestOut struct {
	ID        string
	Product   struct{ ID, Name string }
	Requester struct{ ID, Name string }
	Users     []struct {
		ID       string
		Approved bool
	}
	Message        string
	Status         string
	DecidedBy      *struct{ ID, Name string } `json:"decided_by"`
	Decision       string                     `json:"decision_message"`
	SubscriptionID *string                    `json:"subscription_id"`
}

func TestLicenseRequests(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	anna := ts.login("anna.lindberg@nordvik.example")
	astrid := newBuyer(ts, "astrid@nordvik.example")
	astrid.profile = ts.newProfile(astrid.token)
	hannah := ts.login("hannah@harbor.example")
	people := ts.members(erik.token, 6)
	me := ts.me(erik.token).ID
	var guest string
	var l userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=200", astrid.token, nil).body, &l)
	for _, u := range l.Data {
		if u.Type == "guest" {
			guest = u.ID
		}
	}
	// The organization's Analytics Pro, with 2 licenses; then nobody may
	// buy it themselves.
	org := ts.adminSubscription(astrid, "ANALYTICS_PRO", 2)
	if res := ts.do("PUT", "/api/v1/admin/purchase-policies", astrid.token, map[string]any{"products": []map[string]any{
		{"product_id": erik.products["ANALYTICS_PRO"], "policy": "disabled"}}}); res.status != 200 {
		t.Fatalf("policy = %d %s", res.status, res.body)
	}
	var others []string
	for _, id := range people {
		if id != me {
			others = append(others, id)
		}
	}
	ask := map[string]any{"product_id": erik.products["ANALYTICS_PRO"], "user_ids": []string{me, others[0], others[1]},
		"message": "Vi behöver analysverktyget för kvartalsrapporten."}

	t.Run("BadInputNamesTheField", func(t *testing.T) {
		for field, body := range map[string]map[string]any{
			"product_id": {"product_id": erik.products["MEETING_ROOMS"], "user_ids": []string{me}},
			"user_ids":   {"product_id": erik.products["ANALYTICS_PRO"], "user_ids": []string{me, guest}},
			"message":    {"product_id": erik.products["ANALYTICS_PRO"], "user_ids": []string{me}, "message": string(make([]byte, 2001))},
		} {
			wantError(t, ts.do("POST", "/api/v1/license-requests", erik.token, body), 422, kassa.Invalid, field)
		}
		wantError(t, ts.do("POST", "/api/v1/license-requests", erik.token,
			map[string]any{"product_id": "prd_nope", "user_ids": []string{me}}), 422, kassa.Invalid, "product_id")
		wantError(t, ts.do("POST", "/api/v1/license-requests", erik.token,
			map[string]any{"product_id": erik.products["ANALYTICS_PRO"], "user_ids": []string{}}), 422, kassa.Invalid, "user_ids")
		wantError(t, ts.do("GET", "/api/v1/license-requests?status=maybe", erik.token, nil), 422, kassa.Invalid, "status")
	})

	res := ts.do("POST", "/api/v1/license-requests", erik.token, ask)
	var req requestOut
	mustUnmarshal(t, res.body, &req)
	if res.status != 201 || req.Status != "pending" || len(req.Users) != 3 || req.Requester.ID != me || req.DecidedBy != nil {
		t.Fatalf("request = %d %s", res.status, res.body)
	}
	decide := "/api/v1/admin/license-requests/" + req.ID + "/decide"

	t.Run("WhoSeesIt", func(t *testing.T) {
		list := func(token, query string) []requestOut {
			t.Helper()
			var l struct{ Data []requestOut }
			mustUnmarshal(t, ts.do("GET", "/api/v1/license-requests"+query, token, nil).body, &l)
			return l.Data
		}
		if got := list(erik.token, ""); len(got) != 1 || got[0].ID != req.ID {
			t.Errorf("erik sees %+v", got)
		}
		if got := list(anna, ""); len(got) != 0 {
			t.Errorf("anna sees %+v", got)
		}
		if got := list(astrid.token, "?status=pending"); len(got) != 1 {
			t.Errorf("astrid sees %+v", got)
		}
		if got := list(astrid.token, "?status=declined"); len(got) != 0 {
			t.Errorf("astrid's declined: %+v", got)
		}
		if got := list(hannah, ""); len(got) != 0 {
			t.Errorf("hannah sees %+v", got)
		}
		wantError(t, ts.do("POST", decide, erik.token, map[string]any{}), 403, kassa.Forbidden, "")
		wantError(t, ts.do("POST", decide, hannah, map[string]any{}), 404, kassa.NotFound, "")
	})

	t.Run("ARefusalChangesNothing", func(t *testing.T) {
		wantError(t, ts.do("POST", decide, astrid.token, map[string]any{"approve_user_ids": []string{people[5]}, "subscription_id": org.ID}),
			422, kassa.Invalid, "approve_user_ids")
		wantError(t, ts.do("POST", decide, astrid.token, map[string]any{"approve_user_ids": []string{me}}), 422, kassa.Invalid, "subscription_id")
		// Three do not fit the two free licenses.
		wantError(t, ts.do("POST", decide, astrid.token, map[string]any{"approve_user_ids": []string{me, others[0], others[1]},
			"subscription_id": org.ID}), 409, kassa.Conflict, "")
		if s := ts.subscriptionByID(astrid.token, org.ID); s.Assigned != 0 {
			t.Errorf("assigned %d after a refusal", s.Assigned)
		}
	})

	res = ts.do("POST", decide, astrid.token, map[string]any{"approve_user_ids": []string{me, others[0]}, "subscription_id": org.ID,
		"message": "Två licenser räcker för rapporten."})
	var decided requestOut
	mustUnmarshal(t, res.body, &decided)
	if res.status != 200 || decided.Status != "partially_approved" || decided.DecidedBy == nil || decided.SubscriptionID == nil ||
		*decided.SubscriptionID != org.ID || decided.Decision != "Två licenser räcker för rapporten." {
		t.Fatalf("decide = %d %s", res.status, res.body)
	}
	if got, want := ts.holderIDs(astrid.token, org.ID), slices.Sorted(slices.Values([]string{me, others[0]})); !slices.Equal(got, want) {
		t.Errorf("holders = %v, want %v", got, want)
	}
	wantError(t, ts.do("POST", decide, astrid.token, map[string]any{}), 409, kassa.Conflict, "")
	outbox, err := ts.db.FindOutbox(t.Context(), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, n := range outbox {
		if n.Data.RequestID == req.ID {
			told = append(told, string(n.Kind)+"→"+n.To)
		}
	}
	slices.Sort(told)
	if want := []string{"license_request_decided→erik@nordvik.example", "license_request→astrid@nordvik.example"}; !slices.Equal(told, want) {
		t.Errorf("told %v, want %v", told, want)
	}

	t.Run("BuyMore", func(t *testing.T) {
		// Two more, and the organization's subscription is full: the
		// decision buys the missing two when the admin accepts them.
		res := ts.do("POST", "/api/v1/license-requests", erik.token, map[string]any{"product_id": erik.products["ANALYTICS_PRO"],
			"user_ids": []string{others[1], others[2]}})
		var more requestOut
		mustUnmarshal(t, res.body, &more)
		path := "/api/v1/admin/license-requests/" + more.ID + "/decide"
		body := map[string]any{"approve_user_ids": []string{others[1], others[2]}, "subscription_id": org.ID, "add_licenses": 1}
		wantError(t, ts.do("POST", path, astrid.token, body), 409, kassa.Conflict, "")
		if s := ts.subscriptionByID(astrid.token, org.ID); s.Quantity != 2 {
			t.Errorf("quantity %d after a refusal", s.Quantity)
		}
		body["add_licenses"] = 5
		res = ts.do("POST", path, astrid.token, body)
		var decided requestOut
		mustUnmarshal(t, res.body, &decided)
		if res.status != 200 || decided.Status != "approved" {
			t.Fatalf("decide with more = %d %s", res.status, res.body)
		}
		if s := ts.subscriptionByID(astrid.token, org.ID); s.Quantity != 4 || s.Assigned != 4 {
			t.Errorf("after buying the missing: %+v, want 4 of 4", s)
		}
	})

	t.Run("External", func(t *testing.T) {
		const path = "/api/v1/admin/license-request-settings"
		wantError(t, ts.do("PUT", path, astrid.token, map[string]any{"mode": "external"}), 422, kassa.Invalid, "message")
		wantError(t, ts.do("PUT", path, astrid.token, map[string]any{"mode": "external", "url": "http://it.nordvik.example"}), 422, kassa.Invalid, "url")
		wantError(t, ts.do("PUT", path, astrid.token, map[string]any{"mode": "sometimes"}), 422, kassa.Invalid, "mode")
		wantError(t, ts.do("PUT", path, erik.token, map[string]any{"mode": "requests"}), 403, kassa.Forbidden, "")
		res := ts.do("PUT", path, astrid.token, map[string]any{"mode": "external", "message": "Beställ i IT-portalen.",
			"url": "https://it.nordvik.example/bestall"})
		if res.status != 200 {
			t.Fatalf("settings = %d %s", res.status, res.body)
		}
		wantError(t, ts.do("POST", "/api/v1/license-requests", erik.token, ask), 409, kassa.Conflict, "")
	})

	t.Run("KeptTwelveMonths", func(t *testing.T) {
		n, err := ts.db.DeleteLicenseRequestsBefore(t.Context(), ts.clock.Now().AddDate(-1, 0, 0))
		if err != nil || n != 0 {
			t.Fatalf("deleted %d (%v) of this month's", n, err)
		}
		if n, err := ts.db.DeleteLicenseRequestsBefore(t.Context(), ts.clock.Now().Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("deleted %d (%v), want both", n, err)
		}
	})
}
