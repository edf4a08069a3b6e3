-- +goose Up
-- Directory sync (SPEC §8): the tokens an organization's identity provider
-- (Entra ID, Okta) provisions its people with. Each reaches its own tenant
-- only; only the token's SHA-256 is kept, and it is shown once.
CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX scim_tokens_tenant ON scim_tokens (tenant_id);

-- +goose Down
DROP TABLE scim_tokens;
