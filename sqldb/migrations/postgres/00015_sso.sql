-- +goose Up
-- Sign-in with the organization's identity provider (SPEC §8): a tenant's
-- OpenID Connect client, whether its people other than admins may still
-- sign in with a password, the sign-ins under way (their state's SHA-256,
-- single use, ten minutes), and the provider's subject a user is linked to.
CREATE TABLE tenant_sso (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenants (id),
    issuer           TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    client_secret    TEXT NOT NULL,
    password_sign_in BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next       TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP NOT NULL
);

ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_oidc_subject ON users (tenant_id, oidc_subject) WHERE oidc_subject <> '';

-- +goose Down
DROP INDEX users_oidc_subject;
ALTER TABLE users DROP COLUMN oidc_subject;
DROP TABLE sso_logins;
DROP TABLE tenant_sso;
