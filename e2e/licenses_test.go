package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// The seed's two procedures about licenses, walked by erik in Swedish and in
// English at the same time, each on a subscription of 25 licenses bought
// through the API: assign licenses with the typeahead (type part of a name,
// click the result), where a 21st user and a guest are refused, then
// unassign two of them.

// licenseWords are the texts of the seed and the pages that the procedures
// click and read.
type licenseWords struct {
	lang, acceptLanguage             string
	product                          string // the subscription's product, as listed
	licenses, assignLicenses         string
	assignPane, assign, close        string
	unassignLicenses, unassign       string
	guest, limit, guestRefused       string
	assignedCol, freeCol             string
	assignedNotice, unassignedNotice string
}

var swedishLicenses = licenseWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9", product: "Mötesrum",
	licenses: "Licenser", assignLicenses: "Tilldela licenser", assignPane: "Tilldela licenser till användare",
	assign: "Tilldela", close: "Stäng", unassignLicenses: "Ta bort licenser", unassign: "Ta bort tilldelning",
	guest:        "Gäst",
	limit:        "Du kan lägga till upp till 20 användare åt gången. Tilldela licenser till dessa först och lägg sedan till fler.",
	guestRefused: "Greta Gästsson är gäst och inte en person i din organisation, så hen kan inte få en licens.",
	assignedCol:  "Tilldelade", freeCol: "Lediga",
	assignedNotice:   "Licenser har tilldelats 20 användare:",
	unassignedNotice: "Tilldelningen av licenserna för 2 användare har tagits bort, och licenserna är lediga igen.",
}

var englishLicenses = licenseWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9", product: "Project Plan",
	licenses: "Licenses", assignLicenses: "Assign licenses", assignPane: "Assign licenses to users",
	assign: "Assign", close: "Close", unassignLicenses: "Unassign licenses", unassign: "Unassign",
	guest:        "Guest",
	limit:        "You can add up to 20 users at a time. Assign licenses to these first, then add more.",
	guestRefused: "Greta Gästsson is a guest, not a person in your organization, so they can't be given a license.",
	assignedCol:  "Assigned", freeCol: "Available",
	assignedNotice:   "Licenses were assigned to 20 users:",
	unassignedNotice: "The licenses of 2 users were unassigned, and are free again.",
}

// team are the demo's people that erik gives licenses, each with the part
// of the name he types; the last one is a 21st, one too many.
var team = []struct{ typed, name string }{
	{"anna", "Anna Lindberg"}, {"annik", "Annika Holm"}, {"annel", "Anneli Sjöberg"}, {"anders", "Anders Nyström"},
	{"erika", "Erika Sandberg"}, {"eric", "Eric Wallin"}, {"emma", "Emma Lundqvist"}, {"elin", "Elin Hedlund"},
	{"johan", "Johan Berglund"}, {"åkess", "Johanna Åkesson"}, {"jonas", "Jonas Ekström"}, {"josef", "Josefin Dahl"},
	{"mari", "Maria Nilsson"}, {"öhm", "Marie Öhman"}, {"mattias", "Mattias Holmberg"}, {"magnus", "Magnus Fransson"},
	{"malin", "Malin Engström"}, {"lindh", "Karin Lindholm"}, {"karl", "Karl Björk"}, {"kristina", "Kristina Söderberg"},
	{"lars", "Lars Pettersson"},
}

func TestLicenses(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)
	for _, c := range []struct {
		name, sku string
		w         licenseWords
	}{
		{"SwedishErik", "MEETING_ROOMS", swedishLicenses},
		{"EnglishErik", "PROJECT_PLAN", englishLicenses},
	} {
		buyThroughAPI(t, base, "erik@nordvik.example", c.sku, 25)
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			walkLicenses(t, newTab(t, browser, c.w.acceptLanguage), base, c.w)
		})
	}
}

func walkLicenses(t *testing.T, tab context.Context, base string, w licenseWords) {
	signIn(t, tab, base, "erik@nordvik.example")
	shot := func(name string) {
		if w.lang == "sv" {
			screenshot(t, tab, name+"-sv")
		}
	}

	// To assign licenses: Billing › Licenses → the subscription → Assign
	// licenses → in the pane, begin typing a name and choose it from the
	// results, up to 20 → Assign, then Close.
	follow(t, tab, "//nav", w.licenses)
	shot("licenses")
	follow(t, tab, "//main//table", w.product)
	wantHeading(t, tab, w.product)
	wantCounts(t, tab, w, 0, 25)
	follow(t, tab, "//main", w.assignLicenses)
	wantPane(t, tab, w.assignPane)
	for _, p := range team[:20] {
		pick(t, tab, p.typed, p.name)
	}
	if n := texts(t, tab, "#chosen-count"); !slices.Equal(n, []string{"20"}) {
		t.Fatalf("chosen: %q, want 20", n)
	}
	// A 21st is refused in the page, and the list stays as it was.
	pick(t, tab, team[20].typed, team[20].name)
	wantTexts(t, tab, "#assign-message", w.limit)
	wantTexts(t, tab, "#chosen-count", "20")
	// A guest shows in the results, and Assign refuses them by name. The
	// results stay open when Remove, clicked meanwhile, gives the box its
	// focus back (a late close used to hide them from under the pointer).
	typeName(t, tab, "gre")
	remove(t, tab, team[19].name)
	// Read the results after any close a blur would have timed (200 ms):
	// a page timer set later for longer fires after it, however busy the
	// machine.
	if run(t, tab, "read the results after a blur's close", chromedp.Evaluate[bool](
		`new Promise(r => setTimeout(() => r(document.getElementById("user-results").hidden), 250))`,
		chromedp.EvalAwaitPromise)) {
		t.Fatal("the results closed while the search box had the focus")
	}
	wantTexts(t, tab, "#user-results .tag", w.guest)
	shot("assign-typeahead")
	clickResult(t, tab, "Greta Gästsson")
	if got := texts(t, tab, "#assign-message"); len(got) != 1 || got[0] != "" {
		t.Errorf("message after a remove: %q, want none", got)
	}
	shot("assign")
	submit(t, tab, 422, "//aside", w.assign)
	wantTexts(t, tab, ".chosen-users .field-error", w.guestRefused)
	shot("assign-guest-refused")
	remove(t, tab, "Greta Gästsson")
	pick(t, tab, team[19].typed, team[19].name)
	follow(t, tab, "//aside", w.assign)
	wantPane(t, tab, w.assignPane)
	wantTexts(t, tab, "aside .notice", w.assignedNotice)
	wantCounts(t, tab, w, 20, 5)
	shot("assigned")
	follow(t, tab, "//aside", w.close)
	if got := texts(t, tab, "aside.pane"); len(got) != 0 {
		t.Errorf("a pane after Close: %q", got)
	}
	wantTexts(t, tab, "table.holders th label", team[0].name, team[19].name)

	// To unassign licenses: Billing › Licenses → the product → the users →
	// Unassign licenses → in the Unassign licenses box, Unassign.
	follow(t, tab, "//nav", w.licenses)
	follow(t, tab, "//main//table", w.product)
	for _, name := range []string{team[0].name, team[1].name} {
		run(t, tab, "tick "+name, chromedp.Click(fmt.Sprintf(`//table//label[normalize-space()=%s]`, xpathString(name)), chromedp.NodeVisible))
	}
	follow(t, tab, "//main", w.unassignLicenses)
	wantPane(t, tab, w.unassignLicenses)
	wantTexts(t, tab, "aside .person-name", team[0].name, team[1].name)
	shot("unassign")
	follow(t, tab, "//aside", w.unassign)
	wantTexts(t, tab, ".notice", w.unassignedNotice)
	wantCounts(t, tab, w, 18, 7)
	if got := texts(t, tab, "table.holders th label"); slices.Contains(got, team[0].name) || len(got) != 18 {
		t.Errorf("holders after unassigning: %q, want 18 without %s", got, team[0].name)
	}
}

// typeName types into the search box, after emptying it, and waits for the
// typeahead's results for all of it (those for its first letters may come
// first).
func typeName(t *testing.T, tab context.Context, typed string) {
	t.Helper()
	fill(t, tab, map[string]string{"user-search": typed})
	results := fmt.Sprintf(`//ul[@id="user-results"][@data-query=%s]/li`, xpathString(typed))
	run(t, tab, "wait for results", chromedp.WaitVisible(results))
}

// clickResult chooses the person named from the typeahead's results.
func clickResult(t *testing.T, tab context.Context, name string) {
	t.Helper()
	option := fmt.Sprintf(`//ul[@id="user-results"]/li[@role="option"][span[@class="person-name"][normalize-space()=%s]]`, xpathString(name))
	run(t, tab, "choose "+name, chromedp.Click(option, chromedp.NodeVisible))
}

// pick types part of a name and chooses the person named from the results.
func pick(t *testing.T, tab context.Context, typed, name string) {
	t.Helper()
	typeName(t, tab, typed)
	clickResult(t, tab, name)
}

// remove takes the person named off the list of users to assign.
func remove(t *testing.T, tab context.Context, name string) {
	t.Helper()
	sel := fmt.Sprintf(`//ul[@id="chosen-users"]/li[.//span[@class="person-name"][normalize-space()=%s]]//button[@name="remove"]`, xpathString(name))
	run(t, tab, "remove "+name, chromedp.Click(sel, chromedp.NodeVisible))
}

// wantCounts checks the counts in view: assigned and available.
func wantCounts(t *testing.T, tab context.Context, w licenseWords, assigned, free int) {
	t.Helper()
	got := texts(t, tab, ".license-counts div")
	want := []string{w.assignedCol + "\n" + strconv.Itoa(assigned), w.freeCol + "\n" + strconv.Itoa(free)}
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("counts %q, want %q among them", got, s)
		}
	}
}

// buyThroughAPI buys licenses of the product for the user, who pays with
// their only billing profile.
func buyThroughAPI(t *testing.T, base, email, sku string, quantity int) {
	t.Helper()
	apiBuy(t, base, apiLogin(t, base, email), sku, quantity)
}
