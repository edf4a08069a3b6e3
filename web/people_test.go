package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

func TestPeoplePage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	en := func(h map[string][]string) map[string][]string {
		h["Accept-Language"] = []string{"en"}
		return h
	}(astrid)

	t.Run("SearchAndFilters", func(t *testing.T) {
		r := s.get(peoplePath+"?search=anna&status=active", en)
		r.wantStatus(t, 200)
		r.wantBody(t, "Anna Lindberg", "Show everyone")
		r.wantNotBody(t, "Erik Johansson")
		r = s.get(peoplePath+"?type=guest", en)
		r.wantBody(t, "gast@partner.example")
		r.wantNotBody(t, "anna.lindberg@nordvik.example")
		r = s.get(peoplePath+"?status=disabled", en)
		r.wantBody(t, "former@nordvik.example", "Disabled")
		r.wantNotBody(t, "anna.lindberg@nordvik.example")
		// A cursor nobody made shows the first page.
		s.get(peoplePath+"?cursor=%ff", en).wantStatus(t, 200)
	})
	t.Run("PagedByCursor", func(t *testing.T) {
		csv := "email,name\n"
		for i := range 60 {
			csv += fmt.Sprintf("p%02d@nordvik.example,Person %02d\n", i, i)
		}
		s.do("POST", peoplePath+"/import", url.Values{"csv": {csv}, "action": {"import"}}, en).wantStatus(t, 303)
		r := s.get(peoplePath, en)
		next := regexpFind(t, r.body, `href="(/admin/people\?cursor=[^"]+)" rel="next"`)
		second := s.get(strings.ReplaceAll(next, "&amp;", "&"), en)
		second.wantStatus(t, 200)
		second.wantBody(t, "First page")
		if strings.Count(second.body, `<th scope="row">`) == 0 {
			t.Errorf("the second page lists nobody")
		}
	})
	t.Run("AddKeepsWhatWasTypedBesideTheError", func(t *testing.T) {
		form := url.Values{"name": {"Nora Nyberg"}, "email": {"erik@nordvik.example"}, "type": {"guest"}, "role": {"user"}}
		r := s.do("POST", peoplePath+"/new", form, en)
		r.wantStatus(t, 409)
		r.wantBody(t, `value="Nora Nyberg"`, `value="erik@nordvik.example"`, `<option value="guest" selected>`)
		if errs := errorsOf(r.body); len(errs) != 1 || !strings.Contains(errs[0], "already in use") ||
			!strings.Contains(r.body, `id="person-email-error"`) {
			t.Errorf("errors %q, want one beside the email", errs)
		}
		form.Set("email", "nora@")
		r = s.do("POST", peoplePath+"/new", form, en)
		r.wantStatus(t, 422)
		r.wantBody(t, `id="person-email-error"`)
		form.Set("email", "nora.nyberg@nordvik.example")
		r = s.do("POST", peoplePath+"/new", form, en)
		r.wantStatus(t, 303)
		page := s.get(r.Header.Get("Location"), en)
		page.wantBody(t, "Nora Nyberg", "nora.nyberg@nordvik.example", "an invitation to choose a password is on its way")
		// Her invitation again; erik, who has a password, a link to choose a new one.
		nora := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
		r = s.do("POST", nora+"/password-link", url.Values{}, en)
		r.wantStatus(t, 303)
		s.get(r.Header.Get("Location"), en).wantBody(t, "The invitation was sent again")
		erik := peoplePath + "/" + s.userIDByEmail(t, "erik@nordvik.example")
		r = s.do("POST", erik+"/password-link", url.Values{}, en)
		r.wantStatus(t, 303)
		s.get(r.Header.Get("Location"), en).wantBody(t, "A link to choose a new password was sent")
	})
	t.Run("DisableEndsTheSessionsAndEnableLetsBackIn", func(t *testing.T) {
		karl := s.signIn("karl.bjork@nordvik.example")
		person := peoplePath + "/" + s.userIDByEmail(t, "karl.bjork@nordvik.example")
		r := s.do("POST", person+"/status", url.Values{"status": {"disabled"}}, en)
		r.wantStatus(t, 303)
		s.get(r.Header.Get("Location"), en).wantBody(t, "The person is disabled", "Allow sign-in again")
		if r := s.get("/billing/products", withCookies(karl)); r.StatusCode != 303 {
			t.Errorf("karl's session after he was disabled: %d, want 303 to sign in", r.StatusCode)
		}
		s.do("POST", person+"/status", url.Values{"status": {"active"}}, en).wantStatus(t, 303)
		s.signIn("karl.bjork@nordvik.example")
	})
	t.Run("TheLastAdminStays", func(t *testing.T) {
		me := peoplePath + "/" + s.userIDByEmail(t, "astrid@nordvik.example")
		r := s.do("POST", me+"/status", url.Values{"status": {"disabled"}}, en)
		r.wantStatus(t, 409)
		r.wantBody(t, "last active admin")
		r = s.do("POST", me, url.Values{"name": {"Astrid Lindqvist"}, "type": {"member"}, "role": {"user"}}, en)
		r.wantStatus(t, 409)
		r.wantBody(t, `id="person-role-error"`, `<option value="user" selected>`)
	})
	t.Run("OtherTenantsPeopleAreNotFound", func(t *testing.T) {
		mike := peoplePath + "/" + s.userIDByEmail(t, "mike@harbor.example")
		s.get(mike, en).wantStatus(t, 404)
		s.do("POST", mike+"/status", url.Values{"status": {"disabled"}}, en).wantStatus(t, 404)
	})
}

func TestImportPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	sv := withCookies(s.signIn("astrid@nordvik.example"))
	sv["Accept-Language"] = []string{"sv"}
	bad := "email,name\nines@nordvik.example,Ines\nmike@harbor.example,Mike\nlo@nordvik.example,\n"
	r := s.do("POST", peoplePath+"/import", url.Values{"csv": {bad}, "action": {"import"}}, sv)
	r.wantStatus(t, 422)
	r.wantBody(t, "Läggs till och bjuds in", "mike@harbor.example används redan", "Ange name", "Inget har sparats")
	r.wantNotBody(t, `value="import"`)
	if s.userExists(t, "ines@nordvik.example") {
		t.Fatal("a file with bad lines added ines")
	}
	r = s.do("POST", peoplePath+"/import", url.Values{"csv": {"email,phone\n"}}, sv)
	r.wantStatus(t, 422)
	r.wantBody(t, `okänd kolumn &#34;phone&#34;`)

	good := "email,name\nines@nordvik.example,Ines\nerik@nordvik.example,Erik\n"
	r = s.do("POST", peoplePath+"/import", url.Values{"csv": {good}, "action": {"preview"}}, sv)
	r.wantStatus(t, 200)
	r.wantBody(t, "Finns redan: lämnas som den är", "Importera 1 person", `value="import"`)
	if s.userExists(t, "ines@nordvik.example") {
		t.Fatal("a preview added ines")
	}
	r = s.do("POST", peoplePath+"/import", url.Values{"csv": {good}, "action": {"import"}}, sv)
	r.wantStatus(t, 303)
	r.wantLocation(t, peoplePath+"?done=people_imported")
	if !s.userExists(t, "ines@nordvik.example") {
		t.Fatal("the import did not add ines")
	}
}

func TestOrganizationPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	en := withCookies(s.signIn("hannah@harbor.example"))
	en["Accept-Language"] = []string{"en"}
	r := s.get("/admin/organization", en)
	r.wantStatus(t, 200)
	r.wantBody(t, "Harbor", "harbor.example", "Directory ID")
	form := url.Values{"name": {"Harbor Freight Ltd"}, "country": {"GB"}, "currency": {"GBP"}, "locale": {"en"},
		"vat_id": {"GB123456789"}, "support_email": {"help@harbor.example"}, "domains": {"harbor.example, nordvik.example"},
		"line1": {"1 Dock Road"}, "city": {"London"}, "postal_code": {"E1 1AA"}}
	r = s.do("POST", "/admin/organization", form, en)
	r.wantStatus(t, 409)
	r.wantBody(t, `id="org-domains-error"`, `value="Harbor Freight Ltd"`, `value="1 Dock Road"`,
		`value="harbor.example, nordvik.example"`)
	form.Set("domains", "harbor.example harbor.co.uk")
	form.Set("support_email", "help@")
	r = s.do("POST", "/admin/organization", form, en)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="org-support-email-error"`)
	form.Set("support_email", "help@harbor.example")
	r = s.do("POST", "/admin/organization", form, en)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), en).wantBody(t, "Harbor Freight Ltd", "harbor.co.uk, harbor.example", "were saved")
	s.get("/admin/organization", withCookies(s.signIn("mike@harbor.example"))).wantStatus(t, 404)
}

func TestChangePasswordPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	here, there := s.signIn("erik@nordvik.example"), s.signIn("erik@nordvik.example")
	en := withCookies(here)
	en["Accept-Language"] = []string{"en"}
	form := url.Values{"current": {"not my password"}, "password": {"a new long password"}, "confirm": {"a new long password"}}
	r := s.do("POST", "/account/password", form, en)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="current-error"`, "not your current password")
	form.Set("current", "kassa-demo")
	form.Set("confirm", "another long password")
	r = s.do("POST", "/account/password", form, en)
	r.wantStatus(t, 422)
	r.wantBody(t, `id="confirm-error"`)
	r.wantNotBody(t, "a new long password", "kassa-demo\"")
	form.Set("confirm", "a new long password")
	r = s.do("POST", "/account/password", form, en)
	r.wantStatus(t, 303)
	s.get(r.Header.Get("Location"), en).wantBody(t, "signed out everywhere else")
	if r := s.get("/billing/products", withCookies(there)); r.StatusCode != 303 {
		t.Errorf("the other session after the change: %d, want 303 to sign in", r.StatusCode)
	}
	s.get("/billing/products", en).wantStatus(t, 200)
}

// userExists reports whether anyone, in any tenant, has the email.
func (s *site) userExists(t *testing.T, email string) bool {
	t.Helper()
	_, err := s.db.FindCredentials(t.Context(), email)
	switch kassa.ErrorCode(err) {
	case "":
		return true
	case kassa.NotFound:
		return false
	}
	t.Fatal(err)
	return false
}

// regexpFind returns the first group of the pattern's first match in s.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("nothing matches %s", pattern)
	}
	return m[1]
}

func TestManagedPersonPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	en := withCookies(s.signIn("astrid@nordvik.example"))
	en["Accept-Language"] = []string{"en"}
	astrid, err := s.db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	d := &kassa.DirectoryUser{UserName: "nils@nordvik.example", User: kassa.User{Name: "Nils Holm", Status: kassa.Active}}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.ProvisionUser(t.Context(), astrid.Tenant.ID, d); err != nil {
		t.Fatal(err)
	}
	page := peoplePath + "/" + d.ID
	r := s.get(page, en)
	r.wantStatus(t, 200)
	r.wantBody(t, "comes from your organization&#39;s directory", `id="person-role"`)
	r.wantNotBody(t, `id="person-name"`, `id="person-type"`, `value="disabled"`)
	r = s.do("POST", page, url.Values{"name": {"Nils Holm"}, "type": {"member"}, "role": {"admin"}}, en)
	r.wantStatus(t, 303)
	r = s.do("POST", page, url.Values{"name": {"Someone Else"}, "type": {"member"}, "role": {"admin"}}, en)
	r.wantStatus(t, 409)
	r.wantBody(t, "change their name, type and sign-in there")
}
