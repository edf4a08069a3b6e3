package demo

import (
	"context"
	"errors"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// payment is erik's card and billing profile, saved with the gateway and
// waiting to be stored.
type payment struct {
	customer string
	card     *kassa.PaymentMethod
	profile  *kassa.BillingProfile
}

var erikAddress = kassa.Address{
	Line1: "Storgatan 12", Line2: "Plan 3", City: "Stockholm", PostalCode: "111 22", Country: "SE",
}

// erikPays saves erik's Visa 4242 with the gateway, for him as its
// customer. The demo's cards are test cards given by number, so it needs
// a gateway that takes them (kassa.CardSaver: the simulator).
func erikPays(ctx context.Context, gw kassa.Gateway, now time.Time) (*payment, error) {
	saver, ok := gw.(kassa.CardSaver)
	if !ok {
		return nil, errors.New("the demo's cards are the simulator's test cards: run it with --gateway simulator")
	}
	customer, err := gw.CreateCustomer(ctx, kassa.Customer{Name: "Erik Johansson", Email: "erik@nordvik.example"})
	if err != nil {
		return nil, err
	}
	c := kassa.Card{Number: "4242 4242 4242 4242", CVC: "123", ExpMonth: 12, ExpYear: now.Year() + 3,
		Name: "Erik Johansson", Address: erikAddress}
	saved, err := saver.SaveCard(ctx, customer, c)
	if err != nil {
		return nil, err
	}
	p := &kassa.BillingProfile{Name: "Nordvik AB – Erik Johansson", Email: "erik@nordvik.example",
		Address: erikAddress, Currency: "SEK", PONumber: "PO-2026-117"}
	return &payment{
		customer: customer,
		card: &kassa.PaymentMethod{GatewayRef: saved.Ref, CustomerRef: customer, Brand: saved.Brand, Last4: saved.Last4,
			ExpMonth: saved.ExpMonth, ExpYear: saved.ExpYear, Name: c.Name, Address: c.Address},
		profile: p,
	}, nil
}

// store keeps the customer, the card and the profile as the actor's (erik's).
func (p *payment) store(ctx context.Context, db *sqldb.DB) error {
	if _, err := db.SetCustomer(ctx, p.customer); err != nil {
		return err
	}
	if err := db.CreatePaymentMethod(ctx, p.card); err != nil {
		return err
	}
	p.profile.PaymentMethodID = p.card.ID
	return db.CreateBillingProfile(ctx, p.profile)
}
