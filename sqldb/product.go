package sqldb

import (
	"context"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// CreateProduct adds a product and its prices to the catalog and sets its ID.
// The catalog is the operator's, so it takes no actor.
func (db *DB) CreateProduct(ctx context.Context, p *kassa.Product) error {
	return db.write(ctx, func(tx *Tx) error {
		p.ID = newID("prd")
		_, err := tx.ExecContext(ctx, `
			INSERT INTO products (id, sku, name_en, name_sv, description_en, description_sv, trial_days, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.ID, p.SKU, p.Name.En, p.Name.Sv, p.Description.En, p.Description.Sv, p.TrialDays, tx.now)
		if isUnique(err) {
			return kassa.InvalidE("sku", "error.product.sku_taken", "SKU", p.SKU)
		} else if err != nil {
			return fmt.Errorf("insert product %s: %w", p.SKU, err)
		}
		for _, pr := range p.Prices {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO prices (product_id, term, currency, unit_amount) VALUES ($1, $2, $3, $4)`,
				p.ID, pr.Term, pr.Currency, pr.UnitAmount); err != nil {
				return fmt.Errorf("insert price of %s: %w", p.SKU, err)
			}
		}
		return nil
	})
}

// FindProducts returns the catalog with the purchase policy of the actor's
// tenant for each product.
func (db *DB) FindProducts(ctx context.Context) ([]*kassa.Product, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT p.id, p.sku, p.name_en, p.name_sv, p.description_en, p.description_sv, p.trial_days,
			COALESCE(pp.policy, t.default_policy)
		FROM products p
		JOIN tenants t ON t.id = $1
		LEFT JOIN purchase_policies pp ON pp.tenant_id = t.id AND pp.product_id = p.id
		ORDER BY p.created_at, p.sku`, a.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("find products: %w", err)
	}
	defer rows.Close()
	var products []*kassa.Product
	byID := map[string]*kassa.Product{}
	for rows.Next() {
		p := &kassa.Product{}
		if err := rows.Scan(&p.ID, &p.SKU, &p.Name.En, &p.Name.Sv, &p.Description.En,
			&p.Description.Sv, &p.TrialDays, &p.Policy); err != nil {
			return nil, fmt.Errorf("find products: %w", err)
		}
		products = append(products, p)
		byID[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find products: %w", err)
	}
	if err := db.loadPrices(ctx, byID); err != nil {
		return nil, err
	}
	return products, nil
}

func (db *DB) loadPrices(ctx context.Context, byID map[string]*kassa.Product) error {
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT product_id, term, currency, unit_amount FROM prices
		ORDER BY product_id, currency, term DESC`)
	if err != nil {
		return fmt.Errorf("find prices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var pr kassa.Price
		if err := rows.Scan(&id, &pr.Term, &pr.Currency, &pr.UnitAmount); err != nil {
			return fmt.Errorf("find prices: %w", err)
		}
		if p := byID[id]; p != nil {
			p.Prices = append(p.Prices, pr)
		}
	}
	return rows.Err()
}

// FindProductByID returns one product with the actor's tenant's policy.
func (db *DB) FindProductByID(ctx context.Context, id string) (*kassa.Product, error) {
	products, err := db.FindProducts(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range products {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, kassa.E(kassa.NotFound, "error.product.not_found", "ID", id)
}

// productName returns the names of the product with the id. A product's
// names never change once it is made (nothing updates products), so each is
// read once per process.
func (db *DB) productName(ctx context.Context, id string) (kassa.Text, error) {
	if n, ok := db.productNames.Load(id); ok {
		return n.(kassa.Text), nil
	}
	var n kassa.Text
	err := db.readRow(ctx, func(r row) error {
		return r.Scan(&n.En, &n.Sv)
	}, `SELECT name_en, name_sv FROM products WHERE id = $1`, id)
	if err != nil {
		return n, fmt.Errorf("the name of product %s: %w", id, err)
	}
	db.productNames.Store(id, n)
	return n, nil
}

// SetPurchasePolicy sets the actor's tenant's policy for a product, for the
// purchases made from now on.
func (db *DB) SetPurchasePolicy(ctx context.Context, productID string, policy kassa.PurchasePolicy) error {
	_, err := db.SetPurchasePolicies(ctx, kassa.PolicySet{
		Products: []kassa.ProductPolicy{{ProductID: productID, Policy: policy}},
	})
	return err
}
