-- +goose Up
-- Unused licenses come back (SPEC §12): "reclaim licenses not used for N
-- days", off until an admin sets it. Use is a sign-in to kassa
-- (users.signed_in_at) or an app's report of the license's use
-- (licenses.used_at); a license is idle since the latest of those and its
-- assignment. Its holder and purchaser are warned (reclaim_warned_at) 7
-- days before it is reclaimed; any use clears the warning.
CREATE TABLE reclaim_policies (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    days       INTEGER NOT NULL CHECK (days BETWEEN 14 AND 730),
    updated_at TIMESTAMP NOT NULL
);
ALTER TABLE users ADD COLUMN signed_in_at TIMESTAMP;
ALTER TABLE licenses ADD COLUMN used_at TIMESTAMP;
ALTER TABLE licenses ADD COLUMN reclaim_warned_at TIMESTAMP;

-- +goose Down
ALTER TABLE licenses DROP COLUMN reclaim_warned_at;
ALTER TABLE licenses DROP COLUMN used_at;
ALTER TABLE users DROP COLUMN signed_in_at;
DROP TABLE reclaim_policies;
