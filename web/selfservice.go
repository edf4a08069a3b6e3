package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// The admin's pages.
const (
	selfServicePath = "/admin/self-service"
	policyPath      = "/admin/purchase-policy"
	auditPath       = "/admin/audit-log"
)

// purchasesPerPage is how many rows a page of Self-service purchases shows.
const purchasesPerPage = 50

// SelfServicePage is Admin › Self-service purchases: the admin's read-only
// table of every self-service subscription, with the seed's columns,
// sortable by each (header links), searchable (a GET form) and paged; each
// row leads to the subscription's page and offers to take it over.
type SelfServicePage struct {
	Layout
	Search, Sort, Order string // as the query had them, for the search form
	// Trial: the Self-service trials tab, the free trials alone; Tabs
	// lead to both tabs.
	Trial   bool
	Tabs    []Tab
	Columns []SortColumn
	Rows    []PurchaseRow
	// Total is how many rows match (more than that when More); First and
	// Last number the rows shown.
	Total, First, Last int
	More               bool
	Prev, Next         string // the pages around this one; "" at either end
	CSV                string // the matching rows as CSV, through the API
	Clear              string // the table without the search, when searched
}

func (*SelfServicePage) template() string { return "self_service.html" }

// Tab is a link among a page's tabs.
type Tab struct {
	Label, Href string
	Current     bool
}

// SortColumn is a header of the table: a link that sorts by it, ascending,
// or descending when it is the ascending order already.
type SortColumn struct {
	Label, Href string
	AriaSort    string // "ascending", "descending", or "" when not sorted by it
	Num         bool
}

// Arrow shows the order the column sorts in, "" when it does not.
func (c SortColumn) Arrow() string {
	switch c.AriaSort {
	case "ascending":
		return "↑"
	case "descending":
		return "↓"
	}
	return ""
}

// PurchaseRow is a self-service subscription as the table shows it.
type PurchaseRow struct {
	Href, Product string
	// StatusText names the status when it is not simply active.
	Status     kassa.SubscriptionStatus
	StatusText string
	Purchaser  string
	// PurchaserDisabled says, in words, that the purchaser was disabled:
	// the subscription waits for an admin to take it over.
	PurchaserDisabled string
	// Disputed says, in words, that a card holder disputed a charge of it.
	Disputed string
	Quantity int
	Expires  string
	Price    string   // per term, before VAT: "1 195,00 kr/mån"
	Assigned []string // the first names (sqldb.ViewHolders)
	// AssignedCount is how many hold a license; AssignedMore how many of
	// them Assigned leaves out.
	AssignedCount, AssignedMore int
	TakeOver                    string // the take-over confirmation; "" when it has ended
}

// purchaseColumns are the sortable columns, in kassa.PurchaseSorts' order.
var purchaseColumns = []struct {
	sort, key string
	num       bool
}{
	{kassa.SortProduct, msg("self_service.col.product"), false},
	{kassa.SortPurchaser, msg("self_service.col.purchaser"), false},
	{kassa.SortQuantity, msg("self_service.col.quantity"), true},
	{kassa.SortExpiresAt, msg("self_service.col.expires"), false},
	{kassa.SortPurchasePrice, msg("self_service.col.price"), true},
}

// perTermShortKeys write a price per term: "1 195,00 kr/mån".
var perTermShortKeys = map[kassa.Term]string{
	kassa.Monthly: msg("price.per_month_short"), kassa.Annual: msg("price.per_year_short"),
}

// readPurchaseQuery reads the search, the order and the page number from
// the query; a sort or page the table does not offer is ignored.
func readPurchaseQuery(q url.Values, lang string) (kassa.PurchaseFilter, int) {
	f := kassa.PurchaseFilter{Search: strings.TrimSpace(q.Get("search")), Lang: lang, Trial: q.Get("trial") == "true"}
	if sort := q.Get("sort"); slices.Contains(kassa.PurchaseSorts, sort) {
		f.Sort, f.Desc = sort, q.Get("order") == "desc"
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return f, page
}

// purchaseQuery is the query of the table in f's order, on the page.
func purchaseQuery(f kassa.PurchaseFilter, page int) url.Values {
	v := url.Values{}
	if f.Trial {
		v.Set("trial", "true")
	}
	if f.Search != "" {
		v.Set("search", f.Search)
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
		v.Set("order", order(f.Desc))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

func order(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}

// withQuery is path with the query v, if any.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// takeable reports whether an admin may take sub over: it is self-service
// and has not ended (sqldb.TakeOver decides, this only offers it).
func takeable(sub *kassa.Subscription) bool {
	return sub.Channel == kassa.SelfService && !sub.Status.Ended()
}

func (s *server) selfService(w http.ResponseWriter, r *http.Request) error {
	p := &SelfServicePage{Layout: s.layout(r, msg("nav.self_service"))}
	f, page := readPurchaseQuery(r.URL.Query(), p.Lang)
	p.Search, p.Trial = f.Search, f.Trial
	if f.Trial {
		p.Title = p.T("self_service.trials.title")
	}
	p.Tabs = []Tab{
		{Label: p.T("self_service.tab.purchases"), Href: selfServicePath, Current: !f.Trial},
		{Label: p.T("self_service.tab.trials"), Href: withQuery(selfServicePath, purchaseQuery(kassa.PurchaseFilter{Trial: true}, 1)), Current: f.Trial},
	}
	if f.Search != "" {
		p.Clear = withQuery(selfServicePath, purchaseQuery(kassa.PurchaseFilter{Sort: f.Sort, Desc: f.Desc, Trial: f.Trial}, 1))
	}
	if f.Sort != "" {
		p.Sort, p.Order = f.Sort, order(f.Desc)
	}
	p.Columns = sortColumns(&p.Layout, f)

	rows, total, err := s.db.FindSelfServicePurchases(r.Context(), f, (page-1)*purchasesPerPage, purchasesPerPage)
	if err != nil {
		return err
	}
	p.Total, p.More = total.N, total.More
	pages := max(1, (p.Total+purchasesPerPage-1)/purchasesPerPage)
	if page > pages { // past the last page (rows went away): show the last
		page = pages
		if rows, _, err = s.db.FindSelfServicePurchases(r.Context(), f, (page-1)*purchasesPerPage, purchasesPerPage); err != nil {
			return err
		}
	}
	start := (page - 1) * purchasesPerPage
	if len(rows) > 0 {
		p.First, p.Last = start+1, start+len(rows)
		csv := purchaseQuery(f, 1)
		csv.Set("format", "csv")
		p.CSV = withQuery("/api/v1/admin/self-service-subscriptions", csv)
	}
	if page > 1 {
		p.Prev = withQuery(selfServicePath, purchaseQuery(f, page-1))
	}
	if page < pages {
		p.Next = withQuery(selfServicePath, purchaseQuery(f, page+1))
	}

	money := s.amounts(p.Lang)
	for _, sub := range rows {
		p.Rows = append(p.Rows, purchaseRow(&p.Layout, money, sub))
	}
	if money.err != nil {
		return money.err
	}
	return s.render(w, http.StatusOK, p)
}

// sortColumns are the table's sortable headers for the order f: each sorts
// by its column ascending, or the other way when it sorts by it already,
// keeping the search and going back to the first page.
func sortColumns(l *Layout, f kassa.PurchaseFilter) []SortColumn {
	var cols []SortColumn
	for _, c := range purchaseColumns {
		col := SortColumn{Label: l.T(c.key), Num: c.num}
		by := kassa.PurchaseFilter{Search: f.Search, Sort: c.sort, Trial: f.Trial}
		if f.Sort == c.sort {
			col.AriaSort, by.Desc = "ascending", true
			if f.Desc {
				col.AriaSort, by.Desc = "descending", false
			}
		}
		col.Href = withQuery(selfServicePath, purchaseQuery(by, 1))
		cols = append(cols, col)
	}
	return cols
}

// purchaseRow is p as the table shows it.
func purchaseRow(l *Layout, money *amounts, p *kassa.SelfServicePurchase) PurchaseRow {
	row := PurchaseRow{
		Href: subscriptionsPath + "/" + p.ID, Product: p.ProductName.In(l.Lang), Status: p.Status,
		Purchaser: p.PurchaserName, Quantity: p.Quantity, Expires: formatDate(l, p.ExpiresAt),
		Price: l.T(perTermShortKeys[p.Term], "Price", money.of(p.PurchasePrice())),
	}
	if p.Status != kassa.StatusActive {
		row.StatusText = statusText(l, p.Status)
	}
	if p.PurchaserDisabled {
		row.PurchaserDisabled = l.T("self_service.purchaser_disabled")
	}
	if p.Disputed {
		row.Disputed = l.T("self_service.disputed")
	}
	for _, u := range p.AssignedUsers {
		row.Assigned = append(row.Assigned, u.Name)
	}
	row.AssignedCount = max(p.Assigned, len(row.Assigned))
	row.AssignedMore = row.AssignedCount - len(row.Assigned)
	if takeable(p.Subscription) {
		row.TakeOver = row.Href + "/take-over"
	}
	return row
}
