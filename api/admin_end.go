package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// An admin ends a self-service subscription: Cancel, or Move users to an
// admin-managed one (SPEC §12, billing.AdminCancel and MoveUsers).

type movePreviewJSON struct {
	Holders       int         `json:"holders"`
	FreeInTarget  int         `json:"free_in_target"`
	LicensesToAdd int         `json:"licenses_to_add"`
	AmountDue     kassa.Money `json:"amount_due"`
	Credit        kassa.Money `json:"credit"`
}

func (s *Server) moveUsersPreview(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := queryText(q.Get("target_subscription_id"), "target_subscription_id"); err != nil {
		return err
	}
	p, err := s.billing.PreviewMoveUsers(r.Context(), r.PathValue("id"), q.Get("target_subscription_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, movePreviewJSON{Holders: p.Holders, FreeInTarget: p.FreeInTarget,
		LicensesToAdd: p.LicensesToAdd, AmountDue: p.AmountDue, Credit: p.Credit})
	return nil
}

func (s *Server) moveUsers(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Target      string `json:"target_subscription_id"`
		AddLicenses int    `json:"add_licenses"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := billing.Present(r.Context(), s.base(r))
	sub, err := s.billing.MoveUsers(ctx, r.PathValue("id"), req.Target, req.AddLicenses)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}

func (s *Server) adminCancel(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason   kassa.CancelReason `json:"reason"`
		Feedback string             `json:"feedback"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sub, err := s.billing.AdminCancel(r.Context(), r.PathValue("id"), req.Reason, req.Feedback)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}
