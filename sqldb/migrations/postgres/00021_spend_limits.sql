-- +goose Up
-- Monthly ceilings on self-service spend (SPEC §12), in the tenant's
-- currency's minor units; NULL is no ceiling. Checking one takes the
-- tenant's row (checked_at), so two purchases that would pass it together
-- wait for each other, on any engine and across processes.
CREATE TABLE spend_limits (
    tenant_id            TEXT PRIMARY KEY REFERENCES tenants (id),
    organization_monthly BIGINT CHECK (organization_monthly >= 0),
    per_person_monthly   BIGINT CHECK (per_person_monthly >= 0),
    checked_at           TIMESTAMP NOT NULL
);
-- A person's exception to the default; monthly NULL lifts the ceiling.
CREATE TABLE spend_limit_people (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    monthly   BIGINT CHECK (monthly >= 0),
    PRIMARY KEY (tenant_id, user_id)
);
-- The 80 % warnings sent: one per ceiling ('' is the organization's) and
-- month.
CREATE TABLE spend_warnings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id   TEXT NOT NULL,
    month     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, month)
);
-- A month's spend is summed from the invoices created in it.
CREATE INDEX invoices_spend ON invoices (tenant_id, created_at);
CREATE INDEX invoices_spend_owner ON invoices (tenant_id, owner_id, created_at);

-- +goose Down
DROP INDEX invoices_spend_owner;
DROP INDEX invoices_spend;
DROP TABLE spend_warnings;
DROP TABLE spend_limit_people;
DROP TABLE spend_limits;
