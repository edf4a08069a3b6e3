package web_test

import (
	"encoding/json"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestAppsPage: Admin › Apps, without JavaScript. A registration missing
// its permissions is refused beside them with the name kept; a good one
// shows the client secret once, and the secret gets a token at the
// token endpoint shown; a second secret is made, a third refused; the app
// is deleted. In Swedish.
func TestAppsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	sv := withCookies(s.signIn("astrid@nordvik.example"))
	sv["Accept-Language"] = []string{"sv"}
	r := s.get("/admin/apps", sv)
	r.wantStatus(t, 200)
	r.wantBody(t, "Inga appar ännu.", "/oauth2/v2.0/token", s.url+"/graph/v1.0", "LicenseAssignment.ReadWrite.All")

	r = s.do("POST", "/admin/apps", url.Values{"name": {"Designstudio"}}, sv)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="app-permissions-error"`, `value="Designstudio"`)

	r = s.do("POST", "/admin/apps", url.Values{"name": {"Designstudio"}, "permission": {"User.Read.All", "LicenseAssignment.ReadWrite.All"}}, sv)
	r.wantStatus(t, http.StatusCreated)
	r.wantBody(t, "Appen registrerades.", "Kopiera hemligheten nu")
	secret := regexp.MustCompile(`<code class="copyable secret">([A-Za-z0-9_~.-]{40,})</code>`).FindStringSubmatch(r.body)
	clientID := regexp.MustCompile(`<code class="copyable">([0-9a-f-]{36})</code>`).FindStringSubmatch(r.body)
	tokenURL := regexp.MustCompile(`<code class="copyable">(http://[^<]+/oauth2/v2.0/token)</code>`).FindStringSubmatch(r.body)
	if secret == nil || clientID == nil || tokenURL == nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the new app's page:\n%s", r.body)
	}
	res, err := http.PostForm(tokenURL[1], url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID[1]},
		"client_secret": {secret[1]}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("a token with the secret shown at %s: %d", tokenURL[1], res.StatusCode)
	}

	app := regexp.MustCompile(`action="(/admin/apps/app_[0-9a-z]+)/secrets"`).FindStringSubmatch(r.body)[1]
	r = s.get(app, sv)
	r.wantStatus(t, 200)
	r.wantNotBody(t, secret[1])
	r.wantBody(t, secret[1][:3]+"…", "Designstudio")
	s.do("POST", app+"/secrets", url.Values{}, sv).wantStatus(t, http.StatusCreated)
	r = s.get(app, sv)
	r.wantBody(t, "En app har högst två hemligheter")
	s.do("POST", app+"/secrets", url.Values{}, sv).wantStatus(t, http.StatusConflict)

	del := regexp.MustCompile(`action="(/admin/apps/app_[0-9a-z]+/secrets/sec_[0-9a-z]+/delete)"`).FindStringSubmatch(r.body)[1]
	r = s.do("POST", del, url.Values{}, sv)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), sv).wantBody(t, "Hemligheten togs bort")
	r = s.do("POST", app+"/delete", url.Values{}, sv)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), sv).wantBody(t, "Appen togs bort", "Inga appar ännu.")
	// Another tenant's admin cannot see it.
	hannah := withCookies(s.signIn("hannah@harbor.example"))
	s.get(app, hannah).wantStatus(t, 404)
}

// TestWebhooksPage: Admin › Webhooks, without JavaScript, in English. A
// private address is refused beside the URL with what was typed kept; an
// endpoint is added and its secret shown once; a test ping shows in the
// delivery log; no events is refused beside them; the secret is rotated;
// the endpoint is turned off and deleted.
func TestWebhooksPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	en := withCookies(s.signIn("astrid@nordvik.example"))
	en["Accept-Language"] = []string{"en"}
	r := s.get("/admin/webhooks", en)
	r.wantStatus(t, 200)
	r.wantBody(t, "No endpoints yet.", "license.assigned", "someone was given a license")

	r = s.do("POST", "/admin/webhooks", url.Values{"url": {"https://192.168.1.20/hooks"}, "event": {"license.assigned"}}, en)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="webhook-url-error"`, "private or link-local", `value="https://192.168.1.20/hooks"`,
		`value="license.assigned" checked`)

	r = s.do("POST", "/admin/webhooks", url.Values{"url": {"https://licenses.nordvik.example/kassa"}, "event": {"license.assigned", "license.unassigned"}}, en)
	r.wantStatus(t, http.StatusCreated)
	r.wantBody(t, "The endpoint was added.", "it is not shown again", "On")
	secret := regexp.MustCompile(`<code class="copyable secret">(whsec_[^<]+)</code>`).FindStringSubmatch(r.body)
	if secret == nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the new endpoint's secret is not shown:\n%s", r.body)
	}
	secret[1] = html.UnescapeString(secret[1])
	ep := regexp.MustCompile(`action="(/admin/webhooks/whe_[0-9a-z]+)/test"`).FindStringSubmatch(r.body)[1]
	r = s.get(ep, en)
	r.wantNotBody(t, template.HTMLEscapeString(secret[1]), secret[1][6:20])
	r.wantBody(t, "Nothing sent yet.")

	r = s.do("POST", ep+"/test", url.Values{}, en)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), en).wantBody(t, "A test ping is on its way", "<code>ping</code>", "Waiting to be sent")

	r = s.do("POST", ep, url.Values{"url": {"https://licenses.nordvik.example/kassa"}}, en)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="webhook-events-error"`, "Choose at least one event")

	r = s.do("POST", ep+"/rotate-secret", url.Values{}, en)
	r.wantStatus(t, 200)
	rotated := regexp.MustCompile(`<code class="copyable secret">(whsec_[^<]+)</code>`).FindStringSubmatch(r.body)
	if rotated == nil || rotated[1] == secret[1] {
		t.Fatalf("no new secret after the rotation")
	}
	r = s.do("POST", ep+"/state", url.Values{"enabled": {"false"}}, en)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), en).wantBody(t, "The endpoint is off", ">Off<", "Turn on")
	r = s.do("POST", ep+"/delete", url.Values{}, en)
	r.wantStatus(t, 303)
	page := s.get(r.Header.Get("Location"), en)
	page.wantBody(t, "The endpoint was deleted.", "No endpoints yet.")
	if strings.Contains(page.body, "licenses.nordvik.example") {
		t.Error("the deleted endpoint is listed")
	}
}
