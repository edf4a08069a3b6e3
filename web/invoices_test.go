package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

func TestYourProducts(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	analytics := erikBuys(t, s, erik)
	diagram := buy(t, s, erik, buyPath(t, s, erik, "Diagramstudio"),
		url.Values{"term": {"annual"}, "quantity": {"3"}, "billing_profile_id": {profileID(t, s, erik)}})
	row := func(path string) string { return `<th scope="row"><a href="` + path + `">` }

	t.Run("ListsSubscriptionsWithTheirMenus", func(t *testing.T) {
		r := s.get(productsPath, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, row(analytics)+"Analytics Pro</a>", row(diagram)+"Diagramstudio</a>", "0 av 5 tilldelade",
			`<span class="state state-active">Aktiv</span>`, `<span class="state state-trialing">Kostnadsfri provperiod</span>`,
			"239,00\u00a0kr per licens/månad", "<td data-label=\"Köptyp\">Självbetjäning</td>",
			`<span class="visually-hidden">Fler åtgärder för Analytics Pro</span>`,
			`<li><a href="`+analytics+`/cancel">Avbryt prenumeration</a></li>`, "<summary><span class=\"filter-icon\"",
			">Filter</summary>", `name="channel" value="self_service"> Självbetjäning`)
		r.wantNotBody(t, ">Köpare</th>", `<p class="active-filter">`)
	})
	t.Run("FilterSelfService", func(t *testing.T) {
		r := s.get(productsPath+"?channel=self_service&status=", erik)
		r.wantBody(t, `<span class="chip">Självbetjäning</span>`, `name="channel" value="self_service" checked>`,
			row(analytics), row(diagram), ">Rensa filter</a>")
	})
	t.Run("FilterStatus", func(t *testing.T) {
		r := s.get(productsPath+"?status=trialing", erik)
		r.wantBody(t, row(diagram), `name="status" value="trialing" checked>`)
		r.wantNotBody(t, row(analytics))
	})
	t.Run("FilterWithoutMatchesSaysSo", func(t *testing.T) {
		r := s.get(productsPath+"?channel=admin", erik)
		r.wantBody(t, "Inga prenumerationer matchar filtret.")
		r.wantNotBody(t, row(analytics))
	})
	t.Run("UnknownFilterValuesSelectAll", func(t *testing.T) {
		r := s.get(productsPath+"?status=bored&channel=x", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, row(analytics), row(diagram), `name="status" value="" checked>`)
	})
	t.Run("EnglishWithoutSubscriptions", func(t *testing.T) {
		mike := withCookies(s.signIn("mike@harbor.example"))
		r := s.get(productsPath, mike)
		r.wantBody(t, "You haven&#39;t bought any subscriptions yet.", "> Self-service</label>", ">Apply</button>",
			">Buy<span class=\"visually-hidden\"> – Analytics Pro</span>")
	})
}

func TestInvoices(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	clock := kassa.NewTestClock(now.AddDate(0, -5, 0))
	s := newSiteAt(t, clock)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	erikBuys(t, s, erik)
	if err := clock.Set(now.AddDate(0, 0, -20)); err != nil {
		t.Fatal(err)
	}
	erik = withCookies(s.signIn("erik@nordvik.example"))
	recent := erikBuys(t, s, erik)
	if err := clock.Set(now); err != nil {
		t.Fatal(err)
	}
	erik = withCookies(s.signIn("erik@nordvik.example"))
	r := s.do("POST", recent+"/licenses", url.Values{"quantity": {"4"}, "step": {"review"}}, erik)
	s.do("POST", recent+"/licenses", url.Values{"quantity": {"4"}, "step": {"save"}, "reviewed": {"4"},
		"key": {r.hidden(t, "key")}}, erik).wantStatus(t, http.StatusSeeOther)
	number := regexp.MustCompile(`>INV-\d{4}-\d{6}</a>`)
	invoiceIDs := func(r response) []string {
		var ids []string
		for _, m := range regexp.MustCompile(`href="/billing/bills/invoices/(inv_[0-9a-z]+)\?`).FindAllStringSubmatch(r.body, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}

	t.Run("Past3MonthsByDefault", func(t *testing.T) {
		r := s.get("/billing/bills", erik)
		r.wantStatus(t, http.StatusOK)
		if n := len(number.FindAllString(r.body, -1)); n != 2 {
			t.Errorf("invoices listed: %d, want the 2 of the past 3 months", n)
		}
		r.wantBody(t, `<option value="past_3_months" selected>Senaste 3 månaderna</option>`, "Senaste 6 månaderna",
			"Ange ett datumintervall", "data-label=\"Typ\">Kreditfaktura</td>", "data-label=\"Typ\">Faktura</td>",
			"<td class=\"num\" data-label=\"Totalt\">\u2212", "1\u00a0493,75\u00a0kr", ">Betald</span>",
			`href="/api/v1/invoices?format=csv&amp;period=past_3_months" download>Exportera (CSV)</a>`)
	})
	t.Run("Past6Months", func(t *testing.T) {
		r := s.get("/billing/bills?period=past_6_months&from=&to=", erik)
		if n := len(number.FindAllString(r.body, -1)); n != 3 {
			t.Errorf("invoices listed: %d, want 3", n)
		}
		r.wantBody(t, `<option value="past_6_months" selected>`)
	})
	t.Run("DateRange", func(t *testing.T) {
		day := now.AddDate(0, -5, 0)
		q := url.Values{"period": {"custom"}, "from": {day.AddDate(0, 0, -1).Format(time.DateOnly)},
			"to": {day.Format(time.DateOnly)}}
		r := s.get("/billing/bills?"+q.Encode(), erik)
		r.wantStatus(t, http.StatusOK)
		if n := len(number.FindAllString(r.body, -1)); n != 1 {
			t.Errorf("invoices listed: %d, want the first one", n)
		}
		r.wantBody(t, `value="`+q.Get("from")+`"`, "&amp;period=custom&amp;to=")
		q.Set("from", "2020-01-01")
		q.Set("to", "2020-01-31")
		s.get("/billing/bills?"+q.Encode(), erik).wantBody(t, "Inga fakturor under den här perioden.")
	})
	t.Run("RangeErrorsBesideDates", func(t *testing.T) {
		r := s.get("/billing/bills?period=custom&from=2026-03-10&to=2026-03-01", erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "invoice-from", "Startdatumet får inte vara senare än slutdatumet.")
		r.wantBody(t, `value="2026-03-10"`, `value="2026-03-01"`)
		r.wantNotBody(t, "Exportera (CSV)", "Inga fakturor")
		r = s.get("/billing/bills?period=custom&from=2026-03-10&to=", erik)
		r.wantFieldError(t, "invoice-to", "Till måste fyllas i.")
		r = s.get("/billing/bills?period=custom&from=10/3&to=2026-03-01", erik)
		r.wantFieldError(t, "invoice-from", "Ange ett datum som 2026-01-31.")
		r = s.get("/billing/bills?period=forever", erik)
		r.wantFieldError(t, "invoice-period", "Välj en period i listan.")
	})
	t.Run("PaneAndPDF", func(t *testing.T) {
		ids := invoiceIDs(s.get("/billing/bills", erik))
		r := s.get("/billing/bills/invoices/"+ids[1]+"?period=past_3_months", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Faktura <span class="nowrap">INV-`, "Analytics Pro (månadsvis)", "5 × 239,00\u00a0kr",
			`<tr class="current">`, `href="/billing/bills/invoices/`+ids[1]+`.pdf">Ladda ned PDF</a>`)
		pdf := s.get("/billing/bills/invoices/"+ids[1]+".pdf", erik)
		pdf.wantStatus(t, http.StatusOK)
		if ct := pdf.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF") {
			t.Errorf("PDF: Content-Type %q, body %.8q", ct, pdf.body)
		}
		mike := withCookies(s.signIn("mike@harbor.example"))
		s.get("/billing/bills/invoices/"+ids[1], mike).wantStatus(t, http.StatusNotFound)
		s.get("/billing/bills/invoices/"+ids[1]+".pdf", mike).wantStatus(t, http.StatusNotFound)
	})
	t.Run("CSVExportTakesTheSession", func(t *testing.T) {
		r := s.get("/api/v1/invoices?format=csv&period=past_6_months", erik)
		r.wantStatus(t, http.StatusOK)
		if lines := strings.Count(strings.TrimSpace(r.body), "\n"); lines != 3 {
			t.Errorf("CSV has %d invoices, want 3:\n%s", lines, r.body)
		}
	})
	t.Run("English", func(t *testing.T) {
		mike := withCookies(s.signIn("mike@harbor.example"))
		r := s.get("/billing/bills", mike)
		r.wantBody(t, `<option value="past_3_months" selected>Past 3 months</option>`, "Past 6 months", "Specify a date range",
			"No invoices in this period.", ">Apply</button>")
	})
}
