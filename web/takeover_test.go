package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTakeOver(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	// Each subtest buys a subscription of its own, which the admins have
	// taken over when the subtest is about after a take-over.
	fresh := func(t *testing.T, takenOver bool) (sub, holders string) {
		t.Helper()
		sub = erikBuys(t, s, erik)
		if takenOver {
			s.do("POST", sub+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
		}
		return sub, "/billing/licenses/" + subID(sub)
	}

	t.Run("AdminIsOfferedTakeOver", func(t *testing.T) {
		t.Parallel()
		sub, _ := fresh(t, false)
		r := s.get(sub, astrid)
		r.wantBody(t, "skrivskyddad för administratörer", `<a class="button" href="`+sub+`/take-over">Ta över</a>`)
		r.wantNotBody(t, "/licenses?change=", sub+"/cancel")
		s.get(sub, erik).wantNotBody(t, "/take-over", "Ta över")
	})
	t.Run("ConfirmationSaysWhatItMeans", func(t *testing.T) {
		t.Parallel()
		sub, _ := fresh(t, false)
		r := s.get(sub+"/take-over", astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Ta över prenumerationen?</h2>`, "När du tar över Analytics Pro:",
			"Erik Johansson meddelas och kan inte längre ändra den", "på faktureringsprofilen som Erik Johansson har",
			"hanterar dess licenser, antalet licenser och uppsägningen", `<form class="pane-form take-over" method="post" action="`+sub+`/take-over">`,
			`<button class="primary" type="submit">Ta över</button>`, `<a class="button secondary" href="`+sub+`">Avbryt</a>`)
		s.get(sub, erik).wantBody(t, "<dd>Självbetjäning</dd>")
	})
	t.Run("PostTakesOver", func(t *testing.T) {
		t.Parallel()
		sub, _ := fresh(t, false)
		r := s.do("POST", sub+"/take-over", url.Values{}, astrid)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, sub+"?done=taken_over")
		p := s.get(sub+"?done=taken_over", astrid)
		p.wantBody(t, "Du har tagit över prenumerationen", "<dd>Hanteras av administratör</dd>",
			`href="`+sub+`/licenses?change=buy">Köp licenser</a>`, `href="`+sub+`/licenses?change=remove">Ta bort licenser</a>`,
			`href="`+sub+`/cancel">Avbryt prenumeration</a>`)
		p.wantNotBody(t, "skrivskyddad", "/take-over")
		s.get(selfServicePath, astrid).wantNotBody(t, `href="`+sub+`"`)
	})
	t.Run("PurchaserOnlyReadsIt", func(t *testing.T) {
		t.Parallel()
		sub, holders := fresh(t, true)
		r := s.get(sub, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Din administratör hanterar nu den här prenumerationen, så du kan inte ändra den.",
			"<dd>Hanteras av administratör</dd>")
		r.wantNotBody(t, "/licenses?change=", sub+"/cancel", `action="`+sub)
		s.get(sub+"/licenses?change=buy", erik).wantStatus(t, http.StatusForbidden)
		s.do("POST", sub+"/licenses", url.Values{"quantity": {"9"}, "step": {"review"}}, erik).wantStatus(t, http.StatusForbidden)
		s.do("POST", sub+"/cancel", url.Values{"reason": {"other"}}, erik).wantStatus(t, http.StatusForbidden)
		s.get(holders+"/assign", erik).wantStatus(t, http.StatusForbidden)
		s.get(holders, erik).wantNotBody(t, holders+"/assign")
	})
	t.Run("AdminManagesIt", func(t *testing.T) {
		t.Parallel()
		sub, holders := fresh(t, true)
		r := s.get(sub+"/licenses?change=buy", astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Köp licenser</h2>`, `<label for="total-licenses">Totalt antal licenser</label>`)
		// The purchaser's billing profile still pays: no licenses are added
		// to it until the organization's pays, and the preview says so.
		review := url.Values{"change": {"buy"}, "quantity": {"7"}, "step": {"review"}}
		s.do("POST", sub+"/licenses", review, astrid).wantStatus(t, http.StatusConflict)
		org := strings.TrimPrefix(orgProfile(t, s, astrid), orgPath+"/")
		s.do("POST", sub+"/billing-profile", url.Values{"billing_profile_id": {org}}, astrid).wantStatus(t, http.StatusSeeOther)
		r = s.do("POST", sub+"/licenses", review, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Debiteras nu kortet i organisationens faktureringsprofil Nordvik AB:")
		r.wantNotBody(t, "Debiteras ditt kort nu")
		s.get(sub+"/cancel", astrid).wantStatus(t, http.StatusOK)
		s.get(holders, astrid).wantBody(t, `href="`+holders+`/assign">Tilldela licenser</a>`)
		s.get(holders+"/assign", astrid).wantStatus(t, http.StatusOK)
	})
	t.Run("AgainIsAMessageNotAnError", func(t *testing.T) {
		t.Parallel()
		sub, _ := fresh(t, true)
		r := s.get(sub+"/take-over", astrid)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, `<p class="alert" role="alert">Administratörerna hanterar redan den här prenumerationen.</p>`)
		r.wantNotBody(t, `class="pane"`)
		r = s.do("POST", sub+"/take-over", url.Values{}, astrid)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "Administratörerna hanterar redan den här prenumerationen.", "<h1>Analytics Pro</h1>")
	})
	t.Run("EndedCannotBeTakenOver", func(t *testing.T) {
		t.Parallel()
		ended := erikBuys(t, s, erik)
		s.do("POST", ended+"/cancel", url.Values{"reason": {"unused"}}, erik).wantLocation(t, ended+"?done=canceled")
		page := s.get(ended, astrid)
		page.wantBody(t, "skrivskyddad för administratörer, och den har upphört, så den kan inte tas över.")
		page.wantNotBody(t, "/take-over")
		r := s.get(ended+"/take-over", astrid)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "Den här prenumerationen kan inte tas över: dess status är Avbruten.")
		r = s.do("POST", ended+"/take-over", url.Values{}, astrid)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "Den här prenumerationen kan inte tas över: dess status är Avbruten.")
		list := s.get(selfServicePath, astrid)
		list.wantBody(t, `<a href="`+ended+`">Analytics Pro</a><span class="state state-canceled">Avbruten</span>`)
		list.wantNotBody(t, ended+"/take-over")
		s.get(productsPath+"/subscriptions/sub_nothing/take-over", astrid).wantStatus(t, http.StatusNotFound)
	})
	t.Run("English", func(t *testing.T) {
		other := erikBuys(t, s, erik)
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
		r := s.get(other+"/take-over", en)
		r.wantBody(t, "Take over this subscription?", "Erik Johansson is notified and can no longer change it",
			"Billing continues as before, on Erik Johansson&#39;s billing profile, until you switch it", ">Take over</button>")
		s.do("POST", other+"/take-over", url.Values{}, en).wantStatus(t, http.StatusSeeOther)
		s.get(other+"?done=taken_over", en).wantBody(t, "You took the subscription over", "<dd>Admin-managed</dd>")
		eriken := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("erik@nordvik.example"))
		s.get(other, eriken).wantBody(t, "Your admin manages this subscription now, so you can&#39;t change it.")
	})
}
