package kassa

import "time"

// Address is a postal address, as printed on invoices.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// BillingProfile is who pays and how: the invoices of the subscriptions bought
// with it go to its email and are charged to its payment method.
type BillingProfile struct {
	ID              string
	TenantID        string
	OwnerID         string
	Name            string
	Email           string
	Address         Address
	Currency        string
	PONumber        string
	PaymentMethodID string // "" when none
	Balance         Money  // credit the next invoice uses first
	CreatedAt       time.Time
}

// PaymentMethod is a card kept by the gateway. kassa stores what people need
// to recognise it, never the number or the security code.
type PaymentMethod struct {
	ID         string
	TenantID   string
	OwnerID    string
	GatewayRef string // the gateway's id for the card
	Brand      string // "visa", "mastercard", "amex", …
	Last4      string
	ExpMonth   int
	ExpYear    int
	Name       string
	Address    Address
	CreatedAt  time.Time
}
