// Package catalog reads and writes the operator's catalog file: a YAML list
// of products, each with its SKU, names and descriptions per language, its
// free trial, its prices per term and currency in minor units, whether it is
// retired, and its stable sku_id (SPEC §7).
//
// Reading is strict: a key kassa does not know, a value of the wrong type, a
// duplicate key or a malformed file is refused with its line and column, and
// every fault of the file is reported at once (kassa.Error.Problems), each
// naming its product and field, so that a file is either whole or refused.
// Write writes products in the form Parse reads back unchanged.
package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// file is the catalog file as YAML holds it.
type file struct {
	Products []product `yaml:"products"`
}

type product struct {
	SKU         string                    `yaml:"sku"`
	Name        map[string]string         `yaml:"name"`
	Description map[string]string         `yaml:"description,omitempty"`
	Trial       *trial                    `yaml:"trial,omitempty"`
	Prices      map[string]map[string]any `yaml:"prices"` // amounts checked to be whole numbers
	Retired     bool                      `yaml:"retired"`
	SKUID       string                    `yaml:"sku_id,omitempty"`
}

type trial struct {
	Days        any `yaml:"days"`
	MaxLicenses any `yaml:"max_licenses,omitempty"`
}

// wholeNumber returns v as an integer when the file wrote one: YAML's
// decoder would turn 12.5 into 12 for an integer field, so numbers are
// decoded as they are written and checked here.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= 1<<62 {
			return int64(n), true
		}
	}
	return 0, false
}

// Limits of a catalog.
const (
	MaxProducts       = 1000
	maxName           = 200
	maxDescription    = 2000
	maxTrialDays      = 365
	maxUnitAmount     = 1_000_000_000_00 // a billion in the currency's major unit
	defaultTrialLimit = kassa.TrialLicenseLimit
)

var (
	skuPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
	guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// Parse reads a catalog file and returns its products, in the file's order,
// with their prices sorted by currency and term. A file with any fault is an
// Invalid *kassa.Error whose Problems name each fault's line, column,
// product and field; nothing of it is returned.
func Parse(r io.Reader) ([]*kassa.Product, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, refused([]kassa.Problem{yamlProblem(err)})
	}
	var f file
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, refused([]kassa.Problem{yamlProblem(err)})
	}
	c := &checker{ast: astFile, skus: map[string]int{}, skuIDs: map[string]int{}}
	var products []*kassa.Product
	if len(f.Products) > MaxProducts {
		c.fault("$.products", "", "products", "error.catalog.too_many", "Max", MaxProducts)
	}
	for i, p := range f.Products {
		products = append(products, c.product(i, p))
	}
	if len(c.problems) > 0 {
		return nil, refused(c.problems)
	}
	return products, nil
}

// refused is the error of a catalog with problems.
func refused(problems []kassa.Problem) error {
	return &kassa.Error{Code: kassa.Invalid, Key: "error.catalog.invalid", Args: []any{"Count", len(problems)},
		Problems: problems}
}

// yamlProblem is the problem of a file the YAML decoder refused: at its
// token, in the decoder's own words (they name the key or type at fault).
func yamlProblem(err error) kassa.Problem {
	p := kassa.Problem{Key: "error.catalog.yaml", Args: []any{"Reason", err.Error()}}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Args = []any{"Reason", ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

// checker collects the problems of a decoded file.
type checker struct {
	ast      *ast.File
	skus     map[string]int // SKU → index of the product that has it
	skuIDs   map[string]int
	problems []kassa.Problem
}

// fault records a problem at path (a YAML path into the file, whose node
// gives the line and column), about the product sku and its field.
func (c *checker) fault(path, sku, field, key string, args ...any) {
	p := kassa.Problem{Item: sku, Field: field, Key: key, Args: args}
	if yp, err := yaml.PathString(path); err == nil {
		if n, err := yp.FilterFile(c.ast); err == nil && n != nil && n.GetToken() != nil && n.GetToken().Position != nil {
			p.Line, p.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
		}
	}
	c.problems = append(c.problems, p)
}

func (c *checker) product(i int, in product) *kassa.Product {
	at := fmt.Sprintf("$.products[%d]", i)
	sku := strings.TrimSpace(in.SKU)
	out := &kassa.Product{SKU: sku, Retired: in.Retired, SKUID: strings.ToLower(strings.TrimSpace(in.SKUID))}
	switch j, seen := c.skus[sku]; {
	case sku == "":
		c.fault(at, fmt.Sprintf("#%d", i+1), "sku", "error.catalog.required", "Field", "sku")
		sku = fmt.Sprintf("#%d", i+1)
	case !skuPattern.MatchString(sku):
		c.fault(at+".sku", sku, "sku", "error.catalog.sku")
	case seen:
		c.fault(at+".sku", sku, "sku", "error.catalog.sku_twice", "Other", j+1)
	default:
		c.skus[sku] = i
	}
	if out.SKUID != "" {
		if j, seen := c.skuIDs[out.SKUID]; seen {
			c.fault(at+".sku_id", sku, "sku_id", "error.catalog.sku_id_twice", "Other", j+1)
		} else if !guidPattern.MatchString(out.SKUID) {
			c.fault(at+".sku_id", sku, "sku_id", "error.catalog.sku_id")
		}
		c.skuIDs[out.SKUID] = i
	}
	out.Name = c.text(at+".name", sku, "name", in.Name, maxName, true)
	out.Description = c.text(at+".description", sku, "description", in.Description, maxDescription, false)
	if in.Trial != nil {
		days, ok := wholeNumber(in.Trial.Days)
		if !ok || days < 1 || days > maxTrialDays {
			c.fault(at+".trial.days", sku, "trial.days", "error.catalog.trial_days", "Max", maxTrialDays)
		}
		out.TrialDays, out.TrialMaxLicenses = int(days), defaultTrialLimit
		if in.Trial.MaxLicenses != nil {
			n, ok := wholeNumber(in.Trial.MaxLicenses)
			if !ok || n < 1 || n > kassa.MaxQuantity {
				c.fault(at+".trial.max_licenses", sku, "trial.max_licenses", "error.catalog.trial_licenses", "Max", kassa.MaxQuantity)
			}
			out.TrialMaxLicenses = int(n)
		}
	}
	out.Prices = c.prices(at+".prices", sku, in.Prices)
	return out
}

// text checks the texts of a field per language: English required when
// required (and whenever any is given), each language one kassa speaks.
func (c *checker) text(at, sku, field string, in map[string]string, max int, required bool) kassa.Text {
	var t kassa.Text
	if len(in) == 0 && !required {
		return t
	}
	for _, lang := range slices.Sorted(maps.Keys(in)) {
		v := strings.TrimSpace(in[lang])
		f := field + "." + lang
		switch {
		case !locale.Valid(lang):
			c.fault(at+"."+lang, sku, f, "error.catalog.language", "Languages", strings.Join(locale.Supported, ", "))
			continue
		case v == "":
			c.fault(at+"."+lang, sku, f, "error.catalog.required", "Field", f)
		case utf8.RuneCountInString(v) > max:
			c.fault(at+"."+lang, sku, f, "error.catalog.too_long", "Field", f, "Max", max)
		}
		switch lang {
		case locale.English:
			t.En = v
		case locale.Swedish:
			t.Sv = v
		case locale.German:
			t.De = v
		}
	}
	if _, ok := in[locale.English]; !ok {
		c.fault(at, sku, field+".en", "error.catalog.required", "Field", field+".en")
	}
	return t
}

// prices checks the prices: at least one, each for a term kassa has, in an
// ISO 4217 currency, an amount of its minor units from 0 up.
func (c *checker) prices(at, sku string, in map[string]map[string]any) []kassa.Price {
	var out []kassa.Price
	if len(in) == 0 {
		c.fault(at, sku, "prices", "error.catalog.no_prices")
		return nil
	}
	for _, term := range slices.Sorted(maps.Keys(in)) {
		if !kassa.Term(term).Valid() {
			c.fault(at+"."+term, sku, "prices."+term, "error.catalog.term")
			continue
		}
		if len(in[term]) == 0 {
			c.fault(at+"."+term, sku, "prices."+term, "error.catalog.no_prices")
		}
		for _, cur := range slices.Sorted(maps.Keys(in[term])) {
			amount, whole := wholeNumber(in[term][cur])
			f := "prices." + term + "." + cur
			switch {
			case !kassa.ValidCurrency(cur) || !locale.KnownCurrency(cur):
				c.fault(at+"."+term+"."+cur, sku, f, "error.catalog.currency")
			case !whole || amount < 0 || amount > maxUnitAmount:
				c.fault(at+"."+term+"."+cur, sku, f, "error.catalog.amount")
			default:
				out = append(out, kassa.Price{Term: kassa.Term(term), Currency: cur, UnitAmount: amount})
			}
		}
	}
	return out
}

// Write writes products as a catalog file that Parse reads back to the same
// products: texts per language, trials, prices, retired and sku_id.
func Write(w io.Writer, products []*kassa.Product) error {
	f := file{Products: make([]product, 0, len(products))}
	for _, p := range products {
		out := product{SKU: p.SKU, Retired: p.Retired, SKUID: p.SKUID,
			Name: texts(p.Name), Description: texts(p.Description), Prices: map[string]map[string]any{}}
		if len(out.Description) == 0 {
			out.Description = nil
		}
		if p.TrialDays > 0 {
			out.Trial = &trial{Days: p.TrialDays, MaxLicenses: p.TrialMaxLicenses}
		}
		for _, pr := range p.Prices {
			if out.Prices[string(pr.Term)] == nil {
				out.Prices[string(pr.Term)] = map[string]any{}
			}
			out.Prices[string(pr.Term)][pr.Currency] = pr.UnitAmount
		}
		f.Products = append(f.Products, out)
	}
	b, err := yaml.MarshalWithOptions(f, yaml.Indent(2), yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return fmt.Errorf("write catalog: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString("# kassa catalog: `kassa catalog apply FILE` reads it back unchanged.\n")
	buf.Write(b)
	_, err = w.Write(buf.Bytes())
	return err
}

// texts is a Text as the file writes it: a language only when it has words.
func texts(t kassa.Text) map[string]string {
	m := map[string]string{}
	for lang, v := range map[string]string{locale.English: t.En, locale.Swedish: t.Sv, locale.German: t.De} {
		if v != "" {
			m[lang] = v
		}
	}
	return m
}
