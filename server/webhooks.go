package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
)

// maxEvent bounds the body of a processor's event.
const maxEvent = 1 << 20

// events takes the processor's events at /webhooks/{gateway} (SPEC §10):
// the signature checked by the gateway (400 when it fails: nothing
// changes), then billing acts on the event once. A failure to act answers
// 500, and the processor sends the event again.
type events struct {
	name    string // the gateway's: "stripe" or "simulator"
	gw      kassa.Gateway
	billing *billing.Service
	log     *slog.Logger
}

func (e *events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("gateway") != e.name {
		http.NotFound(w, r)
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEvent))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if err := e.take(r.Context(), payload, r.Header.Get("Stripe-Signature")); err != nil {
		if kassa.ErrorCode(err) == kassa.Invalid {
			e.log.WarnContext(r.Context(), "processor event refused", "gateway", e.name, "err", err)
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		e.log.ErrorContext(r.Context(), "processor event not handled", "gateway", e.name, "err", err)
		http.Error(w, "not handled; send it again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// take verifies an event and acts on it.
func (e *events) take(ctx context.Context, payload []byte, signature string) error {
	ev, err := e.gw.VerifyEvent(payload, signature)
	if err != nil {
		return err
	}
	return e.billing.HandleEvent(ctx, ev)
}

// mountGateway serves /webhooks/{gateway}, and with the simulator its pages
// under /simulator/ and its events, which it signs as Stripe does and hands
// to the same code the webhook runs.
func mountGateway(mux *http.ServeMux, cfg Config) {
	if cfg.Gateway == nil || cfg.Billing == nil {
		return
	}
	e := &events{name: cfg.GatewayName, gw: cfg.Gateway, billing: cfg.Billing, log: cfg.Log}
	mux.Handle("POST /webhooks/{gateway}", e)
	sim, ok := cfg.Gateway.(*simulator.Gateway)
	if !ok {
		return
	}
	mux.Handle(simulator.Prefix, sim.Handler())
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	sim.Deliver("whsec_"+hex.EncodeToString(secret), func(ctx context.Context, payload []byte, signature string) error {
		err := e.take(ctx, payload, signature)
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}, cfg.Log)
}
