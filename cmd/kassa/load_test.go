package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/demo"
)

// apiClient calls one kassa server's API as the demo's users, reporting
// what happened rather than failing the test: the server may die
// mid-request.
type apiClient struct {
	base   string
	http   *http.Client
	tokens *tokenBook
}

func newAPIClient(base string, tokens *tokenBook) *apiClient {
	return &apiClient{base: base, tokens: tokens, http: &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Minute}}
}

// bank answers the bank's page of a payment ("complete" or "fail") as a
// person's browser posts it, and returns the status, without following the
// redirect back to kassa.
func (c *apiClient) bank(ctx context.Context, url, answer string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader("action="+answer))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Transport.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// close drops the client's connections, for a server that was killed.
func (c *apiClient) close() { c.http.CloseIdleConnections() }

// tokenBook holds the users' bearer tokens across servers and restarts
// (sessions live in the database), signing in again when one expires on the
// moved clock.
type tokenBook struct {
	mu     sync.Mutex
	tokens map[string]string // email → token
}

// call sends the request as the user (an email) with the Idempotency-Key
// when key is set, and returns the status and body; err is what a dead
// server gives.
func (c *apiClient) call(ctx context.Context, method, path, as, key string, body any) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		c.tokens.mu.Lock()
		token := c.tokens.tokens[as]
		c.tokens.mu.Unlock()
		if token == "" {
			status, b, err := c.send(ctx, "POST", "/api/v1/login", "", "", map[string]string{"email": as, "password": demo.Password})
			if err != nil || status != http.StatusOK {
				return status, b, err
			}
			var out struct{ Token string }
			if err := json.Unmarshal(b, &out); err != nil {
				return 0, nil, err
			}
			token = out.Token
			c.tokens.mu.Lock()
			c.tokens.tokens[as] = token
			c.tokens.mu.Unlock()
		}
		status, b, err := c.send(ctx, method, path, token, key, body)
		if err != nil || status != http.StatusUnauthorized || attempt > 0 {
			return status, b, err
		}
		c.tokens.mu.Lock()
		if c.tokens.tokens[as] == token {
			delete(c.tokens.tokens, as)
		}
		c.tokens.mu.Unlock()
	}
}

func (c *apiClient) send(ctx context.Context, method, path, token, key string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

const (
	buyer = "erik@nordvik.example"
	admin = "astrid@nordvik.example"
)

// moneyRequest is a request that may charge: sent with an Idempotency-Key,
// and sent again with it while its outcome is unknown.
type moneyRequest struct {
	method, path, key string
	body              map[string]any
}

// workload is what the load generators do and remember across servers and
// restarts: erik buys, changes quantities and hands out licenses of
// Nordvik's products, astrid moves the test clock (which runs renewals).
// It collects the answers no client should get.
type workload struct {
	tokens   *tokenBook
	products []string // ids of the products erik may buy
	trial    string   // the one he may only try
	profile  string
	// bankProfile pays with the simulator's 4000 0027 6000 3184, whose bank
	// wants every payment confirmed on its page.
	bankProfile string
	users       []string // Nordvik's active members
	refunds     bool     // cancel within a term's first week too, which refunds

	mu        sync.Mutex
	now       time.Time // where the servers' test clocks are (to be)
	subs      []string
	unsettled []moneyRequest
	bought    map[string]string // purchase Idempotency-Key → the subscription answered
	counts    map[string]int    // "operation status" → how often
	ran       int               // pieces of billing work the test clocks ran
	problems  []string
}

// newWorkload reads the demo's catalog, erik's billing profile, his
// subscriptions and his colleagues from the server at base.
func newWorkload(t *testing.T, base string) *workload {
	t.Helper()
	w := &workload{tokens: &tokenBook{tokens: map[string]string{}}, bought: map[string]string{}, counts: map[string]int{},
		now: time.Now().UTC().Truncate(time.Second)}
	erik := apiLogin(t, base, buyer)
	w.tokens.tokens[buyer], w.tokens.tokens[admin] = erik, apiLogin(t, base, admin)
	var products struct {
		Data []struct {
			ID             string
			PurchasePolicy string `json:"purchase_policy"`
		}
	}
	apiCall(t, base, "GET", "/api/v1/products", erik, nil, &products)
	for _, p := range products.Data {
		switch p.PurchasePolicy {
		case "enabled":
			w.products = append(w.products, p.ID)
		case "trials_only":
			w.trial = p.ID
		}
	}
	var profiles struct{ Data []struct{ ID, Name string } }
	apiCall(t, base, "GET", "/api/v1/billing-profiles", erik, nil, &profiles)
	// His own profile, which pays with a Visa, comes first (the demo's
	// marketing profile pays with a card whose bank wants every payment
	// confirmed).
	var subs struct{ Data []struct{ ID string } }
	apiCall(t, base, "GET", "/api/v1/subscriptions", erik, nil, &subs)
	var users struct {
		Data []struct{ ID, Type, Status string }
	}
	apiCall(t, base, "GET", "/api/v1/users?limit=200", erik, nil, &users)
	for _, u := range users.Data {
		if u.Type == "member" && u.Status == "active" {
			w.users = append(w.users, u.ID)
		}
	}
	for _, s := range subs.Data {
		w.subs = append(w.subs, s.ID)
	}
	if len(w.products) == 0 || w.trial == "" || len(profiles.Data) == 0 || len(w.users) < 10 {
		t.Fatalf("the demo lacks what the load needs: %+v %+v %d users", products, profiles, len(w.users))
	}
	w.profile = profiles.Data[0].ID
	var card struct{ ID string }
	address := map[string]string{"line1": "Storgatan 12", "city": "Stockholm", "postal_code": "111 22", "country": "SE"}
	apiCall(t, base, "POST", "/api/v1/payment-methods", erik, map[string]any{"address": address, "card": map[string]any{
		"number": "4000002760003184", "exp_month": 12, "exp_year": time.Now().Year() + 3, "cvc": "123", "name": "Erik"}}, &card)
	var bank struct{ ID string }
	apiCall(t, base, "POST", "/api/v1/billing-profiles", erik, map[string]any{"name": "Erik – the bank's card",
		"email": buyer, "address": address, "payment_method_id": card.ID}, &bank)
	w.bankProfile = bank.ID
	return w
}

// run does random operations as erik on c until ctx ends.
func (w *workload) run(ctx context.Context, c *apiClient, rng *rand.Rand) {
	for ctx.Err() == nil {
		switch n := rng.IntN(22); {
		case n >= 20:
			w.purchaseAtTheBank(ctx, c, rng)
		case n < 4:
			w.purchase(ctx, c, rng)
		case n < 9:
			w.changeQuantity(ctx, c, rng)
		case n < 13:
			w.assign(ctx, c, rng)
		case n < 16:
			w.unassign(ctx, c, rng)
		default:
			w.cancel(ctx, c, rng)
		}
	}
}

func (w *workload) purchase(ctx context.Context, c *apiClient, rng *rand.Rand) {
	body := map[string]any{"product_id": w.products[rng.IntN(len(w.products))], "term": "monthly",
		"quantity": 1 + rng.IntN(5), "billing_profile_id": w.profile}
	switch rng.IntN(10) {
	case 0:
		body["term"] = "annual"
	case 1:
		body["product_id"], body["trial"] = w.trial, true
	}
	w.money(ctx, c, moneyRequest{"POST", "/api/v1/subscriptions", newKey(rng), body})
}

// purchaseAtTheBank buys with the card whose bank wants every payment
// confirmed (202, the bank's page), then completes the bank's page, fails
// it, or abandons it (the reconciler gives it up after a day).
func (w *workload) purchaseAtTheBank(ctx context.Context, c *apiClient, rng *rand.Rand) {
	body := map[string]any{"product_id": w.products[rng.IntN(len(w.products))], "term": "monthly",
		"quantity": 1 + rng.IntN(3), "billing_profile_id": w.bankProfile}
	status, answer := w.money(ctx, c, moneyRequest{"POST", "/api/v1/subscriptions", newKey(rng), body})
	if status != http.StatusAccepted {
		return
	}
	var next struct {
		NextAction struct{ URL string } `json:"next_action"`
	}
	if err := json.Unmarshal(answer, &next); err != nil || !strings.HasPrefix(next.NextAction.URL, c.base+"/simulator/pay/") {
		w.problem(fmt.Sprintf("a purchase waiting for the bank answered %s", answer))
		return
	}
	choice := []string{"complete", "complete", "complete", "fail", ""}[rng.IntN(5)]
	if choice == "" {
		return
	}
	status, err := c.bank(ctx, next.NextAction.URL, choice)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count("bank", status, err)
	if err == nil && status != http.StatusSeeOther {
		w.problems = append(w.problems, fmt.Sprintf("the bank's page answered %d", status))
	}
}

func (w *workload) changeQuantity(ctx context.Context, c *apiClient, rng *rand.Rand) {
	id, sub, ok := w.live(ctx, c, rng)
	if !ok {
		return
	}
	q := max(1, sub.Quantity+rng.IntN(7)-3) // below the assigned count sometimes: a 409
	w.money(ctx, c, moneyRequest{"PUT", "/api/v1/subscriptions/" + id + "/quantity", newKey(rng), map[string]any{"quantity": q}})
}

// cancel cancels a subscription. Within a week of its term's start that is
// at once, with a refund (unless w.refunds is false: see TestCrash).
// Later it takes effect when the term ends, and keeps the number of
// subscriptions that renew in bounds.
func (w *workload) cancel(ctx context.Context, c *apiClient, rng *rand.Rand) {
	id, sub, ok := w.live(ctx, c, rng)
	if !ok {
		return
	}
	// A server's clock may lag the target by the up to a week being moved
	// now, or the next move may pass the term's end before the request
	// lands (then it is a new term's first week): from 8 to 13 days
	// before the end of a month, the server is past the first week and
	// before the end.
	left, day := sub.ExpiresAt.Sub(w.clock()), 24*time.Hour
	late := left > 8*day && (left < 13*day || sub.Term == "annual" && left < 350*day)
	if late || w.refunds {
		w.money(ctx, c, moneyRequest{"POST", "/api/v1/subscriptions/" + id + "/cancel", newKey(rng), map[string]any{"reason": "unused"}})
	}
}

// live reads a random subscription, reporting whether it is one whose
// licenses may change; ended ones are picked no more.
func (w *workload) live(ctx context.Context, c *apiClient, rng *rand.Rand) (string, subscriptionState, bool) {
	id := w.pick(rng)
	var sub subscriptionState
	if !w.get(ctx, c, "/api/v1/subscriptions/"+id, &sub) {
		return id, sub, false
	}
	if sub.Status == "canceled" || sub.Status == "expired" {
		w.mu.Lock()
		if i := slices.Index(w.subs, id); i >= 0 && len(w.subs) > 1 {
			w.subs = slices.Delete(w.subs, i, i+1)
		}
		w.mu.Unlock()
	}
	return id, sub, sub.Status == "active" || sub.Status == "trialing"
}

type subscriptionState struct {
	Status, Term       string
	Quantity, Assigned int
	ExpiresAt          time.Time `json:"expires_at"`
}

func (w *workload) assign(ctx context.Context, c *apiClient, rng *rand.Rand) {
	ids := make([]string, 1+rng.IntN(3))
	for i := range ids {
		ids[i] = w.users[rng.IntN(len(w.users))]
	}
	slices.Sort(ids)
	w.plain(ctx, c, "assign", "POST", "/api/v1/subscriptions/"+w.pick(rng)+"/licenses", map[string]any{"user_ids": slices.Compact(ids)})
}

func (w *workload) unassign(ctx context.Context, c *apiClient, rng *rand.Rand) {
	id := w.pick(rng)
	var licenses struct {
		Data []struct{ User struct{ ID string } }
	}
	if !w.get(ctx, c, "/api/v1/subscriptions/"+id+"/licenses", &licenses) || len(licenses.Data) == 0 {
		return
	}
	var ids []string
	for _, l := range licenses.Data {
		if len(ids) < 2 && rng.IntN(2) == 0 {
			ids = append(ids, l.User.ID)
		}
	}
	if len(ids) > 0 {
		w.plain(ctx, c, "unassign", "POST", "/api/v1/subscriptions/"+id+"/licenses/unassign", map[string]any{"user_ids": ids})
	}
}

// money sends a request that may charge, and returns its answer. An
// unknown outcome — no answer, or 503 while its charge is pending — keeps
// it for a retry with its key.
func (w *workload) money(ctx context.Context, c *apiClient, r moneyRequest) (int, []byte) {
	status, body, err := c.call(ctx, r.method, r.path, buyer, r.key, r.body)
	op := "purchase"
	switch {
	case r.method == "PUT":
		op = "quantity"
	case strings.HasSuffix(r.path, "/cancel"):
		op = "cancel"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count(op, status, err)
	switch {
	case status == http.StatusAccepted: // waiting for the bank
	case errors.Is(err, syscall.ECONNREFUSED): // it never reached a server
	case err != nil || status == http.StatusServiceUnavailable:
		w.unsettled = append(w.unsettled, r)
	case status >= 500:
		w.problems = append(w.problems, fmt.Sprintf("%s %s: %d %s", r.method, r.path, status, body))
	case status == http.StatusCreated && op == "purchase":
		var sub struct{ ID string }
		if err := json.Unmarshal(body, &sub); err != nil || sub.ID == "" {
			w.problems = append(w.problems, fmt.Sprintf("purchase answered %s", body))
			return status, body
		}
		if prev, ok := w.bought[r.key]; ok && prev != sub.ID {
			w.problems = append(w.problems, fmt.Sprintf("purchase %s bought %s and then %s", r.key, prev, sub.ID))
		} else if !ok {
			w.bought[r.key] = sub.ID
			w.subs = append(w.subs, sub.ID)
		}
	}
	return status, body
}

// plain sends a request that moves no money: any answer under 500 is one a
// client may get.
func (w *workload) plain(ctx context.Context, c *apiClient, op, method, path string, body any) {
	status, b, err := c.call(ctx, method, path, buyer, "", body)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count(op, status, err)
	if err == nil && status >= 500 {
		w.problems = append(w.problems, fmt.Sprintf("%s %s: %d %s", method, path, status, b))
	}
}

// get reads path as erik into out, reporting whether it could.
func (w *workload) get(ctx context.Context, c *apiClient, path string, out any) bool {
	status, b, err := c.call(ctx, "GET", path, buyer, "", nil)
	if err == nil && status >= 500 {
		w.mu.Lock()
		w.problems = append(w.problems, fmt.Sprintf("GET %s: %d %s", path, status, b))
		w.mu.Unlock()
	}
	return err == nil && status == http.StatusOK && json.Unmarshal(b, out) == nil
}

// retry sends each request of unknown outcome again with its key, with
// probability p; the others wait for a later retry or the reconciler.
func (w *workload) retry(ctx context.Context, c *apiClient, rng *rand.Rand, p float64) {
	w.mu.Lock()
	pending := w.unsettled
	w.unsettled = nil
	w.mu.Unlock()
	for _, r := range pending {
		if ctx.Err() != nil || rng.Float64() >= p {
			w.mu.Lock()
			w.unsettled = append(w.unsettled, r)
			w.mu.Unlock()
			continue
		}
		w.money(ctx, c, r)
	}
}

// advance moves the clock target by d and the servers' test clocks to it,
// all at once, each running the billing work that fell due (renewals). It
// reports whether every server answered.
func (w *workload) advance(ctx context.Context, clients []*apiClient, d time.Duration) bool {
	w.mu.Lock()
	w.now = w.now.Add(d)
	body := map[string]string{"now": w.now.Format(time.RFC3339)}
	w.mu.Unlock()
	var wg sync.WaitGroup
	answered := make([]bool, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			status, b, err := c.call(ctx, "POST", "/api/v1/test-clock", admin, "", body)
			w.mu.Lock()
			defer w.mu.Unlock()
			w.count("test-clock", status, err)
			var ran struct{ Ran int }
			if err == nil && (status != http.StatusOK || json.Unmarshal(b, &ran) != nil) {
				w.problems = append(w.problems, fmt.Sprintf("test clock to %s: %d %s", body["now"], status, b))
			}
			w.ran += ran.Ran
			answered[i] = err == nil
		})
	}
	wg.Wait()
	return !slices.Contains(answered, false)
}

// clock returns the clock target.
func (w *workload) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *workload) pick(rng *rand.Rand) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.subs[rng.IntN(len(w.subs))]
}

// problem records something no client should see.
func (w *workload) problem(p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, p)
}

// count tallies an answer; w.mu is held.
func (w *workload) count(op string, status int, err error) {
	if err != nil {
		w.counts[op+" no answer"]++
		return
	}
	w.counts[fmt.Sprintf("%s %d", op, status)]++
}

// report fails t with the answers no client should have had, and logs
// what the clients got.
func (w *workload) report(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Error(p)
	}
	var counts []string
	for k, n := range w.counts {
		counts = append(counts, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(counts)
	t.Logf("answers: %s; %d subscriptions, %d pieces of billing work run by moving test clocks, %d requests left to the reconciler",
		strings.Join(counts, ", "), len(w.subs), w.ran, len(w.unsettled))
}

func newKey(rng *rand.Rand) string { return fmt.Sprintf("load-%016x", rng.Uint64()) }

// answered counts the answers the workload has had so far.
func (w *workload) answered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.counts {
		n += c
	}
	return n
}
