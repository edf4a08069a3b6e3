package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

// TestRoleMatrix sends every route of the API as nobody, as a user (erik,
// who owns the objects named) and as an admin of his tenant (astrid), and
// checks each answer's status. A route missing from the table fails the
// test, so a new route cannot go out unchecked.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	people := ts.members(erik.token, 3)
	invoice := ts.buy(erik, "MEETING_ROOMS", 1).InvoiceID

	// Each request gets fresh objects where it uses them up.
	subscription := func() string { return ts.buy(erik, "ANALYTICS_PRO", 2).ID }
	withHolder := func() string {
		id := subscription()
		ts.do("POST", "/api/v1/subscriptions/"+id+"/licenses", erik.token, map[string]any{"user_ids": people[1:2]})
		return id
	}
	managed := func() string {
		id := subscription()
		ts.do("POST", "/api/v1/admin/subscriptions/"+id+"/take-over", astrid, nil)
		return id
	}
	card := func() string { return ts.addCard(erik.token, "5555555555554444", "123").ID }
	cardBodyFn := func() any { return cardBody("4242424242424242", "123") }
	profileBody := map[string]any{"name": "Team", "email": "team@example.com", "address": stockholm}

	// The organization's card and billing profile, kept by the admins.
	orgCard := func() string {
		var made struct{ ID string }
		mustUnmarshal(t, ts.do("POST", "/api/v1/admin/payment-methods", astrid, cardBodyFn()).body, &made)
		return made.ID
	}
	var sharedOrgProfile string
	orgProfile := func() string {
		if sharedOrgProfile == "" {
			var made struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/admin/billing-profiles", astrid, map[string]any{"name": "Nordvik AB",
				"email": "billing@nordvik.example", "address": stockholm, "payment_method_id": orgCard()}).body, &made)
			sharedOrgProfile = made.ID
		}
		return sharedOrgProfile
	}

	// A directory group, and a subscription it is linked to.
	group := &kassa.Group{DisplayName: "Matrisen"}
	if err := ts.db.CreateGroup(ts.actor("astrid@nordvik.example"), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID,
		group, people[:1]); err != nil {
		t.Fatal(err)
	}
	linked := func() string {
		id := managed()
		ts.do("PUT", "/api/v1/admin/subscriptions/"+id+"/group", astrid, map[string]any{"group_id": group.ID})
		return id
	}

	type call struct {
		path string
		body any
	}
	type row struct {
		call                   func() call
		anonymous, user, admin int
	}
	fixed := func(path string, body any) func() call { return func() call { return call{path, body} } }
	added := 0 // people added, each with an email of their own
	sub := func(suffix string, body any, make func() string) func() call {
		return func() call { return call{"/api/v1/subscriptions/" + make() + suffix, body} }
	}
	appBody := map[string]any{"name": "License sync", "permissions": []string{"User.Read.All"}}
	newApp := func() string {
		var made struct{ ID string }
		mustUnmarshal(t, ts.do("POST", "/api/v1/admin/apps", astrid, appBody).body, &made)
		return made.ID
	}
	hookBody := map[string]any{"url": "https://hooks.example.com/kassa", "events": []string{"license.assigned"}}
	newHook := func() string {
		var made struct{ ID string }
		mustUnmarshal(t, ts.do("POST", "/api/v1/admin/webhooks", astrid, hookBody).body, &made)
		return made.ID
	}
	// One endpoint serves every row but DELETE's: a tenant has at most 20.
	var sharedHook string
	hook := func(suffix string, body any) func() call {
		return func() call {
			if sharedHook == "" {
				sharedHook = newHook()
			}
			return call{"/api/v1/admin/webhooks/" + sharedHook + suffix, body}
		}
	}
	matrix := map[string]row{
		"GET /api/v1/openapi.json":    {fixed("/api/v1/openapi.json", nil), 200, 200, 200},
		"POST /api/v1/login":          {fixed("/api/v1/login", map[string]string{"email": "nobody@nordvik.example", "password": "x"}), 401, 401, 401},
		"POST /api/v1/logout":         {fixed("/api/v1/logout", nil), 401, 204, 204},
		"POST /api/v1/password-reset": {fixed("/api/v1/password-reset", map[string]string{"email": "nobody@nordvik.example"}), 202, 202, 202},
		// A wrong current password: nobody's password changes under the matrix.
		"POST /api/v1/password": {fixed("/api/v1/password", map[string]string{"current_password": "wrong", "new_password": "long enough now"}),
			401, 422, 422},
		"GET /api/v1/me":              {fixed("/api/v1/me", nil), 401, 200, 200},
		"GET /api/v1/users":           {fixed("/api/v1/users", nil), 401, 200, 200},
		"GET /api/v1/products":        {fixed("/api/v1/products", nil), 401, 200, 200},
		"GET /api/v1/payment-methods": {fixed("/api/v1/payment-methods", nil), 401, 200, 200},
		"POST /api/v1/payment-methods": {func() call { return call{"/api/v1/payment-methods", cardBodyFn()} },
			401, 201, 201},
		"PATCH /api/v1/payment-methods/{id}": {func() call {
			return call{"/api/v1/payment-methods/" + card(), map[string]any{"name": "Erik J"}}
		}, 401, 200, 404},
		"DELETE /api/v1/payment-methods/{id}": {func() call { return call{"/api/v1/payment-methods/" + card(), nil} },
			401, 204, 404},
		"POST /api/v1/payment-methods/setup-sessions": {fixed("/api/v1/payment-methods/setup-sessions", map[string]any{}), 401, 201, 201},
		// erik's card page: open for him, nobody else's to read.
		"GET /api/v1/payment-methods/setup-sessions/{id}": {func() call {
			var page struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/payment-methods/setup-sessions", erik.token, map[string]any{}).body, &page)
			return call{"/api/v1/payment-methods/setup-sessions/" + page.ID, nil}
		}, 401, 200, 404},
		"GET /api/v1/billing-profiles":  {fixed("/api/v1/billing-profiles", nil), 401, 200, 200},
		"POST /api/v1/billing-profiles": {fixed("/api/v1/billing-profiles", profileBody), 401, 201, 201},
		"GET /api/v1/billing-profiles/{id}": {fixed("/api/v1/billing-profiles/"+erik.profile, nil),
			401, 200, 404},
		"PATCH /api/v1/billing-profiles/{id}": {fixed("/api/v1/billing-profiles/"+erik.profile, map[string]any{"po_number": "PO-7"}),
			401, 200, 404},
		"GET /api/v1/subscriptions": {fixed("/api/v1/subscriptions", nil), 401, 200, 200},
		// The admin has no billing profile of her own; erik's is not hers to use.
		"POST /api/v1/subscriptions":                      {fixed("/api/v1/subscriptions", erik.order("ANALYTICS_PRO", 1)), 401, 201, 422},
		"GET /api/v1/subscriptions/{id}":                  {sub("", nil, subscription), 401, 200, 200},
		"GET /api/v1/subscriptions/{id}/quantity-preview": {sub("/quantity-preview?quantity=3", nil, subscription), 401, 200, 403},
		"PUT /api/v1/subscriptions/{id}/quantity":         {sub("/quantity", map[string]any{"quantity": 3}, subscription), 401, 200, 403},
		"POST /api/v1/subscriptions/{id}/cancel":          {sub("/cancel", map[string]any{"reason": "unused"}, subscription), 401, 200, 403},
		// Nothing waits to be cancelled, so erik is told there is nothing to reactivate.
		"POST /api/v1/subscriptions/{id}/reactivate": {sub("/reactivate", nil, subscription), 401, 409, 403},
		"GET /api/v1/subscriptions/{id}/licenses":    {sub("/licenses", nil, withHolder), 401, 200, 200},
		"POST /api/v1/subscriptions/{id}/licenses": {sub("/licenses", map[string]any{"user_ids": people[2:3]}, subscription),
			401, 201, 403},
		"POST /api/v1/subscriptions/{id}/licenses/unassign": {sub("/licenses/unassign", map[string]any{"user_ids": people[1:2]}, withHolder),
			401, 200, 403},
		"GET /api/v1/invoices":          {fixed("/api/v1/invoices", nil), 401, 200, 200},
		"GET /api/v1/invoices/{id}":     {fixed("/api/v1/invoices/"+invoice, nil), 401, 200, 404},
		"GET /api/v1/invoices/{id}/pdf": {fixed("/api/v1/invoices/"+invoice+"/pdf", nil), 401, 200, 404},
		// erik's invoice is paid: nothing to pay; the admin's to pay it is not.
		"POST /api/v1/invoices/{id}/pay": {fixed("/api/v1/invoices/"+invoice+"/pay", nil), 401, 409, 404},
		"GET /api/v1/admin/self-service-subscriptions": {fixed("/api/v1/admin/self-service-subscriptions", nil),
			401, 403, 200},
		"GET /api/v1/admin/licenses":          {fixed("/api/v1/admin/licenses", nil), 401, 403, 200},
		"GET /api/v1/admin/purchase-policies": {fixed("/api/v1/admin/purchase-policies", nil), 401, 403, 200},
		"PUT /api/v1/admin/purchase-policies": {fixed("/api/v1/admin/purchase-policies", map[string]any{"default": "enabled"}),
			401, 403, 200},
		"POST /api/v1/admin/subscriptions/{id}/take-over": {func() call {
			return call{"/api/v1/admin/subscriptions/" + subscription() + "/take-over", nil}
		}, 401, 403, 200},
		// The target is erik's, taken over by the admins: the organization's own.
		"GET /api/v1/admin/subscriptions/{id}/move-users-preview": {func() call {
			return call{"/api/v1/admin/subscriptions/" + withHolder() + "/move-users-preview?target_subscription_id=" + managed(), nil}
		}, 401, 403, 200},
		"POST /api/v1/admin/subscriptions/{id}/move-users": {func() call {
			return call{"/api/v1/admin/subscriptions/" + withHolder() + "/move-users",
				map[string]any{"target_subscription_id": managed()}}
		}, 401, 403, 200},
		"POST /api/v1/admin/subscriptions/{id}/cancel": {func() call {
			return call{"/api/v1/admin/subscriptions/" + withHolder() + "/cancel", map[string]any{"reason": "other"}}
		}, 401, 403, 200},
		"POST /api/v1/license-requests": {fixed("/api/v1/license-requests", map[string]any{"product_id": erik.products["MAIL_ARCHIVE"],
			"user_ids": people[:1]}), 401, 201, 201},
		"GET /api/v1/license-requests": {fixed("/api/v1/license-requests", nil), 401, 200, 200},
		// erik's request, declined by the admin.
		"POST /api/v1/admin/license-requests/{id}/decide": {func() call {
			var req struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/license-requests", erik.token, map[string]any{"product_id": erik.products["MAIL_ARCHIVE"],
				"user_ids": people[:1]}).body, &req)
			return call{"/api/v1/admin/license-requests/" + req.ID + "/decide", map[string]any{}}
		}, 401, 403, 200},
		"GET /api/v1/admin/license-request-settings": {fixed("/api/v1/admin/license-request-settings", nil), 401, 403, 200},
		"PUT /api/v1/admin/license-request-settings": {fixed("/api/v1/admin/license-request-settings", map[string]any{"mode": "requests"}),
			401, 403, 200},
		"GET /api/v1/admin/spend-limits":   {fixed("/api/v1/admin/spend-limits", nil), 401, 403, 200},
		"PUT /api/v1/admin/spend-limits":   {fixed("/api/v1/admin/spend-limits", map[string]any{}), 401, 403, 200},
		"GET /api/v1/admin/audit-log":      {fixed("/api/v1/admin/audit-log", nil), 401, 403, 200},
		"GET /api/v1/admin/reclaim-policy": {fixed("/api/v1/admin/reclaim-policy", nil), 401, 403, 200},
		"PUT /api/v1/admin/reclaim-policy": {fixed("/api/v1/admin/reclaim-policy", map[string]any{"days": 90}), 401, 403, 200},
		"GET /api/v1/admin/idle-licenses":  {fixed("/api/v1/admin/idle-licenses", nil), 401, 403, 200},
		// Apps report use with their own tokens: a person's is refused.
		"POST /api/v1/license-activity": {fixed("/api/v1/license-activity", map[string]any{"user_id": people[0], "sku_id": "x"}),
			401, 401, 401},
		"GET /api/v1/admin/billing-profiles":  {fixed("/api/v1/admin/billing-profiles", nil), 401, 403, 200},
		"POST /api/v1/admin/billing-profiles": {fixed("/api/v1/admin/billing-profiles", profileBody), 401, 403, 201},
		"GET /api/v1/admin/billing-profiles/{id}": {func() call { return call{"/api/v1/admin/billing-profiles/" + orgProfile(), nil} },
			401, 403, 200},
		"PATCH /api/v1/admin/billing-profiles/{id}": {func() call {
			return call{"/api/v1/admin/billing-profiles/" + orgProfile(), map[string]any{"po_number": "PO-8"}}
		}, 401, 403, 200},
		"GET /api/v1/admin/payment-methods": {fixed("/api/v1/admin/payment-methods", nil), 401, 403, 200},
		"POST /api/v1/admin/payment-methods": {func() call { return call{"/api/v1/admin/payment-methods", cardBodyFn()} },
			401, 403, 201},
		"PATCH /api/v1/admin/payment-methods/{id}": {func() call {
			return call{"/api/v1/admin/payment-methods/" + orgCard(), map[string]any{"name": "Nordvik AB"}}
		}, 401, 403, 200},
		"DELETE /api/v1/admin/payment-methods/{id}": {func() call { return call{"/api/v1/admin/payment-methods/" + orgCard(), nil} },
			401, 403, 204},
		"POST /api/v1/admin/payment-methods/setup-sessions": {fixed("/api/v1/admin/payment-methods/setup-sessions", map[string]any{}),
			401, 403, 201},
		"GET /api/v1/admin/payment-methods/setup-sessions/{id}": {func() call {
			var page struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/admin/payment-methods/setup-sessions", astrid, map[string]any{}).body, &page)
			return call{"/api/v1/admin/payment-methods/setup-sessions/" + page.ID, nil}
		}, 401, 403, 200},
		"PUT /api/v1/admin/subscriptions/{id}/group": {func() call {
			return call{"/api/v1/admin/subscriptions/" + managed() + "/group", map[string]any{"group_id": group.ID}}
		}, 401, 403, 200},
		"DELETE /api/v1/admin/subscriptions/{id}/group": {func() call { return call{"/api/v1/admin/subscriptions/" + linked() + "/group", nil} },
			401, 403, 204},
		"GET /api/v1/admin/subscriptions/{id}/group-states": {func() call {
			return call{"/api/v1/admin/subscriptions/" + linked() + "/group-states", nil}
		}, 401, 403, 200},
		"PATCH /api/v1/admin/subscriptions/{id}": {func() call {
			return call{"/api/v1/admin/subscriptions/" + managed(), map[string]any{"billing_profile_id": orgProfile()}}
		}, 401, 403, 200},
		"GET /api/v1/admin/users": {fixed("/api/v1/admin/users", nil), 401, 403, 200},
		"POST /api/v1/admin/users": {func() call {
			added++
			return call{"/api/v1/admin/users", map[string]any{"name": "New Person", "email": fmt.Sprintf("new%d@nordvik.example", added)}}
		}, 401, 403, 201},
		"POST /api/v1/admin/users/import": {func() call {
			added++
			return call{"/api/v1/admin/users/import", csvBody(fmt.Sprintf("email,name\nnew%d@nordvik.example,New Person\n", added))}
		}, 401, 403, 201},
		"PATCH /api/v1/admin/users/{id}": {fixed("/api/v1/admin/users/"+people[0], map[string]any{"name": "Renamed Person"}),
			401, 403, 200},
		"POST /api/v1/admin/users/{id}/password-link": {fixed("/api/v1/admin/users/"+people[0]+"/password-link", nil),
			401, 403, 202},
		// Without a provider to read: a 404 when there is nothing, a 422 for an issuer nobody answers at.
		"GET /api/v1/admin/sso": {fixed("/api/v1/admin/sso", nil), 401, 403, 404},
		"PUT /api/v1/admin/sso": {fixed("/api/v1/admin/sso", map[string]any{"issuer": "http://127.0.0.1:1/",
			"client_id": "kassa", "client_secret": "secret"}), 401, 403, 422},
		"DELETE /api/v1/admin/sso":       {fixed("/api/v1/admin/sso", nil), 401, 403, 404},
		"GET /api/v1/admin/scim-tokens":  {fixed("/api/v1/admin/scim-tokens", nil), 401, 403, 200},
		"POST /api/v1/admin/scim-tokens": {fixed("/api/v1/admin/scim-tokens", map[string]any{"name": "Entra ID"}), 401, 403, 201},
		"DELETE /api/v1/admin/scim-tokens/{id}": {func() call {
			var made struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/admin/scim-tokens", astrid, map[string]any{"name": "Okta"}).body, &made)
			return call{"/api/v1/admin/scim-tokens/" + made.ID, nil}
		}, 401, 403, 204},
		"GET /api/v1/admin/apps":  {fixed("/api/v1/admin/apps", nil), 401, 403, 200},
		"POST /api/v1/admin/apps": {fixed("/api/v1/admin/apps", appBody), 401, 403, 201},
		"GET /api/v1/admin/apps/{id}": {func() call {
			return call{"/api/v1/admin/apps/" + newApp(), nil}
		}, 401, 403, 200},
		"DELETE /api/v1/admin/apps/{id}": {func() call {
			return call{"/api/v1/admin/apps/" + newApp(), nil}
		}, 401, 403, 204},
		"GET /api/v1/admin/apps/{id}/secrets": {func() call {
			return call{"/api/v1/admin/apps/" + newApp() + "/secrets", nil}
		}, 401, 403, 200},
		"POST /api/v1/admin/apps/{id}/secrets": {func() call {
			return call{"/api/v1/admin/apps/" + newApp() + "/secrets", nil}
		}, 401, 403, 201},
		"DELETE /api/v1/admin/apps/{id}/secrets/{secret_id}": {func() call {
			id := newApp()
			var secrets struct{ Data []struct{ ID string } }
			mustUnmarshal(t, ts.do("GET", "/api/v1/admin/apps/"+id+"/secrets", astrid, nil).body, &secrets)
			return call{"/api/v1/admin/apps/" + id + "/secrets/" + secrets.Data[0].ID, nil}
		}, 401, 403, 204},
		"GET /api/v1/admin/webhooks":        {fixed("/api/v1/admin/webhooks", nil), 401, 403, 200},
		"POST /api/v1/admin/webhooks":       {fixed("/api/v1/admin/webhooks", hookBody), 401, 403, 201},
		"GET /api/v1/admin/webhooks/{id}":   {hook("", nil), 401, 403, 200},
		"PATCH /api/v1/admin/webhooks/{id}": {hook("", map[string]any{"enabled": false}), 401, 403, 200},
		"DELETE /api/v1/admin/webhooks/{id}": {func() call {
			return call{"/api/v1/admin/webhooks/" + newHook(), nil}
		}, 401, 403, 204},
		"POST /api/v1/admin/webhooks/{id}/rotate-secret": {hook("/rotate-secret", nil), 401, 403, 200},
		"POST /api/v1/admin/webhooks/{id}/test":          {hook("/test", nil), 401, 403, 202},
		"GET /api/v1/admin/webhooks/{id}/deliveries":     {hook("/deliveries", nil), 401, 403, 200},
		"POST /api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver": {func() call {
			id := hook("", nil)().path[len("/api/v1/admin/webhooks/"):]
			var ping struct{ ID string }
			mustUnmarshal(t, ts.do("POST", "/api/v1/admin/webhooks/"+id+"/test", astrid, nil).body, &ping)
			return call{"/api/v1/admin/webhooks/" + id + "/deliveries/" + ping.ID + "/redeliver", nil}
		}, 401, 403, 202},
		"GET /api/v1/admin/organization":   {fixed("/api/v1/admin/organization", nil), 401, 403, 200},
		"PATCH /api/v1/admin/organization": {fixed("/api/v1/admin/organization", map[string]any{"vat_id": "SE556677889901"}), 401, 403, 200},
		"POST /api/v1/test-clock": {func() call {
			return call{"/api/v1/test-clock", map[string]string{"now": ts.clock.Now().Format(time.RFC3339)}}
		}, 401, 403, 200},
	}

	for _, rt := range (&Server{}).routes() {
		key := rt.method + " " + rt.path
		r, ok := matrix[key]
		if !ok {
			t.Errorf("%s is not in the role matrix", key)
			continue
		}
		delete(matrix, key)
		for _, who := range []struct {
			name, token string
			want        int
		}{{"anonymous", "", r.anonymous}, {"user", erik.token, r.user}, {"admin", astrid, r.admin}} {
			token := who.token
			if rt.path == "/api/v1/logout" && token != "" { // signing out ends the session: use a new one
				token = ts.login(map[string]string{"user": "erik@nordvik.example", "admin": "astrid@nordvik.example"}[who.name])
			}
			c := r.call()
			res := ts.do(rt.method, c.path, token, c.body)
			if res.status != who.want {
				t.Errorf("%s as %s: %d %s, want %d", key, who.name, res.status, trim(res.body), who.want)
			}
			if who.want == http.StatusForbidden && !strings.Contains(string(res.body), `"forbidden"`) {
				t.Errorf("%s as %s: %s, want the forbidden code", key, who.name, trim(res.body))
			}
		}
	}
	for key := range matrix {
		t.Errorf("the role matrix names %s, which is not a route", key)
	}
}

func trim(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
