package api

import (
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func TestPeople(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	astrid := ts.login("astrid@nordvik.example")
	add := func(body map[string]any) response {
		return ts.do("POST", "/api/v1/admin/users", astrid, body)
	}

	res := add(map[string]any{"name": " Nora Nyberg ", "email": "Nora.Nyberg@nordvik.example"})
	var added struct {
		ID, Name, Email, Type, Status, Role string
		InvitationURL                       string `json:"invitation_url"`
	}
	mustUnmarshal(t, res.body, &added)
	if res.status != 201 || added.Name != "Nora Nyberg" || added.Email != "nora.nyberg@nordvik.example" ||
		added.Type != "member" || added.Role != "user" || added.Status != "active" ||
		!strings.HasPrefix(added.InvitationURL, ts.url+"/invitation/") {
		t.Fatalf("add = %d %s", res.status, res.body)
	}
	t.Run("BadInputNamesTheField", func(t *testing.T) {
		wantError(t, add(map[string]any{"name": "X", "email": "nora.nyberg@nordvik.example"}), 409, kassa.Conflict, "email")
		wantError(t, add(map[string]any{"name": "X", "email": "mike@harbor.example"}), 409, kassa.Conflict, "email")
		wantError(t, add(map[string]any{"name": "", "email": "x@nordvik.example"}), 422, kassa.Invalid, "name")
		wantError(t, add(map[string]any{"name": "X", "email": "not an email"}), 422, kassa.Invalid, "email")
		wantError(t, add(map[string]any{"name": "X", "email": "x@nordvik.example", "type": "owner"}), 422, kassa.Invalid, "type")
		wantError(t, add(map[string]any{"name": "X", "email": "x@nordvik.example", "role": "root"}), 422, kassa.Invalid, "role")
	})
	t.Run("DisablingEndsTheSessionAtOnce", func(t *testing.T) {
		buyer := newBuyer(ts, "erik@nordvik.example")
		bought := ts.buy(buyer, "ANALYTICS_PRO", 2)
		erik := buyer.token
		if res := ts.do("GET", "/api/v1/me", erik, nil); res.status != 200 {
			t.Fatalf("erik before: %d", res.status)
		}
		me := ts.me(erik)
		res := ts.do("PATCH", "/api/v1/admin/users/"+me.ID, astrid, map[string]any{"status": "disabled"})
		if res.status != 200 || !strings.Contains(string(res.body), `"status":"disabled"`) {
			t.Fatalf("disable = %d %s", res.status, res.body)
		}
		wantError(t, ts.do("GET", "/api/v1/me", erik, nil), 401, kassa.Unauthorized, "")
		var l struct{ Data []struct{ Email string } }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/users?status=disabled&limit=200", astrid, nil).body, &l)
		found := false
		for _, u := range l.Data {
			found = found || u.Email == "erik@nordvik.example"
		}
		if !found {
			t.Errorf("status=disabled does not list erik: %+v", l.Data)
		}
		wantError(t, ts.do("GET", "/api/v1/admin/users?status=gone", astrid, nil), 422, kassa.Invalid, "status")
		// What erik bought waits, marked, for an admin to take it over.
		var view struct {
			Data []struct {
				SubscriptionID    string `json:"subscription_id"`
				PurchaserDisabled bool   `json:"purchaser_disabled"`
			}
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions?purchaser_disabled=true", astrid, nil).body, &view)
		if len(view.Data) != 1 || view.Data[0].SubscriptionID != bought.ID || !view.Data[0].PurchaserDisabled {
			t.Errorf("purchaser_disabled=true lists %+v, want erik's purchase", view.Data)
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions?purchaser_disabled=false", astrid, nil).body, &view)
		if len(view.Data) != 0 {
			t.Errorf("purchaser_disabled=false lists %+v", view.Data)
		}
		wantError(t, ts.do("GET", "/api/v1/admin/self-service-subscriptions?purchaser_disabled=maybe", astrid, nil),
			422, kassa.Invalid, "purchaser_disabled")
	})
	t.Run("LastAdminStays", func(t *testing.T) {
		me := ts.me(astrid)
		res := ts.do("PATCH", "/api/v1/admin/users/"+me.ID, astrid, map[string]any{"role": "user"})
		wantError(t, res, 409, kassa.Conflict, "role")
	})
	t.Run("OthersGet404", func(t *testing.T) {
		hannah := ts.login("hannah@harbor.example")
		wantError(t, ts.do("PATCH", "/api/v1/admin/users/"+added.ID, hannah, map[string]any{"name": "X"}), 404, kassa.NotFound, "")
	})
}

type meOut struct{ ID, Email string }

func (ts *testServer) me(token string) meOut {
	ts.t.Helper()
	var m meOut
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/me", token, nil).body, &m)
	return m
}

// TestPasswordReset: the answer is 202 whether or not the address has an
// account; only a known, active one gets a mail in the outbox; and asking
// is throttled as sign-in is.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	creds, err := ts.db.FindCredentials(t.Context(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		out, err := ts.db.FindOutbox(t.Context(), creds.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range out {
			if e.Kind == kassa.NotifyPasswordReset {
				n++
			}
		}
		return n
	}
	for _, email := range []string{"nobody@nordvik.example", "former@nordvik.example", "Erik@Nordvik.example"} {
		if res := ts.do("POST", "/api/v1/password-reset", "", map[string]string{"email": email}); res.status != 202 {
			t.Fatalf("reset %s = %d %s", email, res.status, res.body)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d reset mails, want erik's alone", n)
	}
	wantError(t, ts.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "nope"}), 422, kassa.Invalid, "email")
	for range 4 { // five asks for one address in the window are all it gets
		ts.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "erik@nordvik.example"})
	}
	wantError(t, ts.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "erik@nordvik.example"}),
		429, kassa.RateLimited, "")
}

func TestOrganization(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	astrid := ts.login("astrid@nordvik.example")
	var org struct {
		DirectoryID  string `json:"directory_id"`
		Name         string
		Currency     string
		SupportEmail string `json:"support_email"`
		Domains      []string
	}
	mustUnmarshal(t, ts.do("GET", "/api/v1/admin/organization", astrid, nil).body, &org)
	if org.Name != "Nordvik AB" || len(org.DirectoryID) != 36 || len(org.Domains) != 1 || org.Domains[0] != "nordvik.example" {
		t.Fatalf("organization = %+v", org)
	}
	res := ts.do("PATCH", "/api/v1/admin/organization", astrid, map[string]any{
		"support_email": "IT@Nordvik.example", "domains": []string{"nordvik.example", "Nordvik.SE"}})
	mustUnmarshal(t, res.body, &org)
	if res.status != 200 || org.SupportEmail != "it@nordvik.example" || len(org.Domains) != 2 || org.Domains[1] != "nordvik.se" {
		t.Fatalf("patch = %d %s", res.status, res.body)
	}
	t.Run("RefusalsChangeNothing", func(t *testing.T) {
		wantError(t, ts.do("PATCH", "/api/v1/admin/organization", astrid, map[string]any{"domains": []string{"harbor.example"}}),
			409, kassa.Conflict, "domains")
		wantError(t, ts.do("PATCH", "/api/v1/admin/organization", astrid, map[string]any{"name": "  "}), 422, kassa.Invalid, "name")
		wantError(t, ts.do("PATCH", "/api/v1/admin/organization", astrid, map[string]any{"locale": "fr"}), 422, kassa.Invalid, "locale")
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/organization", astrid, nil).body, &org)
		if len(org.Domains) != 2 || org.Name != "Nordvik AB" {
			t.Errorf("after refusals: %+v", org)
		}
	})
	t.Run("CurrencyStaysOnceBought", func(t *testing.T) {
		// Harbor has bought nothing: its currency may change.
		hannah := ts.login("hannah@harbor.example")
		if res := ts.do("PATCH", "/api/v1/admin/organization", hannah, map[string]any{"currency": "EUR"}); res.status != 200 {
			t.Errorf("harbor to EUR: %d %s", res.status, res.body)
		}
		erik := newBuyer(ts, "erik@nordvik.example")
		ts.buy(erik, "ANALYTICS_PRO", 1)
		wantError(t, ts.do("PATCH", "/api/v1/admin/organization", astrid, map[string]any{"currency": "EUR"}),
			409, kassa.Conflict, "currency")
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik, other := ts.login("erik@nordvik.example"), ts.login("erik@nordvik.example")
	change := func(current, next string) response {
		return ts.do("POST", "/api/v1/password", erik, map[string]string{"current_password": current, "new_password": next})
	}
	wantError(t, change("wrong", "long enough now"), 422, kassa.Invalid, "current_password")
	wantError(t, change("kassa-demo", "short"), 422, kassa.Invalid, "new_password")
	if res := change("kassa-demo", "fjord and fjell"); res.status != 204 {
		t.Fatalf("change = %d %s", res.status, res.body)
	}
	if res := ts.do("GET", "/api/v1/me", erik, nil); res.status != 200 {
		t.Errorf("the session that asked: %d", res.status)
	}
	wantError(t, ts.do("GET", "/api/v1/me", other, nil), 401, kassa.Unauthorized, "")
	if res := ts.do("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": "fjord and fjell"}); res.status != 200 {
		t.Errorf("sign in with the new password: %d", res.status)
	}
	wantError(t, ts.do("POST", "/api/v1/login", "", map[string]string{"email": "erik@nordvik.example", "password": "kassa-demo"}),
		401, kassa.Unauthorized, "")
}

func TestSendPasswordLink(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	raw := sqldbtest.Raw(t, ts.dsn)
	astrid := ts.login("astrid@nordvik.example")
	mails := func(kind, email string) int {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = $1 AND email = $2`, kind, email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var added struct{ ID string }
	mustUnmarshal(t, ts.do("POST", "/api/v1/admin/users", astrid, map[string]any{"name": "Nora", "email": "nora@nordvik.example"}).body, &added)
	link := func(id string) response {
		return ts.do("POST", "/api/v1/admin/users/"+id+"/password-link", astrid, nil)
	}

	// Nora has not chosen a password: her invitation goes out again.
	if res := link(added.ID); res.status != 202 || !strings.Contains(string(res.body), `"invitation"`) ||
		mails("invitation", "nora@nordvik.example") != 2 {
		t.Fatalf("link for nora = %d %s, %d invitations", res.status, res.body, mails("invitation", "nora@nordvik.example"))
	}
	// Erik has one: a link to choose a new one.
	erik := ts.me(ts.login("erik@nordvik.example"))
	if res := link(erik.ID); res.status != 202 || !strings.Contains(string(res.body), `"password_reset"`) ||
		mails("password_reset", "erik@nordvik.example") != 1 {
		t.Fatalf("link for erik = %d %s", res.status, res.body)
	}
	// A disabled user gets none; another tenant's user does not exist here.
	userID := func(email string) string {
		var id string
		if err := raw.QueryRow(`SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	wantError(t, link(userID("former@nordvik.example")), 409, kassa.Conflict, "")
	wantError(t, link(userID("mike@harbor.example")), 404, kassa.NotFound, "")
}
