package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
)

// setAssigned sets how many of a subscription's licenses are assigned,
// behind kassa's back: quicker than assigning them to that many users.
func (s *site) setAssigned(t *testing.T, subPath string, n int) {
	t.Helper()
	s.setSubscription(t, subPath, "assigned", n)
}

// setSubscription sets a column of a subscription behind kassa's back.
func (s *site) setSubscription(t *testing.T, subPath, column string, value any) {
	t.Helper()
	driver, dsn := "pgx", s.dsn
	if path, ok := strings.CutPrefix(s.dsn, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `UPDATE subscriptions SET `+column+` = $1 WHERE id = $2`, value, subID(subPath)); err != nil {
		t.Fatalf("set %s: %v", column, err)
	}
}

// actorOf returns a context acting for whom the session cookie in h signs
// in.
func (s *site) actorOf(t *testing.T, h http.Header) context.Context {
	t.Helper()
	c, err := (&http.Request{Header: h}).Cookie(auth.CookieName)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.auth.Authenticate(context.Background(), c.Value, auth.KindWeb)
	if err != nil {
		t.Fatal(err)
	}
	return kassa.NewContextWithActor(context.Background(), a)
}

// erikBuys buys 5 monthly licenses of Analytics Pro as erik and returns
// the subscription's page.
func erikBuys(t *testing.T, s *site, erik http.Header) string {
	t.Helper()
	return buy(t, s, erik, buyPath(t, s, erik, "Analytics Pro"),
		url.Values{"term": {"monthly"}, "quantity": {"5"}, "billing_profile_id": {profileID(t, s, erik)}})
}

func TestLicenses(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	// Each subtest buys a subscription of its own: 5 licenses of Analytics
	// Pro, none assigned.
	review := func(sub, total string, edits ...func(url.Values)) response {
		v := url.Values{"change": {"buy"}, "quantity": {total}, "step": {"review"}}
		for _, e := range edits {
			e(v)
		}
		return s.do("POST", sub+"/licenses", v, erik)
	}

	t.Run("PageShowsDetailsAndButtons", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		r := s.get(sub, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Analytics Pro</h1>", "<dt>Totalt antal licenser</dt>\n        <dd>5</dd>", "<dd>0 (5 lediga)</dd>",
			"239,00\u00a0kr per licens/månad", "<dd>På</dd>", ">Nordvik AB – Erik Johansson</a>", "<dd>Självbetjäning</dd>",
			`href="`+sub+`/licenses?change=buy">Köp licenser</a>`, `href="`+sub+`/licenses?change=remove">Ta bort licenser</a>`,
			`href="`+sub+`/cancel">Avbryt prenumeration</a>`)
		r.wantNotBody(t, `class="pane"`)
	})
	t.Run("BothButtonsOpenTheTotalLicensesBox", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		r := s.get(sub+"/licenses?change=buy", erik)
		r.wantBody(t, `<h2 id="pane-heading">Köp licenser</h2>`, `<label for="total-licenses">Totalt antal licenser</label>`,
			`id="total-licenses" name="quantity" type="text" value="5"`, "anger du 105", ">Granska</button>")
		r = s.get(sub+"/licenses?change=remove", erik)
		r.wantBody(t, `<h2 id="pane-heading">Ta bort licenser</h2>`, `id="total-licenses" name="quantity" type="text" value="5"`)
	})
	t.Run("ReviewShowsWhatMoreCost", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		r := review(sub, "7")
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "7 licenser totalt: 2 fler än nu.", "Debiteras ditt kort nu: 597,50\u00a0kr", "Moms (25 %)",
			`<input type="hidden" name="reviewed" value="7">`, `value="save">Spara</button>`)
	})
	t.Run("ErrorsBesideTheBox", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		for total, want := range map[string]string{
			"":      "Totalt antal licenser måste fyllas i.",
			"0":     "Ange ett heltal från 1 till 10 000.",
			"sju":   "Ange ett heltal från 1 till 10 000.",
			"10001": "Ange ett heltal från 1 till 10 000.",
			"5":     "Du har 5 licenser nu. Ange ett annat totalt antal.",
		} {
			r := review(sub, total)
			r.wantStatus(t, http.StatusUnprocessableEntity)
			r.wantFieldError(t, "total-licenses", want)
			r.wantBody(t, `name="quantity" type="text" value="`+total+`"`)
		}
	})
	t.Run("SaveAfterChangingTheTotalReviewsAgain", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		r := review(sub, "9", set("step", "save"), set("reviewed", "7"))
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Antalet ändrades efter att priset visades.", "9 licenser totalt: 4 fler än nu.")
		s.get(sub, erik).wantBody(t, "<dd>5</dd>")
	})
	t.Run("SaveBuysTheReviewedTotal", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		key := review(sub, "7").hidden(t, "key")
		r := review(sub, "7", set("step", "save"), set("reviewed", "7"), set("key", key))
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, sub+"?done=licenses_added")
		s.get(sub+"?done=licenses_added", erik).wantBody(t, "Licenserna har köpts", "<dd>7</dd>")
	})
	t.Run("RemoveCreditsTheBalance", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		r := review(sub, "4", set("change", "remove"))
		r.wantBody(t, `<h2 id="pane-heading">Ta bort licenser</h2>`, "4 licenser totalt: 1 färre än nu.",
			"Krediteras din faktureringsprofil: 298,75\u00a0kr")
		r = review(sub, "4", set("change", "remove"), set("step", "save"), set("reviewed", "4"), set("key", r.hidden(t, "key")))
		r.wantLocation(t, sub+"?done=licenses_removed")
		s.get(sub, erik).wantBody(t, "<dd>4</dd>")
	})
	t.Run("WhileCancellingSaysWhyBesideTheBox", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		s.setSubscription(t, sub, "cancelling", true) // as while a cancellation's refund is under way
		r := review(sub, "7")
		r = review(sub, "7", set("step", "save"), set("reviewed", "7"), set("key", r.hidden(t, "key")))
		r.wantStatus(t, http.StatusConflict)
		r.wantFieldError(t, "total-licenses", "Den här prenumerationen håller på att avbrytas och återbetalningen pågår")
		s.get(sub, erik).wantBody(t, "<dd>5</dd>")
	})
	t.Run("FewerThanAssignedSaysHowManyToUnassign", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		s.setAssigned(t, sub, 4)
		r := review(sub, "2", set("change", "remove"))
		r.wantStatus(t, http.StatusConflict)
		r.wantFieldError(t, "total-licenses", "4 licenser är tilldelade. Ta först bort tilldelningen av 2 under Fakturering › Licenser")
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("erik@nordvik.example"))
		r = s.do("POST", sub+"/licenses", url.Values{"quantity": {"3"}, "step": {"review"}}, en)
		r.wantFieldError(t, "total-licenses", "4 licenses are assigned. Unassign 1 first under Billing › Licenses, then lower the total to 3.")
	})
	t.Run("OthersGet404", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		mike := withCookies(s.signIn("mike@harbor.example"))
		s.get(sub, mike).wantStatus(t, http.StatusNotFound)
		s.get(sub+"/licenses", mike).wantStatus(t, http.StatusNotFound)
		s.do("POST", sub+"/licenses", url.Values{"quantity": {"9"}, "step": {"save"}, "reviewed": {"9"}}, mike).
			wantStatus(t, http.StatusNotFound)
		s.do("POST", sub+"/cancel", url.Values{"reason": {"other"}}, mike).wantStatus(t, http.StatusNotFound)
		s.get(productsPath+"/subscriptions/sub_nothing", erik).wantStatus(t, http.StatusNotFound)
	})
	t.Run("AdminSeesItReadOnly", func(t *testing.T) {
		t.Parallel()
		sub := erikBuys(t, s, erik)
		astrid := withCookies(s.signIn("astrid@nordvik.example"))
		r := s.get(sub, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "skrivskyddad för administratörer", "<dd>Erik Johansson</dd>", "<dd>5</dd>")
		r.wantNotBody(t, "/licenses?change=", sub+"/cancel", "Nordvik AB – Erik Johansson")
		r = s.get(sub+"/licenses?change=buy", astrid)
		r.wantStatus(t, http.StatusForbidden)
		r.wantBody(t, "Den här prenumerationen är skrivskyddad för dig")
		s.do("POST", sub+"/licenses", url.Values{"quantity": {"9"}, "step": {"review"}}, astrid).wantStatus(t, http.StatusForbidden)
		s.do("POST", sub+"/cancel", url.Values{"reason": {"other"}}, astrid).wantStatus(t, http.StatusForbidden)
		s.do("POST", sub+"/reactivate", url.Values{}, astrid).wantStatus(t, http.StatusForbidden)
		list := s.get(productsPath+"?channel=self_service", astrid)
		list.wantBody(t, ">Köpare</th>", "<td data-label=\"Köpare\">Erik Johansson</td>")
		list.wantNotBody(t, `class="menu"`)
		s.get(sub, erik).wantBody(t, "<dd>5</dd>")
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Second)
	clock := kassa.NewTestClock(start)
	s := newSiteAt(t, clock)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	soon := erikBuys(t, s, erik)
	later := erikBuys(t, s, erik)

	t.Run("PaneOffersReasonsAndFeedback", func(t *testing.T) {
		r := s.get(soon+"/cancel", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Avsluta prenumeration</h2>`, "Varför avbryter du?",
			`value="too_expensive"> Det är för dyrt`, `value="other"> Annat`, "Feedback (valfritt)",
			`<textarea id="cancel-feedback" name="feedback" rows="5" maxlength="5000"`, "upphör prenumerationen direkt",
			">Spara</button>", ">Stäng</a>")
	})
	t.Run("ErrorsBesideFields", func(t *testing.T) {
		r := s.do("POST", soon+"/cancel", url.Values{"feedback": {"För dyrt för oss."}}, erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, `<p class="field-error" id="cancel-reason-error">Välj en orsak till att du avbryter.`, ">För dyrt för oss.</textarea>")
		r = s.do("POST", soon+"/cancel", url.Values{"reason": {"unused"}, "feedback": {strings.Repeat("å", 5001)}}, erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantFieldError(t, "cancel-feedback", "Feedback får vara högst 5 000 tecken.")
		r.wantBody(t, `value="unused" checked>`)
		s.get(soon, erik).wantBody(t, "<dd>Aktiv</dd>")
	})
	t.Run("ChargeUnderWaySaysSoAndKeepsTheAnswers", func(t *testing.T) {
		// As while a payment for more licenses waits for the gateway.
		ctx := s.actorOf(t, erik)
		sub, err := s.db.FindSubscriptionByID(ctx, subID(soon))
		if err != nil {
			t.Fatal(err)
		}
		inv := &kassa.Invoice{SubscriptionID: sub.ID, BillingProfileID: sub.BillingProfileID, QuantityDelta: 2}
		if _, err := s.db.CreateChargeInvoice(ctx, inv, "quantity", ""); err != nil {
			t.Fatal(err)
		}
		r := s.do("POST", soon+"/cancel", url.Values{"reason": {"unused"}, "feedback": {"Vi använder det inte."}}, erik)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "En betalning för fler licenser i den här prenumerationen pågår, så den avbröts inte.",
			`value="unused" checked>`, ">Vi använder det inte.</textarea>")
		if err := s.db.FailCharge(ctx, inv.ID, "card_declined"); err != nil {
			t.Fatal(err)
		}
		s.get(soon, erik).wantBody(t, "<dd>Aktiv</dd>")
	})
	t.Run("WithinSevenDaysEndsNow", func(t *testing.T) {
		r := s.do("POST", soon+"/cancel", url.Values{"reason": {"unused"}, "feedback": {"Vi använder det inte."}}, erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, soon+"?done=canceled")
		p := s.get(soon+"?done=canceled", erik)
		p.wantBody(t, "Prenumerationen har avbrutits och upphört.", "<dd>Avbruten</dd>", "<dd>Jag använder det inte</dd>",
			"Vi använder det inte.", "Den här prenumerationen har upphört")
		p.wantNotBody(t, soon+"/cancel\"", "/licenses?change=")
		s.get(soon+"/cancel", erik).wantStatus(t, http.StatusConflict)
	})
	t.Run("LaterEndsWithTheTermAndCanBeReactivated", func(t *testing.T) {
		if err := clock.Set(start.Add(8 * 24 * time.Hour)); err != nil {
			t.Fatal(err)
		}
		erik := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("erik@nordvik.example"))
		s.get(later+"/cancel", erik).wantBody(t, "The subscription stays active until")
		r := s.do("POST", later+"/cancel", url.Values{"reason": {"too_expensive"}}, erik)
		r.wantLocation(t, later+"?done=cancel_scheduled")
		p := s.get(later+"?done=cancel_scheduled", erik)
		p.wantBody(t, "The subscription is canceled and ends with its term.", "Canceled: ends on ", "<dd>Active · Ends with the term</dd>",
			`action="`+later+`/reactivate"`, ">Reactivate</button>", "<dd>It&#39;s too expensive</dd>", "<dd>Off</dd>")
		p.wantNotBody(t, later+"/cancel\"")
		s.get(productsPath, erik).wantBody(t, `<span class="status-note">Ends with the term</span>`)
		r = s.do("POST", later+"/reactivate", url.Values{}, erik)
		r.wantLocation(t, later+"?done=reactivated")
		p = s.get(later+"?done=reactivated", erik)
		p.wantBody(t, "The subscription was reactivated", "<dd>On</dd>", later+"/cancel\"")
		p.wantNotBody(t, "Reactivate</button>")
		s.do("POST", later+"/reactivate", url.Values{}, erik).wantStatus(t, http.StatusConflict)
	})
}
