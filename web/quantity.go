package web

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// LicensesForm is the pane that Buy licenses and Remove licenses open: the
// Total licenses box, and once reviewed, what the new total costs or gives
// back. Save changes the total only to the one whose price is shown: a
// total changed after the review is reviewed first.
type LicensesForm struct {
	Change    string // "buy" or "remove": which button opened the pane
	Heading   string
	Key       string
	Total     Field
	Preview   *QuantityPreview
	FormError string
	// SwitchProfile is where an admin picks the organization's billing
	// profile, when a person's card still pays and licenses cannot be added.
	SwitchProfile string
}

// QuantityPreview is the price of a new total, from billing's preview:
// made the same day, Save charges exactly Due.
type QuantityPreview struct {
	Quantity                 int
	Summary                  string // "7 licenses, 2 more than now."
	Subtotal, VATLabel, VAT  string
	Total, CreditUsed, Due   string
	Credit                   string
	Increase, Decrease, Free bool
	Until                    string // the end of the term the change is priced to
	// Payer names the purchaser when someone else — an admin who took the
	// subscription over — changes it: their billing profile pays. Or, with
	// Organization, the organization's billing profile that pays.
	Payer        string
	Organization bool
}

// licensesPane opens the Total licenses pane on p for the change ("buy" or
// "remove"), the box holding total.
func licensesPane(p *SubscriptionPage, change, total, key string) *LicensesForm {
	if change != "remove" {
		change = "buy"
	}
	if !formKeyPattern.MatchString(key) {
		key = newFormKey()
	}
	f := &LicensesForm{Change: change, Key: key, Heading: p.T("subscription.buy_licenses")}
	if change == "remove" {
		f.Heading = p.T("subscription.remove_licenses")
	}
	f.Total = Field{ID: "total-licenses", Name: "quantity", Label: p.T("licenses.total"), Value: total,
		Hint: p.T("licenses.total.hint"), InputMode: "numeric", MaxLength: 5, Required: true, Class: "short"}
	p.Pane, p.Licenses = "licenses", f
	return f
}

// changeablePage loads the page of the subscription r names for a change of
// its licenses; one whose licenses cannot change says why, with status.
func (s *server) changeablePage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, int, error) {
	p, sub, err := s.managedPage(r)
	if err != nil {
		return nil, nil, 0, err
	}
	if !p.Sub.Changeable {
		p.Error = p.T("licenses.error.status", "Status", p.Sub.StatusText)
		return p, sub, http.StatusConflict, nil
	}
	return p, sub, 0, nil
}

func (s *server) licensesForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, status, err := s.changeablePage(r)
	if err != nil {
		return err
	} else if status != 0 {
		return s.render(w, status, p)
	}
	f := licensesPane(p, r.URL.Query().Get("change"), strconv.Itoa(sub.Quantity), "")
	f.Total.Autofocus = true
	return s.render(w, http.StatusOK, p)
}

// setLicenses answers the pane's two buttons: Review (step=review) shows
// the price of the total in the box; Save (step=save) sets it, when its
// price is the one shown.
func (s *server) setLicenses(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, status, err := s.changeablePage(r)
	if err != nil {
		return err
	} else if status != 0 {
		return s.render(w, status, p)
	}
	typed := strings.TrimSpace(r.PostForm.Get("quantity"))
	key := r.PostForm.Get("key")
	f := licensesPane(p, r.PostForm.Get("change"), typed, key)
	n, err := strconv.Atoi(typed)
	switch {
	case typed == "":
		f.Total.Error = p.T("form.error.required", "Field", f.Total.Label)
	case err != nil || n < 1 || n > kassa.MaxQuantity:
		f.Total.Error = p.T("buy.error.quantity")
	case n == sub.Quantity:
		f.Total.Error = p.T("licenses.error.same", "Count", sub.Quantity)
	}
	if f.Total.Error != "" {
		f.Total.Autofocus = true
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	if r.PostForm.Get("step") == "save" && r.PostForm.Get("reviewed") == typed {
		_, inv, err := s.billing.SetQuantity(billing.Present(r.Context(), s.base(r)), sub.ID, n, requestKey(p.Actor, f.Key))
		if err == nil && inv != nil && inv.Status == kassa.InvoicePending && inv.ActionURL != "" {
			return seeOther(w, r, inv.ActionURL) // the bank wants the person first
		}
		if err == nil {
			done := "licenses_added"
			if n < sub.Quantity {
				done = "licenses_removed"
			}
			return seeOther(w, r, p.Sub.Href+"?done="+done)
		}
		return s.licensesFailed(w, r, p, sub, n, err)
	}
	change, err := s.billing.PreviewQuantity(r.Context(), sub.ID, n)
	if err != nil {
		return s.licensesFailed(w, r, p, sub, n, err)
	}
	if f.Preview, err = s.preview(&p.Layout, sub, n, change); err != nil {
		return err
	}
	if bp := p.payer; bp != nil && bp.Organization {
		f.Preview.Payer, f.Preview.Organization = bp.Name, true
	}
	if r.PostForm.Get("step") == "save" {
		f.FormError = p.T("licenses.error.changed")
	}
	return s.render(w, http.StatusOK, p)
}

// licensesFailed shows beside the box why the service refused the total n.
func (s *server) licensesFailed(w http.ResponseWriter, r *http.Request, p *SubscriptionPage, sub *kassa.Subscription, n int, err error) error {
	f := p.Licenses
	f.Total.Autofocus = true
	status := http.StatusUnprocessableEntity
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		f.Total.Error = cmp.Or(spendRefusal(&p.Layout, err), p.T("buy.error.quantity"))
		if sub.Status == kassa.StatusTrialing && n >= 1 && n <= kassa.MaxQuantity {
			prod, err := s.db.FindProductByID(r.Context(), sub.ProductID)
			if err != nil {
				return err
			}
			f.Total.Error = p.T("buy.error.trial_quantity", "Max", prod.TrialMaxLicenses)
		}
	case kassa.Conflict:
		status = http.StatusConflict
		switch {
		case personPays(err):
			f.Total.Error, f.SwitchProfile = p.tr.Error(err), p.ChangeProfile
		case n < sub.Assigned:
			f.Total.Error = p.T("licenses.error.assigned", "Count", sub.Assigned, "Unassign", sub.Assigned-n, "Total", n)
		case !changeable(sub):
			f.Total.Error = p.T("licenses.error.status", "Status", p.Sub.StatusText)
		case sub.Cancelling:
			f.Total.Error = p.T("licenses.error.cancelling")
		default:
			f.Total.Error = p.T("buy.error.no_payment_method")
		}
	case kassa.PaymentFailed:
		status, f.FormError = http.StatusPaymentRequired, declineText(&p.Layout, err)
		f.Key = newFormKey() // the declined attempt spent the key
	case kassa.Unavailable:
		status, f.FormError = http.StatusServiceUnavailable, p.T("form.error.unavailable")
	default:
		return err
	}
	return s.render(w, status, p)
}

// preview is the price of changing sub's total to n, as billing priced it.
func (s *server) preview(l *Layout, sub *kassa.Subscription, n int, c *billing.QuantityChange) (*QuantityPreview, error) {
	money := s.amounts(l.Lang)
	v := &QuantityPreview{Quantity: n, Until: formatDate(l, sub.ExpiresAt), Free: c.Invoice == nil}
	if l.Actor != nil && l.Actor.User.ID != sub.PurchaserID {
		v.Payer = sub.PurchaserName
	}
	if delta := n - sub.Quantity; delta > 0 {
		v.Increase = true
		v.Summary = l.T("licenses.preview.more", "Count", n, "Delta", delta)
	} else {
		v.Decrease = true
		v.Summary = l.T("licenses.preview.fewer", "Count", n, "Delta", -delta)
	}
	if inv := c.Invoice; inv != nil {
		v.Subtotal, v.VATLabel, v.VAT, v.Total = money.of(inv.Subtotal), vatLabel(l, inv.TaxRate), money.of(inv.Tax), money.of(inv.Total)
		if inv.BalanceApplied.Amount > 0 {
			v.CreditUsed = money.of(kassa.Money{Amount: -inv.BalanceApplied.Amount, Currency: inv.BalanceApplied.Currency})
		}
	}
	v.Due, v.Credit = money.of(c.AmountDue), money.of(c.Credit)
	return v, money.err
}
