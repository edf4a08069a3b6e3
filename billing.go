package kassa

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

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
	CustomerRef     string // the gateway's customer
	// Organization marks the organization's own profile, kept by its
	// admins, which pays for the subscriptions they manage.
	Organization bool
	CreatedAt    time.Time
}

// PaymentMethod is a card kept by the gateway. kassa stores what people need
// to recognise it, never the number or the security code.
type PaymentMethod struct {
	ID          string
	TenantID    string
	OwnerID     string
	GatewayRef  string // the gateway's id for the card
	CustomerRef string // the gateway's customer it belongs to: its owner
	// Organization marks the organization's own card (its customer is the
	// organization's).
	Organization bool
	Brand        Brand
	Last4        string
	ExpMonth     int
	ExpYear      int
	Name         string
	Address      Address
	CreatedAt    time.Time
}

// PaymentMethodUpdate holds the changes to a payment method's stored
// details; nil fields stay as they are. The number never changes.
type PaymentMethodUpdate struct {
	ExpMonth *int
	ExpYear  *int
	Name     *string
	Address  *Address
}

// BillingProfileUpdate holds the changes to a billing profile; nil fields
// stay as they are.
type BillingProfileUpdate struct {
	Name            *string
	Email           *string
	Address         *Address
	PONumber        *string
	PaymentMethodID *string
}

// Trimmed returns a with the spaces around each field removed.
func (a Address) Trimmed() Address {
	return Address{Line1: strings.TrimSpace(a.Line1), Line2: strings.TrimSpace(a.Line2),
		City: strings.TrimSpace(a.City), PostalCode: strings.TrimSpace(a.PostalCode),
		Country: strings.TrimSpace(a.Country)}
}

// Limits of free-text fields.
const (
	maxNameLen     = 200
	maxAddressLen  = 200
	maxPONumberLen = 100
)

// ValidateAddress checks a postal address; prefix ("address." or
// "card.address.") goes before the field names in errors.
func ValidateAddress(prefix string, a Address) error {
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"line1", a.Line1, true}, {"line2", a.Line2, false},
		{"city", a.City, true}, {"postal_code", a.PostalCode, true},
	} {
		v := strings.TrimSpace(f.value)
		if f.required && v == "" {
			return InvalidE(prefix+f.name, "error.field.required", "Field", prefix+f.name)
		}
		if utf8.RuneCountInString(v) > maxAddressLen {
			return InvalidE(prefix+f.name, "error.field.too_long", "Field", prefix+f.name, "Max", maxAddressLen)
		}
	}
	if !countryCode.MatchString(a.Country) {
		return InvalidE(prefix+"country", "error.address.country", "Field", prefix+"country")
	}
	return nil
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// ValidateName checks a required name of a person or profile.
func ValidateName(field, name string) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return InvalidE(field, "error.field.required", "Field", field)
	}
	if utf8.RuneCountInString(n) > maxNameLen {
		return InvalidE(field, "error.field.too_long", "Field", field, "Max", maxNameLen)
	}
	return nil
}

// Validate checks a new billing profile's own fields against its tenant,
// trimming the spaces around them.
func (p *BillingProfile) Validate(t *Tenant) error {
	p.Name, p.PONumber, p.Address = strings.TrimSpace(p.Name), strings.TrimSpace(p.PONumber), p.Address.Trimmed()
	if err := ValidateName("name", p.Name); err != nil {
		return err
	}
	email, err := NormalizeEmail("email", p.Email)
	if err != nil {
		return err
	}
	p.Email = email
	if err := ValidateAddress("address.", p.Address); err != nil {
		return err
	}
	if p.Currency == "" {
		p.Currency = t.Currency
	}
	if p.Currency != t.Currency {
		return InvalidE("currency", "error.profile.currency", "Currency", t.Currency, "Tenant", t.Name)
	}
	if utf8.RuneCountInString(p.PONumber) > maxPONumberLen {
		return InvalidE("po_number", "error.field.too_long", "Field", "po_number", "Max", maxPONumberLen)
	}
	return nil
}

// Apply returns p with the update applied, validated; p is unchanged.
func (p BillingProfile) Apply(u BillingProfileUpdate, t *Tenant) (*BillingProfile, error) {
	if u.Name != nil {
		p.Name = *u.Name
	}
	if u.Email != nil {
		p.Email = *u.Email
	}
	if u.Address != nil {
		p.Address = *u.Address
	}
	if u.PONumber != nil {
		p.PONumber = *u.PONumber
	}
	if u.PaymentMethodID != nil {
		if *u.PaymentMethodID == "" && p.PaymentMethodID != "" {
			return nil, InvalidE("payment_method_id", "error.profile.payment_method_required")
		}
		p.PaymentMethodID = *u.PaymentMethodID
	}
	if err := p.Validate(t); err != nil {
		return nil, err
	}
	return &p, nil
}

// Apply returns m with the update applied, validated at now; m is unchanged.
func (m PaymentMethod) Apply(u PaymentMethodUpdate, now time.Time) (*PaymentMethod, error) {
	if u.ExpMonth != nil {
		m.ExpMonth = *u.ExpMonth
	}
	if u.ExpYear != nil {
		m.ExpYear = *u.ExpYear
	}
	if u.Name != nil {
		m.Name = *u.Name
	}
	if u.Address != nil {
		m.Address = *u.Address
	}
	m.Name, m.Address = strings.TrimSpace(m.Name), m.Address.Trimmed()
	if u.ExpMonth != nil || u.ExpYear != nil {
		if err := ValidateExpiry("", m.ExpMonth, m.ExpYear, now); err != nil {
			return nil, err
		}
	}
	if err := ValidateName("name", m.Name); err != nil {
		return nil, err
	}
	if err := ValidateAddress("address.", m.Address); err != nil {
		return nil, err
	}
	return &m, nil
}
