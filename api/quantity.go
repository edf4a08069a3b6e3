package api

import (
	"net/http"
	"strconv"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

type quantityPreviewJSON struct {
	Quantity  int               `json:"quantity"`
	AmountDue kassa.Money       `json:"amount_due"`
	Credit    kassa.Money       `json:"credit"`
	Lines     []invoiceLineJSON `json:"lines"`
	Subtotal  kassa.Money       `json:"subtotal"`
	Tax       kassa.Money       `json:"tax"`
	Total     kassa.Money       `json:"total"`
}

func (s *Server) quantityPreview(w http.ResponseWriter, r *http.Request) error {
	q, err := strconv.Atoi(r.URL.Query().Get("quantity"))
	if err != nil {
		return kassa.InvalidE("quantity", "error.quantity.whole_number")
	}
	c, err := s.billing.PreviewQuantity(r.Context(), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	zero := kassa.Money{Currency: c.AmountDue.Currency} // nothing is invoiced for no change or a trial
	j := quantityPreviewJSON{Quantity: q, AmountDue: c.AmountDue, Credit: c.Credit, Lines: []invoiceLineJSON{},
		Subtotal: zero, Tax: zero, Total: zero}
	if inv := c.Invoice; inv != nil {
		for _, l := range inv.Lines {
			j.Lines = append(j.Lines, invoiceLineJSON(l))
		}
		j.Subtotal, j.Tax, j.Total = inv.Subtotal, inv.Tax, inv.Total
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) setQuantity(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Quantity int `json:"quantity"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := billing.Present(r.Context(), s.base(r))
	sub, inv, err := s.billing.SetQuantity(ctx, r.PathValue("id"), req.Quantity, requestKey(r.Context()))
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
	writeJSON(w, http.StatusOK, j)
	return nil
}
