package catalog_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/catalog"
	"github.com/kassa-billing/kassa/locale"
)

const good = `products:
  - sku: ANALYTICS_PRO
    name: {en: Analytics Pro, sv: Analytics Pro, de: Analytics Pro}
    description: {en: "Dashboards and reports", sv: "Instrumentpaneler och rapporter"}
    trial: {days: 30, max_licenses: 25}
    prices:
      monthly: {SEK: 23900, USD: 2300, EUR: 2100}
      annual: {SEK: 239000, USD: 23000, EUR: 21000}
    retired: false
    sku_id: 6a1f0c52-8d3e-4b7a-9f21-0c4d5e6f7a8b
  - sku: MAIL_ARCHIVE
    name: {en: Secure Mail Archive}
    prices:
      monthly: {SEK: 5900}
    retired: true
`

func TestParse(t *testing.T) {
	products, err := catalog.Parse(strings.NewReader(good))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, strings.Join(locale.In("en").Problems(err), "\n"))
	}
	if len(products) != 2 {
		t.Fatalf("%d products, want 2", len(products))
	}
	a, m := products[0], products[1]
	if a.SKU != "ANALYTICS_PRO" || a.Name.Sv != "Analytics Pro" || a.Name.De != "Analytics Pro" ||
		a.Description.Sv != "Instrumentpaneler och rapporter" || a.TrialDays != 30 || a.TrialMaxLicenses != 25 ||
		a.SKUID != "6a1f0c52-8d3e-4b7a-9f21-0c4d5e6f7a8b" || a.Retired || len(a.Prices) != 6 {
		t.Errorf("ANALYTICS_PRO = %+v", a)
	}
	if p, ok := a.PriceFor(kassa.Annual, "USD"); !ok || p.UnitAmount != 23000 {
		t.Errorf("annual USD = %+v, %v", p, ok)
	}
	if !m.Retired || m.TrialDays != 0 || m.SKUID != "" || len(m.Prices) != 1 || m.Description != (kassa.Text{}) {
		t.Errorf("MAIL_ARCHIVE = %+v", m)
	}
}

// TestParseRefuses checks that each fault is refused with its line, column,
// product and field, and that all faults come at once.
func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // each one problem, in English
	}{
		{"UnknownKey", "products:\n  - sku: A1\n    name: {en: A}\n    prices: {monthly: {SEK: 1}}\n    colour: red\n",
			[]string{"line 5, column 5: The file is not a catalog: unknown field \"colour\""}},
		{"UnknownTopKey", "product:\n  - sku: A1\n", []string{"line 1, column 1: The file is not a catalog: unknown field \"product\""}},
		{"NotANumber", "products:\n  - sku: A1\n    name: {en: A}\n    prices: {monthly: {SEK: 12.5}}\n",
			[]string{"line 4, column 29: A1 prices.monthly.SEK: A price is a whole number"}},
		{"Malformed", "products: [\n", []string{"line"}},
		{"DuplicateKey", "products:\n  - sku: A1\n    sku: A2\n    name: {en: A}\n    prices: {monthly: {SEK: 1}}\n", []string{"line 3,"}},
		{"EveryFault", `products:
  - sku: analytics
    name: {sv: Analys, fr: Analyse}
    trial: {days: 0}
    prices:
      weekly: {SEK: 1}
      monthly: {sek: 1, SEK: -5}
  - sku: B1
    name: {en: ""}
    prices: {}
    sku_id: nope
  - sku: B1
    name: {en: B}
    prices: {annual: {XXX: 5}}
`, []string{
			"line 2, column 10: analytics sku: sku must be",
			"line 3, column 28: analytics name.fr: Texts may be in en, sv, de.",
			"line 3, column 11: analytics name.en: name.en is required.",
			"line 4, column 19: analytics trial.days: trial.days must be 1 to 365.",
			"line 6, column 15: analytics prices.weekly: A price is monthly or annual.",
			"line 7, column 30: analytics prices.monthly.SEK: A price is a whole number",
			"line 7, column 22: analytics prices.monthly.sek: The currency must be",
			"line 9, column 16: B1 name.en: name.en is required.",
			"line 10, column 13: B1 prices: Give at least one price",
			"line 11, column 13: B1 sku_id: sku_id must be a GUID",
			"line 12, column 10: B1 sku: This sku is also product 2's",
			"line 14, column 28: B1 prices.annual.XXX: The currency must be",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			products, err := catalog.Parse(strings.NewReader(tc.yaml))
			if kassa.ErrorCode(err) != kassa.Invalid || products != nil {
				t.Fatalf("Parse = %v, %v; want Invalid and nothing", products, err)
			}
			got := locale.In("en").Problems(err)
			if len(got) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no problem says %q:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

// TestWriteReadsBack checks that Write writes what Parse reads back to the
// same products, and the same file again.
func TestWriteReadsBack(t *testing.T) {
	products, err := catalog.Parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	if err := catalog.Write(&first, products); err != nil {
		t.Fatal(err)
	}
	again, err := catalog.Parse(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatalf("Parse(Write) = %v\n%s", err, first.String())
	}
	for i := range products {
		if !same(products[i], again[i]) {
			t.Errorf("product %d: wrote %+v, read back %+v", i, products[i], again[i])
		}
	}
	if err := catalog.Write(&second, again); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("Write is not stable:\n%s\n---\n%s", first.String(), second.String())
	}
}

func same(a, b *kassa.Product) bool {
	return a.SKU == b.SKU && a.SKUID == b.SKUID && a.Name == b.Name && a.Description == b.Description &&
		a.TrialDays == b.TrialDays && a.TrialMaxLicenses == b.TrialMaxLicenses && a.Retired == b.Retired &&
		slices.Equal(a.Prices, b.Prices)
}

// FuzzParse checks that any input either parses to products that Write
// writes and Parse reads back alike, or is refused as Invalid with at least
// one problem — never a panic or another error.
func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("products: []\n")
	f.Add("products:\n  - sku: A1\n    name: {en: A}\n    prices: {monthly: {SEK: 1}}\n")
	f.Add("products: [\n")
	f.Add("products:\n  - sku: A1\n    name: {en: A}\n    prices: {monthly: {SEK: 99999999999999999999}}\n")
	f.Add("&a [*a]")
	f.Fuzz(func(t *testing.T, in string) {
		products, err := catalog.Parse(strings.NewReader(in))
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid || len(locale.In("en").Problems(err)) == 0 {
				t.Fatalf("Parse(%q) = %v, want Invalid with problems", in, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := catalog.Write(&buf, products); err != nil {
			t.Fatal(err)
		}
		again, err := catalog.Parse(&buf)
		if err != nil || len(again) != len(products) {
			t.Fatalf("Parse(Write(Parse(%q))) = %v\n%s", in, err, buf.String())
		}
		for i := range products {
			if !same(products[i], again[i]) {
				t.Fatalf("product %d of %q: wrote %+v, read back %+v", i, in, products[i], again[i])
			}
		}
	})
}
