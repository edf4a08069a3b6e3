package api

import (
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func TestSCIMTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	raw := sqldbtest.Raw(t, ts.dsn)
	astrid, hannah := ts.login("astrid@nordvik.example"), ts.login("hannah@harbor.example")

	res := ts.do("POST", "/api/v1/admin/scim-tokens", astrid, map[string]any{"name": " Entra ID "})
	var made struct {
		ID, Name, Token string
		CreatedBy       struct{ Name string } `json:"created_by"`
	}
	mustUnmarshal(t, res.body, &made)
	if res.status != 201 || made.Name != "Entra ID" || len(made.Token) < 43 || made.CreatedBy.Name != "Astrid Lindqvist" {
		t.Fatalf("make = %d %s", res.status, res.body)
	}
	// Only its hash is kept; the list never shows it.
	var stored int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM scim_tokens WHERE token_hash = $1 OR token_hash = $2`, made.Token, made.ID).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token is stored as it is (%d, %v)", stored, err)
	}
	list := ts.do("GET", "/api/v1/admin/scim-tokens", astrid, nil)
	if list.status != 200 || strings.Contains(string(list.body), made.Token) || !strings.Contains(string(list.body), made.ID) {
		t.Fatalf("list = %d %s", list.status, list.body)
	}
	// Another tenant's admin sees none of it and cannot revoke it.
	if other := ts.do("GET", "/api/v1/admin/scim-tokens", hannah, nil); strings.Contains(string(other.body), made.ID) {
		t.Errorf("hannah's list shows nordvik's token: %s", other.body)
	}
	wantError(t, ts.do("DELETE", "/api/v1/admin/scim-tokens/"+made.ID, hannah, nil), 404, kassa.NotFound, "")
	wantError(t, ts.do("POST", "/api/v1/admin/scim-tokens", astrid, map[string]any{"name": ""}), 422, kassa.Invalid, "name")

	if res := ts.do("DELETE", "/api/v1/admin/scim-tokens/"+made.ID, astrid, nil); res.status != 204 {
		t.Fatalf("revoke = %d %s", res.status, res.body)
	}
	wantError(t, ts.do("DELETE", "/api/v1/admin/scim-tokens/"+made.ID, astrid, nil), 404, kassa.NotFound, "")
	var audited int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE object_id = $1`, made.ID).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("%d audit events for the token, want 2 (%v)", audited, err)
	}

	// At most kassa.MaxSCIMTokens.
	for range kassa.MaxSCIMTokens {
		if res := ts.do("POST", "/api/v1/admin/scim-tokens", hannah, map[string]any{"name": "Okta"}); res.status != 201 {
			t.Fatalf("make = %d %s", res.status, res.body)
		}
	}
	wantError(t, ts.do("POST", "/api/v1/admin/scim-tokens", hannah, map[string]any{"name": "Okta"}), 409, kassa.Conflict, "")
}
