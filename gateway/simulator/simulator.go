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
// charge's reference is derived from its idempotency key, so the same key can
// never make a second charge, even after a restart.
package simulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/kassa-billing/kassa"
)

// Gateway is the simulator. It is safe for concurrent use.
type Gateway struct {
	clock kassa.Clock

	mu       sync.Mutex
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
		return card{}, kassa.Errorf(kassa.NotFound, "The payment service knows no card %q.", ref)
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
	ref := "sim_ch_" + digest(r.IdempotencyKey)
	if err := g.claim(r.IdempotencyKey, fmt.Sprint("charge", r.CardRef, r.Amount)); err != nil {
		return kassa.Payment{}, err
	}
	if c.fails {
		return kassa.Payment{}, kassa.Declined(kassa.DeclineCardDeclined)
	}
	g.mu.Lock()
	g.charged[ref] = r.Amount
	g.mu.Unlock()
	return kassa.Payment{Ref: ref, Amount: r.Amount}, nil
}

// Refund returns money of a charge, never more than it took.
func (g *Gateway) Refund(ctx context.Context, r kassa.RefundRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("simulator: refund of %v with key %q", r.Amount, r.IdempotencyKey)
	}
	ref := "sim_re_" + digest(r.IdempotencyKey)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.requests[r.IdempotencyKey] == fmt.Sprint("refund", r.ChargeRef, r.Amount) {
		return kassa.Payment{Ref: ref, Amount: r.Amount}, nil // a retry
	}
	if charged, ok := g.charged[r.ChargeRef]; ok {
		if charged.Currency != r.Amount.Currency || g.refunded[r.ChargeRef]+r.Amount.Amount > charged.Amount {
			return kassa.Payment{}, kassa.Errorf(kassa.Conflict, "A refund of %v exceeds what charge %s has left.", r.Amount, r.ChargeRef)
		}
	}
	if err := g.claimLocked(r.IdempotencyKey, fmt.Sprint("refund", r.ChargeRef, r.Amount)); err != nil {
		return kassa.Payment{}, err
	}
	g.refunded[r.ChargeRef] += r.Amount.Amount
	return kassa.Payment{Ref: ref, Amount: r.Amount}, nil
}

// claim records that key stands for the request; a key seen before with
// another request is a Conflict, as at a real gateway.
func (g *Gateway) claim(key, fingerprint string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.claimLocked(key, fingerprint)
}

func (g *Gateway) claimLocked(key, fingerprint string) error {
	if seen, ok := g.requests[key]; ok && seen != fingerprint {
		return kassa.Errorf(kassa.Conflict, "Idempotency key %q was used for another request.", key)
	}
	g.requests[key] = fingerprint
	return nil
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
