package billing

import (
	"context"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// cardPageLife is how long a card page stays open at the processor
// (Stripe's Checkout Sessions expire after a day).
const cardPageLife = 24 * time.Hour

// CardPage asks for the processor's card page.
type CardPage struct {
	// Base is kassa's base URL, which the processor sends the person back to.
	Base string
	// ProfileID is the billing profile that will pay with the card, or "".
	ProfileID string
	// Replaces is a card the new one replaces on every profile, or "" (a
	// new security code is a new card entered on the page).
	Replaces string
	// ReturnTo is kassa's path to go on to, once the card is saved or the
	// person gives up.
	ReturnTo string
	Language string
}

// CardReturnPath is where the processor sends the person back, under
// kassa's base URL, for the card page id: kassa keeps the card there.
func CardReturnPath(id string) string { return "/billing/bills/card-pages/" + id }

// OpenCardPage opens the processor's card page for the actor (made its
// customer the first time) and returns it, with the URL to send them to.
// Errors: Forbidden for guests, NotFound for a profile or card not theirs,
// Unavailable.
func (s *Service) OpenCardPage(ctx context.Context, p CardPage) (*sqldb.CardSession, string, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, "", err
	}
	customer, err := s.customer(ctx, a)
	if err != nil {
		return nil, "", err
	}
	cs := &sqldb.CardSession{ID: sqldb.NewCardSessionID(), ProfileID: p.ProfileID, Replaces: p.Replaces, ReturnTo: p.ReturnTo,
		ExpiresAt: s.clock.Now().Add(cardPageLife)}
	page, err := s.gw.StartCardSession(ctx, kassa.CardSessionRequest{CustomerRef: customer, Email: a.User.Email,
		Language: p.Language, ReturnURL: p.Base + CardReturnPath(cs.ID), CancelURL: p.Base + p.ReturnTo})
	if err != nil {
		return nil, "", err
	}
	cs.GatewayRef, cs.SetupRef = page.Ref, page.SetupRef
	if err := s.db.CreateCardSession(ctx, cs); err != nil {
		return nil, "", err
	}
	return cs, page.URL, nil
}

// FinishCardPage keeps the card the actor saved on their card page id:
// when they come back from it. It returns the card and the page. Errors:
// NotFound, Conflict (error.card_session.open) while the processor has no
// card from it yet, Unavailable.
func (s *Service) FinishCardPage(ctx context.Context, id string) (*kassa.PaymentMethod, *sqldb.CardSession, error) {
	cs, err := s.db.FindCardSession(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.finishCardSession(ctx, cs)
	return m, cs, err
}

// finishCardSession reads a card page at the processor and keeps the card
// it saved, once.
func (s *Service) finishCardSession(ctx context.Context, cs *sqldb.CardSession) (*kassa.PaymentMethod, error) {
	r, err := s.gw.FindCardSession(ctx, cs.GatewayRef)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case kassa.CardSessionComplete:
	case kassa.CardSessionExpired:
		if err := s.db.DeleteCardSession(ctx, cs.ID); err != nil {
			return nil, err
		}
		return nil, kassa.E(kassa.NotFound, "error.card_session.not_found")
	default:
		return nil, kassa.E(kassa.Conflict, "error.card_session.open")
	}
	customer, err := s.db.CustomerOfSession(ctx, cs)
	if err != nil {
		return nil, err
	}
	return s.db.CompleteCardSession(ctx, cs.ID, paymentMethod(r.Card, customer))
}

// FinishCardSessionOf keeps the card of the card page the processor's
// event names (by its reference or its setup's), as FinishCardPage does
// when the person comes back. One kassa does not know is no error.
func (s *Service) FinishCardSessionOf(ctx context.Context, ref, setupRef string) error {
	cs, err := s.db.FindCardSessionByRef(ctx, ref, setupRef)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil
	} else if err != nil {
		return err
	}
	if _, err := s.finishCardSession(ctx, cs); err != nil && kassa.ErrorCode(err) != kassa.Conflict && kassa.ErrorCode(err) != kassa.NotFound {
		return err
	}
	return nil
}

// reconcileCardSessions keeps the cards of card pages whose person never
// came back (closed the tab after saving) and forgets pages that expired.
func (s *Service) reconcileCardSessions(ctx context.Context, before time.Time) (int, error) {
	open, err := s.db.FindOpenCardSessions(ctx, before)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, cs := range open {
		_, err := s.finishCardSession(ctx, cs)
		switch kassa.ErrorCode(err) {
		case "", kassa.NotFound:
			done++
		case kassa.Conflict: // still open at the processor
			if s.clock.Now().After(cs.ExpiresAt) {
				if err := s.db.DeleteCardSession(ctx, cs.ID); err != nil {
					return done, err
				}
				done++
			}
		case kassa.Unavailable:
		default:
			return done, err
		}
	}
	return done, nil
}
