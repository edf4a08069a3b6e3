package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kassa-billing/kassa"
)

// ProfileForm is the form of a billing profile's details: to create one,
// which may pay with one of the user's cards no profile uses, or to edit one.
type ProfileForm struct {
	Action, Cancel string
	Submit         string // the button's label
	Name, Email    Field
	Address        AddressFields
	PONumber       Field
	PaymentMethod  *Field // only when creating
	FormError      string
}

// profileInput is a billing profile as typed into a form.
type profileInput struct {
	name, email, poNumber string
	address               kassa.Address
	paymentMethodID       string
}

func readProfileInput(form url.Values) profileInput {
	return profileInput{name: strings.TrimSpace(form.Get("name")), email: strings.TrimSpace(form.Get("email")),
		poNumber: strings.TrimSpace(form.Get("po_number")), address: readAddress(form),
		paymentMethodID: form.Get("payment_method_id")}
}

// profileInputOf is a stored profile as its edit form starts.
func profileInputOf(p *kassa.BillingProfile) profileInput {
	return profileInput{name: p.Name, email: p.Email, poNumber: p.PONumber, address: p.Address}
}

// maxPONumber is the longest PO number the rules allow.
const maxPONumber = 100

// newProfileForm returns the form filled in with in. cards, when not nil,
// are the cards a new profile may pay with.
func newProfileForm(l *Layout, in profileInput, cards []*kassa.PaymentMethod) *ProfileForm {
	f := &ProfileForm{
		Name: Field{ID: "profile-name", Name: "name", Label: l.T("profile.name"), Hint: l.T("profile.name.hint"),
			Value: in.name, Autocomplete: "organization", MaxLength: 200, Required: true},
		Email: Field{ID: "profile-email", Name: "email", Label: l.T("profile.email"), Value: in.email,
			Type: "email", Autocomplete: "email", MaxLength: 254, Required: true},
		Address: newAddressFields(l, in.address),
		PONumber: Field{ID: "profile-po-number", Name: "po_number", Label: l.T("profile.po_number"),
			Hint: l.T("profile.po_number.hint"), Value: in.poNumber, MaxLength: maxPONumber, Class: "medium"},
	}
	if cards != nil {
		opts := []Option{{Value: "", Label: l.T("profile.payment_method.none"), Selected: in.paymentMethodID == ""}}
		for _, m := range cards {
			opts = append(opts, Option{Value: m.ID, Label: cardLabel(l, m.Brand, m.Last4) + " · " + expiry(m.ExpMonth, m.ExpYear),
				Selected: m.ID == in.paymentMethodID})
		}
		f.PaymentMethod = &Field{ID: "profile-payment-method", Name: "payment_method_id",
			Label: l.T("profile.payment_method"), Hint: l.T("profile.payment_method.hint"), Options: opts}
	}
	return f
}

// fields lists the inputs in the order they are shown.
func (f *ProfileForm) fields() []*Field {
	fs := []*Field{&f.Name, &f.Email}
	fs = append(fs, f.Address.fields()...)
	fs = append(fs, &f.PONumber)
	if f.PaymentMethod != nil {
		fs = append(fs, f.PaymentMethod)
	}
	return fs
}

// check checks in with the domain's rules and shows every error beside its
// field at once; it reports whether there is none.
func (f *ProfileForm) check(l *Layout, in profileInput) bool {
	if kassa.ValidateName("name", in.name) != nil {
		f.setError(l, "name", in)
	}
	if _, err := kassa.NormalizeEmail("email", in.email); err != nil {
		f.setError(l, "email", in)
	}
	f.Address.check(l, in.address)
	if len([]rune(in.poNumber)) > maxPONumber {
		f.setError(l, "po_number", in)
	}
	for _, fd := range f.fields() {
		if fd.IsInvalid() {
			focusFirstError(f.fields()...)
			return false
		}
	}
	return true
}

// setError shows the error the domain's rules give about field beside it;
// it reports whether the form has such a field.
func (f *ProfileForm) setError(l *Layout, field string, in profileInput) bool {
	switch field {
	case "name":
		f.Name.Error = requiredOrTooLong(l, &f.Name, f.Name.Label)
	case "email":
		f.Email.Error = l.T("form.error.email")
		if in.email == "" {
			f.Email.Error = l.T("form.error.required", "Field", f.Email.Label)
		}
	case "po_number":
		f.PONumber.Error = l.T("form.error.too_long", "Field", f.PONumber.Label, "Max", maxPONumber)
	case "payment_method_id":
		if f.PaymentMethod == nil {
			return false
		}
		f.PaymentMethod.Error = l.T("profile.error.payment_method")
	default:
		return f.Address.setError(l, field)
	}
	return true
}

// showError shows what the service answered to the form, and returns the
// status of the page that shows it; an error the form cannot show comes
// back as it is.
func (f *ProfileForm) showError(l *Layout, err error, in profileInput) (int, error) {
	defer focusFirstError(f.fields()...)
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		if !f.setError(l, kassa.ErrorField(err), in) {
			f.FormError = l.T("form.error.invalid")
		}
		return http.StatusUnprocessableEntity, nil
	case kassa.Unavailable:
		f.FormError = l.T("form.error.unavailable")
		return http.StatusServiceUnavailable, nil
	}
	return 0, err
}

// submitProfile checks what was typed into f and, when the rules allow it,
// hands it to save; what save refuses is shown on f. It returns the status
// of the page that shows f again, or 0 once saved.
func submitProfile(l *Layout, f *ProfileForm, in profileInput, save func() error) (int, error) {
	if !f.check(l, in) {
		return http.StatusUnprocessableEntity, nil
	}
	if err := save(); err != nil {
		return f.showError(l, err, in)
	}
	return 0, nil
}
