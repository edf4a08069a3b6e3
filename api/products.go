package api

import (
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// productJSON is a product in the language of the request.
type productJSON struct {
	ID             string               `json:"id"`
	SKU            string               `json:"sku"`
	Name           string               `json:"name"`
	Description    string               `json:"description"`
	SKUID          string               `json:"sku_id"`
	TrialDays      int                  `json:"trial_days"`
	TrialMax       int                  `json:"trial_max_licenses,omitempty"`
	Prices         []priceJSON          `json:"prices"`
	PurchasePolicy kassa.PurchasePolicy `json:"purchase_policy"`
	Retired        bool                 `json:"retired"`
}

type priceJSON struct {
	Term       kassa.Term `json:"term"`
	Currency   string     `json:"currency"`
	UnitAmount int64      `json:"unit_amount"`
}

func newProductJSON(p *kassa.Product, lang string) productJSON {
	j := productJSON{
		ID: p.ID, SKU: p.SKU, Name: p.Name.In(lang), Description: p.Description.In(lang),
		SKUID: p.SKUID, TrialDays: p.TrialDays, PurchasePolicy: p.Policy, Prices: []priceJSON{}, Retired: p.Retired,
	}
	if p.TrialDays > 0 {
		j.TrialMax = p.TrialMaxLicenses
	}
	for _, pr := range p.Prices {
		j.Prices = append(j.Prices, priceJSON(pr))
	}
	return j
}

func (s *Server) products(w http.ResponseWriter, r *http.Request) error {
	products, err := s.db.FindProducts(r.Context())
	if err != nil {
		return err
	}
	lang := requestLang(r)
	data := make([]productJSON, 0, len(products))
	for _, p := range products {
		data = append(data, newProductJSON(p, lang))
	}
	writeJSON(w, http.StatusOK, newList(data, ""))
	return nil
}

// requestLang is the language names and descriptions are given in: the one
// chosen on the pages (cookie "lang"), else the request's Accept-Language,
// else the tenant's locale.
func requestLang(r *http.Request) string {
	fallback := ""
	if a := actor(r.Context()); a != nil {
		fallback = a.Tenant.Locale
	}
	chosen := ""
	if c, err := r.Cookie("lang"); err == nil { // the pages' language switch, for their links to the API
		chosen = c.Value
	}
	return locale.Pick(chosen, r.Header.Get("Accept-Language"), fallback)
}
