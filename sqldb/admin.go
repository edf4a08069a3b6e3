package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// adminOf returns the actor of ctx if they administer their tenant, and
// otherwise denied: the Forbidden error saying what only admins may do.
func adminOf(ctx context.Context, denied *kassa.Error) (*kassa.Actor, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if !a.User.IsAdmin() {
		return nil, denied
	}
	return a, nil
}

// The admins' view of self-service purchases is filtered, sorted and paged
// by the database, so that neither a page nor a CSV export holds more than
// a page or a batch of a tenant's subscriptions in memory, however many it
// has. Search and the name orders fold accents as kassa.FoldAccents does:
// foldSQL writes the same folding out as SQL, so that both engines (SQLite
// has no Unicode lower(), and PostgreSQL's depends on the database's
// locale) give what the Go function gives for the letters it folds, and
// compare the folded names byte by byte, as Go compares strings.

// purchasesFrom selects the tenant's self-service purchases ($1: tenant).
const purchasesFrom = subscriptionFrom + `
	WHERE s.tenant_id = $1 AND s.channel = 'self_service' AND s.status <> 'pending'`

// purchaseWhere adds f's conditions to purchasesFrom, with their arguments
// after args.
func purchaseWhere(f kassa.PurchaseFilter, args []any) (string, []any) {
	var where strings.Builder
	if f.PurchaserDisabled != nil {
		if *f.PurchaserDisabled {
			where.WriteString(` AND u.status = 'disabled'`)
		} else {
			where.WriteString(` AND u.status <> 'disabled'`)
		}
	}
	if f.Trial {
		where.WriteString(` AND s.status = 'trialing'`)
	}
	hay := foldSQL(`p.name_en || ' ' || p.name_sv || ' ' || p.name_de || ' ' || u.name || ' ' || u.email`)
	for _, term := range kassa.SearchTerms(kassa.FoldAccents(f.Search)) {
		args = append(args, "%"+likeEscaper.Replace(term)+"%")
		fmt.Fprintf(&where, ` AND %s LIKE $%d ESCAPE '\'`, hay, len(args))
	}
	return where.String(), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// purchaseOrder is f's ORDER BY: its key, then the subscription's id.
func (db *DB) purchaseOrder(f kassa.PurchaseFilter) string {
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	binary := db.binaryOrder()
	key := ""
	switch f.Sort {
	case kassa.SortProduct:
		name := map[string]string{"sv": "p.name_sv", "de": "p.name_de"}[f.Lang]
		if name == "" {
			name = "p.name_en"
		}
		key = foldSQL(name) + binary
	case kassa.SortPurchaser:
		key = foldSQL("u.name") + binary
	case kassa.SortQuantity:
		key = "s.quantity"
	case kassa.SortExpiresAt:
		key = "s.period_end"
	case kassa.SortPurchasePrice:
		key = "s.unit_amount * s.quantity"
	default: // newest first
		if dir == "ASC" {
			dir = "DESC"
		} else {
			dir = "ASC"
		}
		key = "s.created_at"
	}
	// Equal rows go by id in the same direction (kassa.PurchaseFilter), so
	// that the newest-first order is subscriptions_channel's, backwards.
	return ` ORDER BY ` + key + ` ` + dir + `, s.id ` + dir
}

// foldSQL is expr lowercased with the accents kassa.FoldAccents removes
// removed, in SQL both engines run alike.
func foldSQL(expr string) string {
	folded := "lower(" + expr + ")"
	for _, f := range kassa.AccentFoldings() {
		folded = "replace(" + folded + ", '" + f.From + "', '" + f.To + "')"
	}
	return folded
}

// CountAhead is how many rows past a page's start a list's total counts
// (Total): enough for any page a person reads through, and a bound on what
// a page costs. Counting all of 100 000 purchases made each page of the
// admins' view a scan of the tenant's subscriptions, 80–120 ms on
// PostgreSQL, growing with the tenant; a page after the first 10 000 rows
// says "more than".
const CountAhead = 10_000

// Total is how many rows a list's filter selects, counted up to the page's
// offset + CountAhead; when More there are more than N.
type Total struct {
	N    int
	More bool
}

// FindSelfServicePurchases returns the tenant's self-service subscriptions
// that f selects, in f's order, from offset and at most limit of them, each
// with its assigned users, for its admins; and how many f selects in all,
// counted up to offset + CountAhead.
func (db *DB) FindSelfServicePurchases(ctx context.Context, f kassa.PurchaseFilter, offset, limit int) ([]*kassa.SelfServicePurchase, Total, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.self_service"))
	if err != nil {
		return nil, Total{}, err
	}
	q := db.reader(ctx)
	where, args := purchaseWhere(f, []any{a.Tenant.ID})
	selected := `SELECT 1` + purchasesFrom + where
	if where == "" { // the subscriptions alone, from their index
		selected = `SELECT 1 FROM subscriptions s
			WHERE s.tenant_id = $1 AND s.channel = 'self_service' AND s.status <> 'pending'`
	}
	bound := offset + db.countAhead
	var total Total
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+selected+fmt.Sprintf(` LIMIT $%d) c`, len(args)+1),
		append(args, bound+1)...).Scan(&total.N)
	if err != nil {
		return nil, Total{}, fmt.Errorf("count self-service purchases: %w", err)
	}
	if total.N > bound {
		total = Total{N: bound, More: true}
	}
	args = append(args, limit, offset)
	rows, err := q.QueryContext(ctx, `SELECT `+subscriptionColumns+`, u.status = 'disabled'`+purchasesFrom+where+db.purchaseOrder(f)+
		fmt.Sprintf(` LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, Total{}, fmt.Errorf("find self-service purchases: %w", err)
	}
	var out []*kassa.SelfServicePurchase
	for rows.Next() {
		p, err := scanPurchase(rows)
		if err != nil {
			rows.Close()
			return nil, Total{}, fmt.Errorf("find self-service purchases: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, Total{}, fmt.Errorf("find self-service purchases: %w", err)
	}
	return out, total, db.holders(ctx, q, out, ViewHolders)
}

// ViewHolders is how many of a subscription's assigned users a page of the
// admins' view names (the first by name): a page stays small when a
// subscription has thousands; its assigned count says how many in all, and
// the CSV export names every one.
const ViewHolders = 25

// purchaseBatch is how many purchases EachSelfServicePurchase hands over
// at once.
const purchaseBatch = 500

// EachSelfServicePurchase calls fn with every self-service subscription f
// selects, in f's order, a batch at a time, each with its assigned users:
// a CSV export of any size holds one batch. It stops at fn's first error.
func (db *DB) EachSelfServicePurchase(ctx context.Context, f kassa.PurchaseFilter, fn func([]*kassa.SelfServicePurchase) error) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.self_service"))
	if err != nil {
		return err
	}
	q := db.reader(ctx)
	where, args := purchaseWhere(f, []any{a.Tenant.ID})
	rows, err := q.QueryContext(ctx, `SELECT `+subscriptionColumns+`, u.status = 'disabled'`+purchasesFrom+where+db.purchaseOrder(f), args...)
	if err != nil {
		return fmt.Errorf("find self-service purchases: %w", err)
	}
	defer rows.Close()
	batch := make([]*kassa.SelfServicePurchase, 0, purchaseBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := db.holders(ctx, q, batch, 0); err != nil {
			return err
		}
		err := fn(batch)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		p, err := scanPurchase(rows)
		if err != nil {
			return fmt.Errorf("find self-service purchases: %w", err)
		}
		if batch = append(batch, p); len(batch) == purchaseBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find self-service purchases: %w", err)
	}
	return flush()
}

func scanPurchase(r row) (*kassa.SelfServicePurchase, error) {
	var disabled bool
	s, err := scanSubscription(r, &disabled)
	if err != nil {
		return nil, err
	}
	return &kassa.SelfServicePurchase{Subscription: s, AssignedUsers: []kassa.Person{}, PurchaserDisabled: disabled}, nil
}

// WalkHoldersFrom is how many holders a subscription has from which its
// first holders by name are read on their own, from the licenses' index by
// subscription and holder's name (migration 00026), rather than ranked
// with the page's other subscriptions' holders: ranking the 8 000 holders
// of one subscription on a page took most of the page's 100-170 ms on
// SQLite, and ranking 2 200-2 900 took most of its statement time on
// PostgreSQL at 100 000 people (BENCHMARKS.md, "Scale").
const WalkHoldersFrom = 1000

// holders reads the assigned users of the purchases, by name: the first
// most of each, or all when most is 0. A license carries its holder's name
// (holder_name, written with the license and kept by a trigger on
// renames), so no person is read.
func (db *DB) holders(ctx context.Context, q querier, ps []*kassa.SelfServicePurchase, most int) error {
	if most > 0 {
		var ranked []*kassa.SelfServicePurchase
		for _, p := range ps {
			if p.Assigned < db.walkHoldersFrom {
				ranked = append(ranked, p)
				continue
			}
			if err := firstHolders(ctx, q, p, most); err != nil {
				return err
			}
		}
		ps = ranked
	}
	if len(ps) == 0 {
		return nil
	}
	byID := make(map[string]*kassa.SelfServicePurchase, len(ps))
	args := make([]any, 0, len(ps)+1)
	for _, p := range ps {
		byID[p.ID] = p
		args = append(args, p.ID)
	}
	held := `SELECT l.subscription_id, l.user_id AS id, l.holder_name AS name
		FROM licenses l WHERE l.subscription_id IN (` + marks(1, len(ps)) + `)`
	query := held + ` ORDER BY subscription_id, name, id`
	if most > 0 {
		args = append(args, most)
		query = `SELECT subscription_id, id, name FROM (
			SELECT h.subscription_id, h.id, h.name,
				row_number() OVER (PARTITION BY h.subscription_id ORDER BY h.name, h.id) AS n
			FROM (` + held + `) h
		) r WHERE n <= $` + strconv.Itoa(len(args)) + ` ORDER BY subscription_id, name, id`
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("find assigned users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var subID string
		var u kassa.Person
		if err := rows.Scan(&subID, &u.ID, &u.Name); err != nil {
			return fmt.Errorf("find assigned users: %w", err)
		}
		if p := byID[subID]; p != nil {
			p.AssignedUsers = append(p.AssignedUsers, u)
		}
	}
	return rows.Err()
}

// firstHolders reads the first most holders of p by name, from the
// licenses' index by subscription and holder's name (WalkHoldersFrom).
func firstHolders(ctx context.Context, q querier, p *kassa.SelfServicePurchase, most int) error {
	rows, err := q.QueryContext(ctx, `
		SELECT l.user_id, l.holder_name FROM licenses l
		WHERE l.subscription_id = $1
		ORDER BY l.holder_name, l.user_id LIMIT $2`, p.ID, most)
	if err != nil {
		return fmt.Errorf("find assigned users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u kassa.Person
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return fmt.Errorf("find assigned users: %w", err)
		}
		p.AssignedUsers = append(p.AssignedUsers, u)
	}
	return rows.Err()
}

// TakeOver makes one of the tenant's self-service subscriptions
// admin-managed: from then on its purchaser can read it but only the
// tenant's admins change it. The purchaser and the admins are notified in
// the same transaction. Billing carries on as before, on the same billing
// profile.
func (db *DB) TakeOver(ctx context.Context, subID string) (*kassa.Subscription, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.take_over"))
	if err != nil {
		return nil, err
	}
	var sub *kassa.Subscription
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET channel = 'admin', updated_at = $3
			WHERE id = $1 AND tenant_id = $2 AND channel = 'self_service'
				AND status IN ('trialing', 'active', 'past_due', 'suspended')`, subID, a.Tenant.ID, tx.now)
		if err != nil {
			return fmt.Errorf("take over %s: %w", subID, err)
		}
		sub, err = findSubscriptionTx(ctx, tx, subID)
		if err == nil && (sub.TenantID != a.Tenant.ID || sub.Status == kassa.StatusPending) {
			err = kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", subID)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 && sub.Channel == kassa.AdminManaged {
			return kassa.E(kassa.Conflict, "error.take_over.already")
		} else if n == 0 {
			return kassa.E(kassa.Conflict, "error.take_over.status", "Status", sub.Status)
		}
		if err := tx.notify(ctx, kassa.NotifyTakeOver, sub, notificationData(sub, a.User.Name), true); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.taken_over", "subscription", sub.ID,
			map[string]any{"channel": kassa.SelfService}, map[string]any{"channel": kassa.AdminManaged})
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// FindPurchasePolicies returns the admin's tenant's purchase policy: its
// default and every product's policy.
func (db *DB) FindPurchasePolicies(ctx context.Context) (*kassa.PolicySet, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.policy_read"))
	if err != nil {
		return nil, err
	}
	return findPolicies(ctx, db.reader(ctx), a.Tenant.ID)
}

func findPolicies(ctx context.Context, q querier, tenantID string) (*kassa.PolicySet, error) {
	set := &kassa.PolicySet{Products: []kassa.ProductPolicy{}}
	if err := q.QueryRowContext(ctx, `SELECT default_policy FROM tenants WHERE id = $1`, tenantID).
		Scan(&set.Default); err != nil {
		return nil, fmt.Errorf("find default policy: %w", err)
	}
	rows, err := q.QueryContext(ctx, `
		SELECT p.id, p.sku, p.name_en, p.name_sv, p.name_de, COALESCE(pp.policy, $2)
		FROM products p
		LEFT JOIN purchase_policies pp ON pp.tenant_id = $1 AND pp.product_id = p.id
		ORDER BY p.created_at, p.sku`, tenantID, set.Default)
	if err != nil {
		return nil, fmt.Errorf("find policies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p kassa.ProductPolicy
		if err := rows.Scan(&p.ProductID, &p.SKU, &p.Name.En, &p.Name.Sv, &p.Name.De, &p.Policy); err != nil {
			return nil, fmt.Errorf("find policies: %w", err)
		}
		set.Products = append(set.Products, p)
	}
	return set, rows.Err()
}

// SetPurchasePolicies changes the admin's tenant's purchase policy in one
// transaction and returns it: set.Default, when given, becomes the default
// for products added to the catalog later — the products there are now keep
// the policy they have — and each listed product gets its policy. Products
// not listed keep theirs. Policies apply to purchases made from now on;
// subscriptions bought already are not touched. An unknown product or
// policy is Invalid, naming the entry, and changes nothing.
func (db *DB) SetPurchasePolicies(ctx context.Context, set kassa.PolicySet) (*kassa.PolicySet, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.policy_set"))
	if err != nil {
		return nil, err
	}
	if set.Default != "" && !set.Default.Valid() {
		return nil, kassa.InvalidE("default", "error.policy.value", "Field", "default")
	}
	for i, p := range set.Products {
		if !p.Policy.Valid() {
			field := fmt.Sprintf("products[%d].policy", i)
			return nil, kassa.InvalidE(field, "error.policy.value", "Field", field)
		}
	}
	var after *kassa.PolicySet
	err = db.write(ctx, func(tx *Tx) error {
		// Lock the tenant's row first: policy changes then run one at a
		// time, and each one's "before" is what it changed.
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET default_policy = default_policy WHERE id = $1`, a.Tenant.ID); err != nil {
			return fmt.Errorf("lock policies: %w", err)
		}
		before, err := findPolicies(ctx, tx, a.Tenant.ID)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, p := range before.Products {
			known[p.ProductID] = true
		}
		for i, p := range set.Products {
			if !known[p.ProductID] {
				field := fmt.Sprintf("products[%d].product_id", i)
				return kassa.InvalidE(field, "error.policy.product", "Field", field, "Product", strconv.Quote(p.ProductID))
			}
		}
		if set.Default != "" && set.Default != before.Default {
			// Pin the products there are to what they follow now, so that
			// the new default reaches only products added later.
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO purchase_policies (tenant_id, product_id, policy, updated_at)
				SELECT $1, p.id, $2, $3 FROM products p
				WHERE NOT EXISTS (SELECT 1 FROM purchase_policies pp WHERE pp.tenant_id = $1 AND pp.product_id = p.id)`,
				a.Tenant.ID, before.Default, tx.now); err != nil {
				return fmt.Errorf("keep product policies: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET default_policy = $2 WHERE id = $1`,
				a.Tenant.ID, set.Default); err != nil {
				return fmt.Errorf("set default policy: %w", err)
			}
		}
		for _, p := range set.Products {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO purchase_policies (tenant_id, product_id, policy, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (tenant_id, product_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
				a.Tenant.ID, p.ProductID, p.Policy, tx.now); err != nil {
				return fmt.Errorf("set policy of %s: %w", p.ProductID, err)
			}
		}
		if after, err = findPolicies(ctx, tx, a.Tenant.ID); err != nil {
			return err
		}
		b, c := policyDiff(before, after)
		if len(c) == 0 {
			return nil // nothing changed
		}
		return tx.audit(ctx, a.Tenant.ID, "purchase_policy.updated", "purchase_policy", a.Tenant.ID, b, c)
	})
	if err != nil {
		return nil, err
	}
	return after, nil
}

// policyDiff returns what changed between two policies: the default and
// the policies of products by SKU.
func policyDiff(before, after *kassa.PolicySet) (b, a map[string]any) {
	b, a = map[string]any{}, map[string]any{}
	if before.Default != after.Default {
		b["default"], a["default"] = before.Default, after.Default
	}
	old := map[string]kassa.PurchasePolicy{}
	for _, p := range before.Products {
		old[p.ProductID] = p.Policy
	}
	bp, ap := map[string]any{}, map[string]any{}
	for _, p := range after.Products {
		if old[p.ProductID] != p.Policy {
			bp[p.SKU], ap[p.SKU] = old[p.ProductID], p.Policy
		}
	}
	if len(ap) > 0 {
		b["products"], a["products"] = bp, ap
	}
	return b, a
}

// SetPayingProfile makes one of the organization's billing profiles pay for
// an admin-managed subscription of the admin's tenant from its next charge
// on (SPEC §12), in one conditional statement. Errors: Forbidden, NotFound,
// Conflict (self-service: take it over first; or not active or trialing),
// Invalid naming billing_profile_id (not an organization profile of the
// tenant, or in another currency).
func (db *DB) SetPayingProfile(ctx context.Context, subID, profileID string) (*kassa.Subscription, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.paying_profile"))
	if err != nil {
		return nil, err
	}
	var sub *kassa.Subscription
	err = db.write(ctx, func(tx *Tx) error {
		before, err := findSubscriptionTx(ctx, tx, subID)
		if kassa.ErrorCode(err) == kassa.NotFound || err == nil && (before.TenantID != a.Tenant.ID || before.Status == kassa.StatusPending) {
			return kassa.E(kassa.NotFound, "error.subscription.not_found", "ID", subID)
		} else if err != nil {
			return err
		}
		var name, currency string
		err = tx.QueryRowContext(ctx, `SELECT name, currency FROM billing_profiles
			WHERE id = $1 AND tenant_id = $2 AND organization`, profileID, a.Tenant.ID).Scan(&name, &currency)
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.InvalidE("billing_profile_id", "error.paying_profile.unknown")
		} else if err != nil {
			return fmt.Errorf("find billing profile %s: %w", profileID, err)
		}
		if currency != before.UnitPrice.Currency {
			return kassa.InvalidE("billing_profile_id", "error.paying_profile.currency",
				"Currency", before.UnitPrice.Currency)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET billing_profile_id = $3, updated_at = $4
			WHERE id = $1 AND tenant_id = $2 AND channel = 'admin' AND status IN ('trialing', 'active')
				AND NOT cancelling`, subID, a.Tenant.ID, profileID, tx.now)
		if err != nil {
			return fmt.Errorf("set paying profile of %s: %w", subID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 && before.Channel != kassa.AdminManaged {
			return kassa.E(kassa.Conflict, "error.paying_profile.self_service")
		} else if n == 0 {
			return kassa.E(kassa.Conflict, "error.paying_profile.status", "Status", before.Status)
		}
		if sub, err = findSubscriptionTx(ctx, tx, subID); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "subscription.billing_profile_changed", "subscription", subID,
			map[string]any{"billing_profile": before.BillingProfileID},
			map[string]any{"billing_profile": profileID, "billing_profile_name": name})
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}
