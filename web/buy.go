package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// BuyPage buys a product in two steps at one address: the form, then the
// review of what it costs (subtotal, VAT, total) with the Buy button. The
// review carries the form's values in hidden inputs; Change goes back to the
// form with them. Where the policy does not allow buying, Blocked says so
// instead of the form.
type BuyPage struct {
	Layout
	Action      string
	Product     string
	Description string
	Form        *BuyForm
	Review      *BuyReview
	Blocked     string
	NoProfiles  bool // the user must add a billing profile first
}

func (*BuyPage) template() string { return "buy.html" }

// formActions lets a purchase lead to the bank's page.
func (*BuyPage) formActions() string { return processorPages }

// BuyReview is what a purchase costs, for the review step.
type BuyReview struct {
	Key, Term, Quantity, ProfileID string
	Trial                          bool

	TermText, ProfileText, Licenses string
	UnitPrice, Subtotal, VATLabel   string
	VAT, Total, Credit, Due         string
	Renews                          string // the day the term ends and renews
	TrialEnds, AfterTrial           string
}

// buyPage loads the page of the product r names and what its form offers.
func (s *server) buyPage(r *http.Request) (*BuyPage, *buyContext, error) {
	if r.PathValue("action") != "buy" {
		return nil, nil, kassa.E(kassa.NotFound, "error.page.not_found")
	}
	prod, err := s.db.FindProductByID(r.Context(), r.PathValue("productID"))
	if err != nil {
		return nil, nil, err
	}
	profiles, err := s.db.FindBillingProfiles(r.Context())
	if err != nil {
		return nil, nil, err
	}
	cards, err := s.db.FindPaymentMethods(r.Context())
	if err != nil {
		return nil, nil, err
	}
	// The title names the product: the layout's is replaced.
	p := &BuyPage{Layout: s.layout(r, msg("nav.products")), Action: r.URL.Path}
	p.Product, p.Description = prod.Name.In(p.Lang), prod.Description.In(p.Lang)
	p.Title = p.T("buy.title", "Product", p.Product)
	c := &buyContext{product: prod, currency: p.Actor.Tenant.Currency, profiles: profiles,
		cards: map[string]*kassa.PaymentMethod{}}
	for _, m := range cards {
		c.cards[m.ID] = m
	}
	switch {
	case prod.Retired, prod.Policy == kassa.PolicyDisabled, prod.Policy == kassa.PolicyTrialsOnly && prod.TrialDays == 0:
		p.Blocked = p.T("buy.blocked", "Product", p.Product)
	case len(profiles) == 0:
		p.NoProfiles = true
	}
	return p, c, nil
}

// showBuyForm renders the form of p filled in with in, at status.
func (s *server) showBuyForm(w http.ResponseWriter, p *BuyPage, c *buyContext, in buyInput, status int) error {
	money := s.amounts(p.Lang)
	p.Form = newBuyForm(&p.Layout, c, money, in)
	if money.err != nil {
		return money.err
	}
	return s.render(w, status, p)
}

func (s *server) buyForm(w http.ResponseWriter, r *http.Request) error {
	p, c, err := s.buyPage(r)
	if err != nil {
		return err
	}
	if p.Blocked != "" {
		return s.render(w, http.StatusForbidden, p)
	}
	in := buyInput{term: kassa.Monthly, quantity: "1", trial: r.URL.Query().Get("trial") != ""}
	if len(c.profiles) == 1 {
		in.profileID = c.profiles[0].ID
	}
	if _, ok := c.product.PriceFor(in.term, c.currency); !ok {
		in.term = kassa.Annual
	}
	return s.showBuyForm(w, p, c, in, http.StatusOK)
}

// buy answers both steps: Review (step=review) checks the form and shows
// the price; Buy (step=buy) buys; Change (step=edit) shows the form again.
func (s *server) buy(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, c, err := s.buyPage(r)
	if err != nil {
		return err
	}
	if p.Blocked != "" {
		return s.render(w, http.StatusForbidden, p)
	}
	in := readBuyInput(r.PostForm)
	step := r.PostForm.Get("step")
	if step == "edit" {
		return s.showBuyForm(w, p, c, in, http.StatusOK)
	}
	money := s.amounts(p.Lang)
	p.Form = newBuyForm(&p.Layout, c, money, in)
	term, quantity, bp, ok := p.Form.check(&p.Layout, c, in)
	if money.err != nil {
		return money.err
	} else if !ok {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	trial := in.trial || c.trialOnly()
	if step != "buy" {
		if p.Review, err = s.review(&p.Layout, c, p.Form.Key, term, quantity, bp, trial); err != nil {
			return err
		}
		p.Form = nil
		return s.render(w, http.StatusOK, p)
	}
	sub, inv, err := s.billing.Purchase(billing.Present(r.Context(), s.base(r)), billing.PurchaseRequest{ProductID: c.product.ID, Term: term,
		Quantity: quantity, BillingProfileID: bp.ID, Trial: trial}, requestKey(p.Actor, in.key))
	if err == nil && inv != nil && inv.Status == kassa.InvoicePending && inv.ActionURL != "" {
		return seeOther(w, r, inv.ActionURL) // the bank wants the person first
	}
	if err == nil {
		done := "purchased"
		if trial {
			done = "trial_started"
		}
		return seeOther(w, r, subscriptionsPath+"/"+sub.ID+"?done="+done)
	}
	return s.buyFailed(w, p, c, in, err)
}

// buyFailed shows why the service refused a purchase: on the form, beside
// the field at fault, or instead of it when the policy forbids it.
func (s *server) buyFailed(w http.ResponseWriter, p *BuyPage, c *buyContext, in buyInput, err error) error {
	switch kassa.ErrorCode(err) {
	case kassa.Forbidden:
		p.Blocked = p.T("buy.blocked", "Product", p.Product)
		return s.render(w, http.StatusForbidden, p)
	case kassa.PaymentFailed:
		// The key is spent on the declined attempt: another gets a new one.
		in.key = ""
	}
	money := s.amounts(p.Lang)
	p.Form = newBuyForm(&p.Layout, c, money, in)
	if !p.Form.showError(&p.Layout, err) {
		return err
	}
	status := http.StatusUnprocessableEntity
	switch kassa.ErrorCode(err) {
	case kassa.PaymentFailed:
		status = http.StatusPaymentRequired
	case kassa.Unavailable:
		status = http.StatusServiceUnavailable // the same key finishes it
	}
	return s.render(w, status, p)
}

// review prices the purchase as billing does: the licenses for one term,
// VAT at the tenant's rate as a line of its own, the billing profile's
// credit used first.
func (s *server) review(l *Layout, c *buyContext, key string, term kassa.Term, quantity int,
	bp *kassa.BillingProfile, trial bool) (*BuyReview, error) {
	price, _ := c.product.PriceFor(term, c.currency)
	unit := kassa.Money{Amount: price.UnitAmount, Currency: price.Currency}
	inv := &kassa.Invoice{Lines: []kassa.InvoiceLine{{Quantity: quantity, UnitPrice: unit,
		Amount: kassa.Money{Amount: unit.Amount * int64(quantity), Currency: unit.Currency}}}}
	if err := inv.Sum(unit.Currency, kassa.VATRate(l.Actor.Tenant.Country)); err != nil {
		return nil, err
	}
	inv.ApplyBalance(bp.Balance)
	money := s.amounts(l.Lang)
	now := s.db.Now()
	v := &BuyReview{
		Key: key, Term: string(term), Quantity: strconv.Itoa(quantity), ProfileID: bp.ID, Trial: trial,
		TermText: l.T(termKeys[term]), ProfileText: bp.Name,
		Licenses:  l.T("buy.licenses", "Count", quantity),
		UnitPrice: l.T(perTermKeys[term], "Price", money.of(unit)),
		Subtotal:  money.of(inv.Subtotal), VATLabel: vatLabel(l, inv.TaxRate), VAT: money.of(inv.Tax),
		Total: money.of(inv.Total), Due: money.of(inv.AmountDue()),
		Renews: formatDate(l, kassa.AddTerms(now, term, 1)),
	}
	if inv.BalanceApplied.Amount > 0 {
		v.Credit = money.of(kassa.Money{Amount: -inv.BalanceApplied.Amount, Currency: inv.BalanceApplied.Currency})
	}
	if m, ok := c.cards[bp.PaymentMethodID]; ok {
		v.ProfileText += " · " + cardLabel(l, m.Brand, m.Last4)
	}
	if trial {
		v.TrialEnds = formatDate(l, now.Add(kassa.TrialDays*24*time.Hour))
		v.AfterTrial = l.T("buy.after_trial", "Total", v.Total, "Term", l.T(termKeys[term]))
	}
	return v, money.err
}
