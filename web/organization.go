package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
)

// organizationPath is Admin › Organization: the tenant's details, saved
// all or nothing.
const organizationPath = "/admin/organization"

// OrganizationPage is the form of the organization's details, with its
// directory id (which other systems know it by) shown read-only.
type OrganizationPage struct {
	Layout
	DirectoryID                            string
	Name, Country, Currency, VATID, Locale Field
	SupportEmail, Domains                  Field
	Address                                AddressFields
	FormError                              string
	Notice                                 string
}

func (*OrganizationPage) template() string { return "organization.html" }

func (s *server) organizationPage(r *http.Request, t *kassa.Tenant) *OrganizationPage {
	p := &OrganizationPage{Layout: s.layout(r, msg("nav.organization")), DirectoryID: t.DirectoryID}
	p.Name = Field{ID: "org-name", Name: "name", Label: p.T("organization.name"), Value: t.Name, MaxLength: 200,
		Required: true, Autocomplete: "organization"}
	p.Country = Field{ID: "org-country", Name: "country", Label: p.T("organization.country"),
		Hint: p.T("organization.country.hint"), Options: countryOptions(&p.Layout, t.Country), Class: "medium"}
	p.Currency = Field{ID: "org-currency", Name: "currency", Label: p.T("organization.currency"),
		Hint: p.T("organization.currency.hint"), Value: t.Currency, MaxLength: 3, Class: "short", Autocomplete: "off"}
	p.VATID = Field{ID: "org-vat-id", Name: "vat_id", Label: p.T("organization.vat_id"),
		Hint: p.T("organization.vat_id.hint"), Value: t.VATID, MaxLength: 30, Class: "medium", Autocomplete: "off"}
	var langs []Option
	for _, l := range kassa.Languages {
		langs = append(langs, Option{Value: l, Label: p.T("language." + l), Selected: l == t.Locale})
	}
	p.Locale = Field{ID: "org-locale", Name: "locale", Label: p.T("organization.locale"),
		Hint: p.T("organization.locale.hint"), Options: langs, Class: "medium"}
	p.SupportEmail = Field{ID: "org-support-email", Name: "support_email", Label: p.T("organization.support_email"),
		Hint: p.T("organization.support_email.hint"), Value: t.SupportEmail, Type: "email", MaxLength: 254,
		Autocomplete: "email"}
	p.Domains = Field{ID: "org-domains", Name: "domains", Label: p.T("organization.domains"),
		Hint: p.T("organization.domains.hint"), Value: strings.Join(t.Domains, ", "), MaxLength: 4000,
		Autocomplete: "off"}
	p.Address = newAddressFields(&p.Layout, t.Address)
	p.Address.Legend = p.T("organization.address")
	p.Address.Line1.Required, p.Address.City.Required, p.Address.PostalCode.Required = false, false, false
	p.Address.Country.Required = false
	p.Address.Country.Name = "address_country" // "country" is the organization's
	p.Address.Country.Options = append([]Option{{Value: "", Label: p.T("organization.address.country_same"),
		Selected: t.Address.Country == ""}}, p.Address.Country.Options...)
	return p
}

func (s *server) organization(w http.ResponseWriter, r *http.Request) error {
	t, err := s.db.FindOrganization(r.Context())
	if err != nil {
		return err
	}
	p := s.organizationPage(r, t)
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// updateOrganization saves every field of the form, or none: a field the
// rules refuse is marked beside it, with what was typed kept.
func (s *server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	domains := slices.DeleteFunc(strings.FieldsFunc(f.Get("domains"), func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == ' ' || r == '\r' || r == '\t'
	}), func(d string) bool { return d == "" })
	address := readAddress(f)
	address.Country = strings.TrimSpace(f.Get("address_country"))
	up := kassa.TenantUpdate{Name: ptr(f.Get("name")), Country: ptr(f.Get("country")), Currency: ptr(f.Get("currency")),
		VATID: ptr(f.Get("vat_id")), Address: &address, Locale: ptr(f.Get("locale")),
		SupportEmail: ptr(f.Get("support_email")), Domains: &domains}
	_, err := s.db.UpdateOrganization(r.Context(), up)
	code := kassa.ErrorCode(err)
	if code != kassa.Invalid && code != kassa.Conflict {
		if err != nil {
			return err
		}
		return seeOther(w, r, organizationPath+"?done=organization_saved")
	}
	t, ferr := s.db.FindOrganization(r.Context())
	if ferr != nil {
		return ferr
	}
	t.Apply(up) // what was typed stays in the form
	p := s.organizationPage(r, t)
	p.Domains.Value = f.Get("domains")
	text := p.tr.Error(err)
	switch field := kassa.ErrorField(err); field {
	case "name":
		p.Name.Error = text
	case "country":
		p.Country.Error = text
	case "currency":
		p.Currency.Error = text
	case "vat_id":
		p.VATID.Error = text
	case "locale":
		p.Locale.Error = text
	case "support_email":
		p.SupportEmail.Error = text
	case "domains":
		p.Domains.Error = text
	default:
		if !p.Address.setError(&p.Layout, field) {
			p.FormError = text
		}
	}
	focusFirstError(append([]*Field{&p.Name, &p.Country, &p.Currency, &p.VATID, &p.Locale, &p.SupportEmail,
		&p.Domains}, p.Address.fields()...)...)
	return s.render(w, statusOf(code), p)
}

func ptr[T any](v T) *T { return &v }

// PasswordPage is Change password, for everyone: the current password and
// a new one typed twice. Saving it signs the person out everywhere else.
type PasswordPage struct {
	Layout
	CurrentError, PasswordError, ConfirmError string
	FormError                                 string
	Notice                                    string
}

func (*PasswordPage) template() string { return "change_password.html" }

const passwordPath = "/account/password"

func (s *server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	p := &PasswordPage{Layout: s.layout(r, msg("account.password.title"))}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// changePassword changes the signed-in person's password; their other
// sessions end, this one goes on.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := &PasswordPage{Layout: s.layout(r, msg("account.password.title"))}
	current, next, confirm := r.PostForm.Get("current"), r.PostForm.Get("password"), r.PostForm.Get("confirm")
	switch {
	case current == "":
		p.CurrentError = p.T("account.password.error.current_required")
	case next == "":
		p.PasswordError = p.T("password.error.required")
	case auth.CheckPassword("password", next) != nil:
		p.PasswordError = p.T("password.error.length", "Min", auth.MinPassword, "Max", auth.MaxPassword)
	case confirm != next:
		p.ConfirmError = p.T("password.error.confirm")
	}
	if p.CurrentError != "" || p.PasswordError != "" || p.ConfirmError != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	token := ""
	if c, err := r.Cookie(auth.CookieName); err == nil {
		token = c.Value
	}
	err := s.auth.ChangePassword(r.Context(), token, current, next)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, passwordPath+"?done=password_changed")
	case kassa.Invalid:
		if kassa.ErrorField(err) == "current_password" {
			p.CurrentError = p.T("account.password.error.current_wrong")
		} else {
			p.PasswordError = p.T("password.error.length", "Min", auth.MinPassword, "Max", auth.MaxPassword)
		}
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.RateLimited:
		p.FormError = p.T("login.error.rate_limited", "Minutes", int(auth.Window.Minutes()))
		return s.render(w, http.StatusTooManyRequests, p)
	}
	return err
}
