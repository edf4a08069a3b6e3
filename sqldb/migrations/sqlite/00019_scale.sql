-- +goose Up
-- The admins' view of self-service purchases reads its first page, newest
-- first, and counts its rows from this index, without reading the rest of
-- a tenant's subscriptions (kassa bench --subscriptions 100000).
CREATE INDEX subscriptions_channel ON subscriptions (tenant_id, channel, created_at, id);

-- +goose Down
DROP INDEX subscriptions_channel;
