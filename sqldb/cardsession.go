package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// Card pages and the processor's customers (SPEC §10).

// CustomerOf returns the gateway's customer of the actor, "" when they have
// none yet.
func (db *DB) CustomerOf(ctx context.Context) (string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	var ref string
	err = db.readRow(ctx, func(r row) error { return r.Scan(&ref) },
		`SELECT customer_ref FROM users WHERE tenant_id = $1 AND id = $2`, a.Tenant.ID, a.User.ID)
	if err != nil {
		return "", fmt.Errorf("find customer: %w", err)
	}
	return ref, nil
}

// SetCustomer makes ref the actor's customer unless they have one already,
// and returns the one they have: of two made at once, one is kept (the
// other is an unused customer at the gateway).
func (db *DB) SetCustomer(ctx context.Context, ref string) (string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	var kept string
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET customer_ref = $1 WHERE tenant_id = $2 AND id = $3 AND customer_ref = ''`,
			ref, a.Tenant.ID, a.User.ID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT customer_ref FROM users WHERE tenant_id = $1 AND id = $2`, a.Tenant.ID, a.User.ID).Scan(&kept)
	})
	if err != nil {
		return "", fmt.Errorf("set customer: %w", err)
	}
	return kept, nil
}

// CustomerOfUser returns the gateway's customer of a user (the system's
// view).
func (db *DB) CustomerOfUser(ctx context.Context, userID string) (string, error) {
	var ref string
	err := db.readRow(ctx, func(r row) error { return r.Scan(&ref) }, `SELECT customer_ref FROM users WHERE id = $1`, userID)
	if err != nil {
		return "", fmt.Errorf("find customer of %s: %w", userID, err)
	}
	return ref, nil
}

// NewCardSessionID makes the id of a card page before the gateway opens
// it, so that the page's return URL can name it.
func NewCardSessionID() string { return newID("cs") }

// CardSession is a card page opened at the gateway for a person.
type CardSession struct {
	ID, TenantID, UserID string
	GatewayRef, SetupRef string
	ProfileID            string // the billing profile whose card it replaces, or ""
	Replaces             string // the card it replaces everywhere, or ""
	ReturnTo             string // kassa's path to go back to
	PaymentMethodID      string // the card it saved, once saved
	CreatedAt, ExpiresAt time.Time
}

const cardSessionColumns = `id, tenant_id, user_id, gateway_ref, setup_ref, profile_id, replaces, return_to,
	COALESCE(payment_method_id, ''), created_at, expires_at`

func scanCardSession(r row) (*CardSession, error) {
	s := &CardSession{}
	err := r.Scan(&s.ID, &s.TenantID, &s.UserID, &s.GatewayRef, &s.SetupRef, &s.ProfileID, &s.Replaces, &s.ReturnTo,
		&s.PaymentMethodID, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.card_session.not_found")
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, err
}

// CreateCardSession records a card page the gateway opened for the actor,
// and sets its ID, TenantID, UserID and CreatedAt. The billing profile or
// card it replaces, when set, must be the actor's (else NotFound).
func (db *DB) CreateCardSession(ctx context.Context, s *CardSession) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if s.ProfileID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_profiles WHERE tenant_id = $1 AND owner_id = $2 AND id = $3`,
				a.Tenant.ID, a.User.ID, s.ProfileID).Scan(&n); err != nil {
				return err
			} else if n == 0 {
				return kassa.E(kassa.NotFound, "error.profile.not_found", "ID", s.ProfileID)
			}
		}
		if s.Replaces != "" {
			if _, err := findPaymentMethodTx(ctx, tx, a, s.Replaces); err != nil {
				return err
			}
		}
		if s.ID == "" {
			s.ID = newID("cs")
		}
		s.TenantID, s.UserID, s.CreatedAt = a.Tenant.ID, a.User.ID, tx.now
		_, err := tx.ExecContext(ctx, `
			INSERT INTO card_sessions (id, tenant_id, user_id, gateway_ref, setup_ref, profile_id, replaces, return_to,
				created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			s.ID, s.TenantID, s.UserID, s.GatewayRef, s.SetupRef, s.ProfileID, s.Replaces, s.ReturnTo, s.CreatedAt, s.ExpiresAt)
		if err != nil {
			return fmt.Errorf("insert card session: %w", err)
		}
		return nil
	})
}

// FindCardSession returns one of the actor's card pages. Errors: NotFound.
func (db *DB) FindCardSession(ctx context.Context, id string) (*CardSession, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return scanCardSession(db.reader(ctx).QueryRowContext(ctx, `SELECT `+cardSessionColumns+` FROM card_sessions
		WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, a.Tenant.ID, a.User.ID, id))
}

// FindCardSessionByRef returns the card page the gateway knows by ref, or
// by its setup's ref (the system's view, for the gateway's events).
// Errors: NotFound.
func (db *DB) FindCardSessionByRef(ctx context.Context, ref, setupRef string) (*CardSession, error) {
	return scanCardSession(db.reader(ctx).QueryRowContext(ctx, `SELECT `+cardSessionColumns+` FROM card_sessions
		WHERE gateway_ref = $1 OR (setup_ref = $2 AND setup_ref <> '') ORDER BY created_at LIMIT 1`, ref, setupRef))
}

// FindOpenCardSessions returns card pages opened before t and not saved,
// oldest first, for the reconciler.
func (db *DB) FindOpenCardSessions(ctx context.Context, before time.Time) ([]*CardSession, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+cardSessionColumns+` FROM card_sessions
		WHERE payment_method_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT 500`, before)
	if err != nil {
		return nil, fmt.Errorf("find open card sessions: %w", err)
	}
	defer rows.Close()
	var out []*CardSession
	for rows.Next() {
		s, err := scanCardSession(rows)
		if err != nil {
			return nil, fmt.Errorf("find open card sessions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteCardSession forgets a card page that saved nothing (it expired).
func (db *DB) DeleteCardSession(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM card_sessions WHERE id = $1 AND payment_method_id IS NULL`, id)
		return err
	})
}

// CompleteCardSession keeps the card a card page saved, once, in one
// transaction: the card becomes its owner's, the billing profile it was
// opened for pays with it, and a card it replaces is replaced on every
// profile and deleted. A session completed already answers with the card
// it saved; so whichever of the person's return, the gateway's event or the
// reconciler comes first keeps the card, and the others find it.
func (db *DB) CompleteCardSession(ctx context.Context, sessionID string, m *kassa.PaymentMethod) (*kassa.PaymentMethod, error) {
	var kept *kassa.PaymentMethod
	err := db.write(ctx, func(tx *Tx) error {
		s, err := scanCardSession(tx.QueryRowContext(ctx, `SELECT `+cardSessionColumns+` FROM card_sessions WHERE id = $1`, sessionID))
		if err != nil {
			return err
		}
		owner, err := scanUserTx(ctx, tx, s.UserID)
		if err != nil {
			return err
		}
		tenant, err := findTenant(ctx, tx, s.TenantID)
		if err != nil {
			return err
		}
		a := &kassa.Actor{User: owner, Tenant: tenant}
		if s.PaymentMethodID != "" {
			kept, err = findPaymentMethodTx(ctx, tx, a, s.PaymentMethodID)
			return err
		}
		card := *m
		card.ID, card.TenantID, card.OwnerID, card.CreatedAt = newID("pm"), s.TenantID, s.UserID, tx.now
		ad := card.Address
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO payment_methods (id, tenant_id, owner_id, gateway_ref, customer_ref, brand, last4, exp_month, exp_year, name,
				address_line1, address_line2, address_city, address_postal_code, address_country, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`,
			card.ID, card.TenantID, card.OwnerID, card.GatewayRef, card.CustomerRef, card.Brand, card.Last4, card.ExpMonth,
			card.ExpYear, card.Name, ad.Line1, ad.Line2, ad.City, ad.PostalCode, ad.Country, card.CreatedAt); err != nil {
			return fmt.Errorf("insert payment method: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE card_sessions SET payment_method_id = $1 WHERE id = $2`, card.ID, s.ID); err != nil {
			return err
		}
		if err := tx.audit(ctx, s.TenantID, "payment_method.added", "payment_method", card.ID, nil, cardState(&card)); err != nil {
			return err
		}
		if s.ProfileID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET card_id = $1, updated_at = $2
				WHERE id = $3 AND tenant_id = $4 AND owner_id = $5`, card.ID, tx.now, s.ProfileID, s.TenantID, s.UserID); err != nil {
				return err
			}
		}
		if s.Replaces != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET card_id = $1, updated_at = $2
				WHERE card_id = $3 AND tenant_id = $4 AND owner_id = $5`, card.ID, tx.now, s.Replaces, s.TenantID, s.UserID); err != nil {
				return err
			}
			old, err := findPaymentMethodTx(ctx, tx, a, s.Replaces)
			if err == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM card_sessions WHERE payment_method_id = $1`, old.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM payment_methods WHERE id = $1`, old.ID); err != nil {
					return err
				}
				if err := tx.audit(ctx, s.TenantID, "payment_method.deleted", "payment_method", old.ID, cardState(old), nil); err != nil {
					return err
				}
			} else if kassa.ErrorCode(err) != kassa.NotFound {
				return err
			}
		}
		kept = &card
		return nil
	})
	return kept, err
}

// EventSeen reports whether the processor's event id was handled before.
func (db *DB) EventSeen(ctx context.Context, id string) (bool, error) {
	var n int
	err := db.readRow(ctx, func(r row) error { return r.Scan(&n) }, `SELECT COUNT(*) FROM gateway_events WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("find event %s: %w", id, err)
	}
	return n > 0, nil
}

// RecordEvent records that the processor's event id was handled; recording
// it twice (two deliveries at once) is no error.
func (db *DB) RecordEvent(ctx context.Context, id, typ string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gateway_events (id, type, received_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING`, id, typ, tx.now)
		return err
	})
}

// MarkDisputed flags the subscription whose invoice the charge paid, and
// tells the tenant's admins, once. A charge kassa does not know is no
// error.
func (db *DB) MarkDisputed(ctx context.Context, chargeRef, reason string) error {
	if chargeRef == "" {
		return nil
	}
	return db.write(ctx, func(tx *Tx) error {
		inv, err := findInvoice(ctx, tx, `i.charge_ref = $1`, chargeRef)
		if kassa.ErrorCode(err) == kassa.NotFound || (err == nil && inv.SubscriptionID == "") {
			return nil
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET disputed = TRUE, updated_at = $2 WHERE id = $1 AND NOT disputed`,
			inv.SubscriptionID, tx.now)
		if err != nil {
			return fmt.Errorf("mark %s disputed: %w", inv.SubscriptionID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		sub, err := findSubscriptionTx(ctx, tx, inv.SubscriptionID)
		if err != nil {
			return err
		}
		data := notificationData(sub, sub.PurchaserName)
		data.InvoiceID, data.Amount, data.Reason = inv.ID, inv.Total, reason
		if err := tx.notify(ctx, kassa.NotifyDispute, sub, data, false); err != nil {
			return err
		}
		return tx.audit(ctx, sub.TenantID, "subscription.disputed", "subscription", sub.ID, nil,
			map[string]any{"invoice": inv.Number, "reason": reason})
	})
}
