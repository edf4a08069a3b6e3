package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/kassa-billing/kassa"
)

// TestGroupLicensesPage: on an admin-managed subscription's page, in
// Swedish, an admin links a directory group, sees who waits and why, and
// unlinks it; users see no such panel.
func TestGroupLicensesPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	ctx := s.actorOf(t, astrid)
	tenant := kassa.ActorFromContext(ctx).Tenant.ID

	sub := erikBuys(t, s, erik) // five licenses
	s.do("POST", sub+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	page := s.get(sub, astrid)
	page.wantBody(t, `<h2 id="group-heading">Licenser via grupp</h2>`, "Ingen kataloggrupp ger den här prenumerationens licenser.",
		`href="`+sub+`/group">Koppla en grupp</a>`)
	s.get(sub, erik).wantNotBody(t, "group-heading")
	s.get(sub+"/group", erik).wantStatus(t, http.StatusNotFound)
	s.get(sub+"/group", astrid).wantBody(t, "Organisationen har inga kataloggrupper ännu")

	// Six members and a guest: five get a license, one waits, the guest too.
	users, _, err := s.db.FindUsers(ctx, kassa.UserFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, u := range users {
		if u.Type == kassa.Guest || u.CanHoldLicense() && u.Email != "erik@nordvik.example" && len(members) < 6 {
			members = append(members, u.ID)
		}
	}
	g := &kassa.Group{DisplayName: "Ekonomi"}
	if err := s.db.CreateGroup(ctx, tenant, g, members); err != nil {
		t.Fatal(err)
	}

	r := s.get(sub+"/group", astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, `<h2 id="pane-heading">Licenser via grupp</h2>`, `<option value="`+g.ID+`">Ekonomi</option>`,
		`<label for="link-group">Kataloggrupp</label>`)
	r.wantNotBody(t, "unlink")
	r = s.do("POST", sub+"/group", url.Values{"group_id": {"grp_nope"}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantFieldError(t, "link-group", "group_id måste vara en av organisationens kataloggrupper.")

	r = s.do("POST", sub+"/group", url.Values{"group_id": {g.ID}}, astrid)
	r.wantLocation(t, sub+"?done=group_linked")
	s.get(sub+"?done=group_linked", astrid).wantBody(t, "Gruppen är kopplad: dess medlemmar fick de lediga licenserna.",
		"Medlemmarna i Ekonomi får den här prenumerationens licenser: 5 har en, 2 väntar.", "<dd>5 (0 lediga)</dd>")
	pane := s.get(sub+"/group", astrid)
	pane.wantBody(t, "Medlemmar utan licens", "Ingen ledig licens", "Gäst: gäster har inga licenser",
		`action="`+sub+`/group/unlink"`, ">Koppla bort gruppen</button>")

	// A group's license is not unassigned by hand.
	holders := "/billing/licenses/" + subID(sub)
	r = s.do("POST", holders+"/unassign", url.Values{"user": {members[0]}}, astrid)
	r.wantBody(t, "har licensen genom en kopplad grupp")

	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	s.get(sub+"/group", en).wantBody(t, "Members without a license", "No free license", "A guest: guests hold no licenses",
		">Unlink the group</button>")
	s.get(sub, en).wantBody(t, "Members of Ekonomi get this subscription&#39;s licenses: 5 hold one, 2 wait.")

	r = s.do("POST", sub+"/group/unlink", url.Values{}, astrid)
	r.wantLocation(t, sub+"?done=group_unlinked")
	s.get(sub+"?done=group_unlinked", astrid).wantBody(t, "Gruppen är bortkopplad", "<dd>0 (5 lediga)</dd>",
		"Ingen kataloggrupp ger den här prenumerationens licenser.")
}
