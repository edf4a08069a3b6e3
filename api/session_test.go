package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/demo"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	t.Run("ReturnsTokenAndUser", func(t *testing.T) {
		res := ts.do("POST", "/api/v1/login", "", map[string]string{
			"email": "Erik@Nordvik.example", "password": demo.Password})
		var out struct {
			Token string
			User  struct {
				Email, Role, Type, Status string
				Tenant                    struct{ Name, Currency, Locale string }
			}
		}
		mustUnmarshal(t, res.body, &out)
		if res.status != 200 || len(out.Token) < 40 || out.User.Email != "erik@nordvik.example" ||
			out.User.Tenant.Name != "Nordvik AB" || out.User.Tenant.Locale != "sv" {
			t.Fatalf("login = %d %s", res.status, res.body)
		}
	})

	t.Run("EveryDemoUserCanSignIn", func(t *testing.T) {
		n := 0
		for _, admin := range []string{"astrid@nordvik.example", "hannah@harbor.example"} {
			var l userList
			mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=200", ts.login(admin), nil).body, &l)
			for _, email := range l.emails() {
				ts.login(email)
				n++
			}
		}
		if n < 2+40+1+2+5 {
			t.Errorf("only %d demo users signed in", n)
		}
	})

	tests := []struct {
		name   string
		body   any
		status int
		code   kassa.Code
		field  string
	}{
		{"WrongPassword", `{"email":"erik@nordvik.example","password":"nope"}`, 401, kassa.Unauthorized, ""},
		{"UnknownEmail", `{"email":"nobody@nordvik.example","password":"kassa-demo"}`, 401, kassa.Unauthorized, ""},
		{"DisabledUser", `{"email":"former@nordvik.example","password":"kassa-demo"}`, 401, kassa.Unauthorized, ""},
		{"EmptyEmail", `{"email":"","password":"x"}`, 422, kassa.Invalid, "email"},
		{"NoPassword", `{"email":"erik@nordvik.example"}`, 422, kassa.Invalid, "password"},
		{"NotAnEmail", `{"email":"erik","password":"x"}`, 422, kassa.Invalid, "email"},
		{"EmailOfWrongType", `{"email":5,"password":"x"}`, 422, kassa.Invalid, "email"},
		{"UnknownField", `{"email":"erik@nordvik.example","password":"x","pasword":"y"}`, 422, kassa.Invalid, "pasword"},
		{"MalformedJSON", `{"email":`, 400, kassa.BadRequest, ""},
		{"NotAnObject", `[1,2]`, 400, kassa.BadRequest, ""},
		{"TwoObjects", `{"email":"a@b.c","password":"x"} {}`, 400, kassa.BadRequest, ""},
		{"EmptyBody", ``, 400, kassa.BadRequest, ""},
		{"OverOneMiB", `{"email":"` + strings.Repeat("a", 1<<20) + `@b.c","password":"x"}`, 400, kassa.BadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.do("POST", "/api/v1/login", "", tt.body)
			wantError(t, res, tt.status, tt.code, tt.field)
			if strings.Contains(string(res.body), "kassa-demo") {
				t.Errorf("the answer repeats the password: %s", res.body)
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	wrong := map[string]string{"email": "erik@nordvik.example", "password": "wrong"}

	t.Run("PerAccount", func(t *testing.T) {
		for i := 0; i < auth.AccountLimit; i++ {
			wantError(t, ts.do("POST", "/api/v1/login", "", wrong), 401, kassa.Unauthorized, "")
		}
		right := map[string]string{"email": "erik@nordvik.example", "password": demo.Password}
		wantError(t, ts.do("POST", "/api/v1/login", "", right), 429, kassa.RateLimited, "")

		ts.clock.Set(ts.clock.Now().Add(auth.Window + time.Second))
		if res := ts.do("POST", "/api/v1/login", "", right); res.status != 200 {
			t.Fatalf("after the window: %d %s", res.status, res.body)
		}
	})

	t.Run("PerAddress", func(t *testing.T) {
		ts.clock.Set(ts.clock.Now().Add(auth.Window + time.Second))
		for i := 0; i < auth.AddressLimit; i++ {
			body := map[string]string{"email": fmt.Sprintf("nobody%d@nordvik.example", i), "password": "x"}
			wantError(t, ts.do("POST", "/api/v1/login", "", body), 401, kassa.Unauthorized, "")
		}
		right := map[string]string{"email": "mike@harbor.example", "password": demo.Password}
		wantError(t, ts.do("POST", "/api/v1/login", "", right), 429, kassa.RateLimited, "")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	token := ts.login("erik@nordvik.example")
	other := ts.login("erik@nordvik.example")
	if res := ts.do("GET", "/api/v1/me", token, nil); res.status != 200 { // the session is now remembered
		t.Fatalf("me = %d %s", res.status, res.body)
	}
	if res := ts.do("POST", "/api/v1/logout", token, nil); res.status != http.StatusNoContent {
		t.Fatalf("logout = %d %s", res.status, res.body)
	}
	wantError(t, ts.do("GET", "/api/v1/me", token, nil), 401, kassa.Unauthorized, "")
	if res := ts.do("GET", "/api/v1/me", other, nil); res.status != 200 {
		t.Errorf("another session of the same user ended too: %d", res.status)
	}
}

// TestLogoutElsewhere signs out through another process on the same
// database (another Auth): this one refuses the session within a second,
// though it remembered it.
func TestLogoutElsewhere(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	token := ts.login("erik@nordvik.example")
	if res := ts.do("GET", "/api/v1/me", token, nil); res.status != 200 {
		t.Fatalf("me = %d %s", res.status, res.body)
	}
	elsewhere, err := auth.New(ts.db, ts.clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := elsewhere.Logout(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	if _, err := elsewhere.Authenticate(t.Context(), token, auth.KindAPI); kassa.ErrorCode(err) != kassa.Unauthorized {
		t.Fatalf("the process that signed out still knows the session: %v", err)
	}
	// The cache trusts a session for a second; a minute is a ceiling
	// that only a cache that never forgets would reach.
	deadline := time.Now().Add(time.Minute)
	for ts.do("GET", "/api/v1/me", token, nil).status == 200 {
		if time.Now().After(deadline) {
			t.Fatal("a session ended elsewhere still works here after a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	token := ts.login("erik@nordvik.example")

	t.Run("UsedWithinIdleTimeout", func(t *testing.T) {
		for range 4 { // 4 × 29 days: past the lifetime of 90 days
			ts.clock.Set(ts.clock.Now().Add(29 * 24 * time.Hour))
			if ts.clock.Now().Sub(testStart) >= 90*24*time.Hour {
				break
			}
			if res := ts.do("GET", "/api/v1/me", token, nil); res.status != 200 {
				t.Fatalf("after %v: %d", ts.clock.Now().Sub(testStart), res.status)
			}
		}
	})
	t.Run("EndsAtLifetime", func(t *testing.T) {
		ts.clock.Set(testStart.Add(90 * 24 * time.Hour))
		wantError(t, ts.do("GET", "/api/v1/me", token, nil), 401, kassa.Unauthorized, "")
	})
	t.Run("EndsWhenIdle", func(t *testing.T) {
		fresh := ts.login("erik@nordvik.example")
		ts.clock.Set(ts.clock.Now().Add(31 * 24 * time.Hour))
		wantError(t, ts.do("GET", "/api/v1/me", fresh, nil), 401, kassa.Unauthorized, "")
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, h := range [][]string{
		nil,
		{"Authorization", "Bearer "},
		{"Authorization", "Bearer not-a-token"},
		{"Authorization", "Basic ZXJpazprYXNzYS1kZW1v"},
	} {
		res := ts.do("GET", "/api/v1/me", "", nil, h...)
		wantError(t, res, 401, kassa.Unauthorized, "")
		if res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tt := range []struct{ email, role, tenant, currency string }{
		{"erik@nordvik.example", "user", "Nordvik AB", "SEK"},
		{"astrid@nordvik.example", "admin", "Nordvik AB", "SEK"},
		{"hannah@harbor.example", "admin", "Harbor Labs Inc.", "USD"},
		{"gast@partner.example", "user", "Nordvik AB", "SEK"},
	} {
		res := ts.do("GET", "/api/v1/me", ts.login(tt.email), nil)
		var me struct {
			Email, Role string
			Tenant      struct{ Name, Currency string }
		}
		mustUnmarshal(t, res.body, &me)
		if me.Email != tt.email || me.Role != tt.role || me.Tenant.Name != tt.tenant || me.Tenant.Currency != tt.currency {
			t.Errorf("me(%s) = %s", tt.email, res.body)
		}
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	token := ts.login("erik@nordvik.example")

	t.Run("WrongMethodIs405", func(t *testing.T) {
		res := ts.doRaw("DELETE", "/api/v1/me", token, nil)
		wantError(t, res, 405, MethodNotAllowed, "")
		if allow := res.header.Get("Allow"); !strings.Contains(allow, "GET") {
			t.Errorf("Allow = %q", allow)
		}
		wantError(t, ts.doRaw("GET", "/api/v1/login", "", nil), 405, MethodNotAllowed, "")
	})
	t.Run("UnknownPathIs404", func(t *testing.T) {
		wantError(t, ts.doRaw("GET", "/api/v1/nothing-here", token, nil), 404, kassa.NotFound, "")
		wantError(t, ts.doRaw("GET", "/api/v2/me", token, nil), 404, kassa.NotFound, "")
	})
	t.Run("OpenAPIIsPublic", func(t *testing.T) {
		if res := ts.do("GET", "/api/v1/openapi.json", "", nil); res.status != 200 {
			t.Errorf("openapi.json = %d", res.status)
		}
	})
}
