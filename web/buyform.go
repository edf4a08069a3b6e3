package web

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// BuyForm is the form of a purchase: how often to pay, how many licenses,
// which billing profile pays, and whether to start with a free trial.
// Everything typed comes back on an error.
type BuyForm struct {
	Key       string   // the form's request key (see requestKey)
	Terms     []Option // radio buttons, each with its price
	TermError string
	Quantity  Field
	Profile   Field // a select of the user's billing profiles
	// Trial is offered when the product has a free trial; TrialOnly when
	// the policy allows nothing else, so it is not a choice.
	Trial, TrialOnly, TrialChecked bool
	TrialLabel, TrialError         string
	FormError                      string
}

// buyInput is a purchase as typed into the form.
type buyInput struct {
	term      kassa.Term
	quantity  string
	profileID string
	trial     bool
	key       string
}

func readBuyInput(form url.Values) buyInput {
	return buyInput{term: kassa.Term(form.Get("term")), quantity: strings.TrimSpace(form.Get("quantity")),
		profileID: form.Get("billing_profile_id"), trial: form.Get("trial") != "", key: form.Get("key")}
}

// buyContext is what the form offers: the product, its prices in the
// tenant's currency and the user's billing profiles with their cards.
type buyContext struct {
	product  *kassa.Product
	currency string
	profiles []*kassa.BillingProfile
	cards    map[string]*kassa.PaymentMethod // by id
}

func (c *buyContext) profile(id string) *kassa.BillingProfile {
	for _, bp := range c.profiles {
		if bp.ID == id {
			return bp
		}
	}
	return nil
}

// trialOnly reports whether the policy allows only a free trial.
func (c *buyContext) trialOnly() bool { return c.product.Policy == kassa.PolicyTrialsOnly }

// newBuyForm returns the form filled in with in.
func newBuyForm(l *Layout, c *buyContext, money *amounts, in buyInput) *BuyForm {
	f := &BuyForm{Key: in.key, Trial: c.product.TrialDays > 0, TrialOnly: c.trialOnly(),
		TrialChecked: in.trial || c.trialOnly()}
	if f.Key == "" || !formKeyPattern.MatchString(f.Key) {
		f.Key = newFormKey()
	}
	for _, term := range []kassa.Term{kassa.Monthly, kassa.Annual} {
		if price := money.price(c.product, term, c.currency); price != "" {
			f.Terms = append(f.Terms, Option{Value: string(term), Selected: term == in.term,
				Label: l.T(termKeys[term]) + " – " + l.T(perTermKeys[term], "Price", price)})
		}
	}
	f.Quantity = Field{ID: "buy-quantity", Name: "quantity", Label: l.T("buy.quantity"), Value: in.quantity,
		Hint: l.T("buy.quantity.hint"), InputMode: "numeric", MaxLength: 5, Required: true, Class: "short"}
	opts := []Option{{Value: "", Label: l.T("buy.profile.choose"), Selected: in.profileID == ""}}
	for _, bp := range c.profiles {
		label := bp.Name + " · " + l.T("profile.payment_method.none")
		if m, ok := c.cards[bp.PaymentMethodID]; ok {
			label = bp.Name + " · " + cardLabel(l, m.Brand, m.Last4)
		}
		opts = append(opts, Option{Value: bp.ID, Label: label, Selected: bp.ID == in.profileID})
	}
	f.Profile = Field{ID: "buy-profile", Name: "billing_profile_id", Label: l.T("buy.profile"), Options: opts, Required: true}
	f.TrialLabel = l.T("buy.trial", "Count", c.product.TrialDays, "Max", c.product.TrialMaxLicenses)
	return f
}

// check checks in against the product and the user's profiles and shows
// every error beside its field; it returns the purchase when there is none.
// The service checks again when buying: these checks only keep a review
// of a purchase that cannot be made from being shown.
func (f *BuyForm) check(l *Layout, c *buyContext, in buyInput) (kassa.Term, int, *kassa.BillingProfile, bool) {
	trial := in.trial || c.trialOnly()
	if _, ok := c.product.PriceFor(in.term, c.currency); !ok {
		f.TermError = l.T("buy.error.term")
	}
	n, err := strconv.Atoi(in.quantity)
	switch {
	case in.quantity == "":
		f.Quantity.Error = l.T("form.error.required", "Field", f.Quantity.Label)
	case err != nil || n < 1 || n > kassa.MaxQuantity:
		f.Quantity.Error = l.T("buy.error.quantity")
	case trial && n > c.product.TrialMaxLicenses:
		f.Quantity.Error = l.T("buy.error.trial_quantity", "Max", c.product.TrialMaxLicenses)
	}
	bp := c.profile(in.profileID)
	switch {
	case bp == nil:
		f.Profile.Error = l.T("buy.error.profile")
	case !trial && bp.PaymentMethodID == "":
		f.Profile.Error = l.T("buy.error.no_payment_method")
	}
	if in.trial && c.product.TrialDays == 0 {
		f.TrialError = l.T("buy.error.trial")
	}
	ok := f.TermError == "" && f.Quantity.Error == "" && f.Profile.Error == "" && f.TrialError == ""
	if !ok {
		focusFirstError(&f.Quantity, &f.Profile)
	}
	return in.term, n, bp, ok
}

// showError shows what the service refused beside the field it names; it
// reports whether the form could show it.
func (f *BuyForm) showError(l *Layout, err error) bool {
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		switch kassa.ErrorField(err) {
		case "term":
			f.TermError = l.T("buy.error.term")
		case "quantity":
			f.Quantity.Error = cmp.Or(spendRefusal(l, err), l.T("buy.error.quantity"))
		case "billing_profile_id":
			f.Profile.Error = l.T("buy.error.profile")
		case "trial":
			f.TrialError = l.T("buy.error.trial")
		default:
			f.FormError = l.T("form.error.invalid")
		}
	case kassa.PaymentFailed:
		f.Profile.Error = declineText(l, err)
	case kassa.Unavailable:
		f.FormError = l.T("form.error.unavailable")
	default:
		return false
	}
	focusFirstError(&f.Quantity, &f.Profile)
	return true
}

// spendRefusal says, in a person's words, that a purchase or increase would
// pass a spend limit and how much is left; "" for any other error.
func spendRefusal(l *Layout, err error) string {
	e, ok := errors.AsType[*kassa.Error](err)
	if !ok {
		return ""
	}
	args := make([]any, len(e.Args))
	for i, v := range e.Args {
		if m, ok := v.(kassa.Money); ok {
			v = locale.FormatMoney(m, l.Lang)
		}
		args[i] = v
	}
	switch e.Key {
	case "error.spend.person":
		return l.T("buy.error.spend_person", args...)
	case "error.spend.organization":
		return l.T("buy.error.spend_organization", args...)
	}
	return ""
}

// declineText explains why the gateway refused a card.
func declineText(l *Layout, err error) string {
	if key, ok := declineKeys[kassa.DeclineReason(err)]; ok {
		return l.T(key)
	}
	return l.T("decline.other")
}

// formKeyPattern is what newFormKey makes.
var formKeyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newFormKey returns a random key for a form that moves money: it rides in a
// hidden input, so that the same form sent twice (a double click, a reload)
// makes its change once.
func newFormKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// requestKey is the key billing records a form's change under: the form's
// key, kept apart from the API's Idempotency-Keys (which billing gets as
// "USER:KEY") and from other users' keys. A form without a key of the
// right shape gets a new one: it is then not protected from being sent
// twice, but it works.
func requestKey(a *kassa.Actor, formKey string) string {
	if !formKeyPattern.MatchString(formKey) {
		formKey = newFormKey()
	}
	return "web:" + a.User.ID + ":" + formKey
}

// vatLabel names the VAT line with its rate: "VAT (25%)", "Moms (25,5 %)".
func vatLabel(l *Layout, basisPoints int) string {
	return l.T("price.vat", "Rate", locale.FormatRate(basisPoints, l.Lang))
}
