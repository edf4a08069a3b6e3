package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

type paymentMethodJSON struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Brand     kassa.Brand   `json:"brand"`
	Last4     string        `json:"last4"`
	ExpMonth  int           `json:"exp_month"`
	ExpYear   int           `json:"exp_year"`
	Name      string        `json:"name"`
	Address   kassa.Address `json:"address"`
	CreatedAt time.Time     `json:"created_at"`
}

func newPaymentMethodJSON(m *kassa.PaymentMethod) paymentMethodJSON {
	return paymentMethodJSON{ID: m.ID, Type: "card", Brand: m.Brand, Last4: m.Last4, ExpMonth: m.ExpMonth,
		ExpYear: m.ExpYear, Name: m.Name, Address: m.Address, CreatedAt: m.CreatedAt}
}

func (s *Server) paymentMethods(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.db.FindPaymentMethods(r.Context())
	if err != nil {
		return err
	}
	data := make([]paymentMethodJSON, 0, len(ms))
	for _, m := range ms {
		data = append(data, newPaymentMethodJSON(m))
	}
	writeJSON(w, http.StatusOK, newList(data, ""))
	return nil
}

func (s *Server) addPaymentMethod(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Card struct {
			Number   string `json:"number"`
			ExpMonth int    `json:"exp_month"`
			ExpYear  int    `json:"exp_year"`
			CVC      string `json:"cvc"`
			Name     string `json:"name"`
		} `json:"card"`
		Address kassa.Address `json:"address"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := req.Card
	m, err := s.billing.AddPaymentMethod(r.Context(), kassa.Card{
		Number: c.Number, CVC: c.CVC, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Name: c.Name, Address: req.Address,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newPaymentMethodJSON(m))
	return nil
}

func (s *Server) updatePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CVC      *string        `json:"cvc"`
		ExpMonth *int           `json:"exp_month"`
		ExpYear  *int           `json:"exp_year"`
		Name     *string        `json:"name"`
		Address  *kassa.Address `json:"address"`
		Number   *string        `json:"number"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Number != nil {
		return kassa.InvalidE("number", "error.card.number_fixed")
	}
	if req.CVC != nil {
		// Security codes go to the processor's own card page only.
		return kassa.InvalidE("cvc", "error.card.cvc_on_card_page")
	}
	m, err := s.billing.UpdatePaymentMethod(r.Context(), r.PathValue("id"), kassa.CardUpdate{
		ExpMonth: req.ExpMonth, ExpYear: req.ExpYear, Name: req.Name, Address: req.Address,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPaymentMethodJSON(m))
	return nil
}

// cardPageJSON is a card page at the processor.
type cardPageJSON struct {
	ID            string             `json:"id"`
	URL           string             `json:"url,omitempty"`
	Status        string             `json:"status"`
	PaymentMethod *paymentMethodJSON `json:"payment_method,omitempty"`
}

// startSetupSession opens the processor's card page for the person: they
// enter the card there and come back to kassa, which keeps it and sends
// them on to return_url (a path on kassa).
func (s *Server) startSetupSession(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ReturnURL        string `json:"return_url"`
		BillingProfileID string `json:"billing_profile_id"`
		Replaces         string `json:"replaces"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	back, err := s.returnPath(req.ReturnURL, r)
	if err != nil {
		return err
	}
	cs, url, err := s.billing.OpenCardPage(r.Context(), billing.CardPage{Base: s.base(r), ProfileID: req.BillingProfileID,
		Replaces: req.Replaces, ReturnTo: back, Language: requestLang(r)})
	if kassa.ErrorCode(err) == kassa.NotFound && (req.BillingProfileID != "" || req.Replaces != "") {
		if req.Replaces != "" {
			return kassa.InvalidE("replaces", "error.card_session.unknown_card")
		}
		return kassa.InvalidE("billing_profile_id", "error.card_session.unknown_profile")
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, cardPageJSON{ID: cs.ID, URL: s.absolute(r, url), Status: kassa.CardSessionOpen})
	return nil
}

// setupSession says whether the card page saved its card yet.
func (s *Server) setupSession(w http.ResponseWriter, r *http.Request) error {
	m, cs, err := s.billing.FinishCardPage(r.Context(), r.PathValue("id"))
	switch kassa.ErrorCode(err) {
	case "":
		j := newPaymentMethodJSON(m)
		writeJSON(w, http.StatusOK, cardPageJSON{ID: cs.ID, Status: kassa.CardSessionComplete, PaymentMethod: &j})
		return nil
	case kassa.Conflict:
		writeJSON(w, http.StatusOK, cardPageJSON{ID: r.PathValue("id"), Status: kassa.CardSessionOpen})
		return nil
	}
	return err
}

// returnPath checks where a person goes back to: a path on kassa, or a URL
// under its base; "" is the payment methods page.
func (s *Server) returnPath(u string, r *http.Request) (string, error) {
	if u == "" {
		if actor(r.Context()).ForOrganization {
			return "/admin/billing-profiles", nil
		}
		return "/billing/bills/payment-methods", nil
	}
	if base := s.base(r); strings.HasPrefix(u, base+"/") {
		u = strings.TrimPrefix(u, base)
	}
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || strings.HasPrefix(u, "/\\") ||
		strings.ContainsFunc(u, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "", kassa.InvalidE("return_url", "error.card_session.return_url")
	}
	return u, nil
}

// absolute makes a URL the gateway gave (the simulator gives paths on
// kassa's own host) absolute.
func (s *Server) absolute(r *http.Request, u string) string {
	if strings.HasPrefix(u, "/") {
		return s.base(r) + u
	}
	return u
}

func (s *Server) deletePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	if err := s.billing.DeletePaymentMethod(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type billingProfileJSON struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Email           string        `json:"email"`
	Address         kassa.Address `json:"address"`
	Currency        string        `json:"currency"`
	PONumber        string        `json:"po_number"`
	PaymentMethodID *string       `json:"payment_method_id"`
	Balance         kassa.Money   `json:"balance"`
	CreatedAt       time.Time     `json:"created_at"`
}

func newBillingProfileJSON(p *kassa.BillingProfile) billingProfileJSON {
	j := billingProfileJSON{ID: p.ID, Name: p.Name, Email: p.Email, Address: p.Address, Currency: p.Currency,
		PONumber: p.PONumber, Balance: p.Balance, CreatedAt: p.CreatedAt}
	if p.PaymentMethodID != "" {
		j.PaymentMethodID = &p.PaymentMethodID
	}
	return j
}

func (s *Server) billingProfiles(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.db.FindBillingProfiles(r.Context())
	if err != nil {
		return err
	}
	data := make([]billingProfileJSON, 0, len(ps))
	for _, p := range ps {
		data = append(data, newBillingProfileJSON(p))
	}
	writeJSON(w, http.StatusOK, newList(data, ""))
	return nil
}

func (s *Server) billingProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.db.FindBillingProfileByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newBillingProfileJSON(p))
	return nil
}

// billingProfileRequest is the body of POST and PATCH; nil fields are unset.
type billingProfileRequest struct {
	Name            *string        `json:"name"`
	Email           *string        `json:"email"`
	Address         *kassa.Address `json:"address"`
	PONumber        *string        `json:"po_number"`
	PaymentMethodID *string        `json:"payment_method_id"`
}

func (s *Server) createBillingProfile(w http.ResponseWriter, r *http.Request) error {
	var req billingProfileRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p := &kassa.BillingProfile{}
	next, err := p.Apply(kassa.BillingProfileUpdate(req), actor(r.Context()).Tenant)
	if err != nil {
		return err
	}
	if err := s.billing.CreateBillingProfile(r.Context(), next); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newBillingProfileJSON(next))
	return nil
}

func (s *Server) updateBillingProfile(w http.ResponseWriter, r *http.Request) error {
	var req billingProfileRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, err := s.billing.UpdateBillingProfile(r.Context(), r.PathValue("id"), kassa.BillingProfileUpdate(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newBillingProfileJSON(p))
	return nil
}

// forOrganization serves h for the organization's own payment methods and
// billing profiles (SPEC §12): the same handlers as a person's, on the
// admin's routes, with storage scoped to the organization.
func forOrganization(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(kassa.ForOrganization(r.Context())))
	}
}
