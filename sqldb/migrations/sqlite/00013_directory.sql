-- +goose Up
-- Directory sync (SPEC §8): what SCIM says of a user beyond kassa's own
-- fields. scim_user_name is the identity provider's userName (case kept,
-- matched without case; '' until SCIM names them, when their email is
-- their userName); work_email is a work address other than the sign-in
-- email; a user SCIM manages can be changed on Admin › People only in
-- their role; one SCIM deleted is disabled and hidden from SCIM, and kept
-- for invoices and the audit log.
ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN work_email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_managed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN scim_hidden BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN updated_at TIMESTAMP;
CREATE UNIQUE INDEX users_scim_user_name ON users (tenant_id, lower(scim_user_name)) WHERE scim_user_name <> '';
CREATE INDEX users_external_id ON users (tenant_id, external_id) WHERE external_id <> '';
CREATE INDEX users_work_email ON users (lower(work_email)) WHERE work_email <> '';
-- A user the directory changes has their search words rewritten, found
-- by the user.
CREATE INDEX user_words_user ON user_words (user_id);

-- The outcome of each SCIM request, the last ones of a tenant shown on
-- Admin › Directory sync.
CREATE TABLE scim_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    at        TIMESTAMP NOT NULL,
    method    TEXT NOT NULL,
    path      TEXT NOT NULL,
    status    INTEGER NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scim_requests_tenant ON scim_requests (tenant_id, id);

-- +goose Down
DROP TABLE scim_requests;
DROP INDEX user_words_user;
DROP INDEX users_work_email;
DROP INDEX users_external_id;
DROP INDEX users_scim_user_name;
ALTER TABLE users DROP COLUMN updated_at;
ALTER TABLE users DROP COLUMN scim_hidden;
ALTER TABLE users DROP COLUMN scim_managed;
ALTER TABLE users DROP COLUMN family_name;
ALTER TABLE users DROP COLUMN given_name;
ALTER TABLE users DROP COLUMN work_email;
ALTER TABLE users DROP COLUMN scim_user_name;
ALTER TABLE users DROP COLUMN external_id;
