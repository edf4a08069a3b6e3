package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const orgPath = "/admin/billing-profiles"

// orgProfile makes the organization's billing profile as an admin does on
// Admin › Billing profiles, with a card of its own entered on the card
// page, and returns its page.
func orgProfile(t *testing.T, s *site, admin http.Header) string {
	t.Helper()
	r := s.do("POST", orgPath+"/new", profileForm(set("name", "Nordvik AB"), set("email", "ekonomi@nordvik.example")), admin)
	r.wantStatus(t, http.StatusSeeOther)
	page, _, _ := strings.Cut(r.Header.Get("Location"), "?")
	if !strings.HasPrefix(page, orgPath+"/bp_") {
		t.Fatalf("a new organization profile led to %q", page)
	}
	if _, back := s.viaCardPage(t, page+"/payment-method/replace", admin, cardForm(set("number", "4242 4242 4242 4242"),
		set("name", "Nordvik AB"))); !strings.HasPrefix(back, page) {
		t.Fatalf("the card page went on to %q, not %s", back, page)
	}
	return page
}

// TestOrganizationBillingProfiles walks Admin › Billing profiles and the
// switch of a taken-over subscription to the organization's profile, in
// Swedish: the organization's profiles are nobody's own, admins add no
// licenses to a person's card, and the organization's invoices are its
// admins'.
func TestOrganizationBillingProfiles(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))

	t.Run("EmptyAndBadInput", func(t *testing.T) {
		r := s.get(orgPath, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Organisationens faktureringsprofiler</h1>", "Organisationen har ingen faktureringsprofil ännu.",
			`href="`+orgPath+`/new"`, `aria-current="page">Organisationens faktureringsprofiler</a>`)
		r = s.do("POST", orgPath+"/new", profileForm(set("name", ""), set("city", "Göteborg")), astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "profile-name", "")
		r.wantBody(t, `value="Göteborg"`, `action="`+orgPath+`/new"`)
		s.get(orgPath, astrid).wantBody(t, "Organisationen har ingen faktureringsprofil ännu.")
	})

	page := orgProfile(t, s, astrid)
	id := strings.TrimPrefix(page, orgPath+"/")

	t.Run("TheOrganizationsOwn", func(t *testing.T) {
		r := s.get(orgPath, astrid)
		r.wantBody(t, `<a href="`+page+`">Nordvik AB</a>`, "Visa •••• 4242")
		p := s.get(page, astrid)
		p.wantStatus(t, http.StatusOK)
		p.wantBody(t, `<p class="breadcrumb"><a href="`+orgPath+`">Organisationens faktureringsprofiler</a>`, "ekonomi@nordvik.example", "•••• 4242")
		// Nobody's own: not among astrid's or erik's, and no page for users.
		s.get(bpPath, astrid).wantNotBody(t, id)
		s.get(bpPath, erik).wantNotBody(t, id)
		s.get(bpPath+"/"+id, astrid).wantStatus(t, http.StatusNotFound)
		s.get(orgPath, erik).wantStatus(t, http.StatusNotFound)
		s.get(page, erik).wantStatus(t, http.StatusNotFound)
	})

	sub := erikBuys(t, s, erik)
	s.do("POST", sub+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	review := url.Values{"change": {"buy"}, "quantity": {"7"}, "step": {"review"}}

	t.Run("APersonsCardIsNotTheAdminsToCharge", func(t *testing.T) {
		r := s.get(sub, astrid)
		r.wantBody(t, "<dd>Erik Johanssons egen · <a href=\""+sub+"/billing-profile\">Ändra</a></dd>")
		r = s.do("POST", sub+"/licenses", review, astrid)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "administratörer debiterar aldrig en persons kort",
			`<a class="button" href="`+sub+`/billing-profile">Välj organisationens faktureringsprofil</a>`)
		r.wantNotBody(t, "Debiteras nu")
	})

	t.Run("SwitchPane", func(t *testing.T) {
		r := s.get(sub+"/billing-profile", astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Faktureringsprofil</h2>`, `<option value="`+id+`">Nordvik AB</option>`,
			`action="`+sub+`/billing-profile"`)
		r = s.do("POST", sub+"/billing-profile", url.Values{"billing_profile_id": {"bp_nope"}}, astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "paying-profile", "billing_profile_id måste vara en av organisationens faktureringsprofiler")
		s.do("POST", sub+"/billing-profile", url.Values{"billing_profile_id": {id}}, erik).wantStatus(t, http.StatusNotFound)
		self := erikBuys(t, s, erik) // self-service: erik pays, nothing to switch
		s.get(self, astrid).wantNotBody(t, self+"/billing-profile")
		s.get(self+"/billing-profile", astrid).wantStatus(t, http.StatusConflict)
	})

	r := s.do("POST", sub+"/billing-profile", url.Values{"billing_profile_id": {id}}, astrid)
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, sub+"?done=billing_profile_changed")
	s.get(sub+"?done=billing_profile_changed", astrid).wantBody(t,
		"Organisationens faktureringsprofil betalar nu för den här prenumerationen.", `<a href="`+page+`">Nordvik AB</a>`)
	s.get(sub, erik).wantBody(t, "<dd>Nordvik AB (organisationens)</dd>")

	t.Run("TheOrganizationPays", func(t *testing.T) {
		r := s.do("POST", sub+"/licenses", review, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Debiteras nu kortet i organisationens faktureringsprofil Nordvik AB:")
		save := url.Values{"change": {"buy"}, "quantity": {"7"}, "step": {"save"}, "reviewed": {"7"}, "key": {r.hidden(t, "key")}}
		s.do("POST", sub+"/licenses", save, astrid).wantLocation(t, sub+"?done=licenses_added")
		// The invoice is the organization's: astrid, who buys nothing
		// herself, lists it; erik does not, nor may he open it.
		m := regexp.MustCompile(`href="(/billing/bills/invoices/inv_[0-9a-z]+)\?`).FindAllStringSubmatch(s.get("/billing/bills", astrid).body, -1)
		if len(m) != 1 {
			t.Fatalf("astrid's bills list %d invoices, want the organization's one", len(m))
		}
		s.get(m[0][1], astrid).wantBody(t, "Nordvik AB", "Analytics Pro")
		s.get("/billing/bills", erik).wantNotBody(t, m[0][1])
		s.get(m[0][1], erik).wantStatus(t, http.StatusNotFound)
	})
}
