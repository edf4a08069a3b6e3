package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
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
	m, err := s.billing.UpdatePaymentMethod(r.Context(), r.PathValue("id"), kassa.CardUpdate{
		CVC: req.CVC, ExpMonth: req.ExpMonth, ExpYear: req.ExpYear, Name: req.Name, Address: req.Address,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPaymentMethodJSON(m))
	return nil
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
