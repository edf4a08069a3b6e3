package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

type subscriptionJSON struct {
	ID               string                   `json:"id"`
	Product          productRefJSON           `json:"product"`
	Purchaser        userRefJSON              `json:"purchaser"`
	Channel          kassa.Channel            `json:"channel"`
	Status           kassa.SubscriptionStatus `json:"status"`
	Quantity         int                      `json:"quantity"`
	Assigned         int                      `json:"assigned"`
	Available        int                      `json:"available"`
	Term             kassa.Term               `json:"term"`
	UnitPrice        kassa.Money              `json:"unit_price"`
	ExpiresAt        time.Time                `json:"expires_at"`
	AutoRenew        bool                     `json:"auto_renew"`
	CancelAtTermEnd  bool                     `json:"cancel_at_term_end"`
	BillingProfileID string                   `json:"billing_profile_id"`
	CancelReason     *kassa.CancelReason      `json:"cancel_reason"`
	CancelFeedback   *string                  `json:"cancel_feedback"`
	CreatedAt        time.Time                `json:"created_at"`
	InvoiceID        string                   `json:"invoice_id,omitempty"`
}

type productRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userRefJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

func newSubscriptionJSON(s *kassa.Subscription, lang string) subscriptionJSON {
	j := subscriptionJSON{
		ID: s.ID, Product: productRefJSON{ID: s.ProductID, Name: s.ProductName.In(lang)},
		Purchaser: userRefJSON{ID: s.PurchaserID, Name: s.PurchaserName, Email: s.PurchaserEmail},
		Channel:   s.Channel, Status: s.Status, Quantity: s.Quantity, Assigned: s.Assigned,
		Available: s.Available(), Term: s.Term, UnitPrice: s.UnitPrice, ExpiresAt: s.ExpiresAt,
		AutoRenew: s.AutoRenew, CancelAtTermEnd: s.CancelAtTermEnd, BillingProfileID: s.BillingProfileID,
		CreatedAt: s.CreatedAt,
	}
	if s.CancelReason != "" {
		j.CancelReason, j.CancelFeedback = &s.CancelReason, &s.CancelFeedback
	}
	return j
}

func (s *Server) subscriptions(w http.ResponseWriter, r *http.Request) error {
	var f kassa.SubscriptionFilter
	q := r.URL.Query()
	if v := q.Get("channel"); v != "" {
		c := kassa.Channel(v)
		if !c.Valid() {
			return kassa.InvalidE("channel", "error.query.channel")
		}
		f.Channel = &c
	}
	if v := q.Get("status"); v != "" {
		st := kassa.SubscriptionStatus(v)
		if !st.Valid() {
			return kassa.InvalidE("status", "error.query.status")
		}
		f.Status = &st
	}
	// Pages, newest first: one row more than asked for says whether
	// another page follows.
	limit, err := queryLimit(q.Get("limit"), defaultPurchaseLimit, maxPurchaseLimit)
	if err != nil {
		return err
	}
	if f.Offset, err = queryOffset(q.Get("cursor")); err != nil {
		return err
	}
	f.Limit = limit + 1
	subs, err := s.db.FindSubscriptions(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(subs) > limit {
		subs, next = subs[:limit], strconv.Itoa(f.Offset+limit)
	}
	lang := requestLang(r)
	data := make([]subscriptionJSON, 0, len(subs))
	for _, sub := range subs {
		data = append(data, newSubscriptionJSON(sub, lang))
	}
	writeJSON(w, http.StatusOK, newList(data, next))
	return nil
}

func (s *Server) subscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.db.FindSubscriptionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}

func (s *Server) purchase(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ProductID        string     `json:"product_id"`
		Term             kassa.Term `json:"term"`
		Quantity         int        `json:"quantity"`
		BillingProfileID string     `json:"billing_profile_id"`
		Trial            bool       `json:"trial"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := billing.Present(r.Context(), s.base(r))
	sub, inv, err := s.billing.Purchase(ctx, billing.PurchaseRequest{
		ProductID: req.ProductID, Term: req.Term, Quantity: req.Quantity,
		BillingProfileID: req.BillingProfileID, Trial: req.Trial,
	}, requestKey(r.Context()))
	if err != nil {
		return err
	}
	if s.requiresAction(w, r, sub, inv) {
		return nil
	}
	j := newSubscriptionJSON(sub, requestLang(r))
	if inv != nil {
		j.InvoiceID = inv.ID
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// actionJSON is the answer to a payment that waits for the person's bank
// (SPEC §10): 202, and where to send them.
type actionJSON struct {
	Status         string         `json:"status"`
	NextAction     nextActionJSON `json:"next_action"`
	SubscriptionID string         `json:"subscription_id,omitempty"`
	InvoiceID      string         `json:"invoice_id"`
}

type nextActionJSON struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// requiresAction answers 202 with the bank's page when inv's payment waits
// for the person, and reports whether it did.
func (s *Server) requiresAction(w http.ResponseWriter, r *http.Request, sub *kassa.Subscription, inv *kassa.Invoice) bool {
	if inv == nil || inv.ActionURL == "" || (inv.Status != kassa.InvoicePending && inv.Status != kassa.InvoiceOpen) {
		return false
	}
	j := actionJSON{Status: "requires_action", NextAction: nextActionJSON{Type: "redirect", URL: s.absolute(r, inv.ActionURL)},
		InvoiceID: inv.ID}
	if sub != nil {
		j.SubscriptionID = sub.ID
	}
	writeJSON(w, http.StatusAccepted, j)
	return true
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason   kassa.CancelReason `json:"reason"`
		Feedback string             `json:"feedback"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sub, err := s.billing.Cancel(r.Context(), r.PathValue("id"), req.Reason, req.Feedback)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}

func (s *Server) reactivate(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.billing.Reactivate(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}
