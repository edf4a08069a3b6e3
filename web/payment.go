package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
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

// CardRow is a card as the list and its pane show it.
type CardRow struct {
	ID, Href string
	Label    string // "Visa •••• 4242"
	Expiry   string // "12/2029"
	Name     string
	Address  []string
	Profile  *ProfileLink // the billing profile that pays with it, if any
	Current  bool
}

// ProfileLink names a billing profile and links to its page.
type ProfileLink struct{ Name, Href string }

func newCardRow(l *Layout, m *kassa.PaymentMethod, usedBy *kassa.BillingProfile) CardRow {
	row := CardRow{ID: m.ID, Href: paymentMethodsPath + "/" + m.ID, Label: cardLabel(l, m.Brand, m.Last4),
		Expiry: expiry(m.ExpMonth, m.ExpYear), Name: m.Name, Address: addressLines(l, m.Address)}
	if usedBy != nil {
		row.Profile = &ProfileLink{Name: usedBy.Name, Href: profilesPath + "/" + usedBy.ID}
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
	usedBy := map[string]*kassa.BillingProfile{}
	for _, bp := range ps {
		if bp.PaymentMethodID != "" {
			usedBy[bp.PaymentMethodID] = bp
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

// addCardForm is the Add a payment method form, filled in with in.
func addCardForm(l *Layout, in cardInput) *CardForm {
	f := newCardForm(l, in, "")
	f.Action, f.Cancel, f.Submit = paymentMethodsPath+"/new", paymentMethodsPath, l.T("button.add")
	return f
}

func (s *server) newPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.paymentMethodsPage(r, "")
	if err != nil {
		return err
	}
	p.Pane = "add"
	p.Form = addCardForm(&p.Layout, cardInput{address: kassa.Address{Country: p.Actor.Tenant.Country}})
	focusFirstError(p.Form.fields()...)
	return s.render(w, http.StatusOK, p)
}

func (s *server) addPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, _, err := s.paymentMethodsPage(r, "")
	if err != nil {
		return err
	}
	in := readCardInput(r.PostForm)
	p.Pane, p.Form = "add", addCardForm(&p.Layout, in)
	var added *kassa.PaymentMethod
	status, err := submitCard(&p.Layout, p.Form, in, "", func(c kassa.Card) (err error) {
		added, err = s.billing.AddPaymentMethod(r.Context(), c)
		return err
	})
	if err != nil || status != 0 {
		return s.renderForm(w, status, p, err)
	}
	return seeOther(w, r, paymentMethodsPath+"/"+added.ID+"?done=card_added")
}

// editCardForm is the form that edits m, filled in with in, going back to
// cancel.
func editCardForm(l *Layout, m *kassa.PaymentMethod, in cardInput, action, cancel string) *CardForm {
	f := newCardForm(l, in, cardLabel(l, m.Brand, m.Last4))
	f.Action, f.Cancel, f.Submit = action, cancel, l.T("button.save")
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
	if p.Selected.Profile != nil {
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

// submitCard checks what was typed into f and, when the rules allow it,
// hands the card to save; what save refuses is shown on f. It returns the
// status of the page that shows f again, or 0 once the card is saved.
func submitCard(l *Layout, f *CardForm, in cardInput, brand kassa.Brand, save func(kassa.Card) error) (int, error) {
	c, brand, ok := f.check(l, in, brand)
	if !ok {
		f.askRetype(l, in)
		return http.StatusUnprocessableEntity, nil
	}
	if err := save(c); err != nil {
		f.askRetype(l, in)
		return f.showError(l, err, in, brand)
	}
	return 0, nil
}

// updateCard saves the changes made in the edit form of m: only what
// changed, and the security code when one was typed.
func (s *server) updateCard(r *http.Request, l *Layout, f *CardForm, m *kassa.PaymentMethod, in cardInput) (int, error) {
	return submitCard(l, f, in, m.Brand, func(c kassa.Card) error {
		var u kassa.CardUpdate
		if c.CVC != "" {
			u.CVC = &c.CVC
		}
		if c.ExpMonth != m.ExpMonth || c.ExpYear != m.ExpYear {
			u.ExpMonth, u.ExpYear = &c.ExpMonth, &c.ExpYear
		}
		if c.Name != m.Name {
			u.Name = &c.Name
		}
		if c.Address != m.Address {
			u.Address = &c.Address
		}
		_, err := s.billing.UpdatePaymentMethod(r.Context(), m.ID, u)
		return err
	})
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
