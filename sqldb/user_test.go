package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// mustTenant makes a tenant with the named users (the first an admin) and
// returns a context acting as that admin.
func mustTenant(t *testing.T, db *sqldb.DB, name string, users ...string) (context.Context, []*kassa.User) {
	t.Helper()
	ctx := context.Background()
	ten := &kassa.Tenant{Name: name, Country: "SE", Currency: "SEK", Locale: "sv"}
	if err := db.CreateTenant(ctx, ten); err != nil {
		t.Fatal(err)
	}
	var made []*kassa.User
	for i, n := range users {
		u := &kassa.User{Name: n, Email: emailOf(n, name), Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser}
		if i == 0 {
			u.Role = kassa.RoleAdmin
		}
		if err := db.CreateUser(ctx, ten.ID, u, "x"); err != nil {
			t.Fatal(err)
		}
		made = append(made, u)
	}
	return kassa.NewContextWithActor(ctx, &kassa.Actor{User: made[0], Tenant: ten}), made
}

func emailOf(name, tenant string) string {
	out := []rune{}
	for _, r := range kassa.FoldAccents(name) {
		if r == ' ' {
			r = '.'
		}
		out = append(out, r)
	}
	return string(out) + "@" + kassa.FoldAccents(tenant[:3]) + ".example"
}

func names(users []*kassa.User) []string {
	var n []string
	for _, u := range users {
		n = append(n, u.Name)
	}
	return n
}

func TestFindUsers(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx, _ := mustTenant(t, db, "Nordvik", "Astrid Lund", "Erik Andersson", "Erika Berg",
		"Åsa Öberg", "Anna-Karin Ek", "Olle Ericsson")
	other, _ := mustTenant(t, db, "Harbor", "Hannah Erikson", "Mike Stone")

	tests := []struct {
		search string
		want   []string
	}{
		{"", []string{"Anna-Karin Ek", "Astrid Lund", "Erik Andersson", "Erika Berg", "Olle Ericsson", "Åsa Öberg"}},
		{"eri", []string{"Erik Andersson", "Erika Berg", "Olle Ericsson"}},
		{"ERIKA", []string{"Erika Berg"}},
		{"erik and", []string{"Erik Andersson"}},
		{"asa", []string{"Åsa Öberg"}},
		{"å", []string{"Åsa Öberg"}},
		{"ö", []string{"Åsa Öberg"}},
		{"karin", []string{"Anna-Karin Ek"}},
		{"olle.ericsson@", []string{"Olle Ericsson"}},
		{"hannah", nil},
		{"zz", nil},
	}
	for _, tt := range tests {
		got, _, err := db.FindUsers(ctx, kassa.UserFilter{Search: tt.search})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(got), tt.want) {
			t.Errorf("FindUsers(%q) = %q, want %q", tt.search, names(got), tt.want)
		}
	}

	t.Run("OtherTenantSeesOnlyItsOwn", func(t *testing.T) {
		got, _, err := db.FindUsers(other, kassa.UserFilter{Search: "eri"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"Hannah Erikson"}; !slices.Equal(names(got), want) {
			t.Errorf("FindUsers = %q, want %q", names(got), want)
		}
	})

	t.Run("PagesWithCursor", func(t *testing.T) {
		var all []string
		cursor := ""
		for range 10 {
			page, next, err := db.FindUsers(ctx, kassa.UserFilter{Limit: 4, After: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, names(page)...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if len(all) != 6 || !slices.IsSorted(all) {
			t.Errorf("pages = %q, want the 6 users in order", all)
		}
	})

	t.Run("BadCursorIsInvalid", func(t *testing.T) {
		_, _, err := db.FindUsers(ctx, kassa.UserFilter{After: "!!"})
		if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "cursor" {
			t.Errorf("err = %v, want invalid cursor", err)
		}
	})

	t.Run("NoActorIsUnauthorized", func(t *testing.T) {
		_, _, err := db.FindUsers(context.Background(), kassa.UserFilter{})
		if kassa.ErrorCode(err) != kassa.Unauthorized {
			t.Errorf("err = %v, want unauthorized", err)
		}
	})

	t.Run("OtherTenantsUserIsNotFound", func(t *testing.T) {
		theirs, _, _ := db.FindUsers(other, kassa.UserFilter{Search: "mike"})
		if _, err := db.FindUserByID(ctx, theirs[0].ID); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("FindUserByID(other tenant's user) err = %v, want not_found", err)
		}
	})
}
