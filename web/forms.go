package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/kassa-billing/kassa"
)

// Field is one input of a form, ready to render: its label, hint and error
// already translated. Value is what the input shows; the card number and the
// security code always show "", whatever was typed.
type Field struct {
	ID, Name     string
	Label, Hint  string
	Value        string
	Error        string // shown beside the input
	Type         string // "text" when ""
	Autocomplete string
	InputMode    string
	MaxLength    int
	Required     bool
	Autofocus    bool
	Class        string   // the width: "short", "medium"
	Options      []Option // a select when not nil
	// Invalid marks an input whose error is shown for its group (the
	// expiry date), GroupError being that error's element.
	Invalid    bool
	GroupError string
}

// Option is a choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// IsInvalid reports whether the input is at fault.
func (f *Field) IsInvalid() bool { return f.Error != "" || f.Invalid }

// DescribedBy lists the ids of the hint and the errors that describe the
// input, for aria-describedby.
func (f *Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	if f.GroupError != "" {
		ids = append(ids, f.GroupError)
	}
	return strings.Join(ids, " ")
}

// focusFirstError puts the cursor in the first field at fault, else in the
// first field.
func focusFirstError(fields ...*Field) {
	for _, f := range fields {
		if f.IsInvalid() {
			f.Autofocus = true
			return
		}
	}
	if len(fields) > 0 {
		fields[0].Autofocus = true
	}
}

// AddressFields are the inputs of a postal address.
type AddressFields struct {
	Legend                                  string
	Line1, Line2, City, PostalCode, Country Field
}

func (a *AddressFields) fields() []*Field {
	return []*Field{&a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.Country}
}

// newAddressFields returns the inputs of a filled in, in l's language.
func newAddressFields(l *Layout, a kassa.Address) AddressFields {
	return AddressFields{
		Legend: l.T("address.legend"),
		Line1: Field{ID: "address-line1", Name: "line1", Label: l.T("address.line1"), Value: a.Line1,
			Autocomplete: "address-line1", MaxLength: 200, Required: true},
		Line2: Field{ID: "address-line2", Name: "line2", Label: l.T("address.line2"), Value: a.Line2,
			Autocomplete: "address-line2", MaxLength: 200},
		City: Field{ID: "address-city", Name: "city", Label: l.T("address.city"), Value: a.City,
			Autocomplete: "address-level2", MaxLength: 200, Required: true, Class: "medium"},
		PostalCode: Field{ID: "address-postal-code", Name: "postal_code", Label: l.T("address.postal_code"),
			Value: a.PostalCode, Autocomplete: "postal-code", MaxLength: 200, Required: true, Class: "short"},
		Country: Field{ID: "address-country", Name: "country", Label: l.T("address.country"),
			Autocomplete: "country", Required: true, Class: "medium", Options: countryOptions(l, a.Country)},
	}
}

// readAddress returns the address a form holds.
func readAddress(form url.Values) kassa.Address {
	return kassa.Address{
		Line1: strings.TrimSpace(form.Get("line1")), Line2: strings.TrimSpace(form.Get("line2")),
		City: strings.TrimSpace(form.Get("city")), PostalCode: strings.TrimSpace(form.Get("postal_code")),
		Country: strings.TrimSpace(form.Get("country")),
	}
}

// check marks every field of a that the domain's rules refuse, not
// only the first: each field is checked with the others known to be good.
func (f *AddressFields) check(l *Layout, a kassa.Address) {
	good := kassa.Address{Line1: "x", City: "x", PostalCode: "x", Country: "SE"}
	one := func(set func(*kassa.Address)) bool {
		b := good
		set(&b)
		return kassa.ValidateAddress("address.", b) != nil
	}
	for field, bad := range map[string]bool{
		"address.line1":       one(func(b *kassa.Address) { b.Line1 = a.Line1 }),
		"address.line2":       one(func(b *kassa.Address) { b.Line2 = a.Line2 }),
		"address.city":        one(func(b *kassa.Address) { b.City = a.City }),
		"address.postal_code": one(func(b *kassa.Address) { b.PostalCode = a.PostalCode }),
		"address.country":     one(func(b *kassa.Address) { b.Country = a.Country }),
	} {
		if bad {
			f.setError(l, field)
		}
	}
}

// setError shows the error of an address field the domain named (as
// "address.city"), reporting whether field is one of the address's.
func (f *AddressFields) setError(l *Layout, field string) bool {
	var in *Field
	switch field {
	case "address.line1":
		in = &f.Line1
	case "address.line2":
		in = &f.Line2
	case "address.city":
		in = &f.City
	case "address.postal_code":
		in = &f.PostalCode
	case "address.country":
		f.Country.Error = l.T("address.error.country")
		return true
	default:
		return false
	}
	in.Error = requiredOrTooLong(l, in, in.Label)
	return true
}

// requiredOrTooLong is the error of a text the rules refuse: it is either
// missing or longer than the input allows.
func requiredOrTooLong(l *Layout, f *Field, label string) string {
	if strings.TrimSpace(f.Value) == "" {
		return l.T("form.error.required", "Field", label)
	}
	return l.T("form.error.too_long", "Field", label, "Max", f.MaxLength)
}

// countries are the countries of the address select; an address in another
// one keeps its code as an extra choice.
var countries = []string{"DE", "DK", "EE", "ES", "FI", "FR", "GB", "IE", "IS", "IT", "NL", "NO", "PL", "SE", "US"}

// countryNames names each country of countries.
var countryNames = map[string]string{
	"DE": msg("country.DE"), "DK": msg("country.DK"), "EE": msg("country.EE"), "ES": msg("country.ES"),
	"FI": msg("country.FI"), "FR": msg("country.FR"), "GB": msg("country.GB"), "IE": msg("country.IE"),
	"IS": msg("country.IS"), "IT": msg("country.IT"), "NL": msg("country.NL"), "NO": msg("country.NO"),
	"PL": msg("country.PL"), "SE": msg("country.SE"), "US": msg("country.US"),
}

// countryName names a country for people, or gives its code when kassa
// has no name for it.
func countryName(l *Layout, code string) string {
	if key, ok := countryNames[code]; ok {
		return l.T(key)
	}
	return code
}

// countryOptions lists the countries in the alphabetical order of l's
// language, selected selected.
func countryOptions(l *Layout, selected string) []Option {
	codes := countries
	if _, ok := countryNames[selected]; !ok && selected != "" {
		codes = append([]string{selected}, codes...)
	}
	opts := make([]Option, len(codes))
	for i, c := range codes {
		opts[i] = Option{Value: c, Label: countryName(l, c), Selected: c == selected}
	}
	col := collate.New(language.Make(l.Lang))
	slices.SortFunc(opts, func(a, b Option) int { return col.CompareString(a.Label, b.Label) })
	return opts
}

// addressLines writes an address as it goes on an envelope; American and
// British addresses put the postal code after the city.
func addressLines(l *Layout, a kassa.Address) []string {
	lines := []string{a.Line1}
	if a.Line2 != "" {
		lines = append(lines, a.Line2)
	}
	if a.Country == "US" || a.Country == "GB" {
		lines = append(lines, strings.TrimSpace(a.City+" "+a.PostalCode))
	} else {
		lines = append(lines, strings.TrimSpace(a.PostalCode+" "+a.City))
	}
	return append(lines, countryName(l, a.Country))
}

// notices are the messages shown after a change, named by the done
// parameter of the page the change leads to.
var notices = map[string]string{
	"password_set":            msg("notice.password_set"),
	"card_added":              msg("notice.card_added"),
	"card_saved":              msg("notice.card_saved"),
	"card_deleted":            msg("notice.card_deleted"),
	"card_replaced":           msg("notice.card_replaced"),
	"billing_profile_changed": msg("notice.billing_profile_changed"),
	"group_linked":            msg("notice.group_linked"),
	"group_unlinked":          msg("notice.group_unlinked"),
	"reclaim_saved":           msg("notice.reclaim_saved"),
	"card_chosen":             msg("notice.card_chosen"),
	"profile_saved":           msg("notice.profile_saved"),
	"profile_created":         msg("notice.profile_created"),

	"purchased":        msg("notice.purchased"),
	"trial_started":    msg("notice.trial_started"),
	"licenses_added":   msg("notice.licenses_added"),
	"licenses_removed": msg("notice.licenses_removed"),
	"canceled":         msg("notice.canceled"),
	"trial_canceled":   msg("notice.trial_canceled"),
	"cancel_scheduled": msg("notice.cancel_scheduled"),
	"reactivated":      msg("notice.reactivated"),

	"taken_over":             msg("notice.taken_over"),
	"users_moved":            msg("notice.users_moved"),
	"admin_canceled":         msg("notice.admin_canceled"),
	"policy_saved":           msg("notice.policy_saved"),
	"spend_saved":            msg("notice.spend_saved"),
	"request_sent":           msg("notice.request_sent"),
	"request_decided":        msg("notice.request_decided"),
	"request_settings_saved": msg("notice.request_settings_saved"),

	"person_invited":      msg("notice.person_invited"),
	"person_saved":        msg("notice.person_saved"),
	"person_disabled":     msg("notice.person_disabled"),
	"person_enabled":      msg("notice.person_enabled"),
	"people_imported":     msg("notice.people_imported"),
	"organization_saved":  msg("notice.organization_saved"),
	"password_changed":    msg("notice.password_changed"),
	"invitation_sent":     msg("notice.invitation_sent"),
	"reset_sent":          msg("notice.reset_sent"),
	"scim_token_revoked":  msg("notice.scim_token_revoked"),
	"sso_saved":           msg("notice.sso_saved"),
	"sso_off":             msg("notice.sso_off"),
	"invoice_paid":        msg("notice.invoice_paid"),
	"app_deleted":         msg("notice.app_deleted"),
	"app_secret_deleted":  msg("notice.app_secret_deleted"),
	"webhook_saved":       msg("notice.webhook_saved"),
	"webhook_on":          msg("notice.webhook_on"),
	"webhook_off":         msg("notice.webhook_off"),
	"webhook_pinged":      msg("notice.webhook_pinged"),
	"webhook_redelivered": msg("notice.webhook_redelivered"),
	"webhook_deleted":     msg("notice.webhook_deleted"),
}

// notice returns the translated message of the change r's page follows, or "".
func notice(l *Layout, r *http.Request) string {
	if key, ok := notices[r.URL.Query().Get("done")]; ok {
		return l.T(key)
	}
	return ""
}
