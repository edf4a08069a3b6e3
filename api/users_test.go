package api

import (
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

type userList struct {
	Data []struct {
		ID, Name, Email, Type, Status string
	}
	NextCursor *string `json:"next_cursor"`
}

func (l userList) emails() []string {
	var e []string
	for _, u := range l.Data {
		e = append(e, u.Email)
	}
	return e
}

func TestUsers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := ts.login("erik@nordvik.example")
	mike := ts.login("mike@harbor.example")

	get := func(t *testing.T, token, query string) userList {
		t.Helper()
		res := ts.do("GET", "/api/v1/users"+query, token, nil)
		if res.status != 200 {
			t.Fatalf("users%s = %d %s", query, res.status, res.body)
		}
		var l userList
		mustUnmarshal(t, res.body, &l)
		return l
	}

	t.Run("DefaultLimitIs20", func(t *testing.T) {
		l := get(t, erik, "")
		if len(l.Data) != 20 || l.NextCursor == nil {
			t.Fatalf("got %d users, cursor %v; want 20 and a cursor", len(l.Data), l.NextCursor)
		}
	})

	t.Run("PagesCoverTheTenantOnce", func(t *testing.T) {
		var all []string
		q := "?limit=7"
		for range 20 {
			l := get(t, erik, q)
			all = append(all, l.emails()...)
			if l.NextCursor == nil {
				break
			}
			q = "?limit=7&cursor=" + *l.NextCursor
		}
		sorted := slices.Clone(all)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(all) || len(all) < 45 {
			t.Fatalf("pages gave %d users (%d distinct)", len(all), len(slices.Compact(sorted)))
		}
		if !slices.Contains(all, "gast@partner.example") {
			t.Errorf("the guest is missing")
		}
		if slices.Contains(all, "former@nordvik.example") {
			t.Errorf("the disabled user is listed")
		}
		for _, e := range all {
			if strings.HasSuffix(e, "@harbor.example") {
				t.Fatalf("another tenant's user %s is listed", e)
			}
		}
	})

	t.Run("TypeaheadNarrows", func(t *testing.T) {
		for _, tt := range []struct {
			search string
			want   []string
		}{
			{"ann", []string{"anna.lindberg@nordvik.example", "annakarin.bergstrom@nordvik.example", "anneli.sjoberg@nordvik.example", "annika.holm@nordvik.example"}},
			{"anne", []string{"anneli.sjoberg@nordvik.example"}},
			{"karin", []string{"annakarin.bergstrom@nordvik.example", "karin.lindholm@nordvik.example"}},
			{"ERIK", []string{"erik@nordvik.example", "erika.sandberg@nordvik.example"}},
			{"joh", []string{"erik@nordvik.example", "johan.berglund@nordvik.example", "johanna.akesson@nordvik.example"}},
			{"erik johansson", []string{"erik@nordvik.example"}},
			{"åsa", []string{"asa.ostlund@nordvik.example"}},
			{"gast@", []string{"gast@partner.example"}},
			{"mike", nil},
		} {
			got := get(t, erik, "?search="+strings.ReplaceAll(tt.search, " ", "+")).emails()
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %q = %q, want %q", tt.search, got, tt.want)
			}
		}
	})

	t.Run("OtherTenantSeesItsOwn", func(t *testing.T) {
		l := get(t, mike, "?limit=200")
		if len(l.Data) != 8 || l.NextCursor != nil {
			t.Fatalf("harbor has %d users listed, want 8: %q", len(l.Data), l.emails())
		}
		if got := get(t, mike, "?search=erik").emails(); len(got) != 0 {
			t.Errorf("mike finds %q", got)
		}
	})

	for _, q := range []string{"?limit=0", "?limit=201", "?limit=abc", "?limit=-1", "?limit=1.5"} {
		t.Run("Invalid"+q, func(t *testing.T) {
			wantError(t, ts.do("GET", "/api/v1/users"+q, erik, nil), 422, kassa.Invalid, "limit")
		})
	}
	t.Run("InvalidCursor", func(t *testing.T) {
		wantError(t, ts.do("GET", "/api/v1/users?cursor=%25%25", erik, nil), 422, kassa.Invalid, "cursor")
	})
	t.Run("MaxLimit", func(t *testing.T) {
		if l := get(t, erik, "?limit=200"); len(l.Data) < 45 || l.NextCursor != nil {
			t.Errorf("limit=200 gave %d users", len(l.Data))
		}
	})
	t.Run("SearchIsNotSQL", func(t *testing.T) {
		if l := get(t, erik, "?search=a'+OR+1%3D1%3B--"); len(l.Data) != 0 {
			t.Errorf("got %d users", len(l.Data))
		}
	})
	t.Run("TooManyWords", func(t *testing.T) {
		q := "?search=" + strings.Repeat("a+", 6)
		wantError(t, ts.do("GET", "/api/v1/users"+q, erik, nil), 422, kassa.Invalid, "search")
	})
}
