-- +goose Up
-- Organizations of their own (SPEC §7): what an admin keeps of the
-- organization, a GUID naming it to other systems (as Entra's tenant id),
-- and the email domains its people sign in from, each one tenant's.
ALTER TABLE tenants ADD COLUMN directory_id TEXT;
UPDATE tenants SET directory_id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX tenants_directory_id ON tenants (directory_id);
ALTER TABLE tenants ADD COLUMN vat_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN address_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN address_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN address_city TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN address_postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN address_country TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN support_email TEXT NOT NULL DEFAULT '';

CREATE TABLE tenant_domains (
    domain    TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id)
);
CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id);

-- The catalog is the operator's file (kassa catalog apply): a product keeps
-- a stable GUID, may be retired (no new purchases; what was bought runs on),
-- has names in German too, and says how many licenses its trial may have.
ALTER TABLE products ADD COLUMN sku_id TEXT;
UPDATE products SET sku_id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX products_sku_id ON products (sku_id);
ALTER TABLE products ADD COLUMN name_de TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN description_de TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN trial_max_licenses INTEGER NOT NULL DEFAULT 25 CHECK (trial_max_licenses > 0);
ALTER TABLE products ADD COLUMN retired BOOLEAN NOT NULL DEFAULT FALSE;

-- One-time links to set a password: an invitation (72 hours) or a reset
-- (1 hour). Only the token's SHA-256 is kept; using one sets used_at.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);

-- +goose Down
DROP TABLE user_tokens;
DROP INDEX products_sku_id;
ALTER TABLE products DROP COLUMN retired;
ALTER TABLE products DROP COLUMN trial_max_licenses;
ALTER TABLE products DROP COLUMN description_de;
ALTER TABLE products DROP COLUMN name_de;
ALTER TABLE products DROP COLUMN sku_id;
DROP TABLE tenant_domains;
ALTER TABLE tenants DROP COLUMN support_email;
ALTER TABLE tenants DROP COLUMN address_country;
ALTER TABLE tenants DROP COLUMN address_postal_code;
ALTER TABLE tenants DROP COLUMN address_city;
ALTER TABLE tenants DROP COLUMN address_line2;
ALTER TABLE tenants DROP COLUMN address_line1;
ALTER TABLE tenants DROP COLUMN vat_id;
DROP INDEX tenants_directory_id;
ALTER TABLE tenants DROP COLUMN directory_id;
