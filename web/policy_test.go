package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

const (
	policyPath = "/admin/purchase-policy"
	peoplePath = "/admin/people"
)

// policyForm reads the purchase policy form: each product's select by SKU,
// and what each select holds, as a form to post back.
func policyForm(t *testing.T, r response) (selects map[string]string, form url.Values) {
	t.Helper()
	selects, form = map[string]string{}, url.Values{}
	row := regexp.MustCompile(`(?s)<code class="sku">([A-Z_]+)</code>.*?<select id="(policy-prd_[0-9a-z]+)" name="[^"]+".*?</select>`)
	chosen := regexp.MustCompile(`<option value="([a-z_]*)" selected>`)
	for _, m := range row.FindAllStringSubmatch(r.body, -1) {
		selects[m[1]] = m[2]
		if c := chosen.FindStringSubmatch(m[0]); c != nil {
			form.Set(m[2], c[1])
		}
	}
	if len(selects) != 5 {
		t.Fatalf("policy form has %d products, want the 5 of the demo:\n%s", len(selects), r.body)
	}
	form.Set("default", "enabled")
	return selects, form
}

func TestPurchasePolicy(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	erik := withCookies(s.signIn("erik@nordvik.example"))
	selects, form := policyForm(t, s.get(policyPath, astrid))
	plan := selects["PROJECT_PLAN"]

	t.Run("FormShowsEachProductsPolicy", func(t *testing.T) {
		r := s.get(policyPath, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Köppolicy</h1>", `aria-current="page">Köppolicy</a>`, "En ändring gäller bara framtida köp",
			`<span class="product-name">Diagramstudio</span>`, `<code class="sku">DIAGRAM_STUDIO</code>`,
			`<label class="visually-hidden" for="`+plan+`">Köppolicy för Projektplanering</label>`,
			`<label for="policy-default">För produkter som läggs till senare</label>`, `>Spara</button>`)
		if form.Get(selects["DIAGRAM_STUDIO"]) != "trials_only" || form.Get(selects["MAIL_ARCHIVE"]) != "disabled" ||
			form.Get(plan) != "enabled" {
			t.Errorf("policies shown: %v, want the demo's", form)
		}
		r.wantBody(t, `<option value="trials_only" selected>Endast kostnadsfri provperiod</option>`)
	})
	t.Run("SaveSetsEveryRow", func(t *testing.T) {
		v := url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set(plan, "trials_only")
		v.Set("default", "disabled")
		r := s.do("POST", policyPath, v, astrid)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, policyPath+"?done=policy_saved")
		p := s.get(policyPath+"?done=policy_saved", astrid)
		p.wantBody(t, "Köppolicyn har sparats. Den gäller köp som görs från och med nu.")
		_, after := policyForm(t, p)
		if after.Get(plan) != "trials_only" || after.Get(selects["ANALYTICS_PRO"]) != "enabled" {
			t.Errorf("after saving: %v, want Projektplanering trials only and Analytics Pro as it was", after)
		}
		p.wantBody(t, `<select id="policy-default" name="default"`, `<option value="disabled" selected>Inte tillgänglig</option>`)
		catalog := s.get(productsPath, erik)
		catalog.wantBody(t, `/buy?trial=1">Starta kostnadsfri provperiod<span class="visually-hidden"> – Projektplanering</span>`)
		catalog.wantNotBody(t, "Köp<span class=\"visually-hidden\"> – Projektplanering</span>")
	})
	t.Run("TamperedValueShownBesideItsSelect", func(t *testing.T) {
		_, before := policyForm(t, s.get(policyPath, astrid))
		v := url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set(plan, "disabled")
		v.Set(selects["ANALYTICS_PRO"], "free_for_all")
		r := s.do("POST", policyPath, v, astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		analytics := selects["ANALYTICS_PRO"]
		r.wantBody(t, `<p class="field-error" id="`+analytics+`-error">Välj en av policyerna i listan.</p>`,
			`aria-invalid="true" aria-describedby="`+analytics+`-error" autofocus>`,
			`<option value="" selected>Välj en policy</option>`)
		// What was chosen in the other rows stays chosen, unsaved.
		_, shown := policyForm(t, r)
		if shown.Get(plan) != "disabled" {
			t.Errorf("after the error Projektplanering shows %q, want the disabled chosen", shown.Get(plan))
		}
		_, saved := policyForm(t, s.get(policyPath, astrid))
		if saved.Get(plan) != before.Get(plan) || saved.Get(analytics) != before.Get(analytics) {
			t.Errorf("a form with an error saved something: %v, was %v", saved, before)
		}
		v = url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set("default", "")
		r = s.do("POST", policyPath, v, astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "policy-default", "Välj en av policyerna i listan.")
	})
	t.Run("English", func(t *testing.T) {
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
		r := s.get(policyPath, en)
		r.wantBody(t, "<h1>Purchase policy</h1>", "A change applies to future purchases only", "For products added later",
			"Purchase policy for Project Plan", "Free trial only")
	})
}
