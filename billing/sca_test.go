package billing_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// bankWorld is the demo on a test clock with the simulator, whose pages
// (the bank's) are served, and whose events reach billing as the webhook
// hands them on.
type bankWorld struct {
	t     *testing.T
	clock *kassa.TestClock
	db    *sqldb.DB
	gw    *simulator.Gateway
	s     *billing.Service
	bank  string // the simulator's pages
	ctx   context.Context
}

func newBankWorld(t *testing.T) *bankWorld {
	t.Helper()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	s := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw.Deliver("whsec_test", func(ctx context.Context, payload []byte, signature string) error {
		ev, err := gw.VerifyEvent(payload, signature)
		if err != nil {
			t.Errorf("an event that does not verify: %v", err)
			return err
		}
		return s.HandleEvent(ctx, ev)
	}, nil)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return &bankWorld{t: t, clock: clock, db: db, gw: gw, s: s, bank: srv.URL,
		ctx: billing.Present(erikContext(t, db), "https://kassa.test")}
}

// profilePaying makes a billing profile of erik's paying with the test card.
func (w *bankWorld) profilePaying(number string) string {
	w.t.Helper()
	m, err := w.s.AddPaymentMethod(w.ctx, kassa.Card{Number: number, CVC: "123", ExpMonth: 12, ExpYear: 2030, Name: "Erik",
		Address: kassa.Address{Line1: "Storgatan 12", City: "Stockholm", PostalCode: "111 22", Country: "SE"}})
	if err != nil {
		w.t.Fatal(err)
	}
	p := &kassa.BillingProfile{Name: "Pays with " + number[len(number)-4:], Email: "erik@nordvik.example", Currency: "SEK",
		Address: kassa.Address{Line1: "Storgatan 12", City: "Stockholm", PostalCode: "111 22", Country: "SE"}, PaymentMethodID: m.ID}
	if err := w.s.CreateBillingProfile(w.ctx, p); err != nil {
		w.t.Fatal(err)
	}
	return p.ID
}

func (w *bankWorld) buy(ctx context.Context, profile string) (*kassa.Subscription, *kassa.Invoice, error) {
	products, err := w.db.FindProducts(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.s.Purchase(ctx, billing.PurchaseRequest{ProductID: products[0].ID, Term: kassa.Monthly, Quantity: 2,
		BillingProfileID: profile}, "")
}

// atTheBank answers the bank's page of a payment: "complete" or "fail".
func (w *bankWorld) atTheBank(actionURL, answer string) string {
	w.t.Helper()
	if !strings.HasPrefix(actionURL, simulator.Prefix+"pay/") {
		w.t.Fatalf("the bank's page is %q", actionURL)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(w.bank+actionURL, url.Values{"action": {answer}})
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("the bank answered %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

func (w *bankWorld) invoice(id string) *kassa.Invoice {
	w.t.Helper()
	inv, err := w.db.FindInvoiceForSystem(w.t.Context(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return inv
}

// TestPurchaseThroughTheBank: SPEC §10's test cards with the person
// present. A purchase the bank wants confirmed waits, out of the lists,
// until the bank's page is answered: completed, it is bought and paid;
// failed or abandoned for a day, nothing is bought and nothing charged.
func TestPurchaseThroughTheBank(t *testing.T) {
	t.Parallel()
	w := newBankWorld(t)
	always := w.profilePaying("4000002760003184")

	sub, inv, err := w.buy(w.ctx, always)
	if err != nil || sub.Status != kassa.StatusPending || inv.Status != kassa.InvoicePending || inv.ActionURL == "" ||
		inv.ReturnURL != "https://kassa.test"+billing.PaymentReturnPath {
		t.Fatalf("a purchase the bank wants confirmed: %+v, %+v, %v", sub, inv, err)
	}
	if subs, _ := w.db.FindSubscriptions(w.ctx, kassa.SubscriptionFilter{}); len(subs) != 0 {
		t.Fatalf("a purchase waiting for the bank is listed: %+v", subs)
	}
	back := w.atTheBank(inv.ActionURL, "complete")
	if back != "https://kassa.test/billing/payments/return?payment_intent="+inv.ChargeRef {
		t.Errorf("the bank sends the person back to %q", back)
	}
	// The simulator's event settled it; the return finds it done.
	if got := w.invoice(inv.ID); got.Status != kassa.InvoicePaid || got.Number == "" || got.ActionURL != "" {
		t.Fatalf("after the bank: %+v", got)
	}
	if got, err := w.s.SettlePayment(w.ctx, inv.ChargeRef); err != nil || got.Status != kassa.InvoicePaid {
		t.Fatalf("the return: %+v, %v", got, err)
	}
	if got, _ := w.db.FindSubscriptionByID(w.ctx, sub.ID); got.Status != kassa.StatusActive {
		t.Errorf("the subscription: %s", got.Status)
	}

	t.Run("MoreLicensesThroughTheBank", func(t *testing.T) {
		got, inv, err := w.s.SetQuantity(w.ctx, sub.ID, 5, "")
		if err != nil || inv == nil || inv.Status != kassa.InvoicePending || inv.ActionURL == "" || got.Quantity != 2 {
			t.Fatalf("more licenses: %+v, %+v, %v", got, inv, err)
		}
		w.atTheBank(inv.ActionURL, "complete")
		if got, _ := w.db.FindSubscriptionByID(w.ctx, sub.ID); got.Quantity != 5 {
			t.Errorf("licenses after the bank: %d, want 5", got.Quantity)
		}
		// Failed at the bank: the licenses stay as they were.
		_, inv, _ = w.s.SetQuantity(w.ctx, sub.ID, 7, "")
		w.atTheBank(inv.ActionURL, "fail")
		if got, _ := w.db.FindSubscriptionByID(w.ctx, sub.ID); got.Quantity != 5 {
			t.Errorf("licenses after failing at the bank: %d, want 5", got.Quantity)
		}
	})
	t.Run("FailedAtTheBank", func(t *testing.T) {
		sub, inv, _ := w.buy(w.ctx, always)
		w.atTheBank(inv.ActionURL, "fail")
		got := w.invoice(inv.ID)
		if got.Status != kassa.InvoiceVoid || got.Failure != kassa.DeclineAuthenticationFailed {
			t.Errorf("the invoice: %+v", got)
		}
		if _, err := w.db.FindSubscriptionByID(w.ctx, sub.ID); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("the subscription stayed: %v", err)
		}
		if p, _ := w.gw.FindPayment(t.Context(), inv.ChargeRef); p.Status != kassa.PaymentDeclined {
			t.Errorf("the payment: %+v", p)
		}
	})
	t.Run("AuthenticatedThenDeclined", func(t *testing.T) {
		_, inv, _ := w.buy(w.ctx, w.profilePaying("4000008260003178"))
		w.atTheBank(inv.ActionURL, "complete")
		if got := w.invoice(inv.ID); got.Status != kassa.InvoiceVoid || got.Failure != kassa.DeclineInsufficientFunds {
			t.Errorf("the invoice: %+v", got)
		}
	})
	t.Run("AbandonedForADay", func(t *testing.T) {
		sub, inv, _ := w.buy(w.ctx, always)
		w.clock.Set(w.clock.Now().Add(time.Hour))
		if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 0 {
			t.Fatalf("reconcile within the day: %d, %v", n, err)
		}
		w.clock.Set(w.clock.Now().Add(billing.AuthenticationLife))
		if n, err := w.s.Reconcile(w.ctx, time.Minute); err != nil || n != 1 {
			t.Fatalf("reconcile after a day: %d, %v", n, err)
		}
		if got := w.invoice(inv.ID); got.Status != kassa.InvoiceVoid {
			t.Errorf("the invoice: %+v", got)
		}
		if _, err := w.db.FindSubscriptionByID(w.ctx, sub.ID); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("the subscription stayed: %v", err)
		}
		if p, _ := w.gw.FindPayment(t.Context(), inv.ChargeRef); p.Status != kassa.PaymentCanceled {
			t.Errorf("the payment: %+v", p)
		}
		// The bank's page answered after that changes nothing.
		w.atTheBank(inv.ActionURL, "complete")
		if got := w.invoice(inv.ID); got.Status != kassa.InvoiceVoid {
			t.Errorf("completed after it was given up: %+v", got)
		}
	})
	t.Run("SavedWithTheBankPaysAtOnce", func(t *testing.T) {
		_, inv, err := w.buy(w.ctx, w.profilePaying("4000002500003155"))
		if err != nil || inv.Status != kassa.InvoicePaid {
			t.Errorf("3155: %+v, %v", inv, err)
		}
	})
	t.Run("WithoutThePersonItIsDeclined", func(t *testing.T) {
		_, _, err := w.buy(erikContext(t, w.db), always)
		if kassa.DeclineReason(err) != kassa.DeclineAuthenticationRequired {
			t.Errorf("without the person: %v", err)
		}
	})
}

// TestRenewalTheBankRefuses: a renewal the bank refuses without the
// purchaser is past due, its invoice marked, the purchaser mailed; they pay
// it themselves through their bank, while the billing clock's retry waits
// for them, and the subscription is active again.
func TestRenewalTheBankRefuses(t *testing.T) {
	t.Parallel()
	w := newBankWorld(t)
	always := w.profilePaying("4000002760003184")
	sub, inv, _ := w.buy(w.ctx, always)
	w.atTheBank(inv.ActionURL, "complete")

	end := sub.ExpiresAt
	if _, err := w.s.RunDue(w.t.Context(), end, w.clock.Set); err != nil {
		t.Fatal(err)
	}
	got, _ := w.db.FindSubscriptionByID(w.ctx, sub.ID)
	if got.Status != kassa.StatusPastDue {
		t.Fatalf("after the renewal: %s", got.Status)
	}
	invs, _ := w.db.FindInvoices(w.ctx, kassa.InvoiceFilter{})
	var renewal *kassa.Invoice
	for _, i := range invs {
		if i.Status == kassa.InvoiceOpen {
			renewal = i
		}
	}
	if renewal == nil || !renewal.ActionRequired {
		t.Fatalf("the renewal invoice: %+v", renewal)
	}
	mailed, err := w.db.ClaimNotifications(w.t.Context(), 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, n := range mailed {
		if n.Kind == kassa.NotifyPaymentAction && n.Data.InvoiceID == renewal.ID && n.To == "erik@nordvik.example" {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("%d mails ask erik to pay, want 1", asked)
	}

	paying, err := w.s.PayInvoice(w.ctx, renewal.ID)
	if err != nil || paying.ActionURL == "" || paying.Status != kassa.InvoiceOpen {
		t.Fatalf("paying it: %+v, %v", paying, err)
	}
	// A second request, or the billing clock's retry, waits for this one.
	if _, err := w.s.PayInvoice(w.ctx, renewal.ID); err != nil {
		t.Errorf("paying it again while at the bank: %v", err)
	}
	if n, err := w.s.RunDue(w.t.Context(), end.Add(2*24*time.Hour), w.clock.Set); err != nil || n != 0 {
		t.Errorf("the retry while the purchaser pays: %d, %v", n, err)
	}
	w.atTheBank(paying.ActionURL, "complete")
	if got := w.invoice(renewal.ID); got.Status != kassa.InvoicePaid {
		t.Fatalf("the renewal invoice: %+v", got)
	}
	got, _ = w.db.FindSubscriptionByID(w.ctx, sub.ID)
	if got.Status != kassa.StatusActive || !got.ExpiresAt.After(end) {
		t.Errorf("the subscription: %s until %s", got.Status, got.ExpiresAt)
	}
}

// TestCardPageKeptWithoutTheReturn: a person saves a card on the card page
// and closes the tab; with no event either (the processor's is lost), the
// reconciler keeps the card, once, and a page left open for a day is
// forgotten.
func TestCardPageKeptWithoutTheReturn(t *testing.T) {
	t.Parallel()
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock) // delivers no events
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	s := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	ctx := erikContext(t, db)
	before, _ := db.FindPaymentMethods(ctx)

	saved, url1, err := s.OpenCardPage(ctx, billing.CardPage{Base: "https://kassa.test", ReturnTo: "/billing/bills/payment-methods"})
	if err != nil {
		t.Fatal(err)
	}
	left, _, err := s.OpenCardPage(ctx, billing.CardPage{Base: "https://kassa.test", ReturnTo: "/billing/bills/payment-methods"})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(srv.URL+url1, url.Values{"number": {"5555555555554444"}, "exp_month": {"8"}, "exp_year": {"2031"},
		"cvc": {"123"}, "name": {"Erik Johansson"}, "line1": {"Storgatan 12"}, "postal_code": {"111 22"}, "city": {"Stockholm"}, "country": {"SE"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://kassa.test"+billing.CardReturnPath(saved.ID) {
		t.Fatalf("the card page: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Nobody came back, and no event came.
	clock.Set(clock.Now().Add(2 * time.Minute))
	for range 2 {
		if _, err := s.Reconcile(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := db.FindPaymentMethods(ctx)
	if len(after) != len(before)+1 || after[len(after)-1].Last4 != "4444" || after[len(after)-1].Name != "Erik Johansson" {
		t.Fatalf("cards after the reconciler: %d, want one more (the Mastercard)", len(after))
	}
	// The person's late return finds the card kept.
	if m, _, err := s.FinishCardPage(ctx, saved.ID); err != nil || m.ID != after[len(after)-1].ID {
		t.Errorf("the late return: %+v, %v", m, err)
	}
	// The page nobody finished is forgotten after a day.
	clock.Set(clock.Now().Add(25 * time.Hour))
	if _, err := s.Reconcile(t.Context(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FinishCardPage(ctx, left.ID); kassa.ErrorCode(err) != kassa.NotFound {
		t.Errorf("the page left open: %v, want it forgotten", err)
	}
}
