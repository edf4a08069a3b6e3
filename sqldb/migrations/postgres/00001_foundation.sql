-- +goose Up
CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    country        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    locale         TEXT NOT NULL,
    default_policy TEXT NOT NULL DEFAULT 'enabled'
                   CHECK (default_policy IN ('enabled', 'trials_only', 'disabled')),
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL CHECK (type IN ('member', 'guest')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_tenant_name ON users (tenant_id, name, id);

-- Typeahead: every word of a user's name and the email, lowercased, with and
-- without accents, searched by prefix through the primary key. COLLATE "C"
-- orders bytewise, so that a prefix is a range whatever the server's locale.
CREATE TABLE user_words (
    tenant_id TEXT NOT NULL,
    word      TEXT COLLATE "C" NOT NULL,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, word, user_id)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('api', 'web')),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL
);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    sku            TEXT NOT NULL UNIQUE,
    name_en        TEXT NOT NULL,
    name_sv        TEXT NOT NULL,
    description_en TEXT NOT NULL,
    description_sv TEXT NOT NULL,
    trial_days     INTEGER NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE prices (
    product_id  TEXT NOT NULL REFERENCES products (id),
    term        TEXT NOT NULL CHECK (term IN ('monthly', 'annual')),
    currency    TEXT NOT NULL,
    unit_amount BIGINT NOT NULL CHECK (unit_amount >= 0),
    PRIMARY KEY (product_id, term, currency)
);

CREATE TABLE purchase_policies (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    policy     TEXT NOT NULL CHECK (policy IN ('enabled', 'trials_only', 'disabled')),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, product_id)
);

-- +goose Down
DROP TABLE purchase_policies;
DROP TABLE prices;
DROP TABLE products;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE user_words;
DROP TABLE users;
DROP TABLE tenants;
