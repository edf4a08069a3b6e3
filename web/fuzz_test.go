package web

import (
	"cmp"
	"maps"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// The fuzz targets of the helpers that read what the pages' forms and
// links send: each property is one the page relies on, most of them that
// the page agrees with the domain's rules.

var fuzzNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fuzzLayout is a page's layout in English, to translate with.
func fuzzLayout(tb testing.TB) *Layout {
	tb.Helper()
	return &Layout{Lang: "en", tr: locale.In("en")}
}

// FuzzParseForm checks the reader of every form the pages post: it
// accepts a form exactly when it parses and all its text is UTF-8 without
// U+0000 (which storage cannot keep), and what it accepts is the form as
// sent.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"email=erik%40nordvik.example&password=kassa-demo&next=%2F", "user=a&user=b&q=%C3%A5",
		"name=Te%00am", "name=%FF", "%FF=x", "quantity=5;step=save", "a=%ZZ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/billing/profiles/new", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		err := parseForm(httptest.NewRecorder(), r)
		want, perr := url.ParseQuery(body)
		text := perr == nil
		for name, values := range want {
			text = text && utf8.ValidString(name) && !strings.ContainsRune(name, 0)
			for _, v := range values {
				text = text && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
			}
		}
		if err != nil && (kassa.ErrorCode(err) != kassa.BadRequest || text) || err == nil && !text {
			t.Fatalf("parseForm(%q) = %v", body, err)
		}
		if err == nil && !maps.EqualFunc(r.PostForm, want, slices.Equal) {
			t.Fatalf("parseForm(%q) read %v, want %v", body, r.PostForm, want)
		}
	})
}

// FuzzSafeNext checks that where sign-in leads next is a path on this
// site however a browser reads it (backslashes as slashes, tabs and
// newlines dropped), and that the sign-in link carries it unchanged.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/billing/products?filter=1", "//evil.example", `/\evil.example`, "/\t/evil.example",
		"https://evil.example", "/login?next=//evil.example", "", "billing", "/%2F/evil.example", "/ok#frag"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://kassa.example/billing/")
	browser := strings.NewReplacer(`\`, "/", "\t", "", "\n", "", "\r", "")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
		seen := browser.Replace(got)
		u, err := url.Parse(seen)
		if err != nil || !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("safeNext(%q) = %q, which a browser reads as %q", next, got, seen)
		}
		if r := base.ResolveReference(u); r.Scheme != base.Scheme || r.Host != base.Host {
			t.Fatalf("safeNext(%q) = %q leads to %s", next, got, r)
		}
		login, err := url.Parse(loginURL(got))
		if err != nil || login.Path != "/login" || got != "/" && login.Query().Get("next") != got {
			t.Fatalf("loginURL(%q) = %q", got, loginURL(got))
		}
	})
}

// FuzzReadPeriod checks the invoice list's period filter: it is refused
// exactly when a field shows an error; an accepted one is the domain's
// reading of what was typed, and the query its links keep reads back the
// same.
func FuzzReadPeriod(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"past_6_months", "", ""}, {"custom", " 2026-01-01 ", "2026-11-23"}, {"custom", "2026-11-23", "2026-01-01"},
		{"custom", "", "2026-01-01"}, {"custom", "0000-01-01", "9999-12-31"}, {"custom", "2026-02-30", "2026-03-01"}, {"year", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	l := fuzzLayout(f)
	f.Fuzz(func(t *testing.T, period, from, to string) {
		pf, filter, keep, ok := readPeriod(l, url.Values{"period": {period}, "from": {from}, "to": {to}}, fuzzNow)
		if ok == pf.Invalid() {
			t.Fatalf("readPeriod(%q, %q, %q) ok %v, yet %+v", period, from, to, ok, pf)
		}
		if !ok {
			return
		}
		want, err := kassa.InvoicePeriod(cmp.Or(period, "past_3_months"), strings.TrimSpace(from), strings.TrimSpace(to), fuzzNow)
		if err != nil || !sameInvoiceFilter(filter, want) {
			t.Fatalf("readPeriod(%q, %q, %q) = %+v, want %+v, %v", period, from, to, filter, want, err)
		}
		q, err := url.ParseQuery(keep)
		if _, again, _, ok := readPeriod(l, q, fuzzNow); err != nil || !ok || !sameInvoiceFilter(again, filter) {
			t.Fatalf("readPeriod(%q, %q, %q) keeps %q, which reads %+v", period, from, to, keep, again)
		}
	})
}

func sameInvoiceFilter(a, b kassa.InvoiceFilter) bool {
	return a.From.Equal(b.From) && a.To.Equal(b.To)
}

// FuzzReadAuditFilter checks the audit log's filter: it is refused
// exactly when a date shows an error; the action is one the menu offers;
// an accepted range is not empty and can be written with four-digit years,
// as storage compares times; the query its links keep reads back the same.
func FuzzReadAuditFilter(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"subscription.", "2026-11-01", "2026-11-23"}, {"license.", " 2026-11-23 ", " 2026-11-23 "},
		{"subscription.purchased", "", ""}, {"", "2026-11-24", "2026-11-23"}, {"", "yesterday", "2026-13-01"},
		{"", "0000-01-01", "9999-12-31"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	l := fuzzLayout(f)
	f.Fuzz(func(t *testing.T, action, from, to string) {
		p, filter, keep, ok := readAuditFilter(l, url.Values{"action": {action}, "from": {from}, "to": {to}})
		if ok == (p.From.IsInvalid() || p.To.IsInvalid()) {
			t.Fatalf("readAuditFilter(%q, %q, %q) ok %v, yet from %+v, to %+v", action, from, to, ok, p.From, p.To)
		}
		if !slices.ContainsFunc(auditActions, func(a struct{ prefix, key string }) bool { return a.prefix == filter.Action }) {
			t.Fatalf("readAuditFilter(%q) filters by the action %q", action, filter.Action)
		}
		if !ok {
			return
		}
		if !filter.To.IsZero() && (!filter.From.Before(filter.To) || filter.To.Year() > 9999) {
			t.Fatalf("readAuditFilter(%q, %q, %q) = %v to %v", action, from, to, filter.From, filter.To)
		}
		_, again, _, ok := readAuditFilter(l, keep)
		if !ok || again.Action != filter.Action || !again.From.Equal(filter.From) || !again.To.Equal(filter.To) {
			t.Fatalf("readAuditFilter(%q, %q, %q) keeps %v, which reads %+v", action, from, to, keep, again)
		}
	})
}

// FuzzReadPurchaseQuery checks the self-service table's query: a sort the
// table offers or none, descending only with a sort, a page from 1, and
// the links of the table, written from what was read, read back the same.
func FuzzReadPurchaseQuery(f *testing.F) {
	f.Add("erik", "quantity", "desc", "2")
	f.Add(" Åsa ", "name", "up", "-1")
	f.Add("", "", "desc", "+007")
	f.Fuzz(func(t *testing.T, search, sort, order, page string) {
		q := url.Values{"search": {search}, "sort": {sort}, "order": {order}, "page": {page}}
		filter, n := readPurchaseQuery(q, "en")
		if n < 1 || filter.Sort != "" && !slices.Contains(kassa.PurchaseSorts, filter.Sort) || filter.Desc && filter.Sort == "" ||
			filter.Search != strings.TrimSpace(search) {
			t.Fatalf("readPurchaseQuery(%v) = %+v, page %d", q, filter, n)
		}
		if again, m := readPurchaseQuery(purchaseQuery(filter, n), "en"); again != filter || m != n {
			t.Fatalf("readPurchaseQuery(%v) = %+v, page %d; its links read %+v, page %d", q, filter, n, again, m)
		}
	})
}

// FuzzReadSubscriptionFilter checks the Products tab's filter: it selects
// only a channel and a status that exist, each radio group of the menu
// has exactly its choice selected, and the choices named beside the menu
// are the ones that narrow the list.
func FuzzReadSubscriptionFilter(f *testing.F) {
	f.Add("self_service", "active")
	f.Add("admin", "pending")
	f.Add("Admin", "")
	l := fuzzLayout(f)
	f.Fuzz(func(t *testing.T, channel, status string) {
		filter, form := readSubscriptionFilter(l, url.Values{"channel": {channel}, "status": {status}})
		narrows := 0
		for _, g := range []struct {
			opts []Option
			set  bool
			got  string
		}{
			{form.Channels, filter.Channel != nil, string(ptrOr(filter.Channel))},
			{form.Statuses, filter.Status != nil, string(ptrOr(filter.Status))},
		} {
			var chosen []string
			for _, o := range g.opts {
				if o.Selected {
					chosen = append(chosen, o.Value)
				}
			}
			if len(chosen) != 1 || chosen[0] != g.got {
				t.Fatalf("readSubscriptionFilter(%q, %q) selects %q, filters by %q", channel, status, chosen, g.got)
			}
			if g.set {
				narrows++
			}
		}
		if filter.Channel != nil && (!filter.Channel.Valid() || string(*filter.Channel) != channel) ||
			filter.Status != nil && (!filter.Status.Valid() || string(*filter.Status) != status) || len(form.Active) != narrows {
			t.Fatalf("readSubscriptionFilter(%q, %q) = %+v, %+v", channel, status, filter, form)
		}
	})
}

func ptrOr[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// FuzzChosenIDs checks the users a form of the Licenses pane chooses:
// each user it names, trimmed, once, in the order first named.
func FuzzChosenIDs(f *testing.F) {
	f.Add("user=usr_1&user=usr_2&user=usr_1")
	f.Add("user=+usr_1+&user=&q=anna&add=usr_3")
	f.Add("user=%00&user=a%ZZ")
	f.Fuzz(func(t *testing.T, body string) {
		form, _ := url.ParseQuery(body) // as r.PostForm reads it
		var want []string
		for _, id := range form["user"] {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
		if got := chosenIDs(form); !slices.Equal(got, want) {
			t.Fatalf("chosenIDs(%q) = %q, want %q", body, got, want)
		}
	})
}

// FuzzCardForm checks the form that edits a card (its number and security
// code are never typed on kassa's pages): a year is read as printed on
// cards, two digits or four, and a month from 1 to 12; the form accepts
// the changes exactly when the domain's rules do (the expiry date aside:
// whether it has passed is the service's to tell, by its clock); and what
// it sends on is only what changed.
func FuzzCardForm(f *testing.F) {
	f.Add("12", "30", "Erik", "Drottninggatan 1", "Stockholm", "111 51", "SE")
	f.Add("1", "2031", "Erik", "x", "y", "1", "US")
	f.Add("13", "+9", " ", "", "", "", "se")
	f.Add("-0", "-0", "E", "x", "y", "1", "SE")
	l := fuzzLayout(f)
	m := &kassa.PaymentMethod{Brand: kassa.Visa, Last4: "4242", ExpMonth: 12, ExpYear: 2030, Name: "Erik",
		Address: kassa.Address{Line1: "Drottninggatan 1", City: "Stockholm", PostalCode: "111 51", Country: "SE"}}
	f.Fuzz(func(t *testing.T, month, year, name, line1, city, postal, country string) {
		in := readCardInput(url.Values{"exp_month": {month}, "exp_year": {year},
			"name": {name}, "line1": {line1}, "city": {city}, "postal_code": {postal}, "country": {country}})
		form := newCardForm(l, in, "Visa •••• 4242")
		u, ok := form.check(l, m, in)
		pm, okMonth := parseMonth(in.expMonth)
		py, okYear := parseYear(in.expYear)
		if okMonth && (pm < 1 || pm > 12) || okYear && (len(in.expYear) != 2 && len(in.expYear) != 4 ||
			strings.Trim(in.expYear, "0123456789") != "") {
			t.Fatalf("parseMonth(%q) = %d, %v; parseYear(%q) = %d, %v", in.expMonth, pm, okMonth, in.expYear, py, okYear)
		}
		rules := okMonth && okYear && kassa.ValidateName("name", in.name) == nil && kassa.ValidateAddress("address.", in.address) == nil
		if ok != rules {
			t.Fatalf("the card form says %v, the rules %v, for %+v", ok, rules, in)
		}
		if ok && ((u.Name != nil) != (in.name != m.Name) || (u.ExpMonth != nil) != (pm != m.ExpMonth || py != m.ExpYear) ||
			(u.Address != nil) != (in.address != m.Address)) {
			t.Fatalf("changes %+v for %+v", u, in)
		}
	})
}

// FuzzProfileForm checks that the billing profile form accepts what it
// is sent exactly when the domain's rules do.
func FuzzProfileForm(f *testing.F) {
	f.Add("Team", "team@example.com", "PO-1", "Storgatan 12", "", "Stockholm", "111 22", "SE")
	f.Add(" ", "team@", strings.Repeat("9", 101), "", " ", "", "", "Sweden")
	f.Add("Team", "Team@Example.COM", "", "x", "", "y", "1", "US")
	l := fuzzLayout(f)
	tenant := &kassa.Tenant{Name: "Nordvik AB", Country: "SE", Currency: "SEK", Locale: "sv"}
	f.Fuzz(func(t *testing.T, name, email, po, line1, line2, city, postal, country string) {
		in := readProfileInput(url.Values{"name": {name}, "email": {email}, "po_number": {po}, "line1": {line1},
			"line2": {line2}, "city": {city}, "postal_code": {postal}, "country": {country}})
		ok := newProfileForm(l, in, nil).check(l, in)
		p := kassa.BillingProfile{Name: in.name, Email: in.email, PONumber: in.poNumber, Address: in.address}
		if err := p.Validate(tenant); ok != (err == nil) {
			t.Fatalf("the profile form says %v, the rules %v, for %+v", ok, err, in)
		}
	})
}

// FuzzBuyForm checks the purchase form: what it accepts is a term with a
// price, 1 to kassa.MaxQuantity licenses (at most the trial limit for a
// trial), and one of the user's billing profiles, with a card unless it
// is a trial; what it refuses shows an error; and its key is one it made
// or the one sent when that has the right shape.
func FuzzBuyForm(f *testing.F) {
	f.Add("monthly", "5", "bp_card", false, false, "")
	f.Add("annual", "26", "bp_nocard", true, false, "0123456789abcdef0123456789abcdef")
	f.Add("weekly", "0", "bp_other", false, true, "key")
	f.Add("monthly", "+10000", "bp_nocard", false, true, "")
	l := fuzzLayout(f)
	f.Fuzz(func(t *testing.T, term, quantity, profile string, trial, trialsOnly bool, key string) {
		c := &buyContext{currency: "SEK", cards: map[string]*kassa.PaymentMethod{"pm_1": {ID: "pm_1", Brand: kassa.Visa, Last4: "4242"}},
			product: &kassa.Product{ID: "prd_1", Name: kassa.Text{En: "Analytics Pro"}, TrialDays: 30, Policy: kassa.PolicyEnabled,
				Prices: []kassa.Price{{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 23900}, {Term: kassa.Annual, Currency: "USD", UnitAmount: 29900}}},
			profiles: []*kassa.BillingProfile{{ID: "bp_card", Name: "Team", PaymentMethodID: "pm_1"}, {ID: "bp_nocard", Name: "Other"}}}
		if trialsOnly {
			c.product.Policy = kassa.PolicyTrialsOnly
		}
		form := url.Values{"term": {term}, "quantity": {quantity}, "billing_profile_id": {profile}, "key": {key}}
		if trial {
			form.Set("trial", "on")
		}
		in := readBuyInput(form)
		bf := newBuyForm(l, c, &amounts{lang: "en"}, in)
		gotTerm, n, bp, ok := bf.check(l, c, in)
		if !formKeyPattern.MatchString(bf.Key) || formKeyPattern.MatchString(key) && bf.Key != key {
			t.Fatalf("the form's key is %q for %q", bf.Key, key)
		}
		errs := bf.TermError != "" || bf.Quantity.Error != "" || bf.Profile.Error != "" || bf.TrialError != ""
		if ok == errs {
			t.Fatalf("check(%+v) = %v, with errors %v", in, ok, errs)
		}
		if !ok {
			return
		}
		_, priced := c.product.PriceFor(gotTerm, c.currency)
		asTrial := trial || trialsOnly
		if !priced || n < 1 || n > kassa.MaxQuantity || asTrial && n > kassa.TrialLicenseLimit || bp == nil || bp.ID != profile ||
			!asTrial && bp.PaymentMethodID == "" {
			t.Fatalf("check(%+v) accepted %s, %d, %+v", in, gotTerm, n, bp)
		}
	})
}

// FuzzRequestKey checks that a form's key cannot reach another user's
// changes, nor the API's: billing records the change under this user's
// web keys, the one sent when it has the shape of a form key, else a new
// one.
func FuzzRequestKey(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add("x:usr_other:0123456789abcdef0123456789abcdef")
	f.Add("")
	a := &kassa.Actor{User: &kassa.User{ID: "usr_1"}}
	f.Fuzz(func(t *testing.T, key string) {
		got := requestKey(a, key)
		rest, ok := strings.CutPrefix(got, "web:usr_1:")
		if !ok || !formKeyPattern.MatchString(rest) || formKeyPattern.MatchString(key) && rest != key {
			t.Fatalf("requestKey(%q) = %q", key, got)
		}
	})
}
