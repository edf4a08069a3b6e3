package kassa

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Tenant is an organization. Every other object belongs to exactly one.
type Tenant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Country  string `json:"country"`  // ISO 3166-1 alpha-2, decides VAT
	Currency string `json:"currency"` // ISO 4217; the tenant buys in it
	Locale   string `json:"locale"`   // one of Languages: the default for its people
	// DirectoryID is a GUID that names the tenant to other systems, as
	// Entra's tenant id does (SPEC §7, §9). The organization's details are
	// its admins' to read (GET /api/v1/admin/organization), not in every
	// answer that names the tenant.
	DirectoryID  string   `json:"-"`
	VATID        string   `json:"-"`
	Address      Address  `json:"-"`
	SupportEmail string   `json:"-"` // "" when the operator's serves
	Domains      []string `json:"-"` // its people's email domains; each belongs to one tenant
	// DefaultPolicy applies to products without a policy of their own,
	// among them products added to the catalog later.
	DefaultPolicy PurchasePolicy `json:"-"`
	CreatedAt     time.Time      `json:"-"`
}

// TenantUpdate holds the changes to a tenant's organization details; nil
// fields stay as they are.
type TenantUpdate struct {
	Name         *string
	Country      *string
	Currency     *string
	VATID        *string
	Address      *Address
	Locale       *string
	SupportEmail *string
	Domains      *[]string
}

// Limits of a tenant's fields.
const (
	maxTenantName = 200
	maxVATID      = 30
	maxDomains    = 50
)

// Validate checks a tenant's fields and puts them in the form they are
// stored in (trimmed; domains and the support email lowercase, each domain
// once). Errors are Invalid, naming the field.
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	switch n := utf8.RuneCountInString(t.Name); {
	case n == 0:
		return InvalidE("name", "error.field.required", "Field", "name")
	case n > maxTenantName:
		return InvalidE("name", "error.field.too_long", "Field", "name", "Max", maxTenantName)
	}
	t.Country = strings.ToUpper(strings.TrimSpace(t.Country))
	if !countryCode.MatchString(t.Country) {
		return InvalidE("country", "error.tenant.country")
	}
	t.Currency = strings.ToUpper(strings.TrimSpace(t.Currency))
	if !ValidCurrency(t.Currency) {
		return InvalidE("currency", "error.tenant.currency")
	}
	if !ValidLanguage(t.Locale) {
		return InvalidE("locale", "error.tenant.locale", "Languages", strings.Join(Languages, ", "))
	}
	t.VATID = strings.ToUpper(strings.Join(strings.Fields(t.VATID), ""))
	if len(t.VATID) > maxVATID || !vatID.MatchString(t.VATID) {
		return InvalidE("vat_id", "error.tenant.vat_id")
	}
	t.Address = t.Address.Trimmed()
	if t.Address != (Address{}) {
		if t.Address.Country == "" {
			t.Address.Country = t.Country
		}
		if err := ValidateAddress("address.", t.Address); err != nil {
			return err
		}
	}
	if t.SupportEmail = strings.TrimSpace(t.SupportEmail); t.SupportEmail != "" {
		e, err := NormalizeEmail("support_email", t.SupportEmail)
		if err != nil {
			return err
		}
		t.SupportEmail = e
	}
	domains, err := NormalizeDomains("domains", t.Domains)
	if err != nil {
		return err
	}
	t.Domains = domains
	return nil
}

// Apply changes t as u says.
func (t *Tenant) Apply(u TenantUpdate) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&t.Name, u.Name)
	set(&t.Country, u.Country)
	set(&t.Currency, u.Currency)
	set(&t.VATID, u.VATID)
	set(&t.Locale, u.Locale)
	set(&t.SupportEmail, u.SupportEmail)
	if u.Address != nil {
		t.Address = *u.Address
	}
	if u.Domains != nil {
		t.Domains = slices.Clone(*u.Domains)
	}
}

// vatID allows what VAT numbers are made of (EU: two letters and up to 13
// characters; elsewhere digits, letters and dashes); the tax authority, not
// kassa, knows which exist.
var vatID = regexp.MustCompile(`^[A-Z0-9-]*$`)

// domainName is a host name of two labels or more: letters, digits and
// hyphens (IDNs in their xn-- form).
var domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeDomains checks email domains and returns them lowercase, sorted,
// each once. Errors are Invalid, naming field.
func NormalizeDomains(field string, domains []string) ([]string, error) {
	if len(domains) > maxDomains {
		return nil, InvalidE(field, "error.tenant.domains_count", "Field", field, "Max", maxDomains)
	}
	out := make([]string, 0, len(domains))
	for _, d := range domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if len(d) > 253 || !domainName.MatchString(d) {
			return nil, InvalidE(field, "error.tenant.domain", "Field", field, "Domain", d)
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// EmailDomain returns the domain of an email address, lowercase.
func EmailDomain(email string) string {
	if a, err := mail.ParseAddress(email); err == nil {
		email = a.Address
	}
	_, d, _ := strings.Cut(email, "@")
	return strings.ToLower(d)
}

// ParseBaseURL checks the address people and other systems reach kassa at
// (--base-url): an absolute http or https URL with a host and no query or
// fragment. It returns it without a trailing slash, for links to be built
// from it.
func ParseBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", InvalidE("base_url", "error.base_url")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// SSO is a tenant's sign-in through its identity provider (SPEC §8): an
// OpenID Connect client of the issuer. With PasswordSignIn false, only
// admins may still sign in with a password.
type SSO struct {
	Issuer         string    `json:"issuer"`
	ClientID       string    `json:"client_id"`
	ClientSecret   string    `json:"-"` // never shown again
	PasswordSignIn bool      `json:"password_sign_in"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Check trims s and checks its fields: the issuer is an https URL, or
// http on a loopback host (development and tests). Errors: Invalid naming
// the field.
func (s *SSO) Check() error {
	s.Issuer, s.ClientID = strings.TrimSpace(s.Issuer), strings.TrimSpace(s.ClientID)
	u, err := url.Parse(s.Issuer)
	loopback := err == nil && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && loopback) || len(s.Issuer) > 500 {
		return InvalidE("issuer", "error.sso.issuer")
	}
	if s.ClientID == "" || len(s.ClientID) > 500 {
		return InvalidE("client_id", "error.field.required", "Field", "client_id")
	}
	if s.ClientSecret == "" || len(s.ClientSecret) > 1000 {
		return InvalidE("client_secret", "error.field.required", "Field", "client_secret")
	}
	return nil
}
