-- +goose Up
-- Cards are kept by the gateway; kassa keeps what people recognise them by.
CREATE TABLE payment_methods (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    owner_id            TEXT NOT NULL REFERENCES users (id),
    gateway_ref         TEXT NOT NULL UNIQUE,
    brand               TEXT NOT NULL,
    last4               TEXT NOT NULL CHECK (length(last4) = 4),
    exp_month           INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year            INTEGER NOT NULL,
    name                TEXT NOT NULL,
    address_line1       TEXT NOT NULL,
    address_line2       TEXT NOT NULL,
    address_city        TEXT NOT NULL,
    address_postal_code TEXT NOT NULL,
    address_country     TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_methods_owner ON payment_methods (tenant_id, owner_id, created_at);

-- A card pays for one billing profile at most (a gateway attaches a card to
-- one customer); the unique key holds that under any concurrency.
CREATE TABLE billing_profiles (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    owner_id            TEXT NOT NULL REFERENCES users (id),
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    address_line1       TEXT NOT NULL,
    address_line2       TEXT NOT NULL,
    address_city        TEXT NOT NULL,
    address_postal_code TEXT NOT NULL,
    address_country     TEXT NOT NULL,
    currency            TEXT NOT NULL,
    po_number           TEXT NOT NULL,
    payment_method_id   TEXT UNIQUE REFERENCES payment_methods (id),
    balance             BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    customer_ref        TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX billing_profiles_owner ON billing_profiles (tenant_id, owner_id, created_at);

-- +goose Down
DROP TABLE billing_profiles;
DROP TABLE payment_methods;
