package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// License requests (SPEC §12, sqldb.CreateLicenseRequest and
// DecideLicenseRequest).

type licenseRequestJSON struct {
	ID             string              `json:"id"`
	Product        productRefJSON      `json:"product"`
	Requester      kassa.Holder        `json:"requester"`
	Users          []requestedUserJSON `json:"users"`
	Message        string              `json:"message"`
	Status         kassa.RequestStatus `json:"status"`
	DecidedBy      *kassa.Person       `json:"decided_by"`
	Decision       string              `json:"decision_message"`
	SubscriptionID *string             `json:"subscription_id"`
	CreatedAt      time.Time           `json:"created_at"`
	DecidedAt      *time.Time          `json:"decided_at"`
}

type requestedUserJSON struct {
	kassa.Holder
	Approved bool `json:"approved"`
}

func newLicenseRequestJSON(req *kassa.LicenseRequest, lang string) licenseRequestJSON {
	j := licenseRequestJSON{ID: req.ID, Product: productRefJSON{ID: req.ProductID, Name: req.ProductName.In(lang)},
		Requester: req.Requester, Users: []requestedUserJSON{}, Message: req.Message, Status: req.Status,
		DecidedBy: req.DecidedBy, Decision: req.Decision, CreatedAt: req.CreatedAt, DecidedAt: req.DecidedAt}
	if req.SubscriptionID != "" {
		j.SubscriptionID = &req.SubscriptionID
	}
	for _, u := range req.Users {
		j.Users = append(j.Users, requestedUserJSON{Holder: u.Holder, Approved: u.Approved})
	}
	return j
}

func (s *Server) createLicenseRequest(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ProductID string   `json:"product_id"`
		UserIDs   []string `json:"user_ids"`
		Message   string   `json:"message"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	req, err := s.db.CreateLicenseRequest(r.Context(), body.ProductID, body.UserIDs, body.Message)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newLicenseRequestJSON(req, requestLang(r)))
	return nil
}

func (s *Server) licenseRequests(w http.ResponseWriter, r *http.Request) error {
	status := kassa.RequestStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		return kassa.InvalidE("status", "error.requests.status")
	}
	reqs, err := s.db.FindLicenseRequests(r.Context(), status)
	if err != nil {
		return err
	}
	out := struct {
		Data []licenseRequestJSON `json:"data"`
	}{Data: []licenseRequestJSON{}}
	for _, req := range reqs {
		out.Data = append(out.Data, newLicenseRequestJSON(req, requestLang(r)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) decideLicenseRequest(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Approve        []string `json:"approve_user_ids"`
		SubscriptionID string   `json:"subscription_id"`
		Message        string   `json:"message"`
		AddLicenses    int      `json:"add_licenses"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	ctx := billing.Present(r.Context(), s.base(r))
	req, err := s.billing.DecideLicenseRequest(ctx, r.PathValue("id"), body.Approve, body.SubscriptionID, body.Message, body.AddLicenses)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newLicenseRequestJSON(req, requestLang(r)))
	return nil
}

type requestSettingsJSON struct {
	Mode    string `json:"mode"`
	Message string `json:"message"`
	URL     string `json:"url"`
}

func (s *Server) requestSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.FindRequestSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestSettingsJSON(*st))
	return nil
}

func (s *Server) setRequestSettings(w http.ResponseWriter, r *http.Request) error {
	var body requestSettingsJSON
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.db.SetRequestSettings(r.Context(), kassa.RequestSettings(body)); err != nil {
		return err
	}
	return s.requestSettings(w, r)
}
