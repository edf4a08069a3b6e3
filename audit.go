package kassa

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// AuditEvent is one entry of a tenant's audit log: who changed what, when,
// and the object's fields before and after. A tenant's events form a chain:
// each carries the hash of the one before, and its own hash covers all of
// its fields and that link, so editing or deleting an entry breaks the chain
// from there on.
type AuditEvent struct {
	TenantID   string
	Seq        int64 // 1, 2, 3, … within the tenant
	At         time.Time
	ActorID    string // "" when kassa itself acted (renewals, dunning)
	ActorName  string // read with the event, for showing it
	Action     string // "subscription.purchased", "license.assigned", …
	ObjectType string // "subscription", "billing_profile", …
	ObjectID   string
	Before     json.RawMessage // JSON object, or nil for a creation
	After      json.RawMessage // JSON object, or nil for a deletion
	PrevHash   string          // hex; "" for the first event
	Hash       string          // hex SHA-256 of the fields above
}

// ComputeHash returns the hash the event's fields give: SHA-256 over each
// field, length-prefixed, so that no two events share an encoding.
func (e *AuditEvent) ComputeHash() string {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(e.Seq))
	field([]byte("kassa-audit-v1"))
	field([]byte(e.TenantID))
	field(seq[:])
	field([]byte(e.At.UTC().Format(time.RFC3339Nano)))
	field([]byte(e.ActorID))
	field([]byte(e.Action))
	field([]byte(e.ObjectType))
	field([]byte(e.ObjectID))
	field(e.Before)
	field(e.After)
	field([]byte(e.PrevHash))
	return hex.EncodeToString(h.Sum(nil))
}

// AuditFilter selects audit events; empty fields select all. Events come
// newest first, at most Limit, starting below BeforeSeq when it is set.
type AuditFilter struct {
	ActorID    string
	Action     string // exact, or a prefix ending in "." ("subscription.")
	ObjectType string
	ObjectID   string
	From, To   time.Time // To is exclusive
	BeforeSeq  int64
	Limit      int
}

// AuditBreak is where a tenant's audit chain fails to verify.
type AuditBreak struct {
	TenantID string
	Seq      int64
	Reason   string
}

// Diff is a before/after pair of an object's fields for the audit log.
type Diff struct{ Before, After map[string]any }
