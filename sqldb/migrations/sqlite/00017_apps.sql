-- +goose Up
-- Apps registered with a tenant (SPEC §9): they sign in with their client
-- id and a client secret (only its SHA-256 kept, the secret shown once; two
-- at a time while one is rotated) for access tokens (only their SHA-256
-- kept) that reach their own tenant and permissions.
CREATE TABLE apps (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    client_id   TEXT NOT NULL UNIQUE,
    permissions TEXT NOT NULL, -- Graph's names, comma-separated, sorted
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX apps_tenant ON apps (tenant_id, created_at);

CREATE TABLE app_secrets (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    secret_hash  TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX app_secrets_app ON app_secrets (app_id);

CREATE TABLE app_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX app_tokens_app ON app_tokens (app_id);
CREATE INDEX app_tokens_expiry ON app_tokens (expires_at);

-- A license an app assigned through the Graph-compatible API names it
-- (assigned_by is then the admin who registered it).
ALTER TABLE licenses ADD COLUMN assigned_by_app TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE licenses DROP COLUMN assigned_by_app;
DROP TABLE app_tokens;
DROP TABLE app_secrets;
DROP TABLE apps;
