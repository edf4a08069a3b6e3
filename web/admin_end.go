package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// An admin ends a self-service subscription from its page (SPEC §12): Move
// users opens a pane that picks an admin-managed subscription of the same
// product and, reviewed (a GET, so it works without script and changes
// nothing), shows what the move takes; its button posts the move. Cancel
// opens a pane with a reason and a message to the purchaser. All four
// routes are adminOnly; billing.MoveUsers and AdminCancel do the work.

// MoveForm is the Move users pane.
type MoveForm struct {
	Target    Field // a select of the admin-managed subscriptions of the product
	NoTargets bool
	Preview   *MovePreviewView
	FormError string
	// SwitchProfile is where the target's billing profile is switched to
	// the organization's, when a person's card still pays for it.
	SwitchProfile string
}

// MovePreviewView is what moving the users to the picked target takes.
type MovePreviewView struct {
	Target                     string
	Holders, Free, AddLicenses int
	AmountDue, Credit          string // Credit "" when nothing is credited
}

// AdminCancelForm is the admin's Cancel pane.
type AdminCancelForm struct {
	Reasons     []Option
	ReasonError string
	Message     Field
	Holders     int
	Credit      string // "" when nothing is credited
	FormError   string
}

// adminReasonKeys name each reason to cancel as an admin gives it, in
// kassa.CancelReasons' order: the same reasons, in the organization's
// words rather than a purchaser's (notify words the mail the same).
var adminReasonKeys = map[kassa.CancelReason]string{
	"too_expensive": msg("admin_cancel.reason.too_expensive"), "missing_features": msg("admin_cancel.reason.missing_features"),
	"switched_service": msg("admin_cancel.reason.switched_service"), "unused": msg("admin_cancel.reason.unused"),
	"too_complex": msg("admin_cancel.reason.too_complex"), "low_quality": msg("admin_cancel.reason.low_quality"),
	"customer_service": msg("admin_cancel.reason.customer_service"), "other": msg("admin_cancel.reason.other"),
}

// endable reports whether an admin may end sub at once (billing's rule).
func endable(sub *kassa.Subscription) bool {
	return sub.Channel == kassa.SelfService &&
		(sub.Status == kassa.StatusTrialing || sub.Status == kassa.StatusActive) && !sub.Cancelling
}

// endingPage loads the subscription's page for one of the admin's panes;
// one that cannot be ended gets the page saying why, and status 409.
func (s *server) endingPage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, int, error) {
	p, sub, err := s.subscriptionPage(r)
	if err != nil {
		return nil, nil, 0, err
	}
	if p.MoveUsers == "" {
		p.Error = p.T("end.error.status", "Status", p.Sub.StatusText)
		if sub.Channel == kassa.AdminManaged {
			p.Error = p.T("end.error.managed")
		}
		return p, sub, http.StatusConflict, nil
	}
	return p, sub, http.StatusOK, nil
}

// endingPost reads a posted form of one of the admin's panes and loads
// the page for it; ok false when the answer is written already (the page
// saying why the subscription cannot be ended) or err says what failed.
func (s *server) endingPost(w http.ResponseWriter, r *http.Request) (p *SubscriptionPage, sub *kassa.Subscription, ok bool, err error) {
	if err := parseForm(w, r); err != nil {
		return nil, nil, false, err
	}
	p, sub, status, err := s.endingPage(r)
	if err != nil {
		return nil, nil, false, err
	}
	if status != http.StatusOK {
		return nil, nil, false, s.render(w, status, p)
	}
	return p, sub, true, nil
}

// movePane opens the Move users pane on p with target picked, and its
// preview when target is one.
func (s *server) movePane(r *http.Request, p *SubscriptionPage, sub *kassa.Subscription, target string) error {
	f := &MoveForm{Target: Field{ID: "move-target", Name: "target", Label: p.T("move.target"), Value: target}}
	p.Pane, p.Move = "move_users", f
	managed, product := kassa.AdminManaged, sub.ProductID
	subs, err := s.db.FindSubscriptions(r.Context(), kassa.SubscriptionFilter{Channel: &managed, ProductID: &product})
	if err != nil {
		return err
	}
	for _, t := range subs {
		if !t.Status.Live() {
			continue
		}
		f.Target.Options = append(f.Target.Options, Option{Value: t.ID, Selected: t.ID == target,
			Label: p.T("move.target.option", "Term", p.T(termKeys[t.Term]), "Free", t.Available(),
				"Quantity", t.Quantity, "Purchaser", t.PurchaserName, "Date", formatDate(&p.Layout, t.ExpiresAt))})
	}
	f.NoTargets = len(f.Target.Options) == 0
	if target == "" || f.NoTargets {
		return nil
	}
	preview, err := s.billing.PreviewMoveUsers(r.Context(), sub.ID, target)
	switch kassa.ErrorCode(err) {
	case "":
	case kassa.Invalid:
		f.Target.Error = p.tr.Error(err)
		return nil
	case kassa.Conflict:
		f.FormError = p.tr.Error(err)
		if personPays(err) {
			f.SwitchProfile = subscriptionsPath + "/" + target + "/billing-profile"
		}
		return nil
	default:
		return err
	}
	money := s.amounts(p.Lang)
	v := &MovePreviewView{Target: target, Holders: preview.Holders, Free: preview.FreeInTarget,
		AddLicenses: preview.LicensesToAdd, AmountDue: money.of(preview.AmountDue)}
	if preview.Credit.Amount > 0 {
		v.Credit = money.of(preview.Credit)
	}
	f.Preview = v
	return money.err
}

func (s *server) moveUsersForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, status, err := s.endingPage(r)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		if err := s.movePane(r, p, sub, strings.TrimSpace(r.URL.Query().Get("target"))); err != nil {
			return err
		}
		if p.Move.Target.Error != "" {
			status = http.StatusUnprocessableEntity
		}
	}
	return s.render(w, status, p)
}

func (s *server) moveUsers(w http.ResponseWriter, r *http.Request) error {
	p, sub, ok, err := s.endingPost(w, r)
	if !ok {
		return err
	}
	target := strings.TrimSpace(r.PostForm.Get("target"))
	add, err := strconv.Atoi(r.PostForm.Get("add_licenses"))
	if err != nil {
		add = 0
	}
	ctx := billing.Present(r.Context(), s.base(r))
	_, err = s.billing.MoveUsers(ctx, sub.ID, target, add)
	if err == nil {
		return seeOther(w, r, subscriptionsPath+"/"+target+"?done=users_moved")
	}
	// The pane again, as it is now, with why.
	if perr := s.movePane(r, p, sub, target); perr != nil {
		return perr
	}
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		p.Move.Target.Error = p.tr.Error(err)
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.Conflict:
		p.Move.FormError = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	case kassa.PaymentFailed:
		p.Move.FormError = p.tr.Error(err)
		return s.render(w, http.StatusPaymentRequired, p)
	case kassa.Unavailable:
		p.Move.FormError = p.tr.Error(err)
		return s.render(w, http.StatusServiceUnavailable, p)
	}
	return err
}

// adminCancelPane opens the admin's Cancel pane on p, filled in with what
// was typed.
func (s *server) adminCancelPane(r *http.Request, p *SubscriptionPage, sub *kassa.Subscription, reason kassa.CancelReason, message string) error {
	f := &AdminCancelForm{Holders: sub.Assigned}
	for _, rc := range kassa.CancelReasons {
		f.Reasons = append(f.Reasons, Option{Value: string(rc), Label: p.T(adminReasonKeys[rc]), Selected: rc == reason})
	}
	f.Message = Field{ID: "admin-cancel-message", Name: "feedback", Label: p.T("admin_cancel.message", "Purchaser", sub.PurchaserName),
		Hint: p.T("admin_cancel.message.hint"), Value: message, MaxLength: kassa.MaxFeedback}
	p.Pane, p.AdminCancel = "admin_cancel", f
	credit, err := s.billing.EndingCredit(r.Context(), sub.ID)
	if err != nil {
		return err
	}
	if credit.Amount > 0 {
		money := s.amounts(p.Lang)
		f.Credit = money.of(credit)
		return money.err
	}
	return nil
}

func (s *server) adminCancelForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, status, err := s.endingPage(r)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		if err := s.adminCancelPane(r, p, sub, "", ""); err != nil {
			return err
		}
	}
	return s.render(w, status, p)
}

func (s *server) adminCancel(w http.ResponseWriter, r *http.Request) error {
	p, sub, ok, err := s.endingPost(w, r)
	if !ok {
		return err
	}
	reason := kassa.CancelReason(r.PostForm.Get("reason"))
	message := strings.TrimSpace(r.PostForm.Get("feedback"))
	if err := s.adminCancelPane(r, p, sub, reason, message); err != nil {
		return err
	}
	f := p.AdminCancel
	if !reason.Valid() {
		f.ReasonError = p.T("cancel.error.reason")
	}
	if utf8.RuneCountInString(message) > kassa.MaxFeedback {
		f.Message.Error, f.Message.Autofocus = p.T("admin_cancel.error.message", "Max", kassa.MaxFeedback), true
	}
	if f.ReasonError != "" || f.Message.Error != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	_, err = s.billing.AdminCancel(r.Context(), sub.ID, reason, message)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, p.Sub.Href+"?done=admin_canceled")
	case kassa.Conflict:
		f.FormError = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	}
	return err
}
