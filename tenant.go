package kassa

import "time"

// Tenant is an organization. Every other object belongs to exactly one.
type Tenant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Country  string `json:"country"`  // ISO 3166-1 alpha-2, decides VAT
	Currency string `json:"currency"` // ISO 4217; the tenant buys in it
	Locale   string `json:"locale"`   // "en" or "sv": the default for its people
	// DefaultPolicy applies to products without a policy of their own,
	// among them products added to the catalog later.
	DefaultPolicy PurchasePolicy `json:"-"`
	CreatedAt     time.Time      `json:"-"`
}
