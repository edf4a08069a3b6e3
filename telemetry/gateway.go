package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/kassa-billing/kassa"
)

// Gateway returns gw counting its calls in m and tracing each in a span
// (gateway.<operation>). A gateway that saves cards given their number (the
// simulator) still does.
func Gateway(gw kassa.Gateway, m *Metrics) kassa.Gateway {
	if saver, ok := gw.(kassa.CardSaver); ok {
		return &observedSaver{observed{gw, m}, saver}
	}
	return &observed{gw, m}
}

type observed struct {
	gw kassa.Gateway
	m  *Metrics
}

type observedSaver struct {
	observed
	saver kassa.CardSaver
}

// call runs fn as the gateway's operation op, counted and traced; status
// is the payment's status when the call returned one.
func (o *observed) call(ctx context.Context, op string, fn func(ctx context.Context) (status string, err error)) {
	start := time.Now()
	ctx, span := Tracer().Start(ctx, "gateway."+op, trace.WithSpanKind(trace.SpanKindClient))
	status, err := fn(ctx)
	outcome := "ok"
	switch {
	case err != nil && kassa.ErrorCode(err) == kassa.PaymentFailed:
		outcome = "declined"
	case err != nil:
		outcome = "error"
		span.SetStatus(codes.Error, err.Error())
	case status == kassa.PaymentRequiresAction:
		outcome = "requires_action"
	}
	span.SetAttributes(attribute.String("kassa.gateway.outcome", outcome))
	span.End()
	o.m.GatewayCall(op, outcome, time.Since(start))
}

func (o *observed) CreateCustomer(ctx context.Context, c kassa.Customer) (ref string, err error) {
	o.call(ctx, "create_customer", func(ctx context.Context) (string, error) {
		ref, err = o.gw.CreateCustomer(ctx, c)
		return "", err
	})
	return ref, err
}

func (o *observed) StartCardSession(ctx context.Context, r kassa.CardSessionRequest) (cs kassa.CardSession, err error) {
	o.call(ctx, "start_card_session", func(ctx context.Context) (string, error) {
		cs, err = o.gw.StartCardSession(ctx, r)
		return "", err
	})
	return cs, err
}

func (o *observed) FindCardSession(ctx context.Context, ref string) (res kassa.CardSessionResult, err error) {
	o.call(ctx, "find_card_session", func(ctx context.Context) (string, error) {
		res, err = o.gw.FindCardSession(ctx, ref)
		return "", err
	})
	return res, err
}

func (o *observed) UpdateCard(ctx context.Context, ref string, u kassa.CardUpdate) (err error) {
	o.call(ctx, "update_card", func(ctx context.Context) (string, error) {
		err = o.gw.UpdateCard(ctx, ref, u)
		return "", err
	})
	return err
}

func (o *observed) DetachCard(ctx context.Context, cardRef string) (err error) {
	o.call(ctx, "detach_card", func(ctx context.Context) (string, error) {
		err = o.gw.DetachCard(ctx, cardRef)
		return "", err
	})
	return err
}

func (o *observed) Charge(ctx context.Context, r kassa.ChargeRequest) (p kassa.Payment, err error) {
	o.call(ctx, "charge", func(ctx context.Context) (string, error) {
		p, err = o.gw.Charge(ctx, r)
		return p.Status, err
	})
	return p, err
}

func (o *observed) FindPayment(ctx context.Context, ref string) (p kassa.Payment, err error) {
	o.call(ctx, "find_payment", func(ctx context.Context) (string, error) {
		p, err = o.gw.FindPayment(ctx, ref)
		return p.Status, err
	})
	return p, err
}

func (o *observed) CancelPayment(ctx context.Context, ref string) (err error) {
	o.call(ctx, "cancel_payment", func(ctx context.Context) (string, error) {
		err = o.gw.CancelPayment(ctx, ref)
		return "", err
	})
	return err
}

func (o *observed) Refund(ctx context.Context, r kassa.RefundRequest) (p kassa.Payment, err error) {
	o.call(ctx, "refund", func(ctx context.Context) (string, error) {
		p, err = o.gw.Refund(ctx, r)
		return p.Status, err
	})
	return p, err
}

// VerifyEvent only checks a signature: it calls no one, so it is neither
// counted nor traced.
func (o *observed) VerifyEvent(payload []byte, signature string) (kassa.Event, error) {
	return o.gw.VerifyEvent(payload, signature)
}

func (o *observedSaver) SaveCard(ctx context.Context, customerRef string, c kassa.Card) (sc kassa.SavedCard, err error) {
	o.call(ctx, "save_card", func(ctx context.Context) (string, error) {
		sc, err = o.saver.SaveCard(ctx, customerRef, c)
		return "", err
	})
	return sc, err
}
