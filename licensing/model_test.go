package licensing_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// model is what a subscription should be.
type model struct {
	quantity int
	holders  map[string]bool
	ended    bool
}

// TestStateMachine runs random sequences of purchase, set total, assign,
// unassign and cancel against the real services and a simple model, and
// checks after every step that the database agrees with the model and that
// assigned ≤ quantity.
func TestStateMachine(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	b := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	l := licensing.New(db)
	creds, _ := db.FindCredentials(t.Context(), "erik@nordvik.example")
	ctx := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	users, _, _ := db.FindUsers(ctx, kassa.UserFilter{Limit: 200})
	var people []string
	for _, u := range users {
		if u.Type == kassa.Member {
			people = append(people, u.ID)
		}
	}
	products, _ := db.FindProducts(ctx)
	profiles, _ := db.FindBillingProfiles(ctx)

	rapid.Check(t, func(rt *rapid.T) {
		subs := map[string]*model{}
		var ids []string
		pick := func() (string, *model) {
			id := rapid.SampledFrom(ids).Draw(rt, "subscription")
			return id, subs[id]
		}
		chooseUsers := func(label string) []string {
			return rapid.SliceOfNDistinct(rapid.SampledFrom(people), 1, 6, rapid.ID[string]).Draw(rt, label)
		}
		check := func() {
			for id, m := range subs {
				s, err := db.FindSubscriptionByID(ctx, id)
				if err != nil {
					rt.Fatal(err)
				}
				as, err := db.FindLicenses(ctx, id)
				if err != nil {
					rt.Fatal(err)
				}
				var got []string
				for _, a := range as {
					got = append(got, a.User.ID)
				}
				var want []string
				for u := range m.holders {
					want = append(want, u)
				}
				slices.Sort(got)
				slices.Sort(want)
				if s.Assigned > s.Quantity || s.Assigned != len(got) || !slices.Equal(got, want) || s.Quantity != m.quantity {
					rt.Fatalf("%s: quantity %d (model %d), assigned %d, holders %v, model %v", id, s.Quantity, m.quantity, s.Assigned, got, want)
				}
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"purchase": func(rt *rapid.T) {
				q := rapid.IntRange(1, 8).Draw(rt, "quantity")
				s, _, err := b.Purchase(ctx, billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly,
					Quantity: q, BillingProfileID: profiles[0].ID}, "")
				if err != nil {
					rt.Fatal(err)
				}
				subs[s.ID] = &model{quantity: q, holders: map[string]bool{}}
				ids = append(ids, s.ID)
			},
			"setTotal": func(rt *rapid.T) {
				if len(ids) == 0 {
					rt.Skip()
				}
				id, m := pick()
				q := rapid.IntRange(1, 10).Draw(rt, "total")
				_, _, err := b.SetQuantity(ctx, id, q, "")
				switch {
				case m.ended || q < len(m.holders):
					if kassa.ErrorCode(err) != kassa.Conflict {
						rt.Fatalf("set %d on %v: %v, want conflict", q, m, err)
					}
				case err != nil:
					rt.Fatalf("set %d: %v", q, err)
				default:
					m.quantity = q
				}
			},
			"assign": func(rt *rapid.T) {
				if len(ids) == 0 {
					rt.Skip()
				}
				id, m := pick()
				us := chooseUsers("assign")
				_, err := l.Assign(ctx, id, us)
				dup := slices.ContainsFunc(us, func(u string) bool { return m.holders[u] })
				switch {
				case dup:
					if kassa.ErrorCode(err) != kassa.Invalid {
						rt.Fatalf("assigning a holder again: %v", err)
					}
				case m.ended || len(m.holders)+len(us) > m.quantity:
					if kassa.ErrorCode(err) != kassa.Conflict {
						rt.Fatalf("assign %d to %v: %v, want conflict", len(us), m, err)
					}
				case err != nil:
					rt.Fatalf("assign: %v", err)
				default:
					for _, u := range us {
						m.holders[u] = true
					}
				}
			},
			"unassign": func(rt *rapid.T) {
				if len(ids) == 0 {
					rt.Skip()
				}
				id, m := pick()
				us := chooseUsers("unassign")
				_, err := l.Unassign(ctx, id, us)
				all := !slices.ContainsFunc(us, func(u string) bool { return !m.holders[u] })
				if all != (err == nil) {
					rt.Fatalf("unassign %v from %v: %v", us, m.holders, err)
				}
				if err == nil {
					for _, u := range us {
						delete(m.holders, u)
					}
				}
			},
			"cancel": func(rt *rapid.T) {
				if len(ids) == 0 {
					rt.Skip()
				}
				id, m := pick()
				_, err := b.Cancel(ctx, id, "other", "")
				if m.ended != (err != nil) {
					rt.Fatalf("cancel of %v: %v", m, err)
				}
				m.ended, m.holders = true, map[string]bool{} // within 7 days: at once
			},
			"": func(rt *rapid.T) { check() },
		})
	})
}
