package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// CardForm edits a saved card: its expiry date, name and billing
// address. Card numbers and security codes are never typed into kassa's
// pages: a card is entered on the processor's own card page, and so is a
// new security code (SecurityAction opens it for this card). Whatever was
// typed comes back on an error.
type CardForm struct {
	Action, Cancel string
	Submit         string // the button's label
	Masked         string // the card being edited, as "Visa •••• 4242"
	// SecurityAction opens the card page to enter the card again, with its
	// security code; "" leaves that out.
	SecurityAction string
	// The expiry date is one group with one error.
	ExpMonth, ExpYear Field
	ExpError          string
	Name              Field
	Address           AddressFields
	FormError         string
}

// cardInput is a card's details as typed into a form.
type cardInput struct {
	expMonth, expYear string
	name              string
	address           kassa.Address
}

func readCardInput(form url.Values) cardInput {
	return cardInput{
		expMonth: strings.TrimSpace(form.Get("exp_month")), expYear: strings.TrimSpace(form.Get("exp_year")),
		name: strings.TrimSpace(form.Get("name")), address: readAddress(form),
	}
}

// cardInputOf is a stored card as its edit form starts.
func cardInputOf(m *kassa.PaymentMethod) cardInput {
	return cardInput{expMonth: fmt.Sprintf("%02d", m.ExpMonth), expYear: strconv.Itoa(m.ExpYear),
		name: m.Name, address: m.Address}
}

// newCardForm returns the form of the card masked names, filled in with in.
func newCardForm(l *Layout, in cardInput, masked string) *CardForm {
	return &CardForm{
		Masked: masked,
		ExpMonth: Field{ID: "card-exp-month", Name: "exp_month", Label: l.T("card.exp_month"), Value: in.expMonth,
			Autocomplete: "cc-exp-month", InputMode: "numeric", MaxLength: 2, Required: true, Class: "short"},
		ExpYear: Field{ID: "card-exp-year", Name: "exp_year", Label: l.T("card.exp_year"), Value: in.expYear,
			Autocomplete: "cc-exp-year", InputMode: "numeric", MaxLength: 4, Required: true, Class: "short"},
		Name: Field{ID: "card-name", Name: "name", Label: l.T("card.name"), Value: in.name,
			Autocomplete: "cc-name", MaxLength: 200, Required: true},
		Address: newAddressFields(l, in.address),
	}
}

// fields lists the inputs in the order they are shown.
func (f *CardForm) fields() []*Field {
	return append([]*Field{&f.ExpMonth, &f.ExpYear, &f.Name}, f.Address.fields()...)
}

// check checks in with the domain's rules and shows every error beside its
// field at once; it returns the changes when there is none. Whether the
// card has expired needs the service's clock: the service checks that.
func (f *CardForm) check(l *Layout, m *kassa.PaymentMethod, in cardInput) (kassa.CardUpdate, bool) {
	var u kassa.CardUpdate
	month, okMonth := parseMonth(in.expMonth)
	year, okYear := parseYear(in.expYear)
	if !okMonth {
		f.setError(l, "exp_month", in)
	}
	if !okYear {
		f.setError(l, "exp_year", in)
	}
	if kassa.ValidateName("name", in.name) != nil {
		f.setError(l, "name", in)
	}
	f.Address.check(l, in.address)
	for _, fd := range f.fields() {
		if fd.IsInvalid() {
			focusFirstError(f.fields()...)
			return u, false
		}
	}
	if month != m.ExpMonth || year != m.ExpYear {
		u.ExpMonth, u.ExpYear = &month, &year
	}
	if in.name != m.Name {
		u.Name = &in.name
	}
	if in.address != m.Address {
		u.Address = &in.address
	}
	return u, true
}

// parseMonth reads a month from 1 to 12, typed as "3" or "03".
func parseMonth(s string) (int, bool) {
	m, err := strconv.Atoi(s)
	return m, err == nil && m >= 1 && m <= 12
}

// parseYear reads a year typed with four digits, or with two as printed on
// cards ("30" is 2030).
func parseYear(s string) (int, bool) {
	y, err := strconv.Atoi(s)
	switch {
	case err != nil || strings.Trim(s, "0123456789") != "": // not "+9" nor "-0"
		return 0, false
	case len(s) == 2:
		return 2000 + y, true
	}
	return y, len(s) == 4
}

// setError shows the error the domain's rules give about field beside
// it, in words that fit what was typed; it reports whether the form has
// such a field.
func (f *CardForm) setError(l *Layout, field string, in cardInput) bool {
	field = strings.TrimPrefix(field, "card.")
	switch field {
	case "exp_month", "exp_year":
		f.ExpError = f.expiryError(l, field, in)
	case "name":
		f.Name.Error = requiredOrTooLong(l, &f.Name, f.Name.Label)
	default:
		return f.Address.setError(l, field)
	}
	return true
}

// expiryError marks the inputs of the expiry date at fault and returns the
// error of the group.
func (f *CardForm) expiryError(l *Layout, field string, in cardInput) string {
	f.ExpMonth.GroupError, f.ExpYear.GroupError = "card-exp-error", "card-exp-error"
	if in.expMonth == "" || in.expYear == "" {
		f.ExpMonth.Invalid, f.ExpYear.Invalid = in.expMonth == "", in.expYear == ""
		return l.T("card.error.exp_required")
	}
	if field == "exp_month" {
		f.ExpMonth.Invalid = true
		return l.T("card.error.exp_month")
	}
	if _, ok := parseYear(in.expYear); !ok {
		f.ExpYear.Invalid = true
		return l.T("card.error.exp_year")
	}
	// The rules refuse a date that has passed or lies too far ahead.
	f.ExpMonth.Invalid, f.ExpYear.Invalid = true, true
	return l.T("card.error.expired")
}

// declineKeys explain each reason a gateway gives for refusing a card.
var declineKeys = map[string]string{
	kassa.DeclineCardDeclined:           msg("decline.card_declined"),
	kassa.DeclineInsufficientFunds:      msg("decline.insufficient_funds"),
	kassa.DeclineExpiredCard:            msg("decline.expired_card"),
	kassa.DeclineIncorrectCVC:           msg("decline.incorrect_cvc"),
	kassa.DeclineProcessingError:        msg("decline.processing_error"),
	kassa.DeclineAuthenticationRequired: msg("decline.authentication_required"),
	kassa.DeclineAuthenticationFailed:   msg("decline.authentication_failed"),
}

// showError shows what the service answered to the form beside the field
// it concerns, and returns the status of the page that shows it; an error
// the form cannot show (not found, forbidden, internal) comes back as it is.
func (f *CardForm) showError(l *Layout, err error, in cardInput) (int, error) {
	defer focusFirstError(f.fields()...)
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		if !f.setError(l, kassa.ErrorField(err), in) {
			f.FormError = l.T("form.error.invalid")
		}
		return http.StatusUnprocessableEntity, nil
	case kassa.PaymentFailed:
		text := declineText(l, err)
		if kassa.DeclineReason(err) == kassa.DeclineExpiredCard {
			f.ExpError, f.ExpMonth.Invalid, f.ExpYear.Invalid = text, true, true
			f.ExpMonth.GroupError, f.ExpYear.GroupError = "card-exp-error", "card-exp-error"
		} else {
			f.FormError = text
		}
		return http.StatusPaymentRequired, nil
	case kassa.Unavailable:
		f.FormError = l.T("form.error.unavailable")
		return http.StatusServiceUnavailable, nil
	}
	return 0, err
}

// cardLabel names a card for people: "Visa •••• 4242".
func cardLabel(l *Layout, brand kassa.Brand, last4 string) string {
	return l.T("card.label", "Brand", brandName(l, brand), "Last4", last4)
}

// brandKeys name the card brands.
var brandKeys = map[kassa.Brand]string{
	kassa.Visa:       msg("brand.visa"),
	kassa.Mastercard: msg("brand.mastercard"),
	kassa.Amex:       msg("brand.amex"),
}

func brandName(l *Layout, b kassa.Brand) string {
	if key, ok := brandKeys[b]; ok {
		return l.T(key)
	}
	return string(b)
}

// expiry writes a card's expiry date as printed on cards, with the year in
// full: "12/2029".
func expiry(month, year int) string { return fmt.Sprintf("%02d/%d", month, year) }
