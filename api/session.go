package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
)

// meJSON is a user as GET /api/v1/me and POST /api/v1/login show it.
type meJSON struct {
	*kassa.User
	Tenant *kassa.Tenant `json:"tenant"`
}

func newMeJSON(a *kassa.Actor) meJSON { return meJSON{User: a.User, Tenant: a.Tenant} }

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, a, err := s.auth.Login(r.Context(), req.Email, req.Password, clientAddr(r), auth.KindAPI)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Token string `json:"token"`
		User  meJSON `json:"user"`
	}{token, newMeJSON(a)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	token, _ := credentials(r)
	if err := s.auth.Logout(r.Context(), token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, newMeJSON(actor(r.Context())))
	return nil
}
