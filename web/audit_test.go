package web_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/web"
)

const auditPath = "/admin/audit-log"

// auditWhat lists what each event of the log's page did, in its order.
func (r response) auditWhat() []string {
	var what []string
	for _, m := range regexp.MustCompile(`<span class="audit-what">([^<]+)</span>`).FindAllStringSubmatch(r.body, -1) {
		what = append(what, html.UnescapeString(m[1]))
	}
	return what
}

// olderLink is the page's Older link, "" when it has none.
func (r response) olderLink() string {
	m := regexp.MustCompile(`href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	sub := erikBuys(t, s, erik)
	s.do("POST", sub+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	selects, form := policyForm(t, s.get(policyPath, astrid))
	form.Set(selects["PROJECT_PLAN"], "trials_only")
	s.do("POST", policyPath, form, astrid).wantStatus(t, http.StatusSeeOther)
	today := time.Now().UTC().Format(time.DateOnly)

	t.Run("NewestFirstWithWhoAndWhat", func(t *testing.T) {
		r := s.get(auditPath, astrid)
		r.wantStatus(t, http.StatusOK)
		what := r.auditWhat()
		if len(what) != 50 || !slices.Equal(what[:3], []string{"Ändrade köppolicyn", "Tog över en prenumeration", "Köpte en prenumeration"}) {
			t.Errorf("events %q, want the policy, the take-over and the purchase first, 50 in all", what)
		}
		r.wantBody(t, "<h1>Granskningslogg</h1>", `aria-current="page">Granskningslogg</a>`, "När (UTC)",
			"<td data-label=\"Vem\">Astrid Lindqvist</td>", "<td data-label=\"Vem\">Erik Johansson</td>",
			`<code class="audit-action">subscription.taken_over</code>`, `<a href="`+sub+`">Prenumeration</a><code class="object-id">`+subID(sub)+`</code>`,
			"<summary>Före och efter</summary>", "&#34;channel&#34;: &#34;admin&#34;", "&#34;channel&#34;: &#34;self_service&#34;",
			`<time datetime="`+today)
	})
	t.Run("KassaActsAsItself", func(t *testing.T) {
		r := s.get(auditPath+"?action=user.", astrid)
		r.wantBody(t, `<span class="system">kassa</span>`, "Lade till en användare", `<option value="user." selected>Användare</option>`)
		if what := r.auditWhat(); slices.ContainsFunc(what, func(w string) bool { return w != "Lade till en användare" }) {
			t.Errorf("users filter shows %q", what)
		}
	})
	t.Run("FilterByKind", func(t *testing.T) {
		r := s.get(auditPath+"?action=subscription.", astrid)
		if got := r.auditWhat(); !slices.Equal(got, []string{"Tog över en prenumeration", "Köpte en prenumeration"}) {
			t.Errorf("subscriptions filter: %q", got)
		}
		r.wantBody(t, `<a class="button secondary" href="/admin/audit-log">Rensa filter</a>`)
		r.wantNotBody(t, `rel="next"`)
		if got := s.get(auditPath+"?action=purchase_policy.", astrid).auditWhat(); !slices.Contains(got, "Ändrade köppolicyn") ||
			slices.Contains(got, "Köpte en prenumeration") {
			t.Errorf("purchase policy filter: %q", got)
		}
		// A kind the select does not offer shows everything.
		if got := s.get(auditPath+"?action=subscription.purch", astrid).auditWhat(); len(got) != 50 {
			t.Errorf("unknown kind: %d events, want all (a page of 50)", len(got))
		}
	})
	t.Run("FilterByDates", func(t *testing.T) {
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		r := s.get(auditPath+"?action=subscription.&from="+today+"&to="+today, astrid)
		if got := r.auditWhat(); len(got) != 2 {
			t.Errorf("today's subscription events: %q, want 2", got)
		}
		r.wantBody(t, `id="audit-from" name="from" type="date" value="`+today+`"`)
		r = s.get(auditPath+"?from="+tomorrow, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Inga ändringar matchar filtret.")
		r = s.get(auditPath+"?from=2026-13-45", astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "audit-from", "Ange ett datum som 2026-01-31.")
		r.wantNotBody(t, "<table", "Inga ändringar")
		r = s.get(auditPath+"?from="+tomorrow+"&to="+today, astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "audit-from", "Startdatumet får inte vara senare än slutdatumet.")
	})
	t.Run("OlderPages", func(t *testing.T) {
		first := s.get(auditPath, astrid)
		older := first.olderLink()
		if !strings.HasPrefix(older, auditPath+"?before=") {
			t.Fatalf("Older link %q", older)
		}
		r := s.get(older, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<a class="button secondary" href="/admin/audit-log">Senaste</a>`)
		if got := r.auditWhat(); len(got) == 0 || slices.Contains(got, "Köpte en prenumeration") {
			t.Errorf("older page: %q, want older events only", got)
		}
		dated := s.get(auditPath+"?from="+today, astrid).olderLink()
		if !strings.Contains(dated, "from="+today) {
			t.Errorf("Older link %q does not keep the filter", dated)
		}
	})
	t.Run("English", func(t *testing.T) {
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
		r := s.get(auditPath+"?action=subscription.", en)
		r.wantBody(t, "<h1>Audit log</h1>", "When (UTC)", "Took a subscription over", "Bought a subscription",
			"Before and after", `<option value="subscription." selected>Subscriptions</option>`)
	})
}

// TestEveryAuditActionHasWords: each action storage records (a literal
// given to tx.audit in package sqldb) is named in words on the audit log.
func TestEveryAuditActionHasWords(t *testing.T) {
	files, err := filepath.Glob("../sqldb/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("sqldb's files: %v", err)
	}
	action := regexp.MustCompile(`\.audit\(ctx, [^,]+, "([a-z_]+\.[a-z_]+)"`)
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range action.FindAllStringSubmatch(string(b), -1) {
			found++
			if _, ok := web.AuditActions()[m[1]]; !ok {
				t.Errorf("%s records %q, which the audit log has no words for", f, m[1])
			}
		}
	}
	if found < 10 {
		t.Fatalf("found %d audit actions in sqldb; the pattern no longer matches its calls", found)
	}
}
