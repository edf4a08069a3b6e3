package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// CreateProduct adds a product and its prices to the catalog and sets its ID.
// The catalog is the operator's, so it takes no actor.
func (db *DB) CreateProduct(ctx context.Context, p *kassa.Product) error {
	return db.write(ctx, func(tx *Tx) error {
		p.ID = newID("prd")
		if p.SKUID == "" {
			p.SKUID = newGUID()
		}
		return tx.insertProduct(ctx, p)
	})
}

// insertProduct inserts p, with its ID and SKUID set, and its prices.
func (tx *Tx) insertProduct(ctx context.Context, p *kassa.Product) error {
	p.CreatedAt = tx.now
	_, err := tx.ExecContext(ctx, `
		INSERT INTO products (id, sku_id, sku, name_en, name_sv, name_de, description_en, description_sv, description_de,
			trial_days, trial_max_licenses, retired, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		p.ID, p.SKUID, p.SKU, p.Name.En, p.Name.Sv, p.Name.De, p.Description.En, p.Description.Sv, p.Description.De,
		p.TrialDays, trialMax(p), p.Retired, p.CreatedAt)
	if isUnique(err) {
		return kassa.InvalidE("sku", "error.product.sku_taken", "SKU", p.SKU)
	} else if err != nil {
		return fmt.Errorf("insert product %s: %w", p.SKU, err)
	}
	return tx.insertPrices(ctx, p)
}

func (tx *Tx) insertPrices(ctx context.Context, p *kassa.Product) error {
	for _, pr := range p.Prices {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO prices (product_id, term, currency, unit_amount) VALUES ($1, $2, $3, $4)`,
			p.ID, pr.Term, pr.Currency, pr.UnitAmount); err != nil {
			return fmt.Errorf("insert price of %s: %w", p.SKU, err)
		}
	}
	return nil
}

// FindProducts returns the catalog with the purchase policy of the actor's
// tenant for each product.
func (db *DB) FindProducts(ctx context.Context) ([]*kassa.Product, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT p.id, p.sku_id, p.sku, p.name_en, p.name_sv, p.name_de, p.description_en, p.description_sv,
			p.description_de, p.trial_days, p.trial_max_licenses, p.retired, p.created_at, COALESCE(pp.policy, t.default_policy)
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
		if err := rows.Scan(&p.ID, &p.SKUID, &p.SKU, &p.Name.En, &p.Name.Sv, &p.Name.De, &p.Description.En,
			&p.Description.Sv, &p.Description.De, &p.TrialDays, &p.TrialMaxLicenses, &p.Retired, &p.CreatedAt,
			&p.Policy); err != nil {
			return nil, fmt.Errorf("find products: %w", err)
		}
		products = append(products, p)
		byID[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find products: %w", err)
	}
	if err := loadPrices(ctx, db.reader(ctx), byID); err != nil {
		return nil, err
	}
	return products, nil
}

// loadPrices adds every price to its product of byID.
func loadPrices(ctx context.Context, q querier, byID map[string]*kassa.Product) error {
	rows, err := q.QueryContext(ctx, `
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

// productNameTTL is how long a process trusts a product's names it has
// read: the catalog changes seldom (kassa catalog apply, from another
// process), and a subscription read is the busiest read there is.
const productNameTTL = time.Second

// cachedName is a product's names as read at a moment.
type cachedName struct {
	names kassa.Text
	read  time.Time
}

// productName returns the names of the product with the id, read at most
// productNameTTL ago (by the wall clock: how fresh a cache is is the
// process's business, not the billing clock's).
func (db *DB) productName(ctx context.Context, id string) (kassa.Text, error) {
	if c, ok := db.productNames.Load(id); ok && time.Since(c.(cachedName).read) < productNameTTL {
		return c.(cachedName).names, nil
	}
	var n kassa.Text
	err := db.readRow(ctx, func(r row) error {
		return r.Scan(&n.En, &n.Sv, &n.De)
	}, `SELECT name_en, name_sv, name_de FROM products WHERE id = $1`, id)
	if err != nil {
		return n, fmt.Errorf("the name of product %s: %w", id, err)
	}
	db.productNames.Store(id, cachedName{names: n, read: time.Now()})
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
