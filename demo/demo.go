// Package demo loads the demo data set of SPEC §5: two tenants, their people,
// the catalog and Nordvik's purchase policies. Later issues add erik's
// billing profile, card and history by extending load.
package demo

import (
	"bytes"
	"context"
	_ "embed" // the catalog file
	"fmt"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/catalog"
	"github.com/kassa-billing/kassa/sqldb"
)

// Password is every demo user's password.
const Password = "kassa-demo"

// Account is a demo sign-in worth printing.
type Account struct {
	Email, Role, Tenant, Note string
}

// Accounts lists the demo users a person trying kassa would sign in as.
var Accounts = []Account{
	{"erik@nordvik.example", "user", "Nordvik AB", "buys, assigns licenses, pays (Swedish)"},
	{"astrid@nordvik.example", "admin", "Nordvik AB", "sees every self-service purchase, sets policy"},
	{"mike@harbor.example", "user", "Harbor Labs Inc.", "a buyer in the US tenant (English)"},
	{"hannah@harbor.example", "admin", "Harbor Labs Inc.", "the US tenant's admin"},
	{"gast@partner.example", "user", "Nordvik AB", "a guest: cannot buy or hold licenses"},
}

// Load loads the demo data unless it is there already, all in one
// transaction, and reports whether it loaded anything. Cards are saved with
// gw first, outside the transaction.
func Load(ctx context.Context, db *sqldb.DB, gw kassa.Gateway) (bool, error) {
	_, err := db.FindCredentials(ctx, "erik@nordvik.example")
	if err == nil {
		return false, nil
	} else if kassa.ErrorCode(err) != kassa.NotFound {
		return false, err
	}
	// One hash for every demo user: they share a published password, so
	// separate salts would protect nothing and cost a second of start-up.
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return false, err
	}
	pay, err := erikPays(ctx, gw, db.Now())
	if err != nil {
		return false, fmt.Errorf("load demo: %w", err)
	}
	err = db.Atomically(ctx, func(ctx context.Context) error {
		return load(ctx, db, hash, pay)
	})
	if err != nil {
		return false, fmt.Errorf("load demo: %w", err)
	}
	return true, nil
}

// catalogFile is the demo's catalog, applied as an operator applies theirs.
//
//go:embed catalog.yaml
var catalogFile []byte

// Catalog returns the demo's catalog as its file says.
func Catalog() ([]*kassa.Product, error) { return catalog.Parse(bytes.NewReader(catalogFile)) }

// load loads the demo through the doors an operator and admins use: the
// catalog file through ApplyCatalog, the tenants through CreateTenant, the
// people through CreateUser, the policies as an admin sets them.
func load(ctx context.Context, db *sqldb.DB, hash string, pay *payment) error {
	products, err := Catalog()
	if err != nil {
		return err
	}
	if _, err := db.ApplyCatalog(ctx, products, false); err != nil {
		return err
	}
	for _, t := range tenants() {
		if err := db.CreateTenant(ctx, t.tenant); err != nil {
			return err
		}
		var admin *kassa.User
		for _, u := range t.users {
			if err := db.CreateUser(ctx, t.tenant.ID, u, hash); err != nil {
				return err
			}
			if admin == nil && u.Role == kassa.RoleAdmin {
				admin = u
			}
		}
		// Policies are set the way an admin sets them.
		actx := kassa.NewContextWithActor(ctx, &kassa.Actor{User: admin, Tenant: t.tenant})
		for sku, policy := range t.policies {
			if err := db.SetPurchasePolicy(actx, productID(products, sku), policy); err != nil {
				return err
			}
		}
		for _, u := range t.users {
			if u.Email == "erik@nordvik.example" {
				ectx := kassa.NewContextWithActor(ctx, &kassa.Actor{User: u, Tenant: t.tenant})
				if err := pay.store(ectx, db); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func productID(products []*kassa.Product, sku string) string {
	for _, p := range products {
		if p.SKU == sku {
			return p.ID
		}
	}
	panic("demo: no product " + sku)
}
