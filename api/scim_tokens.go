package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// SCIM tokens (SPEC §8): an admin makes one for their identity provider,
// sees it once, lists them and revokes one.

type scimTokenRequest struct {
	Name string `json:"name"`
}

// newSCIMTokenJSON is a token just made, with the token itself: shown
// once, here.
type newSCIMTokenJSON struct {
	*kassa.SCIMToken
	Token string `json:"token"`
}

func (s *Server) createSCIMToken(w http.ResponseWriter, r *http.Request) error {
	var req scimTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, token, err := s.auth.NewSCIMToken(r.Context(), req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newSCIMTokenJSON{SCIMToken: t, Token: token})
	return nil
}

func (s *Server) scimTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := s.db.FindSCIMTokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(tokens, ""))
	return nil
}

func (s *Server) revokeSCIMToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.RevokeSCIMToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
