package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
)

// audit records an event for the tenant's audit chain in tx: who (the actor
// of ctx, or kassa itself when there is none), what, on which object, and
// the object's fields before and after (nil for none). The event joins the
// chain when the write's group commits (appendAudit), and only if the write
// does.
func (tx *Tx) audit(ctx context.Context, tenantID, action, objectType, objectID string, before, after any) error {
	e := kassa.AuditEvent{TenantID: tenantID, At: tx.now, Action: action, ObjectType: objectType, ObjectID: objectID}
	if a := kassa.ActorFromContext(ctx); a != nil && a.User != nil {
		e.ActorID = a.User.ID
	}
	var err error
	if e.Before, err = auditJSON(before); err != nil {
		return err
	}
	if e.After, err = auditJSON(after); err != nil {
		return err
	}
	*tx.events = append(*tx.events, e)
	return nil
}

// auditChunk is how many audit rows appendAudit makes and inserts at a time.
const auditChunk = 500

// appendAudit appends the events of a group's writes to their tenants'
// chains, in order, just before the group commits. Taking a chain's head
// locks it until the transaction ends, so a tenant's events get their
// numbers, and their links, in commit order; tenants are taken in the order
// of their ids, so that two groups cannot wait for each other.
func (tx *Tx) appendAudit(ctx context.Context, events []kassa.AuditEvent) error {
	byTenant := map[string][]kassa.AuditEvent{}
	for _, e := range events {
		byTenant[e.TenantID] = append(byTenant[e.TenantID], e)
	}
	for _, tenantID := range slices.Sorted(maps.Keys(byTenant)) {
		es := byTenant[tenantID]
		var last int64
		var hash string
		err := tx.QueryRowContext(ctx, `
			INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, $2, '')
			ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq + $2
			RETURNING seq, hash`, tenantID, len(es)).Scan(&last, &hash)
		if err != nil {
			return fmt.Errorf("take audit head: %w", err)
		}
		// The rows are made a chunk at a time: an import of 10 000 people
		// appends as many events at once.
		for start := 0; start < len(es); start += auditChunk {
			rows := make([][]any, 0, min(auditChunk, len(es)-start))
			for i := start; i < start+cap(rows); i++ {
				e := &es[i]
				e.Seq, e.PrevHash = last-int64(len(es)-1-i), hash
				e.Hash = e.ComputeHash()
				hash = e.Hash
				rows = append(rows, []any{e.TenantID, e.Seq, e.At, e.ActorID, e.Action, e.ObjectType, e.ObjectID,
					nullJSON(e.Before), nullJSON(e.After), e.PrevHash, e.Hash})
			}
			if err := tx.insertRows(ctx, "audit_log", []string{"tenant_id", "seq", "at", "actor_id", "action",
				"object_type", "object_id", "before", "after", "prev_hash", "hash"}, rows); err != nil {
				return fmt.Errorf("append audit events: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1`, tenantID, hash); err != nil {
			return fmt.Errorf("move audit head: %w", err)
		}
	}
	return nil
}

func auditJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit state: %w", err)
	}
	if string(b) == "null" {
		return nil, nil
	}
	return b, nil
}

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

const auditColumns = `a.tenant_id, a.seq, a.at, a.actor_id, COALESCE(u.name, ''), a.action, a.object_type,
	a.object_id, a.before, a.after, a.prev_hash, a.hash`

func scanAudit(r row) (*kassa.AuditEvent, error) {
	e := &kassa.AuditEvent{}
	var before, after *string
	if err := r.Scan(&e.TenantID, &e.Seq, &e.At, &e.ActorID, &e.ActorName, &e.Action, &e.ObjectType,
		&e.ObjectID, &before, &after, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	if before != nil {
		e.Before = json.RawMessage(*before)
	}
	if after != nil {
		e.After = json.RawMessage(*after)
	}
	e.At = e.At.UTC()
	return e, nil
}

// FindAuditEvents returns the actor's tenant's audit events that match the
// filter, newest first. Only admins read the audit log.
func (db *DB) FindAuditEvents(ctx context.Context, f kassa.AuditFilter) ([]*kassa.AuditEvent, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if !a.User.IsAdmin() {
		return nil, kassa.E(kassa.Forbidden, "error.admin.audit_log")
	}
	args := []any{a.Tenant.ID}
	var q strings.Builder
	q.WriteString(`SELECT ` + auditColumns + ` FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.tenant_id = $1`)
	cond := func(sql string, v any) {
		args = append(args, v)
		fmt.Fprintf(&q, sql, len(args))
	}
	if f.ActorID != "" {
		cond(` AND a.actor_id = $%d`, f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		// Exactly, in both engines: SQLite's LIKE ignores the case of
		// ASCII letters.
		cond(` AND substr(a.action, 1, length(CAST($%[1]d AS TEXT))) = $%[1]d`, f.Action)
	} else if f.Action != "" {
		cond(` AND a.action = $%d`, f.Action)
	}
	if f.ObjectType != "" {
		cond(` AND a.object_type = $%d`, f.ObjectType)
	}
	if f.ObjectID != "" {
		cond(` AND a.object_id = $%d`, f.ObjectID)
	}
	if !f.From.IsZero() {
		cond(` AND a.at >= $%d`, f.From)
	}
	if !f.To.IsZero() {
		cond(` AND a.at < $%d`, f.To)
	}
	if f.BeforeSeq > 0 {
		cond(` AND a.seq < $%d`, f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	cond(` ORDER BY a.seq DESC LIMIT $%d`, limit)
	rows, err := db.reader(ctx).QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("find audit events: %w", err)
	}
	defer rows.Close()
	var out []*kassa.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("find audit events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks every tenant's audit chain from its first event and
// checks that the events are numbered without gaps, that each links to the
// hash of the one before, that each hash is what its fields give, and that
// the chain ends where its head says. It returns how many events and chains
// it checked and every place a chain breaks (the system's view, for `kassa
// audit verify`).
func (db *DB) VerifyAudit(ctx context.Context) (events, chains int, breaks []kassa.AuditBreak, err error) {
	heads := map[string]kassa.AuditEvent{}
	rows, err := db.reads.QueryContext(ctx, `SELECT tenant_id, seq, hash FROM audit_heads`)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("read audit heads: %w", err)
	}
	for rows.Next() {
		var h kassa.AuditEvent
		if err := rows.Scan(&h.TenantID, &h.Seq, &h.Hash); err != nil {
			rows.Close()
			return 0, 0, nil, fmt.Errorf("read audit heads: %w", err)
		}
		heads[h.TenantID] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, nil, fmt.Errorf("read audit heads: %w", err)
	}
	rows, err = db.reads.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		ORDER BY a.tenant_id, a.seq`)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var last *kassa.AuditEvent
	broken := func(e *kassa.AuditEvent, format string, args ...any) {
		breaks = append(breaks, kassa.AuditBreak{TenantID: e.TenantID, Seq: e.Seq, Reason: fmt.Sprintf(format, args...)})
	}
	endChain := func(e *kassa.AuditEvent) {
		h, ok := heads[e.TenantID]
		switch {
		case !ok:
			broken(e, "the chain has no head")
		case h.Seq != e.Seq || h.Hash != e.Hash:
			broken(&h, "the chain ends at event %d but its head is event %d: events were removed from its end", e.Seq, h.Seq)
		}
		delete(heads, e.TenantID)
	}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return events, chains, breaks, fmt.Errorf("read audit log: %w", err)
		}
		events++
		if last != nil && last.TenantID != e.TenantID {
			endChain(last)
			last = nil
		}
		if last == nil {
			chains++
			last = &kassa.AuditEvent{TenantID: e.TenantID}
		}
		switch {
		case e.Seq != last.Seq+1:
			broken(e, "event %d follows event %d: events are missing", e.Seq, last.Seq)
		case e.PrevHash != last.Hash:
			broken(e, "its link does not match the hash of the event before: that event was changed")
		}
		if e.ComputeHash() != e.Hash {
			broken(e, "its hash does not match its fields: it was changed")
		}
		last = e
	}
	if err := rows.Err(); err != nil {
		return events, chains, breaks, fmt.Errorf("read audit log: %w", err)
	}
	if last != nil {
		endChain(last)
	}
	for _, h := range heads {
		breaks = append(breaks, kassa.AuditBreak{TenantID: h.TenantID, Seq: h.Seq,
			Reason: fmt.Sprintf("the head names event %d but the chain has no events", h.Seq)})
	}
	return events, chains, breaks, nil
}
