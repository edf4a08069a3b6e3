-- +goose Up
-- Licenses by group (SPEC §12): a directory group linked to an
-- admin-managed subscription, whose members hold its licenses while there
-- are free ones. A license the group gave says so (via_group): leaving the
-- group, or the group's unlinking, takes back only those.
CREATE TABLE group_licenses (
    subscription_id TEXT PRIMARY KEY REFERENCES subscriptions (id),
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    group_id        TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    linked_by       TEXT NOT NULL REFERENCES users (id),
    linked_at       TIMESTAMP NOT NULL
);
CREATE INDEX group_licenses_group ON group_licenses (group_id);
CREATE INDEX group_licenses_tenant ON group_licenses (tenant_id);
ALTER TABLE licenses ADD COLUMN via_group BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE licenses DROP COLUMN via_group;
DROP TABLE group_licenses;
