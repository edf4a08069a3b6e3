package web

import (
	"net/http"
	"net/url"

	"github.com/kassa-billing/kassa"
)

// productsPath is Billing › Your products; each subscription has its page
// under subscriptionsPath.
const (
	productsPath      = "/billing/products"
	subscriptionsPath = productsPath + "/subscriptions"
)

// ProductsPage is Billing › Your products on its Products tab: the
// subscriptions the user sees (their own; an admin, the tenant's), narrowed
// by the filter, and the catalog with where to buy each product.
type ProductsPage struct {
	Layout
	Filter        SubscriptionFilter
	Subscriptions []SubscriptionRow
	// ShowPurchaser adds who bought each subscription: admins see everyone's.
	ShowPurchaser bool
	Currency      string
	Products      []ProductRow
	Notice        string
	Pager         Pager
}

func (*ProductsPage) template() string { return "products.html" }

// SubscriptionFilter is the Filter menu of the Products tab: a GET form of
// two radio groups, each with "All" first.
type SubscriptionFilter struct {
	Channels, Statuses []Option
	// Active names the choices that narrow the list, shown beside the menu
	// (which opens over the list, so it starts closed).
	Active []string
}

// Set reports whether a filter narrows the list, so that an empty list
// says why.
func (f SubscriptionFilter) Set() bool { return len(f.Active) > 0 }

// SubscriptionRow is a subscription as the Products tab lists it.
type SubscriptionRow struct {
	Href, Product   string
	Licenses        string // "2 of 5 assigned"
	Status          kassa.SubscriptionStatus
	StatusText      string
	CancelAtTermEnd bool
	Expires         string
	Price           string // "239,00 kr per licens/månad"
	Channel         string
	Purchaser       string
	Actions         []Action // the More actions menu; empty when it has none
}

// Action is an entry of a More actions menu.
type Action struct{ Href, Label string }

// ProductRow is a product of the catalog as the products page shows it.
type ProductRow struct {
	Name, Description string
	SKU               string
	Policy            kassa.PurchasePolicy
	PolicyKey         string
	TrialDays         int
	Monthly, Annual   string // formatted; "" when not sold in the currency
	// Buy is where to buy the product, or start its free trial; nil where
	// the policy or the user's type does not allow it. Request is where to
	// ask the admins for licenses instead (requests.go).
	Buy, Request *Action
}

// policyKeys names each purchase policy for people.
var policyKeys = map[kassa.PurchasePolicy]string{
	kassa.PolicyEnabled:    msg("policy.enabled"),
	kassa.PolicyTrialsOnly: msg("policy.trials_only"),
	kassa.PolicyDisabled:   msg("policy.disabled"),
}

// statusKeys name the statuses a subscription is listed in, in the order
// the filter offers them.
var statusKeys = []struct {
	status kassa.SubscriptionStatus
	key    string
}{
	{kassa.StatusActive, msg("status.active")},
	{kassa.StatusTrialing, msg("status.trialing")},
	{kassa.StatusPastDue, msg("status.past_due")},
	{kassa.StatusSuspended, msg("status.suspended")},
	{kassa.StatusCanceled, msg("status.canceled")},
	{kassa.StatusExpired, msg("status.expired")},
}

func statusText(l *Layout, s kassa.SubscriptionStatus) string {
	for _, k := range statusKeys {
		if k.status == s {
			return l.T(k.key)
		}
	}
	return string(s)
}

// channelKeys name who manages a subscription.
var channelKeys = map[kassa.Channel]string{
	kassa.SelfService:  msg("channel.self_service"),
	kassa.AdminManaged: msg("channel.admin"),
}

// termKeys name the terms; perTermKeys write a price per license and term.
var (
	termKeys    = map[kassa.Term]string{kassa.Monthly: msg("term.monthly"), kassa.Annual: msg("term.annual")}
	perTermKeys = map[kassa.Term]string{kassa.Monthly: msg("price.per_month"), kassa.Annual: msg("price.per_year")}
)

// readSubscriptionFilter reads the filter from the query; a value the menu
// does not offer selects all.
func readSubscriptionFilter(l *Layout, q url.Values) (kassa.SubscriptionFilter, SubscriptionFilter) {
	var f kassa.SubscriptionFilter
	if c := kassa.Channel(q.Get("channel")); c.Valid() {
		f.Channel = &c
	}
	if s := kassa.SubscriptionStatus(q.Get("status")); s.Valid() {
		f.Status = &s
	}
	var form SubscriptionFilter
	form.Channels = []Option{{Value: "", Label: l.T("filter.all"), Selected: f.Channel == nil}}
	for _, c := range []kassa.Channel{kassa.SelfService, kassa.AdminManaged} {
		form.Channels = append(form.Channels, Option{Value: string(c), Label: l.T(channelKeys[c]),
			Selected: f.Channel != nil && *f.Channel == c})
	}
	form.Statuses = []Option{{Value: "", Label: l.T("filter.all"), Selected: f.Status == nil}}
	for _, k := range statusKeys {
		form.Statuses = append(form.Statuses, Option{Value: string(k.status), Label: l.T(k.key),
			Selected: f.Status != nil && *f.Status == k.status})
	}
	for _, group := range [][]Option{form.Channels, form.Statuses} {
		for _, o := range group[1:] {
			if o.Selected {
				form.Active = append(form.Active, o.Label)
			}
		}
	}
	return f, form
}

func (s *server) products(w http.ResponseWriter, r *http.Request) error {
	p := &ProductsPage{Layout: s.layout(r, msg("nav.products"))}
	p.Notice = notice(&p.Layout, r)
	p.Currency = p.Actor.Tenant.Currency
	p.ShowPurchaser = p.Actor.User.IsAdmin()
	filter, form := readSubscriptionFilter(&p.Layout, r.URL.Query())
	p.Filter = form
	keep := url.Values{}
	if filter.Channel != nil {
		keep.Set("channel", string(*filter.Channel))
	}
	if filter.Status != nil {
		keep.Set("status", string(*filter.Status))
	}
	subs, pager, err := s.pageOfSubscriptions(r.Context(), productsPath, r.URL.Query(), keep, filter)
	if err != nil {
		return err
	}
	p.Pager = pager
	money := s.amounts(p.Lang)
	for _, sub := range subs {
		p.Subscriptions = append(p.Subscriptions, subscriptionRow(&p.Layout, money, sub))
	}
	products, err := s.db.FindProducts(r.Context())
	if err != nil {
		return err
	}
	for _, prod := range products {
		if prod.Retired {
			continue // it can't be bought; what was bought of it is listed above
		}
		row := ProductRow{
			Name: prod.Name.In(p.Lang), Description: prod.Description.In(p.Lang), SKU: prod.SKU,
			Policy: prod.Policy, PolicyKey: policyKeys[prod.Policy], TrialDays: prod.TrialDays,
			Monthly: money.price(prod, kassa.Monthly, p.Currency), Annual: money.price(prod, kassa.Annual, p.Currency),
		}
		row.Buy, row.Request = buyAction(&p.Layout, prod), requestAction(&p.Layout, prod)
		p.Products = append(p.Products, row)
	}
	if money.err != nil {
		return money.err
	}
	return s.render(w, http.StatusOK, p)
}

// buyAction is the catalog's link to buy prod, or to start its free trial
// where the policy allows only that; nil where the user may do neither.
func buyAction(l *Layout, prod *kassa.Product) *Action {
	href := productsPath + "/" + prod.ID + "/buy"
	switch {
	case !l.Actor.User.CanBuy():
		return nil
	case prod.Policy == kassa.PolicyEnabled:
		return &Action{Href: href, Label: l.T("products.buy")}
	case prod.Policy == kassa.PolicyTrialsOnly && prod.TrialDays > 0:
		return &Action{Href: href + "?trial=1", Label: l.T("products.start_trial")}
	}
	return nil
}

// subscriptionRow is sub as the Products tab lists it, with the changes
// the reader may make to it in its More actions menu.
func subscriptionRow(l *Layout, money *amounts, sub *kassa.Subscription) SubscriptionRow {
	href := subscriptionsPath + "/" + sub.ID
	row := SubscriptionRow{
		Href: href, Product: sub.ProductName.In(l.Lang),
		Licenses: l.T("subscription.licenses_assigned", "Assigned", sub.Assigned, "Total", sub.Quantity),
		Status:   sub.Status, StatusText: statusText(l, sub.Status), CancelAtTermEnd: sub.CancelAtTermEnd,
		Expires: formatDate(l, sub.ExpiresAt), Price: l.T(perTermKeys[sub.Term], "Price", money.of(sub.UnitPrice)),
		Channel: l.T(channelKeys[sub.Channel]), Purchaser: sub.PurchaserName,
	}
	if !sub.CanManage(l.Actor) {
		return row
	}
	if changeable(sub) {
		row.Actions = append(row.Actions,
			Action{Href: href + "/licenses?change=buy", Label: l.T("subscription.buy_licenses")},
			Action{Href: href + "/licenses?change=remove", Label: l.T("subscription.remove_licenses")})
	}
	if cancelable(sub) {
		row.Actions = append(row.Actions, Action{Href: href + "/cancel", Label: l.T("subscription.cancel")})
	}
	return row
}

// changeable reports whether sub's licenses may be bought or removed: those
// of an active subscription or a free trial.
func changeable(sub *kassa.Subscription) bool {
	return sub.Status == kassa.StatusActive || sub.Status == kassa.StatusTrialing
}

// cancelable reports whether sub may be cancelled: it is running and not
// already ending with its term.
func cancelable(sub *kassa.Subscription) bool {
	return sub.Status.Live() && !sub.CancelAtTermEnd
}
