package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/billing/products", http.StatusSeeOther)
	return nil
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	return kassa.Errorf(kassa.NotFound, "No such page.")
}

// ProductsPage is Billing › Your products: for now the catalog, with what
// each product costs in the tenant's currency.
type ProductsPage struct {
	Layout
	Currency string
	Products []ProductRow
}

func (*ProductsPage) template() string { return "products.html" }

// ProductRow is a product of the catalog as the products page shows it.
type ProductRow struct {
	Name, Description string
	SKU               string
	Policy            kassa.PurchasePolicy
	PolicyKey         string
	TrialDays         int
	Monthly, Annual   string // formatted; "" when not sold in the currency
}

// policyKeys names each purchase policy for people.
var policyKeys = map[kassa.PurchasePolicy]string{
	kassa.PolicyEnabled:    msg("policy.enabled"),
	kassa.PolicyTrialsOnly: msg("policy.trials_only"),
	kassa.PolicyDisabled:   msg("policy.disabled"),
}

func (s *server) products(w http.ResponseWriter, r *http.Request) error {
	products, err := s.db.FindProducts(r.Context())
	if err != nil {
		return err
	}
	p := &ProductsPage{Layout: s.layout(r, msg("nav.products"))}
	p.Currency = p.Actor.Tenant.Currency
	for _, prod := range products {
		row := ProductRow{
			Name: prod.Name.In(p.Lang), Description: prod.Description.In(p.Lang), SKU: prod.SKU,
			Policy: prod.Policy, PolicyKey: policyKeys[prod.Policy], TrialDays: prod.TrialDays,
		}
		if row.Monthly, err = s.price(p.Lang, prod, kassa.Monthly, p.Currency); err != nil {
			return err
		}
		if row.Annual, err = s.price(p.Lang, prod, kassa.Annual, p.Currency); err != nil {
			return err
		}
		p.Products = append(p.Products, row)
	}
	return s.render(w, http.StatusOK, p)
}

// price formats what one license of prod costs per term, or "" when prod is
// not sold for that term in the currency.
func (s *server) price(lang string, prod *kassa.Product, term kassa.Term, currency string) (string, error) {
	pr, ok := prod.PriceFor(term, currency)
	if !ok {
		return "", nil
	}
	return s.money.format(lang, kassa.Money{Amount: pr.UnitAmount, Currency: pr.Currency})
}

// LicensesPage is Billing › Licenses.
type LicensesPage struct{ Layout }

func (*LicensesPage) template() string { return "licenses.html" }

func (s *server) licenses(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &LicensesPage{s.layout(r, msg("nav.licenses"))})
}

// BillsPage is Billing › Bills & payments on its Invoices tab; the Payment
// methods tab is PaymentMethodsPage.
type BillsPage struct{ Layout }

func (*BillsPage) template() string { return "bills.html" }

func (s *server) bills(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &BillsPage{s.layout(r, msg("nav.bills"))})
}

// SelfServicePage is Admin › Self-service purchases: the admin's read-only
// view of every self-service subscription.
type SelfServicePage struct{ Layout }

func (*SelfServicePage) template() string { return "self_service.html" }

func (s *server) selfService(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &SelfServicePage{s.layout(r, msg("nav.self_service"))})
}

// PurchasePolicyPage is Admin › Purchase policy.
type PurchasePolicyPage struct{ Layout }

func (*PurchasePolicyPage) template() string { return "purchase_policy.html" }

func (s *server) purchasePolicy(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &PurchasePolicyPage{s.layout(r, msg("nav.purchase_policy"))})
}

// HelpPage is Need help?: answers to common questions about self-service
// purchases and how to reach support.
type HelpPage struct {
	Layout
	SupportEmail string
}

func (*HelpPage) template() string { return "help.html" }

func (s *server) help(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &HelpPage{Layout: s.layout(r, msg("nav.help")), SupportEmail: s.supportEmail})
}
