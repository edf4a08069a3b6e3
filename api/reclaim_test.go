package api

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

// appToken registers an app of the admin's tenant with the permissions and
// returns an access token of it, as its client credentials get one.
func (ts *testServer) appToken(admin string, permissions ...string) string {
	ts.t.Helper()
	ctx := ts.actor(admin)
	app := &kassa.App{Name: "Usage reporter " + strings.Join(permissions, " "), Permissions: permissions}
	_, secret, err := ts.auth.NewApp(ctx, app)
	if err != nil {
		ts.t.Fatal(err)
	}
	token, _, err := ts.auth.AppToken(ctx, kassa.ActorFromContext(ctx).Tenant.DirectoryID, app.ClientID, secret, "127.0.0.1")
	if err != nil {
		ts.t.Fatal(err)
	}
	return token
}

// skuOf returns the Graph skuId of the product with the SKU.
func (ts *testServer) skuOf(token, sku string) string {
	ts.t.Helper()
	var l struct {
		Data []struct {
			SKU   string
			SKUID string `json:"sku_id"`
		}
	}
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/products", token, nil).body, &l)
	for _, p := range l.Data {
		if p.SKU == sku {
			return p.SKUID
		}
	}
	ts.t.Fatalf("no product %s", sku)
	return ""
}

// TestReclaim: with "reclaim licenses not used for 30 days" set, the billing
// clock (moved by the test clock) warns holders and a self-service
// purchaser 7 days before, any use — an app's report, a sign-in — keeps a
// license, and the rest are taken back, told and logged.
func TestReclaim(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := newBuyer(ts, "astrid@nordvik.example")
	astrid.profile = ts.newProfile(astrid.token)
	const path = "/api/v1/admin/reclaim-policy"

	t.Run("BadInputNamesTheFieldAndChangesNothing", func(t *testing.T) {
		for _, body := range []map[string]any{{"days": 13}, {"days": 731}, {"days": "thirty"}, {"days": 30.5}} {
			wantError(t, ts.do("PUT", path, astrid.token, body), 422, kassa.Invalid, "days")
		}
		wantError(t, ts.do("PUT", path, erik.token, map[string]any{"days": 30}), 403, kassa.Forbidden, "")
		if res := ts.do("GET", path, astrid.token, nil); res.status != 200 || string(res.body) != `{"days":null}`+"\n" {
			t.Errorf("policy at first = %d %s", res.status, res.body)
		}
	})
	if res := ts.do("PUT", path, astrid.token, map[string]any{"days": 30}); res.status != 200 {
		t.Fatalf("set policy = %d %s", res.status, res.body)
	}

	// Four holders who never sign in: three of the organization's
	// subscription, one of erik's own.
	var people userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=200", astrid.token, nil).body, &people)
	var holders []string
	email := map[string]string{}
	for _, u := range people.Data {
		if u.Type == "member" && u.Email != "erik@nordvik.example" && u.Email != "astrid@nordvik.example" && len(holders) < 4 {
			holders = append(holders, u.ID)
			email[u.ID] = u.Email
		}
	}
	org := ts.adminSubscription(astrid, "ANALYTICS_PRO", 4)
	ts.assign(astrid.token, org.ID, holders[:3]...)
	own := ts.buy(erik, "PROJECT_PLAN", 2)
	ts.assign(erik.token, own.ID, holders[3])

	day := func(n int) {
		t.Helper()
		at := testStart.AddDate(0, 0, n).Add(time.Hour).Format(time.RFC3339)
		if res := ts.do("POST", "/api/v1/test-clock", astrid.token, map[string]string{"now": at}); res.status != 200 {
			t.Fatalf("test clock to day %d = %d %s", n, res.status, res.body)
		}
		astrid.token, erik.token = ts.login("astrid@nordvik.example"), ts.login("erik@nordvik.example")
	}
	told := func(kind kassa.NotificationKind) []string {
		t.Helper()
		outbox, err := ts.db.FindOutbox(t.Context(), kassa.ActorFromContext(ts.actor("astrid@nordvik.example")).Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range outbox {
			if n.Kind == kind {
				to = append(to, n.To)
			}
		}
		slices.Sort(to)
		return to
	}
	sorted := func(s ...string) []string { return slices.Sorted(slices.Values(s)) }

	day(22)
	if got := told(kassa.NotifyReclaimWarning); len(got) != 0 {
		t.Fatalf("warned on day 22: %v", got)
	}
	day(23)
	want := sorted(email[holders[0]], email[holders[1]], email[holders[2]], email[holders[3]], "erik@nordvik.example")
	if got := told(kassa.NotifyReclaimWarning); !slices.Equal(got, want) {
		t.Fatalf("warned on day 23: %v, want %v (each holder, and erik for his own subscription's)", got, want)
	}

	t.Run("AnAppsReport", func(t *testing.T) {
		reporter := ts.appToken("astrid@nordvik.example", kassa.PermLicenseAssignment)
		sku := ts.skuOf(erik.token, "ANALYTICS_PRO")
		report := map[string]any{"user_id": holders[1], "sku_id": sku}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"user_id": "usr_nope", "sku_id": sku}, "user_id"},
			{map[string]any{"user_id": holders[1], "sku_id": "00000000-0000-0000-0000-000000000000"}, "sku_id"},
			{map[string]any{"user_id": holders[3], "sku_id": sku}, "user_id"}, // holds Project Plan, not Analytics Pro
			{map[string]any{"user_id": holders[1], "sku_id": sku, "at": "2030-01-01T00:00:00Z"}, "at"},
			{map[string]any{"sku_id": sku}, "user_id"},
		} {
			wantError(t, ts.do("POST", "/api/v1/license-activity", reporter, c.body), 422, kassa.Invalid, c.field)
		}
		wantError(t, ts.do("POST", "/api/v1/license-activity", astrid.token, report), 401, kassa.Unauthorized, "")
		wantError(t, ts.do("POST", "/api/v1/license-activity", ts.appToken("astrid@nordvik.example", kassa.PermUserRead), report),
			403, kassa.Forbidden, "")
		if res := ts.do("POST", "/api/v1/license-activity", reporter, report); res.status != 204 {
			t.Fatalf("report = %d %s", res.status, res.body)
		}
	})
	ts.login(email[holders[2]]) // a sign-in is use too

	day(29) // warned six days ago: not yet
	if got := ts.holderIDs(astrid.token, org.ID); len(got) != 3 {
		t.Errorf("holders on day 29: %v", got)
	}
	var idle struct {
		Data []struct {
			User        struct{ ID string }
			IdleDays    int         `json:"idle_days"`
			MonthlyCost kassa.Money `json:"monthly_cost"`
		}
		Total       int
		MonthlyCost kassa.Money `json:"monthly_cost"`
	}
	mustUnmarshal(t, ts.do("GET", "/api/v1/admin/idle-licenses?days=20", astrid.token, nil).body, &idle)
	// holders[0] of Analytics Pro (239 kr a month) and holders[3] of
	// erik's Project Plan (119 kr), idle since day 0.
	if idle.Total != 2 || len(idle.Data) != 2 || idle.Data[0].IdleDays != 29 || idle.Data[1].IdleDays != 29 ||
		idle.MonthlyCost.Amount != 23900+11900 || idle.Data[0].MonthlyCost.Amount+idle.Data[1].MonthlyCost.Amount != 35800 {
		t.Errorf("idle licenses on day 29: %+v", idle)
	}
	wantError(t, ts.do("GET", "/api/v1/admin/idle-licenses?days=0", astrid.token, nil), 422, kassa.Invalid, "days")

	// An endpoint that hears of licenses unassigned: a reclaimed one is one.
	var hook struct{ ID string }
	mustUnmarshal(t, ts.do("POST", "/api/v1/admin/webhooks", astrid.token, map[string]any{"url": "https://hooks.example.com/kassa",
		"events": []string{"license.unassigned"}}).body, &hook)

	day(30)
	var deliveries struct {
		Data []struct{ Type, Payload string }
	}
	mustUnmarshal(t, ts.do("GET", "/api/v1/admin/webhooks/"+hook.ID+"/deliveries", astrid.token, nil).body, &deliveries)
	if !slices.ContainsFunc(deliveries.Data, func(d struct{ Type, Payload string }) bool {
		return d.Type == "license.unassigned" && strings.Contains(d.Payload, holders[0])
	}) {
		t.Errorf("no license.unassigned event of %s among %+v", holders[0], deliveries.Data)
	}
	if got, want := ts.holderIDs(astrid.token, org.ID), sorted(holders[1], holders[2]); !slices.Equal(got, want) {
		t.Errorf("holders after day 30: %v, want those who used theirs %v", got, want)
	}
	if got := ts.holderIDs(erik.token, own.ID); len(got) != 0 {
		t.Errorf("erik's holders after day 30: %v", got)
	}
	want = sorted(email[holders[0]], email[holders[3]], "erik@nordvik.example")
	if got := told(kassa.NotifyReclaimed); !slices.Equal(got, want) {
		t.Errorf("told of the reclaiming: %v, want %v", got, want)
	}
	var l struct{ Data []struct{ Action string } }
	mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?object_id="+org.ID, astrid.token, nil).body, &l)
	if !slices.ContainsFunc(l.Data, func(e struct{ Action string }) bool { return e.Action == "license.reclaimed" }) {
		t.Errorf("no license.reclaimed in the audit log: %+v", l.Data)
	}
	ts.checkSeats()

	if res := ts.do("PUT", path, astrid.token, map[string]any{"days": nil}); res.status != 200 || !strings.Contains(string(res.body), `"days":null`) {
		t.Errorf("turn off = %d %s", res.status, res.body)
	}
}
