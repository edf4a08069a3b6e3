-- +goose Up
-- Indexes that `kassa bench` showed were missing: a tenant's admins (whom
-- every purchase notifies) without reading all its people, and the work of
-- the billing clock in the order it runs it.
CREATE INDEX users_admins ON users (tenant_id) WHERE role = 'admin';
DROP INDEX subscriptions_due;
CREATE INDEX subscriptions_due ON subscriptions (status, period_end, id);

-- +goose Down
DROP INDEX subscriptions_due;
CREATE INDEX subscriptions_due ON subscriptions (status, period_end);
DROP INDEX users_admins;
