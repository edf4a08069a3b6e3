package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
)

type licenseJSON struct {
	User       userRefJSON `json:"user"`
	AssignedAt time.Time   `json:"assigned_at"`
	AssignedBy string      `json:"assigned_by"`
}

func newLicensesJSON(as []kassa.License) []licenseJSON {
	out := make([]licenseJSON, 0, len(as))
	for _, a := range as {
		out = append(out, licenseJSON{User: userRefJSON{ID: a.User.ID, Name: a.User.Name, Email: a.User.Email},
			AssignedAt: a.AssignedAt, AssignedBy: a.AssignedBy})
	}
	return out
}

func (s *Server) licenses(w http.ResponseWriter, r *http.Request) error {
	as, err := s.db.FindLicenses(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(newLicensesJSON(as), ""))
	return nil
}

type userIDsRequest struct {
	UserIDs []string `json:"user_ids"`
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) error {
	var req userIDsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	as, err := s.licensing.Assign(r.Context(), r.PathValue("id"), req.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newList(newLicensesJSON(as), ""))
	return nil
}

func (s *Server) unassign(w http.ResponseWriter, r *http.Request) error {
	var req userIDsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	as, err := s.licensing.Unassign(r.Context(), r.PathValue("id"), req.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(newLicensesJSON(as), ""))
	return nil
}
