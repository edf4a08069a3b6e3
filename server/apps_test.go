package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestAppTokens: an admin registers an app and sees its secret once; the
// app signs in at /{directory_id}/oauth2/v2.0/token with the client
// credentials grant and gets a token as Entra gives one; a wrong secret,
// another tenant's directory, another grant or scope are refused in OAuth's
// words; a second secret rotates the first; a deleted app's token is
// refused.
func TestAppTokens(t *testing.T) {
	t.Parallel()
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, Billing: billing.New(db, gw, clock, log)}))
	defer srv.Close()

	api := func(method, path, token string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	login := func(email string) string {
		var out struct{ Token string }
		_, b := api("POST", "/api/v1/login", "", map[string]string{"email": email, "password": demo.Password})
		_ = json.Unmarshal(b, &out)
		return out.Token
	}
	astrid, erik := login("astrid@nordvik.example"), login("erik@nordvik.example")
	if status, _ := api("POST", "/api/v1/admin/apps", erik, map[string]any{"name": "x", "permissions": []string{kassa.PermUserRead}}); status != 403 {
		t.Errorf("a user registering an app: %d", status)
	}
	for _, bad := range []map[string]any{
		{"name": "", "permissions": []string{kassa.PermUserRead}},
		{"name": "Analytics", "permissions": []string{}},
		{"name": "Analytics", "permissions": []string{"Directory.ReadWrite.All"}},
		{"name": "Analytics", "permissions": []string{kassa.PermUserRead, kassa.PermUserRead}},
	} {
		if status, body := api("POST", "/api/v1/admin/apps", astrid, bad); status != 422 {
			t.Errorf("%v: %d %s", bad, status, body)
		}
	}
	status, body := api("POST", "/api/v1/admin/apps", astrid, map[string]any{"name": "Analytics Pro",
		"permissions": []string{kassa.PermLicenseAssignment, kassa.PermUserRead}})
	var app struct {
		ID           string
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Permissions  []string
	}
	if err := json.Unmarshal(body, &app); err != nil || status != 201 || app.ClientSecret == "" || len(app.Permissions) != 2 {
		t.Fatalf("register: %d %s", status, body)
	}
	if _, list := api("GET", "/api/v1/admin/apps/"+app.ID+"/secrets", astrid, nil); bytes.Contains(list, []byte(app.ClientSecret)) {
		t.Error("the secrets' list shows the secret")
	}

	nordvik, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	harbor, err := db.FindCredentials(t.Context(), "hannah@harbor.example")
	if err != nil {
		t.Fatal(err)
	}
	token := func(directory string, form url.Values) (int, map[string]any) {
		t.Helper()
		res, err := http.PostForm(srv.URL+"/"+directory+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	creds := func(secret string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {secret},
			"scope": {"https://graph.microsoft.com/.default"}}
	}
	status, got := token(nordvik.Tenant.DirectoryID, creds(app.ClientSecret))
	if status != 200 || got["token_type"] != "Bearer" || got["expires_in"] != float64(3599) || got["access_token"] == "" {
		t.Fatalf("token: %d %v", status, got)
	}
	first := got["access_token"].(string)
	if gotApp, tenant, err := a.AuthenticateApp(t.Context(), first); err != nil || gotApp.ID != app.ID || tenant.ID != nordvik.Tenant.ID {
		t.Errorf("the token signs in %v of %v (%v)", gotApp, tenant, err)
	}

	for name, c := range map[string]struct {
		directory string
		form      url.Values
		status    int
		code      string
	}{
		"WrongSecret":   {nordvik.Tenant.DirectoryID, creds("not-the-secret"), 401, "invalid_client"},
		"AnotherTenant": {harbor.Tenant.DirectoryID, creds(app.ClientSecret), 401, "invalid_client"},
		"AnotherGrant":  {nordvik.Tenant.DirectoryID, func() url.Values { f := creds(app.ClientSecret); f.Set("grant_type", "password"); return f }(), 400, "unsupported_grant_type"},
		"AnotherScope":  {nordvik.Tenant.DirectoryID, func() url.Values { f := creds(app.ClientSecret); f.Set("scope", "User.Read"); return f }(), 400, "invalid_scope"},
		"NoClient":      {nordvik.Tenant.DirectoryID, url.Values{"grant_type": {"client_credentials"}, "scope": {"x/.default"}}, 400, "invalid_request"},
	} {
		if status, got := token(c.directory, c.form); status != c.status || got["error"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", name, status, got, c.status, c.code)
		}
	}

	// Rotation: a second secret works beside the first; a third is one too many.
	status, body = api("POST", "/api/v1/admin/apps/"+app.ID+"/secrets", astrid, nil)
	var second struct {
		ID           string
		ClientSecret string `json:"client_secret"`
	}
	_ = json.Unmarshal(body, &second)
	if status != 201 || second.ClientSecret == "" {
		t.Fatalf("a second secret: %d %s", status, body)
	}
	if status, _ := token(nordvik.Tenant.DirectoryID, creds(second.ClientSecret)); status != 200 {
		t.Errorf("the second secret: %d", status)
	}
	if status, _ := api("POST", "/api/v1/admin/apps/"+app.ID+"/secrets", astrid, nil); status != 409 {
		t.Errorf("a third secret: %d", status)
	}
	var secrets struct{ Data []struct{ ID, Hint string } }
	_, body = api("GET", "/api/v1/admin/apps/"+app.ID+"/secrets", astrid, nil)
	_ = json.Unmarshal(body, &secrets)
	if len(secrets.Data) != 2 || !strings.HasPrefix(app.ClientSecret, secrets.Data[0].Hint) {
		t.Fatalf("secrets: %s", body)
	}
	if status, _ := api("DELETE", "/api/v1/admin/apps/"+app.ID+"/secrets/"+secrets.Data[0].ID, astrid, nil); status != 204 {
		t.Errorf("delete the first secret: %d", status)
	}
	if status, _ := token(nordvik.Tenant.DirectoryID, creds(app.ClientSecret)); status != 401 {
		t.Errorf("the deleted secret: %d", status)
	}
	// Another tenant's admin sees none of it.
	if status, _ := api("GET", "/api/v1/admin/apps/"+app.ID, login("hannah@harbor.example"), nil); status != 404 {
		t.Errorf("another tenant's admin: %d", status)
	}
	if status, _ := api("DELETE", "/api/v1/admin/apps/"+app.ID, astrid, nil); status != 204 {
		t.Errorf("delete the app: %d", status)
	}
	if _, _, err := a.AuthenticateApp(t.Context(), first); kassa.ErrorCode(err) != kassa.Unauthorized {
		t.Errorf("a deleted app's token: %v", err)
	}
}
