package billing

import (
	"context"
	"strings"

	"github.com/kassa-billing/kassa"
)

// AddPaymentMethod saves a card given its number: the simulator's
// test-mode shortcut (the JSON API's card{…} body). A processor's gateway
// takes cards on its own page only (OpenCardPage): with one, the shortcut
// is Invalid naming card. Errors: Invalid naming the field, PaymentFailed
// when the card is refused, Forbidden for guests.
func (s *Service) AddPaymentMethod(ctx context.Context, c kassa.Card) (*kassa.PaymentMethod, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	saver, ok := s.gw.(kassa.CardSaver)
	if !ok {
		return nil, kassa.InvalidE("card", "error.card.hosted_only")
	}
	c.Name, c.Address = strings.TrimSpace(c.Name), c.Address.Trimmed()
	if _, _, err := c.Validate(s.clock.Now()); err != nil {
		return nil, err
	}
	if err := kassa.ValidateAddress("address.", c.Address); err != nil {
		return nil, err
	}
	customer, err := s.customer(ctx, a)
	if err != nil {
		return nil, err
	}
	saved, err := saver.SaveCard(ctx, customer, c)
	if err != nil {
		return nil, err
	}
	m := paymentMethod(saved, customer)
	if m.Name == "" {
		m.Name, m.Address = c.Name, c.Address
	}
	if err := s.db.CreatePaymentMethod(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// paymentMethod is what kassa keeps of a card the gateway saved.
func paymentMethod(c kassa.SavedCard, customerRef string) *kassa.PaymentMethod {
	return &kassa.PaymentMethod{GatewayRef: c.Ref, CustomerRef: customerRef, Brand: c.Brand, Last4: c.Last4,
		ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Name: c.Name, Address: c.Address}
}

// customer returns the actor's customer at the gateway (the
// organization's while an admin acts for it, named after it), made the
// first time it is needed.
func (s *Service) customer(ctx context.Context, a *kassa.Actor) (string, error) {
	ref, err := s.db.CustomerOf(ctx)
	if err != nil || ref != "" {
		return ref, err
	}
	c := kassa.Customer{Name: a.User.Name, Email: a.User.Email}
	if a.ForOrganization {
		c.Name = a.Tenant.Name
	}
	if ref, err = s.gw.CreateCustomer(ctx, c); err != nil {
		return "", err
	}
	return s.db.SetCustomer(ctx, ref)
}

// UpdatePaymentMethod changes a card's expiry date, name or address: the
// gateway checks and keeps the change first. (A new security code is
// entered on the gateway's card page: OpenCardPage with Replaces.)
// Errors: NotFound, Invalid naming the field, PaymentFailed.
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

// CreateBillingProfile makes a billing profile, paying with one of the
// actor's cards when p names one. Errors: Invalid naming the field,
// Forbidden for guests.
func (s *Service) CreateBillingProfile(ctx context.Context, p *kassa.BillingProfile) error {
	a, err := buyer(ctx)
	if err != nil {
		return err
	}
	if err := p.Validate(a.Tenant); err != nil {
		return err
	}
	if _, err := s.cardFor(ctx, p.PaymentMethodID); err != nil {
		return err
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
		if _, err := s.cardFor(ctx, next.PaymentMethodID); err != nil {
			return nil, err
		}
	}
	if err := s.db.UpdateBillingProfile(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}
