-- +goose Up
-- License requests (SPEC §12): where a product's policy forbids buying it,
-- a person asks the admins for licenses, for themselves and others. Kept
-- 12 months from when they were made.
CREATE TABLE license_requests (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    product_id       TEXT NOT NULL REFERENCES products (id),
    requester_id     TEXT NOT NULL REFERENCES users (id),
    message          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'partially_approved', 'declined')),
    decided_by       TEXT REFERENCES users (id),
    decision_message TEXT NOT NULL DEFAULT '',
    subscription_id  TEXT REFERENCES subscriptions (id),
    created_at       TIMESTAMP NOT NULL,
    decided_at       TIMESTAMP
);
CREATE INDEX license_requests_tenant ON license_requests (tenant_id, created_at);
CREATE INDEX license_requests_requester ON license_requests (tenant_id, requester_id, created_at);
-- Whom a request asks licenses for, and whether each was approved.
CREATE TABLE license_request_users (
    request_id TEXT NOT NULL REFERENCES license_requests (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    approved   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (request_id, user_id)
);
-- requests: people ask in kassa; external: they are pointed to the
-- organization's own process, a message and a link.
CREATE TABLE license_request_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    mode      TEXT NOT NULL CHECK (mode IN ('requests', 'external')),
    message   TEXT NOT NULL,
    url       TEXT NOT NULL
);

-- +goose Down
DROP TABLE license_request_settings;
DROP TABLE license_request_users;
DROP TABLE license_requests;
