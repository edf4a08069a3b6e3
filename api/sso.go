package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sso"
)

// Sign-in with the organization's identity provider (SPEC §8): the
// tenant's OpenID Connect client, read, set and turned off by its admins.

type ssoRequest struct {
	Issuer         string `json:"issuer"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	PasswordSignIn *bool  `json:"password_sign_in"`
}

// ssoJSON is the settings as they are read: never the secret, and with the
// redirect URI to register at the provider.
type ssoJSON struct {
	Issuer         string    `json:"issuer"`
	ClientID       string    `json:"client_id"`
	PasswordSignIn bool      `json:"password_sign_in"`
	RedirectURI    string    `json:"redirect_uri"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (s *Server) newSSOJSON(r *http.Request, c *kassa.SSO) ssoJSON {
	return ssoJSON{Issuer: c.Issuer, ClientID: c.ClientID, PasswordSignIn: c.PasswordSignIn,
		RedirectURI: s.base(r) + sso.CallbackPath, UpdatedAt: c.UpdatedAt}
}

func (s *Server) getSSO(w http.ResponseWriter, r *http.Request) error {
	c, err := s.db.FindSSO(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.newSSOJSON(r, c))
	return nil
}

// putSSO checks the settings, reads the issuer's discovery document (422
// with the reason when it cannot), and saves them. Password sign-in stays
// open unless password_sign_in is false.
func (s *Server) putSSO(w http.ResponseWriter, r *http.Request) error {
	var req ssoRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := &kassa.SSO{Issuer: req.Issuer, ClientID: req.ClientID, ClientSecret: req.ClientSecret, PasswordSignIn: true}
	if req.PasswordSignIn != nil {
		c.PasswordSignIn = *req.PasswordSignIn
	}
	if err := c.Check(); err != nil {
		return err
	}
	if _, err := s.db.FindOrganization(r.Context()); err != nil { // admins only, before any request goes out
		return err
	}
	if err := s.sso.Check(r.Context(), c.Issuer); err != nil {
		return err
	}
	if err := s.db.SetSSO(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.newSSOJSON(r, c))
	return nil
}

func (s *Server) deleteSSO(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.DeleteSSO(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
