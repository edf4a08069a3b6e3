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

const pmPath = "/billing/bills/payment-methods"

// cardForm is what a person types to add a card: a good card unless
// changed by the edits.
func cardForm(edits ...func(url.Values)) url.Values {
	v := url.Values{
		"number": {"5555 5555 5555 4444"}, "cvc": {"737"}, "exp_month": {"08"},
		"exp_year": {strconv.Itoa(time.Now().Year() + 2)}, "name": {"Erik Johansson"},
		"line1": {"Storgatan 12"}, "line2": {"Plan 3"}, "city": {"Stockholm"}, "postal_code": {"111 22"}, "country": {"SE"},
	}
	for _, e := range edits {
		e(v)
	}
	return v
}

func set(name, value string) func(url.Values) { return func(v url.Values) { v.Set(name, value) } }

// viaCardPage adds a card as a person does: the form at opener leads to
// the processor's card page (the simulator's), where the card is typed;
// the processor sends them back to kassa, which keeps the card and goes
// on. It returns the card page's answer to the card, and where kassa went
// on to ("" when the card page refused the card).
func (s *site) viaCardPage(t *testing.T, opener string, who http.Header, card url.Values) (response, string) {
	t.Helper()
	r := s.do("POST", opener, url.Values{}, who)
	r.wantStatus(t, http.StatusSeeOther)
	page := r.Header.Get("Location")
	if !strings.HasPrefix(page, "/simulator/cards/") {
		t.Fatalf("%s led to %q, not the card page", opener, page)
	}
	cr := s.do("POST", page, card, nil)
	if cr.StatusCode != http.StatusSeeOther {
		return cr, ""
	}
	back := strings.TrimPrefix(cr.Header.Get("Location"), s.url)
	fr := s.get(back, who)
	fr.wantStatus(t, http.StatusSeeOther)
	return cr, fr.Header.Get("Location")
}

// ids returns the ids the page links to under prefix, in order, once each.
func (r response) ids(prefix string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(regexp.QuoteMeta(prefix)+`/((?:pm|bp)_[0-9a-z]+)`).FindAllStringSubmatch(r.body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			ids = append(ids, m[1])
		}
	}
	return ids
}

// erikCard returns the id of erik's Visa, which his billing profile uses.
func erikCard(t *testing.T, s *site, erik http.Header) string {
	t.Helper()
	ids := s.get(pmPath, erik).ids(pmPath)
	if len(ids) != 1 {
		t.Fatalf("erik's payment methods: %v, want his Visa only", ids)
	}
	return ids[0]
}

// wantFieldError checks that the field's error is beside it and tied to
// its input.
func (r response) wantFieldError(t *testing.T, id, text string) {
	t.Helper()
	r.wantBody(t, `<p class="field-error" id="`+id+`-error">`+text)
	if !regexp.MustCompile(`id="` + id + `"[^>]*aria-invalid="true" aria-describedby="[^"]*` + id + `-error`).MatchString(r.body) {
		t.Errorf("input %s is not marked invalid and described by its error", id)
	}
}

func TestPaymentMethods(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	year := time.Now().Year()
	visa := erikCard(t, s, erik)

	t.Run("InvoicesTabIsFirst", func(t *testing.T) {
		r := s.get("/billing/bills", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<a href="/billing/bills" aria-current="page">Fakturor</a>`, `<a href="`+pmPath+`">Betalningsmetoder</a>`,
			"Välj en faktura för att visa den")
	})
	t.Run("ListsCards", func(t *testing.T) {
		r := s.get(pmPath, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<a href="`+pmPath+`" aria-current="page">Betalningsmetoder</a>`,
			`>Visa •••• 4242</a>`, fmt.Sprintf("12/%d", year+3), "Erik Johansson", ">Nordvik AB – Erik Johansson</a>",
			`href="`+pmPath+`/new">Lägg till en betalningsmetod</a>`)
		r.wantNotBody(t, `class="pane"`)
	})
	t.Run("PaneShowsDetailsAndWhyNotDelete", func(t *testing.T) {
		r := s.get(pmPath+"/"+visa, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Visa •••• 4242</h2>`, "Storgatan 12<br>Plan 3<br>111 22 Stockholm<br>Sverige",
			`href="`+pmPath+"/"+visa+`/edit">Redigera</a>`, "En faktureringsprofil betalar med det här kortet, så det kan inte tas bort.")
		r.wantNotBody(t, ">Ta bort</a>")
	})
	t.Run("EditFormMasksTheNumber", func(t *testing.T) {
		r := s.get(pmPath+"/"+visa+"/edit", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Redigera betalningsmetod</h2>`, `<p class="masked">Visa •••• 4242</p>`,
			`name="exp_month" type="text" value="12"`, `name="exp_year" type="text" value="`+strconv.Itoa(year+3)+`"`,
			`name="name" type="text" value="Erik Johansson"`, `name="line1" type="text" value="Storgatan 12"`,
			`<option value="SE" selected>Sverige</option>`,
			"Utgångsdatum", "Namn på kortet", "Adress", ">Spara</button>", `href="`+pmPath+"/"+visa+`">Avbryt</a>`,
			// The security code is typed on the processor's card page only.
			`action="`+pmPath+"/"+visa+`/security-code"`, ">Ange säkerhetskoden på kortsidan</button>")
		r.wantNotBody(t, `name="number"`, `name="cvc"`)
	})

	edit := func(edits ...func(url.Values)) response {
		v := cardForm(edits...)
		v.Del("number")
		v.Del("cvc")
		return s.do("POST", pmPath+"/"+visa+"/edit", v, erik)
	}
	t.Run("EditRefusesExpiredDate", func(t *testing.T) {
		r := edit(set("exp_month", "01"), set("exp_year", "2020"), set("name", "Erik Typed"))
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `<p class="field-error" id="card-exp-error">Kortet har gått ut`,
			`id="card-exp-month" name="exp_month" type="text" value="01"`, `value="2020"`, `value="Erik Typed"`)
		if !regexp.MustCompile(`id="card-exp-year"[^>]*aria-invalid="true" aria-describedby="card-exp-error"`).MatchString(r.body) {
			t.Error("the expiry year is not marked invalid and described by the expiry error")
		}
		r.wantNotBody(t, "The card has expired")
	})
	t.Run("EditShowsEveryMissingAddressField", func(t *testing.T) {
		r := edit(set("line1", " "), set("city", ""), set("postal_code", ""), set("name", ""))
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "address-line1", "Gatuadress måste fyllas i.")
		r.wantFieldError(t, "address-city", "Ort måste fyllas i.")
		r.wantFieldError(t, "address-postal-code", "Postnummer måste fyllas i.")
		r.wantFieldError(t, "card-name", "Namn på kortet måste fyllas i.")
		r.wantBody(t, `value="Plan 3"`)
	})
	t.Run("NothingSavedAfterErrors", func(t *testing.T) {
		s.get(pmPath+"/"+visa, erik).wantBody(t, fmt.Sprintf("12/%d", year+3), "Erik Johansson", "Storgatan 12")
	})
	t.Run("EditSaves", func(t *testing.T) {
		r := edit(set("exp_month", "10"), set("exp_year", strconv.Itoa(year+5)),
			set("name", "Erik J. Johansson"), set("line1", "Drottninggatan 5"), set("line2", ""),
			set("city", "Göteborg"), set("postal_code", "411 03"))
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, pmPath+"/"+visa+"?done=card_saved")
		p := s.get(pmPath+"/"+visa+"?done=card_saved", erik)
		p.wantBody(t, `<p class="notice" role="status">Ändringarna av betalningsmetoden har sparats.</p>`,
			fmt.Sprintf("10/%d", year+5), "Erik J. Johansson", "Drottninggatan 5<br>411 03 Göteborg<br>Sverige")
	})

	t.Run("AddPaneLeadsToTheCardPage", func(t *testing.T) {
		r := s.get(pmPath+"/new", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Lägg till en betalningsmetod</h2>`, `<form class="pane-form card-page" method="post" action="`+pmPath+`/new">`,
			">Fortsätt till kortsidan</button>", "kassa ser aldrig kortnumret eller säkerhetskoden")
		r.wantNotBody(t, `name="number"`, `name="cvc"`)
		// The page's forms may lead to the processor's https pages.
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https:;") {
			t.Errorf("policy %q", csp)
		}
	})
	t.Run("TheCardPageRefusesWhatTheProcessorRefuses", func(t *testing.T) {
		for number, text := range map[string]string{
			"4242 4242 4242 4241": `id="number-error"`,
			"4000 0000 0000 0002": "Kortet nekades. Använd ett annat kort eller kontakta din bank.",
			"4000 0000 0000 9995": "Kortet nekades eftersom det inte finns täckning på kontot.",
		} {
			cr, to := s.viaCardPage(t, pmPath+"/new", erik, cardForm(set("number", number)))
			if to != "" || (cr.StatusCode != http.StatusUnprocessableEntity) {
				t.Fatalf("%s: %d, on to %q", number, cr.StatusCode, to)
			}
			cr.wantBody(t, text)
			cr.wantNotBody(t, number, strings.ReplaceAll(number, " ", ""), `value="737"`)
		}
		if ids := s.get(pmPath, erik).ids(pmPath); len(ids) != 1 {
			t.Errorf("cards after refused cards: %v, want only the Visa", ids)
		}
	})
	t.Run("AddAdds", func(t *testing.T) {
		_, loc := s.viaCardPage(t, pmPath+"/new", erik, cardForm())
		id, ok := strings.CutSuffix(strings.TrimPrefix(loc, pmPath+"/"), "?done=card_added")
		if !ok || !strings.HasPrefix(id, "pm_") {
			t.Fatalf("Location %q, want the new card's pane", loc)
		}
		p := s.get(loc, erik)
		p.wantBody(t, "Betalningsmetoden har lagts till.", `<h2 id="pane-heading">Mastercard •••• 4444</h2>`,
			">Visa •••• 4242</a>", ">Mastercard •••• 4444</a>", "Används inte", "Erik Johansson", "Storgatan 12")
		p.wantNotBody(t, "5555")
	})
	t.Run("DeleteInUseIsRefused", func(t *testing.T) {
		r := s.get(pmPath+"/"+visa+"/delete", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantNotBody(t, `action="`+pmPath+"/"+visa+`/delete"`)
		r = s.do("POST", pmPath+"/"+visa+"/delete", url.Values{}, erik)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, `<p class="alert" role="alert">Kortet kan inte tas bort eftersom en faktureringsprofil betalar med det.`,
			">Visa •••• 4242</a>")
	})
	t.Run("DeleteAsksThenDeletes", func(t *testing.T) {
		// A card of its own, which no billing profile pays with.
		_, loc := s.viaCardPage(t, pmPath+"/new", erik, cardForm(set("number", "3782 822463 10005"), set("cvc", "1234")))
		amex, ok := strings.CutSuffix(strings.TrimPrefix(loc, pmPath+"/"), "?done=card_added")
		if !ok || !strings.HasPrefix(amex, "pm_") {
			t.Fatalf("add an Amex: Location %q, want the new card's pane", loc)
		}
		r := s.get(pmPath+"/"+amex+"/delete", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Ta bort betalningsmetod</h2>`, "Vill du ta bort American Express •••• 0005?",
			`<form method="post" action="`+pmPath+"/"+amex+`/delete">`, `<button class="danger" type="submit">Ta bort</button>`)
		r = s.do("POST", pmPath+"/"+amex+"/delete", url.Values{}, erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, pmPath+"?done=card_deleted")
		s.get(pmPath+"?done=card_deleted", erik).wantNotBody(t, "American Express")
		s.get(pmPath+"/"+amex, erik).wantStatus(t, http.StatusNotFound)
	})
	t.Run("ANewSecurityCodeIsANewCardEverywhere", func(t *testing.T) {
		// The renewed Visa, with its new code, typed on the card page.
		_, loc := s.viaCardPage(t, pmPath+"/"+visa+"/security-code", erik, cardForm(set("number", "4242 4242 4242 4242"), set("cvc", "987")))
		renewed, ok := strings.CutSuffix(strings.TrimPrefix(loc, pmPath+"/"), "?done=card_replaced")
		if !ok || renewed == visa {
			t.Fatalf("Location %q, want the renewed card's pane", loc)
		}
		p := s.get(loc, erik)
		p.wantBody(t, "Nordvik AB – Erik Johansson", ">Visa •••• 4242</a>")
		p.wantNotBody(t, `"987"`, ">987<")
		s.get(pmPath+"/"+visa, erik).wantStatus(t, http.StatusNotFound)
		visa = renewed
	})
	t.Run("EnglishForMike", func(t *testing.T) {
		mike := withCookies(s.signIn("mike@harbor.example"))
		s.get(pmPath, mike).wantBody(t, "You have no payment methods yet.")
		s.get(pmPath+"/new", mike).wantBody(t, "Continue to the card page")
		cr, _ := s.viaCardPage(t, pmPath+"/new", mike, cardForm(set("number", "4000000000000002"), set("country", "US")))
		cr.wantStatus(t, http.StatusUnprocessableEntity)
		cr.wantBody(t, `<html lang="en">`, "Card number")
	})
}

func TestPaymentDetailsOfOthers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	mike := withCookies(s.signIn("mike@harbor.example"))
	card := erikCard(t, s, erik)
	profile := s.get("/billing/profiles", erik).ids("/billing/profiles")[0]

	for _, req := range []struct{ method, path string }{
		{"GET", pmPath + "/" + card}, {"GET", pmPath + "/" + card + "/edit"}, {"POST", pmPath + "/" + card + "/edit"},
		{"GET", pmPath + "/" + card + "/delete"}, {"POST", pmPath + "/" + card + "/delete"},
		{"GET", "/billing/profiles/" + profile}, {"GET", "/billing/profiles/" + profile + "/edit"},
		{"POST", "/billing/profiles/" + profile + "/edit"},
		{"GET", "/billing/profiles/" + profile + "/payment-method/edit"},
		{"POST", "/billing/profiles/" + profile + "/payment-method/edit"},
		{"GET", "/billing/profiles/" + profile + "/payment-method/replace"},
		{"POST", "/billing/profiles/" + profile + "/payment-method/replace"},
		{"POST", "/billing/profiles/" + profile + "/payment-method/use"},
	} {
		t.Run("NotFoundForMike"+req.method+strings.NewReplacer(card, "{card}", profile, "{profile}").Replace(req.path), func(t *testing.T) {
			var form url.Values
			if req.method == "POST" {
				form = cardForm(set("payment_method_id", card))
			}
			r := s.do(req.method, req.path, form, mike)
			r.wantStatus(t, http.StatusNotFound)
			r.wantBody(t, "<h1>Page not found</h1>")
			r.wantNotBody(t, "Erik", "4242", "Nordvik")
		})
	}
	t.Run("UnknownIDIsTranslated404", func(t *testing.T) {
		r := s.get(pmPath+"/pm_nothing", erik)
		r.wantStatus(t, http.StatusNotFound)
		r.wantBody(t, "<h1>Sidan hittades inte</h1>")
	})
	t.Run("EriksCardIsUnchanged", func(t *testing.T) {
		s.get(pmPath+"/"+card, erik).wantBody(t, "Erik Johansson", "Storgatan 12", "Nordvik AB – Erik Johansson")
	})
	t.Run("GuestsAreForbidden", func(t *testing.T) {
		guest := withCookies(s.signIn("gast@partner.example"))
		for _, path := range []string{pmPath, pmPath + "/new", "/billing/profiles", "/billing/profiles/new"} {
			r := s.get(path, guest)
			r.wantStatus(t, http.StatusForbidden)
			r.wantBody(t, "Gäster kan inte köpa och har därför inga betalningsmetoder eller faktureringsprofiler.")
		}
		s.do("POST", pmPath+"/new", cardForm(), guest).wantStatus(t, http.StatusForbidden)
		s.get("/billing/bills", guest).wantStatus(t, http.StatusOK)
	})
}
