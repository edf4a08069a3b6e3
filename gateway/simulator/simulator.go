// Package simulator is a payment gateway that runs inside kassa: the default,
// for demos and tests. It is deterministic and honours SPEC §2's test cards:
//
//	4242 4242 4242 4242 (Visa), 5555 5555 5555 4444 (Mastercard): succeed
//	4000 0000 0000 0002: refused with card_declined when saved
//	4000 0000 0000 9995: refused with insufficient_funds when saved
//	4000 0000 0000 0341: saved, but every charge fails (card_declined)
//
// Any other valid card succeeds. A saved card's reference carries its brand
// and whether its charges fail, so references stay good across restarts. A
// charge's reference is derived from its idempotency key.
//
// New keeps its charges and refunds in memory, so a restart forgets them.
// Open also keeps them in a ledger file (see ledger.go), which several
// processes may share: then a key charges once whatever restarts or
// processes come between, and a refund is bounded by what its charge took.
package simulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/kassa-billing/kassa"
)

// Gateway is the simulator. It is safe for concurrent use.
type Gateway struct {
	clock kassa.Clock

	mu       sync.Mutex
	ledger   *ledger           // nil: memory only
	requests map[string]string // idempotency key → fingerprint of its request
	charged  map[string]kassa.Money
	refunded map[string]int64 // charge ref → amount refunded
}

// New returns a simulator reading expiry dates against clock.
func New(clock kassa.Clock) *Gateway {
	return &Gateway{clock: clock, requests: map[string]string{},
		charged: map[string]kassa.Money{}, refunded: map[string]int64{}}
}

// refused maps the test cards that are refused when saved to their reason.
var refused = map[string]string{
	"4000000000000002": kassa.DeclineCardDeclined,
	"4000000000009995": kassa.DeclineInsufficientFunds,
}

// failsCharges is the test card that is saved but cannot be charged.
const failsCharges = "4000000000000341"

// CreateCustomer returns a new customer reference.
func (g *Gateway) CreateCustomer(ctx context.Context, c kassa.Customer) (string, error) {
	return "sim_cus_" + random(), nil
}

// SaveCard validates the card and returns a reference to it.
func (g *Gateway) SaveCard(ctx context.Context, c kassa.Card) (kassa.SavedCard, error) {
	number, brand, err := c.Validate(g.clock.Now())
	if err != nil {
		return kassa.SavedCard{}, err
	}
	if reason, ok := refused[number]; ok {
		return kassa.SavedCard{}, kassa.Declined(reason)
	}
	behaviour := "ok"
	if number == failsCharges {
		behaviour = "fail"
	}
	return kassa.SavedCard{
		Ref:   fmt.Sprintf("sim_pm_%s_%s_%s", brand, behaviour, random()),
		Brand: brand, Last4: number[len(number)-4:], ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
	}, nil
}

// card is what a reference says about a saved card.
type card struct {
	brand kassa.Brand
	fails bool
}

func parseRef(ref string) (card, error) {
	parts := strings.Split(ref, "_")
	if len(parts) != 5 || parts[0] != "sim" || parts[1] != "pm" || (parts[3] != "ok" && parts[3] != "fail") {
		return card{}, kassa.E(kassa.NotFound, "error.payment.no_card", "Card", strconv.Quote(ref))
	}
	return card{brand: kassa.Brand(parts[2]), fails: parts[3] == "fail"}, nil
}

// UpdateCard checks the changes: a security code of the card's length and
// an expiry date that has not passed.
func (g *Gateway) UpdateCard(ctx context.Context, ref string, u kassa.CardUpdate) error {
	c, err := parseRef(ref)
	if err != nil {
		return err
	}
	if u.CVC != nil {
		if err := kassa.ValidateCVC("cvc", *u.CVC, c.brand); err != nil {
			return err
		}
	}
	if u.ExpMonth != nil && u.ExpYear != nil {
		return kassa.ValidateExpiry("", *u.ExpMonth, *u.ExpYear, g.clock.Now())
	}
	return nil
}

// AttachCard accepts any saved card for any customer.
func (g *Gateway) AttachCard(ctx context.Context, cardRef, customerRef string) error {
	_, err := parseRef(cardRef)
	return err
}

// DetachCard has nothing to forget.
func (g *Gateway) DetachCard(ctx context.Context, cardRef string) error { return nil }

// Charge charges the card, once per idempotency key.
func (g *Gateway) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	c, err := parseRef(r.CardRef)
	if err != nil {
		return kassa.Payment{}, err
	}
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("simulator: charge of %v with key %q", r.Amount, r.IdempotencyKey)
	}
	e := LedgerEntry{Op: opCharge, Key: r.IdempotencyKey, Ref: "sim_ch_" + digest(r.IdempotencyKey),
		Card: r.CardRef, Amount: r.Amount.Amount, Currency: r.Amount.Currency, At: g.clock.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	_, seen := g.requests[e.Key]
	if err := g.claimable(e); err != nil {
		return kassa.Payment{}, err
	}
	switch {
	case c.fails: // no money moves, so the ledger has nothing to keep
		g.requests[e.Key] = e.fingerprint()
		return kassa.Payment{}, kassa.Declined(kassa.DeclineCardDeclined)
	case seen:
		return kassa.Payment{Ref: e.Ref, Amount: r.Amount}, nil // a retry
	}
	if err := g.record(e); err != nil {
		return kassa.Payment{}, err
	}
	return kassa.Payment{Ref: e.Ref, Amount: r.Amount}, nil
}

// Refund returns money of a charge, never more than it took. A charge the
// simulator has no record of (made before its ledger was kept, or before a
// restart without one) is refunded on trust.
func (g *Gateway) Refund(ctx context.Context, r kassa.RefundRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("simulator: refund of %v with key %q", r.Amount, r.IdempotencyKey)
	}
	e := LedgerEntry{Op: opRefund, Key: r.IdempotencyKey, Ref: "sim_re_" + digest(r.IdempotencyKey),
		Charge: r.ChargeRef, Amount: r.Amount.Amount, Currency: r.Amount.Currency, At: g.clock.Now()}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		return kassa.Payment{}, err
	}
	defer unlock()
	if _, seen := g.requests[e.Key]; seen {
		if err := g.claimable(e); err != nil {
			return kassa.Payment{}, err
		}
		return kassa.Payment{Ref: e.Ref, Amount: r.Amount}, nil // a retry
	}
	if charged, ok := g.charged[r.ChargeRef]; ok {
		if charged.Currency != r.Amount.Currency || g.refunded[r.ChargeRef]+r.Amount.Amount > charged.Amount {
			return kassa.Payment{}, kassa.E(kassa.Conflict, "error.refund.exceeds", "Amount", r.Amount.String(), "Charge", r.ChargeRef)
		}
	}
	if err := g.record(e); err != nil {
		return kassa.Payment{}, err
	}
	return kassa.Payment{Ref: e.Ref, Amount: r.Amount}, nil
}

// claimable reports a Conflict when e's key was used for another request,
// as a real gateway does.
func (g *Gateway) claimable(e LedgerEntry) error {
	if seen, ok := g.requests[e.Key]; ok && seen != e.fingerprint() {
		return kassa.E(kassa.Conflict, "error.payment.key_reused", "Key", strconv.Quote(e.Key))
	}
	return nil
}

// record makes a charge or refund: first in the ledger, when there is one,
// then in memory. g.mu is held.
func (g *Gateway) record(e LedgerEntry) error {
	if g.ledger != nil {
		if err := g.ledger.append(e); err != nil {
			return fmt.Errorf("simulator: record %s %s: %w", e.Op, e.Key, err)
		}
	}
	g.apply(e)
	return nil
}

// apply adds a charge or refund to what the simulator remembers, once per
// idempotency key. g.mu is held.
func (g *Gateway) apply(e LedgerEntry) {
	if _, ok := g.requests[e.Key]; ok {
		return
	}
	g.requests[e.Key] = e.fingerprint()
	switch e.Op {
	case opCharge:
		g.charged[e.Ref] = kassa.Money{Amount: e.Amount, Currency: e.Currency}
	case opRefund:
		g.refunded[e.Charge] += e.Amount
	}
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:10])
}

func random() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
