package sqldb_test

import (
	"slices"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func analytics() *kassa.Product {
	return &kassa.Product{SKU: "ANALYTICS_PRO", Name: kassa.Text{En: "Analytics Pro", Sv: "Analys Pro"},
		TrialDays: 30, TrialMaxLicenses: 25,
		Prices: []kassa.Price{{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 23900}, {Term: kassa.Annual, Currency: "SEK", UnitAmount: 239000}}}
}

func kinds(changes []sqldb.CatalogChange) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.SKU+" "+c.Kind)
	}
	return out
}

func TestApplyCatalog(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx := t.Context()
	mail := &kassa.Product{SKU: "MAIL_ARCHIVE", SKUID: "6a1f0c52-8d3e-4b7a-9f21-0c4d5e6f7a8b", Name: kassa.Text{En: "Mail"},
		Prices: []kassa.Price{{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 5900}}}

	changes, err := db.ApplyCatalog(ctx, []*kassa.Product{analytics(), mail}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(changes); !slices.Equal(got, []string{"ANALYTICS_PRO added", "MAIL_ARCHIVE added"}) {
		t.Fatalf("first apply: %v", got)
	}
	if changes[1].SKUID != mail.SKUID || len(changes[0].SKUID) != 36 {
		t.Errorf("sku_ids: %q (made), %q (given)", changes[0].SKUID, changes[1].SKUID)
	}
	made := changes[0].SKUID

	t.Run("SameFileChangesNothing", func(t *testing.T) {
		again := *mail
		again.SKUID = "" // a file without sku_id keeps the one the product has
		changes, err := db.ApplyCatalog(ctx, []*kassa.Product{analytics(), &again}, false)
		if err != nil || !slices.Equal(kinds(changes), []string{"ANALYTICS_PRO unchanged", "MAIL_ARCHIVE unchanged"}) {
			t.Fatalf("second apply: %v, %v", kinds(changes), err)
		}
	})
	t.Run("ChangesAreNamed", func(t *testing.T) {
		p := analytics()
		p.Name.Sv, p.Retired = "Analytics Pro", true
		p.Prices[0].UnitAmount = 24900
		p.Prices = append(p.Prices, kassa.Price{Term: kassa.Monthly, Currency: "EUR", UnitAmount: 2100})
		dry, err := db.ApplyCatalog(ctx, []*kassa.Product{p}, true)
		if err != nil || len(dry) != 1 || dry[0].Kind != sqldb.CatalogChanged {
			t.Fatalf("dry run: %+v, %v", dry, err)
		}
		if want := []string{"name.sv", "retired", "prices.monthly.EUR", "prices.monthly.SEK"}; !slices.Equal(dry[0].Fields, want) {
			t.Errorf("fields %v, want %v", dry[0].Fields, want)
		}
		if cat := catalogBySKU(t, db); cat["ANALYTICS_PRO"].Retired || cat["ANALYTICS_PRO"].Name.Sv != "Analys Pro" {
			t.Fatalf("a dry run changed the catalog: %+v", cat["ANALYTICS_PRO"])
		}
		p = analytics()
		p.Name.Sv, p.Retired = "Analytics Pro", true
		p.Prices[0].UnitAmount = 24900
		p.Prices = append(p.Prices, kassa.Price{Term: kassa.Monthly, Currency: "EUR", UnitAmount: 2100})
		if _, err := db.ApplyCatalog(ctx, []*kassa.Product{p}, false); err != nil {
			t.Fatal(err)
		}
		got := catalogBySKU(t, db)["ANALYTICS_PRO"]
		if !got.Retired || got.Name.Sv != "Analytics Pro" || got.SKUID != made || len(got.Prices) != 3 {
			t.Errorf("after the change: %+v", got)
		}
		if pr, _ := got.PriceFor(kassa.Monthly, "SEK"); pr.UnitAmount != 24900 {
			t.Errorf("monthly SEK = %d", pr.UnitAmount)
		}
	})
	t.Run("ForeignSKUIDRefusesEverything", func(t *testing.T) {
		stolen := &kassa.Product{SKU: "NEW_ONE", SKUID: mail.SKUID, Name: kassa.Text{En: "New"},
			Prices: []kassa.Price{{Term: kassa.Monthly, Currency: "SEK", UnitAmount: 100}}}
		moved := analytics()
		moved.SKUID = "00000000-0000-4000-8000-000000000000"
		fine := &kassa.Product{SKU: "FINE", Name: kassa.Text{En: "Fine"}, Prices: stolen.Prices}
		_, err := db.ApplyCatalog(ctx, []*kassa.Product{fine, stolen, moved}, false)
		e, ok := err.(*kassa.Error)
		if !ok || e.Code != kassa.Invalid || len(e.Problems) != 2 {
			t.Fatalf("apply = %v, want Invalid with two problems", err)
		}
		if e.Problems[0].Item != "NEW_ONE" || e.Problems[0].Field != "sku_id" || e.Problems[1].Item != "ANALYTICS_PRO" {
			t.Errorf("problems %+v", e.Problems)
		}
		if _, ok := catalogBySKU(t, db)["FINE"]; ok {
			t.Error("a refused catalog added a product")
		}
	})
}

func catalogBySKU(t *testing.T, db *sqldb.DB) map[string]*kassa.Product {
	t.Helper()
	products, err := db.FindCatalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*kassa.Product{}
	for _, p := range products {
		m[p.SKU] = p
	}
	return m
}

func TestCreateTenant(t *testing.T) {
	t.Parallel()
	db := sqldbtest.MustOpenDB(t, kassa.NewTestClock(testNow))
	ctx := t.Context()
	a := &kassa.Tenant{Name: " Alfa AB ", Country: "se", Currency: "sek", Locale: "sv", Domains: []string{"Alfa.example", "alfa.example.", "alfa.se"}}
	if err := db.CreateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Name != "Alfa AB" || a.Country != "SE" || a.Currency != "SEK" || len(a.DirectoryID) != 36 ||
		!slices.Equal(a.Domains, []string{"alfa.example", "alfa.se"}) {
		t.Errorf("stored as %+v", a)
	}
	t.Run("DomainIsOneTenants", func(t *testing.T) {
		b := &kassa.Tenant{Name: "Beta", Country: "SE", Currency: "SEK", Locale: "en", Domains: []string{"beta.example", "alfa.se"}}
		err := db.CreateTenant(ctx, b)
		if kassa.ErrorCode(err) != kassa.Conflict || kassa.ErrorField(err) != "domains" {
			t.Fatalf("second tenant with alfa.se: %v, want conflict", err)
		}
		if got, err := db.FindTenantByDomain(ctx, "beta.example"); kassa.ErrorCode(err) != kassa.NotFound {
			t.Errorf("a refused tenant left its domain: %v %v", got, err)
		}
	})
	t.Run("BadFieldsNamed", func(t *testing.T) {
		for field, bad := range map[string]kassa.Tenant{
			"name":     {Country: "SE", Currency: "SEK", Locale: "sv"},
			"country":  {Name: "X", Country: "Sweden", Currency: "SEK", Locale: "sv"},
			"currency": {Name: "X", Country: "SE", Currency: "kr", Locale: "sv"},
			"locale":   {Name: "X", Country: "SE", Currency: "SEK", Locale: "fr"},
			"domains":  {Name: "X", Country: "SE", Currency: "SEK", Locale: "sv", Domains: []string{"not a domain"}},
		} {
			err := db.CreateTenant(ctx, &bad)
			if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != field {
				t.Errorf("tenant without a good %s: %v", field, err)
			}
		}
	})
	t.Run("Listed", func(t *testing.T) {
		ts, err := db.FindTenants(ctx)
		if err != nil || len(ts) != 1 || ts[0].ID != a.ID || ts[0].DirectoryID != a.DirectoryID || len(ts[0].Domains) != 2 {
			t.Fatalf("tenants = %+v, %v", ts, err)
		}
		found, err := db.FindTenantByDomain(ctx, "alfa.se")
		if err != nil || found.ID != a.ID {
			t.Errorf("by domain: %v, %v", found, err)
		}
	})
}
