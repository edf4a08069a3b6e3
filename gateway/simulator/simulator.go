// Package simulator is a payment gateway that runs inside kassa: the default,
// for demos and tests. It is deterministic and behaves as a processor does
// (SPEC §10): cards are entered on its own card page, served under
// /simulator/ (Handler), payments with the person present may need their
// bank's page, and it tells kassa what happened by events signed as Stripe
// signs them. Its test cards are SPEC §2's and §10's:
//
//	4242 4242 4242 4242 (Visa), 5555 5555 5555 4444 (Mastercard): succeed
//	4000 0000 0000 0002: refused with card_declined when saved
//	4000 0000 0000 9995: refused with insufficient_funds when saved
//	4000 0000 0000 0341: saved, but every charge fails (card_declined)
//	4000 0027 6000 3184: needs authentication for every payment; payments
//	  without the person fail with authentication_required
//	4000 0025 0000 3155: needs authentication when saved, then pays without it
//	4000 0082 6000 3178: authenticates, then is declined insufficient_funds
//
// Any other valid card succeeds. A saved card's reference carries its brand
// and how it behaves, so references stay good across restarts. A charge's
// reference is derived from its idempotency key.
//
// New keeps what it did in memory, so a restart forgets it. Open also keeps
// it in a ledger file (see ledger.go), which several processes may share:
// then a key charges once whatever restarts or processes come between, a
// refund is bounded by what its charge took, and card pages and payments
// waiting for the bank outlast a restart.
package simulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/gateway/events"
)

// Prefix is where the simulator's pages are served, on kassa's own host.
const Prefix = "/simulator/"

// Gateway is the simulator. It is safe for concurrent use.
type Gateway struct {
	clock kassa.Clock
	// Secret signs the simulator's events; VerifyEvent checks them with it.
	secret string
	// deliver hands a signed event to kassa; nil drops events.
	deliver func(ctx context.Context, payload []byte, signature string) error
	log     *slog.Logger

	mu     sync.Mutex
	ledger *ledger // nil: memory only
	// What it remembers of every payment is kept by digest (digestOf),
	// without pointers, so that the collector need not trace a long run's
	// hundreds of thousands of them.
	requests map[digest]digest  // idempotency key → fingerprint of its request
	charged  map[digest]charged // charge ref → what it charged
	refunded map[digest]int64   // charge ref → amount refunded
	waiting  map[string]*held   // payment ref → a payment that needed the bank
	sessions map[string]*session
	// setups are cards whose saving waits for the bank's step, by card
	// page: in memory only, as a processor holds a card between its pages.
	setups map[string]kassa.SavedCard
	events int
}

// digest stands for a string the simulator remembers: its SHA-256, cut to
// 16 bytes.
type digest [16]byte

func digestOf(s string) digest {
	sum := sha256.Sum256([]byte(s))
	return digest(sum[:16])
}

// charged is a charge's amount, without pointers.
type charged struct {
	amount   int64
	currency [3]byte
}

func chargedOf(m kassa.Money) charged {
	c := charged{amount: m.Amount}
	copy(c.currency[:], m.Currency)
	return c
}

func (c charged) money() kassa.Money {
	return kassa.Money{Amount: c.amount, Currency: string(c.currency[:])}
}

// held is a payment the bank wanted the person for.
type held struct {
	LedgerEntry
	status, decline string
}

// session is a card page.
type session struct {
	LedgerEntry
	status string
	card   kassa.SavedCard
}

// New returns a simulator reading expiry dates against clock.
func New(clock kassa.Clock) *Gateway {
	return &Gateway{clock: clock, requests: map[digest]digest{}, secret: "whsec_simulator",
		charged: map[digest]charged{}, refunded: map[digest]int64{},
		waiting: map[string]*held{}, sessions: map[string]*session{}, setups: map[string]kassa.SavedCard{}, log: slog.New(slog.DiscardHandler)}
}

// Deliver makes the simulator hand its events, signed with secret, to
// deliver (kassa's /webhooks/simulator handler), as a processor posts them.
func (g *Gateway) Deliver(secret string, deliver func(ctx context.Context, payload []byte, signature string) error, log *slog.Logger) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.secret, g.deliver, g.log = secret, deliver, log
}

// behaviour is how a test card behaves once saved.
type behaviour string

const (
	behaveOK          behaviour = "ok"          // pays
	behaveFail        behaviour = "fail"        // every charge is declined
	behaveAuth        behaviour = "auth"        // every payment needs the person's bank
	behaveAuthDecline behaviour = "authdecline" // the bank authenticates, then it is declined
)

// The test cards that are refused when saved, with their reason; those that
// behave otherwise than paying; those whose saving needs the bank.
var (
	refused = map[string]string{
		"4000000000000002": kassa.DeclineCardDeclined,
		"4000000000009995": kassa.DeclineInsufficientFunds,
	}
	behaviours = map[string]behaviour{
		"4000000000000341": behaveFail,
		"4000002760003184": behaveAuth,
		"4000008260003178": behaveAuthDecline,
	}
	setupNeedsBank = map[string]bool{"4000002760003184": true, "4000002500003155": true, "4000008260003178": true}
)

// CreateCustomer returns a new customer reference.
func (g *Gateway) CreateCustomer(ctx context.Context, c kassa.Customer) (string, error) {
	return "sim_cus_" + random(), nil
}

// SaveCard validates the card and returns a reference to it: the
// test-mode shortcut of kassa.CardSaver.
func (g *Gateway) SaveCard(ctx context.Context, customerRef string, c kassa.Card) (kassa.SavedCard, error) {
	number, brand, err := c.Validate(g.clock.Now())
	if err != nil {
		return kassa.SavedCard{}, err
	}
	return g.saved(number, brand, c)
}

func (g *Gateway) saved(number string, brand kassa.Brand, c kassa.Card) (kassa.SavedCard, error) {
	if reason, ok := refused[number]; ok {
		return kassa.SavedCard{}, kassa.Declined(reason)
	}
	b, ok := behaviours[number]
	if !ok {
		b = behaveOK
	}
	return kassa.SavedCard{
		Ref:   fmt.Sprintf("sim_pm_%s_%s_%s", brand, b, random()),
		Brand: brand, Last4: number[len(number)-4:], ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		Name: c.Name, Address: c.Address,
	}, nil
}

// card is what a reference says about a saved card.
type card struct {
	brand kassa.Brand
	does  behaviour
}

func parseRef(ref string) (card, error) {
	parts := strings.Split(ref, "_")
	if len(parts) != 5 || parts[0] != "sim" || parts[1] != "pm" {
		return card{}, kassa.E(kassa.NotFound, "error.payment.no_card", "Card", strconv.Quote(ref))
	}
	switch b := behaviour(parts[3]); b {
	case behaveOK, behaveFail, behaveAuth, behaveAuthDecline:
		return card{brand: kassa.Brand(parts[2]), does: b}, nil
	}
	return card{}, kassa.E(kassa.NotFound, "error.payment.no_card", "Card", strconv.Quote(ref))
}

// UpdateCard checks the changes: an expiry date that has not passed and a
// name that is not blank.
func (g *Gateway) UpdateCard(ctx context.Context, ref string, u kassa.CardUpdate) error {
	if _, err := parseRef(ref); err != nil {
		return err
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return kassa.InvalidE("name", "error.card.name_required")
	}
	if u.ExpMonth != nil && u.ExpYear != nil {
		return kassa.ValidateExpiry("", *u.ExpMonth, *u.ExpYear, g.clock.Now())
	}
	return nil
}

// DetachCard has nothing to forget.
func (g *Gateway) DetachCard(ctx context.Context, cardRef string) error { return nil }

// Charge charges the card, once per idempotency key. A card that needs the
// bank waits for the person when they are present (the bank's page is
// Prefix+"pay/"+ref) and is declined authentication_required when not.
func (g *Gateway) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	c, err := parseRef(r.CardRef)
	if err != nil {
		return kassa.Payment{}, err
	}
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("simulator: charge of %v with key %q", r.Amount, r.IdempotencyKey)
	}
	e := LedgerEntry{Op: opCharge, Key: r.IdempotencyKey, Ref: "sim_ch_" + refOf(r.IdempotencyKey),
		Card: r.CardRef, Amount: r.Amount.Amount, Currency: r.Amount.Currency, At: g.clock.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	_, seen := g.requests[digestOf(e.Key)]
	if err := g.claimable(e); err != nil {
		return kassa.Payment{}, err
	}
	if h, ok := g.waiting[e.Ref]; ok { // a retry of one that needed the bank
		return h.payment(), nil
	}
	needsBank := c.does == behaveAuth || c.does == behaveAuthDecline
	switch {
	case c.does == behaveFail: // no money moves, so the ledger has nothing to keep
		g.requests[digestOf(e.Key)] = e.fingerprint()
		return kassa.Payment{}, kassa.Declined(kassa.DeclineCardDeclined)
	case needsBank && !r.OnSession:
		g.requests[digestOf(e.Key)] = e.fingerprint()
		return kassa.Payment{}, kassa.Declined(kassa.DeclineAuthenticationRequired)
	case seen:
		return kassa.Payment{Ref: e.Ref, Amount: r.Amount, Status: kassa.PaymentSucceeded}, nil // a retry
	case needsBank:
		e.Op, e.Return = opHold, r.ReturnURL
		if err := g.record(e); err != nil {
			return kassa.Payment{}, err
		}
		return g.waiting[e.Ref].payment(), nil
	}
	if err := g.record(e); err != nil {
		return kassa.Payment{}, err
	}
	return kassa.Payment{Ref: e.Ref, Amount: r.Amount, Status: kassa.PaymentSucceeded}, nil
}

func (h *held) payment() kassa.Payment {
	p := kassa.Payment{Ref: h.Ref, Amount: h.Money(), Status: h.status, Decline: h.decline}
	if h.status == kassa.PaymentRequiresAction {
		p.ActionURL = Prefix + "pay/" + h.Ref
	}
	return p
}

// FindPayment reads a charge: one that went through, or one that needed
// the bank, as it stands. Errors: NotFound.
func (g *Gateway) FindPayment(ctx context.Context, ref string) (kassa.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	if h, ok := g.waiting[ref]; ok {
		return h.payment(), nil
	}
	if c, ok := g.charged[digestOf(ref)]; ok {
		return kassa.Payment{Ref: ref, Amount: c.money(), Status: kassa.PaymentSucceeded}, nil
	}
	return kassa.Payment{}, kassa.E(kassa.NotFound, "error.payment.no_payment", "Payment", strconv.Quote(ref))
}

// CancelPayment gives up a payment waiting for the bank.
func (g *Gateway) CancelPayment(ctx context.Context, ref string) error {
	_, err := g.resolve(ctx, ref, kassa.PaymentCanceled, "")
	return err
}

// resolve ends a payment waiting for the bank: succeeded (the money moves
// then), declined or canceled. One that is over stays as it was. It returns
// the payment as it stands.
func (g *Gateway) resolve(ctx context.Context, ref, status, decline string) (kassa.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	h, ok := g.waiting[ref]
	if !ok {
		return kassa.Payment{}, kassa.E(kassa.NotFound, "error.payment.no_payment", "Payment", strconv.Quote(ref))
	}
	if h.status != kassa.PaymentRequiresAction {
		return h.payment(), nil
	}
	if status == kassa.PaymentSucceeded {
		if c, _ := parseRef(h.Card); c.does == behaveAuthDecline {
			status, decline = kassa.PaymentDeclined, kassa.DeclineInsufficientFunds
		}
	}
	e := LedgerEntry{Op: opResolve, Ref: ref, Status: status, Decline: decline, Amount: h.Amount, Currency: h.Currency, At: g.clock.Now()}
	if err := g.record(e); err != nil {
		return kassa.Payment{}, err
	}
	return h.payment(), nil
}

// Refund returns money of a charge, never more than it took. A charge the
// simulator has no record of (made before its ledger was kept, or before a
// restart without one) is refunded on trust.
func (g *Gateway) Refund(ctx context.Context, r kassa.RefundRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("simulator: refund of %v with key %q", r.Amount, r.IdempotencyKey)
	}
	e := LedgerEntry{Op: opRefund, Key: r.IdempotencyKey, Ref: "sim_re_" + refOf(r.IdempotencyKey),
		Charge: r.ChargeRef, Amount: r.Amount.Amount, Currency: r.Amount.Currency, At: g.clock.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	if _, seen := g.requests[digestOf(e.Key)]; seen {
		if err := g.claimable(e); err != nil {
			return kassa.Payment{}, err
		}
		return kassa.Payment{Ref: e.Ref, Amount: r.Amount, Status: kassa.PaymentSucceeded}, nil // a retry
	}
	if c, ok := g.charged[digestOf(r.ChargeRef)]; ok {
		if charged := c.money(); charged.Currency != r.Amount.Currency ||
			g.refunded[digestOf(r.ChargeRef)]+r.Amount.Amount > charged.Amount {
			return kassa.Payment{}, kassa.E(kassa.Conflict, "error.refund.exceeds", "Amount", r.Amount.String(), "Charge", r.ChargeRef)
		}
	}
	if err := g.record(e); err != nil {
		return kassa.Payment{}, err
	}
	return kassa.Payment{Ref: e.Ref, Amount: r.Amount, Status: kassa.PaymentSucceeded}, nil
}

// StartCardSession opens a card page, at Prefix+"cards/"+ref.
func (g *Gateway) StartCardSession(ctx context.Context, r kassa.CardSessionRequest) (kassa.CardSession, error) {
	if r.CustomerRef == "" || r.ReturnURL == "" || r.CancelURL == "" {
		return kassa.CardSession{}, fmt.Errorf("simulator: card session for %q back to %q/%q", r.CustomerRef, r.ReturnURL, r.CancelURL)
	}
	e := LedgerEntry{Op: opSession, Ref: "sim_cs_" + random(), Customer: r.CustomerRef, Return: r.ReturnURL,
		Cancel: r.CancelURL, Language: r.Language, At: g.clock.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.CardSession{}, err
	}
	defer unlock()
	if err := g.record(e); err != nil {
		return kassa.CardSession{}, err
	}
	return kassa.CardSession{Ref: e.Ref, URL: Prefix + "cards/" + e.Ref, SetupRef: setupRef(e.Ref)}, nil
}

// setupRef is the setup a card session stands for, as its events name it.
func setupRef(sessionRef string) string {
	return "sim_seti_" + strings.TrimPrefix(sessionRef, "sim_cs_")
}

// FindCardSession reads a card session. Errors: NotFound.
func (g *Gateway) FindCardSession(ctx context.Context, ref string) (kassa.CardSessionResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.CardSessionResult{}, err
	}
	defer unlock()
	s, ok := g.sessions[ref]
	if !ok {
		return kassa.CardSessionResult{}, kassa.E(kassa.NotFound, "error.card_session.not_found")
	}
	return kassa.CardSessionResult{Status: s.status, Card: s.card}, nil
}

// findSession returns a card page that is still open.
func (g *Gateway) findSession(ref string) (*session, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return nil, false
	}
	defer unlock()
	s, ok := g.sessions[ref]
	if !ok {
		return nil, false
	}
	copied := *s
	return &copied, true
}

// completeSession saves the card of a card page. A session completed
// already keeps its first card.
func (g *Gateway) completeSession(ref string, c kassa.SavedCard) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return err
	}
	defer unlock()
	s, ok := g.sessions[ref]
	if !ok || s.status != kassa.CardSessionOpen {
		return nil
	}
	return g.record(LedgerEntry{Op: opSessionDone, Ref: ref, Card: c.Ref, Brand: string(c.Brand), Last4: c.Last4,
		ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Name: c.Name, Address: &c.Address, At: g.clock.Now()})
}

// findHeld returns a payment waiting for the bank, as it stands.
func (g *Gateway) findHeld(ref string) (held, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return held{}, false
	}
	defer unlock()
	h, ok := g.waiting[ref]
	if !ok {
		return held{}, false
	}
	return *h, true
}

// claimable reports a Conflict when e's key was used for another request,
// as a real gateway does.
func (g *Gateway) claimable(e LedgerEntry) error {
	if seen, ok := g.requests[digestOf(e.Key)]; ok && seen != e.fingerprint() {
		return kassa.E(kassa.Conflict, "error.payment.key_reused", "Key", strconv.Quote(e.Key))
	}
	return nil
}

// record makes an entry: first in the ledger, when there is one, then in
// memory. g.mu is held.
func (g *Gateway) record(e LedgerEntry) error {
	if g.ledger != nil {
		if err := g.ledger.append(e); err != nil {
			return fmt.Errorf("simulator: record %s %s: %w", e.Op, e.Ref, err)
		}
	}
	g.apply(e)
	return nil
}

// apply adds an entry to what the simulator remembers, once per idempotency
// key or state change. g.mu is held.
func (g *Gateway) apply(e LedgerEntry) {
	switch e.Op {
	case opCharge, opRefund, opHold:
		if _, ok := g.requests[digestOf(e.Key)]; ok {
			return
		}
		g.requests[digestOf(e.Key)] = e.fingerprint()
	}
	switch e.Op {
	case opCharge:
		g.charged[digestOf(e.Ref)] = chargedOf(e.Money())
	case opRefund:
		g.refunded[digestOf(e.Charge)] += e.Amount
	case opHold:
		g.waiting[e.Ref] = &held{LedgerEntry: e, status: kassa.PaymentRequiresAction}
	case opResolve:
		h, ok := g.waiting[e.Ref]
		if !ok || h.status != kassa.PaymentRequiresAction {
			return
		}
		h.status, h.decline = e.Status, e.Decline
		if e.Status == kassa.PaymentSucceeded {
			g.charged[digestOf(e.Ref)] = chargedOf(e.Money())
		}
	case opSession:
		g.sessions[e.Ref] = &session{LedgerEntry: e, status: kassa.CardSessionOpen}
	case opSessionDone:
		s, ok := g.sessions[e.Ref]
		if !ok || s.status != kassa.CardSessionOpen {
			return
		}
		s.status = kassa.CardSessionComplete
		s.card = kassa.SavedCard{Ref: e.Card, Brand: kassa.Brand(e.Brand), Last4: e.Last4, ExpMonth: e.ExpMonth,
			ExpYear: e.ExpYear, Name: e.Name}
		if e.Address != nil {
			s.card.Address = *e.Address
		}
	}
}

// VerifyEvent checks an event the simulator signed.
func (g *Gateway) VerifyEvent(payload []byte, signature string) (kassa.Event, error) {
	g.mu.Lock()
	secret := g.secret
	g.mu.Unlock()
	return events.Verify(payload, signature, secret)
}

// refOf is the reference of the payment asked for with key s.
func refOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:10])
}

func random() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
