package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
)

type licenseList struct {
	Data []struct {
		User       struct{ ID, Name, Email string }
		AssignedBy string `json:"assigned_by"`
	}
}

// members returns the ids of n active members of erik's tenant other than
// erik, and the guest's and the disabled user's ids.
func (ts *testServer) members(token string, n int) []string {
	ts.t.Helper()
	var l userList
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/users?limit=200", token, nil).body, &l)
	var ids []string
	for _, u := range l.Data {
		if u.Type == "member" && len(ids) < n {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

func TestLicenses(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	var sub subscriptionOut
	mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 25)).body, &sub)
	path := "/api/v1/subscriptions/" + sub.ID + "/licenses"
	people := ts.members(erik.token, 30)
	var guest string
	var l userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?search=gast@", erik.token, nil).body, &l)
	guest = l.Data[0].ID
	mike := ts.login("mike@harbor.example")
	var harbor userList
	mustUnmarshal(t, ts.do("GET", "/api/v1/users?limit=1", mike, nil).body, &harbor)

	assign := func(ids ...string) response { return ts.do("POST", path, erik.token, map[string]any{"user_ids": ids}) }

	res := assign(people[:20]...)
	var got licenseList
	mustUnmarshal(t, res.body, &got)
	if res.status != http.StatusCreated || len(got.Data) != 20 || got.Data[0].AssignedBy == "" {
		t.Fatalf("assign 20 = %d %s", res.status, res.body)
	}

	t.Run("TwentyAtMost", func(t *testing.T) {
		wantError(t, assign(people[:21]...), 422, kassa.Invalid, "user_ids")
		wantError(t, assign(), 422, kassa.Invalid, "user_ids")
		wantError(t, assign(people[21], people[21]), 422, kassa.Invalid, "user_ids")
	})
	t.Run("OnlyActiveMembersEachNamed", func(t *testing.T) {
		res := assign(people[21], guest, harbor.Data[0].ID, people[0])
		wantError(t, res, 422, kassa.Invalid, "user_ids")
		for _, want := range []string{"Greta Gästsson is a guest", harbor.Data[0].ID + " is not a user", "already has a license"} {
			if !strings.Contains(string(res.body), want) {
				t.Errorf("the refusal does not say %q: %s", want, res.body)
			}
		}
		if s := ts.subscriptionByID(erik.token, sub.ID); s.Assigned != 20 {
			t.Errorf("a refused batch changed the count to %d", s.Assigned)
		}
	})
	t.Run("AllOrNothingWhenItDoesNotFit", func(t *testing.T) {
		res := assign(people[20:26]...) // 6 asked, 5 free
		wantError(t, res, 409, kassa.Conflict, "")
		if !strings.Contains(string(res.body), "Only 5 licenses are free") {
			t.Errorf("409 does not say how many are free: %s", res.body)
		}
		if s := ts.subscriptionByID(erik.token, sub.ID); s.Assigned != 20 || s.Available != 5 {
			t.Errorf("after a refused batch: %d assigned, %d available", s.Assigned, s.Available)
		}
	})
	t.Run("Unassign", func(t *testing.T) {
		res := ts.do("POST", path+"/unassign", erik.token, map[string]any{"user_ids": people[:3]})
		var gone licenseList
		mustUnmarshal(t, res.body, &gone)
		if res.status != 200 || len(gone.Data) != 3 {
			t.Fatalf("unassign = %d %s", res.status, res.body)
		}
		wantError(t, ts.do("POST", path+"/unassign", erik.token, map[string]any{"user_ids": []string{people[0], people[5]}}), 422, kassa.Invalid, "user_ids")
		var now licenseList
		mustUnmarshal(t, ts.do("GET", path, erik.token, nil).body, &now)
		if len(now.Data) != 17 {
			t.Errorf("%d licenses after unassigning 3 of 20", len(now.Data))
		}
	})
	t.Run("OnlyTheManagerChanges", func(t *testing.T) {
		astrid := ts.login("astrid@nordvik.example")
		if res := ts.do("GET", path, astrid, nil); res.status != 200 {
			t.Errorf("the admin cannot read the licenses: %d", res.status)
		}
		res := ts.do("POST", path, astrid, map[string]any{"user_ids": people[25:26]})
		wantError(t, res, 403, kassa.Forbidden, "")
		wantError(t, ts.do("GET", path, mike, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("POST", path, ts.login("anna.lindberg@nordvik.example"), map[string]any{"user_ids": people[25:26]}), 404, kassa.NotFound, "")
	})
	t.Run("CancelReleasesLicenses", func(t *testing.T) {
		ts.do("POST", "/api/v1/subscriptions/"+sub.ID+"/cancel", erik.token, map[string]string{"reason": "other"})
		var now licenseList
		mustUnmarshal(t, ts.do("GET", path, erik.token, nil).body, &now)
		if s := ts.subscriptionByID(erik.token, sub.ID); s.Assigned != 0 || len(now.Data) != 0 {
			t.Errorf("after cancelling: %d assigned, %d licenses", s.Assigned, len(now.Data))
		}
		wantError(t, assign(people[0]), 409, kassa.Conflict, "")
	})
}

func (ts *testServer) subscriptionByID(token, id string) subscriptionOut {
	ts.t.Helper()
	var s subscriptionOut
	mustUnmarshal(ts.t, ts.do("GET", "/api/v1/subscriptions/"+id, token, nil).body, &s)
	return s
}

// TestLastLicenseRace sends 64 requests at once for the last free license,
// each for another user, many times over: exactly one wins each time.
func TestLastLicenseRace(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	people := ts.members(erik.token, 45)
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	for round := range rounds {
		var sub subscriptionOut
		mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("PROJECT_PLAN", 1)).body, &sub)
		path := "/api/v1/subscriptions/" + sub.ID + "/licenses"
		var wg sync.WaitGroup
		codes := make(chan int, 64)
		for i := range 64 {
			wg.Go(func() {
				codes <- ts.doRaw("POST", path, erik.token, map[string]any{"user_ids": []string{people[i%len(people)]}}).status
			})
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[201] != 1 || count[201]+count[409]+count[422] != 64 {
			t.Fatalf("round %d: answers %v, want exactly one 201", round, count)
		}
		if s := ts.subscriptionByID(erik.token, sub.ID); s.Assigned != 1 {
			t.Fatalf("round %d: %d assigned of 1", round, s.Assigned)
		}
	}
}
