package api

import (
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

type spendOut struct {
	OrganizationMonthly *kassa.Money `json:"organization_monthly"`
	PerPersonMonthly    *kassa.Money `json:"per_person_monthly"`
	People              []struct {
		UserID  string       `json:"user_id"`
		Name    string       `json:"name"`
		Monthly *kassa.Money `json:"monthly"`
		Spent   kassa.Money  `json:"spent"`
	}
	Month             string      `json:"month"`
	OrganizationSpent kassa.Money `json:"organization_spent"`
}

func sek(n int64) map[string]any { return map[string]any{"amount": n, "currency": "SEK"} }

func TestSpendLimits(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	anna := newBuyer(ts, "anna.lindberg@nordvik.example")
	anna.profile = ts.newProfile(anna.token)
	astrid := ts.login("astrid@nordvik.example")
	annaID, guest := ts.me(anna.token).ID, ""
	var l userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=200", astrid, nil).body, &l)
	for _, u := range l.Data {
		if u.Type == "guest" {
			guest = u.ID
		}
	}
	const path = "/api/v1/admin/spend-limits"
	get := func() spendOut {
		t.Helper()
		var s spendOut
		res := ts.do("GET", path, astrid, nil)
		if res.status != 200 {
			t.Fatalf("get limits = %d %s", res.status, res.body)
		}
		mustUnmarshal(t, res.body, &s)
		return s
	}
	if s := get(); s.OrganizationMonthly != nil || s.PerPersonMonthly != nil || len(s.People) != 0 || s.Month != "2026-11" {
		t.Fatalf("limits at first = %+v", s)
	}

	t.Run("BadInputNamesTheFieldAndChangesNothing", func(t *testing.T) {
		for body, field := range map[string]map[string]any{
			"organization_monthly":   {"organization_monthly": sek(-1)},
			"per_person_monthly":     {"per_person_monthly": map[string]any{"amount": 100, "currency": "USD"}},
			"people[0].user_id":      {"people": []map[string]any{{"user_id": "usr_nope", "monthly": sek(1)}}},
			"people[1].user_id":      {"people": []map[string]any{{"user_id": annaID, "monthly": sek(1)}, {"user_id": annaID, "monthly": nil}}},
			"people[0].monthly":      {"people": []map[string]any{{"user_id": annaID, "monthly": sek(-5)}}},
			"people[0].user_id ":     {"people": []map[string]any{{"user_id": guest, "monthly": sek(1)}}},
			"organization_monthly  ": {"organization_monthly": "lots"},
		} {
			wantError(t, ts.do("PUT", path, astrid, field), 422, kassa.Invalid, strings.TrimSpace(body))
		}
		if s := get(); s.OrganizationMonthly != nil || len(s.People) != 0 {
			t.Errorf("after bad input: %+v", s)
		}
		wantError(t, ts.do("PUT", path, erik.token, map[string]any{}), 403, kassa.Forbidden, "")
		wantError(t, ts.do("GET", path, erik.token, nil), 403, kassa.Forbidden, "")
	})

	// erik may spend 2 000 kr a month, anna has no ceiling of her own, the
	// organization 5 000 kr.
	res := ts.do("PUT", path, astrid, map[string]any{"organization_monthly": sek(500000), "per_person_monthly": sek(200000),
		"people": []map[string]any{{"user_id": annaID, "monthly": nil}}})
	if res.status != 200 {
		t.Fatalf("set limits = %d %s", res.status, res.body)
	}

	sub := ts.buy(erik, "ANALYTICS_PRO", 5) // 1 493,75 kr
	ts.buy(erik, "PROJECT_PLAN", 1)         // 148,75 kr: 1 642,50 kr, past 80 % of 2 000 kr
	warned := func(kind string) []string {
		t.Helper()
		outbox, err := ts.db.FindOutbox(t.Context(), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range outbox {
			if n.Kind == kassa.NotifySpendWarning {
				got = append(got, n.To+":"+n.Data.PurchaserName)
			}
		}
		slices.Sort(got)
		return got
	}
	if got, want := warned(""), []string{"astrid@nordvik.example:Erik Johansson", "erik@nordvik.example:Erik Johansson"}; !slices.Equal(got, want) {
		t.Errorf("warned %v, want %v", got, want)
	}

	t.Run("APurchaseThatWouldPassIsRefused", func(t *testing.T) {
		res := ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 2))
		wantError(t, res, 422, kassa.Invalid, "quantity")
		if !strings.Contains(string(res.body), "SEK\u00a0357.50 is left this month") {
			t.Errorf("refusal says %s", res.body)
		}
		res = ts.do("PUT", "/api/v1/subscriptions/"+sub.ID+"/quantity", erik.token, map[string]any{"quantity": 7})
		wantError(t, res, 422, kassa.Invalid, "quantity")
		if got := ts.subscriptionByID(erik.token, sub.ID); got.Quantity != 5 {
			t.Errorf("quantity after a refusal: %d", got.Quantity)
		}
		if got := len(ts.subscriptions(erik.token, "")); got != 2 {
			t.Errorf("%d subscriptions after a refusal, want 2", got)
		}
	})

	t.Run("TheOrganizationsCeiling", func(t *testing.T) {
		ts.buy(anna, "ANALYTICS_PRO", 10) // 2 987,50 kr: 4 630,00 kr in all, past 80 % of 5 000 kr
		if got := warned(""); !slices.Contains(got, "astrid@nordvik.example:") || slices.Contains(got, "anna.lindberg@nordvik.example:") {
			t.Errorf("warned %v, want the admins of the organization's", got)
		}
		res := ts.do("POST", "/api/v1/subscriptions", anna.token, anna.order("ANALYTICS_PRO", 2))
		wantError(t, res, 422, kassa.Invalid, "quantity")
		if !strings.Contains(string(res.body), "organization's monthly limit") || !strings.Contains(string(res.body), "370.00 is left") {
			t.Errorf("refusal says %s", res.body)
		}
	})

	s := get()
	if s.OrganizationSpent.Amount != 463000 || len(s.People) != 1 || s.People[0].Spent.Amount != 298750 || s.People[0].Monthly != nil {
		t.Errorf("limits with spend = %+v", s)
	}

	// December's renewals are never refused, but they count: erik's two
	// take his ceiling past 80 % again, and he and the admins are told.
	t.Run("ARenewalPastTheCeilingIsToldToo", func(t *testing.T) {
		told := func() int {
			n := 0
			for _, w := range warned("") {
				if strings.HasPrefix(w, "erik@nordvik.example:") {
					n++
				}
			}
			return n
		}
		if got := told(); got != 1 {
			t.Fatalf("erik told %d times in November, want once", got)
		}
		if res := ts.do("POST", "/api/v1/test-clock", astrid, map[string]string{"now": "2026-12-27T00:00:00Z"}); res.status != 200 {
			t.Fatalf("test clock = %d %s", res.status, res.body)
		}
		if got := told(); got != 2 {
			t.Errorf("erik told %d times after December's renewals, want twice", got)
		}
		astrid = ts.login("astrid@nordvik.example")
		if s := get(); s.Month != "2026-12" || s.OrganizationSpent.Amount != 463000 {
			t.Errorf("December's spend = %+v, want the three renewals' 4 630,00 kr", s)
		}
	})
}
