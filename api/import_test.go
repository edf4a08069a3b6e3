package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/people"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

type importOut struct {
	DryRun   bool `json:"dry_run"`
	Added    int
	Existing int
	Lines    []struct {
		Line                    int
		Email, Name, Type, Role string
		Outcome                 string
		UserID                  string `json:"user_id"`
	}
}

func TestImportPeople(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	raw := sqldbtest.Raw(t, ts.dsn)
	astrid := ts.login("astrid@nordvik.example")
	post := func(query string, body string) response {
		return ts.do("POST", "/api/v1/admin/users/import"+query, astrid, csvBody(body))
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	users := func() int { return count(`SELECT COUNT(*) FROM users`) }
	events := func() int { return count(`SELECT COUNT(*) FROM audit_log`) }

	file := "email,name,type,role\n" +
		"Erik@nordvik.example,Erik Johansson,member,user\n" +
		"ines.holm@nordvik.example,Ines Holm,,\n" +
		"\"gast.tva@partner.example\",\"Gäst, Två\",Guest,User\n"
	t.Run("DryRunTellsEachLineAndWritesNothing", func(t *testing.T) {
		before, audited := users(), events()
		res := post("?dry_run=true", file)
		var out importOut
		mustUnmarshal(t, res.body, &out)
		if res.status != 200 || !out.DryRun || out.Added != 2 || out.Existing != 1 || len(out.Lines) != 3 {
			t.Fatalf("dry run = %d %s", res.status, res.body)
		}
		want := []string{"2 erik@nordvik.example exists", "3 ines.holm@nordvik.example add", "4 gast.tva@partner.example add"}
		for i, l := range out.Lines {
			if got := fmt.Sprintf("%d %s %s", l.Line, l.Email, l.Outcome); got != want[i] || l.UserID != "" {
				t.Errorf("line %d = %s (%q), want %s", i, got, l.UserID, want[i])
			}
		}
		if out.Lines[2].Name != "Gäst, Två" || out.Lines[2].Type != "guest" || out.Lines[1].Role != "user" {
			t.Errorf("lines = %+v", out.Lines)
		}
		if users() != before || events() != audited {
			t.Errorf("a dry run wrote: users %d → %d, events %d → %d", before, users(), audited, events())
		}
	})
	t.Run("ImportAddsAndInvitesOnce", func(t *testing.T) {
		invites := `SELECT COUNT(*) FROM outbox WHERE kind = 'invitation'`
		before, mailed := users(), count(invites)
		res := post("", file)
		var out importOut
		mustUnmarshal(t, res.body, &out)
		if res.status != 201 || out.DryRun || out.Added != 2 || out.Existing != 1 || out.Lines[1].UserID == "" {
			t.Fatalf("import = %d %s", res.status, res.body)
		}
		if users() != before+2 || count(invites) != mailed+2 {
			t.Errorf("users %d → %d, invitations %d → %d; want 2 more of each", before, users(), mailed, count(invites))
		}
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.created' AND object_id = $1`, out.Lines[1].UserID); n != 1 {
			t.Errorf("%d audit events for the person added, want 1", n)
		}
		res = post("", file) // again: everyone is there already
		mustUnmarshal(t, res.body, &out)
		if res.status != 200 || out.Added != 0 || out.Existing != 3 || users() != before+2 {
			t.Fatalf("import again = %d %s", res.status, res.body)
		}
	})
	t.Run("ABadLineImportsNothing", func(t *testing.T) {
		before, audited := users(), events()
		res := post("", "email,name,type,role\n"+
			"kim.lund@nordvik.example,Kim Lund,member,user\n"+
			"not-an-email,Lo Berg,member,user\n"+
			"kim.lund@nordvik.example,Kim Lund Again,member,user\n"+
			"mike@harbor.example,Mike,member,user\n"+
			"sam@nordvik.example,Sam,owner,user\n"+
			"tove@nordvik.example,,member,user\n"+
			"ulf@nordvik.example,Ulf,member\n")
		var e struct {
			Error struct {
				Code     kassa.Code
				Message  string
				Problems []struct {
					Line    int
					Field   string
					Message string
				}
			}
		}
		mustUnmarshal(t, res.body, &e)
		if res.status != 422 || e.Error.Code != kassa.Invalid {
			t.Fatalf("import = %d %s", res.status, res.body)
		}
		want := []string{"3 email", "4 email", "5 email", "6 type", "7 name", "8 "}
		var got []string
		for _, p := range e.Error.Problems {
			got = append(got, fmt.Sprintf("%d %s", p.Line, p.Field))
			if p.Field != "" && !strings.Contains(p.Message, p.Field) {
				t.Errorf("line %d: %q does not name %s", p.Line, p.Message, p.Field)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("problems at %v, want %v: %s", got, want, res.body)
		}
		if users() != before || events() != audited {
			t.Errorf("a refused import wrote: users %d → %d", before, users())
		}
	})
	t.Run("SpreadsheetCSV", func(t *testing.T) {
		res := post("?dry_run=true", "\uFEFFName;E-mail\n")
		wantError(t, res, 422, kassa.Invalid, "")
		if !strings.Contains(string(res.body), `"line":1`) || !strings.Contains(string(res.body), "E-mail") {
			t.Errorf("unknown column: %s", res.body)
		}
		res = post("?dry_run=true", "\uFEFFName;Email\r\nÅsa Öberg;asa.oberg@nordvik.example\r\n")
		var out importOut
		mustUnmarshal(t, res.body, &out)
		if res.status != 200 || out.Added != 1 || out.Lines[0].Name != "Åsa Öberg" {
			t.Fatalf("semicolons and a byte order mark = %d %s", res.status, res.body)
		}
	})
	t.Run("BadRequests", func(t *testing.T) {
		wantError(t, ts.do("POST", "/api/v1/admin/users/import", astrid, "email,name\nx@nordvik.example,X\n"),
			400, kassa.BadRequest, "")
		wantError(t, post("?dry_run=yes", "email,name\nx@nordvik.example,X\n"), 422, kassa.Invalid, "dry_run")
		wantError(t, post("", ""), 422, kassa.Invalid, "")
		wantError(t, post("", "email,name\n"), 422, kassa.Invalid, "")
		wantError(t, post("", "email,name\n\"x@nordvik.example,X\n"), 422, kassa.Invalid, "")
		wantError(t, post("", "email,name\nx@nordvik.example,\xff\n"), 422, kassa.Invalid, "")
		var many strings.Builder
		many.WriteString("email,name\n")
		for i := range people.MaxLines + 1 {
			fmt.Fprintf(&many, "p%d@nordvik.example,P %d\n", i, i)
		}
		wantError(t, post("?dry_run=true", many.String()), 422, kassa.Invalid, "")
		erik := ts.login("erik@nordvik.example")
		wantError(t, ts.do("POST", "/api/v1/admin/users/import", erik, csvBody("email,name\nx@nordvik.example,X\n")),
			403, kassa.Forbidden, "")
	})
}
