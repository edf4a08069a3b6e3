package demo

import (
	"context"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// payment is erik's card and billing profile, saved with the gateway and
// waiting to be stored.
type payment struct {
	card    *kassa.PaymentMethod
	profile *kassa.BillingProfile
}

var erikAddress = kassa.Address{
	Line1: "Storgatan 12", Line2: "Plan 3", City: "Stockholm", PostalCode: "111 22", Country: "SE",
}

// erikPays saves erik's Visa 4242 and his billing profile's customer with
// the gateway.
func erikPays(ctx context.Context, gw kassa.Gateway, now time.Time) (*payment, error) {
	c := kassa.Card{Number: "4242 4242 4242 4242", CVC: "123", ExpMonth: 12, ExpYear: now.Year() + 3,
		Name: "Erik Johansson", Address: erikAddress}
	saved, err := gw.SaveCard(ctx, c)
	if err != nil {
		return nil, err
	}
	p := &kassa.BillingProfile{Name: "Nordvik AB – Erik Johansson", Email: "erik@nordvik.example",
		Address: erikAddress, Currency: "SEK", PONumber: "PO-2026-117"}
	if p.CustomerRef, err = gw.CreateCustomer(ctx, kassa.Customer{Name: p.Name, Email: p.Email, Address: p.Address}); err != nil {
		return nil, err
	}
	if err := gw.AttachCard(ctx, saved.Ref, p.CustomerRef); err != nil {
		return nil, err
	}
	return &payment{
		card: &kassa.PaymentMethod{GatewayRef: saved.Ref, Brand: saved.Brand, Last4: saved.Last4,
			ExpMonth: saved.ExpMonth, ExpYear: saved.ExpYear, Name: c.Name, Address: c.Address},
		profile: p,
	}, nil
}

// store keeps the card and the profile as the actor's (erik's).
func (p *payment) store(ctx context.Context, db *sqldb.DB) error {
	if err := db.CreatePaymentMethod(ctx, p.card); err != nil {
		return err
	}
	p.profile.PaymentMethodID = p.card.ID
	return db.CreateBillingProfile(ctx, p.profile)
}
