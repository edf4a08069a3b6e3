package web

import (
	"net/http"
	"net/url"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// paymentMethodsPath is the Payment methods tab of Bills & payments.
const paymentMethodsPath = "/billing/bills/payment-methods"

// PaymentMethodsPage is Billing › Bills & payments on its Payment methods
// tab: the user's cards, and beside them the pane of the one chosen (its
// details, its edit form, its deletion) or the pane to add one.
type PaymentMethodsPage struct {
	Layout
	Cards    []CardRow
	Pane     string   // "", "details", "edit", "delete" or "add"
	Selected *CardRow // the card of the pane
	Form     *CardForm
	Notice   string // what the last change did
	Error    string // why a change could not be made
}

func (*PaymentMethodsPage) template() string { return "payment_methods.html" }

// formActions lets the page's forms lead to the processor's card page.
func (*PaymentMethodsPage) formActions() string { return processorPages }

// processorPages are where forms that open the processor's pages (its card
// page, the bank's page of a payment) may lead: the processor's own
// https pages, or the simulator's on kassa's host.
const processorPages = "'self' https:"

// CardRow is a card as the list and its pane show it.
type CardRow struct {
	ID, Href string
	Label    string // "Visa •••• 4242"
	Expiry   string // "12/2029"
	Name     string
	Address  []string
	Profiles []ProfileLink // the billing profiles that pay with it
	Current  bool
}

// ProfileLink names a billing profile and links to its page.
type ProfileLink struct{ Name, Href string }

func newCardRow(l *Layout, m *kassa.PaymentMethod, usedBy []*kassa.BillingProfile) CardRow {
	row := CardRow{ID: m.ID, Href: paymentMethodsPath + "/" + m.ID, Label: cardLabel(l, m.Brand, m.Last4),
		Expiry: expiry(m.ExpMonth, m.ExpYear), Name: m.Name, Address: addressLines(l, m.Address)}
	for _, bp := range usedBy {
		row.Profiles = append(row.Profiles, ProfileLink{Name: bp.Name, Href: profilesPath + "/" + bp.ID})
	}
	return row
}

// paymentMethodsPage loads the tab with the card of id chosen (none for
// ""), and returns that card. Another user's card is NotFound.
func (s *server) paymentMethodsPage(r *http.Request, id string) (*PaymentMethodsPage, *kassa.PaymentMethod, error) {
	ms, err := s.db.FindPaymentMethods(r.Context())
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.db.FindBillingProfiles(r.Context())
	if err != nil {
		return nil, nil, err
	}
	usedBy := map[string][]*kassa.BillingProfile{}
	for _, bp := range ps {
		if bp.PaymentMethodID != "" {
			usedBy[bp.PaymentMethodID] = append(usedBy[bp.PaymentMethodID], bp)
		}
	}
	p := &PaymentMethodsPage{Layout: s.layout(r, msg("nav.bills"))}
	p.Notice = notice(&p.Layout, r)
	var chosen *kassa.PaymentMethod
	for _, m := range ms {
		row := newCardRow(&p.Layout, m, usedBy[m.ID])
		if m.ID == id {
			row.Current, chosen = true, m
		}
		p.Cards = append(p.Cards, row)
	}
	for i := range p.Cards {
		if p.Cards[i].Current {
			p.Selected = &p.Cards[i]
		}
	}
	if id != "" && chosen == nil {
		return nil, nil, kassa.E(kassa.NotFound, "error.payment_method.not_found", "ID", id)
	}
	return p, chosen, nil
}

func (s *server) paymentMethods(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.paymentMethodsPage(r, "")
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) paymentMethod(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Pane = "details"
	return s.render(w, http.StatusOK, p)
}

func (s *server) newPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.paymentMethodsPage(r, "")
	if err != nil {
		return err
	}
	p.Pane = "add"
	return s.render(w, http.StatusOK, p)
}

// addPaymentMethod sends the person to the processor's card page; they come
// back to cardReturned.
func (s *server) addPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	return s.openCardPage(w, r, billing.CardPage{ReturnTo: paymentMethodsPath})
}

// openCardPage opens the processor's card page and sends the browser there.
func (s *server) openCardPage(w http.ResponseWriter, r *http.Request, cp billing.CardPage) error {
	l := s.layout(r, "")
	cp.Base, cp.Language = s.base(r), l.Lang
	_, url, err := s.billing.OpenCardPage(r.Context(), cp)
	if err != nil {
		return err
	}
	return seeOther(w, r, url)
}

// cardReturned keeps the card the person saved on the processor's card
// page and goes on to where they started.
func (s *server) cardReturned(w http.ResponseWriter, r *http.Request) error {
	m, cs, err := s.billing.FinishCardPage(r.Context(), r.PathValue("id"))
	switch kassa.ErrorCode(err) {
	case "":
		done := "card_added"
		if cs.ProfileID != "" || cs.Replaces != "" {
			done = "card_replaced"
		}
		to := cs.ReturnTo
		if to == paymentMethodsPath {
			to = paymentMethodsPath + "/" + m.ID
		}
		return seeOther(w, r, withQuery(to, url.Values{"done": {done}}))
	case kassa.Conflict:
		p, _, err := s.paymentMethodsPage(r, "")
		if err != nil {
			return err
		}
		p.Error = p.T("card.page.not_finished")
		return s.render(w, http.StatusConflict, p)
	}
	return err
}

// securityCode opens the processor's card page to enter the card m again,
// with its security code: the new card takes its place everywhere.
func (s *server) securityCode(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, m, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	back := paymentMethodsPath
	if to := safeNext(r.PostForm.Get("back")); to != "/" {
		back = to
	}
	return s.openCardPage(w, r, billing.CardPage{Replaces: m.ID, ReturnTo: back})
}

// editCardForm is the form that edits m, filled in with in, going back to
// cancel.
func editCardForm(l *Layout, m *kassa.PaymentMethod, in cardInput, action, cancel string) *CardForm {
	f := newCardForm(l, in, cardLabel(l, m.Brand, m.Last4))
	f.Action, f.Cancel, f.Submit = action, cancel, l.T("button.save")
	f.SecurityAction = paymentMethodsPath + "/" + m.ID + "/security-code"
	return f
}

func (s *server) editPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	p, m, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Pane = "edit"
	p.Form = editCardForm(&p.Layout, m, cardInputOf(m), p.Selected.Href+"/edit", p.Selected.Href)
	focusFirstError(p.Form.fields()...)
	return s.render(w, http.StatusOK, p)
}

func (s *server) updatePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, m, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	in := readCardInput(r.PostForm)
	p.Pane, p.Form = "edit", editCardForm(&p.Layout, m, in, p.Selected.Href+"/edit", p.Selected.Href)
	if status, err := s.updateCard(r, &p.Layout, p.Form, m, in); err != nil || status != 0 {
		return s.renderForm(w, status, p, err)
	}
	return seeOther(w, r, p.Selected.Href+"?done=card_saved")
}

func (s *server) confirmDeletePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	// A card a profile pays with cannot go: its details say why.
	p.Pane = "delete"
	if len(p.Selected.Profiles) > 0 {
		p.Pane = "details"
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) deletePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := s.billing.DeletePaymentMethod(r.Context(), r.PathValue("id"))
	if err == nil {
		return seeOther(w, r, paymentMethodsPath+"?done=card_deleted")
	} else if kassa.ErrorCode(err) != kassa.Conflict {
		return err
	}
	p, _, err := s.paymentMethodsPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Pane, p.Error = "details", p.T("card.delete.conflict")
	return s.render(w, http.StatusConflict, p)
}

// updateCard saves the changes made in the edit form of m: only what
// changed. It returns the status of the page that shows the form again, or
// 0 once saved.
func (s *server) updateCard(r *http.Request, l *Layout, f *CardForm, m *kassa.PaymentMethod, in cardInput) (int, error) {
	u, ok := f.check(l, m, in)
	if !ok {
		return http.StatusUnprocessableEntity, nil
	}
	if _, err := s.billing.UpdatePaymentMethod(r.Context(), m.ID, u); err != nil {
		return f.showError(l, err, in)
	}
	return 0, nil
}

// renderForm shows a page again with its form's errors at status, unless
// err is one the form cannot show.
func (s *server) renderForm(w http.ResponseWriter, status int, p page, err error) error {
	if err != nil {
		return err
	}
	return s.render(w, status, p)
}

// seeOther ends a change that succeeded: the browser goes on to a page it
// can reload without making the change again.
func seeOther(w http.ResponseWriter, r *http.Request, url string) error {
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}
