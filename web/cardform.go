package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// CardForm is the form of a card: to add one, with its number, or to edit
// one, whose number never changes and is shown masked. Whatever was typed
// comes back on an error, except the number and the security code.
type CardForm struct {
	Action, Cancel string
	Submit         string // the button's label
	Masked         string // the card being edited, as "Visa •••• 4242"
	Number, CVC    Field
	// The expiry date is one group with one error.
	ExpMonth, ExpYear Field
	ExpError          string
	Name              Field
	Address           AddressFields
	FormError         string
	// Retype asks, after an error, for what is never shown again.
	Retype string
}

// cardInput is a card as typed into a form.
type cardInput struct {
	number, cvc       string
	expMonth, expYear string
	name              string
	address           kassa.Address
}

func readCardInput(form url.Values) cardInput {
	return cardInput{
		number: form.Get("number"), cvc: strings.TrimSpace(form.Get("cvc")),
		expMonth: strings.TrimSpace(form.Get("exp_month")), expYear: strings.TrimSpace(form.Get("exp_year")),
		name: strings.TrimSpace(form.Get("name")), address: readAddress(form),
	}
}

// cardInputOf is a stored card as its edit form starts.
func cardInputOf(m *kassa.PaymentMethod) cardInput {
	return cardInput{expMonth: fmt.Sprintf("%02d", m.ExpMonth), expYear: strconv.Itoa(m.ExpYear),
		name: m.Name, address: m.Address}
}

// newCardForm returns the form filled in with in. Without masked it asks for
// the number of a new card; with it, it edits the card masked names.
func newCardForm(l *Layout, in cardInput, masked string) *CardForm {
	f := &CardForm{
		Masked: masked,
		CVC: Field{ID: "card-cvc", Name: "cvc", Label: l.T("card.cvc"), Hint: l.T("card.cvc.hint"),
			Autocomplete: "cc-csc", InputMode: "numeric", MaxLength: 4, Required: true, Class: "short"},
		ExpMonth: Field{ID: "card-exp-month", Name: "exp_month", Label: l.T("card.exp_month"), Value: in.expMonth,
			Autocomplete: "cc-exp-month", InputMode: "numeric", MaxLength: 2, Required: true, Class: "short"},
		ExpYear: Field{ID: "card-exp-year", Name: "exp_year", Label: l.T("card.exp_year"), Value: in.expYear,
			Autocomplete: "cc-exp-year", InputMode: "numeric", MaxLength: 4, Required: true, Class: "short"},
		Name: Field{ID: "card-name", Name: "name", Label: l.T("card.name"), Value: in.name,
			Autocomplete: "cc-name", MaxLength: 200, Required: true},
		Address: newAddressFields(l, in.address),
	}
	if masked == "" {
		f.Number = Field{ID: "card-number", Name: "number", Label: l.T("card.number"),
			Autocomplete: "cc-number", InputMode: "numeric", MaxLength: 23, Required: true}
	} else {
		// A new code is asked for only when the card has one.
		f.CVC.Hint, f.CVC.Required = l.T("card.cvc.edit_hint"), false
	}
	return f
}

// fields lists the inputs in the order they are shown.
func (f *CardForm) fields() []*Field {
	fs := []*Field{}
	if f.Masked == "" {
		fs = append(fs, &f.Number)
	}
	fs = append(fs, &f.ExpMonth, &f.ExpYear, &f.CVC, &f.Name)
	return append(fs, f.Address.fields()...)
}

// check checks in with the domain's rules and shows every error beside its
// field at once; it returns the card, and its brand, when there is none.
// brand is the brand of the card edited; a new card's comes from its number.
// Whether the card has expired needs the service's clock: the service
// checks that.
func (f *CardForm) check(l *Layout, in cardInput, brand kassa.Brand) (kassa.Card, kassa.Brand, bool) {
	c := kassa.Card{Number: in.number, CVC: in.cvc, Name: in.name, Address: in.address}
	if f.Masked == "" {
		var err error
		if _, brand, err = kassa.ParseCardNumber("card.number", in.number); err != nil {
			f.setError(l, "card.number", in, "")
		}
	}
	var okMonth, okYear bool
	c.ExpMonth, okMonth = parseMonth(in.expMonth)
	c.ExpYear, okYear = parseYear(in.expYear)
	if !okMonth {
		f.setError(l, "card.exp_month", in, brand)
	}
	if !okYear {
		f.setError(l, "card.exp_year", in, brand)
	}
	switch {
	case in.cvc == "" && f.Masked != "":
		// Kept as it is.
	case brand != "":
		if kassa.ValidateCVC("card.cvc", in.cvc, brand) != nil {
			f.setError(l, "card.cvc", in, brand)
		}
	case in.cvc == "":
		f.setError(l, "card.cvc", in, "")
	}
	if kassa.ValidateName("card.name", in.name) != nil {
		f.setError(l, "card.name", in, brand)
	}
	f.Address.check(l, in.address)
	for _, fd := range f.fields() {
		if fd.IsInvalid() {
			focusFirstError(f.fields()...)
			return c, brand, false
		}
	}
	return c, brand, true
}

// askRetype tells, on a form shown again, that the number and the security
// code typed are gone and why.
func (f *CardForm) askRetype(l *Layout, in cardInput) {
	switch {
	case f.Masked == "" && (in.number != "" || in.cvc != ""):
		f.Retype = l.T("card.retype.number")
	case f.Masked != "" && in.cvc != "":
		f.Retype = l.T("card.retype.cvc")
	}
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

// setError shows the error the domain's rules give about field (with or
// without the "card." prefix of a new card) beside it, in words that fit
// what was typed; it reports whether the form has such a field.
func (f *CardForm) setError(l *Layout, field string, in cardInput, brand kassa.Brand) bool {
	field = strings.TrimPrefix(field, "card.")
	switch field {
	case "number":
		if f.Masked != "" {
			return false
		}
		f.Number.Error = l.T("card.error.number_invalid")
		if strings.TrimSpace(in.number) == "" {
			f.Number.Error = l.T("form.error.required", "Field", f.Number.Label)
		}
	case "exp_month", "exp_year":
		f.ExpError = f.expiryError(l, field, in)
	case "cvc":
		switch {
		case brand == kassa.Amex:
			f.CVC.Error = l.T("card.error.cvc", "Digits", 4)
		case brand != "":
			f.CVC.Error = l.T("card.error.cvc", "Digits", 3)
		default:
			f.CVC.Error = l.T("form.error.required", "Field", f.CVC.Label)
		}
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
	kassa.DeclineCardDeclined:      msg("decline.card_declined"),
	kassa.DeclineInsufficientFunds: msg("decline.insufficient_funds"),
	kassa.DeclineExpiredCard:       msg("decline.expired_card"),
	kassa.DeclineIncorrectCVC:      msg("decline.incorrect_cvc"),
	kassa.DeclineProcessingError:   msg("decline.processing_error"),
}

// showError shows what the service answered to the form beside the field
// it concerns, and returns the status of the page that shows it; an error
// the form cannot show (not found, forbidden, internal) comes back as it is.
func (f *CardForm) showError(l *Layout, err error, in cardInput, brand kassa.Brand) (int, error) {
	defer focusFirstError(f.fields()...)
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		if !f.setError(l, kassa.ErrorField(err), in, brand) {
			f.FormError = l.T("form.error.invalid")
		}
		return http.StatusUnprocessableEntity, nil
	case kassa.PaymentFailed:
		reason := kassa.DeclineReason(err)
		text := l.T("decline.other")
		if key, ok := declineKeys[reason]; ok {
			text = l.T(key)
		}
		switch {
		case reason == kassa.DeclineIncorrectCVC:
			f.CVC.Error = text
		case reason == kassa.DeclineExpiredCard:
			f.ExpError, f.ExpMonth.Invalid, f.ExpYear.Invalid = text, true, true
			f.ExpMonth.GroupError, f.ExpYear.GroupError = "card-exp-error", "card-exp-error"
		case f.Masked == "":
			f.Number.Error = text
		default:
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
