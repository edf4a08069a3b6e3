package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// purchaseJSON is a row of the admin's read-only view of self-service
// purchases: exactly the seed's columns.
type purchaseJSON struct {
	SubscriptionID string         `json:"subscription_id"`
	Product        productRefJSON `json:"product"`
	Purchaser      userRefJSON    `json:"purchaser"`
	Quantity       int            `json:"quantity"`
	ExpiresAt      time.Time      `json:"expires_at"`
	PurchasePrice  kassa.Money    `json:"purchase_price"`
	AssignedUsers  []kassa.Person `json:"assigned_users"` // the first sqldb.ViewHolders by name
	Assigned       int            `json:"assigned"`
	// PurchaserDisabled: the purchaser was disabled, and the subscription
	// waits for an admin to take it over.
	PurchaserDisabled bool `json:"purchaser_disabled"`
	// Disputed: a card holder disputed a charge of it.
	Disputed bool `json:"disputed"`
}

const (
	defaultPurchaseLimit = 50
	maxPurchaseLimit     = 200
)

// selfServicePurchases lists the tenant's self-service subscriptions for
// its admins: search, sort and order narrow and arrange them; pages of
// limit rows follow next_cursor; format=csv returns every matching row.
func (s *Server) selfServicePurchases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := purchaseFilter(q, requestLang(r))
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return kassa.InvalidE("format", "error.query.format")
	}
	limit, err := queryLimit(q.Get("limit"), defaultPurchaseLimit, maxPurchaseLimit)
	if err != nil {
		return err
	}
	offset, err := queryOffset(q.Get("cursor"))
	if err != nil {
		return err
	}
	if format == "csv" {
		return s.writePurchasesCSV(w, r, f)
	}
	rows, total, err := s.db.FindSelfServicePurchases(r.Context(), f, offset, limit)
	if err != nil {
		return err
	}
	next := ""
	if total.More || offset+len(rows) < total.N {
		next = strconv.Itoa(offset + limit)
	}
	data := make([]purchaseJSON, 0, len(rows))
	for _, p := range rows {
		data = append(data, purchaseJSON{
			SubscriptionID: p.ID, Product: productRefJSON{ID: p.ProductID, Name: p.ProductName.In(f.Lang)},
			Purchaser: userRefJSON{ID: p.PurchaserID, Name: p.PurchaserName, Email: p.PurchaserEmail},
			Quantity:  p.Quantity, ExpiresAt: p.ExpiresAt, PurchasePrice: p.PurchasePrice(), AssignedUsers: p.AssignedUsers,
			Assigned:          max(p.Assigned, len(p.AssignedUsers)),
			PurchaserDisabled: p.PurchaserDisabled, Disputed: p.Disputed,
		})
	}
	writeJSON(w, http.StatusOK, newList(data, next))
	return nil
}

func purchaseFilter(q url.Values, lang string) (kassa.PurchaseFilter, error) {
	f := kassa.PurchaseFilter{Search: q.Get("search"), Sort: q.Get("sort"), Lang: lang}
	if f.Sort != "" && !slices.Contains(kassa.PurchaseSorts, f.Sort) {
		return f, kassa.InvalidE("sort", "error.query.sort", "Sorts", strings.Join(kassa.PurchaseSorts, ", "))
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, kassa.InvalidE("order", "error.query.order")
	}
	if q.Get("purchaser_disabled") != "" {
		v, err := queryBool(q, "purchaser_disabled")
		if err != nil {
			return f, err
		}
		f.PurchaserDisabled = &v
	}
	if q.Get("trial") != "" {
		v, err := queryBool(q, "trial")
		if err != nil {
			return f, err
		}
		f.Trial = v
	}
	return f, nil
}

// writePurchasesCSV writes the view as CSV: one row per subscription, the
// assigned users' names joined by "; ", amounts in major units, a batch at
// a time (sqldb.EachSelfServicePurchase).
func (s *Server) writePurchasesCSV(w http.ResponseWriter, r *http.Request, f kassa.PurchaseFilter) error {
	header := []string{"subscription_id", "product", "purchaser", "purchaser_email", "quantity", "expires_at",
		"purchase_price", "currency", "assigned_users"}
	return s.streamCSV(w, r, "self-service-purchases.csv", header, func(write func([][]string) error) error {
		return s.db.EachSelfServicePurchase(r.Context(), f, func(rows []*kassa.SelfServicePurchase) error {
			records := make([][]string, 0, len(rows))
			for _, p := range rows {
				names := make([]string, 0, len(p.AssignedUsers))
				for _, u := range p.AssignedUsers {
					names = append(names, u.Name)
				}
				price := p.PurchasePrice()
				records = append(records, []string{p.ID, csvSafe(p.ProductName.In(f.Lang)), csvSafe(p.PurchaserName),
					csvSafe(p.PurchaserEmail), strconv.Itoa(p.Quantity), p.ExpiresAt.Format(time.RFC3339), price.Decimal(),
					price.Currency, csvSafe(strings.Join(names, "; "))})
			}
			return write(records)
		})
	})
}

// streamCSV answers a CSV file, filename, of header and the records each
// hands to write, a batch at a time, so that an export of any size holds
// one batch. A failure once rows went out cuts the answer off, so that a
// partial file is never taken for a whole one.
func (s *Server) streamCSV(w http.ResponseWriter, r *http.Request, filename string, header []string,
	each func(write func([][]string) error) error) error {
	var c *csv.Writer
	begin := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		c = csv.NewWriter(w)
		_ = c.Write(header)
	}
	err := each(func(records [][]string) error {
		if c == nil {
			begin()
		}
		for _, rec := range records {
			_ = c.Write(rec)
		}
		c.Flush()
		return c.Error()
	})
	switch {
	case err != nil && c != nil:
		s.log.ErrorContext(r.Context(), "CSV export cut off", "err", err)
		panic(http.ErrAbortHandler)
	case err != nil:
		return err
	case c == nil: // no rows: the header alone
		begin()
	}
	c.Flush()
	return c.Error()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type policiesJSON struct {
	Default  kassa.PurchasePolicy `json:"default"`
	Products []productPolicyJSON  `json:"products"`
}

type productPolicyJSON struct {
	ProductID string               `json:"product_id"`
	SKU       string               `json:"sku"`
	Name      string               `json:"name"`
	Policy    kassa.PurchasePolicy `json:"policy"`
}

func newPoliciesJSON(set *kassa.PolicySet, lang string) policiesJSON {
	j := policiesJSON{Default: set.Default, Products: []productPolicyJSON{}}
	for _, p := range set.Products {
		j.Products = append(j.Products, productPolicyJSON{ProductID: p.ProductID, SKU: p.SKU, Name: p.Name.In(lang), Policy: p.Policy})
	}
	return j
}

func (s *Server) purchasePolicies(w http.ResponseWriter, r *http.Request) error {
	set, err := s.db.FindPurchasePolicies(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPoliciesJSON(set, requestLang(r)))
	return nil
}

// setPurchasePolicies changes the default and the listed products'
// policies; products not listed keep theirs.
func (s *Server) setPurchasePolicies(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Default  kassa.PurchasePolicy `json:"default"`
		Products []struct {
			ProductID string               `json:"product_id"`
			Policy    kassa.PurchasePolicy `json:"policy"`
		} `json:"products"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	set := kassa.PolicySet{Default: req.Default}
	for _, p := range req.Products {
		set.Products = append(set.Products, kassa.ProductPolicy{ProductID: p.ProductID, Policy: p.Policy})
	}
	after, err := s.db.SetPurchasePolicies(r.Context(), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPoliciesJSON(after, requestLang(r)))
	return nil
}

func (s *Server) takeOver(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.db.TakeOver(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}

// updateAdminSubscription switches an admin-managed subscription to one of
// the organization's billing profiles (SPEC §12).
func (s *Server) updateAdminSubscription(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		BillingProfileID *string `json:"billing_profile_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.BillingProfileID == nil {
		return kassa.InvalidE("billing_profile_id", "error.paying_profile.unknown")
	}
	sub, err := s.db.SetPayingProfile(r.Context(), r.PathValue("id"), *req.BillingProfileID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionJSON(sub, requestLang(r)))
	return nil
}

type auditEventJSON struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    *kassa.Person   `json:"actor"` // null when kassa itself acted
	Action   string          `json:"action"`
	Object   auditObjectJSON `json:"object"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

type auditObjectJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

const (
	defaultAuditLimit = 50
	maxAuditLimit     = 500
)

// auditLog lists the tenant's audit events, newest first, filtered by
// actor_id, action (exact, or a prefix ending in "."), object_type,
// object_id, and from/to (RFC 3339 or YYYY-MM-DD; to is exclusive).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := kassa.AuditFilter{ActorID: q.Get("actor_id"), Action: q.Get("action"), ObjectType: q.Get("object_type"),
		ObjectID: q.Get("object_id")}
	for _, name := range []string{"actor_id", "action", "object_type", "object_id"} {
		if err := queryText(q.Get(name), name); err != nil {
			return err
		}
	}
	var err error
	if f.From, err = queryTime(q.Get("from"), "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(q.Get("to"), "to"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(q.Get("limit"), defaultAuditLimit, maxAuditLimit); err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		if f.BeforeSeq, err = strconv.ParseInt(c, 10, 64); err != nil || f.BeforeSeq < 1 {
			return kassa.InvalidE("cursor", "error.query.cursor")
		}
	}
	limit := f.Limit
	f.Limit++ // one more says whether there is a next page
	events, err := s.db.FindAuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		next = strconv.FormatInt(events[limit-1].Seq, 10)
	}
	data := make([]auditEventJSON, 0, len(events))
	for _, e := range events {
		j := auditEventJSON{Seq: e.Seq, At: e.At, Action: e.Action, Object: auditObjectJSON{Type: e.ObjectType, ID: e.ObjectID},
			Before: e.Before, After: e.After, PrevHash: e.PrevHash, Hash: e.Hash}
		if e.ActorID != "" {
			j.Actor = &kassa.Person{ID: e.ActorID, Name: e.ActorName}
		}
		data = append(data, j)
	}
	writeJSON(w, http.StatusOK, newList(data, next))
	return nil
}

// queryText checks a query parameter storage compares: text in UTF-8
// without U+0000, which PostgreSQL cannot compare.
func queryText(s, field string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return kassa.InvalidE(field, "error.query.text", "Field", field)
	}
	return nil
}

// queryTime parses a time query parameter: RFC 3339, or a date meaning its
// start in UTC; "" is the zero time.
func queryTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	// A time whose UTC falls outside the years 0000–9999 (by its offset)
	// cannot be written back in RFC 3339, nor compared by storage.
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.UTC().Year() >= 0 && t.UTC().Year() <= 9999 {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, kassa.InvalidE(field, "error.query.time", "Field", field)
}
