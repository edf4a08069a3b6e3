package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// Outgoing webhooks (SPEC §9). Every change that tells apps of itself is
// one the audit log records (subscriptions, licenses, people), or an
// invoice's (tx.event); when the write's group commits, in its
// transaction, each such event becomes a delivery for each of the tenant's
// endpoints that asked for it (appendWebhooks): an event is never lost,
// nor sent of a change rolled back. The webhook package's worker sends the
// deliveries.

// hookEvent is a change apps are told of.
type hookEvent struct {
	tenantID, typ string
	objectID      string    // the subscription's, invoice's or user's
	userID        string    // a license's holder
	at            time.Time // business time
}

// event records that the write issued or paid an invoice, for the apps.
func (tx *Tx) event(tenantID, typ, invoiceID string) {
	if tx.hooks != nil {
		*tx.hooks = append(*tx.hooks, hookEvent{tenantID: tenantID, typ: typ, objectID: invoiceID, at: tx.now})
	}
}

// invoiceIssued records the events of an invoice written issued: a credit
// note's, or an invoice's and, when it is paid already, its payment's.
func (tx *Tx) invoiceIssued(inv *kassa.Invoice) {
	switch {
	case inv.Status == kassa.InvoicePending || inv.Status == kassa.InvoiceVoid:
	case inv.Type == kassa.TypeCreditNote:
		tx.event(inv.TenantID, kassa.EventCreditNoteIssued, inv.ID)
	default:
		tx.event(inv.TenantID, kassa.EventInvoiceIssued, inv.ID)
		if inv.Status == kassa.InvoicePaid {
			tx.event(inv.TenantID, kassa.EventInvoicePaid, inv.ID)
		}
	}
}

// hookEventsOf returns the events apps are told of an audited change.
func hookEventsOf(e *kassa.AuditEvent) []hookEvent {
	one := func(typ string) []hookEvent {
		return []hookEvent{{tenantID: e.TenantID, typ: typ, objectID: e.ObjectID, at: e.At}}
	}
	holders := func(typ string, state json.RawMessage) []hookEvent {
		var s struct {
			UserIDs []string `json:"user_ids"`
		}
		_ = json.Unmarshal(state, &s)
		out := make([]hookEvent, len(s.UserIDs))
		for i, id := range s.UserIDs {
			out[i] = hookEvent{tenantID: e.TenantID, typ: typ, objectID: e.ObjectID, userID: id, at: e.At}
		}
		return out
	}
	switch e.Action {
	case "subscription.purchased":
		return one(kassa.EventSubscriptionCreated)
	case "subscription.refunded":
		return nil // its credit note's event tells of it (credit_note.issued)
	case "subscription.canceled", "subscription.renewed", "subscription.past_due", "subscription.suspended",
		"subscription.expired":
		return one(e.Action)
	case "license.assigned":
		return holders(kassa.EventLicenseAssigned, e.After)
	case "license.unassigned", "license.released", "license.reclaimed":
		return holders(kassa.EventLicenseUnassigned, e.Before)
	case "user.created":
		return one(kassa.EventUserCreated)
	case "user.updated":
		var before, after struct {
			Status kassa.UserStatus `json:"status"`
		}
		_ = json.Unmarshal(e.Before, &before)
		_ = json.Unmarshal(e.After, &after)
		if after.Status == kassa.Disabled && before.Status != kassa.Disabled {
			return one(kassa.EventUserDisabled)
		}
		return one(kassa.EventUserUpdated)
	}
	if strings.HasPrefix(e.Action, "subscription.") {
		return one(kassa.EventSubscriptionUpdated)
	}
	return nil
}

// appendWebhooks writes, in the committing transaction, a delivery of each
// event to each of its tenant's enabled endpoints that asked for it. A
// tenant without endpoints costs one indexed read.
func (tx *Tx) appendWebhooks(ctx context.Context, audits []kassa.AuditEvent, hooks []hookEvent) error {
	byTenant := map[string][]hookEvent{}
	for i := range audits {
		for _, h := range hookEventsOf(&audits[i]) {
			byTenant[h.tenantID] = append(byTenant[h.tenantID], h)
		}
	}
	for _, h := range hooks {
		byTenant[h.tenantID] = append(byTenant[h.tenantID], h)
	}
	now := time.Now().UTC() // deliveries run on real time
	for _, tenantID := range slices.Sorted(maps.Keys(byTenant)) {
		endpoints, err := findEndpoints(ctx, tx, `e.tenant_id = $1 AND e.enabled`, tenantID)
		if err != nil {
			return err
		}
		if len(endpoints) == 0 {
			continue
		}
		var rows [][]any
		for _, h := range byTenant[tenantID] {
			var payload []byte
			for _, ep := range endpoints {
				if !ep.Wants(h.typ) {
					continue
				}
				if payload == nil {
					if payload, err = tx.hookPayload(ctx, h); err != nil {
						return err
					}
				}
				rows = append(rows, []any{newID("msg"), tenantID, ep.ID, h.typ, string(payload), now, now})
			}
		}
		if err := tx.insertRows(ctx, "webhook_deliveries",
			[]string{"id", "tenant_id", "endpoint_id", "type", "payload", "created_at", "next_attempt_at"}, rows); err != nil {
			return fmt.Errorf("write webhook deliveries: %w", err)
		}
	}
	return nil
}

// The data of the events: what an app needs to act on one without asking
// back. Money is in minor units; times are business times.
type (
	subscriptionData struct {
		ID              string    `json:"id"`
		SKUID           string    `json:"sku_id"`
		Product         string    `json:"product"`
		Channel         string    `json:"channel"`
		Status          string    `json:"status"`
		Term            string    `json:"term"`
		Quantity        int       `json:"quantity"`
		Assigned        int       `json:"assigned"`
		PurchaserID     string    `json:"purchaser_id"`
		CurrentTermEnd  time.Time `json:"current_term_end"`
		CancelAtTermEnd bool      `json:"cancel_at_term_end"`
		Disputed        bool      `json:"disputed"`
	}
	licenseData struct {
		SubscriptionID string `json:"subscription_id"`
		SKUID          string `json:"sku_id"`
		UserID         string `json:"user_id"`
		UserEmail      string `json:"user_email"`
	}
	invoiceData struct {
		ID             string    `json:"id"`
		Number         string    `json:"number"`
		Type           string    `json:"type"`
		Status         string    `json:"status"`
		SubscriptionID string    `json:"subscription_id"`
		Total          int64     `json:"total"`
		Currency       string    `json:"currency"`
		IssuedAt       time.Time `json:"issued_at"`
	}
	userData struct {
		ID     string `json:"id"`
		Email  string `json:"email"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Role   string `json:"role"`
		Status string `json:"status"`
	}
)

// hookPayload is an event's body: {"type","timestamp","data"}.
func (tx *Tx) hookPayload(ctx context.Context, h hookEvent) ([]byte, error) {
	var data any
	var err error
	switch {
	case strings.HasPrefix(h.typ, "subscription."):
		var d subscriptionData
		err = tx.QueryRowContext(ctx, `
			SELECT s.id, p.sku_id, p.name_en, s.channel, s.status, s.term, s.quantity, s.assigned, s.purchaser_id,
				s.period_end, s.cancel_at_term_end, s.disputed
			FROM subscriptions s JOIN products p ON p.id = s.product_id WHERE s.id = $1`, h.objectID).Scan(
			&d.ID, &d.SKUID, &d.Product, &d.Channel, &d.Status, &d.Term, &d.Quantity, &d.Assigned, &d.PurchaserID,
			&d.CurrentTermEnd, &d.CancelAtTermEnd, &d.Disputed)
		d.CurrentTermEnd = d.CurrentTermEnd.UTC()
		data = d
	case strings.HasPrefix(h.typ, "license."):
		d := licenseData{SubscriptionID: h.objectID, UserID: h.userID}
		err = tx.QueryRowContext(ctx, `
			SELECT p.sku_id, COALESCE((SELECT email FROM users WHERE id = $2), '')
			FROM subscriptions s JOIN products p ON p.id = s.product_id WHERE s.id = $1`, h.objectID, h.userID).Scan(
			&d.SKUID, &d.UserEmail)
		data = d
	case strings.HasPrefix(h.typ, "invoice.") || strings.HasPrefix(h.typ, "credit_note."):
		var d invoiceData
		var number, subID sql.NullString
		var issued sql.NullTime
		err = tx.QueryRowContext(ctx, `
			SELECT id, number, type, status, subscription_id, total, currency, issued_at FROM invoices WHERE id = $1`,
			h.objectID).Scan(&d.ID, &number, &d.Type, &d.Status, &subID, &d.Total, &d.Currency, &issued)
		d.Number, d.SubscriptionID, d.IssuedAt = number.String, subID.String, issued.Time.UTC()
		data = d
	case strings.HasPrefix(h.typ, "user."):
		var d userData
		err = tx.QueryRowContext(ctx, `SELECT id, email, name, type, role, status FROM users WHERE id = $1`,
			h.objectID).Scan(&d.ID, &d.Email, &d.Name, &d.Type, &d.Role, &d.Status)
		data = d
	}
	if errors.Is(err, sql.ErrNoRows) {
		data = map[string]string{"id": h.objectID} // gone within the same commit
	} else if err != nil {
		return nil, fmt.Errorf("read %s for its webhook: %w", h.typ, err)
	}
	return hookBody(h.typ, h.at, data)
}

func hookBody(typ string, at time.Time, data any) ([]byte, error) {
	return json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{typ, at.UTC().Format(time.RFC3339Nano), data})
}
