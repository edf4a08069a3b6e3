package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-billing/kassa"
)

// A soak runs a mixed load for a long time and samples the process every
// interval: a leak, of memory or goroutines, shows as a line that keeps
// rising, and a slowdown as a rising p99.

// SoakConfig says how to soak.
type SoakConfig struct {
	DB       string        // as Config.DB
	Duration time.Duration // how long the load runs
	Interval time.Duration // between samples; 0 is a minute
	Clients  int           // concurrent HTTP clients, each a purchaser of its own (at most Subscriptions/10)
	// Users and Subscriptions size the tenant (as in Config); the seeded
	// subscriptions fall due one after another over Duration, so the
	// billing clock renews them while the load runs.
	Users, Subscriptions int
	Progress             func(Sample) // told of each sample as it is taken; nil for nothing
}

// SoakResult is a soak's samples.
type SoakResult struct {
	Database      string   `json:"database"`
	DurationS     float64  `json:"duration_s"`
	Clients       int      `json:"clients"`
	Users         int      `json:"users"`
	Subscriptions int      `json:"subscriptions"`
	Samples       []Sample `json:"samples"`
	Failures      int64    `json:"failures"`
	Errors        []string `json:"errors"`
}

// Sample is what one interval of a soak saw, and the process at its end.
type Sample struct {
	AtS         float64 `json:"at_s"` // since the load began
	Requests    int64   `json:"requests"`
	Failed      int64   `json:"failed"`
	Reads       int64   `json:"reads"`
	Lists       int64   `json:"lists"`
	Assignments int64   `json:"assignments"`
	Purchases   int64   `json:"purchases"`
	Renewed     int64   `json:"renewed"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	ResidentMB  float64 `json:"resident_mb"`
	GoHeapMB    float64 `json:"go_heap_mb"`
	Goroutines  int     `json:"goroutines"`
}

// soakMix is the load's mix, out of 100: reads of one subscription, lists,
// license assignments (the rest are purchases).
const (
	soakReads   = 55
	soakLists   = 20
	soakAssigns = 20
)

// Soak runs kassa over a scratch database beside cfg.DB under a mixed load
// of reads, lists, license assignments and purchases from cfg.Clients
// clients, with the billing clock renewing subscriptions as they fall due,
// for cfg.Duration, and samples it every cfg.Interval.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	if cfg.Interval == 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Users == 0 {
		cfg.Users = DefaultUsers
	}
	if cfg.Subscriptions == 0 {
		cfg.Subscriptions = 10_000
	}
	switch {
	case cfg.Duration < time.Second || cfg.Interval < 100*time.Millisecond || cfg.Interval > cfg.Duration:
		return nil, kassa.InvalidE("soak", "error.bench.soak")
	case cfg.Clients < 1 || cfg.Clients > cfg.Subscriptions/subsEach:
		return nil, kassa.InvalidE("clients", "error.bench.soak_clients")
	}
	if err := checkSize(cfg.Users, cfg.Subscriptions); err != nil {
		return nil, err
	}
	b, db, stop, err := start(ctx, Config{DB: cfg.DB, Clients: cfg.Clients, Users: cfg.Users, Subscriptions: cfg.Subscriptions},
		"kassa_soak", cfg.Duration)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := b.signIn(ctx); err != nil {
		return nil, err
	}

	r := &SoakResult{Database: string(db.Dialect()), DurationS: cfg.Duration.Seconds(), Clients: cfg.Clients,
		Users: cfg.Users, Subscriptions: cfg.Subscriptions + 3}
	var (
		mu      sync.Mutex
		cur     Sample
		lat     []time.Duration
		renewed atomic.Int64
	)
	// record counts a request of a kind (a field of cur), or, with kind
	// nil, only a failure.
	record := func(kind *int64, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if kind != nil {
			cur.Requests++
			*kind++
			lat = append(lat, d)
		}
		if err != nil {
			cur.Failed++
			r.Failures++
			if len(r.Errors) < keptErrors {
				r.Errors = append(r.Errors, err.Error())
			}
		}
	}
	loadCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var wg sync.WaitGroup
	for w := range cfg.Clients {
		wg.Go(func() { b.soakClient(loadCtx, w, record, &cur) })
	}
	// The billing clock, as serve runs it (every minute there; here more
	// often, so that a short soak renews too).
	wg.Go(func() {
		t := time.NewTicker(min(cfg.Interval/4, 5*time.Second))
		defer t.Stop()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-t.C:
			}
			n, err := b.billing.RunDue(loadCtx, time.Now(), nil) // the system clock, as start's
			renewed.Add(int64(n))
			if err != nil && loadCtx.Err() == nil {
				record(nil, 0, fmt.Errorf("billing run: %w", err))
			}
		}
	})

	start := time.Now()
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
		case <-loadCtx.Done():
			done = true
			wg.Wait() // the last interval holds the last requests
		}
		mu.Lock()
		s, ls := cur, lat
		cur, lat = Sample{}, make([]time.Duration, 0, len(ls))
		mu.Unlock()
		slices.Sort(ls)
		st := stats{latencies: ls}
		s.AtS = float64(int(time.Since(start).Seconds()*10+0.5)) / 10
		s.P50Ms, s.P99Ms = st.quantile(0.5), st.quantile(0.99)
		s.Renewed = renewed.Swap(0)
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.ResidentMB, s.GoHeapMB = procStatusMB("VmRSS:"), float64(int(float64(m.HeapInuse)/(1<<20)*10+0.5))/10
		s.Goroutines = runtime.NumGoroutine()
		if s.Requests == 0 && done {
			break // the load ended on a tick
		}
		r.Samples = append(r.Samples, s)
		if cfg.Progress != nil {
			cfg.Progress(s)
		}
	}
	if r.Failures > 0 {
		return r, fmt.Errorf("requests failed: %v", r.Errors)
	}
	return r, ctx.Err()
}

// soakClient is one client of the soak's load: it acts for a purchaser,
// picking each request by soakMix, until ctx ends. record counts each
// request in the current sample's field for its kind.
func (b *run) soakClient(ctx context.Context, w int, record func(*int64, time.Duration, error), cur *Sample) {
	rng := mrand.New(mrand.NewPCG(uint64(w), 7))
	p := b.tenant.purchasers[w%len(b.tenant.purchasers)]
	var mine []*seats
	for j := range p.subs.len() {
		mine = append(mine, newSeats(p.subs.at(j), w*subsEach+j, seededQty, b.tenant.userIDs.len()))
	}
	for ctx.Err() == nil {
		began := time.Now()
		var (
			kind *int64
			err  error
		)
		switch k := rng.IntN(100); {
		case k < soakReads:
			kind = &cur.Reads
			sub := p.subs.at(rng.IntN(p.subs.len()))
			status, body, e := b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions/"+sub, p.token, nil)
			err = expect(status, body, e, http.StatusOK, "read subscription")
		case k < soakReads+soakLists:
			kind = &cur.Lists
			status, body, e := b.client.do(ctx, http.MethodGet, "/api/v1/subscriptions", p.token, nil)
			err = expect(status, body, e, http.StatusOK, "list subscriptions")
		case k < soakReads+soakLists+soakAssigns:
			kind = &cur.Assignments
			var o outcome
			if o, err = b.assign(ctx, p.token, mine[rng.IntN(len(mine))]); o != done {
				continue // a full subscription, as it should answer: not counted
			}
		default:
			kind = &cur.Purchases
			status, body, e := b.client.do(ctx, http.MethodPost, "/api/v1/subscriptions", p.token, map[string]any{
				"product_id": b.tenant.product.ID, "term": kassa.Monthly, "quantity": 5, "billing_profile_id": p.profileID,
			}, "Idempotency-Key", rand.Text())
			err = expect(status, body, e, http.StatusCreated, "purchase")
		}
		if ctx.Err() != nil {
			return // cut off by the end of the soak: not the server's doing
		}
		record(kind, time.Since(began), err)
	}
}
