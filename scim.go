package kassa

import "time"

// SCIMToken is a token an organization's identity provider (Entra ID,
// Okta) provisions its people into kassa with, over SCIM 2.0 (SPEC §8). It
// reaches its own tenant only; kassa keeps only its hash, and shows the
// token once, when it is made.
type SCIMToken struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"-"`
	Name       string     `json:"name"`
	CreatedBy  Person     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// MaxSCIMTokens bounds a tenant's tokens: one or two per identity
// provider, and a few more while one replaces another.
const MaxSCIMTokens = 20
