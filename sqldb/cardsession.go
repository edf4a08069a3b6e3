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

// customerOwner is where the actor's customer at the gateway is kept: on
// their user row, or on the tenant's while an admin acts for the
// organization.
func customerOwner(a *kassa.Actor) (table, id string) {
	if forOrganization(a) {
		return "tenants", a.Tenant.ID
	}
	return "users", a.User.ID
}

// CustomerOf returns the gateway's customer of the actor (or of the
// organization), "" when they have none yet.
func (db *DB) CustomerOf(ctx context.Context) (string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	table, id := customerOwner(a)
	var ref string
	err = db.readRow(ctx, func(r row) error { return r.Scan(&ref) },
		`SELECT customer_ref FROM `+table+` WHERE id = $1`, id)
	if err != nil {
		return "", fmt.Errorf("find customer: %w", err)
	}
	return ref, nil
}

// SetCustomer makes ref the actor's (or the organization's) customer unless
// they have one already, and returns the one they have: of two made at
// once, one is kept (the other is an unused customer at the gateway).
func (db *DB) SetCustomer(ctx context.Context, ref string) (string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	table, id := customerOwner(a)
	var kept string
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET customer_ref = $1 WHERE id = $2 AND customer_ref = ''`,
			ref, id); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT customer_ref FROM `+table+` WHERE id = $1`, id).Scan(&kept)
	})
	if err != nil {
		return "", fmt.Errorf("set customer: %w", err)
	}
	return kept, nil
}

// CustomerOfSession returns the gateway's customer a card page was opened
// for: its person's, or its organization's (the system's view).
func (db *DB) CustomerOfSession(ctx context.Context, s *CardSession) (string, error) {
	table, id := "users", s.UserID
	if s.Organization {
		table, id = "tenants", s.TenantID
	}
	var ref string
	err := db.readRow(ctx, func(r row) error { return r.Scan(&ref) }, `SELECT customer_ref FROM `+table+` WHERE id = $1`, id)
	if err != nil {
		return "", fmt.Errorf("find customer of card page %s: %w", s.ID, err)
	}
	return ref, nil
}

// NewCardSessionID makes the id of a card page before the gateway opens
// it, so that the page's return URL can name it.
func NewCardSessionID() string { return randomID("cs") }

// CardSession is a card page opened at the gateway for a person.
type CardSession struct {
	ID, TenantID, UserID string
	GatewayRef, SetupRef string
	ProfileID            string // the billing profile whose card it replaces, or ""
	Replaces             string // the card it replaces everywhere, or ""
	ReturnTo             string // kassa's path to go back to
	PaymentMethodID      string // the card it saved, once saved
	// Organization: an admin opened it for the organization's card.
	Organization         bool
	CreatedAt, ExpiresAt time.Time
}

const cardSessionColumns = `id, tenant_id, user_id, gateway_ref, setup_ref, profile_id, replaces, return_to,
	COALESCE(payment_method_id, ''), organization, created_at, expires_at`

func scanCardSession(r row) (*CardSession, error) {
	s := &CardSession{}
	err := r.Scan(&s.ID, &s.TenantID, &s.UserID, &s.GatewayRef, &s.SetupRef, &s.ProfileID, &s.Replaces, &s.ReturnTo,
		&s.PaymentMethodID, &s.Organization, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kassa.E(kassa.NotFound, "error.card_session.not_found")
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, err
}

// CreateCardSession records a card page the gateway opened for the actor
// (or for the organization), and sets its ID, TenantID, UserID,
// Organization and CreatedAt. The billing profile or card it replaces, when
// set, must be the actor's (the organization's) (else NotFound).
func (db *DB) CreateCardSession(ctx context.Context, s *CardSession) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		cond, owner := owned(a)
		if s.ProfileID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_profiles WHERE tenant_id = $1 AND `+cond+` AND id = $3`,
				a.Tenant.ID, owner, s.ProfileID).Scan(&n); err != nil {
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
			s.ID = randomID("cs")
		}
		s.TenantID, s.UserID, s.CreatedAt = a.Tenant.ID, a.User.ID, tx.now
		s.Organization = forOrganization(a)
		_, err := tx.ExecContext(ctx, `
			INSERT INTO card_sessions (id, tenant_id, user_id, gateway_ref, setup_ref, profile_id, replaces, return_to,
				organization, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			s.ID, s.TenantID, s.UserID, s.GatewayRef, s.SetupRef, s.ProfileID, s.Replaces, s.ReturnTo, s.Organization,
			s.CreatedAt, s.ExpiresAt)
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
// reconciler comes first keeps the card, and the others find it. A page an
// admin opened for the organization keeps the organization's card.
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
		a := &kassa.Actor{User: owner, Tenant: tenant, ForOrganization: s.Organization}
		if s.PaymentMethodID != "" {
			kept, err = findPaymentMethodTx(ctx, tx, a, s.PaymentMethodID)
			return err
		}
		card := *m
		card.ID, card.TenantID, card.OwnerID, card.CreatedAt = newID("pm"), s.TenantID, s.UserID, tx.now
		card.Organization = s.Organization
		if err := tx.insertPaymentMethod(ctx, &card); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE card_sessions SET payment_method_id = $1 WHERE id = $2`, card.ID, s.ID); err != nil {
			return err
		}
		cond, ownerArg := owned(a)
		if s.ProfileID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET card_id = $4, updated_at = $5
				WHERE tenant_id = $1 AND `+cond+` AND id = $3`, s.TenantID, ownerArg, s.ProfileID, card.ID, tx.now); err != nil {
				return err
			}
		}
		if s.Replaces != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE billing_profiles SET card_id = $4, updated_at = $5
				WHERE tenant_id = $1 AND `+cond+` AND card_id = $3`, s.TenantID, ownerArg, s.Replaces, card.ID, tx.now); err != nil {
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
