package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMoveUsers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	de := withCookies(&http.Cookie{Name: "lang", Value: "de"}, s.signIn("astrid@nordvik.example"))
	src, target := erikBuys(t, s, erik), erikBuys(t, s, erik)
	s.do("POST", target+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)
	anna, johan := userNamed(t, s, erik, "Anna Lindberg"), userNamed(t, s, erik, "Johan Berglund")
	s.do("POST", "/billing/licenses/"+subID(src)+"/assign", users(anna, johan), erik).wantStatus(t, http.StatusSeeOther)

	t.Run("OfferedToAdminsOnly", func(t *testing.T) {
		s.get(src, astrid).wantBody(t, `href="`+src+`/move-users">Flytta användare</a>`,
			`href="`+src+`/admin-cancel">Avbryt prenumeration</a>`)
		s.get(src, erik).wantNotBody(t, "/move-users", "/admin-cancel")
		s.get(src+"/move-users", erik).wantStatus(t, http.StatusNotFound)
		s.get(target, astrid).wantNotBody(t, "/move-users", "/admin-cancel")
		s.get(target+"/move-users", astrid).wantStatus(t, http.StatusConflict)
	})
	t.Run("PickThenReview", func(t *testing.T) {
		r := s.get(src+"/move-users", astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Flytta användare</h2>`, `<form class="pane-form move-users" method="get" action="`+src+`/move-users"`,
			`<option value="`+subID(target)+`"`, "5 av 5 licenser lediga, köpt av Erik Johansson")
		r.wantNotBody(t, `name="add_licenses"`)
		r = s.get(src+"/move-users?target="+subID(target), astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "2 personer flyttas till den prenumerationen", "Den har 5 lediga licenser: det räcker",
			"Erik Johansson får tillbaka", `<input type="hidden" name="add_licenses" value="0">`,
			`<button class="primary" type="submit">Flytta användare</button>`)
		s.get(src+"/move-users?target="+subID(target), en).wantBody(t, "2 people move to that subscription", "Move users")
		s.get(src+"/move-users?target="+subID(target), de).wantBody(t, "2 Personen werden in dieses Abonnement verschoben")
	})
	t.Run("ABadTargetIsNamedBesideTheField", func(t *testing.T) {
		r := s.get(src+"/move-users?target=sub_nope", astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "det finns ingen prenumeration sub_nope", `aria-invalid="true"`)
		r = s.do("POST", src+"/move-users", url.Values{"target": {"sub_nope"}, "add_licenses": {"0"}}, astrid)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		s.get(src, astrid).wantBody(t, "<dd>2 (3 lediga)</dd>")
	})
	t.Run("MoveThenNotice", func(t *testing.T) {
		r := s.do("POST", src+"/move-users", url.Values{"target": {subID(target)}, "add_licenses": {"0"}}, astrid)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, target+"?done=users_moved")
		s.get(target+"?done=users_moved", astrid).wantBody(t, "Användarna flyttades till den här prenumerationen",
			"<dd>2 (3 lediga)</dd>")
		p := s.get(src, erik)
		p.wantBody(t, "Avbruten")
		if strings.Contains(p.body, "<dd>2 (") {
			t.Error("the source still counts its holders")
		}
		s.get(src+"/move-users", astrid).wantStatus(t, http.StatusConflict)
	})
}

func TestAdminCancel(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	sub := erikBuys(t, s, erik)
	s.do("POST", "/billing/licenses/"+subID(sub)+"/assign", users(userNamed(t, s, erik, "Anna Lindberg")), erik).
		wantStatus(t, http.StatusSeeOther)

	r := s.get(sub+"/admin-cancel", astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, `<h2 id="pane-heading">Avsluta prenumeration</h2>`, "1 person förlorar sin licens direkt.",
		"Erik Johansson får tillbaka", "Meddelande till Erik Johansson (valfritt)", `<button class="danger" type="submit">`)
	s.get(sub+"/admin-cancel", en).wantBody(t, "1 person loses their license at once.", "Message to Erik Johansson (optional)")

	// No reason: the error beside the choices, the message kept.
	r = s.do("POST", sub+"/admin-cancel", url.Values{"feedback": {"Vi har ett avtal för hela bolaget."}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, `id="admin-cancel-reason-error"`, ">Vi har ett avtal för hela bolaget.</textarea>")
	r = s.do("POST", sub+"/admin-cancel", url.Values{"reason": {"other"}, "feedback": {strings.Repeat("x", 5001)}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantBody(t, "Skriv högst 5000 tecken.", `value="other" checked`)
	s.get(sub, astrid).wantBody(t, "<dd>1 (4 lediga)</dd>")

	r = s.do("POST", sub+"/admin-cancel", url.Values{"reason": {"switched_service"}, "feedback": {"Vi har ett avtal för hela bolaget."}}, astrid)
	r.wantStatus(t, http.StatusSeeOther)
	r.wantLocation(t, sub+"?done=admin_canceled")
	p := s.get(sub+"?done=admin_canceled", astrid)
	p.wantBody(t, "Prenumerationen avbröts, och dess licensinnehavare har inte längre licenser.", "Avbruten",
		"<dd>0 (5 lediga)</dd>", "Vi har ett avtal för hela bolaget.")
	p.wantNotBody(t, "/admin-cancel")
	s.do("POST", sub+"/admin-cancel", url.Values{"reason": {"other"}}, astrid).wantStatus(t, http.StatusConflict)
}
