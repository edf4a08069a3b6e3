package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

const profileColumns = `id, tenant_id, owner_id, name, email, address_line1, address_line2, address_city,
	address_postal_code, address_country, currency, po_number, COALESCE(card_id, ''), balance,
	customer_ref, organization, created_at`

func scanProfile(r row) (*kassa.BillingProfile, error) {
	p := &kassa.BillingProfile{}
	a := &p.Address
	err := r.Scan(&p.ID, &p.TenantID, &p.OwnerID, &p.Name, &p.Email, &a.Line1, &a.Line2, &a.City,
		&a.PostalCode, &a.Country, &p.Currency, &p.PONumber, &p.PaymentMethodID, &p.Balance.Amount,
		&p.CustomerRef, &p.Organization, &p.CreatedAt)
	p.Balance.Currency = p.Currency
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// nullable stores "" as NULL, for optional references.
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateBillingProfile stores a validated profile as the actor's (or the
// organization's) and sets its ID, TenantID, OwnerID, Organization and
// CreatedAt. Its payment method, when set, must be one of the actor's (the
// organization's) (else Invalid naming payment_method_id); one card may pay
// for any of its owner's profiles.
func (db *DB) CreateBillingProfile(ctx context.Context, p *kassa.BillingProfile) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkPaymentMethod(ctx, a, p.PaymentMethodID); err != nil {
			return err
		}
		p.ID, p.TenantID, p.OwnerID, p.CreatedAt = newID("bp"), a.Tenant.ID, a.User.ID, tx.now
		p.Organization = forOrganization(a)
		p.Balance = kassa.Money{Currency: p.Currency}
		ad := p.Address
		_, err := tx.ExecContext(ctx, `
			INSERT INTO billing_profiles (id, tenant_id, owner_id, name, email, address_line1, address_line2,
				address_city, address_postal_code, address_country, currency, po_number, card_id,
				balance, customer_ref, organization, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $16, $16)`,
			p.ID, p.TenantID, p.OwnerID, p.Name, p.Email, ad.Line1, ad.Line2, ad.City, ad.PostalCode,
			ad.Country, p.Currency, p.PONumber, nullable(p.PaymentMethodID), p.CustomerRef, p.Organization, p.CreatedAt)
		if err := paymentMethodError(err); err != nil {
			return fmt.Errorf("insert billing profile: %w", err)
		}
		return tx.audit(ctx, a.Tenant.ID, "billing_profile.created", "billing_profile", p.ID, nil, profileState(p))
	})
}

// profileState is what the audit log records of a billing profile.
func profileState(p *kassa.BillingProfile) map[string]any {
	state := map[string]any{
		"name": p.Name, "email": p.Email, "address": p.Address, "po_number": p.PONumber,
		"payment_method": p.PaymentMethodID,
	}
	if p.Organization {
		state["organization"] = true
	}
	return state
}

// checkPaymentMethod checks that id, when set, is one of the actor's payment
// methods; anyone else's answers as one that does not exist.
func (tx *Tx) checkPaymentMethod(ctx context.Context, a *kassa.Actor, id string) error {
	if id == "" {
		return nil
	}
	if _, err := findPaymentMethodTx(ctx, tx, a, id); kassa.ErrorCode(err) == kassa.NotFound {
		return kassa.InvalidE("payment_method_id", "error.profile.payment_method_unknown")
	} else if err != nil {
		return err
	}
	return nil
}

// paymentMethodError maps what the key on card_id says when a write loses
// a race: the card was deleted after it was checked.
func paymentMethodError(err error) error {
	switch classify(err) {
	case errForeignKey:
		return kassa.InvalidE("payment_method_id", "error.profile.payment_method_unknown")
	}
	return err
}

// FindBillingProfiles returns the actor's (or the organization's) billing
// profiles, oldest first.
func (db *DB) FindBillingProfiles(ctx context.Context) ([]*kassa.BillingProfile, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	cond, owner := owned(a)
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT `+profileColumns+` FROM billing_profiles
		WHERE tenant_id = $1 AND `+cond+` ORDER BY created_at, id`, a.Tenant.ID, owner)
	if err != nil {
		return nil, fmt.Errorf("find billing profiles: %w", err)
	}
	defer rows.Close()
	var ps []*kassa.BillingProfile
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return nil, fmt.Errorf("find billing profiles: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// FindBillingProfileByID returns one of the actor's billing profiles;
// anyone else's is NotFound.
func (db *DB) FindBillingProfileByID(ctx context.Context, id string) (*kassa.BillingProfile, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var p *kassa.BillingProfile
	cond, owner := owned(a)
	err = db.readRow(ctx, func(r row) (err error) {
		p, err = scanProfile(r)
		return err
	}, `
		SELECT `+profileColumns+` FROM billing_profiles
		WHERE tenant_id = $1 AND `+cond+` AND id = $3`, a.Tenant.ID, owner, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.profile.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find billing profile %s: %w", id, err)
	}
	return p, nil
}

// FindPayingProfile returns the billing profile id that pays for a
// subscription, or was charged an invoice, the actor read already
// (FindSubscriptionByID, FindInvoiceByID): theirs, the organization's, or
// for an admin the purchaser's. It is any profile of the actor's tenant, so
// its callers name only profiles of what the actor may read.
func (db *DB) FindPayingProfile(ctx context.Context, id string) (*kassa.BillingProfile, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var p *kassa.BillingProfile
	err = db.readRow(ctx, func(r row) (err error) {
		p, err = scanProfile(r)
		return err
	}, `SELECT `+profileColumns+` FROM billing_profiles WHERE tenant_id = $1 AND id = $2`, a.Tenant.ID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.profile.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find billing profile %s: %w", id, err)
	}
	return p, nil
}

// UpdateBillingProfile stores the validated details of one of the actor's
// billing profiles (everything but its balance, which only billing moves).
func (db *DB) UpdateBillingProfile(ctx context.Context, p *kassa.BillingProfile) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkPaymentMethod(ctx, a, p.PaymentMethodID); err != nil {
			return err
		}
		cond, owner := owned(a)
		before, err := scanProfile(tx.QueryRowContext(ctx, `
			SELECT `+profileColumns+` FROM billing_profiles
			WHERE tenant_id = $1 AND `+cond+` AND id = $3`, a.Tenant.ID, owner, p.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return kassa.E(kassa.NotFound, "error.profile.not_found", "ID", p.ID)
		} else if err != nil {
			return fmt.Errorf("find billing profile %s: %w", p.ID, err)
		}
		ad := p.Address
		res, err := tx.ExecContext(ctx, `
			UPDATE billing_profiles SET name = $4, email = $5, address_line1 = $6, address_line2 = $7,
				address_city = $8, address_postal_code = $9, address_country = $10, po_number = $11,
				card_id = $12, updated_at = $13
			WHERE tenant_id = $1 AND `+cond+` AND id = $3`,
			a.Tenant.ID, owner, p.ID, p.Name, p.Email, ad.Line1, ad.Line2, ad.City, ad.PostalCode,
			ad.Country, p.PONumber, nullable(p.PaymentMethodID), tx.now)
		if err := paymentMethodError(err); err != nil {
			return fmt.Errorf("update billing profile %s: %w", p.ID, err)
		}
		if err := mustAffect(res, kassa.E(kassa.NotFound, "error.profile.not_found", "ID", p.ID)); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "billing_profile.updated", "billing_profile", p.ID, profileState(before), profileState(p))
	})
}

// IsOrganizationProfile reports whether the billing profile id is an
// organization's (the system's view).
func (db *DB) IsOrganizationProfile(ctx context.Context, id string) (bool, error) {
	var org bool
	err := db.readRow(ctx, func(r row) error { return r.Scan(&org) },
		`SELECT organization FROM billing_profiles WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("find billing profile %s: %w", id, err)
	}
	return org, nil
}

// ProfileBalance returns a billing profile's credit (the system's view, for
// renewals).
func (db *DB) ProfileBalance(ctx context.Context, id string) (kassa.Money, error) {
	balances, err := db.ProfileBalances(ctx, []string{id})
	if err != nil {
		return kassa.Money{}, err
	}
	m, ok := balances[id]
	if !ok {
		return m, fmt.Errorf("find balance of %s: %w", id, sql.ErrNoRows)
	}
	return m, nil
}

// ProfileBalances returns the credit of each billing profile named, by id
// (the system's view, for renewals).
func (db *DB) ProfileBalances(ctx context.Context, ids []string) (map[string]kassa.Money, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, balance, currency FROM billing_profiles
		WHERE id IN (`+marks(1, len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find balances: %w", err)
	}
	defer rows.Close()
	balances := make(map[string]kassa.Money, len(ids))
	for rows.Next() {
		var id string
		var m kassa.Money
		if err := rows.Scan(&id, &m.Amount, &m.Currency); err != nil {
			return nil, fmt.Errorf("find balances: %w", err)
		}
		balances[id] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find balances: %w", err)
	}
	return balances, nil
}
