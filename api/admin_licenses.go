package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
)

// Admin › Licenses (SPEC §12) through the API.

type licensedProductJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	SKUID string `json:"sku_id"`
}

type licensedSubscriptionJSON struct {
	ID        string                   `json:"id"`
	Channel   kassa.Channel            `json:"channel"`
	Status    kassa.SubscriptionStatus `json:"status"`
	Purchaser kassa.Person             `json:"purchaser"`
	Quantity  int                      `json:"quantity"`
	Assigned  int                      `json:"assigned"`
}

type purchaserHoldersJSON struct {
	Purchaser kassa.Person   `json:"purchaser"`
	Users     []kassa.Holder `json:"users"`
}

type productLicensesJSON struct {
	Product   licensedProductJSON `json:"product"`
	Quantity  int                 `json:"quantity"`
	Assigned  int                 `json:"assigned"`
	Available int                 `json:"available"`
	// SubscriptionCount counts every live subscription; Subscriptions
	// lists the first sqldb.ListedSubscriptions by purchaser name.
	SubscriptionCount int                        `json:"subscription_count"`
	Subscriptions     []licensedSubscriptionJSON `json:"subscriptions"`
	// HoldersByPurchaser names the first sqldb.ListedHolders holders;
	// Assigned counts them all, and format=csv lists every one.
	HoldersByPurchaser []purchaserHoldersJSON `json:"holders_by_purchaser"`
}

// adminLicenses answers Admin › Licenses: each product the tenant has a
// live subscription of, once; format=csv exports every license instead
// (Export users).
func (s *Server) adminLicenses(w http.ResponseWriter, r *http.Request) error {
	lang := requestLang(r)
	switch r.URL.Query().Get("format") {
	case "", "json":
	case "csv":
		return s.writeLicensesCSV(w, r, lang)
	default:
		return kassa.InvalidE("format", "error.query.format")
	}
	ps, err := s.db.FindProductLicenses(r.Context())
	if err != nil {
		return err
	}
	kassa.SortProductLicenses(ps, lang)
	data := make([]productLicensesJSON, 0, len(ps))
	for _, p := range ps {
		row := productLicensesJSON{
			Product:  licensedProductJSON{ID: p.ProductID, Name: p.Name.In(lang), SKUID: p.SKU},
			Quantity: p.Quantity, Assigned: p.Assigned, Available: p.Available(), SubscriptionCount: p.Subscriptions,
			Subscriptions: []licensedSubscriptionJSON{}, HoldersByPurchaser: []purchaserHoldersJSON{},
		}
		for _, sub := range p.Listed {
			row.Subscriptions = append(row.Subscriptions, licensedSubscriptionJSON{ID: sub.ID, Channel: sub.Channel,
				Status: sub.Status, Purchaser: sub.Purchaser, Quantity: sub.Quantity, Assigned: sub.Assigned})
		}
		for _, g := range p.Holders {
			row.HoldersByPurchaser = append(row.HoldersByPurchaser, purchaserHoldersJSON{Purchaser: g.Purchaser, Users: g.Users})
		}
		data = append(data, row)
	}
	writeJSON(w, http.StatusOK, newList(data, ""))
	return nil
}

// writeLicensesCSV streams every license of the tenant's live
// subscriptions as CSV (sqldb.EachLicenseRow).
func (s *Server) writeLicensesCSV(w http.ResponseWriter, r *http.Request, lang string) error {
	header := []string{"product", "person", "email", "purchaser", "subscription", "assigned_at"}
	return s.streamCSV(w, r, "license-holders.csv", header, func(write func([][]string) error) error {
		return s.db.EachLicenseRow(r.Context(), func(rows []kassa.LicenseRow) error {
			records := make([][]string, 0, len(rows))
			for _, l := range rows {
				records = append(records, []string{csvSafe(l.Product.In(lang)), csvSafe(l.Holder.Name),
					csvSafe(l.Holder.Email), csvSafe(l.Purchaser.Name), l.SubscriptionID, l.AssignedAt.Format(time.RFC3339)})
			}
			return write(records)
		})
	})
}
