package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
)

// Unused licenses come back (SPEC §12): GET and PUT
// /api/v1/admin/reclaim-policy, GET /api/v1/admin/idle-licenses, and
// POST /api/v1/license-activity, which registered apps call.

type reclaimPolicyJSON struct {
	Days *int `json:"days"` // null: licenses are not reclaimed
}

func (s *Server) reclaimPolicy(w http.ResponseWriter, r *http.Request) error {
	days, err := s.db.FindReclaimPolicy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reclaimPolicyJSON{Days: days})
	return nil
}

func (s *Server) setReclaimPolicy(w http.ResponseWriter, r *http.Request) error {
	var req reclaimPolicyJSON
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := kassa.CheckReclaimDays(req.Days); err != nil {
		return err
	}
	if err := s.db.SetReclaimPolicy(r.Context(), req.Days); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

type idleLicenseJSON struct {
	User         userRefJSON `json:"user"`
	Subscription struct {
		ID      string     `json:"id"`
		Product productRef `json:"product"`
	} `json:"subscription"`
	LastUsedAt      time.Time   `json:"last_used_at"`
	IdleDays        int         `json:"idle_days"`
	MonthlyCost     kassa.Money `json:"monthly_cost"`
	AssignedByGroup bool        `json:"assigned_by_group"`
	ReclaimWarnedAt *time.Time  `json:"reclaim_warned_at"`
}

type productRef struct {
	Name string `json:"name"`
}

// defaultIdleDays is how long a license has gone unused to be listed as
// idle when the request does not say.
const defaultIdleDays = 30

func (s *Server) idleLicenses(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	days := defaultIdleDays
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > kassa.MaxReclaimDays {
			return kassa.InvalidE("days", "error.idle.days", "Max", kassa.MaxReclaimDays)
		}
		days = n
	}
	limit, err := queryLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	offset, err := queryOffset(q.Get("cursor"))
	if err != nil {
		return err
	}
	idle, total, cost, err := s.db.FindIdleLicenses(r.Context(), days, offset, limit)
	if err != nil {
		return err
	}
	lang := requestLang(r)
	data := make([]idleLicenseJSON, len(idle))
	for i, il := range idle {
		j := idleLicenseJSON{User: userRefJSON{ID: il.UserID, Name: il.UserName, Email: il.UserEmail}, LastUsedAt: il.LastUsedAt,
			IdleDays: il.IdleDays, MonthlyCost: il.MonthlyCost, AssignedByGroup: il.ViaGroup, ReclaimWarnedAt: il.WarnedAt}
		j.Subscription.ID, j.Subscription.Product.Name = il.SubscriptionID, il.Product.In(lang)
		data[i] = j
	}
	next := ""
	if offset+len(idle) < total {
		next = strconv.Itoa(offset + len(idle))
	}
	writeJSON(w, http.StatusOK, struct {
		list[idleLicenseJSON]
		Total       int         `json:"total"`
		MonthlyCost kassa.Money `json:"monthly_cost"`
	}{newList(data, next), total, cost})
	return nil
}

type appKey struct{}

// appAuthenticated lets a request through when it carries the access token
// of a registered app with LicenseAssignment.ReadWrite.All (the token
// /graph/v1.0 takes), and puts the app's tenant in its context.
func (s *Server) appAuthenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, kind := credentials(r)
		if token == "" || kind != auth.KindAPI {
			return kassa.E(kassa.Unauthorized, "error.app.token")
		}
		app, tenant, err := s.auth.AuthenticateApp(r.Context(), token)
		if err != nil {
			return err
		}
		if !app.Can(kassa.PermLicenseAssignment) {
			return kassa.E(kassa.Forbidden, "error.activity.permission", "Permission", kassa.PermLicenseAssignment)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), appKey{}, tenant)))
	}
}

// licenseActivity records an app's report that a person used their
// license of a SKU.
func (s *Server) licenseActivity(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UserID string     `json:"user_id"`
		SKUID  string     `json:"sku_id"`
		At     *time.Time `json:"at"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tenant := r.Context().Value(appKey{}).(*kassa.Tenant)
	now := s.db.Now()
	at := now
	if req.At != nil {
		// A little ahead is a clock's drift; more is a wrong time.
		if req.At.After(now.Add(5 * time.Minute)) {
			return kassa.InvalidE("at", "error.activity.future")
		}
		at = *req.At
	}
	switch {
	case req.UserID == "":
		return kassa.InvalidE("user_id", "error.activity.user")
	case req.SKUID == "":
		return kassa.InvalidE("sku_id", "error.activity.sku")
	}
	if err := s.db.RecordLicenseActivity(r.Context(), tenant.ID, req.UserID, req.SKUID, at); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
