-- +goose Up
-- A subscription is 'pending' from the moment a purchase is recorded until
-- its first invoice is paid (or the purchase fails and it is removed);
-- pending subscriptions are never listed.
CREATE TABLE subscriptions (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    product_id         TEXT NOT NULL REFERENCES products (id),
    purchaser_id       TEXT NOT NULL REFERENCES users (id),
    billing_profile_id TEXT NOT NULL REFERENCES billing_profiles (id),
    channel            TEXT NOT NULL CHECK (channel IN ('self_service', 'admin')),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'trialing', 'active', 'past_due',
                           'suspended', 'canceled', 'expired')),
    term               TEXT NOT NULL CHECK (term IN ('monthly', 'annual')),
    quantity           INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    assigned           INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0 AND assigned <= quantity),
    unit_amount        BIGINT NOT NULL CHECK (unit_amount >= 0),
    currency           TEXT NOT NULL,
    anchor_at          TIMESTAMPTZ NOT NULL,
    period_start       TIMESTAMPTZ NOT NULL,
    period_end         TIMESTAMPTZ NOT NULL,
    auto_renew         BOOLEAN NOT NULL,
    cancel_at_term_end BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_reason      TEXT NOT NULL DEFAULT '',
    cancel_feedback    TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id, status, created_at);
CREATE INDEX subscriptions_purchaser ON subscriptions (tenant_id, purchaser_id, created_at);

-- An invoice is 'pending' while its charge is under way; it gets its number
-- when it is issued (paid), so numbers have no gaps. A void one never had a
-- number. kind and period_start make renewing twice for one period
-- impossible.
CREATE TABLE invoices (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    owner_id           TEXT NOT NULL REFERENCES users (id),
    billing_profile_id TEXT NOT NULL REFERENCES billing_profiles (id),
    subscription_id    TEXT REFERENCES subscriptions (id),
    kind               TEXT NOT NULL CHECK (kind IN ('purchase', 'renewal', 'quantity', 'cancel')),
    number             TEXT UNIQUE,
    type               TEXT NOT NULL CHECK (type IN ('invoice', 'credit_note')),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'void', 'open')),
    language           TEXT NOT NULL,
    issued_at          TIMESTAMPTZ,
    period_start       TIMESTAMPTZ NOT NULL,
    period_end         TIMESTAMPTZ NOT NULL,
    subtotal           BIGINT NOT NULL,
    tax_rate           INTEGER NOT NULL,
    tax                BIGINT NOT NULL,
    total              BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    credit_of          TEXT NOT NULL DEFAULT '',
    charge_ref         TEXT NOT NULL DEFAULT '',
    failure            TEXT NOT NULL DEFAULT '', -- why a void invoice's charge failed
    request_key        TEXT UNIQUE,              -- user id and Idempotency-Key of the request that made it
    created_at         TIMESTAMPTZ NOT NULL,
    CHECK (total = subtotal + tax)
);
CREATE INDEX invoices_owner ON invoices (tenant_id, owner_id, issued_at);
CREATE INDEX invoices_pending ON invoices (status, created_at);
CREATE UNIQUE INDEX invoices_one_renewal ON invoices (subscription_id, period_start)
    WHERE kind = 'renewal';

CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    description  TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    unit_amount  BIGINT NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    amount       BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

-- The last invoice number given out per year: gapless, because a number is
-- taken in the same transaction that issues the invoice.
CREATE TABLE invoice_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- Requests that create or move money, by the client's Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL REFERENCES users (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0, -- 0 while the first request runs
    body         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE invoice_numbers;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP TABLE subscriptions;
