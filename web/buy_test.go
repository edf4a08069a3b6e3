package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const productsPath = "/billing/products"

// buyPath returns the buy page of the product named name in the catalog
// that who sees.
func buyPath(t *testing.T, s *site, who http.Header, name string) string {
	t.Helper()
	body := s.get(productsPath, who).body
	re := regexp.MustCompile(`<span class="product-name">` + regexp.QuoteMeta(name) + `</span>(?s:.*?)</tr>`)
	row := re.FindString(body)
	m := regexp.MustCompile(`href="(/billing/products/prd_[0-9a-z]+/buy)`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no buy link for %s", name)
	}
	return m[1]
}

// hidden returns the value of the hidden input name.
func (r response) hidden(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + name + `" value="([^"]*)">`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s: no hidden input %s", r.Request.URL.Path, name)
	}
	return m[1]
}

// profileID returns the id of the only billing profile of who.
func profileID(t *testing.T, s *site, who http.Header) string {
	t.Helper()
	ids := s.get(bpPath, who).ids(bpPath)
	if len(ids) != 1 {
		t.Fatalf("billing profiles: %v, want one", ids)
	}
	return ids[0]
}

// payingProfile adds a card with the number and a billing profile paying
// with it for who, and returns the profile's id.
func payingProfile(t *testing.T, s *site, who http.Header, number, country string) string {
	t.Helper()
	_, loc := s.viaCardPage(t, pmPath+"/new", who, cardForm(set("number", number), set("country", country)))
	pm := strings.TrimSuffix(strings.TrimPrefix(loc, pmPath+"/"), "?done=card_added")
	r := s.do("POST", bpPath+"/new", profileForm(set("name", "Pays with "+number[len(number)-4:]),
		set("country", country), set("payment_method_id", pm)), who)
	r.wantStatus(t, http.StatusSeeOther)
	return strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Location"), bpPath+"/"), "?done=profile_created")
}

// buy buys through the form's two steps and returns the new subscription's
// page.
func buy(t *testing.T, s *site, who http.Header, path string, form url.Values) string {
	t.Helper()
	form.Set("step", "review")
	r := s.do("POST", path, form, who)
	r.wantStatus(t, http.StatusOK)
	form.Set("key", r.hidden(t, "key"))
	form.Set("step", "buy")
	r = s.do("POST", path, form, who)
	r.wantStatus(t, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if !regexp.MustCompile(`^/billing/products/subscriptions/sub_[0-9a-z]+\?done=`).MatchString(loc) {
		t.Fatalf("bought: Location %q, want the subscription's page", loc)
	}
	return loc[:strings.Index(loc, "?")]
}

func TestBuy(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	bp := profileID(t, s, erik)
	analytics := buyPath(t, s, erik, "Analytics Pro")
	order := func(edits ...func(url.Values)) url.Values {
		v := url.Values{"term": {"monthly"}, "quantity": {"5"}, "billing_profile_id": {bp}}
		for _, e := range edits {
			e(v)
		}
		return v
	}

	t.Run("CatalogLinksToBuyWherePolicyAllows", func(t *testing.T) {
		r := s.get(productsPath, erik)
		r.wantBody(t, `href="`+analytics+`">Köp<span class="visually-hidden"> – Analytics Pro</span></a>`,
			`/buy?trial=1">Starta kostnadsfri provperiod<span class="visually-hidden"> – Diagramstudio</span>`)
		// The archive may not be bought: its licenses are asked for.
		r.wantNotBody(t, ">Köp<span class=\"visually-hidden\"> – Säkert e-postarkiv</span>")
		r.wantBody(t, "/request\">Be om licenser<span class=\"visually-hidden\"> – Säkert e-postarkiv</span>")
	})
	t.Run("FormOffersTermsProfileAndTrial", func(t *testing.T) {
		r := s.get(analytics, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Köp Analytics Pro</h1>", "value=\"monthly\" checked> Månadsvis – 239,00\u00a0kr per licens/månad",
			"value=\"annual\"> Årsvis – 2\u00a0390,00\u00a0kr per licens/år", `name="quantity" type="text" value="1"`,
			`<option value="`+bp+`" selected>Nordvik AB – Erik Johansson · Visa •••• 4242</option>`,
			"Börja med en kostnadsfri provperiod på 30 dagar, för högst 25 licenser.", ">Granska</button>")
	})
	t.Run("ReviewShowsPriceWithVAT", func(t *testing.T) {
		r := s.do("POST", analytics, order(set("step", "review")), erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Granska ditt köp", "<dd>5 licenser</dd>", "<dd>Månadsvis</dd>",
			"Delsumma</th><td class=\"num\">1\u00a0195,00\u00a0kr", "Moms (25 %)</th><td class=\"num\">298,75\u00a0kr",
			"Totalt</th><td class=\"num\">1\u00a0493,75\u00a0kr", `value="buy">Köp</button>`, `value="edit">Ändra</button>`,
			`<input type="hidden" name="quantity" value="5">`)
		if key := r.hidden(t, "key"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(key) {
			t.Errorf("request key %q", key)
		}
	})
	t.Run("ChangeKeepsWhatWasTyped", func(t *testing.T) {
		r := s.do("POST", analytics, order(set("step", "edit"), set("term", "annual"), set("quantity", "12")), erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `value="annual" checked>`, `name="quantity" type="text" value="12"`)
	})
	t.Run("ErrorsBesideFields", func(t *testing.T) {
		r := s.do("POST", analytics, order(set("step", "review"), set("quantity", "0"), set("term", ""),
			set("billing_profile_id", "bp_someone_elses")), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "buy-quantity", "Ange ett heltal från 1 till 10 000.")
		r.wantFieldError(t, "buy-profile", "Välj en av dina faktureringsprofiler.")
		r.wantBody(t, `<p class="field-error" id="buy-term-error">Välj hur ofta du vill betala.`, `value="0"`)
		r = s.do("POST", analytics, order(set("step", "review"), set("quantity", "30"), set("trial", "1")), erik)
		r.wantFieldError(t, "buy-quantity", "En kostnadsfri provperiod kan ha högst 25 licenser.")
		r = s.do("POST", analytics, order(set("step", "review"), set("quantity", "")), erik)
		r.wantFieldError(t, "buy-quantity", "Antal licenser måste fyllas i.")
	})
	t.Run("BuysOnceWhenSentTwice", func(t *testing.T) {
		before := strings.Count(s.get(productsPath, erik).body, `<th scope="row"><a href="/billing/products/subscriptions/`)
		form := order(set("step", "review"), set("quantity", "3"))
		key := s.do("POST", analytics, form, erik).hidden(t, "key")
		form.Set("key", key)
		form.Set("step", "buy")
		first := s.do("POST", analytics, form, erik)
		second := s.do("POST", analytics, form, erik)
		first.wantStatus(t, http.StatusSeeOther)
		second.wantStatus(t, http.StatusSeeOther)
		if a, b := first.Header.Get("Location"), second.Header.Get("Location"); a != b {
			t.Errorf("the same form sent twice led to %q and %q, want one subscription", a, b)
		}
		after := strings.Count(s.get(productsPath, erik).body, `<th scope="row"><a href="/billing/products/subscriptions/`)
		if after != before+1 {
			t.Errorf("subscriptions %d → %d, want one more", before, after)
		}
		p := s.get(first.Header.Get("Location"), erik)
		p.wantBody(t, "<h1>Analytics Pro</h1>", "Tack för ditt köp.", "<dd>3</dd>", "<dd>Aktiv</dd>")
	})
	t.Run("DeclinedCardBesideProfile", func(t *testing.T) {
		failing := payingProfile(t, s, erik, "4000 0000 0000 0341", "SE")
		form := order(set("billing_profile_id", failing), set("step", "review"))
		form.Set("key", s.do("POST", analytics, form, erik).hidden(t, "key"))
		form.Set("step", "buy")
		r := s.do("POST", analytics, form, erik)
		r.wantStatus(t, http.StatusPaymentRequired)
		r.wantFieldError(t, "buy-profile", "Kortet nekades")
		if r.hidden(t, "key") == form.Get("key") {
			t.Error("the key of the declined attempt is offered again: a retry would replay the decline")
		}
		r.wantBody(t, `name="quantity" type="text" value="5"`)
	})
	t.Run("TrialsOnlyProductStartsATrial", func(t *testing.T) {
		path := buyPath(t, s, erik, "Diagramstudio")
		r := s.get(path+"?trial=1", erik)
		r.wantBody(t, "Din administratör tillåter bara kostnadsfria provperioder", `<input type="hidden" name="trial" value="1">`)
		sub := buy(t, s, erik, path, url.Values{"term": {"monthly"}, "quantity": {"2"}, "billing_profile_id": {bp}})
		s.get(sub+"?done=trial_started", erik).wantBody(t, "Din kostnadsfria provperiod har startat.",
			"<dd>Kostnadsfri provperiod</dd>")
	})
	t.Run("DisabledProductIsForbidden", func(t *testing.T) {
		// The catalog is shared: Harbor, without policies, links to it.
		mike := withCookies(s.signIn("mike@harbor.example"))
		archive := buyPath(t, s, mike, "Secure Mail Archive")
		s.get(productsPath, erik).wantNotBody(t, archive)
		r := s.get(archive, erik)
		r.wantStatus(t, http.StatusForbidden)
		r.wantBody(t, "Din administratör tillåter inte köp av Säkert e-postarkiv.")
		r.wantNotBody(t, `name="quantity"`)
		r = s.do("POST", archive, order(set("step", "buy")), erik)
		r.wantStatus(t, http.StatusForbidden)
	})
	t.Run("UnknownProductIs404", func(t *testing.T) {
		s.get(productsPath+"/prd_nothing/buy", erik).wantStatus(t, http.StatusNotFound)
		s.get(analytics[:strings.LastIndex(analytics, "/")]+"/steal", erik).wantStatus(t, http.StatusNotFound)
	})
	t.Run("GuestsCannotBuy", func(t *testing.T) {
		guest := withCookies(s.signIn("gast@partner.example"))
		s.get(productsPath, guest).wantNotBody(t, "/buy")
		s.get(analytics, guest).wantStatus(t, http.StatusForbidden)
	})
	t.Run("EnglishWithoutProfileIsToldToAddOne", func(t *testing.T) {
		mike := withCookies(s.signIn("mike@harbor.example"))
		r := s.get(buyPath(t, s, mike, "Analytics Pro"), mike)
		r.wantBody(t, "<h1>Buy Analytics Pro</h1>", "To buy, you need a billing profile", `href="/billing/profiles/new"`)
		r.wantNotBody(t, `name="quantity"`)
	})
}
