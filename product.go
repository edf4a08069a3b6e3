package kassa

import "time"

// Term is how long one billing period of a subscription lasts.
type Term string

// The terms a price may be for.
const (
	Monthly Term = "monthly" // one month, billed monthly
	Annual  Term = "annual"  // one year, billed annually
)

// Valid reports whether t is a known term.
func (t Term) Valid() bool { return t == Monthly || t == Annual }

// PurchasePolicy is what a tenant's admin allows its users to buy of a product.
type PurchasePolicy string

// The purchase policies.
const (
	PolicyEnabled    PurchasePolicy = "enabled"
	PolicyTrialsOnly PurchasePolicy = "trials_only"
	PolicyDisabled   PurchasePolicy = "disabled"
)

// Valid reports whether p is a known policy.
func (p PurchasePolicy) Valid() bool {
	return p == PolicyEnabled || p == PolicyTrialsOnly || p == PolicyDisabled
}

// Text is a string in each language kassa speaks; English is always there.
type Text struct {
	En string
	Sv string
	De string
}

// In returns the text in lang, falling back to English.
func (t Text) In(lang string) string {
	switch {
	case lang == "sv" && t.Sv != "":
		return t.Sv
	case lang == "de" && t.De != "":
		return t.De
	}
	return t.En
}

// Product is an entry of the catalog. The catalog belongs to the service and
// is shared by its tenants; what a tenant may buy of it is its PurchasePolicy.
type Product struct {
	ID string
	// SKUID is a stable GUID for the product, as Microsoft's skuId (SPEC
	// §7, §9): made when the product is added unless the catalog gives one.
	SKUID       string
	SKU         string
	Name        Text
	Description Text
	TrialDays   int // 0: no free trial
	// TrialMaxLicenses bounds a free trial's licenses.
	TrialMaxLicenses int
	// Retired products cannot be bought; what was bought of them runs on
	// and renews.
	Retired   bool
	Prices    []Price
	CreatedAt time.Time
	// Policy is the purchase policy of the asking actor's tenant.
	Policy PurchasePolicy
}

// Price is what one license costs per term in one currency.
type Price struct {
	Term       Term
	Currency   string
	UnitAmount int64 // minor units
}

// PriceFor returns the product's price for the term in the currency.
func (p *Product) PriceFor(term Term, currency string) (Price, bool) {
	for _, pr := range p.Prices {
		if pr.Term == term && pr.Currency == currency {
			return pr, true
		}
	}
	return Price{}, false
}

// TrialLicenseLimit is the most licenses a free trial may have unless the
// catalog says otherwise (SPEC §2).
const TrialLicenseLimit = 25
