package api

import (
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

type groupStatesOut struct {
	Data []struct {
		User  struct{ ID, Name string }
		State string
	}
	NextCursor *string `json:"next_cursor"`
}

// TestGroupLicenses: a directory group linked to the organization's
// subscription gives its members licenses while there are free ones, in
// the order of their names; who waits is listed with why; licenses added
// go to those waiting at once; leaving the group, or unlinking it, takes
// back only what the group gave.
func TestGroupLicenses(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	astrid := newBuyer(ts, "astrid@nordvik.example")
	astrid.profile = ts.newProfile(astrid.token)
	hannah := ts.login("hannah@harbor.example")
	ctx := ts.actor("astrid@nordvik.example")
	tenant := kassa.ActorFromContext(ctx).Tenant.ID

	// The group: five members by name order, a guest and one disabled.
	var people userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=200", astrid.token, nil).body, &people)
	var members []string
	var guest string
	for _, u := range people.Data {
		switch {
		case u.Type == "guest":
			guest = u.ID
		case u.Email != "astrid@nordvik.example" && u.Email != "erik@nordvik.example" && len(members) < 6:
			members = append(members, u.ID)
		}
	}
	disabled := members[5]
	members = members[:5]
	if res := ts.do("PATCH", "/api/v1/admin/users/"+disabled, astrid.token, map[string]any{"status": "disabled"}); res.status != 200 {
		t.Fatalf("disable: %d %s", res.status, res.body)
	}
	g := &kassa.Group{DisplayName: "Sälj"}
	if err := ts.db.CreateGroup(ctx, tenant, g, append(slices.Clone(members[:4]), guest, disabled)); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, u := range people.Data {
		names[u.ID] = u.Name
	}
	byName := slices.Clone(members[:4])
	slices.SortFunc(byName, func(a, b string) int { return strings.Compare(names[a], names[b]) })

	sub := ts.adminSubscription(astrid, "ANALYTICS_PRO", 3)
	path := "/api/v1/admin/subscriptions/" + sub.ID + "/group"
	states := func(t *testing.T, query string) map[string]string {
		t.Helper()
		var l groupStatesOut
		res := ts.do("GET", "/api/v1/admin/subscriptions/"+sub.ID+"/group-states"+query, astrid.token, nil)
		if res.status != 200 {
			t.Fatalf("group states = %d %s", res.status, res.body)
		}
		mustUnmarshal(t, res.body, &l)
		out := map[string]string{}
		for _, m := range l.Data {
			out[m.User.ID] = m.State
		}
		return out
	}

	t.Run("BadInputNamesTheFieldAndChangesNothing", func(t *testing.T) {
		self := ts.buy(erik, "ANALYTICS_PRO", 2)
		wantError(t, ts.do("PUT", "/api/v1/admin/subscriptions/"+self.ID+"/group", astrid.token, map[string]any{"group_id": g.ID}),
			409, kassa.Conflict, "")
		for _, body := range []map[string]any{{"group_id": "grp_nope"}, {}, {"group_id": 7}} {
			wantError(t, ts.do("PUT", path, astrid.token, body), 422, kassa.Invalid, "group_id")
		}
		wantError(t, ts.do("PUT", path, erik.token, map[string]any{"group_id": g.ID}), 403, kassa.Forbidden, "")
		wantError(t, ts.do("PUT", path, hannah, map[string]any{"group_id": g.ID}), 404, kassa.NotFound, "")
		wantError(t, ts.do("GET", "/api/v1/admin/subscriptions/"+sub.ID+"/group-states", astrid.token, nil), 404, kassa.NotFound, "")
		if got := ts.subscriptionByID(astrid.token, sub.ID); got.Assigned != 0 {
			t.Errorf("refusals assigned %d licenses", got.Assigned)
		}
	})

	res := ts.do("PUT", path, astrid.token, map[string]any{"group_id": g.ID})
	var link struct {
		Group             struct{ ID, Name string }
		Licensed, Waiting int
	}
	mustUnmarshal(t, res.body, &link)
	if res.status != 200 || link.Group.Name != "Sälj" || link.Licensed != 3 || link.Waiting != 3 {
		t.Fatalf("link = %d %s", res.status, res.body)
	}

	t.Run("FirstByNameThenWhyNot", func(t *testing.T) {
		got := states(t, "")
		want := map[string]string{byName[0]: "licensed", byName[1]: "licensed", byName[2]: "licensed",
			byName[3]: "no_free_license", guest: "guest", disabled: "disabled"}
		if !maps(got, want) {
			t.Errorf("states = %v, want %v", got, want)
		}
		if got := states(t, "?waiting=true&limit=2"); len(got) != 2 || got[byName[3]] != "no_free_license" {
			t.Errorf("waiting, first page = %v", got)
		}
		wantError(t, ts.do("GET", "/api/v1/admin/subscriptions/"+sub.ID+"/group-states?waiting=maybe", astrid.token, nil),
			422, kassa.Invalid, "waiting")
	})

	t.Run("TheGroupsLicenseGoesThroughTheGroup", func(t *testing.T) {
		res := ts.do("POST", "/api/v1/subscriptions/"+sub.ID+"/licenses/unassign", astrid.token, map[string]any{"user_ids": byName[:1]})
		wantError(t, res, 422, kassa.Invalid, "user_ids")
		if !strings.Contains(string(res.body), "through a linked group") {
			t.Errorf("refusal says %s", res.body)
		}
		if got := ts.subscriptionByID(astrid.token, sub.ID); got.Assigned != 3 {
			t.Errorf("assigned %d after a refusal", got.Assigned)
		}
	})

	t.Run("LicensesAddedGoToThoseWaiting", func(t *testing.T) {
		if res := ts.do("PUT", "/api/v1/subscriptions/"+sub.ID+"/quantity", astrid.token, map[string]any{"quantity": 5}); res.status != 200 {
			t.Fatalf("add licenses: %d %s", res.status, res.body)
		}
		if got := states(t, "")[byName[3]]; got != "licensed" {
			t.Errorf("the waiting member is %s after licenses were added", got)
		}
		if got := ts.subscriptionByID(astrid.token, sub.ID); got.Assigned != 4 || got.Quantity != 5 {
			t.Errorf("after adding: %+v", got)
		}
	})

	t.Run("JoiningAndLeaving", func(t *testing.T) {
		// One joins and takes the last free license; one leaves and loses
		// hers; a license assigned by hand stays.
		manual := members[4]
		ts.assign(astrid.token, sub.ID, erik.id(t, ts))
		if _, err := ts.db.UpdateGroup(ctx, tenant, g.ID, kassa.GroupChange{Add: []string{manual}, Remove: []string{byName[0]}}); err != nil {
			t.Fatal(err)
		}
		got := states(t, "")
		if got[manual] != "licensed" || got[byName[0]] != "" {
			t.Errorf("after joining and leaving: %v", got)
		}
		if holders := ts.holderIDs(astrid.token, sub.ID); slices.Contains(holders, byName[0]) || !slices.Contains(holders, erik.id(t, ts)) {
			t.Errorf("holders %v", holders)
		}
		ts.checkSeats()
	})

	t.Run("UnlinkTakesBackOnlyTheGroups", func(t *testing.T) {
		if res := ts.do("DELETE", path, astrid.token, nil); res.status != 204 {
			t.Fatalf("unlink = %d %s", res.status, res.body)
		}
		if holders := ts.holderIDs(astrid.token, sub.ID); !slices.Equal(holders, []string{erik.id(t, ts)}) {
			t.Errorf("after unlinking, holders %v, want erik's by hand only", holders)
		}
		wantError(t, ts.do("DELETE", path, astrid.token, nil), 404, kassa.NotFound, "")
		ts.checkSeats()
	})

	t.Run("Audited", func(t *testing.T) {
		var l struct{ Data []struct{ Action string } }
		mustUnmarshal(t, ts.do("GET", "/api/v1/admin/audit-log?object_id="+sub.ID, astrid.token, nil).body, &l)
		var got []string
		for _, e := range l.Data {
			got = append(got, e.Action)
		}
		for _, want := range []string{"subscription.group_linked", "subscription.group_unlinked", "license.assigned", "license.unassigned"} {
			if !slices.Contains(got, want) {
				t.Errorf("audit log lacks %s: %v", want, got)
			}
		}
	})
}

// maps reports whether two maps hold the same.
func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// id returns the buyer's user id.
func (b buyer) id(t *testing.T, ts *testServer) string {
	t.Helper()
	return ts.me(b.token).ID
}
