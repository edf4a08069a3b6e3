package web

import (
	"errors"
	"net/http"

	"github.com/kassa-billing/kassa"
)

// Which billing profile pays for a subscription (SPEC §12): the
// purchaser's, until an admin switches an admin-managed subscription to
// one of the organization's; admins never charge a person's card.

// PayingForm is the pane where an admin picks the organization's billing
// profile that pays for a subscription.
type PayingForm struct {
	Profile Field // a select of the organization's profiles in its currency
	// NoProfiles says the organization has none in its currency yet.
	NoProfiles bool
	FormError  string
}

// payable reports whether an admin may switch sub's billing profile: an
// admin-managed subscription, active or in its trial.
func payable(sub *kassa.Subscription) bool {
	return sub.Channel == kassa.AdminManaged && !sub.Cancelling &&
		(sub.Status == kassa.StatusActive || sub.Status == kassa.StatusTrialing)
}

// payingProfile is how the reader of sub's page sees the profile bp that
// pays for it: their own or, for admins, the organization's, with a link;
// a person's, for the admins, by the purchaser's name only.
func payingProfile(l *Layout, sub *kassa.Subscription, bp *kassa.BillingProfile) *ProfileLink {
	a := l.Actor
	switch {
	case bp.Organization && a.User.IsAdmin():
		return &ProfileLink{Name: bp.Name, Href: orgProfilesPath + "/" + bp.ID}
	case bp.Organization:
		return &ProfileLink{Name: l.T("paying.organization", "Name", bp.Name)}
	case bp.OwnerID == a.User.ID:
		return &ProfileLink{Name: bp.Name, Href: profilesPath + "/" + bp.ID}
	}
	return &ProfileLink{Name: l.T("paying.person", "Purchaser", sub.PurchaserName)}
}

// payingPane opens the pane on p with the organization's profiles in the
// subscription's currency, chosen picked.
func (s *server) payingPane(r *http.Request, p *SubscriptionPage, sub *kassa.Subscription, chosen string) error {
	ps, err := s.db.FindBillingProfiles(kassa.ForOrganization(r.Context()))
	if err != nil {
		return err
	}
	if chosen == "" {
		chosen = sub.BillingProfileID
	}
	f := &PayingForm{Profile: Field{ID: "paying-profile", Name: "billing_profile_id", Label: p.T("paying.profile"),
		Hint: p.T("paying.profile.hint")}}
	for _, bp := range ps {
		if bp.Currency == sub.UnitPrice.Currency {
			f.Profile.Options = append(f.Profile.Options, Option{Value: bp.ID, Label: bp.Name, Selected: bp.ID == chosen})
		}
	}
	f.NoProfiles = len(f.Profile.Options) == 0
	p.Pane, p.Paying = "billing_profile", f
	return nil
}

// payingPage loads the subscription's page for the pane: an admin-managed
// one whose profile may be switched, else the page says why not.
func (s *server) payingPage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, int, error) {
	p, sub, err := s.subscriptionPage(r)
	if err != nil {
		return nil, nil, 0, err
	}
	if p.ChangeProfile == "" {
		p.Error = p.T("paying.error.not_now")
		return p, sub, http.StatusConflict, nil
	}
	return p, sub, http.StatusOK, nil
}

func (s *server) payingProfileForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, status, err := s.payingPage(r)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		if err := s.payingPane(r, p, sub, ""); err != nil {
			return err
		}
	}
	return s.render(w, status, p)
}

func (s *server) setPayingProfile(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, status, err := s.payingPage(r)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return s.render(w, status, p)
	}
	chosen := r.PostForm.Get("billing_profile_id")
	_, err = s.db.SetPayingProfile(r.Context(), sub.ID, chosen)
	if err == nil {
		return seeOther(w, r, p.Sub.Href+"?done=billing_profile_changed")
	}
	if perr := s.payingPane(r, p, sub, chosen); perr != nil {
		return perr
	}
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		p.Paying.Profile.Error, p.Paying.Profile.Autofocus = p.tr.Error(err), true
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.Conflict:
		p.Paying.FormError = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	}
	return err
}

// personPays reports whether err refused adding licenses to a subscription
// a person's card still pays for.
func personPays(err error) bool {
	var e *kassa.Error
	return errors.As(err, &e) && e.Key == "error.subscription.person_pays"
}
