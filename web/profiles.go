package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// profilesPath is Billing › Billing profiles; orgProfilesPath is Admin ›
// Billing profiles, the organization's own (SPEC §12), served by the same
// handlers with the actor acting for the organization (forOrganization).
const (
	profilesPath    = "/billing/profiles"
	orgProfilesPath = "/admin/billing-profiles"
)

// profilesHome is where the billing profiles r reaches live, and their
// list's title: a person's own, or the organization's.
func profilesHome(r *http.Request) (path, title string) {
	if kassa.ActorFromContext(r.Context()).ForOrganization {
		return orgProfilesPath, msg("nav.org_profiles")
	}
	return profilesPath, msg("nav.profiles")
}

// forOrganization serves h for the organization's own billing profiles and
// cards: storage then keeps the organization's, not the admin's own.
func forOrganization(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(kassa.ForOrganization(r.Context())))
	}
}

// ProfilesPage is Billing › Billing profiles: the user's profiles, and the
// pane that adds one.
type ProfilesPage struct {
	Layout
	// Home is the list's path; Organization is set on the organization's.
	Home         string
	Organization bool
	Profiles     []ProfileRow
	Details      *ProfileForm // the Add a billing profile pane, when open
	Notice       string
}

func (*ProfilesPage) template() string { return "profiles.html" }

// ProfileRow is a billing profile as the list shows it.
type ProfileRow struct {
	Name, Href, Email string
	PaymentMethod     string // "" when none
	Balance           string
}

// ProfilePage is the billing profile details page, with the pane of what
// is being changed: the profile's details, its card, or which card it pays
// with.
type ProfilePage struct {
	Layout
	// Home and HomeTitle are the list the profile is on.
	Home, HomeTitle string
	Profile         ProfileView
	Card            *CardRow // nil when the profile has no payment method
	Pane            string   // "", "edit", "edit_card" or "replace"
	Details         *ProfileForm
	Form            *CardForm
	// Others are the user's other cards, which the profile may pay with
	// instead of a new one.
	Others *Field
	// NewCard opens the processor's card page for a new card of the
	// profile.
	NewCard string
	Notice  string
}

func (*ProfilePage) template() string { return "profile.html" }

// formActions lets a new card lead to the processor's card page.
func (*ProfilePage) formActions() string { return processorPages }

// ProfileView is a billing profile as its page shows it.
type ProfileView struct {
	ID, Href, Name, Email string
	Address               []string
	Currency, PONumber    string
	Balance               string
}

func (s *server) profiles(w http.ResponseWriter, r *http.Request) error {
	p, err := s.profilesPage(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) profilesPage(r *http.Request) (*ProfilesPage, error) {
	ps, err := s.db.FindBillingProfiles(r.Context())
	if err != nil {
		return nil, err
	}
	ms, err := s.db.FindPaymentMethods(r.Context())
	if err != nil {
		return nil, err
	}
	home, title := profilesHome(r)
	p := &ProfilesPage{Layout: s.layout(r, title), Home: home, Organization: home == orgProfilesPath}
	p.Notice = notice(&p.Layout, r)
	for _, bp := range ps {
		row := ProfileRow{Name: bp.Name, Href: home + "/" + bp.ID, Email: bp.Email}
		for _, m := range ms {
			if m.ID == bp.PaymentMethodID {
				row.PaymentMethod = cardLabel(&p.Layout, m.Brand, m.Last4)
			}
		}
		if row.Balance, err = s.money.format(p.Lang, bp.Balance); err != nil {
			return nil, err
		}
		p.Profiles = append(p.Profiles, row)
	}
	return p, nil
}

// cardsBut returns the user's cards but the one of id: any of them may pay
// for any of their billing profiles.
func (s *server) cardsBut(r *http.Request, id string) ([]*kassa.PaymentMethod, error) {
	ms, err := s.db.FindPaymentMethods(r.Context())
	if err != nil {
		return nil, err
	}
	others := []*kassa.PaymentMethod{}
	for _, m := range ms {
		if m.ID != id {
			others = append(others, m)
		}
	}
	return others, nil
}

// newProfileForm is the Add a billing profile form, filled in with in.
func (s *server) newProfileForm(r *http.Request, l *Layout, in profileInput) (*ProfileForm, error) {
	cards, err := s.cardsBut(r, "")
	if err != nil {
		return nil, err
	}
	f := newProfileForm(l, in, cards)
	home, _ := profilesHome(r)
	f.Action, f.Cancel, f.Submit = home+"/new", home, l.T("button.add")
	return f, nil
}

func (s *server) newProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.profilesPage(r)
	if err != nil {
		return err
	}
	a := p.Actor
	in := profileInput{email: a.User.Email, address: kassa.Address{Country: a.Tenant.Country}}
	if p.Details, err = s.newProfileForm(r, &p.Layout, in); err != nil {
		return err
	}
	focusFirstError(p.Details.fields()...)
	return s.render(w, http.StatusOK, p)
}

func (s *server) createProfile(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, err := s.profilesPage(r)
	if err != nil {
		return err
	}
	in := readProfileInput(r.PostForm)
	if p.Details, err = s.newProfileForm(r, &p.Layout, in); err != nil {
		return err
	}
	bp := &kassa.BillingProfile{Name: in.name, Email: in.email, Address: in.address, PONumber: in.poNumber,
		PaymentMethodID: in.paymentMethodID}
	status, err := submitProfile(&p.Layout, p.Details, in, func() error { return s.billing.CreateBillingProfile(r.Context(), bp) })
	if err != nil || status != 0 {
		return s.renderForm(w, status, p, err)
	}
	return seeOther(w, r, p.Home+"/"+bp.ID+"?done=profile_created")
}

// profilePage loads the page of the profile r names, and returns the
// profile and its card (nil when it has none). Another user's is NotFound.
func (s *server) profilePage(r *http.Request) (*ProfilePage, *kassa.BillingProfile, *kassa.PaymentMethod, error) {
	bp, err := s.db.FindBillingProfileByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, nil, nil, err
	}
	p := &ProfilePage{Layout: s.layout(r, msg("profile.title"))}
	p.Home, p.HomeTitle = profilesHome(r)
	p.Notice = notice(&p.Layout, r)
	p.Profile = ProfileView{ID: bp.ID, Href: p.Home + "/" + bp.ID, Name: bp.Name, Email: bp.Email,
		Address: addressLines(&p.Layout, bp.Address), Currency: bp.Currency, PONumber: bp.PONumber}
	if p.Profile.Balance, err = s.money.format(p.Lang, bp.Balance); err != nil {
		return nil, nil, nil, err
	}
	var m *kassa.PaymentMethod
	if bp.PaymentMethodID != "" {
		if m, err = s.db.FindPaymentMethodByID(r.Context(), bp.PaymentMethodID); err != nil {
			return nil, nil, nil, err
		}
		row := newCardRow(&p.Layout, m, []*kassa.BillingProfile{bp})
		p.Card = &row
	}
	return p, bp, m, nil
}

func (s *server) profile(w http.ResponseWriter, r *http.Request) error {
	p, _, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// editProfileForm is the form that edits the profile of p, filled in with in.
func editProfileForm(p *ProfilePage, in profileInput) *ProfileForm {
	f := newProfileForm(&p.Layout, in, nil)
	f.Action, f.Cancel, f.Submit = p.Profile.Href+"/edit", p.Profile.Href, p.T("button.save")
	return f
}

func (s *server) editProfile(w http.ResponseWriter, r *http.Request) error {
	p, bp, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	p.Pane, p.Details = "edit", editProfileForm(p, profileInputOf(bp))
	focusFirstError(p.Details.fields()...)
	return s.render(w, http.StatusOK, p)
}

func (s *server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, bp, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	in := readProfileInput(r.PostForm)
	p.Pane, p.Details = "edit", editProfileForm(p, in)
	status, err := submitProfile(&p.Layout, p.Details, in, func() error {
		_, err := s.billing.UpdateBillingProfile(r.Context(), bp.ID, kassa.BillingProfileUpdate{
			Name: &in.name, Email: &in.email, Address: &in.address, PONumber: &in.poNumber})
		return err
	})
	if err != nil || status != 0 {
		return s.renderForm(w, status, p, err)
	}
	return seeOther(w, r, p.Profile.Href+"?done=profile_saved")
}

// profileCard loads the page of the profile r names with its card, which
// it must have to be edited.
func (s *server) profileCard(r *http.Request) (*ProfilePage, *kassa.PaymentMethod, error) {
	p, _, m, err := s.profilePage(r)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, kassa.E(kassa.NotFound, "error.profile.no_card", "ID", p.Profile.ID)
	}
	return p, m, nil
}

func (s *server) editProfileCard(w http.ResponseWriter, r *http.Request) error {
	p, m, err := s.profileCard(r)
	if err != nil {
		return err
	}
	p.Pane = "edit_card"
	p.Form = editCardForm(&p.Layout, m, cardInputOf(m), r.URL.Path, p.Profile.Href)
	focusFirstError(p.Form.fields()...)
	return s.render(w, http.StatusOK, p)
}

func (s *server) updateProfileCard(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, m, err := s.profileCard(r)
	if err != nil {
		return err
	}
	in := readCardInput(r.PostForm)
	p.Pane, p.Form = "edit_card", editCardForm(&p.Layout, m, in, r.URL.Path, p.Profile.Href)
	if status, err := s.updateCard(r, &p.Layout, p.Form, m, in); err != nil || status != 0 {
		return s.renderForm(w, status, p, err)
	}
	return seeOther(w, r, p.Profile.Href+"?done=card_saved")
}

// replacePane opens the Replace pane on p: a new card, entered on the
// processor's card page, or one of the user's other cards.
func (s *server) replacePane(r *http.Request, p *ProfilePage, current string) error {
	p.Pane, p.NewCard = "replace", p.Profile.Href+"/payment-method/replace"
	cards, err := s.cardsBut(r, current)
	if err != nil || len(cards) == 0 {
		return err
	}
	opts := make([]Option, len(cards))
	for i, m := range cards {
		opts[i] = Option{Value: m.ID, Label: cardLabel(&p.Layout, m.Brand, m.Last4) + " · " + expiry(m.ExpMonth, m.ExpYear)}
	}
	p.Others = &Field{ID: "other-card", Name: "payment_method_id", Label: p.T("replace.other.label"), Options: opts}
	return nil
}

func (s *server) replaceForm(w http.ResponseWriter, r *http.Request) error {
	p, bp, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	if err := s.replacePane(r, p, bp.PaymentMethodID); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// replaceCard sends the person to the processor's card page for the
// profile's new card; they come back to the profile.
func (s *server) replaceCard(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, bp, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	return s.openCardPage(w, r, billing.CardPage{ProfileID: bp.ID, ReturnTo: p.Profile.Href})
}

// useCard makes the profile pay with another of the user's cards.
func (s *server) useCard(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, bp, _, err := s.profilePage(r)
	if err != nil {
		return err
	}
	id := r.PostForm.Get("payment_method_id")
	_, err = s.billing.UpdateBillingProfile(r.Context(), bp.ID, kassa.BillingProfileUpdate{PaymentMethodID: &id})
	if err == nil {
		return seeOther(w, r, p.Profile.Href+"?done=card_chosen")
	}
	if kassa.ErrorCode(err) != kassa.Invalid && kassa.ErrorCode(err) != kassa.Unavailable {
		return err
	}
	if err := s.replacePane(r, p, bp.PaymentMethodID); err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	msgText := p.T("profile.error.payment_method")
	if kassa.ErrorCode(err) == kassa.Unavailable {
		status, msgText = http.StatusServiceUnavailable, p.T("form.error.unavailable")
	}
	if p.Others == nil {
		p.Notice = msgText
	} else {
		p.Others.Error = msgText
		p.Others.Autofocus = true
	}
	return s.render(w, status, p)
}
