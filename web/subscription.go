package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// SubscriptionPage is a subscription's page: its details, the changes the
// reader may make, and the pane of the change being made: "licenses" (Buy
// licenses and Remove licenses both open the Total licenses box, then the
// price of the new total), "cancel" (the Cancel subscription pane) or
// "take_over" (an admin's confirmation that they take it over),
// "move_users" and "admin_cancel" (an admin ending it, admin_end.go).
type SubscriptionPage struct {
	Layout
	Sub      SubscriptionView
	Pane     string
	Licenses *LicensesForm
	Cancel   *CancelForm
	Notice   string
	Error    string // why a change cannot be made now
	// ReadOnly says why the reader sees the subscription without the means
	// to change it; "" when they may change it.
	ReadOnly string
	// TakeOver is where an admin takes this self-service subscription
	// over, "" when they cannot; MoveUsers and CancelAsAdmin where they end
	// it (Move users, Cancel), "" when they cannot.
	TakeOver, MoveUsers, CancelAsAdmin string
	Move                               *MoveForm
	AdminCancel                        *AdminCancelForm
	// Unpaid is the page that pays its overdue renewal, for its purchaser;
	// BankWants says their bank refused to let it be charged without them.
	Unpaid    string
	BankWants bool
	// Disputed says a card holder disputed one of its charges.
	Disputed bool
	// ChangeProfile is where an admin picks the organization's billing
	// profile that pays for it, "" when they cannot; Paying is that pane.
	ChangeProfile string
	Paying        *PayingForm
	payer         *kassa.BillingProfile // the profile that pays, when the reader may know it
	// Group is the Licenses by group panel of an admin-managed
	// subscription; GroupForm the pane that links a group.
	Group     *GroupPanel
	GroupForm *GroupForm
}

func (*SubscriptionPage) template() string { return "subscription.html" }

// formActions lets more licenses lead to the bank's page.
func (*SubscriptionPage) formActions() string { return processorPages }

// SubscriptionView is a subscription as its page shows it.
type SubscriptionView struct {
	Href, Product                 string
	Status                        kassa.SubscriptionStatus
	StatusText                    string
	Quantity, Assigned, Available int
	Term, Price, Expires          string
	AutoRenew, CancelAtTermEnd    bool
	Profile                       *ProfileLink // nil when the reader may not see it; Href "" when not theirs to open
	Purchaser, Channel            string
	CancelReason, CancelFeedback  string
	// What the reader may do: buy or remove licenses, cancel, reactivate.
	Changeable, Cancelable, Reactivatable bool
}

// errReadOnly is what changing a subscription one may only look at gets:
// an admin looking at a self-service subscription, or its purchaser once
// the admins have taken it over. fail shows it with a text of its own.
var errReadOnly = kassa.E(kassa.Forbidden, "error.subscription.read_only")

// cancelReasonKeys name each reason to cancel, in kassa.CancelReasons' order.
var cancelReasonKeys = map[kassa.CancelReason]string{
	"too_expensive": msg("cancel.reason.too_expensive"), "missing_features": msg("cancel.reason.missing_features"),
	"switched_service": msg("cancel.reason.switched_service"), "unused": msg("cancel.reason.unused"),
	"too_complex": msg("cancel.reason.too_complex"), "low_quality": msg("cancel.reason.low_quality"),
	"customer_service": msg("cancel.reason.customer_service"), "other": msg("cancel.reason.other"),
}

func cancelReasonText(l *Layout, r kassa.CancelReason) string {
	if key, ok := cancelReasonKeys[r]; ok {
		return l.T(key)
	}
	return string(r)
}

// subscriptionPage loads the page of the subscription r names, and the
// subscription. One the reader may not see is NotFound.
func (s *server) subscriptionPage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, error) {
	sub, err := s.db.FindSubscriptionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	p := &SubscriptionPage{Layout: s.layout(r, msg("nav.products"))}
	p.Notice = notice(&p.Layout, r)
	a := p.Actor
	money := s.amounts(p.Lang)
	v := SubscriptionView{
		Href: subscriptionsPath + "/" + sub.ID, Product: sub.ProductName.In(p.Lang),
		Status: sub.Status, StatusText: statusText(&p.Layout, sub.Status),
		Quantity: sub.Quantity, Assigned: sub.Assigned, Available: sub.Available(),
		Term: p.T(termKeys[sub.Term]), Price: p.T(perTermKeys[sub.Term], "Price", money.of(sub.UnitPrice)),
		Expires: formatDate(&p.Layout, sub.ExpiresAt), AutoRenew: sub.AutoRenew, CancelAtTermEnd: sub.CancelAtTermEnd,
		Purchaser: sub.PurchaserName, Channel: p.T(channelKeys[sub.Channel]), CancelFeedback: sub.CancelFeedback,
	}
	if sub.CancelReason != "" {
		v.CancelReason = cancelReasonText(&p.Layout, sub.CancelReason)
	}
	p.Title = v.Product
	if sub.PurchaserID == a.User.ID || a.User.IsAdmin() {
		bp, err := s.db.FindPayingProfile(r.Context(), sub.BillingProfileID)
		if err != nil {
			return nil, nil, err
		}
		v.Profile, p.payer = payingProfile(&p.Layout, sub, bp), bp
		if a.User.IsAdmin() && payable(sub) {
			p.ChangeProfile = v.Href + "/billing-profile"
		}
		if sub.Status == kassa.StatusPastDue && bp.OwnerID == a.User.ID && !bp.Organization {
			inv, err := s.db.FindOpenRenewal(r.Context(), sub)
			if err == nil && inv.Status == kassa.InvoiceOpen {
				p.Unpaid, p.BankWants = invoicesPath+"/"+inv.ID+"/pay", inv.ActionRequired
			} else if err != nil && kassa.ErrorCode(err) != kassa.NotFound {
				return nil, nil, err
			}
		}
	}
	p.Disputed = sub.Disputed
	switch {
	case sub.CanManage(a):
		v.Changeable, v.Cancelable = changeable(sub), cancelable(sub)
		v.Reactivatable = sub.CancelAtTermEnd && sub.Status != kassa.StatusCanceled && sub.Status != kassa.StatusExpired
		if sub.Channel == kassa.AdminManaged {
			if err := s.groupPanel(r, p, sub); err != nil {
				return nil, nil, err
			}
		}
	case a.User.IsAdmin() && takeable(sub):
		p.ReadOnly, p.TakeOver = p.T("subscription.read_only.admin"), v.Href+"/take-over"
		if endable(sub) {
			p.MoveUsers, p.CancelAsAdmin = v.Href+"/move-users", v.Href+"/admin-cancel"
		}
	case a.User.IsAdmin():
		p.ReadOnly = p.T("subscription.read_only.admin_ended")
	default:
		p.ReadOnly = p.T("subscription.read_only.taken_over")
	}
	p.Sub = v
	return p, sub, money.err
}

// managedPage loads the page of the subscription r names for a change:
// one the reader may only look at is errReadOnly.
func (s *server) managedPage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, error) {
	p, sub, err := s.subscriptionPage(r)
	if err != nil {
		return nil, nil, err
	}
	if p.ReadOnly != "" {
		return nil, nil, errReadOnly
	}
	return p, sub, nil
}

func (s *server) subscription(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.subscriptionPage(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// CancelForm is the Cancel subscription pane: a reason, optional feedback,
// and what cancelling does to this subscription now.
type CancelForm struct {
	Reasons     []Option
	ReasonError string
	Feedback    Field
	// EndsNow says it ends at once, with a refund of the unused days when
	// it was paid (Refund); else it ends on Ends, the end of its term.
	EndsNow, Refund bool
	Ends            string
	FormError       string
}

// cancelPane opens the Cancel subscription pane on p, filled in with the
// reason and feedback typed.
func (s *server) cancelPane(p *SubscriptionPage, sub *kassa.Subscription, reason kassa.CancelReason, feedback string) {
	f := &CancelForm{Ends: p.Sub.Expires}
	for _, rc := range kassa.CancelReasons {
		f.Reasons = append(f.Reasons, Option{Value: string(rc), Label: cancelReasonText(&p.Layout, rc), Selected: rc == reason})
	}
	f.Feedback = Field{ID: "cancel-feedback", Name: "feedback", Label: p.T("cancel.feedback"),
		Hint: p.T("cancel.feedback.hint"), Value: feedback, MaxLength: kassa.MaxFeedback}
	switch {
	case sub.Status == kassa.StatusTrialing:
		f.EndsNow = true
	case s.db.Now().Before(sub.PeriodStart.Add(kassa.CancelWindow)):
		f.EndsNow, f.Refund = true, true
	}
	p.Pane, p.Cancel = "cancel", f
}

func (s *server) cancelForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, err := s.managedPage(r)
	if err != nil {
		return err
	}
	if !p.Sub.Cancelable {
		p.Error = p.T("cancel.error.not_cancelable", "Status", p.Sub.StatusText)
		return s.render(w, http.StatusConflict, p)
	}
	s.cancelPane(p, sub, "", "")
	return s.render(w, http.StatusOK, p)
}

func (s *server) cancel(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, err := s.managedPage(r)
	if err != nil {
		return err
	}
	reason := kassa.CancelReason(r.PostForm.Get("reason"))
	feedback := strings.TrimSpace(r.PostForm.Get("feedback"))
	s.cancelPane(p, sub, reason, feedback)
	f := p.Cancel
	if !reason.Valid() {
		f.ReasonError = p.T("cancel.error.reason")
	}
	if utf8.RuneCountInString(feedback) > kassa.MaxFeedback {
		f.Feedback.Error = p.T("cancel.error.feedback")
		f.Feedback.Autofocus = true
	}
	if f.ReasonError != "" || f.Feedback.Error != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	canceled, err := s.billing.Cancel(r.Context(), sub.ID, reason, feedback)
	switch kassa.ErrorCode(err) {
	case "":
		done := "cancel_scheduled"
		switch {
		case canceled.Status == kassa.StatusCanceled && sub.Status == kassa.StatusTrialing:
			done = "trial_canceled"
		case canceled.Status == kassa.StatusCanceled:
			done = "canceled"
		}
		return seeOther(w, r, p.Sub.Href+"?done="+done)
	case kassa.Invalid:
		if kassa.ErrorField(err) == "feedback" {
			f.Feedback.Error = p.T("cancel.error.feedback")
		} else {
			f.ReasonError = p.T("cancel.error.reason")
		}
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.Conflict:
		if errors.Is(err, sqldb.ErrRenewing) {
			f.FormError = p.tr.Error(err)
			return s.render(w, http.StatusConflict, p)
		}
		if cancelable(sub) && !sub.Cancelling {
			// Refused while a payment for more licenses is under way.
			f.FormError = p.T("cancel.error.busy")
			return s.render(w, http.StatusConflict, p)
		}
		p.Pane, p.Cancel = "", nil
		p.Error = p.T("cancel.error.not_cancelable", "Status", p.Sub.StatusText)
		return s.render(w, http.StatusConflict, p)
	case kassa.Unavailable, kassa.PaymentFailed:
		f.FormError = p.T("cancel.error.refund")
		return s.render(w, http.StatusServiceUnavailable, p)
	}
	return err
}

func (s *server) reactivate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, err := s.managedPage(r)
	if err != nil {
		return err
	}
	_, err = s.billing.Reactivate(r.Context(), sub.ID)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, p.Sub.Href+"?done=reactivated")
	case kassa.Conflict:
		p.Error = p.T("reactivate.error")
		return s.render(w, http.StatusConflict, p)
	}
	return err
}
