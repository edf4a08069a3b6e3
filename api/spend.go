package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// Spend limits (SPEC §12, sqldb.SetSpendLimits): the tenant's monthly
// ceilings on self-service spend, with this month's spend.

type spendLimitsJSON struct {
	OrganizationMonthly *kassa.Money      `json:"organization_monthly"`
	PerPersonMonthly    *kassa.Money      `json:"per_person_monthly"`
	People              []personLimitJSON `json:"people"`
	Month               string            `json:"month"`
	OrganizationSpent   kassa.Money       `json:"organization_spent"`
}

type personLimitJSON struct {
	UserID  string       `json:"user_id"`
	Name    string       `json:"name"`
	Email   string       `json:"email"`
	Monthly *kassa.Money `json:"monthly"`
	Spent   kassa.Money  `json:"spent"`
}

func (s *Server) spendLimits(w http.ResponseWriter, r *http.Request) error {
	l, spend, err := s.db.FindSpendLimits(r.Context())
	if err != nil {
		return err
	}
	j := spendLimitsJSON{OrganizationMonthly: l.Organization, PerPersonMonthly: l.PerPerson, People: []personLimitJSON{},
		Month: spend.Month.Format("2006-01"), OrganizationSpent: spend.Organization}
	for _, p := range l.People {
		j.People = append(j.People, personLimitJSON{UserID: p.UserID, Name: p.Name, Email: p.Email, Monthly: p.Monthly,
			Spent: spend.People[p.UserID]})
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) setSpendLimits(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		OrganizationMonthly *kassa.Money `json:"organization_monthly"`
		PerPersonMonthly    *kassa.Money `json:"per_person_monthly"`
		People              []struct {
			UserID  string       `json:"user_id"`
			Monthly *kassa.Money `json:"monthly"`
		} `json:"people"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	l := kassa.SpendLimits{Organization: req.OrganizationMonthly, PerPerson: req.PerPersonMonthly}
	for _, p := range req.People {
		l.People = append(l.People, kassa.PersonLimit{UserID: p.UserID, Monthly: p.Monthly})
	}
	if err := s.db.SetSpendLimits(r.Context(), l); err != nil {
		return err
	}
	return s.spendLimits(w, r)
}
