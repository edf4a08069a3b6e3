package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// License requests, walked by clicking: erik asks for licenses of the
// secure mail archive, which Nordvik's policy keeps people from buying,
// for himself and a colleague; astrid finds the request under Admin ›
// License requests, opens it and declines it with a message (the
// organization manages no subscription of the archive); erik reads the
// decision. In Swedish.
func TestLicenseRequests(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)
	const lang = "sv-SE,sv;q=0.9"

	erik := newTab(t, browser, lang)
	signIn(t, erik, base, "erik@nordvik.example")
	follow(t, erik, "//main//table", "Be om licenser – Säkert e-postarkiv")
	wantHeading(t, erik, "Be om licenser för Säkert e-postarkiv")
	fill(t, erik, map[string]string{"request-others": "anna.lindberg@nordvik.example",
		"request-message": "Vi behöver arkivet för revisionen i januari."})
	screenshot(t, erik, "request-form-sv")
	follow(t, erik, "//main//form", "Skicka förfrågan")
	wantTexts(t, erik, ".notice", "Din förfrågan har skickats till administratörerna; du får ett mejl när de har bestämt sig.")
	wantTexts(t, erik, "table.license-requests td span.state", "Väntar på administratör")

	astrid := newTab(t, browser, lang)
	signIn(t, astrid, base, "astrid@nordvik.example")
	follow(t, astrid, "//nav", "Licensförfrågningar")
	follow(t, astrid, "//main//table", "Besluta – Säkert e-postarkiv, Erik Johansson")
	wantPane(t, astrid, "Besluta om förfrågan")
	wantTexts(t, astrid, "aside .note", "Administratörerna hanterar ingen pågående prenumeration på produkten: ta över eller köp en att tilldela licenser från.")
	fill(t, astrid, map[string]string{"decide-message": "Arkivet köps centralt i vår; fram till dess finns det gamla."})
	screenshot(t, astrid, "request-decide-sv")
	follow(t, astrid, "//aside", "Avslå")
	wantTexts(t, astrid, ".notice", "Förfrågan har avgjorts och den som frågade har fått veta.")

	load(t, erik, "read the decision", chromedp.Navigate(base+"/billing/license-requests"))
	wantTexts(t, erik, "table.license-requests td span.state", "Avslagen")
	screenshot(t, erik, "request-decided-sv")
}
