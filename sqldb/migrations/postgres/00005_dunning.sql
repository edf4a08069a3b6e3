-- +goose Up
-- Dunning: how many charges of the open renewal invoice failed, when the
-- next retry is due, and since when a subscription is suspended.
ALTER TABLE subscriptions ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN next_retry_at TIMESTAMPTZ;
ALTER TABLE subscriptions ADD COLUMN suspended_at TIMESTAMPTZ;
CREATE INDEX subscriptions_due ON subscriptions (status, period_end);

-- +goose Down
DROP INDEX subscriptions_due;
ALTER TABLE subscriptions DROP COLUMN suspended_at;
ALTER TABLE subscriptions DROP COLUMN next_retry_at;
ALTER TABLE subscriptions DROP COLUMN failed_attempts;
