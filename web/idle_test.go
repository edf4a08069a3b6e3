package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

const idlePath = "/admin/idle-licenses"

// TestIdleLicenses: Admin › Idle licenses, in Swedish: the policy's form
// (an error beside the field, what was typed kept), and the licenses idle
// for 30 days or more with what they cost a month.
func TestIdleLicenses(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	clock := kassa.NewTestClock(start)
	s := newSiteAt(t, clock)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))

	r := s.get(idlePath, astrid)
	r.wantStatus(t, http.StatusOK)
	r.wantBody(t, "<h1>Oanvända licenser</h1>", "Licenser tas aldrig tillbaka", "Alla licenser har använts de senaste 30 dagarna.")
	s.get(idlePath, erik).wantStatus(t, http.StatusNotFound)

	r = s.do("POST", idlePath, url.Values{"days": {"5"}}, astrid)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.wantFieldError(t, "reclaim-days", "Ange ett helt antal dagar från 14 till 730, eller lämna fältet tomt.")
	r.wantBody(t, `value="5"`)
	r = s.do("POST", idlePath, url.Values{"days": {"45"}}, astrid)
	r.wantLocation(t, idlePath+"?done=reclaim_saved")
	s.get(idlePath+"?done=reclaim_saved", astrid).wantBody(t, "Sparat.",
		"Licenser som inte har använts på 45 dagar tas tillbaka.", "varnas via e-post efter 38 dagar", `value="45"`)

	// erik gives anna a license of his Analytics Pro; forty days on, she
	// has not used it.
	sub := erikBuys(t, s, erik)
	anna := s.userIDByEmail(t, "anna.lindberg@nordvik.example")
	s.do("POST", "/billing/licenses/"+subID(sub)+"/assign", url.Values{"user": {anna}}, erik).wantStatus(t, http.StatusSeeOther)
	if err := clock.Set(start.AddDate(0, 0, 40)); err != nil {
		t.Fatal(err)
	}
	astrid = withCookies(s.signIn("astrid@nordvik.example"))
	r = s.get(idlePath, astrid)
	r.wantBody(t, "1 licens, 239,00\u00a0kr i månaden (exklusive moms)", "Anna Lindberg", `href="`+sub+`">Analytics Pro</a>`,
		`data-label="Dagar oanvänd">40</td>`)
	r.wantNotBody(t, "Alla licenser har använts")
	en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("astrid@nordvik.example"))
	s.get(idlePath, en).wantBody(t, "<h1>Idle licenses</h1>", "Licenses not used for 45 days are reclaimed.",
		"1 license, SEK\u00a0239.00 a month (VAT excluded)", `data-label="Days idle">40</td>`)

	r = s.do("POST", idlePath, url.Values{"days": {""}}, astrid)
	r.wantLocation(t, idlePath+"?done=reclaim_saved")
	s.get(idlePath, astrid).wantBody(t, "Licenser tas aldrig tillbaka")
}
