package api

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/kassa-billing/kassa"
)

type policiesOut struct {
	Default  string
	Products []struct {
		ProductID string `json:"product_id"`
		SKU       string
		Name      string
		Policy    string
	}
}

func (p policiesOut) bySKU() map[string]string {
	m := map[string]string{"default": p.Default}
	for _, pr := range p.Products {
		m[pr.SKU] = pr.Policy
	}
	return m
}

func TestPurchasePolicies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	put := func(body any) response { return ts.do("PUT", "/api/v1/admin/purchase-policies", astrid, body) }
	get := func() map[string]string {
		t.Helper()
		var p policiesOut
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/purchase-policies", astrid, nil).body, &p)
		return p.bySKU()
	}
	start := get()
	if start["default"] != "enabled" || start["DIAGRAM_STUDIO"] != "trials_only" || start["MAIL_ARCHIVE"] != "disabled" ||
		start["ANALYTICS_PRO"] != "enabled" {
		t.Fatalf("demo policies = %v", start)
	}
	owned := ts.buy(erik, "ANALYTICS_PRO", 2)

	res := put(map[string]any{"products": []map[string]any{{"product_id": erik.products["ANALYTICS_PRO"], "policy": "disabled"}}})
	var after policiesOut
	mustUnmarshal(t, res.body, &after)
	if res.status != http.StatusOK || after.bySKU()["ANALYTICS_PRO"] != "disabled" || after.bySKU()["MEETING_ROOMS"] != "enabled" {
		t.Fatalf("put = %d %s", res.status, res.body)
	}
	t.Run("FuturePurchasesOnly", func(t *testing.T) {
		wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 1)), 403, kassa.Forbidden, "")
		// What erik bought before carries on, and he may still change it.
		if res := ts.do("PUT", "/api/v1/subscriptions/"+owned.ID+"/quantity", erik.token, map[string]any{"quantity": 3}); res.status != 200 {
			t.Errorf("erik adds a license to what he owns: %d %s", res.status, res.body)
		}
		var products struct {
			Data []struct {
				SKU            string
				PurchasePolicy string `json:"purchase_policy"`
			}
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/products", erik.token, nil).body, &products)
		for _, p := range products.Data {
			if p.PurchasePolicy != after.bySKU()[p.SKU] {
				t.Errorf("erik sees %s as %s, the admin set %s", p.SKU, p.PurchasePolicy, after.bySKU()[p.SKU])
			}
		}
	})

	t.Run("DefaultIsForLaterProducts", func(t *testing.T) {
		before := get()
		if res := put(map[string]any{"default": "disabled"}); res.status != 200 {
			t.Fatalf("put default = %d %s", res.status, res.body)
		}
		now := get()
		for sku, policy := range before {
			if sku != "default" && now[sku] != policy {
				t.Errorf("%s went from %s to %s when only the default changed", sku, policy, now[sku])
			}
		}
		p := &kassa.Product{SKU: "WHITEBOARD", Name: kassa.Text{En: "Whiteboard", Sv: "Whiteboard"},
			Prices: []kassa.Price{{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 4900}, {Term: kassa.Monthly, Currency: "USD", UnitAmount: 500}}}
		if err := ts.db.CreateProduct(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		if got := get(); got["default"] != "disabled" || got["WHITEBOARD"] != "disabled" {
			t.Errorf("after adding a product: %v", got)
		}
		erik.products["WHITEBOARD"] = p.ID
		wantError(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("WHITEBOARD", 1)), 403, kassa.Forbidden, "")
		// Harbor's default is its own.
		mike := newBuyer(ts, "mike@harbor.example")
		mike.profile = ts.newProfile(mike.token)
		mike.products["WHITEBOARD"] = p.ID
		if res := ts.do("POST", "/api/v1/subscriptions", mike.token, mike.order("WHITEBOARD", 1)); res.status != 201 {
			t.Errorf("mike buys the new product: %d %s", res.status, res.body)
		}
	})

	t.Run("BadInputChangesNothing", func(t *testing.T) {
		before := get()
		analytics := erik.products["ANALYTICS_PRO"]
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"default": "sometimes"}, "default"},
			{map[string]any{"products": []map[string]any{{"product_id": analytics, "policy": "enabled"}, {"product_id": analytics, "policy": "maybe"}}}, "products[1].policy"},
			{map[string]any{"default": "enabled", "products": []map[string]any{{"product_id": analytics, "policy": "enabled"}, {"product_id": "prd_nope", "policy": "enabled"}}}, "products[1].product_id"},
			{map[string]any{"products": "all"}, "products"},
			{map[string]any{"everything": "enabled"}, "everything"},
			{map[string]any{"products": []map[string]any{{"product_id": analytics, "policy": "enabled", "bogus": 1}}}, "products[0].bogus"},
		} {
			wantError(t, put(c.body), 422, kassa.Invalid, c.field)
		}
		if res := put("{"); res.status != 400 {
			t.Errorf("malformed JSON: %d", res.status)
		}
		if got := get(); !reflect.DeepEqual(got, before) {
			t.Errorf("a refused change changed the policy:\n%v\n%v", before, got)
		}
	})

	t.Run("UsersAreForbidden", func(t *testing.T) {
		wantError(t, ts.do("GET", "/api/v1/admin/purchase-policies", erik.token, nil), 403, kassa.Forbidden, "")
		wantError(t, ts.do("PUT", "/api/v1/admin/purchase-policies", erik.token, map[string]any{"default": "enabled"}), 403, kassa.Forbidden, "")
	})

	t.Run("Audited", func(t *testing.T) {
		// Its own server: the demo's history, then two changes.
		ts := newTestServer(t)
		erik := newBuyer(ts, "erik@nordvik.example")
		astrid := ts.login("astrid@nordvik.example")
		type events struct {
			Data []struct {
				Action        string
				Before, After map[string]any
			}
		}
		read := func() events {
			t.Helper()
			var l events
			mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?action=purchase_policy.updated", astrid, nil).body, &l)
			return l
		}
		before := len(read().Data)
		for _, body := range []map[string]any{
			{"products": []map[string]any{{"product_id": erik.products["ANALYTICS_PRO"], "policy": "disabled"}}},
			{"default": "disabled"},
		} {
			if res := ts.do("PUT", "/api/v1/admin/purchase-policies", astrid, body); res.status != 200 {
				t.Fatalf("put %v = %d %s", body, res.status, res.body)
			}
		}
		l := read()
		if len(l.Data) != before+2 || l.Data[0].Before["default"] != "enabled" || l.Data[0].After["default"] != "disabled" ||
			l.Data[1].After["products"].(map[string]any)["ANALYTICS_PRO"] != "disabled" {
			t.Errorf("audit = %+v", l.Data)
		}
	})
}

func TestAuditLogAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	sub := ts.buy(erik, "ANALYTICS_PRO", 2)
	ts.do("PUT", "/api/v1/subscriptions/"+sub.ID+"/quantity", erik.token, map[string]any{"quantity": 1})
	type eventList struct {
		Data []struct {
			Seq      int64
			Action   string
			Actor    *struct{ ID, Name string }
			Object   struct{ Type, ID string }
			PrevHash string `json:"prev_hash"`
			Hash     string
		}
		NextCursor *string `json:"next_cursor"`
	}
	list := func(query string) eventList {
		t.Helper()
		res := ts.do("GET", "/api/v1/admin/audit-log"+query, astrid, nil)
		if res.status != 200 {
			t.Fatalf("audit-log%s: %d %s", query, res.status, res.body)
		}
		var l eventList
		mustUnmarshal(t, res.body, &l)
		return l
	}
	mine := list("?object_type=subscription")
	if len(mine.Data) != 2 || mine.Data[0].Action != "subscription.quantity_changed" || mine.Data[0].Actor.Name != "Erik Johansson" ||
		mine.Data[1].Object.ID != sub.ID {
		t.Fatalf("subscription events = %+v", mine.Data)
	}
	all := list("?limit=500")
	seen := 0
	for cursor := ""; ; {
		page := list("?limit=7" + cursor)
		for i, e := range page.Data {
			if want := all.Data[seen+i]; e.Seq != want.Seq || e.Hash != want.Hash || e.PrevHash != want.PrevHash || e.Hash == "" {
				t.Fatalf("page event %d = %+v, want %+v", seen+i, e, want)
			}
		}
		seen += len(page.Data)
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if seen != len(all.Data) || all.Data[len(all.Data)-1].Seq != 1 || all.Data[len(all.Data)-1].Actor != nil {
		t.Errorf("paged through %d of %d events; last %+v", seen, len(all.Data), all.Data[len(all.Data)-1])
	}
	if got := list("?from=2026-11-24"); len(got.Data) != 0 {
		t.Errorf("events from tomorrow: %d", len(got.Data))
	}
	if got := list("?to=2026-11-23T09:00:00Z"); len(got.Data) != 0 {
		t.Errorf("events before the start: %d", len(got.Data))
	}
	if got := list("?actor_id=" + mine.Data[0].Actor.ID); len(got.Data) < 3 { // profile, purchase, quantity
		t.Errorf("erik's events: %+v", got.Data)
	}
	for query, field := range map[string]string{"?from=yesterday": "from", "?to=2026-13-01": "to", "?limit=501": "limit", "?cursor=0": "cursor"} {
		wantError(t, ts.do("GET", "/api/v1/admin/audit-log"+query, astrid, nil), 422, kassa.Invalid, field)
	}
	wantError(t, ts.do("GET", "/api/v1/admin/audit-log", erik.token, nil), 403, kassa.Forbidden, "")
	for i, e := range all.Data[:len(all.Data)-1] {
		if e.PrevHash != all.Data[i+1].Hash {
			t.Errorf("event %d links to %s, not to event %d's %s", e.Seq, e.PrevHash, all.Data[i+1].Seq, all.Data[i+1].Hash)
		}
	}
}
