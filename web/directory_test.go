package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestDirectorySyncPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	en := withCookies(s.signIn("astrid@nordvik.example"))
	en["Accept-Language"] = []string{"en"}
	r := s.get("/admin/directory-sync", en)
	r.wantStatus(t, 200)
	r.wantBody(t, s.url+"/scim/v2", "No tokens yet", "No requests yet")

	s.do("POST", "/admin/directory-sync/tokens", url.Values{"name": {""}}, en).wantStatus(t, 422)
	r = s.do("POST", "/admin/directory-sync/tokens", url.Values{"name": {"Entra ID"}}, en)
	r.wantStatus(t, http.StatusCreated)
	r.wantBody(t, "it is not shown again", "Entra ID")
	token := regexp.MustCompile(`<code class="copyable secret">([A-Za-z0-9_-]{43})</code>`).FindStringSubmatch(r.body)
	if token == nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the new token is not shown:\n%s", r.body)
	}
	// The token works, once shown; the page lists what it did, never it.
	req, _ := http.NewRequest("GET", s.url+"/scim/v2/Users?filter="+url.QueryEscape(`userName eq "nobody@nordvik.example"`), nil)
	req.Header.Set("Authorization", "Bearer "+token[1])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("SCIM with the new token: %v %v", res, err)
	}
	res.Body.Close()
	// A person the directory makes is marked so on Admin › People.
	req, _ = http.NewRequest("POST", s.url+"/scim/v2/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"sofia.berg@nordvik.example","name":{"givenName":"Sofia","familyName":"Berg"}}`))
	req.Header.Set("Authorization", "Bearer "+token[1])
	req.Header.Set("Content-Type", "application/scim+json")
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 201 {
		t.Fatalf("SCIM POST: %v %v", res, err)
	}
	res.Body.Close()
	people := s.get("/admin/people?search=berg", en)
	people.wantBody(t, `>Sofia Berg</a> <span class="tag source" title="Comes from your organization&#39;s directory (SCIM)">directory</span>`)
	if strings.Count(people.body, `class="tag source"`) != 1 {
		t.Errorf("people the directory does not manage are marked too")
	}
	r = s.get("/admin/directory-sync", en)
	r.wantBody(t, "GET /scim/v2/Users?filter=userName eq &#34;nobody@nordvik.example&#34;", "Entra ID")
	r.wantNotBody(t, token[1], "Never")

	revoke := regexp.MustCompile(`action="(/admin/directory-sync/tokens/[^/"]+/revoke)"`).FindStringSubmatch(r.body)
	r = s.do("POST", revoke[1], url.Values{}, en)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), en).wantBody(t, "The token was revoked", "No tokens yet")
	// Another tenant's admin sees none of it.
	hannah := withCookies(s.signIn("hannah@harbor.example"))
	if r := s.get("/admin/directory-sync", hannah); strings.Contains(r.body, "GET /scim/v2/Users") {
		t.Errorf("harbor's page shows nordvik's requests")
	}
}
