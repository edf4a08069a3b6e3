package e2e

import (
	"context"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
)

// TestIdleLicenses walks Admin › Idle licenses in Swedish over the demo's
// history, whose licenses nobody has used since they were given: the list
// with what they cost a month, and the reclaim policy saved by clicking.
func TestIdleLicenses(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	if err := demo.LoadHistory(context.Background(), site.db, simulator.New(kassa.SystemClock{})); err != nil {
		t.Fatal(err)
	}
	tab := newTab(t, browser, "sv-SE,sv;q=0.9")
	signIn(t, tab, site.url, "astrid@nordvik.example")
	follow(t, tab, "//nav", "Oanvända licenser")
	wantHeading(t, tab, "Oanvända licenser")
	if got := texts(t, tab, "table.idle-licenses tbody th"); len(got) == 0 {
		t.Errorf("no idle licenses listed over the demo's history")
	}
	fill(t, tab, map[string]string{"reclaim-days": "90"})
	follow(t, tab, "//main//form", "Spara")
	wantTexts(t, tab, ".notice", "Sparat. Faktureringsklockan tillämpar det inom en timme.")
	wantTexts(t, tab, "section.reclaim-policy p", "Licenser som inte har använts på 90 dagar tas tillbaka. De som har dem (och den som köpte en självbetjäningsprenumeration) varnas via e-post efter 83 dagar; den som använder licensen behåller den.")
	screenshot(t, tab, "idle-licenses-sv")
}
