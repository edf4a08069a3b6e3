-- +goose Up
-- The directory's groups (SPEC §8) and who is in each, as SCIM keeps them;
-- licenses by group (SPEC §12) build on them. A group's name is one group's
-- in its tenant, without regard to case.
CREATE TABLE directory_groups (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    display_name TEXT NOT NULL,
    external_id  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX directory_groups_name ON directory_groups (tenant_id, lower(display_name));

CREATE TABLE directory_group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX directory_group_members_user ON directory_group_members (user_id);

-- +goose Down
DROP TABLE directory_group_members;
DROP TABLE directory_groups;
