-- +goose Up
-- Pages of subscriptions, newest first, read from an index without
-- sorting a tenant's or a purchaser's rows (kassa bench --subscriptions
-- 100000): the admins' view of self-service purchases, which counts its
-- rows from the same index (status is in it for that), and the
-- subscriptions list of a purchaser and of an admin.
CREATE INDEX subscriptions_channel ON subscriptions (tenant_id, channel, created_at, id, status);
CREATE INDEX subscriptions_purchaser_page ON subscriptions (tenant_id, purchaser_id, created_at, id);
CREATE INDEX subscriptions_page ON subscriptions (tenant_id, created_at, id);

-- +goose Down
DROP INDEX subscriptions_page;
DROP INDEX subscriptions_purchaser_page;
DROP INDEX subscriptions_channel;
