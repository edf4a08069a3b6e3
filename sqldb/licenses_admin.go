package sqldb

import (
	"context"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// Admin › Licenses (SPEC §12): each product once, its licenses summed over
// the tenant's live subscriptions. A product's row names its first
// ListedSubscriptions subscriptions and its first ListedHolders holders, so
// that the page and the API's answer stay bounded however many people buy
// the product themselves; the sums count every one, and Export users
// (EachLicenseRow) streams every license.

// Bounds of what a product's row names.
const (
	ListedSubscriptions = 50
	ListedHolders       = 100
)

// liveSubscriptions is the condition that subscription s is the tenant's
// ($1) and live (liveStatus).
var liveSubscriptions = `s.tenant_id = $1 AND s.` + liveStatus

// FindProductLicenses returns, for the tenant's admins, every product the
// tenant has a live subscription of, with its sums and its first
// subscriptions and holders, in no particular order (callers sort by the
// name in their language).
func (db *DB) FindProductLicenses(ctx context.Context) ([]*kassa.ProductLicenses, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.licenses"))
	if err != nil {
		return nil, err
	}
	q := db.reader(ctx)
	rows, err := q.QueryContext(ctx, `
		SELECT p.id, p.sku, p.name_en, p.name_sv, p.name_de, SUM(s.quantity), SUM(s.assigned), COUNT(*)
		FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE `+liveSubscriptions+`
		GROUP BY p.id, p.sku, p.name_en, p.name_sv, p.name_de`, a.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("sum licenses: %w", err)
	}
	var out []*kassa.ProductLicenses
	byID := map[string]*kassa.ProductLicenses{}
	for rows.Next() {
		p := &kassa.ProductLicenses{}
		if err := rows.Scan(&p.ProductID, &p.SKU, &p.Name.En, &p.Name.Sv, &p.Name.De, &p.Quantity, &p.Assigned,
			&p.Subscriptions); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sum licenses: %w", err)
		}
		out = append(out, p)
		byID[p.ProductID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sum licenses: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := db.listSubscriptions(ctx, q, a.Tenant.ID, byID); err != nil {
		return nil, err
	}
	return out, db.listHolders(ctx, q, a.Tenant.ID, byID)
}

// listSubscriptions reads each product's first ListedSubscriptions live
// subscriptions, by purchaser name.
func (db *DB) listSubscriptions(ctx context.Context, q querier, tenantID string, byID map[string]*kassa.ProductLicenses) error {
	rows, err := q.QueryContext(ctx, `
		SELECT product_id, id, channel, status, purchaser_id, name, quantity, assigned FROM (
			SELECT s.product_id, s.id, s.channel, s.status, s.purchaser_id, u.name, s.quantity, s.assigned,
				row_number() OVER (PARTITION BY s.product_id ORDER BY u.name`+db.binaryOrder()+`, s.id) AS n
			FROM subscriptions s JOIN users u ON u.id = s.purchaser_id
			WHERE `+liveSubscriptions+`
		) x WHERE n <= $2 ORDER BY product_id, n`, tenantID, ListedSubscriptions)
	if err != nil {
		return fmt.Errorf("list licensed subscriptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var productID string
		var s kassa.LicensedSubscription
		if err := rows.Scan(&productID, &s.ID, &s.Channel, &s.Status, &s.Purchaser.ID, &s.Purchaser.Name,
			&s.Quantity, &s.Assigned); err != nil {
			return fmt.Errorf("list licensed subscriptions: %w", err)
		}
		if p := byID[productID]; p != nil {
			p.Listed = append(p.Listed, s)
		}
	}
	return rows.Err()
}

// listHolders reads each product's first ListedHolders holders, by
// purchaser name and then by their own.
func (db *DB) listHolders(ctx context.Context, q querier, tenantID string, byID map[string]*kassa.ProductLicenses) error {
	c := db.binaryOrder()
	rows, err := q.QueryContext(ctx, `
		SELECT product_id, purchaser_id, purchaser_name, user_id, user_name, user_email FROM (
			SELECT s.product_id, s.purchaser_id, pu.name AS purchaser_name, h.id AS user_id, h.name AS user_name,
				h.email AS user_email,
				row_number() OVER (PARTITION BY s.product_id
					ORDER BY pu.name`+c+`, s.purchaser_id, h.name`+c+`, h.id) AS n
			FROM licenses l
			JOIN subscriptions s ON s.id = l.subscription_id
			JOIN users pu ON pu.id = s.purchaser_id
			JOIN users h ON h.id = l.user_id
			WHERE `+liveSubscriptions+`
		) x WHERE n <= $2 ORDER BY product_id, n`, tenantID, ListedHolders)
	if err != nil {
		return fmt.Errorf("list license holders: %w", err)
	}
	defer rows.Close()
	read := map[string]int{} // licenses read, by product
	for rows.Next() {
		var productID string
		var purchaser kassa.Person
		var h kassa.Holder
		if err := rows.Scan(&productID, &purchaser.ID, &purchaser.Name, &h.ID, &h.Name, &h.Email); err != nil {
			return fmt.Errorf("list license holders: %w", err)
		}
		p := byID[productID]
		if p == nil {
			continue
		}
		read[productID]++
		if n := len(p.Holders); n == 0 || p.Holders[n-1].Purchaser.ID != purchaser.ID {
			p.Holders = append(p.Holders, kassa.PurchaserHolders{Purchaser: purchaser})
		}
		g := &p.Holders[len(p.Holders)-1]
		if m := len(g.Users); m == 0 || g.Users[m-1].ID != h.ID { // one license each, even of two subscriptions
			g.Users = append(g.Users, h)
		}
	}
	for _, p := range byID {
		p.HoldersLeft = max(0, p.Assigned-read[p.ProductID])
	}
	return rows.Err()
}

// licenseRowBatch is how many licenses EachLicenseRow hands over at once.
const licenseRowBatch = 500

// EachLicenseRow calls fn, for the tenant's admins, with every license of
// the tenant's live subscriptions, a batch at a time, by product SKU, then
// purchaser and holder by name: Admin › Licenses' Export users, which
// holds one batch however many there are. It stops at fn's first error.
func (db *DB) EachLicenseRow(ctx context.Context, fn func([]kassa.LicenseRow) error) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.licenses"))
	if err != nil {
		return err
	}
	c := db.binaryOrder()
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT p.sku, p.name_en, p.name_sv, p.name_de, h.id, h.name, h.email, pu.id, pu.name, s.id, l.assigned_at
		FROM licenses l
		JOIN subscriptions s ON s.id = l.subscription_id
		JOIN products p ON p.id = s.product_id
		JOIN users pu ON pu.id = s.purchaser_id
		JOIN users h ON h.id = l.user_id
		WHERE `+liveSubscriptions+`
		ORDER BY p.sku, pu.name`+c+`, pu.id, h.name`+c+`, h.id, s.id`, a.Tenant.ID)
	if err != nil {
		return fmt.Errorf("export licenses: %w", err)
	}
	defer rows.Close()
	batch := make([]kassa.LicenseRow, 0, licenseRowBatch)
	for rows.Next() {
		var r kassa.LicenseRow
		if err := rows.Scan(&r.SKU, &r.Product.En, &r.Product.Sv, &r.Product.De, &r.Holder.ID, &r.Holder.Name,
			&r.Holder.Email, &r.Purchaser.ID, &r.Purchaser.Name, &r.SubscriptionID, &r.AssignedAt); err != nil {
			return fmt.Errorf("export licenses: %w", err)
		}
		r.AssignedAt = r.AssignedAt.UTC()
		if batch = append(batch, r); len(batch) == licenseRowBatch {
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export licenses: %w", err)
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}
