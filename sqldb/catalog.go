package sqldb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
)

// What ApplyCatalog did to a product.
const (
	CatalogAdded     = "added"
	CatalogChanged   = "changed"
	CatalogUnchanged = "unchanged"
)

// CatalogChange is what applying a catalog does to one product of it.
type CatalogChange struct {
	SKU    string
	SKUID  string
	Kind   string   // CatalogAdded, CatalogChanged or CatalogUnchanged
	Fields []string // what changed: "name.sv", "prices.monthly.SEK", "retired", …
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// ApplyCatalog makes the catalog hold the products, in one transaction:
// each product is added (with a new sku_id unless it has one) or changed to
// be as given, prices included; products not given are left as they are.
// Applying the same products again changes nothing. With dryRun it changes
// nothing and says what it would. A sku_id that is not the product's own,
// or another product's, refuses the whole catalog (Invalid, with a Problem
// per product). The catalog is the operator's, so it takes no actor and is
// in no tenant's audit log.
func (db *DB) ApplyCatalog(ctx context.Context, products []*kassa.Product, dryRun bool) ([]CatalogChange, error) {
	var changes []CatalogChange
	err := db.write(ctx, func(tx *Tx) error {
		changes = nil
		have, err := catalogOf(ctx, tx)
		if err != nil {
			return err
		}
		bySKUID := map[string]*kassa.Product{}
		for _, p := range have {
			bySKUID[p.SKUID] = p
		}
		var problems []kassa.Problem
		for _, p := range products {
			old := have[p.SKU]
			switch other := bySKUID[p.SKUID]; {
			case p.SKUID == "":
			case old != nil && p.SKUID != old.SKUID:
				problems = append(problems, kassa.Problem{Item: p.SKU, Field: "sku_id",
					Key: "error.catalog.sku_id_changed", Args: []any{"Kept", old.SKUID}})
			case other != nil && other.SKU != p.SKU:
				problems = append(problems, kassa.Problem{Item: p.SKU, Field: "sku_id",
					Key: "error.catalog.sku_id_taken", Args: []any{"Other", other.SKU}})
			}
		}
		if len(problems) > 0 {
			return &kassa.Error{Code: kassa.Invalid, Key: "error.catalog.invalid",
				Args: []any{"Count", len(problems)}, Problems: problems}
		}
		for _, p := range products {
			c, err := tx.applyProduct(ctx, have[p.SKU], p)
			if err != nil {
				return err
			}
			changes = append(changes, c)
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return changes, err
}

// applyProduct adds p, or makes old as p, and says what it did.
func (tx *Tx) applyProduct(ctx context.Context, old, p *kassa.Product) (CatalogChange, error) {
	if old == nil {
		if p.SKUID == "" {
			p.SKUID = newGUID()
		}
		p.ID = newID("prd")
		if err := tx.insertProduct(ctx, p); err != nil {
			return CatalogChange{}, err
		}
		return CatalogChange{SKU: p.SKU, SKUID: p.SKUID, Kind: CatalogAdded}, nil
	}
	p.ID, p.SKUID = old.ID, old.SKUID
	fields := productDiff(old, p)
	if len(fields) == 0 {
		return CatalogChange{SKU: p.SKU, SKUID: p.SKUID, Kind: CatalogUnchanged}, nil
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE products SET name_en = $2, name_sv = $3, name_de = $4, description_en = $5, description_sv = $6,
			description_de = $7, trial_days = $8, trial_max_licenses = $9, retired = $10
		WHERE id = $1`, p.ID, p.Name.En, p.Name.Sv, p.Name.De, p.Description.En, p.Description.Sv, p.Description.De,
		p.TrialDays, trialMax(p), p.Retired); err != nil {
		return CatalogChange{}, fmt.Errorf("update product %s: %w", p.SKU, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM prices WHERE product_id = $1`, p.ID); err != nil {
		return CatalogChange{}, fmt.Errorf("update prices of %s: %w", p.SKU, err)
	}
	if err := tx.insertPrices(ctx, p); err != nil {
		return CatalogChange{}, err
	}
	return CatalogChange{SKU: p.SKU, SKUID: p.SKUID, Kind: CatalogChanged, Fields: fields}, nil
}

// trialMax is the trial's license limit as stored: the default for a
// product without a trial.
func trialMax(p *kassa.Product) int {
	if p.TrialMaxLicenses > 0 {
		return p.TrialMaxLicenses
	}
	return kassa.TrialLicenseLimit
}

// productDiff names the fields in which p differs from old.
func productDiff(old, p *kassa.Product) []string {
	var fields []string
	diff := func(name string, a, b any) {
		if a != b {
			fields = append(fields, name)
		}
	}
	diff("name.en", old.Name.En, p.Name.En)
	diff("name.sv", old.Name.Sv, p.Name.Sv)
	diff("name.de", old.Name.De, p.Name.De)
	diff("description.en", old.Description.En, p.Description.En)
	diff("description.sv", old.Description.Sv, p.Description.Sv)
	diff("description.de", old.Description.De, p.Description.De)
	diff("trial.days", old.TrialDays, p.TrialDays)
	if p.TrialDays > 0 || old.TrialDays > 0 {
		diff("trial.max_licenses", trialMax(old), trialMax(p))
	}
	diff("retired", old.Retired, p.Retired)
	prices := func(ps []kassa.Price) map[string]int64 {
		m := map[string]int64{}
		for _, pr := range ps {
			m["prices."+string(pr.Term)+"."+pr.Currency] = pr.UnitAmount
		}
		return m
	}
	a, b := prices(old.Prices), prices(p.Prices)
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		av, aok := a[k]
		bv, bok := b[k]
		if aok != bok || av != bv {
			fields = append(fields, k)
		}
	}
	return fields
}

// FindCatalog returns every product of the catalog, retired ones too, in
// the order they were added, with their prices: what kassa catalog export
// writes.
func (db *DB) FindCatalog(ctx context.Context) ([]*kassa.Product, error) {
	have, err := catalogOf(ctx, db.reader(ctx))
	if err != nil {
		return nil, err
	}
	return slices.SortedFunc(maps.Values(have), func(a, b *kassa.Product) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.SKU, b.SKU)
	}), nil
}

// catalogOf reads every product with its prices, by SKU.
func catalogOf(ctx context.Context, q querier) (map[string]*kassa.Product, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT id, sku_id, sku, name_en, name_sv, name_de, description_en, description_sv, description_de,
			trial_days, trial_max_licenses, retired, created_at
		FROM products`)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	bySKU, byID := map[string]*kassa.Product{}, map[string]*kassa.Product{}
	for rows.Next() {
		p := &kassa.Product{}
		if err := rows.Scan(&p.ID, &p.SKUID, &p.SKU, &p.Name.En, &p.Name.Sv, &p.Name.De, &p.Description.En,
			&p.Description.Sv, &p.Description.De, &p.TrialDays, &p.TrialMaxLicenses, &p.Retired, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		if p.TrialDays == 0 {
			p.TrialMaxLicenses = 0
		}
		bySKU[p.SKU], byID[p.ID] = p, p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	rows.Close()
	if err := loadPrices(ctx, q, byID); err != nil {
		return nil, err
	}
	return bySKU, nil
}
