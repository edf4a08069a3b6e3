package web

import (
	"fmt"
	"net/http"

	"github.com/kassa-billing/kassa"
)

// PurchasePolicyPage is Admin › Purchase policy: a form with each product's
// policy and the default for products added later. Saving sends every row;
// the policy applies to purchases made from then on.
type PurchasePolicyPage struct {
	Layout
	Rows    []PolicyRow
	Default Field
	Notice  string
	// FormError is an error of no one row: a product that left the catalog
	// while the form was open.
	FormError string
}

func (*PurchasePolicyPage) template() string { return "purchase_policy.html" }

// PolicyRow is a product of the form: its name, SKU and policy select.
type PolicyRow struct {
	Name, SKU string
	Policy    Field
}

// policies lists the purchase policies in the order the selects offer them.
var policies = []kassa.PurchasePolicy{kassa.PolicyEnabled, kassa.PolicyTrialsOnly, kassa.PolicyDisabled}

// policyOptions offers the policies, chosen selected. A value that is no
// policy (a tampered form) selects a first choice that asks for one, so
// that the select does not seem to hold a policy nobody chose.
func policyOptions(l *Layout, chosen kassa.PurchasePolicy) []Option {
	var opts []Option
	if !chosen.Valid() {
		opts = append(opts, Option{Value: "", Label: l.T("purchase_policy.choose"), Selected: true})
	}
	for _, pol := range policies {
		opts = append(opts, Option{Value: string(pol), Label: l.T(policyKeys[pol]), Selected: pol == chosen})
	}
	return opts
}

// policyField names the select of a product's policy.
func policyField(productID string) string { return "policy-" + productID }

// policyPage returns the form for set, with the policies chosen: the
// product's by its id, the default by "". A policy not in chosen is set's.
func (s *server) policyPage(r *http.Request, set *kassa.PolicySet, chosen map[string]kassa.PurchasePolicy) *PurchasePolicyPage {
	p := &PurchasePolicyPage{Layout: s.layout(r, msg("nav.purchase_policy"))}
	pick := func(id string, current kassa.PurchasePolicy) kassa.PurchasePolicy {
		if v, ok := chosen[id]; ok {
			return v
		}
		return current
	}
	for _, prod := range set.Products {
		name := prod.Name.In(p.Lang)
		p.Rows = append(p.Rows, PolicyRow{Name: name, SKU: prod.SKU, Policy: Field{
			ID: policyField(prod.ProductID), Name: policyField(prod.ProductID),
			Label:   p.T("purchase_policy.for", "Product", name),
			Options: policyOptions(&p.Layout, pick(prod.ProductID, prod.Policy)),
		}})
	}
	p.Default = Field{ID: "policy-default", Name: "default", Label: p.T("purchase_policy.default"),
		Hint: p.T("purchase_policy.default.hint"), Class: "medium",
		Options: policyOptions(&p.Layout, pick("", set.Default))}
	return p
}

func (s *server) purchasePolicy(w http.ResponseWriter, r *http.Request) error {
	set, err := s.db.FindPurchasePolicies(r.Context())
	if err != nil {
		return err
	}
	p := s.policyPage(r, set, nil)
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// setPurchasePolicy saves every row of the form and the default. Every
// value that is no policy is marked beside its select, and nothing is
// saved; what was chosen in the other rows stays chosen.
func (s *server) setPurchasePolicy(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	set, err := s.db.FindPurchasePolicies(r.Context())
	if err != nil {
		return err
	}
	chosen := map[string]kassa.PurchasePolicy{"": kassa.PurchasePolicy(r.PostForm.Get("default"))}
	update := kassa.PolicySet{Default: chosen[""]}
	for _, prod := range set.Products {
		pol := kassa.PurchasePolicy(r.PostForm.Get(policyField(prod.ProductID)))
		chosen[prod.ProductID] = pol
		update.Products = append(update.Products, kassa.ProductPolicy{ProductID: prod.ProductID, Policy: pol})
	}
	p := s.policyPage(r, set, chosen)
	for i := range p.Rows {
		if !update.Products[i].Policy.Valid() {
			p.Rows[i].Policy.Error = p.T("purchase_policy.error")
		}
	}
	if !update.Default.Valid() {
		p.Default.Error = p.T("purchase_policy.error")
	}
	if p.invalid() {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	_, err = s.db.SetPurchasePolicies(r.Context(), update)
	if kassa.ErrorCode(err) == kassa.Invalid {
		// The rows were checked above: what is left is a product that
		// left the catalog meanwhile, or a rule the page does not know.
		field := kassa.ErrorField(err)
		p.FormError = p.T("purchase_policy.error.form")
		for i := range p.Rows {
			if field == fmt.Sprintf("products[%d].policy", i) {
				p.Rows[i].Policy.Error, p.FormError = p.T("purchase_policy.error"), ""
			}
		}
		if field == "default" {
			p.Default.Error, p.FormError = p.T("purchase_policy.error"), ""
		}
		return s.render(w, http.StatusUnprocessableEntity, p)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, policyPath+"?done=policy_saved")
}

// invalid reports whether a select of the form is at fault, and puts the
// cursor in the first one that is.
func (p *PurchasePolicyPage) invalid() bool {
	fields := []*Field{}
	for i := range p.Rows {
		fields = append(fields, &p.Rows[i].Policy)
	}
	fields = append(fields, &p.Default)
	for _, f := range fields {
		if f.IsInvalid() {
			f.Autofocus = true
			return true
		}
	}
	return false
}
