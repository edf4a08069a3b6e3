// Package events signs and verifies a processor's events the way Stripe
// does (SPEC §10): the Stripe-Signature header's t=…,v1=… scheme, an
// HMAC-SHA256 of the timestamp and the payload, checked by stripe-go's
// webhook package with its five-minute tolerance. The Stripe gateway
// verifies Stripe's events with it; the simulator signs its own with it, so
// that one handler path takes both.
package events

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/kassa-billing/kassa"
)

// Sign returns the signature header of payload, signed at t with secret.
func Sign(payload []byte, secret string, t time.Time) string {
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(webhook.ComputeSignature(t, payload, secret)))
}

// Verify checks the signature header of payload against secret and
// returns the event, naming the object it is about. An event's API version
// may differ from stripe-go's: kassa reads only ids from it and reads the
// object itself again before acting. Errors: Invalid (error.webhook.signature)
// for a signature that is missing, wrong or older than five minutes, or a
// payload that is no event.
func Verify(payload []byte, header, secret string) (kassa.Event, error) {
	if secret == "" {
		return kassa.Event{}, kassa.E(kassa.Invalid, "error.webhook.signature")
	}
	e, err := webhook.ConstructEventWithOptions(payload, header, secret, webhook.ConstructEventOptions{
		Tolerance: webhook.DefaultTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return kassa.Event{}, fmt.Errorf("verify event: %v: %w", err, kassa.E(kassa.Invalid, "error.webhook.signature"))
	}
	ev := kassa.Event{ID: e.ID, Type: string(e.Type)}
	if ev.ID == "" || ev.Type == "" || e.Data == nil {
		return kassa.Event{}, kassa.E(kassa.Invalid, "error.webhook.signature")
	}
	obj := e.Data.Object
	str := func(name string) string {
		switch v := obj[name].(type) {
		case string:
			return v
		case map[string]any: // expanded
			s, _ := v["id"].(string)
			return s
		}
		return ""
	}
	switch str("object") {
	case "payment_intent":
		ev.PaymentRef = str("id")
	case "charge":
		ev.PaymentRef = str("payment_intent")
	case "dispute":
		ev.PaymentRef, ev.Reason = str("payment_intent"), str("reason")
	case "checkout.session":
		ev.CardSessionRef, ev.SetupRef = str("id"), str("setup_intent")
	case "setup_intent":
		ev.SetupRef = str("id")
	}
	return ev, nil
}
