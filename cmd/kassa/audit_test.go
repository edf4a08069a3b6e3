package main

import (
	"strings"
	"testing"

	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestAuditVerify loads the demo, verifies its audit log, then edits one
// event behind kassa's back: verify fails and names it.
func TestAuditVerify(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	if _, err := run(t, t.Context(), "demo", "--db", dsn); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, t.Context(), "audit", "verify", "--db", dsn)
	if err != nil || !strings.Contains(out, "The audit log is intact:") || !strings.Contains(out, "in 2 chains") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	raw := sqldbtest.Raw(t, dsn)
	if _, err := raw.Exec(`UPDATE audit_log SET after = '{"role":"admin"}' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, t.Context(), "audit", "verify", "--db", dsn)
	if err == nil || !strings.Contains(out, "event 3: its hash does not match its fields") {
		t.Fatalf("verify after an edit: %v\n%s", err, out)
	}
}
