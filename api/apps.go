package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// App registrations (SPEC §9): an admin registers an app with Graph's
// permissions and sees its client secret once; a second secret rotates it.

type appRequest struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// newAppJSON is an app just registered, with its first client secret:
// shown once, here.
type newAppJSON struct {
	*kassa.App
	ClientSecret string           `json:"client_secret"`
	Secret       *kassa.AppSecret `json:"secret"`
}

// newSecretJSON is a secret just made, with the secret itself.
type newSecretJSON struct {
	*kassa.AppSecret
	ClientSecret string `json:"client_secret"`
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var req appRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	app := &kassa.App{Name: req.Name, Permissions: req.Permissions}
	secret, clientSecret, err := s.auth.NewApp(r.Context(), app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newAppJSON{App: app, ClientSecret: clientSecret, Secret: secret})
	return nil
}

func (s *Server) apps(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.db.FindApps(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(apps, ""))
	return nil
}

func (s *Server) app(w http.ResponseWriter, r *http.Request) error {
	app, err := s.db.FindApp(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, app)
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := s.auth.DeleteApp(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) appSecrets(w http.ResponseWriter, r *http.Request) error {
	secrets, err := s.db.FindAppSecrets(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(secrets, ""))
	return nil
}

func (s *Server) createAppSecret(w http.ResponseWriter, r *http.Request) error {
	secret, clientSecret, err := s.auth.NewAppSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newSecretJSON{AppSecret: secret, ClientSecret: clientSecret})
	return nil
}

func (s *Server) deleteAppSecret(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.DeleteAppSecret(r.Context(), r.PathValue("id"), r.PathValue("secret_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
