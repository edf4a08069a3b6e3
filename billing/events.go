package billing

import (
	"context"
	"strings"

	"github.com/kassa-billing/kassa"
)

// HandleEvent acts on a processor's event the gateway verified, once per
// event id: it reads the object the event names again from the processor
// and records what that says — a payment that waited for the bank
// (payment_intent.*), a card page (checkout.session.*, setup_intent.*) —
// or, for a dispute (charge.dispute.created), flags the subscription the
// charge paid for and tells the admins. Events of other kinds are taken
// and ignored. An event handled before is taken again and changes nothing.
// Errors: Unavailable (the processor will send it again).
func (s *Service) HandleEvent(ctx context.Context, ev kassa.Event) error {
	if seen, err := s.db.EventSeen(ctx, ev.ID); err != nil || seen {
		return err
	}
	var err error
	switch {
	case strings.HasPrefix(ev.Type, "payment_intent."):
		err = s.SettleCharge(ctx, ev.PaymentRef)
	case strings.HasPrefix(ev.Type, "checkout.session."), strings.HasPrefix(ev.Type, "setup_intent."):
		err = s.FinishCardSessionOf(ctx, ev.CardSessionRef, ev.SetupRef)
	case ev.Type == "charge.dispute.created":
		err = s.db.MarkDisputed(ctx, ev.PaymentRef, ev.Reason)
	}
	if err != nil {
		return err
	}
	return s.db.RecordEvent(ctx, ev.ID, ev.Type)
}
