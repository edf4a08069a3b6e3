package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// person is a user as GET /api/v1/users answers.
type person struct {
	ID, Name, Email, Type string
}

// findUsers searches the people of who's organization through the API,
// which takes the page's session cookie as licenses.js does.
func findUsers(t *testing.T, s *site, who http.Header, search string, limit int) []person {
	t.Helper()
	r := s.get("/api/v1/users?"+url.Values{"search": {search}, "limit": {strconv.Itoa(limit)}}.Encode(), who)
	r.wantStatus(t, http.StatusOK)
	var body struct{ Data []person }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatal(err)
	}
	return body.Data
}

// userNamed returns the one user search finds.
func userNamed(t *testing.T, s *site, who http.Header, search string) person {
	t.Helper()
	found := findUsers(t, s, who, search, 10)
	if len(found) != 1 {
		t.Fatalf("search %q found %v, want one user", search, found)
	}
	return found[0]
}

// userIDByEmail reads a user's id behind kassa's back: disabled users are
// found by no search.
func (s *site) userIDByEmail(t *testing.T, email string) string {
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
	var id string
	if err := db.QueryRowContext(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		t.Fatalf("find %s: %v", email, err)
	}
	return id
}

func users(ps ...person) url.Values {
	v := url.Values{}
	for _, p := range ps {
		v.Add("user", p.ID)
	}
	return v
}

func TestAssignAndUnassign(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	anna, annika := userNamed(t, s, erik, "anna lindberg"), userNamed(t, s, erik, "annika")
	greta := userNamed(t, s, erik, "greta")
	members := findUsers(t, s, erik, "", 30)
	var team []person // 21 members
	for _, m := range members {
		if m.Type == "member" && len(team) < 21 {
			team = append(team, m)
		}
	}
	// Each subtest buys a subscription of its own (5 licenses of Analytics
	// Pro, none assigned) and assigns what it needs: it stands alone, and
	// runs beside the others.
	fresh := func(t *testing.T, holders ...person) (subPage, sub string) {
		t.Helper()
		subPage = erikBuys(t, s, erik)
		sub = "/billing/licenses/" + subID(subPage)
		if len(holders) > 0 {
			s.do("POST", sub+"/assign", users(holders...), erik).wantStatus(t, http.StatusSeeOther)
		}
		return subPage, sub
	}

	t.Run("ListShowsTheSubscriptionsToChoose", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.get("/billing/licenses", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "<h1>Licenser</h1>", `<a href="`+sub+`">Analytics Pro</a>`, "0 av 5 tilldelade",
			`<td class="num" data-label="Lediga">5</td>`)
	})
	t.Run("HoldersPageShowsCountsAndAssign", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.get(sub, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<a href="/billing/licenses">Licenser</a>`, "<h1>Analytics Pro</h1>",
			"<dt>Totalt antal licenser</dt><dd>5</dd>", "<dt>Tilldelade</dt><dd>0</dd>", "<dt>Lediga</dt><dd>5</dd>",
			`href="`+sub+`/assign">Tilldela licenser</a>`, "Ingen har en licens", `src="/static/licenses.js?v=`)
		r.wantNotBody(t, ">Ta bort licenser</button>")
	})
	t.Run("SearchShowsResultsToPick", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.get(sub+"/assign?q=ann", erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Tilldela licenser till användare</h2>`, "Börja skriva ett namn",
			"upp till 20 användare åt gången", "bara tilldela licenser till personer i din organisation",
			`<label for="user-search">Namn eller e-post</label>`, `name="q" type="search" value="ann"`,
			`name="add" value="`+anna.ID+`">Lägg till<span class="visually-hidden"> Anna Lindberg</span>`,
			`name="add" value="`+annika.ID+`"`, "Anna-Karin Bergström", "Inga användare i listan än.",
			`formmethod="post">Tilldela</button>`)
		r = s.get(sub+"/assign?q=zzz", erik)
		r.wantBody(t, "Ingen i din organisation matchar det du skrev.")
	})
	t.Run("PickAndRemoveKeepTheList", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		v := users(anna)
		v.Set("q", "ann")
		v.Set("add", annika.ID)
		r := s.get(sub+"/assign?"+v.Encode(), erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<input type="hidden" name="user" value="`+anna.ID+`">`,
			`<input type="hidden" name="user" value="`+annika.ID+`">`, `<span id="chosen-count">2</span>/20`,
			`name="remove" value="`+annika.ID+`">Ta bort<span class="visually-hidden"> Annika Holm</span>`, "Finns i listan")
		r.wantNotBody(t, `name="add" value="`+anna.ID+`"`)
		r.wantBody(t, `<p id="chosen-empty" class="muted" hidden>`)
		v = users(anna, annika)
		v.Set("remove", anna.ID)
		r = s.get(sub+"/assign?"+v.Encode(), erik)
		r.wantBody(t, `<input type="hidden" name="user" value="`+annika.ID+`">`, `<span id="chosen-count">1</span>/20`)
		r.wantNotBody(t, `value="`+anna.ID+`"`)
	})
	t.Run("TwentyFirstUserRefused", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		v := users(team[:20]...)
		v.Set("add", team[20].ID)
		r := s.get(sub+"/assign?"+v.Encode(), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Du kan lägga till upp till 20 användare åt gången. Tilldela licenser till dessa först",
			`<span id="chosen-count">20</span>/20`, `name="user" value="`+team[19].ID+`"`)
		r.wantNotBody(t, `name="user" value="`+team[20].ID+`"`)
		r = s.do("POST", sub+"/assign", users(team...), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Du kan tilldela licenser till högst 20 användare åt gången. Ta bort 1 användare från listan.",
			`name="user" value="`+team[20].ID+`"`)
	})
	t.Run("GuestShownThenRefused", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.get(sub+"/assign?q=greta", erik)
		r.wantBody(t, `<span class="person-name">Greta Gästsson</span> <span class="tag">Gäst</span>`)
		r = s.do("POST", sub+"/assign", users(anna, greta), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Inget tilldelades: 1 användare i listan kan inte få en licens.",
			`<p class="field-error">Greta Gästsson är gäst och inte en person i din organisation, så hen kan inte få en licens.</p>`,
			`name="user" value="`+anna.ID+`"`, `name="user" value="`+greta.ID+`"`)
		en := withCookies(&http.Cookie{Name: "lang", Value: "en"}, s.signIn("erik@nordvik.example"))
		r = s.do("POST", sub+"/assign", users(greta), en)
		r.wantBody(t, "Nothing was assigned: 1 user in the list can&#39;t be given a license.",
			"Greta Gästsson is a guest, not a person in your organization, so they can&#39;t be given a license.")
		s.get(sub, erik).wantBody(t, "<dt>Tilldelade</dt><dd>0</dd>")
	})
	t.Run("DisabledRefused", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		former := person{ID: s.userIDByEmail(t, "former@nordvik.example")}
		r := s.do("POST", sub+"/assign", users(former), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Fredrik Forsmans konto är inaktiverat", `<span class="tag">Inaktiverad</span>`)
	})
	t.Run("NotEnoughFreeLicenses", func(t *testing.T) {
		t.Parallel()
		subPage, sub := fresh(t)
		r := s.do("POST", sub+"/assign", users(team[:6]...), erik)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "Inget tilldelades: bara 5 licenser är lediga, och listan har 6 användare.")
		s.get(sub, erik).wantBody(t, "<dt>Tilldelade</dt><dd>0</dd>")
		s.setAssigned(t, subPage, 5)
		s.get(sub+"/assign", erik).wantBody(t, "Alla licenser för den här prenumerationen är tilldelade.")
		r = s.do("POST", sub+"/assign", users(anna), erik)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, "Inget tilldelades: bara 0 licenser är lediga, och listan har 1 användare.")
	})
	t.Run("NothingChosen", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.do("POST", sub+"/assign", url.Values{"q": {"an"}}, erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Lägg till minst en användare i listan")
	})
	t.Run("AssignThenClose", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t)
		r := s.do("POST", sub+"/assign", users(anna, annika), erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, sub+"/assigned?"+users(anna, annika).Encode())
		r = s.get(r.Header.Get("Location"), erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Licenser har tilldelats 2 användare:", `<span class="person-name">Anna Lindberg</span>`,
			`<a class="button" href="`+sub+`">Stäng</a>`, "<dt>Tilldelade</dt><dd>2</dd>", "<dt>Lediga</dt><dd>3</dd>")
		r = s.get(sub, erik)
		r.wantBody(t, `<label class="person-name" for="holder-`+anna.ID+`">Anna Lindberg</label>`, "anna.lindberg@nordvik.example",
			`<input type="checkbox" name="user" value="`+annika.ID+`"`, ">Ta bort licenser</button>")
		s.get("/billing/licenses", erik).wantBody(t, "2 av 5 tilldelade")
	})
	t.Run("HolderRefused", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t, anna)
		r := s.get(sub+"/assign?q=anna+lind", erik)
		r.wantBody(t, "Har en licens")
		r.wantNotBody(t, `name="add" value="`+anna.ID+`"`)
		r = s.do("POST", sub+"/assign", users(anna), erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Anna Lindberg har redan en licens för den här prenumerationen.")
	})
	t.Run("UnassignAfterConfirming", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t, anna, annika)
		r := s.get(sub+"/unassign", erik)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.wantBody(t, "Markera de användare vars licenser du vill ta bort")
		r = s.get(sub+"/unassign?"+users(anna).Encode(), erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, `<h2 id="pane-heading">Ta bort licenser</h2>`, "Vill du ta bort tilldelningen av licensen för den här användaren?",
			`<input type="hidden" name="user" value="`+anna.ID+`"><span class="person">`, ">Ta bort tilldelning</button>",
			`value="`+anna.ID+`" id="holder-`+anna.ID+`" checked>`)
		s.get(sub, erik).wantBody(t, "<dt>Tilldelade</dt><dd>2</dd>") // asking changed nothing
		r = s.do("POST", sub+"/unassign", users(anna), erik)
		r.wantStatus(t, http.StatusSeeOther)
		r.wantLocation(t, sub+"?unassigned=1")
		r = s.get(sub+"?unassigned=1", erik)
		r.wantBody(t, "Tilldelningen av licensen för 1 användare har tagits bort", "<dt>Tilldelade</dt><dd>1</dd>", "Annika Holm")
		r.wantNotBody(t, "Anna Lindberg")
	})
	t.Run("OthersGet404", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t, annika)
		mike := withCookies(s.signIn("mike@harbor.example"))
		for _, path := range []string{sub, sub + "/assign", sub + "/assigned", sub + "/unassign?" + users(annika).Encode()} {
			s.get(path, mike).wantStatus(t, http.StatusNotFound)
		}
		s.do("POST", sub+"/assign", users(anna), mike).wantStatus(t, http.StatusNotFound)
		s.do("POST", sub+"/unassign", users(annika), mike).wantStatus(t, http.StatusNotFound)
		s.get("/billing/licenses", mike).wantNotBody(t, sub)
		hannah := userNamed(t, s, mike, "hannah")
		s.get(sub+"/assign?"+users(hannah).Encode(), erik).wantStatus(t, http.StatusNotFound)
		s.do("POST", sub+"/assign", users(anna, hannah), erik).wantStatus(t, http.StatusNotFound)
		s.get("/billing/licenses/sub_nothing", erik).wantStatus(t, http.StatusNotFound)
		s.get(sub, erik).wantBody(t, "<dt>Tilldelade</dt><dd>1</dd>")
	})
	t.Run("EndedNotListed", func(t *testing.T) {
		t.Parallel()
		ended := erikBuys(t, s, erik)
		s.do("POST", ended+"/cancel", url.Values{"reason": {"unused"}}, erik).wantStatus(t, http.StatusSeeOther)
		path := "/billing/licenses/" + ended[strings.LastIndex(ended, "/")+1:]
		s.get("/billing/licenses", erik).wantNotBody(t, path)
		r := s.get(path, erik)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "Den här prenumerationen har upphört")
		r.wantNotBody(t, "/assign\"")
		r = s.get(path+"/assign", erik)
		r.wantStatus(t, http.StatusConflict)
		r.wantBody(t, `<p class="alert" role="alert">Den här prenumerationen har upphört`)
		s.do("POST", path+"/assign", users(anna), erik).wantStatus(t, http.StatusConflict)
	})
	t.Run("ScriptServed", func(t *testing.T) {
		t.Parallel()
		r := s.get("/static/licenses.js", nil)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "/api/v1/users?limit=10&search=")
	})
	t.Run("AdminSeesThemReadOnly", func(t *testing.T) {
		t.Parallel()
		_, sub := fresh(t, annika)
		astrid := withCookies(s.signIn("astrid@nordvik.example"))
		r := s.get("/billing/licenses", astrid)
		r.wantBody(t, `<a href="`+sub+`">Analytics Pro</a>`, `<td data-label="Köpare">Erik Johansson</td>`)
		r = s.get(sub, astrid)
		r.wantStatus(t, http.StatusOK)
		r.wantBody(t, "skrivskyddad för administratörer", `<span class="person-name">Annika Holm</span>`, "<dt>Tilldelade</dt><dd>1</dd>")
		r.wantNotBody(t, `type="checkbox"`, "/assign\"", ">Ta bort licenser</button>")
		for _, path := range []string{sub + "/assign", sub + "/unassign?" + users(annika).Encode()} {
			r = s.get(path, astrid)
			r.wantStatus(t, http.StatusForbidden)
			r.wantBody(t, "Den här prenumerationen är skrivskyddad för dig")
		}
		s.do("POST", sub+"/assign", users(anna), astrid).wantStatus(t, http.StatusForbidden)
		s.do("POST", sub+"/unassign", users(annika), astrid).wantStatus(t, http.StatusForbidden)
		s.get(sub, erik).wantBody(t, "<dt>Tilldelade</dt><dd>1</dd>")
	})
}
