package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/kassa-billing/kassa"
)

// Spend limits (SPEC §12). A month's spend is summed from the invoices
// created in it that charge a person's billing profile for a purchase,
// added licenses or a renewal, VAT included: paid ones, and pending ones
// whose charge is under way (a charge that fails voids its invoice, and it
// counts no more). Credit notes do not lower it: the ceiling is on what is
// charged. Checking a ceiling takes the tenant's spend_limits row first,
// so the purchases it checks wait for each other and two cannot together
// pass it.

// MaxPersonLimits is the most exceptions a tenant's limits may name.
const MaxPersonLimits = 500

// spendOf is the condition on invoices i of the tenant $1 that they count
// as spend: what the organization's own billing profiles pay is not
// self-service spend.
const spendOf = `i.type = 'invoice' AND i.status IN ('pending', 'paid') AND i.kind IN ('purchase', 'quantity', 'renewal')
	AND i.billing_profile_id NOT IN (SELECT b.id FROM billing_profiles b WHERE b.tenant_id = $1 AND b.organization)`

// spent sums the spend of the tenant, or of one person when personID is
// not "", in the month that holds the transaction's time.
func spent(ctx context.Context, q querier, tenantID, personID string, from, to any) (int64, error) {
	args := []any{tenantID, from, to}
	cond := ""
	if personID != "" {
		args, cond = append(args, personID), ` AND i.owner_id = $4`
	}
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(i.total), 0) FROM invoices i
		WHERE i.tenant_id = $1 AND i.created_at >= $2 AND i.created_at < $3 AND `+spendOf+cond, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sum spend: %w", err)
	}
	return n, nil
}

// checkSpend refuses a charge of amount to personID's billing profile that
// would pass a ceiling of the tenant's (Invalid naming quantity, with
// what is left), and tells the person and the admins when it takes a
// ceiling past kassa.SpendWarnAt percent, once a month. A tenant without
// limits costs one indexed read.
func (tx *Tx) checkSpend(ctx context.Context, tenantID, personID string, amount kassa.Money) error {
	return tx.passSpend(ctx, tenantID, personID, amount, false)
}

// noteSpend tells the person and the admins when a charge of amount that
// counts already (a paid renewal, which is never refused) took a ceiling
// past kassa.SpendWarnAt percent, as checkSpend does for purchases.
func (tx *Tx) noteSpend(ctx context.Context, tenantID, personID string, amount kassa.Money) error {
	return tx.passSpend(ctx, tenantID, personID, amount, true)
}

// passSpend is checkSpend, or with counted noteSpend.
func (tx *Tx) passSpend(ctx context.Context, tenantID, personID string, amount kassa.Money, counted bool) error {
	var org, perPerson sql.NullInt64
	err := tx.QueryRowContext(ctx, `
		UPDATE spend_limits SET checked_at = $2 WHERE tenant_id = $1
		RETURNING organization_monthly, per_person_monthly`, tenantID, tx.now).Scan(&org, &perPerson)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("take spend limits: %w", err)
	}
	var own sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT monthly FROM spend_limit_people WHERE tenant_id = $1 AND user_id = $2`,
		tenantID, personID).Scan(&own)
	if err == nil {
		perPerson = own
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("find spend limit: %w", err)
	}
	from, to := kassa.MonthOf(tx.now)
	type ceiling struct {
		limit  sql.NullInt64
		person string // "" for the organization's
		refuse func(args ...any) error
	}
	ceilings := []ceiling{
		{org, "", func(args ...any) error { return kassa.InvalidE("quantity", "error.spend.organization", args...) }},
		{perPerson, personID, func(args ...any) error { return kassa.InvalidE("quantity", "error.spend.person", args...) }},
	}
	var warn []func() error
	for _, c := range ceilings {
		if !c.limit.Valid {
			continue
		}
		before, err := spent(ctx, tx, tenantID, c.person, from, to)
		if err != nil {
			return err
		}
		after := before + amount.Amount
		if counted {
			before, after = before-amount.Amount, before
		} else if after > c.limit.Int64 {
			return c.refuse("Left", kassa.Money{Amount: max(0, c.limit.Int64-before), Currency: amount.Currency},
				"Limit", kassa.Money{Amount: c.limit.Int64, Currency: amount.Currency})
		}
		if after*100 >= c.limit.Int64*kassa.SpendWarnAt && before*100 < c.limit.Int64*kassa.SpendWarnAt {
			warn = append(warn, func() error {
				return tx.warnSpend(ctx, tenantID, c.person, from.Format("2006-01"),
					kassa.Money{Amount: after, Currency: amount.Currency}, kassa.Money{Amount: c.limit.Int64, Currency: amount.Currency})
			})
		}
	}
	for _, w := range warn {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

// warnSpend tells the admins, and the person for their own ceiling, that a
// ceiling is SpendWarnAt percent spent: once per ceiling and month.
func (tx *Tx) warnSpend(ctx context.Context, tenantID, personID, month string, spent, limit kassa.Money) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO spend_warnings (tenant_id, user_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		tenantID, personID, month)
	if err != nil {
		return fmt.Errorf("record spend warning: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.name, u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.status = 'active' AND (u.role = 'admin' OR u.id = $2)
		ORDER BY u.id`, tenantID, personID)
	if err != nil {
		return fmt.Errorf("find whom to warn: %w", err)
	}
	type recipient struct{ id, name, email, locale string }
	var to []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.name, &r.email, &r.locale); err != nil {
			rows.Close()
			return fmt.Errorf("find whom to warn: %w", err)
		}
		to = append(to, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var person string
	if i := slices.IndexFunc(to, func(r recipient) bool { return r.id == personID }); i >= 0 {
		person = to[i].name
	}
	for _, r := range to {
		n := &kassa.Notification{TenantID: tenantID, Kind: kassa.NotifySpendWarning, RecipientID: r.id, To: r.email,
			Locale: r.locale, Data: kassa.NotificationData{PurchaserName: person, Amount: spent, Ceiling: limit,
				ForPurchaser: personID != "" && r.id == personID}}
		if err := tx.enqueue(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// FindSpendLimits returns the admin's tenant's limits, and this month's
// spend: the organization's and that of each person the limits name.
func (db *DB) FindSpendLimits(ctx context.Context) (*kassa.SpendLimits, *kassa.Spend, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.spend"))
	if err != nil {
		return nil, nil, err
	}
	q := db.reader(ctx)
	currency := a.Tenant.Currency
	money := func(n sql.NullInt64) *kassa.Money {
		if !n.Valid {
			return nil
		}
		return &kassa.Money{Amount: n.Int64, Currency: currency}
	}
	l := &kassa.SpendLimits{}
	var org, per sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT organization_monthly, per_person_monthly FROM spend_limits WHERE tenant_id = $1`,
		a.Tenant.ID).Scan(&org, &per)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("find spend limits: %w", err)
	}
	l.Organization, l.PerPerson = money(org), money(per)
	rows, err := q.QueryContext(ctx, `
		SELECT u.id, u.name, u.email, p.monthly FROM spend_limit_people p JOIN users u ON u.id = p.user_id
		WHERE p.tenant_id = $1 ORDER BY u.name, u.id`, a.Tenant.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("find spend limits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p kassa.PersonLimit
		var n sql.NullInt64
		if err := rows.Scan(&p.UserID, &p.Name, &p.Email, &n); err != nil {
			return nil, nil, fmt.Errorf("find spend limits: %w", err)
		}
		p.Monthly = money(n)
		l.People = append(l.People, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	from, to := kassa.MonthOf(db.clock.Now())
	s := &kassa.Spend{Month: from, People: map[string]kassa.Money{}}
	n, err := spent(ctx, q, a.Tenant.ID, "", from, to)
	if err != nil {
		return nil, nil, err
	}
	s.Organization = kassa.Money{Amount: n, Currency: currency}
	for _, p := range l.People {
		n, err := spent(ctx, q, a.Tenant.ID, p.UserID, from, to)
		if err != nil {
			return nil, nil, err
		}
		s.People[p.UserID] = kassa.Money{Amount: n, Currency: currency}
	}
	return l, s, nil
}

// SetSpendLimits replaces the admin's tenant's limits, in one transaction,
// and records the change in the audit log. Each amount must be in the
// tenant's currency and not below zero, each person an active member of the
// tenant, named once: else Invalid naming the field (people[2].user_id),
// and nothing changes.
func (db *DB) SetSpendLimits(ctx context.Context, l kassa.SpendLimits) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.spend"))
	if err != nil {
		return err
	}
	check := func(field string, m *kassa.Money) error {
		switch {
		case m == nil:
			return nil
		case m.Currency != a.Tenant.Currency:
			return kassa.InvalidE(field, "error.spend.currency", "Field", field, "Currency", a.Tenant.Currency)
		case m.Amount < 0:
			return kassa.InvalidE(field, "error.spend.negative", "Field", field)
		}
		return nil
	}
	if err := check("organization_monthly", l.Organization); err != nil {
		return err
	}
	if err := check("per_person_monthly", l.PerPerson); err != nil {
		return err
	}
	if len(l.People) > MaxPersonLimits {
		return kassa.InvalidE("people", "error.spend.too_many", "Max", MaxPersonLimits)
	}
	seen := map[string]bool{}
	for i, p := range l.People {
		field := fmt.Sprintf("people[%d]", i)
		if err := check(field+".monthly", p.Monthly); err != nil {
			return err
		}
		if seen[p.UserID] {
			return kassa.InvalidE(field+".user_id", "error.spend.twice", "Field", field+".user_id")
		}
		seen[p.UserID] = true
	}
	before, _, err := db.FindSpendLimits(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		for i, p := range l.People {
			var ok bool
			err := tx.QueryRowContext(ctx, `SELECT `+licenseHolder+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`,
				a.Tenant.ID, p.UserID).Scan(&ok)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !ok) {
				field := fmt.Sprintf("people[%d].user_id", i)
				return kassa.InvalidE(field, "error.spend.person_unknown", "Field", field, "User", p.UserID)
			} else if err != nil {
				return fmt.Errorf("find %s: %w", p.UserID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO spend_limits (tenant_id, organization_monthly, per_person_monthly, checked_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET organization_monthly = $2, per_person_monthly = $3`,
			a.Tenant.ID, amount(l.Organization), amount(l.PerPerson), tx.now); err != nil {
			return fmt.Errorf("save spend limits: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM spend_limit_people WHERE tenant_id = $1`, a.Tenant.ID); err != nil {
			return fmt.Errorf("save spend limits: %w", err)
		}
		for _, p := range l.People {
			if _, err := tx.ExecContext(ctx, `INSERT INTO spend_limit_people (tenant_id, user_id, monthly) VALUES ($1, $2, $3)`,
				a.Tenant.ID, p.UserID, amount(p.Monthly)); err != nil {
				return fmt.Errorf("save spend limits: %w", err)
			}
		}
		return tx.audit(ctx, a.Tenant.ID, "spend_limits.updated", "spend_limits", a.Tenant.ID, limitsAudit(before), limitsAudit(&l))
	})
}

// amount is a ceiling as stored: minor units, or NULL for none.
func amount(m *kassa.Money) any {
	if m == nil {
		return nil
	}
	return m.Amount
}

// limitsAudit is how the audit log records limits: amounts in minor units,
// null for none, and each person's.
func limitsAudit(l *kassa.SpendLimits) map[string]any {
	people := map[string]any{}
	for _, p := range l.People {
		people[p.UserID] = amount(p.Monthly)
	}
	return map[string]any{"organization_monthly": amount(l.Organization), "per_person_monthly": amount(l.PerPerson), "people": people}
}
