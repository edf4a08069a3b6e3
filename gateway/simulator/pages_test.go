package simulator

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
)

// site serves the simulator's pages and takes its events, as kassa does.
type site struct {
	g      *Gateway
	url    string
	mu     sync.Mutex
	events []kassa.Event
}

func newSite(t *testing.T, g *Gateway) *site {
	t.Helper()
	s := &site{g: g}
	g.Deliver("whsec_test", func(ctx context.Context, payload []byte, signature string) error {
		ev, err := g.VerifyEvent(payload, signature)
		if err != nil {
			t.Errorf("an event that does not verify: %v", err)
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.events = append(s.events, ev)
		return nil
	}, nil)
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *site) took() []kassa.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]kassa.Event(nil), s.events...)
}

// post sends a form and returns the status, where it leads and the page.
func (s *site) post(t *testing.T, path string, form url.Values) (int, string, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(s.url+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (s *site) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func cardForm(number string) url.Values {
	cvc := "123"
	if strings.HasPrefix(number, "37") {
		cvc = "1234"
	}
	return url.Values{"number": {number}, "exp_month": {"12"}, "exp_year": {"30"}, "cvc": {cvc}, "name": {"Erik Johansson"},
		"line1": {"Storgatan 12"}, "postal_code": {"111 22"}, "city": {"Stockholm"}, "country": {"se"}}
}

// TestCardPage: a card entered on the card page is saved to the session,
// and kassa hears of it; a bad field is shown beside it with nothing saved;
// a card whose saving needs the bank passes its step first.
func TestCardPage(t *testing.T) {
	g := New(kassa.NewTestClock(now))
	s := newSite(t, g)
	start := func() kassa.CardSession {
		cs, err := g.StartCardSession(t.Context(), kassa.CardSessionRequest{CustomerRef: "sim_cus_1", Language: "sv",
			ReturnURL: "https://kassa.example/back", CancelURL: "https://kassa.example/cancel"})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cs := start()
	if status, page := s.get(t, cs.URL); status != 200 || !strings.Contains(page, `lang="sv"`) || !strings.Contains(page, "Kortnummer") {
		t.Fatalf("card page: %d\n%s", status, page)
	}
	bad := cardForm("4242 4242 4242 4241")
	status, _, page := s.post(t, cs.URL, bad)
	if status != 422 || !strings.Contains(page, `id="number-error"`) || strings.Contains(page, "4241") {
		t.Errorf("a bad number: %d\n%s", status, page)
	}
	if r, _ := g.FindCardSession(t.Context(), cs.Ref); r.Status != kassa.CardSessionOpen {
		t.Errorf("a bad card changed the session: %+v", r)
	}
	status, to, _ := s.post(t, cs.URL, cardForm("5555 5555 5555 4444"))
	if status != 303 || to != "https://kassa.example/back" {
		t.Fatalf("a good card: %d to %q", status, to)
	}
	r, err := g.FindCardSession(t.Context(), cs.Ref)
	if err != nil || r.Status != kassa.CardSessionComplete || r.Card.Brand != kassa.Mastercard || r.Card.Last4 != "4444" ||
		r.Card.Name != "Erik Johansson" || r.Card.Address.Country != "SE" || r.Card.ExpYear != 2030 {
		t.Fatalf("the session: %+v, %v", r, err)
	}
	if ev := s.took(); len(ev) != 2 || ev[1].Type != "checkout.session.completed" || ev[1].CardSessionRef != cs.Ref || ev[0].SetupRef != cs.SetupRef {
		t.Errorf("events: %+v", ev)
	}

	t.Run("RefusedCard", func(t *testing.T) {
		cs := start()
		status, _, page := s.post(t, cs.URL, cardForm("4000 0000 0000 9995"))
		if status != 422 || !strings.Contains(page, "insufficient_funds") && !strings.Contains(page, "täckning") {
			t.Errorf("a refused card: %d\n%s", status, page)
		}
	})
	t.Run("SavingNeedsTheBank", func(t *testing.T) {
		cs := start()
		status, _, page := s.post(t, cs.URL, cardForm("4000 0027 6000 3184"))
		if status != 200 || !strings.Contains(page, `value="complete"`) {
			t.Fatalf("the bank's step: %d\n%s", status, page)
		}
		if status, _, _ := s.post(t, cs.URL+"/bank", url.Values{"action": {"fail"}}); status != 422 {
			t.Errorf("failing the bank: %d", status)
		}
		if r, _ := g.FindCardSession(t.Context(), cs.Ref); r.Status != kassa.CardSessionOpen {
			t.Errorf("a failed bank step saved the card: %+v", r)
		}
		s.post(t, cs.URL, cardForm("4000 0027 6000 3184"))
		if status, to, _ := s.post(t, cs.URL+"/bank", url.Values{"action": {"complete"}}); status != 303 || to != "https://kassa.example/back" {
			t.Errorf("completing the bank: %d to %q", status, to)
		}
		if r, _ := g.FindCardSession(t.Context(), cs.Ref); r.Status != kassa.CardSessionComplete || r.Card.Last4 != "3184" {
			t.Errorf("the session: %+v", r)
		}
	})
	t.Run("UnknownSession", func(t *testing.T) {
		if status, _ := s.get(t, Prefix+"cards/sim_cs_nothing"); status != 404 {
			t.Errorf("status %d", status)
		}
	})
}

// TestStrongCustomerAuthentication: SPEC §10's test cards with the person
// present and without them.
func TestStrongCustomerAuthentication(t *testing.T) {
	g := New(kassa.NewTestClock(now))
	s := newSite(t, g)
	save := func(number string) string {
		c, err := g.SaveCard(t.Context(), "sim_cus_1", testCard(number))
		if err != nil {
			t.Fatal(err)
		}
		return c.Ref
	}
	always, once, thenDeclined := save("4000002760003184"), save("4000002500003155"), save("4000008260003178")
	amount := kassa.Money{Amount: 23900, Currency: "SEK"}
	charge := func(card, key string, present bool) (kassa.Payment, error) {
		return g.Charge(t.Context(), kassa.ChargeRequest{CardRef: card, Amount: amount, IdempotencyKey: key,
			OnSession: present, ReturnURL: "https://kassa.example/paid/" + key})
	}

	p, err := charge(always, "k1", true)
	if err != nil || p.Status != kassa.PaymentRequiresAction || p.ActionURL != Prefix+"pay/"+p.Ref {
		t.Fatalf("3184 with the person: %+v, %v", p, err)
	}
	if again, err := charge(always, "k1", true); err != nil || again != p {
		t.Errorf("a retry: %+v, %v", again, err)
	}
	if status, page := s.get(t, p.ActionURL+"?lang=sv"); status != 200 || !strings.Contains(page, "239,00") {
		t.Errorf("the bank's page: %d\n%s", status, page)
	}
	status, to, _ := s.post(t, p.ActionURL, url.Values{"action": {"complete"}})
	if status != 303 || to != "https://kassa.example/paid/k1?payment_intent="+p.Ref {
		t.Fatalf("complete: %d to %q", status, to)
	}
	if got, err := g.FindPayment(t.Context(), p.Ref); err != nil || got.Status != kassa.PaymentSucceeded {
		t.Errorf("after completing: %+v, %v", got, err)
	}
	if ev := s.took(); len(ev) != 1 || ev[0].Type != "payment_intent.succeeded" || ev[0].PaymentRef != p.Ref {
		t.Errorf("events: %+v", ev)
	}
	// Completing again changes nothing and tells nothing.
	s.post(t, p.ActionURL, url.Values{"action": {"fail"}})
	if got, _ := g.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentSucceeded || len(s.took()) != 1 {
		t.Errorf("a second answer at the bank: %+v", got)
	}

	t.Run("FailedAtTheBank", func(t *testing.T) {
		p, _ := charge(always, "k2", true)
		s.post(t, p.ActionURL, url.Values{"action": {"fail"}})
		if got, _ := g.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentDeclined || got.Decline != kassa.DeclineAuthenticationFailed {
			t.Errorf("failed: %+v", got)
		}
	})
	t.Run("WithoutThePerson", func(t *testing.T) {
		for _, card := range []string{always, thenDeclined} {
			if _, err := charge(card, "off-"+card, false); kassa.DeclineReason(err) != kassa.DeclineAuthenticationRequired {
				t.Errorf("%s without the person: %v", card, err)
			}
		}
	})
	t.Run("SavedWithAuthenticationPays", func(t *testing.T) {
		for _, present := range []bool{true, false} {
			if p, err := charge(once, "3155-"+map[bool]string{true: "on", false: "off"}[present], present); err != nil || p.Status != kassa.PaymentSucceeded {
				t.Errorf("3155 (present %v): %+v, %v", present, p, err)
			}
		}
	})
	t.Run("AuthenticatesThenDeclined", func(t *testing.T) {
		p, _ := charge(thenDeclined, "k3", true)
		s.post(t, p.ActionURL, url.Values{"action": {"complete"}})
		if got, _ := g.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentDeclined || got.Decline != kassa.DeclineInsufficientFunds {
			t.Errorf("3178: %+v", got)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		p, _ := charge(always, "k4", true)
		if err := g.CancelPayment(t.Context(), p.Ref); err != nil {
			t.Fatal(err)
		}
		if got, _ := g.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentCanceled {
			t.Errorf("canceled: %+v", got)
		}
		if status, _, _ := s.post(t, p.ActionURL, url.Values{"action": {"complete"}}); status != 303 {
			t.Errorf("the bank after cancelling: %d", status)
		}
		if got, _ := g.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentCanceled {
			t.Errorf("completed after cancelling: %+v", got)
		}
	})
}

// TestWaitingOutlivesARestart: a payment waiting for the bank and a card
// page are in the ledger, so a restarted process finishes them.
func TestWaitingOutlivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	first := mustOpen(t, path)
	card, _ := first.SaveCard(t.Context(), "sim_cus_1", testCard("4000002760003184"))
	p, err := first.Charge(t.Context(), kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(100), IdempotencyKey: "k", OnSession: true, ReturnURL: "https://x/"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := first.StartCardSession(t.Context(), kassa.CardSessionRequest{CustomerRef: "sim_cus_1", ReturnURL: "https://x/", CancelURL: "https://x/c"})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	again := mustOpen(t, path)
	if got, err := again.FindPayment(t.Context(), p.Ref); err != nil || got.Status != kassa.PaymentRequiresAction {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
	s := newSite(t, again)
	s.post(t, p.ActionURL, url.Values{"action": {"complete"}})
	if got, _ := again.FindPayment(t.Context(), p.Ref); got.Status != kassa.PaymentSucceeded {
		t.Errorf("completed after a restart: %+v", got)
	}
	if status, _, _ := s.post(t, cs.URL, cardForm("4242424242424242")); status != 303 {
		t.Errorf("the card page after a restart: %d", status)
	}
	for _, e := range mustRead(t, path) {
		if strings.Contains(e.Card, "4242424242424242") || e.Last4 != "" && len(e.Last4) != 4 {
			t.Errorf("the ledger holds a card number: %+v", e)
		}
	}
}
