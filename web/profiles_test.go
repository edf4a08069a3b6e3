package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const bpPath = "/billing/profiles"

// profileForm is what a person types into a billing profile's form.
func profileForm(edits ...func(url.Values)) url.Values {
	v := url.Values{"name": {"Nordvik AB – Inköp"}, "email": {"inkop@nordvik.example"}, "line1": {"Kungsgatan 1"},
		"line2": {""}, "city": {"Uppsala"}, "postal_code": {"753 20"}, "country": {"SE"}, "po_number": {"PO-9"}}
	for _, e := range edits {
		e(v)
	}
	return v
}

func TestBillingProfiles(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	year := time.Now().Year()
	erikCard(t, s, erik) // the Visa his profile pays with
	ids := s.get(bpPath, erik).ids(bpPath)
	if len(ids) != 1 {
		t.Fatalf("erik's billing profiles: %v, want one", ids)
	}
	profile := bpPath + "/" + ids[0]

	t.Run("List", func(t *testing.T) {
		r := s.get(bpPath, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<a href="`+profile+`">Nordvik AB – Erik Johansson</a>`, "erik@nordvik.example", "Visa •••• 4242",
			"0,00\u00a0kr", ">Saldo</th>", `href="`+bpPath+`/new">Lägg till en faktureringsprofil</a>`)
	})
	t.Run("Details", func(t *testing.T) {
		r := s.get(profile, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Information om faktureringsprofil</h1>", "Nordvik AB – Erik Johansson", "erik@nordvik.example",
			"Storgatan 12<br>Plan 3<br>111 22 Stockholm<br>Sverige", "<dd>SEK</dd>", "<dd>PO-2026-117</dd>", "0,00\u00a0kr",
			`<h2 id="payment-method-heading">Betalningsmetod</h2>`, "<dd>Visa •••• 4242</dd>",
			`href="`+profile+`/payment-method/edit">Redigera</a>`, `href="`+profile+`/payment-method/replace">Ersätt</a>`,
			`<a href="/billing/profiles" aria-current="page">Faktureringsprofiler</a>`)
	})

	editCard := func(edits ...func(url.Values)) response {
		v := cardForm(append([]func(url.Values){set("cvc", "")}, edits...)...)
		v.Del("number")
		return s.do("POST", profile+"/payment-method/edit", v, erik)
	}
	t.Run("EditCardFromProfile", func(t *testing.T) {
		r := s.get(profile+"/payment-method/edit", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Redigera betalningsmetod</h2>`, `action="`+profile+`/payment-method/edit"`,
			`<a class="button secondary" href="`+profile+`">Avbryt</a>`, `<p class="masked">Visa •••• 4242</p>`)
		r.wantNotBody(t, `name="number"`)

		r = editCard(set("exp_year", strconv.Itoa(year-1)))
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `id="card-exp-error">Kortet har gått ut`, `<h2 id="pane-heading">Redigera betalningsmetod</h2>`)

		r = editCard(set("name", "Erik J. Johansson"), set("exp_month", "11"), set("exp_year", strconv.Itoa(year+4)))
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, profile+"?done=card_saved")
		s.get(profile, erik).wantBody(t, "<dd>Erik J. Johansson</dd>", fmt.Sprintf("<dd>11/%d</dd>", year+4))
	})

	t.Run("ReplaceRefusesBadCardsAndKeepsTheOld", func(t *testing.T) {
		r := s.get(profile+"/payment-method/replace", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Ersätt betalningsmetod</h2>`, `action="`+profile+`/payment-method/replace"`,
			">Fortsätt till kortsidan</button>", "Du anger det nya kortet på betalleverantörens sida.")
		r.wantNotBody(t, "Eller använd ett kort du redan har", `name="number"`) // erik has no other card

		for number, status := range map[string]int{"4000 0000 0000 9995": 422, "5555 5555 5555 4445": 422} {
			cr, to := s.viaCardPage(t, profile+"/payment-method/replace", erik, cardForm(set("number", number)))
			if cr.StatusCode != status || to != "" {
				t.Errorf("%s: %d, on to %q", number, cr.StatusCode, to)
			}
		}
		s.get(profile, erik).wantBody(t, "<dd>Visa •••• 4242</dd>")
		if cards := s.get(pmPath, erik).ids(pmPath); len(cards) != 1 {
			t.Errorf("cards after refused replacements: %v, want the Visa only", cards)
		}
	})
	t.Run("ReplaceWithNewCard", func(t *testing.T) {
		_, loc := s.viaCardPage(t, profile+"/payment-method/replace", erik, cardForm())
		if loc != profile+"?done=card_replaced" {
			t.Fatalf("on to %q", loc)
		}
		p := s.get(profile+"?done=card_replaced", erik)
		p.wantBody(t, "Faktureringsprofilen betalar nu med det nya kortet.", "<dd>Mastercard •••• 4444</dd>",
			fmt.Sprintf("<dd>08/%d</dd>", year+2))
		p.wantNotBody(t, "Visa")
		l := s.get(pmPath, erik)
		l.wantBody(t, ">Visa •••• 4242</a>", ">Mastercard •••• 4444</a>", "Används inte")
	})
	t.Run("ReplaceWithCardAlreadyThere", func(t *testing.T) {
		// A card of Erik's that no billing profile pays with.
		_, loc := s.viaCardPage(t, pmPath+"/new", erik, cardForm(set("number", "3782 822463 10005"), set("cvc", "1234")))
		amex, ok := strings.CutSuffix(strings.TrimPrefix(loc, pmPath+"/"), "?done=card_added")
		if !ok || !strings.HasPrefix(amex, "pm_") {
			t.Fatalf("add an Amex: Location %q, want the new card's pane", loc)
		}
		r := s.get(profile+"/payment-method/replace", erik)
		r.wantBody(t, "Eller använd ett kort du redan har", `<option value="`+amex+`">American Express •••• 0005`)
		r = s.do("POST", profile+"/payment-method/use", url.Values{"payment_method_id": {"pm_nothing"}}, erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "other-card", "Välj ett av dina kort.")
		r = s.do("POST", profile+"/payment-method/use", url.Values{"payment_method_id": {amex}}, erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, profile+"?done=card_chosen")
		s.get(profile+"?done=card_chosen", erik).wantBody(t, "<dd>American Express •••• 0005</dd>", "Faktureringsprofilen betalar nu med kortet du valde.")
	})
	t.Run("EditProfile", func(t *testing.T) {
		card := regexp.MustCompile(`<dd>[^<]*•••• \d{4}</dd>`).FindString(s.get(profile, erik).body)
		if card == "" {
			t.Fatal("the profile shows no card")
		}
		r := s.get(profile+"/edit", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Redigera faktureringsprofil</h2>`, `value="Nordvik AB – Erik Johansson"`,
			`value="erik@nordvik.example"`, `value="PO-2026-117"`)

		r = s.do("POST", profile+"/edit", profileForm(set("name", ""), set("email", "inkop@"), set("po_number", strings.Repeat("9", 101))), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "profile-name", "Namn måste fyllas i.")
		r.wantFieldError(t, "profile-email", "Ange en e-postadress som namn@example.com.")
		r.wantFieldError(t, "profile-po-number", "Inköpsordernummer får vara högst 100 tecken.")
		r.wantBody(t, `value="inkop@"`, `value="Kungsgatan 1"`)
		s.get(profile, erik).wantBody(t, "Nordvik AB – Erik Johansson", "PO-2026-117")

		r = s.do("POST", profile+"/edit", profileForm(), erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, profile+"?done=profile_saved")
		s.get(profile, erik).wantBody(t, "Nordvik AB – Inköp", "inkop@nordvik.example", "Kungsgatan 1<br>753 20 Uppsala",
			"<dd>PO-9</dd>", card) // the card it pays with is as it was
	})
}

func TestCreateBillingProfile(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	mike := withCookies(s.signIn("mike@harbor.example"))
	s.get(bpPath, mike).wantBody(t, "You have no billing profiles yet.")

	r := s.get(bpPath+"/new", mike)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, `<h2 id="pane-heading">Add a billing profile</h2>`, `value="mike@harbor.example"`,
		`<option value="US" selected>United States</option>`, `<option value="" selected>None</option>`)

	form := profileForm(set("name", "Harbor Labs – Mike"), set("email", "mike@harbor.example"), set("country", "US"),
		set("city", ""))
	r = s.do("POST", bpPath+"/new", form, mike)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantFieldError(t, "address-city", "City is required.")
	r.wantBody(t, `value="Harbor Labs – Mike"`)
	s.get(bpPath, mike).wantBody(t, "You have no billing profiles yet.")

	form.Set("city", "Seattle")
	r = s.do("POST", bpPath+"/new", form, mike)
	r.wantStatus(t, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, bpPath+"/bp_") || !strings.HasSuffix(loc, "?done=profile_created") {
		t.Fatalf("Location %q, want the new profile's page", loc)
	}
	p := s.get(loc, mike)
	p.wantBody(t, "<h1>Billing profile details</h1>", "The billing profile was created.", "Harbor Labs – Mike",
		"Kungsgatan 1<br>Seattle 753 20<br>United States", "<dd>USD</dd>", "$0.00",
		"This billing profile has no payment method.", `/payment-method/replace">Add</a>`)
	p.wantNotBody(t, `/payment-method/edit"`)
	s.get(strings.TrimSuffix(loc, "?done=profile_created")+"/payment-method/edit", mike).wantStatus(t, http.StatusNotFound)
	s.get(strings.TrimSuffix(loc, "?done=profile_created")+"/payment-method/replace", mike).
		wantBody(t, `<h2 id="pane-heading">Add a payment method</h2>`)
}
