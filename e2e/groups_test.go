package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa"
)

// TestGroupLicenses walks licenses by group in Swedish, by clicking: astrid
// links the directory group Ekonomi to the subscription the admins took
// over, its members get the free licenses and the pane lists who waits and
// why; then she unlinks it and the group's licenses come back.
func TestGroupLicenses(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	base := site.url
	erik, astrid := apiLogin(t, base, "erik@nordvik.example"), apiLogin(t, base, "astrid@nordvik.example")
	sub := apiBuy(t, base, erik, "ANALYTICS_PRO", 3)
	apiStatus(t, base, "POST", "/api/v1/admin/subscriptions/"+sub+"/take-over", astrid, nil, http.StatusOK, &struct{}{})

	// Ekonomi: five who may hold a license, and a guest.
	creds, err := site.db.FindCredentials(context.Background(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	actx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	users, _, err := site.db.FindUsers(actx, kassa.UserFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	holders := 0
	for _, u := range users {
		if u.Type == kassa.Guest || u.CanHoldLicense() && u.Email != "erik@nordvik.example" && holders < 5 {
			members = append(members, u.ID)
			if u.CanHoldLicense() {
				holders++
			}
		}
	}
	if err := site.db.CreateGroup(actx, creds.Tenant.ID, &kassa.Group{DisplayName: "Ekonomi"}, members); err != nil {
		t.Fatal(err)
	}

	tab := newTab(t, browser, "sv-SE,sv;q=0.9")
	signIn(t, tab, base, "astrid@nordvik.example")
	load(t, tab, "open the subscription", chromedp.Navigate(base+"/billing/products/subscriptions/"+sub))
	wantTexts(t, tab, "section.group-licenses p", "Ingen kataloggrupp ger den här prenumerationens licenser. Koppla en, så får dess medlemmar en licens så länge det finns lediga.")
	follow(t, tab, "//main", "Koppla en grupp")
	wantPane(t, tab, "Licenser via grupp")
	selectOption(t, tab, "link-group", "Ekonomi")
	screenshot(t, tab, "group-link-sv")
	follow(t, tab, "//aside", "Spara")
	wantTexts(t, tab, ".notice", "Gruppen är kopplad: dess medlemmar fick de lediga licenserna.")
	wantTexts(t, tab, "section.group-licenses p", "Medlemmarna i Ekonomi får den här prenumerationens licenser: 3 har en, 3 väntar.")

	follow(t, tab, "//main", "Grupp och vilka som väntar")
	if got := texts(t, tab, "table.waiting-members td"); !slices.Contains(got, "Ingen ledig licens") || !slices.Contains(got, "Gäst: gäster har inga licenser") {
		t.Errorf("who waits, and why: %q", got)
	}
	screenshot(t, tab, "group-waiting-sv")
	follow(t, tab, "//aside", "Koppla bort gruppen")
	wantTexts(t, tab, ".notice", "Gruppen är bortkopplad, och licenserna den gav har tagits tillbaka.")
	wantTexts(t, tab, "dl.details dd", "0 (3 lediga)")
}
