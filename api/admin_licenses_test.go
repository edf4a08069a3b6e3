package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

type productLicensesOut struct {
	Product struct {
		ID, Name string
		SKUID    string `json:"sku_id"`
	}
	Quantity, Assigned, Available int
	SubscriptionCount             int `json:"subscription_count"`
	Subscriptions                 []struct {
		ID, Channel, Status string
		Purchaser           kassa.Person
		Quantity, Assigned  int
	}
	HoldersByPurchaser []struct {
		Purchaser kassa.Person
		Users     []kassa.Holder
	} `json:"holders_by_purchaser"`
}

func TestAdminLicenses(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := ts.login("astrid@nordvik.example")
	mike := newBuyer(ts, "mike@harbor.example")
	mike.profile = ts.newProfile(mike.token)

	// erik's Analytics Pro (5, two holders) and anna's (2, one holder, who
	// holds erik's too); erik's Mötesrum (2, none); a Projektplanering
	// erik cancelled, which no longer counts; and mike's, another tenant's.
	people := ts.members(erik.token, 3)
	analytics := ts.buy(erik, "ANALYTICS_PRO", 5)
	ts.assign(erik.token, analytics.ID, people[0], people[1])
	anna := newBuyer(ts, "anna.lindberg@nordvik.example")
	anna.profile = ts.newProfile(anna.token)
	annas := ts.buy(anna, "ANALYTICS_PRO", 2)
	ts.assign(anna.token, annas.ID, people[1])
	ts.buy(erik, "MEETING_ROOMS", 2)
	plan := ts.buy(erik, "PROJECT_PLAN", 1)
	if res := ts.do("POST", "/api/v1/subscriptions/"+plan.ID+"/cancel", erik.token,
		map[string]string{"reason": "unused"}); res.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	mikes := ts.buy(mike, "ANALYTICS_PRO", 7)

	var l struct{ Data []productLicensesOut }
	mustUnmarshal(t, ts.do("GET", "/api/v1/admin/licenses", astrid, nil).body, &l)
	var names []string
	for _, p := range l.Data {
		names = append(names, p.Product.Name)
	}
	if !slices.Equal(names, []string{"Analytics Pro", "Mötesrum"}) {
		t.Fatalf("products %q, want Analytics Pro and Mötesrum (the cancelled plan and other tenants' left out)", names)
	}
	a := l.Data[0]
	if a.Product.SKUID != "ANALYTICS_PRO" || a.Quantity != 7 || a.Assigned != 3 || a.Available != 4 || a.SubscriptionCount != 2 ||
		len(a.Subscriptions) != 2 {
		t.Errorf("Analytics Pro: %+v", a)
	}
	// Subscriptions and holders go by purchaser name: Anna before Erik.
	if s := a.Subscriptions; s[0].ID != annas.ID || s[0].Purchaser.Name != "Anna Lindberg" || s[0].Quantity != 2 ||
		s[0].Assigned != 1 || s[0].Channel != "self_service" || s[0].Status != "active" || s[1].ID != analytics.ID {
		t.Errorf("subscriptions: %+v", s)
	}
	if g := a.HoldersByPurchaser; len(g) != 2 || g[0].Purchaser.Name != "Anna Lindberg" || len(g[0].Users) != 1 ||
		g[0].Users[0].ID != people[1] || g[1].Purchaser.Name != "Erik Johansson" || len(g[1].Users) != 2 ||
		g[0].Users[0].Email == "" {
		t.Errorf("holders by purchaser: %+v", g)
	}
	if m := l.Data[1]; m.Quantity != 2 || m.Assigned != 0 || m.Available != 2 || len(m.HoldersByPurchaser) != 0 {
		t.Errorf("Mötesrum: %+v", m)
	}

	t.Run("ExportUsers", func(t *testing.T) {
		res := ts.doRaw("GET", "/api/v1/admin/licenses?format=csv", astrid, nil, "Cookie", "lang=en")
		lines := strings.Split(strings.TrimSpace(string(res.body)), "\n")
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			lines[0] != "product,person,email,purchaser,subscription,assigned_at" || len(lines) != 4 {
			t.Fatalf("export: %d\n%s", res.status, res.body)
		}
		if !strings.HasPrefix(lines[1], "Analytics Pro,") || !strings.Contains(lines[1], ",Anna Lindberg,"+annas.ID+",") {
			t.Errorf("first line %q, want anna's holder", lines[1])
		}
		if strings.Contains(string(res.body), mikes.ID) || strings.Contains(string(res.body), plan.ID) {
			t.Errorf("export lists another tenant's or an ended subscription:\n%s", res.body)
		}
		wantError(t, ts.do("GET", "/api/v1/admin/licenses?format=xml", astrid, nil), 422, kassa.Invalid, "format")
	})

	t.Run("AdminsOnly", func(t *testing.T) {
		wantError(t, ts.do("GET", "/api/v1/admin/licenses", erik.token, nil), 403, kassa.Forbidden, "")
		wantError(t, ts.do("GET", "/api/v1/admin/licenses?format=csv", erik.token, nil), 403, kassa.Forbidden, "")
		var h struct{ Data []productLicensesOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/licenses", ts.login("hannah@harbor.example"), nil).body, &h)
		if len(h.Data) != 1 || h.Data[0].Quantity != 7 || h.Data[0].Subscriptions[0].ID != mikes.ID {
			t.Errorf("hannah sees %+v", h.Data)
		}
	})
}

// assign has token's user assign licenses of the subscription to the
// people.
func (ts *testServer) assign(token, subID string, userIDs ...string) {
	ts.t.Helper()
	if res := ts.do("POST", "/api/v1/subscriptions/"+subID+"/licenses", token,
		map[string]any{"user_ids": userIDs}); res.status != http.StatusCreated {
		ts.t.Fatalf("assign: %d %s", res.status, res.body)
	}
}
