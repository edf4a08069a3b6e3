package kassa

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Person is a user as others see them in lists: id and name.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SelfServicePurchase is a row of the admin's read-only view of what users
// bought themselves: the subscription (product, purchaser, quantity, expiry,
// unit price) and who holds its licenses.
type SelfServicePurchase struct {
	*Subscription
	AssignedUsers []Person
	// PurchaserDisabled marks a subscription whose purchaser was disabled:
	// nobody manages it until an admin takes it over (it renews meanwhile).
	PurchaserDisabled bool
}

// PurchasePrice is what the purchase costs per term before VAT: the unit
// price times the licenses bought.
func (p *SelfServicePurchase) PurchasePrice() Money {
	return Money{Amount: p.UnitPrice.Amount * int64(p.Quantity), Currency: p.UnitPrice.Currency}
}

// The orders the admin's view can be sorted in.
const (
	SortProduct       = "product"
	SortPurchaser     = "purchaser"
	SortQuantity      = "quantity"
	SortExpiresAt     = "expires_at"
	SortPurchasePrice = "purchase_price"
)

// PurchaseSorts lists the sort keys, in the order of the view's columns.
var PurchaseSorts = []string{SortProduct, SortPurchaser, SortQuantity, SortExpiresAt, SortPurchasePrice}

// PurchaseFilter selects and orders rows of the admin's view.
type PurchaseFilter struct {
	// Search keeps rows whose product name (in either language), purchaser
	// name or purchaser email contains every word of it, ignoring case and
	// accents.
	Search string
	Sort   string // one of PurchaseSorts; "" is newest first
	Desc   bool
	Lang   string // the language product names are sorted in
	// PurchaserDisabled, when set, keeps the rows whose purchaser is (or
	// is not) disabled.
	PurchaserDisabled *bool
	// Trial keeps the free trials only: the subscriptions still in their
	// trial (trialing), the admins' Self-service trials tab. A trial that
	// was converted or ran out is a purchase's row like any other.
	Trial bool
}

// Apply returns the rows of all that f selects, in its order. It is the
// rule of the admins' view, written plainly: sqldb filters, sorts and pages
// the view in SQL by it, and TestAdminViewAsTheRule holds the two together.
func (f PurchaseFilter) Apply(all []*SelfServicePurchase) []*SelfServicePurchase {
	terms := SearchTerms(FoldAccents(f.Search))
	var out []*SelfServicePurchase
	for _, p := range all {
		if f.PurchaserDisabled != nil && p.PurchaserDisabled != *f.PurchaserDisabled {
			continue
		}
		if f.Trial && p.Status != StatusTrialing {
			continue
		}
		hay := FoldAccents(strings.Join([]string{p.ProductName.En, p.ProductName.Sv, p.ProductName.De, p.PurchaserName, p.PurchaserEmail}, " "))
		if !slices.ContainsFunc(terms, func(t string) bool { return !strings.Contains(hay, t) }) {
			out = append(out, p)
		}
	}
	compare := func(a, b *SelfServicePurchase) int {
		switch f.Sort {
		case SortProduct:
			return cmp.Compare(FoldAccents(a.ProductName.In(f.Lang)), FoldAccents(b.ProductName.In(f.Lang)))
		case SortPurchaser:
			return cmp.Compare(FoldAccents(a.PurchaserName), FoldAccents(b.PurchaserName))
		case SortQuantity:
			return cmp.Compare(a.Quantity, b.Quantity)
		case SortExpiresAt:
			return a.ExpiresAt.Compare(b.ExpiresAt)
		case SortPurchasePrice:
			return cmp.Compare(a.PurchasePrice().Amount, b.PurchasePrice().Amount)
		}
		return 0
	}
	// Equal rows go by id, in the same direction, so that the order is an
	// index's (sqldb reads a page of it without sorting a tenant's rows).
	slices.SortStableFunc(out, func(a, b *SelfServicePurchase) int {
		c := cmp.Or(compare(a, b), cmp.Compare(a.ID, b.ID))
		if f.Sort == "" { // newest first
			c = cmp.Or(-a.CreatedAt.Compare(b.CreatedAt), -cmp.Compare(a.ID, b.ID))
		}
		if f.Desc {
			c = -c
		}
		return c
	})
	return out
}

// PolicySet is a tenant's purchase policy: a default, which applies to
// products added to the catalog later, and each product's own.
type PolicySet struct {
	Default  PurchasePolicy
	Products []ProductPolicy
}

// ProductPolicy is one product's purchase policy.
type ProductPolicy struct {
	ProductID string
	SKU       string
	Name      Text
	Policy    PurchasePolicy
}

// ProductLicenses is one product's row of Admin › Licenses: its licenses
// summed over the tenant's live subscriptions (LiveStatuses), self-service
// and admin-managed alike, with the first of those subscriptions and of the
// people holding its licenses.
type ProductLicenses struct {
	ProductID, SKU string
	Name           Text
	// Quantity and Assigned are summed over every live subscription of the
	// product; Subscriptions counts them.
	Quantity, Assigned, Subscriptions int
	// Listed are the first of the subscriptions by purchaser name (all of
	// them up to a bound the storage sets).
	Listed []LicensedSubscription
	// Holders are the first of the people holding its licenses, grouped by
	// the purchaser of the subscription each license is of, by name; a
	// person holding licenses of two purchasers is in both groups.
	Holders []PurchaserHolders
	// HoldersLeft is how many licenses held Holders leaves out.
	HoldersLeft int
}

// Available is how many of the product's licenses nobody holds.
func (p *ProductLicenses) Available() int { return p.Quantity - p.Assigned }

// LicensedSubscription is a subscription as Admin › Licenses lists it.
type LicensedSubscription struct {
	ID                 string
	Channel            Channel
	Status             SubscriptionStatus
	Purchaser          Person
	Quantity, Assigned int
}

// PurchaserHolders are the people holding licenses that one purchaser's
// subscriptions give.
type PurchaserHolders struct {
	Purchaser Person
	Users     []Holder
}

// Holder is a person holding a license, as Admin › Licenses names them.
type Holder struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// LicenseRow is a line of Admin › Licenses' Export users: one license of a
// live subscription.
type LicenseRow struct {
	Product        Text
	SKU            string
	Holder         Holder
	Purchaser      Person
	SubscriptionID string
	AssignedAt     time.Time
}

// SortProductLicenses orders Admin › Licenses' rows by product name in
// lang, ignoring case and accents, then by SKU.
func SortProductLicenses(ps []*ProductLicenses, lang string) {
	slices.SortFunc(ps, func(a, b *ProductLicenses) int {
		return cmp.Or(cmp.Compare(FoldAccents(a.Name.In(lang)), FoldAccents(b.Name.In(lang))), cmp.Compare(a.SKU, b.SKU))
	})
}
