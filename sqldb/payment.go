package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kassa-billing/kassa"
)

// Payment methods and billing profiles belong to the user who made them,
// or, made by an admin acting for the organization (kassa.ForOrganization),
// to the organization: every query here is scoped to the actor's tenant and
// to the actor's own or the organization's, by owned.

// forOrganization reports whether a keeps the organization's payment
// details: an admin acting for it.
func forOrganization(a *kassa.Actor) bool { return a.ForOrganization && a.User.IsAdmin() }

// owned is the condition on a payment method's or billing profile's owner
// for a, with the value of its parameter $2: the actor's own, or the
// organization's while an admin acts for it.
func owned(a *kassa.Actor) (cond string, arg any) {
	if forOrganization(a) {
		return "organization AND tenant_id = $2", a.Tenant.ID
	}
	return "owner_id = $2 AND NOT organization", a.User.ID
}

const paymentMethodColumns = `id, tenant_id, owner_id, gateway_ref, customer_ref, organization, brand, last4, exp_month,
	exp_year, name, address_line1, address_line2, address_city, address_postal_code, address_country, created_at`

func scanPaymentMethod(r row) (*kassa.PaymentMethod, error) {
	m := &kassa.PaymentMethod{}
	a := &m.Address
	err := r.Scan(&m.ID, &m.TenantID, &m.OwnerID, &m.GatewayRef, &m.CustomerRef, &m.Organization, &m.Brand, &m.Last4, &m.ExpMonth, &m.ExpYear,
		&m.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.Country, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// CreatePaymentMethod stores a card the gateway saved as the actor's (or
// the organization's) and sets its ID, TenantID, OwnerID, Organization and
// CreatedAt.
func (db *DB) CreatePaymentMethod(ctx context.Context, m *kassa.PaymentMethod) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		m.ID, m.TenantID, m.OwnerID, m.CreatedAt = newID("pm"), a.Tenant.ID, a.User.ID, tx.now
		m.Organization = forOrganization(a)
		return tx.insertPaymentMethod(ctx, m)
	})
}

// insertPaymentMethod stores a card and logs it.
func (tx *Tx) insertPaymentMethod(ctx context.Context, m *kassa.PaymentMethod) error {
	ad := m.Address
	_, err := tx.ExecContext(ctx, `
		INSERT INTO payment_methods (id, tenant_id, owner_id, gateway_ref, customer_ref, organization, brand, last4,
			exp_month, exp_year, name, address_line1, address_line2, address_city, address_postal_code, address_country,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)`,
		m.ID, m.TenantID, m.OwnerID, m.GatewayRef, m.CustomerRef, m.Organization, m.Brand, m.Last4, m.ExpMonth,
		m.ExpYear, m.Name, ad.Line1, ad.Line2, ad.City, ad.PostalCode, ad.Country, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert payment method: %w", err)
	}
	return tx.audit(ctx, m.TenantID, "payment_method.added", "payment_method", m.ID, nil, cardState(m))
}

// cardState is what the audit log records of a card: never its number or
// security code, which kassa does not have.
func cardState(m *kassa.PaymentMethod) map[string]any {
	state := map[string]any{
		"brand": m.Brand, "last4": m.Last4, "exp_month": m.ExpMonth, "exp_year": m.ExpYear,
		"name": m.Name, "address": m.Address,
	}
	if m.Organization {
		state["organization"] = true
	}
	return state
}

// FindPaymentMethods returns the actor's payment methods, oldest first.
func (db *DB) FindPaymentMethods(ctx context.Context) ([]*kassa.PaymentMethod, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	cond, owner := owned(a)
	rows, err := db.reader(ctx).QueryContext(ctx, `
		SELECT `+paymentMethodColumns+` FROM payment_methods
		WHERE tenant_id = $1 AND `+cond+` ORDER BY created_at, id`, a.Tenant.ID, owner)
	if err != nil {
		return nil, fmt.Errorf("find payment methods: %w", err)
	}
	defer rows.Close()
	var ms []*kassa.PaymentMethod
	for rows.Next() {
		m, err := scanPaymentMethod(rows)
		if err != nil {
			return nil, fmt.Errorf("find payment methods: %w", err)
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// FindPaymentMethodByID returns one of the actor's payment methods; anyone
// else's is NotFound.
func (db *DB) FindPaymentMethodByID(ctx context.Context, id string) (*kassa.PaymentMethod, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return findPaymentMethodTx(ctx, db.reader(ctx), a, id)
}

// UpdatePaymentMethod stores the changed details of one of the actor's
// payment methods, as already validated by the caller.
func (db *DB) UpdatePaymentMethod(ctx context.Context, m *kassa.PaymentMethod) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		before, err := findPaymentMethodTx(ctx, tx, a, m.ID)
		if err != nil {
			return err
		}
		ad := m.Address
		cond, owner := owned(a)
		res, err := tx.ExecContext(ctx, `
			UPDATE payment_methods SET exp_month = $4, exp_year = $5, name = $6, address_line1 = $7,
				address_line2 = $8, address_city = $9, address_postal_code = $10, address_country = $11, updated_at = $12
			WHERE tenant_id = $1 AND `+cond+` AND id = $3`,
			a.Tenant.ID, owner, m.ID, m.ExpMonth, m.ExpYear, m.Name,
			ad.Line1, ad.Line2, ad.City, ad.PostalCode, ad.Country, tx.now)
		if err != nil {
			return fmt.Errorf("update payment method %s: %w", m.ID, err)
		}
		if err := mustAffect(res, kassa.E(kassa.NotFound, "error.payment_method.not_found", "ID", m.ID)); err != nil {
			return err
		}
		after := *before
		after.ExpMonth, after.ExpYear, after.Name, after.Address = m.ExpMonth, m.ExpYear, m.Name, m.Address
		return tx.audit(ctx, a.Tenant.ID, "payment_method.updated", "payment_method", m.ID, cardState(before), cardState(&after))
	})
}

// DeletePaymentMethod deletes one of the actor's payment methods that no
// billing profile uses; one in use is a Conflict, decided by the database.
func (db *DB) DeletePaymentMethod(ctx context.Context, id string) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		before, err := findPaymentMethodTx(ctx, tx, a, id)
		if err != nil {
			return err
		}
		// The card page that saved it is done with: it goes with the card.
		if _, err := tx.ExecContext(ctx, `DELETE FROM card_sessions WHERE payment_method_id = $1
			AND NOT EXISTS (SELECT 1 FROM billing_profiles WHERE card_id = $1)`, id); err != nil {
			return fmt.Errorf("delete card pages of %s: %w", id, err)
		}
		cond, owner := owned(a)
		res, err := tx.ExecContext(ctx, `
			DELETE FROM payment_methods WHERE tenant_id = $1 AND `+cond+` AND id = $3
			AND NOT EXISTS (SELECT 1 FROM billing_profiles WHERE card_id = $3)`,
			a.Tenant.ID, owner, id)
		if classify(err) == errForeignKey {
			return inUse(id)
		} else if err != nil {
			return fmt.Errorf("delete payment method %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return inUse(id)
		}
		return tx.audit(ctx, a.Tenant.ID, "payment_method.deleted", "payment_method", id, cardState(before), nil)
	})
}

func inUse(id string) error {
	return kassa.E(kassa.Conflict, "error.payment_method.in_use", "ID", id)
}

func findPaymentMethodTx(ctx context.Context, q querier, a *kassa.Actor, id string) (*kassa.PaymentMethod, error) {
	cond, owner := owned(a)
	m, err := scanPaymentMethod(q.QueryRowContext(ctx, `
		SELECT `+paymentMethodColumns+` FROM payment_methods
		WHERE tenant_id = $1 AND `+cond+` AND id = $3`, a.Tenant.ID, owner, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.payment_method.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find payment method %s: %w", id, err)
	}
	return m, nil
}

// mustAffect returns notFound when res changed no row.
func mustAffect(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}
