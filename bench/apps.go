package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/webhook"
)

// The apps' side (SPEC §9): an app registered with the tenant assigns and
// removes licenses of the admin-managed subscription through
// /graph/v1.0, and a webhook worker delivers the license events to
// receivers on 127.0.0.1.

// appToken registers an app through the admin API and takes a token for it
// at the tenant's token endpoint, as Microsoft's identity libraries do.
func (b *run) appToken(ctx context.Context) (string, error) {
	admin, err := b.adminToken(ctx)
	if err != nil {
		return "", err
	}
	status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/admin/apps", admin, map[string]any{
		"name": "bench", "permissions": []string{kassa.PermUserRead, kassa.PermLicenseAssignment}})
	if err := expect(status, body, err, http.StatusCreated, "register an app"); err != nil {
		return "", err
	}
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(body, &app); err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"scope": {"https://graph.microsoft.com/.default"}}
	status, body, err = b.client.doRaw(ctx, http.MethodPost, "/"+b.tenant.directoryID+"/oauth2/v2.0/token", "",
		"application/x-www-form-urlencoded", []byte(form.Encode()))
	if err := expect(status, body, err, http.StatusOK, "take an app token"); err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.Unmarshal(body, &tok)
	return tok.AccessToken, err
}

// graphPass has the phase's clients call assignLicense once for each user
// in turn, from the first, until every user has had a turn or d has passed:
// a user who holds the managed product's license has it removed, one who
// does not is given one. held says who holds one, and is kept up to date.
// With a rate, the calls are made at that pace (an open loop: the i-th is
// made i/rate after the start, however the earlier ones fared), else as
// fast as the clients go.
func (b *run) graphPass(ctx context.Context, token string, held []atomic.Bool, d time.Duration, rate float64) stats {
	var next atomic.Int64
	sku := b.tenant.managed.skuID
	start := time.Now()
	return runPhase(ctx, b.cfg.Clients, d, func(ctx context.Context, w int) (outcome, error) {
		i := int(next.Add(1)) - 1
		if i >= b.tenant.userIDs.len() {
			return stop, nil
		}
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if at.Sub(start) >= d {
				return stop, nil
			}
			select {
			case <-ctx.Done():
				return stop, nil
			case <-time.After(time.Until(at)):
			}
		}
		add, remove := fmt.Sprintf(`[{"skuId":%q,"disabledPlans":[]}]`, sku), "[]"
		if held[i].Load() {
			add, remove = "[]", fmt.Sprintf("[%q]", sku)
		}
		body := []byte(`{"addLicenses":` + add + `,"removeLicenses":` + remove + `}`)
		status, out, err := b.client.doRaw(ctx, http.MethodPost, "/graph/v1.0/users/"+b.tenant.userIDs.at(i)+"/assignLicense",
			token, "application/json", body)
		if err := expect(status, out, err, http.StatusOK, "assignLicense"); err != nil {
			return done, err
		}
		held[i].Store(!held[i].Load())
		return done, nil
	})
}

// hookReceiver is an app's webhook endpoint on 127.0.0.1 that takes every
// delivery and notes how long after its change it came; dead, it takes
// connections and never answers (each attempt waits for kassa's timeout).
type hookReceiver struct {
	mu    sync.Mutex
	lags  []float64 // ms from the change (the body's timestamp) to arrival
	last  time.Time
	dead  bool
	count atomic.Int64
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.dead {
		<-r.Context().Done() // kassa gives up after webhook.Timeout
		return
	}
	var msg struct {
		Timestamp time.Time `json:"timestamp"`
	}
	err := json.NewDecoder(r.Body).Decode(&msg)
	now := time.Now()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.lags = append(h.lags, float64(now.Sub(msg.Timestamp).Microseconds())/1000)
	h.last = now
	h.mu.Unlock()
	h.count.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// webhookRate is the pace of the changes whose events the webhook phases
// deliver: half as much again as the goal of 1 000 a second, the same with
// a dead endpoint beside.
const webhookRate = 1500

// hookFigures are a webhook phase's: deliveries per second to the live
// receiver from the phase's start to its last arrival, and the lag's p50
// and p99.
type hookFigures struct {
	perS, p50, p99 float64
	delivered      int64
}

// webhooks runs a graph pass while the worker delivers every license event
// to the live receiver (and, when dead is set, to a dead one as well), and
// waits until the live receiver has every event of the pass.
func (b *run) webhooks(ctx context.Context, token string, held []atomic.Bool, d time.Duration, live *hookReceiver) (stats, hookFigures, error) {
	live.mu.Lock()
	live.lags, live.last = nil, time.Time{}
	live.mu.Unlock()
	before := live.count.Load()
	start := time.Now()
	s := b.graphPass(ctx, token, held, d, webhookRate)
	want := before + s.Done
	for deadline := time.Now().Add(2 * time.Minute); live.count.Load() < want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return s, hookFigures{}, fmt.Errorf("the receiver got %d of %d deliveries within two minutes", live.count.Load()-before, s.Done)
		}
	}
	live.mu.Lock()
	defer live.mu.Unlock()
	lags := slices.Clone(live.lags)
	slices.Sort(lags)
	q := func(p float64) float64 {
		if len(lags) == 0 {
			return 0
		}
		return lags[min(len(lags)-1, int(p*float64(len(lags))))]
	}
	f := hookFigures{delivered: int64(len(lags)), p50: q(0.5), p99: q(0.99)}
	if span := live.last.Sub(start).Seconds(); span > 0 {
		f.perS = float64(len(lags)) / span
	}
	return s, f, nil
}

// addEndpoint registers a receiver for the license events through the
// admin API.
func (b *run) addEndpoint(ctx context.Context, base string) error {
	admin, err := b.adminToken(ctx)
	if err != nil {
		return err
	}
	status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/admin/webhooks", admin, map[string]any{
		"url": base + "/hooks", "events": []string{kassa.EventLicenseAssigned, kassa.EventLicenseUnassigned}})
	return expect(status, body, err, http.StatusCreated, "add a webhook endpoint")
}

// appPhases measures assignLicense through /graph/v1.0, then webhook
// deliveries of the license events it makes, to one live receiver and
// then with a dead one beside it.
func (b *run) appPhases(ctx context.Context, r *Result, db *sqldb.DB, phase func(name, what string, fn func() stats) stats) error {
	token, err := b.appToken(ctx)
	if err != nil {
		return err
	}
	held := make([]atomic.Bool, b.tenant.userIDs.len())
	share := func(f float64) time.Duration { return time.Duration(f * float64(b.cfg.Duration)) }
	s := phase("graph_assign", "assigning licenses through /graph/v1.0 (assignLicense)", func() stats {
		return b.graphPass(ctx, token, held, share(0.1), 0)
	})
	r.GraphAssignPerS, r.GraphAssignP50Ms, r.GraphAssignP99Ms = s.perSecond(), s.quantile(0.5), s.quantile(0.99)

	live, dead := &hookReceiver{}, &hookReceiver{dead: true}
	liveBase, stopLive, err := listen(live)
	if err != nil {
		return err
	}
	defer stopLive()
	deadBase, stopDead, err := listen(dead)
	if err != nil {
		return err
	}
	defer stopDead()
	if err := b.addEndpoint(ctx, liveBase); err != nil {
		return err
	}
	wctx, stopWorker := context.WithCancel(ctx)
	worker := &webhook.Worker{Store: db, Client: webhook.NewClient(true)}
	stopped := make(chan struct{})
	go func() { worker.Run(wctx); close(stopped) }()
	defer func() { stopWorker(); <-stopped }()

	var f hookFigures
	s = phase("webhooks", fmt.Sprintf("delivering the license events of %d assignLicense calls a second to a receiver", webhookRate), func() stats {
		var s stats
		if s, f, err = b.webhooks(ctx, token, held, share(0.1), live); err != nil {
			s.Failed, s.errors = s.Failed+1, append(s.errors, err.Error())
		}
		return s
	})
	r.WebhookEvents, r.WebhookDeliveriesPerS, r.WebhookP50Ms, r.WebhookP99Ms = f.delivered, f.perS, f.p50, f.p99
	if err := b.addEndpoint(ctx, deadBase); err != nil {
		return err
	}
	s = phase("webhooks_dead", "the same with a second endpoint that never answers", func() stats {
		var s stats
		if s, f, err = b.webhooks(ctx, token, held, share(0.1), live); err != nil {
			s.Failed, s.errors = s.Failed+1, append(s.errors, err.Error())
		}
		return s
	})
	r.WebhookDeadEvents, r.WebhookDeadDeliveriesPerS, r.WebhookDeadP50Ms, r.WebhookDeadP99Ms = f.delivered, f.perS, f.p50, f.p99
	return nil
}
