package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// adminLicensesPath is Admin › All licenses.
const adminLicensesPath = "/admin/licenses"

// AdminLicensesPage is Admin › All licenses (SPEC §12): each product the
// organization has live subscriptions of, once, with its licenses bought,
// assigned and available summed over them, its subscriptions, and who
// holds its licenses grouped by purchaser; Export users downloads every
// holder. Read-only: each subscription's own page changes it.
type AdminLicensesPage struct {
	Layout
	Rows []ProductLicensesRow
	CSV  string // Export users, through the API
}

func (*AdminLicensesPage) template() string { return "admin_licenses.html" }

// ProductLicensesRow is a product as the page shows it.
type ProductLicensesRow struct {
	Product, SKU                                 string
	Quantity, Assigned, Available, Subscriptions int
	Listed                                       []LicensedSubscriptionRow
	// SubscriptionsMore and HoldersMore are how many the lists leave out
	// (sqldb.ListedSubscriptions, sqldb.ListedHolders).
	SubscriptionsMore int
	Holders           []kassa.PurchaserHolders
	HoldersMore       int
}

// LicensedSubscriptionRow is one of a product's subscriptions.
type LicensedSubscriptionRow struct {
	Href, Purchaser    string
	Managed            string // "Admin-managed", in words, when it is
	StatusText         string // the status when it is not simply active
	Status             kassa.SubscriptionStatus
	Quantity, Assigned int
}

func (s *server) adminLicenses(w http.ResponseWriter, r *http.Request) error {
	p := &AdminLicensesPage{Layout: s.layout(r, msg("nav.admin_licenses"))}
	ps, err := s.db.FindProductLicenses(r.Context())
	if err != nil {
		return err
	}
	kassa.SortProductLicenses(ps, p.Lang)
	for _, pl := range ps {
		row := ProductLicensesRow{Product: pl.Name.In(p.Lang), SKU: pl.SKU, Quantity: pl.Quantity, Assigned: pl.Assigned,
			Available: pl.Available(), Subscriptions: pl.Subscriptions, SubscriptionsMore: pl.Subscriptions - len(pl.Listed),
			Holders: pl.Holders, HoldersMore: pl.HoldersLeft}
		for _, sub := range pl.Listed {
			ls := LicensedSubscriptionRow{Href: subscriptionsPath + "/" + sub.ID, Purchaser: sub.Purchaser.Name,
				Status: sub.Status, Quantity: sub.Quantity, Assigned: sub.Assigned}
			if sub.Channel == kassa.AdminManaged {
				ls.Managed = p.T("channel.admin")
			}
			if sub.Status != kassa.StatusActive {
				ls.StatusText = statusText(&p.Layout, sub.Status)
			}
			row.Listed = append(row.Listed, ls)
		}
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) > 0 {
		p.CSV = "/api/v1/admin/licenses?format=csv"
	}
	return s.render(w, http.StatusOK, p)
}
