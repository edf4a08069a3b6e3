package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// userStride walks the tenant's users in an order that visits each once
// (it is prime to their number), so that no two assignments to one
// subscription name the same user.
const userStride = 7919

// seats hands out the users a subscription's licenses go to.
type seats struct {
	id    string // the subscription's
	start int
	next  atomic.Int64
	full  atomic.Bool
	limit int64 // users to hand out at most
	users int   // in the tenant
}

// take returns the next user's index, or false when none is left.
func (s *seats) take() (int, bool) {
	k := s.next.Add(1) - 1
	if k >= s.limit {
		return 0, false
	}
	return (s.start + int(k)*userStride) % s.users, true
}

func newSeats(id string, i int, limit int64, users int) *seats {
	return &seats{id: id, start: (i * 613) % users, limit: min(limit, int64(users)), users: users}
}

// assign asks for one user's license of s with token: done when it is
// given, refused when the subscription is full.
func (b *run) assign(ctx context.Context, token string, s *seats) (outcome, error) {
	i, ok := s.take()
	if !ok {
		return stop, nil
	}
	status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/subscriptions/"+s.id+"/licenses", token,
		map[string][]string{"user_ids": {b.tenant.userIDs.at(i)}})
	if err == nil && status == http.StatusConflict {
		s.full.Store(true)
		return refused, nil
	}
	return done, expect(status, body, err, http.StatusCreated, "assign")
}

// assignMany has each worker assign licenses of its purchaser's
// subscriptions in turn, one user per request.
func (b *run) assignMany(ctx context.Context, d time.Duration) stats {
	var all [][]*seats // per purchaser
	for i, p := range b.tenant.purchasers {
		var ss []*seats
		for j := range p.subs.len() {
			ss = append(ss, newSeats(p.subs.at(j), i*subsEach+j, seededQty, b.tenant.userIDs.len()))
		}
		all = append(all, ss)
	}
	turns := make([]int, b.cfg.Clients)
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		p := w % len(b.tenant.purchasers)
		for range subsEach {
			s := all[p][turns[w]%subsEach]
			turns[w]++
			if !s.full.Load() {
				return b.assign(ctx, b.tenant.purchasers[p].token, s)
			}
		}
		return stop, nil
	})
}

// hotClients is how many clients the hot subscription gets, as the issue
// that asked for the figure says.
const hotClients = 64

// assignHot has hotClients workers assign licenses of one subscription.
func (b *run) assignHot(ctx context.Context, d time.Duration) stats {
	s := newSeats(b.tenant.hot.ID, 0, hotQuantity, b.tenant.userIDs.len())
	token := b.tenant.purchasers[0].token
	return runPhase(ctx, hotClients, d, func(ctx context.Context, w int) (outcome, error) {
		return b.assign(ctx, token, s)
	})
}

// fillLimit has hotClients workers race for the limit subscription's
// licenses, three users each: more than it has. Exactly its quantity must be
// assigned.
func (b *run) fillLimit(ctx context.Context) stats {
	s := newSeats(b.tenant.limit.ID, 0, 3*hotClients, b.tenant.userIDs.len())
	token := b.tenant.purchasers[0].token
	// The race ends when every worker is refused; the deadline only stops
	// one that hangs.
	return runPhase(ctx, hotClients, 2*time.Minute, func(ctx context.Context, w int) (outcome, error) {
		return b.assign(ctx, token, s)
	})
}

// licenseCount reads a subscription's quantity, assigned count and the
// licenses listed, as its purchaser sees them.
func (b *run) licenseCount(ctx context.Context, sub *kassa.Subscription) (quantity, assigned, listed int, err error) {
	token := b.tenant.purchasers[0].token
	status, body, err := b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions/"+sub.ID, token, nil)
	if err := expect(status, body, err, http.StatusOK, "read subscription"); err != nil {
		return 0, 0, 0, err
	}
	var s struct{ Quantity, Assigned int }
	if err := json.Unmarshal(body, &s); err != nil {
		return 0, 0, 0, err
	}
	status, body, err = b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions/"+sub.ID+"/licenses", token, nil)
	if err := expect(status, body, err, http.StatusOK, "list licenses"); err != nil {
		return 0, 0, 0, err
	}
	var l struct{ Data []json.RawMessage }
	if err := json.Unmarshal(body, &l); err != nil {
		return 0, 0, 0, err
	}
	return s.Quantity, s.Assigned, len(l.Data), nil
}

// purchase has each worker buy subscriptions of five licenses as its
// purchaser, each with its own Idempotency-Key.
func (b *run) purchase(ctx context.Context, d time.Duration) stats {
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		p := b.tenant.purchasers[w%len(b.tenant.purchasers)]
		status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/subscriptions", p.token, map[string]any{
			"product_id": b.tenant.product.ID, "term": kassa.Monthly, "quantity": 5, "billing_profile_id": p.profileID,
		}, "Idempotency-Key", rand.Text())
		return done, expect(status, body, err, http.StatusCreated, "purchase")
	})
}

// list has each worker list its purchaser's subscriptions.
func (b *run) list(ctx context.Context, d time.Duration) stats {
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		p := b.tenant.purchasers[w%len(b.tenant.purchasers)]
		status, body, err := b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions", p.token, nil)
		return done, expect(status, body, err, http.StatusOK, "list subscriptions")
	})
}

// read has each worker read its purchaser's subscriptions one by one.
func (b *run) read(ctx context.Context, d time.Duration) stats {
	turns := make([]int, b.cfg.Clients)
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		p := b.tenant.purchasers[w%len(b.tenant.purchasers)]
		sub := p.subs.at(turns[w] % p.subs.len())
		turns[w]++
		status, body, err := b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions/"+sub, p.token, nil)
		return done, expect(status, body, err, http.StatusOK, "read subscription")
	})
}

// trivial measures the same clients against a handler that does nothing
// but answer JSON: what net/http and the client cost on this machine.
func (b *run) trivial(ctx context.Context, d time.Duration, base string) stats {
	c := newClient(base, b.cfg.Clients)
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		status, body, err := c.do(ctx, http.MethodGet, "/", "", nil)
		return done, expect(status, body, err, http.StatusOK, "trivial")
	})
}

// raw measures the raw commit rate: each of loops workers commits
// single-row UPDATEs of its own row, through kassa's own connections.
func (b *run) raw(ctx context.Context, d time.Duration, loops int, rc *sqldb.RawCommits) stats {
	return runPhase(ctx, loops, d, func(ctx context.Context, w int) (outcome, error) {
		return done, rc.Commit(ctx, w)
	})
}

// renew runs the billing clock over the seeded subscriptions, all due, and
// measures how long it takes to renew them; limit only stops a run that
// hangs.
func (b *run) renew(ctx context.Context, limit time.Duration) stats {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	n, err := b.billing.RunDue(ctx, time.Now(), nil)
	s := stats{Done: int64(n), Elapsed: time.Since(start)}
	if err != nil {
		s.Failed, s.errors = 1, []string{fmt.Sprintf("renewal run: %v", err)}
	}
	return s
}

// adminViewClients is how many admins read their view at once.
const adminViewClients = 4

// adminView has a few admins read the first page of the view of every
// self-service purchase, newest first.
func (b *run) adminView(ctx context.Context, d time.Duration, token string) stats {
	return runPhase(ctx, adminViewClients, d, func(ctx context.Context, w int) (outcome, error) {
		status, body, err := b.client.do(ctx, http.MethodGet, "/api/v1/admin/self-service-subscriptions", token, nil)
		return done, expect(status, body, err, http.StatusOK, "admin view")
	})
}

// export asks once for the admins' view as CSV and counts its rows as they
// come, without keeping them.
func (b *run) export(ctx context.Context, token string) stats {
	start := time.Now()
	s := stats{}
	rows, err := b.client.lines(ctx, "/api/v1/admin/self-service-subscriptions?format=csv", token)
	s.Elapsed = time.Since(start)
	s.latencies = []time.Duration{s.Elapsed}
	if err != nil {
		s.Failed, s.errors = 1, []string{"export: " + err.Error()}
		return s
	}
	s.Done = max(0, rows-1) // the header is no row
	return s
}
