package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// Outgoing webhooks (SPEC §9): an admin registers endpoints for the
// tenant's events and sees each one's signing secret once; deliveries are
// logged with their attempts and can be sent again, for 30 days once
// delivered or failed (webhook.Retention).

type webhookRequest struct {
	URL     *string   `json:"url"`
	Events  *[]string `json:"events"`
	Enabled *bool     `json:"enabled"`
}

// endpointWithSecret is an endpoint just made or rotated, with its
// secret: shown once, here.
type endpointWithSecret struct {
	*kassa.WebhookEndpoint
	Secret string `json:"secret"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	e := &kassa.WebhookEndpoint{}
	if req.URL != nil {
		e.URL = *req.URL
	}
	if req.Events != nil {
		e.Events = *req.Events
	}
	if err := s.db.CreateWebhookEndpoint(r.Context(), e, s.webhookAllowPrivate); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, endpointWithSecret{WebhookEndpoint: e, Secret: e.Secret})
	return nil
}

func (s *Server) webhooks(w http.ResponseWriter, r *http.Request) error {
	es, err := s.db.FindWebhookEndpoints(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(es, ""))
	return nil
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	e, err := s.db.FindWebhookEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := sqldb.WebhookChange{URL: req.URL, Enabled: req.Enabled}
	if req.Events != nil {
		c.Events = *req.Events
		if c.Events == nil {
			c.Events = []string{} // null: refused as no events
		}
	}
	e, err := s.db.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), c, s.webhookAllowPrivate)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	e, err := s.db.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, endpointWithSecret{WebhookEndpoint: e, Secret: e.Secret})
	return nil
}

func (s *Server) pingWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.db.PingWebhookEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	ds, next, err := s.db.FindWebhookDeliveries(r.Context(), r.PathValue("id"), r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ds, next))
	return nil
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.db.RedeliverWebhook(r.Context(), r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}
