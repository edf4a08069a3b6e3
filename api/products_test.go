package api

import (
	"testing"
)

type productList struct {
	Data []struct {
		SKU, Name, Description string
		PurchasePolicy         string `json:"purchase_policy"`
		Prices                 []struct {
			Term, Currency string
			UnitAmount     int64 `json:"unit_amount"`
		}
	}
}

func TestProducts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	get := func(t *testing.T, token string, header ...string) productList {
		t.Helper()
		res := ts.do("GET", "/api/v1/products", token, nil, header...)
		if res.status != 200 {
			t.Fatalf("products = %d %s", res.status, res.body)
		}
		var l productList
		mustUnmarshal(t, res.body, &l)
		return l
	}
	policies := func(l productList) map[string]string {
		m := map[string]string{}
		for _, p := range l.Data {
			m[p.SKU] = p.PurchasePolicy
		}
		return m
	}

	erik := ts.login("erik@nordvik.example")
	nordvik := get(t, erik)
	if len(nordvik.Data) < 4 {
		t.Fatalf("%d products, want at least 4", len(nordvik.Data))
	}
	for _, p := range nordvik.Data {
		for _, cur := range []string{"SEK", "USD", "EUR"} {
			for _, term := range []string{"monthly", "annual"} {
				n := 0
				for _, pr := range p.Prices {
					if pr.Currency == cur && pr.Term == term && pr.UnitAmount > 0 {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s has %d %s %s prices, want 1", p.SKU, n, term, cur)
				}
			}
		}
	}

	t.Run("PolicyIsTheCallersTenants", func(t *testing.T) {
		got := policies(nordvik)
		if got["DIAGRAM_STUDIO"] != "trials_only" || got["MAIL_ARCHIVE"] != "disabled" || got["ANALYTICS_PRO"] != "enabled" {
			t.Errorf("nordvik policies = %v", got)
		}
		for sku, p := range policies(get(t, ts.login("mike@harbor.example"))) {
			if p != "enabled" {
				t.Errorf("harbor's %s is %s, want enabled", sku, p)
			}
		}
	})

	t.Run("NamesInTheRequestsLanguage", func(t *testing.T) {
		name := func(l productList, sku string) string {
			for _, p := range l.Data {
				if p.SKU == sku {
					return p.Name
				}
			}
			return ""
		}
		if got := name(nordvik, "MEETING_ROOMS"); got != "Mötesrum" {
			t.Errorf("without Accept-Language (tenant locale sv): %q", got)
		}
		if got := name(get(t, erik, "Accept-Language", "en-GB,en;q=0.8"), "MEETING_ROOMS"); got != "Meeting Rooms" {
			t.Errorf("Accept-Language en: %q", got)
		}
	})
}
