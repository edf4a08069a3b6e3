package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/notify"
	"github.com/kassa-billing/kassa/notify/smtptest"
)

// Admin › People, walked by clicking, in Swedish (astrid of Nordvik) and
// English (hannah of Harbor): the admin adds a person, the person opens the
// invitation mail (sent through a real SMTP conversation), chooses a
// password and signs in with it; the admin imports a CSV file with a bad
// line, sees the preview name the line and the field with nothing
// written, mends the line and imports.

type peopleWords struct {
	lang, acceptLanguage                  string
	people, addPerson, addAndInvite       string
	invited, preview, importFrom          string
	atFault, added, imported, saveAndSign string
	signOut, products                     string
	newName, newEmail, bad, badField      string
}

var swedishPeople = peopleWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9",
	people: "Personer", addPerson: "Lägg till en person", addAndInvite: "Lägg till och bjud in",
	invited: "Personen lades till, och en inbjudan att välja lösenord är på väg till hen.",
	preview: "Förhandsgranska", importFrom: "Importera från CSV", atFault: "Fel", added: "Läggs till och bjuds in",
	imported:    "Personerna importerades, och varje ny person bjuds in via e-post.",
	saveAndSign: "Spara lösenordet och logga in", signOut: "Logga ut", products: "Dina produkter",
	newName: "Nora Nyberg", newEmail: "nora.nyberg@nordvik.example", bad: "lo.berg(at)nordvik.example", badField: "email",
}

var englishPeople = peopleWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9",
	people: "People", addPerson: "Add a person", addAndInvite: "Add and invite",
	invited: "The person was added, and an invitation to choose a password is on its way to them.",
	preview: "Preview", importFrom: "Import from CSV", atFault: "At fault", added: "Added and invited",
	imported:    "The people were imported, and each new person is invited by email.",
	saveAndSign: "Save password and sign in", signOut: "Sign out", products: "Your products",
	newName: "Ruby Okafor", newEmail: "ruby.okafor@harbor.example", bad: "ava.cole(at)harbor.example", badField: "email",
}

func TestPeople(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	smtp := smtptest.Start(t)
	sender, err := notify.NewSMTPSender("smtp://" + smtp.Addr() + "?from=kassa%20%3Ckassa@example.com%3E")
	if err != nil {
		t.Fatal(err)
	}
	outbox := &notify.Worker{Store: site.db, Sender: sender, Links: site.auth, BaseURL: site.url}
	for _, c := range []struct {
		name, admin, domain string
		w                   peopleWords
	}{
		{"SwedishAstrid", "astrid@nordvik.example", "nordvik.example", swedishPeople},
		{"EnglishHannah", "hannah@harbor.example", "harbor.example", englishPeople},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			walkPeople(t, browser, site, c.admin, c.domain, c.w, func() mailed {
				t.Helper()
				// The other walk may be sending the outbox at the same
				// moment and hold this message; send until it has come.
				deadline := time.Now().Add(time.Minute)
				for !slices.ContainsFunc(smtp.Messages(), func(m smtptest.Message) bool { return slices.Contains(m.To, c.w.newEmail) }) {
					if time.Now().After(deadline) {
						t.Fatalf("no message to %s within a minute", c.w.newEmail)
					}
					if _, _, err := outbox.RunOnce(t.Context()); err != nil {
						t.Fatalf("send the outbox: %v", err)
					}
					time.Sleep(20 * time.Millisecond)
				}
				return mailTo(t, smtp, c.w.newEmail)
			})
		})
	}
}

// mailed is a message as its reader sees it.
type mailed struct{ subject, body string }

// mailTo returns the one message sent to addr.
func mailTo(t *testing.T, srv *smtptest.Server, addr string) mailed {
	t.Helper()
	var found []mailed
	for _, m := range srv.Messages() {
		if !slices.Contains(m.To, addr) {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		found = append(found, mailed{subject: subject, body: string(body)})
	}
	if len(found) != 1 {
		t.Fatalf("%d messages to %s, want 1", len(found), addr)
	}
	return found[0]
}

func walkPeople(t *testing.T, browser context.Context, site *demoSite, admin, domain string, w peopleWords, invitation func() mailed) {
	tab := newTab(t, browser, w.acceptLanguage)
	signIn(t, tab, site.url, admin)
	shot := func(name string) { screenshot(t, tab, "people-"+name+"-"+w.lang) }

	// Admin › People › Add a person.
	follow(t, tab, "//nav", w.people)
	if got := readPage(t, tab); got.Heading != w.people || got.Current != w.people {
		t.Fatalf("people page: %+v", got)
	}
	shot("list")
	follow(t, tab, "//main", w.addPerson)
	fill(t, tab, map[string]string{"person-name": w.newName, "person-email": w.newEmail})
	follow(t, tab, "//main//form", w.addAndInvite)
	wantHeading(t, tab, w.newName)
	wantTexts(t, tab, ".notice", w.invited)
	shot("added")

	// The invitation, in the organization's language, holds the link.
	m := invitation()
	link := regexp.MustCompile(regexp.QuoteMeta(site.url) + `/invitation/[A-Za-z0-9_-]{43}`).FindString(m.body)
	if link == "" {
		t.Fatalf("the invitation has no link:\n%s\n%s", m.subject, m.body)
	}
	// The person opens it, chooses a password, and is signed in.
	person := newTab(t, browser, w.acceptLanguage)
	load(t, person, "open the invitation", chromedp.Navigate(link))
	if got := texts(t, person, ".account dd"); len(got) == 0 || !strings.Contains(got[0], w.newEmail) {
		t.Fatalf("the invitation page names %q", got)
	}
	fill(t, person, map[string]string{"password": "a long new password", "confirm": "a long new password"})
	follow(t, person, "//main//form", w.saveAndSign)
	wantHeading(t, person, w.products)
	follow(t, person, "//header", w.signOut)
	load(t, person, "open sign-in", chromedp.Navigate(site.url+"/login"))
	fill(t, person, map[string]string{"email": w.newEmail})
	load(t, person, "give the email", chromedp.Click(chromedp.CSS(".signin button[type=submit]")))
	fill(t, person, map[string]string{"password": "a long new password"})
	load(t, person, "sign in with the new password", chromedp.Click(chromedp.CSS(".signin button[type=submit]")))
	wantHeading(t, person, w.products)
	// The link was for once.
	resp, err := chromedp.RunResponse(person, chromedp.Navigate(link))
	if err != nil || resp.Status != 404 {
		t.Errorf("the link used again: %v %v, want status 404", resp, err)
	}

	// Import: a file with a bad line is previewed, that line and its field
	// named, and nothing written.
	follow(t, tab, "//main", w.people)
	follow(t, tab, "//main", w.importFrom)
	good := fmt.Sprintf("ines.holm@%s,Ines Holm,member,user\n", domain)
	csv := "email,name,type,role\n" + good + w.bad + ",Lo Berg,member,user\n"
	run(t, tab, "paste the file", chromedp.SetValue(chromedp.ID("import-csv"), csv))
	submit(t, tab, 422, "//main//form[contains(@class,'import-form')]", w.preview)
	rows := texts(t, tab, "table.import-lines tbody tr")
	if len(rows) != 2 || !strings.Contains(rows[0], w.added) || !strings.Contains(rows[1], w.atFault) ||
		!strings.HasPrefix(rows[1], "3") {
		t.Fatalf("preview rows: %q", rows)
	}
	if got := texts(t, tab, "table.import-lines tr.has-error .field-error"); len(got) != 1 || !strings.Contains(got[0], w.badField) {
		t.Errorf("the bad line's error %q does not name %s", got, w.badField)
	}
	if n := len(texts(t, tab, "form button[name=action], form input[value=import]")); n != 0 {
		t.Errorf("a preview with a bad line offers to import")
	}
	if got := run(t, tab, "read the box", chromedp.Value(chromedp.ID("import-csv"))); got != csv {
		t.Errorf("the box holds %q, want what was pasted", got)
	}
	shot("import-refused")
	if u, err := site.db.FindCredentials(t.Context(), "ines.holm@"+domain); err == nil {
		t.Fatalf("a refused import added %v", u.User)
	} else if kassa.ErrorCode(err) != kassa.NotFound && kassa.ErrorCode(err) != kassa.Unauthorized {
		t.Fatal(err)
	}

	// Mended in the box, previewed again, and imported.
	mended := "email,name,type,role\n" + good
	run(t, tab, "mend the file", chromedp.SetValue(chromedp.ID("import-csv"), mended))
	follow(t, tab, "//main//form[contains(@class,'import-form')]", w.preview)
	follow(t, tab, "//main//section", importButton(w))
	wantHeading(t, tab, w.people)
	wantTexts(t, tab, ".notice", w.imported)
	if _, err := site.db.FindCredentials(t.Context(), "ines.holm@"+domain); err != nil {
		t.Errorf("ines after the import: %v", err)
	}
}

// importButton is the preview's button for one person.
func importButton(w peopleWords) string {
	if w.lang == "sv" {
		return "Importera 1 person"
	}
	return "Import 1 person"
}
