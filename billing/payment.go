package billing

import (
	"context"
	"strings"

	"github.com/kassa-billing/kassa"
)

// AddPaymentMethod saves a card with the gateway and keeps what may be kept
// of it. Errors: Invalid naming the field, PaymentFailed when the card is
// refused, Forbidden for guests.
func (s *Service) AddPaymentMethod(ctx context.Context, c kassa.Card) (*kassa.PaymentMethod, error) {
	if _, err := buyer(ctx); err != nil {
		return nil, err
	}
	m, err := s.saveCard(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.db.CreatePaymentMethod(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// saveCard validates c and saves it with the gateway.
func (s *Service) saveCard(ctx context.Context, c kassa.Card) (*kassa.PaymentMethod, error) {
	c.Name, c.Address = strings.TrimSpace(c.Name), c.Address.Trimmed()
	if _, _, err := c.Validate(s.clock.Now()); err != nil {
		return nil, err
	}
	if err := kassa.ValidateAddress("address.", c.Address); err != nil {
		return nil, err
	}
	saved, err := s.gw.SaveCard(ctx, c)
	if err != nil {
		return nil, err
	}
	return &kassa.PaymentMethod{
		GatewayRef: saved.Ref, Brand: saved.Brand, Last4: saved.Last4,
		ExpMonth: saved.ExpMonth, ExpYear: saved.ExpYear, Name: c.Name, Address: c.Address,
	}, nil
}

// UpdatePaymentMethod changes a card's security code, expiry date, name or
// address: the gateway checks and keeps the change first. Errors: NotFound,
// Invalid naming the field, PaymentFailed.
func (s *Service) UpdatePaymentMethod(ctx context.Context, id string, u kassa.CardUpdate) (*kassa.PaymentMethod, error) {
	if _, err := buyer(ctx); err != nil {
		return nil, err
	}
	m, err := s.db.FindPaymentMethodByID(ctx, id)
	if err != nil {
		return nil, err
	}
	next, err := m.Apply(kassa.PaymentMethodUpdate{
		ExpMonth: u.ExpMonth, ExpYear: u.ExpYear, Name: u.Name, Address: u.Address,
	}, s.clock.Now())
	if err != nil {
		return nil, err
	}
	if u.CVC != nil {
		if err := kassa.ValidateCVC("cvc", *u.CVC, m.Brand); err != nil {
			return nil, err
		}
	}
	// The gateway gets the whole expiry date when either half changes.
	if u.ExpMonth != nil || u.ExpYear != nil {
		u.ExpMonth, u.ExpYear = &next.ExpMonth, &next.ExpYear
	}
	if err := s.gw.UpdateCard(ctx, m.GatewayRef, u); err != nil {
		return nil, err
	}
	if err := s.db.UpdatePaymentMethod(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

// DeletePaymentMethod deletes a card no billing profile uses, then tells the
// gateway to forget it. Errors: NotFound, Conflict while a profile uses it.
func (s *Service) DeletePaymentMethod(ctx context.Context, id string) error {
	m, err := s.db.FindPaymentMethodByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.db.DeletePaymentMethod(ctx, id); err != nil {
		return err
	}
	// kassa no longer refers to the card; a gateway that fails to forget
	// it only keeps a card nobody can use through kassa.
	if err := s.gw.DetachCard(ctx, m.GatewayRef); err != nil {
		s.log.Warn("detach deleted card", "payment_method", id, "err", err)
	}
	return nil
}

// CreateBillingProfile makes a billing profile with a customer at the
// gateway, paying with one of the actor's cards when p names one. Errors:
// Invalid naming the field, Forbidden for guests.
func (s *Service) CreateBillingProfile(ctx context.Context, p *kassa.BillingProfile) error {
	a, err := buyer(ctx)
	if err != nil {
		return err
	}
	if err := p.Validate(a.Tenant); err != nil {
		return err
	}
	card, err := s.cardFor(ctx, p.PaymentMethodID)
	if err != nil {
		return err
	}
	if p.CustomerRef, err = s.gw.CreateCustomer(ctx, kassa.Customer{Name: p.Name, Email: p.Email, Address: p.Address}); err != nil {
		return err
	}
	if card != nil {
		if err := attachCard(ctx, s.gw, card, p.CustomerRef); err != nil {
			return err
		}
	}
	return s.db.CreateBillingProfile(ctx, p)
}

// cardFor returns the actor's payment method id, nil for "", and an Invalid
// error naming payment_method_id for an id that is not theirs.
func (s *Service) cardFor(ctx context.Context, id string) (*kassa.PaymentMethod, error) {
	if id == "" {
		return nil, nil
	}
	m, err := s.db.FindPaymentMethodByID(ctx, id)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil, kassa.InvalidE("payment_method_id", "error.profile.payment_method_unknown")
	}
	return m, err
}

// UpdateBillingProfile changes a profile's details or the card it pays
// with. Errors: NotFound, Invalid naming the field.
func (s *Service) UpdateBillingProfile(ctx context.Context, id string, u kassa.BillingProfileUpdate) (*kassa.BillingProfile, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.db.FindBillingProfileByID(ctx, id)
	if err != nil {
		return nil, err
	}
	next, err := p.Apply(u, a.Tenant)
	if err != nil {
		return nil, err
	}
	if next.PaymentMethodID != p.PaymentMethodID {
		if err := s.attach(ctx, next); err != nil {
			return nil, err
		}
	}
	if err := s.db.UpdateBillingProfile(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

// attach makes the gateway charge p's customer with p's payment method.
func (s *Service) attach(ctx context.Context, p *kassa.BillingProfile) error {
	card, err := s.cardFor(ctx, p.PaymentMethodID)
	if err != nil || card == nil {
		return err
	}
	return attachCard(ctx, s.gw, card, p.CustomerRef)
}

// attachCard attaches a stored card at the gateway. A card the gateway no
// longer knows is the caller's input at fault, not a missing route.
func attachCard(ctx context.Context, gw kassa.Gateway, card *kassa.PaymentMethod, customerRef string) error {
	err := gw.AttachCard(ctx, card.GatewayRef, customerRef)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return kassa.InvalidE("payment_method_id", "error.card.gone", "Last4", card.Last4)
	}
	return err
}

// ReplacePaymentMethod adds a new card and makes it the one the profile
// pays with, both or neither. Errors: NotFound, Invalid, PaymentFailed.
func (s *Service) ReplacePaymentMethod(ctx context.Context, profileID string, c kassa.Card) (*kassa.BillingProfile, error) {
	if _, err := buyer(ctx); err != nil {
		return nil, err
	}
	p, err := s.db.FindBillingProfileByID(ctx, profileID)
	if err != nil {
		return nil, err
	}
	m, err := s.saveCard(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.gw.AttachCard(ctx, m.GatewayRef, p.CustomerRef); err != nil {
		return nil, err
	}
	err = s.db.Atomically(ctx, func(ctx context.Context) error {
		if err := s.db.CreatePaymentMethod(ctx, m); err != nil {
			return err
		}
		p.PaymentMethodID = m.ID
		return s.db.UpdateBillingProfile(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
